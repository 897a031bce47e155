"""Shape and index ops of ``keras.ops.numpy``: reshape, join, split, tile, pad, take, where...

All are differentiable. Flips, rolls, tiles, repeats and the non-constant
paddings are one :func:`brickwork.functions.indexing.take` per axis with
indices computed in NumPy, so their gradient is the scatter-add of ``take``.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.device import asarray, get_array_module, to_host
from brickwork.engine.tensor import Tensor
from brickwork.functions import indexing
from brickwork.ops._convert import axis_tuple, plain, promote, raw, tensor


def reshape(x: Any, newshape: Any) -> Tensor:
    """Reshape (one entry of ``newshape`` may be -1)."""
    t = tensor(x)
    shape = (int(newshape),) if isinstance(newshape, (int, np.integer)) else tuple(int(n) for n in newshape)
    known = int(np.prod([n for n in shape if n != -1]))
    if shape.count(-1) > 1 or (-1 in shape and (known == 0 or t.size % known)) or (
            -1 not in shape and known != t.size):
        raise ValueError(f"reshape: cannot reshape x of shape {t.shape} ({t.size} elements) to {shape}.")
    return F.reshape(t, shape)


def transpose(x: Any, axes: Any = None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None)."""
    t = tensor(x)
    if axes is not None and sorted(a % t.ndim for a in axes) != list(range(t.ndim)):
        raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the axes of x (shape {t.shape}).")
    return F.transpose(t, None if axes is None else tuple(a % t.ndim for a in axes))


def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    """Move axes to new positions (NumPy's ``moveaxis``)."""
    t = tensor(x)
    src = [a % t.ndim for a in ((source,) if isinstance(source, int) else source)]
    dst = [a % t.ndim for a in ((destination,) if isinstance(destination, int) else destination)]
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source!r} and destination {destination!r} differ in length.")
    order = [a for a in range(t.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return F.transpose(t, tuple(order))


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    t = tensor(x)
    order = list(range(t.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return F.transpose(t, tuple(order))


def expand_dims(x: Any, axis: Any) -> Tensor:
    """Insert length-1 axes at ``axis`` (an int or a tuple of them)."""
    t = tensor(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return F.reshape(t, np.expand_dims(np.empty(t.shape, bool), axes).shape)


def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove length-1 axes (only those in ``axis`` when given)."""
    t = tensor(x)
    axes = axis_tuple(axis)
    for a in () if axes is None else ((axes,) if isinstance(axes, int) else axes):
        if not -t.ndim <= a < t.ndim or t.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of x (shape {t.shape}) is not of length 1.")
    return F.squeeze(t, axes)


def ravel(x: Any) -> Tensor:
    """Flatten to one axis."""
    return F.reshape(tensor(x), (-1,))


def broadcast_to(x: Any, shape: Any) -> Tensor:
    """Broadcast to ``shape``; the gradient is summed back."""
    t = tensor(x)
    try:
        np.broadcast_shapes(t.shape, tuple(shape))
    except ValueError:
        raise ValueError(f"broadcast_to: x of shape {t.shape} does not broadcast to {tuple(shape)}.") from None
    if np.broadcast_shapes(t.shape, tuple(shape)) != tuple(shape):
        raise ValueError(f"broadcast_to: x of shape {t.shape} does not broadcast to {tuple(shape)}.")
    return F.broadcast_to(t, tuple(shape))


def concatenate(xs: Any, axis: int | None = 0) -> Tensor:
    """Join tensors along ``axis`` (flattened first when ``axis`` is None)."""
    ts = promote(*xs)
    if axis is None:
        ts, axis = [F.reshape(t, (-1,)) for t in ts], 0
    _check_join("concatenate", ts, axis, skip_axis=True)
    return F.concatenate(ts, axis)


def _check_join(op: str, ts: list[Tensor], axis: int, skip_axis: bool) -> None:
    if not ts:
        raise ValueError(f"{op}: needs at least one tensor.")
    first = ts[0].shape
    for t in ts[1:]:
        same = (len(t.shape) == len(first) and all(
            a == b for i, (a, b) in enumerate(zip(t.shape, first)) if not (skip_axis and i == axis % len(first))))
        if not same:
            raise ValueError(f"{op}: along axis {axis}, the tensors' shapes {[u.shape for u in ts]} do not match.")


def stack(x: Any, axis: int = 0) -> Tensor:
    """Stack tensors along a new ``axis``."""
    ts = promote(*x)
    _check_join("stack", ts, axis, skip_axis=False)
    return F.stack(ts, axis)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Split into a list of tensors: ``indices_or_sections`` is a count of equal parts or the cut points."""
    t = tensor(x)
    if isinstance(indices_or_sections, int) and t.shape[axis] % indices_or_sections:
        raise ValueError(f"split: axis {axis} of length {t.shape[axis]} (x has shape {t.shape}) does not divide "
                         f"into {indices_or_sections} equal sections.")
    return list(F.split(t, indices_or_sections, axis))


def unstack(x: Any, num: int | None = None, axis: int = 0) -> list[Tensor]:
    """The slices along ``axis`` as a list (that axis removed)."""
    t = tensor(x)
    n = t.shape[axis]
    if num is not None and num != n:
        raise ValueError(f"unstack: num={num} but axis {axis} of x (shape {t.shape}) has length {n}.")
    return [F.squeeze(p, axis) for p in F.split(t, n, axis)]


def _take_axis(t: Tensor, index: np.ndarray, axis: int) -> Tensor:
    return indexing.take(t, index, axis)


def flip(x: Any, axis: Any = None) -> Tensor:
    """Reverse the order of elements along ``axis`` (every axis when None)."""
    t = tensor(x)
    axes = range(t.ndim) if axis is None else ((axis,) if isinstance(axis, int) else axis)
    for a in axes:
        t = _take_axis(t, np.arange(t.shape[a])[::-1], a)
    return t


def roll(x: Any, shift: Any, axis: Any = None) -> Tensor:
    """Shift elements cyclically along ``axis`` (over the flattened tensor when None)."""
    t = tensor(x)
    if axis is None:
        n = t.size
        return F.reshape(_take_axis(F.reshape(t, (-1,)), np.roll(np.arange(n), shift), 0), t.shape)
    shifts = np.broadcast_to(shift, np.shape(axis)) if not isinstance(axis, int) else [shift]
    axes = [axis] if isinstance(axis, int) else list(axis)
    for s, a in zip(shifts, axes):
        t = _take_axis(t, np.roll(np.arange(t.shape[a]), int(s)), a)
    return t


def tile(x: Any, repeats: Any) -> Tensor:
    """Repeat the whole tensor ``repeats`` times along each axis (NumPy's ``tile``)."""
    t = tensor(x)
    reps = (repeats,) if isinstance(repeats, int) else tuple(int(r) for r in repeats)
    ndim = builtins.max(t.ndim, len(reps))
    t = F.reshape(t, (1,) * (ndim - t.ndim) + t.shape)
    reps = (1,) * (ndim - len(reps)) + reps
    for a, r in enumerate(reps):
        if r != 1:
            t = _take_axis(t, np.tile(np.arange(t.shape[a]), r), a)
    return t


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (of the flattened tensor when None)."""
    t = tensor(x)
    if axis is None:
        t, axis = F.reshape(t, (-1,)), 0
    counts = to_host(raw(repeats)) if not isinstance(repeats, int) else repeats   # a (small) host index
    return _take_axis(t, np.repeat(np.arange(t.shape[axis]), counts), axis)


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Tensor:
    """Pad with NumPy's ``pad_width``. ``mode`` is ``'constant'`` (with ``constant_values``, default 0),
    ``'reflect'``, ``'symmetric'``, ``'edge'`` or ``'wrap'``."""
    t = tensor(x)
    widths = np.broadcast_to(asarray(pad_width, dtype=np.int64), (t.ndim, 2))
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width {pad_width!r} has negative entries (x has shape {t.shape}).")
    if mode == "constant":
        y = F.pad(t, [tuple(int(v) for v in w) for w in widths])
        if constant_values:
            border = np.pad(np.zeros(t.shape, t.dtype), widths, constant_values=1).astype(t.dtype)
            y = F.add(y, border * asarray(constant_values, t.dtype))
        return y
    if constant_values is not None:
        raise ValueError(f"pad: constant_values is only allowed with mode='constant'; got mode={mode!r}.")
    if mode not in ("reflect", "symmetric", "edge", "wrap"):
        raise ValueError(f"pad: unknown mode {mode!r}; expected constant, reflect, symmetric, edge or wrap.")
    for a, (before, after) in enumerate(widths):
        if before or after:
            if mode == "reflect" and builtins.max(before, after) >= t.shape[a]:
                raise ValueError(f"pad: reflect padding of {(int(before), int(after))} needs more than that many "
                                 f"elements along axis {a}; x has shape {t.shape}.")
            t = _take_axis(t, np.pad(np.arange(t.shape[a]), (int(before), int(after)), mode=mode), a)
    return t


def take(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """Gather the slices at ``indices`` along ``axis`` (from the flattened tensor when None)."""
    t = tensor(x)
    idx = asarray(raw(indices)).astype(np.int64)
    if axis is None:
        t, axis = F.reshape(t, (-1,)), 0
    return indexing.take(t, idx, axis % t.ndim)


def take_along_axis(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """Gather an element per position of ``indices`` along ``axis`` (NumPy semantics)."""
    t = tensor(x)
    idx = asarray(raw(indices)).astype(np.int64)
    if axis is None:
        t, idx, axis = F.reshape(t, (-1,)), idx.reshape(-1), 0
    if idx.ndim != t.ndim:
        raise ValueError(f"take_along_axis: indices of shape {idx.shape} must have the rank of x (shape {t.shape}).")
    return indexing.take_along_axis(t, idx, axis % t.ndim)


def where(condition: Any, x1: Any = None, x2: Any = None) -> Tensor | tuple[Tensor, ...]:
    """``x1`` where ``condition`` else ``x2`` (differentiable in both); with neither, the indices of the
    true elements as a tuple of int32 tensors."""
    cond = asarray(raw(condition)).astype(bool)
    if x1 is None and x2 is None:
        return tuple(plain(i.astype(np.int32)) for i in get_array_module(cond).nonzero(cond))
    if x1 is None or x2 is None:
        raise ValueError("where: x1 and x2 must be given together (or neither, for the indices).")
    a, b = promote(x1, x2)
    return F.where(cond, a, b)


def _triangle(x: Any, k: int, upper: bool) -> Tensor:
    t = tensor(x)
    n, m = t.shape[-2:]
    keep = np.triu(np.ones((n, m), bool), k) if upper else np.tril(np.ones((n, m), bool), k)
    return F.where(keep, t, np.zeros((), t.dtype))


def triu(x: Any, k: int = 0) -> Tensor:
    """Zero the elements below the ``k``-th diagonal of the last two axes."""
    return _triangle(x, k, True)


def tril(x: Any, k: int = 0) -> Tensor:
    """Zero the elements above the ``k``-th diagonal of the last two axes."""
    return _triangle(x, k, False)


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The ``offset`` diagonal of the ``(axis1, axis2)`` planes, as a new last axis."""
    t = tensor(x)
    n, m = t.shape[axis1], t.shape[axis2]
    rows = np.arange(builtins.max(0, -offset), builtins.min(n, m - offset))
    moved = moveaxis(t, (axis1, axis2), (-2, -1))
    return F.getitem(moved, (Ellipsis, rows, rows + offset))


"""``keras.ops.core``: conversion, casting, slicing and control flow.

brickwork runs eagerly, so ``cond``, ``while_loop``, ``fori_loop``, ``scan``,
``map`` and ``switch`` are plain Python control flow with Keras's signatures;
gradients flow through whatever the loop computed.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.device import asarray, device_of, to_device
from brickwork.engine.tensor import Tensor
from brickwork.ops._convert import keras_dtype, plain, raw, tensor


def convert_to_tensor(x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None) -> Tensor:
    """``x`` as a Tensor (a Tensor passes through with its graph); ``dtype`` casts."""
    t = tensor(x)
    return t if dtype is None else cast(t, dtype)


def convert_to_numpy(x: Any) -> np.ndarray:
    """The values as a NumPy array (a copy: later in-place updates do not show through)."""
    return np.array(raw(x), copy=True)


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a brickwork Tensor."""
    return isinstance(x, Tensor)


def cast(x: Any, dtype: Any) -> Tensor:
    """Convert to ``dtype``: differentiable between float types; to or from integers it is a constant."""
    t = tensor(x)
    target = keras_dtype(dtype)
    if t.dtype == target:
        return t
    if t.dtype.kind == "f" and target.kind == "f":
        return F.cast(t, target)
    return plain(t.data.astype(target))


def shape(x: Any) -> tuple[int, ...]:
    """The static shape as a tuple of ints (``None`` for a symbolic tensor's unknown sizes)."""
    if hasattr(x, "_history"):  # a symbolic tensor: its declared shape
        return tuple(x.shape)
    return tuple(tensor(x).shape)


def dtype(x: Any) -> str:
    """The dtype's name (``'float32'``...)."""
    if hasattr(x, "_history"):
        return str(x.dtype)
    return str(tensor(x).dtype)


def stop_gradient(variable: Any) -> Tensor:
    """The same values, cut from the graph (no gradient flows through)."""
    return Tensor(raw(variable))


def slice(inputs: Any, start_indices: Any, shape: Any) -> Tensor:  # noqa: A001 - Keras's name
    """The block of size ``shape`` starting at ``start_indices`` (differentiable)."""
    t = tensor(inputs)
    starts, sizes = [int(s) for s in raw(start_indices)], [int(s) for s in raw(shape)]
    if len(starts) != t.ndim or len(sizes) != t.ndim:
        raise ValueError(f"slice: start_indices {starts} and shape {sizes} need one entry per axis of inputs "
                         f"(shape {t.shape}).")
    if any(s < 0 or s + n > d for s, n, d in zip(starts, sizes, t.shape)):
        raise ValueError(f"slice: the block at {starts} of shape {sizes} does not fit inputs of shape {t.shape}.")
    return F.getitem(t, tuple(builtins.slice(s, s + n) for s, n in zip(starts, sizes)))


def slice_update(inputs: Any, start_indices: Any, updates: Any) -> Tensor:
    """``inputs`` with the block at ``start_indices`` replaced by ``updates`` (differentiable in both)."""
    t, u = tensor(inputs), tensor(updates)
    starts = [int(s) for s in raw(start_indices)]
    if len(starts) != t.ndim or u.ndim != t.ndim or any(
            s < 0 or s + n > d for s, n, d in zip(starts, u.shape, t.shape)):
        raise ValueError(f"slice_update: updates of shape {u.shape} at {starts} do not fit inputs of shape {t.shape}.")
    widths = [(s, d - s - n) for s, n, d in zip(starts, u.shape, t.shape)]
    inside = np.pad(np.ones(u.shape, bool), widths)
    if u.dtype != t.dtype:
        u = cast(u, t.dtype)
    return F.where(inside, F.pad(u, widths), t)


# ------------------------------------------------------------- control flow

def _map_structure(fn: Callable[..., Any], *trees: Any) -> Any:
    first = trees[0]
    if isinstance(first, (list, tuple)):
        return type(first)(_map_structure(fn, *parts) for parts in zip(*trees))
    if isinstance(first, dict):
        return {k: _map_structure(fn, *(t[k] for t in trees)) for k in first}
    return fn(*trees)


def _leaves(tree: Any) -> list[Any]:
    if isinstance(tree, (list, tuple)):
        return [leaf for part in tree for leaf in _leaves(part)]
    if isinstance(tree, dict):
        return [leaf for v in tree.values() for leaf in _leaves(v)]
    return [tree]


def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()``."""
    return true_fn() if bool(asarray(raw(pred))) else false_fn()


def switch(index: Any, branches: list[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)``, ``index`` clamped to the valid range."""
    i = int(np.clip(int(asarray(raw(index))), 0, len(branches) - 1))
    return branches[i](*operands)


def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               maximum_iterations: int | None = None) -> Any:
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (at most ``maximum_iterations`` times)."""
    is_tuple = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if is_tuple else (loop_vars,)
    count = 0
    while (maximum_iterations is None or count < maximum_iterations) and bool(asarray(raw(cond(*state)))):
        out = body(*state)
        state = tuple(out) if isinstance(out, (list, tuple)) else (out,)
        count += 1
    return state if is_tuple else state[0]


def fori_loop(lower: int, upper: int, body_fun: Callable[[int, Any], Any], init_val: Any) -> Any:
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``."""
    val = init_val
    for i in range(int(asarray(raw(lower))), int(asarray(raw(upper)))):
        val = body_fun(i, val)
    return val


def _stack_steps(steps: list[Any]) -> Any:
    if not steps or steps[0] is None:
        return None
    return _map_structure(lambda *ys: F.stack([tensor(y) for y in ys], 0), *steps)


def scan(f: Callable[[Any, Any], tuple[Any, Any]], init: Any, xs: Any = None, length: int | None = None,
         reverse: bool = False, unroll: int = 1) -> tuple[Any, Any]:
    """``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns the last carry and the
    stacked ``y`` (``ys[i]`` belongs to ``xs[i]``, also with ``reverse=True``)."""
    if xs is None:
        if length is None:
            raise ValueError("scan: give xs or length.")
        n = int(length)
    else:
        leaves = [tensor(v) for v in _leaves(xs)]
        n = leaves[0].shape[0]
        if length is not None and int(length) != n or any(v.shape[0] != n for v in leaves):
            raise ValueError(f"scan: xs leaves have leading lengths {[v.shape[0] for v in leaves]} "
                             f"(length={length}); they must agree.")
    carry, steps = init, []
    order = range(n - 1, -1, -1) if reverse else range(n)
    for i in order:
        x = None if xs is None else _map_structure(lambda v, i=i: F.getitem(tensor(v), i), xs)
        carry, y = f(carry, x)
        steps.append(y)
    if reverse:
        steps.reverse()
    return carry, _stack_steps(steps)


def map(f: Callable[[Any], Any], xs: Any) -> Any:  # noqa: A001 - Keras's name
    """``f`` applied to each slice along the leading axis of ``xs``, results stacked."""
    leaves = [tensor(v) for v in _leaves(xs)]
    n = leaves[0].shape[0]
    steps = [f(_map_structure(lambda v, i=i: F.getitem(tensor(v), i), xs)) for i in range(n)]
    return _stack_steps(steps)


vectorized_map = map


def size(x: Any) -> Tensor:
    """The number of elements, as an integer tensor."""
    t = tensor(x)
    return plain(to_device(asarray(t.size, np.int32), device_of(t.data)))


def ndim(x: Any) -> int:
    """The number of axes (an int, as Keras)."""
    if hasattr(x, "_history"):
        return len(x.shape)
    return tensor(x).ndim

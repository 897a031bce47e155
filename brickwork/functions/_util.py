"""Helpers shared by the primitives' backward passes."""

from __future__ import annotations

import numpy as np

from brickwork.backend import get_array_module


def sum_to(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a broadcast gradient back to ``shape``.

    If :math:`y = \\mathrm{broadcast}(x)`, every element of :math:`x` was copied
    to several elements of :math:`y`, so
    :math:`\\partial L/\\partial x = \\sum_{\\text{copies}} \\partial L/\\partial y`.
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def normalize_axis(axis: int | tuple[int, ...] | list[int] | None, ndim: int) -> tuple[int, ...]:
    """Return ``axis`` as a sorted tuple of non-negative axes (all axes for None)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    out = []
    for a in axis:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for a tensor of rank {ndim}.")
        out.append(a % ndim)
    return tuple(sorted(out))


def scatter_add_rows(num_rows: int, index: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Return ``out`` of shape ``(num_rows, d)`` with ``out[index[i]] += values[i]``.

    A sort-and-segment-sum replacement for ``np.add.at`` (whose unbuffered loop is
    slow): rows are ordered by destination, each run of equal destinations is
    summed with ``np.add.reduceat`` and written once.
    """
    xp = get_array_module(index)
    index = xp.asarray(index).reshape(-1)
    values = values.reshape(index.size, -1)
    out = xp.zeros((num_rows, values.shape[1]), dtype=values.dtype)
    if index.size == 0:
        return out
    order, sorted_index, starts = _segments(index)
    out[sorted_index[starts]] = xp.add.reduceat(values[order], starts, axis=0)
    return out


def _segments(index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``index`` sorted (the order, the sorted values) and where each run of equal values starts."""
    xp = get_array_module(index)
    order = xp.argsort(index)            # not stable: only the (deterministic) order of a row's summands moves
    sorted_index = index[order]
    first = xp.empty(index.size, bool)
    first[0] = True
    xp.not_equal(sorted_index[1:], sorted_index[:-1], out=first[1:])
    return order, sorted_index, xp.flatnonzero(first)


def add_rows(target: np.ndarray, index: np.ndarray, values: np.ndarray, cap: float | None = None) -> None:
    """In place ``target[index[i]] += values[i]`` with repeated indices summed (sort and segment sum).

    ``cap``: a row that receives ``n > cap`` updates gets their sum times ``cap / n`` — at most
    ``cap`` updates' worth (word2vec's mini-batches use this so that very frequent words do not
    take one huge step).
    """
    xp = get_array_module(target)
    index = xp.asarray(index).reshape(-1)
    if index.size == 0:
        return
    values = values.reshape(index.size, -1)
    order, sorted_index, starts = _segments(index)
    sums = xp.add.reduceat(values[order], starts, axis=0)
    if cap is not None:
        counts = xp.diff(xp.r_[starts, index.size])
        sums *= xp.minimum(1.0, cap / counts).astype(sums.dtype)[:, None]
    target[sorted_index[starts]] += sums.reshape((len(starts),) + target.shape[1:])

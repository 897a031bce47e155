"""Sorting ops: ``sort``, ``argsort`` (``keras.ops.numpy``) and ``top_k`` (``keras.ops.math``).

The order is found in NumPy (no gradient); the values are then gathered with
the differentiable :func:`brickwork.functions.indexing.take_along_axis`, so each
output value's gradient flows back to the element it came from.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.tensor import Tensor
from brickwork.functions import indexing
from brickwork.ops._convert import plain, raw, tensor


def sort(x: Any, axis: int | None = -1) -> Tensor:
    """Values sorted in ascending order along ``axis`` (of the flattened tensor when None)."""
    t = tensor(x)
    if axis is None:
        t, axis = F.reshape(t, (-1,)), 0
    if t.ndim == 0:
        return t
    order = np.argsort(t.data, axis=axis, kind="stable")
    return indexing.take_along_axis(t, order, axis % t.ndim)


def argsort(x: Any, axis: int | None = -1) -> Tensor:
    """Indices that sort ``x`` along ``axis`` (stable), int32."""
    a = raw(x)
    if axis is None:
        a, axis = a.reshape(-1), 0
    return plain(np.argsort(a, axis=axis, kind="stable").astype(np.int32))


def top_k(x: Any, k: int, sorted: bool = True) -> tuple[Tensor, Tensor]:  # noqa: A002 - Keras's name
    """The ``k`` largest values along the last axis and their int32 indices (ties: the lower index first)."""
    t = tensor(x)
    if t.ndim == 0:
        raise ValueError("top_k: x must have at least one axis; got a scalar.")
    if not isinstance(k, (int, np.integer)) or not 0 <= k <= t.shape[-1]:
        raise ValueError(f"top_k: k={k!r} must be an integer in [0, {t.shape[-1]}], the length of the last "
                         f"axis of x (shape {t.shape}).")
    order = np.argsort(-t.data if t.dtype.kind != "b" else ~t.data, axis=-1, kind="stable")[..., :k]
    return indexing.take_along_axis(t, order, t.ndim - 1), plain(order.astype(np.int32))

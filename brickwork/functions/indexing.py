"""Gathering along an axis: ``take`` (one index array for the whole axis) and
``take_along_axis`` (an index per position). Flips, rolls, tiles, repeats and
non-constant padding are all a ``take`` with computed indices."""

from __future__ import annotations

import numpy as np

from brickwork.engine.device import asarray, get_array_module, scatter_add, to_device
from brickwork.engine.function import Function
from brickwork.functions._util import scatter_add_rows


class Take(Function):
    r"""``y = take(x, indices, axis)``: the slices of ``x`` at ``indices`` along ``axis``.

    .. math:: \bar x_{\ldots, r, \ldots} = \sum_{k:\ \mathrm{indices}_k = r} \bar y_{\ldots, k, \ldots}

    (repeated indices add up), computed as a sort-and-segment sum of rows.
    Negative indices count from the end.
    """

    def __init__(self, indices: np.ndarray, axis: int):
        self.indices, self.axis = asarray(indices), axis

    def forward(self, x):
        self.in_shape = x.shape
        n = x.shape[self.axis]
        if self.indices.size and (self.indices.max() >= n or self.indices.min() < -n):
            raise IndexError(f"take: an index in [{self.indices.min()}, {self.indices.max()}] is out of range for "
                             f"axis {self.axis} of length {n} (x has shape {x.shape}).")
        self.indices = np.where(self.indices < 0, self.indices + n, self.indices)
        return np.take(x, self.indices, axis=self.axis)

    def backward(self, gy):
        shape, axis, idx = self.in_shape, self.axis, self.indices
        pre, post = int(np.prod(shape[:axis])), int(np.prod(shape[axis + 1:]))
        rows = np.moveaxis(gy.reshape(pre, idx.size, post), 1, 0).reshape(idx.size, pre * post)
        gx = scatter_add_rows(shape[axis], idx, rows).reshape(shape[axis], pre, post)
        return np.moveaxis(gx, 0, 1).reshape(shape)


class TakeAlongAxis(Function):
    r"""``y = take_along_axis(x, indices, axis)`` (NumPy semantics, broadcasting the other axes):
    :math:`y_{\ldots i \ldots} = x_{\ldots\, \mathrm{indices}_{\ldots i \ldots}\, \ldots}`.

    The backward scatter-adds :math:`\bar y` back to the positions read
    (``np.add.at``), so an element read twice gets both gradients.
    """

    def __init__(self, indices: np.ndarray, axis: int):
        self.indices, self.axis = asarray(indices), axis

    def forward(self, x):
        xp = get_array_module(x)
        self.in_shape = x.shape
        n = x.shape[self.axis]
        indices = to_device(self.indices, "gpu") if xp is not np else self.indices
        self.indices = xp.where(indices < 0, indices + n, indices)
        return xp.take_along_axis(x, self.indices, axis=self.axis)

    def backward(self, gy):
        xp = get_array_module(gy)
        gx = xp.zeros(self.in_shape, gy.dtype)
        ndim = len(self.in_shape)
        index = tuple(self.indices if d == self.axis else
                      xp.arange(self.in_shape[d]).reshape([-1 if e == d else 1 for e in range(ndim)])
                      for d in range(ndim))
        scatter_add(gx, index, gy)
        return gx


def take(x, indices, axis: int):
    """``np.take(x, indices, axis)``, differentiable in ``x``."""
    return Take(indices, axis)(x)


def take_along_axis(x, indices, axis: int):
    """``np.take_along_axis(x, indices, axis)``, differentiable in ``x``."""
    return TakeAlongAxis(indices, axis)(x)

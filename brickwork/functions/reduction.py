"""Reductions: sum, mean, max and min over axes, with ``keepdims``."""

from __future__ import annotations

import numpy as np

from brickwork.backend import get_array_module
from brickwork.engine.function import Function
from brickwork.functions._util import normalize_axis


def _restore(gy: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Re-insert the reduced axes of ``gy`` so it broadcasts against the input."""
    xp = get_array_module(gy)
    if not keepdims:
        for a in axes:
            gy = xp.expand_dims(gy, a)
    return gy


class Sum(Function):
    r"""Sum over ``axis``: every input element receives the gradient of its sum,
    :math:`\bar x_i = \bar y`."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        xp = get_array_module(x)
        self.shape = x.shape
        self.axes = normalize_axis(self.axis, x.ndim)
        return xp.asarray(x.sum(axis=self.axes, keepdims=self.keepdims))

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.broadcast_to(_restore(gy, self.shape, self.axes, self.keepdims), self.shape).copy()


class Mean(Function):
    r"""Mean over ``axis`` (:math:`N` elements each): :math:`\bar x_i = \bar y / N`."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        xp = get_array_module(x)
        self.shape = x.shape
        self.axes = normalize_axis(self.axis, x.ndim)
        self.count = int(np.prod([x.shape[a] for a in self.axes])) if self.axes else 1
        return xp.asarray(x.mean(axis=self.axes, keepdims=self.keepdims))

    def backward(self, gy):
        xp = get_array_module(gy)
        g = _restore(gy, self.shape, self.axes, self.keepdims) / xp.asarray(self.count, gy.dtype)
        return xp.broadcast_to(g, self.shape).copy()


class _Extreme(Function):
    r"""Max/min over ``axis``. The gradient goes to the arg-extreme elements;
    ties share it equally (as ``torch.amax``):
    :math:`\bar x_i = \bar y\,[x_i = y] / \#\{j: x_j = y\}`."""

    reducer = staticmethod(np.max)

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        self.axes = normalize_axis(self.axis, x.ndim)
        if x.size == 0:
            raise ValueError(f"Cannot take the {type(self).__name__.lower()} of an empty tensor of shape {x.shape}.")
        self.y = xp.asarray(self.reducer(x, axis=self.axes, keepdims=True))
        return self.y if self.keepdims else xp.asarray(self.y.reshape(
            [n for i, n in enumerate(x.shape) if i not in self.axes]))

    def backward(self, gy):
        mask = self.x == self.y
        count = mask.sum(axis=self.axes, keepdims=True)
        g = _restore(gy, self.x.shape, self.axes, self.keepdims)
        return (mask * (g / count)).astype(self.x.dtype)


class Max(_Extreme):
    __doc__ = _Extreme.__doc__
    reducer = staticmethod(np.max)


class Min(_Extreme):
    __doc__ = _Extreme.__doc__
    reducer = staticmethod(np.min)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - NumPy's name
    """Sum of elements over ``axis`` (all when None)."""
    return Sum(axis, keepdims)(x)


def mean(x, axis=None, keepdims=False):
    """Mean of elements over ``axis`` (all when None)."""
    return Mean(axis, keepdims)(x)


def max(x, axis=None, keepdims=False):  # noqa: A001 - NumPy's name
    """Maximum over ``axis``."""
    return Max(axis, keepdims)(x)


def min(x, axis=None, keepdims=False):  # noqa: A001 - NumPy's name
    """Minimum over ``axis``."""
    return Min(axis, keepdims)(x)

"""Reductions beyond sum/mean/max/min: the product and log-sum-exp over axes."""

from __future__ import annotations

import numpy as np

from brickwork.engine.device import asarray
from brickwork.engine.function import Function
from brickwork.functions._util import normalize_axis


def _keep(g: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    if not keepdims:
        for a in axes:
            g = np.expand_dims(g, a)
    return g


class Prod(Function):
    r"""Product over ``axis``: :math:`y = \prod_i x_i`.

    .. math:: \bar x_i = \bar y \prod_{j \ne i} x_j = \bar y\, L_i R_i

    with :math:`L_i` and :math:`R_i` the exclusive running products from the
    left and from the right over the (flattened) reduced axes, so zeros need no
    special case and nothing is divided.
    """

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x = x
        self.axes = normalize_axis(self.axis, x.ndim)
        return asarray(np.prod(x, axis=self.axes, keepdims=self.keepdims))

    def backward(self, gy):
        x, axes = self.x, self.axes
        kept = [a for a in range(x.ndim) if a not in axes]
        moved = np.transpose(x, kept + list(axes))
        flat = moved.reshape(moved.shape[:len(kept)] + (-1,))
        ones = np.ones(flat.shape[:-1] + (1,), x.dtype)
        left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat, -1)[..., :-1]], axis=-1), axis=-1), -1)
        others = (left * right).reshape(moved.shape)
        others = np.transpose(others, np.argsort(kept + list(axes)))
        return _keep(gy, axes, self.keepdims) * others


class LogSumExp(Function):
    r"""Log-sum-exp over ``axis``, shifted by the maximum so it never overflows:

    .. math:: y = m + \ln \textstyle\sum_i e^{x_i - m}, \quad m = \max_i x_i, \qquad
              \bar x_i = \bar y\, e^{x_i - y} = \bar y\, \mathrm{softmax}(x)_i
    """

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x = x
        self.axes = normalize_axis(self.axis, x.ndim)
        m = np.max(x, axis=self.axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
        self.y = m + np.log(np.sum(np.exp(x - m), axis=self.axes, keepdims=True))
        return self.y if self.keepdims else np.squeeze(self.y, axis=self.axes)

    def backward(self, gy):
        return _keep(gy, self.axes, self.keepdims) * np.exp(self.x - self.y)


def prod(x, axis=None, keepdims=False):
    """Product of elements over ``axis`` (all when None)."""
    return Prod(axis, keepdims)(x)


def logsumexp(x, axis=None, keepdims=False):
    """:math:`\\ln\\sum e^x` over ``axis``, numerically stable."""
    return LogSumExp(axis, keepdims)(x)

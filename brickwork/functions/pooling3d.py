r"""Max and average pooling over ``NDHWC`` volumes: a loop over the kernel offsets, each
step one strided slice of the whole batch (never a loop over voxels)."""

from __future__ import annotations

import numpy as np

from brickwork.engine.device import get_array_module
from brickwork.engine.function import Function
from brickwork.functions.convolution3d import Pads, crop_spatial, offset_slices, output_size, pad_spatial


def _out(shape: tuple[int, ...], pool: tuple[int, ...], strides: tuple[int, ...], pads: Pads) -> tuple[int, ...]:
    out = tuple(output_size(n, k, s, 1, p) for n, k, s, p in zip(shape[1:-1], pool, strides, pads))
    if len(shape) != len(pool) + 2 or min(out) <= 0:
        raise ValueError(f"pool3d: a pool of {pool} with padding {pads} does not fit an input of shape {shape}.")
    return out


class MaxPool3D(Function):
    r"""Max pooling: :math:`y_{n,i,j,l,c} = \max_{a,b,e} x_{n,\,i s_1 + a,\,j s_2 + b,\,l s_3 + e,\,c}`.

    Padded cells hold :math:`-\infty` so they never win. Backward: each window's gradient
    goes to its first maximal cell in offset order (PyTorch's first arg-max):
    :math:`\bar x_p = \sum_{w \ni p} \bar y_w [p = \arg\max_w x]`.
    """

    def __init__(self, pool, strides, pads: Pads = ((0, 0),) * 3):
        self.pool, self.strides, self.pads = tuple(pool), tuple(strides), tuple(pads)

    def forward(self, x):
        self.out = _out(x.shape, self.pool, self.strides, self.pads)
        xp = get_array_module(x)
        padded = pad_spatial(x, self.pads, -np.inf)
        y = None
        for _, index in offset_slices(self.pool, self.strides, (1,) * len(self.pool), self.out):
            y = padded[index].copy() if y is None else xp.maximum(y, padded[index], out=y)
        self.padded, self.y = padded, y
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        gp = xp.zeros(self.padded.shape, gy.dtype)
        claimed = xp.zeros(self.y.shape, bool)
        first = xp.empty(self.y.shape, bool)
        for _, index in offset_slices(self.pool, self.strides, (1,) * len(self.pool), self.out):
            xp.equal(self.padded[index], self.y, out=first)
            xp.greater(first, claimed, out=first)      # maximal here and not yet claimed
            claimed |= first
            gp[index] += gy * first
        return crop_spatial(gp, self.pads)


class AvgPool3D(Function):
    r"""Average pooling over each window's cells inside the input (padding not counted,
    Keras/TensorFlow ``'same'``): :math:`y_w = \frac{1}{|w|}\sum_{p \in w} x_p`, so
    :math:`\bar x_p = \sum_{w \ni p} \bar y_w / |w|`."""

    def __init__(self, pool, strides, pads: Pads = ((0, 0),) * 3):
        self.pool, self.strides, self.pads = tuple(pool), tuple(strides), tuple(pads)

    def forward(self, x):
        self.out = _out(x.shape, self.pool, self.strides, self.pads)
        xp = get_array_module(x)
        padded = pad_spatial(x, self.pads)
        ones = pad_spatial(xp.ones((1,) + x.shape[1:-1] + (1,), x.dtype), self.pads)
        total = xp.zeros((x.shape[0],) + self.out + (x.shape[-1],), x.dtype)
        count = xp.zeros((1,) + self.out + (1,), x.dtype)
        for _, index in offset_slices(self.pool, self.strides, (1,) * len(self.pool), self.out):
            total += padded[index]
            count += ones[index]
        self.padded_shape, self.count = padded.shape, count
        return total / count

    def backward(self, gy):
        share = gy / self.count
        gp = get_array_module(gy).zeros(self.padded_shape, gy.dtype)
        for _, index in offset_slices(self.pool, self.strides, (1,) * len(self.pool), self.out):
            gp[index] += share
        return crop_spatial(gp, self.pads)


def max_pool3d(x, pool=(2, 2, 2), strides=None, pads: Pads = ((0, 0),) * 3):
    """``NDHWC`` max pooling."""
    return MaxPool3D(pool, strides or pool, pads)(x)


def avg_pool3d(x, pool=(2, 2, 2), strides=None, pads: Pads = ((0, 0),) * 3):
    """``NDHWC`` average pooling (padding excluded from the averages)."""
    return AvgPool3D(pool, strides or pool, pads)(x)

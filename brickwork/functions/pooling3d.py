r"""Max and average pooling over ``NDHWC`` volumes: a loop over the kernel offsets, each
step one strided slice of the whole batch (never a loop over voxels)."""

from __future__ import annotations

import numpy as np

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
        xp = pad_spatial(x, self.pads, -np.inf)
        y = None
        for _, index in offset_slices(self.pool, self.strides, (1,) * len(self.pool), self.out):
            y = xp[index].copy() if y is None else np.maximum(y, xp[index], out=y)
        self.xp, self.y = xp, y
        return y

    def backward(self, gy):
        gp = np.zeros(self.xp.shape, gy.dtype)
        claimed = np.zeros(self.y.shape, bool)
        first = np.empty(self.y.shape, bool)
        for _, index in offset_slices(self.pool, self.strides, (1,) * len(self.pool), self.out):
            np.equal(self.xp[index], self.y, out=first)
            np.greater(first, claimed, out=first)      # maximal here and not yet claimed
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
        xp = pad_spatial(x, self.pads)
        ones = pad_spatial(np.ones((1,) + x.shape[1:-1] + (1,), x.dtype), self.pads)
        total = np.zeros((x.shape[0],) + self.out + (x.shape[-1],), x.dtype)
        count = np.zeros((1,) + self.out + (1,), x.dtype)
        for _, index in offset_slices(self.pool, self.strides, (1,) * len(self.pool), self.out):
            total += xp[index]
            count += ones[index]
        self.padded_shape, self.count = xp.shape, count
        return total / count

    def backward(self, gy):
        share = gy / self.count
        gp = np.zeros(self.padded_shape, gy.dtype)
        for _, index in offset_slices(self.pool, self.strides, (1,) * len(self.pool), self.out):
            gp[index] += share
        return crop_spatial(gp, self.pads)


def max_pool3d(x, pool=(2, 2, 2), strides=None, pads: Pads = ((0, 0),) * 3):
    """``NDHWC`` max pooling."""
    return MaxPool3D(pool, strides or pool, pads)(x)


def avg_pool3d(x, pool=(2, 2, 2), strides=None, pads: Pads = ((0, 0),) * 3):
    """``NDHWC`` average pooling (padding excluded from the averages)."""
    return AvgPool3D(pool, strides or pool, pads)(x)

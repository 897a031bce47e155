"""Max and average pooling over NHWC windows; no Python loop over pixels."""

from __future__ import annotations

import numpy as np

from brickwork.backend import get_array_module
from brickwork.engine.function import Function
from brickwork.functions.sliding_windows import add_windows, crop_nhwc, out_length, windows

Pads = tuple[tuple[int, int], tuple[int, int]]


def _pad_value(x: np.ndarray, pads: Pads, value: float) -> np.ndarray:
    xp = get_array_module(x)
    if not any(pads[0]) and not any(pads[1]):
        return x
    return xp.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=value)


def _offset_views(x_pad: np.ndarray, pool, strides, out_hw):
    """For each kernel offset ``(a, b)``: the strided view ``x_pad[:, a + i*sh, b + j*sw, :]`` over all ``(i, j)``."""
    (kh, kw), (sh, sw), (ho, wo) = pool, strides, out_hw
    for a in range(kh):
        for b in range(kw):
            yield a * kw + b, (slice(None), slice(a, a + sh * (ho - 1) + 1, sh), slice(b, b + sw * (wo - 1) + 1, sw))


class MaxPool2D(Function):
    r"""Max pooling: :math:`y_{n,i,j,c} = \max_{a,b} x_{n,\,i s_h + a,\,j s_w + b,\,c}`.

    Padding (Keras ``'same'``) never wins: padded cells hold :math:`-\infty`.
    The loop runs over the :math:`k_h k_w` kernel offsets (never over pixels),
    each step comparing one strided view of the whole batch with the running
    maximum. In backward the first offset that equals the maximum in each
    window receives the gradient (as PyTorch's first arg-max).
    """

    def __init__(self, pool, strides, pads: Pads = ((0, 0), (0, 0))):
        self.pool, self.strides, self.pads = tuple(pool), tuple(strides), pads

    def _use_kernel(self, x) -> bool:
        """Whether the compiled loops of :mod:`brickwork.kernels.cnn_kernels` (family ``"convolution"``) run."""
        from brickwork import kernels

        return self.pool[0] * self.pool[1] <= 255 and kernels.handles("convolution", x)   # uint8 offsets

    def forward(self, x):
        xp = get_array_module(x)
        n, h, w, c = x.shape
        ho = out_length(h, self.pool[0], self.strides[0], 1, self.pads[0])
        wo = out_length(w, self.pool[1], self.strides[1], 1, self.pads[1])
        self.out_hw = (ho, wo)
        self.arg = None
        if self._use_kernel(x):            # the maxima and each window's first arg-max offset, one pass
            from brickwork.kernels.cnn_kernels import max_pool_forward

            self.x_shape = x.shape
            y, self.arg = max_pool_forward(x, self.pool, self.strides, self.pads, self.out_hw)
            return y
        x_pad = _pad_value(x, self.pads, -np.inf)
        y = None
        for _, view in _offset_views(x_pad, self.pool, self.strides, self.out_hw):
            y = x_pad[view].copy() if y is None else xp.maximum(y, x_pad[view], out=y)
        self.x_pad, self.y = x_pad, y
        return y

    def backward(self, gy):
        if self.arg is not None:
            from brickwork.kernels.cnn_kernels import max_pool_backward

            return max_pool_backward(gy, self.arg, self.x_shape, self.pool, self.strides, self.pads)
        xp = get_array_module(gy)
        gp = xp.zeros(self.x_pad.shape, gy.dtype)
        claimed = xp.zeros(self.y.shape, bool)  # windows whose arg-max already got the gradient
        first = xp.empty(self.y.shape, bool)
        tiled = self.pool == self.strides  # windows do not overlap: each cell is written once
        last = self.pool[0] * self.pool[1] - 1
        for k, view in _offset_views(gp, self.pool, self.strides, self.out_hw):
            xp.equal(self.x_pad[view], self.y, out=first)
            xp.greater(first, claimed, out=first)  # for booleans, a > b is a and not b
            if k < last:
                claimed |= first
            if tiled:
                xp.multiply(gy, first, out=gp[view])
            else:
                gp[view] += gy * first
        return crop_nhwc(gp, self.pads)


class AvgPool2D(Function):
    r"""Average pooling over each window's cells inside the input (padding is not
    counted, as Keras's ``'same'``): :math:`y = \frac{1}{|w|}\sum_{(a,b)\in w} x`,
    :math:`\bar x` receives :math:`\bar y/|w|` from every window that covers it."""

    def __init__(self, pool, strides, pads: Pads = ((0, 0), (0, 0))):
        self.pool, self.strides, self.pads = tuple(pool), tuple(strides), pads

    def forward(self, x):
        xp = get_array_module(x)
        n, h, w, c = x.shape
        x_pad = _pad_value(x, self.pads, 0.0)
        self.padded_shape = x_pad.shape
        ho = out_length(h, self.pool[0], self.strides[0], 1, self.pads[0])
        wo = out_length(w, self.pool[1], self.strides[1], 1, self.pads[1])
        ones = _pad_value(xp.ones((1, h, w, 1), x.dtype), self.pads, 0.0)
        self.count = windows(ones, self.pool, self.strides, (1, 1), (ho, wo)).sum(axis=(3, 4))  # (1,ho,wo,1)
        return windows(x_pad, self.pool, self.strides, (1, 1), (ho, wo)).sum(axis=(3, 4)) / self.count

    def backward(self, gy):
        xp = get_array_module(gy)
        n, ho, wo, c = gy.shape
        share = (gy / self.count)[:, :, :, None, None, :]
        gwin = xp.broadcast_to(share, (n, ho, wo, self.pool[0], self.pool[1], c))
        return crop_nhwc(add_windows(gwin, self.padded_shape, self.strides, (1, 1)), self.pads)


class Pad(Function):
    """Constant (zero) padding; the gradient is the matching slice."""

    def __init__(self, pad_width):
        self.pad_width = tuple(tuple(p) for p in pad_width)

    def forward(self, x):
        xp = get_array_module(x)
        self.slices = tuple(slice(a, x.shape[i] + a) for i, (a, _) in enumerate(self.pad_width))
        return xp.pad(x, self.pad_width)

    def backward(self, gy):
        return gy[self.slices]


def max_pool2d(x, pool=(2, 2), strides=None, pads: Pads = ((0, 0), (0, 0))):
    """NHWC max pooling."""
    return MaxPool2D(pool, strides or pool, pads)(x)


def avg_pool2d(x, pool=(2, 2), strides=None, pads: Pads = ((0, 0), (0, 0))):
    """NHWC average pooling (padding excluded from the averages)."""
    return AvgPool2D(pool, strides or pool, pads)(x)


def pad(x, pad_width):
    """Zero-pad with NumPy's ``pad_width`` (one ``(before, after)`` pair per axis)."""
    return Pad(pad_width)(x)

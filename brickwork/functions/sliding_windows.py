"""Sliding windows without copies: the strided views that convolution and
pooling are built on, and their adjoint (adding windows back)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from brickwork.backend import get_array_module


def out_length(length: int, kernel: int, stride: int, dilation: int, pad: tuple[int, int]) -> int:
    """Number of window positions along one axis."""
    span = (kernel - 1) * dilation + 1
    return (length + pad[0] + pad[1] - span) // stride + 1


def windows(x_pad: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
            out: tuple[int, int]) -> np.ndarray:
    """A read-only view ``(N, Ho, Wo, kh, kw, C)`` of the windows of an NHWC array.

    ``view[n, i, j, a, b, c] = x_pad[n, i*sh + a*dh, j*sw + b*dw, c]`` — no data is copied.
    """
    n, _, _, c = x_pad.shape
    s_n, s_h, s_w, s_c = x_pad.strides
    shape = (n, out[0], out[1], kernel[0], kernel[1], c)
    strides = (s_n, s_h * stride[0], s_w * stride[1], s_h * dilation[0], s_w * dilation[1], s_c)
    if type(x_pad) is np.ndarray:
        return as_strided(x_pad, shape=shape, strides=strides, writeable=False)
    return get_array_module(x_pad).lib.stride_tricks.as_strided(x_pad, shape=shape, strides=strides)


def add_windows(grad_windows: np.ndarray, padded_shape: tuple[int, ...], stride: tuple[int, int],
                dilation: tuple[int, int]) -> np.ndarray:
    """The adjoint of :func:`windows`: sum each window's values back where it was read from.

    ``grad_windows`` is ``(N, Ho, Wo, kh, kw, C)``; the loop runs over the
    ``kh * kw`` kernel offsets only, each a strided slice over all pixels at once.
    """
    xp = get_array_module(grad_windows)
    out = xp.zeros(padded_shape, dtype=grad_windows.dtype)
    _, ho, wo, kh, kw, _ = grad_windows.shape
    sh, sw = stride
    for a in range(kh):
        r0 = a * dilation[0]
        for b in range(kw):
            c0 = b * dilation[1]
            out[:, r0:r0 + sh * (ho - 1) + 1:sh, c0:c0 + sw * (wo - 1) + 1:sw, :] += grad_windows[:, :, :, a, b, :]
    return out


def pad_nhwc(x: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]]) -> np.ndarray:
    xp = get_array_module(x)
    if not any(pads[0]) and not any(pads[1]):
        return x
    return xp.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))


def crop_nhwc(x: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]]) -> np.ndarray:
    (t, b), (left, r) = pads
    return x[:, t:x.shape[1] - b, left:x.shape[2] - r, :]

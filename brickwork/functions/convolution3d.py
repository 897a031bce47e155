r"""3-D convolution (``NDHWC``, Keras kernel layout) as one im2col GEMM, and the
rank-generic sliding-window helpers it and 3-D pooling are built on.

The helpers work for any number of spatial axes of a channels-last array
``(N, *spatial, C)``: :func:`windows_nd` is a strided view of every window (no
copy) and :func:`offset_slices` gives, for each kernel offset, the strided slice
of the padded input that offset reads over all output positions at once — so
every loop here runs over kernel offsets, never over pixels.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import as_strided

from brickwork.engine.device import get_array_module
from brickwork.engine.function import Function

Pads = tuple[tuple[int, int], ...]


def output_size(length: int, kernel: int, stride: int, dilation: int, pad: tuple[int, int]) -> int:
    """Number of window positions along one padded axis."""
    span = (kernel - 1) * dilation + 1
    return (length + pad[0] + pad[1] - span) // stride + 1


def windows_nd(padded: np.ndarray, kernel: tuple[int, ...], strides: tuple[int, ...], dilation: tuple[int, ...],
               out: tuple[int, ...]) -> np.ndarray:
    """A read-only view ``(N, *out, *kernel, C)`` of the windows of a channels-last array:
    ``view[n, i.., a.., c] = padded[n, i*s + a*d .., c]``."""
    s = padded.strides
    spatial = s[1:-1]
    shape = (padded.shape[0],) + tuple(out) + tuple(kernel) + (padded.shape[-1],)
    strides_ = (s[0],) + tuple(st * k for st, k in zip(spatial, strides)) + \
        tuple(st * d for st, d in zip(spatial, dilation)) + (s[-1],)
    if type(padded) is np.ndarray:
        return as_strided(padded, shape=shape, strides=strides_, writeable=False)
    return get_array_module(padded).lib.stride_tricks.as_strided(padded, shape=shape, strides=strides_)


def offset_slices(kernel: tuple[int, ...], strides: tuple[int, ...], dilation: tuple[int, ...],
                  out: tuple[int, ...]) -> Iterator[tuple[int, tuple[slice, ...]]]:
    """For each kernel offset (flat index ``k``), the slice of the padded input it reads
    at every output position: ``xp[:, a*d : a*d + s*(o-1) + 1 : s, ..., :]``."""
    for k, offset in enumerate(np.ndindex(*kernel)):
        index = tuple(slice(a * d, a * d + s * (o - 1) + 1, s) for a, s, d, o in zip(offset, strides, dilation, out))
        yield k, (slice(None),) + index + (slice(None),)


def pad_spatial(x: np.ndarray, pads: Pads, value: float = 0.0) -> np.ndarray:
    """Pad the spatial axes of a channels-last array with ``value``."""
    if not any(p for pair in pads for p in pair):
        return x
    return get_array_module(x).pad(x, ((0, 0),) + tuple(pads) + ((0, 0),), constant_values=value)


def crop_spatial(x: np.ndarray, pads: Pads) -> np.ndarray:
    """The inverse of :func:`pad_spatial`: drop the padded cells."""
    index = tuple(slice(a, n - b) for (a, b), n in zip(pads, x.shape[1:-1]))
    return x[(slice(None),) + index + (slice(None),)]


class Conv3D(Function):
    r"""3-D cross-correlation over a zero-padded ``(N, D, H, W, C)`` volume:

    .. math:: y_{n,i,j,l,o} = b_o + \sum_{a,b,e,c}
              x_{n,\,i s_1 + a d_1,\,j s_2 + b d_2,\,l s_3 + e d_3,\,c}\; W_{a,b,e,c,o}

    ``W`` is Keras's ``(kd, kh, kw, in_channels / groups, filters)``. The windows are
    copied once into ``cols`` of shape ``(M, K·C)`` (``M = N·Do·Ho·Wo`` output positions,
    ``K = kd·kh·kw`` offsets), so the forward is the GEMM ``cols @ W`` per group and the
    backward is two more:

    .. math:: \bar W = \mathrm{cols}^\top \bar Y, \qquad
              \overline{\mathrm{cols}} = \bar Y W^\top, \qquad \bar b = \textstyle\sum_M \bar Y

    and :math:`\bar x` adds :math:`\overline{\mathrm{cols}}` for each kernel offset back into
    the strided slice of the padded input it was read from (col2im), then drops the padding.
    """

    def __init__(self, strides=(1, 1, 1), pads: Pads = ((0, 0),) * 3, dilation=(1, 1, 1), groups: int = 1):
        self.strides, self.pads, self.dilation = tuple(strides), tuple(pads), tuple(dilation)
        self.groups = int(groups)

    def forward(self, x, w, b=None):
        kernel, cg, o = w.shape[:3], w.shape[3], w.shape[4]
        c, g = x.shape[-1], self.groups
        if x.ndim != 5 or c != cg * g or o % g:
            raise ValueError(f"conv3d: input of shape {x.shape} and kernel {w.shape} do not match: the input must "
                             f"be (N, D, H, W, C) with C = {cg} x groups ({g}) and the filters split into groups.")
        padded = pad_spatial(x, self.pads)
        out = tuple(output_size(n, k, s, d, p)
                    for n, k, s, d, p in zip(x.shape[1:4], kernel, self.strides, self.dilation, self.pads))
        if min(out) <= 0:
            raise ValueError(f"conv3d: the {kernel} kernel (dilation {self.dilation}) does not fit the padded "
                             f"input of shape {padded.shape}.")
        self.x_shape, self.padded_shape, self.out, self.w = x.shape, padded.shape, out, w
        k = int(np.prod(kernel))
        m = x.shape[0] * int(np.prod(out))
        windows = windows_nd(padded, kernel, self.strides, self.dilation, out)
        cols = get_array_module(x).ascontiguousarray(windows).reshape(m, k, c)
        self.cols = cols
        if g == 1:
            y = cols.reshape(m, k * c) @ w.reshape(k * c, o)
        else:
            og = o // g
            a = cols.reshape(m, k, g, cg).transpose(2, 0, 1, 3).reshape(g, m, k * cg)
            bw = w.reshape(k * cg, g, og).transpose(1, 0, 2)
            y = (a @ bw).transpose(1, 0, 2).reshape(m, o)
        if b is not None:
            y += b
        return y.reshape((x.shape[0],) + out + (o,))

    def backward(self, gy):
        w, g, cols = self.w, self.groups, self.cols
        kernel, cg, o = w.shape[:3], w.shape[3], w.shape[4]
        m, k, c = cols.shape
        og = o // g
        g2 = gy.reshape(m, o)
        gx = gw = gb = None
        if self.needs_input_grad[1]:
            if g == 1:
                gw = (cols.reshape(m, k * c).T @ g2).reshape(w.shape)
            else:
                a = cols.reshape(m, k, g, cg).transpose(2, 1, 3, 0).reshape(g, k * cg, m)
                bg = g2.reshape(m, g, og).transpose(1, 0, 2)
                gw = (a @ bg).reshape(g, k, cg, og).transpose(1, 2, 0, 3).reshape(w.shape)
        if self.needs_input_grad[0]:
            # per offset k: (M, O) @ (O, C) -> the gradient of the input cells that offset read
            wk = w.reshape(k, cg, g, og).transpose(0, 2, 3, 1)                        # (K, g, og, cg)
            gg = g2.reshape(m, g, og).transpose(1, 0, 2)                              # (g, M, og)
            xp = get_array_module(gy)
            per_offset = xp.matmul(gg[None], wk).transpose(0, 2, 1, 3).reshape(k, m, c)   # (K, M, C)
            gxp = xp.zeros(self.padded_shape, gy.dtype)
            block = (self.x_shape[0],) + self.out + (c,)
            for i, index in offset_slices(kernel, self.strides, self.dilation, self.out):
                gxp[index] += per_offset[i].reshape(block)
            gx = crop_spatial(gxp, self.pads)
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = g2.sum(axis=0)
        return (gx, gw, gb) if len(self.needs_input_grad) == 3 else (gx, gw)


def conv3d(x, w, b=None, strides=(1, 1, 1), pads: Pads = ((0, 0),) * 3, dilation=(1, 1, 1), groups: int = 1):
    """``NDHWC`` 3-D convolution with explicit zero padding ``((front, back), (top, bottom), (left, right))``."""
    fn = Conv3D(strides, pads, dilation, groups)
    return fn(x, w) if b is None else fn(x, w, b)

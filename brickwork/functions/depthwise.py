r"""Depthwise convolution (NHWC): each channel convolved with its own filters, as shifted multiply-adds.

A depthwise convolution (a grouped convolution with ``groups = channels``) is
not a matrix product: output channel :math:`(c, m)` only ever reads input
channel :math:`c`. Im2col + GEMM would copy :math:`k_h k_w` times the input to
feed products whose inner dimension is :math:`k_h k_w` (9 for a 3×3 kernel), so
here the convolution is written the way it is defined — a sum over the
:math:`k_h k_w` kernel offsets of a shifted (strided) view of the padded input
times one weight per channel, every term a vectorised multiply-add over all
pixels and channels at once. Work and memory are those of :math:`k_h k_w`
element-wise passes; nothing is copied but the padding.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from brickwork.backend import get_array_module
from brickwork.engine.function import Function
from brickwork.functions.sliding_windows import crop_nhwc, out_length, pad_nhwc

Pads = tuple[tuple[int, int], tuple[int, int]]

_TILE_ELEMENTS = 1 << 18      # about 1 MiB of float32 per tile: the working set stays in cache


class DepthwiseConv2D(Function):
    r"""Depthwise 2-D cross-correlation, NHWC, ``depth_multiplier`` filters per channel.

    With the input zero-padded to :math:`x`, strides :math:`s`, dilation :math:`d` and the
    kernel :math:`W` of Keras's ``DepthwiseConv2D`` layout ``(kh, kw, C, M)``:

    .. math:: y_{n,i,j,(c,m)} = b_{(c,m)} + \sum_{a,b} x_{n,\,i s_h + a d_h,\,j s_w + b d_w,\,c}\; W_{a,b,c,m}

    with output channel :math:`(c, m)` at index :math:`c M + m` (the order of a grouped
    convolution with ``groups = C``, whose kernel ``(kh, kw, 1, C M)`` is accepted too).
    For each offset :math:`(a, b)`, :math:`x_{n,\,i s_h + a d_h,\,j s_w + b d_w,\,c}` over all
    :math:`(n, i, j, c)` is one strided view :math:`X^{(a,b)}` of the padded input, so

    .. math:: y = b + \sum_{a,b} X^{(a,b)} \odot W_{a,b}

    is :math:`k_h k_w` multiply-adds of whole arrays. The backward, with :math:`\bar y` the
    output gradient in the same ``(N, Ho, Wo, C)`` layout per multiplier :math:`m`:

    .. math::
        \bar W_{a,b,c,m} = \sum_{n,i,j} X^{(a,b)}_{n,i,j,c}\, \bar y_{n,i,j,(c,m)}, \qquad
        \bar x \mathrel{+}= \text{scatter}_{(a,b)}\bigl(\textstyle\sum_m \bar y_{\cdot,(c,m)} W_{a,b,c,m}\bigr),
        \qquad \bar b = \sum_{n,i,j} \bar y

    where the scatter adds the product into the same strided window :math:`X^{(a,b)}` of the
    padded input gradient that the forward read (no col2im buffer), which is then cropped.

    The loops run over tiles of a few images (about a MiB each), so the view, the weights
    and the output of every multiply-add stay in cache; the weights are laid out across the
    output width, so with unit width stride each multiply-add runs over one contiguous row
    of ``Wo * C`` values. ``relu=True`` fuses :math:`\max(y, 0)` as in
    :class:`~brickwork.functions.convolution.Conv2D`.
    """

    fresh_gradients = True      # backward allocates what it returns (the NumPy path's input gradient is a view)

    def __init__(self, strides=(1, 1), pads: Pads = ((0, 0), (0, 0)), dilation=(1, 1), relu: bool = False):
        self.strides, self.pads, self.dilation, self.relu = tuple(strides), pads, tuple(dilation), relu

    # -- geometry -------------------------------------------------------------------------------------------

    def _window(self, a: int, b: int, images: slice) -> tuple:
        """The index of the strided window of the padded input read by kernel offset ``(a, b)``."""
        (sh, sw), (dh, dw), (ho, wo) = self.strides, self.dilation, self.out_hw
        return (images, slice(a * dh, a * dh + sh * (ho - 1) + 1, sh),
                slice(b * dw, b * dw + sw * (wo - 1) + 1, sw), slice(None))

    def _tiles(self, n: int) -> Iterator[slice]:
        """Slices of whole images of about ``_TILE_ELEMENTS`` output values each."""
        ho, wo = self.out_hw
        step = max(1, _TILE_ELEMENTS // max(1, ho * wo * self.channels))
        for start in range(0, n, step):
            yield slice(start, min(n, start + step))

    def _spread(self, w4: np.ndarray) -> np.ndarray:
        """``(M, kh, kw, Wo, C)``: each offset's weights repeated across the output width (contiguous)."""
        xp = get_array_module(w4)
        kh, kw, c, m = w4.shape
        spread = xp.broadcast_to(w4.transpose(3, 0, 1, 2)[:, :, :, None, :], (m, kh, kw, self.out_hw[1], c))
        return xp.ascontiguousarray(spread)

    # -- passes ---------------------------------------------------------------------------------------------

    def _use_kernel(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> bool:
        """Whether the compiled kernels (:mod:`brickwork.kernels`, family ``"convolution"``) run this call."""
        from brickwork import kernels

        return kernels.handles("convolution", x, w, b)

    def forward(self, x, w, b=None):
        xp = get_array_module(x)
        n, h, wd, c = x.shape
        if w.ndim != 4 or not (w.shape[2] == c or (w.shape[2] == 1 and w.shape[3] % c == 0)):
            raise ValueError(f"depthwise_conv2d: input has {c} channels and the kernel has shape {tuple(w.shape)}; "
                             f"expected (kh, kw, {c}, depth_multiplier) or (kh, kw, 1, {c} * depth_multiplier).")
        kh, kw = w.shape[:2]
        m = w.shape[3] if w.shape[2] == c else w.shape[3] // c
        self.w_shape, self.channels, self.multiplier = w.shape, c, m
        self.w4 = w4 = w.reshape(kh, kw, c, m)
        ho = out_length(h, kh, self.strides[0], self.dilation[0], self.pads[0])
        wo = out_length(wd, kw, self.strides[1], self.dilation[1], self.pads[1])
        if ho <= 0 or wo <= 0:
            raise ValueError(f"depthwise_conv2d: the {kh}x{kw} kernel (dilation {self.dilation}) does not fit the "
                             f"input of shape {tuple(x.shape)} padded by {self.pads}.")
        self.out_hw = (ho, wo)
        self.compiled = self._use_kernel(x, w, b)
        if self.compiled:                      # brickwork[fast]: one loop over the output rows, padding skipped
            from brickwork.kernels.conv_kernels import depthwise_forward

            self.x = x
            y = depthwise_forward(x, w4, b, self.strides, self.pads, self.dilation, (ho, wo), self.relu)
        else:
            self.x_pad = pad_nhwc(x, self.pads)
            y = self._forward_numpy(self.x_pad, w4)
            if b is not None:            # the bias repeated across the width: one contiguous pass
                y.reshape(n * ho, wo * c * m)[...] += xp.tile(b, wo)
            if self.relu:
                xp.maximum(y, 0, out=y)
        if self.relu:
            self.y = y
        return y

    def _forward_numpy(self, x_pad: np.ndarray, w4: np.ndarray) -> np.ndarray:
        """The reference: per tile and multiplier, ``y = Σ_ab X^(a,b) ⊙ W_ab``, one multiply-add per offset."""
        xp = get_array_module(x_pad)
        kh, kw, c, m = w4.shape
        n, (ho, wo) = x_pad.shape[0], self.out_hw
        self.spread = spread = self._spread(w4)
        y = xp.empty((m, n, ho, wo, c), dtype=xp.result_type(x_pad.dtype, w4.dtype))
        tmp = None
        for images in self._tiles(n):
            for mi in range(m):
                out = y[mi, images]
                for a in range(kh):
                    for bb in range(kw):
                        view = x_pad[self._window(a, bb, images)]
                        if a == 0 and bb == 0:
                            xp.multiply(view, spread[mi, a, bb], out=out)
                            continue
                        if tmp is None or tmp.shape != out.shape:
                            tmp = xp.empty_like(out)
                        xp.multiply(view, spread[mi, a, bb], out=tmp)
                        out += tmp
        return y[0] if m == 1 else y.transpose(1, 2, 3, 4, 0).reshape(n, ho, wo, c * m)

    def backward(self, gy):
        n, ho, wo, cm = gy.shape
        if self.relu:
            gy = gy * (self.y > 0)
        want_x, want_w = self.needs_input_grad[0], self.needs_input_grad[1]
        want_b = len(self.needs_input_grad) == 3 and self.needs_input_grad[2]
        if self.compiled:                # the bias gradient summed in the kernel-gradient pass
            from brickwork.kernels.conv_kernels import depthwise_backward

            gx, gw4, gb = depthwise_backward(self.x, self.w4, gy, self.strides, self.pads, self.dilation, want_x,
                                             want_w, want_b)
        else:
            gx_pad, gw4 = self._backward_numpy(gy, want_x, want_w)
            gx = crop_nhwc(gx_pad, self.pads) if want_x else None
            gb = gy.reshape(n * ho, wo * cm).sum(axis=0).reshape(wo, cm).sum(axis=0) if want_b else None
        gw = gw4.reshape(self.w_shape) if want_w else None
        if len(self.needs_input_grad) == 2:
            return gx, gw
        return gx, gw, gb

    def _backward_numpy(self, gy: np.ndarray, want_x: bool, want_w: bool) -> tuple:
        """The reference: per tile, multiplier and offset, ``W̄_ab += Σ X^(a,b) ⊙ ȳ`` (an einsum over the
        rows, summed over the width at the end) and ``x̄[window] += ȳ ⊙ W_ab``."""
        xp = get_array_module(gy)
        n, ho, wo, _ = gy.shape
        kh, kw, c, m = self.w4.shape
        per_m = gy[None] if m == 1 else xp.ascontiguousarray(gy.reshape(n, ho, wo, c, m).transpose(4, 0, 1, 2, 3))
        gx_pad = xp.zeros(self.x_pad.shape, gy.dtype) if want_x else None
        gw_rows = xp.zeros((m, kh, kw, wo * c), gy.dtype) if want_w else None
        tmp = None
        for images in self._tiles(n):
            for mi in range(m):
                g = per_m[mi, images]
                g_rows = g.reshape(-1, wo * c)
                for a in range(kh):
                    for bb in range(kw):
                        window = self._window(a, bb, images)
                        if want_w:
                            gw_rows[mi, a, bb] += xp.einsum("ij,ij->j", self.x_pad[window].reshape(-1, wo * c),
                                                            g_rows)
                        if want_x:
                            if tmp is None or tmp.shape != g.shape:
                                tmp = xp.empty_like(g)
                            xp.multiply(g, self.spread[mi, a, bb], out=tmp)
                            gx_pad[window] += tmp
        gw4 = gw_rows.reshape(m, kh, kw, wo, c).sum(axis=3).transpose(1, 2, 3, 0) if want_w else None
        return gx_pad, gw4


def depthwise_conv2d(x, w, b=None, strides=(1, 1), pads: Pads = ((0, 0), (0, 0)), dilation=(1, 1),
                     relu: bool = False):
    """NHWC depthwise convolution with explicit zero padding ``((top, bottom), (left, right))``.

    ``w`` is ``(kh, kw, C, depth_multiplier)`` (Keras's ``DepthwiseConv2D`` kernel) or the
    grouped-convolution layout ``(kh, kw, 1, C * depth_multiplier)``; the output has
    ``C * depth_multiplier`` channels, channel ``c * depth_multiplier + m`` from filter ``m``
    of input channel ``c``. ``relu=True`` applies a fused ReLU.
    """
    fn = DepthwiseConv2D(strides, pads, dilation, relu)
    return fn(x, w) if b is None else fn(x, w, b)

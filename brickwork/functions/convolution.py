"""Convolution and transposed convolution (NHWC, Keras kernel layouts) as a few large GEMMs."""

from __future__ import annotations

import numpy as np

from brickwork.backend import get_array_module
from brickwork.engine.function import Function
from brickwork.functions.depthwise import DepthwiseConv2D
from brickwork.functions.sliding_windows import add_windows, crop_nhwc, out_length, pad_nhwc, windows

Pads = tuple[tuple[int, int], tuple[int, int]]


def _group_weights(w: np.ndarray, groups: int) -> np.ndarray:
    """``(g, K * cg, og)``: the kernel ``(kh, kw, cg, g * og)`` split by group along its filters."""
    kh, kw, cg, o = w.shape
    return w.reshape(kh * kw * cg, groups, o // groups).transpose(1, 0, 2)


def _columns_t(x: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int], dilation: tuple[int, int],
               pads: Pads, out_hw: tuple[int, int]) -> np.ndarray:
    """The im2col matrix transposed, ``(kh kw C, N Ho Wo)`` C-contiguous: row ``(a, b, c)`` holds
    ``x[n, i s_h + a d_h, j s_w + b d_w, c]`` for every output pixel. Built by ``kh kw`` strided copies of
    whole shifted images, it is far cheaper than the window-by-window copy when a window row holds only a
    few values (one or three input channels); ``cols_t.T @ W`` and ``cols_t @ g`` run as fast as the
    products with the untransposed matrix."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, strides, dilation, out_hw
    n, _, _, c = x.shape
    x_pad = pad_nhwc(x, pads)
    cols_t = np.empty((kh, kw, c, n, ho, wo), x.dtype)
    for a in range(kh):
        for b in range(kw):
            shifted = x_pad[:, a * dh:a * dh + sh * (ho - 1) + 1:sh, b * dw:b * dw + sw * (wo - 1) + 1:sw, :]
            cols_t[a, b] = shifted.transpose(3, 0, 1, 2)
    return cols_t.reshape(kh * kw * c, n * ho * wo)


class Conv2D(Function):
    r"""2-D cross-correlation (what deep-learning libraries call convolution), NHWC.

    .. math:: y_{n,i,j,o} = b_o + \sum_{a,b,c} x_{n,\,i s_h + a d_h,\,j s_w + b d_w,\,c}\; W_{a,b,c,o}

    over the zero-padded input. The windows of :math:`x` are gathered into a
    matrix (im2col, a strided view copied once) so the forward is one GEMM
    ``cols @ W``; the backward is two more:
    :math:`\bar W = \mathrm{cols}^\top \bar Y`, :math:`\overline{\mathrm{cols}} = \bar Y W^\top`,
    and :math:`\bar x` adds each window of :math:`\overline{\mathrm{cols}}` back where it
    was read (col2im, a loop over the :math:`k_h k_w` kernel offsets only).

    ``W`` is Keras's ``(kh, kw, in_channels / groups, filters)``; with
    ``groups > 1`` channels are split into groups convolved separately
    (depthwise convolution is ``groups = in_channels``).

    ``relu=True`` fuses :math:`\max(y, 0)` into the node (the common
    ``Conv2D(..., activation='relu')``): the output is rectified in place and
    the backward masks :math:`\bar y` with :math:`y > 0` before the GEMMs.

    With the compiled kernels (``groups=1``) the same products run a block of images at a time
    (:func:`~brickwork.kernels.cnn_kernels.conv_forward`, ``mode`` ``"blocks"``), from the transposed
    column matrix when a window row holds fewer than 16 values (``"transposed"``: a first layer on
    one- or three-channel images), or from the input itself for a 1x1 kernel of stride 1 without padding
    (``"pointwise"``).
    """

    def __init__(self, strides=(1, 1), pads: Pads = ((0, 0), (0, 0)), dilation=(1, 1), groups=1, relu=False):
        self.strides, self.pads, self.dilation, self.groups = tuple(strides), pads, tuple(dilation), groups
        self.relu = relu

    def _use_kernel(self, x, w, b) -> bool:
        """Whether the compiled loops of :mod:`brickwork.kernels.cnn_kernels` (family ``"convolution"``)
        run this call: ungrouped, NumPy arrays of one float dtype, kernels enabled."""
        from brickwork import kernels

        return self.groups == 1 and kernels.handles("convolution", x, w, b)

    def forward(self, x, w, b=None):
        xp = get_array_module(x)
        kh, kw, cg, o = w.shape
        n, h, wd, c = x.shape
        if c != cg * self.groups or o % self.groups:
            raise ValueError(f"conv2d: input has {c} channels and the kernel {w.shape}; with groups={self.groups} "
                             "both the input channels and the filters must split evenly into the groups.")
        self.x_shape, self.w = x.shape, w
        (pt, pb), (pl, pr) = self.pads
        self.padded_shape = (n, h + pt + pb, wd + pl + pr, c)
        ho = out_length(h, kh, self.strides[0], self.dilation[0], self.pads[0])
        wo = out_length(wd, kw, self.strides[1], self.dilation[1], self.pads[1])
        if ho <= 0 or wo <= 0:
            raise ValueError(f"conv2d: the {kh}x{kw} kernel (dilation {self.dilation}) does not fit the padded "
                             f"input of shape {self.padded_shape}.")
        self.out_hw = (ho, wo)
        self.kernel = self._use_kernel(x, w, b)
        g = self.groups
        if self.kernel:
            from brickwork.kernels import cnn_kernels

            if kh == kw == 1 and self.strides == (1, 1) and not any(self.pads[0] + self.pads[1]):
                self.mode = "pointwise"          # the columns are the input itself
                self.src = xp.ascontiguousarray(x).reshape(n * h * wd, c)
            elif kw * c < 16:                    # a few values per window row (the first layer's C_in = 1 or 3):
                self.mode = "transposed"         # the transposed columns, from kh kw whole-image strided copies
                self.src = _columns_t(x, (kh, kw), self.strides, self.dilation, self.pads, (ho, wo))
            else:                                # the columns copied block by block from the input
                self.mode = "blocks"
                self.src = xp.ascontiguousarray(x)
            self.geometry = ((kh, kw), self.strides, self.dilation, self.pads, (ho, wo))
            y = cnn_kernels.conv_forward(self.src, self.mode, w.reshape(kh * kw * cg, o), b, self.relu, n,
                                         self.geometry)
            if self.relu:
                self.y = y
            return y.reshape(n, ho, wo, o)
        view = windows(pad_nhwc(x, self.pads), (kh, kw), self.strides, self.dilation, (ho, wo))
        if g == 1:
            self.cols = xp.ascontiguousarray(view).reshape(n * ho * wo, kh * kw * c)
            y = self.cols @ w.reshape(kh * kw * cg, o)
        else:                # group-major columns (g, M, K cg), copied once, and one batched matmul
            self.cols = xp.ascontiguousarray(view.reshape(n, ho, wo, kh, kw, g, cg).transpose(5, 0, 1, 2, 3, 4, 6))
            self.cols = self.cols.reshape(g, n * ho * wo, kh * kw * cg)
            y = (self.cols @ _group_weights(w, g)).transpose(1, 0, 2).reshape(n * ho * wo, o)
        if b is not None:
            y += b
        if self.relu:
            xp.maximum(y, 0, out=y)
            self.y = y
        return y.reshape(n, ho, wo, o)

    def _backward_kernel(self, gy):
        """The backward with the compiled loops, block by block (:func:`~brickwork.kernels.cnn_kernels.conv_backward`):
        ReLU mask and bias gradient in one pass, the weight gradient from the columns, the input gradient by
        col2im straight into its unpadded array — each block while it is in cache."""
        from brickwork.kernels import cnn_kernels

        kh, kw, cg, o = self.w.shape
        n, ho, wo, _ = gy.shape
        wants = (self.needs_input_grad[0], self.needs_input_grad[1],
                 len(self.needs_input_grad) == 3 and self.needs_input_grad[2])
        gx, gw, gb = cnn_kernels.conv_backward(self.src, self.mode, gy.reshape(n * ho * wo, o),
                                               self.y if self.relu else None, self.w.reshape(kh * kw * cg, o),
                                               wants, self.x_shape, self.geometry)
        if gw is not None:
            gw = gw.reshape(self.w.shape)
        return (gx, gw, gb) if len(self.needs_input_grad) == 3 else (gx, gw)

    def backward(self, gy):
        if self.kernel:
            return self._backward_kernel(gy)
        xp = get_array_module(gy)
        kh, kw, cg, o = self.w.shape
        n, ho, wo, _ = gy.shape
        g2 = gy.reshape(n * ho * wo, o)
        if self.relu:
            g2 = g2 * (self.y > 0)
        g = self.groups
        gx = gw = gb = None
        og = o // g
        gg = None if g == 1 else g2.reshape(-1, g, og).transpose(1, 0, 2)       # (g, M, og), a strided view
        if self.needs_input_grad[1]:
            if g == 1:
                gw = (self.cols.T @ g2).reshape(self.w.shape)
            else:                                                              # (g, K cg, og) per group
                gw = (self.cols.transpose(0, 2, 1) @ gg).transpose(1, 0, 2).reshape(self.w.shape)
        pointwise = kh == kw == 1 and self.strides == (1, 1) and not any(self.pads[0] + self.pads[1])
        if self.needs_input_grad[0] and g == 1 and pointwise:
            gx = (g2 @ self.w.reshape(cg, o).T).reshape(self.x_shape)      # 1x1: the input gradient is one GEMM
        elif self.needs_input_grad[0] and g == 1:
            # one (M, O) @ (O, C) product per kernel offset, each landing contiguous, then added
            # into its shifted window of the padded input gradient (col2im with contiguous reads)
            per_offset = xp.matmul(g2[None], self.w.reshape(kh * kw, cg, o).transpose(0, 2, 1))
            gxp = xp.zeros(self.padded_shape, gy.dtype)
            (sh, sw), (dh, dw) = self.strides, self.dilation
            for k in range(kh * kw):
                a, b = divmod(k, kw)
                gxp[:, a * dh:a * dh + sh * (ho - 1) + 1:sh, b * dw:b * dw + sw * (wo - 1) + 1:sw, :] += \
                    per_offset[k].reshape(n, ho, wo, cg)
            gx = crop_nhwc(gxp, self.pads)
        elif self.needs_input_grad[0]:
            # per kernel offset, one batched (g, M, og) @ (g, og, cg) product, each group's result added
            # into its channels of the offset's shifted window of the padded input gradient
            wk = _group_weights(self.w, g).reshape(g, kh * kw, cg, og).transpose(1, 0, 3, 2)   # (K, g, og, cg)
            gxp = xp.zeros(self.padded_shape, gy.dtype)
            (sh, sw), (dh, dw) = self.strides, self.dilation
            for k in range(kh * kw):
                a, b = divmod(k, kw)
                prod = xp.matmul(gg, wk[k])                                    # (g, M, cg)
                rows = slice(a * dh, a * dh + sh * (ho - 1) + 1, sh)
                cols = slice(b * dw, b * dw + sw * (wo - 1) + 1, sw)
                for gi in range(g):
                    gxp[:, rows, cols, gi * cg:(gi + 1) * cg] += prod[gi].reshape(n, ho, wo, cg)
            gx = crop_nhwc(gxp, self.pads)
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = g2.sum(axis=0)
        return (gx, gw, gb) if len(self.needs_input_grad) == 3 else (gx, gw)


class Conv2DTranspose(Function):
    r"""Transposed convolution: the adjoint (gradient) of :class:`Conv2D` with respect to its input.

    Each input pixel scatters ``x[n,i,j,:] @ W[a,b,:,:]^T`` into the output at
    ``(i s_h + a d_h, j s_w + b d_w)``; one GEMM forms all contributions and
    col2im adds them up. The full output is then cropped by ``crop`` at the
    start and cut (or zero-extended) to ``out_hw``. ``W`` is Keras's
    ``(kh, kw, filters, in_channels)``. The backward is a convolution of
    :math:`\bar y` (im2col + GEMM) and :math:`\bar W = \mathrm{cols}(\bar y)^\top x`.
    """

    def __init__(self, strides, dilation, crop: tuple[int, int], out_hw: tuple[int, int]):
        self.strides, self.dilation, self.crop, self.out_hw = tuple(strides), tuple(dilation), crop, out_hw

    def forward(self, x, w, b=None):
        kh, kw, o, c = w.shape
        n, h, wd, _ = x.shape
        self.x, self.w = x, w
        full = ((h - 1) * self.strides[0] + (kh - 1) * self.dilation[0] + 1,
                (wd - 1) * self.strides[1] + (kw - 1) * self.dilation[1] + 1)
        self.full = full
        cols = (x.reshape(n * h * wd, c) @ w.reshape(kh * kw * o, c).T).reshape(n, h, wd, kh, kw, o)
        y_full = add_windows(cols, (n, full[0], full[1], o), self.strides, self.dilation)
        y = self._fit(y_full)
        if b is not None:
            y += b
        return y

    def _fit(self, y_full: np.ndarray) -> np.ndarray:
        """Crop the start and cut or zero-extend the end to ``out_hw``."""
        xp = get_array_module(y_full)
        n, fh, fw, o = y_full.shape
        oh, ow = self.out_hw
        ch, cw = self.crop
        y = xp.zeros((n, oh, ow, o), y_full.dtype)
        hh, ww = min(oh, fh - ch), min(ow, fw - cw)
        y[:, :hh, :ww, :] = y_full[:, ch:ch + hh, cw:cw + ww, :]
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        kh, kw, o, c = self.w.shape
        n, h, wd, _ = self.x.shape
        fh, fw = self.full
        ch, cw = self.crop
        g_full = xp.zeros((n, fh, fw, o), gy.dtype)
        hh, ww = min(self.out_hw[0], fh - ch), min(self.out_hw[1], fw - cw)
        g_full[:, ch:ch + hh, cw:cw + ww, :] = gy[:, :hh, :ww, :]
        gcols = xp.ascontiguousarray(windows(g_full, (kh, kw), self.strides, self.dilation, (h, wd))).reshape(
            n * h * wd, kh * kw * o)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = (gcols @ self.w.reshape(kh * kw * o, c)).reshape(self.x.shape)
        if self.needs_input_grad[1]:
            gw = (gcols.T @ self.x.reshape(n * h * wd, c)).reshape(self.w.shape)
        if len(self.needs_input_grad) == 3 and self.needs_input_grad[2]:
            gb = gy.sum(axis=(0, 1, 2))
        return (gx, gw, gb) if len(self.needs_input_grad) == 3 else (gx, gw)


def conv2d(x, w, b=None, strides=(1, 1), pads: Pads = ((0, 0), (0, 0)), dilation=(1, 1), groups=1, relu=False):
    """NHWC convolution with explicit zero padding ``((top, bottom), (left, right))``;
    ``relu=True`` applies a fused ReLU.

    A depthwise convolution (``groups`` equal to the input channels, kernel ``(kh, kw, 1, filters)``)
    runs as :class:`~brickwork.functions.depthwise.DepthwiseConv2D` (shifted multiply-adds, no GEMM)."""
    if groups > 1 and w.shape[2] == 1 and x.shape[-1] == groups:
        fn = DepthwiseConv2D(strides, pads, dilation, relu)
        return fn(x, w) if b is None else fn(x, w, b)
    fn = Conv2D(strides, pads, dilation, groups, relu)
    return fn(x, w) if b is None else fn(x, w, b)


def conv2d_transpose(x, w, b=None, strides=(1, 1), dilation=(1, 1), crop=(0, 0), out_hw=None):
    """NHWC transposed convolution; ``out_hw`` defaults to the full output size."""
    if out_hw is None:
        kh, kw = w.shape[:2]
        out_hw = ((x.shape[1] - 1) * strides[0] + (kh - 1) * dilation[0] + 1 - crop[0],
                  (x.shape[2] - 1) * strides[1] + (kw - 1) * dilation[1] + 1 - crop[1])
    fn = Conv2DTranspose(strides, dilation, tuple(crop), tuple(out_hw))
    return fn(x, w) if b is None else fn(x, w, b)

"""Compiled depthwise convolution (numba): forward and backward in one loop over the output pixels each.

The NumPy reference, :class:`~brickwork.functions.depthwise.DepthwiseConv2D`, makes
one pass over memory per kernel offset and operation (a multiply, then an add); the
kernels below visit each output pixel once and do all :math:`k_h k_w` multiply-adds
for its channels while the input rows it reads are in cache — the same sums
(formulas in that class's docstring), in a different order of addition.

Layouts: ``x (N, H, W, C)``, ``w (kh, kw, C, M)``, output and output gradient
``(N, Ho, Wo, C * M)`` with channel ``c * M + m``; the zero padding ``(top, left)``
is never materialised — taps that fall in it are skipped — so the input gradient
comes out unpadded too. The bias is added as each output pixel is started. NumPy
arrays of float32 or float64, C-contiguous; the weight gradient is summed in float64.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_OPTIONS = dict(cache=True, fastmath=False, nogil=True)


@njit(**_OPTIONS)
def _forward(x, w, bias, sh, sw, dh, dw, pt, pl, y):  # pragma: no cover - compiled
    """Any case: ``y[n, i, j, c M + m] = bias + Σ_ab x[n, i sh + a dh - pt, j sw + b dw - pl, c] w[a, b, c, m]``."""
    n_img, ho, wo, _ = y.shape
    _, h, wd, c_in = x.shape
    kh, kw, _, mult = w.shape
    for n in range(n_img):
        for i in range(ho):
            for j in range(wo):
                out = y[n, i, j]
                out[:] = bias
                for a in range(kh):
                    r = i * sh + a * dh - pt
                    if r < 0 or r >= h:
                        continue
                    for b in range(kw):
                        col = j * sw + b * dw - pl
                        if col < 0 or col >= wd:
                            continue
                        pix = x[n, r, col]
                        wab = w[a, b]
                        for c in range(c_in):
                            v = pix[c]
                            for m in range(mult):
                                out[c * mult + m] += v * wab[c, m]


@njit(**_OPTIONS)
def _backward(x, w, gy, sh, sw, dh, dw, pt, pl, want_x, want_w, gx, gw):  # pragma: no cover - compiled
    """Any case: ``gx`` (zeros on entry) gets ``Σ_m gy[..., c M + m] w[a, b, c, m]`` at every tap that
    read ``x``, ``gw`` (float64, zeros on entry) the products ``x[tap] gy``."""
    n_img, ho, wo, _ = gy.shape
    _, h, wd, c_in = x.shape
    kh, kw, _, mult = w.shape
    part = np.zeros((kh, kw, c_in, mult), gy.dtype)     # one output row's sums, then added in float64
    for n in range(n_img):
        for i in range(ho):
            part[:] = 0
            for j in range(wo):
                g = gy[n, i, j]
                for a in range(kh):
                    r = i * sh + a * dh - pt
                    if r < 0 or r >= h:
                        continue
                    for b in range(kw):
                        col = j * sw + b * dw - pl
                        if col < 0 or col >= wd:
                            continue
                        pix = x[n, r, col]
                        wab = w[a, b]
                        for c in range(c_in):
                            s = 0.0
                            v = pix[c]
                            for m in range(mult):
                                gv = g[c * mult + m]
                                s += gv * wab[c, m]
                                part[a, b, c, m] += v * gv
                            if want_x:
                                gx[n, r, col, c] += s
            if want_w:
                gw += part


@njit(**_OPTIONS)
def _columns(j_count, wd, b, dw, pl):  # pragma: no cover - compiled
    """The output columns ``[j0, j1)`` whose tap ``b`` reads a real input column (width stride 1)."""
    return max(0, pl - b * dw), min(j_count, wd + pl - b * dw)


@njit(**_OPTIONS)
def _forward_rows(x_rows, spread, bias_row, sh, dh, dw, pt, pl, c_in, wd, y_rows):  # pragma: no cover - compiled
    """Multiplier 1, width stride 1, on rows ``x_rows (N, H, W C)`` and ``y_rows (N, Ho, Wo C)``: each
    output row is ``bias + Σ_ab`` a slice of input row ``i sh + a dh - pt`` times ``spread[a, b]`` (the
    weights repeated across the width) — one long vectorisable loop per kernel offset."""
    n_img, ho, length = y_rows.shape
    kh, kw, _ = spread.shape
    h = x_rows.shape[1]
    for n in range(n_img):
        for i in range(ho):
            out = y_rows[n, i]
            out[:] = bias_row
            for a in range(kh):
                r = i * sh + a * dh - pt
                if r < 0 or r >= h:
                    continue
                row = x_rows[n, r]
                for b in range(kw):
                    j0, j1 = _columns(length // c_in, wd, b, dw, pl)
                    size = (j1 - j0) * c_in
                    if size <= 0:
                        continue
                    start = (j0 + b * dw - pl) * c_in
                    src = row[start:start + size]                  # slices: no negative-index checks inside
                    dst = out[j0 * c_in:j0 * c_in + size]
                    wab = spread[a, b, j0 * c_in:j0 * c_in + size]
                    for t in range(size):
                        dst[t] += src[t] * wab[t]


@njit(**_OPTIONS)
def _backward_rows(x_rows, spread, g_rows, sh, dh, dw, pt, pl, c_in, want_x, want_w, gx_rows,
                   gw_rows):  # pragma: no cover - compiled
    """Multiplier 1, width stride 1, by rows as :func:`_forward_rows`: ``gx_rows`` (zeros on entry) gets
    ``g_rows[n, i] * spread[a, b]`` added where each offset read, ``gw_rows[a, b]`` (float64, zeros on
    entry, still to be summed over the width) the products of those input slices and ``g_rows[n, i]``."""
    n_img, ho, length = g_rows.shape
    kh, kw, _ = spread.shape
    h, wide = x_rows.shape[1], x_rows.shape[2]
    part = np.zeros((kh, kw, length), g_rows.dtype)        # one image's sums, then added in float64
    for n in range(n_img):
        part[:] = 0
        for i in range(ho):
            g = g_rows[n, i]
            for a in range(kh):
                r = i * sh + a * dh - pt
                if r < 0 or r >= h:
                    continue
                for b in range(kw):
                    j0, j1 = _columns(length // c_in, wide // c_in, b, dw, pl)
                    size = (j1 - j0) * c_in
                    if size <= 0:
                        continue
                    start = (j0 + b * dw - pl) * c_in
                    gs = g[j0 * c_in:j0 * c_in + size]
                    dst = gx_rows[n, r, start:start + size]
                    wab = spread[a, b, j0 * c_in:j0 * c_in + size]
                    src = x_rows[n, r, start:start + size]
                    pab = part[a, b, j0 * c_in:j0 * c_in + size]
                    if want_x and want_w:                   # one pass over the slice for both
                        for t in range(size):
                            dst[t] += gs[t] * wab[t]
                            pab[t] += src[t] * gs[t]
                    elif want_x:
                        for t in range(size):
                            dst[t] += gs[t] * wab[t]
                    elif want_w:
                        for t in range(size):
                            pab[t] += src[t] * gs[t]
        if want_w:
            gw_rows += part


def _spread(w4: np.ndarray, wo: int, dtype: np.dtype) -> np.ndarray:
    """``(kh, kw, Wo * C)``: multiplier-1 weights repeated across the output width."""
    kh, kw, c, _ = w4.shape
    return np.ascontiguousarray(np.broadcast_to(w4.reshape(kh, kw, 1, c), (kh, kw, wo, c)), dtype).reshape(
        kh, kw, wo * c)


def depthwise_forward(x: np.ndarray, w4: np.ndarray, bias: np.ndarray | None, strides: tuple[int, int],
                      pads: tuple[tuple[int, int], tuple[int, int]], dilation: tuple[int, int],
                      out_hw: tuple[int, int]) -> np.ndarray:
    """The depthwise convolution ``(N, Ho, Wo, C * M)`` of ``x`` zero-padded by ``pads``, plus ``bias``."""
    n, h, wd, c = x.shape
    m = w4.shape[3]
    ho, wo = out_hw
    x = np.ascontiguousarray(x)
    w4 = np.ascontiguousarray(w4, x.dtype)
    bias = np.zeros(c * m, x.dtype) if bias is None else np.ascontiguousarray(bias, x.dtype)
    y = np.empty((n, ho, wo, c * m), x.dtype)
    (pt, _), (pl, _) = pads
    if m == 1 and strides[1] == 1:
        _forward_rows(x.reshape(n, h, wd * c), _spread(w4, wo, x.dtype), np.tile(bias, wo), strides[0],
                      dilation[0], dilation[1], pt, pl, c, wd, y.reshape(n, ho, wo * c))
    else:
        _forward(x, w4, bias, strides[0], strides[1], dilation[0], dilation[1], pt, pl, y)
    return y


def depthwise_backward(x: np.ndarray, w4: np.ndarray, gy: np.ndarray, strides: tuple[int, int],
                       pads: tuple[tuple[int, int], tuple[int, int]], dilation: tuple[int, int], want_x: bool,
                       want_w: bool) -> tuple:
    """``(gradient of x or None, gradient of w4 or None)`` for the output gradient ``gy``."""
    n, h, wd, c = x.shape
    kh, kw, _, m = w4.shape
    _, ho, wo, _ = gy.shape
    x = np.ascontiguousarray(x, gy.dtype)
    w4 = np.ascontiguousarray(w4, gy.dtype)
    gy = np.ascontiguousarray(gy)
    gx = np.zeros(x.shape, gy.dtype)          # calloc: untouched (free) when not wanted
    (pt, _), (pl, _) = pads
    if m == 1 and strides[1] == 1:
        gw_rows = np.zeros((kh, kw, wo * c), np.float64)
        _backward_rows(x.reshape(n, h, wd * c), _spread(w4, wo, gy.dtype), gy.reshape(n, ho, wo * c), strides[0],
                       dilation[0], dilation[1], pt, pl, c, want_x, want_w, gx.reshape(gx.shape[0], gx.shape[1], -1),
                       gw_rows)
        gw = gw_rows.reshape(kh, kw, wo, c).sum(axis=2).reshape(w4.shape)
    else:
        gw = np.zeros(w4.shape, np.float64)
        _backward(x, w4, gy, strides[0], strides[1], dilation[0], dilation[1], pt, pl, want_x, want_w, gx, gw)
    return (gx if want_x else None), (gw.astype(gy.dtype) if want_w else None)

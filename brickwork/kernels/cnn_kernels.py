"""Compiled loops (numba) around the GEMMs of a dense convolution, and max pooling that remembers its arg-max.

The NumPy references are :class:`~brickwork.functions.convolution.Conv2D` (``groups=1``) and
:class:`~brickwork.functions.pooling.MaxPool2D`; the kernels below compute the same values,
each in one pass over memory where NumPy makes several:

* :func:`im2col` copies every window of the *unpadded* input into the column matrix
  ``(N, Ho, Wo, kh, kw, C)``, writing zeros where a window reads padding (NumPy pads a
  copy of the input, then copies a strided view of it);
* :func:`bias_relu` adds the bias and rectifies the GEMM's output in place (NumPy: two passes);
* :func:`relu_grad_and_bias` masks the output gradient with :math:`y > 0` and sums the bias
  gradient in the same pass (NumPy: a mask, a product, then a column sum);
* :func:`col2im` adds the column gradient ``(N, Ho, Wo, kh, kw, C)`` back where each window read,
  skipping padding, so the input gradient comes out unpadded (NumPy: a strided add per kernel
  offset into a padded buffer, then a crop);
* :func:`max_pool_forward` finds each window's maximum and the offset ``a kw + b`` of its first
  maximum (``uint8``), and :func:`max_pool_backward` sends each output gradient straight to that
  cell (NumPy: one comparison per kernel offset, forward and again in backward).

:func:`conv_forward` and :func:`conv_backward` run a convolution with these loops a block of
images at a time (about :data:`BLOCK_BYTES` of columns, which stay in the caches): each block's columns
are copied, multiplied and their output rectified while they are still in cache, and the
backward copies them again from the input instead of keeping the whole column matrix (which is
then never written to memory at all). The mask-and-bias loop indexes ``g[m, o]`` element by element:
through a row view per row (a reference count each) it ran about twice as long.

Layouts are NHWC, NumPy arrays of float32 or float64, C-contiguous; ``pads`` is
``((top, bottom), (left, right))`` of zeros (convolution) or :math:`-\\infty` (pooling).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_OPTIONS = dict(cache=True, fastmath=False, nogil=True)
NAN_OFFSET = 255           # arg-max marker of a window holding NaN: as in NumPy, no cell gets its gradient
BLOCK_BYTES = 3 << 20      # bytes of rows per block of images (3 MiB: blocks of 0.75-3 MiB measured alike, 6 MiB and
#                            the whole matrix slower; few blocks, so few BLAS calls for a multi-threaded BLAS to share)
BIAS_BLOCK = 256           # rows summed in the input's dtype before each addition into the float64 bias gradient

Pads = tuple[tuple[int, int], tuple[int, int]]


@njit(**_OPTIONS)
def _taps(j, kw, sw, dw, pl, wd):  # pragma: no cover - compiled
    """The taps ``[b0, b1)`` of output column ``j`` that read a real input column."""
    b0 = 0
    while b0 < kw and j * sw + b0 * dw - pl < 0:
        b0 += 1
    b1 = kw
    while b1 > b0 and j * sw + (b1 - 1) * dw - pl >= wd:
        b1 -= 1
    return b0, b1


@njit(**_OPTIONS)
def _im2col(x, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo, cols):  # pragma: no cover - compiled
    """``cols[((n Ho + i) Wo + j) kh + a) kw + b) C + c] = x[n, i sh + a dh - pt, j sw + b dw - pl, c]``,
    zero where that cell is padding; ``cols`` flat."""
    n_img, h, wd, c = x.shape
    xf = x.reshape(-1)
    row = kw * c                                    # one kernel row of one window
    o = 0
    for n in range(n_img):
        for i in range(ho):
            for j in range(wo):
                b0, b1 = _taps(j, kw, sw, dw, pl, wd)
                for a in range(kh):
                    r = i * sh + a * dh - pt
                    if r < 0 or r >= h:
                        cols[o:o + row] = 0
                        o += row
                        continue
                    cols[o:o + b0 * c] = 0
                    base = ((n * h + r) * wd + j * sw - pl) * c
                    if dw == 1:                     # the taps read one contiguous run of the input row
                        s = base + b0 * c
                        d = o + b0 * c
                        dst = cols[d:d + (b1 - b0) * c]   # slices: no negative-index checks inside
                        src = xf[s:s + (b1 - b0) * c]
                        for t in range(dst.size):
                            dst[t] = src[t]
                    else:
                        for b in range(b0, b1):
                            s = base + b * dw * c
                            d = o + b * c
                            dst = cols[d:d + c]
                            src = xf[s:s + c]
                            for t in range(c):
                                dst[t] = src[t]
                    cols[o + b1 * c:o + row] = 0
                    o += row


@njit(**_OPTIONS)
def _col2im(gcols, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo, gx):  # pragma: no cover - compiled
    """The adjoint of :func:`_im2col`: ``gx`` (zeros on entry, unpadded) gets every column entry added
    where it was read; entries that read padding are dropped; ``gcols`` flat."""
    n_img, h, wd, c = gx.shape
    gf = gx.reshape(-1)
    row = kw * c
    o = 0
    for n in range(n_img):
        for i in range(ho):
            for j in range(wo):
                b0, b1 = _taps(j, kw, sw, dw, pl, wd)
                for a in range(kh):
                    r = i * sh + a * dh - pt
                    if r < 0 or r >= h:
                        o += row
                        continue
                    base = ((n * h + r) * wd + j * sw - pl) * c
                    if dw == 1:
                        s = base + b0 * c
                        d = o + b0 * c
                        dst = gf[s:s + (b1 - b0) * c]     # slices: no negative-index checks inside
                        src = gcols[d:d + (b1 - b0) * c]
                        for t in range(dst.size):
                            dst[t] += src[t]
                    else:
                        for b in range(b0, b1):
                            s = base + b * dw * c
                            d = o + b * c
                            dst = gf[s:s + c]
                            src = gcols[d:d + c]
                            for t in range(c):
                                dst[t] += src[t]
                    o += row


@njit(**_OPTIONS)
def _bias_relu(y, bias, relu):  # pragma: no cover - compiled
    """In place, ``y (M, O)``: ``y + bias``, then ``max(., 0)`` when ``relu`` (NaN stays NaN, as ``np.maximum``).
    Indexed ``y[m, o]``, never through row views (a view in a loop costs a reference count per row)."""
    m_rows, o_cols = y.shape
    zero = y.dtype.type(0)
    for m in range(m_rows):
        for o in range(o_cols):
            v = y[m, o] + bias[o]
            y[m, o] = zero if relu and v < zero else v


@njit(**_OPTIONS)
def _relu_grad_and_bias(gy, y, relu, want_bias, g, gb, gb_rows):  # pragma: no cover - compiled
    """``g = gy * (y > 0)`` (or ``gy`` without ``relu``; a product, so NaN and inf behave as in NumPy)
    and, with ``want_bias``, ``gb += g`` summed over rows: in ``gb_rows`` (the input's dtype) over
    :data:`BIAS_BLOCK` rows at a time, each block's sums then added into ``gb`` (float64, zeros on entry)."""
    m_rows, o_cols = gy.shape
    one = gy.dtype.type(1)
    zero = gy.dtype.type(0)
    for m in range(m_rows):
        if relu:
            for o in range(o_cols):
                v = gy[m, o] * (one if y[m, o] > zero else zero)
                g[m, o] = v
                gb_rows[o] += v
        else:
            for o in range(o_cols):
                v = gy[m, o]
                g[m, o] = v
                gb_rows[o] += v
        if want_bias and (m % BIAS_BLOCK == BIAS_BLOCK - 1 or m == m_rows - 1):
            for o in range(o_cols):
                gb[o] += gb_rows[o]
                gb_rows[o] = zero


@njit(**_OPTIONS)
def _max_pool_forward(x, kh, kw, sh, sw, pt, pl, y, arg):  # pragma: no cover - compiled
    """``y`` the maximum of each window (padding never wins), ``arg`` the offset ``a kw + b`` of its first
    maximum, :data:`NAN_OFFSET` where the window holds NaN (then ``y`` is NaN, as ``np.maximum``)."""
    n_img, ho, wo, c = y.shape
    h, wd = x.shape[1], x.shape[2]
    for n in range(n_img):
        for i in range(ho):
            for j in range(wo):
                yo = y[n, i, j]
                ao = arg[n, i, j]
                for ch in range(c):
                    yo[ch] = -np.inf
                    ao[ch] = 0
                for a in range(kh):
                    r = i * sh + a - pt
                    if r < 0 or r >= h:
                        continue
                    for b in range(kw):
                        col = j * sw + b - pl
                        if col < 0 or col >= wd:
                            continue
                        k = a * kw + b
                        px = x[n, r, col]
                        for ch in range(c):
                            v = px[ch]
                            best = yo[ch]
                            if v > best:
                                yo[ch] = v
                                ao[ch] = k
                            elif v != v and best == best:
                                yo[ch] = v
                                ao[ch] = NAN_OFFSET


@njit(**_OPTIONS)
def _max_pool_backward(gy, arg, kh, kw, sh, sw, pt, pl, gx):  # pragma: no cover - compiled
    """``gx`` (zeros on entry, unpadded) gets each output gradient added at its window's arg-max."""
    n_img, ho, wo, c = gy.shape
    h, wd = gx.shape[1], gx.shape[2]
    for n in range(n_img):
        for i in range(ho):
            for a in range(kh):                      # rows of gx in order: writes stay sequential
                r = i * sh + a - pt
                if r < 0 or r >= h:
                    continue
                for j in range(wo):
                    go = gy[n, i, j]
                    ao = arg[n, i, j]
                    for b in range(kw):
                        col = j * sw + b - pl
                        if col < 0 or col >= wd:
                            continue
                        k = a * kw + b
                        dst = gx[n, r, col]
                        for ch in range(c):
                            if ao[ch] == k:
                                dst[ch] += go[ch]


def im2col(x: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int], dilation: tuple[int, int],
           pads: Pads, out_hw: tuple[int, int]) -> np.ndarray:
    """The column matrix ``(N Ho Wo, kh kw C)`` of ``x (N, H, W, C)`` zero-padded by ``pads``."""
    n, _, _, c = x.shape
    (kh, kw), (ho, wo) = kernel, out_hw
    x = np.ascontiguousarray(x)
    cols = np.empty(n * ho * wo * kh * kw * c, x.dtype)
    _im2col(x, kh, kw, strides[0], strides[1], dilation[0], dilation[1], pads[0][0], pads[1][0], ho, wo, cols)
    return cols.reshape(n * ho * wo, kh * kw * c)


def col2im(gcols: np.ndarray, x_shape: tuple[int, ...], kernel: tuple[int, int], strides: tuple[int, int],
           dilation: tuple[int, int], pads: Pads, out_hw: tuple[int, int]) -> np.ndarray:
    """The input gradient ``x_shape`` (unpadded) from the column gradient ``(N Ho Wo, kh kw C)``."""
    (kh, kw), (ho, wo) = kernel, out_hw
    gcols = np.ascontiguousarray(gcols)
    gx = np.zeros(x_shape, gcols.dtype)
    _col2im(gcols.reshape(-1), kh, kw, strides[0], strides[1], dilation[0], dilation[1], pads[0][0], pads[1][0],
            ho, wo, gx)
    return gx


def _block_images(n: int, rows_per_image: int, row_bytes: int) -> int:
    """Images per block: enough that one block's rows are about :data:`BLOCK_BYTES`, at least one."""
    return max(1, min(n, BLOCK_BYTES // max(1, rows_per_image * row_bytes)))


def _block_columns(src: np.ndarray, mode: str, n0: int, n1: int, rows: int, buf: np.ndarray, geometry: tuple):
    """The column-matrix rows ``(n1 - n0) rows x K`` of images ``[n0, n1)``: copied from the input ``src`` into
    ``buf`` (``mode`` ``"blocks"``), or a view of the kept transposed columns or of the input itself."""
    if mode == "transposed":
        return src[:, n0 * rows:n1 * rows].T
    if mode == "pointwise":
        return src[n0 * rows:n1 * rows]
    (kh, kw), (sh, sw), (dh, dw), pads, (ho, wo) = geometry
    block = buf[:(n1 - n0) * rows]
    _im2col(src[n0:n1], kh, kw, sh, sw, dh, dw, pads[0][0], pads[1][0], ho, wo, block.reshape(-1))
    return block


def conv_forward(src: np.ndarray, mode: str, w2: np.ndarray, bias: np.ndarray | None, relu: bool, n: int,
                 geometry: tuple) -> np.ndarray:
    """``y = act(cols @ w2 + bias)`` ``(N Ho Wo, O)`` for the column matrix ``cols (N Ho Wo, K)`` of the input.

    ``src`` is the input ``(N, H, W, C)`` for ``mode="blocks"`` (its windows copied by :func:`im2col`'s loop),
    the transposed columns ``(K, N Ho Wo)`` for ``"transposed"``, the input ``(N H W, C)`` for ``"pointwise"``;
    ``geometry`` is ``(kernel, strides, dilation, pads, out_hw)``. A block of images at a time: the block's
    columns are multiplied while they are still in the core's cache and the block of ``y`` gets its bias and
    ReLU at once (:func:`bias_relu`) — the whole column matrix is never written to memory."""
    (kh, kw), _, _, _, (ho, wo) = geometry
    k, o = w2.shape
    rows = ho * wo
    y = np.empty((n * rows, o), w2.dtype)
    b = np.zeros(o, w2.dtype) if bias is None else np.ascontiguousarray(bias, w2.dtype)
    step = _block_images(n, rows, max(k, o) * w2.itemsize)
    buf = np.empty((step * rows, k), w2.dtype) if mode == "blocks" else None
    for n0 in range(0, n, step):
        n1 = min(n0 + step, n)
        out = y[n0 * rows:n1 * rows]
        np.matmul(_block_columns(src, mode, n0, n1, rows, buf, geometry), w2, out=out)
        _bias_relu(out, b, relu)
    return y


def conv_backward(src: np.ndarray, mode: str, gy2: np.ndarray, y2: np.ndarray | None, w2: np.ndarray,
                  wants: tuple[bool, bool, bool], x_shape: tuple[int, ...], geometry: tuple) -> tuple:
    """``(gx, gw2, gb)`` of :func:`conv_forward` (``src``, ``mode``, ``geometry`` as there) from the output
    gradient ``gy2 (N Ho Wo, O)``; ``y2`` is the ReLU's output (``None``: no ReLU); ``wants`` says which of the
    three to compute (the others are ``None``).

    A block of images at a time: the block's gradient is masked and summed into the bias gradient
    (:func:`relu_grad_and_bias`'s loop), its columns are copied again from the input (cheaper than keeping
    the whole matrix) for ``gw2 += cols.T @ g``, and ``g @ w2.T`` is added back into ``gx`` by :func:`col2im`'s
    loop — each while the block is still in cache. ``gw2`` sums the blocks' products in the input's dtype."""
    (kh, kw), (sh, sw), (dh, dw), pads, (ho, wo) = geometry
    want_x, want_w, want_b = wants
    k, o = w2.shape
    dtype = w2.dtype
    n = x_shape[0]
    rows = ho * wo
    step = _block_images(n, rows, max(k, o) * w2.itemsize)
    g_buf = np.empty((step * rows, o), dtype)
    cols_buf = np.empty((step * rows, k), dtype) if mode == "blocks" or (want_x and mode != "pointwise") else None
    gx = np.zeros(x_shape, dtype) if want_x else None
    gx2 = gx.reshape(-1, x_shape[-1]) if want_x and mode == "pointwise" else None
    gw2 = np.zeros(w2.shape, dtype) if want_w else None
    part = np.empty(w2.shape, dtype)
    gb, gb_rows = np.zeros(o, np.float64), np.zeros(o, dtype)
    w2t = np.ascontiguousarray(w2.T)
    gy2 = np.ascontiguousarray(gy2)
    for n0 in range(0, n, step):
        n1 = min(n0 + step, n)
        g = g_buf[:(n1 - n0) * rows]
        g_src = gy2[n0 * rows:n1 * rows]
        _relu_grad_and_bias(g_src, g_src if y2 is None else y2[n0 * rows:n1 * rows], y2 is not None, want_b,
                            g, gb, gb_rows)
        if want_w:
            np.matmul(_block_columns(src, mode, n0, n1, rows, cols_buf, geometry).T, g, out=part)
            gw2 += part
        if want_x and mode == "pointwise":
            np.matmul(g, w2t, out=gx2[n0 * rows:n1 * rows])
        elif want_x:
            gcols = cols_buf[:(n1 - n0) * rows]
            np.matmul(g, w2t, out=gcols)
            _col2im(gcols.reshape(-1), kh, kw, sh, sw, dh, dw, pads[0][0], pads[1][0], ho, wo, gx[n0:n1])
    return gx, gw2, (gb.astype(dtype) if want_b else None)


def bias_relu(y: np.ndarray, bias: np.ndarray | None, relu: bool) -> np.ndarray:
    """``y (M, O)`` plus ``bias``, rectified when ``relu``, in place; returns ``y``."""
    b = np.zeros(y.shape[1], y.dtype) if bias is None else np.ascontiguousarray(bias, y.dtype)
    _bias_relu(y, b, relu)
    return y


def relu_grad_and_bias(gy: np.ndarray, y: np.ndarray | None, want_bias: bool) -> tuple:
    """``(gy * (y > 0), its column sums or None)`` for ``gy (M, O)``; without ``y`` (no ReLU) ``gy`` itself."""
    gy = np.ascontiguousarray(gy)
    g = np.empty_like(gy)
    gb = np.zeros(gy.shape[1], np.float64)
    _relu_grad_and_bias(gy, gy if y is None else y, y is not None, want_bias, g, gb, np.zeros(gy.shape[1], gy.dtype))
    return g, (gb.astype(gy.dtype) if want_bias else None)


def max_pool_forward(x: np.ndarray, pool: tuple[int, int], strides: tuple[int, int], pads: Pads,
                     out_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``(y, arg)``: the window maxima ``(N, Ho, Wo, C)`` and each window's first arg-max offset (uint8)."""
    n, _, _, c = x.shape
    x = np.ascontiguousarray(x)
    y = np.empty((n, out_hw[0], out_hw[1], c), x.dtype)
    arg = np.empty(y.shape, np.uint8)
    _max_pool_forward(x, pool[0], pool[1], strides[0], strides[1], pads[0][0], pads[1][0], y, arg)
    return y, arg


def max_pool_backward(gy: np.ndarray, arg: np.ndarray, x_shape: tuple[int, ...], pool: tuple[int, int],
                      strides: tuple[int, int], pads: Pads) -> np.ndarray:
    """The input gradient ``x_shape``: each window's gradient added at its arg-max."""
    gy = np.ascontiguousarray(gy)
    gx = np.zeros(x_shape, gy.dtype)
    _max_pool_backward(gy, arg, pool[0], pool[1], strides[0], strides[1], pads[0][0], pads[1][0], gx)
    return gx

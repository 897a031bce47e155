"""Compiled depthwise convolution (numba): the forward, the input gradient and the kernel gradient.

The NumPy reference, :class:`~brickwork.functions.depthwise.DepthwiseConv2D`, makes
one pass over memory per kernel offset and operation (a multiply, then an add); the
kernels below visit each pixel once and do all :math:`k_h k_w` multiply-adds for its
channels while the rows they read are in cache — the same sums (formulas in that
class's docstring), in a different order of addition.

* The innermost loop always runs over the channels, which are contiguous in NHWC, so
  it compiles to SIMD multiply-adds (AVX-512 where the CPU has it). For a 3×3 kernel
  the nine taps of a pixel are one expression in that loop (the kernel gradient: nine
  partial sums updated in one loop), so each value is stored once and nothing is
  reloaded; the loop runs over nine row views that start at the first column where
  every tap is inside the image, so no index is negative — numba adds wrap-around
  handling to an index it cannot prove non-negative, which halved the speed of the same
  loop written with offsets. The pixels next to the border, other kernel sizes and width
  strides run a one-pixel loop that skips the taps in the padding.
* The input gradient is a *gather*: each input pixel sums ``ȳ W`` over the output
  pixels that read it, so the rows of ``x̄`` are independent — no scatter, no race.
* The kernel gradient, and the bias gradient in the same pass, are summed per block of
  output rows (fixed by the shape alone) into partials that are added in float64 at the
  end — so the result is the same bit for bit whatever the number of threads.
* Every loop over rows is a ``prange``: with ``parallel=True`` numba splits the rows
  over :func:`kernel_threads` threads — NumPy's BLAS thread count in force, which
  :func:`brickwork.config.set_num_threads` (and its ``'auto'`` policy on a busy machine)
  sets. Unless ``NUMBA_THREADING_LAYER`` names another, numba's ``workqueue`` layer runs
  them: numba's default, ``omp``, shares the process's GNU OpenMP runtime with PyTorch and
  others, and setting its thread count changed PyTorch's (measured: a 1-thread PyTorch depthwise
  step went from 52 to 108-190 ms once it had started). ``workqueue`` needs no OpenMP, never
  spins, and is fork-safe; it must not be entered from two threads at once, so the kernels are
  called one at a time.

Layouts: ``x (N, H, W, C)``, ``w (kh, kw, C)`` (one filter per channel; a depth
multiplier ``M > 1`` runs as ``M`` copies of each input channel, see
:func:`depthwise_forward`), output and output gradient ``(N, Ho, Wo, C)``; the zero
padding ``(top, left)`` is never materialised — taps that fall in it are skipped — so the
input gradient comes out unpadded too. NumPy arrays of float32 or float64, C-contiguous.
"""

from __future__ import annotations

import os
import threading

import numba
import numpy as np
from numba import get_num_threads, njit, prange, set_num_threads

if numba.config.THREADING_LAYER == "default" and "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"      # see above: no effect once numba's threads are running

_OPTIONS = dict(cache=True, fastmath=False, nogil=True, parallel=True)
_PIXEL = dict(cache=True, fastmath=False, nogil=True)          # the one-pixel helpers the row loops call
_BLOCK_PIXELS = 256        # output pixels (at least) per kernel-gradient partial
_blas: dict = {"controller": None, "looked": False}
_LOCK = threading.Lock()


@njit(**_PIXEL)
def _forward_pixel(x, w, bias, n, i, j, sh, sw, dh, dw, pt, pl, out):  # pragma: no cover - compiled
    """``out[c] = bias[c] + Σ_ab x[n, i sh + a dh - pt, j sw + b dw - pl, c] w[a, b, c]``, taps in the
    padding skipped: any kernel size, one output pixel."""
    h, wd, chans = x.shape[1], x.shape[2], x.shape[3]
    kh, kw = w.shape[0], w.shape[1]
    for c in range(chans):
        out[c] = bias[c]
    col0 = j * sw - pl
    for a in range(kh):
        r = i * sh + a * dh - pt
        if r < 0 or r >= h:
            continue
        for b in range(kw):
            col = col0 + b * dw
            if col < 0 or col >= wd:
                continue
            p0, w0 = x[n, r, col], w[a, b]
            for c in range(chans):
                out[c] += p0[c] * w0[c]


@njit(**_OPTIONS)
def _forward(x, w, bias, sh, sw, dh, dw, pt, pl, relu, lo, hi, y):  # pragma: no cover - compiled
    """``y[n, i, j, c] = bias[c] + Σ_ab x[n, i sh + a dh - pt, j sw + b dw - pl, c] w[a, b, c]``, then
    ``max(y, 0)`` when ``relu``; one output row per ``prange`` iteration. A 3×3 kernel whose three rows
    fall inside the image sums all nine taps in one expression for the columns ``lo <= j < hi`` (all three
    columns inside): one store per value, nothing reloaded."""
    n_img, ho, wo, chans = y.shape
    h = x.shape[1]
    kh, kw = w.shape[0], w.shape[1]
    for q in prange(n_img * ho):
        n = q // ho
        i = q - n * ho
        yr = y[n, i]
        r0 = i * sh - pt
        fused = kh == 3 and kw == 3 and sw == 1 and r0 >= 0 and r0 + 2 * dh < h and lo < hi
        if fused:                        # views that start at the first inside column: indices never negative
            c0, r1, r2 = lo - pl, r0 + dh, r0 + 2 * dh
            x00, x01, x02 = x[n, r0, c0:], x[n, r0, c0 + dw:], x[n, r0, c0 + 2 * dw:]
            x10, x11, x12 = x[n, r1, c0:], x[n, r1, c0 + dw:], x[n, r1, c0 + 2 * dw:]
            x20, x21, x22 = x[n, r2, c0:], x[n, r2, c0 + dw:], x[n, r2, c0 + 2 * dw:]
            w00, w01, w02, w10, w11, w12 = w[0, 0], w[0, 1], w[0, 2], w[1, 0], w[1, 1], w[1, 2]
            w20, w21, w22 = w[2, 0], w[2, 1], w[2, 2]
            out = yr[lo:hi]
            for j in range(hi - lo):
                for c in range(chans):
                    out[j, c] = (bias[c] + x00[j, c] * w00[c] + x01[j, c] * w01[c] + x02[j, c] * w02[c]
                                 + x10[j, c] * w10[c] + x11[j, c] * w11[c] + x12[j, c] * w12[c]
                                 + x20[j, c] * w20[c] + x21[j, c] * w21[c] + x22[j, c] * w22[c])
        for j in range(wo):
            if not fused or j < lo or j >= hi:
                _forward_pixel(x, w, bias, n, i, j, sh, sw, dh, dw, pt, pl, yr[j])
        if relu:
            for j in range(wo):
                for c in range(chans):
                    if yr[j, c] < 0:
                        yr[j, c] = 0


@njit(**_PIXEL)
def _input_grad_pixel(gy, w, n, r, col, sh, sw, dh, dw, pt, pl, out):  # pragma: no cover - compiled
    """``out[c] = Σ gy[n, i, j, c] w[a, b, c]`` over the taps with ``i sh + a dh - pt = r`` and
    ``j sw + b dw - pl = col``: any kernel size and stride, one input pixel."""
    ho, wo, chans = gy.shape[1], gy.shape[2], gy.shape[3]
    kh, kw = w.shape[0], w.shape[1]
    for c in range(chans):
        out[c] = 0
    u0 = col + pl                        # j sw + b dw for the tap b = 0
    for a in range(kh):
        t = r + pt - a * dh              # i sh
        i = t // sh
        if t < 0 or i * sh != t or i >= ho:
            continue
        for b in range(kw):
            u = u0 - b * dw
            j = u // sw
            if u < 0 or j * sw != u or j >= wo:
                continue
            g0, w0 = gy[n, i, j], w[a, b]
            for c in range(chans):
                out[c] += g0[c] * w0[c]


@njit(**_OPTIONS)
def _input_grad(gy, w, sh, sw, dh, dw, pt, pl, lo, hi, gx):  # pragma: no cover - compiled
    """``gx[n, r, col, c] = Σ gy[n, i, j, c] w[a, b, c]`` over the taps with ``i sh + a dh - pt = r`` and
    ``j sw + b dw - pl = col``: the gather form of the scatter, one input row per ``prange`` iteration. With
    unit strides and a 3×3 kernel whose three output rows exist, the nine taps of the columns
    ``lo <= col < hi`` (all three output columns exist) are one expression."""
    n_img, h, wd, chans = gx.shape
    ho = gy.shape[1]
    kh, kw = w.shape[0], w.shape[1]
    for q in prange(n_img * h):
        n = q // h
        r = q - n * h
        o = gx[n, r]
        t0 = r + pt                      # the output row of the tap a = 0
        fused = kh == 3 and kw == 3 and sh == 1 and sw == 1 and t0 < ho and t0 - 2 * dh >= 0 and lo < hi
        if fused:                        # views that start at the column tap b reads for col = lo
            u0, t1, t2 = lo + pl, t0 - dh, t0 - 2 * dh
            g00, g01, g02 = gy[n, t0, u0:], gy[n, t0, u0 - dw:], gy[n, t0, u0 - 2 * dw:]
            g10, g11, g12 = gy[n, t1, u0:], gy[n, t1, u0 - dw:], gy[n, t1, u0 - 2 * dw:]
            g20, g21, g22 = gy[n, t2, u0:], gy[n, t2, u0 - dw:], gy[n, t2, u0 - 2 * dw:]
            w00, w01, w02, w10, w11, w12 = w[0, 0], w[0, 1], w[0, 2], w[1, 0], w[1, 1], w[1, 2]
            w20, w21, w22 = w[2, 0], w[2, 1], w[2, 2]
            out = o[lo:hi]
            for j in range(hi - lo):
                for c in range(chans):
                    out[j, c] = (g00[j, c] * w00[c] + g01[j, c] * w01[c] + g02[j, c] * w02[c]
                                 + g10[j, c] * w10[c] + g11[j, c] * w11[c] + g12[j, c] * w12[c]
                                 + g20[j, c] * w20[c] + g21[j, c] * w21[c] + g22[j, c] * w22[c])
        for col in range(wd):
            if not fused or col < lo or col >= hi:
                _input_grad_pixel(gy, w, n, r, col, sh, sw, dh, dw, pt, pl, o[col])


@njit(**_PIXEL)
def _weight_grad_pixel(x, g, n, i, j, sh, sw, dh, dw, pt, pl, part):  # pragma: no cover - compiled
    """``part[a, b, c] += x[n, i sh + a dh - pt, j sw + b dw - pl, c] g[c]``, taps in the padding skipped."""
    h, wd, chans = x.shape[1], x.shape[2], x.shape[3]
    kh, kw = part.shape[0], part.shape[1]
    col0 = j * sw - pl
    for a in range(kh):
        r = i * sh + a * dh - pt
        if r < 0 or r >= h:
            continue
        for b in range(kw):
            col = col0 + b * dw
            if col < 0 or col >= wd:
                continue
            p0, s0 = x[n, r, col], part[a, b]
            for c in range(chans):
                s0[c] += p0[c] * g[c]


@njit(**_OPTIONS)
def _weight_grad(x, gy, sh, sw, dh, dw, pt, pl, lo, hi, rows, want_b, parts, bias_parts):  # pragma: no cover
    """``parts[k, a, b, c]`` (zeros on entry) gets ``Σ x[n, i sh + a dh - pt, j sw + b dw - pl, c] gy[n, i, j, c]``
    over block ``k``'s output rows (``rows`` rows of one image), ``bias_parts[k, c]`` the sum of ``gy``. A 3×3
    kernel whose three input rows fall inside the image updates its nine partials in one channel loop for
    the columns ``lo <= j < hi``."""
    n_img, ho, wo, chans = gy.shape
    h = x.shape[1]
    kh, kw = parts.shape[1], parts.shape[2]
    per_image = (ho + rows - 1) // rows
    for k in prange(n_img * per_image):
        n = k // per_image
        i0 = (k - n * per_image) * rows
        part, gb = parts[k], bias_parts[k]
        for i in range(i0, min(i0 + rows, ho)):
            g = gy[n, i]
            if want_b:
                for j in range(wo):
                    for c in range(chans):
                        gb[c] += g[j, c]
            r0 = i * sh - pt
            fused = kh == 3 and kw == 3 and sw == 1 and r0 >= 0 and r0 + 2 * dh < h and lo < hi
            if fused:                    # views that start at the first inside column, as in the forward
                c0, r1, r2, gi = lo - pl, r0 + dh, r0 + 2 * dh, g[lo:hi]
                x00, x01, x02 = x[n, r0, c0:], x[n, r0, c0 + dw:], x[n, r0, c0 + 2 * dw:]
                x10, x11, x12 = x[n, r1, c0:], x[n, r1, c0 + dw:], x[n, r1, c0 + 2 * dw:]
                x20, x21, x22 = x[n, r2, c0:], x[n, r2, c0 + dw:], x[n, r2, c0 + 2 * dw:]
                s00, s01, s02, s10, s11, s12 = part[0, 0], part[0, 1], part[0, 2], part[1, 0], part[1, 1], part[1, 2]
                s20, s21, s22 = part[2, 0], part[2, 1], part[2, 2]
                for j in range(hi - lo):
                    for c in range(chans):
                        gc = gi[j, c]
                        s00[c] += x00[j, c] * gc
                        s01[c] += x01[j, c] * gc
                        s02[c] += x02[j, c] * gc
                        s10[c] += x10[j, c] * gc
                        s11[c] += x11[j, c] * gc
                        s12[c] += x12[j, c] * gc
                        s20[c] += x20[j, c] * gc
                        s21[c] += x21[j, c] * gc
                        s22[c] += x22[j, c] * gc
            for j in range(wo):
                if not fused or j < lo or j >= hi:
                    _weight_grad_pixel(x, g[j], n, i, j, sh, sw, dh, dw, pt, pl, part)


def kernel_threads() -> int:
    """Threads for the parallel kernels: NumPy's BLAS thread count in force (what
    :func:`brickwork.config.set_num_threads` and its ``'auto'`` policy set, read through
    ``threadpoolctl``), at most numba's own limit; numba's limit without ``threadpoolctl``."""
    if not _blas["looked"]:
        _blas["looked"] = True
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            pass
        else:
            found = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]
            ours = [lib for lib in found if "numpy" in str(lib.filepath).lower()]
            _blas["controller"] = (ours or found or [None])[0]
    limit = numba.config.NUMBA_NUM_THREADS
    controller = _blas["controller"]
    if controller is None:
        return limit
    return max(1, min(limit, controller.num_threads))


def _run(kernel, *args) -> None:
    """Call ``kernel`` on :func:`kernel_threads` threads, one call at a time: numba's workqueue threading
    layer must not be entered from two threads at once, and each call uses all the threads anyway.
    (numba's thread count belongs to the calling thread; it is restored after.)"""
    with _LOCK:
        before, wanted = get_num_threads(), kernel_threads()
        if wanted != before:
            set_num_threads(wanted)
        try:
            kernel(*args)
        finally:
            if wanted != before:
                set_num_threads(before)


def _per_channel(x: np.ndarray, w4: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x`` with each channel repeated ``M`` times and ``w4 (kh, kw, C, M)`` as ``(kh, kw, C M)``: the
    depth-multiplier-``M`` convolution is then the multiplier-1 one on ``C M`` channels."""
    kh, kw, c, m = w4.shape
    x = np.ascontiguousarray(x) if m == 1 else np.repeat(x, m, axis=3)
    return x, np.ascontiguousarray(w4.reshape(kh, kw, c * m), x.dtype)


def _geometry(strides: tuple[int, int], pads: tuple[tuple[int, int], tuple[int, int]],
              dilation: tuple[int, int]) -> tuple[int, ...]:
    (pt, _), (pl, _) = pads
    return int(strides[0]), int(strides[1]), int(dilation[0]), int(dilation[1]), int(pt), int(pl)


def _inside_columns(wo: int, wd: int, sw: int, dw: int, pl: int) -> tuple[int, int]:
    """``(lo, hi)``: the output columns ``lo <= j < hi`` whose three taps ``j sw + b dw - pl`` (``b < 3``)
    all fall inside the ``wd`` input columns (``lo >= hi`` when none do)."""
    lo = -(-pl // sw)                                   # the first j with j sw - pl >= 0
    hi = min(wo, (wd - 1 - 2 * dw + pl) // sw + 1) if wd - 1 - 2 * dw + pl >= 0 else 0
    return lo, hi


def _gathered_columns(wd: int, wo: int, dw: int, pl: int) -> tuple[int, int]:
    """``(lo, hi)``: with unit width stride, the input columns ``lo <= col < hi`` read by all three taps, i.e.
    whose output columns ``col + pl - b dw`` (``b < 3``) all exist among the ``wo``."""
    return max(0, 2 * dw - pl), max(0, min(wd, wo - pl))


def depthwise_forward(x: np.ndarray, w4: np.ndarray, bias: np.ndarray | None, strides: tuple[int, int],
                      pads: tuple[tuple[int, int], tuple[int, int]], dilation: tuple[int, int],
                      out_hw: tuple[int, int], relu: bool = False) -> np.ndarray:
    """The depthwise convolution ``(N, Ho, Wo, C * M)`` of ``x`` zero-padded by ``pads``, plus ``bias``
    (then ``max(·, 0)`` when ``relu``); ``w4`` is ``(kh, kw, C, M)``."""
    n = x.shape[0]
    xs, w = _per_channel(x, w4)
    cm = w.shape[2]
    bias = np.zeros(cm, xs.dtype) if bias is None else np.ascontiguousarray(bias, xs.dtype)
    y = np.empty((n, out_hw[0], out_hw[1], cm), xs.dtype)
    geometry = _geometry(strides, pads, dilation)
    lo, hi = _inside_columns(out_hw[1], xs.shape[2], geometry[1], geometry[3], geometry[5])
    _run(_forward, xs, w, bias, *geometry, bool(relu), lo, hi, y)
    return y


def depthwise_backward(x: np.ndarray, w4: np.ndarray, gy: np.ndarray, strides: tuple[int, int],
                       pads: tuple[tuple[int, int], tuple[int, int]], dilation: tuple[int, int], want_x: bool,
                       want_w: bool, want_b: bool = False) -> tuple:
    """``(gradient of x, of w4, of the bias)`` for the output gradient ``gy``, each None when not wanted."""
    n, h, wd, c = x.shape
    kh, kw, _, m = w4.shape
    _, ho, wo, cm = gy.shape
    gy = np.ascontiguousarray(gy)
    geometry = _geometry(strides, pads, dilation)
    gx = gw = gb = None
    if want_x:
        w = np.ascontiguousarray(w4.reshape(kh, kw, cm), gy.dtype)
        gxs = np.empty((n, h, wd, cm), gy.dtype)
        lo, hi = _gathered_columns(wd, wo, geometry[3], geometry[5])
        _run(_input_grad, gy, w, *geometry, lo, hi, gxs)
        gx = gxs
        if m > 1:                          # the M copies' gradients added (slices: a sum over a last axis
            per_m = gxs.reshape(n, h, wd, c, m)      # of 2 or 3 is many times slower in NumPy)
            gx = per_m[..., 0].copy()
            for k in range(1, m):
                gx += per_m[..., k]
    if want_w:
        xs = _per_channel(x.astype(gy.dtype, copy=False), w4)[0]
        rows = -(-_BLOCK_PIXELS // wo)                 # output rows per partial: the same for any thread count
        blocks = n * -(-ho // rows)
        parts = np.zeros((blocks, kh, kw, cm), gy.dtype)
        bias_parts = np.zeros((blocks, cm), gy.dtype)        # left at zero unless want_b
        lo, hi = _inside_columns(wo, wd, geometry[1], geometry[3], geometry[5])
        _run(_weight_grad, xs, gy, *geometry, lo, hi, rows, want_b, parts, bias_parts)
        gw = parts.sum(axis=0, dtype=np.float64).astype(gy.dtype).reshape(w4.shape)
        if want_b:
            gb = bias_parts.sum(axis=0, dtype=np.float64).astype(gy.dtype)
    elif want_b:
        gb = gy.reshape(n * ho, wo * cm).sum(axis=0).reshape(wo, cm).sum(axis=0)
    return gx, gw, gb

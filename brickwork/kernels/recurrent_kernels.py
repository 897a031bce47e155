"""Compiled whole-sequence loops of the LSTM and GRU nodes (numba), forward and BPTT backward.

:class:`~brickwork.functions.recurrent.LSTMSequence` and
:class:`~brickwork.functions.recurrent.GRUSequence` spend each time step on one
small matrix product and a handful of element-wise operations. In NumPy each of
those is a Python-level call with its own pass over memory; here each direction
of a sequence is ONE compiled call that runs the whole time loop: the recurrent
product through BLAS (numba's ``np.dot`` calls ``gemm`` on contiguous 2-D arrays)
into a preallocated buffer, then all of the step's gate work in one loop over
``(batch, unit)`` that reads each gate once. No Python runs between steps.

The formulas are those of the NumPy code's docstrings, in the same internal gate
order: LSTM ``(o, i, f, c)`` (``(o, f, c)`` coupled) with the sigmoid columns'
pre-activations already halved (σ(z) = ½ tanh(z/2) + ½, the halving folded into
the weights), GRU ``(z, r, h)`` with ``reset_after=True``.

``tanh`` is the only transcendental function. numba compiles ``np.tanh`` in a loop
to a scalar libm call per element (the reason the first, per-step version of
these kernels was slower than NumPy's SIMD ``tanh``), so in float32 the loops use
:func:`tanh32`, a rational approximation made of multiplies, adds and one
division, which LLVM vectorises; its error (below 4e-7 relative, a few float32
ulp, against NumPy's 1e-7) is far inside the float32 parity tolerance. float64
keeps ``np.tanh`` (exact to float64 rounding, but scalar: the float64 kernels are
correct rather than fast).

Supported: NumPy arrays of float32 or float64, ``activation="tanh"``,
``recurrent_activation="sigmoid"``, masks, recurrent dropout, ``go_backwards``
(the caller reverses time) and truncated BPTT; LSTM without peepholes, coupled or
not. Everything else runs the NumPy code.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit, types
from numba.extending import overload

from brickwork.kernels.blas_threads import single_threaded

# error_model="numpy": a division is a plain division (no zero check), so the gate loops vectorise.
_OPTIONS = dict(cache=True, fastmath=False, nogil=True, error_model="numpy")

# tanh(x) ≈ x·P(x²)/Q(x²) on |x| ≤ 9 (tanh is 1 to float32 precision beyond): a relative least-squares
# fit (iteratively reweighted towards minimax), max error 2e-8 in exact arithmetic, 4e-7 in float32.
_P = (0.9999999971695566, 0.13092423513346751, 0.003113323317356948, 1.125151607684928e-05,
      -2.0615482846366482e-08, 5.463905853630226e-11, -8.961898218151984e-14)
_Q = (1.0, 0.4642575356201094, 0.024532564173027422, 0.00025597389709089446)
_P32 = tuple(np.float32(v) for v in _P)
_Q32 = tuple(np.float32(v) for v in _Q)
_ONE32, _CLAMP32 = np.float32(1.0), np.float32(9.0)


def tanh32(x: float) -> float:
    """Vectorisable float32 ``tanh``: clamp to ±9, then x·P(x²)/Q(x²) in Horner form, the result kept in
    [-1, 1]. NaN goes through (the comparisons are written so that NaN selects ``x``)."""
    x = _CLAMP32 if x > _CLAMP32 else x
    x = -_CLAMP32 if x < -_CLAMP32 else x
    s = x * x
    num = ((((((_P32[6] * s + _P32[5]) * s + _P32[4]) * s + _P32[3]) * s + _P32[2]) * s + _P32[1]) * s + _P32[0])
    den = ((_Q32[3] * s + _Q32[2]) * s + _Q32[1]) * s + _Q32[0]
    y = x * num / den
    y = _ONE32 if y > _ONE32 else y
    return -_ONE32 if y < -_ONE32 else y


_tanh32 = njit(**_OPTIONS)(tanh32)


def _tanh(x):  # the name the compiled loops call; typed by the overload below
    return np.tanh(x)


@overload(_tanh)
def _tanh_typed(x):  # pragma: no cover  (runs at compile time)
    if isinstance(x, types.Float) and x.bitwidth == 32:
        return lambda x: _tanh32(x)
    return lambda x: np.tanh(x)


@njit(**_OPTIONS)
def _tanh_loop(x, out):  # pragma: no cover
    for k in range(x.size):
        out[k] = _tanh(x[k])


def kernel_tanh(x: np.ndarray) -> np.ndarray:
    """``tanh`` as the compiled loops compute it: :func:`tanh32` for float32, ``np.tanh`` for float64."""
    x = np.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"kernel_tanh: x must be float32 or float64; got {x.dtype}.")
    flat = np.ascontiguousarray(x).ravel()
    out = np.empty_like(flat)
    _tanh_loop(flat, out)
    return out.reshape(x.shape)


# ----------------------------------------------------------------------------------------------- LSTM
# The loops below run over 1-D row views from index 0 (``zs[k]``, not ``z[b, units + k]``): written that way
# LLVM vectorises them; with offset indices into one row it keeps them scalar (measured 3-4x slower).
@njit(**_OPTIONS)
def _lstm_forward(a, u, h0, c0, masks, has_mask, rdrop, has_rdrop, coupled, hs, cs, tcs):  # pragma: no cover
    """Whole forward loop: ``a`` (T, N, G) gets the activated gates in place; writes ``hs``, ``cs``, ``tanh cs``."""
    t_len, n, width = a.shape
    units = u.shape[0]
    s = width - units                                          # the sigmoid gates come first
    rec = np.empty((n, width), a.dtype)
    hr = np.empty((n, units), a.dtype)
    half, one = a.dtype.type(0.5), a.dtype.type(1.0)
    for t in range(t_len):
        hp = h0 if t == 0 else hs[t - 1]
        cp = c0 if t == 0 else cs[t - 1]
        if has_rdrop:
            for b in range(n):
                hrb, hpb, rdb = hr[b], hp[b], rdrop[b]
                for j in range(units):
                    hrb[j] = hpb[j] * rdb[j]
            np.dot(hr, u, rec)
        else:
            np.dot(hp, u, rec)
        for b in range(n):
            zb, rb = a[t, b], rec[b]
            zs, rs, zg, rg = zb[:s], rb[:s], zb[s:], rb[s:]
            for k in range(s):
                zs[k] = half * _tanh(zs[k] + rs[k]) + half
            for k in range(units):
                zg[k] = _tanh(zg[k] + rg[k])
            zo, cpb, cb, tcb, hb = zb[:units], cp[b], cs[t, b], tcs[t, b], hs[t, b]
            if coupled:
                zf = zb[units:2 * units]
                for j in range(units):
                    cb[j] = zg[j] + zf[j] * (cpb[j] - zg[j])
            else:
                zi, zf = zb[units:2 * units], zb[2 * units:3 * units]
                for j in range(units):
                    cb[j] = zf[j] * cpb[j] + zi[j] * zg[j]
            for j in range(units):
                tc = _tanh(cb[j])
                tcb[j] = tc
                hb[j] = zo[j] * tc
            if has_mask:                                       # masked steps keep the previous state
                mb = masks[t, b, 0]
                hpb = hp[b]
                for j in range(units):
                    hb[j] = mb * hb[j] + (one - mb) * hpb[j]
                    cb[j] = mb * cb[j] + (one - mb) * cpb[j]


@njit(**_OPTIONS)
def _lstm_backward(a, ut, c0, cs, tcs, masks, has_mask, rdrop, has_rdrop, dhs, g_h, g_c, truncate, coupled,
                   dz_all):  # pragma: no cover
    """Whole BPTT loop: writes δZ into ``dz_all`` (T, N, G); returns ``(δh_0, δC_0)``. ``ut`` is Uᵀ, contiguous."""
    t_len, n, _ = a.shape
    units = ut.shape[1]
    one = a.dtype.type(1.0)
    rec = g_h.copy()                       # δh arriving from step t+1 (δh_T from outside at first)
    keep = np.zeros_like(rec)              # δh carried past a masked step
    dc = g_c.copy()
    dh = np.empty_like(rec)
    use_rdrop = False                      # δh_T did not go through the dropped product
    for t in range(t_len - 1, -1, -1):
        cp = c0 if t == 0 else cs[t - 1]
        for b in range(n):
            mb = masks[t, b, 0] if has_mask else one
            dhb, recb, keepb, dhtb, rdb = dh[b], rec[b], keep[b], dhs[t, b], rdrop[b]
            if use_rdrop:
                for j in range(units):
                    dhb[j] = dhtb[j] + recb[j] * rdb[j] + keepb[j]
            else:
                for j in range(units):
                    dhb[j] = dhtb[j] + recb[j] + keepb[j]
            ab, dzb, tcb, dcb, cpb = a[t, b], dz_all[t, b], tcs[t, b], dc[b], cp[b]
            o, dzo = ab[:units], dzb[:units]
            for j in range(units):             # δC_t
                dcb[j] = dcb[j] + dhb[j] * (o[j] * (one - tcb[j] * tcb[j]) * mb)
            for j in range(units):
                dzo[j] = dhb[j] * (tcb[j] * (o[j] * (one - o[j])) * mb)
            if coupled:
                f, g = ab[units:2 * units], ab[2 * units:]
                dzf, dzg = dzb[units:2 * units], dzb[2 * units:]
                for j in range(units):
                    dzf[j] = dcb[j] * ((cpb[j] - g[j]) * (f[j] * (one - f[j])) * mb)
                for j in range(units):
                    dzg[j] = dcb[j] * ((one - f[j]) * (one - g[j] * g[j]) * mb)
            else:
                i, f, g = ab[units:2 * units], ab[2 * units:3 * units], ab[3 * units:]
                dzi, dzf, dzg = dzb[units:2 * units], dzb[2 * units:3 * units], dzb[3 * units:]
                for j in range(units):
                    dzi[j] = dcb[j] * (g[j] * (i[j] * (one - i[j])) * mb)
                for j in range(units):
                    dzf[j] = dcb[j] * (cpb[j] * (f[j] * (one - f[j])) * mb)
                for j in range(units):
                    dzg[j] = dcb[j] * (i[j] * (one - g[j] * g[j]) * mb)
            if has_mask:
                for j in range(units):
                    keepb[j] = dhb[j] * (one - mb)
                for j in range(units):
                    dcb[j] = dcb[j] * (mb * f[j] + (one - mb))
            else:
                for j in range(units):
                    dcb[j] = dcb[j] * f[j]
        if truncate > 0 and t > 0 and t % truncate == 0:   # truncated BPTT: nothing flows to step t-1
            rec[:] = 0
            keep[:] = 0
            dc[:] = 0
            use_rdrop = False
        else:
            np.dot(dz_all[t], ut, rec)
            use_rdrop = has_rdrop
    if use_rdrop:
        rec *= rdrop
    return rec + keep, dc


def _one_blas_thread(fn):
    """Run a kernel wrapper with SciPy's BLAS (which compiled ``np.dot`` calls) on one thread: the
    per-step products are small, and a second multi-threaded pool beside NumPy's fights it for the
    cores (:mod:`brickwork.kernels.blas_threads`)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        with single_threaded():
            return fn(*args, **kwargs)
    return run


def _flags(masks: np.ndarray | None, rdrop: np.ndarray | None, n: int, dtype) -> tuple:
    """Optional arrays as (array, present) pairs: numba compiles one version, the absent ones as dummies."""
    m = np.ones((1, n, 1), dtype) if masks is None else np.ascontiguousarray(masks, dtype)
    d = np.ones((n, 1), dtype) if rdrop is None else np.ascontiguousarray(rdrop, dtype)
    return m, masks is not None, d, rdrop is not None


@_one_blas_thread
def lstm_forward(a: np.ndarray, u: np.ndarray, h0: np.ndarray, c0: np.ndarray, masks: np.ndarray | None,
                 rdrop: np.ndarray | None, coupled: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The forward loop of :class:`LSTMSequence` on ``a`` (T, N, G) = x W + b in internal order, sigmoid
    columns halved (activated in place); returns ``(hs, cs, tanh cs)``, each ``(T, N, U)``."""
    t_len, n, _ = a.shape
    units, dtype = u.shape[0], a.dtype
    hs, cs, tcs = (np.empty((t_len, n, units), dtype) for _ in range(3))
    m, has_mask, d, has_rdrop = _flags(masks, rdrop, n, dtype)
    _lstm_forward(a, np.ascontiguousarray(u, dtype), np.ascontiguousarray(h0, dtype), np.ascontiguousarray(c0, dtype),
                  m, has_mask, d, has_rdrop, bool(coupled), hs, cs, tcs)
    return hs, cs, tcs


@_one_blas_thread
def lstm_backward(a: np.ndarray, up: np.ndarray, c0: np.ndarray, cs: np.ndarray, tcs: np.ndarray,
                  masks: np.ndarray | None, rdrop: np.ndarray | None, dhs: np.ndarray, g_h: np.ndarray,
                  g_c: np.ndarray, truncate: int | None, coupled: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The BPTT loop of :class:`LSTMSequence`: returns ``(δZ (T, N, G), δh_0, δC_0)``; ``dhs`` is the
    time-major gradient of the outputs, ``up`` the recurrent kernel in internal order (not halved)."""
    dtype = a.dtype
    dz_all = np.empty_like(a)
    m, has_mask, d, has_rdrop = _flags(masks, rdrop, a.shape[1], dtype)
    dh0, dc0 = _lstm_backward(a, np.ascontiguousarray(up.T, dtype), np.ascontiguousarray(c0, dtype), cs, tcs, m,
                              has_mask, d, has_rdrop, np.ascontiguousarray(dhs, dtype),
                              np.ascontiguousarray(g_h, dtype), np.ascontiguousarray(g_c, dtype),
                              int(truncate or 0), bool(coupled), dz_all)
    return dz_all, dh0, dc0


# ----------------------------------------------------------------------------------------------- GRU
@njit(**_OPTIONS)
def _gru_forward(a, u, h0, b_rec, masks, has_mask, rdrop, has_rdrop, hs, hprev, hu_h):  # pragma: no cover
    """Whole reset_after forward loop: gates activated in place in ``a``; writes ``h_t``, ``h_{t-1}`` and
    ``h_{t-1} U_h + b'_h`` of every step."""
    t_len, n, width = a.shape
    units = u.shape[0]
    hu = np.empty((n, width), a.dtype)
    hr = np.empty((n, units), a.dtype)
    half, one = a.dtype.type(0.5), a.dtype.type(1.0)
    b_zr, b_h = b_rec[:2 * units], b_rec[2 * units:]
    for t in range(t_len):
        hp = h0 if t == 0 else hs[t - 1]
        if has_rdrop:
            for b in range(n):
                hrb, hpb, rdb = hr[b], hp[b], rdrop[b]
                for j in range(units):
                    hrb[j] = hpb[j] * rdb[j]
            np.dot(hr, u, hu)
        else:
            np.dot(hp, u, hu)
        for b in range(n):
            ab, hub = a[t, b], hu[b]
            a_zr, hu_zr = ab[:2 * units], hub[:2 * units]
            for k in range(2 * units):
                a_zr[k] = half * _tanh(half * (a_zr[k] + (hu_zr[k] + b_zr[k]))) + half
            z, r, cand, hu_hb, huh = ab[:units], ab[units:2 * units], ab[2 * units:], hub[2 * units:], hu_h[t, b]
            for j in range(units):
                huh[j] = hu_hb[j] + b_h[j]
            for j in range(units):
                cand[j] = _tanh(cand[j] + r[j] * huh[j])
            hpb, hpo, hb = hp[b], hprev[t, b], hs[t, b]
            for j in range(units):
                hpo[j] = hpb[j]
                hb[j] = z[j] * hpb[j] + (one - z[j]) * cand[j]
            if has_mask:
                mb = masks[t, b, 0]
                for j in range(units):
                    hb[j] = mb * hb[j] + (one - mb) * hpb[j]


@njit(**_OPTIONS)
def _gru_backward(a, ut, hprev, hu_h, masks, has_mask, rdrop, has_rdrop, dhs, g_h, truncate,
                  dx_part, dh_part):  # pragma: no cover
    """Whole reset_after BPTT loop: writes δ(x W + b) and δ(h U + b') of every step; returns δh_0."""
    t_len, n, _ = a.shape
    units = ut.shape[1]
    one = a.dtype.type(1.0)
    rec = g_h.copy()
    carry = np.zeros_like(rec)             # the part of δh_{t-1} that does not go through U
    dh = np.empty_like(rec)
    use_rdrop = False
    for t in range(t_len - 1, -1, -1):
        for b in range(n):
            mb = masks[t, b, 0] if has_mask else one
            dhb, recb, carryb, dhtb, rdb = dh[b], rec[b], carry[b], dhs[t, b], rdrop[b]
            if use_rdrop:
                for j in range(units):
                    dhb[j] = dhtb[j] + recb[j] * rdb[j] + carryb[j]
            else:
                for j in range(units):
                    dhb[j] = dhtb[j] + recb[j] + carryb[j]
            if has_mask:                       # δh past a masked step
                for j in range(units):
                    carryb[j] = dhb[j] * (one - mb)
                for j in range(units):
                    dhb[j] = dhb[j] * mb
            else:
                carryb[:] = 0
            ab, dxb, dhpb, hpb, huhb = a[t, b], dx_part[t, b], dh_part[t, b], hprev[t, b], hu_h[t, b]
            z, r, cand = ab[:units], ab[units:2 * units], ab[2 * units:]
            dxz, dxr, dxh = dxb[:units], dxb[units:2 * units], dxb[2 * units:]
            dhz, dhr, dhh = dhpb[:units], dhpb[units:2 * units], dhpb[2 * units:]
            for j in range(units):
                dxz[j] = dhb[j] * (hpb[j] - cand[j]) * (z[j] * (one - z[j]))
            for j in range(units):
                dxh[j] = dhb[j] * (one - z[j]) * (one - cand[j] * cand[j])
            for j in range(units):
                carryb[j] = dhb[j] * z[j] + carryb[j]
            for j in range(units):
                dxr[j] = dxh[j] * huhb[j] * (r[j] * (one - r[j]))
            for j in range(units):
                dhh[j] = dxh[j] * r[j]
            dhz[:] = dxz
            dhr[:] = dxr
        if truncate > 0 and t > 0 and t % truncate == 0:
            rec[:] = 0
            carry[:] = 0
            use_rdrop = False
        else:
            np.dot(dh_part[t], ut, rec)
            use_rdrop = has_rdrop
    if use_rdrop:
        rec *= rdrop
    return rec + carry


@_one_blas_thread
def gru_forward(a: np.ndarray, u: np.ndarray, h0: np.ndarray, b_rec: np.ndarray | None, masks: np.ndarray | None,
                rdrop: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The forward loop of :class:`GRUSequence` (``reset_after=True``) on ``a`` = x W + b_in (activated in
    place); returns ``(hs, hprev, hu_h)``, each ``(T, N, U)``."""
    t_len, n, width = a.shape
    units, dtype = u.shape[0], a.dtype
    hs, hprev, hu_h = (np.empty((t_len, n, units), dtype) for _ in range(3))
    bias = np.zeros(width, dtype) if b_rec is None else np.ascontiguousarray(b_rec, dtype)
    m, has_mask, d, has_rdrop = _flags(masks, rdrop, n, dtype)
    _gru_forward(a, np.ascontiguousarray(u, dtype), np.ascontiguousarray(h0, dtype), bias, m, has_mask, d, has_rdrop,
                 hs, hprev, hu_h)
    return hs, hprev, hu_h


@_one_blas_thread
def gru_backward(a: np.ndarray, u: np.ndarray, hprev: np.ndarray, hu_h: np.ndarray, masks: np.ndarray | None,
                 rdrop: np.ndarray | None, dhs: np.ndarray, g_h: np.ndarray,
                 truncate: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The BPTT loop of :class:`GRUSequence` (``reset_after=True``): returns ``(δ(xW + b_in), δ(hU + b'),
    δh_0)``, the first two ``(T, N, 3U)``."""
    dtype = a.dtype
    dx_part, dh_part = np.empty_like(a), np.empty_like(a)
    m, has_mask, d, has_rdrop = _flags(masks, rdrop, a.shape[1], dtype)
    dh0 = _gru_backward(a, np.ascontiguousarray(u.T, dtype), hprev, hu_h, m, has_mask, d, has_rdrop,
                        np.ascontiguousarray(dhs, dtype), np.ascontiguousarray(g_h, dtype), int(truncate or 0),
                        dx_part, dh_part)
    return dx_part, dh_part, dh0

"""Compiled per-step gate work of the LSTM and GRU sequences (numba), forward and BPTT backward.

Each time step of :class:`~brickwork.functions.recurrent.LSTMSequence` and
:class:`~brickwork.functions.recurrent.GRUSequence` is one matrix product (left to
NumPy/BLAS, written into a preallocated buffer) and a handful of element-wise
operations. NumPy spends one pass over memory, and one temporary, per operation;
the kernels below do all of a step's element-wise work in one loop over
``(batch, unit)``, reading each gate once. The formulas are those of the NumPy
code's docstrings, in the same internal gate order: LSTM ``(o, i, f, c)``
(``(o, f, c)`` coupled) with the sigmoid columns' pre-activations already halved
(σ(z) = ½ tanh(z/2) + ½, the halving folded into the weights), GRU ``(z, r, h)``
with ``reset_after=True``.

Supported: NumPy arrays of float32 or float64, ``activation="tanh"``,
``recurrent_activation="sigmoid"``, masks, recurrent dropout, ``go_backwards``
(the caller reverses time) and truncated BPTT; LSTM without peepholes, coupled or
not. Everything else runs the NumPy code.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_OPTIONS = dict(cache=True, fastmath=False, nogil=True)


# ----------------------------------------------------------------------------------------------- LSTM
@njit(**_OPTIONS)
def _lstm_step_forward(z, rec, c_prev, h_prev, m, has_mask, coupled, c_out, tc_out, h_out):  # pragma: no cover
    """One step: ``z += rec``, gates activated in place, ``C_t``, ``tanh C_t`` and ``h_t`` written."""
    n, units = c_prev.shape
    for b in range(n):
        mb = m[b, 0]
        for j in range(units):
            o = 0.5 * np.tanh(z[b, j] + rec[b, j]) + 0.5
            z[b, j] = o
            cp = c_prev[b, j]
            if coupled:
                f = 0.5 * np.tanh(z[b, units + j] + rec[b, units + j]) + 0.5
                g = np.tanh(z[b, 2 * units + j] + rec[b, 2 * units + j])
                z[b, units + j] = f
                z[b, 2 * units + j] = g
                c = g + f * (cp - g)
            else:
                i = 0.5 * np.tanh(z[b, units + j] + rec[b, units + j]) + 0.5
                f = 0.5 * np.tanh(z[b, 2 * units + j] + rec[b, 2 * units + j]) + 0.5
                g = np.tanh(z[b, 3 * units + j] + rec[b, 3 * units + j])
                z[b, units + j] = i
                z[b, 2 * units + j] = f
                z[b, 3 * units + j] = g
                c = f * cp + i * g
            tc = np.tanh(c)
            tc_out[b, j] = tc
            h = o * tc
            if has_mask:                                   # masked steps keep the previous state
                h = mb * h + (1 - mb) * h_prev[b, j]
                c = mb * c + (1 - mb) * cp
            h_out[b, j] = h
            c_out[b, j] = c


@njit(**_OPTIONS)
def _lstm_step_backward(dh_out, rec, rdrop, use_rdrop, keep, a, tc, c_prev, m, has_mask, coupled,
                        dc, dz):  # pragma: no cover
    """One BPTT step: δh_t from the output, the recurrent product and the masked carry; writes δz_t,
    turns ``dc`` from δC_t into δC_{t-1} and ``keep`` into this step's δh carried past the mask."""
    n, units = dc.shape
    for b in range(n):
        mb = m[b, 0] if has_mask else 1.0
        for j in range(units):
            r = rec[b, j]
            if use_rdrop:
                r = r * rdrop[b, j]
            dh = dh_out[b, j] + r + keep[b, j]
            o = a[b, j]
            t = tc[b, j]
            dcv = dc[b, j] + dh * (o * (1 - t * t) * mb)
            dz[b, j] = dh * (t * (o * (1 - o)) * mb)
            cp = c_prev[b, j]
            if coupled:
                f = a[b, units + j]
                g = a[b, 2 * units + j]
                dz[b, units + j] = dcv * ((cp - g) * (f * (1 - f)) * mb)
                dz[b, 2 * units + j] = dcv * ((1 - f) * (1 - g * g) * mb)
            else:
                i = a[b, units + j]
                f = a[b, 2 * units + j]
                g = a[b, 3 * units + j]
                dz[b, units + j] = dcv * (g * (i * (1 - i)) * mb)
                dz[b, 2 * units + j] = dcv * (cp * (f * (1 - f)) * mb)
                dz[b, 3 * units + j] = dcv * (i * (1 - g * g) * mb)
            if has_mask:
                dc[b, j] = dcv * (mb * f + (1 - mb))
                keep[b, j] = dh * (1 - mb)
            else:
                dc[b, j] = dcv * f


def _step_mask(masks: np.ndarray | None, t: int, dummy: np.ndarray) -> np.ndarray:
    return dummy if masks is None else masks[t]


def _boundary(t: int, truncate: int | None) -> bool:
    return truncate is not None and t > 0 and t % truncate == 0


def lstm_forward(a: np.ndarray, u: np.ndarray, h0: np.ndarray, c0: np.ndarray, masks: np.ndarray | None,
                 rdrop: np.ndarray | None, coupled: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The forward loop of :class:`LSTMSequence` on ``a`` (T, N, G) = x W + b in internal order, sigmoid
    columns halved (activated in place); returns ``(hs, cs, tanh cs)``, each ``(T, N, U)``."""
    t_len, n, width = a.shape
    units = u.shape[0]
    dtype = a.dtype
    hs, cs, tcs = (np.empty((t_len, n, units), dtype) for _ in range(3))
    rec = np.empty((n, width), dtype)
    hr = np.empty((n, units), dtype)
    dummy = np.ones((n, 1), dtype)
    h, c = np.ascontiguousarray(h0), np.ascontiguousarray(c0)
    for t in range(t_len):
        if rdrop is not None:
            np.multiply(h, rdrop, out=hr)
            np.matmul(hr, u, out=rec)
        else:
            np.matmul(h, u, out=rec)
        _lstm_step_forward(a[t], rec, c, h, _step_mask(masks, t, dummy), masks is not None, coupled,
                           cs[t], tcs[t], hs[t])
        h, c = hs[t], cs[t]
    return hs, cs, tcs


def lstm_backward(a: np.ndarray, up: np.ndarray, c0: np.ndarray, cs: np.ndarray, tcs: np.ndarray,
                  masks: np.ndarray | None, rdrop: np.ndarray | None, dhs: np.ndarray, g_h: np.ndarray,
                  g_c: np.ndarray, truncate: int | None, coupled: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The BPTT loop of :class:`LSTMSequence`: returns ``(δZ (T, N, G), δh_0, δC_0)``; ``dhs`` is the
    time-major gradient of the outputs, ``up`` the recurrent kernel in internal order (not halved)."""
    t_len, n, _ = a.shape
    dtype = a.dtype
    dz_all = np.empty_like(a)
    rec = np.array(g_h, dtype=dtype, order="C")                # δh_T arrives as if from a step T+1
    keep = np.zeros_like(rec)
    dc = np.array(g_c, dtype=dtype, order="C")
    dummy = np.ones((n, 1), dtype)
    drop = dummy if rdrop is None else rdrop
    up_t = up.T
    use_rdrop = False
    for t in range(t_len - 1, -1, -1):
        c_prev = cs[t - 1] if t > 0 else np.ascontiguousarray(c0)
        _lstm_step_backward(dhs[t], rec, drop, use_rdrop, keep, a[t], tcs[t], c_prev, _step_mask(masks, t, dummy),
                            masks is not None, coupled, dc, dz_all[t])
        if _boundary(t, truncate):                             # truncated BPTT: nothing flows to step t-1
            rec[...] = 0
            keep[...] = 0
            dc[...] = 0
        else:
            np.matmul(dz_all[t], up_t, out=rec)
            use_rdrop = rdrop is not None
    dh0 = rec * rdrop if use_rdrop else rec
    return dz_all, dh0 + keep, dc


# ----------------------------------------------------------------------------------------------- GRU
@njit(**_OPTIONS)
def _gru_step_forward(a, hu, b_rec, h_prev, m, has_mask, h_out, hprev_out, huh_out):  # pragma: no cover
    """One reset_after step: gates activated in place in ``a``, ``h_{t-1}``, ``h_{t-1} U_h + b'_h`` and ``h_t``
    written."""
    n, units = h_prev.shape
    for b in range(n):
        mb = m[b, 0]
        for j in range(units):
            z = 0.5 * np.tanh(0.5 * (a[b, j] + (hu[b, j] + b_rec[j]))) + 0.5
            r = 0.5 * np.tanh(0.5 * (a[b, units + j] + (hu[b, units + j] + b_rec[units + j]))) + 0.5
            huh = hu[b, 2 * units + j] + b_rec[2 * units + j]
            cand = np.tanh(a[b, 2 * units + j] + r * huh)
            a[b, j] = z
            a[b, units + j] = r
            a[b, 2 * units + j] = cand
            huh_out[b, j] = huh
            hp = h_prev[b, j]
            hprev_out[b, j] = hp
            h = z * hp + (1 - z) * cand
            if has_mask:
                h = mb * h + (1 - mb) * hp
            h_out[b, j] = h


@njit(**_OPTIONS)
def _gru_step_backward(dh_out, rec, rdrop, use_rdrop, carry, a, hp, huh, m, has_mask, dx, dhp):  # pragma: no cover
    """One reset_after BPTT step: writes δ(x W + b) and δ(h U + b') of step t; ``carry`` becomes the part of
    δh_{t-1} that does not go through U (δh z_t, plus δh past a masked step)."""
    n, units = carry.shape
    for b in range(n):
        mb = m[b, 0] if has_mask else 1.0
        for j in range(units):
            r_in = rec[b, j]
            if use_rdrop:
                r_in = r_in * rdrop[b, j]
            dh = dh_out[b, j] + r_in + carry[b, j]
            kept = 0.0
            if has_mask:
                kept = dh * (1 - mb)
                dh = dh * mb
            z = a[b, j]
            r = a[b, units + j]
            cand = a[b, 2 * units + j]
            dxz = dh * (hp[b, j] - cand) * (z * (1 - z))
            dac = dh * (1 - z) * (1 - cand * cand)
            dxr = dac * huh[b, j] * (r * (1 - r))
            dx[b, j] = dxz
            dx[b, units + j] = dxr
            dx[b, 2 * units + j] = dac
            dhp[b, j] = dxz
            dhp[b, units + j] = dxr
            dhp[b, 2 * units + j] = dac * r
            carry[b, j] = dh * z + kept


def gru_forward(a: np.ndarray, u: np.ndarray, h0: np.ndarray, b_rec: np.ndarray | None, masks: np.ndarray | None,
                rdrop: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The forward loop of :class:`GRUSequence` (``reset_after=True``) on ``a`` = x W + b_in (activated in
    place); returns ``(hs, hprev, hu_h)``, each ``(T, N, U)``."""
    t_len, n, width = a.shape
    units = u.shape[0]
    dtype = a.dtype
    hs, hprev, hu_h = (np.empty((t_len, n, units), dtype) for _ in range(3))
    hu = np.empty((n, width), dtype)
    hr = np.empty((n, units), dtype)
    bias = np.zeros(width, dtype) if b_rec is None else np.ascontiguousarray(b_rec, dtype)
    dummy = np.ones((n, 1), dtype)
    h = np.ascontiguousarray(h0)
    for t in range(t_len):
        if rdrop is not None:
            np.multiply(h, rdrop, out=hr)
            np.matmul(hr, u, out=hu)
        else:
            np.matmul(h, u, out=hu)
        _gru_step_forward(a[t], hu, bias, h, _step_mask(masks, t, dummy), masks is not None, hs[t], hprev[t], hu_h[t])
        h = hs[t]
    return hs, hprev, hu_h


def gru_backward(a: np.ndarray, u: np.ndarray, hprev: np.ndarray, hu_h: np.ndarray, masks: np.ndarray | None,
                 rdrop: np.ndarray | None, dhs: np.ndarray, g_h: np.ndarray,
                 truncate: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The BPTT loop of :class:`GRUSequence` (``reset_after=True``): returns ``(δ(xW + b_in), δ(hU + b'),
    δh_0)``, the first two ``(T, N, 3U)``."""
    t_len, n, _ = a.shape
    dtype = a.dtype
    dx_part, dh_part = np.empty_like(a), np.empty_like(a)
    rec = np.array(g_h, dtype=dtype, order="C")
    carry = np.zeros_like(rec)
    dummy = np.ones((n, 1), dtype)
    drop = dummy if rdrop is None else rdrop
    u_t = u.T
    use_rdrop = False
    for t in range(t_len - 1, -1, -1):
        _gru_step_backward(dhs[t], rec, drop, use_rdrop, carry, a[t], hprev[t], hu_h[t],
                           _step_mask(masks, t, dummy), masks is not None, dx_part[t], dh_part[t])
        if _boundary(t, truncate):
            rec[...] = 0
            carry[...] = 0
        else:
            np.matmul(dh_part[t], u_t, out=rec)
            use_rdrop = rdrop is not None
    dh0 = rec * rdrop if use_rdrop else rec
    return dx_part, dh_part, dh0 + carry

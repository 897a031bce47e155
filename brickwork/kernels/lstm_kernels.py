"""The compiled whole-sequence loops of the LSTM node (numba): forward and BPTT backward.

The formulas are those of :class:`~brickwork.functions.recurrent.LSTMSequence`'s docstring,
in its internal gate order ``(o, i, f, c)`` (``(o, f, c)`` coupled) with the sigmoid columns'
pre-activations already halved (σ(z) = ½ tanh(z/2) + ½, the halving folded into the
weights). Each step is one BLAS product added straight into the step's gate block
(:func:`~brickwork.kernels.gemm_kernels.gemm`), the bias added in the gate loop, then the
gate work in loops over ``(batch, unit)``; with peepholes, the products ``C_{t-1} P_{i,f}``
before the input and forget gates and ``C_t P_o`` before the output gate, and in BPTT
``δz_o P_oᵀ`` and ``δz_{i,f} P_{i,f}ᵀ`` into δC. No Python runs between steps.

The loops run over 1-D row views from index 0 (``zs[k]``, not ``z[b, units + k]``): written
that way LLVM vectorises them; with offset indices into one row it keeps them scalar
(measured 3-4x slower).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from brickwork.kernels.gemm_kernels import gemm, incoming_state_grad, state_product
from brickwork.kernels.tanh_kernels import OPTIONS, _tanh


@njit(**OPTIONS)
def _output_row(zo, cb, tcb, hb, hpb, cpb, mb, has_mask):  # pragma: no cover
    """h = o · tanh(C) for one row (``tanh C`` kept for BPTT); masked rows keep the previous h and C."""
    one = zo.dtype.type(1.0)
    for j in range(zo.size):
        tc = _tanh(cb[j])
        tcb[j] = tc
        hb[j] = zo[j] * tc
    if has_mask:
        for j in range(zo.size):
            hb[j] = mb * hb[j] + (one - mb) * hpb[j]
            cb[j] = mb * cb[j] + (one - mb) * cpb[j]


@njit(**OPTIONS)
def _lstm_forward(a, u, bias, h0, c0, masks, has_mask, rdrop, has_rdrop, coupled, peep, p_if, p_o,
                  hs, cs, tcs, r0, r1):  # pragma: no cover
    """Whole forward loop over the batch rows ``r0 <= b < r1``: ``a`` (T, N, G) = x W gets the activated
    gates in place; writes ``hs``, ``cs``, ``tanh cs``. ``bias`` (G,) is added here; ``p_if``/``p_o`` are the
    (halved) peephole matrices. (Rows are independent: slicing only the leading axes keeps C layout.)"""
    t_len, width = a.shape[0], a.shape[2]
    n = r1 - r0
    units = u.shape[0]
    s = width - units                                          # the sigmoid gates come first
    lo = units if peep else 0                                  # with peepholes o waits for C_t
    hr = np.empty((n, units), a.dtype)
    half, one = a.dtype.type(0.5), a.dtype.type(1.0)
    b_s, b_g, b_o = bias[lo:s], bias[s:], bias[:units]
    rd = rdrop[r0:r1]
    for t in range(t_len):
        hp = h0[r0:r1] if t == 0 else hs[t - 1, r0:r1]
        cp = c0[r0:r1] if t == 0 else cs[t - 1, r0:r1]
        z, hst, cst, tcst = a[t, r0:r1], hs[t, r0:r1], cs[t, r0:r1], tcs[t, r0:r1]
        state_product(hp, u, z, True, rd, has_rdrop, hr)      # z += (h * dropout) U
        if peep:
            gemm(cp, p_if, z[:, units:s], True)                # i, f peek at C_{t-1}
        for b in range(n):
            zb = z[b]
            zs, zg = zb[lo:s], zb[s:]
            for k in range(s - lo):
                zs[k] = half * _tanh(zs[k] + b_s[k]) + half
            for k in range(units):
                zg[k] = _tanh(zg[k] + b_g[k])
            cpb, cb = cp[b], cst[b]
            if coupled:
                zf = zb[units:2 * units]
                for j in range(units):
                    cb[j] = zg[j] + zf[j] * (cpb[j] - zg[j])
            else:
                zi, zf = zb[units:2 * units], zb[2 * units:3 * units]
                for j in range(units):
                    cb[j] = zf[j] * cpb[j] + zi[j] * zg[j]
            if not peep:
                mb = masks[t, r0 + b, 0] if has_mask else one
                _output_row(zb[:units], cb, tcst[b], hst[b], hp[b], cpb, mb, has_mask)
        if peep:
            gemm(cst, p_o, z[:, :units], True)                 # o peeks at C_t (before any masking)
            for b in range(n):
                zo = z[b, :units]
                for j in range(units):
                    zo[j] = half * _tanh(zo[j] + b_o[j]) + half
                mb = masks[t, r0 + b, 0] if has_mask else one
                _output_row(zo, cst[b], tcst[b], hst[b], hp[b], cp[b], mb, has_mask)


@njit(**OPTIONS)
def _gate_grads_row(ab, dzb, dcb, cpb, mb, coupled, has_mask):  # pragma: no cover
    """One row of BPTT after δC_t is complete: δz of i, f and c̃ (f and c̃ coupled), then δC_{t-1} = δC_t f."""
    units = cpb.size
    one = ab.dtype.type(1.0)
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
            dcb[j] = dcb[j] * (mb * f[j] + (one - mb))
    else:
        for j in range(units):
            dcb[j] = dcb[j] * f[j]


@njit(**OPTIONS)
def _lstm_backward(a, ut, c0, cs, tcs, masks, has_mask, rdrop, has_rdrop, dhs, g_h, g_c, truncate, coupled,
                   peep, po_t, pif_t, need_dh0, dz_all, r0, r1):  # pragma: no cover
    """Whole BPTT loop over the batch rows ``r0 <= b < r1``: writes their δZ into ``dz_all`` (T, N, G);
    returns their ``(δh_0, δC_0)``, each ``(r1 - r0, U)``. ``ut`` is Uᵀ, ``po_t``/``pif_t`` the peephole
    matrices transposed, all contiguous and not halved."""
    t_len, width = a.shape[0], a.shape[2]
    n = r1 - r0
    units = ut.shape[1]
    s = width - units
    one = a.dtype.type(1.0)
    rec = g_h[r0:r1].copy()                # δh arriving from step t+1 (δh_T from outside at first)
    keep = np.zeros_like(rec)              # δh carried past a masked step
    dc = g_c[r0:r1].copy()
    dh = np.empty_like(rec)
    rd = rdrop[r0:r1]
    use_rdrop = False                      # δh_T did not go through the dropped product
    for t in range(t_len - 1, -1, -1):
        cp = c0[r0:r1] if t == 0 else cs[t - 1, r0:r1]
        dz, at, tcst, dhst = dz_all[t, r0:r1], a[t, r0:r1], tcs[t, r0:r1], dhs[t, r0:r1]
        for b in range(n):                 # δh_t, δC_t += δh o (1 - tanh² C), δz_o (and without peepholes the rest)
            mb = masks[t, r0 + b, 0] if has_mask else one
            dhb, keepb = dh[b], keep[b]
            incoming_state_grad(dhb, dhst[b], rec[b], rd[b], use_rdrop, keepb)
            ab, dzb, tcb, dcb = at[b], dz[b], tcst[b], dc[b]
            o, dzo = ab[:units], dzb[:units]
            for j in range(units):
                dcb[j] = dcb[j] + dhb[j] * (o[j] * (one - tcb[j] * tcb[j]) * mb)
            for j in range(units):
                dzo[j] = dhb[j] * (tcb[j] * (o[j] * (one - o[j])) * mb)
            if has_mask:
                for j in range(units):
                    keepb[j] = dhb[j] * (one - mb)
            if not peep:
                _gate_grads_row(ab, dzb, dcb, cp[b], mb, coupled, has_mask)
        if peep:
            gemm(dz[:, :units], po_t, dc, True)                # δC_t += δz_o P_oᵀ
            for b in range(n):
                mb = masks[t, r0 + b, 0] if has_mask else one
                _gate_grads_row(at[b], dz[b], dc[b], cp[b], mb, coupled, has_mask)
            gemm(dz[:, units:s], pif_t, dc, True)              # δC_{t-1} += δz_{i,f} P_{i,f}ᵀ
        if truncate > 0 and t > 0 and t % truncate == 0:   # truncated BPTT: nothing flows to step t-1
            rec[:] = 0
            keep[:] = 0
            dc[:] = 0
            use_rdrop = False
        elif t > 0 or need_dh0:
            gemm(dz, ut, rec, False)                           # δh_{t-1} = δz Uᵀ
            use_rdrop = has_rdrop
        else:                                                  # δh_0 not wanted: skip the last product
            rec[:] = 0
            keep[:] = 0
            use_rdrop = False
    if use_rdrop:
        rec *= rd
    return rec + keep, dc

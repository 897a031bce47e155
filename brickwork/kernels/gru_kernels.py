"""The compiled whole-sequence loops of the GRU node (numba), ``reset_after=True``: forward and BPTT.

The formulas are those of :class:`~brickwork.functions.recurrent.GRUSequence`'s docstring,
Keras gate order ``(z, r, h)``. Each step is one BLAS product (``h_{t-1} U`` into a
preallocated buffer: the candidate's part is needed apart, before the reset gate scales
it) and one loop over ``(batch, unit)`` for the step's gate work.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from brickwork.kernels.gemm_kernels import incoming_state_grad, state_product
from brickwork.kernels.tanh_kernels import OPTIONS, _tanh


@njit(**OPTIONS)
def _gru_forward(a, u, h0, b_rec, masks, has_mask, rdrop, has_rdrop, hs, hprev, hu_h, r0, r1):  # pragma: no cover
    """Whole reset_after forward loop over the batch rows ``r0 <= b < r1``: gates activated in place in
    ``a``; writes ``h_t``, ``h_{t-1}`` and ``h_{t-1} U_h + b'_h`` of every step."""
    t_len, width = a.shape[0], a.shape[2]
    n = r1 - r0
    units = u.shape[0]
    hu = np.empty((n, width), a.dtype)
    hr = np.empty((n, units), a.dtype)
    half, one = a.dtype.type(0.5), a.dtype.type(1.0)
    b_zr, b_h = b_rec[:2 * units], b_rec[2 * units:]
    rd = rdrop[r0:r1]
    for t in range(t_len):
        hp = h0[r0:r1] if t == 0 else hs[t - 1, r0:r1]
        at, hst, hprevt, hu_ht = a[t, r0:r1], hs[t, r0:r1], hprev[t, r0:r1], hu_h[t, r0:r1]
        state_product(hp, u, hu, False, rd, has_rdrop, hr)     # hu = (h * dropout) U
        for b in range(n):
            ab, hub = at[b], hu[b]
            a_zr, hu_zr = ab[:2 * units], hub[:2 * units]
            for k in range(2 * units):
                a_zr[k] = half * _tanh(half * (a_zr[k] + (hu_zr[k] + b_zr[k]))) + half
            z, r, cand, hu_hb, huh = ab[:units], ab[units:2 * units], ab[2 * units:], hub[2 * units:], hu_ht[b]
            for j in range(units):
                huh[j] = hu_hb[j] + b_h[j]
            for j in range(units):
                cand[j] = _tanh(cand[j] + r[j] * huh[j])
            hpb, hpo, hb = hp[b], hprevt[b], hst[b]
            for j in range(units):
                hpo[j] = hpb[j]
                hb[j] = z[j] * hpb[j] + (one - z[j]) * cand[j]
            if has_mask:
                mb = masks[t, r0 + b, 0]
                for j in range(units):
                    hb[j] = mb * hb[j] + (one - mb) * hpb[j]


@njit(**OPTIONS)
def _gru_backward(a, ut, hprev, hu_h, masks, has_mask, rdrop, has_rdrop, dhs, g_h, truncate,
                  dx_part, dh_part, r0, r1):  # pragma: no cover
    """Whole reset_after BPTT loop over the batch rows ``r0 <= b < r1``: writes their δ(x W + b) and
    δ(h U + b') of every step; returns their δh_0 ``(r1 - r0, U)``."""
    t_len = a.shape[0]
    n = r1 - r0
    units = ut.shape[1]
    one = a.dtype.type(1.0)
    rec = g_h[r0:r1].copy()
    carry = np.zeros_like(rec)             # the part of δh_{t-1} that does not go through U
    dh = np.empty_like(rec)
    rd = rdrop[r0:r1]
    use_rdrop = False
    for t in range(t_len - 1, -1, -1):
        at, dxt, dht, hprevt, hu_ht = a[t, r0:r1], dx_part[t, r0:r1], dh_part[t, r0:r1], hprev[t, r0:r1], hu_h[t, r0:r1]
        dhst = dhs[t, r0:r1]
        for b in range(n):
            mb = masks[t, r0 + b, 0] if has_mask else one
            dhb, carryb = dh[b], carry[b]
            incoming_state_grad(dhb, dhst[b], rec[b], rd[b], use_rdrop, carryb)
            if has_mask:                       # δh past a masked step
                for j in range(units):
                    carryb[j] = dhb[j] * (one - mb)
                for j in range(units):
                    dhb[j] = dhb[j] * mb
            else:
                carryb[:] = 0
            ab, dxb, dhpb, hpb, huhb = at[b], dxt[b], dht[b], hprevt[b], hu_ht[b]
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
            np.dot(dht, ut, rec)
            use_rdrop = has_rdrop
    if use_rdrop:
        rec *= rd
    return rec + carry

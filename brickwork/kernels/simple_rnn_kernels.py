"""The compiled whole-sequence loops of the simple RNN node (numba): forward and BPTT backward.

The formulas are those of :class:`~brickwork.functions.recurrent.SimpleRNNSequence`'s
docstring with φ = tanh: each step is one BLAS product added straight into the step's
pre-activations (:func:`~brickwork.kernels.gemm_kernels.gemm`), then one loop over
``(batch, unit)`` that adds the bias, applies tanh and the mask.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from brickwork.kernels.gemm_kernels import gemm, incoming_state_grad, state_product
from brickwork.kernels.tanh_kernels import OPTIONS, _tanh


@njit(**OPTIONS)
def _simple_rnn_forward(a, u, bias, h0, masks, has_mask, rdrop, has_rdrop, hs, hprev, r0, r1):  # pragma: no cover
    """Whole forward loop over the batch rows ``r0 <= b < r1``: ``a`` (T, N, U) = x W becomes
    tanh(x W + h U + b) in place; writes ``h_t`` and ``h_{t-1}`` of every step."""
    t_len, units = a.shape[0], a.shape[2]
    n = r1 - r0
    hr = np.empty((n, units), a.dtype)
    one = a.dtype.type(1.0)
    rd = rdrop[r0:r1]
    for t in range(t_len):
        hp = h0[r0:r1] if t == 0 else hs[t - 1, r0:r1]
        hprev[t, r0:r1] = hp
        z, hst = a[t, r0:r1], hs[t, r0:r1]
        state_product(hp, u, z, True, rd, has_rdrop, hr)      # z += (h * dropout) U
        for b in range(n):
            zb, hb, hpb = z[b], hst[b], hp[b]
            for j in range(units):
                zb[j] = _tanh(zb[j] + bias[j])
            if has_mask:
                mb = masks[t, r0 + b, 0]
                for j in range(units):
                    hb[j] = mb * zb[j] + (one - mb) * hpb[j]
            else:
                for j in range(units):
                    hb[j] = zb[j]


@njit(**OPTIONS)
def _simple_rnn_backward(y, ut, masks, has_mask, rdrop, has_rdrop, dhs, g_h, truncate, need_dh0,
                         da, r0, r1):  # pragma: no cover
    """Whole BPTT loop over the batch rows ``r0 <= b < r1`` of the activated ``y`` (T, N, U): writes their
    δa = δh (1 - y²) of every step into ``da``; returns their δh_0 ``(r1 - r0, U)``. ``ut`` is Uᵀ, contiguous."""
    t_len, units = y.shape[0], y.shape[2]
    n = r1 - r0
    one = y.dtype.type(1.0)
    rec = g_h[r0:r1].copy()                # δh arriving from step t+1
    keep = np.zeros_like(rec)              # δh carried past a masked step
    rd = rdrop[r0:r1]
    use_rdrop = False
    for t in range(t_len - 1, -1, -1):
        dhst, yt, dat = dhs[t, r0:r1], y[t, r0:r1], da[t, r0:r1]
        for b in range(n):
            mb = masks[t, r0 + b, 0] if has_mask else one
            keepb, yb, dab = keep[b], yt[b], dat[b]
            incoming_state_grad(dab, dhst[b], rec[b], rd[b], use_rdrop, keepb)
            if has_mask:
                for j in range(units):
                    keepb[j] = dab[j] * (one - mb)
            for j in range(units):
                dab[j] = dab[j] * mb * (one - yb[j] * yb[j])
        if truncate > 0 and t > 0 and t % truncate == 0:
            rec[:] = 0
            keep[:] = 0
            use_rdrop = False
        elif t > 0 or need_dh0:
            gemm(dat, ut, rec, False)
            use_rdrop = has_rdrop
        else:
            rec[:] = 0
            keep[:] = 0
            use_rdrop = False
    if use_rdrop:
        rec *= rd
    return rec + keep

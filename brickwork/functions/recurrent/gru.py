"""The whole-sequence GRU node (``reset_after`` True or False)."""

from __future__ import annotations

import numpy as np

from brickwork.backend import get_array_module
from brickwork.engine.function import Function
from brickwork.functions.recurrent._common import (
    activation,
    boundary,
    grads_to_time_major,
    input_grad_to_batch_major,
    outputs_to_batch_major,
    step_masks,
    time_major,
)


class GRUSequence(Function):
    r"""A whole GRU sequence as one autograd node (Keras gate order ``z, r, h``).

    Seed 002 writes the GRU as :math:`z_t = σ(W_z·[h_{t-1}, x_t])`,
    :math:`r_t = σ(W_r·[h_{t-1}, x_t])`, :math:`\tilde h_t = \tanh(W·[r_t * h_{t-1}, x_t])`,
    :math:`h_t = (1 - z_t) * h_{t-1} + z_t * \tilde h_t`; Keras and PyTorch name the
    gate the other way round (:math:`z \leftrightarrow 1 - z`)::

        z_t = σ(x_t W_z + h_{t-1} U_z + b_z)
        r_t = σ(x_t W_r + h_{t-1} U_r + b_r)
        h̃_t = tanh(x_t W_h + r_t * (h_{t-1} U_h + b'_h))      reset_after=True (Keras default, PyTorch)
        h̃_t = tanh(x_t W_h + (r_t * h_{t-1}) U_h + b_h)       reset_after=False (the seed's equation)
        h_t = z_t * h_{t-1} + (1 - z_t) * h̃_t

    BPTT per step (δh from the output and from step t+1)::

        δz = δh * (h_{t-1} - h̃_t) * σ'(z)        δh̃ = δh * (1 - z_t) * (1 - h̃_t²)
        reset_after=True:  δ(h U_h) = δh̃ * r_t,   δr = δh̃ * (h_{t-1} U_h + b'_h)
        reset_after=False: δ(r h)   = δh̃ U_hᵀ,    δr = δ(r h) * h_{t-1}
        δh_{t-1} = δh * z_t + [δz, δr σ'(r), ·] Uᵀ (+ δ(r h) * r_t)

    with the weight gradients as one GEMM each after the loop. Inputs:
    ``x, h0, W (D, 3U), U (U, 3U)`` then ``b`` — ``(2, 3U)`` (input and recurrent
    biases) with ``reset_after``, ``(3U,)`` without. Options as :class:`LSTMSequence`.
    Outputs: all hidden states ``(N, T, U)`` and ``h_T``.
    """

    def __init__(self, use_bias=True, reset_after=True, activation_name="tanh", recurrent_activation="sigmoid",
                 go_backwards=False, mask=None, rdrop=None, truncate=None):
        self.use_bias, self.reset_after = use_bias, reset_after
        self.act, self.dact = activation(activation_name)
        self.ract, self.dract = activation(recurrent_activation)
        self.go_backwards, self.mask, self.rdrop, self.truncate = go_backwards, mask, rdrop, truncate
        self.kernel_case = reset_after and activation_name == "tanh" and recurrent_activation == "sigmoid"

    def _use_kernel(self, arrays) -> bool:
        """Whether the compiled step kernels (:mod:`brickwork.kernels`) handle this call."""
        x = arrays[0]
        if not self.kernel_case or x.shape[1] == 0:
            return False
        from brickwork import kernels

        # float64 tanh is a scalar libm call in the kernel: NumPy's loop wins unless asked for by name
        return kernels.handles("recurrent", *arrays) and (x.dtype == np.float32 or kernels.chosen("recurrent"))

    def forward(self, x, h0, w, u, *rest):
        xp = get_array_module(x)
        b = rest[0] if self.use_bias else None
        n, t_len, _ = x.shape
        units = u.shape[0]
        self.units = units
        xs = time_major(x, self.go_backwards)
        a = (xs.reshape(t_len * n, -1) @ w).reshape(t_len, n, 3 * units)
        b_in = b_rec = None
        if b is not None:
            b_in, b_rec = (b[0], b[1]) if self.reset_after else (b, None)
            a += b_in
        masks = step_masks(self.mask, self.go_backwards, x.dtype)
        rdrop = None if self.rdrop is None else xp.asarray(self.rdrop, x.dtype)
        hs = xp.empty((t_len, n, units), x.dtype)
        hprev = xp.empty((t_len, n, units), x.dtype)
        hu_h = xp.empty((t_len, n, units), x.dtype)  # the recurrent part of the candidate (before reset)
        u_zr, u_h = u[:, :2 * units], u[:, 2 * units:]
        h = h0
        self.compiled = self._use_kernel((x, h0, u, a, b_rec, rdrop))
        if self.compiled:                        # brickwork[fast]: the same loop with each step's gates fused
            from brickwork.kernels.recurrent_kernels import gru_forward

            rdrop = None if rdrop is None else xp.ascontiguousarray(rdrop)
            hs, hprev, hu_h = gru_forward(a, xp.ascontiguousarray(u), h0, b_rec, masks, rdrop)
            h = hs[-1]
        numpy_steps = 0 if self.compiled else t_len  # the NumPy reference loop
        for t in range(numpy_steps):
            hprev[t] = h
            hr = h * rdrop if rdrop is not None else h
            at = a[t]
            if self.reset_after:
                hu = hr @ u
                if b_rec is not None:
                    hu += b_rec
                at[:, :2 * units] += hu[:, :2 * units]
                self.ract(at[:, :2 * units])
                hu_h[t] = hu[:, 2 * units:]
                at[:, 2 * units:] += at[:, units:2 * units] * hu_h[t]
            else:
                at[:, :2 * units] += hr @ u_zr
                self.ract(at[:, :2 * units])
                hu_h[t] = at[:, units:2 * units] * hr  # r * h, the input of the candidate's product
                at[:, 2 * units:] += hu_h[t] @ u_h
            cand = self.act(at[:, 2 * units:])
            z = at[:, :units]
            h_new = z * h + (1 - z) * cand
            if masks is not None:
                m = masks[t]
                h_new = m * h_new + (1 - m) * h
            hs[t] = h_new
            h = hs[t]
        self.saved = (xs, w, u, a, hprev, hu_h, masks, rdrop)
        self.shapes = (x.shape, None if b is None else b.shape)
        return outputs_to_batch_major(hs), h.copy()

    def backward(self, g_hs, g_h):
        xp = get_array_module(g_hs)
        xs, w, u, a, hprev, hu_h, masks, rdrop = self.saved
        (n, t_len, _), b_shape = self.shapes
        units = self.units
        u_h = u[:, 2 * units:]
        dx_part = xp.empty_like(a)        # gradients of x W + b_in, all steps
        dh_part = xp.empty_like(a)        # gradients of the recurrent products, all steps
        dhs = grads_to_time_major(g_hs)
        dh_next = g_h.copy()
        numpy_steps = t_len
        if self.compiled:                 # brickwork[fast]: fused BPTT steps, then the GEMMs below
            from brickwork.kernels.recurrent_kernels import gru_backward

            dx_part, dh_part, dh_next = gru_backward(a, u, hprev, hu_h, masks, rdrop, dhs, g_h, self.truncate)
            numpy_steps = 0
        for t in range(numpy_steps - 1, -1, -1):
            dh = dhs[t] + dh_next
            at, hp = a[t], hprev[t]
            z, r, cand = at[:, :units], at[:, units:2 * units], at[:, 2 * units:]
            m = masks[t] if masks is not None else None
            if m is not None:
                dh_keep = dh * (1 - m)
                dh = dh * m
            dxp, dhp = dx_part[t], dh_part[t]
            dxp[:, :units] = dh * (hp - cand) * self.dract(z)
            da_c = dh * (1 - z) * self.dact(cand)
            dxp[:, 2 * units:] = da_c
            dh_prev = dh * z
            if self.reset_after:
                dxp[:, units:2 * units] = da_c * hu_h[t] * self.dract(r)
                dhp[:, :2 * units] = dxp[:, :2 * units]
                dhp[:, 2 * units:] = da_c * r
                d_hr = dhp @ u.T
            else:
                d_rh = da_c @ u_h.T
                dxp[:, units:2 * units] = d_rh * (hp * rdrop if rdrop is not None else hp) * self.dract(r)
                dhp[:, :2 * units] = dxp[:, :2 * units]
                dhp[:, 2 * units:] = da_c  # paired with (r * h) in the weight gradient
                d_hr = dhp[:, :2 * units] @ u[:, :2 * units].T + d_rh * r
            if rdrop is not None:
                d_hr *= rdrop
            dh_prev += d_hr
            if m is not None:
                dh_prev += dh_keep
            dh_next = xp.zeros_like(dh_prev) if boundary(t, self.truncate) else dh_prev
        needs = self.needs_input_grad
        dx2 = dx_part.reshape(t_len * n, -1)
        dh2 = dh_part.reshape(t_len * n, -1)
        gx = input_grad_to_batch_major((dx2 @ w.T).reshape(t_len, n, -1), self.go_backwards) if needs[0] else None
        gw = xs.reshape(t_len * n, -1).T @ dx2 if needs[2] else None
        gu = None
        if needs[3]:
            hr = (hprev if rdrop is None else hprev * rdrop).reshape(t_len * n, units)
            if self.reset_after:
                gu = hr.T @ dh2
            else:
                gu = xp.concatenate([hr.T @ dh2[:, :2 * units], hu_h.reshape(t_len * n, units).T @ dh2[:, 2 * units:]],
                                    axis=1)
        grads = [gx, dh_next if needs[1] else None, gw, gu]
        if b_shape is not None:
            gb = None
            if needs[4]:
                gb = xp.stack([dx2.sum(axis=0), dh2.sum(axis=0)]) if self.reset_after else dx2.sum(axis=0)
            grads.append(gb)
        return tuple(grads)


def gru_sequence(x, h0, kernel, recurrent_kernel, bias=None, **options):
    """Run a whole GRU sequence as one node; returns ``(all_h, h_T)`` (see :class:`GRUSequence`)."""
    fn = GRUSequence(use_bias=bias is not None, **options)
    args = [x, h0, kernel, recurrent_kernel] + ([bias] if bias is not None else [])
    return fn(*args)

"""The whole-sequence LSTM node (with optional peepholes and coupled gates)."""

from __future__ import annotations

import numpy as np

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


class LSTMSequence(Function):
    r"""A whole LSTM sequence as one autograd node, forward and BPTT backward.

    Seed 001's equations, per step (Keras gate order ``i, f, c, o`` in the weights)::

        z      = x_t W + h_{t-1} U + b                      (one GEMM per step; x W for all steps at once)
        i_t    = σ(z_i [+ C_{t-1} P_i])                     input gate       (peepholes: + C_{t-1} P)
        f_t    = σ(z_f [+ C_{t-1} P_f])                     forget gate
        C̃_t    = tanh(z_c)                                  candidate
        C_t    = f_t * C_{t-1} + i_t * C̃_t                  cell update      (coupled: (1 - f_t) * C̃_t)
        o_t    = σ(z_o [+ C_t P_o])                         output gate      (the peephole sees C_t)
        h_t    = o_t * tanh(C_t)

    BPTT, from the last step back, with δh and δC flowing from step t+1::

        δo  = δh * tanh(C_t)            δz_o = δo * σ'(o)         (peephole: δC += δz_o P_oᵀ)
        δC += δh * o_t * (1 - tanh²(C_t))
        δC̃  = δC * i_t                  δz_c = δC̃ * (1 - C̃_t²)    (coupled: δC * (1 - f_t))
        δi  = δC * C̃_t                  δz_i = δi * σ'(i)
        δf  = δC * C_{t-1}              δz_f = δf * σ'(f)         (coupled: δC * (C_{t-1} - C̃_t))
        δC_{t-1} = δC * f_t [+ δz_i P_iᵀ + δz_f P_fᵀ]
        δh_{t-1} = δz Uᵀ

    and after the loop, one GEMM each: δW = Xᵀ δZ, δU = H_{prev}ᵀ δZ, δb = Σ δZ,
    δX = δZ Wᵀ. Internally the gate columns are reordered so that the sigmoid
    gates are contiguous and each activation is one in-place call.

    Inputs: ``x (N, T, D), h0 (N, U), c0 (N, U), W (D, G·U), U (U, G·U)``,
    then ``b (G·U,)`` if ``use_bias`` and ``P (U, n·U)`` if ``peepholes``
    (gate order ``i, f, o``; ``f, o`` when coupled). ``mask (N, T)``: masked
    steps keep the previous state and output. ``rdrop (N, U)``: recurrent
    dropout mask applied to ``h_{t-1}`` in the recurrent product. ``truncate``:
    stop the gradient every that many steps (truncated BPTT).

    Outputs: all hidden states ``(N, T, U)`` (in processing order), ``h_T``, ``C_T``.
    """

    def __init__(self, use_bias=True, peepholes=False, coupled=False, activation_name="tanh",
                 recurrent_activation="sigmoid", go_backwards=False, mask=None, rdrop=None, truncate=None):
        self.use_bias, self.peepholes, self.coupled = use_bias, peepholes, coupled
        self.act, self.dact = activation(activation_name)
        self.ract, self.dract = activation(recurrent_activation)
        self.go_backwards, self.mask, self.rdrop, self.truncate = go_backwards, mask, rdrop, truncate

    def _order(self, units: int) -> np.ndarray:
        """Column permutation from Keras order (i, f, c, o | f, c, o) to internal (sigmoids..., c)."""
        blocks = [0, 2, 1] if self.coupled else [0, 1, 3, 2]  # coupled: (f, o, c); else (i, f, o, c)
        return np.concatenate([np.arange(b * units, (b + 1) * units) for b in blocks])

    def forward(self, x, h0, c0, w, u, *rest):
        rest = list(rest)
        b = rest.pop(0) if self.use_bias else None
        p = rest.pop(0) if self.peepholes else None
        n, t_len, _ = x.shape
        units = u.shape[0]
        order = self._order(units)
        self.order, self.units = order, units
        ns = 2 if self.coupled else 3          # sigmoid gates (f, o) or (i, f, o)
        self.ns = ns
        wp, up = w[:, order], u[:, order]
        xs = time_major(x, self.go_backwards)
        z_all = (xs.reshape(t_len * n, -1) @ wp).reshape(t_len, n, -1)
        if b is not None:
            z_all += b[order]
        masks = step_masks(self.mask, self.go_backwards, x.dtype)
        rdrop = None if self.rdrop is None else np.asarray(self.rdrop, x.dtype)
        hs = np.empty((t_len, n, units), x.dtype)
        cs = np.empty((t_len, n, units), x.dtype)
        tcs = np.empty((t_len, n, units), x.dtype)
        h, c = h0, c0
        hprev = np.empty((t_len, n, units), x.dtype)
        cprev = np.empty((t_len, n, units), x.dtype)
        o_idx = slice((ns - 1) * units, ns * units)  # the output gate is the last sigmoid gate
        for t in range(t_len):
            hprev[t], cprev[t] = h, c
            z = z_all[t]
            z += (h * rdrop if rdrop is not None else h) @ up
            if p is not None:  # i and f (or f) peek at C_{t-1}
                z[:, :(ns - 1) * units] += c @ p[:, :(ns - 1) * units]
                self.ract(z[:, :(ns - 1) * units])
            else:
                self.ract(z[:, :ns * units])
            g = self.act(z[:, ns * units:])
            f = z[:, (ns - 2) * units:(ns - 1) * units] if not self.coupled else z[:, :units]
            c_new = f * c
            c_new += (1 - f) * g if self.coupled else z[:, :units] * g
            if p is not None:  # the output gate peeks at C_t
                z[:, o_idx] += c_new @ p[:, (ns - 1) * units:]
                self.ract(z[:, o_idx])
            tc = self.act(c_new.copy())
            h_new = z[:, o_idx] * tc
            if masks is not None:
                m = masks[t]
                h_new = m * h_new + (1 - m) * h
                c_new = m * c_new + (1 - m) * c
            hs[t], cs[t], tcs[t] = h_new, c_new, tc
            h, c = hs[t], cs[t]
        self.saved = (xs, wp, up, p, z_all, hprev, cprev, cs, tcs, masks, rdrop)
        self.shapes = (x.shape, w.shape, b is not None)
        return outputs_to_batch_major(hs, self.go_backwards), h.copy(), c.copy()

    def backward(self, g_hs, g_h, g_c):
        xs, wp, up, p, a, hprev, cprev, cs, tcs, masks, rdrop = self.saved
        (n, t_len, _), w_shape, has_bias = self.shapes
        units, ns = self.units, self.ns
        dz_all = np.empty_like(a)
        dhs = grads_to_time_major(g_hs)
        dh_next, dc_next = g_h.copy(), g_c.copy()
        o_idx = slice((ns - 1) * units, ns * units)
        dp = None if p is None else np.zeros_like(p)
        for t in range(t_len - 1, -1, -1):
            dh = dhs[t] + dh_next
            dc = dc_next
            at = a[t]
            o = at[:, o_idx]
            g = at[:, ns * units:]
            tc = tcs[t]
            dz = dz_all[t]
            m = masks[t] if masks is not None else None
            if m is not None:  # masked steps pass the gradient straight to the previous state
                dh_keep, dc_keep = dh * (1 - m), dc * (1 - m)
                dh, dc = dh * m, dc * m
            do = dh * tc
            dz[:, o_idx] = do * self.dract(o)
            dc = dc + dh * o * self.dact(tc)
            if p is not None:
                dc += dz[:, o_idx] @ p[:, (ns - 1) * units:].T
            c_prev = cprev[t]
            if self.coupled:
                f = at[:, :units]
                dz[:, ns * units:] = dc * (1 - f) * self.dact(g)
                dz[:, :units] = dc * (c_prev - g) * self.dract(f)
            else:
                i, f = at[:, :units], at[:, units:2 * units]
                dz[:, ns * units:] = dc * i * self.dact(g)
                dz[:, :units] = dc * g * self.dract(i)
                dz[:, units:2 * units] = dc * c_prev * self.dract(f)
            dc_prev = dc * f
            if p is not None:
                dc_prev += dz[:, :(ns - 1) * units] @ p[:, :(ns - 1) * units].T
            dh_prev = dz @ up.T
            if rdrop is not None:
                dh_prev *= rdrop
            if m is not None:
                dh_prev += dh_keep
                dc_prev += dc_keep
            if boundary(t, self.truncate):
                dh_next, dc_next = np.zeros_like(dh_prev), np.zeros_like(dc_prev)
            else:
                dh_next, dc_next = dh_prev, dc_prev
        dz2 = dz_all.reshape(t_len * n, -1)
        inverse = np.argsort(self.order)
        grads: list[np.ndarray | None] = []
        needs = self.needs_input_grad
        gx = input_grad_to_batch_major((dz2 @ wp.T).reshape(t_len, n, -1), self.go_backwards) if needs[0] else None
        hp = hprev if rdrop is None else hprev * rdrop
        grads += [gx, dh_next if needs[1] else None, dc_next if needs[2] else None]
        grads.append((xs.reshape(t_len * n, -1).T @ dz2)[:, inverse] if needs[3] else None)
        grads.append((hp.reshape(t_len * n, units).T @ dz2)[:, inverse] if needs[4] else None)
        k = 5
        if has_bias:
            grads.append(dz2.sum(axis=0)[inverse] if needs[k] else None)
            k += 1
        if p is not None:
            if needs[k]:
                split = (ns - 1) * units
                dp[:, :split] = cprev.reshape(t_len * n, units).T @ dz2[:, :split]
                dp[:, split:] = cs.reshape(t_len * n, units).T @ dz2[:, o_idx]
            grads.append(dp if needs[k] else None)
        return tuple(grads)


def lstm_sequence(x, h0, c0, kernel, recurrent_kernel, bias=None, peephole_kernel=None, **options):
    """Run a whole LSTM sequence as one node; returns ``(all_h, h_T, C_T)`` (see :class:`LSTMSequence`)."""
    fn = LSTMSequence(use_bias=bias is not None, peepholes=peephole_kernel is not None, **options)
    args = [x, h0, c0, kernel, recurrent_kernel] + [a for a in (bias, peephole_kernel) if a is not None]
    return fn(*args)

"""The whole-sequence LSTM node (with optional peepholes and coupled gates)."""

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


class LSTMSequence(Function):
    r"""A whole LSTM sequence as one autograd node, forward and BPTT backward.

    Seed 001's equations, per step (Keras gate order ``i, f, c, o`` in the weights)::

        z      = x_t W + h_{t-1} U + b                      (x W for all steps as one GEMM; one GEMM per step)
        i_t    = σ(z_i [+ C_{t-1} P_i])                     input gate       (peepholes: + C_{t-1} P)
        f_t    = σ(z_f [+ C_{t-1} P_f])                     forget gate
        C̃_t    = tanh(z_c)                                  candidate
        C_t    = f_t * C_{t-1} + i_t * C̃_t                  cell update      (coupled: (1 - f_t) * C̃_t)
        o_t    = σ(z_o [+ C_t P_o])                         output gate      (the peephole sees C_t)
        h_t    = o_t * tanh(C_t)

    BPTT, from the last step back, with δh and δC flowing from step t+1::

        δC_t  += δh_t * o_t * (1 - tanh²(C_t))              (+ δz_o P_oᵀ with peepholes)
        δz_o   = δh_t * tanh(C_t) * σ'(o_t)
        δz_i   = δC_t * C̃_t * σ'(i_t)
        δz_f   = δC_t * C_{t-1} * σ'(f_t)                  (coupled: δC_t * (C_{t-1} - C̃_t) * σ'(f_t))
        δz_c   = δC_t * i_t * (1 - C̃_t²)                   (coupled: δC_t * (1 - f_t) * (1 - C̃_t²))
        δC_{t-1} = δC_t * f_t  (+ δz_i P_iᵀ + δz_f P_fᵀ)
        δh_{t-1} = δz Uᵀ

    Everything that does not depend on the recursion (the derivatives of the
    gates, the products with C̃, C_{t-1} and tanh C) is computed for all steps at
    once before the backward loop, so each step is one GEMM and a handful of
    element-wise products; after the loop δW = Xᵀ δZ, δU = H_{prev}ᵀ δZ,
    δb = Σ δZ and δX = δZ Wᵀ are one GEMM each. The gate columns are reordered
    internally to ``(o, i, f, c)`` (``(o, f, c)`` coupled) so that the sigmoid gates
    and the gates multiplied by δC are both contiguous.

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
        self.fast_sigmoid = recurrent_activation == "sigmoid"
        self.kernel_case = activation_name == "tanh" and recurrent_activation == "sigmoid"
        self.go_backwards, self.mask, self.rdrop, self.truncate = go_backwards, mask, rdrop, truncate

    def _order(self, units: int) -> np.ndarray:
        """Columns from Keras order (i, f, c, o | coupled f, c, o) to internal (o, i, f, c | o, f, c)."""
        blocks = [2, 0, 1] if self.coupled else [3, 0, 1, 2]
        return np.concatenate([np.arange(b * units, (b + 1) * units) for b in blocks])

    def forward(self, x, h0, c0, w, u, *rest):
        xp = get_array_module(x)
        rest = list(rest)
        b = rest.pop(0) if self.use_bias else None
        p = rest.pop(0) if self.peepholes else None
        n, t_len, _ = x.shape
        units = u.shape[0]
        order = xp.asarray(self._order(units))
        ns = 2 if self.coupled else 3            # sigmoid gates: (o, f) or (o, i, f)
        self.order, self.units, self.ns = order, units, ns
        wp, up = w[:, order], u[:, order]
        bp = None if b is None else b[order]
        # peephole columns reordered to (o | i, f) to match the gates they feed
        pp = None
        if p is not None:
            k = ns - 1
            pp = xp.concatenate([p[:, k * units:], p[:, :k * units]], axis=1)
        s = ns * units                           # width of the sigmoid block
        fwd_w, fwd_u, fwd_b, fwd_p = wp, up, bp, pp
        if self.fast_sigmoid:                    # σ(z) = ½ tanh(z/2) + ½: halve the sigmoid columns once
            half = xp.ones(wp.shape[1], x.dtype)
            half[:s] = 0.5
            fwd_w, fwd_u = wp * half, up * half
            fwd_b = None if bp is None else bp * half
            fwd_p = None if pp is None else pp * half[:s]
        xs = time_major(x, self.go_backwards)
        a = (xs.reshape(t_len * n, -1) @ fwd_w).reshape(t_len, n, -1)
        masks = step_masks(self.mask, self.go_backwards, x.dtype)
        rdrop = None if self.rdrop is None else xp.asarray(self.rdrop, x.dtype)
        self.compiled = self._use_kernel(x, h0, c0, a, fwd_u, fwd_b, fwd_p, rdrop)
        if self.compiled:                        # brickwork[fast]: the same loop with each step's gates fused
            from brickwork.kernels.recurrent_kernels import lstm_forward

            rdrop = None if rdrop is None else xp.ascontiguousarray(rdrop)
            hs, cs, tcs = lstm_forward(a, fwd_u, fwd_b, h0, c0, masks, rdrop, self.coupled, fwd_p)  # adds the bias
            self.saved = (xs, wp, up, pp, a, h0, c0, hs, cs, tcs, masks, rdrop)
            self.shapes = (x.shape, b is not None)
            return outputs_to_batch_major(hs), hs[-1].copy(), cs[-1].copy()
        if fwd_b is not None:                    # the NumPy reference loop
            a += fwd_b
        hs = xp.empty((t_len, n, units), x.dtype)
        cs = xp.empty((t_len, n, units), x.dtype)
        tcs = xp.empty((t_len, n, units), x.dtype)
        rec = xp.empty((n, a.shape[2]), x.dtype)
        tmp = xp.empty((n, units), x.dtype)
        h, c = h0, c0

        def sigmoid_(block):
            if self.fast_sigmoid:
                xp.tanh(block, out=block)
                block *= 0.5
                block += 0.5
            else:
                self.ract(block)

        for t in range(t_len):
            z = a[t]
            xp.matmul(h * rdrop if rdrop is not None else h, fwd_u, out=rec)
            z += rec
            if fwd_p is not None:                # i and f peek at C_{t-1}
                z[:, units:s] += c @ fwd_p[:, units:]
                sigmoid_(z[:, units:s])
            else:
                sigmoid_(z[:, :s])
            g = self.act(z[:, s:])
            c_new = cs[t]
            if self.coupled:
                f = z[:, units:2 * units]
                xp.subtract(c, g, out=c_new)     # C = f C_prev + (1 - f) g = g + f (C_prev - g)
                c_new *= f
                c_new += g
            else:
                xp.multiply(z[:, 2 * units:3 * units], c, out=c_new)
                xp.multiply(z[:, units:2 * units], g, out=tmp)
                c_new += tmp
            if fwd_p is not None:                # the output gate peeks at C_t
                z[:, :units] += c_new @ fwd_p[:, :units]
                sigmoid_(z[:, :units])
            xp.copyto(tcs[t], c_new)
            self.act(tcs[t])
            xp.multiply(z[:, :units], tcs[t], out=hs[t])
            if masks is not None:                # masked steps keep the previous state
                m = masks[t]
                hs[t] = m * hs[t] + (1 - m) * h
                cs[t] = m * c_new + (1 - m) * c
            h, c = hs[t], cs[t]
        self.saved = (xs, wp, up, pp, a, h0, c0, hs, cs, tcs, masks, rdrop)
        self.shapes = (x.shape, b is not None)
        return outputs_to_batch_major(hs), h.copy(), c.copy()

    def _use_kernel(self, x, *arrays) -> bool:
        """Whether the compiled step kernels (:mod:`brickwork.kernels`) handle this call."""
        if not self.kernel_case or x.shape[1] == 0:
            return False
        from brickwork import kernels

        # float64 tanh is a scalar libm call in the kernel: NumPy's loop wins unless asked for by name
        return kernels.handles("recurrent", x, *arrays) and (x.dtype == np.float32 or kernels.chosen("recurrent"))

    def backward(self, g_hs, g_h, g_c):
        xp = get_array_module(g_hs)
        xs, wp, up, pp, a, h0, c0, hs, cs, tcs, masks, rdrop = self.saved
        (n, t_len, _), has_bias = self.shapes
        units, ns = self.units, self.ns
        s = ns * units
        if self.compiled:                        # brickwork[fast]: fused BPTT steps, then the GEMMs below
            from brickwork.kernels.recurrent_kernels import lstm_backward

            dz_all, dh_next, dc = lstm_backward(a, up, c0, cs, tcs, masks, rdrop, grads_to_time_major(g_hs),
                                                g_h, g_c, self.truncate, self.coupled, pp,
                                                need_dh0=self.needs_input_grad[1])
            c_prev = None if pp is None else xp.concatenate([c0[None], cs[:-1]])   # for δP only
            return self._weight_grads(xp, dz_all, dh_next, dc, c_prev)
        c_prev = xp.concatenate([c0[None], cs[:-1]])
        # ---- everything independent of the recursion, for all steps at once
        o = a[:, :, :units]
        g = a[:, :, s:]
        k_h = o * self.dact(tcs)                                  # δC += δh * k_h
        b_o = tcs * self.dract(o)                                 # δz_o = δh * b_o
        coef = xp.empty((t_len, n, a.shape[2] - units), a.dtype)  # δz_{i,f,c} (or {f,c}) = δC * coef
        if self.coupled:
            f = a[:, :, units:2 * units]
            coef[:, :, :units] = (c_prev - g) * self.dract(f)
            coef[:, :, units:] = (1 - f) * self.dact(g)
        else:
            i, f = a[:, :, units:2 * units], a[:, :, 2 * units:3 * units]
            coef[:, :, :units] = g * self.dract(i)
            coef[:, :, units:2 * units] = c_prev * self.dract(f)
            coef[:, :, 2 * units:] = i * self.dact(g)
        if masks is not None:                                      # masked steps: no gate gradients
            k_h *= masks
            b_o *= masks
            coef *= masks
            f_eff = masks * f + (1 - masks)                        # δC_{t-1} = δC_t * f_eff
            pass_h = 1 - masks                                     # δh_{t-1} += δh_t * pass_h
        else:
            f_eff, pass_h = f, None
        if pp is not None:
            p_o, p_if = pp[:, :units].T, pp[:, units:].T
        dz_all = xp.empty_like(a)
        dhs = grads_to_time_major(g_hs)
        dh_next, dc = g_h.copy(), g_c.copy()
        dh = xp.empty_like(dh_next)
        tmp = xp.empty_like(dh_next)
        for t in range(t_len - 1, -1, -1):
            xp.add(dhs[t], dh_next, out=dh)
            xp.multiply(dh, k_h[t], out=tmp)
            dc += tmp                                              # δC_t
            dz = dz_all[t]
            xp.multiply(dh, b_o[t], out=dz[:, :units])             # δz_o
            if pp is not None:
                dc += dz[:, :units] @ p_o
            dz_c_view = dz[:, units:].reshape(n, -1, units)
            xp.multiply(dc[:, None, :], coef[t].reshape(n, -1, units), out=dz_c_view)
            dc_prev = dc * f_eff[t]
            if pp is not None:
                dc_prev += dz[:, units:s] @ p_if
            dh_next = dz @ up.T
            if rdrop is not None:
                dh_next *= rdrop
            if pass_h is not None:
                dh_next += dh * pass_h[t]
            if boundary(t, self.truncate):
                dh_next[...] = 0
                dc_prev[...] = 0
            dc = dc_prev
        return self._weight_grads(xp, dz_all, dh_next, dc, c_prev)

    def _weight_grads(self, xp, dz_all, dh_next, dc, c_prev):
        """After the BPTT loop: δx, δh_0, δC_0 and the weight gradients.

        δW, δU and δb come from ONE product ``[X | H_prev | 1]ᵀ δZ`` over all steps (one GEMM with a
        taller left factor runs faster than three: measured 2.5 ms against 3.4 ms at 3200×101×256)."""
        xs, wp, up, pp, a, h0, c0, hs, cs, tcs, masks, rdrop = self.saved
        (n, t_len, d_in), has_bias = self.shapes
        units, s = self.units, self.ns * self.units
        dz2 = dz_all.reshape(t_len * n, -1)
        inverse = get_array_module(self.order).argsort(self.order)
        needs = self.needs_input_grad
        grads: list[np.ndarray | None] = []
        gx = input_grad_to_batch_major((dz2 @ wp.T).reshape(t_len, n, -1), self.go_backwards) if needs[0] else None
        grads += [gx, dh_next if needs[1] else None, dc if needs[2] else None]
        want_b = has_bias and needs[5]
        # the columns of the left factor: x_t (if δW), h_{t-1} (if δU), 1 (if δb), all steps stacked
        blocks = [(needs[3], d_in), (needs[4], units), (want_b, 1)]
        left = xp.empty((t_len, n, sum(width for wanted, width in blocks if wanted)), dz_all.dtype)
        col = 0
        if needs[3]:
            left[:, :, :d_in] = xs
            col = d_in
        if needs[4]:
            h_prev = left[:, :, col:col + units]
            h_prev[0] = h0
            h_prev[1:] = hs[:-1]
            if rdrop is not None:
                h_prev *= rdrop
            col += units
        if want_b:
            left[:, :, col] = 1
        products = left.reshape(t_len * n, -1).T @ dz2 if left.shape[2] else None
        col = 0
        for wanted, width in blocks[:2]:
            grads.append(products[col:col + width][:, inverse] if wanted else None)
            col += width if wanted else 0
        if has_bias:
            grads.append(products[col][inverse] if want_b else None)
        if pp is not None:
            dp = None
            if needs[len(grads)]:
                d_if = c_prev.reshape(t_len * n, units).T @ dz2[:, units:s]
                d_o = cs.reshape(t_len * n, units).T @ dz2[:, :units]
                dp = xp.concatenate([d_if, d_o], axis=1)          # back to (i, f | o)
            grads.append(dp)
        return tuple(grads)


def lstm_sequence(x, h0, c0, kernel, recurrent_kernel, bias=None, peephole_kernel=None, **options):
    """Run a whole LSTM sequence as one node; returns ``(all_h, h_T, C_T)`` (see :class:`LSTMSequence`)."""
    fn = LSTMSequence(use_bias=bias is not None, peepholes=peephole_kernel is not None, **options)
    args = [x, h0, c0, kernel, recurrent_kernel] + [a for a in (bias, peephole_kernel) if a is not None]
    return fn(*args)

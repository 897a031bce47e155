"""The whole-sequence simple (Elman) RNN node."""

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


class SimpleRNNSequence(Function):
    r"""A whole simple RNN sequence as one node::

        h_t = φ(x_t W + h_{t-1} U + b)                 forward
        δa_t = (δh_t + δh_{t+1→t}) * φ'(h_t)            backward, from the last step
        δh_{t-1} = δa_t Uᵀ;  δW = Xᵀ δA;  δU = H_{prev}ᵀ δA;  δb = Σ δA

    Inputs ``x, h0, W (D, U), U (U, U)`` and ``b (U,)``; options as :class:`LSTMSequence`.
    Outputs: all hidden states ``(N, T, U)`` and ``h_T``.
    """

    def __init__(self, use_bias=True, activation_name="tanh", go_backwards=False, mask=None, rdrop=None,
                 truncate=None):
        self.use_bias = use_bias
        self.act, self.dact = activation(activation_name)
        self.go_backwards, self.mask, self.rdrop, self.truncate = go_backwards, mask, rdrop, truncate
        self.kernel_case = activation_name == "tanh"

    def _use_kernel(self, x, *arrays) -> bool:
        """Whether the compiled time loops (:mod:`brickwork.kernels`) handle this call."""
        if not self.kernel_case or x.shape[1] == 0:
            return False
        from brickwork import kernels

        # float64 tanh is a scalar libm call in the kernel: NumPy's loop wins unless asked for by name
        return kernels.handles("recurrent", x, *arrays) and (x.dtype == np.float32 or kernels.chosen("recurrent"))

    def forward(self, x, h0, w, u, *rest):
        xp = get_array_module(x)
        b = rest[0] if self.use_bias else None
        n, t_len, _ = x.shape
        units = u.shape[0]
        xs = time_major(x, self.go_backwards)
        a = (xs.reshape(t_len * n, -1) @ w).reshape(t_len, n, units)
        masks = step_masks(self.mask, self.go_backwards, x.dtype)
        rdrop = None if self.rdrop is None else xp.asarray(self.rdrop, x.dtype)
        self.shapes = (x.shape, b is not None)
        self.compiled = self._use_kernel(x, h0, u, a, b, rdrop)
        if self.compiled:                        # brickwork[fast]: the same loop, each step one product + one pass
            from brickwork.kernels.recurrent_kernels import simple_rnn_forward

            rdrop = None if rdrop is None else xp.ascontiguousarray(rdrop)
            hs, hprev = simple_rnn_forward(a, u, b, h0, masks, rdrop)     # adds the bias
            self.saved = (xs, w, u, a, hprev, masks, rdrop)
            return outputs_to_batch_major(hs), hs[-1].copy()
        if b is not None:                        # the NumPy reference loop
            a += b
        hs = xp.empty((t_len, n, units), x.dtype)
        hprev = xp.empty((t_len, n, units), x.dtype)
        h = h0
        for t in range(t_len):
            hprev[t] = h
            at = a[t]
            at += (h * rdrop if rdrop is not None else h) @ u
            h_new = self.act(at)
            if masks is not None:
                h_new = masks[t] * h_new + (1 - masks[t]) * h
            hs[t] = h_new
            h = hs[t]
        self.saved = (xs, w, u, a, hprev, masks, rdrop)
        return outputs_to_batch_major(hs), h.copy()

    def backward(self, g_hs, g_h):
        xp = get_array_module(g_hs)
        xs, w, u, a, hprev, masks, rdrop = self.saved
        (n, t_len, _), has_bias = self.shapes
        units = u.shape[0]
        da = xp.empty_like(a)
        dhs = grads_to_time_major(g_hs)
        dh_next = g_h.copy()
        numpy_steps = t_len
        if self.compiled:                        # brickwork[fast]: the BPTT loop compiled, then the GEMMs below
            from brickwork.kernels.recurrent_kernels import simple_rnn_backward

            da, dh_next = simple_rnn_backward(a, u, masks, rdrop, dhs, g_h, self.truncate,
                                              need_dh0=self.needs_input_grad[1])
            numpy_steps = 0
        for t in range(numpy_steps - 1, -1, -1):
            dh = dhs[t] + dh_next
            m = masks[t] if masks is not None else None
            if m is not None:
                keep, dh = dh * (1 - m), dh * m
            da[t] = dh * self.dact(a[t])
            dh_prev = da[t] @ u.T
            if rdrop is not None:
                dh_prev *= rdrop
            if m is not None:
                dh_prev += keep
            dh_next = xp.zeros_like(dh_prev) if boundary(t, self.truncate) else dh_prev
        needs = self.needs_input_grad
        da2 = da.reshape(t_len * n, units)
        hr = (hprev if rdrop is None else hprev * rdrop).reshape(t_len * n, units)
        grads = [input_grad_to_batch_major((da2 @ w.T).reshape(t_len, n, -1), self.go_backwards) if needs[0] else None,
                 dh_next if needs[1] else None,
                 xs.reshape(t_len * n, -1).T @ da2 if needs[2] else None,
                 hr.T @ da2 if needs[3] else None]
        if has_bias:
            grads.append(da2.sum(axis=0) if needs[4] else None)
        return tuple(grads)


def simple_rnn_sequence(x, h0, kernel, recurrent_kernel, bias=None, **options):
    """Run a whole simple-RNN sequence as one node; returns ``(all_h, h_T)``."""
    fn = SimpleRNNSequence(use_bias=bias is not None, **options)
    return fn(*([x, h0, kernel, recurrent_kernel] + ([bias] if bias is not None else [])))

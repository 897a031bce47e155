r"""Scaled dot-product attention as one fused primitive.

For queries :math:`Q \in \mathbb R^{T\times D}`, keys :math:`K \in \mathbb R^{S\times D}` and values
:math:`V \in \mathbb R^{S\times D_v}` (any leading batch / head axes, the same for all three),
a boolean mask :math:`M` (True = may attend) and an additive bias :math:`B`:

.. math::
    L = c\,Q K^\top + B, \qquad
    P_{ts} = \frac{[M_{ts}]\, e^{L_{ts} - m_t}}{\sum_{s'} [M_{ts'}]\, e^{L_{ts'} - m_t}}, \qquad
    O = \tilde P V, \qquad \tilde P = P \odot R / (1 - p)

with :math:`c = 1/\sqrt D` by default, :math:`m_t = \max_{s: M_{ts}} L_{ts}` (the max-shift that keeps
:math:`e^{\cdot} \le 1`) and :math:`R` an optional Bernoulli(:math:`1-p`) dropout mask on the probabilities.
A *fully masked* row (no :math:`s` with :math:`M_{ts}`) has no softmax; ``masked_rows`` chooses what it gets:
``'zeros'`` (:math:`P_{t\cdot} = 0`, so :math:`O_t = 0` — Keras 3's ``MultiHeadAttention`` with its masked
``Softmax``) or ``'uniform'`` (:math:`P_{t\cdot} = 1/S` — Keras 3's ``ops.dot_product_attention``, which
fills masked logits with the dtype's minimum). Either way nothing is ``NaN`` (PyTorch gives ``NaN`` there).

Backward, with :math:`\bar O = \partial\ell/\partial O` and :math:`\bar P_{\text{out}}` the gradient reaching
the returned probabilities:

.. math::
    \bar V = \tilde P^\top \bar O, \qquad
    \bar P = (\bar O V^\top) \odot R/(1-p) + \bar P_{\text{out}}, \qquad
    \bar L = P \odot \bigl(\bar P - \textstyle\sum_s \bar P \odot P\bigr),

the softmax Jacobian :math:`\partial P_{ts}/\partial L_{tu} = P_{ts}(\delta_{su} - P_{tu})` applied row by
row without forming it (and :math:`\bar L = 0` where :math:`M` is False: those logits are not used), then

.. math::
    \bar Q = c\,\bar L K, \qquad \bar K = c\,\bar L^\top Q, \qquad
    \bar B = \textstyle\sum_{\text{broadcast}} \bar L.

Cost: two batched matrix products forward and four backward; the :math:`T \times S` probabilities (and the
dropout mask) are the only saved buffers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brickwork.backend import get_array_module
from brickwork.engine.function import Function
from brickwork.engine.random import generator
from brickwork.engine.tensor import Tensor
from brickwork.functions._util import sum_to

_MASKED_ROWS = ("zeros", "uniform")


def _swap(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


class ScaledDotProductAttention(Function):
    r"""Fused :math:`\mathrm{softmax}(cQK^\top + B)\,V` on ``(..., T, D)`` / ``(..., S, D)`` / ``(..., S, Dv)``
    arrays; returns ``(output (..., T, Dv), probabilities (..., T, S))``, or the output alone with
    ``return_probabilities=False`` (then no gradient buffer is made for unused probabilities).
    See the module docstring. With the ``"transformer"`` kernel family on (and no bias), the softmax
    and its backward run as compiled row loops (:mod:`brickwork.kernels.transformer_kernels`)."""

    def __init__(self, mask: Any = None, dropout_rate: float = 0.0, scale: float | None = None,
                 masked_rows: str = "zeros", rng: Any = None, has_bias: bool = False,
                 return_probabilities: bool = True) -> None:
        if not 0 <= dropout_rate < 1:
            raise ValueError(f"scaled_dot_product_attention: dropout_rate must be in [0, 1); got {dropout_rate}.")
        if masked_rows not in _MASKED_ROWS:
            raise ValueError(f"scaled_dot_product_attention: masked_rows must be one of {_MASKED_ROWS}; "
                             f"got {masked_rows!r}.")
        self.keep_mask, self.rate, self.scale = mask, float(dropout_rate), scale
        self.masked_rows, self.rng, self.has_bias = masked_rows, rng, has_bias
        self.return_probabilities = return_probabilities

    def forward(self, q: np.ndarray, k: np.ndarray, v: np.ndarray, bias: np.ndarray | None = None) -> Any:
        xp = get_array_module(q)
        c = q.dtype.type(1.0 / math.sqrt(q.shape[-1]) if self.scale is None else self.scale)
        self.c = c
        raw = xp.matmul(q, _swap(k))
        if bias is not None:
            self.bias_shape = bias.shape
        keep = None
        from brickwork import kernels  # (a local name: "kernels" also means projection weights in this module)

        self.compiled = bias is None and kernels.handles("transformer", raw)
        if self.compiled:  # scale, mask, max-shift and normalisation in two compiled row loops
            from brickwork.kernels.transformer_kernels import softmax_forward

            mask = self.keep_mask.data if isinstance(self.keep_mask, Tensor) else self.keep_mask
            p, self.empty = softmax_forward(raw, mask, float(c), self.masked_rows)
        else:
            if self.keep_mask is not None:
                keep = xp.broadcast_to(xp.asarray(self.keep_mask, dtype=bool), raw.shape)
            p = self._softmax(xp, raw * c if bias is None else raw * c + bias, keep)
        p = p.astype(q.dtype, copy=False)
        self.keep, self.p, self.q, self.k, self.v = keep, p, q, k, v
        self.drop = None
        p_used = p
        if self.rate > 0:
            rng = self.rng or generator()
            draw = rng.random(p.shape, dtype=np.float64 if p.dtype == np.float64 else np.float32) >= self.rate
            if type(q) is not np.ndarray:
                draw = xp.asarray(draw)
            self.drop = draw * p.dtype.type(1.0 / (1.0 - self.rate))
            p_used = p * self.drop
        self.p_used = p_used
        out = xp.matmul(p_used, v)
        return (out, p) if self.return_probabilities else out

    def _softmax(self, xp: Any, logits: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
        """The reference (NumPy / CuPy) masked softmax along the last axis."""
        if keep is not None:
            logits = xp.where(keep, logits, -xp.inf)
        row_max = logits.max(axis=-1, keepdims=True)
        empty = ~xp.isfinite(row_max)  # fully masked rows
        e = xp.exp(logits - xp.where(empty, 0, row_max))
        denom = e.sum(axis=-1, keepdims=True)
        p = e / xp.where(empty, 1, denom)
        if keep is not None and bool(empty.any()):
            fill = 0.0 if self.masked_rows == "zeros" else 1.0 / p.shape[-1]
            p = xp.where(empty, p.dtype.type(fill), p)
        return p

    def backward(self, g_out: np.ndarray, g_p: np.ndarray | None = None) -> Any:
        xp = get_array_module(g_out)
        p, q, k, v = self.p, self.q, self.k, self.v
        g_v = xp.matmul(_swap(self.p_used), g_out)
        g_p_total = xp.matmul(g_out, _swap(v))
        if self.drop is not None:
            g_p_total = g_p_total * self.drop
        if g_p is not None:
            g_p_total = g_p_total + g_p
        if self.compiled:
            from brickwork.kernels.transformer_kernels import softmax_backward

            g_logits = softmax_backward(p, g_p_total, self.empty)
        else:
            g_logits = p * (g_p_total - (g_p_total * p).sum(axis=-1, keepdims=True))
            if self.keep is not None:
                g_logits = xp.where(self.keep, g_logits, g_logits.dtype.type(0))
        g_q = xp.matmul(g_logits, k)
        g_q *= self.c
        g_k = xp.matmul(_swap(g_logits), q)
        g_k *= self.c
        grads = (g_q, g_k, g_v)
        if self.has_bias:
            grads = grads + (sum_to(g_logits, self.bias_shape),)
        return grads


def scaled_dot_product_attention(q: Any, k: Any, v: Any, mask: Any = None, bias: Any = None,
                                 dropout_rate: float = 0.0, scale: float | None = None,
                                 masked_rows: str = "zeros", rng: Any = None,
                                 training: bool = True, return_probabilities: bool = True) -> Any:
    r""":math:`\mathrm{softmax}(cQK^\top + B)\,V` in one node (see the module docstring).

    Args:
        q: Queries ``(..., T, D)``. k: keys ``(..., S, D)``. v: values ``(..., S, Dv)`` (same leading axes).
        mask: Boolean, broadcastable to ``(..., T, S)``; True where a query may attend to a key.
        bias: Additive logits bias broadcastable to ``(..., T, S)`` (differentiable).
        dropout_rate: Dropout rate on the probabilities (only when ``training``).
        scale: :math:`c`; default :math:`1/\sqrt D`.
        masked_rows: ``'zeros'`` or ``'uniform'`` probabilities for fully masked rows.
        rng: NumPy generator for the dropout mask (default brickwork's seeded one).
        return_probabilities: Return the probabilities too (default); False returns the output alone.

    Returns:
        ``(output (..., T, Dv), probabilities (..., T, S))``; the probabilities are those before dropout.
        With ``return_probabilities=False``, the output alone.
    """
    for name, x, rank in (("q", q, 2), ("k", k, 2), ("v", v, 2)):
        if np.ndim(getattr(x, "data", x)) < rank:
            raise ValueError(f"scaled_dot_product_attention: {name} must have rank >= 2; got shape {np.shape(x)}.")
    qs, ks, vs = (tuple(np.shape(getattr(x, "data", x))) for x in (q, k, v))
    if qs[:-2] != ks[:-2] or ks[:-1] != vs[:-1] or qs[-1] != ks[-1]:
        raise ValueError(f"scaled_dot_product_attention: expected q (..., T, D), k (..., S, D), v (..., S, Dv) "
                         f"with the same leading axes; got q {qs}, k {ks}, v {vs}.")
    if mask is not None:
        mshape = tuple(np.shape(getattr(mask, "data", mask)))
        target = qs[:-1] + (ks[-2],)
        try:
            ok = np.broadcast_shapes(mshape, target) == target
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"scaled_dot_product_attention: mask of shape {mshape} does not broadcast to the "
                             f"attention logits' shape {target} (..., T, S).")
    fn = ScaledDotProductAttention(mask, dropout_rate if training else 0.0, scale, masked_rows, rng,
                                   has_bias=bias is not None, return_probabilities=return_probabilities)
    return fn(q, k, v) if bias is None else fn(q, k, v, bias)


class SplitHeadsProjection(Function):
    r"""Several head projections of one input as one GEMM: for ``x`` ``(B, T, E)`` and kernels
    :math:`W_i` ``(E, h, d_i)`` with biases :math:`b_i` ``(h, d_i)``, output :math:`i` is
    :math:`(x W_i + b_i)` laid out heads-first, ``(B, h, T, d_i)`` — multi-head attention's query, key and
    value projections of a shared input (Keras's ``EinsumDense`` ``'...e,ehd->...hd'``, then the head axis
    moved forward). The kernels are concatenated to :math:`W = [W_1 | \dots | W_n]` ``(E, \sum_i h d_i)``:

    .. math::
        Y = X W + b, \qquad \bar X = \bar Y W^\top, \qquad \bar W = X^\top \bar Y, \qquad
        \bar b = \textstyle\sum_{\text{rows}} \bar Y

    with :math:`\bar Y` the outputs' gradients put back side by side. The outputs are strided views of
    :math:`Y` (no transpose copy); the inputs are ``x, W_1, .., W_n[, b_1, .., b_n]``.
    """

    def __init__(self, n: int, has_bias: bool) -> None:
        self.n, self.has_bias = n, has_bias

    def forward(self, x: np.ndarray, *params: np.ndarray) -> tuple[np.ndarray, ...]:
        xp = get_array_module(x)
        kernels = params[:self.n]
        b, t, e = x.shape
        self.x2 = x.reshape(b * t, e)
        self.kernel_shapes = [w.shape for w in kernels]
        self.w = xp.concatenate([w.reshape(e, -1) for w in kernels], axis=1) if self.n > 1 else \
            kernels[0].reshape(e, -1)
        y = self.x2 @ self.w
        if self.has_bias:
            y += xp.concatenate([v.reshape(-1) for v in params[self.n:]]) if self.n > 1 else params[1].reshape(-1)
        y = y.reshape(b, t, -1)
        outs, offset = [], 0
        for _, h, d in self.kernel_shapes:
            outs.append(y[:, :, offset:offset + h * d].reshape(b, t, h, d).transpose(0, 2, 1, 3))
            offset += h * d
        return tuple(outs)

    def backward(self, *gys: np.ndarray) -> tuple[np.ndarray | None, ...]:
        xp = get_array_module(gys[0])
        b, t = gys[0].shape[0], gys[0].shape[2]
        parts = [gy.transpose(0, 2, 1, 3).reshape(b * t, -1) for gy in gys]
        g2 = xp.concatenate(parts, axis=1) if self.n > 1 else xp.ascontiguousarray(parts[0])
        gx = (g2 @ self.w.T).reshape(b, t, -1) if self.needs_input_grad[0] else None
        gw = self.x2.T @ g2
        gb = g2.sum(axis=0) if self.has_bias else None
        grads_w, grads_b, offset = [], [], 0
        for shape in self.kernel_shapes:
            width = shape[1] * shape[2]
            grads_w.append(xp.ascontiguousarray(gw[:, offset:offset + width]).reshape(shape))
            if gb is not None:
                grads_b.append(gb[offset:offset + width].reshape(shape[1:]))
            offset += width
        return (gx, *grads_w, *grads_b)


class MergeHeadsProjection(Function):
    r"""The output projection of multi-head attention: heads-first context ``(B, h, T, d)`` and a kernel
    :math:`W` ``(h, d, E)`` (bias ``(E,)``) to :math:`Y_t = \sum_i C_{i t} W_i + b` ``(B, T, E)``
    (Keras's ``EinsumDense`` ``'...hd,hde->...e'``), as one GEMM on the context with its heads moved last:

    .. math:: \bar C = \bar Y W^\top, \qquad \bar W = C^\top \bar Y, \qquad \bar b = \textstyle\sum \bar Y

    (:math:`\bar C` is returned as a heads-first strided view).
    """

    def __init__(self, has_bias: bool) -> None:
        self.has_bias = has_bias

    def forward(self, context: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        b, h, t, d = context.shape
        self.c2 = context.transpose(0, 2, 1, 3).reshape(b * t, h * d)
        self.w2, self.w_shape, self.c_shape = w.reshape(h * d, -1), w.shape, context.shape
        y = self.c2 @ self.w2
        if bias is not None:
            y += bias.reshape(-1)
            self.b_shape = bias.shape
        return y.reshape(b, t, -1)

    def backward(self, gy: np.ndarray) -> tuple[np.ndarray | None, ...]:
        b, h, t, d = self.c_shape
        g2 = gy.reshape(b * t, -1)
        gc = (g2 @ self.w2.T).reshape(b, t, h, d).transpose(0, 2, 1, 3) if self.needs_input_grad[0] else None
        gw = (self.c2.T @ g2).reshape(self.w_shape)
        if not self.has_bias:
            return gc, gw
        return gc, gw, g2.sum(axis=0).reshape(self.b_shape)


def split_heads_projection(x: Any, kernels: list[Any], biases: list[Any] | None = None) -> tuple[Any, ...]:
    """Project ``x`` ``(B, T, E)`` with each ``(E, h, d_i)`` kernel (and ``(h, d_i)`` bias) in one GEMM;
    returns one heads-first ``(B, h, T, d_i)`` tensor per kernel (see :class:`SplitHeadsProjection`)."""
    if np.ndim(getattr(x, "data", x)) != 3:
        raise ValueError(f"split_heads_projection: x must be (batch, steps, features); got shape {np.shape(x)}.")
    e = np.shape(getattr(x, "data", x))[-1]
    for w in kernels:
        shape = np.shape(getattr(w, "data", w))
        if len(shape) != 3 or shape[0] != e:
            raise ValueError(f"split_heads_projection: each kernel must be ({e}, heads, head_dim); got {shape}.")
    fn = SplitHeadsProjection(len(kernels), biases is not None)
    outs = fn(x, *kernels, *(biases or ()))
    return outs if isinstance(outs, tuple) else (outs,)


def merge_heads_projection(context: Any, kernel: Any, bias: Any = None) -> Any:
    """``(B, h, T, d)`` heads-first context times an ``(h, d, E)`` kernel (plus ``(E,)`` bias) to
    ``(B, T, E)`` in one GEMM (see :class:`MergeHeadsProjection`)."""
    cs, ws = np.shape(getattr(context, "data", context)), np.shape(getattr(kernel, "data", kernel))
    if len(cs) != 4 or len(ws) != 3 or cs[1:2] + cs[3:] != ws[:2]:
        raise ValueError(f"merge_heads_projection: expected context (B, h, T, d) and kernel (h, d, E); got "
                         f"context {tuple(cs)}, kernel {tuple(ws)}.")
    fn = MergeHeadsProjection(bias is not None)
    return fn(context, kernel) if bias is None else fn(context, kernel, bias)

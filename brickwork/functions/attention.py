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
from brickwork.functions._util import sum_to

_MASKED_ROWS = ("zeros", "uniform")


def _swap(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


class ScaledDotProductAttention(Function):
    r"""Fused :math:`\mathrm{softmax}(cQK^\top + B)\,V` on ``(..., T, D)`` / ``(..., S, D)`` / ``(..., S, Dv)``
    arrays; returns ``(output (..., T, Dv), probabilities (..., T, S))``. See the module docstring."""

    def __init__(self, mask: Any = None, dropout_rate: float = 0.0, scale: float | None = None,
                 masked_rows: str = "zeros", rng: Any = None, has_bias: bool = False) -> None:
        if not 0 <= dropout_rate < 1:
            raise ValueError(f"scaled_dot_product_attention: dropout_rate must be in [0, 1); got {dropout_rate}.")
        if masked_rows not in _MASKED_ROWS:
            raise ValueError(f"scaled_dot_product_attention: masked_rows must be one of {_MASKED_ROWS}; "
                             f"got {masked_rows!r}.")
        self.keep_mask, self.rate, self.scale = mask, float(dropout_rate), scale
        self.masked_rows, self.rng, self.has_bias = masked_rows, rng, has_bias

    def forward(self, q: np.ndarray, k: np.ndarray, v: np.ndarray, bias: np.ndarray | None = None) -> Any:
        xp = get_array_module(q)
        c = q.dtype.type(1.0 / math.sqrt(q.shape[-1]) if self.scale is None else self.scale)
        self.c = c
        logits = xp.matmul(q, _swap(k)) * c
        if bias is not None:
            logits = logits + bias
            self.bias_shape = bias.shape
        keep = None
        if self.keep_mask is not None:
            keep = xp.broadcast_to(xp.asarray(self.keep_mask, dtype=bool), logits.shape)
            logits = xp.where(keep, logits, -xp.inf)
        row_max = logits.max(axis=-1, keepdims=True)
        empty = ~xp.isfinite(row_max)  # fully masked rows
        e = xp.exp(logits - xp.where(empty, 0, row_max))
        denom = e.sum(axis=-1, keepdims=True)
        p = e / xp.where(empty, 1, denom)
        if keep is not None and bool(empty.any()):
            fill = 0.0 if self.masked_rows == "zeros" else 1.0 / p.shape[-1]
            p = xp.where(empty, p.dtype.type(fill), p)
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
        return xp.matmul(p_used, v), p

    def backward(self, g_out: np.ndarray, g_p: np.ndarray) -> Any:
        xp = get_array_module(g_out)
        p, q, k, v = self.p, self.q, self.k, self.v
        g_v = xp.matmul(_swap(self.p_used), g_out)
        g_p_total = xp.matmul(g_out, _swap(v))
        if self.drop is not None:
            g_p_total = g_p_total * self.drop
        g_p_total = g_p_total + g_p
        g_logits = p * (g_p_total - (g_p_total * p).sum(axis=-1, keepdims=True))
        if self.keep is not None:
            g_logits = xp.where(self.keep, g_logits, g_logits.dtype.type(0))
        g_q = xp.matmul(g_logits, k) * self.c
        g_k = xp.matmul(_swap(g_logits), q) * self.c
        grads = (g_q, g_k, g_v)
        if self.has_bias:
            grads = grads + (sum_to(g_logits, self.bias_shape),)
        return grads


def scaled_dot_product_attention(q: Any, k: Any, v: Any, mask: Any = None, bias: Any = None,
                                 dropout_rate: float = 0.0, scale: float | None = None,
                                 masked_rows: str = "zeros", rng: Any = None,
                                 training: bool = True) -> tuple[Any, Any]:
    r""":math:`\mathrm{softmax}(cQK^\top + B)\,V` in one node (see the module docstring).

    Args:
        q: Queries ``(..., T, D)``. k: keys ``(..., S, D)``. v: values ``(..., S, Dv)`` (same leading axes).
        mask: Boolean, broadcastable to ``(..., T, S)``; True where a query may attend to a key.
        bias: Additive logits bias broadcastable to ``(..., T, S)`` (differentiable).
        dropout_rate: Dropout rate on the probabilities (only when ``training``).
        scale: :math:`c`; default :math:`1/\sqrt D`.
        masked_rows: ``'zeros'`` or ``'uniform'`` probabilities for fully masked rows.
        rng: NumPy generator for the dropout mask (default brickwork's seeded one).

    Returns:
        ``(output (..., T, Dv), probabilities (..., T, S))``; the probabilities are those before dropout.
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
                                   has_bias=bias is not None)
    return fn(q, k, v) if bias is None else fn(q, k, v, bias)

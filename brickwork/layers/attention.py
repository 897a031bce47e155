"""Attention (seed 004): scores between a query and the keys, a softmax over the
source positions, and the context vector as the weighted sum of the values.

.. math::
    \\text{score}(h_t, \\bar h_s) = \\begin{cases}
        h_t^\\top \\bar h_s & \\text{dot (Luong)} \\\\
        h_t^\\top W_a \\bar h_s & \\text{general (Luong)} \\\\
        v_a^\\top \\tanh(W_a[h_t; \\bar h_s]) & \\text{concat (Bahdanau)}
    \\end{cases}
    \\qquad a_t = \\mathrm{softmax}_s(\\text{score}), \\qquad c_t = \\textstyle\\sum_s a_{t,s} \\bar h_s
"""

from __future__ import annotations

from typing import Any

from brickwork import functions as F
from brickwork.backend import get_array_module
from brickwork.engine.tensor import Tensor
from brickwork.layers.core import mask_array
from brickwork.layers.layer import Layer

_NEG = -1e9


class _BaseAttention(Layer):
    def __init__(self, use_scale: bool = False, dropout: float = 0.0, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.use_scale, self.dropout, self.seed = use_scale, float(dropout), seed
        self.supports_masking = True

    def _unpack(self, inputs: Any) -> tuple[Any, Any, Any]:
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            raise ValueError(f"{type(self).__name__} '{self.name}' must be called on [query, value] or "
                             "[query, value, key].")
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) == 3 else value
        return query, value, key

    def _scores(self, query: Tensor, key: Tensor) -> Tensor:
        raise NotImplementedError

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        query, value, key = self._unpack(inputs)
        scores = self._scores(query, key)                       # (N, Tq, Tv)
        masks = mask if isinstance(mask, (list, tuple)) else [mask, None]
        q_mask = masks[0] if masks else None
        v_mask = masks[1] if len(masks) > 1 else None
        xp = get_array_module(scores.data)
        block = xp.zeros(scores.shape, bool)
        if v_mask is not None:
            block |= ~mask_array(v_mask)[:, None, :]
        if use_causal_mask:
            tq, tv = scores.shape[1], scores.shape[2]
            block |= xp.triu(xp.ones((tq, tv), bool), k=1)[None]
        if block.any():
            scores = F.where(block, _NEG, scores)
        weights = F.softmax(scores, axis=-1)
        if training and self.dropout:
            weights = F.dropout(weights, self.dropout)
        context = F.matmul(weights, value)                      # (N, Tq, dv)
        if q_mask is not None:
            keep = mask_array(q_mask, context.dtype)[:, :, None]
            context = context * Tensor(keep)
        if return_attention_scores:
            return [context, weights]
        return context

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)) and mask:
            return mask[0]
        return None

    def compute_output_shape(self, input_shape, return_attention_scores=False):
        q, v = input_shape[0], input_shape[1]
        context = tuple(q[:-1]) + (v[-1],)
        if return_attention_scores:
            return [context, tuple(q[:-1]) + (v[1],)]
        return context

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"use_scale": self.use_scale, "dropout": self.dropout, "seed": self.seed})
        return cfg


class Attention(_BaseAttention):
    """Luong-style attention. ``score_mode='dot'`` (Keras's default): :math:`q k^\\top`,
    times a learned scalar with ``use_scale``; ``'general'``: :math:`q W_a k^\\top`
    with a learned ``(dim_q, dim_k)`` matrix (seed 004); ``'concat'``: Keras's
    :math:`\\sum \\tanh(q + k)` times a learned scalar.

    Call: ``attention([query, value])`` or ``[query, value, key]``, with optional
    ``mask=[query_mask, value_mask]``, ``return_attention_scores=True`` (then
    returns ``[context, weights]``) and ``use_causal_mask``.
    Shapes: query ``(batch, Tq, dim)``, value/key ``(batch, Tv, dim)``, output ``(batch, Tq, dim_v)``.
    """

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)
        if score_mode not in ("dot", "general", "concat"):
            raise ValueError(f"Attention: score_mode must be 'dot', 'general' or 'concat'; got {score_mode!r}.")
        self.score_mode = score_mode

    def build(self, input_shape):
        q = input_shape[0]
        k = input_shape[2] if len(input_shape) == 3 else input_shape[1]
        self.scale = self.add_weight((), "ones", name="scale") if self.use_scale else None
        self.concat_score_weight = self.add_weight((), "ones", name="concat_score_weight") \
            if self.score_mode == "concat" else None
        self.attention_kernel = self.add_weight((q[-1], k[-1]), "glorot_uniform", name="attention_kernel") \
            if self.score_mode == "general" else None
        self.built = True

    def _scores(self, query, key):
        if self.score_mode == "concat":  # Keras: w * sum(tanh(scale * (q + k))), the scale inside the tanh
            pairs = F.expand_dims(query, 2) + F.expand_dims(key, 1)
            if self.scale is not None:
                pairs = pairs * self.scale
            return F.sum(F.tanh(pairs), axis=-1) * self.concat_score_weight
        q = F.matmul(query, self.attention_kernel) if self.score_mode == "general" else query
        s = F.matmul(q, F.transpose(key, (0, 2, 1)))
        if self.scale is not None:
            s = s * self.scale
        return s

    def get_config(self):
        cfg = super().get_config()
        cfg["score_mode"] = self.score_mode
        return cfg


class AdditiveAttention(_BaseAttention):
    """Bahdanau-style attention: :math:`\\text{score} = v_a^\\top \\tanh(q + k)` (Keras's
    ``AdditiveAttention``). The seed's :math:`v_a^\\top \\tanh(W_a[h_t; \\bar h_s])` is this
    with :math:`q = W_1 h_t` and :math:`k = W_2 \\bar h_s` — put ``Dense`` projections in
    front. ``use_scale=True`` (default) learns :math:`v_a` (shape ``(dim,)``); otherwise
    :math:`v_a = 1`.
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)

    def build(self, input_shape):
        dim = input_shape[0][-1]
        self.scale = self.add_weight((dim,), "glorot_uniform", name="scale") if self.use_scale else None
        self.built = True

    def _scores(self, query, key):
        t = F.tanh(F.expand_dims(query, 2) + F.expand_dims(key, 1))   # (N, Tq, Tv, dim)
        if self.scale is not None:
            t = t * self.scale
        return F.sum(t, axis=-1)

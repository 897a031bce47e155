"""``keras.ops.nn.dot_product_attention``, composed from differentiable primitives."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.tensor import Tensor
from brickwork.functions.einsum import einsum
from brickwork.ops._convert import promote, raw, tensor


def dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None,
                          scale: float | None = None, is_causal: bool = False, flash_attention: Any = None,
                          attn_logits_soft_cap: float | None = None) -> Tensor:
    r"""Scaled dot-product attention on ``(B, T, N, H)`` queries and ``(B, S, K, H)`` keys/values:

    .. math:: \mathrm{softmax}\Bigl(\frac{Q K^\top}{\sqrt H} + \mathrm{bias}\Bigr) V

    ``mask`` (broadcastable to ``(B, N, T, S)``) is True where a key may be
    attended; ``is_causal`` also hides keys after each query (top-left aligned).
    ``K < N`` heads (grouped-query attention) share each key/value head among
    ``N / K`` consecutive query heads. ``scale`` defaults to :math:`1/\sqrt H`;
    ``attn_logits_soft_cap`` :math:`c` maps logits to :math:`c\tanh(\ell/c)`.
    ``flash_attention`` is accepted for compatibility and ignored.
    """
    q, k, v = promote(query, key, value)
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError(f"dot_product_attention: query, key and value must be 4-D (B, T, N, H); got shapes "
                         f"{q.shape}, {k.shape}, {v.shape}.")
    b, t, n, h = q.shape
    if k.shape != v.shape or k.shape[0] != b or k.shape[3] != h or n % k.shape[2]:
        raise ValueError(f"dot_product_attention: key {k.shape} and value {v.shape} must be (B, S, K, H) with "
                         f"B, H from query {q.shape} and K dividing its {n} heads.")
    groups = n // k.shape[2]
    if groups > 1:
        idx = np.repeat(np.arange(k.shape[2]), groups)
        k, v = F.getitem(k, (slice(None), slice(None), idx)), F.getitem(v, (slice(None), slice(None), idx))
    s = k.shape[1]
    factor = 1.0 / math.sqrt(h) if scale is None else float(scale)
    logits = F.multiply(einsum("btnh,bsnh->bnts", q, k), np.asarray(factor, q.dtype))
    if attn_logits_soft_cap is not None:
        cap = np.asarray(attn_logits_soft_cap, q.dtype)
        logits = F.multiply(F.tanh(F.divide(logits, cap)), cap)
    if bias is not None:
        logits = F.add(logits, tensor(bias))
    keep = None
    if mask is not None:
        keep = np.broadcast_to(np.asarray(raw(mask)).astype(bool), logits.shape)
    if is_causal:
        causal = np.tril(np.ones((t, s), bool))
        keep = causal if keep is None else keep & causal
    if keep is not None:
        logits = F.where(keep, logits, np.asarray(np.finfo(logits.dtype).min, logits.dtype))
    probs = F.softmax(logits, -1)
    return einsum("bnts,bsnh->btnh", probs, v)

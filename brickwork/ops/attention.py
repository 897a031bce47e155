"""``keras.ops.nn.dot_product_attention`` on the fused primitive
:func:`brickwork.functions.scaled_dot_product_attention`; :func:`composed_dot_product_attention` is the
same computation composed from autograd primitives (einsum, softmax, einsum), kept as the readable
reference the fused primitive is tested against (and used for ``attn_logits_soft_cap``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.device import asarray
from brickwork.engine.tensor import Tensor
from brickwork.functions.attention import scaled_dot_product_attention
from brickwork.functions.einsum import einsum
from brickwork.ops._convert import promote, raw, tensor


def _prepare(query: Any, key: Any, value: Any, mask: Any, is_causal: bool) -> tuple[Any, Any, Any, Any]:
    """Validated ``(B, T, N, H)`` tensors (key/value heads repeated for grouped queries) and the boolean
    keep-mask (``mask`` and the causal triangle), broadcastable to ``(B, N, T, S)``, or None."""
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
    keep = None
    if mask is not None:
        keep = asarray(raw(mask)).astype(bool)
        try:
            np.broadcast_shapes(keep.shape, (b, n, t, s))
        except ValueError:
            raise ValueError(f"dot_product_attention: mask of shape {keep.shape} does not broadcast to "
                             f"(B, N, T, S) = {(b, n, t, s)}.") from None
    if is_causal:
        causal = np.tril(np.ones((t, s), bool))
        keep = causal if keep is None else keep & causal
    return q, k, v, keep


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
    ``flash_attention`` is accepted for compatibility and ignored. A fully masked
    row gets uniform weights over the keys, as in Keras 3. Runs as one fused node
    (:func:`brickwork.functions.scaled_dot_product_attention`) on ``(B, N, T, H)``.
    """
    if attn_logits_soft_cap is not None:
        return composed_dot_product_attention(query, key, value, bias, mask, scale, is_causal, flash_attention,
                                              attn_logits_soft_cap)
    q, k, v, keep = _prepare(query, key, value, mask, is_causal)
    heads_first = (0, 2, 1, 3)
    b = None if bias is None else tensor(bias)
    out, _ = scaled_dot_product_attention(F.transpose(q, heads_first), F.transpose(k, heads_first),
                                          F.transpose(v, heads_first), mask=keep, bias=b, scale=scale,
                                          masked_rows="uniform")
    return F.transpose(out, heads_first)


def composed_dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None,
                                   scale: float | None = None, is_causal: bool = False, flash_attention: Any = None,
                                   attn_logits_soft_cap: float | None = None) -> Tensor:
    """:func:`dot_product_attention` from autograd pieces (einsum, softmax, einsum): the readable reference
    the fused node is tested against, and the path for ``attn_logits_soft_cap``."""
    q, k, v, keep = _prepare(query, key, value, mask, is_causal)
    h = q.shape[3]
    factor = 1.0 / math.sqrt(h) if scale is None else float(scale)
    logits = F.multiply(einsum("btnh,bsnh->bnts", q, k), asarray(factor, q.dtype))
    if attn_logits_soft_cap is not None:
        cap = asarray(attn_logits_soft_cap, q.dtype)
        logits = F.multiply(F.tanh(F.divide(logits, cap)), cap)
    if bias is not None:
        logits = F.add(logits, tensor(bias))
    if keep is not None:
        keep = np.broadcast_to(keep, logits.shape)
        logits = F.where(keep, logits, asarray(np.finfo(logits.dtype).min, logits.dtype))
    probs = F.softmax(logits, -1)
    return einsum("bnts,bsnh->btnh", probs, v)

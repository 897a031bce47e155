"""Vectorised word2vec updates: one call trains a whole mini-batch of (input, output) pairs.

The original C code (and gensim) walks the corpus one pair at a time. Here the
pairs of a chunk of text are gathered into arrays and each mini-batch is a few
large NumPy operations; all gradients of a mini-batch are computed from the same
weights and then added (repeated words' updates are summed — sort and segment
sum rather than ``np.add.at``).

Negative sampling (Mikolov et al. 2013), for an input vector :math:`v` (a word,
or the mean of the context in CBOW), its true output word :math:`o` and
:math:`K` negatives :math:`n_k \\sim P(w) \\propto c_w^{0.75}`:

.. math::
    \\ell = -\\ln\\sigma(u_o^\\top v) - \\textstyle\\sum_k \\ln\\sigma(-u_{n_k}^\\top v), \\qquad
    g_o = \\lambda(1 - \\sigma(u_o^\\top v)), \\quad g_k = -\\lambda\\,\\sigma(u_{n_k}^\\top v)

    u_o \\mathrel{+}= g_o v, \\quad u_{n_k} \\mathrel{+}= g_k v, \\quad
    v \\mathrel{+}= g_o u_o + \\textstyle\\sum_k g_k u_{n_k}

(the steps of word2vec's ``train_sg_pair``, with :math:`\\lambda` the learning
rate). Within a mini-batch the pairs share one set of ``S`` negatives drawn from
the unigram table, each weighted by :math:`K / S` so that the expected update is
that of :math:`K` negatives per pair, which turns the negative part into three
matrix products.

Hierarchical softmax: the output word's Huffman path of inner nodes
:math:`p_j` with bits :math:`b_j`: :math:`g_j = \\lambda(1 - b_j - \\sigma(u_{p_j}^\\top v))`,
with the same three updates.

The sigmoid is word2vec's: a 1000-entry table over :math:`[-6, 6)`, read at index
:math:`\\lfloor (x + 6)\\cdot 83 \\rfloor` (the C tool and gensim compute the
multiplier ``EXP_TABLE_SIZE / MAX_EXP / 2`` in integer arithmetic: 83, not 83.3), so
the value used is about :math:`\\sigma(0.996\\,x - 0.03)`; and, as gensim does, an
output (node or negative) whose score is beyond ±6 is not updated. Both are kept so
that a step here is the same step gensim takes (checked to float precision against
gensim's own kernel).
"""

from __future__ import annotations

import numpy as np

from brickwork.functions._util import add_rows

MAX_EXP = 6.0  # word2vec's sigmoid table range; updates of outputs scored beyond it are skipped
EXP_TABLE_SIZE = 1000
_TABLE_STEP = EXP_TABLE_SIZE // int(MAX_EXP) // 2          # 83: C's integer division, as word2vec and gensim
# σ at the table's points -6 + 12 i / 1000, as word2vec's e^x / (e^x + 1)
EXP_TABLE = (0.5 * np.tanh(0.5 * (np.arange(EXP_TABLE_SIZE) / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP) + 0.5
             ).astype(np.float32)


def table_sigmoid(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """word2vec's table sigmoid of the scores ``x`` and the mask of those inside ``(-6, 6)``.

    Outside the range the value is meaningless (the caller skips those outputs).
    """
    inside = np.abs(x) < MAX_EXP
    index = ((np.clip(x, -MAX_EXP, MAX_EXP - 1e-3) + MAX_EXP) * _TABLE_STEP).astype(np.intp)
    return EXP_TABLE[index], inside


def negative_sampling(v: np.ndarray, out: np.ndarray, syn1neg: np.ndarray, table: np.ndarray, k: int,
                      shared: int | None, lr: float, rng: np.random.Generator,
                      compute_loss: bool = False, cap: float | None = None) -> tuple[np.ndarray, float]:
    """One mini-batch of negative sampling; returns ``(gradient for the inputs, loss)``.

    ``v (B, d)`` input vectors, ``out (B,)`` true output words. Updates ``syn1neg`` in place.
    ``shared`` negatives are drawn for the whole mini-batch (weighted ``k / shared``); with
    ``shared=None`` every pair draws its own ``k``, as word2vec and gensim do.
    """
    if shared is None:
        return _negative_sampling_per_pair(v, out, syn1neg, table, k, lr, rng, compute_loss, cap)
    negs = np.searchsorted(table, rng.random(shared)).astype(np.int64)
    u_out = syn1neg[out]                                  # (B, d)
    u_neg = syn1neg[negs]                                 # (S, d)
    s_pos, in_pos = table_sigmoid(np.einsum("bd,bd->b", v, u_out))
    s_neg, in_neg = table_sigmoid(v @ u_neg.T)           # (B, S)
    scale = k / shared
    in_neg &= out[:, None] != negs[None, :]               # a negative equal to the true word is skipped
    g_pos = (1.0 - s_pos) * (lr * in_pos)
    g_neg = s_neg * (-lr * scale) * in_neg
    grad_v = g_pos[:, None] * u_out + g_neg @ u_neg
    add_rows(syn1neg, np.concatenate([out, negs]), np.concatenate([g_pos[:, None] * v, g_neg.T @ v]), cap)
    loss = 0.0
    if compute_loss:
        loss = float(-(in_pos * np.log(s_pos)).sum() - scale * (in_neg * np.log(1 - s_neg)).sum())
    return grad_v.astype(v.dtype, copy=False), loss


def _negative_sampling_per_pair(v: np.ndarray, out: np.ndarray, syn1neg: np.ndarray, table: np.ndarray, k: int,
                                lr: float, rng: np.random.Generator, compute_loss: bool,
                                cap: float | None) -> tuple[np.ndarray, float]:
    """gensim's estimator: ``k`` negatives of its own per pair (about 3x slower: ``B·k`` rows to scatter)."""
    b, d = v.shape
    negs = np.searchsorted(table, rng.random((b, k))).astype(np.int64)
    rows = np.concatenate([out[:, None], negs], axis=1)   # (B, 1 + k): the true word, then the negatives
    u = syn1neg[rows]                                     # (B, 1 + k, d)
    s, inside = table_sigmoid(np.einsum("bd,bkd->bk", v, u))
    inside[:, 1:] &= negs != out[:, None]                 # a negative equal to the true word is skipped
    label = np.zeros_like(s)
    label[:, 0] = 1.0
    g = ((label - s) * inside * lr).astype(v.dtype)
    grad_v = np.einsum("bk,bkd->bd", g, u)
    add_rows(syn1neg, rows.ravel(), (g[:, :, None] * v[:, None, :]).reshape(-1, d), cap)
    loss = float(-(inside * np.log(np.where(label > 0, s, 1 - s))).sum()) if compute_loss else 0.0
    return grad_v, loss


def hierarchical_softmax(v: np.ndarray, out: np.ndarray, syn1: np.ndarray, points: np.ndarray, codes: np.ndarray,
                         mask: np.ndarray, lr: float, compute_loss: bool = False) -> tuple[np.ndarray, float]:
    """One mini-batch of hierarchical softmax along each output word's Huffman path.

    The inner nodes' summed updates are never capped: every path starts at the root, so a cap would
    scale the top nodes' updates down by up to ``batch / cap``.
    """
    p, c, m = points[out], codes[out], mask[out]          # (B, L)
    nodes = syn1[p]                                       # (B, L, d)
    f = np.einsum("bld,bd->bl", nodes, v)
    s, inside = table_sigmoid(f)
    m = m * inside                                        # saturated nodes are skipped, as word2vec does
    g = ((1.0 - c - s) * m * lr).astype(v.dtype)          # (B, L)
    grad_v = np.einsum("bl,bld->bd", g, nodes)
    rows, depth = np.nonzero(m)                           # padded (and skipped) nodes are no updates
    add_rows(syn1, p[rows, depth], g[rows, depth, None] * v[rows])
    loss = float(-(m * np.log(np.where(c > 0, 1 - s, s))).sum()) if compute_loss else 0.0
    return grad_v, loss

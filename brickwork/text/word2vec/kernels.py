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
with the same three updates; as in word2vec, a node whose score is beyond ±6 is
not updated.
"""

from __future__ import annotations

import numpy as np

from brickwork.functions._util import add_rows

MAX_EXP = 6.0  # word2vec's sigmoid table range; hierarchical-softmax updates beyond it are skipped


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * np.tanh(0.5 * x) + 0.5


def negative_sampling(v: np.ndarray, out: np.ndarray, syn1neg: np.ndarray, table: np.ndarray, k: int,
                      shared: int, lr: float, rng: np.random.Generator,
                      compute_loss: bool = False, cap: float | None = None) -> tuple[np.ndarray, float]:
    """One mini-batch of negative sampling; returns ``(gradient for the inputs, loss)``.

    ``v (B, d)`` input vectors, ``out (B,)`` true output words. Updates ``syn1neg`` in place.
    """
    negs = np.searchsorted(table, rng.random(shared)).astype(np.int64)
    u_out = syn1neg[out]                                  # (B, d)
    u_neg = syn1neg[negs]                                 # (S, d)
    s_pos = _sigmoid(np.einsum("bd,bd->b", v, u_out))
    s_neg = _sigmoid(v @ u_neg.T)                         # (B, S)
    scale = k / shared
    g_pos = (1.0 - s_pos) * lr
    g_neg = s_neg * (-lr * scale)
    g_neg[out[:, None] == negs[None, :]] = 0.0            # a negative equal to the true word is skipped
    grad_v = g_pos[:, None] * u_out + g_neg @ u_neg
    add_rows(syn1neg, np.concatenate([out, negs]), np.concatenate([g_pos[:, None] * v, g_neg.T @ v]), cap)
    loss = 0.0
    if compute_loss:
        loss = float(-np.log(s_pos + 1e-7).sum() - scale * np.log(1 - s_neg + 1e-7).sum())
    return grad_v.astype(v.dtype, copy=False), loss


def hierarchical_softmax(v: np.ndarray, out: np.ndarray, syn1: np.ndarray, points: np.ndarray, codes: np.ndarray,
                         mask: np.ndarray, lr: float, compute_loss: bool = False) -> tuple[np.ndarray, float]:
    """One mini-batch of hierarchical softmax along each output word's Huffman path.

    The inner nodes' summed updates are never capped: every path starts at the root, so a cap would
    scale the top nodes' updates down by up to ``batch / cap``.
    """
    p, c, m = points[out], codes[out], mask[out]          # (B, L)
    nodes = syn1[p]                                       # (B, L, d)
    f = np.einsum("bld,bd->bl", nodes, v)
    s = _sigmoid(f)
    m = m * (np.abs(f) < MAX_EXP)                         # saturated nodes are skipped, as word2vec does
    g = ((1.0 - c - s) * m * lr).astype(v.dtype)          # (B, L)
    grad_v = np.einsum("bl,bld->bd", g, nodes)
    rows, depth = np.nonzero(m)                           # padded (and skipped) nodes are no updates
    add_rows(syn1, p[rows, depth], g[rows, depth, None] * v[rows])
    loss = float(-(m * np.log(np.where(c > 0, 1 - s, s) + 1e-7)).sum()) if compute_loss else 0.0
    return grad_v, loss

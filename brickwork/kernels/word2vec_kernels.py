"""Compiled word2vec training loops (numba): one chunk of text, pair by pair, as the C tool and gensim.

The NumPy trainer (:mod:`brickwork.text.word2vec.kernels`) gathers a chunk's pairs into
mini-batches and updates them together; here a chunk is walked centre by centre and every
pair takes its own SGD step at once, like word2vec's ``train_sg_pair``/``train_cbow_pair``
and gensim's ``fast_sentence_*``: per output row (the true word, each negative, each
Huffman inner node) one dot product and two ``axpy`` updates::

    f = u·v;   skip the row if |f| ≥ 6;   s = EXP_TABLE[⌊(f + 6)·83⌋]
    g = λ (label − s)                      (label 1 for the true word, 0 for a negative;
                                             1 − code for an inner node)
    work += g u;    u += g v               and after all rows:  v += work

(CBOW: ``v`` is the mean, or with ``cbow_mean=0`` the sum, of the context vectors, and
``work`` — divided by the context size when summing, as the NumPy trainer and gensim —
is added to every context word.) The sigmoid table, its index multiplier and the skip
rule are the NumPy trainer's (``EXP_TABLE``), the windows and subsampled positions are
drawn by the trainer in NumPy as before, and the learning rate is the trainer's per
chunk. Negatives: ``negative`` per pair (gensim's estimator, not the NumPy trainer's
shared mini-batch draw), from the same cumulative unigram table, with word2vec's linear
congruential generator seeded from the trainer's random stream; a negative equal to the
true word is skipped. ``nogil=True``: worker threads train chunks in parallel (Hogwild).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from brickwork.text.word2vec.kernels import EXP_TABLE, EXP_TABLE_SIZE, MAX_EXP

_OPTIONS = dict(cache=True, fastmath=False, nogil=True)
_MULTIPLIER = np.uint64(25214903917)          # word2vec's next_random = next_random * 25214903917 + 11
_INCREMENT = np.uint64(11)
_SHIFT = np.uint64(16)
_SCALE = 1.0 / float(2 ** 48)                  # (next_random >> 16) / 2**48 is uniform in [0, 1)
_TABLE_STEP = EXP_TABLE_SIZE // int(MAX_EXP) // 2  # 83, C's integer division, as the NumPy trainer


@njit(cache=True, nogil=True, fastmath={"reassoc"})
def _dot(a, b):  # pragma: no cover
    """``a·b`` in float32; the sum may be reordered (SIMD), as BLAS's ``sdot`` and NumPy's products do."""
    f = np.float32(0.0)
    for k in range(a.shape[0]):
        f += a[k] * b[k]
    return f


@njit(**_OPTIONS)
def _output_row(l1, row, label, lr, exp_table, step, limit, work, compute_loss):  # pragma: no cover
    """One output row's step; returns its loss term (0 when skipped or not asked for)."""
    d = l1.shape[0]
    f = _dot(l1, row)
    if f <= -limit or f >= limit:                  # saturated: word2vec and the NumPy trainer skip it
        return 0.0
    s = exp_table[int((f + np.float32(limit)) * np.float32(step))]
    g = np.float32((label - s) * lr)
    for k in range(d):
        work[k] += g * row[k]
    for k in range(d):
        row[k] += g * l1[k]
    if compute_loss:
        return -np.log(s) if label > 0.5 else -np.log(1.0 - s)
    return 0.0


@njit(**_OPTIONS)
def _outputs(l1, word, lr, work, negative, syn1neg, cum_table, hs, syn1, points, codes, path_mask, exp_table,
             step, limit, state, compute_loss):  # pragma: no cover
    """All output rows of one pair (hierarchical softmax path, then the true word and its negatives)."""
    loss = 0.0
    if hs:
        for k in range(points.shape[1]):
            if path_mask[word, k] == 0:
                break
            loss += _output_row(l1, syn1[points[word, k]], 1.0 - codes[word, k], lr, exp_table, step, limit, work,
                                compute_loss)
    if negative > 0:
        loss += _output_row(l1, syn1neg[word], 1.0, lr, exp_table, step, limit, work, compute_loss)
        for _ in range(negative):
            state[0] = state[0] * _MULTIPLIER + _INCREMENT
            target = np.searchsorted(cum_table, float(state[0] >> _SHIFT) * _SCALE)
            if target == word:                         # a negative equal to the true word is skipped
                continue
            loss += _output_row(l1, syn1neg[target], 0.0, lr, exp_table, step, limit, work, compute_loss)
    return loss


@njit(**_OPTIONS)
def _train_skipgram(words, sent, eff, syn0, lr, negative, syn1neg, cum_table, hs, syn1, points, codes, path_mask,
                    exp_table, step, limit, state, compute_loss):  # pragma: no cover
    n, d = words.shape[0], syn0.shape[1]
    work = np.empty(d, syn0.dtype)
    loss = 0.0
    for i in range(n):                                 # centre i predicted from each context word j
        for jj in range(2 * eff[i]):                   # the NumPy trainer's order: i+1, i-1, i+2, i-2, ...
            j = i + jj // 2 + 1 if jj % 2 == 0 else i - jj // 2 - 1
            if j < 0 or j >= n or sent[j] != sent[i]:
                continue
            l1 = syn0[words[j]]
            work[:] = 0
            loss += _outputs(l1, words[i], lr, work, negative, syn1neg, cum_table, hs, syn1, points, codes,
                             path_mask, exp_table, step, limit, state, compute_loss)
            for k in range(d):
                l1[k] += work[k]
    return loss


@njit(**_OPTIONS)
def _train_cbow(words, sent, eff, syn0, lr, cbow_mean, negative, syn1neg, cum_table, hs, syn1, points, codes,
                path_mask, exp_table, step, limit, state, compute_loss):  # pragma: no cover
    n, d = words.shape[0], syn0.shape[1]
    work = np.empty(d, syn0.dtype)
    neu1 = np.empty(d, syn0.dtype)
    loss = 0.0
    for i in range(n):
        lo, hi = max(0, i - eff[i]), min(n, i + eff[i] + 1)
        neu1[:] = 0
        count = 0
        for j in range(lo, hi):
            if j != i and sent[j] == sent[i]:
                ctx = syn0[words[j]]
                for k in range(d):
                    neu1[k] += ctx[k]
                count += 1
        if count == 0:                                 # no context word: no update
            continue
        if cbow_mean:
            for k in range(d):
                neu1[k] /= count
        work[:] = 0
        loss += _outputs(neu1, words[i], lr, work, negative, syn1neg, cum_table, hs, syn1, points, codes,
                         path_mask, exp_table, step, limit, state, compute_loss)
        if not cbow_mean:
            for k in range(d):
                work[k] /= count
        for j in range(lo, hi):
            if j != i and sent[j] == sent[i]:
                ctx = syn0[words[j]]
                for k in range(d):
                    ctx[k] += work[k]
    return loss


def train_chunk(words: np.ndarray, sent: np.ndarray, eff: np.ndarray, syn0: np.ndarray, lr: float, seed: int, *,
                sg: bool, cbow_mean: bool = True, negative: int = 0, syn1neg: np.ndarray | None = None,
                cum_table: np.ndarray | None = None, hs: bool = False, syn1: np.ndarray | None = None,
                points: np.ndarray | None = None, codes: np.ndarray | None = None,
                path_mask: np.ndarray | None = None, compute_loss: bool = False) -> float:
    """Train one chunk in place: ``words`` (subsampled word indices), ``sent`` (their sentence ids) and
    ``eff`` (each position's window) as the NumPy trainer draws them; returns the chunk's loss (0 unless
    ``compute_loss``). ``syn1neg``/``cum_table`` for negative sampling, ``syn1`` and the Huffman
    ``points``/``codes``/``path_mask`` (:meth:`HuffmanTree.padded`) for hierarchical softmax."""
    d = syn0.shape[1]
    empty_rows = np.zeros((1, d), syn0.dtype)
    if not negative:
        syn1neg, cum_table = empty_rows, np.ones(1)
    if not hs:
        syn1, points, codes, path_mask = empty_rows, np.zeros((1, 1), np.int32), np.zeros((1, 1), np.float32), \
            np.zeros((1, 1), np.float32)
    state = np.array([seed], np.uint64)
    args = (np.ascontiguousarray(words, np.int64), np.ascontiguousarray(sent, np.int64),
            np.ascontiguousarray(eff, np.int64), syn0, float(lr))
    rest = (int(negative), syn1neg, np.asarray(cum_table, np.float64), bool(hs), syn1, points, codes, path_mask,
            EXP_TABLE, _TABLE_STEP, MAX_EXP, state, bool(compute_loss))
    if sg:
        return float(_train_skipgram(*args, *rest))
    return float(_train_cbow(*args, bool(cbow_mean), *rest))

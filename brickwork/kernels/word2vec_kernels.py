"""Compiled word2vec training loops (numba): one chunk of text, pair by pair, as the C tool and gensim.

The NumPy trainer (:mod:`brickwork.text.word2vec.kernels`) gathers a chunk's pairs into
mini-batches and updates them together; here a chunk is walked centre by centre and every
pair takes its own SGD step at once, like word2vec's ``train_sg_pair``/``train_cbow_pair``
and gensim's ``fast_sentence_*``: per output row (the true word, each negative, each
Huffman inner node) one dot product and two ``axpy`` updates::

    f = u·v;   skip the row unless |f| < 6;   s = EXP_TABLE[⌊(f + 6)·83⌋]
    g = λ (label − s)                      (label 1 for the true word, 0 for a negative;
                                             1 − code for an inner node)
    work += g u;    u += g v               and after all rows:  v += work

(CBOW: ``v`` is the mean, or with ``cbow_mean=0`` the sum, of the context vectors, and
``work`` — divided by the context size when summing, as the NumPy trainer and gensim —
is added to every context word.) The sigmoid table, its index multiplier and the skip
rule are the NumPy trainer's (``EXP_TABLE``), the windows and subsampled positions are
drawn by the trainer in NumPy as before, and the learning rate is the trainer's per
chunk.

Negatives: ``negative`` per pair (gensim's estimator, not the NumPy trainer's shared
mini-batch draw) from the unigram table as 31-bit integers (gensim's ``cum_table``), drawn
with a 64-bit linear congruential generator seeded from the trainer's random stream (the C
tool and gensim use one too; here its 31 top bits, the good ones). The draw is the NumPy
trainer's ``searchsorted``, sped up by a guide table (Chen & Asau 1974): bucket ``b`` of
the 31-bit range stores the first candidate word, so the binary search runs over the one
or two words that share the bucket instead of the whole vocabulary. A negative equal to the
true word is skipped.

Speed notes (measured against gensim 4.4's Cython loops; benchmarks/bench_word2vec.py): a
pair's output rows are scored first and updated after, in order — the same steps as one row
after another (each score depends on the input and that row only; a negative drawn twice is
scored again after its first update), but the rows' memory loads overlap instead of waiting
for each other, which made skip-gram about 1.5x faster. The guide table made the draw about
20% of skip-gram's time cheaper than ``searchsorted``; copying the input vector into a buffer
of its own (the compiler then knows the updated output rows do not alias it) about 10%. The
loops are compiled with ``fastmath`` minus ``nnan``/``ninf``: ``reassoc`` lets LLVM vectorise
the dot product's sum (results differ from NumPy's in the last bits), and a NaN score still
fails the ``|f| < 6`` test and is skipped, never used as a table index. ``nogil=True``:
worker threads train chunks in parallel (Hogwild).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from brickwork.text.word2vec.kernels import EXP_TABLE, MAX_EXP

# no nnan/ninf: with them LLVM may drop the NaN check of |f| < 6 before the table lookup
_FAST = {"reassoc", "contract", "nsz", "arcp"}
_OPTIONS = dict(cache=True, fastmath=_FAST, nogil=True, error_model="numpy", boundscheck=False)
_LIMIT = np.float32(MAX_EXP)
_STEP = np.float32(1000 // int(MAX_EXP) // 2)  # 83, C's integer division, as the NumPy trainer and gensim
_MULTIPLIER = np.uint64(6364136223846793005)   # Knuth's MMIX LCG: state = state * a + c (mod 2**64)
_INCREMENT = np.uint64(1442695040888963407)
_TOP_SHIFT = np.uint64(33)                     # the state's 31 top bits: a draw in [0, 2**31)
_DOMAIN_BITS = 31


class Tables(NamedTuple):
    """What the kernels read besides ``syn0``: built once per ``train`` call by :func:`prepare`."""

    syn1neg: np.ndarray        # (V, d) negative-sampling output vectors (a dummy row without negatives)
    table: np.ndarray          # (V,) uint32: cumulative unigram weights scaled to 2**31
    guide: np.ndarray          # (2**bits + 1,) int32: first word whose table entry exceeds each bucket's start
    guide_shift: np.uint64     # 31 - bits: a draw's bucket is ``draw >> guide_shift``
    syn1: np.ndarray           # (V - 1, d) inner-node vectors (a dummy row without hierarchical softmax)
    points: np.ndarray         # (V, depth) int32 inner nodes of each word's Huffman path
    labels: np.ndarray         # (V, depth) float32: 1 - the bits of the path (the rows' targets)
    lengths: np.ndarray        # (V,) int32 path lengths


def negative_table(cum_table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.uint64]:
    """``(table, guide, guide_shift)`` of :class:`Tables` from the trainer's cumulative distribution.

    Word ``w`` is drawn for the integers ``x`` with ``table[w - 1] <= x < table[w]`` (first ``w``
    with ``table[w] > x``), ``x`` uniform on ``[0, 2**31)``: probability ``cum_table[w] -
    cum_table[w - 1]`` to within ``2**-31``, exactly NumPy's ``searchsorted(cum_table, u)``.
    """
    cum = np.asarray(cum_table, np.float64)
    if cum.ndim != 1 or not len(cum) or not cum[-1] > 0:
        raise ValueError(f"negative_table: cum_table must be a non-empty increasing 1-D table; got {cum.shape}.")
    table = np.round(cum / cum[-1] * 2.0 ** _DOMAIN_BITS).astype(np.uint32)
    bits = min(max(int(np.ceil(np.log2(len(table)))), 0), 24)      # about one bucket per word
    shift = _DOMAIN_BITS - bits
    starts = np.arange((1 << bits) + 1, dtype=np.int64) << shift
    guide = np.minimum(np.searchsorted(table, starts, side="right"), len(table) - 1).astype(np.int32)
    return table, guide, np.uint64(shift)


def prepare(vector_size: int, syn1neg: np.ndarray | None = None, cum_table: np.ndarray | None = None,
            syn1: np.ndarray | None = None, points: np.ndarray | None = None, codes: np.ndarray | None = None,
            path_mask: np.ndarray | None = None) -> Tables:
    """The :class:`Tables` for negative sampling (``syn1neg`` and ``cum_table``) and/or hierarchical
    softmax (``syn1`` and the padded Huffman ``points``/``codes``/``path_mask`` of
    :meth:`HuffmanTree.padded`); the parts not given are one-row dummies the kernels never read."""
    dummy = np.zeros((1, vector_size), np.float32)
    if syn1neg is None or cum_table is None:
        syn1neg, table, guide, shift = dummy, np.ones(1, np.uint32), np.zeros(2, np.int32), np.uint64(_DOMAIN_BITS)
    else:
        table, guide, shift = negative_table(cum_table)
    if syn1 is None or points is None or codes is None or path_mask is None:
        syn1, points, labels, lengths = dummy, np.zeros((1, 1), np.int32), np.zeros((1, 1), np.float32), \
            np.zeros(1, np.int32)
    else:
        lengths = (np.asarray(path_mask) > 0).sum(axis=1).astype(np.int32)
        points, labels = np.ascontiguousarray(points, np.int32), (1.0 - np.asarray(codes, np.float32))
    return Tables(syn1neg, table, guide, shift, syn1, points, labels, lengths)


@njit(**_OPTIONS)
def _dot(l1, rows, r):  # pragma: no cover
    """``l1 · rows[r]`` in float32 (``reassoc``: the sum is vectorised, as BLAS's ``sdot`` does)."""
    f = np.float32(0.0)
    for k in range(l1.shape[0]):
        f += l1[k] * rows[r, k]
    return f


@njit(**_OPTIONS)
def _rows(l1, rows, targets, labels, m, lr, work, scores, exp_table, repeats, compute_loss):  # pragma: no cover
    """The steps of output rows ``rows[targets[:m]]`` (labels ``labels[:m]``) against the input ``l1``;
    returns their loss (0 unless ``compute_loss``).

    The same steps as taking the rows one after another (word2vec's loop): all ``m`` scores are
    computed first — each row's score depends on ``l1`` and that row only, and the rows' loads then
    overlap instead of waiting for each other — and then the updates, in order. With ``repeats`` a
    row that occurs again (a negative drawn twice) is scored again after its earlier update, as in
    the sequential loop; a Huffman path never repeats a node.
    """
    d = l1.shape[0]
    for q in range(m):
        scores[q] = _dot(l1, rows, targets[q])
    loss = 0.0
    for q in range(m):
        r = targets[q]
        f = scores[q]
        if repeats:
            for p in range(q):
                if targets[p] == r:
                    f = _dot(l1, rows, r)
                    break
        if not (-_LIMIT < f < _LIMIT):             # saturated (or NaN): word2vec and the NumPy trainer skip it
            continue
        s = exp_table[int((f + _LIMIT) * _STEP)]
        label = labels[q]
        g = np.float32((label - s) * lr)
        for k in range(d):
            work[k] += g * rows[r, k]
        for k in range(d):
            rows[r, k] += g * l1[k]
        if compute_loss:
            loss += -np.log(s) if label > 0.5 else -np.log(1.0 - s)
    return loss


@njit(**_OPTIONS)
def _draw(state, table, guide, shift):  # pragma: no cover
    """The next negative and the generator's next state: first ``w`` with ``table[w] > x``."""
    state = state * _MULTIPLIER + _INCREMENT
    x = state >> _TOP_SHIFT
    b = x >> shift
    lo, hi = np.int64(guide[b]), np.int64(guide[b + np.uint64(1)])
    while lo < hi:
        mid = (lo + hi) >> 1
        if table[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return lo, state


@njit(**_OPTIONS)
def _sample(n, state, table, guide, shift):  # pragma: no cover
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i], state = _draw(state, table, guide, shift)
    return out


def sample_negatives(tables: Tables, seed: int, n: int) -> np.ndarray:
    """The first ``n`` negatives the kernels draw from generator state ``seed`` (for tests and inspection):
    ``x_i`` the 31 top bits of the i-th state of ``state = state * 6364136223846793005 + 1442695040888963407
    (mod 2**64)``, and the word the first ``w`` with ``tables.table[w] > x_i``."""
    return _sample(int(n), np.uint64(seed % 2 ** 64), tables.table, tables.guide, tables.guide_shift)


@njit(**_OPTIONS)
def _outputs(l1, word, lr, work, state, hs, negative, t, exp_table, targets, labels, scores,
             compute_loss):  # pragma: no cover
    """All output rows of one pair (hierarchical softmax path, then the true word and its negatives);
    returns ``(loss, state)``. ``targets``/``scores``: buffers of ``negative + 1``; ``labels`` is
    ``[1, 0, 0, ...]``."""
    loss = 0.0
    if hs:
        loss += _rows(l1, t.syn1, t.points[word], t.labels[word], t.lengths[word], lr, work, scores, exp_table,
                      False, compute_loss)
    if negative > 0:
        targets[0] = word
        m = 1
        for _ in range(negative):
            target, state = _draw(state, t.table, t.guide, t.guide_shift)
            if target != word:                         # a negative equal to the true word is skipped
                targets[m] = target
                m += 1
        loss += _rows(l1, t.syn1neg, targets, labels, m, lr, work, scores, exp_table, True, compute_loss)
    return loss, state


@njit(**_OPTIONS)
def _buffers(d, negative, depth):  # pragma: no cover
    """``work``, the input copy, the targets, the labels ``[1, 0, ...]`` and the scores of one pair."""
    size = max(negative + 1, depth)
    labels = np.zeros(size, np.float32)
    labels[0] = 1.0
    return np.empty(d, np.float32), np.empty(d, np.float32), np.empty(size, np.int64), labels, \
        np.empty(size, np.float32)


@njit(**_OPTIONS)
def _train_skipgram(words, sent, eff, syn0, lr, state, hs, negative, t, exp_table,
                    compute_loss):  # pragma: no cover
    n, d = words.shape[0], syn0.shape[1]
    work, l1, targets, labels, scores = _buffers(d, negative, t.points.shape[1])
    loss = 0.0
    for i in range(n):                                 # centre i predicted from each context word j
        for jj in range(2 * eff[i]):                   # the NumPy trainer's order: i+1, i-1, i+2, i-2, ...
            j = i + jj // 2 + 1 if jj % 2 == 0 else i - jj // 2 - 1
            if j < 0 or j >= n or sent[j] != sent[i]:
                continue
            c = words[j]
            for k in range(d):
                l1[k] = syn0[c, k]
                work[k] = 0.0
            part, state = _outputs(l1, words[i], lr, work, state, hs, negative, t, exp_table, targets, labels,
                                   scores, compute_loss)
            loss += part
            for k in range(d):
                syn0[c, k] += work[k]
    return loss


@njit(**_OPTIONS)
def _train_cbow(words, sent, eff, syn0, lr, cbow_mean, state, hs, negative, t, exp_table,
                compute_loss):  # pragma: no cover
    n, d = words.shape[0], syn0.shape[1]
    work, neu1, targets, labels, scores = _buffers(d, negative, t.points.shape[1])
    loss = 0.0
    for i in range(n):
        lo, hi = max(0, i - eff[i]), min(n, i + eff[i] + 1)
        while sent[lo] != sent[i]:                     # the window stays inside the sentence
            lo += 1
        while sent[hi - 1] != sent[i]:
            hi -= 1
        count = hi - lo - 1
        if count == 0:                                 # no context word: no update
            continue
        for k in range(d):
            neu1[k] = 0.0
            work[k] = 0.0
        for j in range(lo, hi):
            if j != i:
                c = words[j]
                for k in range(d):
                    neu1[k] += syn0[c, k]
        if cbow_mean:
            for k in range(d):
                neu1[k] /= count
        part, state = _outputs(neu1, words[i], lr, work, state, hs, negative, t, exp_table, targets, labels,
                               scores, compute_loss)
        loss += part
        if not cbow_mean:
            for k in range(d):
                work[k] /= count
        for j in range(lo, hi):
            if j != i:
                c = words[j]
                for k in range(d):
                    syn0[c, k] += work[k]
    return loss


def train_chunk(words: np.ndarray, sent: np.ndarray, eff: np.ndarray, syn0: np.ndarray, lr: float, seed: int,
                tables: Tables, *, sg: bool, cbow_mean: bool = True, negative: int = 0, hs: bool = False,
                compute_loss: bool = False) -> float:
    """Train one chunk in place: ``words`` (subsampled word indices), ``sent`` (their sentence ids,
    non-decreasing) and ``eff`` (each position's window) as the NumPy trainer draws them; ``tables``
    from :func:`prepare`. Returns the chunk's loss (0 unless ``compute_loss``)."""
    if syn0.dtype != np.float32 or not syn0.flags.c_contiguous:
        raise TypeError(f"train_chunk: syn0 must be a C-contiguous float32 array; got {syn0.dtype}.")
    if not len(words):
        return 0.0
    args = (np.ascontiguousarray(words, np.int64), np.ascontiguousarray(sent, np.int64),
            np.ascontiguousarray(eff, np.int64), syn0, float(lr))
    rest = (np.uint64(seed % 2 ** 64), bool(hs), int(negative), tables, EXP_TABLE, bool(compute_loss))
    if sg:
        return float(_train_skipgram(*args, *rest))
    return float(_train_cbow(*args, bool(cbow_mean), *rest))

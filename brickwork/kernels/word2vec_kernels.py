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
rule are the NumPy trainer's (``EXP_TABLE``) and the learning rate is the trainer's per
chunk. :func:`train_tokens` also subsamples and draws the windows (:func:`sample_positions`,
from the same generator as the negatives), so that only the vocabulary lookup runs under the
GIL; :func:`train_chunk` takes positions drawn elsewhere (the NumPy trainer's, in tests).

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
worker threads train chunks in parallel (Hogwild). The per-pair code takes whole arrays and row
indices, never a slice or a tuple of arrays: numba counts references to array views with atomic
increments, and the earlier per-pair helper made 13 increments and 26 decrements per pair
(removing them: 6-28% faster on one thread, benchmarks/RESULTS.md).
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
def _rows(l1, rows, targets, trow, labels, lrow, m, lr, work, scores, exp_table, repeats,
          compute_loss):  # pragma: no cover
    """The steps of output rows ``rows[targets[trow, :m]]`` (labels ``labels[lrow, :m]``) against the
    input ``l1``; returns their loss (0 unless ``compute_loss``).

    The same steps as taking the rows one after another (word2vec's loop): all ``m`` scores are
    computed first — each row's score depends on ``l1`` and that row only, and the rows' loads then
    overlap instead of waiting for each other — and then the updates, in order. With ``repeats`` a
    row that occurs again (a negative drawn twice) is scored again after its earlier update, as in
    the sequential loop; a Huffman path never repeats a node. Whole 2-D tables and a row index, never
    a slice: a slice is an array view, and every view costs two atomic reference-count updates.
    """
    d = l1.shape[0]
    for q in range(m):
        scores[q] = _dot(l1, rows, targets[trow, q])
    loss = 0.0
    for q in range(m):
        r = targets[trow, q]
        f = scores[q]
        if repeats:
            for p in range(q):
                if targets[trow, p] == r:
                    f = _dot(l1, rows, r)
                    break
        if not (-_LIMIT < f < _LIMIT):             # saturated (or NaN): word2vec and the NumPy trainer skip it
            continue
        s = exp_table[int((f + _LIMIT) * _STEP)]
        label = labels[lrow, q]
        g = np.float32((label - s) * lr)
        for k in range(d):
            work[k] += g * rows[r, k]
        for k in range(d):
            rows[r, k] += g * l1[k]
        if compute_loss:
            loss += -np.log(s) if label > 0.5 else -np.log(1.0 - s)
    return loss


@njit(**_OPTIONS)
def _next(state):  # pragma: no cover
    """The generator's next state and its 31 top bits (a draw in ``[0, 2**31)``)."""
    state = state * _MULTIPLIER + _INCREMENT
    return state, state >> _TOP_SHIFT


@njit(**_OPTIONS)
def _draw(state, table, guide, shift):  # pragma: no cover
    """The next negative and the generator's next state: first ``w`` with ``table[w] > x``."""
    state, x = _next(state)
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
def _negatives(word, negative, state, table, guide, shift, targets):  # pragma: no cover
    """``targets[0] = [word, negative draws other than word...]``; returns ``(count, state)``."""
    targets[0, 0] = word
    m = 1
    for _ in range(negative):
        target, state = _draw(state, table, guide, shift)
        if target != word:                             # a negative equal to the true word is skipped
            targets[0, m] = target
            m += 1
    return m, state


@njit(**_OPTIONS)
def _positions(ids, lengths, keep, window, shrink, state):  # pragma: no cover
    """Subsampling and windows, drawn from the same generator as the negatives: the kept words, their
    sentence ids, their windows, and the generator's state after.

    Per token (``-1``: not in the vocabulary, dropped): kept when ``x / 2**31 < keep[word]`` (one draw;
    none when ``keep[word] >= 1``); then per kept word its window ``window - ⌊x · window / 2**31⌋``
    (one draw, with ``shrink``), uniform on 1..window as word2vec's ``window - b``."""
    n = ids.shape[0]
    words, sent, eff = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    kept = 0
    pos = 0
    for s in range(lengths.shape[0]):
        for _ in range(lengths[s]):
            w = ids[pos]
            pos += 1
            if w < 0:
                continue
            p = keep[w]
            if p < 1.0:
                state, x = _next(state)
                if not x < p * 2147483648.0:
                    continue
            words[kept] = w
            sent[kept] = s
            kept += 1
    for i in range(kept):
        if shrink:
            state, x = _next(state)
            eff[i] = window - np.int64((x * np.uint64(window)) >> np.uint64(_DOMAIN_BITS))
        else:
            eff[i] = window
    return words[:kept], sent[:kept], eff[:kept], state


@njit(**_OPTIONS)
def _train_skipgram(words, sent, eff, syn0, lr, state, hs, negative, t, exp_table,
                    compute_loss):  # pragma: no cover
    n, d = words.shape[0], syn0.shape[1]
    syn1neg, table, guide, shift, syn1, points, hs_labels, lengths = t   # unpacked once: no per-pair tuple access
    size = max(negative + 1, points.shape[1])
    work, l1, scores = np.empty(d, np.float32), np.empty(d, np.float32), np.empty(size, np.float32)
    targets, labels = np.empty((1, size), np.int64), np.zeros((1, size), np.float32)
    labels[0, 0] = 1.0
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
            w = words[i]                               # every output row of the pair (path, then negatives)
            if hs:
                loss += _rows(l1, syn1, points, w, hs_labels, w, lengths[w], lr, work, scores, exp_table, False,
                              compute_loss)
            if negative > 0:
                m, state = _negatives(w, negative, state, table, guide, shift, targets)
                loss += _rows(l1, syn1neg, targets, 0, labels, 0, m, lr, work, scores, exp_table, True, compute_loss)
            for k in range(d):
                syn0[c, k] += work[k]
    return loss, state


@njit(**_OPTIONS)
def _train_cbow(words, sent, eff, syn0, lr, cbow_mean, state, hs, negative, t, exp_table,
                compute_loss):  # pragma: no cover
    n, d = words.shape[0], syn0.shape[1]
    syn1neg, table, guide, shift, syn1, points, hs_labels, lengths = t
    size = max(negative + 1, points.shape[1])
    work, neu1, scores = np.empty(d, np.float32), np.empty(d, np.float32), np.empty(size, np.float32)
    targets, labels = np.empty((1, size), np.int64), np.zeros((1, size), np.float32)
    labels[0, 0] = 1.0
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
        w = words[i]
        if hs:
            loss += _rows(neu1, syn1, points, w, hs_labels, w, lengths[w], lr, work, scores, exp_table, False,
                          compute_loss)
        if negative > 0:
            m, state = _negatives(w, negative, state, table, guide, shift, targets)
            loss += _rows(neu1, syn1neg, targets, 0, labels, 0, m, lr, work, scores, exp_table, True, compute_loss)
        if not cbow_mean:
            for k in range(d):
                work[k] /= count
        for j in range(lo, hi):
            if j != i:
                c = words[j]
                for k in range(d):
                    syn0[c, k] += work[k]
    return loss, state


@njit(**_OPTIONS)
def _train_raw(ids, lengths, keep, window, shrink, syn0, lr, sg, cbow_mean, state, hs, negative, t, exp_table,
               compute_loss):  # pragma: no cover
    words, sent, eff, state = _positions(ids, lengths, keep, window, shrink, state)
    if words.shape[0] < 2:
        return words.shape[0], 0.0
    if sg:
        loss, state = _train_skipgram(words, sent, eff, syn0, lr, state, hs, negative, t, exp_table, compute_loss)
    else:
        loss, state = _train_cbow(words, sent, eff, syn0, lr, cbow_mean, state, hs, negative, t, exp_table,
                                  compute_loss)
    return words.shape[0], loss


def _check_syn0(name: str, syn0: np.ndarray) -> None:
    if syn0.dtype != np.float32 or not syn0.flags.c_contiguous:
        raise TypeError(f"{name}: syn0 must be a C-contiguous float32 array; got {syn0.dtype}.")


def train_chunk(words: np.ndarray, sent: np.ndarray, eff: np.ndarray, syn0: np.ndarray, lr: float, seed: int,
                tables: Tables, *, sg: bool, cbow_mean: bool = True, negative: int = 0, hs: bool = False,
                compute_loss: bool = False) -> float:
    """Train one chunk in place: ``words`` (subsampled word indices), ``sent`` (their sentence ids,
    non-decreasing) and ``eff`` (each position's window) as the NumPy trainer draws them; ``tables``
    from :func:`prepare`. Returns the chunk's loss (0 unless ``compute_loss``)."""
    _check_syn0("train_chunk", syn0)
    if not len(words):
        return 0.0
    args = (np.ascontiguousarray(words, np.int64), np.ascontiguousarray(sent, np.int64),
            np.ascontiguousarray(eff, np.int64), syn0, float(lr))
    rest = (np.uint64(seed % 2 ** 64), bool(hs), int(negative), tables, EXP_TABLE, bool(compute_loss))
    if sg:
        return float(_train_skipgram(*args, *rest)[0])
    return float(_train_cbow(*args, bool(cbow_mean), *rest)[0])


def sample_positions(ids: np.ndarray, lengths: np.ndarray, keep: np.ndarray, window: int, shrink: bool,
                     seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``(words, sent, eff)`` that :func:`train_tokens` draws from generator state ``seed`` (for tests
    and inspection): ``ids`` the chunk's word indices (``-1`` for a word not in the vocabulary),
    ``lengths`` its sentences' lengths, ``keep`` each word's keep probability."""
    words, sent, eff, _ = _positions(np.ascontiguousarray(ids, np.int64), np.ascontiguousarray(lengths, np.int64),
                                     np.ascontiguousarray(keep, np.float64), int(window), bool(shrink),
                                     np.uint64(seed % 2 ** 64))
    return words, sent, eff


def train_tokens(ids: np.ndarray, lengths: np.ndarray, keep: np.ndarray, window: int, shrink: bool,
                 syn0: np.ndarray, lr: float, seed: int, tables: Tables, *, sg: bool, cbow_mean: bool = True,
                 negative: int = 0, hs: bool = False, compute_loss: bool = False) -> tuple[int, float]:
    """Subsample, draw the windows and train one chunk, all in one compiled call without the GIL;
    returns ``(words kept, loss)``. ``ids``/``lengths``/``keep`` as :func:`sample_positions`; the
    generator goes on from the positions' draws to the negatives', so one ``seed`` fixes the chunk."""
    _check_syn0("train_tokens", syn0)
    if len(lengths) and (np.min(lengths) < 0 or int(np.sum(lengths)) != len(ids)):
        raise ValueError(f"train_tokens: lengths must be non-negative and sum to len(ids) = {len(ids)}.")
    kept, loss = _train_raw(np.ascontiguousarray(ids, np.int64), np.ascontiguousarray(lengths, np.int64),
                            np.ascontiguousarray(keep, np.float64), int(window), bool(shrink), syn0, float(lr),
                            bool(sg), bool(cbow_mean), np.uint64(seed % 2 ** 64), bool(hs), int(negative), tables,
                            EXP_TABLE, bool(compute_loss))
    return int(kept), float(loss)

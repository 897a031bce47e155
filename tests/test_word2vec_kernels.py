"""The compiled word2vec loops (brickwork.kernels.word2vec_kernels) against the equations written out
pair by pair in plain Python: the negative draw, repeated negatives, both architectures, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from brickwork import kernels
from brickwork.text.word2vec import unigram_table
from brickwork.text.word2vec.kernels import EXP_TABLE

pytestmark = pytest.mark.skipif(not kernels.available(), reason="numba (the fast extra) is not installed")


def _wk():
    from brickwork.kernels import word2vec_kernels

    return word2vec_kernels


def _sigmoid(f: float) -> float | None:
    """word2vec's table sigmoid, None beyond ±6 (the row is skipped)."""
    if not -6.0 < f < 6.0:
        return None
    return float(EXP_TABLE[int((np.float32(f) + np.float32(6.0)) * np.float32(83.0))])


def _row_steps(l1, rows, targets, labels, lr, work):
    """word2vec's loop over output rows, one after another: score, table sigmoid, work += g u, u += g v."""
    for r, label in zip(targets, labels):
        s = _sigmoid(float(np.dot(l1.astype(np.float64), rows[r])))
        if s is None:
            continue
        g = np.float32((label - s) * lr)
        work += g * rows[r]
        rows[r] += g * l1


def _reference(words, sent, eff, syn0, syn1neg, negatives, lr, sg, cbow_mean=True):
    """Skip-gram / CBOW with negative sampling, pair by pair; every negative is word ``negatives[1]``
    drawn ``negatives[0]`` times (a one-word unigram table)."""
    count_neg, neg_word = negatives
    n = len(words)
    for i in range(n):
        if sg:
            order = [i + k // 2 + 1 if k % 2 == 0 else i - k // 2 - 1 for k in range(2 * eff[i])]
            for j in (j for j in order if 0 <= j < n and sent[j] == sent[i]):
                work = np.zeros(syn0.shape[1], np.float32)
                targets = [words[i]] + [neg_word] * (count_neg if neg_word != words[i] else 0)
                _row_steps(syn0[words[j]].copy(), syn1neg, targets, [1.0] + [0.0] * (len(targets) - 1), lr, work)
                syn0[words[j]] += work
            continue
        ctx = [j for j in range(max(0, i - eff[i]), min(n, i + eff[i] + 1)) if j != i and sent[j] == sent[i]]
        if not ctx:
            continue
        v = syn0[words[ctx]].sum(axis=0)
        v = v / len(ctx) if cbow_mean else v
        work = np.zeros(syn0.shape[1], np.float32)
        targets = [words[i]] + [neg_word] * (count_neg if neg_word != words[i] else 0)
        _row_steps(v.astype(np.float32), syn1neg, targets, [1.0] + [0.0] * (len(targets) - 1), lr, work)
        if not cbow_mean:
            work /= len(ctx)
        for j in ctx:
            syn0[words[j]] += work


def _chunk(seed=0, n=60, vocab=9, d=8):
    rng = np.random.default_rng(seed)
    words = rng.integers(0, vocab, n)
    sent = np.repeat(np.arange(4), [20, 1, 25, 14])            # a one-word sentence has no context
    eff = rng.integers(1, 4, n)
    syn0 = ((rng.random((vocab, d)) - 0.5) / d).astype(np.float32)
    syn1neg = ((rng.random((vocab, d)) - 0.5) * 0.5).astype(np.float32)
    return words, sent, eff, syn0, syn1neg


@pytest.mark.parametrize("sg,cbow_mean", [(1, 1), (0, 1), (0, 0)])
def test_repeated_negatives_take_sequential_steps(sg, cbow_mean):
    """A one-word unigram table draws word 4 three times per pair: the kernel scores all rows first,
    so a repeated row must be scored again after its earlier update to match the sequential loop."""
    wk = _wk()
    words, sent, eff, syn0, syn1neg = _chunk()
    counts = np.zeros(9, np.int64)
    counts[4] = 1
    tables = wk.prepare(8, syn1neg.copy(), unigram_table(counts))
    ours = syn0.copy()
    wk.train_chunk(words, sent, eff, ours, 0.5, 7, tables, sg=bool(sg), cbow_mean=bool(cbow_mean), negative=3)
    theirs, theirs_out = syn0.copy(), syn1neg.copy()
    _reference(words, sent, eff, theirs, theirs_out, (3, 4), 0.5, sg, cbow_mean)
    assert np.abs(theirs_out[4] - syn1neg[4]).max() > 1e-2                        # the negatives did train
    np.testing.assert_allclose(ours, theirs, atol=2e-5)
    np.testing.assert_allclose(tables.syn1neg, theirs_out, atol=2e-5)


def _top_bits(seed, n):
    """The 31 top bits of the first ``n`` states of the 64-bit LCG (Knuth's MMIX constants) from ``seed``."""
    state, a, c = np.uint64(seed), np.uint64(6364136223846793005), np.uint64(1442695040888963407)
    tops = np.empty(n, np.int64)
    with np.errstate(over="ignore"):
        for i in range(n):
            state = state * a + c
            tops[i] = int(state >> np.uint64(33))
    return tops


def test_negative_draws_are_searchsorted_of_the_generators_top_bits():
    wk = _wk()
    counts = np.array([50, 0, 7, 300, 1, 1, 12, 0, 90], np.int64)
    cum = unigram_table(counts)
    tables = wk.prepare(4, np.zeros((9, 4), np.float32), cum)
    draws = wk.sample_negatives(tables, 12345, 20000)
    np.testing.assert_array_equal(draws, np.searchsorted(cum, _top_bits(12345, 20000) / 2.0 ** 31, side="right"))
    frequency = np.bincount(draws, minlength=9) / len(draws)
    expected = np.diff(np.r_[0.0, cum])
    assert frequency[[1, 7]].sum() == 0                                   # count 0: never drawn
    assert np.all(np.abs(frequency - expected) <= 4 * np.sqrt(expected * (1 - expected) / len(draws)) + 1e-9)


def test_a_large_vocabulary_draws_through_the_guide_table():
    """5,000 words: the guide table narrows the search to a bucket; the draw is still the full binary search."""
    wk = _wk()
    counts = np.random.default_rng(1).zipf(1.3, 5000).astype(np.int64)
    cum = unigram_table(counts)
    tables = wk.prepare(2, np.zeros((5000, 2), np.float32), cum)
    assert len(tables.guide) == 8193
    draws = wk.sample_negatives(tables, 3, 30000)
    np.testing.assert_array_equal(draws, np.searchsorted(cum, _top_bits(3, 30000) / 2.0 ** 31, side="right"))


def test_a_nan_score_is_skipped_not_used_as_a_table_index():
    wk = _wk()
    words, sent, eff, syn0, syn1neg = _chunk()
    syn0[:] = np.nan
    tables = wk.prepare(8, syn1neg.copy(), unigram_table(np.ones(9, np.int64)), np.zeros((8, 8), np.float32),
                        np.zeros((9, 1), np.int32), np.zeros((9, 1), np.float32), np.ones((9, 1), np.float32))
    for sg in (True, False):
        wk.train_chunk(words, sent, eff, syn0, 0.025, 1, tables, sg=sg, negative=5, hs=True)
    np.testing.assert_array_equal(tables.syn1neg, syn1neg)
    assert not tables.syn1.any()


def test_bad_inputs_are_named():
    wk = _wk()
    words, sent, eff, syn0, syn1neg = _chunk()
    tables = wk.prepare(8, syn1neg, unigram_table(np.ones(9, np.int64)))
    with pytest.raises(TypeError, match="syn0"):
        wk.train_chunk(words, sent, eff, syn0.astype(np.float64), 0.025, 1, tables, sg=True, negative=5)
    with pytest.raises(ValueError, match="cum_table"):
        wk.negative_table(np.zeros(3))
    with pytest.raises(ValueError, match="cum_table"):
        wk.negative_table(np.ones((2, 2)))


def _positions_reference(ids, lengths, keep, window, shrink, seed):
    """Subsampling then windows from the 64-bit LCG, written out: one draw per token whose keep probability is
    below 1 (kept when ``x / 2**31 < p``), then one per kept word for its window ``window - ⌊x·window / 2**31⌋``."""
    state, a, c = np.uint64(seed), np.uint64(6364136223846793005), np.uint64(1442695040888963407)

    def draw():
        nonlocal state
        with np.errstate(over="ignore"):
            state = state * a + c
        return int(state >> np.uint64(33))

    words, sent = [], []
    for s, w in zip(np.repeat(np.arange(len(lengths)), lengths), ids):
        if w < 0 or (keep[w] < 1 and not draw() < keep[w] * 2.0 ** 31):
            continue
        words.append(w)
        sent.append(s)
    eff = [window - (draw() * window >> 31) if shrink else window for _ in words]
    return np.array(words, np.int64), np.array(sent, np.int64), np.array(eff, np.int64)


@pytest.mark.parametrize("shrink", [True, False])
def test_subsampling_and_windows_are_the_generators_draws(shrink):
    wk = _wk()
    rng = np.random.default_rng(4)
    lengths = np.array([7, 0, 30, 1, 12])
    ids = rng.integers(-1, 6, lengths.sum())                      # -1: a word outside the vocabulary
    keep = np.array([0.1, 1.0, 0.5, 2.0, 0.9, 0.0])
    ours = wk.sample_positions(ids, lengths, keep, 4, shrink, 99)
    for got, want in zip(ours, _positions_reference(ids, lengths, keep, 4, shrink, 99)):
        np.testing.assert_array_equal(got, want)
    assert 5 not in ours[0] and -1 not in ours[0] and set(ours[2]) <= {1, 2, 3, 4}


def test_train_tokens_without_random_positions_is_train_chunk():
    """Nothing subsampled (keep 1) and fixed windows draw nothing, so the negatives start from the same
    generator state: the one-call trainer takes exactly train_chunk's steps."""
    wk = _wk()
    words, sent, eff, syn0, syn1neg = _chunk()
    eff[:] = 2
    lengths = np.bincount(sent)
    ids = words.copy()
    ids[5] = -1                                                   # dropped as not in the vocabulary
    keep = np.ones(9)
    for sg in (True, False):
        cum = unigram_table(np.arange(1, 10))
        ours, theirs = syn0.copy(), syn0.copy()
        t_ours, t_theirs = wk.prepare(8, syn1neg.copy(), cum), wk.prepare(8, syn1neg.copy(), cum)
        kept, _ = wk.train_tokens(ids, lengths, keep, 2, False, ours, 0.1, 17, t_ours, sg=sg, negative=3)
        mask = ids >= 0
        wk.train_chunk(words[mask], sent[mask], eff[mask], theirs, 0.1, 17, t_theirs, sg=sg, negative=3)
        assert kept == mask.sum()
        np.testing.assert_array_equal(ours, theirs)
        np.testing.assert_array_equal(t_ours.syn1neg, t_theirs.syn1neg)
        assert np.abs(ours - syn0).max() > 1e-3


def test_train_tokens_checks_the_lengths():
    wk = _wk()
    words, sent, eff, syn0, syn1neg = _chunk()
    tables = wk.prepare(8, syn1neg, unigram_table(np.ones(9, np.int64)))
    with pytest.raises(ValueError, match="lengths"):
        wk.train_tokens(words, [len(words) - 1], np.ones(9), 2, True, syn0, 0.025, 1, tables, sg=True, negative=5)
    with pytest.raises(TypeError, match="train_tokens: syn0"):
        wk.train_tokens(words, [len(words)], np.ones(9), 2, True, syn0.astype(np.float64), 0.025, 1, tables, sg=True,
                        negative=5)

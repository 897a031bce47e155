"""Optional compiled kernels (brickwork.kernels, the ``fast`` extra): each equals its NumPy reference,
and everything falls back to NumPy when numba is missing or switched off."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from helpers import assert_close

import brickwork as bw
from brickwork import kernels, layers
from brickwork.functions.recurrent import GRUSequence, LSTMSequence
from brickwork.text import Word2Vec
from brickwork.text.word2vec import unigram_table

needs_numba = pytest.mark.skipif(not kernels.available(), reason="numba (the fast extra) is not installed")


def _run_node(cls, arrays, options, on, seed=7):
    """Outputs, input gradients and whether the kernel ran, for one recurrent node with kernels ``on``/off."""
    with kernels.use_kernels(on, families=kernels.FAMILIES):
        fn = cls(**options)
        tensors = [bw.Tensor(a.copy(), requires_grad=True) for a in arrays]
        outs = fn(*tensors)
        compiled = fn.compiled                               # backward frees the node's state
        rng = np.random.default_rng(seed)
        loss = None
        for o in outs:
            term = (o * bw.Tensor(rng.standard_normal(o.shape).astype(o.data.dtype))).sum()
            loss = term if loss is None else loss + term
        loss.backward()
    return [o.data for o in outs], [t.grad for t in tensors], compiled


def _lstm_arrays(rng, n, t, d, u, dtype, gates):
    shapes = [(n, t, d), (n, u), (n, u), (d, gates * u), (u, gates * u), (gates * u,)]
    return [(rng.standard_normal(s) * (0.6 if len(s) == 2 and s[0] in (d, u) else 1)).astype(dtype) for s in shapes]


def _assert_same(on, off, dtype, what):
    for k, (a, b) in enumerate(zip(on, off)):
        assert_close(a, b, dtype, what=f"{what} #{k}")


OPTIONS = [{}, {"go_backwards": True}, {"mask": True}, {"mask": True, "go_backwards": True, "rdrop": True},
           {"truncate": 3, "rdrop": True}]


def _options(rng, n, t, u, dtype, raw):
    opts = dict(raw)
    if opts.pop("mask", False):
        mask = rng.random((n, t)) > 0.3
        mask[:, 0] = True
        opts["mask"] = mask
    if opts.pop("rdrop", False):
        opts["rdrop"] = ((rng.random((n, u)) > 0.3) / 0.7).astype(dtype)
    return opts


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("coupled", [False, True])
@pytest.mark.parametrize("raw", OPTIONS)
@pytest.mark.parametrize("seed", [0, 1])
def test_lstm_kernel_equals_numpy(dtype, coupled, raw, seed):
    rng = np.random.default_rng(seed)
    n, t, d, u = (int(v) for v in rng.integers(1, 7, 4))
    t += 2
    arrays = _lstm_arrays(rng, n, t, d, u, dtype, 3 if coupled else 4)
    opts = dict(coupled=coupled, **_options(rng, n, t, u, dtype, raw))
    outs_on, grads_on, compiled = _run_node(LSTMSequence, arrays, opts, True)
    outs_off, grads_off, reference = _run_node(LSTMSequence, arrays, opts, False)
    assert compiled and not reference
    _assert_same(outs_on, outs_off, dtype, "LSTM output")
    _assert_same(grads_on, grads_off, dtype, "LSTM gradient")


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("raw", OPTIONS)
@pytest.mark.parametrize("seed", [0, 1])
def test_gru_kernel_equals_numpy(dtype, bias, raw, seed):
    rng = np.random.default_rng(seed + 10)
    n, t, d, u = (int(v) for v in rng.integers(1, 7, 4))
    t += 2
    arrays = [rng.standard_normal((n, t, d)), rng.standard_normal((n, u)), 0.6 * rng.standard_normal((d, 3 * u)),
              0.6 * rng.standard_normal((u, 3 * u))] + ([rng.standard_normal((2, 3 * u))] if bias else [])
    arrays = [a.astype(dtype) for a in arrays]
    opts = dict(use_bias=bias, **_options(rng, n, t, u, dtype, raw))
    outs_on, grads_on, compiled = _run_node(GRUSequence, arrays, opts, True)
    outs_off, grads_off, reference = _run_node(GRUSequence, arrays, opts, False)
    assert compiled and not reference
    _assert_same(outs_on, outs_off, dtype, "GRU output")
    _assert_same(grads_on, grads_off, dtype, "GRU gradient")


@needs_numba
@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(6, return_sequences=True),
    lambda: layers.GRU(6),
    lambda: layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
    lambda: layers.Bidirectional(layers.GRU(4), merge_mode="sum"),
])
def test_layers_with_kernels_equal_numpy_with_masks(make):
    """Whole layers (float32, the default): output and every weight gradient, with a padding mask."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 9, 3)).astype(np.float32)
    mask = np.arange(9)[None, :] < rng.integers(2, 10, 5)[:, None]
    layer = make()
    layer(x)
    for w in layer.weights:
        w.assign(rng.uniform(-0.5, 0.5, w.shape))
    results = []
    for on in (True, False):
        with kernels.use_kernels(on, families=kernels.FAMILIES):
            y = layer(bw.Tensor(x), mask=mask)
            (y * bw.Tensor(np.cos(np.arange(y.data.size)).reshape(y.shape).astype(np.float32))).sum().backward()
            results.append((y.data.copy(), [w.grad.copy() for w in layer.trainable_weights]))
            for w in layer.trainable_weights:
                w.grad = None
    assert_close(results[0][0], results[1][0], np.float32, what="output")
    for a, b in zip(results[0][1], results[1][1]):
        assert_close(a, b, np.float32, what="weight gradient")


@needs_numba
@pytest.mark.parametrize("cls,options,arrays", [
    (LSTMSequence, dict(recurrent_activation="hard_sigmoid"), "lstm"),
    (LSTMSequence, dict(activation_name="relu"), "lstm"),
    (GRUSequence, dict(reset_after=False), "gru_before"),
])
def test_unsupported_cases_run_the_numpy_code(cls, options, arrays):
    rng = np.random.default_rng(0)
    n, t, d, u = 2, 4, 3, 5
    if arrays.startswith("lstm"):
        data = _lstm_arrays(rng, n, t, d, u, np.float64, 4)
    else:
        data = [rng.standard_normal(s) for s in ((n, t, d), (n, u), (d, 3 * u), (u, 3 * u), (3 * u,))]
    outs, _, compiled = _run_node(cls, data, options, True)
    assert not compiled and all(np.isfinite(o).all() for o in outs)


# ------------------------------------------------------------------------------------------- word2vec
def _lee(sentences=40):
    from gensim.test.utils import datapath
    from gensim.utils import simple_preprocess

    with open(datapath("lee_background.cor")) as handle:
        return [simple_preprocess(line) for line in handle][:sentences]


def _train_both(settings, corpus, prepare=None):
    out = []
    for on in (True, False):
        with kernels.use_kernels(on):
            model = Word2Vec(batch_pairs=1, **settings)
            model.build_vocab(corpus)
            if prepare is not None:
                prepare(model)
            model.train(corpus, total_words=10 ** 9, epochs=1)
            assert model._compiled is on
            out.append(model)
    return out


@needs_numba
@pytest.mark.parametrize("sg,cbow_mean", [(1, 1), (0, 1), (0, 0)])
def test_word2vec_hierarchical_softmax_kernel_equals_numpy_pair_by_pair(sg, cbow_mean):
    """One pair (skip-gram) or one centre (CBOW) per mini-batch makes the NumPy trainer take the same
    sequential steps as the kernel; hierarchical softmax draws nothing at random, so the two agree."""
    settings = dict(vector_size=16, window=3, min_count=2, sg=sg, hs=1, negative=0, sample=0, shrink_windows=False,
                    cbow_mean=cbow_mean)
    compiled, reference = _train_both(settings, _lee(6 if sg else 12))  # the NumPy side: one pair per batch
    np.testing.assert_allclose(compiled.wv.vectors, reference.wv.vectors, atol=2e-5)
    np.testing.assert_allclose(compiled.syn1, reference.syn1, atol=2e-5)
    assert np.abs(compiled.syn1).max() > 1e-3                                     # it did train


@needs_numba
@pytest.mark.parametrize("sg", [0, 1])
def test_word2vec_negative_sampling_kernel_equals_numpy_with_a_one_word_table(sg):
    """A unigram table that only ever draws word 3 makes every negative known: per-pair steps agree."""
    settings = dict(vector_size=12, window=2, min_count=2, sg=sg, hs=0, negative=1, shared_negatives=None,
                    sample=0, shrink_windows=False, max_row_updates=None)

    def one_word_table(model):
        counts = np.zeros(len(model.wv), np.int64)
        counts[3] = 1
        model.cum_table = unigram_table(counts)

    compiled, reference = _train_both(settings, _lee(6 if sg else 12), one_word_table)
    assert np.abs(compiled.syn1neg[3]).max() > 1e-3
    np.testing.assert_allclose(compiled.wv.vectors, reference.wv.vectors, atol=2e-5)
    np.testing.assert_allclose(compiled.syn1neg, reference.syn1neg, atol=2e-5)


@needs_numba
def test_word2vec_skipgram_hs_kernel_step_is_gensims():
    from gensim.models import Word2Vec as GensimWord2Vec
    from gensim.models.word2vec_inner import train_batch_sg

    corpus = _lee()
    settings = dict(vector_size=16, window=3, min_count=2, sg=1, hs=1, negative=0, sample=0, shrink_windows=False)
    ours = Word2Vec(**settings)
    ours.build_vocab(corpus)
    theirs = GensimWord2Vec(workers=1, **settings)
    theirs.build_vocab(corpus)
    ours.wv.vectors[:] = theirs.wv.vectors
    start = theirs.wv.vectors.copy()
    ours.train(corpus, total_words=10 ** 9, epochs=1)
    train_batch_sg(theirs, corpus, ours.alpha, np.zeros(16, np.float32), False)
    assert ours._compiled
    # gensim walks each centre's window left to right, the kernel as the NumPy trainer (i+1, i-1, ...):
    # the same updates in another order, so close but not equal
    ours_step, theirs_step = (ours.wv.vectors - start).ravel(), (theirs.wv.vectors - start).ravel()
    assert np.abs(theirs_step).max() > 1e-2
    assert np.corrcoef(ours_step, theirs_step)[0, 1] > 0.98
    assert np.corrcoef(ours.syn1.ravel(), theirs.syn1[:-1].ravel())[0, 1] > 0.98
    assert np.median(np.abs(ours_step - theirs_step)) < 1e-3


def _topics(n=800, seed=0):
    rng = np.random.default_rng(seed)
    topics = [["cat", "dog", "pet", "fur", "paw", "vet"], ["car", "road", "wheel", "fuel", "drive", "tyre"]]
    return [list(rng.choice(topics[rng.integers(2)], 8)) for _ in range(n)]


@needs_numba
@pytest.mark.parametrize("sg,hs,negative,workers", [(1, 0, 5, 1), (0, 0, 5, 1), (1, 1, 0, 1), (0, 1, 0, 1),
                                                    (1, 0, 5, 2), (0, 1, 5, 2)])
def test_word2vec_kernels_learn_the_same_topics(sg, hs, negative, workers):
    model = Word2Vec(_topics(), vector_size=16, window=3, min_count=1, sg=sg, hs=hs, negative=negative, epochs=3,
                     seed=3, sample=0, workers=workers, batch_words=1000, compute_loss=True)
    wv = model.wv
    assert model._compiled
    assert wv.similarity("cat", "dog") > wv.similarity("cat", "car") + 0.3
    assert wv.doesnt_match(["cat", "dog", "pet", "road"]) == "road"
    assert model.get_latest_training_loss() > 0


@needs_numba
def test_word2vec_kernel_is_reproducible_with_one_worker_and_its_loss_falls():
    corpus = _topics()
    settings = dict(vector_size=16, window=3, min_count=1, sg=1, negative=5, epochs=1, seed=5, sample=0,
                    compute_loss=True, batch_words=500)
    first, second = Word2Vec(corpus, **settings), Word2Vec(corpus, **settings)
    np.testing.assert_array_equal(first.wv.vectors, second.wv.vectors)
    loss_one = first.get_latest_training_loss()
    first.train(corpus, epochs=1)
    assert 0 < first.get_latest_training_loss() < loss_one


# ------------------------------------------------------------------------------------------- dispatch
def _lstm_compiled(families=None, on=True, dtype=np.float64) -> bool:
    """Whether an LSTM node runs its kernel with kernels ``on`` and ``families`` asked for."""
    fn = LSTMSequence()
    with kernels.use_kernels(on, families=families):
        fn(*[bw.Tensor(a) for a in _lstm_arrays(np.random.default_rng(0), 2, 3, 2, 3, dtype, 4)])
    return fn.compiled


def test_everything_falls_back_when_numba_cannot_be_imported(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)          # `import numba` now raises ImportError
    assert not kernels.available() and not kernels.enabled()
    assert not _lstm_compiled(kernels.FAMILIES)
    model = Word2Vec(_topics(200), vector_size=8, window=2, min_count=1, epochs=1, seed=1)
    assert model._compiled is False and np.isfinite(model.wv.vectors).all()


def test_the_environment_variable_switches_kernels_off(monkeypatch):
    monkeypatch.setenv("BRICKWORK_DISABLE_KERNELS", "1")
    assert not kernels.available() and not kernels.enabled()
    assert not _lstm_compiled(kernels.FAMILIES)
    model = Word2Vec(_topics(200), vector_size=8, window=2, min_count=1, epochs=1, seed=1)
    assert model._compiled is False


@needs_numba
def test_use_kernels_switches_and_restores():
    assert kernels.enabled() and kernels.enabled("word2vec") and kernels.enabled("recurrent")
    assert _lstm_compiled(dtype=np.float32)                               # on by default in float32
    assert not kernels.chosen("recurrent") and not _lstm_compiled()       # float64: NumPy unless named
    assert _lstm_compiled(["recurrent"])
    with kernels.use_kernels(False):
        assert not kernels.enabled() and not _lstm_compiled(kernels.FAMILIES, on=False)
        with kernels.use_kernels(True, families="recurrent"):
            assert kernels.enabled("recurrent") and not kernels.enabled("word2vec")
        assert not kernels.enabled()
    assert kernels.enabled("word2vec") and kernels.enabled("recurrent") and not kernels.chosen("recurrent")


@needs_numba
def test_the_environment_chooses_the_families(monkeypatch):
    monkeypatch.setenv("BRICKWORK_KERNELS", "recurrent, word2vec")
    assert kernels.enabled("recurrent") and kernels.enabled("word2vec") and _lstm_compiled()
    monkeypatch.setenv("BRICKWORK_KERNELS", "recurrent,typo")
    with pytest.raises(ValueError, match="typo"):
        kernels.enabled("recurrent")


def test_use_kernels_rejects_an_unknown_family():
    with pytest.raises(ValueError, match="unknown kernel families.*'lstm'"):
        with kernels.use_kernels(True, families=["lstm"]):
            pass


def test_use_kernels_rejects_a_non_boolean():
    with pytest.raises(TypeError, match="use_kernels"):
        with kernels.use_kernels("off"):
            pass


def test_importing_brickwork_does_not_import_numba():
    code = "import sys, brickwork, brickwork.kernels; print('numba' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "False"


@needs_numba
def test_naming_the_recurrent_family_runs_float64_too(monkeypatch):
    monkeypatch.setenv("BRICKWORK_KERNELS", "recurrent")
    assert kernels.chosen("recurrent") and not kernels.chosen("word2vec")
    assert _lstm_compiled() and _lstm_compiled(dtype=np.float32)
    monkeypatch.setenv("BRICKWORK_KERNELS", "word2vec")
    assert not kernels.enabled("recurrent") and not _lstm_compiled(dtype=np.float32)


@needs_numba
def test_handles_asks_for_numpy_floats_of_one_dtype_and_the_family():
    a32, b32, a64 = np.zeros(3, np.float32), np.ones((2, 3), np.float32), np.zeros(3)
    assert kernels.handles("transformer", a32, b32, None)            # None (an absent bias) is skipped
    assert not kernels.handles("transformer", a32, a64)              # mixed dtypes
    assert not kernels.handles("transformer", np.zeros(3, np.int64))
    assert not kernels.handles("transformer", a32, [0.0, 1.0, 2.0])  # not an ndarray
    assert not kernels.handles("transformer", np.zeros(3, np.float16))
    with kernels.use_kernels(False):
        assert not kernels.handles("transformer", a32)
    with kernels.use_kernels(True, families="word2vec"):
        assert not kernels.handles("transformer", a32)

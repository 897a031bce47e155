"""Text vectorization and word2vec: definitions, gensim and Keras as oracles."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKeyedVectors
from gensim.models import Word2Vec as GensimWord2Vec
from gensim.test.utils import datapath
from gensim.utils import simple_preprocess
from keras.src.legacy.preprocessing.text import Tokenizer as KerasTokenizer

from brickwork.text import KeyedVectors, Tokenizer, Word2Vec, pad_sequences
from brickwork.text.word2vec import (
    HuffmanTree,
    keep_probabilities,
    skipgram_model,
    skipgrams,
    unigram_table,
    vectors_from_model,
)

TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "A cat and a dog, and THE end.", "", "mat mat mat"]


@pytest.mark.parametrize("num_words", [None, 5])
@pytest.mark.parametrize("oov", [None, "<unk>"])
def test_tokenizer_matches_keras(num_words, oov):
    ours, theirs = Tokenizer(num_words=num_words, oov_token=oov), KerasTokenizer(num_words=num_words, oov_token=oov)
    ours.fit_on_texts(TEXTS)
    theirs.fit_on_texts(TEXTS)
    assert ours.word_index == theirs.word_index
    queries = ["the cat and the bird", "unknown words only", "mat"]
    assert ours.texts_to_sequences(queries) == theirs.texts_to_sequences(queries)
    for mode in ("binary", "count", "freq", "tfidf"):
        np.testing.assert_allclose(ours.texts_to_matrix(queries, mode=mode), theirs.texts_to_matrix(queries, mode=mode))


def test_tokenizer_min_count_and_errors():
    tok = Tokenizer(min_count=2)
    tok.fit_on_texts(TEXTS)
    assert set(tok.word_index) == {"the", "cat", "mat", "dog", "a", "and"}
    with pytest.raises(ValueError, match="mode"):
        tok.texts_to_matrix(["x"], mode="bm25")
    with pytest.raises(ValueError, match="fit_on_texts"):
        Tokenizer().texts_to_matrix(["x"])


@pytest.mark.parametrize("kw", [{}, {"maxlen": 2}, {"maxlen": 4, "padding": "post"},
                                {"maxlen": 2, "truncating": "post"}, {"value": -1, "dtype": "float32"}])
def test_pad_sequences_matches_keras(kw):
    seqs = [[1, 2, 3], [4], [], [5, 6]]
    np.testing.assert_array_equal(pad_sequences(seqs, **kw), keras.utils.pad_sequences(seqs, **kw))


def test_huffman_tree_is_an_optimal_prefix_code():
    counts = np.array([50, 20, 10, 10, 5, 3, 1, 1])
    tree = HuffmanTree.build(counts)
    codes = ["".join(map(str, c)) for c in tree.codes]
    assert all(not b.startswith(a) for a in codes for b in codes if a != b)      # prefix-free
    assert sum(2.0 ** -len(c) for c in codes) == pytest.approx(1.0)              # a full binary tree
    lengths = np.array([len(c) for c in codes])
    gensim = GensimWord2Vec(vector_size=4, min_count=1, hs=1, negative=0)
    gensim.build_vocab([[f"w{i}"] * int(c) for i, c in enumerate(counts)])
    gensim_lengths = np.array([len(gensim.wv.get_vecattr(f"w{i}", "code")) for i in range(len(counts))])
    assert (lengths * counts).sum() == (gensim_lengths * counts).sum()            # same (optimal) cost
    assert all(len(p) == len(c) and p.max() < len(counts) - 1 for p, c in zip(tree.points, tree.codes))


def test_vocabulary_order_and_huffman_tree_are_gensims(lee):
    """Many words share a count; ties decide both the order and the tree (gensim compares nodes by count
    only), and they change what CBOW + hierarchical softmax learns, so both must be gensim's exactly."""
    ours = Word2Vec(vector_size=8, min_count=2, hs=1, negative=0)
    ours.build_vocab(lee)
    theirs = GensimWord2Vec(vector_size=8, min_count=2, hs=1, negative=0)
    theirs.build_vocab(lee)
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    assert len(set(ours.wv.counts.tolist())) < len(ours.wv) / 10                 # the corpus is full of ties
    for i in range(len(ours.wv)):
        depth = int(ours.hs_mask[i].sum())
        np.testing.assert_array_equal(ours.hs_points[i, :depth], theirs.wv.get_vecattr(i, "point"))
        np.testing.assert_array_equal(ours.hs_codes[i, :depth], theirs.wv.get_vecattr(i, "code"))


def test_negative_sampling_table_follows_unigram_to_the_075():
    counts = np.array([1000, 100, 10, 1])
    table = unigram_table(counts)
    draws = np.searchsorted(table, np.random.default_rng(0).random(200_000))
    expected = counts ** 0.75 / (counts ** 0.75).sum()
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / 200_000, expected, atol=0.004)


def test_subsampling_probabilities_match_the_definition_and_gensim():
    counts = np.array([5000.0, 500, 50, 5])
    t = 1e-3 * counts.sum()
    np.testing.assert_allclose(keep_probabilities(counts, 1e-3), np.minimum(1, (np.sqrt(counts / t) + 1) * t / counts))
    gensim = GensimWord2Vec(vector_size=4, min_count=1, sample=1e-3)
    gensim.build_vocab([[f"w{i}"] * int(c) for i, c in enumerate(counts)])
    sample_int = np.array([gensim.wv.get_vecattr(f"w{i}", "sample_int") for i in range(4)])
    np.testing.assert_allclose(keep_probabilities(counts, 1e-3), sample_int / 2 ** 32, rtol=1e-6)
    assert np.all(keep_probabilities(counts, 0) == 1)


def test_dynamic_window_pairs_against_brute_force():
    model = Word2Vec(vector_size=4, window=3, min_count=1, sg=1)
    rng = np.random.default_rng(0)
    words = rng.integers(0, 9, 40)
    sent = np.repeat([0, 1, 2], [15, 20, 5])
    eff = model._windows(40, rng)
    assert set(eff) <= {1, 2, 3} and len(set(model._windows(3000, rng))) == 3  # uniform on 1..window
    inputs, outputs = model._sg_pairs(words, sent, eff)
    expected = sorted((words[j], words[i]) for i in range(40) for j in range(40)
                      if i != j and sent[i] == sent[j] and abs(i - j) <= eff[i])
    assert sorted(zip(inputs.tolist(), outputs.tolist())) == [tuple(map(int, p)) for p in expected]


@pytest.fixture(scope="module")
def lee():
    with open(datapath("lee_background.cor")) as handle:
        return [simple_preprocess(line) for line in handle]


@pytest.fixture(scope="module")
def gensim_vectors(lee):
    return GensimWord2Vec(lee, vector_size=50, min_count=3, epochs=10, seed=1, workers=1).wv


def test_cbow_hierarchical_softmax_step_is_gensims(lee):
    """With one centre per mini-batch, no subsampling and full windows, brickwork's CBOW + hierarchical
    softmax takes exactly gensim's steps: same table sigmoid (index multiplier 83), same skipped nodes,
    the whole context error added to every context word (gensim's cbow_mean quirk)."""
    from gensim.models.word2vec_inner import train_batch_cbow

    settings = dict(vector_size=16, window=4, min_count=2, sg=0, hs=1, negative=0, sample=0, shrink_windows=False)
    ours = Word2Vec(batch_pairs=1, **settings)
    ours.build_vocab(lee)
    theirs = GensimWord2Vec(workers=1, **settings)
    theirs.build_vocab(lee)
    job = lee[:40]
    ours.wv.vectors[:] = theirs.wv.vectors                 # same start; syn1 is zeros in both
    before = theirs.wv.vectors.copy()
    ours.train(job, total_words=10 ** 9, epochs=1)         # one chunk, learning rate = alpha
    train_batch_cbow(theirs, job, ours.alpha, np.zeros(16, np.float32), np.zeros(16, np.float32), False)
    assert np.abs(theirs.wv.vectors - before).max() > 1e-3                        # it did train
    # float32 rounding of a score can move it to the neighbouring table entry (differences ~1e-5 after
    # 7,000 words); the unbiased sigmoid (multiplier 83.3) is off by 0.1 here
    np.testing.assert_allclose(ours.wv.vectors, theirs.wv.vectors, atol=1e-4)
    np.testing.assert_allclose(ours.syn1, theirs.syn1[:-1], atol=1e-4)


@pytest.mark.parametrize("shared", [None, 4])
def test_negative_sampling_update_against_its_definition(shared):
    """With a unigram table that only ever draws word 5, every negative is known, so the mini-batch update
    can be written out pair by pair: g_o = λ(1 - σ(u_o·v)), g_n = -λσ(u_n·v) (weighted k/S when shared)."""
    from brickwork.text.word2vec.kernels import negative_sampling, table_sigmoid

    rng = np.random.default_rng(0)
    v = rng.normal(0, 0.5, (7, 3)).astype(np.float32)
    out = np.array([0, 1, 2, 0, 5, 3, 1])                 # pair 4's true word is the negative: skipped
    syn1neg = rng.normal(0, 0.5, (6, 3)).astype(np.float32)
    table = unigram_table(np.array([0, 0, 0, 0, 0, 1]))
    k, lr = 2, 0.1
    expected_syn1, expected_grad = syn1neg.copy(), np.zeros_like(v)
    weight = 1.0 if shared is None else k / shared
    draws = k if shared is None else shared
    for b in range(len(v)):
        g_o = lr * (1 - table_sigmoid(syn1neg[out[b]] @ v[b])[0])
        g_n = 0.0 if out[b] == 5 else -lr * weight * table_sigmoid(syn1neg[5] @ v[b])[0] * draws
        expected_grad[b] = g_o * syn1neg[out[b]] + g_n * syn1neg[5]
        expected_syn1[out[b]] += g_o * v[b]
        expected_syn1[5] += g_n * v[b]
    v_before, out_before = v.copy(), out.copy()
    grad, _ = negative_sampling(v, out, syn1neg, table, k, shared, lr, np.random.default_rng(1))
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(syn1neg, expected_syn1, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(v, v_before)
    np.testing.assert_array_equal(out, out_before)


def test_queries_match_gensim_on_the_same_vectors(gensim_vectors, tmp_path):
    gensim_vectors.save_word2vec_format(str(tmp_path / "g.txt"))
    ours = KeyedVectors.load_word2vec_format(tmp_path / "g.txt")
    for ours_row, theirs_row in zip(ours.most_similar("government", topn=5),
                                    gensim_vectors.most_similar("government", topn=5)):
        assert ours_row[0] == theirs_row[0] and ours_row[1] == pytest.approx(theirs_row[1], abs=1e-5)
    q = dict(positive=["police", "fire"], negative=["australia"], topn=3)
    assert [w for w, _ in ours.most_similar(**q)] == [w for w, _ in gensim_vectors.most_similar(**q)]
    assert [w for w, _ in ours.most_similar_cosmul(**q)] == [w for w, _ in gensim_vectors.most_similar_cosmul(**q)]
    assert ours.similarity("police", "fire") == pytest.approx(gensim_vectors.similarity("police", "fire"), abs=1e-5)
    words = ["police", "fire", "officers", "australia"]
    assert ours.doesnt_match(words) == gensim_vectors.doesnt_match(words)
    ours_pairs = ours.evaluate_word_pairs(datapath("wordsim353.tsv"))
    theirs_pairs = gensim_vectors.evaluate_word_pairs(datapath("wordsim353.tsv"))
    assert ours_pairs[0][0] == pytest.approx(theirs_pairs[0][0], abs=1e-4)
    assert ours_pairs[1][0] == pytest.approx(theirs_pairs[1][0], abs=1e-4)
    assert ours_pairs[2] == pytest.approx(theirs_pairs[2])
    ours_acc, sections = ours.evaluate_word_analogies(datapath("questions-words.txt"))
    theirs_acc, theirs_sections = gensim_vectors.evaluate_word_analogies(datapath("questions-words.txt"))
    assert ours_acc == pytest.approx(theirs_acc)
    assert len(sections[-1]["correct"]) + len(sections[-1]["incorrect"]) == \
        len(theirs_sections[-1]["correct"]) + len(theirs_sections[-1]["incorrect"])


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_format_roundtrips_both_ways(gensim_vectors, tmp_path, binary):
    ours = KeyedVectors.load_word2vec_format(_save(gensim_vectors, tmp_path / "g.bin", binary), binary=binary)
    assert ours.index_to_key == gensim_vectors.index_to_key
    np.testing.assert_allclose(ours.vectors, gensim_vectors.vectors, rtol=1e-5, atol=1e-6)
    ours.save_word2vec_format(tmp_path / "ours.bin", binary=binary)
    back = GensimKeyedVectors.load_word2vec_format(str(tmp_path / "ours.bin"), binary=binary)
    assert back.index_to_key == ours.index_to_key
    np.testing.assert_allclose(back.vectors, ours.vectors, rtol=1e-5, atol=1e-6)


def _save(kv, path, binary):
    kv.save_word2vec_format(str(path), binary=binary)
    return path


def synthetic_corpus(n=3000, seed=0):
    """Two topics whose words co-occur only within their topic."""
    rng = np.random.default_rng(seed)
    topics = [["cat", "dog", "pet", "fur", "paw", "vet"], ["car", "road", "wheel", "fuel", "drive", "tyre"]]
    return [list(rng.choice(topics[rng.integers(2)], 8)) for _ in range(n)]


@pytest.mark.parametrize("sg,hs,negative,shared,workers", [(1, 0, 5, 32, 1), (1, 0, 5, None, 1), (0, 0, 5, 32, 1),
                                                           (1, 1, 0, 32, 1), (0, 1, 0, 32, 1), (1, 0, 5, 32, 2),
                                                           (0, 1, 0, 32, 2)])
def test_word2vec_learns_topics(sg, hs, negative, shared, workers):
    # per-pair negatives on a 12-word vocabulary: each row is drawn ~400 times per 1,024 pairs, so a smaller batch
    model = Word2Vec(synthetic_corpus(n=800), vector_size=16, window=3, min_count=1, sg=sg, hs=hs, negative=negative,
                     epochs=3, seed=3, sample=0, shared_negatives=shared, workers=workers, batch_words=1000,
                     batch_pairs=1024 if shared else 256)
    wv = model.wv
    assert wv.similarity("cat", "dog") > wv.similarity("cat", "car") + 0.3
    assert wv.doesnt_match(["cat", "dog", "pet", "road"]) == "road"
    assert wv["cat"].shape == (16,) and "cat" in wv and "zebra" not in wv
    assert model.words_per_second > 0


def test_one_worker_is_reproducible_and_two_worker_threads_learn_too():
    corpus = synthetic_corpus(n=800)
    settings = dict(vector_size=16, window=3, min_count=1, sg=1, negative=5, epochs=3, seed=5, batch_words=500,
                    sample=0)
    first, second = Word2Vec(corpus, workers=1, **settings), Word2Vec(corpus, workers=1, **settings)
    np.testing.assert_array_equal(first.wv.vectors, second.wv.vectors)
    threaded = Word2Vec(corpus, workers=2, compute_loss=True, **settings)
    assert threaded.wv.similarity("cat", "dog") > threaded.wv.similarity("cat", "car") + 0.3
    effective, raw = threaded.train(corpus, epochs=1)
    assert raw == sum(map(len, corpus)) and 0 < effective <= raw      # every chunk was trained once
    assert threaded.get_latest_training_loss() > 0


@pytest.mark.parametrize("hs,negative", [(0, 5), (1, 0)])
def test_training_loss_is_per_train_call_and_falls(hs, negative):
    corpus = synthetic_corpus()
    model = Word2Vec(corpus, vector_size=16, window=3, min_count=1, hs=hs, negative=negative, epochs=1, seed=3,
                     sample=0, compute_loss=True)
    first = model.get_latest_training_loss()
    model.train(corpus, epochs=1)
    second = model.get_latest_training_loss()
    assert 0 < second < first                 # reset at each train() call (gensim), and the model has learned


def test_word2vec_quality_close_to_gensim(lee, gensim_vectors):
    ours = Word2Vec(lee, vector_size=50, min_count=3, epochs=10, seed=1, sg=0).wv
    ours_ws = ours.evaluate_word_pairs(datapath("wordsim353.tsv"))[1][0]
    theirs_ws = gensim_vectors.evaluate_word_pairs(datapath("wordsim353.tsv"))[1][0]
    assert abs(ours_ws - theirs_ws) < 0.25  # a tiny corpus: both are noisy; the 3-seed comparison is in the docs
    assert ours.index_to_key[:20] == gensim_vectors.index_to_key[:20]


def test_word2vec_arguments_are_checked():
    with pytest.raises(ValueError, match="hs=1 or negative"):
        Word2Vec(vector_size=4, hs=0, negative=0)
    with pytest.raises(ValueError, match="min_count"):
        Word2Vec([["a", "b"]], min_count=5)
    assert Word2Vec(sg=1).max_row_updates == 8.0 and Word2Vec(sg=0).max_row_updates == 24.0   # "auto"
    assert Word2Vec(sg=0, max_row_updates=3).max_row_updates == 3


def test_skipgrams_pairs_and_noise():
    couples, labels = skipgrams([1, 2, 3, 0, 4], vocabulary_size=5, window_size=1, negative_samples=1.0,
                                shuffle=False, seed=0)
    positives = {tuple(c) for c, label in zip(couples.tolist(), labels) if label == 1}
    assert positives == {(1, 2), (2, 1), (2, 3), (3, 2)}  # index 0 (padding) never pairs
    assert labels.sum() == len(labels) / 2
    assert np.all((couples[labels == 0, 1] >= 1) & (couples[labels == 0, 1] < 5))


def test_brick_built_skipgram_gradcheck_and_quality():
    import brickwork as bw

    model = skipgram_model(6, 3)
    for layer in model.layers:
        layer._dtype = np.dtype("float64")
    words, contexts = np.array([[1], [2], [5]]), np.array([[3], [3], [1]])
    rng = np.random.default_rng(0)
    for w in model.weights:
        w.data = rng.uniform(-0.5, 0.5, w.shape)
        w.data = w.data.astype(np.float64)
    result = bw.gradcheck(lambda: model([words, contexts]).sum(), params=model.trainable_weights)
    assert result.passed, str(result)

    corpus = synthetic_corpus(1500)
    tok = Tokenizer()
    tok.fit_on_texts([" ".join(s) for s in corpus])
    seq = np.concatenate([np.r_[tok.texts_to_sequences([" ".join(s)])[0], 0] for s in corpus])
    counts = np.bincount(seq, minlength=len(tok.word_index) + 1)
    counts[0] = 0
    couples, labels = skipgrams(seq, len(tok.word_index) + 1, window_size=3, negative_samples=2, counts=counts,
                                seed=0)
    bw.set_seed(0)
    net = skipgram_model(len(tok.word_index) + 1, 16)
    net.compile(bw.optimizers.Adam(0.01), "binary_crossentropy")
    net.fit([couples[:, :1], couples[:, 1:]], labels, batch_size=256, epochs=1, verbose=0)
    kv = vectors_from_model(net, [tok.index_word[i] for i in range(1, len(tok.word_index) + 1)])
    fast = Word2Vec(corpus, vector_size=16, window=3, min_count=1, sg=1, epochs=1, seed=0, sample=0).wv
    for vectors in (kv, fast):  # both separate the two topics
        assert vectors.similarity("cat", "dog") > vectors.similarity("cat", "car") + 0.3


def test_vectors_as_embedding_features_and_pca_plot(tmp_path):
    import brickwork as bw
    from brickwork import layers

    corpus = synthetic_corpus(800)
    wv = Word2Vec(corpus, vector_size=8, window=3, min_count=1, sg=1, epochs=2, seed=0, sample=0).wv
    tok = Tokenizer()
    tok.fit_on_texts([" ".join(s) for s in corpus])
    matrix = wv.embedding_matrix(tok.word_index)
    assert np.all(matrix[0] == 0) and np.allclose(matrix[tok.word_index["cat"]], wv["cat"])
    frozen = wv.embedding_layer(tok.word_index)
    x = pad_sequences(tok.texts_to_sequences([" ".join(s) for s in corpus]), maxlen=8)
    y = np.array([s[0] in {"cat", "dog", "pet", "fur", "paw", "vet"} for s in corpus], np.float32)
    model = bw.Sequential([layers.Input(shape=(8,), dtype="int32"), frozen, layers.GlobalAveragePooling1D(),
                           layers.Dense(1, activation="sigmoid")])
    model.compile(bw.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    before = frozen.embeddings.data.copy()
    model.fit(x, y, epochs=5, verbose=0)
    np.testing.assert_array_equal(before, frozen.embeddings.data)  # frozen vectors stay as trained
    assert model.evaluate(x, y, verbose=0)[1] > 0.95
    assert wv.embedding_layer(tok.word_index, trainable=True).trainable
    path = bw.plot.word_vectors(wv, ["cat", "dog", "car", "road"], tmp_path / "pca.png", pairs=[("cat", "dog")])
    assert (tmp_path / "pca.png").stat().st_size > 1000 and path.endswith("pca.png")


def test_corpus_helpers():
    from brickwork.datasets.corpora import lee_sentences, simple_tokenize

    assert simple_tokenize("Hello, World! a b2 c3po xylophonesxylophones") == ["hello", "world", "po"]
    assert simple_tokenize("It's 2026") == ["it"]
    lee = lee_sentences()
    assert len(lee) == 300 and all(isinstance(w, str) for w in lee[0])
    with open(datapath("lee_background.cor")) as handle:
        assert lee == [simple_preprocess(line) for line in handle if line.strip()]

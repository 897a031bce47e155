"""TextVectorization. Keras's own TextVectorization needs TensorFlow (not installed), so the
expected values come from Keras's documented contract computed by hand here: the standardize /
split / n-gram pipeline, the vocabulary order (count high to low, ties by token high to low),
the index layout (int: 0 = '' padding, 1 = '[UNK]'; other modes: 0 = '[UNK]') and the TF-IDF
weights idf(t) = ln(1 + N / (1 + df(t))) with the mean weight on the OOV entry."""

from __future__ import annotations

import math

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers

CORPUS = ["The cat sat on the mat.", "The dog ate my homework!", "A cat, a dog; a bird?", "dog dog dog"]
# lower-cased, punctuation stripped, whitespace split:
TOKENS = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "ate", "my", "homework"],
          ["a", "cat", "a", "dog", "a", "bird"], ["dog", "dog", "dog"]]


def expected_vocab(rows, limit=None):
    counts = {}
    for r in rows:
        for t in r:
            counts[t] = counts.get(t, 0) + 1
    order = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
    return order[:limit] if limit else order


def test_adapt_vocabulary_order_and_int_layout():
    layer = layers.TextVectorization()
    layer.adapt(CORPUS)
    vocab = expected_vocab(TOKENS)
    assert vocab[:3] == ["dog", "the", "a"]          # 5, 3, 3 occurrences: ties high to low
    assert layer.get_vocabulary() == ["", "[UNK]"] + vocab
    assert layer.get_vocabulary(include_special_tokens=False) == vocab
    assert layer.vocabulary_size() == len(vocab) + 2
    out = layer(np.array(["the zebra sat", "dog"])).data
    index = {t: i + 2 for i, t in enumerate(vocab)}
    np.testing.assert_array_equal(out, [[index["the"], 1, index["sat"]], [index["dog"], 0, 0]])
    assert out.dtype == np.int64


def test_max_tokens_and_output_sequence_length():
    layer = layers.TextVectorization(max_tokens=5, output_sequence_length=4)
    layer.adapt(np.array(CORPUS, dtype=object).reshape(-1, 1))
    assert layer.get_vocabulary() == ["", "[UNK]", "dog", "the", "a"]
    out = layer(np.array([["a dog and the cat sat"], ["the"]])).data
    np.testing.assert_array_equal(out, [[4, 2, 1, 3], [3, 0, 0, 0]])
    assert layer.compute_output_shape((None,)) == (None, 4)


@pytest.mark.parametrize("mode", ["multi_hot", "count", "tf_idf"])
def test_bag_of_words_modes(mode):
    layer = layers.TextVectorization(output_mode=mode)
    layer.adapt(CORPUS)
    vocab = expected_vocab(TOKENS)
    assert layer.get_vocabulary() == ["[UNK]"] + vocab     # no padding index outside 'int' mode
    texts = ["the dog the zebra", "Bird!"]
    counts = np.zeros((2, len(vocab) + 1))
    for i, text in enumerate(texts):
        for t in text.lower().replace("!", "").split():
            counts[i, vocab.index(t) + 1 if t in vocab else 0] += 1
    out = layer(np.array(texts)).data
    assert out.shape == (2, len(vocab) + 1) and out.dtype == np.float32
    if mode == "multi_hot":
        np.testing.assert_array_equal(out, np.minimum(counts, 1))
    elif mode == "count":
        np.testing.assert_array_equal(out, counts)
    else:
        idf = [math.log(1 + 4 / (1 + sum(t in set(r) for r in TOKENS))) for t in vocab]
        weights = np.array([np.mean(idf)] + idf)
        np.testing.assert_allclose(out, counts * weights, rtol=1e-6)
        np.testing.assert_allclose(layer.get_config()["idf_weights"], weights, rtol=1e-12)


def test_standardize_split_ngrams_options():
    chars = layers.TextVectorization(split="character", standardize="lower")
    chars.adapt(["abba", "Ab!"])
    assert chars.get_vocabulary() == ["", "[UNK]", "b", "a", "!"]
    strip = layers.TextVectorization(standardize="strip_punctuation", split=None, vocabulary=["Hi you", "x"])
    np.testing.assert_array_equal(strip(np.array(["Hi, you!", "hi you", ""])).data, [[2], [1], [0]])
    grams = layers.TextVectorization(ngrams=2, output_mode="count", standardize=None)
    grams.adapt(["a b c"])
    assert sorted(grams.get_vocabulary()[1:]) == ["a", "a b", "b", "b c", "c"]
    three = layers.TextVectorization(ngrams=(3,), vocabulary=["a b c"])
    np.testing.assert_array_equal(three(np.array(["a b c d"])).data, [[2, 1]])   # "a b c", "b c d"
    custom = layers.TextVectorization(standardize=lambda s: np.char.upper(s), split=lambda s: s.split("-"),
                                      vocabulary=["A", "B"])
    np.testing.assert_array_equal(custom(np.array(["a-b-c"])).data, [[2, 3, 1]])


def test_set_vocabulary_with_and_without_special_tokens_and_idf():
    a = layers.TextVectorization(vocabulary=["x", "y"])
    b = layers.TextVectorization(vocabulary=["", "[UNK]", "x", "y"])
    assert a.get_vocabulary() == b.get_vocabulary() == ["", "[UNK]", "x", "y"]
    t = layers.TextVectorization(output_mode="tf_idf", vocabulary=["x", "y"], idf_weights=[1.0, 3.0])
    np.testing.assert_allclose(t(np.array(["x y y q"])).data, [[2.0, 1.0, 6.0]])   # OOV weight = mean
    t.set_vocabulary(["[UNK]", "x"], idf_weights=[0.5, 2.0])
    np.testing.assert_allclose(t(np.array(["x q"])).data, [[0.5, 2.0]])
    padded = layers.TextVectorization(max_tokens=6, pad_to_max_tokens=True, output_mode="multi_hot",
                                      vocabulary=["x"])
    assert padded(np.array(["x"])).shape == (1, 6)


def test_config_round_trip_keeps_vocabulary():
    layer = layers.TextVectorization(max_tokens=8, output_mode="tf_idf", ngrams=2, name="tv")
    layer.adapt(CORPUS)
    cfg = layer.get_config()
    for key in ("max_tokens", "standardize", "split", "ngrams", "output_mode", "output_sequence_length",
                "pad_to_max_tokens", "sparse", "ragged", "vocabulary", "idf_weights", "encoding",
                "vocabulary_size"):
        assert key in cfg
    clone = layers.TextVectorization.from_config(cfg)
    assert clone.get_vocabulary() == layer.get_vocabulary()
    x = np.array(CORPUS + ["unknown words"])
    np.testing.assert_allclose(clone(x).data, layer(x).data)
    clone.adapt(["fresh text"])                         # a restored adapted layer can be adapted again
    assert clone.get_vocabulary() == ["[UNK]", "text", "fresh text", "fresh"]


def test_save_load_model_keeps_vocabulary(tmp_path):
    vec = layers.TextVectorization(max_tokens=20, output_sequence_length=6, name="vec")
    vec.adapt(CORPUS)
    inp = layers.Input((1,), dtype="string")
    h = layers.GlobalAveragePooling1D()(layers.Embedding(20, 3)(vec(inp)))
    model = bw.Model(inp, layers.Dense(1)(h))
    x = np.array([["the dog sat"], ["zebra"]], dtype=object)
    model.save(tmp_path / "text.brick")
    loaded = bw.models.load_model(tmp_path / "text.brick")
    assert loaded.get_layer("vec").get_vocabulary() == vec.get_vocabulary()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)

    bag = layers.TextVectorization(output_mode="tf_idf", name="bag")
    bag.adapt(CORPUS)
    inp = layers.Input((1,), dtype="string")
    model = bw.Model(inp, layers.Dense(2)(bag(inp)))
    model.save(tmp_path / "bag.brick")
    loaded = bw.models.load_model(tmp_path / "bag.brick")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match="TextVectorization 'tv1'.*output_mode"):
        layers.TextVectorization(output_mode="tfidf", name="tv1")
    with pytest.raises(ValueError, match="standardize"):
        layers.TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="split"):
        layers.TextVectorization(split="comma")
    with pytest.raises(ValueError, match="output_sequence_length"):
        layers.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="idf_weights"):
        layers.TextVectorization(output_mode="tf_idf", vocabulary=["a"])
    with pytest.raises(ValueError, match="pad_to_max_tokens"):
        layers.TextVectorization(pad_to_max_tokens=True)
    with pytest.raises(RuntimeError, match="TextVectorization 'tv2'.*adapt"):
        layers.TextVectorization(name="tv2")(np.array(["a"]))
    with pytest.raises(ValueError, match=r"TextVectorization 'tv3'.*\(2, 2\)"):
        layers.TextVectorization(vocabulary=["a"], name="tv3")(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="cannot adapt"):
        layers.TextVectorization(vocabulary=["a"]).adapt(["a b"])
    with pytest.raises(ValueError, match="reserved token"):
        layers.TextVectorization(vocabulary=["a", "[UNK]"])

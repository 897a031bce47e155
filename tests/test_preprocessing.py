"""Preprocessing layers: definitions, Keras 3 parity, gradients, save/load inside a model, errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import seeded
from hypothesis import given
from hypothesis import strategies as st

import brickwork as bw
from brickwork import layers


@given(n=st.integers(3, 20), f=st.integers(1, 4), seed=st.integers(0, 999))
def test_normalization_adapt_is_the_feature_standardisation(n, f, seed):
    x = seeded(seed).normal(3.0, 2.0, (n, f))
    layer = layers.Normalization(dtype="float64")
    layer.adapt(x)
    y = layer(x).data
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.maximum(x.std(0), 1e-7), rtol=1e-9, atol=1e-9)
    back = layers.Normalization(mean=x.mean(0), variance=x.var(0), invert=True, dtype="float64")
    np.testing.assert_allclose(back(y).data, x, rtol=1e-9, atol=1e-9)


@given(seed=st.integers(0, 999))
def test_normalization_gradient(seed):
    x = seeded(seed).normal(size=(4, 3))
    layer = layers.Normalization(axis=-1, dtype="float64")
    layer.adapt(x * 3 + 1)
    assert bw.gradcheck(lambda t: layer(t), x).passed


def test_normalization_matches_keras_and_ignores_nan_in_adapt(rng):
    keras = pytest.importorskip("keras")
    x = rng.normal(5, 3, (50, 2, 3)).astype(np.float32)
    ours, theirs = layers.Normalization(axis=(1, 2)), keras.layers.Normalization(axis=(1, 2))
    ours.adapt(x)
    theirs.adapt(x)
    np.testing.assert_allclose(ours(x).data, np.asarray(theirs(x)), rtol=1e-4, atol=1e-4)
    gappy = x.reshape(50, 6).copy()
    gappy[::3, 0] = np.nan
    layer = layers.Normalization()
    layer.adapt(gappy)
    np.testing.assert_allclose(layer.mean.data[0], np.nanmean(gappy[:, 0]), rtol=1e-5)


def test_string_lookup_follows_keras_index_layout():
    # (Keras's own StringLookup needs TensorFlow, so this checks its documented layout instead:
    # OOV index 0, then the vocabulary by decreasing frequency.)
    data = np.array([["b"], ["a"], ["b"], ["c"], ["b"], ["a"], ["b"], ["a"], ["c"], ["d"]])
    new = np.array([["a"], ["zzz"], ["d"], ["b"]])
    layer = layers.StringLookup()
    layer.adapt(data)
    assert layer.get_vocabulary() == ["[UNK]", "b", "a", "c", "d"]
    np.testing.assert_array_equal(layer(new).data, [[2], [0], [4], [1]])
    one_hot = layers.StringLookup(vocabulary=["b", "a"], output_mode="one_hot")(np.array([["a"], ["q"]])).data
    np.testing.assert_array_equal(one_hot, [[0, 0, 1], [1, 0, 0]])
    multi = layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="multi_hot")(np.array([["a", "b"], ["c", "c"]]))
    np.testing.assert_array_equal(multi.data, [[0, 1, 1, 0], [0, 0, 0, 1]])
    count = layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="count")(np.array([["c", "c"]]))
    np.testing.assert_array_equal(count.data, [[0, 0, 0, 2]])


def test_lookup_oov_missing_mask_invert_and_max_tokens():
    layer = layers.StringLookup(mask_token="", max_tokens=4)
    layer.adapt(np.array(["x", "y", "x", "z", "x", "y", None, "w"], dtype=object))
    assert layer.get_vocabulary() == ["", "[UNK]", "x", "y"]          # mask, OOV, the 2 most frequent
    out = layer(np.array([["x", "z", None, "y"]], dtype=object)).data
    np.testing.assert_array_equal(out, [[2, 1, 1, 3]])
    assert layer.last_unknown == {"count": 1, "values": ["z"], "missing": 1}
    inverse = layers.StringLookup(vocabulary=["x", "y"], invert=True)
    assert inverse(np.array([2, 0, 1])).data.tolist() == ["y", "[UNK]", "x"]
    ints = layers.IntegerLookup(num_oov_indices=2)
    ints.adapt(np.array([7, 7, 3]))
    assert ints.get_vocabulary() == [-1, -1, 7, 3]
    idx = ints(np.array([7, 3, 99, 100])).data
    assert idx[:2].tolist() == [2, 3] and set(idx[2:].tolist()) <= {0, 1}


def test_category_encoding_matches_keras():
    keras = pytest.importorskip("keras")
    x = np.array([[0, 1], [3, 3], [2, 0]])
    for mode in ("multi_hot", "count"):
        ours = layers.CategoryEncoding(num_tokens=4, output_mode=mode)(x).data
        np.testing.assert_array_equal(ours, np.asarray(keras.layers.CategoryEncoding(4, output_mode=mode)(x)))
    one = np.array([[1], [0], [3]])
    np.testing.assert_array_equal(layers.CategoryEncoding(4, output_mode="one_hot")(one).data,
                                  np.asarray(keras.layers.CategoryEncoding(4, output_mode="one_hot")(one)))


def test_discretization_buckets_and_quantile_adapt(rng):
    keras = pytest.importorskip("keras")
    x = np.array([[-1.5, 0.0, 0.2, 1.0, 7.0]])
    ours = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])(x).data
    np.testing.assert_array_equal(ours, np.asarray(keras.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])(x)))
    data = rng.uniform(0, 100, 10_000)
    layer = layers.Discretization(num_bins=4)
    layer.adapt(data)
    np.testing.assert_allclose(layer.bin_boundaries, [25, 50, 75], atol=2.0)
    counts = np.bincount(layer(data).data, minlength=4)
    assert counts.min() > 2400 and counts.max() < 2600
    three = layers.Discretization(num_bins=3, output_mode="one_hot")
    three.adapt(data)
    assert three.compute_output_shape((None, 1)) == (None, 3) and three(data[:5, None]).data.shape == (5, 3)
    encoded = layers.Discretization(bin_boundaries=[0.0], output_mode="one_hot")(np.array([[-1.0], [1.0]])).data
    np.testing.assert_array_equal(encoded, [[1, 0], [0, 1]])


def test_imputation_fills_adds_indicator_and_counts():
    x = np.array([[1.0, np.nan], [3.0, 4.0], [np.nan, 8.0]])
    layer = layers.Imputation(feature_names=["a", "b"], dtype="float64")
    layer.adapt(x)
    np.testing.assert_allclose(layer.fill.data, [2.0, 6.0])
    out = layer(x).data
    np.testing.assert_allclose(out, [[1, 6, 0, 1], [3, 4, 0, 0], [2, 8, 1, 0]])
    assert layer.last_imputed == {"a": 1, "b": 1}
    median = layers.Imputation(strategy="median", add_indicator=False)
    median.adapt(np.array([[1.0], [2.0], [10.0], [np.nan]]))
    assert median(np.array([[np.nan]])).data.tolist() == [[2.0]]
    constant = layers.Imputation(strategy="constant", fill_value=-1.0, add_indicator=False)
    assert constant(np.array([[np.nan, 5.0]])).data.tolist() == [[-1.0, 5.0]]


@given(seed=st.integers(0, 999))
def test_imputation_gradient_reaches_observed_entries_only(seed):
    r = seeded(seed)
    x = r.normal(size=(4, 3))
    holes = r.random((4, 3)) < 0.3
    layer = layers.Imputation(dtype="float64")
    layer.adapt(np.where(holes, np.nan, x))
    assert bw.gradcheck(lambda t: layer(bw.functions.where(holes, np.nan, t)), x).passed
    t = bw.Tensor(x, requires_grad=True)
    bw.functions.sum(layer(bw.functions.where(holes, np.nan, t))).backward()
    np.testing.assert_array_equal(t.grad, (~holes).astype(float))


def test_imputation_drop_rate_blanks_values_in_training_only():
    layer = layers.Imputation(strategy="constant", fill_value=0.0, drop_rate=0.5, seed=0)
    x = np.ones((200, 5), np.float32)
    assert layer(x, training=False).data[:, 5:].sum() == 0
    dropped = layer(x, training=True).data[:, 5:].mean()
    assert 0.4 < dropped < 0.6


def _tabular_model(num, cat):
    imp = layers.Imputation(name="imp")
    imp.adapt(num)
    norm = layers.Normalization(name="norm")
    norm.adapt(imp(num))
    lookup = layers.StringLookup(output_mode="one_hot", name="cat_lookup")
    lookup.adapt(cat)
    bins = layers.Discretization(num_bins=3, output_mode="one_hot", name="bins")
    bins.adapt(num[:, :1])
    xi, ci = layers.Input((3,), name="num"), layers.Input((1,), dtype="string", name="cat")
    col = layers.Lambda(lambda t: t[:, :1], name="first")(layers.Imputation(add_indicator=False)(xi))
    h = layers.Concatenate()([norm(imp(xi)), lookup(ci), bins(col)])
    out = layers.Dense(1, activation="sigmoid")(layers.Dense(8, activation="relu")(h))
    return bw.Model({"num": xi, "cat": ci}, out)


def test_model_with_preprocessing_trains_saves_loads_and_scores_gaps(tmp_path, rng):
    num = rng.normal(size=(300, 3)).astype(np.float32)
    num[rng.random((300, 3)) < 0.1] = np.nan
    cat = rng.choice(["a", "b", "c"], size=(300, 1)).astype(object)
    y = ((np.nan_to_num(num[:, 0]) > 0) ^ (cat[:, 0] == "b")).astype(np.float32)
    model = _tabular_model(num, cat)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit({"num": num, "cat": cat}, y, epochs=40, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.75
    path = tmp_path / "tabular.bw"
    model.save(path)
    loaded = bw.saving.load_model(path, safe_mode=False)
    new = {"num": np.array([[np.nan, 1, 2], [0, 0, 0]], np.float32), "cat": np.array([["zzz"], [None]], object)}
    np.testing.assert_allclose(loaded.predict(new, verbose=0), model.predict(new, verbose=0), rtol=1e-6)
    assert loaded.get_layer("cat_lookup").last_unknown == {"count": 1, "values": ["zzz"], "missing": 1}
    assert loaded.get_layer("imp").last_imputed == {"0": 1}
    assert loaded.get_layer("cat_lookup").get_vocabulary() == model.get_layer("cat_lookup").get_vocabulary()


def test_preprocessing_errors_name_the_layer():
    with pytest.raises(ValueError, match="output_mode"):
        layers.StringLookup(output_mode="tfidf_typo")
    with pytest.raises(ValueError, match=r"CategoryEncoding 'enc'.*\[0, 3\)"):
        layers.CategoryEncoding(3, name="enc")(np.array([[0, 5]]))
    with pytest.raises(RuntimeError, match="adapt"):
        layers.StringLookup(name="unadapted")(np.array([["a"]]))
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array([["b"]]))
    with pytest.raises(TypeError, match="Layer 'dense_text'.*StringLookup"):
        layers.Dense(2, name="dense_text")(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="both mean and variance"):
        layers.Normalization(mean=0.0)
    with pytest.raises(ValueError, match="increase"):
        layers.Discretization(bin_boundaries=[1.0, 0.0])


def test_nan_inputs_need_an_imputation_layer(rng):
    model = bw.Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.array([[np.nan, 1.0], [0.0, 1.0]], np.float32)
    with pytest.raises(ValueError, match="Imputation"):
        model.fit(x, np.zeros(2), verbose=0)
    model = bw.Sequential([layers.Input((2,)), layers.Imputation(), layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(x, np.zeros(2), verbose=0)
    assert np.isfinite(model.predict(x, verbose=0)).all()

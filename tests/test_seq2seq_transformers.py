"""The encoder-decoder Transformer translator, the decoder's attention scores, the time-series Transformer
(against the same architecture built from Keras 3 layers, weights copied) and ``Layer.input`` for a block
called on two tensors."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import brickwork as bw
from brickwork import layers
from brickwork.applications import greedy_translate, time_series_transformer, transformer_translator
from brickwork.datasets import dates


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_decoder_returns_self_and_cross_attention_scores(rng):
    block = layers.TransformerDecoder(intermediate_dim=16, num_heads=2)
    x = rng.normal(size=(2, 4, 8)).astype("float32")
    enc = rng.normal(size=(2, 6, 8)).astype("float32")
    pad = np.array([[True] * 6, [True] * 3 + [False] * 3])
    out, scores = block(x, enc, encoder_padding_mask=pad, return_attention_scores=True)
    np.testing.assert_array_equal(out.data, block(x, enc, encoder_padding_mask=pad).data)
    self_scores, cross = np.asarray(scores["self_attention"].data), np.asarray(scores["cross_attention"].data)
    assert self_scores.shape == (2, 2, 4, 4) and cross.shape == (2, 2, 4, 6)
    np.testing.assert_allclose(self_scores.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(cross.sum(-1), 1.0, rtol=1e-5)
    assert np.all(self_scores[..., np.triu_indices(4, 1)[0], np.triu_indices(4, 1)[1]] == 0)  # causal
    assert np.all(cross[1, :, :, 3:] == 0)  # padded source positions get no attention
    a, b = layers.Input((4, 8)), layers.Input((6, 8))
    sym_out, sym_scores = block(a, b, return_attention_scores=True)
    assert sym_out.shape == (None, 4, 8) and sym_scores["cross_attention"].shape == (None, 2, 4, 6)


def test_layer_input_lists_every_tensor_of_a_two_tensor_call():
    a, b = layers.Input((4, 8)), layers.Input((6, 8))
    block = layers.TransformerDecoder(intermediate_dim=16, num_heads=2)
    block(a, b)
    assert block.input == [a, b]
    dense = layers.Dense(3)
    dense(a)
    assert dense.input is a


def _translator(**kwargs):
    return transformer_translator(len(dates.SOURCE_CHARS) + 1, dates.START + 1, dates.SOURCE_LENGTH,
                                  dates.TARGET_LENGTH, num_layers=1, num_heads=2, embedding_dim=16,
                                  intermediate_dim=32, dropout=0.0, **kwargs)


def test_translator_is_causal_in_the_target_and_ignores_source_padding(rng):
    bw.set_seed(0)
    model = _translator()
    x = rng.integers(1, len(dates.SOURCE_CHARS) + 1, size=(3, dates.SOURCE_LENGTH))
    x[:, 18:] = 0
    t = rng.integers(1, dates.START + 1, size=(3, dates.TARGET_LENGTH))
    before = model.predict([x, t], verbose=0)
    t_late = t.copy()
    t_late[:, 6:] = 1
    changed = model.predict([x, t_late], verbose=0)
    np.testing.assert_array_equal(before[:, :6], changed[:, :6])  # position t sees targets < t only
    assert np.abs(before[:, 6:] - changed[:, 6:]).max() > 1e-4
    table = model.get_layer("source_embedding").token_embedding.embeddings
    moved = table.numpy().copy()
    moved[0] += 3.0  # the padding id's vector: masked everywhere, so it cannot matter
    table.assign(moved)
    np.testing.assert_allclose(model.predict([x, t], verbose=0), before, rtol=1e-5, atol=1e-6)


def test_greedy_translate_feeds_its_own_predictions_back():
    class Echo:
        """Predicts, at every position, (previous input id + 1) mod 5 — so greedy decoding counts up."""
        inputs = [None, layers.Input((4,), dtype="int32")]

        def predict(self, xs, batch_size=None, verbose=0):
            _, target_in = xs
            return np.eye(5)[(target_in + 1) % 5]

    out = greedy_translate(Echo(), np.zeros((2, 3), np.int64), start_id=1)
    np.testing.assert_array_equal(out, [[2, 3, 4, 0], [2, 3, 4, 0]])
    with pytest.raises(ValueError, match="source must have shape"):
        greedy_translate(Echo(), np.zeros(3), start_id=1)


@pytest.mark.parametrize("kwargs, message", [({"num_heads": 3}, "divisible"), ({"num_layers": 0}, "num_layers"),
                                             ({"dropout": 1.0}, "dropout")])
def test_translator_arguments_are_checked(kwargs, message):
    args = {"num_layers": 1, "num_heads": 2, "embedding_dim": 16, "dropout": 0.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        transformer_translator(10, 10, 8, 8, **args)


@pytest.mark.slow
def test_translator_learns_dates_beyond_the_per_position_majority():
    bw.set_seed(0)
    (x, y), (x_test, y_test), _ = dates.load_data(2000, 300, seed=1)
    majority = np.array([np.bincount(column).argmax() for column in y.T])
    baseline = float(np.mean(y_test == majority))
    model = _translator()
    model.compile(optimizer=bw.optimizers.Adam(3e-3), loss=bw.losses.SparseCategoricalCrossentropy(from_logits=True))
    target_in = np.concatenate([np.full((len(y), 1), dates.START), y[:, :-1]], axis=1)
    model.fit([x, target_in], y, batch_size=64, epochs=3, verbose=0)
    predicted = greedy_translate(model, x_test, dates.START)
    accuracy = float(np.mean(predicted == y_test))
    assert accuracy > baseline + 0.1, (accuracy, baseline)


def test_dates_data_are_reproducible_and_checked():
    sources, targets = dates.date_pairs(50, seed=3)
    again, _ = dates.date_pairs(50, seed=3)
    assert sources == again and all(len(t) == 10 and t[4] == "-" for t in targets)
    ids = dates.encode(targets, dates.TARGET_CHARS, dates.TARGET_LENGTH)
    assert [dates.decode(row) for row in ids] == targets
    with pytest.raises(ValueError, match="outside the vocabulary"):
        dates.encode(["2020-01-0x"], dates.TARGET_CHARS, 10)


def _keras_time_series_transformer(input_shape, num_classes):
    """keras-io's timeseries_classification_transformer model, written with Keras 3 layers."""
    K = keras.layers
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for _ in range(2):
        h = K.LayerNormalization(epsilon=1e-6)(x)
        h = K.MultiHeadAttention(key_dim=8, num_heads=2, dropout=0.25)(h, h)
        res = K.Dropout(0.25)(h) + x
        h = K.LayerNormalization(epsilon=1e-6)(res)
        h = K.Conv1D(filters=4, kernel_size=1, activation="relu")(h)
        h = K.Dropout(0.25)(h)
        x = K.Conv1D(filters=input_shape[-1], kernel_size=1)(h) + res
    x = K.GlobalAveragePooling1D(data_format="channels_first")(x)
    x = K.Dropout(0.4)(K.Dense(16, activation="relu")(x))
    return keras.Model(inputs, K.Dense(num_classes, activation="softmax")(x))


def test_time_series_transformer_equals_the_keras_io_model_with_weights_copied(rng):
    ours = time_series_transformer((12, 3), 4, head_size=8, num_heads=2, num_blocks=2, mlp_units=(16,))
    theirs = _keras_time_series_transformer((12, 3), 4)
    assert ours.count_params() == theirs.count_params()
    theirs.set_weights(ours.get_weights())
    x = rng.normal(size=(5, 12, 3)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4,
                               atol=1e-6)


def test_time_series_transformer_arguments_are_checked():
    with pytest.raises(ValueError, match="input_shape"):
        time_series_transformer((12,), 2)
    with pytest.raises(ValueError, match="num_heads"):
        time_series_transformer((12, 1), 2, num_heads=0)

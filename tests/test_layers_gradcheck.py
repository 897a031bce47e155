"""Every layer passes gradcheck in float64 (inputs and weights) over random shapes."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import arrays, seeded
from hypothesis import given
from hypothesis import strategies as st

import brickwork as bw
from brickwork import layers


def layer_check(layer, *xs, training=False, away_from=None):
    def fn(*ts):
        out = layer(list(ts) if len(ts) > 1 else ts[0], training=training)
        return out
    layer(list(map(np.asarray, xs)) if len(xs) > 1 else xs[0])  # build
    for w in layer.trainable_weights:  # non-trivial weights (BN starts at gamma=1, beta=0)
        w.data[...] = np.random.default_rng(0).uniform(-1.5, 1.5, w.shape)
    result = bw.gradcheck(fn, *xs, params=layer.trainable_weights)
    assert result.passed, f"{layer.name}: {result}"


@given(lead=st.lists(st.integers(1, 3), min_size=1, max_size=3), units=st.integers(1, 4),
       act=st.sampled_from(["linear", "tanh", "sigmoid", "softmax", "elu"]), seed=st.integers(0, 999))
def test_dense(lead, units, act, seed):
    layer_check(layers.Dense(units, activation=act, dtype="float64"), arrays(seeded(seed), tuple(lead) + (3,)))


@given(seed=st.integers(0, 999), act=st.sampled_from(["relu", "tanh", "softplus", "gelu", "selu", "swish"]))
def test_activation(seed, act):
    layer_check(layers.Activation(act, dtype="float64"), arrays(seeded(seed), (2, 5), away_from=0.0))


@given(n=st.integers(2, 5), c=st.integers(1, 4), rank=st.integers(2, 4), seed=st.integers(0, 999),
       center=st.booleans(), scale=st.booleans())
def test_batch_normalization_training(n, c, rank, seed, center, scale):
    shape = (n,) + (2,) * (rank - 2) + (c,)
    layer_check(layers.BatchNormalization(dtype="float64", center=center, scale=scale),
                arrays(seeded(seed), shape), training=True)


@given(seed=st.integers(0, 999))
def test_batch_normalization_inference_and_axis(seed):
    layer = layers.BatchNormalization(axis=1, dtype="float64")
    layer_check(layer, arrays(seeded(seed), (3, 2, 4)), training=False)
    layer_check(layers.BatchNormalization(axis=1, dtype="float64"), arrays(seeded(seed), (3, 2, 4)), training=True)


@given(n=st.integers(1, 3), c=st.integers(2, 5), seed=st.integers(0, 999), axis=st.sampled_from([-1, (1, 2)]))
def test_layer_normalization(n, c, seed, axis):
    layer_check(layers.LayerNormalization(axis=axis, dtype="float64"), arrays(seeded(seed), (n, 3, c)))


@given(vocab=st.integers(2, 6), dim=st.integers(1, 4), seed=st.integers(0, 999))
def test_embedding(vocab, dim, seed):
    rng = seeded(seed)
    idx = rng.integers(0, vocab, size=(3, 4))
    layer = layers.Embedding(vocab, dim, dtype="float64")
    layer(idx)
    result = bw.gradcheck(lambda i: layer(i), idx, params=layer.trainable_weights)
    assert result.passed, str(result)


@given(seed=st.integers(0, 999))
def test_reshaping_layers(seed):
    rng = seeded(seed)
    x = arrays(rng, (2, 3, 4))
    layer_check(layers.Flatten(dtype="float64"), x)
    layer_check(layers.Reshape((4, 3), dtype="float64"), x)
    layer_check(layers.Reshape((-1, 2), dtype="float64"), x)
    layer_check(layers.Permute((2, 1), dtype="float64"), x)
    layer_check(layers.RepeatVector(3, dtype="float64"), arrays(rng, (2, 4)))
    layer_check(layers.Lambda(lambda t: t * t + 1.0, dtype="float64"), x)


@given(seed=st.integers(0, 999), n=st.integers(2, 3))
def test_merge_layers(seed, n):
    rng = seeded(seed)
    xs = [arrays(rng, (2, 3)) + 0.5 * i for i in range(n)]
    for cls in (layers.Add, layers.Multiply, layers.Average, layers.Maximum, layers.Minimum):
        layer_check(cls(dtype="float64"), *xs)
    layer_check(layers.Subtract(dtype="float64"), *xs[:2])
    layer_check(layers.Concatenate(axis=-1, dtype="float64"), *xs)
    layer_check(layers.Concatenate(axis=1, dtype="float64"), arrays(rng, (2, 3)), arrays(rng, (2, 5)))
    layer_check(layers.Dot(axes=1, dtype="float64"), *xs[:2])
    layer_check(layers.Dot(axes=1, normalize=True, dtype="float64"), *xs[:2])
    layer_check(layers.Dot(axes=2, dtype="float64"), arrays(rng, (2, 3, 4)), arrays(rng, (2, 5, 4)))


@given(seed=st.integers(0, 999))
def test_noise_and_dropout_layers_are_identity_at_inference_and_differentiable_in_training(seed):
    rng = seeded(seed)
    x = arrays(rng, (3, 4))
    for layer in (layers.Dropout(0.5, dtype="float64"), layers.GaussianNoise(0.3, dtype="float64"),
                  layers.GaussianDropout(0.3, dtype="float64")):
        layer_check(layer, x, training=False)
        np.testing.assert_array_equal(layer(x, training=False).data, x)
    # in training the noise is fixed per call: check with a seeded layer rebuilt for each evaluation
    fn = lambda t: layers.GaussianNoise(0.3, seed=5, dtype="float64")(t, training=True) * 2.0  # noqa: E731
    assert bw.gradcheck(fn, x)
    fn = lambda t: layers.Dropout(0.5, seed=5, dtype="float64")(t, training=True)  # noqa: E731
    assert bw.gradcheck(fn, x)


def test_activity_regularizer_gradient():
    layer = layers.Dense(3, activity_regularizer=bw.regularizers.L1L2(l1=0.01, l2=0.02), dtype="float64")
    x = arrays(seeded(1), (4, 2))
    layer(x)

    def fn(t):
        out = layer(t)
        return out.sum() + sum(layer.losses)

    assert bw.gradcheck(fn, x, params=layer.trainable_weights)


@pytest.mark.parametrize("reg", ["l1", "l2", "l1_l2"])
def test_weight_regularizer_gradient(reg):
    layer = layers.Dense(3, kernel_regularizer=reg, bias_regularizer="l2", dtype="float64")
    x = arrays(seeded(2), (4, 2))
    layer(x)
    layer.bias.data[...] = 0.3
    assert bw.gradcheck(lambda t: layer(t).sum() + sum(layer.losses), x, params=layer.trainable_weights)

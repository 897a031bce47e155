"""``model.predict(x, mc_samples=N)``: Monte-Carlo dropout with only the dropout layers active."""

from __future__ import annotations

import numpy as np
import pytest

import brickwork as bw
from brickwork import calibration, layers, models


def _model(rate=0.3):
    bw.set_seed(0)
    inp = layers.Input((5,))
    h = layers.BatchNormalization()(layers.Dense(16, activation="relu")(inp))
    h = layers.Dropout(rate)(h)
    out = layers.Dense(2, activation="softmax")(h)
    side = layers.Dense(1)(h)
    return models.Model(inp, [out, side])


def test_mc_predict_gives_mean_and_spread_and_keeps_batch_norm_in_inference():
    model = _model()
    x = np.random.default_rng(1).standard_normal((6, 5)).astype(np.float32)
    bn = [lay for lay in model.layers if isinstance(lay, layers.BatchNormalization)][0]
    before = [w.copy() for w in bn.get_weights()]
    deterministic = model.predict(x, verbose=0)
    bw.set_seed(7)
    means, stds = model.predict(x, verbose=0, mc_samples=25)
    assert len(means) == len(stds) == 2
    assert means[0].shape == deterministic[0].shape and np.all(stds[0] > 0)
    np.testing.assert_allclose(means[0].sum(axis=1), 1.0, rtol=1e-5)     # a mean of softmax rows
    for a, b in zip(bn.get_weights(), before):
        np.testing.assert_array_equal(a, b)                               # moving statistics untouched
    np.testing.assert_array_equal(model.predict(x, verbose=0)[0], deterministic[0])  # dropout off again


def test_mc_predict_equals_calibration_mc_dropout_predict_with_the_same_seed():
    full = _model()
    model = models.Model(full.inputs, full.outputs[0])
    x = np.random.default_rng(3).standard_normal((6, 5)).astype(np.float32)
    bw.set_seed(11)
    mean, std = model.predict(x, verbose=0, mc_samples=10)
    mean_c, std_c = calibration.mc_dropout_predict(model, x, n_samples=10, seed=11)
    np.testing.assert_allclose(mean, mean_c, rtol=1e-6)
    np.testing.assert_allclose(std, std_c, rtol=1e-5)


def test_mc_mean_converges_to_the_deterministic_prediction_for_small_dropout():
    model = _model(rate=0.02)
    x = np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32)
    means, _ = model.predict(x, verbose=0, mc_samples=60)
    np.testing.assert_allclose(means[1], model.predict(x, verbose=0)[1], atol=0.05)


@pytest.mark.parametrize("bad", [1, 0, True, 2.5])
def test_bad_mc_samples_are_refused_by_name(bad):
    with pytest.raises(ValueError, match="mc_samples must be an integer >= 2"):
        _model().predict(np.ones((2, 5), np.float32), verbose=0, mc_samples=bad)


def test_a_model_without_dropout_is_refused():
    model = models.Sequential([layers.Input((3,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="has no dropout layer"):
        model.predict(np.ones((2, 3), np.float32), verbose=0, mc_samples=5)

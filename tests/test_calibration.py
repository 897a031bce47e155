"""brickwork.calibration: ECE / Brier / reliability curves against hand computation and scikit-learn,
temperature / Platt / isotonic scaling against known answers and scikit-learn, MC dropout, deep ensembles
and prediction-interval coverage."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers
from brickwork.calibration import (
    DeepEnsemble,
    IsotonicCalibration,
    PlattScaling,
    SplitConformalRegressor,
    TemperatureScaling,
    brier_score,
    conformal_quantile,
    dropout_layers,
    expected_calibration_error,
    gaussian_interval,
    interval_coverage,
    mc_dropout_predict,
    reliability_curve,
    reliability_diagram,
)

sklearn = pytest.importorskip("sklearn")


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------------------------------- metrics
def test_ece_binary_by_hand():
    # bins (0, .5] and (.5, 1]: {.1, .2} -> conf .15, 1 positive of 2; {.6, .9} -> conf .75, 2 of 2
    y, p = np.array([0, 1, 1, 1]), np.array([0.1, 0.2, 0.6, 0.9])
    assert expected_calibration_error(y, p, n_bins=2) == pytest.approx(0.5 * 0.35 + 0.5 * 0.25)
    assert expected_calibration_error(y, p.reshape(-1, 1), n_bins=2) == pytest.approx(0.3)
    # a value on an edge belongs to the lower bin ((m-1)/M, m/M]: 0.5 joins {.1, .2}
    y2, p2 = np.array([0, 1, 1, 1]), np.array([0.1, 0.5, 0.6, 0.9])
    assert expected_calibration_error(y2, p2, n_bins=2) == pytest.approx(0.5 * 0.2 + 0.5 * 0.25)


def test_ece_multiclass_top_label_by_hand():
    probs = np.array([[0.8, 0.2], [0.6, 0.4], [0.3, 0.7]])
    y = np.array([0, 1, 1])                  # confidences .8 .6 .7, correct 1 0 1
    assert expected_calibration_error(y, probs, n_bins=1) == pytest.approx(abs(2 / 3 - 0.7))
    # 10 bins: .6 | .7 | .8 each alone: (|0-.6| + |1-.7| + |1-.8|) / 3
    assert expected_calibration_error(y, probs, n_bins=10) == pytest.approx((0.6 + 0.3 + 0.2) / 3)
    onehot = np.eye(2)[y]
    assert expected_calibration_error(onehot, probs, n_bins=10) == pytest.approx((0.6 + 0.3 + 0.2) / 3)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_reliability_curve_matches_sklearn(rng, strategy):
    from sklearn.calibration import calibration_curve

    p = rng.beta(0.7, 2.0, 3000)
    y = (rng.random(3000) < p ** 1.3).astype(int)
    curve = reliability_curve(y, p, n_bins=10, strategy=strategy)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy=strategy)
    np.testing.assert_allclose(curve.accuracy, prob_true, rtol=1e-12)
    np.testing.assert_allclose(curve.confidence, prob_pred, rtol=1e-12)
    assert curve.count.sum() == 3000 and np.all(curve.lower < curve.upper)
    expected = np.sum(curve.count * np.abs(prob_true - prob_pred)) / 3000
    assert expected_calibration_error(y, p, 10, strategy) == pytest.approx(expected, rel=1e-12)


def test_brier_matches_sklearn(rng):
    from sklearn.metrics import brier_score_loss

    p = rng.random(500)
    y = (rng.random(500) < p).astype(int)
    assert brier_score(y, p) == pytest.approx(brier_score_loss(y, p), rel=1e-12)
    probs = softmax(rng.normal(size=(400, 4)))
    labels = rng.integers(0, 4, 400)
    assert brier_score(labels, probs) == pytest.approx(brier_score_loss(labels, probs), rel=1e-12)
    assert brier_score([0, 1], [0.0, 1.0]) == 0.0 and brier_score([1, 0], [0.0, 1.0]) == 1.0


def test_metric_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="n_bins"):
        expected_calibration_error([0, 1], [0.2, 0.7], n_bins=0)
    with pytest.raises(ValueError, match="strategy"):
        expected_calibration_error([0, 1], [0.2, 0.7], strategy="equal")
    with pytest.raises(ValueError, match="probs must be probabilities"):
        expected_calibration_error([0, 1], [-2.0, 3.0])
    with pytest.raises(ValueError, match="y_true has 3 labels but probs has 2"):
        brier_score([0, 1, 1], [0.2, 0.7])
    with pytest.raises(ValueError, match="sum to 1"):
        reliability_curve([0, 1], [[0.5, 0.9], [0.2, 0.1]])
    with pytest.raises(ValueError, match="label 3 is out of range"):
        brier_score([0, 3], [[0.5, 0.5], [0.2, 0.8]])
    with pytest.raises(ValueError, match="need labels 0/1"):
        expected_calibration_error([0, 2], [0.2, 0.7])
    with pytest.raises(ValueError, match="non-negative integer"):
        brier_score([0, 0.5], [0.2, 0.7])


def test_reliability_diagram_writes_png(tmp_path, rng):
    pytest.importorskip("matplotlib")
    p = rng.random(300)
    y = (rng.random(300) < p).astype(int)
    path = reliability_diagram(y, {"before": p ** 3, "after": p}, tmp_path / "rel.png", n_bins=10)
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="empty dict"):
        reliability_diagram(y, {}, tmp_path / "x.png")


# ------------------------------------------------------------------------------------------- scaling
def test_temperature_scaling_recovers_a_known_temperature(rng):
    z = rng.normal(size=(20000, 5)) * 1.5
    y = (rng.random(20000)[:, None] > np.cumsum(softmax(z), axis=1)).sum(axis=1)   # y ~ softmax(z)
    scaler = TemperatureScaling().fit(3.0 * z, y)              # the model's logits: 3x overconfident
    assert scaler.temperature_ == pytest.approx(3.0, rel=0.04)
    # the fitted T minimises the NLL: a finer grid around it does no better
    grid = scaler.temperature_ * np.array([0.98, 0.99, 1.01, 1.02])
    best = scaler.nll(3.0 * z, y)
    assert all(best <= scaler.nll(3.0 * z, y, t) for t in grid)
    np.testing.assert_allclose(scaler.transform(3.0 * z), softmax(3.0 * z / scaler.temperature_), rtol=1e-12)
    before = expected_calibration_error(y, softmax(3.0 * z))
    assert expected_calibration_error(y, scaler.transform(3.0 * z)) < before / 3


def test_temperature_scaling_binary_logits(rng):
    z = rng.normal(size=8000) * 2
    y = (rng.random(8000) < 1 / (1 + np.exp(-z))).astype(int)
    scaler = TemperatureScaling().fit(0.5 * z.reshape(-1, 1), y)   # underconfident: T = 0.5
    assert scaler.temperature_ == pytest.approx(0.5, rel=0.06)
    p = scaler.transform(0.5 * z)
    assert p.shape == (8000,)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-0.5 * z / scaler.temperature_)), rtol=1e-10)


def test_temperature_scaling_bad_inputs():
    with pytest.raises(RuntimeError, match="fit"):
        TemperatureScaling().transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"labels must be integers in \[0, 3\)"):
        TemperatureScaling().fit(np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match="non-finite"):
        TemperatureScaling().fit(np.array([[0.0, np.nan]]), [0])
    with pytest.raises(ValueError, match="bounds"):
        TemperatureScaling(bounds=(2.0, 1.0))
    scaler = TemperatureScaling().fit(np.eye(3) * 2, [0, 1, 2])
    with pytest.raises(ValueError, match="fitted on 3 classes"):
        scaler.transform(np.zeros((2, 4)))


def test_platt_scaling_matches_sklearn(rng):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.svm import LinearSVC

    x = rng.normal(size=(3000, 4))
    y = (x @ [1.0, -0.5, 0.3, 0.0] + rng.normal(size=3000) > 0.4).astype(int)
    svm = LinearSVC(C=0.01).fit(x[:1000], y[:1000])
    ours = PlattScaling().fit(svm.decision_function(x[1000:2000]), y[1000:2000])
    theirs = CalibratedClassifierCV(FrozenEstimator(svm), method="sigmoid").fit(x[1000:2000], y[1000:2000])
    np.testing.assert_allclose(ours.transform(svm.decision_function(x[2000:])),
                               theirs.predict_proba(x[2000:])[:, 1], rtol=1e-4, atol=1e-6)
    # on probabilities: the log-odds are the scores
    p = 1 / (1 + np.exp(-svm.decision_function(x[1000:2000])))
    np.testing.assert_allclose(PlattScaling(on="probabilities").fit(p, y[1000:2000]).a_, ours.a_, rtol=1e-6)


def test_isotonic_matches_sklearn(rng):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.isotonic import IsotonicRegression, isotonic_regression
    from sklearn.linear_model import LogisticRegression

    values, weights = rng.normal(size=200), rng.random(200) + 0.1
    from brickwork.calibration.scaling import pool_adjacent_violators
    np.testing.assert_allclose(pool_adjacent_violators(values, weights),
                               isotonic_regression(values, sample_weight=weights), rtol=1e-10)
    s = np.round(rng.normal(size=2000), 1)              # ties
    y = (rng.random(2000) < 1 / (1 + np.exp(-2 * s))).astype(int)
    ours = IsotonicCalibration().fit(s, y)
    theirs = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(s, y)
    test = np.concatenate([rng.normal(size=500) * 2, [-10.0, 10.0]])   # also outside the fitted range
    np.testing.assert_allclose(ours.transform(test), theirs.predict(test), rtol=1e-10, atol=1e-12)
    x = rng.normal(size=(3000, 3))
    t = (x @ [2.0, -1.0, 0.5] + rng.logistic(size=3000) > 0).astype(int)
    lr = LogisticRegression().fit(x[:1000], t[:1000])
    cal = CalibratedClassifierCV(FrozenEstimator(lr), method="isotonic").fit(x[1000:2000], t[1000:2000])
    mine = IsotonicCalibration().fit(lr.decision_function(x[1000:2000]), t[1000:2000])
    np.testing.assert_allclose(mine.transform(lr.decision_function(x[2000:])), cal.predict_proba(x[2000:])[:, 1],
                               rtol=1e-8, atol=1e-10)


def test_platt_and_isotonic_bad_inputs():
    with pytest.raises(ValueError, match="TemperatureScaling"):
        PlattScaling().fit(np.zeros((4, 3)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="labels must be 0/1"):
        IsotonicCalibration().fit([0.1, 0.2], [0, 2])
    with pytest.raises(ValueError, match="on must be"):
        PlattScaling(on="odds")
    with pytest.raises(ValueError, match="on='probabilities' needs scores in"):
        IsotonicCalibration(on="probabilities").fit([0.5, 1.5], [0, 1])
    with pytest.raises(RuntimeError, match="fit"):
        IsotonicCalibration().transform([0.1])


# ---------------------------------------------------------------------- MC dropout and ensembles
def _mlp(rate: float, batchnorm: bool = True):
    inputs = layers.Input((3,))
    h = layers.Dense(16, activation="relu")(inputs)
    if batchnorm:
        h = layers.BatchNormalization(name="bn")(h)
    h = layers.Dropout(rate)(h)
    model = bw.Model(inputs, layers.Dense(1)(h))
    model.compile("adam", "mse")
    return model


def test_mc_dropout_spread_and_mean(rng):
    model = _mlp(0.05)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    model.fit(x, x.sum(axis=1, keepdims=True), epochs=2, verbose=0)
    bn = model.get_layer("bn")
    stats = [w.copy() for w in bn.get_weights()]
    deterministic = model.predict(x, verbose=0)
    mean, std = mc_dropout_predict(model, x, n_samples=200, seed=0)
    assert mean.shape == std.shape == (64, 1) and np.all(std > 0)
    scale = np.abs(deterministic).mean()
    assert np.abs(mean - deterministic).mean() < 0.05 * scale        # small dropout: mean ≈ deterministic
    for before, after in zip(stats, bn.get_weights()):               # BatchNorm stayed in inference mode
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(model.predict(x, verbose=0), deterministic)   # dropout off again after
    again, _ = mc_dropout_predict(model, x, n_samples=200, seed=0)
    np.testing.assert_array_equal(again, mean)                        # the seed repeats the passes


def test_mc_dropout_keeps_batchnorm_in_inference_mode(rng):
    # one row: BatchNorm in training mode would normalise it to beta (0) and every pass would be Dense(0)
    model = _mlp(0.5)
    bn = model.get_layer("bn")
    bn.set_weights([np.ones(16), np.zeros(16), np.full(16, -1.0), np.full(16, 4.0)])
    x = rng.normal(size=(1, 3)).astype(np.float32)
    _, _, samples = mc_dropout_predict(model, x, n_samples=20, seed=1, return_samples=True)
    assert samples.shape == (20, 1, 1) and np.std(samples) > 1e-3
    gru = bw.Sequential([layers.Input((5, 2)), layers.GRU(4, recurrent_dropout=0.3), layers.Dense(1)])
    assert [type(layer).__name__ for layer in dropout_layers(gru)] == ["GRU"]


def test_mc_dropout_bad_inputs(rng):
    model = bw.Sequential([layers.Input((3,)), layers.Dense(1)], name="plain")
    with pytest.raises(ValueError, match="'plain' has no dropout layer"):
        mc_dropout_predict(model, np.zeros((2, 3)), n_samples=4)
    with pytest.raises(ValueError, match="n_samples"):
        mc_dropout_predict(model, np.zeros((2, 3)), n_samples=1)
    with pytest.raises(TypeError, match="brickwork model"):
        mc_dropout_predict(lambda x: x, np.zeros((2, 3)))


def test_deep_ensemble_spread_and_gaussian_interval_coverage(rng):
    x = rng.uniform(-2, 2, size=(1200, 1)).astype(np.float32)
    y = (np.sin(2 * x) + 0.2 * rng.normal(size=x.shape)).astype(np.float32)

    def build():
        model = bw.Sequential([layers.Input((1,)), layers.Dense(32, activation="tanh"), layers.Dense(1)])
        model.compile(bw.optimizers.Adam(0.02), "mse")
        return model

    ensemble = DeepEnsemble(build, n_models=3, seed=0).fit(x[:600], y[:600], epochs=30, batch_size=64)
    mean, std = ensemble.predict(x[600:])
    assert mean.shape == (600, 1) and np.all(std > 0)
    members = ensemble.predict_members(x[600:])
    assert not np.allclose(members[0], members[1])                   # different initialisations
    noise = ensemble.calibrate_noise(x[600:900], y[600:900])
    assert 0.15 < noise < 0.3                                         # the true noise std is 0.2
    _, lower, upper = ensemble.predict_interval(x[900:], alpha=0.1)
    assert abs(interval_coverage(y[900:], lower, upper) - 0.9) < 0.05
    with pytest.raises(ValueError, match="n_models"):
        DeepEnsemble(build, n_models=1)
    with pytest.raises(TypeError, match="build_fn"):
        DeepEnsemble("model")
    with pytest.raises(RuntimeError, match="fit"):
        DeepEnsemble(build).predict(x)


# ------------------------------------------------------------------------------------ intervals
def test_conformal_quantile_rank():
    scores = np.arange(1.0, 10.0)                     # n = 9, alpha = 0.2: ceil(10 * 0.8) = 8th smallest
    assert conformal_quantile(scores, 0.2) == 8.0
    assert conformal_quantile(scores, 0.05) == np.inf  # ceil(10 * 0.95) = 10 > 9
    with pytest.raises(ValueError, match="alpha"):
        conformal_quantile(scores, 1.5)
    with pytest.raises(ValueError, match="empty"):
        conformal_quantile([], 0.1)


@pytest.mark.parametrize("alpha", [0.1, 0.2])
def test_split_conformal_coverage(rng, alpha):
    w = np.array([1.0, -2.0])
    covered = []
    for _ in range(100):                            # coverage averaged over calibration draws
        x = rng.normal(size=(3000, 2))
        y = x @ w + rng.standard_t(3, size=3000)     # heavy-tailed noise: no Gaussian assumption
        conformal = SplitConformalRegressor(lambda v: v @ (w + 0.1), alpha=alpha).fit(x[:500], y[:500])
        pred, lower, upper = conformal.predict(x[500:])
        covered.append(interval_coverage(y[500:], lower, upper))
        np.testing.assert_allclose(pred, x[500:] @ (w + 0.1))
    assert abs(np.mean(covered) - (1 - alpha)) < 0.01      # E = ceil(501 (1 - alpha)) / 501; sd of the mean ≈ 0.002
    assert np.mean(covered) >= 1 - alpha - 0.006            # the guarantee is a lower bound


def test_scaled_conformal_and_gaussian_interval(rng):
    x = rng.uniform(0.1, 3, size=(6000, 1))
    y = x[:, 0] + x[:, 0] * rng.normal(size=6000)           # noise std = x
    conformal = SplitConformalRegressor(lambda v: v[:, 0], alpha=0.1).fit(x[:1000], y[:1000], scale=x[:1000, 0])
    _, lower, upper = conformal.predict(x[1000:], scale=x[1000:, 0])
    assert abs(interval_coverage(y[1000:], lower, upper) - 0.9) < 0.02
    low_x = x[1000:, 0] < 0.5
    assert abs(interval_coverage(y[1000:][low_x], lower[low_x], upper[low_x]) - 0.9) < 0.05   # adapts locally
    lo, hi = gaussian_interval(x[1000:, 0], 0.0, alpha=0.1, noise_std=1.0)
    np.testing.assert_allclose(hi - lo, 2 * 1.6448536269514722)
    with pytest.raises(ValueError, match="scale="):
        conformal.predict(x[1000:])
    with pytest.raises(ValueError, match="y_cal has 3 rows, expected 2"):
        SplitConformalRegressor(lambda v: v[:, 0]).fit(x[:2], y[:3])


# ------------------------------------------------------------------------- the digits example
@pytest.mark.slow
def test_temperature_scaling_lowers_ece_of_an_overfit_digits_mlp(tmp_path):
    pytest.importorskip("matplotlib")
    path = Path(__file__).resolve().parent.parent / "examples" / "calibration_digits.py"
    spec = importlib.util.spec_from_file_location("calibration_digits", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(epochs=40, figure=str(tmp_path / "rel.png"), verbose=0)
    assert result["ece_before"] > 0.015 and result["temperature"] > 1.0      # overconfident, softened
    assert result["ece_after"] < result["ece_before"]
    assert result["accuracy_after"] == result["accuracy_before"]          # T does not change the arg-max
    assert (tmp_path / "rel.png").exists()

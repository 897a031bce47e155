"""Metrics against scikit-learn and their Keras name resolution."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from brickwork import losses, metrics


def test_accuracies_and_keras_resolution():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([[0.2], [0.7], [0.4], [0.6], [0.9]])
    acc = metrics.get("acc", loss=losses.get("binary_crossentropy"), output_shape=(None, 1))
    assert isinstance(acc, metrics.BinaryAccuracy) and acc.name == "acc"
    assert acc(y, p) == pytest.approx(skm.accuracy_score(y, p[:, 0] > 0.5))
    probs = np.random.default_rng(0).random((6, 3))
    labels = np.array([0, 1, 2, 2, 1, 0])
    sparse = metrics.get("accuracy", loss=losses.get("sparse_categorical_crossentropy"), output_shape=(None, 3))
    assert isinstance(sparse, metrics.SparseCategoricalAccuracy)
    assert sparse(labels, probs) == pytest.approx(skm.accuracy_score(labels, probs.argmax(1)))
    cat = metrics.get("accuracy", loss=losses.get("categorical_crossentropy"), output_shape=(None, 3))
    assert isinstance(cat, metrics.CategoricalAccuracy)
    assert cat(np.eye(3)[labels], probs) == pytest.approx(skm.accuracy_score(labels, probs.argmax(1)))


def test_metrics_are_stateful_over_batches():
    m = metrics.BinaryAccuracy()
    m.update_state(np.array([1, 1]), np.array([0.9, 0.9]))
    m.update_state(np.array([1, 1, 1, 1]), np.array([0.1, 0.1, 0.1, 0.9]))
    assert m.result() == pytest.approx(3 / 6)
    m.reset_state()
    assert m.result() == 0.0


def test_precision_recall_auc_match_sklearn():
    rng = np.random.default_rng(1)
    y = (rng.random(500) > 0.6).astype(int)
    score = np.clip(0.35 * y + rng.random(500) * 0.65, 0, 1)
    p, r, a = metrics.Precision(), metrics.Recall(), metrics.AUC()
    for chunk in np.array_split(np.arange(500), 7):  # accumulated over batches
        for m in (p, r, a):
            m.update_state(y[chunk], score[chunk])
    assert p.result() == pytest.approx(skm.precision_score(y, score > 0.5))
    assert r.result() == pytest.approx(skm.recall_score(y, score > 0.5))
    assert a.result() == pytest.approx(skm.roc_auc_score(y, score), abs=5e-3)  # 200 thresholds, as Keras


def test_regression_metrics():
    y, p = np.array([[1.0], [2.0], [3.0]]), np.array([[1.5], [2.0], [5.0]])
    assert metrics.get("mse")(y, p) == pytest.approx(skm.mean_squared_error(y, p))
    assert metrics.get("mae")(y, p) == pytest.approx(skm.mean_absolute_error(y, p))
    assert metrics.get("rmse")(y, p) == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)))


def test_weighted_metric_and_unknown_name():
    m = metrics.MeanAbsoluteError()
    m.update_state(np.array([[0.0], [0.0]]), np.array([[1.0], [3.0]]), sample_weight=np.array([3.0, 1.0]))
    assert m.result() == pytest.approx((3 * 1 + 1 * 3) / 4)
    with pytest.raises(ValueError, match="Unknown metric 'accuracyy'"):
        metrics.get("accuracyy")

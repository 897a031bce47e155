"""Classification metrics: accuracies, precision, recall and ROC AUC."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.metrics.base import MeanMetricWrapper, Metric, align, to_numpy


def binary_accuracy(y_true: np.ndarray, y_pred: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Per sample: the fraction of outputs where ``y_pred > threshold`` equals ``y_true``."""
    return np.mean((y_pred > threshold) == (y_true > 0.5), axis=-1)


def categorical_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Per sample: ``argmax(y_pred) == argmax(y_true)``."""
    return (np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)).astype(np.float64)


def sparse_categorical_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Per sample: ``argmax(y_pred) == y_true`` for integer labels."""
    labels = y_true.reshape(y_pred.shape[:-1]) if y_true.size == np.prod(y_pred.shape[:-1]) else y_true
    return (np.argmax(y_pred, axis=-1) == labels).astype(np.float64)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Per sample: exact equality of values (Keras's plain ``Accuracy``)."""
    return np.mean(y_true == y_pred, axis=-1) if y_pred.ndim > 1 else (y_true == y_pred).astype(np.float64)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly."""

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(accuracy, name=name)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels."""

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5) -> None:
        super().__init__(binary_accuracy, name=name, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max class matches one-hot labels."""

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(categorical_accuracy, name=name)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max class matches integer labels."""

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(sparse_categorical_accuracy, name=name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_numpy(y_pred)
        values = sparse_categorical_accuracy(to_numpy(y_true), y_pred)
        from brickwork.metrics.base import Mean

        Mean.update_state(self, values, sample_weight)


class _Confusion(Metric):
    """Running true/false positive/negative counts at ``thresholds``."""

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None) -> None:
        self.thresholds = np.atleast_1d(np.asarray(0.5 if thresholds is None else thresholds, dtype=np.float64))
        super().__init__(name=name)

    def reset_state(self) -> None:
        n = len(self.thresholds)
        self.tp, self.fp, self.tn, self.fn = (np.zeros(n) for _ in range(4))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_numpy(y_pred).astype(np.float64)
        y_true = align(to_numpy(y_true), y_pred).astype(np.float64) > 0.5
        w = np.ones(y_pred.shape) if sample_weight is None else np.broadcast_to(
            to_numpy(sample_weight).reshape(-1, *([1] * (y_pred.ndim - 1))), y_pred.shape)
        p, t, w = y_pred.reshape(-1), y_true.reshape(-1), np.asarray(w, np.float64).reshape(-1)
        # sort once, then count per threshold with cumulative sums (no loop over samples)
        order = np.argsort(p)
        p, t, w = p[order], t[order], w[order]
        pos_w, neg_w = np.cumsum(w * t), np.cumsum(w * ~t)
        total_pos, total_neg = (pos_w[-1], neg_w[-1]) if p.size else (0.0, 0.0)
        idx = np.searchsorted(p, self.thresholds, side="right")  # predictions <= threshold are negative
        below_pos = np.where(idx > 0, pos_w[np.maximum(idx - 1, 0)], 0.0) if p.size else np.zeros_like(idx, float)
        below_neg = np.where(idx > 0, neg_w[np.maximum(idx - 1, 0)], 0.0) if p.size else np.zeros_like(idx, float)
        self.fn += below_pos
        self.tn += below_neg
        self.tp += total_pos - below_pos
        self.fp += total_neg - below_neg


class Precision(_Confusion):
    r"""Precision :math:`TP/(TP+FP)` at ``thresholds`` (default 0.5)."""

    def __init__(self, thresholds: Any = None, name: str = "precision", dtype: Any = None) -> None:
        super().__init__(thresholds, name=name)

    def result(self) -> float:
        d = self.tp + self.fp
        r = np.divide(self.tp, d, out=np.zeros_like(d), where=d > 0)
        return float(r[0]) if r.size == 1 else r


class Recall(_Confusion):
    r"""Recall :math:`TP/(TP+FN)` at ``thresholds`` (default 0.5)."""

    def __init__(self, thresholds: Any = None, name: str = "recall", dtype: Any = None) -> None:
        super().__init__(thresholds, name=name)

    def result(self) -> float:
        d = self.tp + self.fn
        r = np.divide(self.tp, d, out=np.zeros_like(d), where=d > 0)
        return float(r[0]) if r.size == 1 else r


class AUC(_Confusion):
    r"""Area under the ROC curve, from confusion counts at ``num_thresholds``
    evenly spaced thresholds (Keras's default 200), integrated with the
    trapezoidal rule over (FPR, TPR) points, as Keras's ``AUC``.
    """

    def __init__(self, num_thresholds: int = 200, name: str = "auc", dtype: Any = None) -> None:
        eps = 1e-7
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds = num_thresholds
        super().__init__([0.0 - eps] + inner + [1.0 + eps], name=name)

    def result(self) -> float:
        tpr = np.divide(self.tp, self.tp + self.fn, out=np.zeros_like(self.tp), where=(self.tp + self.fn) > 0)
        fpr = np.divide(self.fp, self.fp + self.tn, out=np.zeros_like(self.fp), where=(self.fp + self.tn) > 0)
        # thresholds increase, so (fpr, tpr) run from (1, 1) down to (0, 0)
        return float(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2))

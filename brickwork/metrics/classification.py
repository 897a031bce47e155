"""Classification metrics: accuracies, precision, recall and ROC AUC."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brickwork.backend import get_array_module, to_numpy
from brickwork.metrics.base import Metric, align, as_array
from brickwork.metrics.reduction import MeanMetricWrapper


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    """Per sample: the fraction of outputs where ``y_pred > threshold`` equals ``y_true``."""
    xp = get_array_module(y_true, y_pred)
    return xp.mean((y_pred > threshold) == (y_true > 0.5), axis=-1)


def categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """Per sample: ``argmax(y_pred) == argmax(y_true)``."""
    xp = get_array_module(y_true, y_pred)
    return (xp.argmax(y_pred, axis=-1) == xp.argmax(y_true, axis=-1)).astype(np.float64)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """Per sample: ``argmax(y_pred) == y_true`` for integer labels."""
    xp = get_array_module(y_true, y_pred)
    labels = y_true.reshape(y_pred.shape[:-1]) if y_true.size == math.prod(y_pred.shape[:-1]) else y_true
    return (xp.argmax(y_pred, axis=-1) == labels).astype(np.float64)


def accuracy(y_true: Any, y_pred: Any) -> Any:
    """Per sample: exact equality of values (Keras's plain ``Accuracy``)."""
    xp = get_array_module(y_true, y_pred)
    return xp.mean(y_true == y_pred, axis=-1) if y_pred.ndim > 1 else (y_true == y_pred).astype(np.float64)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly."""

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels."""

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5) -> None:
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max class matches one-hot labels."""

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max class matches integer labels."""

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def _prepare(self, y_true, y_pred):
        return y_true, y_pred  # labels carry no class axis: no rank alignment


def safe_divide(num: Any, den: Any) -> Any:
    """``num / den`` where ``den > 0``, else 0 (element-wise)."""
    xp = get_array_module(num, den)
    positive = den > 0
    return xp.where(positive, num / xp.where(positive, den, 1.0), 0.0)


class _Confusion(Metric):
    """Running true/false positive/negative counts at ``thresholds`` (state variables
    ``true_positives``, ``false_positives``, ``true_negatives``, ``false_negatives``)."""

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.thresholds = np.atleast_1d(np.asarray(0.5 if thresholds is None else thresholds, dtype=np.float64))
        n = len(self.thresholds)
        self.tp, self.fp, self.tn, self.fn = (
            self.add_variable(shape=(n,), initializer="zeros", dtype="float64", name=key)
            for key in ("true_positives", "false_positives", "true_negatives", "false_negatives"))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_array(y_pred).astype(np.float64)
        xp = get_array_module(y_pred)
        y_true = align(as_array(y_true), y_pred).astype(np.float64) > 0.5
        w = xp.ones(y_pred.shape) if sample_weight is None else xp.broadcast_to(
            as_array(sample_weight).reshape(-1, *([1] * (y_pred.ndim - 1))), y_pred.shape)
        p, t, w = y_pred.reshape(-1), y_true.reshape(-1), xp.asarray(w, np.float64).reshape(-1)
        # sort once, then count per threshold with cumulative sums (no loop over samples)
        order = xp.argsort(p)
        p, t, w = p[order], t[order], w[order]
        pos_w, neg_w = xp.cumsum(w * t), xp.cumsum(w * ~t)
        total_pos, total_neg = (pos_w[-1], neg_w[-1]) if p.size else (0.0, 0.0)
        thresholds = xp.asarray(self.thresholds)  # on the inputs' device
        idx = xp.searchsorted(p, thresholds, side="right")  # predictions <= threshold are negative
        below_pos = xp.where(idx > 0, pos_w[xp.maximum(idx - 1, 0)], 0.0) if p.size else xp.zeros_like(idx, float)
        below_neg = xp.where(idx > 0, neg_w[xp.maximum(idx - 1, 0)], 0.0) if p.size else xp.zeros_like(idx, float)
        self.fn.assign_add(below_pos)
        self.tn.assign_add(below_neg)
        self.tp.assign_add(total_pos - below_pos)
        self.fp.assign_add(total_neg - below_neg)

    def get_config(self):
        cfg = super().get_config()
        cfg["thresholds"] = self.thresholds.tolist()
        return cfg


class Precision(_Confusion):
    r"""Precision :math:`TP/(TP+FP)` at ``thresholds`` (default 0.5)."""

    def __init__(self, thresholds: Any = None, name: str = "precision", dtype: Any = None) -> None:
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self) -> float:
        tp, fp = self.tp.data, self.fp.data
        r = safe_divide(tp, tp + fp)
        return float(r[0]) if r.size == 1 else to_numpy(r)


class Recall(_Confusion):
    r"""Recall :math:`TP/(TP+FN)` at ``thresholds`` (default 0.5)."""

    def __init__(self, thresholds: Any = None, name: str = "recall", dtype: Any = None) -> None:
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self) -> float:
        tp, fn = self.tp.data, self.fn.data
        r = safe_divide(tp, tp + fn)
        return float(r[0]) if r.size == 1 else to_numpy(r)


class AUC(_Confusion):
    r"""Area under the ROC curve, from confusion counts at ``num_thresholds``
    evenly spaced thresholds (Keras's default 200), integrated with the
    trapezoidal rule over (FPR, TPR) points, as Keras's ``AUC``.
    """

    def __init__(self, num_thresholds: int = 200, name: str = "auc", dtype: Any = None) -> None:
        eps = 1e-7
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds = num_thresholds
        super().__init__([0.0 - eps] + inner + [1.0 + eps], name=name, dtype=dtype)

    def result(self) -> float:
        tp, fp, tn, fn = self.tp.data, self.fp.data, self.tn.data, self.fn.data
        tpr, fpr = safe_divide(tp, tp + fn), safe_divide(fp, fp + tn)
        # thresholds increase, so (fpr, tpr) run from (1, 1) down to (0, 0)
        return float(get_array_module(tpr).sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds}


def _in_top_k(labels: Any, y_pred: Any, k: int) -> Any:
    """Whether the score of each row's label is among its ``k`` largest (ties count as in, as Keras)."""
    xp = get_array_module(labels, y_pred)
    flat = y_pred.reshape(-1, y_pred.shape[-1])
    labels = labels.reshape(-1).astype(np.int64)
    k = min(int(k), flat.shape[-1])
    kth = -xp.partition(-flat, k - 1, axis=-1)[:, k - 1]
    return flat[xp.arange(flat.shape[0]), labels] >= kth


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """Per sample: whether the one-hot target class is among the ``k`` highest scores."""
    labels = get_array_module(y_true, y_pred).argmax(y_true, axis=-1)
    return _in_top_k(labels, y_pred, k).astype(np.float64).reshape(labels.shape)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5,
                                      from_sorted_ids: bool = False) -> Any:
    """Per sample: whether the integer label is among the ``k`` highest scores (with
    ``from_sorted_ids=True``, ``y_pred`` holds class ids sorted by score and the first ``k`` are checked)."""
    y_true = as_array(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if from_sorted_ids:
        flat = y_pred.reshape(-1, y_pred.shape[-1])[:, :k]
        hit = get_array_module(y_true, flat).any(flat == y_true.reshape(-1, 1), axis=1)
        return hit.astype(np.float64).reshape(y_true.shape)
    return _in_top_k(y_true, y_pred, k).astype(np.float64).reshape(y_true.shape)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target is among the ``k`` top predictions.

    Args:
        k: Number of top predictions considered (default 5).
        name, dtype: Name and dtype of the metric.
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def _prepare(self, y_true, y_pred):
        return y_true, y_pred


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` top predictions.

    Args:
        k: Number of top predictions considered (default 5).
        name, dtype: Name and dtype of the metric.
        from_sorted_ids: ``y_pred`` holds class ids sorted by decreasing score instead of scores.
    """

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype: Any = None,
                 from_sorted_ids: bool = False) -> None:
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k, self.from_sorted_ids = k, from_sorted_ids

    def _prepare(self, y_true, y_pred):
        return y_true, y_pred

    def get_config(self):
        cfg = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            cfg["from_sorted_ids"] = True
        return cfg

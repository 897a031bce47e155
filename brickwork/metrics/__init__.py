"""Metrics, stateful over an epoch like Keras metrics.

Each metric accumulates with ``update_state(y_true, y_pred, sample_weight)``,
reports with ``result()`` and restarts with ``reset_state()``. They work on
NumPy values (no graph is recorded).
"""

from brickwork.metrics.base import Mean, MeanMetricWrapper, Metric
from brickwork.metrics.classification import (
    AUC,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    Precision,
    Recall,
    SparseCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
)
from brickwork.metrics.registry import get, resolve_accuracy
from brickwork.metrics.regression import MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError

__all__ = [
    "AUC", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "Mean", "MeanAbsoluteError",
    "MeanMetricWrapper", "MeanSquaredError", "Metric", "Precision", "Recall", "RootMeanSquaredError",
    "SparseCategoricalAccuracy", "binary_accuracy", "categorical_accuracy", "get", "resolve_accuracy",
    "sparse_categorical_accuracy",
]

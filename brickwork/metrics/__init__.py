"""Metrics, stateful over an epoch like Keras 3 metrics.

Each metric keeps its state in non-trainable variables (``metric.variables``),
accumulates with ``update_state(y_true, y_pred, sample_weight)``, reports
with ``result()`` and restarts with ``reset_state()``. They work on NumPy
values (no graph is recorded); a Keras mask on ``y_pred`` is honoured by the
mean metrics.
"""

from brickwork.metrics.base import Metric
from brickwork.metrics.classification import (
    AUC,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    Precision,
    Recall,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from brickwork.metrics.fscore import F1Score, FBetaScore
from brickwork.metrics.iou import MeanIoU
from brickwork.metrics.iou_variants import BinaryIoU, IoU, OneHotIoU, OneHotMeanIoU, dice_coefficient
from brickwork.metrics.reduction import Mean, MeanMetricWrapper, Sum
from brickwork.metrics.registry import get, resolve_accuracy, serialize
from brickwork.metrics.regression import (
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    R2Score,
    RootMeanSquaredError,
)

__all__ = [
    "AUC", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "F1Score", "FBetaScore", "Mean",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanIoU", "MeanMetricWrapper", "MeanSquaredError",
    "Metric", "Precision", "R2Score", "Recall", "RootMeanSquaredError", "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "Sum", "TopKCategoricalAccuracy", "binary_accuracy", "categorical_accuracy",
    "get", "resolve_accuracy", "serialize", "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]
__all__ += ["BinaryIoU", "IoU", "OneHotIoU", "OneHotMeanIoU", "dice_coefficient"]

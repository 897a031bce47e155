"""Metric lookup by name, including Keras's choice of accuracy."""

from __future__ import annotations

from typing import Any

from brickwork.metrics.base import MeanMetricWrapper, Metric
from brickwork.metrics.classification import (
    AUC,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    Precision,
    Recall,
    SparseCategoricalAccuracy,
)
from brickwork.metrics.regression import MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError

_BY_NAME: dict[str, Any] = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy, "precision": Precision, "recall": Recall,
    "auc": AUC, "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError, "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError, "rmse": RootMeanSquaredError,
    "root_mean_squared_error": RootMeanSquaredError,
}
_CLASSES = {cls.__name__: cls for cls in list(_BY_NAME.values()) + [Accuracy]}


def resolve_accuracy(name: str, loss: Any, output_shape: tuple[int, ...]) -> Metric:
    """Keras's rule for ``'acc'``/``'accuracy'``: binary when the loss is binary
    cross-entropy or the output has one unit, sparse for sparse categorical
    cross-entropy, categorical otherwise."""
    loss_name = getattr(loss, "name", "") or ""
    if "binary" in loss_name or (output_shape and output_shape[-1] == 1):
        return BinaryAccuracy(name=name)
    if "sparse" in loss_name:
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def get(identifier: Any, loss: Any = None, output_shape: tuple[int, ...] = ()) -> Metric:
    """A metric from a name, a class, an instance or a function ``fn(y_true, y_pred)``."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in ("acc", "accuracy"):
            return resolve_accuracy(identifier, loss, output_shape)
        key = identifier.lower()
        if key in _BY_NAME:
            return _BY_NAME[key](name=identifier)
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        raise ValueError(f"Unknown metric {identifier!r}. Valid names: {sorted(_BY_NAME) + ['accuracy', 'acc']}.")
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")

"""Metric lookup by name, including Keras's choice of accuracy."""

from __future__ import annotations

from typing import Any

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
)
from brickwork.metrics.fscore import F1Score, FBetaScore
from brickwork.metrics.iou import MeanIoU
from brickwork.metrics.iou_variants import BinaryIoU, IoU, OneHotIoU, OneHotMeanIoU
from brickwork.metrics.reduction import Mean, MeanMetricWrapper, Sum
from brickwork.metrics.regression import (
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    R2Score,
    RootMeanSquaredError,
)

_ALL = (AUC, Accuracy, BinaryAccuracy, CategoricalAccuracy, Precision, Recall, SparseCategoricalAccuracy,
        SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, F1Score, FBetaScore, MeanIoU, Mean, Sum,
        MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError, R2Score, RootMeanSquaredError,
        IoU, BinaryIoU, OneHotIoU, OneHotMeanIoU)
_CLASSES = {cls.__name__: cls for cls in _ALL}


def _snake_names() -> dict[str, Any]:
    from brickwork.utils.naming import to_snake_case

    return {to_snake_case(cls.__name__): cls for cls in _ALL if cls is not Accuracy}


_BY_NAME: dict[str, Any] = _snake_names() | {
    "mse": MeanSquaredError, "mae": MeanAbsoluteError, "rmse": RootMeanSquaredError,
    "mape": MeanAbsolutePercentageError,
}


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
    """A metric from a name, a config dict, a class, an instance or a function ``fn(y_true, y_pred)``."""
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
    if isinstance(identifier, dict) and "class_name" in identifier:
        cls = _CLASSES.get(identifier["class_name"])
        if cls is None:
            raise ValueError(f"Unknown metric class {identifier['class_name']!r} in a saved configuration.")
        return cls.from_config(dict(identifier.get("config") or {}))
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


def serialize(metric: Metric) -> dict[str, Any]:
    """``{"module", "class_name", "config", "registered_name"}`` of a built-in metric (Keras's layout)."""
    cls = type(metric)
    if _CLASSES.get(cls.__name__) is not cls:
        raise ValueError(f"Cannot serialize metric {metric!r}: not a built-in brickwork metric.")
    return {"module": "brickwork.metrics", "class_name": cls.__name__, "config": metric.get_config(),
            "registered_name": None}

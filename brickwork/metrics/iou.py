"""Intersection-over-union for segmentation and classification: :class:`MeanIoU`."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.backend import get_array_module
from brickwork.engine.device import scatter_add
from brickwork.metrics.base import Metric, as_array

EPSILON = 1e-7


class MeanIoU(Metric):
    r"""Mean over classes of :math:`IoU_c = TP_c / (TP_c + FP_c + FN_c)`, from a running confusion matrix.

    Classes that never occur in targets or predictions are left out of the mean, as Keras.

    Args:
        num_classes: Number of classes (labels are ``0 .. num_classes - 1``; others are ignored).
        name, dtype: Name and dtype of the metric.
        ignore_class: A label whose pixels/samples are not counted.
        sparse_y_true, sparse_y_pred: Whether targets / predictions are class ids (True) or
            scores over ``axis`` (False: their arg-max is taken).
        axis: The class axis of non-sparse inputs.
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_true: bool = True, sparse_y_pred: bool = True, axis: int = -1) -> None:
        super().__init__(name=name or "mean_io_u", dtype=dtype)
        if int(num_classes) < 1:
            raise ValueError(f"MeanIoU: num_classes must be a positive integer; got {num_classes!r}.")
        self.num_classes, self.ignore_class = int(num_classes), ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.total_cm = self.add_variable(shape=(self.num_classes, self.num_classes), initializer="zeros",
                                          dtype="float64", name="total_confusion_matrix")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t, p = as_array(y_true), as_array(y_pred)
        xp = get_array_module(t, p)
        if not self.sparse_y_true:
            t = xp.argmax(t, axis=self.axis)
        if not self.sparse_y_pred:
            p = xp.argmax(p, axis=self.axis)
        t, p = t.reshape(-1).astype(np.int64), p.reshape(-1).astype(np.int64)
        if t.shape != p.shape:
            raise ValueError(f"MeanIoU: {t.size} targets but {p.size} predictions.")
        w = xp.ones(t.shape) if sample_weight is None else xp.broadcast_to(
            as_array(sample_weight).astype(np.float64).reshape(-1), t.shape)
        keep = (t >= 0) & (t < self.num_classes) & (p >= 0) & (p < self.num_classes)
        if self.ignore_class is not None:
            keep &= t != self.ignore_class
        cm = xp.zeros((self.num_classes, self.num_classes))
        scatter_add(cm, (t[keep], p[keep]), w[keep])
        self.total_cm.assign_add(cm)

    def result(self) -> float:
        cm = self.total_cm.data
        xp = get_array_module(cm)
        tp = xp.diag(cm)
        denominator = cm.sum(axis=0) + cm.sum(axis=1) - tp
        valid = denominator > 1e-9
        iou = xp.where(valid, tp / (denominator + EPSILON), 0.0)
        return float(iou.sum() / (valid.sum() + EPSILON))

    def get_config(self) -> dict[str, Any]:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}

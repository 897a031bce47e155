"""Keras 3's other intersection-over-union metrics, built on :class:`~brickwork.metrics.iou.MeanIoU`'s running
confusion matrix, and the Dice coefficient as a plain function.

For class ``c`` with ``TP_c``, ``FP_c``, ``FN_c`` counted over every pixel seen so far,
``IoU_c = TP_c / (TP_c + FP_c + FN_c)``. :class:`IoU` reports the mean of ``IoU_c`` over ``target_class_ids``
(classes whose denominator is zero are left out of the mean), :class:`BinaryIoU` thresholds probabilities first,
:class:`OneHotIoU` / :class:`OneHotMeanIoU` take one-hot targets and score predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from brickwork.backend import get_array_module, to_numpy
from brickwork.metrics.base import as_array
from brickwork.metrics.iou import EPSILON, MeanIoU


class IoU(MeanIoU):
    r"""Mean of :math:`IoU_c = TP_c / (TP_c + FP_c + FN_c)` over the classes in ``target_class_ids`` (Keras 3's
    ``keras.metrics.IoU``); with one id it is that class's IoU.

    Args:
        num_classes: Number of classes (labels ``0 .. num_classes - 1``).
        target_class_ids: The classes whose IoUs are averaged.
        name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis: As :class:`MeanIoU`.
    """

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: int = -1) -> None:
        super().__init__(num_classes, name=name or "io_u", dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        ids = [int(c) for c in np.atleast_1d(np.asarray(target_class_ids)).ravel()]
        if not ids:
            raise ValueError(f"{type(self).__name__}: target_class_ids must name at least one class.")
        bad = [c for c in ids if not 0 <= c < self.num_classes]
        if bad:
            raise ValueError(f"{type(self).__name__}: target_class_ids {bad} are out of range [0, {self.num_classes}).")
        self.target_class_ids = ids

    def result(self) -> float:
        cm = self.total_cm.data
        xp = get_array_module(cm)
        tp = xp.diag(cm)
        denominator = cm.sum(axis=0) + cm.sum(axis=1) - tp
        ids = xp.asarray(self.target_class_ids)
        tp, denominator = tp[ids], denominator[ids]
        valid = denominator > 1e-9
        iou = xp.where(valid, tp / (denominator + EPSILON), 0.0)
        return float(iou.sum() / (valid.sum() + EPSILON))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_class_ids": list(self.target_class_ids)}


class BinaryIoU(IoU):
    """IoU of binary masks (Keras 3's ``keras.metrics.BinaryIoU``): predictions ``>= threshold`` are class 1,
    the rest class 0; the result is the mean IoU over ``target_class_ids`` (``(0, 1)``, ``[0]`` or ``[1]``).

    Args:
        target_class_ids: Which of the two classes to average.
        threshold: Probability (or logit) at or above which a prediction counts as class 1.
        name, dtype: Name and dtype of the metric.
    """

    def __init__(self, target_class_ids: Sequence[int] = (0, 1), threshold: float = 0.5, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(2, target_class_ids, name=name or "binary_io_u", dtype=dtype)
        self.threshold = float(threshold)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        p = as_array(y_pred)
        super().update_state(y_true, (p >= self.threshold).astype(np.int64), sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {"target_class_ids": list(self.target_class_ids), "threshold": self.threshold, "name": self.name,
                "dtype": self.dtype}


class OneHotIoU(IoU):
    """:class:`IoU` for one-hot targets (Keras 3's ``keras.metrics.OneHotIoU``): the arg-max over ``axis`` of
    ``y_true`` (and of ``y_pred`` unless ``sparse_y_pred``) gives the class ids."""

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False, axis: int = -1) -> None:
        super().__init__(num_classes, target_class_ids, name=name or "one_hot_io_u", dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("sparse_y_true")
        return config


class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` for one-hot targets (Keras 3's ``keras.metrics.OneHotMeanIoU``)."""

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_pred: bool = False, axis: int = -1) -> None:
        super().__init__(num_classes, name=name or "one_hot_mean_io_u", dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("sparse_y_true")
        return config


def dice_coefficient(y_true: Any, y_pred: Any, threshold: float | None = 0.5, per_sample: bool = False) -> float:
    r"""The Dice (Sørensen) coefficient :math:`2|T \cap P| / (|T| + |P|)` of two masks, in [0, 1].

    Args:
        y_true: the true mask (0/1 values, any shape).
        y_pred: predicted probabilities or a mask, the same shape as ``y_true``.
        threshold: ``y_pred >= threshold`` is the predicted mask; ``None`` computes the soft Dice
            :math:`2\sum t p / (\sum t + \sum p)` on the raw values.
        per_sample: ``False`` pools every pixel into one score; ``True`` scores each sample (the first axis)
            alone and returns the mean, counting a sample whose true and predicted masks are both empty as 1.

    Returns:
        The coefficient as a Python float (1.0 when both masks are empty).
    """
    t = np.asarray(to_numpy(as_array(y_true)), dtype=np.float64)
    p = np.asarray(to_numpy(as_array(y_pred)), dtype=np.float64)
    if t.shape != p.shape:
        raise ValueError(f"dice_coefficient: y_true has shape {t.shape} but y_pred has shape {p.shape}.")
    if t.size == 0:
        raise ValueError("dice_coefficient: y_true and y_pred are empty.")
    if threshold is not None:
        p = (p >= threshold).astype(np.float64)
    if per_sample:
        t, p = t.reshape(len(t), -1), p.reshape(len(p), -1)
        inter, total = (t * p).sum(axis=1), t.sum(axis=1) + p.sum(axis=1)
        return float(np.mean(np.where(total > 0, 2 * inter / np.where(total > 0, total, 1.0), 1.0)))
    total = t.sum() + p.sum()
    return 1.0 if total == 0 else float(2 * (t * p).sum() / total)

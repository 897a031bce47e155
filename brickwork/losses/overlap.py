"""Overlap losses for segmentation: Dice and Tversky (Keras's definitions, ``epsilon = 1e-7``)."""

from __future__ import annotations

from typing import Any

from brickwork import functions as F
from brickwork.engine.device import asarray
from brickwork.engine.tensor import Tensor
from brickwork.losses.base import LossFunctionWrapper, standardize_targets

EPSILON = 1e-7


def _inputs(y_true: Any, y_pred: Any, name: str) -> tuple[Tensor, Tensor]:
    y_pred = y_pred if isinstance(y_pred, Tensor) else Tensor(asarray(y_pred))
    return standardize_targets(y_true, y_pred, name), y_pred


def dice(y_true: Any, y_pred: Any, axis: Any = None) -> Tensor:
    r""":math:`1 - \frac{2\sum y\hat y}{\sum y + \sum \hat y + \epsilon}`, summed over ``axis``
    (None: every axis, giving one value for the batch)."""
    y_true, y_pred = _inputs(y_true, y_pred, "dice")
    axis = tuple(axis) if isinstance(axis, list) else axis
    inter = F.sum(y_true * y_pred, axis=axis)
    return 1.0 - inter * 2.0 / (F.sum(y_true, axis=axis) + F.sum(y_pred, axis=axis) + EPSILON)


def tversky(y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: Any = None) -> Tensor:
    r""":math:`1 - \frac{T}{T + \alpha\sum y(1-\hat y) + \beta\sum \hat y(1-y) + \epsilon}` with
    :math:`T = \sum y\hat y`, summed over ``axis`` (Keras weights the missed positives by ``alpha``
    and the false alarms by ``beta``; ``alpha = beta = 0.5`` is the Dice loss)."""
    y_true, y_pred = _inputs(y_true, y_pred, "tversky")
    axis = tuple(axis) if isinstance(axis, list) else axis
    inter = F.sum(y_true * y_pred, axis=axis)
    missed = F.sum(y_true * (1.0 - y_pred), axis=axis)
    false_alarm = F.sum(y_pred * (1.0 - y_true), axis=axis)
    return 1.0 - inter / (inter + missed * alpha + false_alarm * beta + EPSILON)


class Dice(LossFunctionWrapper):
    """Dice loss (``loss='dice'``).

    Args:
        reduction: ``'sum_over_batch_size'`` (default), ``'sum'``, ``'none'`` or None.
        name: Name of the loss.
        axis: Axes summed over (None: all of them).
        dtype: Kept for Keras compatibility.
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "dice", axis: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Tversky(LossFunctionWrapper):
    """Tversky loss (``loss='tversky'``).

    Args:
        alpha: Weight of the missed positives :math:`\\sum y(1-\\hat y)`.
        beta: Weight of the false alarms :math:`\\sum \\hat y(1-y)`.
        reduction, name, axis, dtype: As :class:`Dice`.
    """

    def __init__(self, alpha: float = 0.5, beta: float = 0.5, reduction: Any = "sum_over_batch_size",
                 name: str = "tversky", axis: Any = None, dtype: Any = None) -> None:
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha, beta=beta, axis=axis)

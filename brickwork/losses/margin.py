"""Hinge losses for maximum-margin classifiers: hinge, squared hinge, categorical hinge."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.device import asarray
from brickwork.engine.tensor import Tensor
from brickwork.losses.base import LossFunctionWrapper, standardize_targets


def _signed_labels(y_true: Any, y_pred: Any, name: str) -> tuple[Tensor, Tensor]:
    """Targets in {-1, 1}: labels that are all 0 or 1 become :math:`2y - 1`; others are kept (Keras's rule)."""
    y_pred = y_pred if isinstance(y_pred, Tensor) else Tensor(asarray(y_pred))
    y_true = standardize_targets(y_true, y_pred, name)
    t = y_true.data
    if np.all((t == 0) | (t == 1)):
        t = 2.0 * t - 1.0
    return Tensor(t.astype(y_pred.dtype)), y_pred


def hinge(y_true: Any, y_pred: Any) -> Tensor:
    r"""Per sample :math:`\frac1d\sum_j \max(1 - y_j \hat y_j, 0)` with :math:`y \in \{-1, 1\}`."""
    y_true, y_pred = _signed_labels(y_true, y_pred, "hinge")
    return F.mean(F.relu(1.0 - y_true * y_pred), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Tensor:
    r"""Per sample :math:`\frac1d\sum_j \max(1 - y_j \hat y_j, 0)^2` with :math:`y \in \{-1, 1\}`."""
    y_true, y_pred = _signed_labels(y_true, y_pred, "squared_hinge")
    margin = F.relu(1.0 - y_true * y_pred)
    return F.mean(margin * margin, axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> Tensor:
    r"""Per sample :math:`\max(\max_j (1 - y_j)\hat y_j - \sum_j y_j \hat y_j + 1, 0)` over one-hot targets."""
    y_pred = y_pred if isinstance(y_pred, Tensor) else Tensor(asarray(y_pred))
    y_true = standardize_targets(y_true, y_pred, "categorical_hinge")
    pos = F.sum(y_true * y_pred, axis=-1)
    neg = F.max((1.0 - y_true) * y_pred, axis=-1)
    return F.relu(neg - pos + 1.0)


class Hinge(LossFunctionWrapper):
    """Hinge loss (``loss='hinge'``); 0/1 labels are mapped to -1/1.

    Args:
        reduction: ``'sum_over_batch_size'`` (default), ``'sum'``, ``'none'`` or None.
        name: Name of the loss.
        dtype: Kept for Keras compatibility.
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "hinge", dtype: Any = None) -> None:
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss (``loss='squared_hinge'``); arguments as :class:`Hinge`."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "squared_hinge",
                 dtype: Any = None) -> None:
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss over one-hot targets (``loss='categorical_hinge'``); arguments as :class:`Hinge`."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "categorical_hinge",
                 dtype: Any = None) -> None:
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)

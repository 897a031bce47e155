"""Regression and distribution losses: MAPE, MSLE, log-cosh, Poisson, KL divergence, cosine similarity.

Every function maps ``(y_true, y_pred)`` to per-sample values (Keras's
definitions, with ``epsilon = 1e-7``); gradients flow to ``y_pred``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.device import asarray
from brickwork.engine.tensor import Tensor
from brickwork.losses.base import LossFunctionWrapper, standardize_targets

EPSILON = 1e-7


def _inputs(y_true: Any, y_pred: Any, name: str) -> tuple[Tensor, Tensor]:
    y_pred = y_pred if isinstance(y_pred, Tensor) else Tensor(asarray(y_pred))
    return standardize_targets(y_true, y_pred, name), y_pred


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    r"""Per sample :math:`\frac{100}{d}\sum_j \frac{|y_j - \hat y_j|}{\max(|y_j|, \epsilon)}`."""
    y_true, y_pred = _inputs(y_true, y_pred, "mean_absolute_percentage_error")
    scale = 1.0 / np.maximum(np.abs(y_true.data), EPSILON)
    return F.mean(F.abs(y_true - y_pred) * Tensor(scale.astype(y_pred.dtype)), axis=-1) * 100.0


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    r"""Per sample :math:`\frac1d\sum_j (\ln(\max(\hat y_j,\epsilon) + 1) - \ln(\max(y_j,\epsilon) + 1))^2`."""
    y_true, y_pred = _inputs(y_true, y_pred, "mean_squared_logarithmic_error")
    first = F.log(F.maximum(y_pred, EPSILON) + 1.0)
    second = np.log(np.maximum(y_true.data, EPSILON) + 1.0).astype(y_pred.dtype)
    diff = first - Tensor(second)
    return F.mean(diff * diff, axis=-1)


def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    r"""Per sample :math:`\frac1d\sum_j \ln\cosh(e_j)` with :math:`e = \hat y - y`, computed as
    :math:`e + \mathrm{softplus}(-2e) - \ln 2` (no overflow for large errors)."""
    y_true, y_pred = _inputs(y_true, y_pred, "log_cosh")
    err = y_pred - y_true
    return F.mean(err + F.softplus(err * -2.0) - math.log(2.0), axis=-1)


def poisson(y_true: Any, y_pred: Any) -> Tensor:
    r"""Per sample :math:`\frac1d\sum_j \hat y_j - y_j \ln(\hat y_j + \epsilon)`."""
    y_true, y_pred = _inputs(y_true, y_pred, "poisson")
    return F.mean(y_pred - y_true * F.log(y_pred + EPSILON), axis=-1)


def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    r"""Per sample :math:`\sum_j y_j \ln(y_j / \hat y_j)`, both clipped to :math:`[\epsilon, 1]`."""
    y_true, y_pred = _inputs(y_true, y_pred, "kl_divergence")
    t = np.clip(y_true.data, EPSILON, 1.0)
    p = F.clip(y_pred, EPSILON, 1.0)
    return F.sum(Tensor(t) * (Tensor(np.log(t)) - F.log(p)), axis=-1)


def _l2_normalize(x: Any, axis: int) -> Any:
    r""":math:`x \cdot \min(1/\lVert x\rVert, 1/\epsilon) = x / \sqrt{\max(\lVert x\rVert^2, \epsilon^2)}`."""
    if isinstance(x, Tensor):
        return x / F.sqrt(F.maximum(F.sum(x * x, axis=axis, keepdims=True), EPSILON ** 2))
    return x / np.sqrt(np.maximum(np.sum(x * x, axis=axis, keepdims=True), EPSILON ** 2))


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    r"""Per sample :math:`-\sum_j \bar y_j \bar{\hat y}_j` of the L2-normalised vectors
    (-1 for identical directions, 0 for orthogonal ones), as Keras's loss."""
    y_true, y_pred = _inputs(y_true, y_pred, "cosine_similarity")
    t = _l2_normalize(y_true.data, axis)
    return -F.sum(Tensor(t) * _l2_normalize(y_pred, axis), axis=axis)


mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
logcosh = log_cosh


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error (``loss='mape'``).

    Args:
        reduction: ``'sum_over_batch_size'`` (default), ``'sum'``, ``'none'`` or None.
        name: Name of the loss.
        dtype: Kept for Keras compatibility.
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "mean_absolute_percentage_error",
                 dtype: Any = None) -> None:
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error (``loss='msle'``); arguments as :class:`MeanAbsolutePercentageError`."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "mean_squared_logarithmic_error",
                 dtype: Any = None) -> None:
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype)


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the error (``loss='log_cosh'``)."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "log_cosh", dtype: Any = None) -> None:
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)


class Poisson(LossFunctionWrapper):
    """Poisson negative log-likelihood up to a constant (``loss='poisson'``)."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "poisson", dtype: Any = None) -> None:
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence of the predicted from the true distribution (``loss='kl_divergence'``)."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "kl_divergence",
                 dtype: Any = None) -> None:
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along ``axis`` (``loss='cosine_similarity'``).

    Args:
        axis: The axis of the vectors (default -1).
        reduction, name, dtype: As :class:`MeanAbsolutePercentageError`.
    """

    def __init__(self, axis: int = -1, reduction: Any = "sum_over_batch_size", name: str = "cosine_similarity",
                 dtype: Any = None) -> None:
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)

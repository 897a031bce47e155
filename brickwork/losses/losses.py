"""The loss functions and their class forms."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.device import asarray
from brickwork.engine.tensor import Tensor
from brickwork.losses.base import LossFunctionWrapper, standardize_targets

EPSILON = 1e-7  # Keras's backend.epsilon(): probabilities are clipped to [eps, 1 - eps]


def _pred(y_pred: Any) -> Tensor:
    return y_pred if isinstance(y_pred, Tensor) else Tensor(asarray(y_pred))


def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    r"""Per-sample :math:`\frac1d\sum_j (y_j - \hat y_j)^2` (seed 002's MSE)."""
    y_pred = _pred(y_pred)
    y_true = standardize_targets(y_true, y_pred, "mean_squared_error")
    diff = y_pred - y_true
    return F.mean(diff * diff, axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    r"""Per-sample :math:`\frac1d\sum_j |y_j - \hat y_j|`."""
    y_pred = _pred(y_pred)
    y_true = standardize_targets(y_true, y_pred, "mean_absolute_error")
    return F.mean(F.abs(y_pred - y_true), axis=-1)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    r"""Per-sample mean of :math:`\tfrac12 e^2` for :math:`|e| \le \delta`, else
    :math:`\delta(|e| - \tfrac12\delta)`, with :math:`e = y - \hat y`."""
    y_pred = _pred(y_pred)
    y_true = standardize_targets(y_true, y_pred, "huber")
    err = F.abs(y_pred - y_true)
    quadratic = err * err * 0.5
    linear = (err - 0.5 * delta) * delta
    return F.mean(F.where(err.data <= delta, quadratic, linear), axis=-1)


_WARNED_OUT_OF_RANGE: set[str] = set()


def check_binary_labels(y_true: Any, loss_name: str) -> None:
    """Binary targets belong in ``[0, 1]`` (0/1 labels or probabilities). Whole-number targets outside it
    (a label of 2: class indices given to a binary loss) raise a ValueError naming the loss and the value;
    fractional ones slightly outside (keras-io's GAN adds ``0.05 * uniform`` noise to its 0/1 labels) are
    accepted, as Keras accepts them, with a warning. One min and one max over concrete label arrays."""
    data = y_true.data if isinstance(y_true, Tensor) else y_true
    if not isinstance(data, np.ndarray) or data.size == 0 or data.dtype.kind not in "fiub":
        return
    low, high = data.min(), data.max()
    if low >= 0 and high <= 1:
        return
    bad = low if low < 0 else high
    message = (f"{loss_name}: targets must be in [0, 1] (0/1 labels or probabilities); got a target of "
               f"{bad.item()!r} (targets range over [{low.item()!r}, {high.item()!r}], shape {data.shape}).")
    outside = data[(data < 0) | (data > 1)]
    if np.all(outside == np.round(outside)):
        raise ValueError(message + " For class indices 0..K-1 use sparse_categorical_crossentropy.")
    if loss_name not in _WARNED_OUT_OF_RANGE:  # once per loss and process: the values change every batch, so
        _WARNED_OUT_OF_RANGE.add(loss_name)  # Python's own de-duplication would repeat it on each step
        warnings.warn(message + " The loss is not bounded below for such targets (warned once).", RuntimeWarning,
                      stacklevel=3)


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0,
                        axis: int = -1) -> Tensor:
    r"""Per-sample mean of :math:`-[y\ln p + (1-y)\ln(1-p)]` (seed 002's BCE).

    With ``from_logits=True``, or when ``y_pred`` came out of a sigmoid layer
    (its logits are remembered), the exact form
    :math:`\max(z,0) - zy + \ln(1+e^{-|z|})` is used: no overflow and no
    :math:`\ln 0` even for saturated outputs. Otherwise :math:`p` is clipped to
    :math:`[10^{-7}, 1-10^{-7}]` as in Keras.
    """
    y_pred = _pred(y_pred)
    y_true = standardize_targets(y_true, y_pred, "binary_crossentropy")
    check_binary_labels(y_true, "binary_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    logits = y_pred if from_logits else getattr(y_pred, "_keras_logits", None)
    if logits is not None:
        return F.mean(F.sigmoid_cross_entropy_with_logits(logits, y_true), axis=axis)
    p = F.clip(y_pred, EPSILON, 1.0 - EPSILON)
    return F.mean(-(y_true * F.log(p) + (1.0 - y_true) * F.log(1.0 - p)), axis=axis)


def cost_sensitive_binary_crossentropy(y_true: Any, y_pred: Any, alpha: float = 1.0,
                                       from_logits: bool = False) -> Tensor:
    r"""Binary cross-entropy where a false positive costs :math:`\alpha` times a false negative.

    Seed 003, example 3: a broker for whom predicting "increase" when the price
    falls is :math:`\alpha` times worse than the opposite mistake. The penalty of
    each negative example is scaled by :math:`\alpha`:

    .. math:: \ell = -[\,y \ln p + \alpha (1 - y) \ln(1 - p)\,]

    With logits :math:`z`: :math:`\ell = y\,\mathrm{softplus}(-z) + \alpha(1-y)\,\mathrm{softplus}(z)`.
    ``alpha=1`` is the ordinary binary cross-entropy.
    """
    y_pred = _pred(y_pred)
    y_true = standardize_targets(y_true, y_pred, "cost_sensitive_binary_crossentropy")
    check_binary_labels(y_true, "cost_sensitive_binary_crossentropy")
    logits = y_pred if from_logits else getattr(y_pred, "_keras_logits", None)
    if logits is not None:
        elem = y_true * F.softplus(-logits) + (1.0 - y_true) * F.softplus(logits) * alpha
    else:
        p = F.clip(y_pred, EPSILON, 1.0 - EPSILON)
        elem = -(y_true * F.log(p) + (1.0 - y_true) * F.log(1.0 - p) * alpha)
    return F.mean(elem, axis=-1)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0,
                             axis: int = -1) -> Tensor:
    r"""Per-sample :math:`-\sum_j y_j \ln p_j` over one-hot (or soft) targets (seed 002's CCE).

    Logits (``from_logits=True`` or a softmax output) use the fused stable
    log-softmax form; probabilities are renormalised and clipped as Keras does.
    """
    y_pred = _pred(y_pred)
    y_true = standardize_targets(y_true, y_pred, "categorical_crossentropy")
    if label_smoothing:
        k = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / k
    logits = y_pred if from_logits else getattr(y_pred, "_keras_logits", None)
    if logits is not None:
        return F.softmax_cross_entropy_with_logits(logits, y_true, axis=axis)
    p = y_pred / F.sum(y_pred, axis=axis, keepdims=True)
    p = F.clip(p, EPSILON, 1.0 - EPSILON)
    return -F.sum(y_true * F.log(p), axis=axis)


def _check_labels(labels: np.ndarray, num_classes: int, name: str) -> np.ndarray:
    if labels.dtype.kind == "f":
        if not np.all(np.mod(labels, 1) == 0):
            raise ValueError(f"{name}: labels must be integer class indices; got non-integer values.")
        labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = int(labels.min() if labels.min() < 0 else labels.max())
        raise ValueError(f"{name}: label {bad} is out of range for {num_classes} classes "
                         f"(valid labels are 0..{num_classes - 1}); labels have shape {labels.shape}.")
    return labels


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1) -> Tensor:
    r"""Per-sample :math:`-\ln p_{k}` for integer labels :math:`k` (no one-hot needed).

    Labels equal to ``ignore_class`` give a loss of 0 and are masked out of the
    reduction (the result carries a Keras mask), as Keras's ``ignore_class``.
    """
    y_pred = _pred(y_pred)
    y_true = standardize_targets(y_true, y_pred, "sparse_categorical_crossentropy", sparse=True)
    if ignore_class is not None:
        valid = y_true.data != ignore_class
        values = sparse_categorical_crossentropy(np.where(valid, y_true.data, 0), y_pred, from_logits=from_logits,
                                                 axis=axis)
        values = values * Tensor(valid.astype(values.dtype))
        values._keras_mask = valid
        return values
    labels = _check_labels(y_true.data, y_pred.shape[-1], "sparse_categorical_crossentropy")
    logits = y_pred if from_logits else getattr(y_pred, "_keras_logits", None)
    if logits is not None:
        return F.sparse_softmax_cross_entropy_with_logits(logits, labels)
    p = F.clip(y_pred / F.sum(y_pred, axis=-1, keepdims=True), EPSILON, 1.0 - EPSILON)
    flat = F.reshape(p, (-1, p.shape[-1]))
    picked = F.getitem(flat, (np.arange(flat.shape[0]), labels.reshape(-1)))
    return -F.reshape(F.log(picked), labels.shape)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


class MeanSquaredError(LossFunctionWrapper):
    """Mean squared error (``loss='mse'``)."""

    def __init__(self, name: str = "mean_squared_error",
                 reduction: Any = "sum_over_batch_size", dtype: Any = None, **kw: Any):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean absolute error (``loss='mae'``)."""

    def __init__(self, name: str = "mean_absolute_error",
                 reduction: Any = "sum_over_batch_size", dtype: Any = None, **kw: Any):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class Huber(LossFunctionWrapper):
    """Huber loss with threshold ``delta``."""

    def __init__(self, delta: float = 1.0, name: str = "huber_loss",
                 reduction: Any = "sum_over_batch_size", dtype: Any = None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy (``loss='binary_crossentropy'``)."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 name: str = "binary_crossentropy", reduction: Any = "sum_over_batch_size", dtype: Any = None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CostSensitiveBinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy where a false positive costs ``alpha`` times a false negative (seed 003)."""

    def __init__(self, alpha: float = 2.0, from_logits: bool = False,
                 name: str = "cost_sensitive_binary_crossentropy",
                 reduction: Any = "sum_over_batch_size", dtype: Any = None):
        super().__init__(cost_sensitive_binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         alpha=alpha, from_logits=from_logits)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy over one-hot targets."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 name: str = "categorical_crossentropy", reduction: Any = "sum_over_batch_size", dtype: Any = None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy over integer labels."""

    sparse = True

    def __init__(self, from_logits: bool = False, name: str = "sparse_categorical_crossentropy",
                 reduction: Any = "sum_over_batch_size", ignore_class: int | None = None, dtype: Any = None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class)

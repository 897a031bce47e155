"""F-scores: :class:`FBetaScore` and :class:`F1Score` (Keras 3's definitions)."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.backend import get_array_module, to_numpy
from brickwork.metrics.base import Metric, as_array

EPSILON = 1e-7


class FBetaScore(Metric):
    r"""The F-beta score :math:`(1+\beta^2)\frac{PR}{\beta^2 P + R}` of multi-label or one-hot predictions.

    Args:
        average: None (one score per class), ``'micro'`` (from the counts pooled over classes),
            ``'macro'`` (unweighted mean of the class scores) or ``'weighted'`` (mean weighted by
            each class's number of true instances).
        beta: The weight of recall relative to precision (a float > 0).
        threshold: Predictions above it are positive; None: the arg-max of each row is positive.
        name, dtype: Name and dtype of the metric.

    Input shape:
        ``y_true`` and ``y_pred`` of shape ``(batch, num_classes)``.
    """

    def __init__(self, average: str | None = None, beta: float = 1.0, threshold: float | None = None,
                 name: str = "fbeta_score", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"{type(self).__name__}: invalid average={average!r}; expected one of None, "
                             "'micro', 'macro', 'weighted'.")
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"{type(self).__name__}: beta must be a Python float > 0; got beta={beta!r}.")
        if threshold is not None and (not isinstance(threshold, float) or not 0.0 < threshold <= 1.0):
            raise ValueError(f"{type(self).__name__}: threshold must be a Python float with 0 < threshold <= 1; "
                             f"got threshold={threshold!r}.")
        self.average, self.beta, self.threshold = average, beta, threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, true_shape: tuple[int, ...], pred_shape: tuple[int, ...]) -> None:
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise ValueError(f"{type(self).__name__} expects 2D inputs of shape (batch_size, output_dim); got "
                             f"y_pred.shape={pred_shape} and y_true.shape={true_shape}.")
        shape = () if self.average == "micro" else (pred_shape[-1],)
        self.true_positives, self.false_positives, self.false_negatives, self.intermediate_weights = (
            self.add_variable(shape=shape, initializer="zeros", dtype="float64", name=key)
            for key in ("true_positives", "false_positives", "false_negatives", "intermediate_weights"))
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t = as_array(y_true).astype(np.float64)
        p = as_array(y_pred).astype(np.float64)
        xp = get_array_module(t, p)
        if not self._built:
            self._build(t.shape, p.shape)
        if self.threshold is None:
            p = ((p >= p.max(axis=-1, keepdims=True)) & (xp.abs(p) > 1e-9)).astype(np.float64)
        else:
            p = (p > self.threshold).astype(np.float64)
        w = None if sample_weight is None else as_array(sample_weight).astype(np.float64).reshape(-1, 1)

        def weighted_sum(v: Any) -> Any:
            return xp.sum(v if w is None else v * w, axis=self.axis)

        self.true_positives.assign_add(weighted_sum(p * t))
        self.false_positives.assign_add(weighted_sum(p * (1 - t)))
        self.false_negatives.assign_add(weighted_sum((1 - p) * t))
        self.intermediate_weights.assign_add(weighted_sum(t))

    def result(self) -> Any:
        if not self._built:
            return 0.0
        tp, fp, fn = self.true_positives.data, self.false_positives.data, self.false_negatives.data
        xp = get_array_module(tp)
        precision = tp / (tp + fp + EPSILON)
        recall = tp / (tp + fn + EPSILON)
        b2 = self.beta ** 2
        score = (1 + b2) * precision * recall / (b2 * precision + recall + EPSILON)
        if self.average == "weighted":
            weights = self.intermediate_weights.data
            return float(xp.sum(score * weights / (xp.sum(weights) + EPSILON)))
        if self.average is not None:
            return float(xp.mean(score))
        return to_numpy(score.copy())

    def reset_state(self) -> None:
        for v in self.variables:
            v.assign(get_array_module(v.data).zeros(v.shape, v.dtype))

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update(average=self.average, beta=self.beta, threshold=self.threshold)
        return cfg


class F1Score(FBetaScore):
    """The F1 score :math:`2PR/(P+R)`: :class:`FBetaScore` with ``beta=1.0``; arguments as there."""

    def __init__(self, average: str | None = None, threshold: float | None = None, name: str = "f1_score",
                 dtype: Any = None) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        del cfg["beta"]
        return cfg

"""Regression metrics."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brickwork.backend import get_array_module, to_numpy
from brickwork.metrics.base import Metric, as_array
from brickwork.metrics.reduction import MeanMetricWrapper


def mse(y_true: Any, y_pred: Any) -> Any:
    return get_array_module(y_true, y_pred).mean((y_pred - y_true) ** 2, axis=-1)


def mae(y_true: Any, y_pred: Any) -> Any:
    xp = get_array_module(y_true, y_pred)
    return xp.mean(xp.abs(y_pred - y_true), axis=-1)


class MeanSquaredError(MeanMetricWrapper):
    """Running mean of the squared error."""

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(mse, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean of the absolute error."""

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(mae, name=name, dtype=dtype)


class RootMeanSquaredError(MeanMetricWrapper):
    """Square root of the running mean squared error."""

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(mse, name=name, dtype=dtype)

    def result(self) -> float:
        return math.sqrt(super().result())


def mape(y_true: Any, y_pred: Any) -> Any:
    r"""Per sample :math:`\frac{100}{d}\sum_j |y_j - \hat y_j| / \max(|y_j|, 10^{-7})`."""
    xp = get_array_module(y_true, y_pred)
    return 100.0 * xp.mean(xp.abs((y_true - y_pred) / xp.maximum(xp.abs(y_true), 1e-7)), axis=-1)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Running mean of the absolute percentage error."""

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None) -> None:
        super().__init__(mape, name=name, dtype=dtype)


class R2Score(Metric):
    r"""Coefficient of determination :math:`R^2 = 1 - SS_{res}/SS_{tot}` per output column, accumulated
    over batches (with sample weights), as Keras's ``R2Score``.

    Args:
        class_aggregation: ``'uniform_average'`` (mean over columns), ``'variance_weighted_average'``
            (weighted by each column's total variance) or None (one score per column).
        num_regressors: Number of regressors :math:`p` for the adjusted score
            :math:`1 - (1 - R^2)\frac{n - 1}{n - p - 1}` (0: plain :math:`R^2`).
        name, dtype: Name and dtype of the metric.

    Input shape:
        ``y_true`` and ``y_pred`` of shape ``(batch, num_outputs)``.
    """

    def __init__(self, class_aggregation: str | None = "uniform_average", num_regressors: int = 0,
                 name: str = "r2_score", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError(f"R2Score: invalid class_aggregation={class_aggregation!r}; expected None, "
                             "'uniform_average' or 'variance_weighted_average'.")
        if num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be >= 0; got {num_regressors}.")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable(shape=(), initializer="zeros", dtype="float64", name="num_samples")
        self._built = False

    def _build(self, shape: tuple[int, ...]) -> None:
        if len(shape) != 2:
            raise ValueError(f"R2Score expects 2D inputs of shape (batch_size, output_dim); got shape {shape}.")
        n = shape[-1]
        self.squared_sum, self.sum, self.total_mse, self.count = (
            self.add_variable(shape=(n,), initializer="zeros", dtype="float64", name=key)
            for key in ("squared_sum", "sum", "residual", "count"))
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        p = as_array(y_pred).astype(np.float64)
        t = as_array(y_true).astype(np.float64)
        xp = get_array_module(t, p)
        if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
            t = t[..., 0]
        elif p.ndim == t.ndim + 1 and p.shape[-1] == 1:
            p = p[..., 0]
        if not self._built:
            self._build(t.shape)
        w = xp.asarray(1.0) if sample_weight is None else as_array(sample_weight).astype(np.float64)
        if w.ndim == 1:
            w = w[:, None]
        w = xp.broadcast_to(w, t.shape)
        self.sum.assign_add(xp.sum(t * w, axis=0))
        self.squared_sum.assign_add(xp.sum(t * t * w, axis=0))
        self.total_mse.assign_add(xp.sum((t - p) ** 2 * w, axis=0))
        self.count.assign_add(xp.sum(w, axis=0))
        self.num_samples.assign_add(t.size)

    def result(self) -> Any:
        import warnings

        if not self._built:
            return 0.0
        xp = get_array_module(self.sum.data)
        with np.errstate(divide="ignore", invalid="ignore"):  # NumPy's warning switch (CuPy does not warn)
            mean = self.sum.data / self.count.data
            total = self.squared_sum.data - self.sum.data * mean
            raw = 1 - self.total_mse.data / total
        raw = xp.where(xp.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = xp.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = xp.sum(total * raw) / xp.sum(total)
        else:
            score = raw
        n, k = float(self.num_samples.data), self.num_regressors
        if k:
            if k > n - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 score. Falling back "
                              "to standard R2 score.", stacklevel=2)
            elif k == n - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                              stacklevel=2)
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - k - 1.0)
        return float(score) if xp.ndim(score) == 0 else to_numpy(score)

    def reset_state(self) -> None:
        for v in self.variables:
            v.assign(get_array_module(v.data).zeros(v.shape, v.dtype))

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update(class_aggregation=self.class_aggregation, num_regressors=self.num_regressors)
        return cfg

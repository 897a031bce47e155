"""Regression metrics."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.metrics.base import MeanMetricWrapper


def mse(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    return np.mean((y_pred - y_true) ** 2, axis=-1)


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    return np.mean(np.abs(y_pred - y_true), axis=-1)


class MeanSquaredError(MeanMetricWrapper):
    """Running mean of the squared error."""

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(mse, name=name)


class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean of the absolute error."""

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(mae, name=name)


class RootMeanSquaredError(MeanMetricWrapper):
    """Square root of the running mean squared error."""

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(mse, name=name)

    def result(self) -> float:
        return float(np.sqrt(super().result()))

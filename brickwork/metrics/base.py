"""Metric base classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from brickwork.engine.tensor import Tensor


def to_numpy(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def align(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Expand or squeeze a trailing axis of 1 so ``y_true`` matches ``y_pred``'s rank."""
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        return y_true[..., None]
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        return y_true[..., 0]
    return y_true


class Metric:
    """Base class: subclasses implement ``update_state``, ``result``, ``reset_state``."""

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        from brickwork.utils.naming import to_snake_case

        self.name = name or to_snake_case(type(self).__name__)
        self.reset_state()

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        raise NotImplementedError

    def result(self) -> float:
        raise NotImplementedError

    def reset_state(self) -> None:
        raise NotImplementedError

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
        """Update with one batch and return the running result."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """Weighted running mean of the values given to ``update_state(values, sample_weight)``."""

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values: Any, sample_weight: Any = None, _unused: Any = None) -> None:
        v = to_numpy(values).astype(np.float64)
        if sample_weight is None:
            self.total += float(v.sum())
            self.count += v.size
        else:
            w = np.broadcast_to(to_numpy(sample_weight).astype(np.float64).reshape(
                to_numpy(sample_weight).shape + (1,) * (v.ndim - np.ndim(sample_weight))), v.shape)
            self.total += float((v * w).sum())
            self.count += float(w.sum())

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred)`` per sample."""

    def __init__(self, fn: Callable[..., np.ndarray], name: str | None = None, **kwargs: Any) -> None:
        self.fn, self.fn_kwargs = fn, kwargs
        super().__init__(name=name or fn.__name__)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = to_numpy(y_pred)
        y_true = to_numpy(y_true)
        if y_pred.ndim == 1:  # one value per sample: give it a feature axis so it is not averaged away
            y_pred = y_pred[:, None]
        y_true = align(y_true, y_pred)
        values = self.fn(y_true, y_pred, **self.fn_kwargs)
        super().update_state(values, sample_weight)

"""Reduction metrics: :class:`Sum`, :class:`Mean` and :class:`MeanMetricWrapper` (Keras 3's rules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from brickwork.backend import get_array_module
from brickwork.losses.reduction import align_weights, apply_mask
from brickwork.metrics.base import Metric, align, as_array, get_mask


def samplewise_values(values: Any, sample_weight: Any, reduce_fn: str) -> tuple[Any, Any]:
    """Reduce ``values`` (and the weights) to one value per sample, as Keras's
    ``reduce_to_samplewise_values``: a mask on ``values`` multiplies the weights;
    the values are reduced with ``reduce_fn`` (the name of an array-module reduction,
    ``'sum'`` or ``'mean'``) over the axes the weights lack, multiplied by the weights,
    and both are reduced over their non-batch axes.
    """
    mask = get_mask(values)
    v = as_array(values).astype(np.float64)
    xp = get_array_module(v)
    reduce = getattr(xp, reduce_fn)
    sw = None
    if sample_weight is not None:
        sw = as_array(sample_weight).astype(np.float64)
        if mask is not None:
            sw = apply_mask(sw, mask, "sum")
        if sw.ndim > v.ndim:
            sw = align_weights(sw, v.ndim)
        elif v.ndim == sw.ndim + 1 and v.shape[-1] == 1:
            v = v[..., 0]
        if v.ndim > sw.ndim:
            v = reduce(v, axis=tuple(range(sw.ndim, v.ndim)))
        try:
            sw = xp.broadcast_to(sw, v.shape)
        except ValueError:
            raise ValueError(f"sample_weight of shape {sw.shape} does not match values of shape {v.shape}.") from None
        v = v * sw
        if sw.ndim > 1:
            sw = reduce(sw, axis=tuple(range(1, sw.ndim)))
    if v.ndim > 1:
        v = reduce(v, axis=tuple(range(1, v.ndim)))
    return v, sw


class Sum(Metric):
    """Running (weighted) sum of the values given to ``update_state(values, sample_weight=None)``.

    Args:
        name: Name of the metric.
        dtype: dtype of the state.
    """

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype="float64", name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        v, _ = samplewise_values(values, sample_weight, "sum")
        self.total.assign_add(get_array_module(v).sum(v))

    def result(self) -> float:
        return float(self.total.data)


class Mean(Metric):
    """Weighted running mean of the values given to ``update_state(values, sample_weight=None)``:
    :math:`\\sum_i w_i v_i / \\sum_i w_i` (values of a sample with several entries are averaged first).

    Args:
        name: Name of the metric.
        dtype: dtype of the state.
    """

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype="float64", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype="float64", name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        v, sw = samplewise_values(values, sample_weight, "mean")
        xp = get_array_module(v)
        self.total.assign_add(xp.sum(v))
        if sw is not None:
            n = float(xp.sum(sw))
        else:
            n = v.shape[0] if v.ndim >= 1 else 1
        self.count.assign_add(n)

    def result(self) -> float:
        count = float(self.count.data)
        return float(self.total.data) / count if count else 0.0


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)`` per sample.

    A Keras mask on ``y_pred`` (``y_pred._keras_mask``) multiplies the sample
    weights, so masked entries do not count.

    Args:
        fn: ``fn(y_true, y_pred, **kwargs)`` returning one value per sample (or per entry).
        name: Name of the metric (default: ``fn.__name__``).
        dtype: dtype of the state.
        **kwargs: Passed on to ``fn``.
    """

    def __init__(self, fn: Callable[..., Any], name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"), dtype=dtype)
        self.fn, self.fn_kwargs = fn, kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        mask = get_mask(y_pred)
        pred, true = as_array(y_pred), as_array(y_true)
        values = self.fn(*self._prepare(true, pred), **self.fn_kwargs)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, "sum")
        super().update_state(as_array(values), sample_weight=sample_weight)

    def _prepare(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        """Bring the targets to the predictions' rank (a trailing axis of 1 is added or dropped)."""
        if y_pred.ndim == 1:  # one value per sample: give it a feature axis so it is not averaged away
            y_pred = y_pred[:, None]
        return align(y_true, y_pred), y_pred

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update(self.fn_kwargs)
        return cfg

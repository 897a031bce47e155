"""The :class:`Loss` base class: per-sample values, sample weights, reduction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.tensor import Tensor


def standardize_targets(y_true: Any, y_pred: Tensor, loss_name: str, sparse: bool = False) -> Tensor:
    """Bring ``y_true`` to ``y_pred``'s rank without broadcasting surprises.

    ``(n,)`` targets against ``(n, 1)`` predictions are expanded (and the other
    way round squeezed), as Keras does; any other mismatch is an error rather
    than a silent ``(n, n)`` broadcast. For sparse losses the targets are class
    indices of shape ``y_pred.shape[:-1]`` (a trailing axis of 1 is dropped).
    """
    yt = y_true if isinstance(y_true, Tensor) else Tensor(np.asarray(y_true))
    if sparse:
        if yt.ndim == y_pred.ndim and yt.shape[-1] == 1:
            yt = Tensor(yt.data.reshape(yt.shape[:-1]))
        if yt.shape != y_pred.shape[:-1]:
            raise ValueError(f"{loss_name}: labels of shape {yt.shape} do not match predictions of shape "
                             f"{y_pred.shape} (expected labels of shape {y_pred.shape[:-1]}).")
        return yt
    if yt.dtype.kind != "f" or yt.dtype != y_pred.dtype:
        yt = Tensor(yt.data.astype(y_pred.dtype)) if not yt.requires_grad else yt.astype(y_pred.dtype)
    if yt.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        yt = F.expand_dims(yt, -1)
    elif yt.ndim == y_pred.ndim + 1 and yt.shape[-1] == 1:
        yt = F.squeeze(yt, -1)
    if yt.shape != y_pred.shape:
        raise ValueError(f"{loss_name}: targets of shape {yt.shape} do not match predictions of shape "
                         f"{y_pred.shape}. Reshape the targets (they are never broadcast).")
    return yt


class Loss:
    """Base class. Subclasses implement :meth:`call` returning per-sample losses.

    ``loss(y_true, y_pred, sample_weight=None)`` returns the scalar
    :math:`\\frac1N\\sum_i w_i \\ell_i` (``reduction='sum_over_batch_size'``),
    or ``'sum'``, or ``'none'`` for the per-sample values.
    """

    sparse = False

    def __init__(self, name: str | None = None, reduction: str = "sum_over_batch_size",
                 dtype: Any = None) -> None:
        if reduction not in ("sum_over_batch_size", "sum", "none", "mean", None):
            raise ValueError(f"Invalid reduction {reduction!r}: expected 'sum_over_batch_size', 'sum' or 'none'.")
        self.name = name or _snake(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        raise NotImplementedError

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        y_pred = y_pred if isinstance(y_pred, Tensor) else Tensor(np.asarray(y_pred))
        y_true = standardize_targets(y_true, y_pred, self.name, sparse=self.sparse)
        values = self.call(y_true, y_pred)
        if sample_weight is not None:
            sw = np.asarray(sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight,
                            dtype=values.dtype)
            while sw.ndim > values.ndim and sw.shape[-1] == 1:
                sw = sw.reshape(sw.shape[:-1])
            if sw.shape[:1] != values.shape[:1]:
                raise ValueError(f"{self.name}: sample_weight of shape {sw.shape} does not match "
                                 f"{values.shape[0]} samples.")
            sw = sw.reshape(sw.shape + (1,) * (values.ndim - sw.ndim))
            values = values * Tensor(sw)
        if self.reduction == "none" or self.reduction is None:
            return values
        total = F.sum(values)
        if self.reduction == "sum":
            return total
        return total * (1.0 / max(values.size, 1))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)


class LossFunctionWrapper(Loss):
    """Wraps a function ``fn(y_true, y_pred, **kwargs) -> per-sample Tensor``."""

    def __init__(self, fn: Callable[..., Tensor], name: str | None = None,
                 reduction: str = "sum_over_batch_size", **kwargs: Any) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction)
        self.fn, self.fn_kwargs = fn, kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(self.fn_kwargs)
        return cfg


def _snake(name: str) -> str:
    from brickwork.utils.naming import to_snake_case

    return to_snake_case(name)

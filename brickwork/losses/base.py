"""The :class:`Loss` base class: per-sample values, sample weights, reduction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.device import asarray
from brickwork.engine.tensor import Tensor
from brickwork.losses.reduction import reduce_weighted_values, standardize_reduction


def standardize_targets(y_true: Any, y_pred: Tensor, loss_name: str, sparse: bool = False) -> Tensor:
    """Bring ``y_true`` to ``y_pred``'s rank without broadcasting surprises.

    ``(n,)`` targets against ``(n, 1)`` predictions are expanded (and the other
    way round squeezed), as Keras does; any other mismatch is an error rather
    than a silent ``(n, n)`` broadcast. For sparse losses the targets are class
    indices of shape ``y_pred.shape[:-1]`` (a trailing axis of 1 is dropped).
    """
    yt = y_true if isinstance(y_true, Tensor) else Tensor(asarray(y_true))
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

    ``loss(y_true, y_pred, sample_weight=None)`` weights the per-sample values
    by ``sample_weight`` and by the Keras mask carried on ``y_pred``
    (``y_pred._keras_mask``), then reduces them: ``'sum_over_batch_size'``
    (default) gives :math:`\\frac1N\\sum_i w_i \\ell_i` (with a mask: the mean over
    the unmasked entries), ``'sum'`` the sum, ``'none'``/``None`` the values,
    ``'mean_with_sample_weight'`` the sum over the sum of the weights.
    See :mod:`brickwork.losses.reduction`.

    Args:
        name: Name of the loss (default: the snake_case class name).
        reduction: See above.
        dtype: Kept for Keras compatibility.
    """

    sparse = False

    def __init__(self, name: str | None = None, reduction: Any = "sum_over_batch_size",
                 dtype: Any = None) -> None:
        self.name = name or _snake(type(self).__name__)
        self.reduction = standardize_reduction(reduction, self.name)
        self._dtype = dtype

    @property
    def dtype(self) -> Any:
        return self._dtype

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        raise NotImplementedError

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = y_pred if isinstance(y_pred, Tensor) else Tensor(asarray(y_pred))
        y_true = standardize_targets(y_true, y_pred, self.name, sparse=self.sparse)
        values = self.call(y_true, y_pred)
        values = values if isinstance(values, Tensor) else Tensor(asarray(values))
        out_mask = getattr(values, "_keras_mask", None)
        mask = _combine_masks(in_mask, out_mask)
        if mask is not None and values.ndim and mask.ndim > values.ndim:
            # a mask over the feature axis too (shape == y_pred.shape): keep the entries of a sample's axes
            mask = mask.reshape(mask.shape[:values.ndim] + (-1,)).any(axis=-1)
        return reduce_weighted_values(values, sample_weight=sample_weight, mask=mask, reduction=self.reduction,
                                      name=self.name)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def _combine_masks(a: Any, b: Any) -> np.ndarray | None:
    """The logical AND of two optional masks."""
    arrays = [asarray(m.data if isinstance(m, Tensor) else m).astype(bool) for m in (a, b) if m is not None]
    if not arrays:
        return None
    return arrays[0] if len(arrays) == 1 else arrays[0] & arrays[1]


class LossFunctionWrapper(Loss):
    """Wraps a function ``fn(y_true, y_pred, **kwargs) -> per-sample Tensor``."""

    def __init__(self, fn: Callable[..., Tensor], name: str | None = None,
                 reduction: Any = "sum_over_batch_size", dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction, dtype=dtype)
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

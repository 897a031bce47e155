"""What the preprocessing layers share: ``adapt`` on data, constant (gradient-free) outputs."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.tensor import Tensor
from brickwork.layers.layer import Layer


def as_numpy(data: Any) -> np.ndarray:
    """An array from an ndarray, list, pandas DataFrame/Series or Tensor (no copy when possible)."""
    if isinstance(data, Tensor):
        return data.data
    if hasattr(data, "to_numpy") and not isinstance(data, np.ndarray):
        data = data.to_numpy()
    return np.asarray(data)


def is_missing(values: np.ndarray) -> np.ndarray:
    """Element-wise "value is missing": NaN for numbers; ``None``, NaN or ``''`` for objects/strings."""
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind in "iub":
        return np.zeros(values.shape, bool)
    flat = values.reshape(-1)
    out = np.fromiter((v is None or v == "" or (isinstance(v, float) and v != v) for v in flat), bool, flat.size)
    return out.reshape(values.shape)


class PreprocessingLayer(Layer):
    """Base of the layers whose state is computed from data by :meth:`adapt` (Keras's contract).

    Their outputs carry no gradient to their inputs (lookups and encodings are
    not differentiable; ``Normalization`` is, and overrides this).
    """

    def adapt(self, data: Any, batch_size: Any = None, steps: Any = None) -> None:
        """Compute the layer's state (statistics, vocabulary, bins) from ``data``."""
        self._adapt(as_numpy(data))
        self._adapted = True

    def _adapt(self, data: np.ndarray) -> None:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    @property
    def is_adapted(self) -> bool:
        return bool(getattr(self, "_adapted", False))

    def _autocast_inputs(self) -> bool:
        return False

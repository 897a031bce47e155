"""Weight constraints: projections applied after each optimizer update."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.utils.registry import Catalog


class Constraint:
    """Base class: ``new_value = constraint(value)`` on NumPy arrays."""

    def __call__(self, w: np.ndarray) -> np.ndarray:
        return w

    def get_config(self) -> dict[str, Any]:
        return {}


class MaxNorm(Constraint):
    """Rescale so that the norm along ``axis`` is at most ``max_value``."""

    def __init__(self, max_value: float = 2.0, axis: int = 0) -> None:
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = np.sqrt(np.sum(w * w, axis=self.axis, keepdims=True))
        desired = np.clip(norms, 0, self.max_value)
        return w * (desired / (1e-7 + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Clamp negative weights to zero."""

    def __call__(self, w):
        return np.maximum(w, 0)


class UnitNorm(Constraint):
    """Rescale to unit norm along ``axis``."""

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def __call__(self, w):
        return w / (1e-7 + np.sqrt(np.sum(w * w, axis=self.axis, keepdims=True)))

    def get_config(self):
        return {"axis": self.axis}


_CLASSES = {"MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm}
_NAMES = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm}


_CATALOG = Catalog("constraint", Constraint, _NAMES, _CLASSES)
get, serialize, deserialize = _CATALOG.get, _CATALOG.serialize, _CATALOG.deserialize

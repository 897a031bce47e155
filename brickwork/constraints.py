"""Weight constraints: projections applied after each optimizer update."""

from __future__ import annotations

from typing import Any

import numpy as np


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


def get(identifier: Any) -> Any:
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier in _NAMES:
            return _NAMES[identifier]()
        raise ValueError(f"Unknown constraint {identifier!r}. Valid names: {sorted(_NAMES)}.")
    if isinstance(identifier, dict):
        return _CLASSES[identifier["class_name"]](**identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")


def serialize(c: Any) -> Any:
    if c is None:
        return None
    if isinstance(c, Constraint):
        return {"class_name": type(c).__name__, "config": c.get_config()}
    raise ValueError(f"Cannot serialize constraint {c!r}.")

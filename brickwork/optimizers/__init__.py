"""Optimizers (seed 002's update rules) with Keras names and defaults."""

from typing import Any

from brickwork.optimizers import schedules
from brickwork.optimizers.base import Optimizer
from brickwork.optimizers.rules import SGD, Adagrad, Adam, AdamW, Nadam, RMSprop

_BY_NAME = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW, "nadam": Nadam}
_CLASSES = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier: Any) -> Optimizer:
    """An optimizer from a name (``'rmsprop'``), a config dict or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in _BY_NAME:
            return _BY_NAME[key]()
        raise ValueError(f"Unknown optimizer {identifier!r}. Valid names: {sorted(_BY_NAME)}.")
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name", ""))
        if cls is None:
            raise ValueError(f"Unknown optimizer class {identifier.get('class_name')!r} in a saved configuration.")
        return cls.from_config(identifier.get("config", {}))
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Nadam", "Optimizer", "RMSprop", "get", "schedules", "serialize"]

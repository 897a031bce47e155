"""Optimizers (seed 002's update rules) with Keras names and defaults."""

from brickwork.optimizers import schedules
from brickwork.optimizers.base import Optimizer
from brickwork.optimizers.rules import SGD, Adagrad, Adam, AdamW, Nadam, RMSprop
from brickwork.utils.registry import Catalog

_BY_NAME = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW, "nadam": Nadam}
_CLASSES = {cls.__name__: cls for cls in _BY_NAME.values()}


_CATALOG = Catalog("optimizer", Optimizer, _BY_NAME, _CLASSES, allow_callables=False)
get, serialize, deserialize = _CATALOG.get, _CATALOG.serialize, _CATALOG.deserialize


__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Nadam", "Optimizer", "RMSprop", "deserialize", "get", "schedules",
           "serialize"]

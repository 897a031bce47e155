"""Dropout at prediction time (Monte-Carlo dropout, Gal & Ghahramani 2016): switch on only the layers whose
training mode means dropout, leaving every other layer — BatchNormalization above all — in inference mode.
``model.predict(x, mc_samples=N)`` and :func:`brickwork.calibration.mc_dropout_predict` build on it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from brickwork.layers.recurrent.base import RecurrentBase
from brickwork.layers.regularization import Dropout, GaussianDropout

__all__ = ["dropout_active", "dropout_layers"]


def dropout_layers(model: Any) -> list[Any]:
    """The layers of ``model`` (itself included) whose training mode means dropout: ``Dropout`` and its
    subclasses (``SpatialDropout*``), ``GaussianDropout``, and recurrent layers with ``dropout`` or
    ``recurrent_dropout`` > 0 (training mode changes nothing else in them)."""
    def drops(layer: Any) -> bool:
        if isinstance(layer, (Dropout, GaussianDropout)):
            return getattr(layer, "rate", 0) > 0
        return isinstance(layer, RecurrentBase) and bool(layer.dropout or layer.recurrent_dropout)

    return [layer for layer in [model, *model._flat_layers()] if drops(layer)]


@contextlib.contextmanager
def dropout_active(model: Any) -> Iterator[list[Any]]:
    """Within the block, the dropout layers of ``model`` (see :func:`dropout_layers`) run as in training
    whatever ``training`` flag reaches them; every other layer follows the flag as usual. Yields the
    layers switched on."""
    switched = dropout_layers(model)
    for layer in switched:
        bound = type(layer).call.__get__(layer)

        def call(*args: Any, _bound: Any = bound, **kwargs: Any) -> Any:
            kwargs["training"] = True
            return _bound(*args, **kwargs)

        object.__setattr__(layer, "call", call)     # an instance attribute shadows the class's call
    try:
        yield switched
    finally:
        for layer in switched:
            layer.__dict__.pop("call", None)

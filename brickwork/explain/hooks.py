"""Finding a layer by name inside a model and capturing the tensor it outputs during one forward pass.

Methods that look inside the network (Grad-CAM, CAM, activation maximisation) need a layer's output *as a
node of the autograd graph*, so that its gradient can be read with :func:`brickwork.engine.function.grad`.
:func:`capture_output` wraps the layer instance's ``call`` for the duration of a ``with`` block, so it works
the same for Sequential, Functional and subclassed models, and for a layer inside a nested model.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from brickwork.engine.tensor import Tensor
from brickwork.layers.layer import Layer


def walk_layers(model: Any) -> list[Layer]:
    """Every layer of ``model``, nested models' layers included, depth first."""
    found: list[Layer] = []
    seen: set[int] = set()

    def visit(layer: Any) -> None:
        for child in getattr(layer, "layers", None) or []:
            if isinstance(child, Layer) and id(child) not in seen:
                seen.add(id(child))
                found.append(child)
                visit(child)

    visit(model)
    return found


def find_layer(model: Any, layer: Any, method: str) -> Layer:
    """``layer`` itself when it is a Layer, else the layer of ``model`` (or of a nested model) with that name."""
    if isinstance(layer, Layer):
        return layer
    if not isinstance(layer, str):
        raise TypeError(f"{method}: layer must be a layer name or a Layer; got {layer!r}.")
    candidates = walk_layers(model)
    for candidate in candidates:
        if candidate.name == layer:
            return candidate
    raise ValueError(f"{method}: the model has no layer named {layer!r}; its layers are "
                     f"{[c.name for c in candidates]}.")


class Captured:
    """What :func:`capture_output` saw: the layer's inputs and outputs of each call."""

    def __init__(self, layer: Layer, method: str) -> None:
        self.layer = layer
        self.method = method
        self.inputs: list[Any] = []
        self.outputs: list[Any] = []

    def single(self, what: str = "outputs") -> Tensor:
        """The tensor of the one call (the first tensor when the layer returns several)."""
        values = getattr(self, what)
        if not values:
            raise ValueError(f"{self.method}: layer '{self.layer.name}' was not called by the model's forward "
                             "pass; pass a layer that the model uses.")
        if len(values) > 1:
            raise ValueError(f"{self.method}: layer '{self.layer.name}' was called {len(values)} times in one "
                             "forward pass (a shared layer); pass a layer that is called once.")
        value = values[0]
        while isinstance(value, (list, tuple)):
            value = value[0]
        if not isinstance(value, Tensor):
            raise TypeError(f"{self.method}: layer '{self.layer.name}' produced {type(value).__name__}, "
                            "not a tensor.")
        return value


@contextmanager
def capture_output(layer: Layer, method: str) -> Iterator[Captured]:
    """Record the first positional input and the output of every call of ``layer`` inside the block."""
    box = Captured(layer, method)
    had_own = "call" in vars(layer)
    original = layer.call

    def recording_call(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        box.inputs.append(args[0] if args else next(iter(kwargs.values()), None))
        box.outputs.append(out)
        return out

    layer.call = recording_call
    try:
        yield box
    finally:
        if had_own:
            layer.call = original
        else:
            del layer.call

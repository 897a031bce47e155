"""``Sequential``: a plain stack of layers, each feeding the next."""

from __future__ import annotations

from typing import Any

from brickwork.layers.core import Dense
from brickwork.layers.input_layer import Input, InputLayer
from brickwork.layers.layer import Layer
from brickwork.layers.symbolic import SymbolicTensor
from brickwork.models.model import Model
from brickwork.utils.threads import lock_of


class Sequential(Model):
    """A linear stack of layers.

    Examples
    --------
    The three-layer network of seed 001:

    >>> from brickwork import models, layers
    >>> model = models.Sequential()
    >>> model.add(layers.Dense(16, activation='relu', input_shape=(10000,)))
    >>> model.add(layers.Dense(16, activation='relu'))
    >>> model.add(layers.Dense(1, activation='sigmoid'))
    >>> model.count_params()
    160305

    The input shape may come from ``input_shape=`` on the first layer, from an
    ``Input(shape)`` placed first, or from the first batch of data.
    """

    _functional_dispatch = False

    def __init__(self, layers: list[Any] | None = None, name: str | None = None, trainable: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._stack: list[Layer] = []
        self._input_layer: InputLayer | None = None
        self.inputs: list[SymbolicTensor] = []
        self.outputs: list[SymbolicTensor] = []
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list[Layer]:
        """The stacked layers (the input layer is not listed, as in Keras)."""
        return list(self._stack)

    def add(self, layer: Any, **kwargs: Any) -> None:
        """Append a layer.

        ``model.add(10, input_shape=(10,), activation='relu')`` (seed 002's
        spelling) is read as ``model.add(Dense(10, ...))``.
        """
        if isinstance(layer, int) and not isinstance(layer, bool):
            layer = Dense(layer, **kwargs)
        elif kwargs:
            raise TypeError(f"Sequential.add got unexpected keyword arguments {sorted(kwargs)}.")
        if isinstance(layer, SymbolicTensor) and isinstance(layer._history[0], InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError("An Input can only be the first element of a Sequential model.")
            self._input_layer = layer._history[0]
            self._rebuild()
            return
        if isinstance(layer, InputLayer):
            self._input_layer = layer
            self._rebuild()
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a Layer; got {layer!r} of type {type(layer).__name__}.")
        if any(existing is layer for existing in self._stack):
            raise ValueError(f"Layer '{layer.name}' is already in the model.")
        self._stack.append(layer)
        if self._input_layer is None and len(self._stack) == 1 and layer._batch_input_shape is not None:
            self._input_layer = InputLayer(batch_shape=layer._batch_input_shape)
        self._rebuild()

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise IndexError("There are no layers in the model.")
        layer = self._stack.pop()
        self._rebuild()
        return layer

    def _rebuild(self) -> None:
        """Propagate the known input shape symbolically, building each layer."""
        if self._input_layer is None or not self._stack:
            self.built = bool(self._input_layer is not None and not self._stack)
            return
        x = self._input_layer._inbound_nodes[0].outputs[0]
        self.inputs = [x]
        for layer in self._stack:
            x = layer(x)
        self.outputs = [x]
        self.built = True

    def build(self, input_shape: Any = None) -> None:
        with lock_of(self):  # several threads' first predict: the stack is built once
            if input_shape is not None and self._input_layer is None:
                self._input_layer = InputLayer(batch_shape=(None,) + tuple(input_shape[1:]))
                self._rebuild()
            self.built = True

    def _maybe_build(self, shapes: Any) -> None:
        with lock_of(self):
            if self._input_layer is None and isinstance(shapes, tuple):
                self.build(shapes)

    def call(self, inputs: Any, training: bool = False, mask: Any = None) -> Any:
        x = inputs
        for layer in self._stack:
            x = layer(x)
        return x

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = input_shape
        for layer in self._stack:
            shape = layer.compute_output_shape(shape)
        return shape

    @property
    def input_names(self) -> list[str]:
        return [self._input_layer.name] if self._input_layer is not None else ["input"]

    @property
    def output_names(self) -> list[str]:
        return [self._stack[-1].name] if self._stack else []

    def get_config(self) -> dict[str, Any]:
        from brickwork.layers.serialization import serialize_layer

        cfg: dict[str, Any] = {"name": self.name, "trainable": self.trainable,
                               "layers": [serialize_layer(layer) for layer in self._stack]}
        if self._input_layer is not None:
            cfg["build_input_shape"] = list(self._input_layer.batch_shape)
            cfg["input_dtype"] = str(self._input_layer.input_dtype)
        return cfg

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None, safe_mode: bool = True) -> Sequential:
        from brickwork.layers.serialization import deserialize_layer

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        shape = config.get("build_input_shape")
        if shape is not None:
            model.add(Input(batch_shape=tuple(shape), dtype=config.get("input_dtype")))
        for layer_cfg in config["layers"]:
            cfg = dict(layer_cfg)
            cfg["config"] = {k: v for k, v in cfg["config"].items() if k != "batch_input_shape"}
            model.add(deserialize_layer(cfg, custom_objects=custom_objects, safe_mode=safe_mode))
        return model

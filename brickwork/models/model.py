"""``Model``: a layer that can be trained.

Three ways to make one, as in Keras:

* Functional: ``Model(inputs, outputs)`` over symbolic tensors from ``Input``;
* Sequential: :class:`~brickwork.models.Sequential`;
* subclassing: define layers in ``__init__`` and the forward pass in
  ``call`` (PyTorch-style research code).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.tensor import Tensor
from brickwork.layers.layer import Layer
from brickwork.layers.symbolic import flatten
from brickwork.models.graph import run_nodes, topological_nodes
from brickwork.models.training import Trainer


class Model(Trainer, Layer):
    """A trainable graph of layers (see module docstring).

    Parameters
    ----------
    inputs, outputs : SymbolicTensor or list/dict of them
        For the Functional API.
    name : str, optional
        Model name.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        inputs = kwargs.pop("inputs", None)
        outputs = kwargs.pop("outputs", None)
        if args:
            inputs = args[0]
            if len(args) > 1:
                outputs = args[1]
        Layer.__init__(self, **{k: v for k, v in kwargs.items() if k in ("name", "trainable", "dtype")})
        Trainer.__init__(self)
        self._is_graph_network = inputs is not None
        if self._is_graph_network:
            if outputs is None:
                raise ValueError("Model(inputs, outputs): outputs are missing.")
            self._init_graph(inputs, outputs)

    # ------------------------------------------------------------ functional
    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        self._input_structure = inputs
        self._output_structure = outputs
        self.inputs = flatten(inputs)
        self.outputs = flatten(outputs)
        self._nodes = topological_nodes(self.inputs, self.outputs)
        depth: dict[int, int] = {}
        for node in self._nodes:  # parents come first: depth = longest path from an input
            depth[id(node)] = 1 + max((depth[id(p)] for p in node.parent_nodes), default=-1)
        layers: list[Layer] = []
        seen: set[int] = set()
        for node in sorted(self._nodes, key=lambda n: (depth[id(n)], n.order)):  # Keras's display order
            if id(node.layer) not in seen:
                seen.add(id(node.layer))
                layers.append(node.layer)
        self._layers = layers
        self.built = True

    @property
    def layers(self) -> list[Layer]:
        """The model's layers (Functional: in graph order, inputs included)."""
        if getattr(self, "_is_graph_network", False):
            return list(self._layers)
        return self._sublayers()

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or index."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Existing layers are: {[lay.name for lay in self.layers]}.")

    @property
    def input_names(self) -> list[str]:
        return [t._history[0].name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [t._history[0].name for t in self.outputs]

    def _standardize_graph_inputs(self, inputs: Any) -> list[Any]:
        if isinstance(inputs, dict):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}': the input dict lacks {missing}; "
                                 f"expected keys {self.input_names}, got {sorted(inputs)}.")
            values = [inputs[n] for n in self.input_names]
        elif isinstance(inputs, (list, tuple)):
            values = list(inputs)
        else:
            values = [inputs]
        if len(values) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self.inputs)} input(s) {self.input_names}, "
                             f"but it was called on {len(values)}.")
        out = []
        for sym, value in zip(self.inputs, values):
            t = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
            if t.dtype.kind == "f" and sym.dtype.kind == "f" and t.dtype != sym.dtype:
                t = t.astype(sym.dtype)
            if len(t.shape) != len(sym.shape) or any(
                    d is not None and d != n for d, n in zip(sym.shape[1:], t.shape[1:])):
                raise ValueError(f"Input '{sym.name}' of model '{self.name}' expects shape {sym.shape}, "
                                 f"but got an array of shape {t.shape}.")
            out.append(t)
        return out

    def call(self, inputs: Any, training: bool = False, mask: Any = None) -> Any:
        if not getattr(self, "_is_graph_network", False):
            raise NotImplementedError(
                f"Model '{self.name}' was created without inputs/outputs: subclasses must define call()."
            )
        values = self._standardize_graph_inputs(inputs)
        return run_nodes(self._nodes, self.inputs, values, self._output_structure, {})

    def _to_tensor(self, x: Any) -> Any:
        if getattr(self, "_is_graph_network", False) and not isinstance(x, Tensor):
            return x  # the graph casts each input to its own Input's dtype
        if isinstance(x, np.ndarray):
            return Tensor(x)  # no cast here: each layer casts to its own dtype, as in Keras
        return super()._to_tensor(x)

    def _float_dtype(self) -> np.dtype:
        """The float type data is converted to once before training: the first input's, else the model's."""
        inputs = getattr(self, "inputs", None) or []
        if inputs and inputs[0].dtype.kind == "f":
            return np.dtype(inputs[0].dtype)
        return np.dtype(self._dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if getattr(self, "_is_graph_network", False):
            shapes = [t.shape for t in self.outputs]
            return shapes[0] if len(shapes) == 1 else shapes
        return super().compute_output_shape(input_shape)

    def build(self, input_shape: Any) -> None:
        if getattr(self, "_is_graph_network", False):
            self.built = True
            return
        super().build(input_shape)

    # ----------------------------------------------------------------- misc
    def summary(self, line_length: int | None = None, print_fn: Any = None, expand_nested: bool = False,
                show_trainable: bool = False) -> None:
        """Print a table of layers, output shapes and parameter counts (Keras format)."""
        from brickwork.models.summary import print_summary

        print_summary(self, line_length=line_length, print_fn=print_fn, show_trainable=show_trainable)

    def save(self, filepath: Any, overwrite: bool = True, include_optimizer: bool = True) -> None:
        """Save architecture, weights and optimizer state to one file (see :mod:`brickwork.saving`)."""
        from brickwork.saving.model_file import save_model

        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Save only the weights (atomically)."""
        from brickwork.saving.model_file import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any) -> None:
        """Load weights saved by :meth:`save_weights` or :meth:`save`."""
        from brickwork.saving.model_file import load_weights

        load_weights(self, filepath)

    def get_config(self) -> dict[str, Any]:
        if getattr(self, "_is_graph_network", False):
            from brickwork.saving.functional_config import functional_config

            return functional_config(self)
        return super().get_config()

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None, safe_mode: bool = True) -> Model:
        if "layers" in config and "input_layers" in config:
            from brickwork.saving.functional_config import functional_from_config

            return functional_from_config(cls, config, custom_objects=custom_objects, safe_mode=safe_mode)
        return super().from_config(config)


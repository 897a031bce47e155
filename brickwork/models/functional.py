"""``Functional``: a model defined by a graph of layer calls on symbolic tensors.

``Model(inputs, outputs)`` returns one (as Keras 3's ``Model.__new__`` does).
Everything about the graph is here: ordering the nodes that lead from the
inputs to the outputs, running them on data, and the JSON config that
rebuilds the graph (each layer's config plus its calls, tensors named
``[layer_name, node_index, tensor_index]``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.device import asarray
from brickwork.engine.tensor import Tensor
from brickwork.layers.input_layer import InputLayer
from brickwork.layers.layer import Layer
from brickwork.layers.operation import Operation
from brickwork.layers.symbolic import Node, SymbolicTensor
from brickwork.models.model import Model
from brickwork.utils.tree import flatten, map_structure


class Functional(Model):
    """A model whose forward pass is the recorded graph from ``inputs`` to ``outputs``.

    Args:
        inputs: A symbolic tensor from :func:`~brickwork.layers.Input`, or a
            list/dict of them.
        outputs: Symbolic tensor(s) computed from ``inputs`` by layer calls.
        name: Model name.
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None, trainable: bool = True,
                 **kwargs: Any) -> None:
        if outputs is None:
            raise ValueError("Model(inputs, outputs): outputs are missing.")
        Model.__init__(self, name=name, trainable=trainable, **kwargs)
        self._input_structure = inputs
        self._output_structure = outputs
        self.inputs = flatten(inputs)
        self.outputs = flatten(outputs)
        self._nodes = topological_nodes(self.inputs, self.outputs)
        self._operations = layer_order(self.inputs, self.outputs)
        self.built = True

    # ------------------------------------------------------------ structure
    @property
    def layers(self) -> list[Layer]:
        """The model's layers in Keras's order, input layers included, recorded operators
        (:class:`~brickwork.layers.Operation`) not — as Keras lists its layers and not its ops."""
        return [op for op in self._operations if not isinstance(op, Operation)]

    @property
    def operations(self) -> list[Layer]:
        """Every layer and recorded operator of the graph, in Keras's order."""
        return list(self._operations)

    @property
    def input(self) -> Any:
        """The symbolic input(s), in the structure the model was built with."""
        return self._input_structure

    @property
    def output(self) -> Any:
        """The symbolic output(s), in the structure the model was built with."""
        return self._output_structure

    @property
    def input_shape(self) -> Any:
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self) -> Any:
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input_names(self) -> list[str]:
        return [t._history[0].name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [t._history[0].name for t in self.outputs]

    # ----------------------------------------------------------------- call
    def call(self, inputs: Any, training: bool = False, mask: Any = None) -> Any:
        values = self._standardize_inputs(inputs)
        if mask is not None:
            masks = flatten(mask) if isinstance(mask, (list, tuple, dict)) else [mask]
            if len(masks) != len(values):
                raise ValueError(f"Model '{self.name}': {len(masks)} mask(s) for {len(values)} input(s).")
            for t, m in zip(values, masks):
                if m is not None:
                    t._keras_mask = np.asarray(m.data if isinstance(m, Tensor) else m, dtype=bool)
        return run_nodes(self._nodes, self.inputs, values, self._output_structure)

    def _to_tensor(self, x: Any) -> Any:
        return x  # each input is converted to its own Input's dtype in _standardize_inputs

    def _standardize_inputs(self, inputs: Any) -> list[Tensor]:
        """Match data to the declared inputs: order (list or dict by name), dtype, and rank —
        an array one trailing axis short of an Input whose last size is 1 gets that axis, as in Keras."""
        if isinstance(inputs, dict):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}': the input dict lacks {missing}; "
                                 f"expected keys {self.input_names}, got {sorted(inputs)}.")
            values = [inputs[n] for n in self.input_names]
        elif isinstance(inputs, (list, tuple)) and (len(self.inputs) > 1 or (
                len(inputs) == 1 and not isinstance(inputs[0], (int, float)))):
            values = list(inputs)
        else:
            values = [inputs]
        if len(values) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self.inputs)} input(s) {self.input_names}, "
                             f"but it was called on {len(values)}.")
        return [_conform(sym, value, self.name) for sym, value in zip(self.inputs, values)]

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.output_shape

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        return map_structure(lambda t: SymbolicTensor(t.shape, t.dtype), self._output_structure)

    def build(self, input_shape: Any = None) -> None:
        self.built = True

    # -------------------------------------------------------- serialisation
    def get_config(self) -> dict[str, Any]:
        from brickwork.models.functional_config import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None, safe_mode: bool = True) -> Functional:
        from brickwork.models.functional_config import functional_from_config

        return functional_from_config(cls, config, custom_objects=custom_objects, safe_mode=safe_mode)


def _conform(sym: SymbolicTensor, value: Any, model_name: str) -> Tensor:
    t = value if isinstance(value, Tensor) else Tensor(asarray(value.to_numpy() if hasattr(value, "to_numpy")
                                                               else value))
    declared = sym.shape
    if t.ndim == len(declared) - 1 and declared[-1] == 1:
        mask = t._keras_mask
        t = t.expand_dims(-1)
        t._keras_mask = mask
    elif t.ndim == len(declared) + 1 and t.shape[-1] == 1 and declared and declared[-1] != 1:
        mask = t._keras_mask
        t = t.squeeze(-1)
        t._keras_mask = mask
    if t.dtype != sym.dtype and sym.dtype.kind in "fiub" and t.dtype.kind in "fiub":
        mask = t._keras_mask
        t = t.astype(sym.dtype) if t.dtype.kind == sym.dtype.kind == "f" else Tensor(t.data.astype(sym.dtype))
        t._keras_mask = mask
    if t.ndim != len(declared) or any(d is not None and d != n for d, n in zip(declared[1:], t.shape[1:])):
        raise ValueError(f"Input '{sym.name}' of model '{model_name}' expects shape {declared}, "
                         f"but got an array of shape {t.shape}.")
    return t


# ------------------------------------------------------------------ the graph
def topological_nodes(inputs: list[SymbolicTensor], outputs: list[SymbolicTensor]) -> list[Node]:
    """Nodes needed to compute ``outputs`` from ``inputs``, each after its parents.

    Raises a ValueError naming the missing input when an output depends on an
    ``Input`` that is not among ``inputs`` (a disconnected graph).
    """
    for t in inputs + outputs:
        if not isinstance(t, SymbolicTensor) or t._history is None:
            raise TypeError(f"Model inputs and outputs must be symbolic tensors from Input and layers; got {t!r}.")
    input_ids = {id(t) for t in inputs}
    order: list[Node] = []
    state: dict[int, int] = {}  # 1 = in progress, 2 = done
    stack: list[tuple[Node, bool]] = [(node_of(t), False) for t in reversed(outputs)]
    while stack:  # iterative DFS: deep graphs need no recursion
        node, expanded = stack.pop()
        key = id(node)
        if expanded:
            state[key] = 2
            order.append(node)
            continue
        if state.get(key) == 2:
            continue
        state[key] = 1
        stack.append((node, True))
        if isinstance(node.layer, InputLayer):
            if id(node.outputs[0]) not in input_ids:
                raise ValueError(
                    f"Graph disconnected: cannot reach output(s) without input '{node.layer.name}' "
                    f"of shape {node.outputs[0].shape}, which is not among the model's inputs "
                    f"{[t.name for t in inputs]}."
                )
            continue
        for t in node.input_tensors:
            parent = node_of(t)
            if state.get(id(parent)) != 2:
                stack.append((parent, False))
    return order


def node_of(t: SymbolicTensor) -> Node:
    """The node that produced a symbolic tensor."""
    layer, node_index, _ = t._history
    return layer._inbound_nodes[node_index]


def layer_order(inputs: list[SymbolicTensor], outputs: list[SymbolicTensor]) -> list[Layer]:
    """The graph's layers in the order Keras lists them (its ``map_graph``): by depth from the
    outputs, deepest first, ties by the order a depth-first walk from each output first meets them.
    Keras's file format matches weights in this order, so ``model.layers`` must follow it."""
    finished: set[int] = set()
    post_order: list[Node] = []
    first_seen: dict[int, int] = {}
    layers: dict[int, Layer] = {}
    for out in outputs:
        stack: list[tuple[Node, bool]] = [(node_of(out), False)]
        while stack:
            node, done = stack.pop()
            if done:
                finished.add(id(node))
                post_order.append(node)
                continue
            if id(node) in finished:
                continue
            layers[id(node.layer)] = node.layer
            first_seen.setdefault(id(node.layer), len(first_seen))
            stack.append((node, True))
            if not isinstance(node.layer, InputLayer):
                stack += [(node_of(t), False) for t in reversed(node.input_tensors)]
    in_graph = {id(n) for n in post_order}
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    for node in reversed(post_order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        for t in node.input_tensors:
            parent = node_of(t)
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for t in inputs:  # inputs that no output uses still count, first
        layer = node_of(t).layer
        if id(layer) not in layer_depth:
            layers[id(layer)], layer_depth[id(layer)], first_seen[id(layer)] = layer, 0, -1
    return sorted(layers.values(), key=lambda la: (-layer_depth[id(la)], first_seen[id(la)]))


def run_nodes(nodes: list[Node], inputs: list[SymbolicTensor], values: list[Any], outputs_structure: Any) -> Any:
    """Evaluate the graph eagerly: feed ``values`` to ``inputs`` and call each node's layer."""
    computed: dict[int, Any] = {id(t): v for t, v in zip(inputs, values)}

    def resolve(x: Any) -> Any:
        return computed[id(x)] if isinstance(x, SymbolicTensor) else x

    for node in nodes:
        if isinstance(node.layer, InputLayer):
            continue
        args = map_structure(resolve, node.args)
        kwargs = map_structure(resolve, node.kwargs)
        result = node.layer(*args, **kwargs)
        for sym, val in zip(node.outputs, flatten(result)):
            computed[id(sym)] = val
    return map_structure(resolve, outputs_structure)

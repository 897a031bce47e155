"""Functional models as JSON: each layer's config plus the calls (nodes) that
connect them, with tensors named ``[layer_name, node_index, tensor_index]``.

Constant call arguments keep their Python type through JSON: tuples, slices
and ``...`` (the index of ``x[:, None, 1:]``) are tagged, since a list index
means something else to NumPy than a tuple.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.layers.input_layer import InputLayer
from brickwork.layers.serialization import deserialize_layer, serialize_layer
from brickwork.layers.symbolic import SymbolicTensor
from brickwork.utils.tree import flatten


def _structure_kind(structure: Any) -> Any:
    if isinstance(structure, dict):
        return {"dict": list(structure.keys())}
    if isinstance(structure, (list, tuple)):
        return "list"
    return "single"


def _restructure(kind: Any, tensors: list[Any]) -> Any:
    if isinstance(kind, dict):
        return dict(zip(kind["dict"], tensors))
    if kind == "list":
        return list(tensors)
    return tensors[0]


def functional_config(model: Any) -> dict[str, Any]:
    node_ids = {id(n) for n in model._nodes}
    local_index: dict[int, int] = {}
    for layer in model.operations:
        k = 0
        for node in layer._inbound_nodes:
            if id(node) in node_ids:
                local_index[id(node)] = k
                k += 1

    def ref(t: SymbolicTensor) -> list[Any]:
        layer, node_index, tensor_index = t._history
        return [layer.name, local_index[id(layer._inbound_nodes[node_index])], tensor_index]

    def encode(x: Any) -> Any:
        if isinstance(x, SymbolicTensor):
            return {"__tensor__": ref(x)}
        if isinstance(x, tuple):
            return {"__tuple__": [encode(v) for v in x]}
        if isinstance(x, list):
            return [encode(v) for v in x]
        if isinstance(x, dict):
            return {k: encode(v) for k, v in x.items()}
        if isinstance(x, slice):
            return {"__slice__": [x.start, x.stop, x.step]}
        if x is Ellipsis:
            return {"__ellipsis__": True}
        if isinstance(x, np.generic):
            return x.item()
        return x

    layers = []
    for layer in model.operations:
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": [encode(a) for a in node.args], "kwargs": encode(node.kwargs)}
            for node in layer._inbound_nodes if id(node) in node_ids and not isinstance(layer, InputLayer)
        ]
        layers.append(entry)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": [ref(t) for t in model.inputs],
        "output_layers": [ref(t) for t in model.outputs],
        "input_structure": _structure_kind(model._input_structure),
        "output_structure": _structure_kind(model._output_structure),
    }


def functional_from_config(cls: Any, config: dict[str, Any], custom_objects: Any = None,
                           safe_mode: bool = True) -> Any:
    layers: dict[str, Any] = {}
    tensors: dict[tuple[str, int, int], SymbolicTensor] = {}
    pending: list[tuple[str, int, dict[str, Any]]] = []
    for entry in config["layers"]:
        layer = deserialize_layer(entry, custom_objects=custom_objects, safe_mode=safe_mode)
        name = entry.get("name", layer.name)
        layers[name] = layer
        if isinstance(layer, InputLayer):
            tensors[(name, 0, 0)] = layer._inbound_nodes[0].outputs[0]
        for k, node in enumerate(entry.get("inbound_nodes", [])):
            pending.append((name, k, node))

    made: dict[str, int] = {}

    def decode(x: Any) -> Any:
        if isinstance(x, dict) and "__tensor__" in x:
            return tensors[tuple(x["__tensor__"])]
        if isinstance(x, dict) and "__tuple__" in x:
            return tuple(decode(v) for v in x["__tuple__"])
        if isinstance(x, dict) and "__slice__" in x:
            return slice(*x["__slice__"])
        if isinstance(x, dict) and "__ellipsis__" in x:
            return Ellipsis
        if isinstance(x, dict):
            return {k: decode(v) for k, v in x.items()}
        if isinstance(x, list):
            return [decode(v) for v in x]
        return x

    def refs(x: Any) -> list[tuple[Any, ...]]:
        if isinstance(x, dict) and "__tensor__" in x:
            return [tuple(x["__tensor__"])]
        if isinstance(x, dict):
            return [r for v in x.values() for r in refs(v)]
        if isinstance(x, list):
            return [r for v in x for r in refs(v)]
        return []

    while pending:
        progress = False
        remaining = []
        for name, k, node in pending:
            if made.get(name, 0) == k and all(r in tensors for r in refs(node)):
                args = decode(node["args"])
                kwargs = decode(node["kwargs"])
                out = layers[name](*args, **kwargs)
                for i, t in enumerate(flatten(out)):
                    tensors[(name, k, i)] = t
                made[name] = k + 1
                progress = True
            else:
                remaining.append((name, k, node))
        if not progress:
            missing = [p[0] for p in remaining]
            raise ValueError(f"Cannot rebuild the model graph: node inputs are missing for {missing}.")
        pending = remaining

    inputs = [tensors[tuple(r)] for r in config["input_layers"]]
    outputs = [tensors[tuple(r)] for r in config["output_layers"]]
    model = cls(inputs=_restructure(config.get("input_structure", "list"), inputs),
                outputs=_restructure(config.get("output_structure", "list"), outputs),
                name=config.get("name"))
    model.trainable = config.get("trainable", True)
    return model

"""The Functional graph: ordering the nodes recorded by symbolic calls and
running them on data."""

from __future__ import annotations

from typing import Any

from brickwork.layers.input_layer import InputLayer
from brickwork.layers.symbolic import Node, SymbolicTensor, flatten, map_structure


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
    stack: list[tuple[Node, bool]] = [(_node_of(t), False) for t in reversed(outputs)]
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
            parent = _node_of(t)
            if state.get(id(parent)) != 2:
                stack.append((parent, False))
    return order


def _node_of(t: SymbolicTensor) -> Node:
    layer, node_index, _ = t._history
    return layer._inbound_nodes[node_index]


def run_nodes(nodes: list[Node], inputs: list[SymbolicTensor], values: list[Any],
              outputs_structure: Any, call_kwargs: dict[str, Any]) -> Any:
    """Evaluate the graph eagerly: feed ``values`` to ``inputs`` and call each node's layer."""
    computed: dict[int, Any] = {id(t): v for t, v in zip(inputs, values)}

    def resolve(x: Any) -> Any:
        return computed[id(x)] if isinstance(x, SymbolicTensor) else x

    for node in nodes:
        if isinstance(node.layer, InputLayer):
            continue
        args = map_structure(resolve, node.args)
        kwargs = map_structure(resolve, node.kwargs)
        for key, value in call_kwargs.items():
            kwargs.setdefault(key, value)
        result = node.layer(*args, **kwargs)
        for sym, val in zip(node.outputs, flatten(result)):
            computed[id(sym)] = val
    return map_structure(resolve, outputs_structure)

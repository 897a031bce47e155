"""Symbolic tensors and graph nodes: how the Functional API records a model.

Calling a layer on a :class:`SymbolicTensor` (what :func:`Input` returns)
computes no values: it creates a :class:`Node` that remembers the layer, the
symbolic inputs and outputs, and returns symbolic outputs of the inferred
shape. ``Model(inputs, outputs)`` later walks these nodes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine import config


class SymbolicTensor:
    """A placeholder with a shape (``None`` for unknown sizes) and a dtype.

    ``_history = (layer, node_index, tensor_index)`` locates the node that
    produced it. Arithmetic on symbolic tensors is not supported: wrap it in a
    ``Lambda`` layer or a merge layer such as ``Add``.
    """

    def __init__(self, shape: tuple[int | None, ...], dtype: Any = None, name: str | None = None,
                 history: tuple[Any, int, int] | None = None) -> None:
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = np.dtype(dtype or config.floatx())
        self.name = name
        self._history = history

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<SymbolicTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"{self!r} is symbolic (from Input or a layer called on Input) and has no values. "
            "Build a Model from it and call the model on data."
        )

    def _no_ops(self, *args: Any) -> Any:
        raise TypeError(
            "Operators are not defined on symbolic tensors; use a merge layer "
            "(Add, Subtract, Multiply, Concatenate, ...) or a Lambda layer."
        )

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _no_ops
    __truediv__ = __rtruediv__ = __matmul__ = __pow__ = __neg__ = __getitem__ = _no_ops


class Node:
    """One call of a layer in a graph: ``outputs = layer(*args, **kwargs)``.

    ``args``/``kwargs`` keep the call's structure with symbolic tensors in place;
    ``order`` counts nodes in creation order (a tie-breaker for display).
    """

    _created = 0

    def __init__(self, layer: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                 outputs: list[SymbolicTensor]) -> None:
        Node._created += 1
        self.order = Node._created
        self.layer = layer
        self.args, self.kwargs = args, kwargs
        self.input_tensors = [t for t in flatten((args, kwargs)) if isinstance(t, SymbolicTensor)]
        self.outputs = outputs
        self.parent_nodes = [t._history[0]._inbound_nodes[t._history[1]] for t in self.input_tensors
                             if t._history is not None]


def flatten(structure: Any) -> list[Any]:
    """Leaves of nested lists/tuples/dicts, in order."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
    return [structure]


def map_structure(fn: Any, structure: Any) -> Any:
    """Apply ``fn`` to every leaf, keeping the nesting."""
    if isinstance(structure, list):
        return [map_structure(fn, s) for s in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return fn(structure)


def is_symbolic(structure: Any) -> bool:
    return any(isinstance(t, SymbolicTensor) for t in flatten(structure))

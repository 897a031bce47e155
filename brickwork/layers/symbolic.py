"""Symbolic tensors and graph nodes: how the Functional API records a model.

Calling a layer on a :class:`SymbolicTensor` (what :func:`Input` returns)
computes no values: it creates a :class:`Node` that remembers the layer, the
symbolic inputs and outputs, and returns symbolic outputs of the inferred
shape. ``Model(inputs, outputs)`` later walks these nodes.

Python operators and slicing on symbolic tensors (``(tokens != 0)[:, None, :]``,
``x * 2 + y``) record a node of an
:class:`~brickwork.layers.operation.Operation` layer, as Keras 3 records an
operation, so they run, save and load like any layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine import config
from brickwork.utils.tree import flatten, map_structure

__all__ = ["Node", "SymbolicTensor", "flatten", "is_symbolic", "map_structure"]


def _operator(name: str, reflected: bool = False) -> Any:
    def method(self: SymbolicTensor, *others: Any) -> Any:
        from brickwork.layers.operation import record_operation

        args = (others[0], self) if reflected else (self,) + others
        return record_operation(name, args)

    method.__name__ = f"__{'r' if reflected else ''}{name.rstrip('_')}__"
    return method


class SymbolicTensor:
    """A placeholder with a shape (``None`` for unknown sizes) and a dtype.

    ``_history = (layer, node_index, tensor_index)`` locates the node that
    produced it. Arithmetic, comparisons and indexing record operation nodes.
    """

    def __init__(self, shape: tuple[int | None, ...], dtype: Any = None, name: str | None = None,
                 history: tuple[Any, int, int] | None = None) -> None:
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = np.dtype(dtype or config.floatx())
        self.name = name
        self._history = history
        self._keras_mask: SymbolicTensor | None = None  # the mask running the graph would attach

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

    def __bool__(self) -> bool:
        raise TypeError(f"{self!r} is symbolic: it has no truth value. Use brickwork.ops.cond or a layer instead.")

    def __len__(self) -> int:
        if not self.shape or self.shape[0] is None:
            raise TypeError(f"{self!r} has no known length.")
        return self.shape[0]

    __hash__ = object.__hash__

    __add__, __radd__ = _operator("add"), _operator("add", True)
    __sub__, __rsub__ = _operator("sub"), _operator("sub", True)
    __mul__, __rmul__ = _operator("mul"), _operator("mul", True)
    __truediv__, __rtruediv__ = _operator("truediv"), _operator("truediv", True)
    __floordiv__, __rfloordiv__ = _operator("floordiv"), _operator("floordiv", True)
    __mod__, __rmod__ = _operator("mod"), _operator("mod", True)
    __pow__, __rpow__ = _operator("pow"), _operator("pow", True)
    __matmul__, __rmatmul__ = _operator("matmul"), _operator("matmul", True)
    __and__, __rand__ = _operator("and_"), _operator("and_", True)
    __or__, __ror__ = _operator("or_"), _operator("or_", True)
    __xor__, __rxor__ = _operator("xor"), _operator("xor", True)
    __eq__ = _operator("eq")  # type: ignore[assignment]
    __ne__ = _operator("ne")  # type: ignore[assignment]
    __lt__, __le__ = _operator("lt"), _operator("le")
    __gt__, __ge__ = _operator("gt"), _operator("ge")
    __neg__, __pos__ = _operator("neg"), _operator("pos")
    __abs__, __invert__ = _operator("abs"), _operator("invert")
    __getitem__ = _operator("getitem")


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


def is_symbolic(structure: Any) -> bool:
    return any(isinstance(t, SymbolicTensor) for t in flatten(structure))

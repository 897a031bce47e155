"""Python operators on symbolic tensors, recorded as graph nodes.

``(tokens != 0)[:, None, :]`` on a symbolic ``tokens`` records two nodes of
:class:`Operation`: ``ne(tokens, 0)`` and ``getitem(that, (slice(None), None,
slice(None)))``. Run on data, each applies the same Python operator to
brickwork tensors, whose operators are differentiable primitives; saved, each
is the operator's name and its constant arguments, so loading one runs no code.
"""

from __future__ import annotations

import operator
from typing import Any

from brickwork.engine.tensor import Tensor
from brickwork.layers.layer import Layer

OPERATORS = frozenset({
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and_", "or_", "xor",
    "eq", "ne", "lt", "le", "gt", "ge", "neg", "pos", "abs", "invert", "getitem",
})


class Operation(Layer):
    """A layer that applies one Python operator (``operator.<op>``) to its arguments.

    Args:
        op: The operator's name in Python's :mod:`operator` module (``'add'``,
            ``'ne'``, ``'getitem'``, ...).

    Output shape:
        Whatever the operator gives on tensors of the input shapes.
    """

    _warns_on_mask = False

    def __init__(self, op: str, **kwargs: Any) -> None:
        if op not in OPERATORS:
            raise ValueError(f"Operation: unknown operator {op!r}; known: {sorted(OPERATORS)}.")
        super().__init__(**kwargs)
        self.op = op
        self._fn = getattr(operator, op)
        self.built = True

    def _to_tensor(self, x: Any) -> Any:
        return x  # constants stay constants; tensors keep their dtype (operators are dtype-preserving)

    def call(self, x: Any, *rest: Any) -> Any:
        if not isinstance(x, Tensor) and not any(isinstance(r, Tensor) for r in rest):
            x = Tensor(x)
        return self._fn(x, *rest)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "op": self.op}


def record_operation(op: str, args: tuple[Any, ...]) -> Any:
    """Record ``operator.<op>(*args)`` on symbolic tensors; returns the symbolic result."""
    return Operation(op, name=None)(*args)

"""Python operators and ``brickwork.ops`` calls on symbolic tensors, recorded as graph nodes.

``(tokens != 0)[:, None, :]`` on a symbolic ``tokens`` records two nodes of
:class:`Operation`: ``ne(tokens, 0)`` and ``getitem(that, (slice(None), None,
slice(None)))``; ``ops.sum(x, axis=1)`` records ``ops.sum`` with ``axis=1``.
Run on data, each applies the same operator or op to brickwork tensors, whose
operators are differentiable primitives; saved, each is the operator's name and
its constant arguments, so loading one runs no code.
"""

from __future__ import annotations

import operator
from typing import Any

from brickwork.engine import dispatch
from brickwork.engine.tensor import Tensor
from brickwork.layers.layer import Layer
from brickwork.layers.symbolic import is_symbolic
from brickwork.utils.naming import unique_name

OPERATORS = frozenset({
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and_", "or_", "xor",
    "eq", "ne", "lt", "le", "gt", "ge", "neg", "pos", "abs", "invert", "getitem",
})


# Keras's names for the operations Python's operators record (KerasTensor.__ne__ is ops.not_equal, ...)
_KERAS_NAMES = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide", "floordiv": "floor_divide",
    "mod": "mod", "pow": "power", "matmul": "matmul", "and_": "logical_and", "or_": "logical_or",
    "xor": "logical_xor", "eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater",
    "ge": "greater_equal", "neg": "negative", "pos": "identity", "abs": "absolute", "invert": "logical_not",
    "getitem": "get_item",
}


def _resolve(op: str) -> Any:
    if op in OPERATORS:
        return getattr(operator, op)
    if op.startswith("ops."):
        from brickwork import ops

        name = op[4:]
        if name in ops.__all__ and callable(getattr(ops, name, None)):
            return getattr(ops, name)
    raise ValueError(f"Operation: unknown operator {op!r}; known: Python's {sorted(OPERATORS)} "
                     "and 'ops.<name>' for the names of brickwork.ops.")


class Operation(Layer):
    """A layer that applies one Python operator (``operator.<op>``) or one
    ``brickwork.ops`` function (``'ops.<name>'``) to its arguments.

    Args:
        op: The operator's name in Python's :mod:`operator` module (``'add'``,
            ``'ne'``, ``'getitem'``, ...) or ``'ops.'`` + a name of :mod:`brickwork.ops`.
        arguments: Keyword constants passed on every call (``{'axis': -1}``), as a
            Keras op keeps them in its config.

    Output shape:
        Whatever the operator gives on tensors of the input shapes.
    """

    _warns_on_mask = False

    def __init__(self, op: str, name: str | None = None, arguments: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        fn = _resolve(op)
        self.arguments = dict(arguments or {})  # keyword constants of the op (a Keras op's config)
        keras_name = _KERAS_NAMES.get(op, op[4:] if op.startswith("ops.") else op)
        super().__init__(name=name or unique_name(keras_name), **kwargs)
        self.op = op
        self._fn = fn
        self.built = True

    def _to_tensor(self, x: Any) -> Any:
        return x  # constants stay constants; tensors keep their dtype (operators are dtype-preserving)

    def call(self, x: Any, *rest: Any, **kwargs: Any) -> Any:
        if self.op in OPERATORS and not isinstance(x, Tensor) and not any(isinstance(r, Tensor) for r in rest):
            x = Tensor(x)
        if self.op == "getitem" and rest and isinstance(rest[0], list):
            rest = (tuple(rest[0]),) + rest[1:]  # a saved index: Keras stores x[:, 0] as a list of keys
        return self._fn(x, *rest, **{**self.arguments, **kwargs})

    @property
    def class_label(self) -> str:
        """Keras's class name for this operation (``NotEqual``), as summaries show it."""
        keras_name = _KERAS_NAMES.get(self.op, self.op[4:] if self.op.startswith("ops.") else self.op)
        return "".join(part.capitalize() for part in keras_name.split("_"))

    def get_config(self) -> dict[str, Any]:
        cfg = {"name": self.name, "op": self.op}
        if self.arguments:
            cfg["arguments"] = self.arguments
        return cfg


def record_operation(op: str, args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> Any:
    """Record ``operator.<op>(*args)`` (or ``ops.<name>(*args, **kwargs)``) on symbolic tensors;
    returns the symbolic result."""
    return Operation(op)(*args, **(kwargs or {}))


dispatch.set_recorder(is_symbolic, record_operation)

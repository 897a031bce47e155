"""``brickwork.ops`` on symbolic tensors: ``ops.sum(Input((3, 4)), axis=1)`` inside a
Functional model records an ``Operation`` node (see :mod:`brickwork.engine.dispatch`)
instead of computing, as ``keras.ops`` does on a KerasTensor."""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

from brickwork.engine import dispatch

# ops that describe a tensor, or take Python callables, answer directly
_NOT_RECORDED = frozenset({
    "shape", "ndim", "dtype", "is_tensor", "convert_to_numpy", "cond", "while_loop", "fori_loop", "scan", "map",
    "switch", "vectorized_map",
})


def symbolic_aware(name: str, fn: Any) -> Any:
    """``fn`` that records a graph node when any argument is symbolic."""
    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        if dispatch.any_symbolic(args, kwargs):
            return dispatch.record(f"ops.{name}", args, kwargs)
        return fn(*args, **kwargs)

    op.__wrapped_op__ = fn
    return op


def install(namespace: dict[str, Any], names: list[str], modules: list[ModuleType]) -> None:
    """Replace each op in ``namespace`` (and the same function in ``modules``) by its symbolic-aware form."""
    for name in names:
        fn = namespace.get(name)
        if name in _NOT_RECORDED or isinstance(fn, ModuleType) or not callable(fn) or hasattr(fn, "__wrapped_op__"):
            continue
        wrapped = symbolic_aware(name, fn)
        namespace[name] = wrapped
        for module in modules:
            if getattr(module, name, None) is fn:
                setattr(module, name, wrapped)

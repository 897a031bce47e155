"""The one hook through which a function of tensors meets a symbolic tensor.

``brickwork.ops.sum(Input(...), axis=1)`` must record a graph node instead of
computing. The graph lives above the engine (in :mod:`brickwork.layers`), so
the layers package registers its recorder here when it loads, and the ops ask
this module — never the layers — whether an argument is symbolic.
"""

from __future__ import annotations

from typing import Any

_recorder: tuple[Any, Any] | None = None


def set_recorder(is_symbolic: Any, record: Any) -> None:
    """Install ``is_symbolic(structure) -> bool`` and ``record(name, args, kwargs) -> outputs``."""
    global _recorder
    _recorder = (is_symbolic, record)


def any_symbolic(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether any argument (at any depth of lists/tuples/dicts) is a symbolic tensor."""
    return _recorder is not None and _recorder[0]((args, kwargs))


def record(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Record the call ``name(*args, **kwargs)`` as a graph node; returns its symbolic outputs."""
    if _recorder is None:  # pragma: no cover - brickwork.layers always loads with brickwork
        raise RuntimeError("No graph recorder is installed: import brickwork.layers first.")
    return _recorder[1](name, args, kwargs)

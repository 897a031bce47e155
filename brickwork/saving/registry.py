"""A registry of the classes and functions that a saved file may name.

Loading never imports a module or evaluates a string: a name in a file is
looked up here (or in ``custom_objects``) and nothing else.
"""

from __future__ import annotations

from typing import Any

_REGISTRY: dict[str, Any] = {}


def register_serializable(obj: Any = None, *, name: str | None = None) -> Any:
    """Register a class or function so that saved files may refer to it by name.

    Usable as ``@register_serializable`` or ``@register_serializable(name='X')``.
    """
    def wrap(target: Any) -> Any:
        _REGISTRY[name or target.__name__] = target
        return target

    return wrap(obj) if obj is not None else wrap


def lookup(name: str, custom_objects: dict[str, Any] | None = None, kind: str = "object") -> Any:
    """Return the registered object ``name`` or raise a ValueError that lists the choices."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _REGISTRY:
        return _REGISTRY[name]
    raise ValueError(
        f"Unknown {kind} {name!r} in a saved configuration. Pass it in "
        f"custom_objects={{'{name}': ...}} or decorate it with "
        "brickwork.saving.register_serializable."
    )

"""A registry of the classes and functions that a saved file may name.

Loading never imports a module or evaluates a string: a name in a file is
looked up here (or in ``custom_objects``) and nothing else.
"""

from __future__ import annotations

from typing import Any

_REGISTRY: dict[str, Any] = {}
_CUSTOM_OBJECTS: dict[str, Any] = {}  # what Keras's get_custom_objects() returns: user registrations only
_REGISTERED_NAMES: dict[int, str] = {}  # id(object) -> its 'package>name' key


def register_serializable(obj: Any = None, *, name: str | None = None) -> Any:
    """Register a class or function so that saved files may refer to it by name.

    Usable as ``@register_serializable`` or ``@register_serializable(name='X')``.
    """
    def wrap(target: Any) -> Any:
        _REGISTRY[name or target.__name__] = target
        return target

    return wrap(obj) if obj is not None else wrap


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Any:
    """Keras's decorator: register a class or function under ``'package>name'`` (``name``
    defaults to its ``__name__``) so saved files may name it.

    The object is found by that key (as Keras writes it in ``registered_name``) and, when
    no other object holds it, by its bare ``__name__`` (what brickwork's writer stores as
    ``class_name``). Classes must define ``get_config``.
    """
    if not isinstance(package, str) or not package or ">" in package:
        raise ValueError(f"register_keras_serializable: package must be a non-empty string without '>'; "
                         f"got {package!r}.")
    if name is not None and (not isinstance(name, str) or not name):
        raise ValueError(f"register_keras_serializable: name must be a non-empty string or None; got {name!r}.")

    def wrap(target: Any) -> Any:
        if isinstance(target, type) and not hasattr(target, "get_config"):
            raise ValueError(f"register_keras_serializable: cannot register class {target.__name__!r}: it has "
                             "no get_config() method.")
        key = f"{package}>{name or target.__name__}"
        _CUSTOM_OBJECTS[key] = target
        _REGISTRY[key] = target
        _REGISTRY.setdefault(target.__name__, target)
        _REGISTERED_NAMES[id(target)] = key
        return target

    return wrap


def get_custom_objects() -> dict[str, Any]:
    """The live dict of user-registered objects (``'package>name'`` -> object), as Keras's
    ``get_custom_objects()``; entries added to it are found when loading."""
    return _CUSTOM_OBJECTS


def get_registered_name(obj: Any) -> str:
    """The key ``obj`` was registered under by :func:`register_keras_serializable`, else its ``__name__``."""
    return _REGISTERED_NAMES.get(id(obj)) or getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """The object registered as ``name`` (a ``'package>name'`` key or a bare name), or None."""
    for table in (custom_objects or {}, _CUSTOM_OBJECTS, _REGISTRY):
        if name in table:
            return table[name]
    return None


def lookup(name: str, custom_objects: dict[str, Any] | None = None, kind: str = "object") -> Any:
    """Return the registered object ``name`` or raise a ValueError that lists the choices."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _CUSTOM_OBJECTS:
        return _CUSTOM_OBJECTS[name]
    if name in _REGISTRY:
        return _REGISTRY[name]
    raise ValueError(
        f"Unknown {kind} {name!r} in a saved configuration. Pass it in "
        f"custom_objects={{'{name}': ...}} or decorate it with "
        "brickwork.saving.register_serializable."
    )


class Catalog:
    """The ``get`` / ``serialize`` / ``deserialize`` of one kind of configurable object
    (initializers, regularizers, constraints, optimizers), written once.

    Args:
        kind: What the objects are, for messages (``'initializer'``).
        base: Their base class (instances pass through ``get`` unchanged).
        names: Keras's string names (lower case) to classes or factories.
        classes: Class names to classes, for configs ``{'class_name', 'config'}``.
        default: A factory for ``get(None)``; without one ``get(None)`` is ``None``.
        allow_callables: Whether a plain callable is accepted as one (a custom initializer).
    """

    def __init__(self, kind: str, base: type, names: dict[str, Any], classes: dict[str, type],
                 default: Any = None, allow_callables: bool = True) -> None:
        self.kind, self.base, self.names, self.classes = kind, base, names, classes
        self.default, self.allow_callables = default, allow_callables

    def get(self, identifier: Any) -> Any:
        """An object from a name, a config dict, an instance, a class or (where allowed) a callable."""
        if identifier is None:
            return self.default() if self.default is not None else None
        if isinstance(identifier, self.base):
            return identifier
        if isinstance(identifier, str):
            if identifier.lower() in self.names:
                return self.names[identifier.lower()]()
            if identifier in self.classes:
                return self.classes[identifier]()
            registered = get_registered_object(identifier)
            if registered is not None:
                return registered() if isinstance(registered, type) else registered
            raise ValueError(f"Unknown {self.kind} {identifier!r}. Valid names: {sorted(self.names)}.")
        if isinstance(identifier, dict):
            return self.deserialize(identifier)
        if isinstance(identifier, type) and issubclass(identifier, self.base):
            return identifier()
        if self.allow_callables and callable(identifier):
            return identifier
        raise ValueError(f"Could not interpret {self.kind} identifier: {identifier!r}")

    def serialize(self, obj: Any) -> Any:
        """``{'class_name', 'config'}`` (``None`` stays ``None``)."""
        if obj is None:
            return None
        if isinstance(obj, self.base):
            return {"class_name": type(obj).__name__, "config": obj.get_config()}
        raise ValueError(f"Cannot serialize {self.kind} {obj!r}: use a brickwork.{self.kind}s class "
                         "(or one registered with register_keras_serializable).")

    def deserialize(self, config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
        """The object :meth:`serialize` described (registered user classes included)."""
        if config is None:
            return None
        name = config.get("class_name")
        cls = self.classes.get(name) or get_registered_object(name, custom_objects)
        if not isinstance(cls, type):
            raise ValueError(f"Unknown {self.kind} class {name!r} in a saved configuration.")
        cfg = config.get("config", {}) or {}
        return cls.from_config(cfg) if hasattr(cls, "from_config") else cls(**cfg)

"""Loss lookup by name and (de)serialisation as Keras: ``get``, ``serialize``, ``deserialize``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from brickwork.losses import losses as core
from brickwork.losses import margin as hinge_losses
from brickwork.losses import overlap
from brickwork.losses import regression as reg
from brickwork.losses.base import Loss, LossFunctionWrapper
from brickwork.utils.registry import get_registered_name, get_registered_object

MODULE = "brickwork.losses"

CLASSES: dict[str, type] = {cls.__name__: cls for cls in (
    core.MeanSquaredError, core.MeanAbsoluteError, core.Huber, core.BinaryCrossentropy,
    core.CategoricalCrossentropy, core.SparseCategoricalCrossentropy, core.CostSensitiveBinaryCrossentropy,
    reg.MeanAbsolutePercentageError, reg.MeanSquaredLogarithmicError, reg.LogCosh, reg.Poisson,
    reg.KLDivergence, reg.CosineSimilarity, hinge_losses.Hinge, hinge_losses.SquaredHinge,
    hinge_losses.CategoricalHinge, overlap.Dice, overlap.Tversky, Loss, LossFunctionWrapper)}

# function -> the class that wraps it (a function passed to compile() becomes its class, as Keras)
FUNCTIONS: dict[Callable[..., Any], type] = {
    core.mean_squared_error: core.MeanSquaredError, core.mean_absolute_error: core.MeanAbsoluteError,
    core.huber: core.Huber, core.binary_crossentropy: core.BinaryCrossentropy,
    core.categorical_crossentropy: core.CategoricalCrossentropy,
    core.sparse_categorical_crossentropy: core.SparseCategoricalCrossentropy,
    core.cost_sensitive_binary_crossentropy: core.CostSensitiveBinaryCrossentropy,
    reg.mean_absolute_percentage_error: reg.MeanAbsolutePercentageError,
    reg.mean_squared_logarithmic_error: reg.MeanSquaredLogarithmicError, reg.log_cosh: reg.LogCosh,
    reg.poisson: reg.Poisson, reg.kl_divergence: reg.KLDivergence, reg.cosine_similarity: reg.CosineSimilarity,
    hinge_losses.hinge: hinge_losses.Hinge, hinge_losses.squared_hinge: hinge_losses.SquaredHinge,
    hinge_losses.categorical_hinge: hinge_losses.CategoricalHinge, overlap.dice: overlap.Dice,
    overlap.tversky: overlap.Tversky,
}

ALIASES: dict[str, Callable[..., Any]] = {
    "mse": core.mean_squared_error, "mae": core.mean_absolute_error, "mape": reg.mean_absolute_percentage_error,
    "msle": reg.mean_squared_logarithmic_error, "kld": reg.kl_divergence, "kullback_leibler_divergence":
    reg.kl_divergence, "logcosh": reg.log_cosh, "huber_loss": core.huber,
}
NAMES: dict[str, Callable[..., Any]] = {fn.__name__: fn for fn in FUNCTIONS} | ALIASES


def get(identifier: Any) -> Loss | None:
    """A :class:`Loss` from a name (``'binary_crossentropy'``, ``'mse'``, ``'BinaryCrossentropy'``),
    a serialised config dict, a Loss instance or class, or any callable ``(y_true, y_pred) -> Tensor``.
    ``None`` gives ``None``."""
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        if identifier in NAMES:
            return FUNCTIONS[NAMES[identifier]]()
        if identifier in CLASSES and CLASSES[identifier] not in (Loss, LossFunctionWrapper):
            return CLASSES[identifier]()
        valid = sorted(NAMES)
        raise ValueError(f"Unknown loss {identifier!r}. Valid names: {valid}.")
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if identifier in FUNCTIONS:
        return FUNCTIONS[identifier]()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def _registered_key(obj: Any) -> str | None:
    """The ``'package>name'`` key ``obj`` was registered under (``register_keras_serializable``), else None."""
    key = get_registered_name(obj)
    return key if ">" in key and get_registered_object(key) is obj else None


def _function_config(fn: Callable[..., Any]) -> dict[str, Any]:
    """Keras's layout for a function: its name (built-in) or its registered ``'package>name'`` key."""
    if fn in FUNCTIONS:
        return {"module": MODULE, "class_name": "function", "config": fn.__name__, "registered_name": "function"}
    key = _registered_key(fn)
    if key is None:
        raise ValueError(f"Cannot serialize loss function {getattr(fn, '__qualname__', fn)!r}: it is not "
                         "registered. Decorate it with @brickwork.utils.register_keras_serializable() (or write a "
                         "Loss subclass with get_config()), and pass it in custom_objects when loading.")
    return {"module": "builtins", "class_name": "function", "config": key, "registered_name": "function"}


def serialize(loss: Any) -> Any:
    """A JSON-able description of a loss, in Keras 3's layout
    ``{"module", "class_name", "config", "registered_name"}`` (None stays None, a name stays a name).

    A built-in loss is named by its class; a user's Loss subclass by its class name and, when
    registered with :func:`brickwork.utils.register_keras_serializable`, its ``'package>name'``
    key in ``registered_name``; a registered function as Keras writes one
    (``class_name='function'``, ``config='package>name'``).

    Raises:
        ValueError: for a function that is neither built in nor registered.
    """
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, LossFunctionWrapper) and type(loss) is LossFunctionWrapper:
        fn = loss.fn
        if fn in FUNCTIONS:
            return {"module": MODULE, "class_name": FUNCTIONS[fn].__name__, "config": loss.get_config(),
                    "registered_name": None}
        fn_config = _function_config(fn)
        if not loss.fn_kwargs and loss.reduction == "sum_over_batch_size" and loss.name == fn.__name__:
            return fn_config
        return {"module": MODULE, "class_name": "LossFunctionWrapper",
                "config": {**loss.get_config(), "fn": fn_config}, "registered_name": None}
    if isinstance(loss, Loss):
        cls = type(loss)
        builtin = CLASSES.get(cls.__name__) is cls
        return {"module": MODULE if builtin else cls.__module__, "class_name": cls.__name__,
                "config": loss.get_config(), "registered_name": None if builtin else get_registered_name(cls)}
    if callable(loss):
        return _function_config(loss)
    raise ValueError(f"Cannot serialize loss {loss!r}: expected a name, a Loss or a loss function.")


def _lookup(name: str | None, custom_objects: dict[str, Any] | None) -> Any:
    if not name:
        return None
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return get_registered_object(name)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Loss | None:
    """The loss described by :func:`serialize`'s output (or by Keras 3's), or by a name.

    User-defined losses are found in ``custom_objects`` (by ``'package>name'`` key or class
    name) and then among the objects registered with ``register_keras_serializable``; no
    module is ever imported.

    Raises:
        ValueError: naming the class or function that cannot be found.
    """
    if config is None or isinstance(config, str):
        if isinstance(config, str) and custom_objects and config in custom_objects:
            return get(custom_objects[config])
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize loss from {config!r}: expected a dict with 'class_name'.")
    name = config["class_name"]
    if name == "function":
        fn_name = config.get("config")
        if not isinstance(fn_name, str):
            raise ValueError(f"Could not deserialize loss function from {config!r}: 'config' must be its name.")
        if fn_name in NAMES and not (custom_objects and fn_name in custom_objects):
            return get(fn_name)
        fn = _lookup(fn_name, custom_objects) or _lookup(fn_name.split(">")[-1], custom_objects)
        if fn is None or not callable(fn):
            raise ValueError(f"Unknown loss function {fn_name!r} in a saved configuration: register it with "
                             "@brickwork.utils.register_keras_serializable() or pass it in custom_objects.")
        return get(fn)
    inner = dict(config.get("config") or {})
    if name == "LossFunctionWrapper":
        fn_loss = deserialize(inner.pop("fn", None), custom_objects)
        if not isinstance(fn_loss, LossFunctionWrapper):
            raise ValueError(f"Could not deserialize LossFunctionWrapper from {config!r}: no function in 'fn'.")
        return LossFunctionWrapper(fn_loss.fn, **inner)
    registered = config.get("registered_name")
    cls = _lookup(registered, custom_objects) or (custom_objects or {}).get(name)
    if cls is None and not registered:
        cls = CLASSES.get(name)
    if cls is None:
        cls = _lookup(name, custom_objects)
    if not isinstance(cls, type) or not issubclass(cls, Loss) or cls in (Loss, LossFunctionWrapper):
        shown = registered or name
        raise ValueError(f"Unknown loss class {shown!r} in a saved configuration: register it with "
                         "@brickwork.utils.register_keras_serializable() or pass it in custom_objects.")
    return cls.from_config(inner)


def serialize_structure(given: Any, losses: list[Any], output_names: list[str]) -> Any:
    """The ``loss`` argument of ``compile`` made JSON-able: names stay names, each loss object or
    function becomes its config (taken from ``losses``, the compiled loss of each output, named by
    ``output_names``), and a list or dict keeps its layout.

    Raises:
        ValueError: for a function that is neither built in nor registered (see :func:`serialize`).
    """
    objects = dict(zip(output_names, losses))
    if isinstance(given, dict):
        return {key: value if value is None or isinstance(value, str) else serialize(objects[key])
                for key, value in given.items()}
    if isinstance(given, (list, tuple)):
        return [value if value is None or isinstance(value, str) else serialize(lo)
                for value, lo in zip(given, losses)]
    if isinstance(given, str):
        return given
    out = [serialize(lo) for lo in losses]
    return out[0] if len(out) == 1 else out


def deserialize_structure(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The ``loss`` argument of ``compile`` from a saved one: names stay names, loss configs become
    losses, and lists / dicts (one entry per output) keep their layout."""
    if config is None or isinstance(config, str):
        return config
    if isinstance(config, dict) and "class_name" in config:
        return deserialize(config, custom_objects)
    if isinstance(config, dict):
        return {key: deserialize_structure(value, custom_objects) for key, value in config.items()}
    if isinstance(config, (list, tuple)):
        return [deserialize_structure(value, custom_objects) for value in config]
    raise ValueError(f"Could not deserialize the loss {config!r}: expected a name, a loss config, or a list or "
                     "dict of them.")

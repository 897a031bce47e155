"""Loss lookup by name and (de)serialisation as Keras: ``get``, ``serialize``, ``deserialize``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from brickwork.losses import losses as core
from brickwork.losses import margin as hinge_losses
from brickwork.losses import overlap
from brickwork.losses import regression as reg
from brickwork.losses.base import Loss, LossFunctionWrapper

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


def serialize(loss: Any) -> Any:
    """A JSON-able description of a loss, in Keras's layout
    ``{"module", "class_name", "config", "registered_name"}`` (None stays None, a name stays a name).

    Raises:
        ValueError: for a wrapped arbitrary function or a Loss whose config is not JSON-able.
    """
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, LossFunctionWrapper) and type(loss) is LossFunctionWrapper:
        fn = loss.fn
        if fn in FUNCTIONS:
            return {"module": MODULE, "class_name": FUNCTIONS[fn].__name__, "config": loss.get_config(),
                    "registered_name": None}
        raise ValueError(f"Cannot serialize loss {loss!r} wrapping the function {fn!r}: use a Loss subclass "
                         "with get_config().")
    if isinstance(loss, Loss):
        cls = type(loss)
        builtin = CLASSES.get(cls.__name__) is cls
        return {"module": MODULE if builtin else cls.__module__, "class_name": cls.__name__,
                "config": loss.get_config(), "registered_name": None if builtin else cls.__name__}
    if callable(loss) and loss in FUNCTIONS:
        return {"module": MODULE, "class_name": "function", "config": loss.__name__,
                "registered_name": "function"}
    raise ValueError(f"Cannot serialize loss {loss!r}.")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Loss | None:
    """The loss described by :func:`serialize`'s output (or a name); ``custom_objects`` maps the
    class names of user-defined losses to their classes."""
    if config is None or isinstance(config, str):
        if isinstance(config, str) and custom_objects and config in custom_objects:
            return get(custom_objects[config])
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize loss from {config!r}: expected a dict with 'class_name'.")
    name = config["class_name"]
    if name == "function":
        return get(config.get("config"))
    cls = (custom_objects or {}).get(name) or (custom_objects or {}).get(config.get("registered_name") or "") \
        or CLASSES.get(name)
    if cls is None or cls in (Loss, LossFunctionWrapper):
        raise ValueError(f"Unknown loss class {name!r} in a saved configuration; pass it in custom_objects.")
    if hasattr(cls, "from_config"):
        return cls.from_config(dict(config.get("config") or {}))
    return cls(**(config.get("config") or {}))

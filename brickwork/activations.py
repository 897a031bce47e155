"""Activation lookup by name (``activation='relu'``), as in ``keras.activations``.

Sigmoid and softmax outputs remember their logits (``_keras_logits``) so that
the cross-entropy losses can use the exact, stable logit formulas even when the
model ends in a probability layer, as Keras does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from brickwork import functions as F
from brickwork.engine.tensor import Tensor


def linear(x: Tensor) -> Tensor:
    """Identity."""
    return x


def sigmoid(x: Tensor) -> Tensor:
    """Logistic sigmoid; the output keeps a reference to its logits."""
    y = F.sigmoid(x)
    y._keras_logits = x
    return y


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """Softmax along ``axis``; the output keeps a reference to its logits."""
    y = F.softmax(x, axis)
    if axis == -1:
        y._keras_logits = x
    return y


def exponential(x: Tensor) -> Tensor:
    """:math:`e^x`."""
    return F.exp(x)


relu = F.relu
relu6 = F.relu6
tanh = F.tanh
elu = F.elu
selu = F.selu
softplus = F.softplus
softsign = F.softsign
silu = F.silu
swish = F.silu
gelu = F.gelu
hard_sigmoid = F.hard_sigmoid
leaky_relu = F.leaky_relu
log_softmax = F.log_softmax

_ACTIVATIONS: dict[str, Callable[..., Tensor]] = {
    "linear": linear, "relu": relu, "relu6": relu6, "sigmoid": sigmoid, "softmax": softmax,
    "tanh": tanh, "elu": elu, "selu": selu, "softplus": softplus, "softsign": softsign,
    "silu": silu, "swish": swish, "gelu": gelu, "hard_sigmoid": hard_sigmoid,
    "leaky_relu": leaky_relu, "log_softmax": log_softmax, "exponential": exponential,
}


def get(identifier: Any) -> Callable[..., Tensor]:
    """Return the activation function for a name, a callable, or None (linear)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier.lower() in _ACTIVATIONS:
            return _ACTIVATIONS[identifier.lower()]
        from brickwork.utils.registry import get_registered_object

        registered = get_registered_object(identifier)
        if callable(registered):
            return registered
        raise ValueError(f"Unknown activation {identifier!r}. Valid names: {sorted(_ACTIVATIONS)} "
                         "(or a function registered with register_keras_serializable).")
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation identifier: {identifier!r}")


def serialize(fn: Callable[..., Tensor]) -> str:
    """The name of a built-in activation (or of a registered function)."""
    for name, f in _ACTIVATIONS.items():
        if f is fn:
            return name
    from brickwork.utils.registry import get_registered_name, get_registered_object

    name = get_registered_name(fn)
    if get_registered_object(name) is fn:
        return name
    raise ValueError(
        f"Cannot serialize activation {fn!r}: use a built-in name or decorate it with "
        "brickwork.saving.register_serializable."
    )


def deserialize(name: str, custom_objects: dict[str, Any] | None = None) -> Callable[..., Tensor]:
    if name in _ACTIVATIONS:
        return _ACTIVATIONS[name]
    from brickwork.utils.registry import lookup

    return lookup(name, custom_objects, kind="activation")

"""Activation functions of ``keras.ops.nn`` (Keras's argument names and defaults)."""

from __future__ import annotations

from typing import Any

from brickwork import functions as F
from brickwork.engine.device import asarray
from brickwork.engine.tensor import Tensor
from brickwork.ops._convert import floating


def relu(x: Any) -> Tensor:
    """``max(x, 0)``."""
    return F.relu(floating(x))


def relu6(x: Any) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return F.relu6(floating(x))


def sigmoid(x: Any) -> Tensor:
    """Logistic ``1 / (1 + exp(-x))``."""
    return F.sigmoid(floating(x))


def softplus(x: Any) -> Tensor:
    """``log(1 + exp(x))``."""
    return F.softplus(floating(x))


def softsign(x: Any) -> Tensor:
    """``x / (1 + |x|)``."""
    return F.softsign(floating(x))


def silu(x: Any) -> Tensor:
    """``x * sigmoid(x)``."""
    return F.silu(floating(x))


swish = silu


def log_sigmoid(x: Any) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``."""
    return F.negative(F.softplus(F.negative(floating(x))))


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """``x`` for positive inputs, else ``negative_slope * x``."""
    return F.leaky_relu(floating(x), negative_slope)


def hard_sigmoid(x: Any) -> Tensor:
    """``relu6(x + 3) / 6``."""
    return F.hard_sigmoid(floating(x))


def hard_silu(x: Any) -> Tensor:
    """``x * hard_sigmoid(x)``."""
    t = floating(x)
    return F.multiply(t, F.hard_sigmoid(t))


hard_swish = hard_silu


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """``x`` for positive inputs, else ``alpha * (exp(x) - 1)``."""
    return F.elu(floating(x), alpha)


def selu(x: Any) -> Tensor:
    """Scaled ELU (Klambauer et al.'s constants)."""
    return F.selu(floating(x))


def gelu(x: Any, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit; Keras's op defaults to the tanh approximation."""
    return F.gelu(floating(x), approximate)


def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``."""
    t = floating(x)
    return F.multiply(F.elu(F.divide(t, asarray(alpha, t.dtype)), 1.0), asarray(alpha, t.dtype))


def glu(x: Any, axis: int = -1) -> Tensor:
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second half."""
    t = floating(x)
    if t.shape[axis] % 2:
        raise ValueError(f"glu: axis {axis} of x (shape {t.shape}) must have an even length.")
    a, b = F.split(t, 2, axis)
    return F.multiply(a, F.sigmoid(b))


def softmax(x: Any, axis: int = -1) -> Tensor:
    """Normalised exponential along ``axis``."""
    return F.softmax(floating(x), axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """Log of the softmax along ``axis``, stable."""
    return F.log_softmax(floating(x), axis)

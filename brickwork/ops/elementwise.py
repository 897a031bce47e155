"""Element-wise ops of ``keras.ops.numpy``: arithmetic, comparisons, logic and math functions.

Differentiable ones build on :mod:`brickwork.functions`; comparisons, logic and
rounding (``sign``, ``floor``, ``round``...) have zero or undefined gradient
and return plain tensors with no graph.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.device import asarray
from brickwork.engine.tensor import Tensor
from brickwork.functions import special, trigonometric
from brickwork.ops._convert import floating, plain, promote, raw, tensor

# ------------------------------------------------------------------ arithmetic


def add(x1: Any, x2: Any) -> Tensor:
    """``x1 + x2`` with broadcasting."""
    return F.add(*promote(x1, x2))


def subtract(x1: Any, x2: Any) -> Tensor:
    """``x1 - x2`` with broadcasting."""
    return F.subtract(*promote(x1, x2))


def multiply(x1: Any, x2: Any) -> Tensor:
    """``x1 * x2`` with broadcasting."""
    return F.multiply(*promote(x1, x2))


def divide(x1: Any, x2: Any) -> Tensor:
    """True division ``x1 / x2`` (integers give floatx)."""
    return F.divide(*promote(x1, x2, to_float=True))


true_divide = divide


def divide_no_nan(x1: Any, x2: Any) -> Tensor:
    """``x1 / x2`` with 0 wherever ``x2 == 0`` (and no gradient there)."""
    a, b = promote(x1, x2, to_float=True)
    zero = b.data == 0
    safe = F.where(zero, np.ones((), b.dtype), b)
    return F.where(zero, np.zeros((), b.dtype), F.divide(a, safe))


def negative(x: Any) -> Tensor:
    """``-x``."""
    return F.negative(tensor(x))


def power(x1: Any, x2: Any) -> Tensor:
    """``x1 ** x2`` element-wise."""
    return F.power(*promote(x1, x2))


def square(x: Any) -> Tensor:
    """``x * x``."""
    return F.square(tensor(x))


def reciprocal(x: Any) -> Tensor:
    """``1 / x``."""
    t = floating(x)
    return F.divide(np.ones((), t.dtype), t)


def floor_divide(x1: Any, x2: Any) -> Tensor:
    """``x1 // x2`` (no gradient: piecewise constant)."""
    a, b = promote(x1, x2)
    return plain(np.floor_divide(a.data, b.data))


def mod(x1: Any, x2: Any) -> Tensor:
    """``x1 % x2`` with the sign of ``x2`` (no gradient recorded)."""
    a, b = promote(x1, x2)
    return plain(np.mod(a.data, b.data))


def maximum(x1: Any, x2: Any) -> Tensor:
    """Element-wise maximum (ties split the gradient)."""
    return F.maximum(*promote(x1, x2))


def minimum(x1: Any, x2: Any) -> Tensor:
    """Element-wise minimum (ties split the gradient)."""
    return F.minimum(*promote(x1, x2))


def clip(x: Any, x_min: Any, x_max: Any) -> Tensor:
    """Clamp to ``[x_min, x_max]``; the gradient passes where ``x_min <= x <= x_max``."""
    t = tensor(x)
    lo = None if x_min is None else asarray(raw(x_min)).astype(t.dtype)
    hi = None if x_max is None else asarray(raw(x_max)).astype(t.dtype)
    return F.clip(t, lo, hi)


def abs(x: Any) -> Tensor:  # noqa: A001 - Keras's name
    """``|x|`` (gradient ``sign(x)``, 0 at 0)."""
    return F.abs(tensor(x))


absolute = abs

# ----------------------------------------------------------- transcendental


def exp(x: Any) -> Tensor:
    """``e ** x``."""
    return F.exp(floating(x))


def expm1(x: Any) -> Tensor:
    """``e ** x - 1``, accurate near 0."""
    return special.expm1(floating(x))


def exp2(x: Any) -> Tensor:
    """``2 ** x``."""
    t = floating(x)
    return F.power(asarray(2.0, t.dtype), t)


def log(x: Any) -> Tensor:
    """Natural logarithm."""
    return F.log(floating(x))


def log1p(x: Any) -> Tensor:
    """``log(1 + x)``, accurate near 0."""
    return special.log1p(floating(x))


def log2(x: Any) -> Tensor:
    """Base-2 logarithm."""
    t = floating(x)
    return F.divide(F.log(t), asarray(math.log(2), t.dtype))


def log10(x: Any) -> Tensor:
    """Base-10 logarithm."""
    t = floating(x)
    return F.divide(F.log(t), asarray(math.log(10), t.dtype))


def logaddexp(x1: Any, x2: Any) -> Tensor:
    """``log(exp(x1) + exp(x2))`` without overflow: ``max + log1p(exp(-|x1 - x2|))``."""
    a, b = promote(x1, x2, to_float=True)
    return F.add(F.maximum(a, b), special.log1p(F.exp(F.negative(F.abs(F.subtract(a, b))))))


def sqrt(x: Any) -> Tensor:
    """Square root."""
    return F.sqrt(floating(x))


def rsqrt(x: Any) -> Tensor:
    """``1 / sqrt(x)``."""
    t = floating(x)
    return F.divide(np.ones((), t.dtype), F.sqrt(t))


def erf(x: Any) -> Tensor:
    """The error function."""
    return special.erf(floating(x))


def _unary(fn: Any, doc: str) -> Any:
    def op(x: Any) -> Tensor:
        return fn(floating(x))

    op.__name__ = op.__qualname__ = fn.__name__
    op.__doc__ = doc
    return op


sin = _unary(trigonometric.sin, "Sine.")
cos = _unary(trigonometric.cos, "Cosine.")
tan = _unary(trigonometric.tan, "Tangent.")
arcsin = _unary(trigonometric.arcsin, "Inverse sine.")
arccos = _unary(trigonometric.arccos, "Inverse cosine.")
arctan = _unary(trigonometric.arctan, "Inverse tangent.")
sinh = _unary(trigonometric.sinh, "Hyperbolic sine.")
cosh = _unary(trigonometric.cosh, "Hyperbolic cosine.")
tanh = _unary(F.tanh, "Hyperbolic tangent.")
arcsinh = _unary(trigonometric.arcsinh, "Inverse hyperbolic sine.")
arccosh = _unary(trigonometric.arccosh, "Inverse hyperbolic cosine.")
arctanh = _unary(trigonometric.arctanh, "Inverse hyperbolic tangent.")


def arctan2(x1: Any, x2: Any) -> Tensor:
    """The angle of the point ``(x2, x1)``."""
    return trigonometric.arctan2(*promote(x1, x2, to_float=True))

# ------------------------------------------------------- piecewise constant


def sign(x: Any) -> Tensor:
    """-1, 0 or 1 (no gradient)."""
    return plain(np.sign(raw(x)))


def floor(x: Any) -> Tensor:
    """Round down (no gradient; integers become floatx as in Keras)."""
    return plain(np.floor(floating(x).data))


def ceil(x: Any) -> Tensor:
    """Round up (no gradient)."""
    return plain(np.ceil(floating(x).data))


def trunc(x: Any) -> Tensor:
    """Round towards zero (no gradient)."""
    return plain(np.trunc(raw(x)))


def round(x: Any, decimals: int = 0) -> Tensor:  # noqa: A001 - Keras's name
    """Round half to even to ``decimals`` places (no gradient)."""
    return plain(np.round(raw(x), decimals))

# ----------------------------------------------------- comparison and logic


def _compare(fn: Any, name: str) -> Any:
    def op(x1: Any, x2: Any) -> Tensor:
        a, b = promote(x1, x2)
        return plain(fn(a.data, b.data))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Element-wise ``{fn.__name__}`` as a boolean tensor (no gradient)."
    return op


equal = _compare(np.equal, "equal")
not_equal = _compare(np.not_equal, "not_equal")
less = _compare(np.less, "less")
less_equal = _compare(np.less_equal, "less_equal")
greater = _compare(np.greater, "greater")
greater_equal = _compare(np.greater_equal, "greater_equal")
logical_and = _compare(np.logical_and, "logical_and")
logical_or = _compare(np.logical_or, "logical_or")
logical_xor = _compare(np.logical_xor, "logical_xor")


def logical_not(x: Any) -> Tensor:
    """Element-wise NOT as a boolean tensor."""
    return plain(np.logical_not(raw(x)))


def isclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    """``|x1 - x2| <= atol + rtol |x2|`` as a boolean tensor."""
    return plain(np.isclose(raw(x1), raw(x2), rtol=rtol, atol=atol, equal_nan=equal_nan))


def isnan(x: Any) -> Tensor:
    """Where ``x`` is NaN."""
    return plain(np.isnan(raw(x)))


def isinf(x: Any) -> Tensor:
    """Where ``x`` is infinite."""
    return plain(np.isinf(raw(x)))


def isfinite(x: Any) -> Tensor:
    """Where ``x`` is finite."""
    return plain(np.isfinite(raw(x)))

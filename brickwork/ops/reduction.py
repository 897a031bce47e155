"""Reductions of ``keras.ops.numpy`` / ``keras.ops.math``: sums, extremes, statistics, arg-extremes."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.device import asarray
from brickwork.engine.tensor import Tensor
from brickwork.functions import aggregation, cumulative
from brickwork.ops._convert import axis_tuple, floating, keras_dtype, plain, raw, tensor


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras's name
    """Sum over ``axis`` (all axes when None)."""
    return F.sum(tensor(x), axis_tuple(axis), keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (integers give floatx)."""
    return F.mean(floating(x), axis_tuple(axis), keepdims)


def _with_initial(reducer: Any, t: Tensor, axis: Any, keepdims: bool, initial: Any, pick: Any) -> Tensor:
    y = reducer(t, axis_tuple(axis), keepdims)
    if initial is None:
        return y
    return pick(y, asarray(initial, t.dtype))


def max(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Tensor:  # noqa: A001
    """Maximum over ``axis``; ``initial`` joins every reduction (ties share the gradient)."""
    return _with_initial(F.max, tensor(x), axis, keepdims, initial, F.maximum)


def min(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Tensor:  # noqa: A001
    """Minimum over ``axis``; ``initial`` joins every reduction."""
    return _with_initial(F.min, tensor(x), axis, keepdims, initial, F.minimum)


amax = max
amin = min


def prod(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Tensor:
    """Product over ``axis``."""
    t = tensor(x)
    if dtype is not None:
        t = F.cast(t, keras_dtype(dtype)) if t.dtype.kind == "f" else Tensor(t.data.astype(keras_dtype(dtype)))
    return aggregation.prod(t, axis_tuple(axis), keepdims)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, shifted by the maximum (its gradient is the softmax)."""
    return aggregation.logsumexp(floating(x), axis_tuple(axis), keepdims)


def var(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Population variance :math:`\\tfrac1N \\sum (x - \\bar x)^2` over ``axis``."""
    t = floating(x)
    axis = axis_tuple(axis)
    centred = F.subtract(t, F.mean(t, axis, True))
    return F.mean(F.square(centred), axis, keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation over ``axis``."""
    return F.sqrt(var(x, axis, keepdims))


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the first maximum (of the flattened tensor when ``axis`` is None), int32."""
    a = raw(x)
    return plain(np.argmax(a, axis=axis, keepdims=keepdims).astype(np.int32))


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the first minimum, int32."""
    a = raw(x)
    return plain(np.argmin(a, axis=axis, keepdims=keepdims).astype(np.int32))


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras's name
    """Whether any element along ``axis`` is true."""
    return plain(np.any(raw(x), axis=axis_tuple(axis), keepdims=keepdims))


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras's name
    """Whether every element along ``axis`` is true."""
    return plain(np.all(raw(x), axis=axis_tuple(axis), keepdims=keepdims))


def count_nonzero(x: Any, axis: Any = None) -> Tensor:
    """Number of non-zero elements along ``axis`` (int32)."""
    return plain(asarray(np.count_nonzero(raw(x), axis=axis_tuple(axis))).astype(np.int32))


def _cumulative(fn: Any, x: Any, axis: int | None, dtype: Any) -> Tensor:
    t = tensor(x)
    if dtype is not None and keras_dtype(dtype) != t.dtype:
        t = F.cast(t, keras_dtype(dtype)) if t.dtype.kind == "f" else Tensor(t.data.astype(keras_dtype(dtype)))
    if axis is None:
        t, axis = F.reshape(t, (-1,)), 0
    return fn(t, axis)


def cumsum(x: Any, axis: int | None = None, dtype: Any = None) -> Tensor:
    """Running sum along ``axis`` (over the flattened tensor when None)."""
    return _cumulative(cumulative.cumsum, x, axis, dtype)


def cumprod(x: Any, axis: int | None = None, dtype: Any = None) -> Tensor:
    """Running product along ``axis`` (over the flattened tensor when None)."""
    return _cumulative(cumulative.cumprod, x, axis, dtype)

"""Array constructors of ``keras.ops.numpy`` (constants: no graph)."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.config import floatx
from brickwork.engine.tensor import Tensor
from brickwork.ops._convert import keras_dtype, plain, raw


def _dtype(dtype: Any, default: Any = None) -> np.dtype:
    d = keras_dtype(dtype)
    return d if d is not None else np.dtype(default or floatx())


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def zeros(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of zeros (floatx by default)."""
    return plain(np.zeros(_shape(shape), _dtype(dtype)))


def ones(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of ones (floatx by default)."""
    return plain(np.ones(_shape(shape), _dtype(dtype)))


def empty(shape: Any, dtype: Any = None) -> Tensor:
    """An uninitialised-by-contract tensor (here: zeros)."""
    return zeros(shape, dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """A tensor filled with ``fill_value`` (floatx by default, as Keras)."""
    return plain(np.full(_shape(shape), raw(fill_value), _dtype(dtype)))


def zeros_like(x: Any, dtype: Any = None) -> Tensor:
    """Zeros of ``x``'s shape and (by default) dtype."""
    a = raw(x)
    return plain(np.zeros(a.shape, _dtype(dtype, a.dtype)))


def ones_like(x: Any, dtype: Any = None) -> Tensor:
    """Ones of ``x``'s shape and (by default) dtype."""
    a = raw(x)
    return plain(np.ones(a.shape, _dtype(dtype, a.dtype)))


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """``fill_value`` in ``x``'s shape and (by default) dtype."""
    a = raw(x)
    return plain(np.full(a.shape, raw(fill_value), _dtype(dtype, a.dtype)))


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Tensor:
    """Evenly spaced values in ``[start, stop)``: int32 for integer arguments, else floatx."""
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    if step == 0:
        raise ValueError("arange: step must not be 0.")
    is_float = any(isinstance(v, float) or np.asarray(raw(v)).dtype.kind == "f" for v in (start, stop, step))
    return plain(np.arange(raw(start), raw(stop), raw(step)).astype(_dtype(dtype, None if is_float else "int32")))


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: Any = None, axis: int = 0) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop`` (floatx by default)."""
    values, step = np.linspace(raw(start), raw(stop), num, endpoint=endpoint, retstep=True, axis=axis)
    out = plain(values.astype(_dtype(dtype)))
    return (out, plain(np.asarray(step, _dtype(dtype)))) if retstep else out


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: float = 10,
             dtype: Any = None, axis: int = 0) -> Tensor:
    """``base ** linspace(start, stop, num)``."""
    return plain(np.logspace(raw(start), raw(stop), num, endpoint=endpoint, base=base,
                             axis=axis).astype(_dtype(dtype)))


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:  # noqa: N803 - Keras's names
    """Ones on the ``k``-th diagonal of an ``N x M`` matrix."""
    return plain(np.eye(N, M, k, dtype=_dtype(dtype)))


def identity(n: int, dtype: Any = None) -> Tensor:
    """The ``n x n`` identity."""
    return eye(n, dtype=dtype)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:  # noqa: N803 - Keras's names
    """Ones at and below the ``k``-th diagonal of an ``N x M`` matrix."""
    return plain(np.tri(N, M, k, dtype=_dtype(dtype)))


def meshgrid(*x: Any, indexing: str = "xy") -> list[Tensor]:
    """Coordinate grids from 1-D coordinate vectors."""
    return [plain(g) for g in np.meshgrid(*(raw(v) for v in x), indexing=indexing)]

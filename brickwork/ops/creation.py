"""Array constructors of ``keras.ops.numpy`` (constants: no graph).

New arrays are made with NumPy and placed on the default device (``brickwork.set_device``);
the ``*_like`` constructors follow their argument's device."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.config import floatx
from brickwork.engine.device import device_of, get_device, to_device, to_host
from brickwork.engine.tensor import Tensor
from brickwork.ops._convert import keras_dtype, plain, raw


def _dtype(dtype: Any, default: Any = None) -> np.dtype:
    d = keras_dtype(dtype)
    return d if d is not None else np.dtype(default or floatx())


def _new(values: np.ndarray, like: Any = None) -> Tensor:
    """``values`` as a constant tensor on ``like``'s device (the default device when None)."""
    return plain(to_device(values, get_device() if like is None else device_of(like)))


def _host(v: Any) -> Any:
    """A scalar argument (which may be a 0-d device array) as a host value."""
    return to_host(raw(v))


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def zeros(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of zeros (floatx by default)."""
    return _new(np.zeros(_shape(shape), _dtype(dtype)))


def ones(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of ones (floatx by default)."""
    return _new(np.ones(_shape(shape), _dtype(dtype)))


def empty(shape: Any, dtype: Any = None) -> Tensor:
    """An uninitialised-by-contract tensor (here: zeros)."""
    return zeros(shape, dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """A tensor filled with ``fill_value`` (floatx by default, as Keras)."""
    return _new(np.full(_shape(shape), _host(fill_value), _dtype(dtype)))


def zeros_like(x: Any, dtype: Any = None) -> Tensor:
    """Zeros of ``x``'s shape and (by default) dtype."""
    a = raw(x)
    return _new(np.zeros(a.shape, _dtype(dtype, a.dtype)), a)


def ones_like(x: Any, dtype: Any = None) -> Tensor:
    """Ones of ``x``'s shape and (by default) dtype."""
    a = raw(x)
    return _new(np.ones(a.shape, _dtype(dtype, a.dtype)), a)


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """``fill_value`` in ``x``'s shape and (by default) dtype."""
    a = raw(x)
    return _new(np.full(a.shape, _host(fill_value), _dtype(dtype, a.dtype)), a)


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Tensor:
    """Evenly spaced values in ``[start, stop)``: int32 for integer arguments, else floatx."""
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    if step == 0:
        raise ValueError("arange: step must not be 0.")
    start, stop, step = (_host(v) for v in (start, stop, step))
    is_float = any(isinstance(v, float) or np.asarray(v).dtype.kind == "f" for v in (start, stop, step))
    return _new(np.arange(start, stop, step).astype(_dtype(dtype, None if is_float else "int32")))


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: Any = None, axis: int = 0) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop`` (floatx by default)."""
    values, step = np.linspace(_host(start), _host(stop), num, endpoint=endpoint, retstep=True, axis=axis)
    out = _new(values.astype(_dtype(dtype)))
    return (out, _new(np.asarray(step, _dtype(dtype)))) if retstep else out


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: float = 10,
             dtype: Any = None, axis: int = 0) -> Tensor:
    """``base ** linspace(start, stop, num)``."""
    return _new(np.logspace(_host(start), _host(stop), num, endpoint=endpoint, base=base,
                            axis=axis).astype(_dtype(dtype)))


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:  # noqa: N803 - Keras's names
    """Ones on the ``k``-th diagonal of an ``N x M`` matrix."""
    return _new(np.eye(N, M, k, dtype=_dtype(dtype)))


def identity(n: int, dtype: Any = None) -> Tensor:
    """The ``n x n`` identity."""
    return eye(n, dtype=dtype)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:  # noqa: N803 - Keras's names
    """Ones at and below the ``k``-th diagonal of an ``N x M`` matrix."""
    return _new(np.tri(N, M, k, dtype=_dtype(dtype)))


def meshgrid(*x: Any, indexing: str = "xy") -> list[Tensor]:
    """Coordinate grids from 1-D coordinate vectors."""
    grids = np.meshgrid(*(to_host(raw(v)) for v in x), indexing=indexing)
    return [_new(g, raw(x[0]) if x else None) for g in grids]

"""A CPU stand-in for CuPy that is as strict as CuPy about the host/device boundary.

No GPU is needed to find the NumPy-only habits that break on CuPy: this module builds a
``cupy`` (and ``cupyx``) module whose ``ndarray`` wraps a NumPy array but behaves like a
device array where it matters —

* ``numpy.asarray(device_array)`` and every other implicit conversion raise ``TypeError``
  (CuPy: "Implicit conversion to a NumPy array is not allowed"); ``.get()`` and
  ``cupy.asnumpy`` are the explicit ways back;
* arithmetic, ``cupy.*`` functions and item assignment refuse NumPy array operands
  (CuPy raises ``TypeError: Unsupported type <class 'numpy.ndarray'>``); ``cupy.asarray``
  and ``cupy.array`` are the explicit way in; Python and NumPy scalars are fine;
* reductions return 0-d device arrays, not scalars;
* NumPy functions called on device arrays dispatch to CuPy (``__array_function__`` and
  ``__array_ufunc__``, as CuPy implements them), so ``np.exp(x)`` returns a device array;
* ufuncs have no ``.at`` (scatter with repeated indices is ``cupyx.scatter_add``).

Install it with :func:`install` (the ``device`` fixtures do that through ``monkeypatch``).
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

_HOST_OK = {"asarray", "array", "asanyarray", "ascontiguousarray"}   # explicit host -> device copies


def _unwrap(value: Any, where: str) -> Any:
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, np.ndarray):
        raise TypeError(f"Unsupported type {type(value)} (fake CuPy: a NumPy array passed to {where}; "
                        "move it with cupy.asarray first)")
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v, where) for v in value)
    return value


def _wrap(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return ndarray(value)
    if isinstance(value, np.generic) and not isinstance(value, (np.str_, np.bytes_)):
        return ndarray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _device_function(name: str, fn: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        if name in _HOST_OK:
            args = tuple(a._a if isinstance(a, ndarray) else a for a in args)
        else:
            args = _unwrap(args, f"cupy.{name}")
            kwargs = {k: _unwrap(v, f"cupy.{name}") for k, v in kwargs.items()}
        out = kwargs.pop("out", None)
        if out is not None:
            kwargs["out"] = out
        return _wrap(fn(*args, **kwargs))

    call.__name__ = name
    return call


class _Ufunc:
    """A ufunc without ``.at`` (CuPy's scatter with duplicates is ``cupyx.scatter_add``)."""

    def __init__(self, uf: np.ufunc) -> None:
        self._uf = uf
        self.__name__ = uf.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        if isinstance(out, tuple):
            out = out[0]
        if isinstance(out, ndarray):
            kwargs["out"] = out._a
        args = _unwrap(args, f"cupy.{self.__name__}")
        result = self._uf(*args, **kwargs)
        return out if isinstance(out, ndarray) else _wrap(result)

    def reduce(self, *args: Any, **kwargs: Any) -> Any:
        return _wrap(self._uf.reduce(*_unwrap(args, f"cupy.{self.__name__}.reduce"), **kwargs))

    def accumulate(self, *args: Any, **kwargs: Any) -> Any:
        return _wrap(self._uf.accumulate(*_unwrap(args, f"cupy.{self.__name__}.accumulate"), **kwargs))

    def outer(self, *args: Any, **kwargs: Any) -> Any:
        return _wrap(self._uf.outer(*_unwrap(args, f"cupy.{self.__name__}.outer"), **kwargs))

    def reduceat(self, *args: Any, **kwargs: Any) -> Any:
        return _wrap(self._uf.reduceat(*_unwrap(args, f"cupy.{self.__name__}.reduceat"), **kwargs))


def _binary(name: str) -> Any:
    def op(self: ndarray, other: Any) -> Any:
        if isinstance(other, np.ndarray):
            raise TypeError(f"Unsupported type {type(other)} (fake CuPy: ndarray.{name} with a NumPy array)")
        if not isinstance(other, (ndarray, int, float, complex, bool, np.generic)):
            return NotImplemented
        return _wrap(getattr(self._a, name)(_unwrap(other, f"ndarray.{name}")))

    op.__name__ = name
    return op


class ndarray:  # noqa: N801  (named as CuPy's)
    """A device array: a NumPy array behind CuPy's host/device rules."""

    __module__ = "cupy"
    __array_priority__ = 100

    def __init__(self, a: np.ndarray) -> None:
        object.__setattr__(self, "_a", a)

    # explicit transfer ------------------------------------------------------------
    def get(self) -> np.ndarray:
        return self._a.copy()

    def set(self, host: np.ndarray) -> None:
        self._a[...] = host

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly. (fake CuPy)")

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        uf = getattr(module, ufunc.__name__)
        target = uf if method == "__call__" else getattr(uf, method)
        return target(*inputs, **kwargs)

    def __array_function__(self, func: Any, types_: Any, args: Any, kwargs: Any) -> Any:
        name = func.__name__
        mod = func.__module__ or ""
        owner = module
        for part in mod.split(".")[1:]:
            if part in ("linalg", "fft", "random"):
                owner = getattr(module, part)
        fn = getattr(owner, name, None)
        if fn is None:
            return NotImplemented
        return fn(*args, **kwargs)

    # attributes ---------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray(self._a.T))
    real = property(lambda self: ndarray(self._a.real))
    imag = property(lambda self: ndarray(self._a.imag))
    base = property(lambda self: None if self._a.base is None else ndarray(self._a.base))
    device = property(lambda self: "fake-gpu:0")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("data", "ctypes"):   # no __array_interface__, buffer or pointer
            raise AttributeError(f"fake cupy.ndarray has no attribute {name!r}")
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr)
        if name in ("tolist", "item", "tobytes"):
            return attr

        def method(*args: Any, **kwargs: Any) -> Any:
            out = kwargs.get("out")
            if isinstance(out, ndarray):
                kwargs["out"] = out._a
            args = _unwrap(args, f"ndarray.{name}")
            result = attr(*args, **kwargs)
            return out if isinstance(out, ndarray) else _wrap(result)

        return method

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "shape":
            self._a.shape = value
        else:
            raise AttributeError(f"fake cupy.ndarray has no settable attribute {name!r}")

    # python protocol ------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self) -> Any:
        return (_wrap(v) for v in self._a)

    def __bool__(self) -> bool:
        return bool(self._a)

    def __float__(self) -> float:
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __index__(self) -> int:
        return self._a.__index__()

    def __complex__(self) -> complex:
        return complex(self._a)

    def __repr__(self) -> str:
        return f"fakecupy.{self._a!r}"

    def __copy__(self) -> ndarray:
        return ndarray(self._a.copy())

    def __deepcopy__(self, memo: Any) -> ndarray:
        return ndarray(self._a.copy())

    def __reduce__(self) -> Any:
        raise TypeError("fake CuPy: pickling a device array (move it to the host with .get())")

    def __getitem__(self, key: Any) -> Any:
        return _wrap(self._a[_unwrap(key, "ndarray.__getitem__")])

    def __setitem__(self, key: Any, value: Any) -> None:
        self._a[_unwrap(key, "ndarray.__setitem__")] = _unwrap(value, "ndarray.__setitem__")

    def __neg__(self) -> ndarray:
        return ndarray(-self._a)

    def __pos__(self) -> ndarray:
        return ndarray(+self._a)

    def __abs__(self) -> ndarray:
        return ndarray(abs(self._a))

    def __invert__(self) -> ndarray:
        return ndarray(~self._a)

    def __hash__(self) -> int:
        return id(self)


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
              "lshift", "rshift"):
    for _form in (f"__{_name}__", f"__r{_name}__"):
        setattr(ndarray, _form, _binary(_form))
for _form in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
    setattr(ndarray, _form, _binary(_form))


def _inplace(name: str) -> Any:
    base = _binary(name)

    def op(self: ndarray, other: Any) -> ndarray:
        result = base(self, other)
        if result is NotImplemented:
            return result
        return self

    return op


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor", "lshift", "rshift"):
    setattr(ndarray, f"__i{_name}__", _inplace(f"__i{_name}__"))


class _Module(types.ModuleType):
    """``cupy``: NumPy's functions behind the device rules, looked up lazily."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        target = getattr(self._numpy_source, name)
        if isinstance(target, np.ufunc):
            value: Any = _Ufunc(target)
        elif isinstance(target, type) or not callable(target):
            value = target                     # dtypes (cupy.float32 is numpy.float32), constants
        else:
            value = _device_function(name, target)
        setattr(self, name, value)
        return value


def _make_module(name: str, source: Any) -> _Module:
    mod = _Module(name)
    mod._numpy_source = source
    return mod


module = _make_module("cupy", np)
module.ndarray = ndarray
module.linalg = _make_module("cupy.linalg", np.linalg)
module.fft = _make_module("cupy.fft", np.fft)
module.random = _make_module("cupy.random", np.random)
module.lib = types.ModuleType("cupy.lib")
module.lib.stride_tricks = types.ModuleType("cupy.lib.stride_tricks")


def _as_strided(x: ndarray, shape: Any = None, strides: Any = None) -> ndarray:
    """A strided view of the same device memory (CuPy's ``cupy.lib.stride_tricks.as_strided``)."""
    return ndarray(np.lib.stride_tricks.as_strided(x._a, shape=shape, strides=strides))


module.lib.stride_tricks.as_strided = _as_strided


def _asnumpy(a: Any, stream: Any = None) -> np.ndarray:
    return a._a.copy() if isinstance(a, ndarray) else np.asarray(a)


def _get_array_module(*args: Any) -> Any:
    return module if any(isinstance(a, ndarray) for a in args) else np


module.asnumpy = _asnumpy
module.get_array_module = _get_array_module
module.newaxis = None
module.ndarray.__module__ = "cupy"

cupyx = types.ModuleType("cupyx")


def _scatter_add(a: ndarray, slices: Any, value: Any) -> None:
    np.add.at(a._a, _unwrap(slices, "cupyx.scatter_add"), _unwrap(value, "cupyx.scatter_add"))


def _scatter_max(a: ndarray, slices: Any, value: Any) -> None:
    np.maximum.at(a._a, _unwrap(slices, "cupyx.scatter_max"), _unwrap(value, "cupyx.scatter_max"))


cupyx.scatter_add = _scatter_add
cupyx.scatter_max = _scatter_max


def install(monkeypatch: Any) -> types.ModuleType:
    """Put the fake ``cupy`` and ``cupyx`` into ``sys.modules`` for one test."""
    import sys

    monkeypatch.setitem(sys.modules, "cupy", module)
    monkeypatch.setitem(sys.modules, "cupyx", cupyx)
    return module


def _erf(x: ndarray) -> ndarray:
    from scipy.special import erf

    return ndarray(erf(_unwrap(x, "cupyx.scipy.special.erf")))


cupyx.scipy = types.ModuleType("cupyx.scipy")
cupyx.scipy.special = types.ModuleType("cupyx.scipy.special")
cupyx.scipy.special.erf = _erf
cupyx.__path__ = []          # a package, so that `from cupyx.scipy.special import erf` resolves

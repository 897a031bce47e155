"""The array-library seam: which module (NumPy or CuPy) computes on an array,
plus Keras's ``keras.backend`` settings.

Primitives call ``xp = get_array_module(x)`` and then ``xp.exp(x)`` instead of
``np.exp(x)``, so the same code runs on CuPy arrays when a user passes them.
CuPy is never required: it is only looked at when an argument's type comes from
it (and then it is already imported, since the array exists). On NumPy arrays
the check is one ``type(a) is np.ndarray`` comparison.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.config import (
    enable_unsafe_deserialization,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from brickwork.engine.device import get_array_module, get_device, is_device_array, set_device, to_device

_ndarray = np.ndarray


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy copy of a CuPy array (``x.get()``); NumPy input comes back unchanged."""
    if type(x) is _ndarray:
        return x
    if is_device_array(x):
        return x.get()
    return np.asarray(x)


def backend() -> str:
    """The name of the array library brickwork computes with: ``'numpy'``."""
    return "numpy"


def clear_session() -> None:
    """Reset global state: layer-name numbering (``dense``, ``dense_1``, ...)."""
    from brickwork.utils.naming import reset_names

    reset_names()


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic tensor of the Functional API (what ``Input`` returns)."""
    from brickwork.engine import dispatch

    return not isinstance(x, (list, tuple, dict)) and dispatch.any_symbolic((x,), {})


_PY_TYPES = {int: "int64", float: "float32", bool: "bool", str: "string"}
_ALIASES = {"float": "float32", "int": "int64", "double": "float64", "half": "float16", "uint": "uint32"}


def standardize_dtype(dtype: Any = None) -> str:
    """The canonical dtype name of ``dtype`` (``None`` -> :func:`floatx`), as Keras's
    ``backend.standardize_dtype``: Python ``int`` -> ``'int64'``, ``float`` -> ``'float32'``,
    NumPy dtypes, dtype names and objects with a ``.dtype`` or ``.name`` to their name."""
    if dtype is None:
        return floatx()
    if isinstance(dtype, type) and dtype in _PY_TYPES:
        return _PY_TYPES[dtype]
    if isinstance(dtype, str):
        if dtype in ("string", "bfloat16"):
            return dtype
        dtype = _ALIASES.get(dtype, dtype)
    if not isinstance(dtype, (str, type, np.dtype)) and hasattr(dtype, "dtype"):
        dtype = dtype.dtype
    try:
        name = np.dtype(getattr(dtype, "name", dtype) if not isinstance(dtype, (type, np.dtype)) else dtype).name
    except TypeError:
        raise ValueError(f"standardize_dtype: invalid dtype {dtype!r}.") from None
    if name.startswith(("str", "bytes", "<U", "object", "void", "datetime", "timedelta")):
        raise ValueError(f"standardize_dtype: invalid dtype {dtype!r}.")
    return name


__all__ = [
    "backend", "clear_session", "enable_unsafe_deserialization", "epsilon", "floatx", "get_array_module",
    "get_device", "image_data_format", "is_keras_tensor", "set_device", "set_epsilon", "set_floatx",
    "set_image_data_format", "standardize_dtype", "to_device", "to_numpy",
]

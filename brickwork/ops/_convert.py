"""Argument conversion shared by the ``ops`` modules: tensors in, Keras's dtype rules."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.config import floatx
from brickwork.engine.device import asarray, is_device_array, to_device
from brickwork.engine.tensor import Tensor, as_array

_WEAK = (bool, int, float)


def tensor(x: Any, dtype: Any = None) -> Tensor:
    """``x`` as a Tensor: Tensors pass through (keeping their graph), the rest is wrapped.
    Python floats and lists of floats become ``floatx()``."""
    if isinstance(x, Tensor):
        return x
    return Tensor(as_array(asarray(x) if not isinstance(x, (list, tuple, *_WEAK)) else x,
                           None if dtype is None else np.dtype(dtype)))


def raw(x: Any) -> np.ndarray:
    """The NumPy values of ``x`` (no copy for a Tensor)."""
    return tensor(x).data


def plain(values: Any) -> Tensor:
    """A result with no graph (comparisons, indices, rounding)."""
    return Tensor(asarray(values))


def float_dtype(*xs: Any) -> np.dtype:
    """The float type of a float-valued result: the widest float among the (non-Python) inputs,
    else ``floatx()`` (so integer and Python-number inputs give floatx)."""
    floats = [np.dtype(getattr(x, "dtype", None)) for x in xs
              if not isinstance(x, _WEAK) and getattr(x, "dtype", None) is not None
              and np.dtype(x.dtype).kind == "f"]
    return np.result_type(*floats) if floats else np.dtype(floatx())


def floating(x: Any) -> Tensor:
    """``x`` as a float Tensor: float tensors keep their type (and graph); integers become floatx."""
    t = tensor(x)
    if t.dtype.kind == "f":
        return t
    return Tensor(t.data.astype(floatx()))


def promote(*xs: Any, to_float: bool = False) -> list[Tensor]:
    """Tensors for a binary op under Keras's rules: Python numbers are weak (they take the other
    operand's type), an integer array meeting a float one becomes that float, and ``to_float``
    turns an all-integer result into floatx (division, ``sqrt``...)."""
    strong = [x for x in xs if not isinstance(x, _WEAK)]
    if any(is_device_array(x.data if isinstance(x, Tensor) else x) for x in strong):
        return [t if t.device == "gpu" or t.requires_grad else Tensor(to_device(t.data, "gpu"))
                for t in _promote(xs, strong, to_float)]
    return _promote(xs, strong, to_float)


def _promote(xs: tuple[Any, ...], strong: list[Any], to_float: bool) -> list[Tensor]:
    kinds = [np.dtype(getattr(x, "dtype", None) or asarray(x).dtype).kind for x in strong]
    weak_float = any(isinstance(x, float) for x in xs)
    if any(k == "f" for k in kinds) or weak_float or to_float:
        target = float_dtype(*xs)
        out = []
        for x in xs:
            t = tensor(x, target if isinstance(x, _WEAK) else None)
            out.append(t if t.dtype.kind == "f" else Tensor(t.data.astype(target)))
        return out
    if strong:
        target = np.result_type(*[asarray(x.data if isinstance(x, Tensor) else x).dtype for x in strong])
        return [tensor(x, target) if isinstance(x, _WEAK) else tensor(x) for x in xs]
    return [tensor(x) for x in xs]


def axis_tuple(axis: Any) -> Any:
    """Keras accepts an int, a list or a tuple of axes (or None)."""
    if isinstance(axis, list):
        return tuple(axis)
    return axis


def keras_dtype(dtype: Any) -> np.dtype | None:
    """A NumPy dtype from a Keras dtype name (``None`` stays None)."""
    if dtype is None:
        return None
    name = getattr(dtype, "name", dtype)
    return np.dtype(str(name))


def epsilon() -> float:
    """Keras's fuzz factor (``brickwork`` config's ``epsilon()`` where present, else 1e-7)."""
    from brickwork.engine import config

    return float(getattr(config, "epsilon", lambda: 1e-7)())


def data_format(value: str | None) -> str:
    """``value``, or the configured default image layout (``'channels_last'``), checked."""
    from brickwork.engine import config
    from brickwork.functions.conv_utils import normalize_data_format

    return normalize_data_format(value or getattr(config, "image_data_format", lambda: "channels_last")())

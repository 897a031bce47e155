"""Devices: where arrays live (``'cpu'``: NumPy; ``'gpu'``: CuPy) and the explicit moves between them.

Seed 004 ends on hardware: a CPU is built for latency, a GPU for throughput. brickwork computes
with the same code on both, because every primitive asks ``xp = get_array_module(x)`` and calls
``xp.exp``, ``xp.matmul``, ... on whatever module owns its arrays. This module holds the rest of the
seam, in one place:

* the **default device** for new weights (:func:`set_device`, :func:`get_device`);
* the **moves** (:func:`to_device`, :func:`device_of`): host → device is ``cupy.asarray``, device →
  host is ``.get()``; nothing is ever converted implicitly (CuPy refuses that, and so does the
  CPU test double ``tests/fakecupy.py`` that the test suite uses to catch NumPy-only habits);
* the **differences between CuPy and NumPy** that the library meets: scatter-add with repeated
  indices (``np.add.at`` vs ``cupyx.scatter_add``, :func:`scatter_add`).

CuPy is optional (``pip install brickwork[gpu]`` installs ``cupy-cuda12x``): it is imported only
when a user asks for the GPU.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import numpy as np

_DEVICES = {"cpu": "cpu", "gpu": "gpu", "cuda": "gpu", "cuda:0": "gpu", "gpu:0": "gpu"}
_state = {"default": "cpu"}


_ndarray = np.ndarray


def _cupy_of(t: type) -> ModuleType | None:
    """CuPy's module when ``t`` is one of its types, else None (never imports anything new)."""
    module = getattr(t, "__module__", None) or ""
    if module.partition(".")[0] != "cupy":
        return None
    return sys.modules.get("cupy")


def get_array_module(*arrays: Any) -> ModuleType:
    """``numpy``, or ``cupy`` when any argument (or a tensor's ``.data``) is a CuPy array.

    Non-array arguments (Python numbers, None, NumPy scalars) count as NumPy. On NumPy
    arrays the check is one ``type(a) is np.ndarray`` comparison.
    """
    for a in arrays:
        t = type(a)
        if t is _ndarray:
            continue
        xp = _cupy_of(t)
        if xp is not None:
            return xp
        data = getattr(a, "data", None)  # a brickwork Tensor or Variable holds its array in .data
        if data is not None and type(data) is not _ndarray and not isinstance(data, memoryview):
            xp = _cupy_of(type(data))
            if xp is not None:
                return xp
    return np


def canonical_device(name: Any, where: str = "device") -> str:
    """``'cpu'`` or ``'gpu'`` for the names users write (``'cuda'``, ``'gpu:0'`` ...)."""
    key = str(name).lower() if isinstance(name, str) else None
    if key not in _DEVICES:
        raise ValueError(f"{where}: unknown device {name!r}; use 'cpu' or 'gpu' (also 'cuda', 'cuda:0').")
    return _DEVICES[key]


def cupy_module(where: str = "the GPU") -> ModuleType:
    """The ``cupy`` module, imported on first use; a clear error when it is not installed."""
    mod = sys.modules.get("cupy")
    if mod is not None:
        return mod
    try:
        import cupy  # noqa: PLC0415  (optional extra)
    except ImportError as exc:
        raise ImportError(f"{where} needs CuPy: pip install 'brickwork[gpu]' (cupy-cuda12x for CUDA 12); "
                          f"importing cupy failed: {exc}") from None
    return cupy


def set_device(name: str) -> None:
    """Make ``name`` (``'cpu'`` or ``'gpu'``) the device on which new weights are created.

    Raises ``ImportError`` for ``'gpu'`` when CuPy is not installed. Arrays that already exist
    stay where they are; move a model with ``model.to(device)``.
    """
    device = canonical_device(name, "set_device")
    if device == "gpu":
        cupy_module("set_device('gpu')")
    _state["default"] = device


def get_device() -> str:
    """The default device for new weights: ``'cpu'`` unless :func:`set_device` changed it."""
    return _state["default"]


def is_device_array(x: Any) -> bool:
    """Whether ``x`` is a CuPy array (looked up by type, never importing CuPy)."""
    return type(x) is not _ndarray and _cupy_of(type(x)) is not None


def device_of(x: Any) -> str:
    """``'gpu'`` for a CuPy array (or a tensor holding one), ``'cpu'`` otherwise."""
    data = getattr(x, "data", None)
    if data is not None and not isinstance(x, np.ndarray) and not isinstance(data, memoryview):
        x = data
    return "gpu" if is_device_array(x) else "cpu"


def array_module(device: str) -> ModuleType:
    """NumPy for ``'cpu'``, CuPy for ``'gpu'``."""
    return cupy_module() if canonical_device(device) == "gpu" else np


def to_device(x: Any, device: str | None = None) -> Any:
    """``x`` on ``device`` (default: :func:`get_device`): a copy when it must move, ``x`` itself when not.

    Nested lists, tuples and dicts of arrays are moved element by element; anything that is not
    an array (None, strings, Python numbers) is returned unchanged.
    """
    target = get_device() if device is None else canonical_device(device, "to_device")
    if isinstance(x, dict):
        return {k: to_device(v, target) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(to_device(v, target) for v in x)
    on_gpu = is_device_array(x)
    if target == "gpu":
        if on_gpu or not isinstance(x, (np.ndarray, np.generic)):
            return x
        if x.dtype.kind in "OUSV":
            return x                      # strings and objects stay on the host (preprocessing inputs)
        return cupy_module().asarray(x)
    return x.get() if on_gpu else x


def asarray(x: Any, dtype: Any = None) -> Any:
    """``np.asarray(x, dtype)``, except that a CuPy array stays on its device (cast there if asked)."""
    if is_device_array(x):
        return x if dtype is None else x.astype(dtype, copy=False)
    return np.asarray(x, dtype)


def to_host(x: Any) -> Any:
    """``x`` as NumPy (nested structures too): :func:`to_device` with ``'cpu'``."""
    return to_device(x, "cpu")


def scatter_add(target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` with repeated indices summed, on either device (in place).

    NumPy: ``np.add.at``; CuPy: ``cupyx.scatter_add`` (CuPy's ufuncs have no ``.at``).
    """
    if is_device_array(target):
        import cupyx  # noqa: PLC0415  (ships with CuPy)

        cupyx.scatter_add(target, index, values)
    else:
        np.add.at(target, index, values)


__all__ = ["array_module", "asarray", "canonical_device", "cupy_module", "device_of", "get_array_module", "get_device",
           "is_device_array", "scatter_add", "set_device", "to_device", "to_host"]

"""Global engine settings: default float type, gradient recording, training flag."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import numpy as np

_FLOATX = "float32"
_state = threading.local()


def floatx() -> str:
    """Return the default float type name (``'float32'`` unless changed)."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type (``'float32'`` or ``'float64'``)."""
    global _FLOATX
    if value not in ("float32", "float64"):
        raise ValueError(f"Unknown floatx {value!r}: expected 'float32' or 'float64'.")
    _FLOATX = value


def standardize_dtype(dtype: object | None) -> np.dtype:
    """Return a NumPy float dtype for a Keras-style ``dtype=`` argument."""
    if dtype is None:
        return np.dtype(_FLOATX)
    name = getattr(dtype, "name", dtype)
    if name not in ("float32", "float64"):
        raise ValueError(f"Unsupported dtype {dtype!r}: brickwork layers accept 'float32' or 'float64'.")
    return np.dtype(name)


def grad_enabled() -> bool:
    """Whether operations are currently recorded for backpropagation."""
    return getattr(_state, "grad_enabled", True)


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Context manager that disables graph recording (like ``torch.no_grad``).

    Inside the block every operation returns tensors with no creator, so no
    intermediate buffers are kept for a backward pass.
    """
    previous = grad_enabled()
    _state.grad_enabled = False
    try:
        yield
    finally:
        _state.grad_enabled = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Context manager that re-enables graph recording inside ``no_grad``."""
    previous = grad_enabled()
    _state.grad_enabled = True
    try:
        yield
    finally:
        _state.grad_enabled = previous


def learning_phase() -> bool | None:
    """The training flag propagated from an outer ``Layer.__call__`` (None at top level)."""
    return getattr(_state, "training", None)


@contextlib.contextmanager
def training_scope(training: bool | None) -> Iterator[None]:
    """Propagate ``training`` to nested layers called with ``training=None``."""
    previous = learning_phase()
    _state.training = training
    try:
        yield
    finally:
        _state.training = previous

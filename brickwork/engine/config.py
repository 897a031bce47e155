"""Global engine settings: default float type, fuzz factor, image data format,
gradient recording, training flag and the default of ``safe_mode``."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import numpy as np

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_SAFE_MODE = True
_state = threading.local()


def floatx() -> str:
    """Return the default float type name (``'float32'`` unless changed)."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type (``'float32'`` or ``'float64'``)."""
    global _FLOATX
    if value not in ("float32", "float64"):
        raise ValueError(f"set_floatx: unknown floatx value {value!r}; expected 'float32' or 'float64'.")
    _FLOATX = value


def epsilon() -> float:
    """The fuzz factor added to denominators and used to clip probabilities (``1e-7`` unless changed)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by :func:`epsilon` (a positive finite float)."""
    global _EPSILON
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value <= 0:
        raise ValueError(f"set_epsilon: value must be a positive finite number; got {value!r}.")
    _EPSILON = float(value)


def image_data_format() -> str:
    """The default ``data_format`` of image layers: ``'channels_last'`` unless changed."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Set the default image layout: ``'channels_last'`` or ``'channels_first'``."""
    global _IMAGE_DATA_FORMAT
    fmt = data_format.lower() if isinstance(data_format, str) else data_format
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"set_image_data_format: data_format must be 'channels_last' or 'channels_first'; "
                         f"got {data_format!r}.")
    _IMAGE_DATA_FORMAT = fmt


def safe_mode_default() -> bool:
    """Whether loading refuses stored Python code unless told otherwise (True unless
    :func:`enable_unsafe_deserialization` was called)."""
    return _SAFE_MODE


def enable_unsafe_deserialization() -> None:
    """Let loading run stored Python code (``Lambda`` byte code) by default, as Keras's
    ``keras.config.enable_unsafe_deserialization``. Only for files you trust."""
    global _SAFE_MODE
    _SAFE_MODE = False


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

"""Global settings with the names of Keras's ``keras.config``.

``brickwork.config.set_floatx('float64')`` works like ``keras.config.set_floatx``;
the state itself lives in :mod:`brickwork.engine.config`. ``set_num_threads(n | 'auto' | None)`` chooses
the BLAS thread policy (:mod:`brickwork.engine.threads`).
"""

from __future__ import annotations

from brickwork.backend import backend
from brickwork.engine.config import (
    enable_unsafe_deserialization,
    epsilon,
    floatx,
    image_data_format,
    safe_mode_default,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from brickwork.engine.threads import blas_threads, get_num_threads, set_num_threads

__all__ = [
    "backend", "enable_unsafe_deserialization", "epsilon", "floatx", "image_data_format", "safe_mode_default",
    "set_epsilon", "set_floatx", "set_image_data_format", "blas_threads", "get_num_threads", "set_num_threads",
]

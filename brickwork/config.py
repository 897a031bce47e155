"""Global settings with the names of Keras's ``keras.config``.

``brickwork.config.set_floatx('float64')`` works like ``keras.config.set_floatx``;
the state itself lives in :mod:`brickwork.engine.config`.
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

__all__ = [
    "backend", "enable_unsafe_deserialization", "epsilon", "floatx", "image_data_format", "safe_mode_default",
    "set_epsilon", "set_floatx", "set_image_data_format",
]

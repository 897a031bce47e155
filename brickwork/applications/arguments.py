"""Argument checks shared by the model builders of :mod:`brickwork.applications`."""

from __future__ import annotations

from typing import Any

import numpy as np


def positive_int(where: str, name: str, value: Any) -> int:
    """``value`` as an ``int`` if it is a positive integer (not a bool), else a ValueError naming ``where``
    (the builder) and the argument ``name``."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{where}: {name} must be a positive integer; got {value!r}.")
    return int(value)

"""Checks of the numbers passed to ``fit`` / ``evaluate`` / ``predict``: a wrong value is an
error naming the argument, never a silently different run (``batch_size=2.5`` running with 2)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def positive_int(value: Any, name: str, what: str, allow_none: bool = True, minimum: int = 1) -> int | None:
    """``value`` as an int when it is an integer ``>= minimum`` (``None`` passes when allowed)."""
    if value is None and allow_none:
        return None
    integral = not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, np.integer, float, np.floating)) \
        and math.isfinite(value) and value == int(value)
    if not integral or value < minimum:
        kind = "positive (a whole number >= 1)" if minimum == 1 else f"a whole number >= {minimum}"
        raise ValueError(f"{what}(): {name} must be {kind}; got {name}={value!r}.")
    return int(value)


def fraction(value: Any, name: str, what: str) -> float:
    """``value`` as a float in ``[0, 1)``."""
    ok = not isinstance(value, (bool, np.bool_, str)) and isinstance(value, (int, float, np.integer, np.floating)) \
        and math.isfinite(value) and 0 <= value < 1
    if not ok:
        raise ValueError(f"{what}(): {name} must be in [0, 1) (a fraction of the samples); got {name}={value!r}.")
    return float(value)


def verbosity(value: Any, what: str) -> int:
    """Keras's ``verbose``: ``'auto'`` (1), 0, 1 or 2."""
    if value == "auto":
        return 1
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if not isinstance(value, (int, np.integer)) or value not in (0, 1, 2):
        raise ValueError(f"{what}(): verbose must be 'auto', 0, 1 or 2; got verbose={value!r}.")
    return int(value)


def check_fit(epochs: Any, batch_size: Any, validation_split: Any, initial_epoch: Any, steps_per_epoch: Any,
              validation_steps: Any, validation_batch_size: Any, validation_freq: Any) -> dict[str, Any]:
    """The checked numeric arguments of ``fit`` (ints as ints)."""
    return {
        "epochs": positive_int(epochs, "epochs", "fit", allow_none=False),
        "batch_size": positive_int(batch_size, "batch_size", "fit"),
        "validation_split": fraction(validation_split, "validation_split", "fit"),
        "initial_epoch": positive_int(initial_epoch, "initial_epoch", "fit", allow_none=False, minimum=0),
        "steps_per_epoch": positive_int(steps_per_epoch, "steps_per_epoch", "fit"),
        "validation_steps": positive_int(validation_steps, "validation_steps", "fit"),
        "validation_batch_size": positive_int(validation_batch_size, "validation_batch_size", "fit"),
        "validation_freq": positive_int(validation_freq, "validation_freq", "fit", allow_none=False),
    }

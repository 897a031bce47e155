"""One seeded random generator for everything brickwork draws: initial
weights, dropout masks, noise and the shuffling of ``fit``.

:func:`get_state` / :func:`set_state` snapshot and restore it (with NumPy's and
Python's global generators) as plain JSON-able data, which is how
:class:`~brickwork.callbacks.BackupAndRestore` resumes a run exactly.
"""

from __future__ import annotations

import random as _pyrandom
from typing import Any

import numpy as np

_generator = np.random.default_rng()


def set_seed(seed: int) -> None:
    """Make a run repeat exactly: reseed brickwork's generator, NumPy's global
    generator and Python's ``random``."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"set_seed expects a non-negative integer; got {seed!r}.")
    _generator = np.random.default_rng(int(seed))
    np.random.seed(int(seed) % 2**32)
    _pyrandom.seed(int(seed))


def generator() -> np.random.Generator:
    """The generator brickwork draws from (replaced by :func:`set_seed`)."""
    return _generator


def make_generator(seed: int | None) -> np.random.Generator:
    """A generator of its own for an explicit ``seed=``, else the shared one."""
    return _generator if seed is None else np.random.default_rng(seed)


def _to_json(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.asarray(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def generator_state(rng: np.random.Generator) -> dict[str, Any]:
    """The exact state of one NumPy generator as JSON-able data."""
    return _to_json(rng.bit_generator.state)


def set_generator_state(rng: np.random.Generator, state: dict[str, Any]) -> None:
    """Put ``rng`` back into a state from :func:`generator_state` (in place: every holder of ``rng`` sees it)."""
    wanted = state.get("bit_generator")
    have = type(rng.bit_generator).__name__
    if wanted != have:
        raise ValueError(f"random state is for a {wanted} generator, but this generator is a {have}.")
    rng.bit_generator.state = _from_json(state)


def get_state() -> dict[str, Any]:
    """A JSON-able snapshot of brickwork's generator, NumPy's global generator and Python's ``random``."""
    version, internal, gauss = _pyrandom.getstate()
    return {"brickwork": generator_state(_generator),
            "numpy": _to_json(np.random.get_state(legacy=False)),
            "python": [version, list(internal), gauss]}


def set_state(state: dict[str, Any]) -> None:
    """Restore a snapshot from :func:`get_state` (brickwork's generator is updated in place)."""
    set_generator_state(_generator, state["brickwork"])
    if state.get("numpy") is not None:
        np.random.set_state(_from_json(state["numpy"]))
    if state.get("python") is not None:
        version, internal, gauss = state["python"]
        _pyrandom.setstate((int(version), tuple(int(i) for i in internal), gauss))

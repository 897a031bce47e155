"""One seeded random generator for everything brickwork draws: initial
weights, dropout masks, noise and the shuffling of ``fit``."""

from __future__ import annotations

import random as _pyrandom

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

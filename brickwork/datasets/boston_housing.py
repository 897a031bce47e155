"""Boston housing prices from Keras's cache file ``boston_housing.npz`` (never downloaded)."""

from __future__ import annotations

import os

import numpy as np

from brickwork.datasets.keras_cache import KERAS_ORIGIN, resolve
from brickwork.datasets.safe_pickle import load_npz

ORIGIN = KERAS_ORIGIN + "boston_housing.npz"


def load_data(path: str | os.PathLike = "boston_housing.npz", test_split: float = 0.2, seed: int = 113, *,
              cache_dir: str | os.PathLike | None = None
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.boston_housing.load_data``:
    the 506 rows are shuffled with ``np.random.RandomState(seed)`` and the first
    ``int(506 * (1 - test_split))`` are the training set (404 for the defaults).

    Args:
        path: File name inside Keras's cache, or a path to the file.
        test_split: Fraction of the rows held out, in ``[0, 1)``.
        seed: Seed of the shuffle.
        cache_dir: A folder to look in instead of Keras's cache.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"boston_housing.load_data: test_split must be in [0, 1); got {test_split}.")
    f = load_npz(resolve(path, "boston_housing.npz", cache_dir, "boston_housing", ORIGIN))
    x, y = f["x"], f["y"]
    if len(x) != len(y):
        raise ValueError(f"boston_housing: the file holds {len(x)} rows of x but {len(y)} of y.")
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))

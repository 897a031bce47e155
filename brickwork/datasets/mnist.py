"""MNIST digits from Keras's cache file ``mnist.npz`` (never downloaded)."""

from __future__ import annotations

import os

import numpy as np

from brickwork.datasets.keras_cache import KERAS_ORIGIN, resolve
from brickwork.datasets.safe_pickle import load_npz

ORIGIN = KERAS_ORIGIN + "mnist.npz"


def load_data(path: str | os.PathLike = "mnist.npz", *, cache_dir: str | os.PathLike | None = None
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.mnist.load_data``:
    uint8 images ``(60000, 28, 28)`` / ``(10000, 28, 28)`` and uint8 labels 0-9.

    Args:
        path: File name inside Keras's cache (``$KERAS_HOME/datasets`` or
            ``~/.keras/datasets``), or a path to the file.
        cache_dir: A folder to look in instead of Keras's cache.
    """
    f = load_npz(resolve(path, "mnist.npz", cache_dir, "mnist", ORIGIN))
    return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])

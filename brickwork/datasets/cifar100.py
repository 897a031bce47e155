"""CIFAR-100 (50,000 + 10,000 32x32 colour images, 100 fine / 20 coarse classes) from Keras's cache."""

from __future__ import annotations

import os

import numpy as np

from brickwork.datasets.cifar import load_batch, locate, to_layout

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"


def load_data(label_mode: str = "fine", *, cache_dir: str | os.PathLike | None = None
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.cifar100.load_data``: uint8
    images ``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)`` and int64 labels ``(N, 1)``.

    Args:
        label_mode: ``'fine'`` (100 classes) or ``'coarse'`` (20 superclasses).
        cache_dir: A folder holding ``cifar-100-python/`` (or its ``.tar.gz``) instead of Keras's cache.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"cifar100.load_data: label_mode must be 'fine' or 'coarse'; got {label_mode!r}.")
    read = locate("cifar-100-python", ORIGIN, "cifar100", cache_dir)
    key = f"{label_mode}_labels"
    x_train, y_train = load_batch(read("train"), label_key=key, what="cifar100 train")
    x_test, y_test = load_batch(read("test"), label_key=key, what="cifar100 test")
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    return (to_layout(x_train), y_train), (to_layout(x_test), y_test)

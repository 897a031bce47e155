"""Small real datasets from packages that ship them (optional extras), and Keras's datasets
read from Keras's local cache: ``brickwork.datasets.mnist.load_data()`` and so on for
``fashion_mnist``, ``cifar10``, ``cifar100``, ``imdb``, ``reuters`` and ``boston_housing``
(nothing is ever downloaded)."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.datasets import (
    boston_housing,
    cifar10,
    cifar100,
    dates,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
    shakespeare,
    shakespeare_genres,
)
from brickwork.datasets.movielens import movielens_100k
from brickwork.datasets.shapes import segmentation_shapes


def load_digits_split(test_size: float = 0.2, seed: int = 0) -> tuple[Any, Any, Any, Any]:
    """scikit-learn's bundled 8×8 handwritten digits (1,797 images, 10 classes),
    scaled to [0, 1], flattened to 64 features, split with a stratified
    ``train_test_split(test_size=0.2, random_state=0)``.

    Returns ``(x_train, x_test, y_train, y_test)`` with integer labels.
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as err:
        raise ImportError("The digits data ships with scikit-learn: pip install 'brickwork[datasets]'") from err
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    return tuple(train_test_split(x, y, test_size=test_size, stratify=y, random_state=seed))


__all__ = ["boston_housing", "cifar10", "cifar100", "dates", "fashion_mnist", "imdb", "load_digits_split", "mnist",
           "reuters", "shakespeare", "shakespeare_genres"]
__all__ += ["movielens_100k"]
__all__ += ["segmentation_shapes"]

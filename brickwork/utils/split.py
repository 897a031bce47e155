"""Splitting in-memory data in two (Keras's ``split_dataset``) for arrays and tuples/lists/dicts of arrays."""

from __future__ import annotations

import random
from typing import Any

import numpy as np


def _size(value: Any, name: str, total: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"split_dataset: {name} must be an int, a float or None; got {type(value).__name__}.")
    if isinstance(value, (int, np.integer)):
        if not 0 < value < total:
            raise ValueError(f"split_dataset: {name}={value} must be a positive integer smaller than the "
                             f"dataset length {total}, or a float in (0, 1).")
        return int(value)
    if not 0 < value < 1:
        raise ValueError(f"split_dataset: {name}={value} must be a float in (0, 1), or a positive integer "
                         f"smaller than the dataset length {total}.")
    return round(float(value) * total)


def split_sizes(left_size: Any, right_size: Any, total: int) -> tuple[int, int]:
    """The two sample counts of a split, by Keras's rules: an int is a count, a float a
    fraction (rounded), a missing side takes the rest; neither side may be empty."""
    if left_size is None and right_size is None:
        raise ValueError("split_dataset: give left_size, right_size or both; got neither.")
    if isinstance(left_size, float) and isinstance(right_size, float) and left_size + right_size > 1:
        raise ValueError(f"split_dataset: left_size + right_size = {left_size + right_size} is greater than 1.")
    left, right = _size(left_size, "left_size", total), _size(right_size, "right_size", total)
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"split_dataset: left_size + right_size = {left + right} samples is more than the "
                         f"dataset length {total}.")
    for count, side in ((left, "left"), (right, "right")):
        if count == 0:
            raise ValueError(f"split_dataset: with {total} samples, left_size={left_size} and "
                             f"right_size={right_size} leave the {side} split empty.")
    return left, right


def _leaves(dataset: Any) -> list[np.ndarray]:
    if isinstance(dataset, dict):
        return [np.asarray(v) for v in dataset.values()]
    if isinstance(dataset, (tuple, list)):
        return [np.asarray(v) for v in dataset]
    return [np.asarray(dataset)]


def _take(dataset: Any, index: np.ndarray) -> Any:
    if isinstance(dataset, dict):
        return {k: np.asarray(v)[index] for k, v in dataset.items()}
    if isinstance(dataset, (tuple, list)):
        return type(dataset)(np.asarray(v)[index] for v in dataset)
    return np.asarray(dataset)[index]


def split_dataset(dataset: Any, left_size: int | float | None = None, right_size: int | float | None = None,
                  shuffle: bool = False, seed: int | None = None) -> tuple[Any, Any]:
    """Split ``dataset`` (an array, or a tuple/list/dict of arrays with the same first
    axis) into ``(left, right)`` of the same structure.

    ``left`` holds the first ``left_size`` samples and ``right`` the last ``right_size``
    (ints: counts; floats: fractions of the length, rounded; one may be None for the
    rest). With ``shuffle=True`` the samples are first permuted as Keras does,
    ``random.seed(seed); random.shuffle(samples)`` (here with a private
    ``random.Random(seed)``, so the global generator is left alone).
    """
    leaves = _leaves(dataset)
    if not leaves or any(a.ndim == 0 for a in leaves):
        raise ValueError("split_dataset: dataset must be an array or a non-empty tuple/list/dict of arrays.")
    total = len(leaves[0])
    if any(len(a) != total for a in leaves):
        raise ValueError(f"split_dataset: all arrays must have the same length; got {[len(a) for a in leaves]}.")
    if total == 0:
        raise ValueError("split_dataset: dataset is empty.")
    left, right = split_sizes(left_size, right_size, total)
    order = list(range(total))
    if shuffle:
        random.Random(random.randint(0, 10**6) if seed is None else seed).shuffle(order)
    index = np.asarray(order, dtype=np.int64)
    return _take(dataset, index[:left]), _take(dataset, index[total - right:])

"""Index splits for the evaluation protocols of seed 001: hold-out, K-fold, iterated K-fold, and
chronological splits for time series (every training index precedes every validation/test index)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def holdout_split(n: int, test_fraction: float = 0.2, shuffle: bool = True, seed: int = 0,
                  stratify: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(train, test)`` indices; with ``stratify`` (labels) each class keeps its proportion."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}.")
    rng = np.random.default_rng(seed)
    if stratify is None:
        order = rng.permutation(n) if shuffle else np.arange(n)
        cut = n - max(1, int(round(n * test_fraction)))
        return np.sort(order[:cut]), np.sort(order[cut:])
    labels = np.asarray(stratify).reshape(n, -1)[:, 0]
    test = []
    for value in np.unique(labels):
        members = np.flatnonzero(labels == value)
        members = rng.permutation(members) if shuffle else members
        test.append(members[:int(round(len(members) * test_fraction))])
    test_idx = np.sort(np.concatenate(test))
    return np.setdiff1d(np.arange(n), test_idx), test_idx


def kfold_splits(n: int, n_splits: int = 5, n_repeats: int = 1, shuffle: bool = True,
                 seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """K-fold (``n_repeats=1``) or iterated K-fold: each repeat reshuffles and cuts ``n_splits`` folds;
    every sample is validated once per repeat (seed 001: "iterated K-fold validation with shuffling")."""
    if n_splits < 2 or n_splits > n:
        raise ValueError(f"n_splits must be in [2, {n}] for {n} samples, got {n_splits}.")
    rng = np.random.default_rng(seed)
    for _ in range(n_repeats):
        order = rng.permutation(n) if shuffle else np.arange(n)
        for fold in np.array_split(order, n_splits):
            yield np.setdiff1d(np.arange(n), fold), np.sort(fold)


def chronological_split(n: int, val_fraction: float = 0.15, test_fraction: float = 0.15,
                        gap: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(train, validation, test)`` as consecutive blocks in time order, with ``gap`` samples dropped
    between blocks (use the window length so that no window straddles two blocks): no look-ahead."""
    n_test, n_val = int(round(n * test_fraction)), int(round(n * val_fraction))
    n_train = n - n_test - n_val - 2 * gap
    if n_train < 1:
        raise ValueError(f"chronological_split: {n} samples leave no training data "
                         f"(val {n_val}, test {n_test}, gap {gap}).")
    train = np.arange(n_train)
    val = np.arange(n_train + gap, n_train + gap + n_val)
    test = np.arange(n - n_test, n)
    return train, val, test


def walk_forward_splits(n: int, n_splits: int = 5, test_size: int | None = None,
                        gap: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Expanding-window splits for time series: fold ``k`` trains on everything before its test block
    (minus ``gap``) and tests on the next ``test_size`` samples."""
    test_size = test_size or n // (n_splits + 1)
    if test_size < 1 or n - n_splits * test_size - gap < 1:
        raise ValueError(f"walk_forward_splits: {n} samples are too few for {n_splits} test blocks of "
                         f"{test_size} with gap {gap}.")
    for k in range(n_splits):
        start = n - (n_splits - k) * test_size
        yield np.arange(start - gap), np.arange(start, start + test_size)

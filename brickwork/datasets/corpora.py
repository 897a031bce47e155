"""Text corpora from packages that ship them: gensim's test data and Debian's ``fortunes``."""

from __future__ import annotations

import glob
import os
import re

FORTUNES = "/usr/share/games/fortunes"


def simple_tokenize(text: str) -> list[str]:
    """Lower-case alphabetic tokens of 2 to 15 letters (gensim's ``simple_preprocess`` rule)."""
    return [t for t in re.findall(r"[a-z]+", text.lower()) if 2 <= len(t) <= 15]


def fortunes_sentences(path: str = FORTUNES) -> list[list[str]]:
    """One token list per fortune (``%``-separated) from Debian's ``fortunes`` package
    (``apt-get install fortunes``)."""
    files = sorted(p for p in glob.glob(os.path.join(path, "*"))
                   if os.path.isfile(p) and not p.endswith((".dat", ".u8")))
    if not files:
        raise FileNotFoundError(f"No fortune files in {path}: install Debian's 'fortunes' package.")
    out = []
    for p in files:
        with open(p, encoding="latin-1") as handle:
            for fortune in handle.read().split("\n%\n"):
                tokens = simple_tokenize(fortune)
                if tokens:
                    out.append(tokens)
    return out


def gensim_test_file(name: str) -> str:
    """Path of a file in gensim's test data (``lee_background.cor``, ``questions-words.txt``,
    ``wordsim353.tsv``, ``simlex999.txt``); gensim is a development dependency only."""
    import importlib.util

    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("gensim's test data is needed: pip install gensim")
    return os.path.join(list(spec.submodule_search_locations)[0], "test", "test_data", name)


def lee_sentences() -> list[list[str]]:
    """gensim's Lee background corpus (300 news documents), one token list per line."""
    with open(gensim_test_file("lee_background.cor"), encoding="utf-8") as handle:
        return [simple_tokenize(line) for line in handle if line.strip()]

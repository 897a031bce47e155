"""Text vectorization: Keras's ``Tokenizer`` (words to indices, bag-of-words and TF-IDF matrices)."""

from __future__ import annotations

import json
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(text: str, filters: str = DEFAULT_FILTERS, lower: bool = True, split: str = " ") -> list[str]:
    """Lower-case, replace every character of ``filters`` by ``split``, split, drop empty tokens."""
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({c: split for c in filters}))
    return [w for w in text.split(split) if w]


class Tokenizer:
    """Builds a vocabulary from texts and turns texts into index sequences or matrices (Keras's legacy API).

    Args:
        num_words: Keep only the ``num_words - 1`` most frequent words (index 0 is reserved for padding).
        filters: Characters removed from the texts (punctuation by default).
        lower: Lower-case the texts.
        split: Word separator.
        char_level: Treat every character as a token.
        oov_token: If given, it takes index 1 and replaces out-of-vocabulary words in sequences.
        min_count: brickwork addition — words seen fewer times are left out of the vocabulary.

    Indices follow decreasing frequency (ties in first-seen order), starting at 1.
    """

    def __init__(self, num_words: int | None = None, filters: str = DEFAULT_FILTERS, lower: bool = True,
                 split: str = " ", char_level: bool = False, oov_token: str | None = None, min_count: int = 1,
                 analyzer: Any = None) -> None:
        self.num_words, self.filters, self.lower, self.split = num_words, filters, lower, split
        self.char_level, self.oov_token, self.min_count, self.analyzer = char_level, oov_token, min_count, analyzer
        self.word_counts: OrderedDict[str, int] = OrderedDict()
        self.word_docs: defaultdict[str, int] = defaultdict(int)
        self.document_count = 0
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}
        self.index_docs: dict[int, int] = {}

    def _tokens(self, text: str | list[str]) -> list[str]:
        if isinstance(text, list):
            return [t.lower() for t in text] if self.lower else list(text)
        if self.char_level:
            return list(text.lower() if self.lower else text)
        if self.analyzer is not None:
            return list(self.analyzer(text))
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts: Iterable[str | list[str]]) -> None:
        """Count words over ``texts`` and (re)build ``word_index``."""
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for w in tokens:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(tokens):
                self.word_docs[w] += 1
        ordered = [w for w, c in sorted(self.word_counts.items(), key=lambda kv: kv[1], reverse=True)
                   if c >= self.min_count]
        vocab = ([self.oov_token] if self.oov_token is not None else []) + ordered
        self.word_index = {w: i + 1 for i, w in enumerate(vocab)}
        self.index_word = {i: w for w, i in self.word_index.items()}
        self.index_docs = {self.word_index[w]: c for w, c in self.word_docs.items() if w in self.word_index}

    def _index(self, word: str) -> int | None:
        i = self.word_index.get(word)
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        if i is None or (self.num_words and i >= self.num_words):
            return oov
        return i

    def texts_to_sequences(self, texts: Iterable[str | list[str]]) -> list[list[int]]:
        """Each text as a list of word indices (unknown words dropped, or ``oov_token``'s index)."""
        out = []
        for text in texts:
            seq = [self._index(w) for w in self._tokens(text)]
            out.append([i for i in seq if i is not None])
        return out

    def sequences_to_texts(self, sequences: Iterable[list[int]]) -> list[str]:
        sep = "" if self.char_level else " "
        return [sep.join(self.index_word[i] for i in seq if i in self.index_word) for seq in sequences]

    def texts_to_matrix(self, texts: Iterable[str | list[str]], mode: str = "binary") -> np.ndarray:
        """Bag-of-words rows: ``'binary'`` (multi-hot), ``'count'``, ``'freq'`` or ``'tfidf'``."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences: list[list[int]], mode: str = "binary") -> np.ndarray:
        r"""Keras's formulas; TF-IDF: :math:`(1 + \ln c)\,\ln(1 + D / (1 + d_j))` for a word seen
        :math:`c` times in the text and in :math:`d_j` of the :math:`D` training documents."""
        if mode not in ("binary", "count", "freq", "tfidf"):
            raise ValueError(f"Unknown mode {mode!r}: expected binary, count, freq or tfidf.")
        if not self.word_index:
            raise ValueError("The tokenizer has no vocabulary: call fit_on_texts() first.")
        width = self.num_words or len(self.word_index) + 1
        matrix = np.zeros((len(sequences), width))
        for row, seq in enumerate(sequences):
            if not seq:
                continue
            counts = np.bincount([i for i in seq if i < width], minlength=width).astype(np.float64)
            if mode == "binary":
                matrix[row] = counts > 0
            elif mode == "count":
                matrix[row] = counts
            elif mode == "freq":
                matrix[row] = counts / len(seq)
            else:
                idx = np.flatnonzero(counts)
                docs = np.array([self.index_docs.get(j, 0) for j in idx])
                matrix[row, idx] = (1 + np.log(counts[idx])) * np.log(1 + self.document_count / (1 + docs))
        return matrix

    def get_config(self) -> dict[str, Any]:
        return {"num_words": self.num_words, "filters": self.filters, "lower": self.lower, "split": self.split,
                "char_level": self.char_level, "oov_token": self.oov_token, "min_count": self.min_count,
                "document_count": self.document_count, "word_counts": json.dumps(self.word_counts),
                "word_docs": json.dumps(self.word_docs)}

    def to_json(self) -> str:
        return json.dumps({"class_name": "Tokenizer", "config": self.get_config()})


def tokenizer_from_json(text: str) -> Tokenizer:
    cfg = dict(json.loads(text)["config"])
    counts = json.loads(cfg.pop("word_counts"), object_pairs_hook=OrderedDict)
    docs = json.loads(cfg.pop("word_docs"))
    document_count = cfg.pop("document_count")
    tok = Tokenizer(**cfg)
    tok.word_counts, tok.word_docs, tok.document_count = counts, defaultdict(int, docs), 0
    tok.fit_on_texts([])
    tok.document_count = document_count
    return tok


def pad_sequences(sequences: Iterable[Any], maxlen: int | None = None, dtype: str = "int32", padding: str = "pre",
                  truncating: str = "pre", value: float = 0.0) -> np.ndarray:
    """Keras's ``pad_sequences``: pad (or cut) every sequence to ``maxlen`` (default: the longest),
    at the start (``'pre'``, the default) or the end (``'post'``)."""
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(f"padding and truncating must be 'pre' or 'post'; got {padding!r}, {truncating!r}.")
    seqs = [list(s) for s in sequences]
    maxlen = maxlen if maxlen is not None else max((len(s) for s in seqs), default=0)
    out = np.full((len(seqs), maxlen), value, dtype=dtype)
    for i, s in enumerate(seqs):
        if not s or maxlen == 0:
            continue
        s = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if padding == "pre":
            out[i, maxlen - len(s):] = s
        else:
            out[i, :len(s)] = s
    return out

"""``TextVectorization``: raw strings → token indices, or multi-hot / count / TF-IDF vectors.

The pipeline (Keras 3's): standardize each string (lower-case and/or strip ASCII punctuation),
split it into tokens (whitespace or characters), optionally form n-grams, then look every
token up in a vocabulary learned by :meth:`~TextVectorization.adapt` (most frequent first,
ties broken by the token, high to low) or given as ``vocabulary``. The vocabulary itself is
held by a :class:`~brickwork.layers.preprocessing.lookup.StringLookup`, and is saved in the
layer's config (with the IDF weights), so a model file carries it.

Index layout (Keras): ``output_mode='int'``: 0 = padding ``''``, 1 = ``'[UNK]'`` (unknown tokens),
then the vocabulary; the other modes have no padding index: 0 = ``'[UNK]'``, then the vocabulary.
TF-IDF weights are :math:`\\mathrm{idf}(t) = \\ln\\bigl(1 + N / (1 + \\mathrm{df}(t))\\bigr)` for
:math:`N` documents of which :math:`\\mathrm{df}(t)` contain :math:`t`; the OOV entry gets
their mean.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Any

import numpy as np

from brickwork.engine.tensor import Tensor
from brickwork.layers.preprocessing.base import PreprocessingLayer, as_numpy
from brickwork.layers.preprocessing.lookup import StringLookup

STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = ("whitespace", "character")
OUTPUT_MODES = ("int", "multi_hot", "count", "tf_idf")
PAD, OOV = "", "[UNK]"
_PUNCTUATION = re.compile("[" + re.escape(string.punctuation) + "]")


class TextVectorization(PreprocessingLayer):
    """Turn a batch of strings into token indices or bag-of-words vectors.

    Args:
        max_tokens: Largest vocabulary, special tokens included (``adapt`` keeps the most frequent).
        standardize: ``'lower_and_strip_punctuation'`` (default), ``'lower'``, ``'strip_punctuation'``,
            None, or a callable on a NumPy array of strings returning one of the same shape.
        split: ``'whitespace'`` (default), ``'character'``, None (each string is one token), or a
            callable from one string to a list of tokens.
        ngrams: None, an int ``n`` (all 1- to n-grams) or a tuple of widths; n-grams join tokens with a space.
        output_mode: ``'int'`` (default), ``'multi_hot'``, ``'count'`` or ``'tf_idf'``.
        output_sequence_length: ``'int'`` mode only: pad with 0 or truncate every row to this length
            (None: pad to the longest row of the batch).
        pad_to_max_tokens: Non-``int`` modes: the output has ``max_tokens`` columns even if the
            vocabulary is smaller.
        vocabulary: A fixed vocabulary (list of strings, with or without the leading special tokens).
        idf_weights: ``'tf_idf'`` with a fixed vocabulary: one weight per vocabulary entry.
        sparse, ragged: Only False (dense outputs).
        encoding: Used to decode ``bytes`` inputs (default ``'utf-8'``).

    Input shape: ``(batch,)`` or ``(batch, 1)`` strings.
    Output shape: ``'int'``: ``(batch, sequence_length)`` int64; otherwise ``(batch, depth)`` floats with
    ``depth = max_tokens`` if ``pad_to_max_tokens`` else ``vocabulary_size()``.
    """

    _accepts_strings = True

    def __init__(self, max_tokens: int | None = None, standardize: Any = "lower_and_strip_punctuation",
                 split: Any = "whitespace", ngrams: Any = None, output_mode: str = "int",
                 output_sequence_length: int | None = None, pad_to_max_tokens: bool = False,
                 vocabulary: Any = None, idf_weights: Any = None, sparse: bool = False, ragged: bool = False,
                 encoding: str = "utf-8", **kwargs: Any) -> None:
        self._has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("vocabulary_size", None)
        kwargs.pop("dtype", None)
        super().__init__(**kwargs)
        where = f"TextVectorization '{self.name}'"
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"{where}: output_mode must be one of {OUTPUT_MODES}; got {output_mode!r}.")
        if not (standardize is None or callable(standardize) or standardize in STANDARDIZE):
            raise ValueError(f"{where}: standardize must be None, a callable or one of {STANDARDIZE}; "
                             f"got {standardize!r}.")
        if not (split is None or callable(split) or split in SPLIT):
            raise ValueError(f"{where}: split must be None, a callable or one of {SPLIT}; got {split!r}.")
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (ngrams is None or (isinstance(ngrams, int) and ngrams >= 1)
                or (isinstance(ngrams, tuple) and ngrams and all(isinstance(n, int) and n >= 1 for n in ngrams))):
            raise ValueError(f"{where}: ngrams must be None, a positive int or a tuple of positive ints; "
                             f"got {ngrams!r}.")
        if output_sequence_length is not None and (output_mode != "int" or int(output_sequence_length) < 1):
            raise ValueError(f"{where}: output_sequence_length must be a positive int, and is only valid with "
                             f"output_mode='int'; got {output_sequence_length!r} with output_mode={output_mode!r}.")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{where}: pad_to_max_tokens=True needs max_tokens.")
        if max_tokens is not None and int(max_tokens) <= (2 if output_mode == "int" else 1):
            raise ValueError(f"{where}: max_tokens must leave room for the special tokens; got {max_tokens}.")
        if sparse or ragged:
            raise ValueError(f"{where}: sparse and ragged outputs are not supported (dense only).")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{where}: idf_weights are only valid with output_mode='tf_idf'.")
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(f"{where}: a fixed vocabulary with output_mode='tf_idf' needs idf_weights.")
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.standardize, self.split, self.ngrams = standardize, split, ngrams
        self._widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self.output_mode = output_mode
        self.output_sequence_length = None if output_sequence_length is None else int(output_sequence_length)
        self.pad_to_max_tokens, self.encoding = bool(pad_to_max_tokens), encoding
        self._special = [PAD, OOV] if output_mode == "int" else [OOV]
        self._lookup = StringLookup(num_oov_indices=1, oov_token=OOV,
                                    mask_token=PAD if output_mode == "int" else None, name=f"{self.name}_lookup")
        self._idf: np.ndarray | None = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------ text → tokens
    def _strings(self, data: Any) -> np.ndarray:
        values = as_numpy(data)
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 1:
            raise ValueError(f"TextVectorization '{self.name}' expects a batch of strings of shape (batch,) or "
                             f"(batch, 1); got shape {values.shape}.")
        out = [v.decode(self.encoding) if isinstance(v, bytes) else v for v in values.tolist()]
        if any(not isinstance(v, str) for v in out):
            raise TypeError(f"TextVectorization '{self.name}' expects strings; got "
                            f"{type(next(v for v in out if not isinstance(v, str))).__name__}.")
        return np.array(out, dtype=object)

    def _tokenize(self, data: Any) -> list[list[str]]:
        """Standardize, split and form n-grams: one token list per string."""
        texts = self._strings(data)
        if callable(self.standardize):
            texts = np.asarray(self.standardize(texts.astype(str)), dtype=object).reshape(-1)
        else:
            if self.standardize in ("lower", "lower_and_strip_punctuation"):
                texts = np.array([t.lower() for t in texts], dtype=object)
            if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
                texts = np.array([_PUNCTUATION.sub("", t) for t in texts], dtype=object)
        if self.split is None:
            rows = [[t] for t in texts]
        elif self.split == "whitespace":
            rows = [t.split() for t in texts]
        elif self.split == "character":
            rows = [list(t) for t in texts]
        else:
            rows = [list(self.split(t)) for t in texts]
        if self._widths is not None:
            rows = [[" ".join(r[i:i + n]) for n in self._widths for i in range(len(r) - n + 1)] for r in rows]
        return rows

    # ------------------------------------------------------------ vocabulary
    def adapt(self, data: Any, batch_size: Any = None, steps: Any = None) -> None:
        """Learn the vocabulary (and document frequencies for ``'tf_idf'``) from a list/array of strings."""
        if self._has_input_vocabulary:
            raise ValueError(f"TextVectorization '{self.name}': cannot adapt after a fixed vocabulary was set "
                             "with `vocabulary=`.")
        rows = self._tokenize(data)
        counts = Counter(t for r in rows for t in r)
        for special in (PAD, OOV):
            counts.pop(special, None)
        ranked = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens is not None:
            ranked = ranked[:self.max_tokens - len(self._special)]
        tokens = [t for t, _ in ranked]
        if not tokens:
            raise ValueError(f"TextVectorization '{self.name}': adapt found no tokens in the data.")
        idf = None
        if self.output_mode == "tf_idf":
            df = Counter(t for r in rows for t in set(r))
            idf = np.log(1 + len(rows) / (1 + np.array([df[t] for t in tokens], np.float64)))
        self._set(tokens, idf)
        self._adapted = True

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Set the vocabulary (with or without the leading special tokens) and, for ``'tf_idf'``, the
        IDF weights (one per entry given; the OOV weight defaults to their mean)."""
        where = f"TextVectorization '{self.name}'"
        vocab = [v.decode(self.encoding) if isinstance(v, bytes) else str(v)
                 for v in as_numpy(vocabulary).reshape(-1).tolist()]
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{where}: output_mode='tf_idf' needs idf_weights with the vocabulary.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"{where}: idf_weights are only valid with output_mode='tf_idf'.")
        n = len(self._special)
        has_special = vocab[:n] == self._special
        tokens = vocab[n:] if has_special else vocab
        for special in (PAD, OOV):
            if special in tokens:
                raise ValueError(f"{where}: the vocabulary contains the reserved token {special!r} at an "
                                 "unexpected position.")
        if not tokens:
            raise ValueError(f"{where}: cannot set an empty vocabulary.")
        if self.max_tokens is not None and len(tokens) + n > self.max_tokens:
            raise ValueError(f"{where}: a vocabulary of {len(tokens) + n} entries (special tokens included) "
                             f"exceeds max_tokens={self.max_tokens}.")
        idf = None
        if idf_weights is not None:
            weights = np.asarray(as_numpy(idf_weights), np.float64).reshape(-1)
            if len(weights) != len(vocab):
                raise ValueError(f"{where}: {len(weights)} idf_weights for a vocabulary of {len(vocab)} entries.")
            if has_special:          # tf_idf has one special token, '[UNK]': its weight is given
                self._lookup.set_vocabulary(np.array(tokens, dtype=object))
                self._idf = self._pad_idf(weights[1:], oov=float(weights[0]))
                return
            idf = weights
        self._set(tokens, idf)

    def _pad_idf(self, idf: np.ndarray, oov: float) -> np.ndarray:
        """Full weights: the OOV entry first, then the tokens', then zeros up to ``max_tokens`` when
        ``pad_to_max_tokens``."""
        full = np.concatenate([[oov], idf])
        if self.pad_to_max_tokens:
            full = np.concatenate([full, np.zeros(self.max_tokens - len(full))])
        return full

    def _set(self, tokens: list[str], idf: np.ndarray | None) -> None:
        self._lookup.set_vocabulary(np.array(tokens, dtype=object))
        self._idf = None if idf is None else self._pad_idf(idf, float(np.mean(idf)))

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """Every index's token (``''``, ``'[UNK]'`` first in ``'int'`` mode; ``'[UNK]'`` first otherwise)."""
        vocab = self._lookup.get_vocabulary()
        return vocab if include_special_tokens else vocab[len(self._special):]

    def vocabulary_size(self) -> int:
        """Number of indices, the special tokens included."""
        return len(self._lookup.get_vocabulary())

    # ------------------------------------------------------------ call
    def _indices(self, rows: list[list[str]]) -> list[np.ndarray]:
        if not self._lookup.get_vocabulary()[len(self._special):]:
            raise RuntimeError(f"TextVectorization '{self.name}' has no vocabulary: pass vocabulary= or call "
                               "adapt(data) first.")
        rows = [[t for t in r if t != PAD] for r in rows]          # the mask token is never looked up
        flat = np.array([t for r in rows for t in r], dtype=object)
        found = self._lookup(flat).data if flat.size else np.zeros(0, np.int64)
        ends = np.cumsum([len(r) for r in rows])
        return np.split(found.astype(np.int64), ends[:-1]) if rows else []

    def call(self, inputs):
        rows = self._indices(self._tokenize(inputs))
        if self.output_mode == "int":
            length = self.output_sequence_length
            if length is None:
                length = max((len(r) for r in rows), default=0)
            out = np.zeros((len(rows), length), np.int64)
            for i, r in enumerate(rows):
                out[i, :min(len(r), length)] = r[:length]
            return Tensor(out)
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        row_ids = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
        flat = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        counts = np.bincount(row_ids * depth + flat, minlength=len(rows) * depth).reshape(len(rows), depth)
        counts = counts.astype(self._dtype)
        if self.output_mode == "multi_hot":
            np.minimum(counts, 1, out=counts)
        elif self.output_mode == "tf_idf":
            if self._idf is None:
                raise RuntimeError(f"TextVectorization '{self.name}': output_mode='tf_idf' has no idf_weights.")
            counts = counts * self._idf[:depth].astype(self._dtype)
        return Tensor(counts)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        return (input_shape[0], depth)

    def _output_dtype(self):
        return np.dtype(np.int64) if self.output_mode == "int" else self._dtype

    def get_config(self):
        cfg = super().get_config()
        has_vocab = bool(self.get_vocabulary(include_special_tokens=False))
        idf = None
        if has_vocab and self._idf is not None:
            idf = [float(v) for v in self._idf[:self.vocabulary_size()]]
        cfg.update({
            "max_tokens": self.max_tokens, "standardize": self.standardize, "split": self.split,
            "ngrams": list(self.ngrams) if isinstance(self.ngrams, tuple) else self.ngrams,
            "output_mode": self.output_mode, "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": self.pad_to_max_tokens, "sparse": False, "ragged": False,
            "vocabulary": self.get_vocabulary() if has_vocab else None, "idf_weights": idf,
            "encoding": self.encoding, "vocabulary_size": self.vocabulary_size(),
        })
        return cfg

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TextVectorization:
        config = dict(config)
        config.setdefault("has_input_vocabulary", False)     # a restored adapted layer may be adapted again
        return super().from_config(config)


"""``StringLookup`` and ``IntegerLookup``: categories → indices (or one-hot/multi-hot/count vectors).

Index layout (Keras's): ``[mask token (if any)] + [OOV indices] + vocabulary``, so with
the defaults (no mask, one OOV index) unseen categories map to 0 and the vocabulary
starts at 1. Missing values (``None``, NaN, ``''``) are never learned by ``adapt`` and
map to the OOV bucket, like any unseen category: a model trained on yesterday's
categories still scores today's rows. ``last_unknown`` counts, after each call, the unseen values
that went to the OOV bucket (and which they were) and the missing ones (``brickwork predict`` reports it);
it is kept per thread, so it always describes the calling thread's own last call.
"""

from __future__ import annotations

import zlib
from collections import Counter
from typing import Any

import numpy as np

from brickwork.engine.tensor import Tensor
from brickwork.layers.preprocessing.base import PreprocessingLayer, as_numpy, is_missing
from brickwork.layers.preprocessing.encoding import encode_counts, encoded_shape
from brickwork.utils.threads import PerThread

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def _empty_report() -> dict[str, Any]:
    return {"count": 0, "values": []}


class IndexLookup(PreprocessingLayer):
    """Shared machinery of :class:`StringLookup` and :class:`IntegerLookup`."""

    _accepts_strings = True

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: Any = None,
                 oov_token: Any = None, vocabulary: Any = None, invert: bool = False, output_mode: str = "int",
                 **kwargs: Any) -> None:
        kwargs.pop("dtype", None)
        super().__init__(**kwargs)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"{type(self).__name__} '{self.name}': output_mode must be one of {OUTPUT_MODES}, "
                             f"got {output_mode!r}.")
        if num_oov_indices < 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': num_oov_indices must be >= 0, "
                             f"got {num_oov_indices}.")
        if invert and output_mode != "int":
            raise ValueError(f"{type(self).__name__} '{self.name}': invert=True needs output_mode='int'.")
        self.max_tokens, self.num_oov_indices = max_tokens, int(num_oov_indices)
        self.mask_token, self.oov_token, self.invert, self.output_mode = mask_token, oov_token, invert, output_mode
        self._last_unknown = PerThread(_empty_report)
        self._vocab: list[Any] = []
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    @property
    def last_unknown(self) -> dict[str, Any]:
        """The calling thread's last call: how many values were unseen (and which, up to 20) and missing."""
        return self._last_unknown.get()

    @last_unknown.setter
    def last_unknown(self, value: dict[str, Any]) -> None:
        self._last_unknown.set(value)

    # ------------------------------------------------------------ vocabulary
    def _key(self, value: Any) -> Any:
        return value

    def set_vocabulary(self, vocabulary: Any) -> None:
        vocab = [self._key(v) for v in as_numpy(vocabulary).reshape(-1).tolist()]
        if len(set(vocab)) != len(vocab):
            raise ValueError(f"{type(self).__name__} '{self.name}': the vocabulary has repeated entries.")
        for special, label in ((self.mask_token, "mask_token"), (self.oov_token, "oov_token")):
            if special is not None and self._key(special) in vocab:
                raise ValueError(f"{type(self).__name__} '{self.name}': the vocabulary contains the {label} "
                                 f"{special!r}.")
        self._vocab = vocab
        self._offset = (1 if self.mask_token is not None else 0) + self.num_oov_indices
        self._table = {v: i + self._offset for i, v in enumerate(vocab)}
        self._adapted = True

    def get_vocabulary(self) -> list[Any]:
        """Every index's token: mask, OOV token(s), then the vocabulary (Keras's order)."""
        head = [self.mask_token] if self.mask_token is not None else []
        return head + [self.oov_token] * self.num_oov_indices + list(self._vocab)

    def vocabulary_size(self) -> int:
        return len(self.get_vocabulary())

    def _adapt(self, data: np.ndarray) -> None:
        flat = data.reshape(-1)
        flat = flat[~is_missing(flat)]
        counts = Counter(self._key(v) for v in flat.tolist())
        for special in (self.mask_token, self.oov_token):
            counts.pop(self._key(special) if special is not None else None, None)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        if self.max_tokens is not None:
            ranked = ranked[:max(self.max_tokens - self.num_oov_indices - (self.mask_token is not None), 0)]
        self.set_vocabulary(np.array([k for k, _ in ranked], dtype=object))

    # ------------------------------------------------------------ call
    def _oov_index(self, value: Any) -> int:
        if self.num_oov_indices == 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': {value!r} is not in the vocabulary and "
                             "num_oov_indices=0.")
        base = 1 if self.mask_token is not None else 0
        if self.num_oov_indices == 1:
            return base
        return base + zlib.crc32(str(value).encode()) % self.num_oov_indices

    def _lookup(self, values: np.ndarray) -> np.ndarray:
        if not self._vocab and not self.is_adapted:
            raise RuntimeError(f"{type(self).__name__} '{self.name}' has no vocabulary: pass vocabulary= or call "
                               "adapt(data) first.")
        flat = values.reshape(-1).tolist()
        missing = is_missing(values.reshape(-1))
        out = np.empty(len(flat), np.int64)
        unknown: list[Any] = []
        mask_key = self._key(self.mask_token) if self.mask_token is not None else object()
        for i, v in enumerate(flat):
            key = None if missing[i] else self._key(v)
            if key is not None and key == mask_key:
                out[i] = 0
                continue
            index = self._table.get(key)
            if index is None:
                if key is not None:
                    unknown.append(v)
                index = self._oov_index(v)
            out[i] = index
        self._last_unknown.set({"count": len(unknown), "values": sorted({str(u) for u in unknown})[:20],
                                "missing": int(missing.sum())})
        return out.reshape(values.shape)

    def _invert(self, indices: np.ndarray) -> np.ndarray:
        vocab = np.array(self.get_vocabulary(), dtype=object)
        if indices.size and (indices.min() < 0 or indices.max() >= len(vocab)):
            raise ValueError(f"{type(self).__name__} '{self.name}': indices must be in [0, {len(vocab)}).")
        return vocab[indices]

    def call(self, inputs):
        values = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        if self.invert:
            return Tensor(self._invert(values.astype(np.int64)))
        indices = self._lookup(values)
        if self.output_mode == "int":
            return Tensor(indices)
        return Tensor(encode_counts(indices, self.vocabulary_size(), self.output_mode,
                                    f"{type(self).__name__} '{self.name}'", self._dtype))

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.vocabulary_size())

    def _output_dtype(self):
        if self.invert:
            return np.dtype(object)
        return np.dtype(np.int64) if self.output_mode == "int" else self._dtype

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices,
                    "mask_token": self.mask_token, "oov_token": self.oov_token, "invert": self.invert,
                    "output_mode": self.output_mode, "vocabulary": [self._plain(v) for v in self._vocab]})
        return cfg

    @staticmethod
    def _plain(value: Any) -> Any:
        return value.item() if isinstance(value, np.generic) else value


class StringLookup(IndexLookup):
    """Map strings to integer indices, with an out-of-vocabulary bucket for unseen ones.

    Args:
        max_tokens: Largest vocabulary (including the OOV and mask entries) that ``adapt`` keeps
            (most frequent first).
        num_oov_indices: Buckets for unknown strings (0 = unknown strings are an error).
        mask_token: A token mapped to 0 (``None``: no mask).
        oov_token: The token ``get_vocabulary`` and ``invert`` show for OOV indices.
        vocabulary: A fixed vocabulary (otherwise call ``adapt``); it is saved in the layer's config.
        invert: Map indices back to strings.
        output_mode: ``'int'`` (indices, same shape), ``'one_hot'`` (a vector per value; a last axis
            of size 1 is replaced), ``'multi_hot'`` or ``'count'`` (one vector per row).

    Input shape: any (strings, objects; missing values are OOV). Output shape: see ``output_mode``.
    """

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: Any = None,
                 oov_token: str = "[UNK]", vocabulary: Any = None, invert: bool = False,
                 output_mode: str = "int", **kwargs: Any) -> None:
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, invert, output_mode,
                         **kwargs)

    def _key(self, value: Any) -> Any:
        return value.decode() if isinstance(value, bytes) else str(value)


class IntegerLookup(IndexLookup):
    """Map integer categories (codes, ids) to contiguous indices, with an OOV bucket.

    The same arguments as :class:`StringLookup`; ``oov_token`` defaults to -1.
    """

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: Any = None,
                 oov_token: int = -1, vocabulary: Any = None, invert: bool = False, output_mode: str = "int",
                 **kwargs: Any) -> None:
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, invert, output_mode,
                         **kwargs)

    def _key(self, value: Any) -> Any:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"IntegerLookup '{self.name}' got the non-integer value {value!r}.") from None
        if number != int(number):
            raise TypeError(f"IntegerLookup '{self.name}' got the non-integer value {value!r}.")
        return int(number)

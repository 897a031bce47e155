"""Word vectors and the queries on them, with gensim 4's names and return shapes."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import numpy as np


def _rank(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank), for Spearman's correlation."""
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    for value in np.unique(x):
        tie = x == value
        if tie.sum() > 1:
            ranks[tie] = ranks[tie].mean()
    return ranks


def _correlation(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Pearson's r and its two-sided p-value (from the t distribution when SciPy is available)."""
    r = float(np.corrcoef(a, b)[0, 1])
    n = len(a)
    try:
        from scipy import stats

        t = r * np.sqrt((n - 2) / max(1e-300, 1 - r * r))
        p = float(2 * stats.t.sf(abs(t), n - 2))
    except ImportError:  # pragma: no cover - SciPy is optional
        p = float("nan")
    return r, p


class KeyedVectors:
    """A mapping from words (keys) to vectors: ``wv['king']``, ``'king' in wv``, ``wv.index_to_key``.

    Keys are ordered by decreasing frequency when built by :class:`Word2Vec`.
    """

    def __init__(self, vector_size: int, count: int = 0, dtype: Any = np.float32) -> None:
        self.vector_size = vector_size
        self.index_to_key: list[str] = []
        self.key_to_index: dict[str, int] = {}
        self.vectors = np.zeros((count, vector_size), dtype)
        self.counts = np.zeros(count, np.int64)
        self._norms: np.ndarray | None = None

    # ------------------------------------------------------------- mapping
    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key: str) -> bool:
        return key in self.key_to_index

    def has_index_for(self, key: str) -> bool:
        return key in self.key_to_index

    def get_index(self, key: str) -> int:
        try:
            return self.key_to_index[key]
        except KeyError:
            raise KeyError(f"Key '{key}' not present in the vocabulary of {len(self)} words.") from None

    def get_vector(self, key: str, norm: bool = False) -> np.ndarray:
        i = self.get_index(key)
        return self.get_normed_vectors()[i] if norm else self.vectors[i]

    def __getitem__(self, keys: str | Iterable[str]) -> np.ndarray:
        if isinstance(keys, str):
            return self.get_vector(keys)
        return np.stack([self.get_vector(k) for k in keys])

    def add_vectors(self, keys: list[str], vectors: np.ndarray) -> None:
        start = len(self.index_to_key)
        for i, key in enumerate(keys):
            self.key_to_index[key] = start + i
        self.index_to_key.extend(keys)
        self.vectors = np.concatenate([self.vectors, np.asarray(vectors, self.vectors.dtype)])
        self.counts = np.concatenate([self.counts, np.zeros(len(keys), np.int64)])
        self._norms = None

    def get_normed_vectors(self) -> np.ndarray:
        """Unit-length vectors (cached until the vectors change through ``fill_norms(force=True)``)."""
        self.fill_norms()
        return self.vectors / self._norms[:, None]

    def fill_norms(self, force: bool = False) -> None:
        if self._norms is None or force or len(self._norms) != len(self.vectors):
            self._norms = np.maximum(np.linalg.norm(self.vectors, axis=1), 1e-12)

    # ------------------------------------------------------------- queries
    def _combine(self, positive: Any, negative: Any) -> tuple[np.ndarray, set[int]]:
        positive = [positive] if isinstance(positive, (str, np.ndarray)) else list(positive or [])
        negative = [negative] if isinstance(negative, (str, np.ndarray)) else list(negative or [])
        normed = self.get_normed_vectors()
        parts, used = [], set()
        for items, weight in ((positive, 1.0), (negative, -1.0)):
            for item in items:
                if isinstance(item, str):
                    i = self.get_index(item)
                    used.add(i)
                    parts.append(weight * normed[i])
                else:
                    vec = np.asarray(item, np.float64)
                    parts.append(weight * vec / max(np.linalg.norm(vec), 1e-12))
        if not parts:
            raise ValueError("Cannot compute similarity with no input.")
        mean = np.mean(parts, axis=0)
        return mean / max(np.linalg.norm(mean), 1e-12), used

    def most_similar(self, positive: Any = None, negative: Any = None, topn: int | None = 10,
                     restrict_vocab: int | None = None) -> Any:
        r"""Top-``topn`` ``(word, cosine similarity)`` to the mean of the unit vectors of
        ``positive`` minus ``negative`` (3CosAdd: *king − man + woman ≈ queen*)."""
        query, used = self._combine(positive, negative)
        normed = self.get_normed_vectors()[:restrict_vocab]
        sims = normed @ query
        if topn is None:
            return sims
        order = np.argsort(-sims)
        return [(self.index_to_key[i], float(sims[i])) for i in order if i not in used][:topn]

    def most_similar_cosmul(self, positive: Any = None, negative: Any = None, topn: int = 10,
                            restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        r"""3CosMul (Levy & Goldberg 2014): :math:`\prod_{p} \tilde s(w, p) / (\prod_n \tilde s(w, n) + 10^{-6})`
        with :math:`\tilde s = (1 + \cos)/2`."""
        positive = [positive] if isinstance(positive, str) else list(positive or [])
        negative = [negative] if isinstance(negative, str) else list(negative or [])
        normed = self.get_normed_vectors()[:restrict_vocab]
        used = {self.get_index(w) for w in positive + negative}
        pos = [(1 + normed @ self.get_vector(w, norm=True)) / 2 for w in positive]
        neg = [(1 + normed @ self.get_vector(w, norm=True)) / 2 for w in negative]
        scores = np.prod(pos, axis=0) / (np.prod(neg, axis=0) + 1e-6)
        order = np.argsort(-scores)
        return [(self.index_to_key[i], float(scores[i])) for i in order if i not in used][:topn]

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words."""
        return float(self.get_vector(w1, norm=True) @ self.get_vector(w2, norm=True))

    def distance(self, w1: str, w2: str) -> float:
        return 1.0 - self.similarity(w1, w2)

    def doesnt_match(self, words: list[str]) -> str:
        """The word farthest from the mean of the others' unit vectors (words not in the vocabulary are ignored)."""
        known = [w for w in words if w in self]
        if not known:
            raise ValueError("None of the words is in the vocabulary.")
        vecs = np.stack([self.get_vector(w, norm=True) for w in known])
        mean = vecs.mean(axis=0)
        mean /= max(np.linalg.norm(mean), 1e-12)
        return known[int(np.argmin(vecs @ mean))]

    # ---------------------------------------------------------- evaluation
    def evaluate_word_analogies(self, analogies: Any, restrict_vocab: int = 300000, case_insensitive: bool = True,
                                dummy4unknown: bool = False) -> tuple[float, list[dict[str, Any]]]:
        """Accuracy on a Google analogy file (``: section`` lines, then ``a b c d``): ``d`` must be the
        best 3CosAdd answer to ``b - a + c`` among the ``restrict_vocab`` most frequent words other
        than ``a, b, c``. Returns ``(accuracy, sections)`` like gensim (the last section is the total)."""
        ok_keys = self.index_to_key[:restrict_vocab]
        lookup = {}
        for i, key in enumerate(ok_keys):
            lookup.setdefault(key.upper() if case_insensitive else key, i)
        normed = self.get_normed_vectors()[:len(ok_keys)]
        sections: list[dict[str, Any]] = []
        section = None
        with open(os.fspath(analogies), encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(":"):
                    section = {"section": line.lstrip(":").strip(), "correct": [], "incorrect": []}
                    sections.append(section)
                    continue
                words = line.split()
                if len(words) != 4 or section is None:
                    continue
                if case_insensitive:
                    words = [w.upper() for w in words]
                if not all(w in lookup for w in words):
                    if dummy4unknown:
                        section["incorrect"].append(tuple(words))
                    continue
                a, b, c, expected = (lookup[w] for w in words)
                query = normed[b] - normed[a] + normed[c]
                sims = normed @ (query / max(np.linalg.norm(query), 1e-12))
                sims[[a, b, c]] = -np.inf
                guess = int(np.argmax(sims))
                (section["correct"] if guess == expected else section["incorrect"]).append(tuple(words))
        total = {"section": "Total accuracy", "correct": [x for s in sections for x in s["correct"]],
                 "incorrect": [x for s in sections for x in s["incorrect"]]}
        n = len(total["correct"]) + len(total["incorrect"])
        sections.append(total)
        return (len(total["correct"]) / n if n else 0.0), sections

    def evaluate_word_pairs(self, pairs: Any, delimiter: str = "\t", restrict_vocab: int = 300000,
                            case_insensitive: bool = True, dummy4unknown: bool = False) -> tuple[Any, Any, float]:
        """Pearson and Spearman correlations between the file's human similarity scores
        (``word1<TAB>word2<TAB>score``, ``#`` comments) and cosine similarities, on the pairs whose
        words are both known; returns ``((pearson, p), (spearman, p), oov_percent)`` like gensim."""
        ok_keys = self.index_to_key[:restrict_vocab]
        lookup = {}
        for i, key in enumerate(ok_keys):
            lookup.setdefault(key.upper() if case_insensitive else key, i)
        normed = self.get_normed_vectors()
        human, model, oov, total = [], [], 0, 0
        with open(os.fspath(pairs), encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("#") or not line.strip():
                    continue
                parts = line.strip().split(delimiter)
                if len(parts) < 3:
                    continue
                a, b = (p.upper() for p in parts[:2]) if case_insensitive else parts[:2]
                total += 1
                if a not in lookup or b not in lookup:
                    oov += 1
                    if dummy4unknown:
                        human.append(float(parts[2]))
                        model.append(0.0)
                    continue
                human.append(float(parts[2]))
                model.append(float(normed[lookup[a]] @ normed[lookup[b]]))
        if len(human) < 3:
            raise ValueError("Fewer than 3 of the pairs are in the vocabulary.")
        h, m = np.array(human), np.array(model)
        return _correlation(h, m), _correlation(_rank(h), _rank(m)), 100.0 * oov / max(total, 1)

    # ---------------------------------------------------------- as features
    def embedding_matrix(self, word_index: dict[str, int] | None = None, seed: int = 0) -> np.ndarray:
        """Rows for an ``Embedding`` layer: row ``i`` is the vector of the word with index ``i`` in
        ``word_index`` (a :class:`~brickwork.text.Tokenizer`'s; default: this vocabulary shifted by
        one), row 0 (padding) is zero, unknown words get small random vectors."""
        if word_index is None:
            word_index = {w: i + 1 for i, w in enumerate(self.index_to_key)}
        rng = np.random.default_rng(seed)
        rows = max(word_index.values(), default=0) + 1
        matrix = rng.uniform(-0.05, 0.05, (rows, self.vector_size)).astype(self.vectors.dtype)
        matrix[0] = 0
        for word, i in word_index.items():
            if word in self.key_to_index:
                matrix[i] = self.vectors[self.key_to_index[word]]
        return matrix

    def embedding_layer(self, word_index: dict[str, int] | None = None, trainable: bool = False,
                        mask_zero: bool = False, **kwargs: Any) -> Any:
        """An ``Embedding`` initialised from these vectors, frozen (default) or fine-tuned."""
        from brickwork.layers import Embedding

        matrix = self.embedding_matrix(word_index)
        return Embedding(matrix.shape[0], matrix.shape[1], weights=matrix, trainable=trainable,
                         mask_zero=mask_zero, **kwargs)

    # ------------------------------------------------------------- formats
    def save_word2vec_format(self, fname: Any, fvocab: Any = None, binary: bool = False,
                             write_header: bool = True) -> None:
        """The original word2vec text (``word v1 v2 ...``) or binary (``word `` + float32 bytes) format."""
        from brickwork.utils.io import atomic_write

        with atomic_write(fname, "wb") as out:
            if write_header:
                out.write(f"{len(self)} {self.vector_size}\n".encode())
            for key, vec in zip(self.index_to_key, self.vectors):
                if binary:
                    out.write(key.encode("utf-8") + b" " + vec.astype("<f4").tobytes() + b"\n")
                else:
                    out.write((key + " " + " ".join(f"{x:.6g}" for x in vec) + "\n").encode("utf-8"))
        if fvocab is not None:
            with atomic_write(fvocab, "w") as out:
                for key, count in zip(self.index_to_key, self.counts):
                    out.write(f"{key} {count}\n")

    @classmethod
    def load_word2vec_format(cls, fname: Any, fvocab: Any = None, binary: bool = False, encoding: str = "utf8",
                             limit: int | None = None, datatype: Any = np.float32) -> KeyedVectors:
        """Read vectors written by word2vec's C tool, gensim or :meth:`save_word2vec_format`."""
        with open(os.fspath(fname), "rb") as handle:
            header = handle.readline().decode(encoding).split()
            count, size = int(header[0]), int(header[1])
            if limit:
                count = min(count, limit)
            kv = cls(size, 0, datatype)
            keys, rows = [], []
            for _ in range(count):
                if binary:
                    word = bytearray()
                    while True:
                        ch = handle.read(1)
                        if ch == b" " or ch == b"":
                            break
                        if ch != b"\n":
                            word.extend(ch)
                    keys.append(word.decode(encoding, errors="replace"))
                    rows.append(np.frombuffer(handle.read(4 * size), "<f4"))
                else:
                    parts = handle.readline().decode(encoding).rstrip("\n").split(" ")
                    keys.append(parts[0])
                    rows.append(np.asarray(parts[1:size + 1], np.float64))
        kv.add_vectors(keys, np.asarray(rows, datatype).reshape(len(keys), size))
        if fvocab is not None:
            with open(os.fspath(fvocab), encoding=encoding) as handle:
                for line in handle:
                    word, c = line.rsplit(" ", 1)
                    if word in kv.key_to_index:
                        kv.counts[kv.key_to_index[word]] = int(c)
        return kv

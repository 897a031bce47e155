"""word2vec as an ordinary network: skip-gram with negative sampling built from
``Embedding`` + ``Dot`` + sigmoid and trained with ``fit`` — the same objective
as the fast trainer, :math:`-\\ln\\sigma(u_c^\\top v_w) - \\sum_k \\ln\\sigma(-u_{n_k}^\\top v_w)`,
written as binary classification of (word, context) pairs against (word, noise) pairs."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.text.word2vec.keyed_vectors import KeyedVectors
from brickwork.text.word2vec.vocab import unigram_table


def skipgrams(sequence: Any, vocabulary_size: int, window_size: int = 4, negative_samples: float = 1.0,
              shuffle: bool = True, counts: Any = None, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Keras's ``skipgrams``: ``(couples, labels)`` — every (word, context) pair within
    ``window_size`` labelled 1 and ``negative_samples`` times as many (word, noise) pairs
    labelled 0. Noise words are uniform over ``1..vocabulary_size-1`` as in Keras, or drawn
    from the unigram^0.75 distribution when ``counts`` (per index) is given. Index 0 is skipped."""
    rng = np.random.default_rng(seed)
    seq = np.asarray(sequence, np.int64)
    words, contexts = [], []
    for k in range(1, window_size + 1):
        a, b = seq[:-k], seq[k:]
        ok = (a > 0) & (b > 0)
        words += [a[ok], b[ok]]
        contexts += [b[ok], a[ok]]
    w, c = np.concatenate(words), np.concatenate(contexts)
    n_neg = int(len(w) * negative_samples)
    neg_words = rng.choice(w, n_neg) if len(w) else np.zeros(0, np.int64)
    if counts is not None:
        table = unigram_table(np.asarray(counts, np.float64) + 1e-12)
        noise = np.searchsorted(table, rng.random(n_neg))
    else:
        noise = rng.integers(1, vocabulary_size, n_neg)
    couples = np.stack([np.r_[w, neg_words], np.r_[c, noise]], axis=1)
    labels = np.r_[np.ones(len(w)), np.zeros(n_neg)].astype(np.float32)
    if shuffle:
        order = rng.permutation(len(labels))
        couples, labels = couples[order], labels[order]
    return couples, labels


def skipgram_model(vocabulary_size: int, vector_size: int = 100) -> Any:
    """``[word, context]`` indices → :math:`\\sigma(v_w^\\top u_c)`: two ``Embedding`` tables
    (the input vectors and the output vectors), a ``Dot`` and a sigmoid."""
    from brickwork import layers, models

    word = layers.Input(shape=(1,), dtype="int32", name="word")
    context = layers.Input(shape=(1,), dtype="int32", name="context")
    v = layers.Flatten()(layers.Embedding(vocabulary_size, vector_size, name="word_vectors")(word))
    u = layers.Flatten()(layers.Embedding(vocabulary_size, vector_size, embeddings_initializer="zeros",
                                          name="context_vectors")(context))
    score = layers.Dot(axes=1)([v, u])
    return models.Model([word, context], layers.Activation("sigmoid")(score), name="skipgram")


def vectors_from_model(model: Any, index_to_key: list[str]) -> KeyedVectors:
    """The trained input vectors of :func:`skipgram_model` as :class:`KeyedVectors`
    (``index_to_key[i]`` is the word of embedding row ``i + 1``; row 0 is padding)."""
    table = model.get_layer("word_vectors").embeddings.data
    kv = KeyedVectors(table.shape[1], 0)
    kv.add_vectors(list(index_to_key), table[1:len(index_to_key) + 1])
    return kv

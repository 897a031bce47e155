r"""Word2Vec vectors as the starting token embedding of a text encoder.

A Transformer classifier trained on a few thousand labelled passages learns its token embedding
:math:`W \in \mathbb{R}^{V \times d}` from the labels alone. Word2Vec (skip-gram with negative sampling,
Mikolov et al. 2013) learns vectors from *unlabelled* text in seconds: for each centre id :math:`w` and a
context id :math:`c` within the window it raises :math:`\log \sigma(v_w \cdot u_c)` and, for :math:`k` ids
:math:`n_j` drawn from the unigram distribution to the power 0.75, :math:`\log \sigma(-v_w \cdot u_{n_j})`.
:func:`word2vec_token_vectors` trains it on the id sequences themselves (each id a word, padding dropped), so
row :math:`i` of the result is the vector :math:`v_i` of id :math:`i` — the ids a ``TextVectorization`` gave
the text, and so the rows of the encoder's embedding:

.. math::

    W^{(0)}_i = \begin{cases} v_i & \text{id } i \text{ occurs in the unlabelled text} \\
    u_i \sim \mathcal{U}(-0.05, 0.05)^d & \text{otherwise (and the padding row 0)} \end{cases}

The vectors are used as Word2Vec returns them, not rescaled to the embedding's initial spread: their
entries have a standard deviation of about 0.24 against 0.029 for the uniform draw, so the token part
dominates the learned position embedding added to it at the start of fine-tuning.
:func:`set_token_embedding` writes such a matrix into a model's ``TokenAndPositionEmbedding``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.applications.arguments import positive_int
from brickwork.models import Model
from brickwork.text import Word2Vec

UNIFORM_LIMIT = 0.05
"""Rows without a Word2Vec vector keep a uniform draw in ±this (keras_hub's ``"uniform"`` embedding init)."""


def word2vec_token_vectors(ids: Any, vocabulary_size: int, embedding_dim: int, seed: int = 0,
                           padding_id: int = 0, **word2vec_options: Any) -> np.ndarray:
    """``(vocabulary_size, embedding_dim)`` float32 starting embedding: Word2Vec vectors of the ids in the
    ``(n, T)`` padded id array ``ids`` (see the module docstring).

    ``word2vec_options`` go to :class:`brickwork.text.Word2Vec` over these defaults: skip-gram, negative
    sampling with 5 negatives, window 5, ``min_count`` 1, 10 epochs, one worker (reproducible for a seed).

    Raises:
        ValueError: ``ids`` not 2-D integers, an id outside ``0 … vocabulary_size - 1``, no id besides padding,
            or a size that is not a positive integer.
    """
    where = "word2vec_token_vectors"
    vocabulary_size = positive_int(where, "vocabulary_size", vocabulary_size)
    embedding_dim = positive_int(where, "embedding_dim", embedding_dim)
    ids = np.asarray(ids)
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"{where}: ids must be a 2-D integer array (passages, positions); got dtype "
                         f"{ids.dtype} and shape {ids.shape}.")
    if ids.size and (ids.min() < 0 or ids.max() >= vocabulary_size):
        raise ValueError(f"{where}: ids must lie in 0..{vocabulary_size - 1} (vocabulary_size {vocabulary_size}); "
                         f"got {ids.min()}..{ids.max()}.")
    sentences = [[str(i) for i in row[row != padding_id]] for row in ids]
    sentences = [s for s in sentences if s]
    if not sentences:
        raise ValueError(f"{where}: ids hold nothing but padding (id {padding_id}); there is no text to learn from.")
    options = {"sg": 1, "negative": 5, "window": 5, "min_count": 1, "epochs": 10, "workers": 1,
               **word2vec_options}
    model = Word2Vec(sentences, vector_size=embedding_dim, seed=seed, **options)
    vectors = np.random.default_rng(seed).uniform(-UNIFORM_LIMIT, UNIFORM_LIMIT,
                                                  (vocabulary_size, embedding_dim)).astype(np.float32)
    for word, row in model.wv.key_to_index.items():
        vectors[int(word)] = model.wv.vectors[row]
    return vectors


def set_token_embedding(model: Model, vectors: Any, layer_name: str = "embedding") -> None:
    """Write ``vectors`` into the token embedding of ``model``'s ``TokenAndPositionEmbedding`` named
    ``layer_name`` (its position embedding is left as it is).

    Raises:
        ValueError: no such layer, a layer without a token embedding, or ``vectors`` of another shape (both
            shapes named).
    """
    known = {layer.name for layer in model.layers}
    if layer_name not in known:
        raise ValueError(f"set_token_embedding: model '{model.name}' has no layer '{layer_name}'.")
    layer = model.get_layer(layer_name)
    token = getattr(layer, "token_embedding", None)
    if token is None:
        raise ValueError(f"set_token_embedding: layer '{layer_name}' ({type(layer).__name__}) has no token "
                         f"embedding.")
    weight = token.embeddings
    vectors = np.asarray(vectors)
    if vectors.shape != tuple(weight.shape):
        raise ValueError(f"set_token_embedding: layer '{layer_name}' has a token embedding of shape "
                         f"{tuple(weight.shape)}; got vectors of shape {vectors.shape}.")
    weight.assign(vectors.astype(weight.dtype))


__all__ = ["UNIFORM_LIMIT", "set_token_embedding", "word2vec_token_vectors"]

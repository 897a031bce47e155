"""A GPT: a decoder-only, character- or token-level Transformer language model, its sampler and a
character tokenizer.

:func:`gpt_model` stacks ``num_layers`` pre-LN causal decoder blocks (keras_hub's ``TransformerDecoder``
with ``normalize_first=True`` and no encoder sequence) on a token + learned position embedding, then a final
``LayerNormalization`` and a ``Dense`` head to next-token logits. Block ``l`` computes, for
:math:`h \\in \\mathbb{R}^{T \\times d}`,

.. math::

    h \\leftarrow h + \\mathrm{CausalAttention}(\\mathrm{LN}_1(h)), \\qquad
    h \\leftarrow h + W_2\\,\\mathrm{GELU}(W_1\\,\\mathrm{LN}_2(h)),

so position :math:`t`'s logits depend on tokens :math:`x_{\\le t}` only.

:func:`generate` samples continuations: at each step the context is cropped to the model's last
``sequence_length`` tokens, the last position's logits are divided by ``temperature``, optionally restricted
to the ``top_k`` largest, and one token is drawn from their softmax (NumPy, brickwork's seeded generator).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from brickwork import layers
from brickwork.applications.arguments import positive_int
from brickwork.models import Model
from brickwork.random import draw_generator


def gpt_model(vocabulary_size: int, sequence_length: int, num_layers: int = 4, num_heads: int = 4,
              embedding_dim: int = 128, intermediate_dim: int | None = None, dropout: float = 0.0,
              name: str = "gpt") -> Model:
    """A GPT language model as a Functional model.

    Args:
        vocabulary_size: Number of token ids.
        sequence_length: The longest context (the position embedding's length).
        num_layers: Number of decoder blocks.
        num_heads: Attention heads per block; must divide ``embedding_dim``.
        embedding_dim: Width :math:`d` of the residual stream.
        intermediate_dim: Width of each feed-forward network; default ``4 * embedding_dim``.
        dropout: Dropout rate inside the blocks (attention weights and residual branches).
        name: The model's name.

    Input shape: ``(batch, T)`` integer token ids, ``T <= sequence_length``.
    Output shape: ``(batch, T, vocabulary_size)`` next-token logits (position ``t`` predicts token ``t + 1``).
    """
    where = "gpt_model"
    vocabulary_size = positive_int(where, "vocabulary_size", vocabulary_size)
    sequence_length = positive_int(where, "sequence_length", sequence_length)
    num_layers = positive_int(where, "num_layers", num_layers)
    num_heads = positive_int(where, "num_heads", num_heads)
    embedding_dim = positive_int(where, "embedding_dim", embedding_dim)
    if embedding_dim % num_heads:
        raise ValueError(f"{where}: embedding_dim {embedding_dim} must be divisible by num_heads {num_heads}.")
    intermediate_dim = 4 * embedding_dim if intermediate_dim is None else positive_int(
        where, "intermediate_dim", intermediate_dim)
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"{where}: dropout must be in [0, 1); got {dropout!r}.")

    tokens = layers.Input(shape=(None,), dtype="int32", name="token_ids")
    h = layers.TokenAndPositionEmbedding(vocabulary_size, sequence_length, embedding_dim,
                                         name="embedding")(tokens)
    if dropout:
        h = layers.Dropout(dropout, name="embedding_dropout")(h)
    for i in range(num_layers):
        h = layers.TransformerDecoder(intermediate_dim, num_heads, dropout=float(dropout), activation="gelu",
                                      normalize_first=True, name=f"block_{i}")(h)
    h = layers.LayerNormalization(epsilon=1e-5, name="final_layer_norm")(h)
    logits = layers.Dense(vocabulary_size, name="lm_head")(h)
    return Model(tokens, logits, name=name)


def _sequence_length(model: Model) -> int:
    for layer in model.layers:
        if isinstance(layer, layers.TokenAndPositionEmbedding):
            return layer.sequence_length
    raise ValueError(f"generate: model '{model.name}' has no TokenAndPositionEmbedding to read its context "
                     "length from; build it with gpt_model.")


def generate(model: Model, prompt_ids: Iterable[int], max_new_tokens: int, temperature: float = 1.0,
             top_k: int | None = None, seed: Any = None) -> np.ndarray:
    """Sample ``max_new_tokens`` tokens after ``prompt_ids`` from a :func:`gpt_model`.

    Args:
        model: A model from :func:`gpt_model` (ids ``(1, T)`` to logits ``(1, T, vocab)``).
        prompt_ids: A non-empty 1-D sequence of token ids.
        max_new_tokens: How many tokens to draw (0 returns the prompt).
        temperature: Logits are divided by it before the softmax; must be positive.
        top_k: Keep only the ``top_k`` largest logits per step (``top_k=1`` is greedy decoding).
        seed: None, an int or a ``SeedGenerator`` (the same int gives the same sample).

    Returns: The prompt followed by the new ids, shape ``(len(prompt) + max_new_tokens,)``, int64.
    """
    ids = np.asarray(list(prompt_ids), dtype=np.int64)
    if ids.ndim != 1 or ids.size == 0:
        raise ValueError(f"generate: prompt_ids must be a non-empty 1-D sequence of ids; got shape {ids.shape}.")
    if not isinstance(max_new_tokens, (int, np.integer)) or isinstance(max_new_tokens, bool) or max_new_tokens < 0:
        raise ValueError(f"generate: max_new_tokens must be a non-negative integer; got {max_new_tokens!r}.")
    if not float(temperature) > 0:
        raise ValueError(f"generate: temperature must be positive; got {temperature!r}.")
    if top_k is not None:
        top_k = positive_int("generate", "top_k", top_k)
    context = _sequence_length(model)
    rng = draw_generator(seed)
    for _ in range(int(max_new_tokens)):
        window = ids[-context:][None, :].astype(np.int32)
        logits = np.asarray(model.predict_on_batch(window), dtype=np.float64)[0, -1]
        logits = logits / float(temperature)
        if top_k is not None and top_k < logits.size:
            kth = np.partition(logits, -top_k)[-top_k]
            logits = np.where(logits < kth, -np.inf, logits)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        ids = np.append(ids, rng.choice(probs.size, p=probs))
    return ids


class CharTokenizer:
    """Characters to ids and back; the vocabulary is the sorted set of characters seen by :meth:`fit`.

    Args:
        vocabulary: An optional list of distinct characters (as saved by :meth:`get_config`).
    """

    def __init__(self, vocabulary: list[str] | None = None) -> None:
        self.vocabulary: list[str] = []
        self._index: dict[str, int] = {}
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    def set_vocabulary(self, vocabulary: Iterable[str]) -> None:
        vocab = list(vocabulary)
        if any(not isinstance(c, str) or len(c) != 1 for c in vocab):
            raise ValueError("CharTokenizer: the vocabulary must be single characters.")
        if len(set(vocab)) != len(vocab):
            raise ValueError("CharTokenizer: the vocabulary has repeated characters.")
        self.vocabulary, self._index = vocab, {c: i for i, c in enumerate(vocab)}

    def fit(self, text: str) -> CharTokenizer:
        """Set the vocabulary to the sorted distinct characters of ``text``; returns self."""
        if not isinstance(text, str) or not text:
            raise ValueError("CharTokenizer.fit: expects a non-empty string.")
        self.set_vocabulary(sorted(set(text)))
        return self

    @property
    def vocabulary_size(self) -> int:
        return len(self.vocabulary)

    def encode(self, text: str) -> np.ndarray:
        """``text`` as an int64 array of ids; a character outside the vocabulary is an error."""
        if not self.vocabulary:
            raise ValueError("CharTokenizer.encode: call fit() or give a vocabulary first.")
        try:
            return np.fromiter((self._index[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as err:
            raise ValueError(f"CharTokenizer.encode: character {err.args[0]!r} is not in the vocabulary of "
                             f"{self.vocabulary_size} characters.") from None

    def decode(self, ids: Iterable[int]) -> str:
        """The characters of ``ids``; an id outside ``[0, vocabulary_size)`` is an error."""
        out = []
        for i in np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64).reshape(-1):
            if not 0 <= int(i) < self.vocabulary_size:
                raise ValueError(f"CharTokenizer.decode: id {int(i)} is outside [0, {self.vocabulary_size}).")
            out.append(self.vocabulary[int(i)])
        return "".join(out)

    def get_config(self) -> dict[str, Any]:
        return {"vocabulary": list(self.vocabulary)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CharTokenizer:
        return cls(**config)


__all__ = ["CharTokenizer", "generate", "gpt_model"]

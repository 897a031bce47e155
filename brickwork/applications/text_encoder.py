"""A BERT-like text classifier: token + position embeddings, Transformer encoder blocks, masked mean pooling.

:func:`bert_classifier` maps padded token ids :math:`x \\in \\{0, \\dots, V-1\\}^{T}` (0 = padding, as
``TextVectorization(output_mode='int')`` produces) to class logits:

.. math::

    h^{(0)}_t = W_{x_t} + P_t, \\qquad h^{(l)} = \\mathrm{Encoder}_l(h^{(l-1)}), \\qquad
    \\bar h = \\frac{\\sum_{t: x_t \\neq 0} h^{(L)}_t}{|\\{t: x_t \\neq 0\\}|}, \\qquad
    \\mathrm{logits} = W_o \\bar h + b_o.

The padding mask ``x != 0`` made by the embedding (``mask_zero=True``) reaches every encoder block (padded keys
get no attention) and the pooling (padded positions are not averaged), so appending padding does not change
the logits. Encoder blocks are keras_hub's post-LN ``TransformerEncoder`` (ReLU feed-forward). There is no
``[CLS]`` token: the mean of the last block's outputs is the pooled representation.

:func:`encoder_body` builds the shared part (embedding, dropout, blocks) with fixed layer names
(``embedding``, ``embedding_dropout``, ``encoder_0`` …), so a masked-language model built on it
(:mod:`brickwork.applications.masked_lm`) can hand its pre-trained weights to a classifier by layer name.
"""

from __future__ import annotations

from typing import Any

from brickwork import layers
from brickwork.applications.arguments import positive_int
from brickwork.models import Model


def encoder_arguments(where: str, vocabulary_size: int, sequence_length: int, num_layers: int, num_heads: int,
                      embedding_dim: int, intermediate_dim: int, dropout: float) -> dict[str, Any]:
    """The encoder's size arguments checked (a ValueError naming ``where`` and the argument otherwise), as
    the keyword arguments of :func:`encoder_body`."""
    sizes = {name: positive_int(where, name, value) for name, value in (
        ("vocabulary_size", vocabulary_size), ("sequence_length", sequence_length), ("num_layers", num_layers),
        ("num_heads", num_heads), ("embedding_dim", embedding_dim), ("intermediate_dim", intermediate_dim))}
    if sizes["embedding_dim"] % sizes["num_heads"]:
        raise ValueError(f"{where}: embedding_dim {embedding_dim} must be divisible by num_heads {num_heads}.")
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"{where}: dropout must be in [0, 1); got {dropout!r}.")
    return {**sizes, "dropout": float(dropout)}


def encoder_body(tokens: Any, vocabulary_size: int, sequence_length: int, num_layers: int, num_heads: int,
                 embedding_dim: int, intermediate_dim: int, dropout: float) -> tuple[Any, Any]:
    """The encoder on symbolic ``tokens``: ``TokenAndPositionEmbedding(mask_zero=True)`` named
    ``embedding``, ``Dropout`` (when ``dropout > 0``) and ``num_layers`` post-LN ``TransformerEncoder``
    blocks ``encoder_0 …``; returns ``(h, embedding)``: the last block's ``(batch, T, embedding_dim)`` output,
    which carries the padding mask, and the embedding layer. Arguments as :func:`bert_classifier` (not
    re-checked here; see :func:`encoder_arguments`)."""
    embedding = layers.TokenAndPositionEmbedding(vocabulary_size, sequence_length, embedding_dim, mask_zero=True,
                                                 name="embedding")
    h = embedding(tokens)
    if dropout:
        h = layers.Dropout(dropout, name="embedding_dropout")(h)
    for i in range(num_layers):
        h = layers.TransformerEncoder(intermediate_dim, num_heads, dropout=float(dropout), name=f"encoder_{i}")(h)
    return h, embedding


def bert_classifier(vocabulary_size: int, sequence_length: int, num_classes: int, num_layers: int = 2,
                    num_heads: int = 4, embedding_dim: int = 64, intermediate_dim: int = 128,
                    dropout: float = 0.1, head_dropout: float | None = None, name: str = "bert_classifier") -> Model:
    """A BERT-like encoder classifier as a Functional model.

    Args:
        vocabulary_size: Number of token ids, padding id 0 included.
        sequence_length: The longest input (the position embedding's length).
        num_classes: Number of output logits.
        num_layers: Number of encoder blocks.
        num_heads: Attention heads per block; must divide ``embedding_dim``.
        embedding_dim: Width of the token vectors and of every block.
        intermediate_dim: Width of each block's feed-forward hidden layer.
        dropout: Dropout after the embedding, inside the blocks and (unless ``head_dropout``) before the head.
        head_dropout: Dropout on the pooled vector before the head; None: ``dropout``.
        name: The model's name.

    Input shape: ``(batch, T)`` integer ids, ``T <= sequence_length``, 0 = padding.
    Output shape: ``(batch, num_classes)`` logits (train with ``from_logits=True``).
    """
    args = encoder_arguments("bert_classifier", vocabulary_size, sequence_length, num_layers, num_heads,
                             embedding_dim, intermediate_dim, dropout)
    num_classes = positive_int("bert_classifier", "num_classes", num_classes)
    head_dropout = args["dropout"] if head_dropout is None else float(head_dropout)
    if not 0.0 <= head_dropout < 1.0:
        raise ValueError(f"bert_classifier: head_dropout must be in [0, 1); got {head_dropout!r}.")

    tokens = layers.Input(shape=(None,), dtype="int32", name="token_ids")
    h, _ = encoder_body(tokens, **args)
    pooled = layers.GlobalAveragePooling1D(name="masked_mean")(h)
    if head_dropout:
        pooled = layers.Dropout(head_dropout, name="head_dropout")(pooled)
    logits = layers.Dense(num_classes, name="classifier")(pooled)
    return Model(tokens, logits, name=name)


__all__ = ["bert_classifier", "encoder_arguments", "encoder_body"]

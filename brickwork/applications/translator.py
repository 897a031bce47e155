"""A Transformer translator: encoder-decoder with cross-attention, trained with teacher forcing, decoded
greedily.

:func:`transformer_translator` is the architecture of Vaswani et al. (2017) at course size, as keras-io's
English-to-Spanish example builds it from keras_hub blocks. The encoder reads the source ids
:math:`x_{1..S}` (0 = padding); the decoder reads the target shifted right, :math:`(\\langle s\\rangle,
y_1, \\dots, y_{T-1})`, and predicts :math:`y_1, \\dots, y_T`:

.. math::

    e^{(0)} = W^{src}_{x} + P^{src}, \\qquad e^{(l)} = \\mathrm{Encoder}_l(e^{(l-1)}), \\\\
    d^{(0)} = W^{tgt}_{y_{<t}} + P^{tgt}, \\qquad
    d^{(l)} = \\mathrm{Decoder}_l\\big(d^{(l-1)}, e^{(L)}\\big), \\qquad
    p(y_t \\mid y_{<t}, x) = \\mathrm{softmax}(W_o d^{(L)}_t + b_o).

Each decoder block is causal self-attention (position :math:`t` sees :math:`y_{<t}` only), then
cross-attention whose queries are the decoder states and whose keys and values are the encoder outputs —
seed 004's attention: score :math:`q_t \\cdot k_s / \\sqrt{d}`, softmax over source positions :math:`s`,
context :math:`\\sum_s a_{ts} v_s` — then a feed-forward network. Source padding is masked in the encoder's
self-attention and in every cross-attention (the embedding's ``mask_zero=True`` mask travels with the
encoder outputs).

:func:`greedy_translate` decodes without the answer: start from :math:`\\langle s\\rangle`, run the model,
append the most probable token at the next position, repeat for ``max_length`` steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import layers
from brickwork.applications.arguments import positive_int
from brickwork.models import Model


def transformer_translator(source_vocabulary_size: int, target_vocabulary_size: int, source_length: int,
                           target_length: int, num_layers: int = 2, num_heads: int = 4, embedding_dim: int = 64,
                           intermediate_dim: int = 128, dropout: float = 0.1,
                           name: str = "transformer_translator") -> Model:
    """An encoder-decoder Transformer as a Functional model with inputs ``[source, target_in]``.

    Args:
        source_vocabulary_size: Number of source ids, padding id 0 included.
        target_vocabulary_size: Number of target ids the decoder reads (outputs and the start id).
        source_length: Longest source (the source position embedding's length).
        target_length: Longest target (the target position embedding's length).
        num_layers: Encoder blocks and decoder blocks (each).
        num_heads: Attention heads; must divide ``embedding_dim``.
        embedding_dim: Width of every block.
        intermediate_dim: Width of the feed-forward hidden layers.
        dropout: Dropout inside the blocks and before the head.
        name: The model's name.

    Input shape: ``[(batch, S), (batch, T)]`` integer ids (source 0-padded; target shifted right, starting
        with the start id).
    Output shape: ``(batch, T, target_vocabulary_size)`` logits (train with ``from_logits=True``).
    """
    source_vocabulary_size = positive_int("transformer_translator", "source_vocabulary_size", source_vocabulary_size)
    target_vocabulary_size = positive_int("transformer_translator", "target_vocabulary_size", target_vocabulary_size)
    source_length = positive_int("transformer_translator", "source_length", source_length)
    target_length = positive_int("transformer_translator", "target_length", target_length)
    num_layers = positive_int("transformer_translator", "num_layers", num_layers)
    num_heads = positive_int("transformer_translator", "num_heads", num_heads)
    embedding_dim = positive_int("transformer_translator", "embedding_dim", embedding_dim)
    intermediate_dim = positive_int("transformer_translator", "intermediate_dim", intermediate_dim)
    if embedding_dim % num_heads:
        raise ValueError(f"transformer_translator: embedding_dim {embedding_dim} must be divisible by "
                         f"num_heads {num_heads}.")
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"transformer_translator: dropout must be in [0, 1); got {dropout!r}.")

    source = layers.Input(shape=(source_length,), dtype="int32", name="source")
    target_in = layers.Input(shape=(target_length,), dtype="int32", name="target_in")
    encoded = layers.TokenAndPositionEmbedding(source_vocabulary_size, source_length, embedding_dim,
                                               mask_zero=True, name="source_embedding")(source)
    for i in range(num_layers):
        encoded = layers.TransformerEncoder(intermediate_dim, num_heads, dropout=float(dropout),
                                            name=f"encoder_{i}")(encoded)
    decoded = layers.TokenAndPositionEmbedding(target_vocabulary_size, target_length, embedding_dim,
                                               name="target_embedding")(target_in)
    for i in range(num_layers):
        decoded = layers.TransformerDecoder(intermediate_dim, num_heads, dropout=float(dropout),
                                            name=f"decoder_{i}")(decoded, encoded)
    if dropout:
        decoded = layers.Dropout(float(dropout), name="head_dropout")(decoded)
    logits = layers.Dense(target_vocabulary_size, name="logits")(decoded)
    return Model([source, target_in], logits, name=name)


def greedy_translate(model: Model, source: Any, start_id: int, max_length: int | None = None,
                     batch_size: int = 256) -> np.ndarray:
    """Greedy decoding: ``(batch, max_length)`` ids, one position per model call.

    Args:
        model: A model mapping ``[source, target_in]`` to per-position scores (logits or probabilities).
        source: ``(batch, S)`` source ids.
        start_id: The id that starts every target.
        max_length: Positions to decode; default the model's target length.
        batch_size: Passed to ``predict``.

    Step :math:`t` feeds :math:`(\\langle s\\rangle, \\hat y_1, \\dots, \\hat y_{t-1}, 0, \\dots)` and takes
    :math:`\\hat y_t = \\arg\\max_v p(v \\mid \\hat y_{<t}, x)`; later positions never influence earlier ones
    (the decoder is causal), so the zeros after :math:`t` do not matter.
    """
    source = np.asarray(source)
    if source.ndim != 2:
        raise ValueError(f"greedy_translate: source must have shape (batch, length); got {source.shape}.")
    length = (model.inputs[1].shape[1] if max_length is None
              else positive_int("greedy_translate", "max_length", max_length))
    target_in = np.zeros((len(source), length), np.int64)
    target_in[:, 0] = start_id
    out = np.zeros((len(source), length), np.int64)
    for step in range(length):
        scores = np.asarray(model.predict([source, target_in], batch_size=batch_size, verbose=0))
        out[:, step] = scores[:, step].argmax(-1)
        if step + 1 < length:
            target_in[:, step + 1] = out[:, step]
    return out


__all__ = ["greedy_translate", "transformer_translator"]

r"""Transformer blocks with keras_hub's names, arguments, defaults and sublayers.

An encoder block (Vaswani et al. 2017) is two residual sub-blocks, each followed
(post-LN, the default) or preceded (``normalize_first=True``, pre-LN) by a layer
normalisation:

.. math::

    h = \mathrm{LN}_1\big(x + \mathrm{Dropout}(\mathrm{MHA}(x, x, x; M))\big), \qquad
    y = \mathrm{LN}_2\big(h + \mathrm{Dropout}(W_2\,\phi(W_1 h + b_1) + b_2)\big)

(pre-LN: :math:`h = x + \mathrm{MHA}(\mathrm{LN}_1 x)`, :math:`y = h + \mathrm{FFN}(\mathrm{LN}_2 h)`).
The attention mask :math:`M` lets query :math:`i` see key :math:`j` when key
:math:`j` is not padding and the optional ``attention_mask`` allows it; a decoder
block adds the causal condition :math:`j \le i` to its self-attention and, given an
encoder sequence, a cross-attention sub-block between the two (a GPT block is a
decoder block without one). The head size is ``hidden_dim // num_heads``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import activations, initializers
from brickwork.layers.core import Dense, mask_array
from brickwork.layers.layer import Layer
from brickwork.layers.multi_head_attention import MultiHeadAttention
from brickwork.layers.normalization import LayerNormalization
from brickwork.layers.regularization import Dropout


def merge_padding_and_attention_mask(inputs: Any, padding_mask: Any, attention_mask: Any,
                                     owner: str = "Transformer block", query_length: int | None = None
                                     ) -> np.ndarray | None:
    """The attention mask ``(batch, T_query, T_key)`` (True = attend): the keys' padding mask
    (``padding_mask``, else the mask ``inputs`` carries) broadcast over the queries, and-ed with
    ``attention_mask`` — keras_hub's rule (an explicit padding mask wins over the carried one)."""
    mask = padding_mask if padding_mask is not None else getattr(inputs, "_keras_mask", None)
    mask = None if mask is None else mask_array(mask)
    if mask is not None and mask.ndim != 2:
        raise ValueError(f"{owner}: the padding mask must have shape (batch, sequence); got {mask.shape}.")
    attention = None if attention_mask is None else mask_array(attention_mask)
    if attention is not None and attention.ndim != 3:
        raise ValueError(f"{owner}: attention_mask must have shape (batch, target, source); got {attention.shape}.")
    if mask is not None:
        mask = mask[:, None, :]
        if query_length is not None:
            mask = np.broadcast_to(mask, (mask.shape[0], query_length, mask.shape[2]))
    if attention is None:
        return mask
    return attention if mask is None else mask & attention


def _built(layer: Layer, *shapes: Any) -> Layer:
    """Build a sublayer now (so the block's weights exist as soon as it is built, as in keras_hub)."""
    layer.build(*shapes)
    layer.built = True
    return layer


def causal_mask(batch: int, length: int) -> np.ndarray:
    """``(batch, length, length)``: query :math:`i` may attend to key :math:`j` iff :math:`j \\le i`."""
    i = np.arange(length)
    return np.broadcast_to(i[:, None] >= i[None, :], (batch, length, length))


class _TransformerBlock(Layer):
    def __init__(self, intermediate_dim: int, num_heads: int, dropout: float = 0.0, activation: Any = "relu",
                 layer_norm_epsilon: float = 1e-5, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", normalize_first: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if int(intermediate_dim) <= 0 or int(num_heads) <= 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': intermediate_dim and num_heads must be "
                             f"positive; got {intermediate_dim} and {num_heads}.")
        self.intermediate_dim, self.num_heads = int(intermediate_dim), int(num_heads)
        self.dropout = float(dropout)
        self.activation = activations.get(activation)
        self.layer_norm_epsilon = float(layer_norm_epsilon)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.normalize_first = bool(normalize_first)
        self.supports_masking = True

    def _head_dim(self, hidden_dim: Any) -> int:
        if hidden_dim is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the feature axis must be known.")
        head_dim = int(hidden_dim) // self.num_heads
        if head_dim == 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': hidden_dim {hidden_dim} must be at least "
                             f"num_heads {self.num_heads}.")
        return head_dim

    def _attention(self, head_dim: int, name: str) -> MultiHeadAttention:
        return MultiHeadAttention(self.num_heads, head_dim, dropout=self.dropout, dtype=self.dtype,
                                  kernel_initializer=initializers.serialize(self.kernel_initializer),
                                  bias_initializer=initializers.serialize(self.bias_initializer), name=name)

    def _norm(self, name: str) -> LayerNormalization:
        return LayerNormalization(epsilon=self.layer_norm_epsilon, dtype=self.dtype, name=name)

    def _feedforward(self, shape: tuple[Any, ...]) -> None:
        init = {"kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer), "dtype": self.dtype}
        self._feedforward_intermediate_dense = _built(Dense(self.intermediate_dim, activation=self.activation,
                                                            name="feedforward_intermediate_dense", **init), shape)
        self._feedforward_output_dense = _built(Dense(int(shape[-1]), name="feedforward_output_dense", **init),
                                                tuple(shape[:-1]) + (self.intermediate_dim,))

    def _residual(self, x: Any, norm: Layer, sublayer: Any, dropout: Layer, training: bool) -> Any:
        """``LN(x + drop(f(x)))`` (post-LN) or ``x + drop(f(LN(x)))`` (pre-LN)."""
        y = norm(x) if self.normalize_first else x
        y = dropout(sublayer(y), training=training) + x
        return y if self.normalize_first else norm(y)

    def _ffn(self, x: Any) -> Any:
        return self._feedforward_output_dense(self._feedforward_intermediate_dense(x))

    def compute_output_shape(self, input_shape: Any, return_attention_scores: bool = False) -> Any:
        if return_attention_scores:
            return input_shape, (input_shape[0], self.num_heads, input_shape[1], input_shape[1])
        return input_shape

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"intermediate_dim": self.intermediate_dim, "num_heads": self.num_heads,
                    "dropout": self.dropout, "activation": activations.serialize(self.activation),
                    "layer_norm_epsilon": self.layer_norm_epsilon,
                    "kernel_initializer": initializers.serialize(self.kernel_initializer),
                    "bias_initializer": initializers.serialize(self.bias_initializer),
                    "normalize_first": self.normalize_first})
        return cfg


class TransformerEncoder(_TransformerBlock):
    """A Transformer encoder block (keras_hub's ``TransformerEncoder``; see the module docstring).

    Args:
        intermediate_dim: Width of the feed-forward network's hidden layer.
        num_heads: Attention heads; the head size is ``hidden_dim // num_heads``.
        dropout: Rate of the attention-probability and residual dropouts.
        activation: The feed-forward network's activation (``'relu'``).
        layer_norm_epsilon: :math:`\\epsilon` of both layer normalisations (``1e-5``).
        kernel_initializer, bias_initializer: Of every projection.
        normalize_first: Pre-LN instead of post-LN.

    Call arguments:
        inputs: ``(batch, sequence, hidden_dim)``; a mask it carries is the padding mask.
        padding_mask: ``(batch, sequence)``, True for real tokens.
        attention_mask: ``(batch, sequence, sequence)``, True where a query may attend.
        return_attention_scores: Also return the self-attention probabilities ``(batch, heads, T, T)``.

    Input shape / Output shape:
        ``(batch, sequence, hidden_dim)``, unchanged. Sublayers (weights in this order):
        ``self_attention_layer``, ``self_attention_layer_norm``, ``feedforward_layer_norm``,
        ``feedforward_intermediate_dense``, ``feedforward_output_dense``.
    """

    def build(self, inputs_shape: Any) -> None:
        shape = tuple(inputs_shape)
        self._self_attention_layer = _built(self._attention(self._head_dim(shape[-1]), "self_attention_layer"),
                                            shape, shape)
        self._self_attention_layer_norm = _built(self._norm("self_attention_layer_norm"), shape)
        self._self_attention_dropout = Dropout(self.dropout, dtype=self.dtype, name="self_attention_dropout")
        self._feedforward_layer_norm = _built(self._norm("feedforward_layer_norm"), shape)
        self._feedforward(shape)
        self._feedforward_dropout = Dropout(self.dropout, dtype=self.dtype, name="feedforward_dropout")
        self.built = True

    def call(self, inputs, padding_mask=None, attention_mask=None, training=False, return_attention_scores=False):
        mask = merge_padding_and_attention_mask(inputs, padding_mask, attention_mask,
                                                f"TransformerEncoder '{self.name}'", inputs.shape[1])
        scores = []

        def attend(x):
            if not return_attention_scores:  # no probabilities output: nothing to send a zero gradient to
                return self._self_attention_layer(x, x, attention_mask=mask, training=training)
            out, probs = self._self_attention_layer(x, x, attention_mask=mask, training=training,
                                                    return_attention_scores=True)
            scores.append(probs)
            return out

        x = self._residual(inputs, self._self_attention_layer_norm, attend, self._self_attention_dropout, training)
        y = self._residual(x, self._feedforward_layer_norm, self._ffn, self._feedforward_dropout, training)
        return (y, scores[0]) if return_attention_scores else y


class TransformerDecoder(_TransformerBlock):
    """A Transformer decoder block (keras_hub's ``TransformerDecoder``): causal self-attention,
    cross-attention over ``encoder_sequence`` when the block was built with one, and the
    feed-forward network. Without an encoder sequence it is a GPT block.

    Args:
        As :class:`TransformerEncoder`.

    Call arguments:
        decoder_sequence: ``(batch, T, hidden_dim)``.
        encoder_sequence: ``(batch, S, hidden_dim_enc)`` or None (decoder-only).
        decoder_padding_mask, decoder_attention_mask: As the encoder's masks, for the decoder sequence.
        encoder_padding_mask, encoder_attention_mask: Padding ``(batch, S)`` / ``(batch, T, S)``
            masks for the cross-attention.
        use_causal_mask: Let position :math:`i` attend only to positions :math:`\\le i` (default True).
        return_attention_scores: Also return the attention probabilities, a dict with ``"self_attention"``
            ``(batch, heads, T, T)`` and, with an encoder sequence, ``"cross_attention"`` ``(batch, heads, T, S)``
            (an addition: keras_hub's decoder has no such argument).

    Input shape / Output shape:
        ``(batch, T, hidden_dim)``, unchanged. Sublayers: ``self_attention``,
        ``self_attention_layer_norm``, [``cross_attention``, ``cross_attention_layer_norm``],
        ``feedforward_intermediate_dense``, ``feedforward_output_dense``, ``feedforward_layer_norm``.
    """

    def __init__(self, intermediate_dim: int, num_heads: int, decoder_sequence_shape: Any = None,
                 encoder_sequence_shape: Any = None, **kwargs: Any) -> None:
        super().__init__(intermediate_dim, num_heads, **kwargs)
        if decoder_sequence_shape is not None:  # keras_hub's configs carry the build shapes
            self.build(tuple(decoder_sequence_shape),
                       None if encoder_sequence_shape is None else tuple(encoder_sequence_shape))

    def build(self, decoder_sequence_shape: Any, encoder_sequence_shape: Any = None) -> None:
        self._decoder_sequence_shape = tuple(decoder_sequence_shape)
        self._encoder_sequence_shape = None if encoder_sequence_shape is None else tuple(encoder_sequence_shape)
        shape = self._decoder_sequence_shape
        head_dim = self._head_dim(shape[-1])
        self._self_attention_layer = _built(self._attention(head_dim, "self_attention"), shape, shape)
        self._self_attention_layer_norm = _built(self._norm("self_attention_layer_norm"), shape)
        self._self_attention_dropout = Dropout(self.dropout, dtype=self.dtype, name="self_attention_dropout")
        self._cross_attention_layer = None
        if encoder_sequence_shape is not None:
            self._cross_attention_layer = _built(self._attention(head_dim, "cross_attention"), shape,
                                                 self._encoder_sequence_shape)
            self._cross_attention_layer_norm = _built(self._norm("cross_attention_layer_norm"), shape)
            self._cross_attention_dropout = Dropout(self.dropout, dtype=self.dtype, name="cross_attention_dropout")
        self._feedforward(shape)
        self._feedforward_layer_norm = _built(self._norm("feedforward_layer_norm"), shape)
        self._feedforward_dropout = Dropout(self.dropout, dtype=self.dtype, name="feedforward_dropout")
        self.built = True

    def call(self, decoder_sequence, encoder_sequence=None, decoder_padding_mask=None,
             decoder_attention_mask=None, encoder_padding_mask=None, encoder_attention_mask=None,
             use_causal_mask=True, training=False, return_attention_scores=False):
        where = f"TransformerDecoder '{self.name}'"
        if (encoder_sequence is None) != (self._cross_attention_layer is None):
            raise ValueError(f"{where} was built {'with' if self._cross_attention_layer else 'without'} "
                             f"cross-attention, but it was called {'without' if encoder_sequence is None else 'with'}"
                             " an encoder_sequence.")
        self_mask = merge_padding_and_attention_mask(decoder_sequence, decoder_padding_mask,
                                                     decoder_attention_mask, where, decoder_sequence.shape[1])
        if use_causal_mask:
            n, t = decoder_sequence.shape[0], decoder_sequence.shape[1]
            causal = causal_mask(n, t)
            self_mask = causal if self_mask is None else self_mask & causal

        scores = {}

        def attend_self(x):
            if not return_attention_scores:
                return self._self_attention_layer(x, x, attention_mask=self_mask, training=training)
            out, scores["self_attention"] = self._self_attention_layer(
                x, x, attention_mask=self_mask, training=training, return_attention_scores=True)
            return out

        x = self._residual(decoder_sequence, self._self_attention_layer_norm, attend_self,
                           self._self_attention_dropout, training)
        if self._cross_attention_layer is not None:
            cross_mask = merge_padding_and_attention_mask(encoder_sequence, encoder_padding_mask,
                                                          encoder_attention_mask, where, decoder_sequence.shape[1])

            def attend_encoder(h):
                if not return_attention_scores:
                    return self._cross_attention_layer(h, encoder_sequence, attention_mask=cross_mask,
                                                       training=training)
                out, scores["cross_attention"] = self._cross_attention_layer(
                    h, encoder_sequence, attention_mask=cross_mask, training=training, return_attention_scores=True)
                return out

            x = self._residual(x, self._cross_attention_layer_norm, attend_encoder, self._cross_attention_dropout,
                               training)
        y = self._residual(x, self._feedforward_layer_norm, self._ffn, self._feedforward_dropout, training)
        return (y, scores) if return_attention_scores else y

    def compute_output_shape(self, decoder_sequence_shape: Any, encoder_sequence_shape: Any = None,
                             return_attention_scores: bool = False) -> Any:
        if not return_attention_scores:
            return decoder_sequence_shape
        n, t = decoder_sequence_shape[0], decoder_sequence_shape[1]
        shapes = {"self_attention": (n, self.num_heads, t, t)}
        if encoder_sequence_shape is not None:
            shapes["cross_attention"] = (n, self.num_heads, t, encoder_sequence_shape[1])
        return decoder_sequence_shape, shapes

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        shapes = (getattr(self, "_decoder_sequence_shape", None), getattr(self, "_encoder_sequence_shape", None))
        cfg.update({"decoder_sequence_shape": None if shapes[0] is None else list(shapes[0]),
                    "encoder_sequence_shape": None if shapes[1] is None else list(shapes[1])})
        return cfg


__all__ = ["TransformerDecoder", "TransformerEncoder", "causal_mask", "merge_padding_and_attention_mask"]

r"""Position information for sequence models, with keras_hub's names, arguments, defaults and weight names.

keras_hub (formerly keras_nlp) is not a dependency and not imported; these layers follow its documented API:
``PositionEmbedding`` (learned), ``SinePositionEncoding`` (Vaswani et al.'s fixed sinusoids),
``TokenAndPositionEmbedding`` (token plus learned position embeddings) and ``RotaryEmbedding`` (RoPE, Su et
al., in the rotate-half arrangement). The fixed tables are constants (NumPy), so the gradient flows through
the differentiable products and sums that apply them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork import initializers
from brickwork.layers.embedding import Embedding
from brickwork.layers.layer import Layer


def _positions(name: str, shape: tuple, start_index: Any) -> np.ndarray:
    if len(shape) < 2:
        raise ValueError(f"{name}: expects inputs of shape (batch, ..., sequence_length, features) with at least "
                         f"2 axes; got shape {tuple(shape)}.")
    if not isinstance(start_index, (int, np.integer)) or isinstance(start_index, bool) or start_index < 0:
        raise ValueError(f"{name}: start_index must be a non-negative integer; got {start_index!r}.")
    return np.arange(shape[-2], dtype=np.float64) + float(start_index)


class PositionEmbedding(Layer):
    r"""A learned embedding of each position: row :math:`P_{s+t}` of an ``(sequence_length, features)`` matrix
    for step :math:`t` of the input and ``start_index`` :math:`s`, broadcast over the leading axes.

    The output does not depend on the input's values (only its shape); add it to the input,
    ``x + PositionEmbedding(n)(x)``. The gradient of the output w.r.t. :math:`P_{s+t}` is the upstream gradient
    summed over the broadcast (batch) axes.

    Args:
        sequence_length: The longest sequence (the number of rows of the matrix).
        initializer: Initializer of the matrix (``'glorot_uniform'``).

    Call arguments:
        inputs: A float tensor of shape ``(batch, ..., sequence, features)``.
        start_index: Position of the first step (for decoding with a cache); default 0.

    Input shape: ``(batch, ..., sequence, features)`` with ``start_index + sequence <= sequence_length``.
    Output shape: the input's shape.

    Weights: ``embeddings (sequence_length, features)``.
    """

    def __init__(self, sequence_length: int, initializer: Any = "glorot_uniform", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(sequence_length, (int, np.integer)) or isinstance(sequence_length, bool) \
                or sequence_length <= 0:
            raise ValueError(f"PositionEmbedding: sequence_length must be a positive integer; got "
                             f"{sequence_length!r}.")
        self.sequence_length = int(sequence_length)
        self.initializer = initializers.get(initializer)

    def build(self, inputs_shape):
        if len(inputs_shape) < 2 or inputs_shape[-1] is None:
            raise ValueError(f"PositionEmbedding '{self.name}': expects inputs of shape (batch, ..., sequence, "
                             f"features) with a known feature axis; got shape {tuple(inputs_shape)}.")
        self.position_embeddings = self.add_weight((self.sequence_length, inputs_shape[-1]), self.initializer,
                                                   name="embeddings")
        self.built = True

    def call(self, inputs, start_index=0):
        shape = tuple(inputs.shape)
        steps = _positions(f"PositionEmbedding '{self.name}'", shape, start_index).size
        features = self.position_embeddings.shape[1]
        if shape[-1] != features:
            raise ValueError(f"PositionEmbedding '{self.name}': built for {features} features, got inputs of "
                             f"shape {shape}.")
        if start_index + steps > self.sequence_length:
            raise ValueError(f"PositionEmbedding '{self.name}': positions {start_index}..{start_index + steps - 1} "
                             f"of inputs of shape {shape} exceed sequence_length={self.sequence_length}.")
        rows = F.getitem(self.position_embeddings, slice(int(start_index), int(start_index) + steps))
        return F.broadcast_to(rows, shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"sequence_length": self.sequence_length,
                    "initializer": initializers.serialize(self.initializer)})
        return cfg


def sine_position_table(positions: np.ndarray, features: int, max_wavelength: float) -> np.ndarray:
    r"""keras_hub's sinusoid table, interleaved: for position :math:`p` and :math:`i < \lceil d/2 \rceil`,

    .. math:: E_{p, 2i} = \sin\!\big(p\,\lambda^{-2i/d}\big), \qquad E_{p, 2i+1} = \cos\!\big(p\,\lambda^{-2i/d}\big)

    with :math:`d` = ``features`` and :math:`\lambda` = ``max_wavelength``. Shape ``(len(positions), features)``.
    """
    k = np.arange(features)
    timescales = (1.0 / max_wavelength) ** ((2 * (k // 2)) / features)
    angles = positions[:, None] * timescales[None, :]
    return np.where(k % 2 == 0, np.sin(angles), np.cos(angles))


class SinePositionEncoding(Layer):
    r"""Fixed sinusoidal position encoding (Vaswani et al., 2017), as keras_hub computes it: even features are
    sines and odd features cosines of the same angle (interleaved, not concatenated halves),

    .. math:: E_{p, 2i} = \sin\!\big(p\,\lambda^{-2i/d}\big), \qquad E_{p, 2i+1} = \cos\!\big(p\,\lambda^{-2i/d}\big),

    for position :math:`p` = ``start_index`` + step, :math:`d` features and :math:`\lambda` = ``max_wavelength``.
    The output depends only on the input's shape (its gradient w.r.t. the input is zero); add it to the input.

    Args:
        max_wavelength: :math:`\lambda`, the longest wavelength (10000).

    Call arguments:
        inputs: A tensor of shape ``(batch, ..., sequence, features)``.
        start_index: Position of the first step; default 0.

    Input shape: ``(batch, ..., sequence, features)``. Output shape: the input's shape. No weights.
    """

    def __init__(self, max_wavelength: float = 10000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(max_wavelength, (int, float, np.number)) or max_wavelength <= 0:
            raise ValueError(f"SinePositionEncoding: max_wavelength must be a positive number; got "
                             f"{max_wavelength!r}.")
        self.max_wavelength = max_wavelength

    def call(self, inputs, start_index=0):
        shape = tuple(inputs.shape)
        positions = _positions(f"SinePositionEncoding '{self.name}'", shape, start_index)
        table = sine_position_table(positions, shape[-1], float(self.max_wavelength)).astype(self.dtype)
        return F.broadcast_to(table, shape) + inputs * 0.0  # a node of the graph, with a zero input gradient

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["max_wavelength"] = self.max_wavelength
        return cfg


class ReversibleEmbedding(Embedding):
    r"""keras_hub's token embedding: an :class:`Embedding` that can also map vectors back to logits,
    ``call(x, reverse=True)`` :math:`= x W^\top` (tied) or :math:`x R` with a separate ``reverse_embeddings``
    matrix :math:`R` of shape ``(output_dim, input_dim)`` when ``tie_weights=False``. Used inside
    :class:`TokenAndPositionEmbedding`.
    """

    def __init__(self, input_dim: int, output_dim: int, tie_weights: bool = True, **kwargs: Any) -> None:
        super().__init__(input_dim, output_dim, **kwargs)
        self.tie_weights = bool(tie_weights)

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight((self.output_dim, self.input_dim),
                                                      self.embeddings_initializer, name="reverse_embeddings")

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        if inputs.shape[-1] != self.output_dim:
            raise ValueError(f"ReversibleEmbedding '{self.name}': reverse=True expects inputs with "
                             f"{self.output_dim} features; got shape {tuple(inputs.shape)}.")
        kernel = F.transpose(self.embeddings, (1, 0)) if self.tie_weights else self.reverse_embeddings
        return F.matmul(inputs, kernel)

    def get_config(self):
        cfg = super().get_config()
        cfg["tie_weights"] = self.tie_weights
        return cfg


class TokenAndPositionEmbedding(Layer):
    r"""Token embedding plus learned position embedding: :math:`y_{t} = W_{x_t} + P_{s+t}`.

    Args:
        vocabulary_size: Number of token ids (largest id + 1).
        sequence_length: The longest sequence.
        embedding_dim: Size of each vector.
        tie_weights: Whether the token embedding's reverse projection reuses :math:`W` (keras_hub's
            ``ReversibleEmbedding``); when False the token embedding also holds ``reverse_embeddings``.
        embeddings_initializer: Initializer of both matrices (``'uniform'``, i.e. U(±0.05)).
        mask_zero: Treat id 0 as padding and emit a mask ``x != 0`` for later layers.

    Call arguments:
        inputs: Integer ids of shape ``(batch, sequence)``.
        start_index: Position of the first step; default 0.

    Input shape: ``(batch, sequence)`` integers. Output shape: ``(batch, sequence, embedding_dim)``.

    Weights: ``token_embedding/embeddings (vocabulary_size, embedding_dim)`` (then
    ``token_embedding/reverse_embeddings`` when ``tie_weights=False``),
    ``position_embedding/embeddings (sequence_length, embedding_dim)``.
    """

    def __init__(self, vocabulary_size: int, sequence_length: int, embedding_dim: int, tie_weights: bool = True,
                 embeddings_initializer: Any = "uniform", mask_zero: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for arg, value in (("vocabulary_size", vocabulary_size), ("sequence_length", sequence_length),
                           ("embedding_dim", embedding_dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"TokenAndPositionEmbedding: {arg} must be a positive integer; got {value!r}.")
        self.vocabulary_size, self.sequence_length = int(vocabulary_size), int(sequence_length)
        self.embedding_dim, self.tie_weights, self.mask_zero = int(embedding_dim), bool(tie_weights), bool(mask_zero)
        self.embeddings_initializer = (initializers.RandomUniform() if embeddings_initializer == "uniform"
                                       else initializers.get(embeddings_initializer))
        init_cfg = initializers.serialize(self.embeddings_initializer)
        self.token_embedding = ReversibleEmbedding(self.vocabulary_size, self.embedding_dim,
                                                   tie_weights=self.tie_weights,
                                                   embeddings_initializer=initializers.get(init_cfg),
                                                   mask_zero=self.mask_zero, dtype=self.dtype,
                                                   name="token_embedding")
        self.position_embedding = PositionEmbedding(self.sequence_length, initializer=initializers.get(init_cfg),
                                                    dtype=self.dtype, name="position_embedding")
        self.supports_masking = self.token_embedding.supports_masking

    def _autocast_inputs(self) -> bool:
        return False

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        self.token_embedding._maybe_build(input_shape)
        self.position_embedding._maybe_build(input_shape + (self.embedding_dim,))
        self.built = True

    def call(self, inputs, start_index=0):
        if len(inputs.shape) < 1:
            raise ValueError(f"TokenAndPositionEmbedding '{self.name}': expects ids of shape (batch, sequence); "
                             f"got shape {tuple(inputs.shape)}.")
        tokens = self.token_embedding(inputs)
        tokens._keras_mask = None
        return tokens + self.position_embedding(tokens, start_index=start_index)

    def compute_mask(self, inputs, mask=None):
        return self.token_embedding.compute_mask(inputs, mask=mask)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.embedding_dim,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"vocabulary_size": self.vocabulary_size, "sequence_length": self.sequence_length,
                    "embedding_dim": self.embedding_dim,
                    "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                    "tie_weights": self.tie_weights, "mask_zero": self.mask_zero})
        return cfg


def rotary_cos_sin(positions: np.ndarray, features: int, max_wavelength: float,
                   scaling_factor: float) -> tuple[np.ndarray, np.ndarray]:
    r"""``cos`` and ``sin`` of keras_hub's rotary angles, halves repeated: for :math:`j < d/2`,
    :math:`\theta_{p, j} = \theta_{p, j + d/2} = (p / \text{scaling\_factor})\,\lambda^{-2j/d}`.
    ``positions`` has shape ``(1 or batch, sequence)``; the results ``(1 or batch, sequence, features)``."""
    inverse_freq = 1.0 / max_wavelength ** (np.arange(0, features, 2, dtype=np.float64) / features)
    freq = (positions / scaling_factor)[..., None] * inverse_freq
    angles = np.concatenate([freq, freq], axis=-1)
    return np.cos(angles), np.sin(angles)


class RotaryEmbedding(Layer):
    r"""Rotary position embedding (RoPE; Su et al., 2021) applied to its input, in keras_hub's rotate-half form.

    With the features split into halves :math:`x = [x_1, x_2]` (:math:`d/2` each) and the angles
    :math:`\theta_{p,j} = (p / \text{scaling\_factor})\,\lambda^{-2j/d}` for position :math:`p` and
    :math:`j < d/2`,

    .. math:: y = x \odot \cos[\theta, \theta] + [-x_2, x_1] \odot \sin[\theta, \theta],

    i.e. feature :math:`j` and feature :math:`j + d/2` are rotated together by :math:`\theta_{p,j}`. The map is
    linear in :math:`x` (an orthogonal rotation); its gradient is the transposed rotation of the upstream
    gradient.

    Args:
        max_wavelength: :math:`\lambda` (10000).
        scaling_factor: Positions are divided by it (linear position interpolation; 1.0).
        sequence_axis: Axis of the steps (1).
        feature_axis: Axis of the features (-1); of even length.

    Call arguments:
        inputs: Float tensor, e.g. ``(batch, sequence, heads, head_dim)``; the batch axis is 0.
        start_index: Position of the first step; default 0.
        positions: Optional explicit positions of shape ``(batch, sequence)`` (or ``(sequence,)``) instead of
            ``start_index + arange(sequence)``.

    Input shape: any with at least 3 axes. Output shape: the input's shape. No weights.
    """

    def __init__(self, max_wavelength: float = 10000, scaling_factor: float = 1.0, sequence_axis: int = 1,
                 feature_axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(max_wavelength, (int, float, np.number)) or max_wavelength <= 0:
            raise ValueError(f"RotaryEmbedding: max_wavelength must be a positive number; got {max_wavelength!r}.")
        if not isinstance(scaling_factor, (int, float, np.number)) or scaling_factor <= 0:
            raise ValueError(f"RotaryEmbedding: scaling_factor must be a positive number; got {scaling_factor!r}.")
        self.max_wavelength, self.scaling_factor = max_wavelength, scaling_factor
        self.sequence_axis, self.feature_axis = int(sequence_axis), int(feature_axis)

    def _axes(self, shape: tuple) -> tuple[int, int]:
        n = len(shape)
        where = f"RotaryEmbedding '{self.name}'"
        if n < 3:
            raise ValueError(f"{where}: expects inputs with a batch, a sequence and a feature axis (at least 3 "
                             f"axes); got shape {shape}.")
        if not (-n <= self.sequence_axis < n and -n <= self.feature_axis < n):
            raise ValueError(f"{where}: sequence_axis={self.sequence_axis} or feature_axis={self.feature_axis} is "
                             f"outside inputs of shape {shape}.")
        seq, feat = self.sequence_axis % n, self.feature_axis % n
        if seq == feat or 0 in (seq, feat):
            raise ValueError(f"{where}: sequence_axis={self.sequence_axis} and feature_axis={self.feature_axis} "
                             f"must be distinct non-batch axes of inputs of shape {shape}.")
        if shape[feat] % 2:
            raise ValueError(f"{where}: the feature axis must have an even length; got {shape[feat]} in inputs "
                             f"of shape {shape}.")
        return seq, feat

    def call(self, inputs, start_index=0, positions=None):
        shape = tuple(inputs.shape)
        seq, feat = self._axes(shape)
        order = [a for a in range(len(shape)) if a not in (seq, feat)]
        order = [order[0], seq] + order[1:] + [feat]  # (batch, sequence, ..., features)
        x = F.transpose(inputs, tuple(order))
        steps, d = shape[seq], shape[feat]
        if positions is None:
            pos = _positions(f"RotaryEmbedding '{self.name}'", (steps, d), start_index)[None, :]
        else:
            pos = np.asarray(getattr(positions, "data", positions), dtype=np.float64)
            pos = pos[None, :] if pos.ndim == 1 else pos
            if pos.ndim != 2 or pos.shape[1] != steps or pos.shape[0] not in (1, shape[0]):
                raise ValueError(f"RotaryEmbedding '{self.name}': positions of shape {pos.shape} do not match "
                                 f"inputs of shape {shape} (expected ({shape[0]}, {steps}) or ({steps},)).")
        cos, sin = rotary_cos_sin(pos, d, float(self.max_wavelength), float(self.scaling_factor))
        extra = (slice(None), slice(None)) + (None,) * (len(shape) - 3)
        cos, sin = cos[extra].astype(x.dtype), sin[extra].astype(x.dtype)
        x1, x2 = F.split(x, 2, axis=-1)
        rotated = F.concatenate([F.negative(x2), x1], axis=-1)
        y = x * cos + rotated * sin
        return F.transpose(y, tuple(int(i) for i in np.argsort(order)))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"max_wavelength": self.max_wavelength, "scaling_factor": self.scaling_factor,
                    "sequence_axis": self.sequence_axis, "feature_axis": self.feature_axis})
        return cfg

"""Embedding: integer indices to dense vectors."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import constraints, initializers, regularizers
from brickwork import functions as F
from brickwork.backend import get_array_module
from brickwork.layers import validation as check
from brickwork.layers.layer import Layer


class Embedding(Layer):
    r"""Looks up row :math:`W_{k}` of an ``(input_dim, output_dim)`` matrix for each index :math:`k`.

    Equivalent to multiplying a one-hot vector by :math:`W`, without building
    the one-hot vector; the backward scatter-adds into the rows that were used.

    Args:
        input_dim: Vocabulary size (largest index + 1).
        output_dim: Size of each vector.
        embeddings_initializer: Initializer (Keras default ``'uniform'``, i.e. U(±0.05)).
        embeddings_regularizer, embeddings_constraint: Penalty / projection.
        mask_zero: Treat index 0 as padding and emit a mask for later layers.
        weights: Optional initial matrix (e.g. trained word vectors).
        input_length: Accepted for Keras 2 code; not needed.

    Input shape: ``(batch, ...)`` integers. Output shape: ``(batch, ..., output_dim)``.
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, embeddings_constraint: Any = None,
                 mask_zero: bool = False, weights: Any = None, input_length: int | None = None,
                 **kwargs: Any) -> None:
        if input_length is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        self.input_dim = check.positive_int(self, "input_dim", input_dim)
        self.output_dim = check.positive_int(self, "output_dim", output_dim)
        self.embeddings_initializer = (initializers.RandomUniform() if embeddings_initializer == "uniform"
                                       else initializers.get(embeddings_initializer))
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = bool(mask_zero)  # as Keras: only a mask-making Embedding takes part in masking
        self.input_length = input_length
        self._initial_weights = None if weights is None else np.asarray(weights)
        if self._initial_weights is not None and self._initial_weights.shape != (self.input_dim, self.output_dim):
            raise ValueError(f"Embedding '{self.name}': weights has shape {self._initial_weights.shape}, "
                             f"expected ({self.input_dim}, {self.output_dim}).")

    def build(self, input_shape=None):
        self.embeddings = self.add_weight((self.input_dim, self.output_dim), self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint, name="embeddings")
        if self._initial_weights is not None:
            self.embeddings.assign(self._initial_weights)
        self.built = True

    def _autocast_inputs(self) -> bool:
        return False

    def call(self, inputs):
        idx = inputs.data
        if idx.dtype.kind == "f":
            if not np.all(np.equal(np.mod(idx, 1), 0)):
                raise ValueError(f"Embedding '{self.name}' expects integer indices; got non-integer floats.")
            idx = idx.astype(np.int64)
        elif idx.dtype.kind not in "iu":
            raise TypeError(f"Embedding '{self.name}' expects integer indices; got dtype {idx.dtype}.")
        if idx.size and (idx.min() < 0 or idx.max() >= self.input_dim):
            bad = idx.max() if idx.max() >= self.input_dim else idx.min()
            raise ValueError(f"Embedding '{self.name}': index {bad} is outside [0, {self.input_dim}) "
                             f"(input_dim={self.input_dim}) in an input of shape {idx.shape}.")
        return F.gather(self.embeddings, idx)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        data = inputs.data
        return get_array_module(data).asarray(data) != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "input_dim": self.input_dim, "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        })
        return cfg

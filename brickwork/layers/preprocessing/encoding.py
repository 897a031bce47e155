"""``CategoryEncoding``: integer categories → one-hot, multi-hot or count vectors."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.device import device_of, to_device, to_host
from brickwork.engine.tensor import Tensor
from brickwork.layers.preprocessing.base import PreprocessingLayer

MODES = ("one_hot", "multi_hot", "count")


def encode_counts(indices: np.ndarray, num_tokens: int, mode: str, name: str, dtype: Any) -> np.ndarray:
    r"""One-hot (one vector per value), multi-hot (:math:`y_{r,k} = 1` if :math:`k` occurs in row :math:`r`)
    or count encoding (:math:`y_{r,k}` = occurrences)."""
    indices = np.asarray(indices)
    if indices.size and (indices.min() < 0 or indices.max() >= num_tokens):
        raise ValueError(f"{name}: category indices must lie in [0, {num_tokens}); got values in "
                         f"[{indices.min()}, {indices.max()}].")
    indices = indices.astype(np.int64)
    if mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        out = np.zeros(indices.shape + (num_tokens,), dtype)
        np.put_along_axis(out, indices[..., None], 1, axis=-1)
        return out
    rows = indices.reshape(-1, indices.shape[-1]) if indices.ndim > 1 else indices.reshape(-1, 1)
    flat = (np.arange(rows.shape[0])[:, None] * num_tokens + rows).reshape(-1)
    out = np.bincount(flat, minlength=rows.shape[0] * num_tokens).reshape(rows.shape[0], num_tokens).astype(dtype)
    if mode == "multi_hot":
        np.minimum(out, 1, out=out)
    shape = indices.shape[:-1] if indices.ndim > 1 else indices.shape
    return out.reshape(shape + (num_tokens,))


def encoded_shape(input_shape: tuple, mode: str, num_tokens: int) -> tuple:
    """The output shape of :func:`encode_counts` (``mode='int'``: the indices themselves, unchanged).

    One-hot adds an axis of ``num_tokens`` (replacing a trailing axis of 1); multi-hot and count
    encode each row, so the last axis becomes ``num_tokens``.
    """
    shape = tuple(input_shape)
    if mode == "int":
        return shape
    if len(shape) > 1 and (mode != "one_hot" or shape[-1] == 1):
        shape = shape[:-1]
    return shape + (num_tokens,)


class CategoryEncoding(PreprocessingLayer):
    """Encode integer categories in ``[0, num_tokens)`` as dense vectors.

    Args:
        num_tokens: Number of categories.
        output_mode: ``'one_hot'`` (input ``(batch,)`` or ``(batch, 1)`` → ``(batch, num_tokens)``),
            ``'multi_hot'`` (default; ``(batch, k)`` → ``(batch, num_tokens)``, 1 where a category occurs)
            or ``'count'`` (how often it occurs).

    Raises ``ValueError`` naming the layer for an index outside ``[0, num_tokens)``.
    """

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot", sparse: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if num_tokens is None or int(num_tokens) < 1:
            raise ValueError(f"CategoryEncoding '{self.name}': num_tokens must be a positive integer, "
                             f"got {num_tokens!r}.")
        if output_mode not in MODES:
            raise ValueError(f"CategoryEncoding '{self.name}': output_mode must be one of {MODES}, "
                             f"got {output_mode!r}.")
        if sparse:
            raise ValueError(f"CategoryEncoding '{self.name}': sparse outputs are not supported (dense only).")
        self.num_tokens, self.output_mode = int(num_tokens), output_mode

    def adapt(self, data: Any, batch_size: Any = None, steps: Any = None) -> None:
        raise NotImplementedError("CategoryEncoding has nothing to adapt: give num_tokens.")

    def call(self, inputs):
        values = inputs.data if isinstance(inputs, Tensor) else inputs
        device = device_of(values)
        values = to_host(values) if device == "gpu" else np.asarray(values)   # a lookup: done on the host
        if values.dtype.kind == "f" and np.any(values != np.round(values)):
            raise ValueError(f"CategoryEncoding '{self.name}' needs integer categories; got non-integer values.")
        return Tensor(to_device(encode_counts(values, self.num_tokens, self.output_mode,
                                              f"CategoryEncoding '{self.name}'", self._dtype), device))

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode, "sparse": False})
        return cfg

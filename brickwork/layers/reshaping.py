"""Layers that only rearrange values: Flatten, Reshape, Permute, RepeatVector."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.layers.layer import Layer


class Flatten(Layer):
    """Flattens every axis but the batch axis.

    Input shape: ``(batch, ...)``. Output shape: ``(batch, prod(...))``.
    ``data_format='channels_first'`` first moves the channel axis last, as Keras.
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = F.transpose(inputs, (0,) + tuple(range(2, inputs.ndim)) + (1,))
        return F.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else int(np.prod(rest))
        return (input_shape[0], size)

    def get_config(self):
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


class Reshape(Layer):
    """Reshapes to ``target_shape`` (batch axis excluded; one entry may be -1).

    Input shape: ``(batch, ...)``. Output shape: ``(batch,) + target_shape``.
    """

    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def _resolve(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        rest = input_shape[1:]
        target = list(self.target_shape)
        if any(d is None for d in rest):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in target)
        total = int(np.prod(rest))
        if -1 in target:
            known = int(np.prod([d for d in target if d != -1]))
            if known == 0 or total % known:
                raise ValueError(f"Reshape '{self.name}': cannot reshape input of shape {input_shape} "
                                 f"to target_shape {self.target_shape}.")
            target[target.index(-1)] = total // known
        if int(np.prod(target)) != total:
            raise ValueError(f"Reshape '{self.name}': total size of the input shape {input_shape} "
                             f"({total}) does not match target_shape {self.target_shape}.")
        return (input_shape[0],) + tuple(target)

    def call(self, inputs):
        out_shape = self._resolve(inputs.shape)
        return F.reshape(inputs, (inputs.shape[0],) + tuple(out_shape[1:]))

    def compute_output_shape(self, input_shape):
        return self._resolve(tuple(input_shape))

    def get_config(self):
        cfg = super().get_config()
        cfg["target_shape"] = list(self.target_shape)
        return cfg


class Permute(Layer):
    """Permutes the non-batch axes; ``dims`` is 1-indexed (``(2, 1)`` swaps them).

    Input shape: ``(batch, d1, ..., dn)``. Output shape: permuted accordingly.
    """

    def __init__(self, dims: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(self.dims)}; got {dims}.")

    def call(self, inputs):
        return F.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        cfg = super().get_config()
        cfg["dims"] = list(self.dims)
        return cfg


class RepeatVector(Layer):
    """Repeats a ``(batch, features)`` input ``n`` times: ``(batch, n, features)``."""

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n = int(n)

    def call(self, inputs):
        if inputs.ndim != 2:
            raise ValueError(f"RepeatVector '{self.name}' expects a 2-D input (batch, features); got {inputs.shape}.")
        x = F.expand_dims(inputs, 1)
        return F.broadcast_to(x, (inputs.shape[0], self.n, inputs.shape[1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        cfg = super().get_config()
        cfg["n"] = self.n
        return cfg

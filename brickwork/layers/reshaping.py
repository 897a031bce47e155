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


def _pairs(value: Any, rank: int, name: str) -> tuple[tuple[int, int], ...]:
    """Keras padding/cropping forms: ``n``, ``(a, b)`` per axis (symmetric for 2-D), or ``((a, b), (c, d))``."""
    if isinstance(value, int):
        return ((value, value),) * rank
    value = tuple(value)
    if rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (tuple(value),)
    if len(value) == rank and all(isinstance(v, int) for v in value):
        return tuple((v, v) for v in value)
    if len(value) == rank and all(len(v) == 2 for v in value):
        return tuple((int(v[0]), int(v[1])) for v in value)
    raise ValueError(f"Invalid `{name}` argument {value!r}.")


class _SpatialLayer(Layer):
    rank = 2

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        from brickwork.functions.conv_utils import normalize_data_format

        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format) if self.rank == 2 else "channels_last"

    def _spatial_axes(self) -> tuple[int, ...]:
        start = 2 if self.data_format == "channels_first" else 1
        return tuple(range(start, start + self.rank))

    def get_config(self):
        cfg = super().get_config()
        if self.rank == 2:
            cfg["data_format"] = self.data_format
        return cfg


class ZeroPadding2D(_SpatialLayer):
    """Adds rows and columns of zeros: ``padding`` is ``n``, ``(rows, cols)`` or
    ``((top, bottom), (left, right))``."""

    rank = 2

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _pairs(padding, self.rank, "padding")

    def call(self, inputs):
        widths = [(0, 0)] * inputs.ndim
        for axis, p in zip(self._spatial_axes(), self.padding):
            widths[axis] = p
        return F.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, (a, b) in zip(self._spatial_axes(), self.padding):
            out[axis] = None if out[axis] is None else out[axis] + a + b
        return tuple(out)

    def get_config(self):
        cfg = super().get_config()
        cfg["padding"] = list(self.padding[0]) if self.rank == 1 else [list(p) for p in self.padding]
        return cfg


class ZeroPadding1D(ZeroPadding2D):
    """Adds zeros at the start and end of the steps axis: ``padding`` is ``n`` or ``(left, right)``."""

    rank = 1

    def __init__(self, padding: Any = 1, **kwargs: Any) -> None:
        super().__init__(padding=padding, **kwargs)


class Cropping2D(_SpatialLayer):
    """Removes rows and columns at the borders: ``cropping`` in ZeroPadding2D's forms."""

    rank = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping")

    def call(self, inputs):
        index = [slice(None)] * inputs.ndim
        for axis, (a, b) in zip(self._spatial_axes(), self.cropping):
            if a + b >= inputs.shape[axis]:
                raise ValueError(f"{type(self).__name__} '{self.name}': cropping {self.cropping} removes every "
                                 f"element of axis {axis} of an input of shape {inputs.shape}.")
            index[axis] = slice(a, inputs.shape[axis] - b)
        return F.getitem(inputs, tuple(index))

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, (a, b) in zip(self._spatial_axes(), self.cropping):
            out[axis] = None if out[axis] is None else out[axis] - a - b
        return tuple(out)

    def get_config(self):
        cfg = super().get_config()
        cfg["cropping"] = list(self.cropping[0]) if self.rank == 1 else [list(p) for p in self.cropping]
        return cfg


class Cropping1D(Cropping2D):
    """Removes steps at the start and end: ``cropping`` is ``n`` or ``(start, end)``."""

    rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(cropping=cropping, **kwargs)


class UpSampling2D(_SpatialLayer):
    """Repeats rows and columns ``size`` times (nearest-neighbour upsampling)."""

    rank = 2

    def __init__(self, size: Any = (2, 2), data_format: str | None = None, interpolation: str = "nearest",
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if interpolation != "nearest":
            raise NotImplementedError(f"UpSampling2D(interpolation={interpolation!r}): only 'nearest' is implemented.")
        self.size = (size,) * self.rank if isinstance(size, int) else tuple(int(s) for s in size)
        self.interpolation = interpolation

    def call(self, inputs):
        x = inputs
        for axis, s in zip(self._spatial_axes(), self.size):
            if s == 1:
                continue
            shape = list(x.shape)
            x = F.expand_dims(x, axis + 1)
            expanded = list(x.shape)
            expanded[axis + 1] = s
            x = F.broadcast_to(x, tuple(expanded))
            shape[axis] *= s
            x = F.reshape(x, tuple(shape))
        return x

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, s in zip(self._spatial_axes(), self.size):
            out[axis] = None if out[axis] is None else out[axis] * s
        return tuple(out)

    def get_config(self):
        cfg = super().get_config()
        cfg["size"] = list(self.size) if self.rank == 2 else self.size[0]
        if self.rank == 2:
            cfg["interpolation"] = self.interpolation
        return cfg


class UpSampling1D(UpSampling2D):
    """Repeats each step ``size`` times: ``(batch, steps, features)`` → ``(batch, steps * size, features)``."""

    rank = 1

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(size=size, **kwargs)

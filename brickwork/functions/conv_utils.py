"""Argument normalisation shared by the convolution and pooling layers (Keras rules)."""

from __future__ import annotations

from typing import Any

from brickwork import functions as F

Pads = tuple[tuple[int, int], tuple[int, int]]


def normalize_tuple(value: Any, n: int, name: str) -> tuple[int, ...]:
    """``3`` -> ``(3, 3)``; a tuple of length ``n`` is checked and kept."""
    if isinstance(value, int):
        out = (value,) * n
    else:
        out = tuple(int(v) for v in value)
        if len(out) != n:
            raise ValueError(f"The `{name}` argument must be an int or a tuple of {n} ints; got {value!r}.")
    if any(v <= 0 for v in out):
        raise ValueError(f"The `{name}` argument must be positive; got {value!r}.")
    return out


def normalize_padding(padding: str, allowed: tuple[str, ...] = ("valid", "same")) -> str:
    padding = padding.lower()
    if padding not in allowed:
        raise ValueError(f"Invalid padding {padding!r}: expected one of {allowed}.")
    return padding


def normalize_data_format(data_format: str | None) -> str:
    fmt = data_format or "channels_last"
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"Invalid data_format {data_format!r}: expected 'channels_last' or 'channels_first'.")
    return fmt


def same_pads(length: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow/Keras ``'same'``: output ``ceil(length / stride)``, the extra cell at the end."""
    span = (kernel - 1) * dilation + 1
    out = -(-length // stride)
    total = max((out - 1) * stride + span - length, 0)
    return total // 2, total - total // 2


def conv_pads(padding: str, spatial: tuple[int, ...], kernel: tuple[int, ...], strides: tuple[int, ...],
              dilation: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    if padding == "valid":
        return tuple((0, 0) for _ in spatial)
    if padding == "causal":
        return tuple(((k - 1) * d, 0) for k, d in zip(kernel, dilation))
    return tuple(same_pads(n, k, s, d) for n, k, s, d in zip(spatial, kernel, strides, dilation))


def output_length(length: int | None, kernel: int, stride: int, dilation: int, padding: str) -> int | None:
    """Keras's ``conv_output_length``."""
    if length is None:
        return None
    span = (kernel - 1) * dilation + 1
    if padding in ("same", "causal"):
        return -(-length // stride)
    return (length - span) // stride + 1


def to_channels_last(x: Any, data_format: str) -> Any:
    if data_format == "channels_first":
        return F.transpose(x, (0,) + tuple(range(2, x.ndim)) + (1,))
    return x


def from_channels_last(x: Any, data_format: str) -> Any:
    if data_format == "channels_first":
        return F.transpose(x, (0, x.ndim - 1) + tuple(range(1, x.ndim - 1)))
    return x


def spatial_and_channels(shape: tuple[Any, ...], data_format: str) -> tuple[tuple[Any, ...], Any]:
    if data_format == "channels_first":
        return tuple(shape[2:]), shape[1]
    return tuple(shape[1:-1]), shape[-1]


def assemble_shape(batch: Any, spatial: tuple[Any, ...], channels: Any, data_format: str) -> tuple[Any, ...]:
    if data_format == "channels_first":
        return (batch, channels) + tuple(spatial)
    return (batch,) + tuple(spatial) + (channels,)

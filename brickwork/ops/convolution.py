"""Convolution and pooling of ``keras.ops.nn`` in 1-D and 2-D, on the NHWC primitives.

A 1-D input ``(N, L, C)`` is run as a 2-D one of height 1; ``channels_first``
inputs are transposed to channels-last and back. ``'same'`` padding is
TensorFlow's (the odd cell at the end), which Keras's torch backend matches.
"""

from __future__ import annotations

from typing import Any

from brickwork import functions as F
from brickwork.engine.tensor import Tensor
from brickwork.ops._convert import data_format as resolve_format
from brickwork.ops._convert import promote, tensor


def _to_nhwc(x: Tensor, op: str, data_format: str | None) -> tuple[Tensor, int, str]:
    fmt = resolve_format(data_format)
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: inputs must be 3-D (1-D data) or 4-D (2-D data); got shape {x.shape}. "
                         "3-D convolution and pooling are not implemented.")
    rank = x.ndim - 2
    if fmt == "channels_first":
        x = F.transpose(x, (0,) + tuple(range(2, x.ndim)) + (1,))
    if rank == 1:
        x = F.reshape(x, (x.shape[0], 1) + x.shape[1:])
    return x, rank, fmt


def _from_nhwc(y: Tensor, rank: int, fmt: str) -> Tensor:
    if rank == 1:
        y = F.reshape(y, (y.shape[0],) + y.shape[2:])
    if fmt == "channels_first":
        y = F.transpose(y, (0, y.ndim - 1) + tuple(range(1, y.ndim - 1)))
    return y


def _pads(padding: str, op: str, spatial: tuple[int, ...], kernel: tuple[int, ...], strides: tuple[int, ...],
          dilation: tuple[int, ...]) -> tuple[tuple[int, int], tuple[int, int]]:
    from brickwork.functions.conv_utils import same_pads  # lazily: brickwork.layers may itself use ops

    padding = padding.lower()
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding != "same":
        raise ValueError(f"{op}: padding must be 'valid' or 'same'; got {padding!r}.")
    return tuple(same_pads(n, k, s, d) for n, k, s, d in zip(spatial, kernel, strides, dilation))


def _lift(value: Any, rank: int, name: str) -> tuple[int, int]:
    from brickwork.functions.conv_utils import normalize_tuple

    t = normalize_tuple(value, rank, name)
    return (1,) + t if rank == 1 else t


def conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid", data_format: str | None = None,
         dilation_rate: Any = 1) -> Tensor:
    """N-D convolution (N = 1 or 2) with a Keras kernel ``(*spatial, in_channels / groups, filters)``;
    grouped when the input has a multiple of the kernel's input channels."""
    x, w = promote(inputs, kernel)
    x, rank, fmt = _to_nhwc(x, "conv", data_format)
    if w.ndim != rank + 2:
        raise ValueError(f"conv: a {rank}-D convolution needs a kernel of rank {rank + 2}; got kernel shape "
                         f"{w.shape} for inputs of shape {tensor(inputs).shape}.")
    if rank == 1:
        w = F.reshape(w, (1,) + w.shape)
    channels = x.shape[-1]
    if channels % w.shape[2]:
        raise ValueError(f"conv: the inputs have {channels} channels, not a multiple of the kernel's "
                         f"{w.shape[2]} input channels (kernel shape {w.shape}).")
    groups = channels // w.shape[2]
    s, d = _lift(strides, rank, "strides"), _lift(dilation_rate, rank, "dilation_rate")
    pads = _pads(padding, "conv", x.shape[1:3], w.shape[:2], s, d)
    return _from_nhwc(F.conv2d(x, w, None, s, pads, d, groups), rank, fmt)


def depthwise_conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
                   data_format: str | None = None, dilation_rate: Any = 1) -> Tensor:
    """Depthwise convolution with a kernel ``(*spatial, in_channels, multiplier)``: each channel is
    convolved with its own ``multiplier`` filters (output channel ``c * multiplier + m``)."""
    w = tensor(kernel)
    merged = F.reshape(w, w.shape[:-2] + (1, w.shape[-2] * w.shape[-1]))
    return conv(inputs, merged, strides, padding, data_format, dilation_rate)


def _pool(kind: str, inputs: Any, pool_size: Any, strides: Any, padding: str, data_format: str | None) -> Tensor:
    x, rank, fmt = _to_nhwc(tensor(inputs), kind, data_format)
    pool = _lift(pool_size, rank, "pool_size")
    s = pool if strides is None else _lift(strides, rank, "strides")
    pads = _pads(padding, kind, x.shape[1:3], pool, s, (1, 1))
    fn = F.max_pool2d if kind == "max_pool" else F.avg_pool2d
    return _from_nhwc(fn(x, pool, s, pads), rank, fmt)


def max_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
             data_format: str | None = None) -> Tensor:
    """Max pooling (1-D or 2-D); ``strides`` default to ``pool_size``."""
    return _pool("max_pool", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None) -> Tensor:
    """Average pooling (1-D or 2-D); with ``'same'``, padded cells are not counted."""
    return _pool("average_pool", inputs, pool_size, strides, padding, data_format)


def conv_transpose(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid", output_padding: Any = None,
                   data_format: str | None = None, dilation_rate: Any = 1) -> Tensor:
    """Transposed convolution (1-D or 2-D) with a Keras kernel ``(*spatial, filters, in_channels)``.

    Output length per axis with :math:`k_d = (k-1)d + 1`: ``'valid'`` gives
    :math:`n s + \\max(k_d - s, 0)`, ``'same'`` gives :math:`n s`; with ``output_padding``
    :math:`(n-1)s + k_d - 2p + \\text{output\\_padding}` (:math:`p = \\lfloor k_d/2 \\rfloor` for ``'same'``).
    """
    x, w = promote(inputs, kernel)
    x, rank, fmt = _to_nhwc(x, "conv_transpose", data_format)
    if w.ndim != rank + 2 or w.shape[-1] != x.shape[-1]:
        raise ValueError(f"conv_transpose: a {rank}-D transposed convolution needs a kernel (*spatial, filters, "
                         f"{x.shape[-1]}); got kernel shape {w.shape} for inputs of shape {tensor(inputs).shape}.")
    if rank == 1:
        w = F.reshape(w, (1,) + w.shape)
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"conv_transpose: padding must be 'valid' or 'same'; got {padding!r}.")
    s, d = _lift(strides, rank, "strides"), _lift(dilation_rate, rank, "dilation_rate")
    extra = None if output_padding is None else (
        (0,) * (2 - rank) + ((output_padding,) * rank if isinstance(output_padding, int) else tuple(output_padding)))
    lengths, crops = [], []
    for i, (n, k) in enumerate(zip(x.shape[1:3], w.shape[:2])):
        kd = (k - 1) * d[i] + 1
        if extra is None:
            length = n * s[i] + max(kd - s[i], 0) if padding == "valid" else n * s[i]
        else:
            length = (n - 1) * s[i] + kd - 2 * (kd // 2 if padding == "same" else 0) + extra[i]
        full = (n - 1) * s[i] + kd
        lengths.append(length)
        crops.append(max(full - length, 0) // 2 if padding == "same" else 0)
    y = F.conv2d_transpose(x, w, None, s, d, crop=tuple(crops), out_hw=tuple(lengths))
    return _from_nhwc(y, rank, fmt)

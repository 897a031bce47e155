"""Pooling layers (max, average, global). Also importable from
``brickwork.layers.pooling``, the Keras 2 path seed 002 uses."""

from __future__ import annotations

from typing import Any

from brickwork import functions as F
from brickwork.backend import get_array_module
from brickwork.functions import conv_utils as cu
from brickwork.layers import validation as check
from brickwork.layers.core import mask_array
from brickwork.layers.layer import InputSpec, Layer


class _Pooling(Layer):
    rank = 2
    mode = "max"

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pool_size = check.positive_int_tuple(self, "pool_size", pool_size, self.rank)
        self.strides = self.pool_size if strides is None else check.positive_int_tuple(self, "strides", strides,
                                                                                        self.rank)
        self.padding = cu.normalize_padding(padding)
        self.data_format = cu.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _check_fits(self, input_shape: tuple[Any, ...]) -> None:
        """A ``'valid'`` pool larger than the input: an error naming the layer and the shapes."""
        spatial, _ = cu.spatial_and_channels(tuple(input_shape), self.data_format)
        check.window_fits(self, input_shape, spatial, self.pool_size, padding=self.padding, what="pool_size")

    def build(self, input_shape):
        if len(input_shape) == self.rank + 2:
            self._check_fits(input_shape)
        self.built = True

    def call(self, inputs):
        self._check_fits(tuple(inputs.shape))
        x = cu.to_channels_last(inputs, self.data_format)
        pool, strides = self.pool_size, self.strides
        if self.rank == 1:
            x, pool, strides = F.expand_dims(x, 1), (1,) + pool, (1,) + strides
        pads = cu.conv_pads(self.padding, tuple(x.shape[1:3]), pool, strides, (1, 1))
        fn = F.max_pool2d if self.mode == "max" else F.avg_pool2d
        y = fn(x, pool, strides, pads)
        if self.rank == 1:
            y = F.squeeze(y, 1)
        return cu.from_channels_last(y, self.data_format)

    def compute_output_shape(self, input_shape):
        spatial, channels = cu.spatial_and_channels(input_shape, self.data_format)
        out = tuple(cu.output_length(n, k, s, 1, self.padding)
                    for n, k, s in zip(spatial, self.pool_size, self.strides))
        return cu.assemble_shape(input_shape[0], out, channels, self.data_format)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"pool_size": list(self.pool_size), "strides": list(self.strides), "padding": self.padding,
                    "data_format": self.data_format})
        return cfg


class MaxPooling2D(_Pooling):
    """Max over ``pool_size`` windows (default 2×2, stride = pool size): keeps the
    strongest response of each patch and halves the feature map.

    Input shape: ``(batch, rows, cols, channels)``; output: ``(batch, new_rows, new_cols, channels)``.
    """

    rank, mode = 2, "max"


class AveragePooling2D(_Pooling):
    """Mean over ``pool_size`` windows (padding not counted with ``'same'``)."""

    rank, mode = 2, "avg"


class MaxPooling1D(_Pooling):
    """Max over windows of ``pool_size`` steps. Input ``(batch, steps, channels)``."""

    rank, mode = 1, "max"


class AveragePooling1D(_Pooling):
    """Mean over windows of ``pool_size`` steps. Input ``(batch, steps, channels)``."""

    rank, mode = 1, "avg"


class _GlobalPooling(Layer):
    rank = 2
    mode = "max"

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = cu.normalize_data_format(data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.supports_masking = self.rank == 1 and self.mode == "avg"

    def _axes(self) -> tuple[int, ...]:
        start = 2 if self.data_format == "channels_first" else 1
        return tuple(range(start, start + self.rank))

    def call(self, inputs, mask=None):
        axes = self._axes()
        if self.mode == "max":
            return F.max(inputs, axis=axes, keepdims=self.keepdims)
        if mask is not None and self.rank == 1:  # average over the unmasked steps only
            m = mask_array(mask, inputs.dtype)
            m = m[:, :, None] if self.data_format == "channels_last" else m[:, None, :]
            total = F.sum(inputs * m, axis=axes, keepdims=self.keepdims)
            count = get_array_module(m).maximum(m.sum(axis=axes, keepdims=self.keepdims), 1)
            return total / count
        return F.mean(inputs, axis=axes, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return cfg


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over all positions: ``(batch, rows, cols, channels)`` → ``(batch, channels)``."""

    rank, mode = 2, "max"


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over all positions: ``(batch, rows, cols, channels)`` → ``(batch, channels)``."""

    rank, mode = 2, "avg"


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over time: ``(batch, steps, channels)`` → ``(batch, channels)``."""

    rank, mode = 1, "max"


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over time, over the unmasked steps when a mask is given:
    ``(batch, steps, channels)`` → ``(batch, channels)``."""

    rank, mode = 1, "avg"


MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D

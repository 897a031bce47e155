"""Convolution layers: Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D.

Keras names, arguments, defaults and kernel layouts; ``channels_last`` by
default, ``data_format='channels_first'`` supported. The computation is the
NHWC primitive :func:`brickwork.functions.conv2d` (1-D convolutions run it with
a height of 1). Also importable from ``brickwork.layers.convolutional``, the
Keras 2 path seed 002 uses.
"""

from __future__ import annotations

from typing import Any

from brickwork import activations, constraints, initializers, regularizers
from brickwork import functions as F
from brickwork.functions import conv_utils as cu
from brickwork.layers import validation as check
from brickwork.layers.layer import InputSpec, Layer


class _Conv(Layer):
    """Shared machinery of the rank-1 and rank-2 convolutions."""

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = check.positive_int(self, "filters", filters)
        self.kernel_size = check.positive_int_tuple(self, "kernel_size", kernel_size, self.rank)
        self.strides = check.positive_int_tuple(self, "strides", strides, self.rank)
        self.dilation_rate = check.positive_int_tuple(self, "dilation_rate", dilation_rate, self.rank)
        allowed = ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
        self.padding = cu.normalize_padding(padding, allowed)
        self.data_format = cu.normalize_data_format(data_format)
        self.groups = check.positive_int(self, "groups", groups)
        if filters % self.groups:
            raise ValueError(f"{type(self).__name__}: filters ({filters}) must be divisible by groups ({groups}).")
        if any(s > 1 for s in self.strides) and any(d > 1 for d in self.dilation_rate):
            raise ValueError(f"{type(self).__name__}: strides > 1 together with dilation_rate > 1 is not "
                             "supported (as in Keras).")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _channels(self, input_shape: tuple[Any, ...]) -> int:
        _, channels = cu.spatial_and_channels(input_shape, self.data_format)
        if channels is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the channel axis of the input must be known; "
                             f"got {input_shape}.")
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__} '{self.name}': {channels} input channels cannot be split "
                             f"into groups={self.groups}.")
        return channels

    def _check_fits(self, input_shape: tuple[Any, ...]) -> None:
        """A ``'valid'`` window larger than the input: an error naming the layer and the shapes."""
        spatial, _ = cu.spatial_and_channels(tuple(input_shape), self.data_format)
        check.window_fits(self, input_shape, spatial, self.kernel_size, self.dilation_rate, self.padding)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self._check_fits(input_shape)
        shape = self.kernel_size + (channels // self.groups, self.filters)
        self.kernel = self.add_weight(shape, self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self._finish_build(channels)

    def _finish_build(self, channels: int) -> None:
        """The bias (after the kernels, Keras's weight order) and the input spec."""
        self.bias = self.add_weight((self.filters,), self.bias_initializer, regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint, name="bias") if self.use_bias else None
        axis = 1 if self.data_format == "channels_first" else -1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def _depthwise(self, x: Any, kernel: Any, bias: Any) -> Any:
        """Each channel convolved with its own ``(kh, kw)`` filters, ``kernel (kh, kw, C, multiplier)``
        (groups = channels), by the shifted multiply-adds of :func:`brickwork.functions.depthwise_conv2d`."""
        pads = cu.conv_pads(self.padding, x.shape[1:-1], self.kernel_size, self.strides, self.dilation_rate)
        return F.depthwise_conv2d(x, kernel, bias, self.strides, pads, self.dilation_rate)

    def _conv_nhwc(self, x: Any, kernel: Any, bias: Any, groups: int, relu: bool = False) -> Any:
        """Run the 2-D primitive on channels-last data (1-D gets a height of 1)."""
        spatial = x.shape[1:-1]
        pads = cu.conv_pads(self.padding, spatial, self.kernel_size, self.strides, self.dilation_rate)
        if self.rank == 1:
            x = F.expand_dims(x, 1)
            kernel = F.reshape(kernel, (1,) + tuple(kernel.shape))
            y = F.conv2d(x, kernel, bias, (1,) + self.strides, ((0, 0), pads[0]), (1,) + self.dilation_rate, groups,
                         relu=relu)
            return F.squeeze(y, 1)
        return F.conv2d(x, kernel, bias, self.strides, pads, self.dilation_rate, groups, relu=relu)

    def call(self, inputs):
        self._check_fits(tuple(inputs.shape))
        x = cu.to_channels_last(inputs, self.data_format)
        fuse = self.activation is activations.relu  # ReLU runs inside the convolution node
        y = self._conv_nhwc(x, self.kernel, self.bias, self.groups, relu=fuse)
        y = cu.from_channels_last(y, self.data_format)
        return y if fuse else self.activation(y)

    def compute_output_shape(self, input_shape):
        spatial, _ = cu.spatial_and_channels(input_shape, self.data_format)
        out = tuple(cu.output_length(n, k, s, d, self.padding)
                    for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        return cu.assemble_shape(input_shape[0], out, self.filters, self.data_format)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "filters": self.filters, "kernel_size": list(self.kernel_size), "strides": list(self.strides),
            "padding": self.padding, "data_format": self.data_format, "dilation_rate": list(self.dilation_rate),
            "groups": self.groups, "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return cfg


class Conv2D(_Conv):
    r"""2-D convolution over the patches of an image (seed 001):

    .. math:: y_{i,j,o} = \phi\bigl(b_o + \textstyle\sum_{a,b,c} x_{i s + a d,\, j s + b d,\, c}\, W_{a,b,c,o}\bigr)

    Args:
        filters: Number of output channels (the depth of the feature map, 32 → 64 in seed 001).
        kernel_size: Window size, e.g. 3 for 3×3 patches.
        strides, dilation_rate: Step and spacing of the window.
        padding: ``'valid'`` (no padding) or ``'same'`` (output size ``ceil(input / stride)``).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        groups: Split the channels into groups convolved separately.
        activation, use_bias, initializers, regularizers, constraints: as ``Dense``.

    Input shape: ``(batch, rows, cols, channels)`` (channels last).
    Output shape: ``(batch, new_rows, new_cols, filters)``.
    Weights: ``kernel (kh, kw, channels / groups, filters)``, ``bias (filters,)``.
    """

    rank = 2


class Conv1D(_Conv):
    """1-D convolution over time (or any sequence axis).

    Args: as :class:`Conv2D`, with one-element sizes and ``padding='causal'``
    (left padding only, so step ``t`` never sees the future).

    Input shape: ``(batch, steps, channels)``. Output: ``(batch, new_steps, filters)``.
    Weights: ``kernel (k, channels / groups, filters)``, ``bias (filters,)``.
    """

    rank = 1


class Conv2DTranspose(_Conv):
    r"""Transposed ("de-")convolution: the gradient of ``Conv2D`` with respect to its input,
    used to upsample feature maps.

    Output size per axis (Keras): ``'valid'``: ``in * s + max(k_d - s, 0)``;
    ``'same'``: ``in * s``; with ``output_padding``: ``(in - 1) s + k_d - 2 pad + output_padding``,
    where :math:`k_d = k + (k-1)(d-1)`.

    Input shape: ``(batch, rows, cols, channels)``. Output: ``(batch, new_rows, new_cols, filters)``.
    Weights (Keras layout): ``kernel (kh, kw, filters, channels)``, ``bias (filters,)``.
    """

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None, dilation_rate: Any = 1,
                 **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, **kwargs)
        if output_padding is None:
            self.output_padding = None
        elif isinstance(output_padding, int):
            self.output_padding = (output_padding, output_padding)
        else:
            self.output_padding = tuple(int(p) for p in output_padding)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self.kernel = self.add_weight(self.kernel_size + (self.filters, channels), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        self._finish_build(channels)

    def _lengths(self, spatial: tuple[Any, ...]) -> list[tuple[Any, int]]:
        """(output length, crop at the start) per axis."""
        out = []
        for i, (n, k, s, d) in enumerate(zip(spatial, self.kernel_size, self.strides, self.dilation_rate)):
            kd = k + (k - 1) * (d - 1)
            if n is None:
                out.append((None, 0))
                continue
            if self.output_padding is None:
                length = n * s + max(kd - s, 0) if self.padding == "valid" else n * s
            else:
                pad = kd // 2 if self.padding == "same" else 0
                length = (n - 1) * s + kd - 2 * pad + self.output_padding[i]
            full = (n - 1) * s + kd
            crop = max(full - length, 0) // 2 if self.padding == "same" else 0
            out.append((length, crop))
        return out

    def call(self, inputs):
        x = cu.to_channels_last(inputs, self.data_format)
        lengths = self._lengths(tuple(x.shape[1:3]))
        y = F.conv2d_transpose(x, self.kernel, self.bias, self.strides, self.dilation_rate,
                               crop=tuple(c for _, c in lengths), out_hw=tuple(n for n, _ in lengths))
        return self.activation(cu.from_channels_last(y, self.data_format))

    def compute_output_shape(self, input_shape):
        spatial, _ = cu.spatial_and_channels(input_shape, self.data_format)
        out = tuple(n for n, _ in self._lengths(spatial))
        return cu.assemble_shape(input_shape[0], out, self.filters, self.data_format)

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("groups")
        cfg["output_padding"] = None if self.output_padding is None else list(self.output_padding)
        return cfg


class DepthwiseConv2D(_Conv):
    r"""Depthwise convolution: each input channel is convolved with its own
    ``depth_multiplier`` filters (a grouped convolution with ``groups = channels``).

    Input shape: ``(batch, rows, cols, channels)``.
    Output shape: ``(batch, new_rows, new_cols, channels * depth_multiplier)``.
    Weights (Keras layout): ``kernel (kh, kw, channels, depth_multiplier)``, ``bias``.
    """

    rank = 2

    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid", depth_multiplier: int = 1,
                 data_format: str | None = None, dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(1, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=depthwise_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = check.positive_int(self, "depth_multiplier", depth_multiplier)

    def build(self, input_shape):
        _, channels = cu.spatial_and_channels(input_shape, self.data_format)
        self._check_fits(input_shape)
        self.filters = channels * self.depth_multiplier
        self.kernel = self.add_weight(self.kernel_size + (channels, self.depth_multiplier),
                                      self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self._finish_build(channels)

    def call(self, inputs):
        x = cu.to_channels_last(inputs, self.data_format)
        y = self._depthwise(x, self.kernel, self.bias)
        return self.activation(cu.from_channels_last(y, self.data_format))

    def compute_output_shape(self, input_shape):
        _, channels = cu.spatial_and_channels(input_shape, self.data_format)
        self.filters = None if channels is None else channels * self.depth_multiplier
        return super().compute_output_shape(input_shape)

    def get_config(self):
        cfg = super().get_config()
        for key in ("filters", "groups"):
            cfg.pop(key)
        for old, new in (("kernel_initializer", "depthwise_initializer"),
                         ("kernel_regularizer", "depthwise_regularizer"),
                         ("kernel_constraint", "depthwise_constraint")):
            cfg[new] = cfg.pop(old)
        cfg["depth_multiplier"] = self.depth_multiplier
        return cfg


class SeparableConv2D(_Conv):
    r"""Depthwise-separable convolution: a depthwise convolution (one spatial filter
    per channel, ``depth_multiplier`` each) followed by a 1×1 pointwise convolution
    mixing channels — far fewer weights than a full ``Conv2D``.

    Weights (Keras): ``depthwise_kernel (kh, kw, channels, depth_multiplier)``,
    ``pointwise_kernel (1, 1, channels * depth_multiplier, filters)``, ``bias (filters,)``.
    """

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, depth_multiplier: int = 1,
                 activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 pointwise_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = check.positive_int(self, "depth_multiplier", depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        _, channels = cu.spatial_and_channels(input_shape, self.data_format)
        self._check_fits(input_shape)
        m = self.depth_multiplier
        self.depthwise_kernel = self.add_weight(self.kernel_size + (channels, m), self.depthwise_initializer,
                                                regularizer=self.depthwise_regularizer,
                                                constraint=self.depthwise_constraint, name="depthwise_kernel")
        self.pointwise_kernel = self.add_weight((1, 1, channels * m, self.filters), self.pointwise_initializer,
                                                regularizer=self.pointwise_regularizer,
                                                constraint=self.pointwise_constraint, name="pointwise_kernel")
        self._finish_build(channels)

    def call(self, inputs):
        x = cu.to_channels_last(inputs, self.data_format)
        depthwise = self._depthwise(x, self.depthwise_kernel, None)
        y = F.conv2d(depthwise, self.pointwise_kernel, self.bias)
        return self.activation(cu.from_channels_last(y, self.data_format))

    def get_config(self):
        cfg = super().get_config()
        for key in ("groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            cfg.pop(key)
        cfg.update({
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        })
        return cfg


Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose

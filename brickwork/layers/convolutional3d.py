"""``Conv3D`` (volumes, video) and ``Conv1DTranspose`` (upsampling sequences).

Keras 3 names, arguments, defaults, config keys and kernel layouts. ``Conv3D``
runs the ``NDHWC`` im2col primitive :func:`brickwork.functions.conv3d`;
``Conv1DTranspose`` is :class:`~brickwork.layers.convolutional.Conv2DTranspose`
on a height of 1.
"""

from __future__ import annotations

from typing import Any

from brickwork import functions as F
from brickwork.functions import conv_utils as cu
from brickwork.layers.convolutional import Conv2DTranspose, _Conv


class Conv3D(_Conv):
    r"""3-D convolution over a volume (depth × height × width):

    .. math:: y_{i,j,l,o} = \phi\bigl(b_o + \textstyle\sum_{a,b,e,c}
              x_{i s_1 + a d_1,\, j s_2 + b d_2,\, l s_3 + e d_3,\, c}\, W_{a,b,e,c,o}\bigr)

    Args:
        filters: Number of output channels.
        kernel_size: An int or 3 ints ``(kd, kh, kw)``.
        strides, dilation_rate: An int or 3 ints (strides > 1 with dilation > 1 is refused, as Keras).
        padding: ``'valid'`` or ``'same'`` (output ``ceil(input / stride)``, the extra cell at the end).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        groups: Split the channels into groups convolved separately.
        activation, use_bias, initializers, regularizers, constraints: as ``Conv2D``.

    Input shape: ``(batch, depth, rows, cols, channels)`` (``channels_first``: channels second).
    Output shape: ``(batch, new_depth, new_rows, new_cols, filters)``.
    Weights (Keras layout): ``kernel (kd, kh, kw, channels / groups, filters)``, ``bias (filters,)``.
    """

    rank = 3

    def call(self, inputs):
        self._check_fits(tuple(inputs.shape))
        x = cu.to_channels_last(inputs, self.data_format)
        pads = cu.conv_pads(self.padding, tuple(x.shape[1:4]), self.kernel_size, self.strides, self.dilation_rate)
        y = F.conv3d(x, self.kernel, self.bias, self.strides, pads, self.dilation_rate, self.groups)
        return self.activation(cu.from_channels_last(y, self.data_format))


class Conv1DTranspose(Conv2DTranspose):
    r"""Transposed 1-D convolution: the gradient of ``Conv1D`` with respect to its input,
    used to upsample sequences.

    Output length (Keras): ``'valid'``: ``n s + max(k_d - s, 0)``; ``'same'``: ``n s``;
    with ``output_padding``: ``(n - 1) s + k_d - 2 pad + output_padding`` where
    :math:`k_d = k + (k-1)(d-1)` and ``pad = k_d // 2`` for ``'same'``.

    Args:
        filters, kernel_size, strides, padding (``'valid'``/``'same'``), output_padding,
        data_format, dilation_rate, activation, use_bias, initializers, regularizers,
        constraints: as ``Conv2DTranspose`` with one-element sizes.

    Input shape: ``(batch, steps, channels)``. Output shape: ``(batch, new_steps, filters)``.
    Weights (Keras layout): ``kernel (k, filters, channels)``, ``bias (filters,)``.
    """

    rank = 1

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None, dilation_rate: Any = 1,
                 **kwargs: Any) -> None:
        if isinstance(padding, str) and padding.lower() == "causal":
            raise ValueError("Conv1DTranspose: padding must be 'valid' or 'same'; got 'causal'.")
        super().__init__(filters, kernel_size, strides=strides, padding=padding, output_padding=None,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)
        if output_padding is None:
            self.output_padding = None
        else:
            pads = (output_padding,) if isinstance(output_padding, int) else tuple(output_padding)
            if len(pads) != 1 or not 0 <= int(pads[0]) < self.strides[0]:
                raise ValueError(f"Conv1DTranspose: output_padding must be one int in [0, strides); got "
                                 f"{output_padding!r} with strides={self.strides}.")
            self.output_padding = (int(pads[0]),)

    def call(self, inputs):
        x = cu.to_channels_last(inputs, self.data_format)
        (length, crop), = self._lengths((x.shape[1],))
        kernel = F.reshape(self.kernel, (1,) + tuple(self.kernel.shape))
        y = F.conv2d_transpose(F.expand_dims(x, 1), kernel, self.bias, (1,) + self.strides,
                               (1,) + self.dilation_rate, crop=(0, crop), out_hw=(1, length))
        return self.activation(cu.from_channels_last(F.squeeze(y, 1), self.data_format))

"""``MaxPooling3D`` and ``AveragePooling3D`` (aliases ``MaxPool3D``, ``AvgPool3D``) on
``(batch, depth, rows, cols, channels)`` volumes, Keras 3 arguments and config keys."""

from __future__ import annotations

from brickwork import functions as F
from brickwork.functions import conv_utils as cu
from brickwork.layers.pooling import _Pooling


class _Pooling3D(_Pooling):
    rank = 3

    def call(self, inputs):
        self._check_fits(tuple(inputs.shape))
        x = cu.to_channels_last(inputs, self.data_format)
        pads = cu.conv_pads(self.padding, tuple(x.shape[1:4]), self.pool_size, self.strides, (1, 1, 1))
        fn = F.max_pool3d if self.mode == "max" else F.avg_pool3d
        return cu.from_channels_last(fn(x, self.pool_size, self.strides, pads), self.data_format)


class MaxPooling3D(_Pooling3D):
    """Max over ``pool_size`` windows of a volume (default 2×2×2, strides = pool size).

    Args:
        pool_size: An int or 3 ints. strides: An int, 3 ints or None (= pool_size).
        padding: ``'valid'`` or ``'same'`` (padded cells never win).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: ``(batch, depth, rows, cols, channels)``.
    Output shape: ``(batch, new_depth, new_rows, new_cols, channels)``.
    """

    rank, mode = 3, "max"


class AveragePooling3D(_Pooling3D):
    """Mean over ``pool_size`` windows of a volume; with ``'same'`` only the cells inside the
    input are averaged (Keras's TensorFlow/JAX rule).

    Args, input and output shapes: as :class:`MaxPooling3D`.
    """

    rank, mode = 3, "avg"


MaxPool3D, AvgPool3D = MaxPooling3D, AveragePooling3D

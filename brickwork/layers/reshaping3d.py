"""The 3-D spatial reshaping layers: ``ZeroPadding3D``, ``Cropping3D``, ``UpSampling3D``.

The rank-generic machinery of their 2-D counterparts in
:mod:`brickwork.layers.reshaping` on ``(batch, depth, rows, cols, channels)``
volumes (``data_format='channels_first'``: channels second). All are
differentiable: padding's gradient is the matching slice, cropping's the
zero-padded gradient, upsampling's the sum over each repeated block.
"""

from __future__ import annotations

from typing import Any

from brickwork.functions import conv_utils as cu
from brickwork.layers.layer import InputSpec
from brickwork.layers.reshaping import Cropping2D, UpSampling2D, ZeroPadding2D


class _Volume:
    """Mixin: a real ``data_format`` (the 2-D base keeps one only for rank 2) and a 5-D input spec."""

    rank = 3

    def _set_format(self, data_format: str | None) -> None:
        self.data_format = cu.normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=5)

    def get_config(self):
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


class ZeroPadding3D(_Volume, ZeroPadding2D):
    """Adds zeros around a volume.

    Args:
        padding: ``n`` (every side), ``(d, h, w)`` (symmetric per axis) or
            ``((front, back), (top, bottom), (left, right))``. Default 1 everywhere.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: ``(batch, depth, rows, cols, channels)``.
    Output shape: ``(batch, depth + front + back, rows + top + bottom, cols + left + right, channels)``.
    """

    rank = 3

    def __init__(self, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(padding=padding, **kwargs)
        self._set_format(data_format)


class Cropping3D(_Volume, Cropping2D):
    """Removes slices at the borders of a volume.

    Args:
        cropping: ``n``, ``(d, h, w)`` or ``((front, back), (top, bottom), (left, right))``; default 1 everywhere.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: ``(batch, depth, rows, cols, channels)``.
    Output shape: ``(batch, depth - front - back, rows - top - bottom, cols - left - right, channels)``.
    """

    rank = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(cropping=cropping, **kwargs)
        self._set_format(data_format)


class UpSampling3D(_Volume, UpSampling2D):
    """Repeats each voxel ``size`` times along depth, rows and columns (nearest neighbour).

    Args:
        size: An int or 3 ints ``(sd, sh, sw)`` (default 2 each).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: ``(batch, depth, rows, cols, channels)``.
    Output shape: ``(batch, depth * sd, rows * sh, cols * sw, channels)``.
    """

    rank = 3

    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(size=cu.normalize_tuple(size, 3, "size"), **kwargs)
        self._set_format(data_format)

    def get_config(self):
        cfg = super().get_config()
        cfg["size"] = list(self.size)
        return cfg

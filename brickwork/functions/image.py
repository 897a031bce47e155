r"""Image resizing and cropping as differentiable primitives.

Resizing is separable and linear in the image: every interpolation mode here
(``'bilinear'``, ``'nearest'``, ``'bicubic'``) writes output row :math:`i` as a
fixed combination of input rows, so the whole resize is

.. math:: Y = A_h\, X\, A_w^\top

per image and channel, with :math:`A_h` of shape ``(out_h, in_h)`` and
:math:`A_w` of shape ``(out_w, in_w)``. The forward is two batched matrix
products and the backward their adjoint, :math:`\bar X = A_h^\top \bar Y A_w`.

The interpolation matrices follow Keras 3 / TensorFlow's ``half_pixel_centers``
convention without antialiasing (identical to PyTorch's
``align_corners=False``): output cell :math:`i` samples the input at
:math:`s_i = (i + \tfrac12)\,\tfrac{n_{in}}{n_{out}} - \tfrac12`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.device import get_array_module
from brickwork.engine.function import Function
from brickwork.functions.pooling import pad
from brickwork.functions.shape import getitem

INTERPOLATIONS = ("bilinear", "nearest", "bicubic")


def _cubic_weights(t: np.ndarray, a: float = -0.75) -> np.ndarray:
    """Keys cubic-convolution weights for the taps at offsets -1, 0, 1, 2 of fraction ``t``."""
    def near(d):   # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):    # 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=-1)


def _antialias_matrix(n_in: int, n_out: int, interpolation: str) -> np.ndarray:
    """Shrinking with ``antialias=True``: the triangle (bilinear) or Keys cubic (:math:`a=-0.5`) filter
    stretched by the scale :math:`r = n_{in}/n_{out} > 1`, each row's weights renormalised to 1."""
    scale = n_in / n_out
    taps = 2 if interpolation == "bilinear" else 4
    support = taps / 2 * scale if scale >= 1 else taps / 2
    inv = 1 / scale if scale >= 1 else 1.0
    a = np.zeros((n_out, n_in))
    for i in range(n_out):
        centre = scale * (i + 0.5)
        lo = max(int(centre - support + 0.5), 0)
        hi = min(int(centre + support + 0.5), n_in)
        d = np.abs((np.arange(lo, hi) - centre + 0.5) * inv)
        if interpolation == "bilinear":
            w = np.maximum(1 - d, 0)
        else:
            w = np.where(d <= 1, (1.5 * d - 2.5) * d * d + 1, np.where(d < 2, ((-0.5 * d + 2.5) * d - 4) * d + 2, 0.0))
        a[i, lo:hi] = w / w.sum()
    return a


def interpolation_matrix(n_in: int, n_out: int, interpolation: str = "bilinear",
                         antialias: bool = False) -> np.ndarray:
    r"""The ``(n_out, n_in)`` matrix :math:`A` with ``y = A @ x`` resizing one axis.

    * ``'bilinear'``: :math:`s_i = \max((i+\tfrac12) r - \tfrac12, 0)` with :math:`r = n_{in}/n_{out}`,
      :math:`A_{i,\lfloor s_i\rfloor} = 1 - f`, :math:`A_{i,\lfloor s_i\rfloor + 1} = f`
      (:math:`f = s_i - \lfloor s_i \rfloor`, the upper index clamped to :math:`n_{in}-1`).
    * ``'nearest'``: :math:`A_{i, \min(\lfloor (i+\frac12) r\rfloor,\, n_{in}-1)} = 1`.
    * ``'bicubic'``: Keys' cubic convolution (:math:`a = -0.75`, as Keras's torch backend) over the
      four taps :math:`\lfloor s_i\rfloor - 1 \ldots \lfloor s_i\rfloor + 2`, clamped to the edge.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"Unknown interpolation {interpolation!r}: expected one of {INTERPOLATIONS}.")
    if n_in <= 0 or n_out <= 0:
        raise ValueError(f"resize: sizes must be positive; got input length {n_in} and output length {n_out}.")
    if antialias and interpolation != "nearest":
        return _antialias_matrix(n_in, n_out, interpolation)
    ratio = n_in / n_out
    i = np.arange(n_out)
    a = np.zeros((n_out, n_in))
    if interpolation == "nearest":
        src = np.minimum(np.floor((i + 0.5) * ratio).astype(np.int64), n_in - 1)
        a[i, src] = 1.0
        return a
    src = (i + 0.5) * ratio - 0.5
    if interpolation == "bilinear":
        src = np.maximum(src, 0.0)
        lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = src - lo
        np.add.at(a, (i, lo), 1 - frac)
        np.add.at(a, (i, hi), frac)
        return a
    base = np.floor(src).astype(np.int64)
    weights = _cubic_weights(src - base)
    for k in range(4):
        np.add.at(a, (i, np.clip(base - 1 + k, 0, n_in - 1)), weights[:, k])
    return a


class Resize(Function):
    r"""Resize the spatial axes of an image batch: :math:`Y = A_h X A_w^\top`.

    Backward: :math:`\bar X = A_h^\top \bar Y A_w` (the same two products, transposed).
    ``channels_last`` input is ``(N, H, W, C)``; ``channels_first`` is ``(N, C, H, W)``.
    """

    def __init__(self, size: tuple[int, int], interpolation: str = "bilinear",
                 data_format: str = "channels_last", antialias: bool = False):
        self.size, self.interpolation, self.data_format = tuple(size), interpolation, data_format
        self.antialias = antialias

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"resize: expected a 4-D image batch; got shape {x.shape}.")
        self.x_shape = x.shape
        h, w = x.shape[1:3] if self.data_format == "channels_last" else x.shape[2:4]
        xp = get_array_module(x)          # the (small) matrices are made on the host, then moved
        self.ah = xp.asarray(interpolation_matrix(h, self.size[0], self.interpolation, self.antialias).astype(x.dtype))
        self.aw = xp.asarray(interpolation_matrix(w, self.size[1], self.interpolation, self.antialias).astype(x.dtype))
        return self._apply(x, self.ah, self.aw)

    def _apply(self, x: np.ndarray, ah: np.ndarray, aw: np.ndarray) -> np.ndarray:
        """``ah @ x @ aw.T`` over the spatial axes of either layout."""
        xp = get_array_module(x)
        if self.data_format == "channels_first":
            return xp.matmul(xp.matmul(ah, x), aw.T)
        n, h, w, c = x.shape
        rows = xp.matmul(ah, x.reshape(n, h, w * c)).reshape(n * ah.shape[0], w, c)   # (N*Ho, W, C)
        return xp.matmul(aw, rows).reshape(n, ah.shape[0], aw.shape[0], c)

    def backward(self, gy):
        return self._apply(gy, self.ah.T, self.aw.T)


def resize(x: Any, size: tuple[int, int], interpolation: str = "bilinear",
           data_format: str = "channels_last", antialias: bool = False) -> Any:
    """Resize a 4-D image batch (or one 3-D image) to ``size = (height, width)``.

    Half-pixel centres (Keras 3's ``ops.image.resize``); ``antialias`` widens the filter when shrinking.
    """
    size = tuple(int(s) for s in size)
    if len(size) != 2:
        raise ValueError(f"resize: size must be (height, width); got {size!r}.")
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"resize: invalid data_format {data_format!r}.")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"resize: unknown interpolation {interpolation!r}: expected one of {INTERPOLATIONS}.")
    ndim = len(x.shape)
    if ndim not in (3, 4):
        raise ValueError(f"resize: expected a 3-D image or a 4-D batch; got shape {tuple(x.shape)}.")
    if ndim == 3:
        x = getitem(x, (None,))
    y = Resize(size, interpolation, data_format, antialias)(x)
    return getitem(y, 0) if ndim == 3 else y


def _spatial_axes(ndim: int, data_format: str) -> tuple[int, int]:
    return (ndim - 3, ndim - 2) if data_format == "channels_last" else (ndim - 2, ndim - 1)


def crop(x: Any, top: int, left: int, height: int, width: int, data_format: str = "channels_last") -> Any:
    """The ``height × width`` window of a 3-D image or 4-D batch starting at ``(top, left)``.

    A basic slice: the gradient is zero outside the window and passes unchanged inside.
    """
    ndim = len(x.shape)
    rows, cols = _spatial_axes(ndim, data_format)
    h, w = x.shape[rows], x.shape[cols]
    if top < 0 or left < 0 or height <= 0 or width <= 0 or top + height > h or left + width > w:
        raise ValueError(f"crop: the window top={top}, left={left}, {height}x{width} does not fit an image "
                         f"of shape {tuple(x.shape)}.")
    index = [slice(None)] * ndim
    index[rows] = slice(top, top + height)
    index[cols] = slice(left, left + width)
    return getitem(x, tuple(index))


def center_crop_box(h: int, w: int, height: int, width: int) -> tuple[int, int]:
    """The ``(top, left)`` of a centred ``height × width`` window (Keras rounds the offset down)."""
    return (h - height) // 2, (w - width) // 2


def aspect_crop(x: Any, size: tuple[int, int], data_format: str = "channels_last") -> Any:
    """The largest centred window of ``x`` with the aspect ratio of ``size`` (Keras's
    ``crop_to_aspect_ratio``)."""
    rows, cols = _spatial_axes(len(x.shape), data_format)
    h, w = x.shape[rows], x.shape[cols]
    th, tw = size
    ch = max(min(h, int(w * th / tw)), 1)
    cw = max(min(w, int(h * tw / th)), 1)
    return crop(x, int((h - ch) / 2), int((w - cw) / 2), ch, cw, data_format)


def aspect_pad(x: Any, size: tuple[int, int], data_format: str = "channels_last") -> Any:
    """Zero-pad ``x`` symmetrically to the aspect ratio of ``size`` (Keras's ``pad_to_aspect_ratio``
    with ``fill_value = 0``)."""
    ndim = len(x.shape)
    rows, cols = _spatial_axes(ndim, data_format)
    h, w = x.shape[rows], x.shape[cols]
    th, tw = size
    ph = int((max(h, int(w * th / tw)) - h) / 2)
    pw = int((max(w, int(h * tw / th)) - w) / 2)
    if ph == 0 and pw == 0:
        return x
    widths = [(0, 0)] * ndim
    widths[rows], widths[cols] = (ph, ph), (pw, pw)
    return pad(x, widths)

"""Image preprocessing layers (Keras 3 names, arguments and config keys): ``Resizing``,
``CenterCrop`` (always on) and the augmentations ``RandomCrop``, ``RandomContrast``,
``RandomBrightness`` (random only with ``training=True``, like the layers of
:mod:`brickwork.layers.augmentation`).

Resizing uses :func:`brickwork.functions.image.resize` (half-pixel centres, no
antialiasing); every layer here is differentiable in its input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.random import make_generator
from brickwork.engine.tensor import Tensor
from brickwork.functions import conv_utils as cu
from brickwork.functions.image import INTERPOLATIONS, aspect_crop, aspect_pad, center_crop_box, crop, resize
from brickwork.layers.layer import Layer


def _hw_axes(ndim: int, data_format: str) -> tuple[int, int]:
    return (ndim - 3, ndim - 2) if data_format == "channels_last" else (ndim - 2, ndim - 1)


class _ImageLayer(Layer):
    """Shared: the data format, a rank check (3-D image or 4-D batch) and the output shape."""

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.height, self.width = int(height), int(width)
        if self.height <= 0 or self.width <= 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': height and width must be positive; got "
                             f"{height}x{width}.")
        self.data_format = cu.normalize_data_format(data_format)

    def _check(self, shape: tuple[Any, ...]) -> tuple[int, int]:
        if len(shape) not in (3, 4):
            raise ValueError(f"{type(self).__name__} '{self.name}' expects a 3-D image or a 4-D batch of images; "
                             f"got an input of shape {tuple(shape)}.")
        rows, cols = _hw_axes(len(shape), self.data_format)
        return shape[rows], shape[cols]

    def _fit(self, x: Any) -> Any:
        """Keras's ``smart_resize``: the largest centred crop with the target's aspect ratio, resized."""
        x = aspect_crop(x, (self.height, self.width), self.data_format)
        return resize(x, (self.height, self.width), "bilinear", self.data_format)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        self._check(shape)
        rows, cols = _hw_axes(len(shape), self.data_format)
        shape[rows], shape[cols] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width, "data_format": self.data_format})
        return cfg


class Resizing(_ImageLayer):
    """Resize images to ``(height, width)``.

    Args:
        height, width: The output size.
        interpolation: ``'bilinear'`` (default), ``'nearest'`` or ``'bicubic'``.
        crop_to_aspect_ratio: First take the largest centred crop with the target aspect ratio.
        pad_to_aspect_ratio: First pad symmetrically with ``fill_value`` to the target aspect ratio.
        fill_mode: Only ``'constant'`` (as Keras).
        fill_value: The padding value of ``pad_to_aspect_ratio``.
        antialias: Only False (no antialiasing filter when downsampling).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: ``(batch, rows, cols, channels)`` or one ``(rows, cols, channels)`` image.
    Output shape: ``(batch, height, width, channels)``.
    """

    def __init__(self, height: int, width: int, interpolation: str = "bilinear", crop_to_aspect_ratio: bool = False,
                 pad_to_aspect_ratio: bool = False, fill_mode: str = "constant", fill_value: float = 0.0,
                 antialias: bool = False, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(height, width, data_format=data_format, **kwargs)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"Resizing '{self.name}': interpolation must be one of {INTERPOLATIONS}; got "
                             f"{interpolation!r}.")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(f"Resizing '{self.name}': only one of crop_to_aspect_ratio and pad_to_aspect_ratio "
                             "can be True.")
        if fill_mode != "constant":
            raise ValueError(f"Resizing '{self.name}': only fill_mode='constant' is supported; got {fill_mode!r}.")
        if antialias:
            raise NotImplementedError(f"Resizing '{self.name}': antialias=True is not implemented.")
        self.interpolation, self.fill_mode, self.fill_value = interpolation, fill_mode, float(fill_value)
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = bool(crop_to_aspect_ratio), bool(pad_to_aspect_ratio)
        self.antialias = False

    def call(self, inputs):
        self._check(tuple(inputs.shape))
        size = (self.height, self.width)
        x = inputs
        if self.crop_to_aspect_ratio:
            x = aspect_crop(x, size, self.data_format)
        elif self.pad_to_aspect_ratio:
            x = aspect_pad(x, size, self.data_format)
            if self.fill_value and x is not inputs:
                ones = np.ones(tuple(inputs.shape), x.dtype)
                x = x + (1 - aspect_pad(Tensor(ones), size, self.data_format).data) * self.fill_value
        return resize(x, size, self.interpolation, self.data_format)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                    "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                    "fill_value": self.fill_value, "antialias": self.antialias})
        return cfg


class CenterCrop(_ImageLayer):
    """Crop the central ``height × width`` window (offset rounded down), in training and inference.
    An image smaller than the target on either axis is instead cropped to the target's aspect
    ratio and resized (bilinear), as Keras does.

    Args:
        height, width: The output size.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: ``(batch, rows, cols, channels)`` or one image. Output: ``(batch, height, width, channels)``.
    """

    def call(self, inputs):
        h, w = self._check(tuple(inputs.shape))
        if h >= self.height and w >= self.width:
            top, left = center_crop_box(h, w, self.height, self.width)
            return crop(inputs, top, left, self.height, self.width, self.data_format)
        return self._fit(inputs)


class RandomCrop(_ImageLayer):
    """Crop a random ``height × width`` window (one offset per batch, as Keras) in training.
    At inference — or when the image is not larger than the target on both axes — the
    largest centred crop with the target aspect ratio, resized to the target (Keras).

    Args:
        height, width: The output size.
        seed: Seed of the layer's own generator (None: the global one).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: ``(batch, rows, cols, channels)`` or one image. Output: ``(batch, height, width, channels)``.
    """

    def __init__(self, height: int, width: int, seed: int | None = None, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(height, width, data_format=data_format, **kwargs)
        self.seed = seed
        self._rng = make_generator(seed) if seed is not None else None

    def call(self, inputs, training=False):
        h, w = self._check(tuple(inputs.shape))
        if training and h > self.height and w > self.width:
            rng = self._rng or make_generator(None)
            top = int(rng.integers(0, h - self.height + 1))
            left = int(rng.integers(0, w - self.width + 1))
            return crop(inputs, top, left, self.height, self.width, self.data_format)
        x = aspect_crop(inputs, (self.height, self.width), self.data_format)
        if tuple(x.shape[a] for a in _hw_axes(len(x.shape), self.data_format)) == (self.height, self.width):
            return x
        return resize(x, (self.height, self.width), "bilinear", self.data_format)

    def get_config(self):
        cfg = super().get_config()
        cfg["seed"] = self.seed
        return cfg


def _factor_pair(factor: Any, bounds: tuple[float, float], name: str) -> tuple[float, float]:
    """Keras's factor rule: a number ``f`` is ``(max(-|f|, low), |f|)``; a pair is sorted."""
    message = f"{name}: factor must be a number or a pair of numbers in [{bounds[0]}, {bounds[1]}]; got {factor!r}."
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if not bounds[0] <= factor <= bounds[1]:
            raise ValueError(message)
        return max(-abs(float(factor)), bounds[0]), abs(float(factor))
    if isinstance(factor, (tuple, list)) and len(factor) == 2:
        if factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        low, high = sorted(float(f) for f in factor)
        return low, high
    raise ValueError(message)


class _ColorLayer(Layer):
    """Per-image random colour adjustments in training; the identity at inference."""

    bounds = (-1.0, 1.0)

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factor = _factor_pair(factor, self.bounds, f"{type(self).__name__} '{self.name}'")
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': value_range must be (low, high); got "
                             f"{value_range!r}.")
        self.value_range = tuple(sorted(float(v) for v in value_range))
        self.seed = seed
        self.data_format = cu.normalize_data_format(data_format)
        self._rng = make_generator(seed) if seed is not None else None

    def _draw(self, shape: tuple[int, ...], low: float, high: float) -> np.ndarray:
        """One uniform draw per image, shaped to broadcast over ``shape``."""
        if len(shape) not in (3, 4):
            raise ValueError(f"{type(self).__name__} '{self.name}' expects a 3-D image or a 4-D batch of images; "
                             f"got an input of shape {tuple(shape)}.")
        n = shape[0] if len(shape) == 4 else 1
        draw = (self._rng or make_generator(None)).uniform(low, high, size=n)
        return draw.reshape((n, 1, 1, 1) if len(shape) == 4 else (1, 1, 1))

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return F.clip(self.adjust(inputs), *self.value_range)

    def adjust(self, x: Any) -> Any:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": list(self.factor), "value_range": list(self.value_range), "seed": self.seed,
                    "data_format": self.data_format})
        return cfg


class RandomContrast(_ColorLayer):
    r"""Scale each image's deviation from its per-channel mean by a random factor (training only):
    :math:`y = \mathrm{clip}((x - \bar x)\,c + \bar x)` with :math:`\bar x` the mean over height and
    width and :math:`c \sim U(1 - f_{lo}, 1 + f_{hi})` per image.

    Args:
        factor: A number ``f`` in [0, 1] or a pair ``(lower, upper)``. As in Keras 3, a single number
            becomes ``(0, f)``, so it only raises the contrast; pass ``(f, f)`` for :math:`U(1-f, 1+f)`.
        value_range: The ``(low, high)`` range of the pixels; outputs are clipped to it (default (0, 255)).
        seed: Seed of the layer's own generator.

    Input shape: ``(batch, rows, cols, channels)`` or one image. Output shape: the input's.
    """

    bounds = (0.0, 1.0)

    def adjust(self, x):
        rows, cols = _hw_axes(len(x.shape), self.data_format)
        c = self._draw(tuple(x.shape), 1.0 - self.factor[0], 1.0 + self.factor[1]).astype(x.dtype)
        mean = F.mean(x, axis=(rows, cols), keepdims=True)
        return (x - mean) * c + mean


class RandomBrightness(_ColorLayer):
    r"""Add a random offset to each image (training only):
    :math:`y = \mathrm{clip}(x + \delta (v_{hi} - v_{lo}))` with :math:`\delta \sim U(f_{lo}, f_{hi})` per image.

    Args:
        factor: A number ``f`` in [-1, 1] (:math:`\delta \in [-|f|, |f|]`) or a pair ``(lower, upper)``.
        value_range: The ``(low, high)`` range of the pixels (default (0, 255)); outputs are clipped to it.
        seed: Seed of the layer's own generator.

    Input shape: ``(batch, rows, cols, channels)`` or one image. Output shape: the input's.
    """

    def adjust(self, x):
        delta = self._draw(tuple(x.shape), *self.factor) * (self.value_range[1] - self.value_range[0])
        return x + delta.astype(x.dtype)

"""Image data augmentation (seeds 001/002 list it as a regulariser): random
flips, translations, rotations and zooms drawn afresh for every image of every
training batch, and the identity at inference — Keras's preprocessing layers.
Also ``Rescaling``."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.random import make_generator
from brickwork.engine.tensor import Tensor
from brickwork.functions import conv_utils as cu
from brickwork.functions.resample import resample
from brickwork.layers.layer import Layer


def _range(factor: Any, name: str) -> tuple[float, float]:
    """Keras's factor forms: ``f`` means ``(-f, f)``; a pair is ``(lower, upper)``."""
    if isinstance(factor, (int, float)):
        low, high = -abs(float(factor)), abs(float(factor))
    else:
        low, high = (float(v) for v in factor)
    if low > high:
        raise ValueError(f"`{name}` must be a float or (lower, upper) with lower <= upper; got {factor!r}.")
    return low, high


class _RandomImageLayer(Layer):
    """Base: draws one transformation per image in training; passes data through otherwise."""

    def __init__(self, seed: int | None = None, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.data_format = cu.normalize_data_format(data_format)
        self._rng = make_generator(seed) if seed is not None else None

    def rng(self) -> np.random.Generator:
        return self._rng or make_generator(None)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        x = cu.to_channels_last(inputs, self.data_format)
        single = x.ndim == 3
        if single:
            x = F.expand_dims(x, 0)
        y = self.transform(x)
        if single:
            y = F.squeeze(y, 0)
        return cu.from_channels_last(y, self.data_format)

    def transform(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"seed": self.seed, "data_format": self.data_format})
        return cfg


class _AffineLayer(_RandomImageLayer):
    """Samples each output pixel at an affine image of its coordinates."""

    def __init__(self, fill_mode: str = "reflect", interpolation: str = "bilinear", fill_value: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if fill_mode not in ("reflect", "wrap", "nearest", "constant"):
            raise ValueError(f"{type(self).__name__}: unknown fill_mode {fill_mode!r}.")
        if interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"{type(self).__name__}: unknown interpolation {interpolation!r}.")
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def source_coordinates(self, n: int, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def transform(self, x):
        n, h, w, _ = x.shape
        rows, cols = self.source_coordinates(n, h, w)
        return resample(x, rows, cols, self.interpolation, self.fill_mode, self.fill_value)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"fill_mode": self.fill_mode, "interpolation": self.interpolation, "fill_value": self.fill_value})
        return cfg


def _grid(n: int, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    r, c = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    return np.broadcast_to(r, (n, h, w)), np.broadcast_to(c, (n, h, w))


class RandomFlip(_RandomImageLayer):
    """Flips each image left-right and/or up-down with probability 1/2.

    Args:
        mode: ``'horizontal'``, ``'vertical'`` or ``'horizontal_and_vertical'`` (default).
        seed: Seed of the layer's own generator.

    Active only with ``training=True``. Input ``(batch, height, width, channels)``.
    """

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip: unknown mode {mode!r}.")
        self.mode = mode

    def transform(self, x):
        n = x.shape[0]
        rng = self.rng()
        if "horizontal" in self.mode:
            flip = (rng.random(n) < 0.5)[:, None, None, None]
            x = F.where(flip, x[:, :, ::-1, :], x)
        if "vertical" in self.mode:
            flip = (rng.random(n) < 0.5)[:, None, None, None]
            x = F.where(flip, x[:, ::-1, :, :], x)
        return x

    def get_config(self):
        cfg = super().get_config()
        cfg["mode"] = self.mode
        return cfg


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random fraction of its height and width.

    Args:
        height_factor, width_factor: ``f`` (shift in ``[-f, f]`` of the size) or ``(lower, upper)``.
        fill_mode: ``'reflect'`` (default), ``'wrap'``, ``'nearest'`` or ``'constant'``.
        interpolation: ``'bilinear'`` (default) or ``'nearest'``.
        fill_value: Value outside the image with ``fill_mode='constant'``.
    """

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None, fill_value: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, fill_value=fill_value, seed=seed,
                         **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._h, self._w = _range(height_factor, "height_factor"), _range(width_factor, "width_factor")

    def source_coordinates(self, n, h, w):
        rng = self.rng()
        dy = rng.uniform(*self._h, size=n) * h
        dx = rng.uniform(*self._w, size=n) * w
        rows, cols = _grid(n, h, w)
        return rows - dy[:, None, None], cols - dx[:, None, None]

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return cfg


class RandomRotation(_AffineLayer):
    r"""Rotates each image about its centre by a random angle of ``factor`` × 2π
    (positive angles turn counter-clockwise).

    Args:
        factor: ``f`` (angle in ``[-f·2π, f·2π]``) or ``(lower, upper)``.
        fill_mode, interpolation, fill_value, seed: as :class:`RandomTranslation`.
    """

    def __init__(self, factor: Any, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, fill_value=fill_value, seed=seed,
                         **kwargs)
        self.factor = factor
        self._range = _range(factor, "factor")

    def source_coordinates(self, n, h, w):
        theta = self.rng().uniform(*self._range, size=n) * 2 * np.pi
        rows, cols = _grid(n, h, w)
        cy, cx = (h - 1) / 2, (w - 1) / 2
        y, x = rows - cy, cols - cx
        cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
        # rows point down, so a counter-clockwise turn on screen shows at output (y, x) the input at
        # (y cos + x sin, -y sin + x cos) about the centre
        return cy + cos * y + sin * x, cx - sin * y + cos * x

    def get_config(self):
        cfg = super().get_config()
        cfg["factor"] = self.factor
        return cfg


class RandomZoom(_AffineLayer):
    """Zooms each image by a random factor: negative factors zoom in, positive zoom out.

    Args:
        height_factor: ``f`` or ``(lower, upper)``; the height is scaled by ``1 + u``.
        width_factor: Same for the width; ``None`` keeps the aspect ratio.
        fill_mode, interpolation, fill_value, seed: as :class:`RandomTranslation`.
    """

    def __init__(self, height_factor: Any, width_factor: Any = None, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None, fill_value: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, fill_value=fill_value, seed=seed,
                         **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._h = _range(height_factor, "height_factor")
        self._w = None if width_factor is None else _range(width_factor, "width_factor")

    def source_coordinates(self, n, h, w):
        rng = self.rng()
        zy = 1 + rng.uniform(*self._h, size=n)
        zx = zy if self._w is None else 1 + rng.uniform(*self._w, size=n)
        rows, cols = _grid(n, h, w)
        cy, cx = (h - 1) / 2, (w - 1) / 2
        return cy + (rows - cy) * zy[:, None, None], cx + (cols - cx) * zx[:, None, None]

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return cfg


class Rescaling(Layer):
    """``y = x * scale + offset`` (e.g. ``Rescaling(1/255)``), in training and inference."""

    def __init__(self, scale: float, offset: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale, self.offset = float(scale), float(offset)
        self.supports_masking = True

    def call(self, inputs):
        return inputs * self.scale + self.offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"scale": self.scale, "offset": self.offset})
        return cfg

"""Input augmentations for the consistency methods: random image shifts (the translations Laine & Aila
and Tarvainen & Valpola use on CIFAR-10/SVHN, scaled to small images).

An augmentation is any callable ``augmentation(x, rng) -> x'`` on a NumPy batch, with ``rng`` a
:class:`numpy.random.Generator`; the wrappers' ``augmentation=`` argument takes one and applies it to
every training pass before the Gaussian noise (``noise_std``).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class RandomShift:
    """Shift each image of a batch by its own random whole number of pixels, filling the edge with ``fill``.

    ``x`` is a batch of images, either flat ``(batch, H*W*C)`` rows (as scikit-learn's 8x8 digits come)
    or ``(batch, H, W[, C])``; each sample gets offsets ``(dy, dx)`` drawn uniformly from
    ``{-max_shift, ..., max_shift}``, so ``out[i, r, c] = x[i, r - dy, c - dx]`` where that pixel exists
    and ``fill`` elsewhere.

    Args:
        image_shape: ``(H, W)`` or ``(H, W, C)`` of one image.
        max_shift: The largest shift, in pixels, along each axis.
        fill: The value of the pixels shifted in from outside the image.
    """

    def __init__(self, image_shape: tuple[int, ...], max_shift: int = 1, fill: float = 0.0) -> None:
        shape = tuple(int(s) for s in image_shape)
        if len(shape) not in (2, 3) or min(shape) < 1:
            raise ValueError(f"RandomShift: image_shape must be (H, W) or (H, W, C); got {image_shape!r}.")
        if not (isinstance(max_shift, (int, np.integer)) and 0 <= max_shift < min(shape[:2])):
            raise ValueError(f"RandomShift: max_shift must be an int in [0, {min(shape[:2])}); got {max_shift!r}.")
        self.image_shape = shape
        self.max_shift = int(max_shift)
        self.fill = float(fill)

    def __call__(self, x: Any, rng: np.random.Generator) -> np.ndarray:
        """The shifted batch, in the shape and dtype of ``x``."""
        arr = np.asarray(x)
        h, w = self.image_shape[:2]
        channels = self.image_shape[2] if len(self.image_shape) == 3 else 1
        n = arr.shape[0]
        if arr.size != n * h * w * channels:
            raise ValueError(f"RandomShift: a batch of shape {arr.shape} does not hold images of shape "
                             f"{self.image_shape}.")
        if self.max_shift == 0:
            return arr
        m = self.max_shift
        images = arr.reshape(n, h, w, channels)
        padded = np.full((n, h + 2 * m, w + 2 * m, channels), self.fill, dtype=arr.dtype)
        padded[:, m:m + h, m:m + w] = images
        dy = rng.integers(-m, m + 1, n)
        dx = rng.integers(-m, m + 1, n)
        rows = (np.arange(h)[None, :] + m - dy[:, None])[:, :, None]      # (n, h, 1)
        cols = (np.arange(w)[None, :] + m - dx[:, None])[:, None, :]      # (n, 1, w)
        out = padded[np.arange(n)[:, None, None], rows, cols]             # (n, h, w, channels)
        return out.reshape(arr.shape)

    def __repr__(self) -> str:
        return f"RandomShift(image_shape={self.image_shape}, max_shift={self.max_shift}, fill={self.fill})"

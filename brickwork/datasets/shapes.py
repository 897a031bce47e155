"""Generated images of shapes with known masks, for segmentation.

:func:`segmentation_shapes` draws a few random shapes (discs, rectangles, triangles) per image, lays them
on an illumination gradient of random direction and strength, scales their contrast at random (brighter or
darker than the background) and adds Gaussian noise. The mask is exactly the union of the drawn shapes,
so a segmenter can be scored against the truth; the gradient and the random contrast are what defeat a
single global threshold (Otsu's).

With scikit-image installed the shape outlines come from ``skimage.draw.random_shapes``; without it (or with
``engine="numpy"``) brickwork's own discs, rectangles and triangles are drawn. Everything is driven by one
``numpy.random.Generator`` seeded with ``seed``, so a seed gives the same images every time.
"""

from __future__ import annotations

import importlib.util

import numpy as np

ENGINES = ("auto", "skimage", "numpy")


def _numpy_shape_mask(rng: np.random.Generator, size: int, min_size: int, max_size: int) -> np.ndarray:
    """One random disc, axis-aligned rectangle or triangle as a boolean ``(size, size)`` mask."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    extent = rng.uniform(min_size, max_size)
    cy, cx = rng.uniform(extent / 2, size - extent / 2, size=2)
    kind = rng.integers(3)
    if kind == 0:  # disc of diameter `extent`
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= (extent / 2) ** 2
    if kind == 1:  # rectangle with sides in [extent/2, extent]
        h, w = extent * rng.uniform(0.5, 1.0, size=2)
        return (np.abs(yy - cy) <= h / 2) & (np.abs(xx - cx) <= w / 2)
    # triangle: three vertices on a circle of radius extent/2 at random angles (kept apart by ≥ 60°)
    base = rng.uniform(0, 2 * np.pi)
    angles = base + np.array([0.0, 2 * np.pi / 3, 4 * np.pi / 3]) + rng.uniform(-0.5, 0.5, size=3)
    vy, vx = cy + extent / 2 * np.sin(angles), cx + extent / 2 * np.cos(angles)
    inside = np.ones((size, size), dtype=bool)
    sign = np.sign((vx[1] - vx[0]) * (vy[2] - vy[0]) - (vy[1] - vy[0]) * (vx[2] - vx[0]))
    for a in range(3):
        b = (a + 1) % 3
        cross = (vx[b] - vx[a]) * (yy - vy[a]) - (vy[b] - vy[a]) * (xx - vx[a])
        inside &= sign * cross >= 0
    return inside


def _skimage_masks(rng: np.random.Generator, size: int, n_shapes: int, min_size: int,
                   max_size: int) -> list[np.ndarray]:
    from skimage.draw import random_shapes

    # a background of 255 and shape intensities 0..254: every pixel below 255 is a shape pixel
    image, labels = random_shapes((size, size), max_shapes=n_shapes, min_shapes=n_shapes, min_size=min_size,
                                  max_size=max_size, num_channels=1, intensity_range=(0, 254),
                                  allow_overlap=True, rng=rng, channel_axis=None)
    masks = []
    for _, ((r0, r1), (c0, c1)) in labels:
        box = np.zeros((size, size), dtype=bool)
        box[r0:r1, c0:c1] = True
        masks.append(box & (image < 255))
    return masks or [image < 255]


def segmentation_shapes(n: int, size: int = 64, seed: int = 0, max_shapes: int = 3, min_size: int | None = None,
                        max_size: int | None = None, gradient: tuple[float, float] = (0.3, 0.5),
                        contrast: tuple[float, float] = (0.12, 0.25), noise: tuple[float, float] = (0.03, 0.08),
                        engine: str = "auto", dtype: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    """``n`` grey images of random shapes with their binary masks.

    Each image is ``background + contrast · shape_mask · texture + noise``, clipped to [0, 1], where

    * ``background(y, x) = offset + g · ((y, x) · d)`` is a linear illumination ramp along a random unit
      direction ``d`` whose total rise ``g`` is drawn from ``gradient`` across the image;
    * ``contrast`` is drawn from the given range and given a random sign per image (shapes brighter or darker
      than their surroundings), and each shape gets its own brightness factor in [0.8, 1.2];
    * the noise is Gaussian with a standard deviation drawn from ``noise`` per image.

    Args:
        n: number of images.
        size: image height and width in pixels.
        seed: seed of the generator (same seed, same images).
        max_shapes: each image holds between 1 and ``max_shapes`` shapes (they may overlap).
        min_size, max_size: shape extents in pixels (default ``size // 6`` and ``size // 2``).
        gradient, contrast, noise: ``(low, high)`` ranges described above.
        engine: ``"skimage"`` (``skimage.draw.random_shapes``), ``"numpy"`` (brickwork's own shapes) or
            ``"auto"`` (scikit-image when installed).
        dtype: dtype of the images.

    Returns:
        ``(images, masks)``, both ``(n, size, size, 1)``: images in [0, 1], masks of 0.0 / 1.0 (float32)
        marking the pixels covered by a shape.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"segmentation_shapes: n must be a positive integer, got {n!r}.")
    if not isinstance(size, (int, np.integer)) or size < 8:
        raise ValueError(f"segmentation_shapes: size must be an integer ≥ 8, got {size!r}.")
    if not isinstance(max_shapes, (int, np.integer)) or max_shapes < 1:
        raise ValueError(f"segmentation_shapes: max_shapes must be a positive integer, got {max_shapes!r}.")
    if engine not in ENGINES:
        raise ValueError(f"segmentation_shapes: engine must be one of {ENGINES}, got {engine!r}.")
    for name, rng_range in (("gradient", gradient), ("contrast", contrast), ("noise", noise)):
        if len(rng_range) != 2 or rng_range[0] > rng_range[1] or rng_range[0] < 0:
            raise ValueError(f"segmentation_shapes: {name} must be a (low, high) pair with 0 ≤ low ≤ high, "
                             f"got {rng_range!r}.")
    min_size = max(2, size // 6) if min_size is None else int(min_size)
    max_size = max(min_size + 1, size // 2) if max_size is None else int(max_size)
    if not 2 <= min_size < max_size <= size:
        raise ValueError(f"segmentation_shapes: need 2 ≤ min_size < max_size ≤ size, got min_size={min_size}, "
                         f"max_size={max_size}, size={size}.")
    if engine == "skimage" and importlib.util.find_spec("skimage") is None:
        raise ImportError("segmentation_shapes: engine='skimage' needs scikit-image (pip install scikit-image); "
                          "use engine='numpy' for brickwork's own shapes.")
    use_skimage = engine == "skimage" or (engine == "auto" and importlib.util.find_spec("skimage") is not None)

    rng = np.random.default_rng(seed)
    images = np.empty((n, size, size, 1), dtype=dtype)
    masks = np.empty((n, size, size, 1), dtype=np.float32)
    coords = (np.mgrid[0:size, 0:size].astype(np.float64) + 0.5) / size - 0.5  # (2, size, size) in [-0.5, 0.5]
    for k in range(n):
        n_shapes = int(rng.integers(1, max_shapes + 1))
        if use_skimage:
            shape_masks = _skimage_masks(rng, size, n_shapes, min_size, max_size)
        else:
            shape_masks = [_numpy_shape_mask(rng, size, min_size, max_size) for _ in range(n_shapes)]
        angle = rng.uniform(0, 2 * np.pi)
        ramp = np.cos(angle) * coords[0] + np.sin(angle) * coords[1]
        rise = rng.uniform(*gradient)
        c = rng.uniform(*contrast) * rng.choice([-1.0, 1.0])
        sigma = rng.uniform(*noise)
        background = 0.5 + rise * ramp / max(np.ptp(ramp), 1e-12)
        foreground = np.zeros((size, size))
        union = np.zeros((size, size), dtype=bool)
        for m in shape_masks:
            foreground[m] = c * rng.uniform(0.8, 1.2)
            union |= m
        image = background + foreground + rng.normal(0.0, sigma, (size, size))
        images[k, ..., 0] = np.clip(image, 0.0, 1.0)
        masks[k, ..., 0] = union
    return images, masks

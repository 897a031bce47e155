"""Inverted dropout."""

from __future__ import annotations

import numpy as np

from brickwork.backend import get_array_module
from brickwork.engine.function import Function
from brickwork.engine.random import generator


class Dropout(Function):
    r"""Inverted dropout (Srivastava et al. 2014) with rate :math:`p`.

    .. math:: y = x \odot m / (1 - p), \qquad m_i \sim \mathrm{Bernoulli}(1 - p),
              \qquad \bar x = \bar y \odot m / (1 - p)

    Scaling during training keeps :math:`\mathbb E[y] = x`, so inference is the
    identity. ``noise_shape`` (Keras) lets one mask be shared along axes of
    length 1 (e.g. the same units dropped at every time step).
    """

    def __init__(self, rate, noise_shape=None, rng=None):
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout rate must be in [0, 1); got {rate}.")
        self.rate, self.noise_shape, self.rng = rate, noise_shape, rng

    def forward(self, x):
        rng = self.rng or generator()
        shape = x.shape if self.noise_shape is None else tuple(
            x.shape[i] if n is None else n for i, n in enumerate(self.noise_shape))
        keep = rng.random(shape, dtype=np.float64 if x.dtype == np.float64 else np.float32) >= self.rate
        if type(x) is not np.ndarray:  # the mask is drawn on the host from brickwork's seeded generator
            keep = get_array_module(x).asarray(keep)
        self.mask = keep * x.dtype.type(1.0 / (1.0 - self.rate))
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask


def dropout(x, rate, training=True, noise_shape=None, rng=None):
    """Inverted dropout when ``training`` (identity otherwise)."""
    if not training or rate == 0:
        return x
    return Dropout(rate, noise_shape, rng)(x)

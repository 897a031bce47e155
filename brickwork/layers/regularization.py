"""Regularisation layers active only in training: Dropout, GaussianNoise,
GaussianDropout, ActivityRegularization."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.random import make_generator
from brickwork.engine.tensor import Tensor
from brickwork.layers import validation as check
from brickwork.layers.layer import Layer


class Dropout(Layer):
    r"""Sets a fraction ``rate`` of inputs to 0 during training and scales the
    rest by :math:`1/(1-\text{rate})`; the identity at inference.

    Args:
        rate: Fraction of the units to drop, in [0, 1).
        noise_shape: Shape of the binary mask (``None`` entries follow the
            input), e.g. ``(batch, 1, features)`` to drop the same features at
            every time step.
        seed: Seed of the layer's own generator (default: the global one).

    Input shape: any. Output shape: same as input.
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate, self.noise_shape, self.seed = check.rate(self, "rate", rate), noise_shape, seed
        self._rng = make_generator(seed) if seed is not None else None
        self.supports_masking = True

    def call(self, inputs, training=False):
        return F.dropout(inputs, self.rate, training=training, noise_shape=self.noise_shape, rng=self._rng)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return cfg


class GaussianNoise(Layer):
    r"""Adds :math:`\mathcal N(0, \text{stddev}^2)` noise in training (a regulariser,
    and a form of data augmentation); the identity at inference.

    Input shape: any. Output shape: same as input.
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stddev, self.seed = float(stddev), seed
        self._rng = make_generator(seed) if seed is not None else None
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        rng = self._rng or make_generator(None)
        noise = rng.standard_normal(inputs.shape).astype(inputs.dtype) * inputs.dtype.type(self.stddev)
        return inputs + Tensor(noise)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"stddev": self.stddev, "seed": self.seed})
        return cfg


class GaussianDropout(Layer):
    r"""Multiplies by :math:`\mathcal N(1, \text{rate}/(1-\text{rate}))` noise in training."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate, self.seed = check.rate(self, "rate", rate), seed
        self._rng = make_generator(seed) if seed is not None else None
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        rng = self._rng or make_generator(None)
        std = np.sqrt(self.rate / (1 - self.rate))
        noise = (1 + std * rng.standard_normal(inputs.shape)).astype(inputs.dtype)
        return inputs * Tensor(noise)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "seed": self.seed})
        return cfg


class ActivityRegularization(Layer):
    r"""Adds :math:`\ell_1\sum|x| + \ell_2\sum x^2` of its input to the loss; passes the input through."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:  # noqa: E741
        from brickwork.regularizers import L1L2

        super().__init__(activity_regularizer=L1L2(l1, l2), **kwargs)
        self.l1, self.l2 = l1, l2
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("activity_regularizer", None)
        cfg.update({"l1": self.l1, "l2": self.l2})
        return cfg


class SpatialDropout1D(Dropout):
    """Drops whole feature channels of a ``(batch, steps, channels)`` input
    (the same channels at every step), scaling the rest by ``1/(1-rate)``."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(rate, seed=seed, **kwargs)

    def call(self, inputs, training=False):
        noise = (inputs.shape[0], 1, inputs.shape[2])
        return F.dropout(inputs, self.rate, training=training, noise_shape=noise, rng=self._rng)

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("noise_shape")
        cfg.pop("trainable", None)  # Keras's spatial dropouts take no `trainable` argument (nothing to train)
        return cfg


class SpatialDropout2D(SpatialDropout1D):
    """Drops whole feature maps of a 4-D input (channels last, or ``data_format='channels_first'``)."""

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs: Any) -> None:
        from brickwork.functions.conv_utils import normalize_data_format

        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = normalize_data_format(data_format)

    def call(self, inputs, training=False):
        n = inputs.shape
        noise = (n[0], n[1], 1, 1) if self.data_format == "channels_first" else (n[0], 1, 1, n[3])
        return F.dropout(inputs, self.rate, training=training, noise_shape=noise, rng=self._rng)

    def get_config(self):
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg

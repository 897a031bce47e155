"""Weight initializers with Keras 3 names, arguments and defaults.

The variance-scaling family (seed 002) keeps the variance of activations
constant from layer to layer: Glorot/Xavier uses :math:`\\sigma^2 = 2/(n_{in}+n_{out})`
(``fan_avg``), He/Kaiming :math:`\\sigma^2 = 2/n_{in}` (for ReLU) and LeCun
:math:`\\sigma^2 = 1/n_{in}`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brickwork.engine.random import make_generator
from brickwork.utils.registry import Catalog


def compute_fans(shape: tuple[int, ...]) -> tuple[float, float]:
    """Keras's fan-in/fan-out: a kernel ``(..., in, out)`` has receptive field ``prod(...)``."""
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = float(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: ``init(shape, dtype) -> ndarray``."""

    def __call__(self, shape: tuple[int, ...], dtype: Any = "float32") -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        return cls(**config)


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype="float32"):
        return np.zeros(shape, dtype)


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype="float32"):
        return np.ones(shape, dtype)


class Constant(Initializer):
    """All equal to ``value``."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self, shape, dtype="float32"):
        return np.full(shape, self.value, dtype)

    def get_config(self):
        return {"value": self.value}


class _Seeded(Initializer):
    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed

    def _rng(self) -> np.random.Generator:
        return make_generator(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def _truncated_normal(rng: np.random.Generator, shape: tuple[int, ...], mean: float, stddev: float) -> np.ndarray:
    """Normal samples redrawn until all lie within two standard deviations."""
    values = rng.standard_normal(shape)
    bad = np.abs(values) > 2
    while bad.any():
        values[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(values) > 2
    return mean + stddev * values


class RandomNormal(_Seeded):
    """:math:`\\mathcal N(\\text{mean}, \\text{stddev}^2)`."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype="float32"):
        return (self.mean + self.stddev * self._rng().standard_normal(shape)).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Seeded):
    """:math:`\\mathcal U(\\text{minval}, \\text{maxval})`."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype="float32"):
        return self._rng().uniform(self.minval, self.maxval, shape).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(_Seeded):
    """Normal truncated to two standard deviations around the mean."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype="float32"):
        return _truncated_normal(self._rng(), shape, self.mean, self.stddev).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(_Seeded):
    r"""Samples with variance :math:`\text{scale}/n`, :math:`n` the fan given by ``mode``.

    ``distribution='truncated_normal'`` divides the standard deviation by
    0.8796 (the standard deviation of a unit normal truncated at ±2) so that the
    truncated samples still have variance :math:`\text{scale}/n`;
    ``'uniform'`` draws from :math:`\pm\sqrt{3\,\text{scale}/n}`.
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: int | None = None) -> None:
        super().__init__(seed)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid mode {mode!r} for VarianceScaling: expected fan_in, fan_out or fan_avg.")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform", "normal"):
            raise ValueError(f"Invalid distribution {distribution!r} for VarianceScaling.")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype="float32"):
        fan_in, fan_out = compute_fans(tuple(shape))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution in ("truncated_normal", "normal"):
            values = _truncated_normal(rng, shape, 0.0, math.sqrt(variance) / 0.87962566103423978)
        elif self.distribution == "untruncated_normal":
            values = math.sqrt(variance) * rng.standard_normal(shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


def _variance_scaling(name: str, scale: float, mode: str, distribution: str, doc: str) -> type:
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config, "__doc__": doc,
                                           "__module__": __name__})


GlorotNormal = _variance_scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                                 "Xavier normal: truncated normal, variance 2/(fan_in + fan_out).")
GlorotUniform = _variance_scaling("GlorotUniform", 1.0, "fan_avg", "uniform",
                                  "Xavier uniform: U(±sqrt(6/(fan_in + fan_out))). Keras's default kernel initializer.")
HeNormal = _variance_scaling("HeNormal", 2.0, "fan_in", "truncated_normal",
                             "Kaiming normal: truncated normal, variance 2/fan_in (for ReLU).")
HeUniform = _variance_scaling("HeUniform", 2.0, "fan_in", "uniform", "Kaiming uniform: U(±sqrt(6/fan_in)).")
LecunNormal = _variance_scaling("LecunNormal", 1.0, "fan_in", "truncated_normal",
                                "LeCun normal: truncated normal, variance 1/fan_in (for SELU).")
LecunUniform = _variance_scaling("LecunUniform", 1.0, "fan_in", "uniform", "LeCun uniform: U(±sqrt(3/fan_in)).")


class Orthogonal(_Seeded):
    """A (semi-)orthogonal matrix from the QR decomposition of a normal matrix, times ``gain``.

    Shapes of rank > 2 are flattened to ``(prod(shape[:-1]), shape[-1])``.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype="float32"):
        if len(shape) < 2:
            raise ValueError(f"The Orthogonal initializer needs a shape of rank ≥ 2; got {shape}.")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # make the decomposition unique
        if rows < cols:
            q = q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).astype(dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes)."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape, dtype="float32"):
        if len(shape) != 2:
            raise ValueError(f"The Identity initializer needs a 2-D shape; got {shape}.")
        return (self.gain * np.eye(*shape)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain}


_ALIASES = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_normal": GlorotNormal, "glorot_uniform": GlorotUniform,
    "xavier_normal": GlorotNormal, "xavier_uniform": GlorotUniform, "he_normal": HeNormal,
    "he_uniform": HeUniform, "kaiming_normal": HeNormal, "kaiming_uniform": HeUniform,
    "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform, "orthogonal": Orthogonal,
    "identity": Identity,
}
_CLASSES = {cls.__name__: cls for cls in set(_ALIASES.values())}

zeros, ones, constant = Zeros, Ones, Constant
glorot_normal, glorot_uniform, he_normal, he_uniform = GlorotNormal, GlorotUniform, HeNormal, HeUniform
lecun_normal, lecun_uniform, orthogonal = LecunNormal, LecunUniform, Orthogonal
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal


_CATALOG = Catalog("initializer", Initializer, _ALIASES, _CLASSES, default=Zeros)
get, serialize, deserialize = _CATALOG.get, _CATALOG.serialize, _CATALOG.deserialize

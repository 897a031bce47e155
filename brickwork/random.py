"""``brickwork.random``: Keras 3's ``keras.random`` on NumPy generators.

Every op takes ``seed``: ``None`` draws from brickwork's global generator (so
:func:`brickwork.set_seed` makes a run repeat), an ``int`` gives the same
result on every call, and a :class:`SeedGenerator` gives a new but
reproducible result on each call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine import random as engine_random
from brickwork.engine.config import floatx
from brickwork.engine.tensor import Tensor


class SeedGenerator:
    """A stateful source of seeds (Keras's ``keras.random.SeedGenerator``).

    Args:
        seed: An int for a reproducible stream, or None to start from a seed
            drawn from brickwork's global generator.

    Each random op given this object draws from its own generator, so
    successive calls differ while two generators built with the same ``seed``
    produce the same sequence.
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        if seed is None:
            seed = int(engine_random.generator().integers(0, 2**31 - 1))
        if not isinstance(seed, (int, np.integer)):
            raise ValueError(f"SeedGenerator: seed must be an int or None; got {seed!r}.")
        self.initial_seed = int(seed)
        self.name = name
        self._rng = np.random.default_rng(self.initial_seed)

    def next(self, ordered: bool = True) -> np.random.Generator:
        """The generator the next random op draws from."""
        return self._rng

    def get_state(self) -> dict[str, Any]:
        """The exact position in this generator's stream (JSON-able), for an exact resume."""
        return engine_random.generator_state(self._rng)

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue the stream from a :meth:`get_state` snapshot."""
        engine_random.set_generator_state(self._rng, state)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.initial_seed}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        return cls(**config)


def draw_generator(seed: Any) -> np.random.Generator:
    """The NumPy generator for a Keras ``seed`` argument (None, int or SeedGenerator)."""
    if seed is None:
        return engine_random.generator()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise ValueError(f"seed must be None, an int or a SeedGenerator; got {seed!r}.")


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def _float(dtype: Any) -> np.dtype:
    d = np.dtype(str(getattr(dtype, "name", dtype)) if dtype is not None else floatx())
    if d.kind != "f":
        raise ValueError(f"expected a float dtype; got {dtype!r}.")
    return d


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Samples from :math:`\\mathcal N(\\text{mean}, \\text{stddev}^2)`."""
    rng = draw_generator(seed)
    return Tensor(rng.normal(_raw(mean), _raw(stddev), _shape(shape)).astype(_float(dtype)))


def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Samples from the uniform distribution on :math:`[\\text{minval}, \\text{maxval})`."""
    rng = draw_generator(seed)
    d = _float(dtype)
    out = rng.uniform(_raw(minval), _raw(maxval), _shape(shape)).astype(d)
    return Tensor(np.minimum(out, np.nextafter(d.type(_raw(maxval)), d.type(_raw(minval)))).astype(d))


def randint(shape: Any, minval: int, maxval: int, dtype: Any = "int32", seed: Any = None) -> Tensor:
    """Integers drawn uniformly from :math:`[\\text{minval}, \\text{maxval})`."""
    if int(maxval) <= int(minval):
        raise ValueError(f"randint: maxval={maxval} must be larger than minval={minval}.")
    rng = draw_generator(seed)
    return Tensor(rng.integers(int(minval), int(maxval), _shape(shape)).astype(str(dtype)))


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
                     seed: Any = None) -> Tensor:
    """Normal samples redrawn until within two standard deviations of the mean."""
    rng = draw_generator(seed)
    shape = _shape(shape)
    z = rng.standard_normal(shape)
    bad = np.abs(z) > 2
    while bad.any():
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2
    return Tensor((_raw(mean) + _raw(stddev) * z).astype(_float(dtype)))


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> Tensor:
    """Inverted dropout: zero each element with probability ``rate`` and scale the rest by
    ``1 / (1 - rate)`` (differentiable; ``noise_shape`` shares the mask along length-1 axes)."""
    x = inputs if isinstance(inputs, Tensor) else Tensor(inputs)
    if x.dtype.kind != "f":
        x = Tensor(x.data.astype(floatx()))
    return F.dropout(x, rate, True, None if noise_shape is None else tuple(noise_shape), draw_generator(seed))


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Tensor:
    """A random permutation along ``axis`` (differentiable: a gather)."""
    from brickwork.functions.indexing import take

    t = x if isinstance(x, Tensor) else Tensor(x)
    perm = draw_generator(seed).permutation(t.shape[axis])
    return take(t, perm, axis % t.ndim)


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> Tensor:
    """``num_samples`` class indices per row of ``(batch, classes)`` unnormalised log-probabilities."""
    z = np.asarray(_raw(logits), np.float64)
    if z.ndim != 2:
        raise ValueError(f"categorical: logits must be 2-D (batch, classes); got shape {z.shape}.")
    rng = draw_generator(seed)
    gumbel = -np.log(-np.log(rng.uniform(np.finfo(np.float64).tiny, 1.0, (z.shape[0], num_samples, z.shape[1]))))
    return Tensor(np.argmax(z[:, None, :] + gumbel, axis=-1).astype(str(dtype)))


def gamma(shape: Any, alpha: float, dtype: Any = None, seed: Any = None) -> Tensor:
    """Samples from the Gamma distribution with concentration ``alpha`` (scale 1)."""
    return Tensor(draw_generator(seed).gamma(_raw(alpha), 1.0, _shape(shape)).astype(_float(dtype)))


def beta(shape: Any, alpha: float, beta: float, dtype: Any = None, seed: Any = None) -> Tensor:
    """Samples from the Beta(``alpha``, ``beta``) distribution."""
    return Tensor(draw_generator(seed).beta(_raw(alpha), _raw(beta), _shape(shape)).astype(_float(dtype)))


def binomial(shape: Any, counts: Any, probabilities: Any, dtype: Any = None, seed: Any = None) -> Tensor:
    """Samples from Binomial(``counts``, ``probabilities``), as floats (Keras's default)."""
    draws = draw_generator(seed).binomial(np.asarray(_raw(counts)).astype(np.int64), _raw(probabilities),
                                          _shape(shape))
    return Tensor(draws.astype(_float(dtype)))


__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal", "randint",
           "shuffle", "truncated_normal", "uniform"]

"""Shared pieces of the fused recurrent primitives: activations written as
in-place operations whose derivative is a function of their output, the
time-major layout, masks, and truncated backpropagation through time."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from brickwork.backend import get_array_module


def _sigmoid_(z: np.ndarray) -> np.ndarray:
    """In place: σ(z) = ½·tanh(z/2) + ½ (one transcendental call, no overflow)."""
    xp = get_array_module(z)
    z *= 0.5
    xp.tanh(z, out=z)
    z *= 0.5
    z += 0.5
    return z


def _tanh_(z: np.ndarray) -> np.ndarray:
    xp = get_array_module(z)
    return xp.tanh(z, out=z)


def _relu_(z: np.ndarray) -> np.ndarray:
    xp = get_array_module(z)
    return xp.maximum(z, 0, out=z)


def _hard_sigmoid_(z: np.ndarray) -> np.ndarray:
    xp = get_array_module(z)
    z /= 6
    z += 0.5
    return xp.clip(z, 0, 1, out=z)


def _linear_(z: np.ndarray) -> np.ndarray:
    return z


# name -> (in-place activation, derivative written in terms of the activation's output y)
ACTIVATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    "sigmoid": (_sigmoid_, lambda y: y * (1 - y)),
    "tanh": (_tanh_, lambda y: 1 - y * y),
    "relu": (_relu_, lambda y: (y > 0).astype(y.dtype)),
    "hard_sigmoid": (_hard_sigmoid_, lambda y: ((y > 0) & (y < 1)).astype(y.dtype) / 6),
    "linear": (_linear_, lambda y: np.ones_like(y)),
}


def activation(name: str) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
    if name not in ACTIVATIONS:
        raise ValueError(f"The fused recurrent layers support activations {sorted(ACTIVATIONS)}; got {name!r}. "
                         "Use the generic RNN(cell) wrapper for other functions.")
    return ACTIVATIONS[name]


def time_major(x: np.ndarray, go_backwards: bool) -> np.ndarray:
    """``(N, T, D)`` -> contiguous ``(T, N, D)`` in processing order."""
    xp = get_array_module(x)
    xt = x.transpose(1, 0, 2)
    if go_backwards:
        xt = xt[::-1]
    return xp.ascontiguousarray(xt)


def step_masks(mask: np.ndarray | None, go_backwards: bool, dtype: np.dtype) -> np.ndarray | None:
    """``(N, T)`` booleans -> ``(T, N, 1)`` floats in processing order (None when absent)."""
    xp = get_array_module(mask)
    if mask is None:
        return None
    m = xp.asarray(mask, bool).T
    if go_backwards:
        m = m[::-1]
    return xp.ascontiguousarray(m[:, :, None]).astype(dtype)


def boundary(step: int, truncate: int | None) -> bool:
    """Whether the gradient stops before processing step ``step`` (truncated BPTT every ``truncate`` steps)."""
    return truncate is not None and step > 0 and step % truncate == 0


def outputs_to_batch_major(hs: np.ndarray) -> np.ndarray:
    """``(T, N, U)`` in processing order -> ``(N, T, U)`` (Keras keeps the reversed order for go_backwards)."""
    return hs.transpose(1, 0, 2)


def grads_to_time_major(g: np.ndarray) -> np.ndarray:
    xp = get_array_module(g)
    return xp.ascontiguousarray(g.transpose(1, 0, 2))


def input_grad_to_batch_major(gx: np.ndarray, go_backwards: bool) -> np.ndarray:
    if go_backwards:
        gx = gx[::-1]
    return gx.transpose(1, 0, 2)

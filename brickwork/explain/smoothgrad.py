"""SmoothGrad (Smilkov et al. 2017): gradients averaged over noisy copies of the input.

.. math:: \\hat S(x) = \\frac{1}{n} \\sum_{s=1}^{n} S(x + \\epsilon_s), \\qquad
          \\epsilon_s \\sim \\mathcal{N}(0, \\sigma^2 I),

with :math:`S` the saliency map (:mod:`brickwork.explain.saliency`). As in Captum's ``NoiseTunnel``,
``stdevs`` is :math:`\\sigma` itself, in the input's units (the paper's :math:`0.15\\,(x_{max} - x_{min})`
is ``stdevs=0.15 * (x.max() - x.min())``); ``nt_type='smoothgrad_sq'`` averages :math:`S^2` and
``'vargrad'`` returns the variance of :math:`S` over the samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.explain.targets import as_batch, batches, input_gradients

NT_TYPES = ("smoothgrad", "smoothgrad_sq", "vargrad")


def noise_samples(shape: tuple[int, ...], n_samples: int, stdevs: float, seed: int | None) -> np.ndarray:
    """The noise :math:`\\epsilon_s`, shape ``(n_samples, *shape)``: ``default_rng(seed).standard_normal * stdevs``."""
    return np.random.default_rng(seed).standard_normal((n_samples,) + tuple(shape)) * stdevs


def smoothgrad(model: Any, x: Any, target: Any = None, n_samples: int = 50, stdevs: float = 0.15,
               seed: int | None = None, abs: bool = True, nt_type: str = "smoothgrad",  # noqa: A002
               internal_batch_size: int | None = None) -> np.ndarray:
    """Noise-averaged saliency shaped like ``x`` (see the module docstring).

    ``target=None`` explains each row's predicted class at the clean input. ``seed`` fixes the noise:
    it is :func:`noise_samples` ``(x.shape, n_samples, stdevs, seed)``.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"smoothgrad: n_samples must be a positive int; got {n_samples!r}.")
    if not np.isfinite(stdevs) or stdevs < 0:
        raise ValueError(f"smoothgrad: stdevs must be a non-negative number; got {stdevs!r}.")
    if nt_type not in NT_TYPES:
        raise ValueError(f"smoothgrad: nt_type must be one of {list(NT_TYPES)}; got {nt_type!r}.")
    arr = as_batch(model, x, "smoothgrad")
    _, _, idx = input_gradients(model, arr, target, "smoothgrad")
    noise = noise_samples(arr.shape, int(n_samples), float(stdevs), seed)
    noisy = (arr[None].astype(np.float64) + noise).reshape((-1,) + arr.shape[1:]).astype(arr.dtype)
    flat_idx = np.tile(idx, int(n_samples))
    grads = np.empty(noisy.shape, np.float64)
    for part in batches(noisy.shape[0], internal_batch_size):
        g, _, _ = input_gradients(model, noisy[part], flat_idx[part], "smoothgrad")
        grads[part] = np.abs(g) if abs else g
    grads = grads.reshape((int(n_samples),) + arr.shape)
    if nt_type == "smoothgrad":
        out = grads.mean(axis=0)
    elif nt_type == "smoothgrad_sq":
        out = (grads ** 2).mean(axis=0)
    else:
        out = grads.var(axis=0)
    return out.astype(arr.dtype)


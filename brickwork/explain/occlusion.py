"""Occlusion (Zeiler & Fergus 2014): how much the explained score drops when a patch is hidden.

A window of shape ``sliding_window_shapes`` slides over each row with steps ``strides`` (Captum's placement:
:math:`\\lceil (D - w)/s \\rceil + 1` positions per axis, the last one cut at the edge so that every element
is covered). For window :math:`W` with mask :math:`M_W` and baseline :math:`b`,

.. math:: \\Delta_W = f_t(x) - f_t\\big(x \\odot (1 - M_W) + b \\odot M_W\\big), \\qquad
          \\mathrm{Occ}_i(x) = \\frac{\\sum_{W \\ni i} \\Delta_W}{\\#\\{W : W \\ni i\\}},

the mean drop over the windows that cover element :math:`i` — what Captum's ``Occlusion`` returns.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from brickwork.engine.config import no_grad
from brickwork.engine.tensor import Tensor
from brickwork.explain.integrated_gradients import broadcast_baselines
from brickwork.explain.targets import as_batch, forward, resolve_target


def _per_axis(value: Any, ndim: int, name: str, default: int | None = None) -> tuple[int, ...]:
    if value is None:
        if default is None:
            raise ValueError(f"occlusion: {name} is required (one size per non-batch axis of x).")
        value = default
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value),) * ndim
    value = tuple(int(v) for v in value)
    if len(value) != ndim or any(v < 1 for v in value):
        raise ValueError(f"occlusion: {name} must hold {ndim} positive ints (one per non-batch axis of x); "
                         f"got {value}.")
    return value


def window_starts(shape: tuple[int, ...], window: tuple[int, ...], strides: tuple[int, ...]) -> list[list[int]]:
    """Start offsets of the window along each axis (Captum's placement, see the module docstring)."""
    starts = []
    for axis, (d, w, s) in enumerate(zip(shape, window, strides)):
        if w > d:
            raise ValueError(f"occlusion: sliding_window_shapes {window} exceeds the input's shape {shape} "
                             f"on axis {axis + 1}.")
        if d > w and s > w:
            raise ValueError(f"occlusion: strides {strides} must not exceed sliding_window_shapes {window} on "
                             f"axis {axis + 1}, or some elements would never be occluded.")
        count = int(np.ceil((d - w) / s)) + 1
        starts.append([k * s for k in range(count)])
    return starts


def occlusion(model: Any, x: Any, target: Any = None, sliding_window_shapes: Any = None, strides: Any = None,
              baselines: Any = 0.0, perturbations_per_eval: int = 1) -> np.ndarray:
    """Mean drop of the explained score when each element is occluded, shaped like ``x``.

    Parameters
    ----------
    sliding_window_shapes : tuple of ints
        The window, one size per non-batch axis (``(5, 5, 1)`` for ``(h, w, c)`` images, channels last).
    strides : int or tuple of ints, optional
        The window's step along each axis (1 by default).
    baselines : scalar or array
        What replaces the hidden values: a scalar (0 by default), one input, or one per row.
    perturbations_per_eval : int
        How many window positions to evaluate in one forward pass.
    """
    arr = as_batch(model, x, "occlusion")
    n, shape = arr.shape[0], arr.shape[1:]
    window = _per_axis(sliding_window_shapes, len(shape), "sliding_window_shapes")
    steps = _per_axis(strides, len(shape), "strides", default=1)
    if isinstance(perturbations_per_eval, bool) or not isinstance(perturbations_per_eval, (int, np.integer)) \
            or perturbations_per_eval < 1:
        raise ValueError(f"occlusion: perturbations_per_eval must be a positive int; got {perturbations_per_eval!r}.")
    base = broadcast_baselines(baselines, arr, "occlusion")
    positions = list(itertools.product(*window_starts(shape, window, steps)))
    with no_grad():
        out = forward(model, Tensor(arr)).data
        idx = resolve_target(target, out, "occlusion")
        clean = out[np.arange(n), idx].astype(np.float64)
        total = np.zeros(arr.shape, np.float64)
        counts = np.zeros(shape, np.float64)
        for first in range(0, len(positions), int(perturbations_per_eval)):
            chunk = positions[first:first + int(perturbations_per_eval)]
            masks = np.zeros((len(chunk),) + shape, bool)
            for m, start in zip(masks, chunk):
                m[tuple(slice(s, s + w) for s, w in zip(start, window))] = True
            occluded = np.where(masks[:, None], base[None], arr[None]).reshape((-1,) + shape)
            scores = forward(model, Tensor(occluded)).data.astype(np.float64)
            drop = clean[None] - scores[np.arange(occluded.shape[0]), np.tile(idx, len(chunk))].reshape(len(chunk), n)
            for m, d in zip(masks, drop):
                total += d.reshape((n,) + (1,) * len(shape)) * m[None]
                counts += m
    return (total / counts[None]).astype(arr.dtype)

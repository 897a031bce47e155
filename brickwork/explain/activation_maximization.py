"""Activation maximisation (Erhan et al. 2009; Simonyan et al. 2014): the input a unit responds to most.

Gradient ascent on the input for the mean activation :math:`a_u(x)` of unit ``unit`` (a Dense unit, a
convolution channel averaged over positions, or an output class), with an :math:`L_2` penalty:

.. math:: x \\leftarrow x + \\eta \\,\\nabla_x \\big(a_u(x) - \\lambda \\|x\\|_2^2\\big).

Two image priors from Yosinski et al. (2015) keep the picture natural: every ``blur_every`` steps the input is
smoothed by a Gaussian of width ``blur_sigma`` pixels, and each step the gradient is taken at the input
shifted by up to ``jitter`` pixels (then shifted back). With ``normalize=True`` the step is
:math:`\\eta\\, g / \\operatorname{mean}|g|`, which is insensitive to the scale of the activation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.config import enable_grad
from brickwork.engine.function import grad
from brickwork.engine.tensor import Tensor
from brickwork.explain.hooks import capture_output, find_layer
from brickwork.explain.targets import expected_input_shape, forward, weights_frozen


def gaussian_blur(x: np.ndarray, sigma: float, axes: tuple[int, ...]) -> np.ndarray:
    """Separable Gaussian smoothing of ``x`` along ``axes`` (reflected edges, radius :math:`3\\sigma`)."""
    if sigma <= 0 or not axes:
        return x
    radius = max(1, int(np.ceil(3 * sigma)))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    out = x
    for axis in axes:
        pad = [(0, 0)] * out.ndim
        pad[axis] = (radius, radius)
        padded = np.pad(out, pad, mode="reflect" if out.shape[axis] > radius else "edge")
        acc = np.zeros_like(out, dtype=np.float64)
        for k, tap in enumerate(taps):
            acc += tap * np.take(padded, np.arange(k, k + out.shape[axis]), axis=axis)
        out = acc
    return out


def _unit_activation(t: Tensor, unit: int, name: str) -> Tensor:
    if not 0 <= unit < t.shape[-1]:
        raise ValueError(f"activation_maximization: unit {unit} is out of range for '{name}', which has "
                         f"{t.shape[-1]} units/channels (valid: 0..{t.shape[-1] - 1}).")
    return t[..., unit].mean()


def activation_maximization(model: Any, layer: Any = None, unit: int = 0, steps: int = 200, lr: float = 0.1,
                            l2: float = 1e-3, blur_every: int = 0, blur_sigma: float = 0.5, jitter: int = 0,
                            seed: int | None = None, x0: Any = None, input_shape: Any = None,
                            normalize: bool = False, clip: tuple[float, float] | None = None) -> np.ndarray:
    """Return the input, shape ``(1, *input_shape)``, found by gradient ascent on ``unit`` of ``layer``.

    Parameters
    ----------
    layer : str, Layer or None
        The layer whose unit is maximised; ``None`` maximises output ``unit`` of the model (a class score).
    unit : int
        Index along the layer's last axis (a unit or a channel).
    steps, lr, l2 : int, float, float
        Number of ascent steps, step size :math:`\\eta` and penalty :math:`\\lambda`.
    blur_every, blur_sigma, jitter : int, float, int
        The image priors of the module docstring (off by default; only spatial axes are blurred and shifted).
    seed : int, optional
        Seeds the random start (small Gaussian noise) and the jitter.
    x0 : array_like, optional
        The start, shaped like one input (with or without the batch axis of 1).
    input_shape : tuple, optional
        One input's shape, needed when the model does not know it and ``x0`` is not given.
    normalize : bool
        Normalise each step by the mean absolute gradient.
    clip : (low, high), optional
        Keep the input in this range after each step (the data's range, say).
    """
    rng = np.random.default_rng(seed)
    if x0 is not None:
        x = np.asarray(x0, np.float64)
        shape = x.shape[1:] if expected_input_shape(model) is not None and x.ndim == len(
            expected_input_shape(model)) else x.shape
        x = x.reshape((1,) + tuple(shape))
    else:
        known = expected_input_shape(model)
        shape = tuple(input_shape) if input_shape is not None else (known[1:] if known is not None else None)
        if shape is None or any(s is None for s in shape):
            raise ValueError("activation_maximization: the model does not know its input shape; pass input_shape= "
                             "or x0=.")
        x = rng.standard_normal((1,) + tuple(shape)) * 0.01
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"activation_maximization: steps must be a non-negative int; got {steps!r}.")
    chosen = find_layer(model, layer, "activation_maximization") if layer is not None else None
    spatial = tuple(range(1, x.ndim - 1))
    dtype = np.float32
    for step in range(int(steps)):
        shifts = tuple(int(s) for s in rng.integers(-jitter, jitter + 1, len(spatial))) if jitter else ()
        shifted = np.roll(x, shifts, axis=spatial) if shifts else x
        with enable_grad(), weights_frozen(model):
            xt = Tensor(shifted.astype(dtype), requires_grad=True)
            if chosen is None:
                objective = _unit_activation(forward(model, xt), int(unit), "the model output")
            else:
                with capture_output(chosen, "activation_maximization") as box:
                    forward(model, xt)
                objective = _unit_activation(box.single(), int(unit), chosen.name)
            g = np.asarray(grad(objective, xt), np.float64)
        if shifts:
            g = np.roll(g, tuple(-s for s in shifts), axis=spatial)
        g = g - 2.0 * l2 * x
        if normalize:
            g = g / (np.abs(g).mean() + 1e-12)
        x = x + lr * g
        if blur_every and (step + 1) % blur_every == 0:
            x = gaussian_blur(x, blur_sigma, spatial)
        if clip is not None:
            x = np.clip(x, clip[0], clip[1])
    return x.astype(dtype)

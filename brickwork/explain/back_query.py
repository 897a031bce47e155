"""Back query (seed 004, after Rashid's *Make Your Own Neural Network*): run an MLP backwards from a label to
see the input it "imagines".

Layer by layer from the output, undo the activation and then the affine map:

.. math:: z = \\phi^{-1}(y), \\qquad h = (z - b)\\, W^{+},

with :math:`\\phi^{-1}` the inverse activation (``logit`` for the sigmoid, ``artanh`` for tanh, ``log`` for
the softmax up to a constant, the identity for linear and ReLU) and :math:`W^{+}` the Moore-Penrose
pseudo-inverse of the kernel (``method='transpose'`` uses :math:`W^\\top`, as the seed does). When a
signal falls outside the domain of the next inverse (a sigmoid's :math:`(0, 1)`), it is first rescaled
min-max into :math:`[0.01, 0.99]` of that domain — the seed's step. For an invertible network whose signals
stay in range, the back query of :math:`f(x)` is :math:`x` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from brickwork.activations import serialize

SKIPPED = ("InputLayer", "Dropout", "AlphaDropout", "GaussianDropout", "GaussianNoise", "ActivityRegularization")

# name -> (inverse, open domain (low, high) or None when unbounded)
INVERSES: dict[str, tuple[Callable[[np.ndarray], np.ndarray], tuple[float, float] | None]] = {
    "linear": (lambda y: y, None),
    "relu": (lambda y: y, None),
    "sigmoid": (lambda y: np.log(y) - np.log1p(-y), (0.0, 1.0)),
    "tanh": (np.arctanh, (-1.0, 1.0)),
    "softmax": (lambda y: np.log(y) - np.log(y).mean(axis=-1, keepdims=True), (0.0, 1.0)),
    "softplus": (lambda y: np.log(np.expm1(y)), (0.0, np.inf)),
}


def _into_domain(y: np.ndarray, domain: tuple[float, float] | None) -> np.ndarray:
    if domain is None:
        return y
    low, high = domain
    if np.all(y > low) and np.all(y < high):
        return y
    if not np.isfinite(high):
        return y - y.min() + 0.01
    span = y.max() - y.min()
    unit = (y - y.min()) / span if span > 0 else np.full_like(y, 0.5)
    return low + (high - low) * (0.01 + 0.98 * unit)


def _activation_name(layer: Any) -> str:
    name = serialize(layer.activation)
    if name not in INVERSES:
        raise ValueError(f"back_query: layer '{layer.name}' has activation {name!r}, which has no inverse here; "
                         f"supported: {sorted(INVERSES)}.")
    return name


def _target_vector(target: Any, units: int, activation: str) -> np.ndarray:
    arr = np.asarray(target, np.float64)
    if arr.ndim == 0:
        label = int(target)
        if not 0 <= label < units:
            raise ValueError(f"back_query: target {label} is out of range for a model with {units} outputs "
                             f"(valid: 0..{units - 1}).")
        low, high = {"tanh": (-0.99, 0.99), "linear": (0.0, 1.0), "relu": (0.0, 1.0)}.get(activation, (0.01, 0.99))
        arr = np.full(units, low)
        arr[label] = high
    if arr.reshape(-1).shape != (units,):
        raise ValueError(f"back_query: target has {arr.size} values; the model has {units} outputs.")
    return arr.reshape(1, units)


def back_query(model: Any, target: Any, method: str = "pinv", input_range: tuple[float, float] | None = None
               ) -> np.ndarray:
    """The input, shape ``(1, *input_shape)``, that the MLP ``model`` maps back from ``target``.

    Parameters
    ----------
    model : Sequential or Functional chain of Dense / Activation / Flatten (Dropout-like layers are skipped)
    target : int or array
        A class label (the output vector is 0.99 for it and 0.01 elsewhere, as in the seed) or the output
        vector itself.
    method : str
        ``'pinv'`` (pseudo-inverse of each kernel, default) or ``'transpose'`` (the seed's :math:`W^\\top`).
    input_range : (low, high), optional
        Rescale the result min-max into this range (the seed's 0.01..0.99 for pixels, say).
    """
    if method not in ("pinv", "transpose"):
        raise ValueError(f"back_query: method must be 'pinv' or 'transpose'; got {method!r}.")
    chain = [la for la in getattr(model, "layers", []) if type(la).__name__ not in SKIPPED]
    if not chain:
        raise ValueError("back_query: the model has no layers; it needs a chain of Dense layers.")
    for layer in chain:
        if type(layer).__name__ not in ("Dense", "Activation", "Flatten"):
            raise ValueError(f"back_query: layer '{layer.name}' ({type(layer).__name__}) cannot be inverted; "
                             "back_query runs MLPs of Dense, Activation and Flatten layers.")
    last = chain[-1]
    units = last.units if type(last).__name__ == "Dense" else [la for la in chain if hasattr(la, "units")][-1].units
    signal = _target_vector(target, units, _activation_name(last))
    for layer in reversed(chain):
        kind = type(layer).__name__
        if kind == "Flatten":
            in_shape = getattr(layer, "input", None)
            shape = tuple(in_shape.shape[1:]) if in_shape is not None else None
            if shape is None or any(s is None for s in shape):
                raise ValueError(f"back_query: the input shape of '{layer.name}' is unknown; build the model with "
                                 "an Input.")
            signal = signal.reshape((1,) + shape)
            continue
        inverse, domain = INVERSES[_activation_name(layer)]
        signal = inverse(_into_domain(signal, domain))
        if kind == "Dense":
            w = np.asarray(layer.kernel.data, np.float64)
            b = np.asarray(layer.bias.data, np.float64) if layer.bias is not None else 0.0
            signal = (signal - b) @ (np.linalg.pinv(w) if method == "pinv" else w.T)
    if input_range is not None:
        span = signal.max() - signal.min()
        unit = (signal - signal.min()) / span if span > 0 else np.full_like(signal, 0.5)
        signal = input_range[0] + (input_range[1] - input_range[0]) * unit
    return signal.astype(np.float32)

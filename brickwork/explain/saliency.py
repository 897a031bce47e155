"""Saliency maps (Simonyan et al. 2014): the gradient of the explained score with respect to the input.

.. math:: S_i(x) = \\left|\\frac{\\partial f_t(x)}{\\partial x_i}\\right|

(without the absolute value when ``abs=False``). Captum's ``Saliency`` computes the same thing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.explain.targets import as_batch, input_gradients


def saliency(model: Any, x: Any, target: Any = None, abs: bool = True) -> np.ndarray:  # noqa: A002 - Captum's name
    """Gradient of each row's explained output with respect to that row, shaped like ``x``.

    Parameters
    ----------
    model : Layer or callable
        A brickwork model (Sequential, Functional or subclassed) or any callable of a tensor.
    x : array_like
        A batch of inputs (rows first): tabular ``(n, p)``, images ``(n, h, w, c)``, sequences ``(n, t, c)``.
    target : int, array of ints or None
        Which output to explain (see :mod:`brickwork.explain.targets`).
    abs : bool
        Return :math:`|\\partial f_t/\\partial x|` (the default, as in Captum) or the signed gradient.
    """
    arr = as_batch(model, x, "saliency")
    g, _, _ = input_gradients(model, arr, target, "saliency")
    return np.abs(g) if abs else g

"""Integrated gradients (Sundararajan, Taly & Yan 2017): the gradient averaged along a straight path.

For an input :math:`x`, a baseline :math:`x'` and the explained score :math:`f_t`,

.. math:: \\mathrm{IG}_i(x) = (x_i - x'_i) \\int_0^1
          \\frac{\\partial f_t\\big(x' + \\alpha (x - x')\\big)}{\\partial x_i}\\, d\\alpha
          \\approx (x_i - x'_i) \\sum_{k=1}^{m} w_k\\,
          \\frac{\\partial f_t\\big(x' + \\alpha_k (x - x')\\big)}{\\partial x_i}.

By the fundamental theorem of calculus for path integrals the attributions are *complete*:
:math:`\\sum_i \\mathrm{IG}_i(x) = f_t(x) - f_t(x')`; the difference between the two sides is the
quadrature error that ``return_convergence_delta=True`` reports. The nodes :math:`\\alpha_k` and weights
:math:`w_k` are Captum's: Gauss-Legendre on :math:`[0, 1]` (``'gausslegendre'``, exact for polynomials of
degree :math:`2m-1` along the path) or the Riemann rules ``'riemann_left' | 'riemann_right' |
'riemann_middle' | 'riemann_trapezoid'``. The trapezoid rule here has step :math:`1/(m-1)` and half weights at
both ends, so its weights sum to one (Captum's sum to :math:`(m-1)/m`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.explain.targets import as_batch, batches, input_gradients

METHODS = ("gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid")


def path_nodes(method: str, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes :math:`\\alpha_k \\in [0, 1]` and weights :math:`w_k` of ``method`` with ``n_steps`` points."""
    if method not in METHODS:
        raise ValueError(f"integrated_gradients: method must be one of {list(METHODS)}; got {method!r}.")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < (1 if method ==
                                                                                          "gausslegendre" else 2):
        raise ValueError(f"integrated_gradients: n_steps must be an int >= 2 (>= 1 for gausslegendre); "
                         f"got {n_steps!r}.")
    n = int(n_steps)
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(n)
        return 0.5 * (nodes + 1.0), 0.5 * weights
    if method == "riemann_trapezoid":
        weights = np.full(n, 1.0 / (n - 1))
        weights[[0, -1]] *= 0.5
        return np.linspace(0.0, 1.0, n), weights
    weights = np.full(n, 1.0 / n)
    if method == "riemann_left":
        return np.linspace(0.0, 1.0 - 1.0 / n, n), weights
    if method == "riemann_right":
        return np.linspace(1.0 / n, 1.0, n), weights
    return np.linspace(0.5 / n, 1.0 - 0.5 / n, n), weights


def broadcast_baselines(baselines: Any, x: np.ndarray, method: str) -> np.ndarray:
    """Baselines as an array shaped like ``x``: ``None`` (zeros), a scalar, one input, or one per row."""
    if baselines is None:
        return np.zeros_like(x)
    b = np.asarray(baselines.data if hasattr(baselines, "data") and not isinstance(baselines, np.ndarray)
                   else baselines, dtype=x.dtype)
    if b.ndim == 0:
        return np.full_like(x, b)
    if b.shape == x.shape[1:]:
        b = b[None]
    if b.ndim != x.ndim or (b.shape[0] not in (1, x.shape[0])) or b.shape[1:] != x.shape[1:]:
        raise ValueError(f"{method}: baselines has shape {b.shape}; it must be a scalar, one input of shape "
                         f"{x.shape[1:]}, or one per row of shape {x.shape}.")
    return np.broadcast_to(b, x.shape).copy()


def integrated_gradients(model: Any, x: Any, target: Any = None, baselines: Any = None, n_steps: int = 50,
                         method: str = "gausslegendre", internal_batch_size: int | None = None,
                         return_convergence_delta: bool = False) -> Any:
    """Integrated-gradients attributions shaped like ``x`` (see the module docstring).

    Parameters
    ----------
    model : Layer or callable
        A brickwork model (Sequential, Functional or subclassed) or any callable of a tensor.
    x : array_like
        A batch of inputs, rows first.
    target : int, array of ints or None
        The output to explain for each row (see :mod:`brickwork.explain.targets`); ``None`` explains the
        predicted class of each row, chosen at ``x`` (not along the path).
    baselines : None, scalar or array
        The reference input :math:`x'`: zeros by default, a scalar, one input shaped like a row, or one per row.
    n_steps : int
        Number of points on the path.
    method : str
        ``'gausslegendre'`` (default) or a Riemann rule (see the module docstring).
    internal_batch_size : int, optional
        Evaluate the ``n_steps * rows`` path points in chunks of this many rows to bound memory.
    return_convergence_delta : bool
        Also return, per row, :math:`\\sum_i \\mathrm{IG}_i - (f_t(x) - f_t(x'))`.

    Returns
    -------
    numpy.ndarray, or ``(attributions, delta)`` with ``return_convergence_delta=True``.
    """
    arr = as_batch(model, x, "integrated_gradients")
    alphas, weights = path_nodes(method, n_steps)
    base = broadcast_baselines(baselines, arr, "integrated_gradients")
    _, end_scores, idx = input_gradients(model, arr, target, "integrated_gradients")
    n = arr.shape[0]
    diff = arr.astype(np.float64) - base.astype(np.float64)
    # path points ordered step-major: row r of step k sits at k * n + r
    path = (base[None].astype(np.float64) + alphas.reshape((-1,) + (1,) * arr.ndim) * diff[None])
    path = path.reshape((-1,) + arr.shape[1:]).astype(arr.dtype)
    path_idx = np.tile(idx, len(alphas))
    total = np.zeros(arr.shape, np.float64)
    start_scores = None
    for part in batches(path.shape[0], internal_batch_size):
        g, _, _ = input_gradients(model, path[part], path_idx[part], "integrated_gradients")
        rows = np.arange(part.start, part.stop)
        step_weights = weights[rows // n].reshape((-1,) + (1,) * (arr.ndim - 1))
        np.add.at(total, rows % n, step_weights * g.astype(np.float64))
    attributions = (diff * total).astype(arr.dtype)
    if not return_convergence_delta:
        return attributions
    _, start_scores, _ = input_gradients(model, base, idx, "integrated_gradients")
    delta = attributions.reshape(n, -1).astype(np.float64).sum(axis=1) - (end_scores - start_scores)
    return attributions, delta

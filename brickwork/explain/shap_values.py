"""SHAP values (Lundberg & Lee 2017) through the ``shap`` package's model-agnostic explainers.

The Shapley value of feature :math:`i` for the explained score :math:`f_t` at :math:`x`, with features
outside a coalition :math:`S` drawn from the background data, is

.. math:: \\phi_i = \\sum_{S \\subseteq N \\setminus \\{i\\}} \\frac{|S|!\\,(p - |S| - 1)!}{p!}
          \\big(v(S \\cup \\{i\\}) - v(S)\\big),
          \\qquad v(S) = \\mathbb{E}_{z \\sim \\text{bg}}\\, f_t(x_S, z_{\\bar S}),

and the values are additive: :math:`\\sum_i \\phi_i = f_t(x) - \\mathbb{E}_{\\text{bg}} f_t`. brickwork does not
estimate them itself: ``explainer='kernel'`` is ``shap.KernelExplainer``, ``'sampling'`` is
``shap.SamplingExplainer``, ``'permutation'`` and ``'exact'`` are ``shap.PermutationExplainer`` and
``shap.explainers.ExactExplainer`` with an independent masker. ``shap`` is an optional extra
(``pip install 'brickwork[explain]'``), imported on the first call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.config import no_grad
from brickwork.engine.tensor import Tensor
from brickwork.explain.targets import as_batch, forward, resolve_target

EXPLAINERS = ("kernel", "sampling", "permutation", "exact")


def _import_shap() -> Any:
    try:
        import shap
    except ImportError as err:  # pragma: no cover - depends on the extra
        raise ImportError("brickwork.explain.shap_values needs the shap package: pip install 'brickwork[explain]' "
                          "(or pip install shap).") from err
    return shap


def shap_values(model: Any, x: Any, background: Any, target: Any = None, explainer: str = "kernel",
                nsamples: Any = "auto", seed: int | None = 0, return_expected_value: bool = False) -> Any:
    """SHAP values of each row's explained output, shaped like ``x`` (see the module docstring).

    Parameters
    ----------
    background : array_like
        Rows that stand for "feature absent" (a sample of the training data; 50-200 rows is typical).
    target : int, array of ints or None
        The output to explain per row (see :mod:`brickwork.explain.targets`).
    explainer : str
        ``'kernel'`` (default), ``'sampling'``, ``'permutation'`` or ``'exact'``.
    nsamples : int or 'auto'
        Model evaluations per row (``nsamples`` of the kernel and sampling explainers, ``max_evals`` of the
        permutation explainer; ignored by ``'exact'``).
    seed : int, optional
        Seeds shap's sampling (NumPy's global generator is restored afterwards).
    return_expected_value : bool
        Also return, per row, the base value :math:`\\mathbb{E}_{\\text{bg}} f_t`.
    """
    if explainer not in EXPLAINERS:
        raise ValueError(f"shap_values: explainer must be one of {list(EXPLAINERS)}; got {explainer!r}.")
    arr = as_batch(model, x, "shap_values")
    bg = np.asarray(background.data if isinstance(background, Tensor) else background, arr.dtype)
    if bg.ndim == arr.ndim - 1 and bg.shape == arr.shape[1:]:
        bg = bg[None]
    if bg.ndim != arr.ndim or bg.shape[1:] != arr.shape[1:] or bg.shape[0] == 0:
        raise ValueError(f"shap_values: background has shape {bg.shape}; it needs rows shaped like x's rows "
                         f"{arr.shape[1:]}.")
    shap = _import_shap()
    n, row_shape = arr.shape[0], arr.shape[1:]
    flat, flat_bg = arr.reshape(n, -1), bg.reshape(bg.shape[0], -1)
    with no_grad():
        idx = resolve_target(target, forward(model, Tensor(arr)).data, "shap_values")
    values = np.zeros(flat.shape, np.float64)
    base = np.zeros(n, np.float64)
    state = np.random.get_state()
    try:
        for t in np.unique(idx):
            rows = np.flatnonzero(idx == t)

            def score(z: np.ndarray, t: int = int(t)) -> np.ndarray:
                z = np.asarray(z, arr.dtype).reshape((-1,) + row_shape)
                with no_grad():
                    return np.asarray(forward(model, Tensor(z)).data[:, t], np.float64)

            if seed is not None:
                np.random.seed(seed)
            phi, b = _explain(shap, explainer, score, flat_bg, flat[rows], nsamples, seed)
            values[rows], base[rows] = phi, b
    finally:
        np.random.set_state(state)
    out = values.reshape(arr.shape).astype(arr.dtype)
    return (out, base) if return_expected_value else out


def _explain(shap: Any, kind: str, score: Any, bg: np.ndarray, rows: np.ndarray, nsamples: Any,
             seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    p = rows.shape[1]
    if kind == "kernel":
        ex = shap.KernelExplainer(score, bg)
        phi = ex.shap_values(rows, nsamples=nsamples, silent=True)
    elif kind == "sampling":
        ex = shap.SamplingExplainer(score, bg)
        phi = ex.shap_values(rows, nsamples=nsamples, silent=True)
    if kind in ("kernel", "sampling"):
        expected = float(np.ravel(ex.expected_value)[0])
        return np.asarray(phi, np.float64).reshape(rows.shape), np.full(len(rows), expected)
    masker = shap.maskers.Independent(bg, max_samples=len(bg))
    if kind == "permutation":
        ex = shap.PermutationExplainer(score, masker, seed=seed)
        evals = max(500, 2 * p + 1) if nsamples == "auto" else int(nsamples)
        result = ex(rows, max_evals=evals, silent=True)
    else:
        ex = shap.explainers.ExactExplainer(score, masker)
        result = ex(rows, silent=True)
    return np.asarray(result.values, np.float64).reshape(rows.shape), np.asarray(result.base_values, np.float64)

"""Local explanations in the style of LIME (Ribeiro et al. 2016; seed 003: "locally explain the model
with lime ... we HAVE to assume local linearity").

For one input :math:`x` and a model :math:`f`, draw perturbations :math:`z_i = x + \\sigma \\odot
\\epsilon_i` (:math:`\\sigma` the features' standard deviations in the background data), weight them by
the kernel :math:`\\pi_i = \\exp(-d_i^2 / w^2)` with :math:`d_i` the standardised distance to :math:`x`
and :math:`w = 0.75\\sqrt{p}` (LIME's default), and fit the weighted ridge regression
:math:`\\min_\\beta \\sum_i \\pi_i (f(z_i) - \\beta_0 - \\beta^\\top (z_i - x)/\\sigma)^2 + \\lambda\\|\\beta\\|^2`.
:math:`\\beta_j` is feature :math:`j`'s local effect on the prediction per standard deviation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Explanation:
    """Local linear surrogate of a prediction: intercept (≈ the prediction), weights, fit quality."""

    prediction: float
    intercept: float
    weights: dict[str, float]
    r2: float

    def top(self, k: int = 5) -> list[tuple[str, float]]:
        return sorted(self.weights.items(), key=lambda kv: -abs(kv[1]))[:k]

    def plot(self, path: str, k: int = 8, title: str | None = None) -> None:
        """Horizontal bar chart of the ``k`` largest local effects, to PNG."""
        from brickwork.plot import pyplot, save_figure

        plt = pyplot()
        items = self.top(k)[::-1]
        fig, ax = plt.subplots(figsize=(6, 0.4 * len(items) + 1.2))
        ax.barh([n for n, _ in items], [w for _, w in items], color=["tab:red" if w < 0 else "tab:green"
                                                                     for _, w in items])
        ax.set_xlabel("local effect on the prediction (per standard deviation)")
        ax.set_title(title or f"prediction {self.prediction:.3f}, surrogate R² {self.r2:.2f}")
        save_figure(fig, path, dpi=110)


def explain_prediction(predict_fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, background: np.ndarray,
                       feature_names: list[str] | None = None, num_samples: int = 2000,
                       kernel_width: float | None = None, ridge: float = 1.0, seed: int = 0) -> Explanation:
    """Explain ``predict_fn(x[None])`` (a score per row) by a weighted linear fit around ``x``."""
    x = np.asarray(x, np.float64).reshape(-1)
    p = x.size
    names = feature_names or [f"x{j}" for j in range(p)]
    if len(names) != p:
        raise ValueError(f"explain_prediction: {len(names)} feature names for {p} features.")
    sigma = np.nanstd(np.asarray(background, np.float64).reshape(-1, p), axis=0)
    sigma = np.where(sigma > 0, sigma, 1.0)
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal((num_samples, p))
    eps[0] = 0.0                                              # the instance itself
    samples = x + eps * sigma
    scores = np.asarray(predict_fn(samples.astype(np.float32)), np.float64).reshape(num_samples, -1)[:, -1]
    width = kernel_width or 0.75 * np.sqrt(p)
    weights = np.exp(-(eps ** 2).sum(axis=1) / width ** 2)
    design = np.column_stack([np.ones(num_samples), eps])
    penalty = ridge * np.eye(p + 1)
    penalty[0, 0] = 0.0
    gram = design.T @ (weights[:, None] * design) + penalty
    beta = np.linalg.solve(gram, design.T @ (weights * scores))
    fitted = design @ beta
    mean = np.average(scores, weights=weights)
    total = np.sum(weights * (scores - mean) ** 2)
    r2 = 1.0 - np.sum(weights * (scores - fitted) ** 2) / total if total > 0 else 1.0
    return Explanation(float(scores[0]), float(beta[0]), {n: float(b) for n, b in zip(names, beta[1:])}, float(r2))

r"""How far predicted probabilities are from observed frequencies: expected calibration error, the Brier
score, the reliability curve and its diagram.

A classifier is calibrated when, among the cases it gives probability :math:`p`, a fraction :math:`p`
turn out positive (binary) or correct (multi-class). Split the predictions into bins :math:`B_1..B_M` of
their confidence; with :math:`\mathrm{acc}(B_m)` the observed frequency and :math:`\mathrm{conf}(B_m)` the
mean confidence in bin :math:`m`, the expected calibration error (Naeini et al. 2015; Guo et al. 2017) is

.. math:: \mathrm{ECE} = \sum_{m=1}^{M} \frac{|B_m|}{n}\, \bigl|\mathrm{acc}(B_m) - \mathrm{conf}(B_m)\bigr|.

Binary probabilities (shape ``(n,)`` or ``(n, 1)``, the positive class's) are binned by the probability
itself and compared with the fraction of positives (scikit-learn's ``calibration_curve``); multi-class
probabilities ``(n, k)`` use the top label: confidence :math:`\max_k p_k`, accuracy
:math:`[\arg\max_k p_k = y]`. Bin :math:`m` of ``'uniform'`` bins is :math:`((m-1)/M, m/M]`; ``'quantile'``
bins have (about) the same number of predictions each.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import numpy as np

STRATEGIES = ("uniform", "quantile")


class ReliabilityCurve(NamedTuple):
    """The non-empty bins of a reliability curve (scikit-learn drops empty bins the same way).

    ``confidence``: mean predicted probability (top-label confidence for multi-class) per bin;
    ``accuracy``: observed fraction of positives (or of correct top labels); ``count``: predictions per
    bin; ``lower`` / ``upper``: the bin's edges.
    """

    confidence: np.ndarray
    accuracy: np.ndarray
    count: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def _check_bins(n_bins: Any, strategy: Any, caller: str) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"{caller}: n_bins must be a positive integer; got {n_bins!r}.")
    if strategy not in STRATEGIES:
        raise ValueError(f"{caller}: strategy must be 'uniform' or 'quantile'; got {strategy!r}.")
    return int(n_bins)


def _labels(y_true: Any, n: int, caller: str) -> np.ndarray:
    y = np.asarray(y_true)
    if y.ndim == 2 and y.shape[1] > 1:            # one-hot labels
        y = np.argmax(y, axis=1)
    y = y.reshape(-1)
    if y.shape[0] != n:
        raise ValueError(f"{caller}: y_true has {y.shape[0]} labels but probs has {n} rows.")
    if y.dtype.kind not in "biuf" or not np.all(np.isfinite(y.astype(np.float64))):
        raise ValueError(f"{caller}: y_true must hold finite numeric class labels; got dtype {y.dtype}.")
    if np.any(y != np.round(y)) or np.any(y < 0):
        raise ValueError(f"{caller}: y_true must hold non-negative integer class labels (0/1 for binary); "
                         f"got e.g. {y[(y != np.round(y)) | (y < 0)][0]!r}.")
    return y.astype(np.int64)


def _probabilities(probs: Any, caller: str) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if p.ndim not in (1, 2) or p.shape[0] == 0:
        raise ValueError(f"{caller}: probs must have shape (n,), (n, 1) or (n, k) with n > 0; got {p.shape}.")
    if not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1:
        raise ValueError(f"{caller}: probs must be probabilities in [0, 1] (apply the sigmoid/softmax to "
                         f"logits first); got values in [{np.nanmin(p):.4g}, {np.nanmax(p):.4g}].")
    if p.ndim == 2 and not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError(f"{caller}: multi-class probs of shape {p.shape} must sum to 1 over each row "
                         f"(e.g. row sums in [{p.sum(axis=1).min():.4g}, {p.sum(axis=1).max():.4g}]).")
    return p


def confidence_and_outcome(y_true: Any, probs: Any, caller: str = "calibration") -> tuple[np.ndarray, np.ndarray]:
    """What is binned: ``(confidence, outcome)`` with ``outcome`` in {0, 1}.

    Binary: the positive-class probability and the label; multi-class: the top probability and whether
    the top label is right.
    """
    p = _probabilities(probs, caller)
    y = _labels(y_true, p.shape[0], caller)
    if p.ndim == 1:
        if y.max(initial=0) > 1:
            raise ValueError(f"{caller}: binary probs (one column) need labels 0/1; got label {y.max()}.")
        return p, y.astype(np.float64)
    if y.max(initial=0) >= p.shape[1]:
        raise ValueError(f"{caller}: label {y.max()} is out of range for probs with {p.shape[1]} classes.")
    return p.max(axis=1), (np.argmax(p, axis=1) == y).astype(np.float64)


def _edges(confidence: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    if strategy == "quantile":
        return np.percentile(confidence, np.linspace(0.0, 100.0, n_bins + 1))
    return np.linspace(0.0, 1.0, n_bins + 1)


def reliability_curve(y_true: Any, probs: Any, n_bins: int = 10, strategy: str = "uniform") -> ReliabilityCurve:
    """Mean confidence against observed frequency per bin (see the module docstring).

    For binary ``probs`` this is scikit-learn's ``calibration_curve`` (``prob_pred`` = ``confidence``,
    ``prob_true`` = ``accuracy``); ``n_bins=10, strategy='quantile'`` gives the reliability by decile.
    """
    n_bins = _check_bins(n_bins, strategy, "reliability_curve")
    conf, outcome = confidence_and_outcome(y_true, probs, "reliability_curve")
    edges = _edges(conf, n_bins, strategy)
    ids = np.searchsorted(edges[1:-1], conf)           # bin m holds (edge_m, edge_{m+1}]
    count = np.bincount(ids, minlength=n_bins)
    sums = np.bincount(ids, weights=conf, minlength=n_bins)
    hits = np.bincount(ids, weights=outcome, minlength=n_bins)
    keep = count > 0
    return ReliabilityCurve(sums[keep] / count[keep], hits[keep] / count[keep], count[keep],
                            edges[:-1][keep], edges[1:][keep])


def expected_calibration_error(y_true: Any, probs: Any, n_bins: int = 15, strategy: str = "uniform") -> float:
    """Expected calibration error (module docstring): the count-weighted mean gap between confidence and
    observed frequency over ``n_bins`` bins (Guo et al. 2017 use 15 uniform bins)."""
    n_bins = _check_bins(n_bins, strategy, "expected_calibration_error")
    curve = reliability_curve(y_true, probs, n_bins, strategy)
    return float(np.sum(curve.count * np.abs(curve.accuracy - curve.confidence)) / np.sum(curve.count))


def brier_score(y_true: Any, probs: Any) -> float:
    r"""Mean squared error of the probabilities (Brier 1950).

    Binary (positive-class probabilities): :math:`\frac1n\sum_i (p_i - y_i)^2`, in [0, 1]; multi-class
    ``(n, k)``: :math:`\frac1n\sum_i\sum_k (p_{ik} - [y_i = k])^2`, in [0, 2] — both as scikit-learn's
    ``brier_score_loss``.
    """
    p = _probabilities(probs, "brier_score")
    y = _labels(y_true, p.shape[0], "brier_score")
    if p.ndim == 1:
        if y.max(initial=0) > 1:
            raise ValueError(f"brier_score: binary probs (one column) need labels 0/1; got label {y.max()}.")
        return float(np.mean((p - y) ** 2))
    if y.max(initial=0) >= p.shape[1]:
        raise ValueError(f"brier_score: label {y.max()} is out of range for probs with {p.shape[1]} classes.")
    onehot = np.eye(p.shape[1])[y]
    return float(np.mean(np.sum((p - onehot) ** 2, axis=1)))


def reliability_diagram(y_true: Any, probs: Any, path: str | os.PathLike, n_bins: int = 15,
                        strategy: str = "uniform", title: str | None = None) -> str:
    """Draw the reliability diagram as a PNG at ``path`` and return the path.

    ``probs``: one probability array, or a dict ``{label: probs}`` to overlay several (e.g. before and
    after recalibration). Each curve's legend shows its ECE; a histogram of the confidences sits below.
    """
    from brickwork.plot import pyplot, save_figure

    _check_bins(n_bins, strategy, "reliability_diagram")
    series = probs if isinstance(probs, dict) else {"model": probs}
    if not series:
        raise ValueError("reliability_diagram: probs is an empty dict; give at least one probability array.")
    curves = {label: reliability_curve(y_true, p, n_bins, strategy) for label, p in series.items()}
    plt = pyplot()
    fig, (ax, hist) = plt.subplots(2, 1, figsize=(5.5, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax.plot([0, 1], [0, 1], "--", color="gray", label="perfectly calibrated")
    for label, curve in curves.items():
        ece = np.sum(curve.count * np.abs(curve.accuracy - curve.confidence)) / np.sum(curve.count)
        ax.plot(curve.confidence, curve.accuracy, "o-", markersize=4, label=f"{label} (ECE {ece:.3f})")
        conf, _ = confidence_and_outcome(y_true, series[label], "reliability_diagram")
        hist.hist(conf, bins=np.linspace(0, 1, n_bins + 1), alpha=0.5, label=label)
    binary = all(np.asarray(p).ndim == 1 or np.asarray(p).shape[-1] == 1 for p in series.values())
    ax.set_ylabel("fraction of positives" if binary else "accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(title or f"Reliability diagram ({n_bins} {strategy} bins)")
    hist.set_xlabel("predicted probability" if binary else "confidence (top-label probability)")
    hist.set_ylabel("count")
    hist.set_yscale("log")
    return save_figure(fig, path, dpi=110)

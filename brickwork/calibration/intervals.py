r"""Prediction intervals for regressors: split-conformal intervals and Gaussian intervals from a mean and
a spread (e.g. a deep ensemble's).

*Split conformal* (Vovk et al. 2005; Lei et al. 2018): with absolute residuals
:math:`r_i = |y_i - \hat f(x_i)|` on a calibration split of :math:`n` points the model was not trained on,
let :math:`\hat q` be the :math:`\lceil (n+1)(1-\alpha) \rceil`-th smallest :math:`r_i`; then
:math:`[\hat f(x) - \hat q, \hat f(x) + \hat q]` covers a new exchangeable :math:`y` with probability at
least :math:`1-\alpha`, whatever the model and the noise. ``scale`` (a per-point spread, e.g. an
ensemble's std) makes the scores :math:`r_i / s_i` and the intervals :math:`\hat f \pm \hat q\,s`
(locally adaptive, same guarantee).

*Gaussian*: :math:`\mu \pm z_{1-\alpha/2}\sqrt{\sigma^2 + \sigma_\varepsilon^2}`, right only as far as
the spread and the noise level :math:`\sigma_\varepsilon` are.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist
from typing import Any

import numpy as np


def _check_alpha(alpha: Any, caller: str) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)) or not 0 < alpha < 1:
        raise ValueError(f"{caller}: alpha must be in (0, 1) (e.g. 0.1 for 90% intervals); got {alpha!r}.")
    return float(alpha)


def _vector(values: Any, name: str, caller: str, n: int | None = None) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 2 and v.shape[1] == 1:
        v = v[:, 0]
    if v.ndim != 1:
        raise ValueError(f"{caller}: {name} must be one value per row (shape (n,) or (n, 1)); got {v.shape}.")
    if n is not None and v.shape[0] != n:
        raise ValueError(f"{caller}: {name} has {v.shape[0]} rows, expected {n}.")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{caller}: {name} holds {int(np.sum(~np.isfinite(v)))} non-finite value(s).")
    return v


def conformal_quantile(scores: Any, alpha: float) -> float:
    """The :math:`\\lceil (n+1)(1-\\alpha) \\rceil`-th smallest calibration score (``inf`` when the
    calibration set is too small for that level, i.e. ``n < 1/alpha - 1``)."""
    alpha = _check_alpha(alpha, "conformal_quantile")
    s = np.sort(_vector(scores, "scores", "conformal_quantile"))
    if s.size == 0:
        raise ValueError("conformal_quantile: scores is empty; give the calibration residuals.")
    rank = math.ceil((s.size + 1) * (1 - alpha))
    return float(s[rank - 1]) if rank <= s.size else float("inf")


def interval_coverage(y: Any, lower: Any, upper: Any) -> float:
    """Fraction of ``y`` inside ``[lower, upper]``."""
    y = _vector(y, "y", "interval_coverage")
    lower = np.broadcast_to(np.asarray(lower, dtype=np.float64).reshape(-1) if np.ndim(lower) else lower, y.shape)
    upper = np.broadcast_to(np.asarray(upper, dtype=np.float64).reshape(-1) if np.ndim(upper) else upper, y.shape)
    return float(np.mean((y >= lower) & (y <= upper)))


def gaussian_interval(mean: Any, std: Any, alpha: float = 0.1, noise_std: float = 0.0) -> tuple[np.ndarray,
                                                                                               np.ndarray]:
    """``(lower, upper)`` of ``mean ± z_{1-alpha/2} sqrt(std² + noise_std²)``."""
    alpha = _check_alpha(alpha, "gaussian_interval")
    mean = _vector(mean, "mean", "gaussian_interval")
    std = np.broadcast_to(np.asarray(std, dtype=np.float64).reshape(-1) if np.ndim(std) else std, mean.shape)
    if np.any(std < 0) or not np.all(np.isfinite(std)) or not noise_std >= 0:
        raise ValueError("gaussian_interval: std and noise_std must be finite and non-negative.")
    half = NormalDist().inv_cdf(1 - alpha / 2) * np.sqrt(std ** 2 + float(noise_std) ** 2)
    return mean - half, mean + half


def _predictions(predict: Any, x: Any) -> np.ndarray:
    if hasattr(predict, "predict"):
        out = predict.predict(x, verbose=0) if _takes_verbose(predict) else predict.predict(x)
    elif callable(predict):
        out = predict(x)
    else:
        raise TypeError(f"SplitConformalRegressor: model must be a callable or have .predict; got "
                        f"{type(predict).__name__}.")
    out = out[0] if isinstance(out, tuple) else out     # (mean, std) from an ensemble / MC dropout
    return np.asarray(out, dtype=np.float64).reshape(len(out), -1)[:, 0]


def _takes_verbose(model: Any) -> bool:
    import inspect

    try:
        return "verbose" in inspect.signature(model.predict).parameters
    except (TypeError, ValueError):
        return False


class SplitConformalRegressor:
    """Split-conformal intervals around a fitted regressor (module docstring).

    ``model``: a brickwork/Keras-style model (``.predict``), any object with ``.predict``, or a callable
    ``x -> predictions``. ``fit(x_cal, y_cal)`` must use data the model was not trained on.
    ``predict(x)`` returns ``(prediction, lower, upper)``.
    """

    def __init__(self, model: Any | Callable[[Any], Any], alpha: float = 0.1) -> None:
        self.model, self.alpha = model, _check_alpha(alpha, "SplitConformalRegressor")
        self.quantile_: float | None = None
        self.scaled_ = False

    def fit(self, x_cal: Any, y_cal: Any, scale: Any = None) -> SplitConformalRegressor:
        """Compute the conformal quantile of the calibration residuals (divided by ``scale`` if given)."""
        pred = _predictions(self.model, x_cal)
        y = _vector(y_cal, "y_cal", "SplitConformalRegressor.fit", len(pred))
        scores = np.abs(y - pred)
        if scale is not None:
            s = _vector(scale, "scale", "SplitConformalRegressor.fit", len(pred))
            if np.any(s <= 0):
                raise ValueError("SplitConformalRegressor.fit: scale must be positive for every row.")
            scores = scores / s
        self.quantile_, self.scaled_ = conformal_quantile(scores, self.alpha), scale is not None
        return self

    def predict(self, x: Any, scale: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(prediction, lower, upper)`` for ``x`` (``scale``: required iff ``fit`` had one)."""
        if self.quantile_ is None:
            raise RuntimeError("SplitConformalRegressor.predict: call fit(x_cal, y_cal) first.")
        if (scale is None) == self.scaled_:
            raise ValueError("SplitConformalRegressor.predict: pass scale= exactly when fit was given scale=.")
        pred = _predictions(self.model, x)
        half = self.quantile_ * (1.0 if scale is None else _vector(scale, "scale", "SplitConformalRegressor"
                                                                               ".predict", len(pred)))
        return pred, pred - half, pred + half

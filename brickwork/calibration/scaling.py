r"""Recalibration maps fitted on a validation split: temperature scaling (softmax or sigmoid models), Platt
scaling and isotonic regression (binary scores).

*Temperature scaling* (Guo et al. 2017) divides the logits :math:`z_i` by one :math:`T > 0` chosen to
minimise the validation negative log-likelihood

.. math:: \mathrm{NLL}(T) = \frac1n \sum_i \Bigl[\log\sum_k e^{z_{ik}/T} - z_{i y_i}/T\Bigr].

With :math:`\beta = 1/T` the NLL is convex in :math:`\beta` (a log-sum-exp of affine functions minus an
affine one), with :math:`\mathrm{NLL}'(\beta) = \frac1n\sum_i (\mathbb E_{p_i}[z_i] - z_{iy_i})` and
:math:`\mathrm{NLL}''(\beta) = \frac1n\sum_i \mathrm{Var}_{p_i}[z_i] \ge 0`, so a safeguarded Newton
iteration finds it exactly. It changes no prediction's rank or arg-max.

*Platt scaling* (Platt 1999) fits :math:`p = 1/(1 + e^{A s + B})` to binary scores :math:`s` by maximum
likelihood against Platt's smoothed targets :math:`t_+ = (N_+ + 1)/(N_+ + 2)`, :math:`t_- = 1/(N_- + 2)`
(as scikit-learn's ``CalibratedClassifierCV(method='sigmoid')``).

*Isotonic calibration* (Zadrozny & Elkan 2002) fits the non-decreasing step function of the score that
is closest to the labels in squared error, by the pool-adjacent-violators algorithm, and interpolates
linearly between its steps (scikit-learn's ``IsotonicRegression(out_of_bounds='clip')``).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _logits(logits: Any, caller: str) -> tuple[np.ndarray, bool]:
    """``(n, k)`` float64 logits and whether the input was one binary logit per row."""
    z = np.asarray(logits, dtype=np.float64)
    binary = z.ndim == 1 or (z.ndim == 2 and z.shape[1] == 1)
    if z.ndim not in (1, 2) or z.shape[0] == 0:
        raise ValueError(f"{caller}: logits must have shape (n,), (n, 1) or (n, k) with n > 0; got {z.shape}.")
    if not np.all(np.isfinite(z)):
        raise ValueError(f"{caller}: logits hold {int(np.sum(~np.isfinite(z)))} non-finite value(s).")
    if binary:
        z = np.stack([np.zeros(z.shape[0]), z.reshape(-1)], axis=1)   # sigmoid(z) = softmax([0, z])[1]
    return z, binary


def _class_labels(y: Any, n: int, k: int, caller: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = np.argmax(y, axis=1)
    y = y.reshape(-1)
    if y.shape[0] != n:
        raise ValueError(f"{caller}: got {y.shape[0]} labels for {n} rows of scores.")
    if y.dtype.kind not in "biuf" or np.any(y != np.round(y)) or np.any(y < 0) or np.any(y >= k):
        raise ValueError(f"{caller}: labels must be integers in [0, {k}) (0/1 for binary); got e.g. "
                         f"{y[:5].tolist()}.")
    return y.astype(np.int64)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _nll(z: np.ndarray, y: np.ndarray, beta: float) -> float:
    s = beta * z
    m = s.max(axis=1)
    return float(np.mean(m + np.log(np.exp(s - m[:, None]).sum(axis=1)) - s[np.arange(len(y)), y]))


class TemperatureScaling:
    """Divide logits by a temperature ``T`` fitted to minimise the validation NLL (module docstring).

    ``fit(logits_val, y_val)`` takes ``(n, k)`` softmax logits (or ``(n,)`` / ``(n, 1)`` sigmoid logits)
    and integer (or one-hot) labels; ``transform(logits)`` returns the recalibrated probabilities
    (``(n, k)``, or ``(n,)`` positive-class probabilities for sigmoid logits). ``T > 1`` softens an
    overconfident model. ``bounds``: the allowed range of ``T``.
    """

    def __init__(self, bounds: tuple[float, float] = (1e-3, 1e3), max_iter: int = 100, tol: float = 1e-10) -> None:
        low, high = (float(b) for b in bounds)
        if not 0 < low < high < np.inf:
            raise ValueError(f"TemperatureScaling: bounds must satisfy 0 < low < high; got {bounds!r}.")
        self.bounds, self.max_iter, self.tol = (low, high), int(max_iter), float(tol)
        self.temperature_: float | None = None
        self.n_classes_: int | None = None

    def fit(self, logits: Any, y: Any) -> TemperatureScaling:
        """Fit ``T`` on validation ``logits`` and labels ``y``; returns ``self``."""
        z, _ = _logits(logits, "TemperatureScaling.fit")
        y = _class_labels(y, z.shape[0], z.shape[1], "TemperatureScaling.fit")
        # beta = 1/T in [1/high, 1/low]; NLL is convex in beta: Newton, bisection when Newton leaves the bracket
        lo, hi = 1.0 / self.bounds[1], 1.0 / self.bounds[0]
        zy = z[np.arange(len(y)), y]

        def derivatives(beta: float) -> tuple[float, float]:
            p = _softmax(beta * z)
            mean = np.sum(p * z, axis=1)
            var = np.sum(p * z * z, axis=1) - mean ** 2
            return float(np.mean(mean - zy)), float(np.mean(np.maximum(var, 0.0)))

        if derivatives(lo)[0] >= 0:      # the NLL rises from the smallest beta: T at its upper bound
            beta = lo
        elif derivatives(hi)[0] <= 0:    # still falling at the largest beta: T at its lower bound
            beta = hi
        else:
            beta = min(max(1.0, lo), hi)
            for _ in range(self.max_iter):
                g, h = derivatives(beta)
                if g > 0:
                    hi = beta
                else:
                    lo = beta
                step = beta - g / h if h > 0 else np.nan
                new = step if lo < step < hi else 0.5 * (lo + hi)
                if abs(new - beta) <= self.tol * max(beta, 1.0):
                    beta = new
                    break
                beta = new
        self.temperature_ = float(1.0 / beta)
        self.n_classes_ = z.shape[1]
        return self

    def transform(self, logits: Any) -> np.ndarray:
        """Probabilities ``softmax(logits / T)`` (``sigmoid(logits / T)`` for one logit per row)."""
        if self.temperature_ is None:
            raise RuntimeError("TemperatureScaling.transform: call fit(logits_val, y_val) first.")
        z, binary = _logits(logits, "TemperatureScaling.transform")
        if z.shape[1] != self.n_classes_:
            raise ValueError(f"TemperatureScaling.transform: fitted on {self.n_classes_} classes, got logits "
                             f"with {z.shape[1]}.")
        p = _softmax(z / self.temperature_)
        return p[:, 1] if binary else p

    def fit_transform(self, logits: Any, y: Any) -> np.ndarray:
        return self.fit(logits, y).transform(logits)

    def nll(self, logits: Any, y: Any, temperature: float | None = None) -> float:
        """Mean negative log-likelihood of ``y`` under ``softmax(logits / T)`` (default: the fitted ``T``)."""
        z, _ = _logits(logits, "TemperatureScaling.nll")
        y = _class_labels(y, z.shape[0], z.shape[1], "TemperatureScaling.nll")
        t = self.temperature_ if temperature is None else float(temperature)
        if t is None or not t > 0:
            raise ValueError(f"TemperatureScaling.nll: need a positive temperature (fit first); got {t!r}.")
        return _nll(z, y, 1.0 / t)


def _binary_scores(scores: Any, caller: str, on: str) -> np.ndarray:
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.ndim != 1 or s.shape[0] == 0:
        raise ValueError(f"{caller}: expects one score per row (shape (n,) or (n, 1)) of a binary model; got "
                         f"shape {s.shape}. For a softmax model use TemperatureScaling.")
    if not np.all(np.isfinite(s)):
        raise ValueError(f"{caller}: scores hold {int(np.sum(~np.isfinite(s)))} non-finite value(s).")
    if on == "probabilities":
        if s.min() < 0 or s.max() > 1:
            raise ValueError(f"{caller}: on='probabilities' needs scores in [0, 1]; got [{s.min():.4g}, "
                             f"{s.max():.4g}].")
        s = np.clip(s, 1e-12, 1 - 1e-12)
        s = np.log(s / (1 - s))
    return s


def _binary_labels(y: Any, n: int, caller: str) -> np.ndarray:
    y = np.asarray(y).reshape(-1)
    if y.shape[0] != n:
        raise ValueError(f"{caller}: got {y.shape[0]} labels for {n} scores.")
    if y.dtype.kind not in "biuf" or not np.all(np.isin(y, (0, 1))):
        raise ValueError(f"{caller}: labels must be 0/1; got e.g. {np.unique(y)[:5].tolist()}.")
    return y.astype(np.float64)


def _check_on(on: str, caller: str) -> str:
    if on not in ("logits", "probabilities"):
        raise ValueError(f"{caller}: on must be 'logits' or 'probabilities'; got {on!r}.")
    return on


class PlattScaling:
    """Platt's sigmoid ``p = 1 / (1 + exp(A s + B))`` of a binary score ``s`` (module docstring).

    ``on='logits'`` (default): ``s`` is a logit / decision value; ``on='probabilities'``: ``s`` is a
    probability, mapped to its log-odds first. ``smooth_targets=False`` fits the raw 0/1 labels
    (plain logistic regression on the score).
    """

    def __init__(self, on: str = "logits", smooth_targets: bool = True, max_iter: int = 100) -> None:
        self.on, self.smooth_targets, self.max_iter = _check_on(on, "PlattScaling"), bool(smooth_targets), max_iter
        self.a_: float | None = None
        self.b_: float | None = None

    def fit(self, scores: Any, y: Any) -> PlattScaling:
        """Fit ``A`` and ``B`` by Newton's method with step halving; returns ``self``."""
        s = _binary_scores(scores, "PlattScaling.fit", self.on)
        y = _binary_labels(y, s.shape[0], "PlattScaling.fit")
        n_pos, n_neg = float(y.sum()), float(len(y) - y.sum())
        t = np.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2)) if self.smooth_targets else y
        scale = max(float(np.max(np.abs(s))), 1.0)   # conditioning only: A is rescaled back below
        f = s / scale
        theta = np.array([0.0, np.log((n_neg + 1) / (n_pos + 1))])

        def loss(th: np.ndarray) -> float:
            u = th[0] * f + th[1]                      # p = sigmoid(-u)
            return float(np.sum(t * np.logaddexp(0, u) + (1 - t) * np.logaddexp(0, -u)))

        current = loss(theta)
        for _ in range(self.max_iter):
            p = np.exp(-np.logaddexp(0, theta[0] * f + theta[1]))
            r = t - p                                   # d loss / d u
            grad = np.array([r @ f, r.sum()])
            w = p * (1 - p)
            hess = np.array([[w @ (f * f), w @ f], [w @ f, w.sum()]]) + 1e-12 * np.eye(2)
            step = np.linalg.solve(hess, grad)
            rate, improved = 1.0, False
            while rate > 1e-10:
                candidate = theta - rate * step
                value = loss(candidate)
                if value <= current:
                    improved = True
                    break
                rate /= 2
            if not improved:
                break
            small = np.max(np.abs(rate * step)) < 1e-10
            theta, current = candidate, value
            if small:
                break
        self.a_, self.b_ = float(theta[0] / scale), float(theta[1])
        return self

    def transform(self, scores: Any) -> np.ndarray:
        """Calibrated positive-class probabilities, shape ``(n,)``."""
        if self.a_ is None:
            raise RuntimeError("PlattScaling.transform: call fit(scores_val, y_val) first.")
        s = _binary_scores(scores, "PlattScaling.transform", self.on)
        return np.exp(-np.logaddexp(0, self.a_ * s + self.b_))

    def fit_transform(self, scores: Any, y: Any) -> np.ndarray:
        return self.fit(scores, y).transform(scores)


def pool_adjacent_violators(y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """The non-decreasing sequence closest to ``y`` in (``w``-weighted) squared error."""
    y = np.asarray(y, dtype=np.float64)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=np.float64)
    means, weights, sizes = [], [], []
    for value, weight in zip(y, w):
        means.append(value)
        weights.append(weight)
        sizes.append(1)
        while len(means) > 1 and means[-2] > means[-1]:   # a violation: pool the last two blocks
            total = weights[-2] + weights[-1]
            means[-2] = (means[-2] * weights[-2] + means[-1] * weights[-1]) / total
            weights[-2] = total
            sizes[-2] += sizes[-1]
            del means[-1], weights[-1], sizes[-1]
    return np.repeat(means, sizes)


class IsotonicCalibration:
    """A non-decreasing map from a binary score to a probability (module docstring), clipped to the
    fitted range of scores outside it. ``on``: as :class:`PlattScaling` (isotonic regression does not
    care which, since it is invariant to monotone maps of the score; only the inputs must agree)."""

    def __init__(self, on: str = "logits") -> None:
        self.on = _check_on(on, "IsotonicCalibration")
        self.x_: np.ndarray | None = None
        self.y_: np.ndarray | None = None

    def fit(self, scores: Any, y: Any) -> IsotonicCalibration:
        """Fit the step function on validation ``scores`` and 0/1 labels ``y``; returns ``self``."""
        s = _binary_scores(scores, "IsotonicCalibration.fit", self.on)
        y = _binary_labels(y, s.shape[0], "IsotonicCalibration.fit")
        order = np.argsort(s, kind="mergesort")
        x_sorted, y_sorted = s[order], y[order]
        unique, start, counts = np.unique(x_sorted, return_index=True, return_counts=True)
        sums = np.add.reduceat(y_sorted, start)           # tied scores: one point with their mean label
        fitted = pool_adjacent_violators(sums / counts, counts.astype(np.float64))
        self.x_, self.y_ = unique, np.clip(fitted, 0.0, 1.0)
        return self

    def transform(self, scores: Any) -> np.ndarray:
        """Calibrated positive-class probabilities, shape ``(n,)``."""
        if self.x_ is None:
            raise RuntimeError("IsotonicCalibration.transform: call fit(scores_val, y_val) first.")
        s = _binary_scores(scores, "IsotonicCalibration.transform", self.on)
        if len(self.x_) == 1:
            return np.full(s.shape, self.y_[0])
        return np.interp(s, self.x_, self.y_)

    def fit_transform(self, scores: Any, y: Any) -> np.ndarray:
        return self.fit(scores, y).transform(scores)

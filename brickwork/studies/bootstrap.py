r"""Paired percentile bootstrap confidence intervals for a metric and for the difference of a metric
between two models scored on the same rows.

Each bootstrap replicate draws ``n`` rows with replacement (or, with ``block > 1``, consecutive blocks of
``block`` rows starting at uniformly drawn positions: the moving-block bootstrap for serially dependent
rows such as a time series) and evaluates the metric on them; *paired* means both models are evaluated
on the same drawn rows, so the interval of the difference accounts for their correlation. The
``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of the ``n_boot`` replicates are the interval
(Efron's percentile method). The replicates are computed as weighted metrics with each row's draw count
as its weight, which equals evaluating the metric on the drawn rows and is fast for ROC AUC.

The random draws come from ``numpy.random.default_rng(seed)``: the same seed, data and ``n_boot`` give
the same interval.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

Metric = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def weighted_auc(y: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC of ``scores`` for the binary labels ``y`` with row weights ``weights`` of shape ``(b, n)``
    (one AUC per row of weights; ties count one half). ``nan`` where a class has zero weight."""
    y = np.asarray(y).reshape(-1) > 0.5
    scores = np.asarray(scores, np.float64).reshape(-1)
    weights = np.atleast_2d(np.asarray(weights, np.float64))
    order = np.argsort(scores, kind="stable")
    ranked, y, weights = scores[order], y[order], weights[:, order]
    pos, neg = weights * y, weights * ~y
    if np.any(ranked[1:] == ranked[:-1]):                      # tied scores: one group per distinct score
        starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
        pos, neg = np.add.reduceat(pos, starts, axis=1), np.add.reduceat(neg, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg                      # negative weight strictly below each group
    pairs = np.sum(pos * (below + 0.5 * neg), axis=1)
    total = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, pairs / np.where(total > 0, total, 1.0), np.nan)


def weighted_accuracy(y: np.ndarray, predicted: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Share of rows (weighted) where ``predicted`` equals ``y``, per row of ``weights`` ``(b, n)``."""
    right = (np.asarray(predicted).reshape(-1) == np.asarray(y).reshape(-1)).astype(np.float64)
    weights = np.atleast_2d(np.asarray(weights, np.float64))
    return weights @ right / weights.sum(axis=1)


def weighted_mse(y: np.ndarray, predicted: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean squared error of ``predicted`` against ``y``, per row of ``weights`` ``(b, n)``."""
    err = (np.asarray(predicted, np.float64).reshape(-1) - np.asarray(y, np.float64).reshape(-1)) ** 2
    weights = np.atleast_2d(np.asarray(weights, np.float64))
    return weights @ err / weights.sum(axis=1)


METRICS: dict[str, Metric] = {"auc": weighted_auc, "accuracy": weighted_accuracy, "mse": weighted_mse}


def resample_indices(n: int, n_boot: int, seed: int = 0, block: int = 1) -> np.ndarray:
    """``(n_boot, n)`` row indices of the bootstrap replicates (see the module docstring)."""
    if n < 1:
        raise ValueError(f"resample_indices: need at least one row; got n={n}.")
    if n_boot < 1:
        raise ValueError(f"resample_indices: n_boot must be a positive integer; got {n_boot}.")
    if not 1 <= block <= n:
        raise ValueError(f"resample_indices: block must be between 1 and n={n}; got {block}.")
    return np.concatenate(list(_index_chunks(n, n_boot, seed, block, n_boot)))


def _index_chunks(n: int, n_boot: int, seed: int, block: int, chunk: int) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(seed)
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        if block == 1:
            yield rng.integers(0, n, (size, n))
        else:
            starts = rng.integers(0, n - block + 1, (size, -(-n // block)))
            yield (starts[:, :, None] + np.arange(block)).reshape(size, -1)[:, :n]


@dataclass(frozen=True)
class Interval:
    """A bootstrap estimate: the metric (or difference) on the data itself and its percentile interval."""

    estimate: float
    low: float
    high: float
    level: float
    n_boot: int
    n: int
    block: int = 1

    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of zero."""
        return self.low > 0 or self.high < 0

    def format(self, digits: int = 4, signed: bool = False) -> str:
        """``"0.8123 [0.8010, 0.8231]"`` (``signed``: with a sign, for differences)."""
        spec = f"{'+' if signed else ''}.{digits}f"
        return f"{self.estimate:{spec}} [{self.low:{spec}}, {self.high:{spec}}]"

    def method(self) -> str:
        """One sentence naming the method, for a report."""
        kind = "rows drawn with replacement" if self.block == 1 else f"moving blocks of {self.block} rows"
        return (f"{self.level:.0%} paired percentile bootstrap interval, {self.n_boot:,} replicates of "
                f"{kind}, n = {self.n:,}")

    def to_dict(self) -> dict[str, float | int]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high, "level": self.level,
                "n_boot": self.n_boot, "n": self.n, "block": self.block}


def _metric(metric: str | Metric) -> Metric:
    if callable(metric):
        return metric
    if metric not in METRICS:
        raise ValueError(f"bootstrap: unknown metric {metric!r}; use one of {', '.join(METRICS)} or a function "
                         "metric(y, predicted, weights).")
    return METRICS[metric]


def metric_value(metric: str | Metric, y: np.ndarray, predicted: np.ndarray) -> float:
    """``metric`` on the data itself (every row weight 1)."""
    y, predicted = np.asarray(y).reshape(-1), np.asarray(predicted).reshape(-1)
    if len(predicted) != len(y):
        raise ValueError(f"bootstrap: predictions have {len(predicted)} rows but y has {len(y)}.")
    return float(_metric(metric)(y, np.asarray(predicted).reshape(-1), np.ones((1, len(y))))[0])


def bootstrap_replicates(metric: str | Metric, y: np.ndarray, predictions: list[np.ndarray], n_boot: int = 2000,
                         seed: int = 0, block: int = 1, chunk: int = 200) -> list[np.ndarray]:
    """The ``n_boot`` replicates of ``metric`` for each of ``predictions``, all on the same draws (paired)."""
    metric = _metric(metric)
    y = np.asarray(y).reshape(-1)
    predictions = [np.asarray(p).reshape(-1) for p in predictions]
    n = len(y)
    for p in predictions:
        if len(p) != n:
            raise ValueError(f"bootstrap: predictions have {len(p)} rows but y has {n}.")
    resample_indices(n, 1, seed, block)                       # validates n and block
    out: list[list[np.ndarray]] = [[] for _ in predictions]
    for part in _index_chunks(n, n_boot, seed, block, chunk):
        flat = (part + n * np.arange(len(part))[:, None]).ravel()
        counts = np.bincount(flat, minlength=len(part) * n).reshape(len(part), n).astype(np.float64)
        for k, p in enumerate(predictions):
            out[k].append(metric(y, p, counts))
    return [np.concatenate(v) for v in out]


def percentile_interval(estimate: float, values: np.ndarray, level: float, n: int, block: int = 1) -> Interval:
    """The percentile interval of the replicates ``values`` around ``estimate`` (non-finite replicates dropped)."""
    if not 0 < level < 1:
        raise ValueError(f"bootstrap: level must be in (0, 1); got {level}.")
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("bootstrap: no replicate gave a finite value (e.g. a class absent from every draw).")
    low, high = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return Interval(float(estimate), float(low), float(high), level, int(values.size), n, block)


def bootstrap_ci(metric: str | Metric, y: np.ndarray, predicted: np.ndarray, n_boot: int = 2000, seed: int = 0,
                 level: float = 0.95, block: int = 1) -> Interval:
    """Percentile bootstrap interval of ``metric`` (``"auc"``, ``"accuracy"``, ``"mse"`` or a function
    ``metric(y, predicted, weights)``) of one model."""
    y = np.asarray(y).reshape(-1)
    estimate = metric_value(metric, y, predicted)
    (values,) = bootstrap_replicates(metric, y, [predicted], n_boot, seed, block)
    return percentile_interval(estimate, values, level, len(y), block)


def paired_difference(metric: str | Metric, y: np.ndarray, predicted: np.ndarray, baseline: np.ndarray,
                      n_boot: int = 2000, seed: int = 0, level: float = 0.95, block: int = 1) -> Interval:
    """Paired percentile bootstrap interval of ``metric(model) - metric(baseline)`` on the same rows."""
    y = np.asarray(y).reshape(-1)
    estimate = metric_value(metric, y, predicted) - metric_value(metric, y, baseline)
    a, b = bootstrap_replicates(metric, y, [predicted, baseline], n_boot, seed, block)
    return percentile_interval(estimate, a - b, level, len(y), block)

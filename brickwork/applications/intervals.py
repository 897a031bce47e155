r"""Confidence intervals for comparing classifiers: over seeds, over test passages, and paired over splits.

* :func:`t_interval` — the Student-t interval of a mean from :math:`n` values :math:`a_i`:
  :math:`\bar a \pm t_{n-1,\,(1+\ell)/2}\; s / \sqrt n` with :math:`s` the sample standard deviation
  (``ddof = 1``) and :math:`\ell` the level.
* :func:`wilson_interval` — the Wilson score interval of a proportion :math:`\hat p = c / n`:

  .. math::

      \frac{\hat p + z^2/(2n)}{1 + z^2/n} \;\pm\;
      \frac{z\sqrt{\hat p(1-\hat p)/n + z^2/(4n^2)}}{1 + z^2/n}.

* :func:`paired_t_interval` — the t-interval of the mean *paired* difference :math:`d_i = a_i - b_i` of two
  methods scored on the same :math:`n` splits: the split-to-split variation that both methods share (an easy
  split is easy for both) cancels in :math:`d_i`, so this is the honest interval for "is A better than B
  across splits", where the separate intervals of A and B overlap needlessly.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np


class PairedDifference(NamedTuple):
    """What :func:`paired_t_interval` returns."""

    differences: list[float]
    """``a_i - b_i`` per pair, in input order."""
    mean: float
    """Mean of the differences."""
    half_width: float
    """Half width of the t-interval (``nan`` for a single pair)."""
    low: float
    """``mean - half_width``."""
    high: float
    """``mean + half_width``."""


def _values(where: str, name: str, values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{where}: {name} must be a non-empty 1-D sequence of numbers; got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{where}: {name} must be finite; got {array.tolist()}.")
    return array


def _level(where: str, level: float) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0.0 < level < 1.0:
        raise ValueError(f"{where}: level must be in (0, 1); got {level!r}.")
    return float(level)


def t_interval(values: Any, level: float = 0.95) -> tuple[float, float]:
    """``(mean, half_width)`` of the Student-t interval for the mean of ``values`` (``half_width`` is ``nan``
    for a single value).

    Raises:
        ValueError: empty, non-1-D or non-finite ``values``, or ``level`` outside (0, 1).
    """
    from scipy import stats

    array = _values("t_interval", "values", values)
    level = _level("t_interval", level)
    if array.size < 2:
        return float(array.mean()), float("nan")
    half = stats.t.ppf(0.5 + level / 2, array.size - 1) * array.std(ddof=1) / math.sqrt(array.size)
    return float(array.mean()), float(half)


def wilson_interval(correct: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval ``(low, high)`` of the proportion ``correct / n`` (``z`` = 1.96: 95 %).

    Raises:
        ValueError: ``n < 1``, ``correct`` outside ``[0, n]`` or a non-positive ``z``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"wilson_interval: n must be a positive integer; got {n!r}.")
    if isinstance(correct, bool) or not isinstance(correct, (int, np.integer)) or not 0 <= correct <= n:
        raise ValueError(f"wilson_interval: correct must be an integer in [0, n = {n}]; got {correct!r}.")
    if not z > 0:
        raise ValueError(f"wilson_interval: z must be positive; got {z!r}.")
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def paired_t_interval(a: Any, b: Any, level: float = 0.95) -> PairedDifference:
    """The t-interval of the mean of ``a_i - b_i`` over paired scores (the same splits, seeds or folds).

    Raises:
        ValueError: ``a`` and ``b`` of different lengths, empty, non-finite, or ``level`` outside (0, 1).
    """
    a = _values("paired_t_interval", "a", a)
    b = _values("paired_t_interval", "b", b)
    if a.shape != b.shape:
        raise ValueError(f"paired_t_interval: a and b must pair up one to one; got {a.size} and {b.size} values.")
    differences = a - b
    mean, half = t_interval(differences, _level("paired_t_interval", level))
    return PairedDifference(differences.tolist(), mean, half, mean - half, mean + half)


__all__ = ["PairedDifference", "paired_t_interval", "t_interval", "wilson_interval"]

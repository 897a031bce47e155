r"""The Diebold–Mariano test of equal forecast accuracy, with the Harvey–Leybourne–Newbold small-sample
correction (Diebold & Mariano 1995; Harvey, Leybourne & Newbold 1997).

For two forecasts of the same series with errors :math:`e_{1t}, e_{2t}` (:math:`t = 1..n`), the loss
differential is :math:`d_t = L(e_{1t}) - L(e_{2t})` (squared error by default, or absolute error).
Under the null of equal expected loss, with :math:`h` the forecast horizon,

.. math:: \bar d = \frac1n\sum_t d_t,\qquad
          \hat\gamma_k = \frac1n\sum_{t=k+1}^{n} (d_t - \bar d)(d_{t-k} - \bar d),\qquad
          \mathrm{DM} = \frac{\bar d}{\sqrt{(\hat\gamma_0 + 2\sum_{k=1}^{h-1}\hat\gamma_k)/n}},

(an :math:`h`-step forecast error is at most MA(:math:`h-1`), hence the truncation at lag :math:`h-1`)
and the corrected statistic

.. math:: \mathrm{DM}^* = \mathrm{DM}\,\sqrt{\frac{n + 1 - 2h + h(h-1)/n}{n}}

is compared with Student's :math:`t` with :math:`n - 1` degrees of freedom. This is the statistic of R's
``forecast::dm.test``. A negative statistic means the first forecast has the lower loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DieboldMariano:
    """Result of :func:`diebold_mariano`: the corrected statistic, its p-value, and the inputs' summary."""

    statistic: float
    p_value: float
    mean_difference: float
    n: int
    horizon: int
    loss: str
    alternative: str

    def to_dict(self) -> dict[str, float | int | str]:
        return {"statistic": self.statistic, "p_value": self.p_value, "mean_difference": self.mean_difference,
                "n": self.n, "horizon": self.horizon, "loss": self.loss, "alternative": self.alternative}


def diebold_mariano(actual: np.ndarray, forecast_1: np.ndarray, forecast_2: np.ndarray, horizon: int = 1,
                    loss: str = "squared", alternative: str = "two-sided") -> DieboldMariano:
    """Test whether ``forecast_1`` and ``forecast_2`` of ``actual`` are equally accurate (module docstring).

    ``loss``: ``"squared"`` or ``"absolute"`` error. ``alternative``: ``"two-sided"``, ``"less"`` (forecast 1
    is more accurate) or ``"greater"`` (forecast 2 is more accurate).
    """
    from scipy import stats

    actual = np.asarray(actual, np.float64).reshape(-1)
    f1, f2 = (np.asarray(f, np.float64).reshape(-1) for f in (forecast_1, forecast_2))
    if not (len(actual) == len(f1) == len(f2)):
        raise ValueError(f"diebold_mariano: actual, forecast_1 and forecast_2 must have the same length; got "
                         f"{len(actual)}, {len(f1)} and {len(f2)}.")
    n = len(actual)
    if n < 3:
        raise ValueError(f"diebold_mariano: need at least 3 forecasts; got {n}.")
    if not 1 <= horizon < n:
        raise ValueError(f"diebold_mariano: horizon must be between 1 and n - 1 = {n - 1}; got {horizon}.")
    if loss not in ("squared", "absolute"):
        raise ValueError(f"diebold_mariano: loss must be 'squared' or 'absolute'; got {loss!r}.")
    if alternative not in ("two-sided", "less", "greater"):
        raise ValueError(f"diebold_mariano: alternative must be 'two-sided', 'less' or 'greater'; got "
                         f"{alternative!r}.")
    if not (np.all(np.isfinite(actual)) and np.all(np.isfinite(f1)) and np.all(np.isfinite(f2))):
        raise ValueError("diebold_mariano: actual and forecasts must be finite (no NaN or Inf).")
    e1, e2 = actual - f1, actual - f2
    d = e1 ** 2 - e2 ** 2 if loss == "squared" else np.abs(e1) - np.abs(e2)
    mean = float(d.mean())
    centred = d - mean
    gamma = [float(centred[k:] @ centred[:n - k]) / n for k in range(horizon)]
    variance = (gamma[0] + 2.0 * sum(gamma[1:])) / n
    if variance <= 0:                       # identical losses (or a degenerate long-run variance): no evidence
        statistic, p_value = 0.0, 1.0
    else:
        correction = np.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
        statistic = float(mean / np.sqrt(variance) * correction)
        if alternative == "two-sided":
            p_value = float(2 * stats.t.sf(abs(statistic), n - 1))
        elif alternative == "less":
            p_value = float(stats.t.cdf(statistic, n - 1))
        else:
            p_value = float(stats.t.sf(statistic, n - 1))
    return DieboldMariano(statistic, p_value, mean, n, horizon, loss, alternative)

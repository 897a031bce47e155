"""The course's case studies as runnable studies (``brickwork study list`` / ``brickwork study run NAME``).

Each writes a report folder: ``report.md`` with the metrics table against the baselines and a plain
verdict, figures, ``metrics.json`` and the saved model. They need the ``studies`` extra
(pandas, scikit-learn, statsmodels, pmdarima, matplotlib).
"""

from __future__ import annotations

import importlib
from typing import Any

STUDIES: dict[str, tuple[str, str]] = {
    "default-risk": ("brickwork.studies.default_risk",
                     "seed 000: default risk from application data + card-balance histories (GRU hybrid vs "
                     "logistic regression and gradient-boosted trees); --data DIR reads the real Home Credit CSVs"),
    "market": ("brickwork.studies.market",
               "seed 003: next-day MSFT direction — dense, LSTM, cost-sensitive α=2/5 vs baselines, with a "
               "LIME-style explanation"),
    "forecasting": ("brickwork.studies.forecasting",
                    "seed 004: one-step forecasts (MSFT returns, US GDP growth) — LSTM, CNN, MLP vs ARIMA, VAR"),
}


def run_study(name: str, out: str, data: str | None = None, quick: bool = False, **kwargs: Any) -> Any:
    """Run study ``name`` (see :data:`STUDIES`) and return its report."""
    if name not in STUDIES:
        raise ValueError(f"Unknown study {name!r}; available: {', '.join(STUDIES)}.")
    module = importlib.import_module(STUDIES[name][0])
    return module.run(out, data=data, quick=quick, **kwargs)


__all__ = ["STUDIES", "run_study"]

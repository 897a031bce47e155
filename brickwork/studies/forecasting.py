"""Case study (seed 004): one-step-ahead forecasts, LSTM / 1-D CNN / MLP against ARIMA and VAR.

Two real series: MSFT daily log returns (pmdarima; the last 2,500 days, with the log volume change as
VAR's second variable) and US quarterly real GDP growth (statsmodels' macrodata; VAR adds consumption
and investment growth). Every model forecasts :math:`y_{t+1}` from the same window of the last
``w`` observations; the networks are fitted on the first 80% (early stopping on the last 10% of it),
ARIMA and VAR are estimated on the same 80%. MSE in sample (the training part) and out of sample (the
last 20%), as seed 004's table, plus the naive forecast "same as the training mean".
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork.datasets.markets import load_macro, load_msft
from brickwork.studies.market import windows
from brickwork.studies.report import Report


def _series() -> dict[str, tuple[np.ndarray, np.ndarray, int]]:
    """name → (target series, extra VAR variables (n, k), window)."""
    msft = load_msft().iloc[-2501:]
    ret = np.diff(np.log(msft["Close"].to_numpy(float)))
    vol = np.diff(np.log(msft["Volume"].to_numpy(float).clip(1)))
    macro = load_macro()
    growth = {c: 100 * np.diff(np.log(macro[c].to_numpy(float))) for c in ("realgdp", "realcons", "realinv")}
    return {"MSFT daily log return": (ret, vol[:, None], 10),
            "US real GDP growth (quarterly, %)": (growth["realgdp"],
                                                  np.column_stack([growth["realcons"], growth["realinv"]]), 4)}


def _network(kind: str, w: int, k: int) -> Any:
    inp = layers.Input((w, k))
    if kind == "LSTM":
        h = layers.LSTM(32)(inp)
    elif kind == "CNN":
        h = layers.Conv1D(16, 3, activation="relu", padding="causal")(inp)
        h = layers.GlobalAveragePooling1D()(layers.Conv1D(16, 3, activation="relu", padding="causal")(h))
    else:
        h = layers.Dense(32, activation="relu")(layers.Flatten()(inp))
    out = layers.Dense(1)(layers.Dense(16, activation="relu")(h))
    model = bw.Model(inp, out)
    model.compile(bw.optimizers.Adam(1e-3), "mse")
    return model


def forecast_table(y: np.ndarray, extra: np.ndarray, w: int, quick: bool = False, seed: int = 0
                   ) -> dict[str, tuple[float, float]]:
    """``{model: (MSE in sample, MSE out of sample)}`` for one series (see the module docstring)."""
    from statsmodels.tsa.api import VAR
    from statsmodels.tsa.arima.model import ARIMA

    n = len(y)
    split = int(0.8 * n)
    mu, sd = y[:split].mean(), y[:split].std()
    z = ((y - mu) / sd).astype(np.float32)
    win = windows(z[:, None], w)[:-1]                        # window ending at t-1 → target y_t
    target = z[w:]
    t_index = np.arange(w, n)
    train, test = t_index < split, t_index >= split
    results: dict[str, tuple[float, float]] = {}
    mse = lambda pred, mask: float(np.mean((pred[mask] * sd + mu - y[w:][mask]) ** 2))  # noqa: E731
    for kind in ("LSTM", "CNN", "MLP"):
        bw.set_seed(seed)
        model = _network(kind, w, 1)
        model.fit(win[train], target[train], validation_split=0.1, epochs=30 if quick else 100, batch_size=32,
                  verbose=0, callbacks=[bw.callbacks.EarlyStopping(patience=8, restore_best_weights=True)])
        pred = model.predict(win, verbose=0).ravel()
        results[kind] = (mse(pred, train), mse(pred, test))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arima = ARIMA(y[:split], order=(2, 0, 1)).fit()
        full = arima.apply(y)                                    # same parameters, one-step predictions on all
        pred = full.predict(start=w, end=n - 1)
    results["ARIMA(2,0,1)"] = (float(np.mean((pred[train] - y[w:][train]) ** 2)),
                               float(np.mean((pred[test] - y[w:][test]) ** 2)))
    data = np.column_stack([y, extra])
    var = VAR(data[:split]).fit(maxlags=min(w, 8), ic="aic")
    p = max(var.k_ar, 1)
    lagged = np.stack([data[t - p:t] for t in range(w, n)])     # (m, p, k), oldest first
    coefs = var.coefs                                          # (p, k, k): lag 1 first
    pred = var.intercept[0] + sum(lagged[:, p - 1 - i] @ coefs[i][0] for i in range(var.k_ar)) \
        if var.k_ar else np.full(len(lagged), var.intercept[0])
    results[f"VAR({var.k_ar})"] = (float(np.mean((pred[train] - y[w:][train]) ** 2)),
                                   float(np.mean((pred[test] - y[w:][test]) ** 2)))
    naive = np.full(len(t_index), mu)
    results["naive (training mean)"] = (float(np.mean((naive[train] - y[w:][train]) ** 2)),
                                        float(np.mean((naive[test] - y[w:][test]) ** 2)))
    return results


def run(out: str, data: str | None = None, quick: bool = False, seed: int = 0, verbose: int = 1) -> Report:
    """Run the study and write its report folder."""
    report = Report("One-step-ahead forecasting: networks against ARIMA and VAR (seed 004)", out)
    report.text("Same windows for every model; training on the first 80% of each series, test on the last "
                "20%. MSE in the series' own units (squared).")
    metrics = {}
    for name, (y, extra, w) in _series().items():
        table = forecast_table(y, extra, w, quick, seed)
        metrics[name] = table
        report.text(f"### {name} ({len(y)} observations, window {w})")
        report.table(["model", "MSE (in sample)", "MSE (out of sample)"],
                     [[k, f"{a:.3e}", f"{b:.3e}"] for k, (a, b) in table.items()])
        best = min(table, key=lambda k: table[k][1])
        naive = table["naive (training mean)"][1]
        report.text(f"Best out of sample: **{best}** ({table[best][1]:.3e}; the naive forecast {naive:.3e}). " +
                    ("No model improves on the naive forecast out of sample." if table[best][1] >= naive else
                     f"It improves on the naive forecast by {100 * (1 - table[best][1] / naive):.1f}%."))
        if verbose:
            print(name, {k: round(v[1], 6) for k, v in table.items()}, flush=True)
    report.metrics = metrics
    report.write()
    return report

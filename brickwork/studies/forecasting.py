"""Case study (seed 004): one-step-ahead forecasts, LSTM / 1-D CNN / MLP against ARIMA and VAR.

Two real series: MSFT daily log returns (pmdarima; the last 2,500 days, 800 with ``--quick``, with the
log volume change as VAR's second variable) and US quarterly real GDP growth (statsmodels' macrodata;
VAR adds consumption and investment growth). Every model forecasts :math:`y_{t+1}` from the same window
of the last ``w`` observations; the networks are fitted on the first 80% (early stopping on the last 10%
of it), ARIMA and VAR are estimated on the same 80%. MSE in sample (the training part) and out of sample
(the last 20%), as seed 004's table, plus the naive forecast "same as the training mean".

Each model's out-of-sample forecasts are compared with the naive forecast by the Diebold–Mariano test
with the Harvey–Leybourne–Newbold correction (:mod:`brickwork.studies.diebold_mariano`) and by a paired
moving-block bootstrap interval of the MSE difference; "no real edge" is said when the test's p-value
exceeds 0.05. Figures: forecasts against the actual values, and the cumulative squared-error advantage
over the naive forecast. Per series the network with the lowest *validation* MSE is saved.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork.datasets.markets import load_macro, load_msft
from brickwork.studies.bootstrap import paired_difference
from brickwork.studies.diebold_mariano import diebold_mariano
from brickwork.studies.market import windows
from brickwork.studies.report import Report

NAIVE = "naive (training mean)"
NETWORKS = ("LSTM", "CNN", "MLP")
SLUGS = {"MSFT daily log return": "msft_returns", "US real GDP growth (quarterly, %)": "us_gdp_growth"}


def plan(quick: bool) -> dict[str, int]:
    """The work of a run: MSFT days, the most epochs, early-stopping patience and the bootstrap
    replicates. ``--quick`` lowers every one."""
    return {"msft_days": 800 if quick else 2500, "epochs": 10 if quick else 100, "patience": 3 if quick else 8,
            "n_boot": 500 if quick else 2000}


def _series(msft_days: int = 2500) -> dict[str, tuple[np.ndarray, np.ndarray, int]]:
    """name → (target series, extra VAR variables (n, k), window)."""
    msft = load_msft().iloc[-(msft_days + 1):]
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


def forecast_models(y: np.ndarray, extra: np.ndarray, w: int, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """Fit every model on one series. Returns ``mse`` (``{model: (in sample, out of sample)}``),
    ``forecasts`` (``{model: one-step forecasts of y[w:]}``), ``actual`` (``y[w:]``), ``test`` (the mask of
    the out-of-sample part), ``networks`` (the fitted networks), ``validation_mse`` (each network's best
    validation MSE, in the series' units) and ``scale`` (the training mean and standard deviation the
    networks' windows are standardised with)."""
    from statsmodels.tsa.api import VAR
    from statsmodels.tsa.arima.model import ARIMA

    work = plan(quick)
    n = len(y)
    split = int(0.8 * n)
    mu, sd = float(y[:split].mean()), float(y[:split].std())
    z = ((y - mu) / sd).astype(np.float32)
    win = windows(z[:, None], w)[:-1]                        # window ending at t-1 → target y_t
    target = z[w:]
    t_index = np.arange(w, n)
    train, test = t_index < split, t_index >= split
    forecasts: dict[str, np.ndarray] = {}
    networks, validation = {}, {}
    for kind in NETWORKS:
        bw.set_seed(seed)
        model = _network(kind, w, 1)
        history = model.fit(win[train], target[train], validation_split=0.1, epochs=work["epochs"], batch_size=32,
                            verbose=0, callbacks=[bw.callbacks.EarlyStopping(patience=work["patience"],
                                                                             restore_best_weights=True)])
        forecasts[kind] = model.predict(win, verbose=0).ravel().astype(np.float64) * sd + mu
        networks[kind] = model
        validation[kind] = float(min(history.history["val_loss"])) * sd * sd
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arima = ARIMA(y[:split], order=(2, 0, 1)).fit()
        full = arima.apply(y)                                    # same parameters, one-step predictions on all
        forecasts["ARIMA(2,0,1)"] = np.asarray(full.predict(start=w, end=n - 1), np.float64)
    data = np.column_stack([y, extra])
    var = VAR(data[:split]).fit(maxlags=min(w, 8), ic="aic")
    p = max(var.k_ar, 1)
    lagged = np.stack([data[t - p:t] for t in range(w, n)])     # (m, p, k), oldest first
    coefs = var.coefs                                          # (p, k, k): lag 1 first
    forecasts[f"VAR({var.k_ar})"] = var.intercept[0] + sum(lagged[:, p - 1 - i] @ coefs[i][0]
                                                            for i in range(var.k_ar)) \
        if var.k_ar else np.full(len(lagged), var.intercept[0])
    forecasts[NAIVE] = np.full(len(t_index), mu)
    actual = y[w:]
    mse = {k: (float(np.mean((f[train] - actual[train]) ** 2)), float(np.mean((f[test] - actual[test]) ** 2)))
           for k, f in forecasts.items()}
    return {"mse": mse, "forecasts": forecasts, "actual": actual, "test": test, "networks": networks,
            "validation_mse": validation, "scale": (mu, sd)}


def forecast_table(y: np.ndarray, extra: np.ndarray, w: int, quick: bool = False, seed: int = 0
                   ) -> dict[str, tuple[float, float]]:
    """``{model: (MSE in sample, MSE out of sample)}`` for one series (see the module docstring)."""
    return forecast_models(y, extra, w, quick, seed)["mse"]


def compare_with_naive(fit: dict[str, Any], n_boot: int = 2000, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Per model (not the naive one): the Diebold–Mariano test against the naive forecast on the
    out-of-sample part, its Bonferroni-adjusted p-value (times the number of models), and the paired
    moving-block bootstrap interval of the MSE difference (block length :math:`\\lceil n^{1/3}\\rceil`)."""
    test, actual = fit["test"], fit["actual"][fit["test"]]
    naive = fit["forecasts"][NAIVE][test]
    models = [k for k in fit["forecasts"] if k != NAIVE]
    block = max(1, int(np.ceil(len(actual) ** (1 / 3))))
    out = {}
    for k in models:
        forecast = fit["forecasts"][k][test]
        dm = diebold_mariano(actual, forecast, naive)
        diff = paired_difference("mse", actual, forecast, naive, n_boot=n_boot, seed=seed, block=block)
        out[k] = {"dm": dm, "p_bonferroni": min(1.0, dm.p_value * len(models)), "mse_difference": diff}
    return out


def edge_sentence(best: str, mse: float, naive: float, comparison: dict[str, Any]) -> str:
    """The verdict on the model with the lowest out-of-sample MSE against the naive forecast."""
    if mse >= naive:
        return f"No model improves on the naive forecast out of sample (the best, {best}, has MSE {mse:.3e})."
    dm = comparison["dm"]
    gain = f"{best} has the lowest out-of-sample MSE, {100 * (1 - mse / naive):.1f}% below the naive forecast's"
    if dm.p_value > 0.05:
        return (f"**No real edge.** {gain}, but the Diebold–Mariano test cannot tell the two apart (HLN-corrected "
                f"statistic {dm.statistic:+.2f}, p = {dm.p_value:.3f} > 0.05).")
    if comparison["p_bonferroni"] > 0.05:
        return (f"**An edge that does not survive the model search.** {gain}; Diebold–Mariano p = "
                f"{dm.p_value:.3f}, but {comparison['p_bonferroni']:.3f} after the Bonferroni correction for "
                "choosing the best of the models on the test part.")
    return (f"**A real edge.** {gain}; Diebold–Mariano statistic {dm.statistic:+.2f}, p = {dm.p_value:.3g} "
            f"(Bonferroni-adjusted {comparison['p_bonferroni']:.3g}).")


def run(out: str, data: str | None = None, quick: bool = False, seed: int = 0, verbose: int = 1) -> Report:
    """Run the study and write its report folder."""
    work = plan(quick)
    report = Report("One-step-ahead forecasting: networks against ARIMA and VAR (seed 004)", out)
    report.text("Same windows for every model; training on the first 80% of each series, test on the last "
                "20%. MSE in the series' own units (squared)" + ("; --quick run." if quick else "."))
    series = _series(work["msft_days"])
    metrics: dict[str, Any] = {"plan": work}
    for step, (name, (y, extra, w)) in enumerate(series.items(), 1):
        if verbose:
            print(f"[{step}/{len(series)}] {name}: LSTM, CNN, MLP, ARIMA, VAR", flush=True)
        fit = forecast_models(y, extra, w, quick, seed)
        table = fit["mse"]
        comparison = compare_with_naive(fit, work["n_boot"], seed)
        slug = SLUGS.get(name, f"series_{step}")
        n_test = int(fit["test"].sum())
        report.heading(f"{name} ({len(y)} observations, window {w}, {n_test} out of sample)")
        rows = []
        for k, (a, b) in table.items():
            c = comparison.get(k)
            rows.append([k, f"{a:.3e}", f"{b:.3e}"] + ([_sci(c["mse_difference"]), f"{c['dm'].statistic:+.2f}",
                                                       f"{c['dm'].p_value:.3f}", f"{c['p_bonferroni']:.3f}"]
                                                      if c else ["(reference)", "", "", ""]))
        report.table(["model", "MSE (in sample)", "MSE (out of sample)", "Δ MSE vs naive [95% block bootstrap]",
                      "DM statistic (HLN)", "p", "p (Bonferroni)"], rows)
        best = min(table, key=lambda k: table[k][1])
        sentence = edge_sentence(best, table[best][1], table[NAIVE][1], comparison.get(best, {}))
        report.verdict(f"*{name}:* {sentence}")
        report.text(sentence)
        saved = min(fit["validation_mse"], key=fit["validation_mse"].get)
        model = fit["networks"][saved]
        mu, sd = fit["scale"]
        model.metadata = {"study": "forecasting", "series": name, "window": w, "mean": mu, "std": sd,
                          "input": f"the last {w} values standardised as (y - mean) / std, oldest first, shape "
                                   f"(batch, {w}, 1)", "output": "the next value, standardised (times std plus mean)",
                          "selection": "lowest validation MSE among the networks"}
        model.save(os.path.join(out, f"model_{slug}.bw"))
        report.text(f"Saved `model_{slug}.bw`: the {saved}, the network with the lowest validation MSE (" +
                    ", ".join(f"{k} {v:.3e}" for k, v in fit["validation_mse"].items()) + "); the test part "
                    "played no part in the choice.")
        _figures(report, name, slug, fit, saved)
        metrics[name] = {"mse": table, "saved_network": saved, "validation_mse": fit["validation_mse"],
                         "versus_naive": {k: {"dm": c["dm"].to_dict(), "p_bonferroni": c["p_bonferroni"],
                                              "mse_difference": c["mse_difference"].to_dict()}
                                          for k, c in comparison.items()}}
        if verbose:
            print(f"  {name}: {sentence}", flush=True)
    report.definitions(_definitions(work["n_boot"], seed))
    report.metrics = metrics
    report.write()
    return report


def _sci(interval: Any) -> str:
    return f"{interval.estimate:+.3g} [{interval.low:+.3g}, {interval.high:+.3g}]"


def _definitions(n_boot: int, seed: int) -> dict[str, str]:
    return {
        "MSE": "mean squared error of the one-step forecasts, (1/n) Σ (forecast − actual)², in the series' "
               "squared units; in sample over the training part, out of sample over the last 20%.",
        "Δ MSE vs naive [95% block bootstrap]": f"the model's out-of-sample MSE minus the naive forecast's, with "
                                                f"the percentile interval of {n_boot:,} paired moving-block "
                                                "bootstrap replicates (blocks of ⌈n^(1/3)⌉ consecutive test "
                                                f"points, for serial dependence; seed {seed}). Negative: the "
                                                "model is better.",
        "DM statistic (HLN)": "the Diebold–Mariano statistic of the squared-error differences against the "
                              "naive forecast, times the Harvey–Leybourne–Newbold factor √((n + 1 − 2h + "
                              "h(h − 1)/n)/n) with horizon h = 1; negative: the model is better.",
        "p": "two-sided p-value of the HLN statistic from Student's t with n − 1 degrees of freedom; above 0.05 "
             "means no real edge.",
        "p (Bonferroni)": "p times the number of models compared with the naive forecast (capped at 1): the "
                          "best model is picked on the test part, so its raw p-value is optimistic.",
    }


def _figures(report: Report, name: str, slug: str, fit: dict[str, Any], saved: str) -> None:
    test, actual = fit["test"], fit["actual"]
    index = np.flatnonzero(test)
    classical = min((k for k in fit["forecasts"] if k not in NETWORKS and k != NAIVE),
                    key=lambda k: fit["mse"][k][1])
    shown = index[-150:]
    naive = fit["forecasts"][NAIVE]

    def draw(axes: Any) -> None:
        ax = axes[0]
        ax.plot(shown, actual[shown], color="black", linewidth=1.0, label="actual")
        for k, style in ((saved, "-"), (classical, "-"), (NAIVE, "--")):
            ax.plot(shown, fit["forecasts"][k][shown], style, linewidth=1.1, label=f"{k} forecast")
        ax.set_title(f"last {len(shown)} out-of-sample points", fontsize=9)
        ax.set_xlabel("time index")
        ax.set_ylabel(name)
        ax.legend(fontsize=7)
        ax = axes[1]
        for k, f in fit["forecasts"].items():
            if k == NAIVE:
                continue
            gain = np.cumsum((naive[index] - actual[index]) ** 2 - (f[index] - actual[index]) ** 2)
            ax.plot(index, gain, linewidth=1.1, label=k)
        ax.axhline(0, color="gray", linewidth=0.8)
        ax.set_title("cumulative squared-error gain over the naive forecast\n(above 0: the model is ahead)",
                     fontsize=9)
        ax.set_xlabel("time index")
        ax.set_ylabel("Σ (naive error² − model error²)")
        ax.legend(fontsize=7)
        for a in axes:
            a.tick_params(labelsize=8)
            a.grid(alpha=0.3)

    report.figure(f"forecast_{slug}.png", f"{name}: forecasts against the actual values (out of sample)", draw,
                  panels=2)

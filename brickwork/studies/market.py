"""Case study (seed 003): next-day direction of Microsoft's stock.

Example 1: a dense network on engineered features; example 2: an LSTM on a window of the last days'
features; example 3: the dense network trained with the cost-sensitive loss where a false "up" costs
α times a false "down" (α = 2 and 5). Chronological train / validation / test splits (70/15/15, a gap of
one window between blocks, no look-ahead), early stopping on the validation loss. Baselines: always
"up", always "down", yesterday's direction, logistic regression on the same features. Directional
accuracy with a 95% Wilson interval, its difference from the best baseline with a paired bootstrap
interval, the average cost per day :math:`(\\alpha\\,FP + FN)/n`, and a flag on constant predictors (a
model that predicts "up" on less than 1% or more than 99% of the test days).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork.data import TabularSchema
from brickwork.datasets.markets import direction_features, load_msft
from brickwork.evaluation import chronological_split
from brickwork.explain import explain_prediction
from brickwork.studies.bootstrap import paired_difference
from brickwork.studies.report import Report

WINDOW = 20
CONSTANT = 0.01          # a model predicting one class on all but this share of the test days is flagged


def wilson(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion."""
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def cost(y: np.ndarray, predicted_up: np.ndarray, alpha: float) -> float:
    """Average cost per prediction: a false "up" costs ``alpha``, a false "down" 1."""
    fp = np.sum(predicted_up & (y == 0))
    fn = np.sum(~predicted_up & (y == 1))
    return float((alpha * fp + fn) / len(y))


def weighted_cost(alpha: float) -> Any:
    """The cost of :func:`cost` as a bootstrap metric ``metric(y, predicted_up, weights)``."""
    def metric(y: np.ndarray, predicted_up: np.ndarray, weights: np.ndarray) -> np.ndarray:
        up, y = np.asarray(predicted_up).reshape(-1) > 0.5, np.asarray(y).reshape(-1)
        per_day = alpha * (up & (y == 0)) + (~up & (y == 1))
        return weights @ per_day / weights.sum(axis=1)

    return metric


def constant_note(share_up: float) -> str:
    """``"predicts 'up' 0.0% of the time"`` for a (near-)constant predictor, else ``""``."""
    if share_up <= CONSTANT or share_up >= 1 - CONSTANT:
        return f"constant: predicts 'up' {share_up:.1%} of the time"
    return ""


def windows(x: np.ndarray, length: int) -> np.ndarray:
    """``(n - length + 1, length, features)``: row ``t`` holds days ``t .. t+length-1``."""
    idx = np.arange(length)[None, :] + np.arange(len(x) - length + 1)[:, None]
    return x[idx]


def _dense(x_train: np.ndarray, loss: Any) -> Any:
    norm = layers.Normalization()
    norm.adapt(x_train)
    model = bw.Sequential([layers.Input((x_train.shape[1],)), norm, layers.Dense(32, activation="relu"),
                           layers.Dropout(0.2), layers.Dense(16, activation="relu"),
                           layers.Dense(1, activation="sigmoid")])
    model.compile(bw.optimizers.Adam(1e-3), loss, metrics=["accuracy"])
    return model


def _lstm(x_train: np.ndarray) -> Any:
    norm = layers.Normalization()
    norm.adapt(x_train.reshape(-1, x_train.shape[-1]))
    model = bw.Sequential([layers.Input(x_train.shape[1:]), norm, layers.LSTM(32), layers.Dropout(0.2),
                           layers.Dense(1, activation="sigmoid")])
    model.compile(bw.optimizers.Adam(1e-3), "binary_crossentropy", metrics=["accuracy"])
    return model


def plan(quick: bool) -> dict[str, int]:
    """The work of a run: the last ``days`` of prices (0: all), the most epochs, the early-stopping patience,
    the bootstrap replicates and the LIME perturbations. ``--quick`` lowers every one."""
    return {"days": 3000 if quick else 0, "epochs": 40 if quick else 150, "patience": 5 if quick else 8,
            "n_boot": 500 if quick else 2000, "lime_samples": 1000 if quick else 2000}


def run(out: str, data: str | None = None, quick: bool = False, seed: int = 0, verbose: int = 1) -> Report:
    """Run the study and write its report folder."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    work = plan(quick)
    prices = pd.read_csv(data) if data else load_msft()
    if work["days"]:
        prices = prices.iloc[-work["days"]:].reset_index(drop=True)
    features, y = direction_features(prices)
    x = features.to_numpy(np.float32)
    n = len(y)
    train, val, test = chronological_split(n, 0.15, 0.15, gap=WINDOW)
    epochs = work["epochs"]
    stop = lambda: [bw.callbacks.EarlyStopping(patience=work["patience"], restore_best_weights=True)]  # noqa: E731
    predictions: dict[str, np.ndarray] = {}
    histories: dict[str, tuple[str, dict[str, list[float]]]] = {}
    bw.set_seed(seed)
    models = {"dense (example 1)": ("binary_crossentropy", "binary cross-entropy"),
              "dense, cost-sensitive α=2 (example 3)": (bw.losses.CostSensitiveBinaryCrossentropy(alpha=2.0),
                                                        "cost-sensitive cross-entropy, α=2"),
              "dense, cost-sensitive α=5 (example 3)": (bw.losses.CostSensitiveBinaryCrossentropy(alpha=5.0),
                                                        "cost-sensitive cross-entropy, α=5")}
    steps = len(models) + 2

    def say(step: int, what: str) -> None:
        if verbose:
            print(f"[{step}/{steps}] {what}", flush=True)

    for step, (name, (loss, loss_name)) in enumerate(models.items(), 1):
        model = _dense(x[train], loss)
        h = model.fit(x[train], y[train], validation_data=(x[val], y[val]), epochs=epochs, batch_size=64,
                      callbacks=stop(), verbose=0)
        histories[name] = (loss_name, h.history)
        predictions[name] = model.predict(x[test], verbose=0).ravel()
        if name == "dense (example 1)":
            dense_model = model
        say(step, f"{name}: {len(h.history['loss'])} epochs")
    seq = windows(x, WINDOW)                                  # window ending on day t → label of day t
    seq_index = np.arange(WINDOW - 1, n)
    pick = lambda idx: np.searchsorted(seq_index, idx[idx >= WINDOW - 1])  # noqa: E731
    lstm = _lstm(seq[pick(train)])
    h = lstm.fit(seq[pick(train)], y[train][train >= WINDOW - 1], validation_data=(seq[pick(val)], y[val]),
                 epochs=epochs // 2, batch_size=64, callbacks=stop(), verbose=0)
    histories["LSTM on 20-day windows (example 2)"] = ("binary cross-entropy", h.history)
    predictions["LSTM on 20-day windows (example 2)"] = lstm.predict(seq[pick(test)], verbose=0).ravel()
    say(len(models) + 1, f"LSTM on 20-day windows (example 2): {len(h.history['loss'])} epochs")
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x[train], y[train])
    yt = y[test]
    baselines = {"baseline: always up": np.ones(len(yt)), "baseline: always down": np.zeros(len(yt)),
                 "baseline: yesterday's direction": (features["return_1d"].to_numpy()[test] > 0).astype(float),
                 "baseline: logistic regression": logistic.predict_proba(x[test])[:, 1]}
    say(steps, f"baselines and paired bootstrap intervals ({work['n_boot']:,} replicates)")
    report = Report("Next-day direction of MSFT (seed 003)", out)
    dates = prices["Date"].iloc[-n - 1:].to_numpy() if "Date" in prices else None
    span = f" (test days {dates[test[0]]} … {dates[test[-1]]})" if dates is not None else ""
    report.text(f"Data: {data or 'MSFT daily prices from pmdarima'}, {n:,} days with features; "
                f"chronological split train {len(train)} / validation {len(val)} / test {len(test)}{span}, "
                f"{WINDOW}-day gaps between blocks; early stopping on the validation loss (patience "
                f"{work['patience']}, at most {epochs} epochs){'; --quick run' if quick else ''}. Test days that "
                f"went up: {yt.mean():.1%}.")
    up = {name: scores >= 0.5 for name, scores in {**predictions, **baselines}.items()}
    accuracy = {name: float(np.mean(u == (yt == 1))) for name, u in up.items()}
    best_base = max((k for k in baselines), key=lambda k: accuracy[k])
    rows, metrics = [], {}
    for name, u in up.items():
        correct = int(np.sum(u == (yt == 1)))
        lo, hi = wilson(correct, len(yt))
        diff = None if name == best_base else paired_difference(
            "accuracy", yt, u.astype(float), up[best_base].astype(float), work["n_boot"], seed)
        note = constant_note(float(u.mean()))
        metrics[name] = {"accuracy": correct / len(yt), "ci95": [lo, hi], "cost_alpha2": cost(yt, u, 2.0),
                         "cost_alpha5": cost(yt, u, 5.0), "predicted_up": float(u.mean()), "constant": bool(note),
                         "accuracy_difference": diff.to_dict() if diff else None}
        rows.append([name, f"{correct / len(yt):.4f}", f"[{lo:.4f}, {hi:.4f}]",
                     diff.format(4, signed=True) if diff else "(the best baseline)", f"{u.mean():.1%}",
                     f"{cost(yt, u, 2.0):.4f}", f"{cost(yt, u, 5.0):.4f}", f"**{note}**" if note else ""])
    report.heading("Results on the test days")
    report.table(["model", "accuracy", "95% CI (Wilson)", f"Δ accuracy vs {best_base.removeprefix('baseline: ')} "
                  "[95% paired bootstrap]", "predicted up", "cost α=2", "cost α=5", "flag"], rows)
    _verdicts(report, metrics, predictions, baselines, up, yt, best_base, work["n_boot"], seed)
    report.definitions(_definitions(len(yt), best_base, work["n_boot"], seed))
    _figures(report, histories, dense_model, x, train, test, list(features.columns), seed, work["lime_samples"])
    dense_model.metadata = {"study": "market", "schema": TabularSchema(list(features.columns)).to_dict(),
                            "output": "probability that the next close is higher"}
    dense_model.save(os.path.join(out, "model.bw"))
    report.text("The saved `model.bw` is the dense network of example 1 (binary cross-entropy).")
    report.metrics = {"models": metrics, "best_baseline": best_base, "plan": work, "test_days": int(len(yt)),
                      "share_up": float(yt.mean())}
    report.write()
    return report


def _verdicts(report: Report, metrics: dict[str, Any], predictions: dict[str, np.ndarray],
              baselines: dict[str, np.ndarray], up: dict[str, np.ndarray], yt: np.ndarray, best_base: str,
              n_boot: int, seed: int) -> None:
    constant = [k for k in predictions if metrics[k]["constant"]]
    winners = [k for k in predictions if not metrics[k]["constant"] and metrics[k]["accuracy_difference"]["low"] > 0]
    base_acc = metrics[best_base]["accuracy"]
    short = lambda name: name.removeprefix("baseline: ")  # noqa: E731
    if winners:
        report.verdict(f"**Accuracy.** {', '.join(winners)} beat the best baseline ({short(best_base)}, accuracy "
                       f"{base_acc:.4f}): the whole 95% paired bootstrap interval of the difference is above zero.")
    else:
        report.verdict(f"**Accuracy.** No model beats the best baseline ({short(best_base)}, accuracy {base_acc:.4f}): "
                       "every network's 95% paired bootstrap interval of the accuracy difference contains zero or "
                       "lies below it. Next-day direction of a large stock is close to a coin flip (published LSTM "
                       "results on daily stocks sit near 50%).")
    if constant:
        shares = "; ".join(f"{k} predicts 'up' {metrics[k]['predicted_up']:.1%} of the time" for k in constant)
        report.verdict(f"**Constant predictors.** {shares}: at the 0.5 threshold they are constant predictors, "
                       "and a constant 'always down' costs exactly the share of up days "
                       f"({yt.mean():.4f}) whatever α is. A low cost from such a model is not skill: it is the "
                       "cost of the 'always down' baseline, listed in the table for that comparison.")
    for alpha in (2.0, 5.0):
        key = f"cost_alpha{alpha:g}"
        cheapest = min(baselines, key=lambda k: metrics[k][key])
        live = [k for k in predictions if not metrics[k]["constant"]]
        if not live:
            report.verdict(f"**Cost α={alpha:g}.** Every model is constant; none can be compared on cost.")
            continue
        best = min(live, key=lambda k: metrics[k][key])
        diff = paired_difference(weighted_cost(alpha), yt, up[best].astype(float), up[cheapest].astype(float),
                                 n_boot, seed)
        metrics[best][f"{key}_difference"] = diff.to_dict()
        word = ("lower than" if diff.high < 0 else "higher than" if diff.low > 0 else
                "not distinguishable from")
        report.verdict(f"**Cost α={alpha:g}.** The cheapest non-constant model, {best} ({metrics[best][key]:.4f} "
                       f"per day), is {word} the cheapest baseline, {short(cheapest)} ({metrics[cheapest][key]:.4f}): "
                       f"difference {diff.format(4, signed=True)} (95% paired bootstrap).")


def _definitions(n: int, best_base: str, n_boot: int, seed: int) -> dict[str, str]:
    best_base = best_base.removeprefix("baseline: ")
    return {
        "accuracy": f"share of the n = {n:,} test days whose direction the model gets right; the direction is "
                    "'up' when the next close is above the day's close, and a model says 'up' when its "
                    "P(up) ≥ 0.5.",
        "95% CI (Wilson)": f"the Wilson score interval of the accuracy as a binomial proportion of n = {n:,} test "
                           "days at z = 1.96 (it treats the days as independent).",
        "Δ accuracy [95% paired bootstrap]": f"the model's accuracy minus that of the best baseline ({best_base}, "
                                             "the baseline with the highest test accuracy: the strictest "
                                             f"comparison); percentile interval of {n_boot:,} bootstrap "
                                             f"replicates of the n = {n:,} test days drawn with replacement, both "
                                             f"predictions scored on the same draw, seed {seed}.",
        "predicted up": "share of the test days on which the model says 'up'.",
        "cost α": "average cost per test day, (α·FP + FN) / n: FP counts the days called 'up' that went down "
                  "(a false 'up' costs α), FN the days called 'down' that went up (cost 1). Lower is better; "
                  "'always down' costs the share of up days for any α, 'always up' α times the share of down "
                  "days. The cost verdicts use the same paired bootstrap as the accuracy.",
        "constant": f"a model that says 'up' on at most {CONSTANT:.0%} or at least {1 - CONSTANT:.0%} of the test "
                    "days, i.e. (nearly) one answer whatever the features.",
    }


def _figures(report: Report, histories: dict[str, tuple[str, dict[str, list[float]]]], dense_model: Any,
             x: np.ndarray, train: np.ndarray, test: np.ndarray, names: list[str], seed: int,
             lime_samples: int = 2000) -> None:
    report.heading("Figures")
    report.panels("training.png", "Training and validation loss per epoch, one panel per model (each loss on "
                  "its own scale)",
                  {f"{name}\n{loss}": {"training": h["loss"], "validation (dashed)": h["val_loss"]}
                   for name, (loss, h) in histories.items()}, "epoch", "loss")
    explanation = explain_prediction(lambda z: dense_model.predict(z, verbose=0), x[test[-1]], x[train], names,
                                     num_samples=lime_samples, seed=seed)
    items = explanation.top(8)[::-1]

    def draw(ax: Any) -> None:
        ax.barh([k for k, _ in items], [v for _, v in items],
                color=["tab:red" if v < 0 else "tab:green" for _, v in items])
        ax.axvline(0, color="gray", linewidth=0.8)
        ax.set_xlabel("local effect on P(up) per standard deviation of the feature")
        ax.tick_params(labelsize=8)

    report.figure("explanation.png", f"Why the dense model says P(up) = {explanation.prediction:.3f} on the last "
                  f"test day (LIME-style surrogate, local R² {explanation.r2:.2f})", draw)
    report.text("Local explanation (LIME-style, weighted linear surrogate; local R² "
                f"{explanation.r2:.2f}) of the dense model's last test prediction, top features: " +
                ", ".join(f"{k} {v:+.4f}" for k, v in explanation.top(5)) + ".")

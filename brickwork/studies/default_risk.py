"""Case study (seed 000): default risk from the application table plus monthly card-balance histories.

The model is seed 000's ``RNNModel`` as a functional brickwork model with its preprocessing inside:
application numbers → Normalization → Imputation (0 = the training mean, + learned missing indicators),
categories → StringLookup one-hot, then BatchNorm → Dropout; balances → Masking → Normalization →
GRU(64) → GRU(64) (last state); concatenated → Dropout → [Dense (He init) → ReLU → BatchNorm →
Dropout] → logit. One addition to seed 000: a *wide* path, a linear logit of the application features
added to the deep logit (Wide & Deep, Cheng et al. 2016), so the network starts from what logistic
regression can do with the application. The defaults (one 128-unit block, dropout 0.2 / 0.2 / 0.5,
Adam 3e-3, early stopping on validation ROC AUC with patience 8) were chosen by the validation AUC of
a small grid on seed-0 data; ``docs/case-studies.md`` lists the grid. The model is compared, on the
same test split, with logistic regression (application features alone, and with hand-aggregated
balance features) and gradient-boosted trees (with the aggregates).

Of the seeds' runs, the one with the highest *validation* ROC AUC is saved and reported (ROC curve,
confusion matrix, calibration, reason codes): the test split plays no part in any choice. Test AUCs
carry percentile bootstrap intervals and the differences from the baselines paired bootstrap intervals
(:mod:`brickwork.studies.bootstrap`).
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork.data import TabularSchema
from brickwork.datasets.home_credit import (
    SEQUENCE_FEATURES,
    balance_aggregates,
    balance_sequences,
    load_home_credit,
    make_home_credit,
)
from brickwork.evaluation import holdout_split
from brickwork.studies.bootstrap import bootstrap_replicates, metric_value, percentile_interval
from brickwork.studies.reason_codes import reference_profile, schema_reason_codes
from brickwork.studies.report import Report, calibration_section, mean_std, reason_section

MONTHS = 24


def build_model(schema: TabularSchema, train_inputs: dict[str, np.ndarray], hidden: tuple[int, ...] = (128,),
                rnn_units: int = 64, app_drop: float = 0.2, cat_drop: float = 0.2, lin_drop: float = 0.5,
                l2: float = 0.0, learning_rate: float = 3e-3, wide: bool = True) -> Any:
    """The seed-000 hybrid with its preprocessing adapted on ``train_inputs``.

    ``hidden``: units of the Dense blocks; ``app_drop`` / ``cat_drop`` / ``lin_drop``: dropout after the
    application features, the concatenation and each block; ``l2``: weight decay of the blocks' kernels;
    ``wide``: add a linear logit of the application features (see the module docstring).
    """
    numeric_in = layers.Input((len(schema.numeric),), name="numeric")
    scale = layers.Normalization(name="scale")               # adapt ignores NaN; NaN pass through
    scale.adapt(train_inputs["numeric"])
    _unit_scale_for_constants(scale)
    impute = layers.Imputation(strategy="constant", fill_value=0.0, feature_names=schema.numeric, name="impute")
    parts, inputs = [impute(scale(numeric_in))], {"numeric": numeric_in}   # 0 = the training mean
    for column in schema.categorical:
        inputs[column] = layers.Input((1,), dtype="string", name=column)
        lookup = layers.StringLookup(output_mode="one_hot", name=f"lookup_{column}")
        lookup.adapt(train_inputs[column])
        parts.append(lookup(inputs[column]))
    app = layers.Dropout(app_drop)(layers.BatchNormalization()(layers.Concatenate()(parts)))
    seq = train_inputs["sequence"]
    inputs["sequence"] = layers.Input(seq.shape[1:], name="sequence")
    seq_scale = layers.Normalization(name="sequence_scale")
    seq_scale.adapt(seq[np.any(seq != 0, axis=-1)])
    _unit_scale_for_constants(seq_scale)
    h = seq_scale(layers.Masking(0.0)(inputs["sequence"]))
    h = layers.GRU(rnn_units, return_sequences=True)(h)
    h = layers.GRU(rnn_units)(h)
    x = layers.Dropout(cat_drop)(layers.Concatenate()([app, h]))
    for units in hidden:
        x = layers.Dense(units, activation="relu", kernel_initializer="he_normal",
                         kernel_regularizer=bw.regularizers.l2(l2) if l2 else None)(x)
        x = layers.Dropout(lin_drop)(layers.BatchNormalization()(x))
    if wide:
        logit = layers.Add()([layers.Dense(1, kernel_initializer="he_normal")(x), layers.Dense(1)(app)])
        out = layers.Activation("sigmoid", name="default_probability")(logit)
    else:
        out = layers.Dense(1, activation="sigmoid", kernel_initializer="he_normal", name="default_probability")(x)
    model = bw.Model(inputs, out, name="default_risk")
    model.compile(bw.optimizers.Adam(learning_rate), "binary_crossentropy", metrics=[bw.metrics.AUC(name="auc")])
    return model


def _unit_scale_for_constants(norm: Any) -> None:
    """Features constant in the training data keep unit scale (dividing by ~0 would blow up any new value)."""
    norm.variance.assign(np.where(norm.variance.data > 1e-12, norm.variance.data, 1.0).astype(norm.variance.dtype))


def _baseline_matrix(frame: Any, schema: TabularSchema, sequences: np.ndarray | None) -> Any:
    import pandas as pd

    parts = [frame[schema.numeric].apply(pd.to_numeric, errors="coerce"),
             pd.get_dummies(frame[schema.categorical].astype(object).fillna("missing"), dtype=float)]
    table = pd.concat(parts, axis=1)
    if sequences is not None:
        agg = balance_aggregates(sequences)
        table = pd.concat([table, pd.DataFrame(agg, index=frame.index, columns=[f"bal{i}" for i in
                                                                             range(agg.shape[1])])], axis=1)
    return table


def logistic_baselines(tables: dict[str, Any], y: np.ndarray, train: np.ndarray,
                       test: np.ndarray) -> dict[str, np.ndarray]:
    """Test scores of logistic regression on each feature table (deterministic: fitted once)."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    out = {}
    for name, table in tables.items():
        model = make_pipeline(SimpleImputer(add_indicator=True), StandardScaler(), LogisticRegression(max_iter=500))
        model.fit(table.iloc[train], y[train])
        out[f"logistic regression ({name})"] = model.predict_proba(table.iloc[test])[:, 1]
    return out


def boosted_trees_scores(table: Any, y: np.ndarray, train: np.ndarray, test: np.ndarray, seed: int) -> np.ndarray:
    """Test scores of gradient-boosted trees (scikit-learn's histogram GBT, early stopping on an internal
    10% of the training rows) on the same table."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    gbt = HistGradientBoostingClassifier(random_state=seed, max_iter=300, learning_rate=0.05,
                                         early_stopping=True, validation_fraction=0.1)
    gbt.fit(table.iloc[train], y[train])
    return gbt.predict_proba(table.iloc[test])[:, 1]


def plan(quick: bool) -> dict[str, int]:
    """The work of a run with the synthetic data: applicants, seeds, the most epochs and the bootstrap
    replicates. ``--quick`` lowers every one."""
    return {"applicants": 4_000 if quick else 20_000, "seeds": 1 if quick else 3, "epochs": 6 if quick else 25,
            "n_boot": 500 if quick else 2000}


GRU = "GRU hybrid"
GBT = "gradient-boosted trees (+ balance aggregates)"


def run(out: str, data: str | None = None, quick: bool = False, seeds: int | None = None,
        n_applicants: int | None = None, epochs: int | None = None, verbose: int = 1,
        n_boot: int | None = None) -> Report:
    """Run the study and write its report folder (see the module docstring)."""
    from sklearn.metrics import roc_auc_score

    work = plan(quick)
    seeds = seeds or work["seeds"]
    epochs = epochs or work["epochs"]
    n_boot = n_boot or work["n_boot"]
    steps = seeds + 2
    say = (lambda step, what: print(f"[{step}/{steps}] {what}", flush=True)) if verbose else (lambda *_: None)
    start = time.perf_counter()
    oracle = None
    if data:
        loaded = load_home_credit(data, MONTHS)
        frame, sequences, y = loaded.application, loaded.balances, loaded.target
        origin = f"the Home Credit CSVs in {data}"
    else:
        n_applicants = n_applicants or work["applicants"]
        frame, balances, oracle = make_home_credit(n_applicants, seed=0, return_probability=True)
        y = frame.pop("TARGET").to_numpy().astype(np.float32)
        sequences = balance_sequences(balances, frame["SK_ID_CURR"].to_numpy(), MONTHS)
        origin = "synthetic Home-Credit-schema data (generator seed 0)"
    load_s = time.perf_counter() - start
    schema = TabularSchema.infer(frame, id_column="SK_ID_CURR")
    schema.sequence = {"kind": "home_credit_balances", "table": "credit_card_balance", "key": "SK_ID_CURR",
                       "months": MONTHS, "features": list(SEQUENCE_FEATURES)}
    inputs = schema.inputs(frame, sequences)
    take = lambda idx: {k: v[idx] for k, v in inputs.items()}  # noqa: E731
    train_all, test = holdout_split(len(y), 0.2, seed=0, stratify=y)
    yt = y[test]
    report = Report("Default risk from application data and card-balance histories (seed 000)", out)
    say(1, "baselines: logistic regression")
    tables = {"application": _baseline_matrix(frame, schema, None),
              "+ balance aggregates": _baseline_matrix(frame, schema, sequences)}
    base_scores = logistic_baselines(tables, y, train_all, test)
    runs: list[dict[str, Any]] = []
    for seed in range(seeds):
        bw.set_seed(seed)
        train, val = holdout_split(len(train_all), 0.1, seed=seed, stratify=y[train_all])
        train, val = train_all[train], train_all[val]
        model = build_model(schema, take(train))
        stop = bw.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=8, restore_best_weights=True)
        history = model.fit(take(train), y[train], validation_data=(take(val), y[val]), epochs=epochs,
                            batch_size=256, callbacks=[stop], verbose=2 if verbose else 0)
        val_scores = model.predict(take(val), batch_size=1024, verbose=0).ravel()
        scores = model.predict(take(test), batch_size=1024, verbose=0).ravel()
        gbt = boosted_trees_scores(tables["+ balance aggregates"], y, train_all, test, seed)
        runs.append({"seed": seed, "model": model, "val": val, "val_scores": val_scores, "scores": scores,
                     "history": history.history, "val_auc": float(roc_auc_score(y[val], val_scores)),
                     "test_auc": float(roc_auc_score(yt, scores)), "gbt": gbt,
                     "gbt_auc": float(roc_auc_score(yt, gbt))})
        say(seed + 2, f"GRU hybrid, seed {seed + 1}/{seeds}: validation AUC {runs[-1]['val_auc']:.4f}, test AUC "
                      f"{runs[-1]['test_auc']:.4f}; gradient-boosted trees test AUC {runs[-1]['gbt_auc']:.4f}")
    chosen = max(runs, key=lambda r: r["val_auc"])             # the first of equals: selection on validation only
    model, scores, val, val_scores = chosen["model"], chosen["scores"], chosen["val"], chosen["val_scores"]
    profile = reference_profile(take(train_all), schema, y[train_all])
    model.metadata = {"study": "default-risk", "schema": schema.to_dict(), "output": "probability of default",
                      "reason_reference": profile, "selected_seed": chosen["seed"],
                      "selection": "highest validation ROC AUC over the seeds"}
    model.save(os.path.join(out, "model.bw"))
    say(steps, f"report: bootstrap intervals ({n_boot:,} replicates), calibration, reason codes")
    report.text(f"Data: {origin}; {len(y):,} applicants, default rate {y.mean():.2%}, "
                f"{np.mean(np.any(sequences != 0, axis=(1, 2))):.1%} with a card history (last {MONTHS} months). "
                f"Same stratified 80/20 test split ({len(test):,} applicants) for every model; each GRU hybrid "
                f"run's validation split (10% of training, drawn with the run's seed) drives early stopping and "
                f"the choice of the saved run. {seeds} seed(s), at most {epochs} epochs"
                f"{'; --quick run' if quick else ''}. Load/preparation {load_s:.1f} s.")
    report.text(f"**Saved model: seed {chosen['seed']}**, the run with the highest validation ROC AUC "
                f"({chosen['val_auc']:.4f}; validation AUC per seed: " +
                ", ".join(f"seed {r['seed']} {r['val_auc']:.4f}" for r in runs) + "). The test split played no "
                "part in the choice. The ROC curve, confusion matrix, calibration and reason codes below are of "
                "this model; the gradient-boosted trees shown are the fit with the same seed.")
    reported = {f"{GRU}, saved run (seed {chosen['seed']})": scores, **base_scores,
                f"{GBT}, seed {chosen['seed']}": chosen["gbt"]}
    names = list(reported)
    estimates = {k: metric_value("auc", yt, v) for k, v in reported.items()}
    replicates = dict(zip(names, bootstrap_replicates("auc", yt, list(reported.values()), n_boot, seed=0)))
    intervals = {k: percentile_interval(estimates[k], replicates[k], 0.95, len(yt)) for k in names}
    spread = {names[0]: [r["test_auc"] for r in runs], names[-1]: [r["gbt_auc"] for r in runs]}
    rows = [[k, intervals[k].format(4), mean_std(spread[k]) if k in spread else "deterministic (one fit)"]
            for k in names]
    report.heading("Test ROC AUC")
    report.table(["model", "test ROC AUC [95% bootstrap CI]", "test ROC AUC over seeds (mean ± std)"], rows)
    diffs = {k: percentile_interval(estimates[names[0]] - estimates[k], replicates[names[0]] - replicates[k], 0.95,
                                    len(yt)) for k in names[1:]}
    report.table(["GRU hybrid (saved run) minus", "Δ test ROC AUC [95% paired bootstrap]"],
                 [[k, d.format(4, signed=True)] for k, d in diffs.items()])
    _verdict(report, diffs, chosen["seed"])
    ceiling = None
    if oracle is not None:
        ceiling = float(roc_auc_score(yt, oracle[test]))
        report.text(f"Ceiling: the generator's own default probability scores {ceiling:.4f} on the same test "
                    f"split (no model can beat it on average).")
    report.definitions(_definitions(len(yt), n_boot, seeds))
    legend = _figures(report, yt, reported, estimates, runs)
    threshold = float(np.quantile(scores, 1 - y[train_all].mean()))
    predicted = scores >= threshold
    cm = [[int(np.sum(~predicted & (yt == 0))), int(np.sum(predicted & (yt == 0)))],
          [int(np.sum(~predicted & (yt == 1))), int(np.sum(predicted & (yt == 1)))]]
    report.heading("Decisions, calibration and reasons (saved model)")
    report.text(f"Confusion matrix of the saved model (seed {chosen['seed']}) on the test split, flagging the "
                f"riskiest {y[train_all].mean():.1%} (the training default rate; score ≥ {threshold:.3f}):")
    report.table(["", "predicted repaid", "predicted default"], [["repaid", *cm[0]], ["default", *cm[1]]])
    calibration = calibration_section(report, y[val], val_scores, yt, scores)
    order = np.argsort(-scores, kind="stable")
    sample = np.concatenate([order[:3], order[len(order) // 2:len(order) // 2 + 1]])   # 3 riskiest + the median
    reasons = schema_reason_codes(model, schema, take(test[sample]), profile, n_reasons=4)
    ids = frame["SK_ID_CURR"].to_numpy()[test[sample]]
    reason_section(report, ids, scores[sample], yt[sample], reasons)
    report.text("The saved `model.bw` carries its preprocessing and its reference applicant: score new "
                "applications, with their four principal reasons, by `brickwork predict --model model.bw --input "
                "application.csv --sequences credit_card_balance.csv --output scores.csv --reasons 4`.")
    report.metrics = {"gru_auc": [r["test_auc"] for r in runs], "gru_val_auc": [r["val_auc"] for r in runs],
                      "selected_seed": chosen["seed"], "selection": "highest validation ROC AUC",
                      "test_auc": {k: intervals[k].to_dict() for k in names},
                      "auc_difference_vs_gru": {k: d.to_dict() for k, d in diffs.items()},
                      "baselines": {**{k: [estimates[k]] for k in base_scores}, GBT: spread[names[-1]]},
                      "roc_legend": legend, "ceiling_auc": ceiling, "load_seconds": load_s, "plan": work,
                      "applicants": int(len(y)), "default_rate": float(y.mean()), "confusion_matrix": cm,
                      "calibration": calibration,
                      "reason_codes": {str(i): [[r.text, r.attribution] for r in row] for i, row in zip(ids, reasons)}}
    report.write()
    return report


def _verdict(report: Report, diffs: dict[str, Any], seed: int) -> None:
    def word(d: Any) -> str:
        return "beats" if d.low > 0 else "is beaten by" if d.high < 0 else "is not distinguishable from"

    lr_all = diffs["logistic regression (+ balance aggregates)"]
    others = "; ".join(f"it {word(d)} {k} ({d.format(4, signed=True)})" for k, d in diffs.items()
                       if k != "logistic regression (+ balance aggregates)")
    report.verdict(f"The GRU hybrid's saved run (seed {seed}, chosen on validation) {word(lr_all)} logistic "
                   f"regression with balance aggregates (Δ test ROC AUC {lr_all.format(4, signed=True)}, 95% paired "
                   f"bootstrap); {others}.")


def _definitions(n: int, n_boot: int, seeds: int) -> dict[str, str]:
    return {
        "test ROC AUC": f"area under the ROC curve on the n = {n:,} test applicants: the probability that a "
                        "randomly drawn defaulter gets a higher score than a randomly drawn non-defaulter (ties "
                        "count one half); 0.5 is chance, 1 a perfect ranking.",
        "95% bootstrap CI": f"percentile interval of {n_boot:,} bootstrap replicates: the n = {n:,} test "
                            "applicants drawn with replacement, the AUC recomputed on each draw (seed 0).",
        "Δ test ROC AUC [95% paired bootstrap]": "the saved GRU run's AUC minus the other model's, with the "
                                                 "percentile interval of the same replicates, both models "
                                                 "scored on the same draw (paired). An interval containing 0 "
                                                 "is a tie.",
        "mean ± std over seeds": f"mean and sample standard deviation of the test AUC over the {seeds} seed(s) "
                                 "(the run-to-run variation of training; not an interval). With one seed only "
                                 "the value is shown.",
        "saved run": "the seed whose run has the highest validation ROC AUC (its own 10% validation split): "
                     "chosen without the test split.",
    }


def _figures(report: Report, yt: np.ndarray, reported: dict[str, np.ndarray], estimates: dict[str, float],
             runs: list[dict[str, Any]]) -> list[str]:
    """The ROC figure (every model of the table, legend AUCs as in the table) and the training curves;
    returns the ROC legend's labels."""
    from sklearn.metrics import roc_curve

    report.heading("Figures")
    series, legend = {}, []
    for k, s in reported.items():
        fpr, tpr, _ = roc_curve(yt, s)
        legend.append(f"{k}: AUC {estimates[k]:.4f}")
        series[legend[-1]] = (fpr, tpr)
    series["chance (dashed)"] = ([0, 1], [0, 1])
    report.lines("roc.png", "ROC curves on the test split: the saved GRU run and the baselines", series,
                 "false positive rate", "true positive rate")
    report.panels("training.png", "Training and validation AUC per epoch, one panel per seed",
                  {f"seed {r['seed']}" + (" (saved)" if r is max(runs, key=lambda q: q["val_auc"]) else ""):
                   {"training": r["history"]["auc"], "validation (dashed)": r["history"]["val_auc"]}
                   for r in runs}, "epoch", "AUC", ncols=3)
    return legend

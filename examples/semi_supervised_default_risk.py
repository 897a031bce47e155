"""Semi-supervised default risk: only a few applicants have outcomes.

A bank's labelled defaults are few and late; the applications themselves are many. On the application
table of brickwork's synthetic Home Credit generator (``brickwork.datasets.home_credit.make_home_credit``;
its default probability depends on the external scores, the credit/income ratio, age, a short employment
and, for a third of the applicants, the card-balance history, which is left out here), a stratified 25% of
the applicants is the test split; of the rest only ``--labelled`` (default 5%) keep their outcome
(``y = -1`` for the others). Compared, by test ROC AUC over the seeds (the labelled subset and the split
change with the seed):

* logistic regression and the MLP on the labelled applicants only;
* the same MLP wrapped in :class:`~brickwork.semi_supervised.MeanTeacher` and
  :class:`~brickwork.semi_supervised.PiModel`, trained on every training applicant;
* scikit-learn's ``LabelSpreading`` (7-NN) and ``SelfTrainingClassifier`` (logistic regression);
* for reference, logistic regression with *every* training outcome, and the generator's own probability
  (the Bayes ceiling of the AUC).

Features: numeric columns standardised with the training median imputed and a missing indicator per
column with gaps; categories one-hot. The settings are the digits example's, scaled to a 1-output
network, fixed before any test AUC was seen.

    python examples/semi_supervised_default_risk.py --seeds 5
"""

from __future__ import annotations

import argparse
import functools
import time

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork import semi_supervised as ss

METHODS = ["LogReg, labels only", "MLP, labels only", "mean teacher", "Π-model", "LabelSpreading",
           "SelfTraining(LogReg)", "LogReg, all outcomes", "generator's probability"]


def features(frame, train: np.ndarray) -> np.ndarray:
    """The design matrix: numeric columns median-imputed (training median) with missing indicators and
    standardised on the training rows, categorical columns one-hot."""
    import pandas as pd

    frame = frame.drop(columns=["SK_ID_CURR", "TARGET"], errors="ignore")
    categorical = list(frame.select_dtypes(exclude="number").columns)
    numeric = frame.drop(columns=categorical).apply(pd.to_numeric, errors="coerce").astype(float)
    gaps = numeric.columns[numeric.iloc[train].isna().any().to_numpy()]
    indicators = numeric[gaps].isna().astype(float).add_suffix("_missing")
    numeric = numeric.fillna(numeric.iloc[train].median())
    mean, std = numeric.iloc[train].mean(), numeric.iloc[train].std().replace(0.0, 1.0)
    numeric = (numeric - mean) / std
    onehot = pd.get_dummies(frame[categorical].astype(object).fillna("missing"), dtype=float)
    return pd.concat([numeric, indicators, onehot], axis=1).to_numpy(np.float32)


@functools.lru_cache(maxsize=2)
def generated(n_applicants: int) -> tuple:
    """The generator's application table and default probabilities (generator seed 0), computed once."""
    from brickwork.datasets.home_credit import make_home_credit

    frame, _, probability = make_home_credit(n_applicants, seed=0, return_probability=True)
    return frame, probability


def split(seed: int, n_applicants: int, labelled: float) -> tuple[np.ndarray, ...]:
    """``x_train, y_train (-1 = no outcome), x_test, y_test, y_train_true, p_test`` for one seed."""
    from sklearn.model_selection import train_test_split

    frame, probability = generated(n_applicants)
    y = frame["TARGET"].to_numpy()
    train, test = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=seed)
    x = features(frame, train)
    rng = np.random.default_rng(seed)
    keep = rng.choice(len(train), max(int(round(labelled * len(train))), 2), replace=False)
    y_semi = np.full(len(train), -1, dtype=np.int64)
    y_semi[keep] = y[train][keep]
    return x[train], y_semi, x[test], y[test], y[train], probability[test]


def network(n_features: int, seed: int) -> bw.Model:
    """The MLP of every network method: features → 64 → 64 → sigmoid, dropout 0.3."""
    bw.set_seed(seed)
    return bw.Sequential([layers.Input((n_features,)), layers.Dense(64, activation="relu"), layers.Dropout(0.3),
                          layers.Dense(64, activation="relu"), layers.Dropout(0.3),
                          layers.Dense(1, activation="sigmoid")])


def scores(method: str, seed: int, n_applicants: int, labelled: float, epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """``(y_test, test scores)`` of one method on one seed's split."""
    from sklearn.linear_model import LogisticRegression

    x_tr, y_semi, x_te, y_te, y_true, p_te = split(seed, n_applicants, labelled)
    lab = y_semi != -1
    if method == "generator's probability":
        return y_te, p_te
    if method == "LogReg, all outcomes":
        return y_te, LogisticRegression(max_iter=2000).fit(x_tr, y_true).predict_proba(x_te)[:, 1]
    if method == "LogReg, labels only":
        return y_te, LogisticRegression(max_iter=2000).fit(x_tr[lab], y_semi[lab]).predict_proba(x_te)[:, 1]
    if method == "LabelSpreading":
        from sklearn.semi_supervised import LabelSpreading

        proba = LabelSpreading(kernel="knn", n_neighbors=7).fit(x_tr, y_semi).predict_proba(x_te)[:, 1]
        # a test applicant whose 7 neighbours lie in a part of the graph no label reached gets 0/0: the prior
        return y_te, np.where(np.isnan(proba), y_semi[lab].mean(), proba)
    if method == "SelfTraining(LogReg)":
        from sklearn.semi_supervised import SelfTrainingClassifier

        model = SelfTrainingClassifier(LogisticRegression(max_iter=2000)).fit(x_tr, y_semi)
        return y_te, model.predict_proba(x_te)[:, 1]
    net = network(x_tr.shape[1], seed)
    ramp = max(epochs // 3, 1)
    if method == "MLP, labels only":
        net.compile(bw.optimizers.Adam(1e-3), "binary_crossentropy")
        net.fit(x_tr[lab], y_semi[lab], batch_size=32, epochs=4 * epochs, verbose=0)
        model = net
    else:
        common = {"consistency_weight": 30.0, "rampup_epochs": ramp, "noise_std": 0.2, "seed": seed,
                  "labelled_fraction": 0.25}
        if method == "mean teacher":
            model = ss.MeanTeacher(net, ema_decay=0.99, **common)
        elif method == "Π-model":
            model = ss.PiModel(net, **common)
        else:
            raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
        model.compile(bw.optimizers.Adam(1e-3), "binary_crossentropy")
        model.fit(x_tr, y_semi, batch_size=256, epochs=epochs, verbose=0)
    return y_te, model.predict(x_te, verbose=0).reshape(-1)


def main() -> None:
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (splits and labelled subsets)")
    parser.add_argument("--applicants", type=int, default=8000, help="applicants generated")
    parser.add_argument("--labelled", type=float, default=0.05, help="fraction of training applicants with outcomes")
    parser.add_argument("--epochs", type=int, default=30, help="epochs of the semi-supervised methods")
    parser.add_argument("--methods", nargs="+", default=METHODS, help=f"subset of {METHODS}")
    args = parser.parse_args()
    frame, _ = generated(args.applicants)
    x_tr, y_semi, x_te, *_ = split(0, args.applicants, args.labelled)
    print(f"Data: the application table generated by brickwork.datasets.home_credit.make_home_credit, seed 0: "
          f"{len(frame):,} applicants, default rate {frame['TARGET'].mean():.3f}, {x_tr.shape[1]} features after "
          f"encoding; per seed a stratified split into {len(x_tr):,} training ({int((y_semi != -1).sum()):,} with "
          f"outcomes) / {len(x_te):,} test applicants", flush=True)
    rows = []
    with threadpool_limits(1):
        for method in args.methods:
            start = time.time()
            aucs = [roc_auc_score(*scores(method, s, args.applicants, args.labelled, args.epochs))
                    for s in range(args.seeds)]
            rows.append((method, np.mean(aucs), np.std(aucs)))
            print(f"{method:26s} AUC {np.mean(aucs):.3f} ± {np.std(aucs):.3f}   ({time.time() - start:.0f} s)",
                  flush=True)
    print(f"\n| method | test ROC AUC ({args.labelled:.0%} labelled, {args.seeds} seeds) |\n|---|---|")
    for method, mean, std in rows:
        print(f"| {method} | {mean:.3f} ± {std:.3f} |")


if __name__ == "__main__":
    main()

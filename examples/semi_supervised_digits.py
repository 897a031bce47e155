"""Semi-supervised digits: pseudo-labelling, Π-model, temporal ensembling and mean teacher against the
same network trained on the labels only, scikit-learn's LabelSpreading and SelfTrainingClassifier.

Protocol (issue 16): scikit-learn's digits, pixels / 16; a stratified 25% test split; of the training
75%, 50 or 100 samples keep their labels (balanced: 5 or 10 per class), the rest get ``y = -1``. Every
method sees the same split per seed; the table gives test accuracy mean ± std over the seeds.
The defaults below were fixed beforehand (chosen on a separate seed, 1000, by the accuracy on the
unlabelled part of the training split — never on a test split).

    python examples/semi_supervised_digits.py --seeds 10
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork import semi_supervised as ss

CW = 30.0  # w_max of the consistency methods
NOISE = 0.2  # std of the Gaussian input noise (pixels in [0, 1])
METHODS = ["labels only", "pseudo-labelling", "Π-model", "temporal ensembling", "mean teacher", "LabelSpreading",
           "SelfTraining(LogReg)"]


def split(seed: int, n_labels: int) -> tuple[np.ndarray, ...]:
    """``x_train, y_train (-1 = unlabelled), x_test, y_test, y_train_true`` for one seed."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    x_tr, x_te, y_tr, y_te = train_test_split(x, digits.target, test_size=0.25, stratify=digits.target,
                                              random_state=seed)
    rng = np.random.default_rng(seed)
    per_class = n_labels // 10
    keep = np.concatenate([rng.choice(np.flatnonzero(y_tr == c), per_class, replace=False) for c in range(10)])
    y_semi = np.full(len(y_tr), -1, dtype=np.int64)
    y_semi[keep] = y_tr[keep]
    return x_tr, y_semi, x_te, y_te, y_tr


def network(seed: int) -> bw.Model:
    """The same MLP for every method: 64 → 256 → 256 → 10 with dropout."""
    bw.set_seed(seed)
    return bw.Sequential([layers.Input((64,)), layers.Dense(256, activation="relu"), layers.Dropout(0.3),
                          layers.Dense(256, activation="relu"), layers.Dropout(0.3),
                          layers.Dense(10, activation="softmax")])


def wrap(method: str, net: bw.Model, seed: int, epochs: int) -> bw.Model:
    ramp = max(epochs // 3, 1)
    if method == "pseudo-labelling":
        return ss.PseudoLabeling(net, alpha_f=1.0, t1=epochs // 6, t2=epochs // 2, threshold=0.9, noise_std=0.1,
                                 seed=seed)
    if method == "Π-model":
        return ss.PiModel(net, consistency_weight=CW, rampup_epochs=ramp, noise_std=NOISE, seed=seed)
    if method == "temporal ensembling":
        return ss.TemporalEnsembling(net, consistency_weight=CW, rampup_epochs=ramp, noise_std=NOISE, seed=seed)
    if method == "mean teacher":
        return ss.MeanTeacher(net, ema_decay=0.99, consistency_weight=CW, rampup_epochs=ramp, noise_std=NOISE,
                              seed=seed)
    raise ValueError(f"unknown method {method!r}")


def run(method: str, seed: int, n_labels: int, epochs: int) -> float:
    """Test accuracy of one method on one seed's split."""
    x_tr, y_semi, x_te, y_te, _ = split(seed, n_labels)
    lab = y_semi != -1
    if method == "LabelSpreading":
        from sklearn.semi_supervised import LabelSpreading

        return float(LabelSpreading(kernel="knn", n_neighbors=7).fit(x_tr, y_semi).score(x_te, y_te))
    if method == "SelfTraining(LogReg)":
        from sklearn.linear_model import LogisticRegression
        from sklearn.semi_supervised import SelfTrainingClassifier

        return float(SelfTrainingClassifier(LogisticRegression(max_iter=2000)).fit(x_tr, y_semi).score(x_te, y_te))
    net = network(seed)
    if method == "labels only":
        net.compile(bw.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
        net.fit(x_tr[lab], y_semi[lab], batch_size=25, epochs=200, verbose=0)
        model = net
    else:
        model = wrap(method, net, seed, epochs)
        model.compile(bw.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x_tr, y_semi, batch_size=100, epochs=epochs, verbose=0)
    return float((model.predict(x_te, verbose=0).argmax(axis=1) == y_te).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds (splits), default 10")
    parser.add_argument("--labels", type=int, nargs="+", default=[50, 100], help="labelled samples (multiple of 10)")
    parser.add_argument("--epochs", type=int, default=90, help="epochs of the semi-supervised methods")
    parser.add_argument("--methods", nargs="+", default=METHODS, help=f"subset of {METHODS}")
    args = parser.parse_args()
    table: dict[tuple[str, int], list[float]] = {}
    for n_labels in args.labels:
        for method in args.methods:
            start = time.time()
            accs = [run(method, seed, n_labels, args.epochs) for seed in range(args.seeds)]
            table[(method, n_labels)] = accs
            print(f"{n_labels:4d} labels  {method:22s} {np.mean(accs):.3f} ± {np.std(accs):.3f}"
                  f"   ({time.time() - start:.0f} s)", flush=True)
    print(f"\n| method | {' | '.join(f'{n} labels' for n in args.labels)} |")
    print(f"|---|{'---|' * len(args.labels)}")
    for method in args.methods:
        cells = [f"{np.mean(table[(method, n)]):.3f} ± {np.std(table[(method, n)]):.3f}" for n in args.labels]
        print(f"| {method} | {' | '.join(cells)} |")
    print(f"\n{args.seeds} seeds; test accuracy on a stratified 25% split.")


if __name__ == "__main__":
    main()

"""Grid search vs random search with the same budget (Bergstra & Bengio, JMLR 2012), on a digits MLP.

Two hyperparameters, one that matters a lot (the learning rate of Adam, ``log10_lr`` in [-5, -1]) and one
that matters little (``dropout`` in [0, 0.6]). With 16 trials a 4 x 4 grid tries only **4** learning rates;
16 random draws from the same box try 16. The script runs both strategies ``--repeats`` times (each
repeat: a new sampler seed, so a new random sample and a new grid order, and new initial weights) with
``brickwork.tuner`` and plots, under ``docs/figures/tuning_grid_vs_random.png``:

1. the best validation accuracy found so far against the trial number (median and quartiles of the repeats);
2. every trial's objective over time in one random search, and its running best;
3. validation accuracy against each hyperparameter, all random-search trials pooled;
4. hyperparameter importance (Optuna's fANOVA, ``optuna.importance.get_param_importances``) of those trials.

    python examples/tuning_grid_vs_random.py --repeats 10      # about 5 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import brickwork as keras
from brickwork import layers
from brickwork import tuner as kt

FIGURE = Path(__file__).resolve().parent.parent / "docs" / "figures" / "tuning_grid_vs_random.png"
LR_RANGE, DROPOUT_RANGE = (-5.0, -1.0), (0.0, 0.6)


def digits() -> tuple[np.ndarray, ...]:
    """``x_train, y_train, x_val, y_val``: scikit-learn's digits / 16, a stratified 30% validation split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = (data.data / 16.0).astype("float32")
    return tuple(train_test_split(x, data.target, test_size=0.3, stratify=data.target, random_state=0))


def make_build(grid: bool, side: int = 4) -> Any:
    """``build(hp)`` of the MLP. For the grid each range gets a ``step`` giving ``side`` values, ends included;
    for random search the same ranges are continuous."""

    def step(low: float, high: float) -> float | None:
        return (high - low) / max(side - 1, 1) if grid else None

    def build(hp: kt.HyperParameters) -> keras.Model:
        log10_lr = hp.Float("log10_lr", *LR_RANGE, step=step(*LR_RANGE))
        dropout = hp.Float("dropout", *DROPOUT_RANGE, step=step(*DROPOUT_RANGE))
        model = keras.Sequential([layers.Input((64,)), layers.Dense(64, activation="relu"), layers.Dropout(dropout),
                                  layers.Dense(10, activation="softmax")])
        model.compile(keras.optimizers.Adam(10.0 ** log10_lr), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    return build


def search(kind: str, repeat: int, trials: int, epochs: int, data: tuple[np.ndarray, ...], root: str) -> Any:
    """One search of ``trials`` trials; returns its Optuna study."""
    x_tr, x_va, y_tr, y_va = data
    common = {"objective": "val_accuracy", "max_trials": trials, "seed": repeat, "directory": root,
              "project_name": f"{kind}_{repeat}", "overwrite": True}
    if kind == "grid":
        tuner = kt.GridSearch(make_build(True, round(trials ** 0.5)), **common)
    else:
        tuner = kt.RandomSearch(make_build(False), try_default_first=False, **common)
    tuner.search(x_tr, y_tr, epochs=epochs, batch_size=64, validation_data=(x_va, y_va))
    return tuner.study


def values(study: Any) -> np.ndarray:
    """The trials' objective values in trial order (NaN for one that did not complete)."""
    return np.array([t.value if t.value is not None else np.nan for t in study.trials], dtype=float)


def plot(studies: dict[str, list[Any]], path: Path) -> None:
    """The four panels of the module docstring."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna

    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    ax = axes[0, 0]
    for kind, colour in (("grid", "tab:orange"), ("random", "tab:blue")):
        best = np.array([np.fmax.accumulate(np.nan_to_num(values(s), nan=0.0)) for s in studies[kind]])
        steps = np.arange(1, best.shape[1] + 1)
        low, mid, high = np.percentile(best, [25, 50, 75], axis=0)
        ax.plot(steps, mid, marker="o", color=colour, label=f"{kind} search (median)")
        ax.fill_between(steps, low, high, color=colour, alpha=0.2, label=f"{kind}: 25-75% of repeats")
    ax.set(xlabel="trial", ylabel="best validation accuracy so far",
           title=f"same budget of trials, {len(studies['grid'])} repeats")
    ax.set_ylim(0.8, 1.0)
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)

    ax = axes[0, 1]
    one = values(studies["random"][0])
    ax.scatter(np.arange(1, len(one) + 1), one, color="tab:blue", label="trial's val_accuracy")
    ax.step(np.arange(1, len(one) + 1), np.fmax.accumulate(np.nan_to_num(one, nan=0.0)), where="post",
            color="black", label="best so far")
    ax.set(xlabel="trial", ylabel="validation accuracy", title="objective over time (one random search)")
    ax.legend(loc="center right")
    ax.grid(alpha=0.3)

    pooled = [t for s in studies["random"] for t in s.trials if t.value is not None]
    acc = np.array([t.value for t in pooled])
    ax = axes[1, 0]
    for name, colour, marker in (("log10_lr", "tab:blue", "o"), ("dropout", "tab:green", "s")):
        x = np.array([t.params[name] for t in pooled])
        low, high = LR_RANGE if name == "log10_lr" else DROPOUT_RANGE
        ax.scatter((x - low) / (high - low), acc, s=14, color=colour, marker=marker, alpha=0.7,
                   label=f"{name} in [{low:g}, {high:g}]")
    ax.set(xlabel="hyperparameter, scaled to [0, 1] of its range", ylabel="validation accuracy",
           title="random-search trials, pooled")
    ax.legend(loc="center right")
    ax.grid(alpha=0.3)

    ax = axes[1, 1]
    merged = optuna.create_study(direction="maximize")
    merged.add_trials(pooled)
    importance = optuna.importance.get_param_importances(
        merged, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
    names = list(importance)
    ax.barh(names, [importance[n] for n in names], color="tab:purple")
    for i, n in enumerate(names):
        ax.text(importance[n], i, f" {importance[n]:.2f}", va="center")
    ax.set(xlabel="fANOVA importance (share of the objective's variance)", xlim=(0, 1.1),
           title="hyperparameter importance")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"saved {path}; importances {', '.join(f'{n}: {v:.2f}' for n, v in importance.items())}")


def main() -> None:
    from threadpoolctl import threadpool_limits

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="searches per strategy")
    parser.add_argument("--trials", type=int, default=16, help="trials per search (a square for the grid)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per trial")
    parser.add_argument("--figure", type=Path, default=FIGURE, help="where the PNG goes")
    args = parser.parse_args()
    data = digits()
    print(f"Data: scikit-learn's 8x8 digits (sklearn.datasets.load_digits), {len(data[0]):,} training / "
          f"{len(data[1]):,} validation images, stratified split seed 0", flush=True)
    studies: dict[str, list[Any]] = {"grid": [], "random": []}
    with threadpool_limits(1), tempfile.TemporaryDirectory() as root:
        for repeat in range(args.repeats):
            for kind in ("grid", "random"):
                start = time.time()
                study = search(kind, repeat, args.trials, args.epochs, data, root)
                studies[kind].append(study)
                print(f"repeat {repeat} {kind:6s} best val_accuracy {np.nanmax(values(study)):.4f} "
                      f"({time.time() - start:.0f} s)", flush=True)
        finals = {k: np.array([np.nanmax(values(s)) for s in v]) for k, v in studies.items()}
        for kind, best in finals.items():
            print(f"{kind:6s}: best of {args.trials} trials {best.mean():.4f} ± {best.std():.4f} "
                  f"over {args.repeats} repeats")
        print(f"random beats grid in {(finals['random'] > finals['grid']).sum()} of {args.repeats} repeats, "
              f"ties {(finals['random'] == finals['grid']).sum()}")
        plot(studies, args.figure)


if __name__ == "__main__":
    main()

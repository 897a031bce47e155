"""Multivariate time-series classification with LSTM and GRU on UEA's BasicMotions
(accelerometer and gyroscope, 6 channels × 100 steps, 4 activities), the archive's
own 40/40 train/test split, shipped with sktime.

Run: python examples/ucr_recurrent.py [--seeds 5] [--epochs 150]
"""

from __future__ import annotations

import argparse

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork.datasets.ucr import load_ucr


def run(kind: str = "LSTM", dataset: str = "BasicMotions", seed: int = 0, epochs: int = 150, units: int = 64):
    train, test = load_ucr(dataset)
    mean = np.nanmean(train.x, axis=(0, 1))
    std = np.nanstd(train.x, axis=(0, 1)) + 1e-8
    x_train, x_test = np.nan_to_num((train.x - mean) / std), np.nan_to_num((test.x - mean) / std)
    bw.set_seed(seed)
    model = bw.Sequential([layers.Input(shape=x_train.shape[1:]), getattr(layers, kind)(units),
                           layers.Dense(len(train.class_names), activation="softmax")])
    model.compile(bw.optimizers.Adam(0.003), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, train.y, batch_size=8, epochs=epochs, verbose=0)
    return float(model.evaluate(x_test, test.y, verbose=0)[1])


def print_data(dataset: str) -> None:
    """Print the ``Data:`` line of ``dataset``: where it comes from and the sizes of its train/test split."""
    train, test = load_ucr(dataset)
    print(f"Data: UCR/UEA {dataset} (brickwork.datasets.ucr.load_ucr, the .ts files shipped with sktime): "
          f"{len(train.x):,} training / {len(test.x):,} test series of {train.x.shape[1]} steps x "
          f"{train.x.shape[2]} channel(s), {len(train.class_names)} classes, the archive's own split", flush=True)


def main(seeds: int = 5, epochs: int = 150) -> dict:
    print_data("BasicMotions")
    result = {}
    for kind in ("LSTM", "GRU"):
        runs = [run(kind, seed=s, epochs=epochs) for s in range(seeds)]
        result[kind] = {"mean": float(np.mean(runs)), "std": float(np.std(runs)), "runs": runs}
        print(f"BasicMotions {kind}(64): test accuracy {np.mean(runs):.4f} ± {np.std(runs):.4f} over {seeds} seeds")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=150)
    args = parser.parse_args()
    main(args.seeds, args.epochs)

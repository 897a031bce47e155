"""Time-series classification on the UCR/UEA archive with the FCN and the 1-D ResNet.

The protocol of Wang et al. 2017 / Fawaz et al. 2019, on the archive's own
train/test split: Adam (lr 0.001), batch size min(n_train / 10, 16),
ReduceLROnPlateau on the training loss (factor 0.5, patience 50, min_lr 1e-4),
and the weights of the epoch with the lowest *training* loss (the test set is
never used for selection). Missing values (variable-length series) are set to 0.

Run: python examples/ucr_classification.py --dataset GunPoint --model fcn --seeds 5 --epochs 500
"""

import argparse
import json
import time

import numpy as np

import brickwork as bw
from brickwork.datasets.ucr import load_ucr


def run(dataset="GunPoint", model_name="fcn", seed=0, epochs=500, verbose=0):
    train, test = load_ucr(dataset)
    x_train, x_test = np.nan_to_num(train.x), np.nan_to_num(test.x)
    bw.set_seed(seed)
    build = bw.applications.fcn if model_name == "fcn" else bw.applications.resnet1d
    model = build(x_train.shape[1:], len(train.class_names))
    model.compile(optimizer=bw.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    batch = int(min(len(x_train) / 10, 16)) or 1
    callbacks = [bw.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=50, min_lr=1e-4),
                 bw.callbacks.EarlyStopping(monitor="loss", patience=epochs, restore_best_weights=True)]
    start = time.perf_counter()
    model.fit(x_train, train.y, batch_size=batch, epochs=epochs, callbacks=callbacks, verbose=verbose)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, test.y, verbose=0)
    return float(accuracy), seconds


def print_data(dataset: str) -> None:
    """Print the ``Data:`` line of ``dataset``: where it comes from and the sizes of its train/test split."""
    train, test = load_ucr(dataset)
    print(f"Data: UCR/UEA {dataset} (brickwork.datasets.ucr.load_ucr, the .ts files shipped with sktime): "
          f"{len(train.x):,} training / {len(test.x):,} test series of {train.x.shape[1]} steps x "
          f"{train.x.shape[2]} channel(s), {len(train.class_names)} classes, the archive's own split", flush=True)


def main(dataset, model_name, seeds, epochs):
    print_data(dataset)
    runs = []
    for seed in range(seeds):
        acc, seconds = run(dataset, model_name, seed, epochs)
        runs.append(acc)
        print(f"{dataset} {model_name} seed {seed}: test accuracy {acc:.4f} ({seconds:.0f} s)", flush=True)
    summary = {"dataset": dataset, "model": model_name, "epochs": epochs, "seeds": seeds,
               "mean": float(np.mean(runs)), "std": float(np.std(runs)), "runs": runs}
    print(f"{dataset} {model_name}: {summary['mean']:.4f} ± {summary['std']:.4f} over {seeds} seeds")
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="GunPoint")
    parser.add_argument("--model", default="fcn", choices=["fcn", "resnet"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    result = main(args.dataset, args.model, args.seeds, args.epochs)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=2)

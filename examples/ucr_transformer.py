"""A Transformer encoder classifier on a UCR time-series data set, next to the FCN on the same split.

The Transformer is keras-io's "Timeseries classification with a Transformer model" architecture
(``brickwork.applications.time_series_transformer``: four pre-LN blocks of 4-head self-attention, head size
64, a 1×1-convolution feed-forward network, channel-wise average pooling, an MLP of 128 units) trained with
its recipe — Adam (lr 1e-4), batch 64, 20% of the training set held out for early stopping on the validation
loss (patience ``--patience``, best weights restored). The FCN is trained with ``ucr_classification.py``'s
protocol (Wang et al. 2017). Both use the archive's own train/test split shipped with sktime; the test set is
never used for selection. We report test accuracy per seed, the mean ± standard deviation, and training time.

Run: python examples/ucr_transformer.py [--dataset ItalyPowerDemand] [--seeds 3] [--epochs 500]
     [--fcn-epochs 1000]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time

import numpy as np

import brickwork as bw
from brickwork.datasets.ucr import load_ucr


def run_transformer(dataset: str = "ItalyPowerDemand", seed: int = 0, epochs: int = 500, patience: int = 50,
                    verbose: int = 0) -> tuple[float, float, int]:
    """Test accuracy, training seconds and epochs run for one seed."""
    train, test = load_ucr(dataset)
    x_train, x_test = np.nan_to_num(train.x), np.nan_to_num(test.x)
    bw.set_seed(seed)
    model = bw.applications.time_series_transformer(x_train.shape[1:], len(train.class_names))
    model.compile(optimizer=bw.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = bw.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(x_train, train.y, batch_size=64, epochs=epochs, validation_split=0.2, callbacks=[stop],
                        verbose=verbose)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, test.y, verbose=0)
    return float(accuracy), seconds, len(history.history["loss"])


def print_data(dataset: str) -> None:
    """Print the ``Data:`` line of ``dataset``: where it comes from and the sizes of its train/test split."""
    train, test = load_ucr(dataset)
    print(f"Data: UCR/UEA {dataset} (brickwork.datasets.ucr.load_ucr, the .ts files shipped with sktime): "
          f"{len(train.x):,} training / {len(test.x):,} test series of {train.x.shape[1]} steps x "
          f"{train.x.shape[2]} channel(s), {len(train.class_names)} classes, the archive's own split", flush=True)


def _fcn_runner():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ucr_classification.py")
    spec = importlib.util.spec_from_file_location("ucr_classification", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run


def main(dataset: str = "ItalyPowerDemand", seeds: int = 3, epochs: int = 500, patience: int = 50,
         fcn_epochs: int = 1000) -> dict:
    print_data(dataset)
    result: dict = {"dataset": dataset}
    for name in ("transformer", "fcn"):
        runs, times = [], []
        for seed in range(seeds):
            if name == "transformer":
                accuracy, seconds, ran = run_transformer(dataset, seed, epochs, patience)
                detail = f"{ran} epochs"
            else:
                if fcn_epochs <= 0:
                    break
                accuracy, seconds = _fcn_runner()(dataset, "fcn", seed, fcn_epochs)
                detail = f"{fcn_epochs} epochs"
            runs.append(accuracy)
            times.append(seconds)
            print(f"{dataset} {name} seed {seed}: test accuracy {accuracy:.4f} ({detail}, {seconds:.0f} s)", flush=True)
        if runs:
            result[name] = {"mean": float(np.mean(runs)), "std": float(np.std(runs)), "runs": runs,
                            "seconds": float(np.median(times))}
            print(f"{dataset} {name}: {np.mean(runs):.4f} ± {np.std(runs):.4f} over {len(runs)} seeds "
                  f"(median {np.median(times):.0f} s per seed)")
    if "fcn" in result:
        gap = result["transformer"]["mean"] - result["fcn"]["mean"]
        spread = max(result["transformer"]["std"], result["fcn"]["std"])
        if abs(gap) <= 2 * spread:
            verdict = "ties with"
        else:
            verdict = "beats" if gap > 0 else "does not beat"
        print(f"the Transformer {verdict} the FCN on {dataset} ({gap:+.4f} mean test accuracy; larger seed "
              f"standard deviation {spread:.4f})")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="ItalyPowerDemand")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--patience", type=int, default=50)
    parser.add_argument("--fcn-epochs", type=int, default=1000)
    args = parser.parse_args()
    main(args.dataset, args.seeds, args.epochs, args.patience, args.fcn_epochs)

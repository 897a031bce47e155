"""A small convnet against the MLP of `brickwork demo` on the same digits split.

scikit-learn's 8×8 handwritten digits, stratified 80/20 split (random_state=0);
both models trained for 40 epochs with Adam, batch 32, 10% of the training set
held out for validation; accuracy on the test set, averaged over seeds.

Run: python examples/digits_cnn.py [--seeds 3] [--epochs 40]
"""

import argparse
import json

import numpy as np

import brickwork as bw
from brickwork.cli.demo import build_mlp
from brickwork.datasets import load_digits_split


def train(model, x_train, y_train, x_test, y_test, epochs):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, verbose=0)
    return model.evaluate(x_test, y_test, verbose=0)[1]


def main(seeds=3, epochs=40):
    x_train, x_test, y_train, y_test = load_digits_split()
    print(f"Data: scikit-learn's 8x8 digits (sklearn.datasets.load_digits via brickwork.datasets.load_digits_split), "
          f"{len(x_train):,} training / {len(x_test):,} test images, stratified split seed 0", flush=True)
    images = lambda x: x.reshape(-1, 8, 8, 1)  # noqa: E731
    results = {"mlp": [], "cnn": []}
    for seed in range(seeds):
        bw.set_seed(seed)
        results["mlp"].append(train(build_mlp(), x_train, y_train, x_test, y_test, epochs))
        bw.set_seed(seed)
        cnn = bw.applications.small_cnn((8, 8, 1), 10)
        results["cnn"].append(train(cnn, images(x_train), y_train, images(x_test), y_test, epochs))
    summary = {k: {"mean": float(np.mean(v)), "std": float(np.std(v)), "runs": v} for k, v in results.items()}
    for name, s in summary.items():
        print(f"{name}: test accuracy {s['mean']:.4f} ± {s['std']:.4f} over {seeds} seeds")
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--json", default=None, help="write the summary to this file")
    args = parser.parse_args()
    out = main(args.seeds, args.epochs)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(out, handle, indent=2)

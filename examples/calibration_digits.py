"""Temperature scaling of an overconfident classifier (Guo et al. 2017) on the scikit-learn digits.

An MLP without regularisation is trained far past the point where its training loss is near zero; its
test accuracy stays high but its softmax probabilities become overconfident. A temperature fitted on a
validation split (never on the test split) softens them; the script reports the test ECE (15 uniform
bins), the NLL and the Brier score before and after, and draws both reliability curves.

Run: python examples/calibration_digits.py [--epochs 200] [--figure docs/figures/reliability_before_after.png]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork.calibration import (
    TemperatureScaling,
    brier_score,
    expected_calibration_error,
    reliability_diagram,
)


def load(seed: int = 0):
    """Digits split 20 / 30 / 50 % into train, validation (for the temperature) and test."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, train_size=0.2, random_state=seed, stratify=y)
    x_val, x_test, y_val, y_test = train_test_split(x_rest, y_rest, train_size=0.375, random_state=seed,
                                                    stratify=y_rest)
    return x_train, y_train, x_val, y_val, x_test, y_test


def logits_model() -> bw.Model:
    """An MLP that returns logits (no softmax layer), so the temperature divides the logits."""
    model = bw.Sequential([layers.Input((64,)), layers.Dense(256, activation="relu"),
                           layers.Dense(256, activation="relu"), layers.Dense(10)], name="digits_mlp")
    model.compile(bw.optimizers.Adam(1e-3), bw.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def main(epochs: int = 200, figure: str | None = None, seed: int = 0, verbose: int = 0) -> dict[str, float]:
    """Train, fit the temperature on the validation split, and return the test metrics before/after."""
    bw.set_seed(seed)
    x_train, y_train, x_val, y_val, x_test, y_test = load(seed)
    print(f"Data: scikit-learn's 8x8 digits (sklearn.datasets.load_digits), {len(x_train):,} training / "
          f"{len(x_val):,} validation (for the temperature) / {len(x_test):,} test images, stratified splits seed "
          f"{seed}", flush=True)
    model = logits_model()
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=verbose)
    val_logits = model.predict(x_val, verbose=0)
    test_logits = model.predict(x_test, verbose=0)
    scaler = TemperatureScaling().fit(val_logits, y_val)
    shifted = np.exp(test_logits - test_logits.max(axis=1, keepdims=True))
    p_before, p_after = shifted / shifted.sum(axis=1, keepdims=True), scaler.transform(test_logits)
    result = {
        "temperature": scaler.temperature_,
        "accuracy_before": float(np.mean(p_before.argmax(1) == y_test)),
        "accuracy_after": float(np.mean(p_after.argmax(1) == y_test)),
        "ece_before": expected_calibration_error(y_test, p_before, n_bins=15),
        "ece_after": expected_calibration_error(y_test, p_after, n_bins=15),
        "nll_before": scaler.nll(test_logits, y_test, temperature=1.0),
        "nll_after": scaler.nll(test_logits, y_test),
        "brier_before": brier_score(y_test, p_before),
        "brier_after": brier_score(y_test, p_after),
    }
    if figure:
        reliability_diagram(y_test, {"before (T = 1)": p_before, f"after (T = {scaler.temperature_:.2f})": p_after},
                            figure, n_bins=15, title="Digits MLP, test split: temperature scaling")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--figure", default=None, help="PNG path of the reliability diagram")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(main(args.epochs, args.figure, args.seed), indent=2))

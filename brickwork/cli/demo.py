"""``brickwork demo``: seed 001's workflow end to end on real data.

Trains a small MLP on scikit-learn's handwritten digits, shows Keras-style
progress, prints test accuracy, and writes into the output folder the
training curves, a metrics JSON, the saved model and a drawing of it.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np


def build_mlp(num_features: int = 64, num_classes: int = 10):
    """Input(64) → Dense(64, relu) → Dropout(0.1) → Dense(32, relu) → Dense(10, softmax)."""
    from brickwork import layers, models

    return models.Sequential([
        layers.Input(shape=(num_features,)),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.1),
        layers.Dense(32, activation="relu"),
        layers.Dense(num_classes, activation="softmax"),
    ], name="digits_mlp")


def run_demo(out: str = "brickwork-demo", epochs: int = 40, seed: int = 0, verbose: int | None = None) -> int:
    import brickwork as bw
    from brickwork.datasets import load_digits_split

    start = time.perf_counter()
    bw.set_seed(seed)
    x_train, x_test, y_train, y_test = load_digits_split(seed=0)
    print(f"digits: {len(x_train)} training and {len(x_test)} test images of 8x8 pixels, 10 classes")
    model = build_mlp()
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1,
                        verbose=1 if verbose is None else verbose)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    baseline = float(np.max(np.bincount(y_train)) / len(y_train))
    os.makedirs(out, exist_ok=True)
    model.save(os.path.join(out, "model.brick"))
    figures = []
    try:
        figures = bw.plot.history(history, out + os.sep)
        figures.append(bw.utils.plot_model(model, os.path.join(out, "model.png")))
    except ImportError as err:
        print(f"(figures skipped: {err})")
    metrics = {
        "dataset": "sklearn digits, stratified 80/20 split (random_state=0)",
        "test_accuracy": float(test_acc), "test_loss": float(test_loss),
        "majority_class_baseline": baseline, "epochs": epochs, "seed": seed,
        "final_train_accuracy": history.history["accuracy"][-1],
        "final_val_accuracy": history.history["val_accuracy"][-1],
        "seconds": round(time.perf_counter() - start, 2),
    }
    with bw.utils.io.atomic_write(os.path.join(out, "metrics.json"), "w") as handle:
        json.dump(metrics, handle, indent=2)
    verdict = "beats" if test_acc > baseline else "does NOT beat"
    print(f"\nTest accuracy: {test_acc:.4f} (majority-class baseline {baseline:.4f}; the model {verdict} it)")
    print(f"Wrote {out}/: model.brick, metrics.json" + (", " + ", ".join(os.path.basename(f) for f in figures)
                                                        if figures else ""))
    return 0

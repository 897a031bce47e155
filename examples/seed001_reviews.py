"""Seed 001 end to end: the three-layer network on bag-of-words reviews, the
plain model against its L2-regularised twin, and the two training-curve figures.

The reviews are generated (a 10,000-word vocabulary; positive reviews use some
words more often), so the script needs no download.

Run: python examples/seed001_reviews.py [--out DIR]
"""

import argparse

import numpy as np

import brickwork as bw
from brickwork import layers, models, regularizers


def reviews(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) > 0.5).astype(np.float32)
    x = (rng.random((n, 10000)) < 0.01).astype(np.float32)
    x[:, :300] = np.maximum(x[:, :300], (rng.random((n, 300)) < 0.04) & (y[:, None] > 0))
    x[:, 300:600] = np.maximum(x[:, 300:600], (rng.random((n, 300)) < 0.04) & (y[:, None] == 0))
    return x, y


def build(l2=None):
    reg = regularizers.l2(l2) if l2 else None
    model = models.Sequential()
    model.add(layers.Dense(16, kernel_regularizer=reg, activation="relu", input_shape=(10000,)))
    model.add(layers.Dense(16, kernel_regularizer=reg, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    return model


def main(out="seed001-out", epochs=10):
    x, y = reviews()
    x_train, y_train, x_val, y_val = x[:3000], y[:3000], x[3000:], y[3000:]
    results = {}
    for name, l2 in (("plain", None), ("l2", 0.001)):
        bw.set_seed(0)
        model = build(l2)
        history = model.fit(x_train, y_train, epochs=epochs, batch_size=512, validation_data=(x_val, y_val),
                            verbose=0)
        results[name] = history.history
        print(f"{name:5s}: final loss {history.history['loss'][-1]:.4f}, "
              f"val_acc {history.history['val_acc'][-1]:.4f}")
        print("  figures:", bw.plot.history(history, f"{out}/{name}"))  # needs the 'plot' extra
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="seed001-out")
    main(parser.parse_args().out)

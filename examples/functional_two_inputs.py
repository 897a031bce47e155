"""Seed 002's Functional API: two inputs of different shapes, merged, one output.

Run: python examples/functional_two_inputs.py
"""

import numpy as np

import brickwork as bw
from brickwork.layers import Dense, Input
from brickwork.layers.merge import concatenate
from brickwork.models import Model


def main(epochs=20):
    bw.set_seed(0)
    rng = np.random.default_rng(0)
    profile = rng.standard_normal((600, 12)).astype(np.float32)
    history = rng.standard_normal((600, 30)).astype(np.float32)
    y = ((profile[:, 0] + history[:, :5].mean(1)) > 0).astype(np.float32)

    visible1 = Input(shape=(12,), name="profile")
    visible2 = Input(shape=(30,), name="history")
    hidden1 = Dense(16, activation="relu")(visible1)
    hidden2 = Dense(16, activation="relu")(visible2)
    merge = concatenate([hidden1, hidden2])
    output = Dense(1, activation="sigmoid")(Dense(10, activation="relu")(merge))
    model = Model(inputs=[visible1, visible2], outputs=output)
    model.summary()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", "auc"])
    fit = model.fit({"profile": profile, "history": history}, y, epochs=epochs, validation_split=0.2, verbose=2)
    print({k: round(v[-1], 3) for k, v in fit.history.items()})
    return fit.history["val_accuracy"][-1]


if __name__ == "__main__":
    main()

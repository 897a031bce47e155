"""The course's own code (seeds 001 and 002) runs with ``keras`` replaced by ``brickwork``.

Each snippet below is the seed's code with only its import lines changed.
Names the slides use without defining (``acc``, ``val_acc``, the data) are
provided by the surrounding test, as the book's earlier cells did.
"""

from __future__ import annotations

import io
import sys

import matplotlib
import numpy as np

matplotlib.use("Agg")

SEED_001_MODEL = """
from brickwork import models
from brickwork import layers

model = models.Sequential()
model.add(layers.Dense(16, activation='relu', input_shape=(10000,)))
model.add(layers.Dense(16, activation='relu'))
model.add(layers.Dense(1, activation='sigmoid'))
"""

SEED_001_L2_MODEL = """
from brickwork import regularizers

model = models.Sequential()
model.add(layers.Dense(16, kernel_regularizer=regularizers.l2(0.001),
                      activation='relu', input_shape=(10000,)))
model.add(layers.Dense(16, kernel_regularizer=regularizers.l2(0.001),
                      activation='relu'))
model.add(layers.Dense(1, activation='sigmoid'))
"""

SEED_001_PLOTS = """
import matplotlib.pyplot as plt

history_dict = history.history
loss_values = history_dict['loss']
val_loss_values = history_dict['val_loss']

epochs = range(1, len(acc) + 1)

plt.plot(epochs, loss_values, 'bo', label='Training loss')
plt.plot(epochs, val_loss_values, 'b', label='Validation loss')
plt.title('Training and validation loss')
plt.xlabel('Epochs')
plt.ylabel('Loss')
plt.legend()

plt.show()

plt.clf()
acc_values = history_dict['acc']
val_acc_values = history_dict['val_acc']

plt.plot(epochs, acc, 'bo', label='Training acc')
plt.plot(epochs, val_acc, 'b', label='Validation acc')
plt.title('Training and validation accuracy')
plt.xlabel('Epochs')
plt.ylabel('Loss')
plt.legend()

plt.show()
"""

SEED_002_SEQUENTIAL = """
# Sequential model
from brickwork.models import Sequential
from brickwork.layers import Dense

model = Sequential()
model.add(10, input_shape=(10,), activation='relu')
model.add(Dense(20, activation='relu'))
model.add(Dense(10, activation='relu'))
model.add(Dense(1, activation='sigmoid'))
"""

SEED_002_FUNCTIONAL = """
# Functional model
from brickwork.models import Model
from brickwork.layers import Input, Dense

visible = Input(shape=(10,))
hidden1 = Dense(10, activation='relu')(visible)
hidden2 = Dense(20, activation='relu')(hidden1)
hidden3 = Dense(10, activation='relu')(hidden2)
output = Dense(1, activation='sigmoid')(hidden3)
model = Model(inputs=visible, outputs=output)
"""

SEED_002_MERGE = """
from brickwork.utils import plot_model
from brickwork.models import Model
from brickwork.layers import Input, Dense, Flatten
from brickwork.layers.merge import concatenate
visible = Input(shape=(64,))
flat1 = Flatten()(Dense(8, activation='relu')(visible))
flat2 = Flatten()(Dense(4, activation='relu')(visible))
merge = concatenate([flat1, flat2])
hidden1 = Dense(10, activation='relu')(merge)
output = Dense(1, activation='sigmoid')(hidden1)
model = Model(inputs=visible, outputs=output)
"""


def bag_of_words(n, seed=0):
    """Multi-hot rows over a 10,000-word vocabulary; 'positive' rows use words 0-199 more often."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) > 0.5).astype(np.float32)
    x = (rng.random((n, 10000)) < 0.01).astype(np.float32)
    boost = (rng.random((n, 200)) < 0.1) & (y[:, None] > 0)
    x[:, :200] = np.maximum(x[:, :200], boost)
    return x, y


def run(code, namespace):
    exec(compile(code, "<seed>", "exec"), namespace)  # noqa: S102 - the seed's own code
    return namespace


def test_seed_001_three_layer_network_trains_and_plots(monkeypatch):
    x, y = bag_of_words(1500)
    ns = run(SEED_001_MODEL, {})
    model = ns["model"]
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "160,016" in text and "272" in text and "17" in text
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    history = model.fit(x[:1000], y[:1000], epochs=10, batch_size=512, validation_data=(x[1000:], y[1000:]))
    monkeypatch.undo()
    assert history.history["val_acc"][-1] > 0.8
    run(SEED_001_PLOTS, {"history": history, "acc": history.history["acc"], "val_acc": history.history["val_acc"]})


def test_seed_001_l2_variant_has_higher_training_loss():
    import brickwork as bw

    x, y = bag_of_words(1000, seed=1)
    losses = {}
    for name, code in (("plain", SEED_001_MODEL), ("l2", SEED_001_L2_MODEL)):
        namespace = run(SEED_001_MODEL, {})  # the seed's imports (models, layers)
        bw.set_seed(0)  # the same initial weights for both variants
        model = run(code, namespace)["model"]
        model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
        losses[name] = model.fit(x, y, epochs=4, batch_size=512, verbose=0).history["loss"]
    assert all(r > p for p, r in zip(losses["plain"], losses["l2"])), losses


def test_seed_002_sequential_functional_and_merge_models(tmp_path):
    rng = np.random.default_rng(0)
    for code, n_in, params in ((SEED_002_SEQUENTIAL, 10, 110 + 220 + 210 + 11),
                               (SEED_002_FUNCTIONAL, 10, 110 + 220 + 210 + 11),
                               (SEED_002_MERGE, 64, 520 + 260 + 130 + 11)):
        ns = run(code, {})
        model = ns["model"]
        assert model.count_params() == params
        model.compile(optimizer="adam", loss="binary_crossentropy")
        model.fit(rng.random((32, n_in)), rng.integers(0, 2, 32), epochs=1, verbose=0)
    ns["plot_model"](ns["model"], to_file=str(tmp_path / "model.png"))
    assert (tmp_path / "model.png").stat().st_size > 1000

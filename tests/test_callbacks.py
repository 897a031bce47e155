"""Callbacks: early stopping, checkpoints, LR control, logging, progress output."""

from __future__ import annotations

import csv
import io
import sys

import numpy as np
import pytest

import brickwork as bw
from brickwork import callbacks, models
from brickwork.layers import Dense, Input


def make(lr=0.05):
    model = models.Sequential([Input(shape=(2,)), Dense(1)])
    model.compile(bw.optimizers.SGD(lr), "mse")
    return model


def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 2)).astype(np.float32)
    return x, x @ np.array([[1.0], [-2.0]], np.float32)


def test_early_stopping_restores_best_weights():
    x, y = data()
    model = make()
    seen = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(
        (logs["val_loss"], [w.copy() for w in model.get_weights()])))
    # validation targets that get worse as training improves the fit: val_loss is best at epoch 1
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    hist = model.fit(x, y, validation_data=(x, -y), epochs=50, verbose=0, callbacks=[record, stopper])
    assert len(hist.history["loss"]) < 50
    best = int(np.argmin([v for v, _ in seen]))
    for a, b in zip(model.get_weights(), seen[best][1]):
        np.testing.assert_array_equal(a, b)
    # Keras 3 warns (and does not stop) when the monitored key is missing
    with pytest.warns(UserWarning, match="Early stopping conditioned on metric `val_auc` which is not available"):
        make().fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.EarlyStopping(monitor="val_auc")])


def test_model_checkpoint_best_only(tmp_path):
    x, y = data()
    model = make()
    path = str(tmp_path / "best-{epoch:02d}.brick")
    model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(path, save_best_only=True)])
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert saved == ["best-01.brick", "best-02.brick", "best-03.brick"]  # loss falls every epoch
    loaded = bw.load_model(tmp_path / "best-03.brick")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_reduce_lr_on_plateau_and_scheduler():
    x, y = data()
    model = make(lr=1e-9)  # far too small to improve the loss: a plateau from the first epoch
    cb = callbacks.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5)
    hist = model.fit(x, y, epochs=3, verbose=0, callbacks=[cb])
    assert model.optimizer.learning_rate == pytest.approx(1e-9 * 0.5 ** 2)
    assert hist.history["learning_rate"] == pytest.approx([1e-9, 1e-9, 5e-10])  # the rate each epoch ran with
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    hist = make().fit(x, y, epochs=3, verbose=0, callbacks=[sched])
    assert hist.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])


def test_csv_logger_and_terminate_on_nan(tmp_path):
    x, y = data()
    make().fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(tmp_path / "log.csv")])
    with open(tmp_path / "log.csv") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["epoch", "loss"] and len(rows) == 3
    model = make(lr=1e6)
    y_big = y * 1e20
    hist = model.fit(x, y_big, epochs=20, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert len(hist.history["loss"]) < 20


def test_progress_output_verbose_levels(monkeypatch):
    x, y = data()
    for verbose, expect_lines in ((0, 0), (2, 4), (1, 4)):
        out = io.StringIO()  # not a terminal: verbose=1 prints one clean line per epoch, no redraws
        monkeypatch.setattr(sys, "stdout", out)
        make().fit(x, y, epochs=2, verbose=verbose)
        monkeypatch.undo()
        text = out.getvalue()
        assert len(text.splitlines()) == expect_lines
        assert "\r" not in text
        if verbose:
            assert text.startswith("Epoch 1/2\n2/2 - ") and " - loss: " in text

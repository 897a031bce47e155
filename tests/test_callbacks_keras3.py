"""Callbacks with Keras 3's contracts: logs dicts, test/predict hooks, ModelCheckpoint(save_freq=N),
warnings for missing monitors, and TensorBoard event files."""

from __future__ import annotations

import numpy as np
import pytest

import brickwork as bw
from brickwork import callbacks

HOOKS = ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end"]
BATCH_HOOKS = ["on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
               "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end"]


def data(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3))
    return x, x @ np.array([1.0, -2.0, 0.5]) + 0.1


def make(lr=0.05):
    model = bw.models.Sequential([bw.layers.Input(shape=(3,)), bw.layers.Dense(1)])
    model.compile(optimizer=bw.optimizers.SGD(learning_rate=lr), loss="mse")
    return model


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []
        for hook in HOOKS:
            setattr(self, hook, lambda logs=None, _h=hook: self.calls.append((_h, logs)))
        for hook in BATCH_HOOKS:
            setattr(self, hook, lambda i, logs=None, _h=hook: self.calls.append((_h, logs)))


def test_callback_list_passes_dicts_to_every_hook():
    rec = Recorder()
    cbl = callbacks.CallbackList([rec], model=None, epochs=1)
    for hook in HOOKS:
        getattr(cbl, hook)()
    for hook in BATCH_HOOKS:
        getattr(cbl, hook)(0)
    assert [h for h, _ in rec.calls] == HOOKS + BATCH_HOOKS
    assert all(isinstance(logs, dict) for _, logs in rec.calls)
    logs = {"loss": 1.0}
    cbl.on_epoch_end(0, logs)
    assert rec.calls[-1][1] is logs  # the same dict, so callbacks can add keys


def test_fit_hooks_receive_dicts_and_base_class_has_all_hooks():
    rec = Recorder()
    x, y = data()
    make().fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[rec])
    assert all(isinstance(logs, dict) for _, logs in rec.calls)
    base = callbacks.Callback()
    for hook in HOOKS:
        getattr(base, hook)({})
    for hook in BATCH_HOOKS:
        getattr(base, hook)(0, {})

    class Old(callbacks.Callback):  # Keras's on_batch_* aliases
        seen = 0

        def on_batch_end(self, batch, logs=None):
            Old.seen += 1

    Old().on_train_batch_end(0, {})
    assert Old.seen == 1


def test_model_checkpoint_every_n_batches(tmp_path):
    x, y = data(40)
    path = str(tmp_path / "ck-{epoch}-{batch}.brick")
    make().fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[callbacks.ModelCheckpoint(path, save_freq=3)])
    # 4 batches per epoch, 8 in all: saves after the 3rd and 6th
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck-1-3.brick", "ck-2-2.brick"]
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint(path, save_freq="sometimes")
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint(path, save_freq=0)


def test_missing_monitor_warns_like_keras(tmp_path):
    x, y = data()
    path = str(tmp_path / "m.brick")
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available."):
        make().fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(path, save_best_only=True)])
    assert (tmp_path / "m.brick").exists()  # Keras 3 still saves
    with pytest.warns(UserWarning, match="Learning rate reduction is conditioned on metric `val_mae`"):
        make().fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ReduceLROnPlateau(monitor="val_mae")])


def _read(logdir):
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(str(logdir), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    return acc


def test_tensorboard_writes_scalars_and_histograms(tmp_path):
    pytest.importorskip("tensorboard")
    x, y = data()
    model = make()
    tb = callbacks.TensorBoard(log_dir=tmp_path / "logs", histogram_freq=2)
    hist = model.fit(x, y, validation_data=(x[:8], y[:8]), epochs=3, batch_size=16, verbose=0, callbacks=[tb])
    train, val = _read(tmp_path / "logs" / "train"), _read(tmp_path / "logs" / "validation")
    loss = train.Scalars("epoch_loss")
    assert [e.step for e in loss] == [0, 1, 2]
    np.testing.assert_allclose([e.value for e in loss], hist.history["loss"], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in val.Scalars("epoch_loss")], hist.history["val_loss"], rtol=1e-6)
    assert [e.value for e in train.Scalars("epoch_learning_rate")] == pytest.approx([0.05] * 3)
    tags = train.Tags()["histograms"]
    kernel = next(t for t in tags if "kernel" in t)
    assert kernel.endswith("/histogram")
    events = train.Histograms(kernel)
    assert [e.step for e in events] == [0, 2]
    final = model.weights[0].data
    assert events[-1].histogram_value.num == final.size
    assert events[-1].histogram_value.max == pytest.approx(final.max())


def test_tensorboard_batch_scalars_and_bad_arguments(tmp_path):
    pytest.importorskip("tensorboard")
    x, y = data()
    make().fit(x, y, epochs=1, batch_size=8, verbose=0,
               callbacks=[callbacks.TensorBoard(log_dir=tmp_path, update_freq=2)])
    assert [e.step for e in _read(tmp_path / "train").Scalars("batch_loss")] == [2, 4]
    with pytest.raises(ValueError, match="update_freq"):
        callbacks.TensorBoard(update_freq="often")
    with pytest.raises(ValueError, match="histogram_freq"):
        callbacks.TensorBoard(histogram_freq=-1)

"""BackupAndRestore: a fit killed with SIGKILL and run again ends with the weights of the
uninterrupted run, bit for bit; the state round trip; callback state; bad backups."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import brickwork as bw
from brickwork import callbacks, layers, models, optimizers
from brickwork.callbacks.backup import STATE_FILE, read_state
from brickwork.engine import random as engine_random

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import brickwork as bw
    from brickwork import callbacks, layers, models, optimizers

    backup_dir, out, freq = sys.argv[1], sys.argv[2], sys.argv[3]
    freq = freq if freq == "epoch" else int(freq)
    bw.set_seed(7)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((640, 16)).astype("float32")
    y = (x[:, :4].sum(1, keepdims=True) + 0.3 * rng.standard_normal((640, 1)) > 0).astype("float32")
    model = models.Sequential([
        layers.Input((16,)), layers.Dense(128, activation="relu"), layers.Dropout(0.3),
        layers.Dense(128, activation="relu"), layers.Dropout(0.2, seed=3), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])

    class Reporting(callbacks.BackupAndRestore):
        def _save(self):
            super()._save()
            print(f"BACKUP {self.progress.epoch} {self.progress.step}", flush=True)

        def on_train_begin(self, logs=None):
            super().on_train_begin(logs)
            print(f"START {self.progress.start_epoch} {self.progress.start_step}", flush=True)

    cbs = [callbacks.EarlyStopping(monitor="loss", patience=4, min_delta=1e-3),
           callbacks.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5, min_delta=2e-2),
           Reporting(backup_dir, save_freq=freq)]
    model.fit(x, y, batch_size=32, epochs=6, shuffle=True, validation_split=0.2, callbacks=cbs, verbose=0)
    np.savez(out, *model.get_weights(), lr=model.optimizer.learning_rate, it=model.optimizer.iterations)
    print("DONE", flush=True)
""")


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return env


def _run(script, backup_dir, out, freq, kill_after=None):
    """Run the script; with ``kill_after=k`` SIGKILL it as soon as it reports its k-th backup.
    Returns (return code, the backups it reported, where it started)."""
    proc = subprocess.Popen([sys.executable, str(script), str(backup_dir), str(out), str(freq)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT)
    backups, start = [], None
    for line in proc.stdout:
        parts = line.split()
        if parts[:1] == ["START"]:
            start = (None if parts[1] == "None" else int(parts[1]), int(parts[2]))
        elif parts[:1] == ["BACKUP"]:
            backups.append((int(parts[1]), int(parts[2])))
            if kill_after is not None and len(backups) == kill_after:
                proc.send_signal(signal.SIGKILL)
    proc.wait()
    err = proc.stderr.read()
    assert proc.returncode in (0, -signal.SIGKILL), err
    return proc.returncode, backups, start


def _load(out):
    with np.load(out) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.slow
def test_kill_9_then_rerun_is_bit_identical(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    rc, _, start = _run(script, tmp_path / "ref_backup", tmp_path / "ref.npz", "epoch")
    assert rc == 0 and start == (None, 0)
    reference = _load(tmp_path / "ref.npz")
    assert not (tmp_path / "ref_backup").exists()  # deleted at the end of training
    # 8 single kills (after backup k, batch-level and epoch-level backups) and one double kill
    scenarios = [("epoch", [1]), ("epoch", [2]), ("epoch", [4]), (7, [1]), (7, [3]), (7, [5]), (7, [8]),
                 (7, [11]), (7, [2, 4])]
    identical = 0
    for freq, kills in scenarios:
        backup_dir, out = tmp_path / f"backup_{freq}_{kills}", tmp_path / f"out_{freq}_{kills}.npz"
        for k in kills:
            rc, backups, _ = _run(script, backup_dir, out, freq, kill_after=k)
            assert rc == -signal.SIGKILL, f"{freq} {kills}: the run finished before the kill"
            assert not out.exists()
        last_backup = backups[-1]
        rc, _, start = _run(script, backup_dir, out, freq)
        assert rc == 0
        assert start == last_backup, f"{freq} {kills}: resumed at {start}, last backup was {last_backup}"
        result = _load(out)
        assert result.keys() == reference.keys()
        same = all(np.array_equal(result[k], reference[k]) for k in reference)
        assert same, f"save_freq={freq}, killed after backups {kills}: weights differ from the uninterrupted run"
        identical += same
        assert not backup_dir.exists()
    assert identical == len(scenarios)


# ------------------------------------------------------------------ in-process tests
def small_model(seed=1, dropout=True):
    bw.set_seed(seed)
    stack = [layers.Input((4,)), layers.Dense(8, activation="relu")]
    if dropout:
        stack.append(layers.Dropout(0.25))
    model = models.Sequential(stack + [layers.Dense(1)])
    model.compile(optimizers.Adam(0.02), "mse")
    return model


def small_data():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 4)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-1.0], [0.5], [2.0]], np.float32))


class Interrupt(callbacks.Callback):
    """Raise at the ``at``-th train batch (1-based), like a crash in the middle of an epoch."""

    def __init__(self, at):
        super().__init__()
        self.at, self.seen = at, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.at:
            raise KeyboardInterrupt


@pytest.mark.parametrize("save_freq,crash_at", [("epoch", 7), ("epoch", 12), (2, 9), (3, 3), (1, 14)])
def test_interrupted_in_process_resumes_exactly(tmp_path, save_freq, crash_at):
    x, y = small_data()
    ref = small_model()
    ref.fit(x, y, batch_size=8, epochs=3, verbose=0)
    model = small_model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, epochs=3, verbose=0,
                  callbacks=[callbacks.BackupAndRestore(tmp_path, save_freq=save_freq), Interrupt(crash_at)])
    model = small_model()
    model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path, save_freq)])
    for a, b in zip(ref.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == ref.optimizer.iterations == 15


def test_keras_semantics_resume_runs_the_remaining_epochs(tmp_path):
    """Keras's docstring example: interrupted at epoch 4 of 10, the second fit runs epochs 4..9."""
    x, y = small_data()

    class StopAt4(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 4:
                raise RuntimeError("Interrupting!")

    model = small_model(dropout=False)
    backup = callbacks.BackupAndRestore(backup_dir=tmp_path / "backup")
    with pytest.raises(RuntimeError):
        model.fit(x, y, epochs=10, batch_size=8, callbacks=[backup, StopAt4()], verbose=0)
    history = model.fit(x, y, epochs=10, batch_size=8, callbacks=[backup], verbose=0)
    assert len(history.history["loss"]) == 6 and history.epoch == [4, 5, 6, 7, 8, 9]
    assert not (tmp_path / "backup").exists()


def test_state_round_trip(tmp_path):
    x, y = small_data()
    model = small_model()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0,
              callbacks=[callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)])
    state = read_state(str(tmp_path / STATE_FILE))
    meta = state["__meta__"]
    assert (meta["epoch"], meta["step"], meta["stopped"]) == (2, 0, False)
    for i, v in enumerate(model.weights):
        np.testing.assert_array_equal(state[f"w:{i}"], v.data)
    opt = model.optimizer.get_state(model.trainable_weights)
    assert int(state["opt:iterations"]) == 10 == int(opt["iterations"])
    for key, value in opt.items():
        np.testing.assert_array_equal(state[f"opt:{key}"], value)
    assert meta["random"] == json.loads(json.dumps(engine_random.get_state()))  # the generator as it is now
    assert meta["learning_rate"] == pytest.approx(0.02)


def test_random_state_round_trip_is_exact():
    bw.set_seed(11)
    snapshot = json.loads(json.dumps(engine_random.get_state()))
    first = (engine_random.generator().random(4), np.random.rand(2))
    engine_random.generator().random(100)
    engine_random.set_state(snapshot)
    again = (engine_random.generator().random(4), np.random.rand(2))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    seeded = bw.random.SeedGenerator(5)
    state = seeded.get_state()
    a = bw.random.uniform((3,), seed=seeded).data
    seeded.set_state(state)
    np.testing.assert_array_equal(bw.random.uniform((3,), seed=seeded).data, a)


def _feed(cb, values, model=None):
    cb.set_model(model)
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {"loss": v})


def test_early_stopping_state_restored():
    losses = [1.0, 0.8, 0.85, 0.9, 0.7, 0.95, 0.99, 1.1]
    full = callbacks.EarlyStopping(monitor="loss", patience=3)
    full.on_train_begin()
    model = models.Sequential([layers.Input((1,)), layers.Dense(1)])
    _feed(full, losses, model)
    assert model.stop_training and full.stopped_epoch == 7  # best 0.7 at epoch 4, three worse epochs
    first = callbacks.EarlyStopping(monitor="loss", patience=3)
    first.on_train_begin()
    model.stop_training = False
    _feed(first, losses[:5], model)
    state = first.get_state()
    assert state["wait"] == 0 and state["best"] == 0.7 and state["best_epoch"] == 4
    resumed = callbacks.EarlyStopping(monitor="loss", patience=3)
    resumed.set_model(model)
    resumed.on_train_begin()  # fit resets it, then BackupAndRestore sets the saved state
    resumed.set_state(json.loads(json.dumps(state)))
    for epoch in range(5, 8):
        resumed.on_epoch_end(epoch, {"loss": losses[epoch]})
    assert model.stop_training and resumed.stopped_epoch == 7 and resumed.best == 0.7


def test_reduce_lr_on_plateau_state_and_learning_rate_restored(tmp_path):
    x, y = small_data()

    def plateau():
        return callbacks.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5, min_delta=10.0)  # never "better"

    ref = small_model(dropout=False)
    ref.fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[plateau()])
    assert ref.optimizer.learning_rate == pytest.approx(0.02 * 0.5 ** 3)
    model = small_model(dropout=False)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, epochs=4, verbose=0,
                  callbacks=[plateau(), callbacks.BackupAndRestore(tmp_path), Interrupt(13)])
    model = small_model(dropout=False)
    resumed = plateau()
    model.fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path), resumed])
    assert model.optimizer.learning_rate == ref.optimizer.learning_rate
    for a, b in zip(ref.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_best_restored(tmp_path):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m.brick"), monitor="loss", save_best_only=True)
    cb.best = 0.25
    other = callbacks.ModelCheckpoint(str(tmp_path / "m.brick"), monitor="loss", save_best_only=True)
    other.set_state(json.loads(json.dumps(cb.get_state())))
    assert other.best == 0.25


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    x, y = small_data()
    model = small_model()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0,
              callbacks=[callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False, double_checkpoint=True)])
    assert read_state(str(tmp_path / (STATE_FILE + ".bkp")))["__meta__"]["epoch"] == 1
    (tmp_path / STATE_FILE).write_bytes(b"PK\x03\x04 damaged")
    fresh = small_model()
    history = fresh.fit(x, y, batch_size=8, epochs=2, verbose=0,
                        callbacks=[callbacks.BackupAndRestore(tmp_path, double_checkpoint=True)])
    assert history.epoch == [1]  # resumed from the previous backup (after epoch 0)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("save_freq", [0, -3, 2.5, "batch", True, None])
def test_bad_save_freq(tmp_path, save_freq):
    with pytest.raises(ValueError, match="BackupAndRestore: invalid save_freq"):
        callbacks.BackupAndRestore(tmp_path, save_freq=save_freq)


def test_empty_backup_dir():
    with pytest.raises(ValueError, match="backup_dir"):
        callbacks.BackupAndRestore("")


def test_unbuilt_model_is_refused(tmp_path):
    model = models.Sequential([layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="BackupAndRestore: model '.*' must be built"):
        model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])


def test_damaged_backup_names_the_file(tmp_path):
    (tmp_path / STATE_FILE).write_bytes(b"not a backup at all")
    x, y = small_data()
    with pytest.raises(ValueError, match=rf"BackupAndRestore: .*{STATE_FILE}"):
        small_model().fit(x, y, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])


def test_backup_of_another_model_is_refused(tmp_path):
    x, y = small_data()
    small_model().fit(x, y, batch_size=8, epochs=1, verbose=0,
                      callbacks=[callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)])
    other = models.Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(1)])
    other.compile("adam", "mse")
    with pytest.raises(ValueError, match=rf"{STATE_FILE} has weight 0 .* of shape \(4, 8\), but model"):
        other.fit(x, y, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])

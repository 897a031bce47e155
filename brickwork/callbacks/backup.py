"""``BackupAndRestore``: resume an interrupted ``fit`` exactly where its last backup left it.

Each backup is one file, ``<backup_dir>/training_state.npz``, written atomically
(:func:`brickwork.utils.io.atomic_write`: a ``kill -9`` during a backup leaves the previous
one intact). It holds everything the rest of the run depends on:

* the model's weights (trainable and not) and the optimizer's state (``iterations``,
  every slot, the learning rate when it is a number);
* the epoch and the step within it, the shuffled order of the epoch in progress and the
  running values of the metrics (so a resumed epoch logs what the whole epoch would have);
* brickwork's random generator, NumPy's and Python's global generators, and the own
  generator of every layer built with ``seed=`` (dropout masks, noise, augmentation);
* the state of every callback with a :meth:`~brickwork.callbacks.Callback.get_state`
  (EarlyStopping's ``best``/``wait``, ReduceLROnPlateau's ``best``/``wait``/cooldown and
  learning rate, ModelCheckpoint's ``best``), and whether a callback had asked to stop.

Running the same script again after a crash then gives, bit for bit, the weights of the
uninterrupted run. What breaks bit-exactness: a different machine, NumPy or BLAS
(or BLAS threads: set ``OMP_NUM_THREADS=1`` for reproducible sums), data given as a
Python generator (it cannot be rewound; arrays and PyDatasets are resumed exactly),
user gradient hooks or callbacks that keep state without ``get_state``, and changing the
model, the data or the ``fit`` arguments between the runs.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from brickwork.callbacks.base import Callback
from brickwork.engine import random as engine_random
from brickwork.utils.io import atomic_write

FORMAT = "brickwork-training-state"
FORMAT_VERSION = 1
STATE_FILE = "training_state.npz"


@dataclass
class FitProgress:
    """Where ``fit`` is, shared between the training loop and :class:`BackupAndRestore`.

    The loop keeps ``epoch`` / ``step`` (the next step to run) current; a restore fills
    ``start_epoch``, ``start_step``, ``order`` and ``metrics`` for the loop to resume from.

    Args:
        data: The training :class:`~brickwork.models.data_adapter.DataAdapter`.
        callbacks: Every callback of this ``fit``.
        get_metrics: ``() -> list[np.ndarray]``, the running metric values.
        set_metrics: ``(values) -> None``, their inverse.
    """

    data: Any
    callbacks: list[Any]
    get_metrics: Any
    set_metrics: Any
    epoch: int = 0
    step: int = 0
    start_epoch: int | None = None
    start_step: int = 0
    order: np.ndarray | None = None
    metrics: list[np.ndarray] | None = field(default=None, repr=False)
    stopped: bool = False


class BackupAndRestore(Callback):
    """Back up the whole training state and restore it when ``fit`` is run again (Keras 3's callback).

    On train begin, an existing backup is restored and ``fit`` continues from the saved epoch
    (and step, with an integer ``save_freq``) instead of ``initial_epoch``; on train end the
    backup is deleted (``delete_checkpoint=True``). It runs after the other callbacks at each
    hook, so a backup holds their state after the epoch or batch, and the model must be built
    before ``fit`` (give the model an ``Input``, as Keras requires).

    Args:
        backup_dir: A directory for this run's backups only.
        save_freq: ``'epoch'`` (a backup after each epoch) or a positive integer number of batches.
        double_checkpoint: Keep the previous backup as well (``training_state.npz.bkp``), used when
            the latest one cannot be read.
        delete_checkpoint: Delete the backup when training ends (the directory too, once empty).
    """

    dispatch_last = True  # CallbackList runs it after the other callbacks

    def __init__(self, backup_dir: Any, save_freq: str | int = "epoch", double_checkpoint: bool = False,
                 delete_checkpoint: bool = True) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError(f"BackupAndRestore: backup_dir must be a directory path; got backup_dir={backup_dir!r}.")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer))
                                     or save_freq < 1):
            raise ValueError(f"BackupAndRestore: invalid save_freq={save_freq!r}; expected 'epoch' or a positive "
                             "integer number of batches.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self.delete_checkpoint, self.double_checkpoint = bool(delete_checkpoint), bool(double_checkpoint)
        self.path = os.path.join(self.backup_dir, STATE_FILE)
        self.previous_path = self.path + ".bkp"
        self.progress: FitProgress | None = None
        self._steps_since_save = 0
        self._source = self.path

    # ------------------------------------------------------------ hooks
    def attach(self, progress: FitProgress) -> None:
        """Called by ``fit`` before ``on_train_begin``: how to read and steer the training loop."""
        self.progress = progress

    def on_train_begin(self, logs=None):
        self._steps_since_save = 0
        if self.progress is None:
            return
        if not self.model.built:
            raise ValueError(f"BackupAndRestore: model '{self.model.name}' must be built before fit() (give it an "
                             "Input, or call it on a batch of data) so that a backup can be restored into it.")
        state = self._read_latest()
        if state is not None:
            apply_state(self.model, self.progress, state, self._source)

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch" or self.progress is None:
            return
        self._steps_since_save += 1
        if self._steps_since_save >= self.save_freq:
            self._steps_since_save = 0
            self._save()

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch" and self.progress is not None:
            self._save()

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and self.progress is not None:
            self._delete()
        self.progress = None

    # ------------------------------------------------------------ files
    def _save(self) -> None:
        arrays = capture_state(self.model, self.progress)
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self.path):
            with open(self.path, "rb") as src, atomic_write(self.previous_path, "wb") as dst:
                dst.write(src.read())
        with atomic_write(self.path, "wb") as handle:
            np.savez(handle, **arrays)

    def _read_latest(self) -> dict[str, np.ndarray] | None:
        candidates = [self.path] + ([self.previous_path] if self.double_checkpoint else [])
        error: Exception | None = None
        for path in candidates:
            if not os.path.exists(path):
                continue
            try:
                state = read_state(path)
            except ValueError as err:
                error = err
                continue
            self._source = path
            return state
        if error is not None:
            raise error
        return None

    def _delete(self) -> None:
        for path in (self.path, self.previous_path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        if os.path.isdir(self.backup_dir):
            for name in os.listdir(self.backup_dir):  # temporary files of backups killed mid-write
                if name.startswith(f".{STATE_FILE}") and name.endswith(".tmp"):
                    with contextlib.suppress(OSError):
                        os.unlink(os.path.join(self.backup_dir, name))
            with contextlib.suppress(OSError):
                os.rmdir(self.backup_dir)  # only when nothing else is left in it


# ---------------------------------------------------------------- the state
def _layers(model: Any) -> list[Any]:
    return [model] + list(model._flat_layers())


def _layer_generators(model: Any) -> dict[str, Any]:
    """Every random generator a layer owns (``seed=`` layers, SeedGenerators), by ``index:layer:attribute``."""
    from brickwork.random import SeedGenerator

    shared = engine_random.generator()
    found: dict[str, Any] = {}
    for i, layer in enumerate(_layers(model)):
        for name, value in list(vars(layer).items()):
            if (isinstance(value, np.random.Generator) and value is not shared) or isinstance(value, SeedGenerator):
                found[f"{i}:{layer.name}:{name}"] = value
    return found


def _generator_state(gen: Any) -> dict[str, Any]:
    return gen.get_state() if hasattr(gen, "get_state") else engine_random.generator_state(gen)


def _encode(value: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """JSON-able ``value`` with every NumPy array moved into ``arrays`` (replaced by a reference)."""
    if isinstance(value, np.ndarray):
        key = f"{prefix}:{len(arrays)}"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, dict):
        return {str(k): _encode(v, prefix, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, prefix, arrays) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value: Any, arrays: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return np.array(arrays[value["__array__"]])
        return {k: _decode(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    return value


def _callback_keys(callbacks: list[Any]) -> list[tuple[str, Any]]:
    """``(key, callback)`` for callbacks with state: the class name and its ordinal among that class."""
    counts: dict[str, int] = {}
    out = []
    for cb in callbacks:
        name = type(cb).__name__
        counts[name] = counts.get(name, -1) + 1
        out.append((f"{name}:{counts[name]}", cb))
    return out


def capture_state(model: Any, progress: FitProgress) -> dict[str, np.ndarray]:
    """Everything needed to resume ``fit`` exactly, as arrays for one ``.npz`` file."""
    arrays: dict[str, np.ndarray] = {}
    weights = model.weights
    for i, v in enumerate(weights):
        arrays[f"w:{i}"] = np.asarray(v.data)
    optimizer = getattr(model, "optimizer", None)
    learning_rate = None
    if optimizer is not None:
        for key, value in optimizer.get_state(model.trainable_weights).items():
            arrays[f"opt:{key}"] = np.asarray(value)
        if not optimizer.has_schedule:
            learning_rate = float(optimizer.learning_rate)
    data = progress.data
    order = getattr(data, "current_order", None)
    if order is not None and progress.step > 0:
        arrays["order"] = np.asarray(order)
    for i, value in enumerate(progress.get_metrics()):
        arrays[f"m:{i}"] = np.asarray(value)
    callbacks = {}
    for key, cb in _callback_keys(progress.callbacks):
        cb_state = cb.get_state()
        if cb_state is not None:
            callbacks[key] = _encode(cb_state, f"cb:{key}", arrays)
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "epoch": int(progress.epoch),
        "step": int(progress.step), "stopped": bool(model.stop_training),
        "weights": [{"path": getattr(v, "path", v.name), "shape": list(v.shape)} for v in weights],
        "learning_rate": learning_rate, "random": engine_random.get_state(),
        "layer_random": {k: _generator_state(g) for k, g in _layer_generators(model).items()},
        "callbacks": callbacks, "metrics": len(progress.get_metrics()),
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return arrays


def read_state(path: str) -> dict[str, np.ndarray]:
    """The arrays of a backup file, or a ValueError naming the file and what is wrong with it."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        meta = json.loads(arrays["meta"].tobytes().decode())
    except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError) as err:
        raise ValueError(f"BackupAndRestore: cannot read the backup {path}: {type(err).__name__}: {err}") from None
    except Exception as err:  # zipfile.BadZipFile, zlib.error: a damaged file
        raise ValueError(f"BackupAndRestore: the backup {path} is damaged: {type(err).__name__}: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"BackupAndRestore: {path} is not a brickwork training backup.")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"BackupAndRestore: {path} has format version {meta.get('format_version')}; this "
                         f"brickwork reads version {FORMAT_VERSION}.")
    arrays["__meta__"] = meta  # type: ignore[assignment]
    return arrays


def _check_weights(model: Any, meta: dict[str, Any], arrays: dict[str, Any], path: str) -> list[np.ndarray]:
    weights = model.weights
    saved = meta.get("weights", [])
    if len(saved) != len(weights):
        raise ValueError(f"BackupAndRestore: the backup {path} holds {len(saved)} weights but model "
                         f"'{model.name}' has {len(weights)}: it belongs to a different model.")
    values = []
    for i, var in enumerate(weights):
        value = arrays.get(f"w:{i}")
        if value is None or tuple(value.shape) != tuple(var.shape):
            got = None if value is None else tuple(value.shape)
            raise ValueError(f"BackupAndRestore: the backup {path} has weight {i} ('{saved[i].get('path')}') of "
                             f"shape {got}, but model '{model.name}' has '{var.path}' of shape {tuple(var.shape)}.")
        values.append(value)
    return values


def _optimizer_state(model: Any, arrays: dict[str, Any], path: str) -> dict[str, np.ndarray]:
    state = {k[len("opt:"):]: v for k, v in arrays.items() if k.startswith("opt:")}
    variables = model.trainable_weights
    for key, value in state.items():
        index, _, slot = key.partition("/")
        if not slot:
            continue
        if not index.isdigit() or int(index) >= len(variables):
            raise ValueError(f"BackupAndRestore: the backup {path} has optimizer slot '{key}' for a variable the "
                             f"model does not have ({len(variables)} trainable variables).")
        var = variables[int(index)]
        if tuple(value.shape) != tuple(var.shape):
            raise ValueError(f"BackupAndRestore: the backup {path} has optimizer slot '{key}' of shape "
                             f"{tuple(value.shape)} for '{var.path}' of shape {tuple(var.shape)}.")
    return state


def apply_state(model: Any, progress: FitProgress, arrays: dict[str, Any], path: str) -> None:
    """Put a backup's state into the model, the generators and the callbacks, and tell ``progress``
    where to resume. Everything is checked before anything is changed."""
    meta = arrays["__meta__"]
    values = _check_weights(model, meta, arrays, path)
    optimizer = getattr(model, "optimizer", None)
    opt_state = _optimizer_state(model, arrays, path) if optimizer is not None else {}
    generators = _layer_generators(model)
    missing = sorted(set(meta.get("layer_random", {})) - set(generators))
    if missing:
        raise ValueError(f"BackupAndRestore: the backup {path} has random generators for layers {missing} that "
                         f"model '{model.name}' does not have.")
    for var, value in zip(model.weights, values):
        var.assign(value)
    if optimizer is not None:
        optimizer.set_state(model.trainable_weights, opt_state)
        if meta.get("learning_rate") is not None:
            optimizer.learning_rate = float(meta["learning_rate"])
    engine_random.set_state(meta["random"])
    for key, state in meta.get("layer_random", {}).items():
        gen = generators[key]
        if hasattr(gen, "set_state"):
            gen.set_state(state)
        else:
            engine_random.set_generator_state(gen, state)
    saved_callbacks = meta.get("callbacks", {})
    for key, cb in _callback_keys(progress.callbacks):
        if key in saved_callbacks:
            cb.set_state(_decode(saved_callbacks[key], arrays))
    progress.start_epoch, progress.start_step = int(meta["epoch"]), int(meta["step"])
    progress.order = arrays.get("order")
    n_metrics = int(meta.get("metrics", 0))
    progress.metrics = [arrays[f"m:{i}"] for i in range(n_metrics)] if progress.start_step else None
    progress.stopped = bool(meta.get("stopped", False))

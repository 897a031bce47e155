"""Callbacks that write files: ModelCheckpoint and CSVLogger."""

from __future__ import annotations

import csv
import math
import os
import warnings
from typing import Any

from brickwork.callbacks.base import Callback
from brickwork.callbacks.training_control import _mode_better


class ModelCheckpoint(Callback):
    """Save the model (or its weights) after each epoch or every ``save_freq`` batches,
    or only when ``monitor`` improves.

    ``filepath`` may hold ``{epoch}``, ``{batch}`` (with an integer ``save_freq``) and log keys:
    ``'model-{epoch:02d}-{val_loss:.3f}.brick'``. Every write is atomic (temporary file, then
    rename), so a crash during a save never leaves a truncated checkpoint in place of the previous one.

    With ``save_best_only=True`` and ``monitor`` missing from the logs, Keras 3's behaviour is kept:
    a warning ``"Can save best model only with <monitor> available."`` and the model is saved anyway.

    Args:
        filepath: Where to save (a format string, see above).
        monitor: The log key compared for ``save_best_only``.
        verbose: 1 prints a line per save.
        save_best_only: Save only when ``monitor`` improves on the best value so far.
        save_weights_only: ``model.save_weights`` instead of ``model.save``.
        mode: ``'auto'``, ``'min'`` or ``'max'``: the direction of improvement.
        save_freq: ``'epoch'`` or an integer number of batches between saves.
        initial_value_threshold: The best value to beat at the start.
    """

    def __init__(self, filepath: Any, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", save_freq: str | int = "epoch",
                 initial_value_threshold: float | None = None) -> None:
        super().__init__()
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)
                                     or save_freq < 1):
            raise ValueError(f"ModelCheckpoint: unrecognized save_freq={save_freq!r}; expected 'epoch' or a "
                             "positive integer number of batches.")
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.save_freq = save_freq
        self._better = _mode_better(mode, monitor)
        sign = 1 if self._better(0.0, 1.0, 0.0) else -1
        self.best = initial_value_threshold if initial_value_threshold is not None else math.inf * sign
        self._batches_since_save = 0
        self._last_batch: int | None = None
        self._current_epoch = 0

    def get_state(self) -> dict[str, Any]:
        """``best`` and the position of the batch counter (for an integer ``save_freq``)."""
        best = self.best.item() if hasattr(self.best, "item") else self.best
        return {"best": best, "batches_since_save": self._batches_since_save, "last_batch": self._last_batch,
                "current_epoch": self._current_epoch}

    def set_state(self, state: dict[str, Any]) -> None:
        self.best = state["best"]
        self._batches_since_save = int(state["batches_since_save"])
        self._last_batch = None if state["last_batch"] is None else int(state["last_batch"])
        self._current_epoch = int(state["current_epoch"])

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        # batches restart at 0 each epoch: count the batches seen since the last save
        added = batch + 1 if self._last_batch is None or batch <= self._last_batch else batch - self._last_batch
        self._last_batch = batch
        self._batches_since_save += added
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _path(self, epoch: int, batch: int | None, logs: dict[str, Any]) -> str:
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as err:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {err}') from None

    def _save(self, epoch: int, batch: int | None, logs: dict[str, Any]) -> None:
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            elif not self._better(current, self.best, 0.0):
                if self.verbose:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            else:
                if self.verbose:
                    print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                          f"saving model to {path}")
                self.best = current
        dirname = os.path.dirname(path)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class CSVLogger(Callback):
    """Append one row of epoch logs per epoch to a CSV file."""

    def __init__(self, filename: Any, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, append

    def on_train_begin(self, logs=None):
        self._keys: list[str] | None = None
        exists = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._header_done = exists

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
        writer = csv.writer(self._file, delimiter=self.separator)
        if not self._header_done:
            writer.writerow(["epoch"] + self._keys)
            self._header_done = True
        writer.writerow([epoch] + [logs.get(k, "NA") for k in self._keys])
        self._file.flush()

    def on_train_end(self, logs=None):
        self._file.close()

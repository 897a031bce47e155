"""Callbacks that write files: ModelCheckpoint and CSVLogger."""

from __future__ import annotations

import csv
import math
import os
from typing import Any

from brickwork.callbacks.base import Callback
from brickwork.callbacks.training_control import _mode_better


class ModelCheckpoint(Callback):
    """Save the model (or its weights) after each epoch, or only when ``monitor`` improves.

    ``filepath`` may hold ``{epoch}`` and log keys: ``'model-{epoch:02d}-{val_loss:.3f}.brick'``.
    Every write is atomic (temporary file, then rename), so a crash during a save
    never leaves a truncated checkpoint in place of the previous one.
    """

    def __init__(self, filepath: Any, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", save_freq: str = "epoch",
                 initial_value_threshold: float | None = None) -> None:
        super().__init__()
        if save_freq != "epoch":
            raise ValueError("ModelCheckpoint supports save_freq='epoch' only.")
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self._better = _mode_better(mode, monitor)
        sign = 1 if self._better(0.0, 1.0, 0.0) else -1
        self.best = initial_value_threshold if initial_value_threshold is not None else math.inf * sign

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                raise KeyError(f"ModelCheckpoint monitors {self.monitor!r}, which is not in the logs {sorted(logs)}.")
            if not self._better(current, self.best, 0.0):
                return
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
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

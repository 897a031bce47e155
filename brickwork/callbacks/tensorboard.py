"""The TensorBoard callback: scalars and weight histograms as TensorBoard event files.

Needs the optional ``tensorboard`` package (``pip install brickwork[tensorboard]``),
imported only when the callback starts writing; TensorFlow is not needed.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from brickwork.callbacks.base import Callback


def _tensorboard() -> Any:
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError:
        raise ImportError("The TensorBoard callback needs the 'tensorboard' package: pip install tensorboard "
                          "(or brickwork[tensorboard]).") from None
    return EventFileWriter, event_pb2, summary_pb2


class _Writer:
    """Writes scalar and histogram summaries to one event-file directory."""

    def __init__(self, logdir: str) -> None:
        writer_cls, self._event_pb2, self._summary_pb2 = _tensorboard()
        os.makedirs(logdir, exist_ok=True)
        self._writer = writer_cls(logdir)

    def _write(self, value: Any, step: int) -> None:
        summary = self._summary_pb2.Summary(value=[value])
        self._writer.add_event(self._event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary))

    def scalar(self, tag: str, value: float, step: int) -> None:
        self._write(self._summary_pb2.Summary.Value(tag=tag, simple_value=float(value)), step)

    def histogram(self, tag: str, values: np.ndarray, step: int, bins: int = 30) -> None:
        values = np.asarray(values, np.float64).reshape(-1)
        values = values[np.isfinite(values)]
        if values.size == 0:
            return
        lo, hi = float(values.min()), float(values.max())
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
        hist = self._summary_pb2.HistogramProto(
            min=float(values.min()), max=float(values.max()), num=float(values.size), sum=float(values.sum()),
            sum_squares=float(np.sum(values * values)), bucket_limit=[float(e) for e in edges[1:]],
            bucket=[float(c) for c in counts])
        self._write(self._summary_pb2.Summary.Value(tag=tag, histo=hist), step)

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


class TensorBoard(Callback):
    """Log training to TensorBoard, as Keras's callback: per-epoch scalars ``epoch_<metric>``
    (training logs in ``log_dir/train``, ``val_*`` logs in ``log_dir/validation`` without the
    prefix, the learning rate as ``epoch_learning_rate``), per-batch scalars ``batch_<metric>``
    when ``update_freq`` is ``'batch'`` or an integer, and a histogram ``<weight path>/histogram``
    of every weight every ``histogram_freq`` epochs.

    Args:
        log_dir: Root directory of the event files.
        histogram_freq: Epochs between weight histograms (0: none).
        write_graph: Accepted for Keras compatibility; no graph is written (brickwork has no TF graph).
        write_images, write_steps_per_second, profile_batch, embeddings_freq, embeddings_metadata:
            Accepted for Keras compatibility; ``write_steps_per_second`` logs ``epoch_steps_per_second``.
        update_freq: ``'epoch'``, ``'batch'`` or an integer number of batches between batch scalars.
    """

    def __init__(self, log_dir: Any = "logs", histogram_freq: int = 0, write_graph: bool = True,
                 write_images: bool = False, write_steps_per_second: bool = False, update_freq: Any = "epoch",
                 profile_batch: int = 0, embeddings_freq: int = 0, embeddings_metadata: Any = None) -> None:
        super().__init__()
        if update_freq not in ("epoch", "batch") and (not isinstance(update_freq, int) or update_freq < 1):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive integer; got "
                             f"{update_freq!r}.")
        if int(histogram_freq) < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be >= 0; got {histogram_freq}.")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = int(histogram_freq)
        self.write_graph, self.write_images = write_graph, write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.profile_batch, self.embeddings_freq, self.embeddings_metadata = profile_batch, embeddings_freq, \
            embeddings_metadata
        self._writers: dict[str, _Writer] = {}
        self._global_train_batch = 0

    def _writer(self, which: str) -> _Writer:
        if which not in self._writers:
            self._writers[which] = _Writer(os.path.join(self.log_dir, which))
        return self._writers[which]

    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._writer("train")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self._global_train_batch += 1
        self._epoch_batches = getattr(self, "_epoch_batches", 0) + 1
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        for name, value in (logs or {}).items():
            if np.ndim(value) == 0:
                self._writer("train").scalar(f"batch_{name}", value, self._global_train_batch)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and getattr(optimizer, "learning_rate", None) is not None:
            train.setdefault("learning_rate", float(optimizer.learning_rate))
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - getattr(self, "_epoch_start", time.perf_counter())
            train["steps_per_second"] = getattr(self, "_epoch_batches", 0) / elapsed if elapsed > 0 else 0.0
        for which, values in (("train", train), ("validation", val)):
            for name, value in values.items():
                if np.ndim(value) == 0:
                    self._writer(which).scalar(f"epoch_{name}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        for w in self._writers.values():
            w.flush()

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for v in getattr(self.model, "weights", []):
            tag = str(getattr(v, "path", None) or getattr(v, "name", "weight")).replace(":", "_")
            writer.histogram(f"{tag}/histogram", v.data if hasattr(v, "data") else np.asarray(v), epoch)

    def on_train_end(self, logs=None):
        for w in self._writers.values():
            w.close()
        self._writers = {}

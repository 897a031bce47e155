"""Keras-style progress display for ``fit``, ``evaluate`` and ``predict`` (``verbose`` 0, 1 or 2).

In a terminal the bar is redrawn in place with the time left, :math:`\\text{ETA} = t\\,(n - k)/k` after
:math:`k` of :math:`n` steps in :math:`t` seconds; in a log (a pipe or a file) one line per epoch (``fit``)
or per call (``evaluate``, ``predict``) is written instead."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from brickwork.callbacks.base import Callback


def _format_logs(logs: dict[str, Any]) -> str:
    return " - ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}" for k, v in logs.items())


def _format_time(seconds: float, steps: int) -> str:
    per = seconds / max(steps, 1)
    per_s = f"{per * 1e3:.0f}ms/step" if per >= 1e-3 else f"{per * 1e6:.0f}us/step"
    return f"{seconds:.0f}s {per_s}"


def format_eta(elapsed: float, done: int, total: int) -> str:
    """The time left after ``done`` of ``total`` units in ``elapsed`` seconds, as ``42s``, ``3:05`` or ``1:02:03``."""
    left = elapsed / max(done, 1) * max(total - done, 0)
    if left >= 3600:
        return f"{int(left // 3600)}:{int(left % 3600 // 60):02d}:{int(left % 60):02d}"
    if left >= 60:
        return f"{int(left // 60)}:{int(left % 60):02d}"
    return f"{left:.0f}s"


class ProgbarLogger(Callback):
    """Prints ``Epoch i/N`` and a progress bar (verbose=1) or one line per epoch (verbose=2).

    The bar is redrawn in place only when the stream is a terminal; in logs
    (a pipe or a file) ``verbose=1`` prints one clean line per epoch instead.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream

    def _out(self) -> TextIO:
        return self.stream or sys.stdout

    def on_epoch_begin(self, epoch, logs=None):
        self.verbose = self.params.get("verbose", 1)
        self.steps = self.params.get("steps") or 0
        self.epochs = self.params.get("epochs", 1)
        self.start = time.perf_counter()
        self.interactive = self.verbose == 1 and hasattr(self._out(), "isatty") and self._out().isatty()
        self._last_draw = 0.0
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self.epochs}", file=self._out(), flush=True)

    def on_train_batch_end(self, batch, logs=None):
        if not getattr(self, "interactive", False):
            return
        now = time.perf_counter()
        if now - self._last_draw < 0.05 and batch + 1 < self.steps:
            return
        self._last_draw = now
        done = batch + 1
        width = 20
        filled = int(width * done / max(self.steps, 1))
        bar = "━" * filled + "─" * (width - filled)
        elapsed = now - self.start
        timing = _format_time(elapsed, done) if done >= self.steps else f"ETA: {format_eta(elapsed, done, self.steps)}"
        line = f"\r{done}/{self.steps} {bar} {timing}"
        if logs:
            line += " - " + _format_logs(logs)
        self._out().write(line + "\x1b[K")
        self._out().flush()

    def on_epoch_end(self, epoch, logs=None):
        if not self.verbose:
            return
        elapsed = time.perf_counter() - self.start
        summary = _format_logs(logs or {})
        if self.interactive:
            bar = "━" * 20
            self._out().write(f"\r{self.steps}/{self.steps} {bar} {_format_time(elapsed, self.steps)} - "
                              f"{summary}\x1b[K\n")
        else:
            self._out().write(f"{self.steps}/{self.steps} - {_format_time(elapsed, self.steps)} - {summary}\n")
        self._out().flush()


class StepProgbar:
    """The bar of one ``evaluate`` or ``predict`` call (Keras prints it for ``verbose=1``; ``verbose=2`` prints
    only the closing line)."""

    def __init__(self, steps: int | None, verbose: int, stream: TextIO | None = None) -> None:
        self.steps, self.verbose = steps or 0, verbose
        self.stream = stream or sys.stdout
        self.start = self._last_draw = time.perf_counter()
        self.interactive = verbose == 1 and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.done = 0

    def update(self, done: int, logs: dict[str, Any] | None = None) -> None:
        self.done = done
        if not self.interactive:
            return
        now = time.perf_counter()
        if now - self._last_draw < 0.05 and done < self.steps:
            return
        self._last_draw = now
        filled = int(20 * done / max(self.steps, 1))
        line = (f"\r{done}/{self.steps} {'━' * filled}{'─' * (20 - filled)} "
                f"ETA: {format_eta(now - self.start, done, self.steps)}")
        if logs:
            line += " - " + _format_logs(logs)
        self.stream.write(line + "\x1b[K")
        self.stream.flush()

    def close(self, logs: dict[str, Any] | None = None) -> None:
        if not self.verbose:
            return
        elapsed = time.perf_counter() - self.start
        steps = self.steps or self.done
        head = f"\r{steps}/{steps} {'━' * 20} " if self.interactive else f"{steps}/{steps} - "
        tail = f" - {_format_logs(logs)}" if logs else ""
        self.stream.write(f"{head}{_format_time(elapsed, steps)}{tail}" + ("\x1b[K\n" if self.interactive else "\n"))
        self.stream.flush()

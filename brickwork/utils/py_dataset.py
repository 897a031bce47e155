"""Keras 3's ``PyDataset`` (and its Keras 2 name ``Sequence``): a dataset of batches
addressed by index, defined by subclassing."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from typing import Any


class PyDataset:
    """Base class for a dataset that returns whole batches by index.

    Subclass it, call ``super().__init__(**kwargs)``, and define ``__getitem__(index)``
    returning one batch (``x``, ``(x, y)`` or ``(x, y, sample_weight)``) and either
    ``__len__`` or the ``num_batches`` property. ``on_epoch_begin``/``on_epoch_end`` are
    called around each epoch (e.g. to reshuffle).

    Args:
        workers: How many threads read batches ahead in ``fit``/``evaluate``/``predict``
            (batches still reach the steps in order).
        use_multiprocessing: Accepted for Keras; brickwork's workers are always threads.
        max_queue_size: How many batches may wait in the queue.
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10) -> None:
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise ValueError(f"PyDataset: workers must be a positive integer; got {workers!r}.")
        if not isinstance(max_queue_size, int) or isinstance(max_queue_size, bool) or max_queue_size < 1:
            raise ValueError(f"PyDataset: max_queue_size must be a positive integer; got {max_queue_size!r}.")
        self._workers = workers
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = max_queue_size

    def _check_super_called(self) -> None:
        missing = [n for n in ("_workers", "_use_multiprocessing", "_max_queue_size") if not hasattr(self, n)]
        if missing:
            self._workers = getattr(self, "_workers", 1)
            self._use_multiprocessing = getattr(self, "_use_multiprocessing", False)
            self._max_queue_size = getattr(self, "_max_queue_size", 10)
            warnings.warn(f"{type(self).__name__} should call super().__init__(**kwargs) in its constructor; "
                          "kwargs may hold workers, use_multiprocessing and max_queue_size.", stacklevel=3)

    @property
    def workers(self) -> int:
        self._check_super_called()
        return self._workers

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        self._check_super_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        self._check_super_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = value

    def __getitem__(self, index: int) -> Any:
        """Batch number ``index`` (0-based)."""
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index) returning a batch.")

    @property
    def num_batches(self) -> int | None:
        """The number of batches (``len(self)`` when ``__len__`` is defined); None means endless."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(f"{type(self).__name__} must implement __len__ or the num_batches property.")

    def __iter__(self) -> Iterator[Any]:
        try:
            count = self.num_batches
        except NotImplementedError:
            count = None
        indices = range(count) if count is not None else itertools.count()
        for index in indices:
            yield self[index]

    def on_epoch_begin(self) -> None:
        """Called at the start of each epoch."""

    def on_epoch_end(self) -> None:
        """Called at the end of each epoch."""


Sequence = PyDataset  # Keras 2's name

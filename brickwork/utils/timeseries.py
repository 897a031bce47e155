"""Sliding windows over a time series as batches of NumPy arrays
(Keras's ``timeseries_dataset_from_array``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np


class TimeseriesDataset:
    """The batches of :func:`timeseries_dataset_from_array`: iterable any number of times,
    with ``len()`` the number of batches. Each item is ``(x_batch, y_batch)`` or, without
    targets, ``x_batch`` (``batch_size=None``: one window at a time)."""

    def __init__(self, data: np.ndarray, targets: np.ndarray | None, starts: np.ndarray, sequence_length: int,
                 sampling_rate: int, batch_size: int | None) -> None:
        self.data, self.targets, self.starts = data, targets, starts
        self.offsets = np.arange(sequence_length) * sampling_rate
        self.batch_size = batch_size

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.starts)
        return -(-len(self.starts) // self.batch_size)

    def _item(self, starts: np.ndarray) -> Any:
        x = self.data[starts[:, None] + self.offsets]
        return x if self.targets is None else (x, self.targets[starts])

    def __iter__(self) -> Iterator[Any]:
        if self.batch_size is None:
            for s in self.starts:
                x = self.data[s + self.offsets]
                yield x if self.targets is None else (x, self.targets[s])
            return
        for i in range(0, len(self.starts), self.batch_size):
            yield self._item(self.starts[i:i + self.batch_size])


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"timeseries_dataset_from_array: {name} must be a positive integer; got {value!r}.")
    return int(value)


def timeseries_dataset_from_array(data: Any, targets: Any, sequence_length: int, sequence_stride: int = 1,
                                  sampling_rate: int = 1, batch_size: int | None = 128, shuffle: bool = False,
                                  seed: int | None = None, start_index: int | None = None,
                                  end_index: int | None = None) -> TimeseriesDataset:
    """Windows of ``sequence_length`` steps, ``sampling_rate`` apart, over ``data`` (axis 0 is time).

    Window ``k`` starts at ``start_index + k * sequence_stride`` and holds the steps
    ``start, start + r, ..., start + (sequence_length - 1) r`` with ``r = sampling_rate``;
    only windows that end before ``end_index`` are made. ``targets[start]`` is window
    ``start``'s target (so ``targets = data[n:]`` with ``data[:-n]`` predicts ``n`` steps
    ahead). With ``shuffle=True`` the window order is ``np.random.RandomState(seed).shuffle``
    of the start positions, as Keras (which additionally shuffles in a tf.data buffer).

    Args:
        data: Array of time steps, shape ``(steps, ...)``.
        targets: Array with one target per step of ``data``, or None (then only ``x`` is yielded).
        sequence_length: Steps per window.
        sequence_stride: Steps between the starts of consecutive windows.
        sampling_rate: Steps between consecutive elements of a window.
        batch_size: Windows per batch (the last may be smaller); None yields single windows.
        shuffle: Whether to shuffle the windows.
        seed: Seed of the shuffle.
        start_index: First step of ``data`` that windows may use.
        end_index: Steps from ``end_index`` on are not used.

    Returns:
        A :class:`TimeseriesDataset`: an iterable of ``(x_batch, y_batch)`` with ``x_batch`` of
        shape ``(batch, sequence_length, ...)``.
    """
    data = np.asarray(data)
    if data.ndim == 0:
        raise ValueError("timeseries_dataset_from_array: data must have a time axis; got a scalar.")
    n = len(data)
    sequence_length = _positive_int(sequence_length, "sequence_length")
    sampling_rate = _positive_int(sampling_rate, "sampling_rate")
    sequence_stride = _positive_int(sequence_stride, "sequence_stride")
    if sampling_rate >= n:
        raise ValueError(f"timeseries_dataset_from_array: sampling_rate={sampling_rate} must be lower than the "
                         f"length of data ({n}).")
    if sequence_stride >= n:
        raise ValueError(f"timeseries_dataset_from_array: sequence_stride={sequence_stride} must be lower than the "
                         f"length of data ({n}).")
    if batch_size is not None:
        batch_size = _positive_int(batch_size, "batch_size")
    if start_index and (start_index < 0 or start_index >= n):
        raise ValueError(f"timeseries_dataset_from_array: start_index={start_index} must be in [0, {n}) "
                         f"for data of length {n}.")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"timeseries_dataset_from_array: end_index={end_index} must be higher than "
                             f"start_index={start_index}.")
        if end_index >= n or end_index <= 0:
            raise ValueError(f"timeseries_dataset_from_array: end_index={end_index} must be in (0, {n}) "
                             f"for data of length {n}.")
    start = int(start_index or 0)
    end = n if end_index is None else int(end_index)
    if targets is not None:
        targets = np.asarray(targets)
        if targets.ndim == 0:
            raise ValueError("timeseries_dataset_from_array: targets must have a time axis; got a scalar.")
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets) - start)
    starts = np.arange(0, max(count, 0), sequence_stride, dtype=np.int64)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1_000_000)
        np.random.RandomState(seed).shuffle(starts)
    return TimeseriesDataset(data[start:end], None if targets is None else targets[start:end],
                             starts, sequence_length, sampling_rate, batch_size)

"""Flat buffers for collectives: many small arrays packed into few large ones (bucketing).

One ``Allreduce`` per weight would pay MPI's per-call latency dozens of times a step; packing the
gradients into a few contiguous buffers of at most ``bucket_bytes`` (25 MiB by default, PyTorch
DDP's size) pays it once per bucket. A :class:`BucketPlan` is computed once for a list of shapes
and dtypes and reused every step with the same buffers (no allocation per step). Pure NumPy: the
reduction itself is a callable given by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

DEFAULT_BUCKET_BYTES = 25 * 2**20


@dataclass
class Bucket:
    """One flat buffer of a single dtype and the arrays it holds: ``(index, offset, size, shape)``."""

    dtype: np.dtype
    slots: list[tuple[int, int, int, tuple[int, ...]]] = field(default_factory=list)
    size: int = 0
    buffer: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize


class BucketPlan:
    """How arrays of the given shapes and dtypes are laid out in buckets of at most ``bucket_bytes``.

    Arrays are taken in order and grouped by dtype; a bucket is closed when the next array would
    make it larger than ``bucket_bytes`` (an array larger than that gets a bucket of its own).
    """

    def __init__(self, shapes: Sequence[tuple[int, ...]], dtypes: Sequence[np.dtype],
                 bucket_bytes: int = DEFAULT_BUCKET_BYTES) -> None:
        if isinstance(bucket_bytes, bool) or not isinstance(bucket_bytes, (int, np.integer)) or bucket_bytes < 1:
            raise ValueError(f"BucketPlan: bucket_bytes must be a positive integer; got bucket_bytes={bucket_bytes!r}.")
        if len(shapes) != len(dtypes):
            raise ValueError(f"BucketPlan: {len(shapes)} shapes but {len(dtypes)} dtypes.")
        self.key = tuple((tuple(s), np.dtype(d).str) for s, d in zip(shapes, dtypes))
        self.buckets: list[Bucket] = []
        open_buckets: dict[str, Bucket] = {}
        for index, (shape, dtype) in enumerate(zip(shapes, dtypes)):
            dtype = np.dtype(dtype)
            count = int(np.prod(shape, dtype=np.int64))
            bucket = open_buckets.get(dtype.str)
            if bucket is None or (bucket.size and (bucket.size + count) * dtype.itemsize > bucket_bytes):
                bucket = Bucket(dtype)
                self.buckets.append(bucket)
                open_buckets[dtype.str] = bucket
            bucket.slots.append((index, bucket.size, count, tuple(shape)))
            bucket.size += count
        for bucket in self.buckets:
            bucket.buffer = np.empty(bucket.size, bucket.dtype)

    @classmethod
    def for_arrays(cls, arrays: Sequence[np.ndarray], bucket_bytes: int = DEFAULT_BUCKET_BYTES) -> BucketPlan:
        """The plan for these arrays' shapes and dtypes."""
        return cls([a.shape for a in arrays], [a.dtype for a in arrays], bucket_bytes)

    def matches(self, arrays: Sequence[np.ndarray]) -> bool:
        """Whether ``arrays`` have exactly the shapes and dtypes the plan was made for."""
        return len(arrays) == len(self.key) and all(
            a.shape == shape and a.dtype.str == dt for a, (shape, dt) in zip(arrays, self.key))

    def pack(self, arrays: Sequence[np.ndarray]) -> None:
        """Copy ``arrays`` into the buckets' buffers."""
        for bucket in self.buckets:
            for index, offset, count, _ in bucket.slots:
                bucket.buffer[offset:offset + count] = np.ravel(arrays[index])

    def unpack(self) -> list[np.ndarray]:
        """The arrays back from the buffers, in the original order (views of the buffers: valid until
        the next :meth:`pack`)."""
        out: list[np.ndarray] = [np.empty(0)] * len(self.key)
        for bucket in self.buckets:
            for index, offset, count, shape in bucket.slots:
                out[index] = bucket.buffer[offset:offset + count].reshape(shape)
        return out

    def run(self, arrays: Sequence[np.ndarray], collective: Callable[[np.ndarray], None]) -> list[np.ndarray]:
        """Pack ``arrays``, apply ``collective`` in place to each bucket's buffer, and unpack."""
        self.pack(arrays)
        for bucket in self.buckets:
            collective(bucket.buffer)
        return self.unpack()

"""The glibc malloc tuning, now defined in :mod:`brickwork.platform` (re-exported here)."""

from __future__ import annotations

from brickwork.platform import ALLOCATOR_TUNED, M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, tune_allocator

__all__ = ["ALLOCATOR_TUNED", "M_MMAP_THRESHOLD", "M_TRIM_THRESHOLD", "tune_allocator"]

"""Keep large NumPy buffers in the heap between training steps (glibc only).

Each training step allocates and frees the same large temporaries (im2col
matrices, gradients). glibc serves blocks above its mmap threshold with fresh
``mmap`` calls and returns them to the OS on ``free``, so every step pays page
faults to touch new zeroed pages — on the CNN benchmark about a third of the
step. Raising the mmap threshold to its maximum (32 MiB) and the trim threshold
to 1 GiB lets freed blocks be reused, as PyTorch's caching allocator does.

Applied once when brickwork is imported on Linux with glibc; set the
environment variable ``BRICKWORK_KEEP_MALLOC=1`` to leave the allocator alone.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def tune_allocator() -> bool:
    """Raise glibc's mmap and trim thresholds; return whether it was done."""
    if not sys.platform.startswith("linux") or os.environ.get("BRICKWORK_KEEP_MALLOC"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024)) and bool(
            libc.mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024))
    except (OSError, AttributeError):
        return False


ALLOCATOR_TUNED = tune_allocator()

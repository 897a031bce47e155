"""Atomic file writing: a crash mid-write never leaves a truncated file in place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any


@contextlib.contextmanager
def atomic_write(path: Any, mode: str = "wb", overwrite: bool = True) -> Iterator[IO[Any]]:
    """Write to a temporary file next to ``path``, fsync it, then rename it over ``path``.

    The rename is atomic on POSIX and Windows, so readers see either the old
    file or the complete new one. On any exception the temporary file is
    removed and ``path`` is untouched.
    """
    path = os.fspath(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists and overwrite=False.")
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise

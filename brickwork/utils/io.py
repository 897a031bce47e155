"""Atomic file writing: a crash mid-write never leaves a truncated file in place.

:func:`atomic_write` writes to a temporary file next to the target, fsyncs it,
renames it over the target and fsyncs the directory. It also keeps the file's
metadata the way an ordinary ``open(path, "w")`` would:

- a new file gets the mode the umask gives (``0o666 & ~umask``), not the
  ``0o600`` of a temporary file;
- overwriting keeps the existing file's permission bits;
- writing through a symbolic link replaces the link's *target* (the link stays
  a link), as ``open`` does;
- temporary files ``.<name>.<pid>-<random>.tmp`` that an interrupted save (a
  killed process) left next to the target are removed by the next successful
  save to the same path;
- an ``OSError`` while writing (a full disk) is re-raised naming the target,
  and the previous file is left intact.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import IO, Any

_ACTIVE: set[str] = set()  # temporary files this process is writing now (never cleaned up by another save)
_ACTIVE_LOCK = threading.Lock()
_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the platform allows (Linux ``/proc``)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:  # elsewhere the only way is to set and restore it
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` may still be running on this host (True when it cannot be told)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True  # exists (someone else's) or cannot tell: keep its file
    return True


def _remove_stale(directory: str, base: str, started: float) -> None:
    """Delete ``.<base>.<pid>-*.tmp`` files older than ``started`` whose writer is gone."""
    pattern = re.compile(r"^\." + re.escape(base) + r"\.(?:(\d+)-)?[a-z0-9_]{8}\.tmp$")  # mkstemp's 8 characters
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        match = pattern.match(name)
        if match is None:
            continue
        full = os.path.join(directory, name)
        with _ACTIVE_LOCK:
            if full in _ACTIVE:
                continue
        try:
            info = os.lstat(full)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_mtime >= started:
            continue
        if match.group(1) is not None and pid_alive(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            os.unlink(full)


def _fsync_directory(directory: str) -> None:
    """Make a rename durable (POSIX); platforms that cannot open or fsync a directory skip it."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF, errno.EACCES):
            raise
    finally:
        os.close(fd)


def _save_error(path: str, err: OSError) -> OSError:
    reason = f"could not save {path}: {err.strerror or err}; the previous file (if any) is left unchanged"
    return OSError(reason) if err.errno is None else OSError(err.errno, reason)


@contextlib.contextmanager
def atomic_write(path: Any, mode: str = "wb", overwrite: bool = True) -> Iterator[IO[Any]]:
    """Write to a temporary file next to ``path``, fsync it, then rename it over ``path``.

    The rename is atomic on POSIX and Windows, so readers see either the old
    file or the complete new one. On any exception the temporary file is
    removed and ``path`` is untouched. A symbolic link ``path`` is followed:
    its target is replaced and the link kept. The new file gets the existing
    file's permission bits, or ``0o666 & ~umask`` for a new file. An
    :class:`OSError` while writing (e.g. ``ENOSPC``) is re-raised, with its
    errno, as an ``OSError`` whose message names ``path``.
    """
    path = os.fspath(path)
    if not overwrite and os.path.lexists(path):
        raise FileExistsError(f"{path} exists and overwrite=False.")
    target = os.path.realpath(path)
    directory, base = os.path.split(target)
    started = time.time()
    os.makedirs(directory, exist_ok=True)
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"cannot save to {path}: it is a directory", path)
    file_mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~current_umask()
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{base}.{os.getpid()}-", suffix=".tmp")
    with _ACTIVE_LOCK:
        _ACTIVE.add(tmp)
    try:
        try:
            with os.fdopen(fd, mode) as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, file_mode)
            os.replace(tmp, target)
        except OSError as err:
            raise _save_error(path, err) from err
        _fsync_directory(directory)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(tmp)
    _remove_stale(directory, base, started)

"""Small thread-safety pieces that, unlike ``threading``'s, survive ``copy.deepcopy`` and pickling
(a copy gets a fresh lock / empty per-thread values), so objects holding them stay copyable.

* :class:`CopyableLock`: a re-entrant lock, used to build a layer exactly once when several
  threads make its first call at the same time;
* :class:`PerThread`: one value per thread, used for per-call reports (``last_imputed``,
  ``last_unknown``) that must describe the calling thread's own call.
"""

from __future__ import annotations

import threading
from typing import Any


class CopyableLock:
    """A ``threading.RLock`` usable as a context manager; copies and unpickled copies get a new lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def __enter__(self) -> CopyableLock:
        self._lock.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._lock.release()

    def __reduce__(self) -> tuple[Any, ...]:
        return (CopyableLock, ())


_GUARD = threading.Lock()


def lock_of(obj: Any, attribute: str = "_build_lock") -> CopyableLock:
    """The lock stored on ``obj`` under ``attribute``, created once (safely) on first use."""
    lock = obj.__dict__.get(attribute)
    if lock is None:
        with _GUARD:
            lock = obj.__dict__.get(attribute)
            if lock is None:
                lock = CopyableLock()
                object.__setattr__(obj, attribute, lock)
    return lock


class PerThread:
    """A value per thread: :meth:`get` returns what this thread last :meth:`set` (else ``default()``)."""

    def __init__(self, default: Any = None) -> None:
        self._default = default
        self._local = threading.local()

    def get(self) -> Any:
        if not hasattr(self._local, "value"):
            self._local.value = self._default() if callable(self._default) else self._default
        return self._local.value

    def set(self, value: Any) -> None:
        self._local.value = value

    def __reduce__(self) -> tuple[Any, ...]:
        return (PerThread, (self._default,))

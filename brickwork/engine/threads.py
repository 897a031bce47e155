"""How many BLAS threads brickwork computes with, and what it does when the CPUs are busy.

OpenBLAS's worker threads spin while they wait for work. On a quiet machine that is what makes a
2-thread matrix product fast; when another job holds the cores, the spinning threads compete with it
and with each other, and a training step can become 10-30 times slower than on one thread (measured
on the 2-core development machine: a small MLP step from 5-8 ms to 105-213 ms). PyTorch behaves the
same way.

:func:`set_num_threads` chooses the policy:

* ``set_num_threads(n)`` — exactly ``n`` threads from now on (``threadpoolctl`` does the call into
  the BLAS library);
* ``set_num_threads("auto")`` (the default) — the BLAS library's own count while the machine is
  quiet, one thread while other processes keep at least half a core busy. ``fit`` asks at the start
  of every epoch (:func:`adapt`), from the CPU time the rest of the machine used since the last
  question: ``/proc/stat``'s busy time of all CPUs minus this process's own CPU time;
* ``set_num_threads(None)`` — leave the BLAS library alone.

The environment variable ``BRICKWORK_NUM_THREADS`` (``auto``, ``none`` or a number) sets the policy
at import, for scripts and the command line.

Without ``threadpoolctl`` (installed with scikit-learn; ``pip install threadpoolctl``) or outside
Linux the policy cannot act, and :func:`set_num_threads` with a number says so.
"""

from __future__ import annotations

import os
from typing import Any

BUSY_CORES = 0.5          # other processes using at least this many cores make the machine "busy"
_state: dict[str, Any] = {"mode": "auto", "limiter": None, "sample": None, "applied": None}


def _threadpoolctl() -> Any:
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl


def set_num_threads(n: int | str | None) -> None:
    """Use ``n`` BLAS threads (an int ≥ 1), the adaptive policy (``'auto'``), or leave BLAS alone (None)."""
    if n is not None and n != "auto" and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"set_num_threads: n must be a positive int, 'auto' or None; got {n!r}.")
    _release()
    _state["mode"] = n
    if isinstance(n, int):
        if _threadpoolctl() is None:
            raise ImportError("set_num_threads(n) needs threadpoolctl: pip install threadpoolctl.")
        _apply(n)


def get_num_threads() -> int | str | None:
    """The policy set by :func:`set_num_threads` (``'auto'`` by default)."""
    return _state["mode"]


def blas_threads() -> int | None:
    """The number of threads the BLAS library uses now (None when threadpoolctl is not installed)."""
    tpc = _threadpoolctl()
    if tpc is None:
        return None
    counts = [lib.get("num_threads") for lib in tpc.threadpool_info() if lib.get("user_api") == "blas"]
    return max(counts) if counts else None


def _apply(n: int | None) -> None:
    tpc = _threadpoolctl()
    if tpc is None or _state["applied"] == n:
        return
    _release()
    if n is not None:
        _state["limiter"] = tpc.threadpool_limits(limits=n, user_api="blas")
    _state["applied"] = n


def _release() -> None:
    limiter = _state["limiter"]
    if limiter is not None:
        limiter.restore_original_limits()
    _state["limiter"], _state["applied"] = None, None


def _cpu_sample() -> tuple[float, float] | None:
    """(seconds of busy CPU on the whole machine, seconds of CPU this process used), or None off Linux."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = handle.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    ticks = [int(v) for v in fields[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)       # idle + iowait
    hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    own = os.times()
    return (sum(ticks[:8]) - idle) / hz, own.user + own.system


def other_cores_busy() -> float | None:
    """Cores the *other* processes kept busy, on average, since the previous call (None on the first
    call or off Linux)."""
    import time

    sample, now = _cpu_sample(), time.monotonic()
    previous, _state["sample"] = _state["sample"], (sample, now)
    if sample is None or previous is None or previous[0] is None:
        return None
    (busy0, own0), t0 = previous
    elapsed = now - t0
    if elapsed <= 0.05:
        return None
    return max(0.0, ((sample[0] - busy0) - (sample[1] - own0)) / elapsed)


def adapt() -> int | None:
    """Apply the ``'auto'`` policy now (``fit`` calls this at each epoch); returns the thread limit in
    force (None: the library's own count)."""
    mode = _state["mode"]
    if isinstance(mode, int):
        _apply(mode)                   # a count from BRICKWORK_NUM_THREADS is applied on first use
        return _state["applied"]
    if mode != "auto":
        return _state["applied"]
    others = other_cores_busy()
    if others is None:
        return _state["applied"]
    _apply(1 if others >= BUSY_CORES else None)
    return _state["applied"]


def _prime() -> None:
    """Start the first measurement interval at import, so that the first epoch can already adapt."""
    import time

    _state["sample"] = (_cpu_sample(), time.monotonic())


_prime()


def _from_environment() -> None:
    value = os.environ.get("BRICKWORK_NUM_THREADS", "").strip().lower()
    if not value or value == "auto":
        return
    if value == "none":
        _state["mode"] = None
    elif value.isdigit() and int(value) >= 1:
        _state["mode"] = int(value)    # applied on the first adapt(): threadpoolctl is imported only then
    else:
        import warnings

        warnings.warn(f"BRICKWORK_NUM_THREADS={value!r} is not 'auto', 'none' or a positive number; using 'auto'.",
                      stacklevel=2)


_from_environment()

__all__ = ["BUSY_CORES", "adapt", "blas_threads", "get_num_threads", "other_cores_busy", "set_num_threads"]

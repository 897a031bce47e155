"""Shared benchmark helpers: thread pinning (before NumPy/PyTorch load) and
alternating, median-based timing."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable


def parse_and_pin(repeats: int, steps: int, **extra: int) -> argparse.Namespace:
    """The shared command line (``--threads``, ``--repeats``, ``--steps`` and ``extra`` int options);
    pins the BLAS threads before NumPy or PyTorch is imported."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--steps", type=int, default=steps)
    for name, default in extra.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args()
    pin_threads(args.threads)
    return args


def pin_threads(n: int) -> None:
    """Give NumPy's BLAS and PyTorch the same thread count. Call before importing either."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ[var] = str(n)


def alternate(runs: dict[str, Callable[[], None]], repeats: int, steps: int, warmup: int = 3) -> dict[str, float]:
    """Time ``steps`` calls of each function, alternating between them ``repeats``
    times; return the median seconds per call of each."""
    for fn in runs.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            start = time.perf_counter()
            for _ in range(steps):
                fn()
            samples[name].append((time.perf_counter() - start) / steps)
    return {name: statistics.median(values) for name, values in samples.items()}


def machine() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=False).stdout.strip()
    except OSError:
        commit = "?"
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, commit {commit}"

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
    add_kernels_option(parser)
    parser.add_argument("--wait-policy", choices=("default", "passive"), default="default",
                        help="passive: idle OpenMP (PyTorch) and OpenBLAS worker threads sleep instead of spinning")
    args = parser.parse_args()
    pin_threads(args.threads)
    if args.wait_policy == "passive":
        passive_thread_pools()
    apply_kernels_option(args.kernels)
    return args


def passive_thread_pools() -> None:
    """Make idle worker threads of both sides sleep at once instead of spinning (call before importing
    NumPy or PyTorch): OpenMP's (``OMP_WAIT_POLICY=PASSIVE``, ``KMP_BLOCKTIME=0``, PyTorch) and OpenBLAS's
    (``OPENBLAS_THREAD_TIMEOUT=4``, NumPy) — so that one side's spinning workers cannot take the cores
    the other side's threads need when the two alternate in one process."""
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    os.environ["KMP_BLOCKTIME"] = "0"
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = "4"


def add_kernels_option(parser: argparse.ArgumentParser) -> None:
    """``--kernels on|off``: with or without brickwork's compiled kernels (the ``fast`` extra)."""
    parser.add_argument("--kernels", choices=("on", "off"), default="on",
                        help="off: run as without the fast extra (BRICKWORK_DISABLE_KERNELS=1)")


def apply_kernels_option(choice: str) -> None:
    """Switch the kernels off for the whole process (before brickwork is imported) when ``choice`` is off."""
    if choice == "off":
        os.environ["BRICKWORK_DISABLE_KERNELS"] = "1"
    else:                                      # every family, by name (the recurrent one in float64 too)
        os.environ.pop("BRICKWORK_DISABLE_KERNELS", None)
        os.environ["BRICKWORK_KERNELS"] = "convolution,recurrent,transformer,word2vec"


def kernels_label() -> str:
    """``on``/``off``: whether brickwork's compiled kernels actually run in this process."""
    from brickwork import kernels

    return "on" if kernels.enabled() else "off"


def report(benchmark: str, threads: int, ours: float, peer: float, peer_name: str, unit: str) -> None:
    """One machine-readable result line (``RESULT`` and tab-separated fields) for ``run_all.py``;
    the ratio is brickwork ÷ peer in ``unit`` (ms: below 1 is faster; words/s: above 1 is faster)."""
    fields = ["RESULT", benchmark, str(threads), kernels_label(), f"{ours:.4g}", f"{peer:.4g}", peer_name, unit,
              f"{ours / peer:.2f}"]
    print("\t".join(fields), flush=True)


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

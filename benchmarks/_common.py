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

LEAD_IN = 0.2       # seconds of untimed calls before each timed block (``--lead-in``; see :func:`alternate`)


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
    parser.add_argument("--lead-in", type=float, default=LEAD_IN,
                        help="seconds of untimed calls of a side before each of its timed blocks (0: none)")
    args = parser.parse_args()
    set_lead_in(args.lead_in)
    pin_threads(args.threads)
    if args.wait_policy == "passive":
        passive_thread_pools()
    apply_kernels_option(args.kernels)
    return args


def set_lead_in(seconds: float) -> None:
    """The lead-in :func:`alternate` uses when not given one."""
    global LEAD_IN
    LEAD_IN = float(seconds)


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
        os.environ["BRICKWORK_KERNELS"] = "convolution,optimizer,recurrent,transformer,word2vec"


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


def alternate(runs: dict[str, Callable[[], None]], repeats: int, steps: int, warmup: int = 3,
              lead_in: float | None = None) -> dict[str, float]:
    """Time ``steps`` calls of each function, alternating between them ``repeats``
    times; return the median seconds per call of each.

    Each timed block starts after ``lead_in`` seconds (default :data:`LEAD_IN`, 0.2 s; at least
    one call) of untimed calls of the same function, so that it never times the hand-over from
    the other side. A library's idle worker threads keep running after its last call — GNU
    OpenMP's (PyTorch) busy-wait for milliseconds, OpenBLAS's (NumPy) yield in a loop for up to
    2^28 cycles, about 0.1 s here — and on a 2-core machine they take a core from whatever runs
    next. Measured here on 2 threads, without a lead-in: a depthwise forward took 5.1 ms right
    after a PyTorch call and 2.5 ms alone; PyTorch's SeparableConv2D step took 62 ms right after
    brickwork's (whose 1x1 convolution runs in OpenBLAS) and 35-40 ms with the lead-in. The
    lead-in treats both sides alike; ``--lead-in 0`` restores the old protocol."""
    for fn in runs.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in runs}
    lead_in = LEAD_IN if lead_in is None else lead_in
    for _ in range(repeats):
        for name, fn in runs.items():
            settled = time.perf_counter() + lead_in
            fn()
            while time.perf_counter() < settled:
                fn()
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

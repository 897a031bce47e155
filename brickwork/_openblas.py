"""Pick OpenBLAS's AVX-512 kernels on AMD CPUs that have AVX-512 (Zen 4 and later).

NumPy's wheels ship OpenBLAS built for many CPUs; this version maps AMD's Zen 4
to its AVX2 ("Haswell") kernels although the CPU runs AVX-512. On the machines
brickwork is measured on, ``OPENBLAS_CORETYPE=SkylakeX`` roughly doubles the
speed of the small matrix products that recurrent and convolution layers are
made of (see benchmarks/RESULTS.md).

The variable only takes effect if it is set before NumPy loads OpenBLAS, so
``import brickwork`` sets it when NumPy has not been imported yet, the CPU is an
AMD one, every AVX-512 extension the kernels use is present, and the user has
not set it. Import brickwork first, or export the variable yourself; set
``BRICKWORK_KEEP_BLAS=1`` to leave OpenBLAS alone. Standard library only: this
runs before NumPy is imported.
"""

from __future__ import annotations

import os
import sys

_NEEDED = {"avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"}


def _cpu() -> tuple[str, set[str]]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            text = handle.read(1 << 16)
    except OSError:
        return "", set()
    vendor, flags = "", set()
    for line in text.splitlines():
        if line.startswith("vendor_id") and not vendor:
            vendor = line.split(":", 1)[1].strip()
        elif line.startswith("flags") and not flags:
            flags = set(line.split(":", 1)[1].split())
        if vendor and flags:
            break
    return vendor, flags


def configure() -> str | None:
    """Set ``OPENBLAS_CORETYPE=SkylakeX`` when it is safe and still useful; return what was set."""
    if "numpy" in sys.modules or os.environ.get("BRICKWORK_KEEP_BLAS") or "OPENBLAS_CORETYPE" in os.environ:
        return None
    vendor, flags = _cpu()
    if vendor != "AuthenticAMD" or not flags >= _NEEDED:
        return None
    os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
    return "SkylakeX"


CORETYPE_SET = configure()

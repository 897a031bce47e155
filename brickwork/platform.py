"""Process-level CPU tweaks, in one place, and a :func:`report` of what is in force.

brickwork changes two things about the process, both only on CPUs/systems where
they were measured to help, both declinable with an environment variable:

* **OpenBLAS kernels** (``BRICKWORK_KEEP_BLAS=1`` declines). NumPy's wheels ship
  an OpenBLAS that maps AMD Zen 4 and later to its AVX2 ("Haswell") kernels
  although the CPU runs AVX-512. ``OPENBLAS_CORETYPE=SkylakeX`` roughly doubles
  the speed of the small matrix products that recurrent and convolution layers
  are made of (see benchmarks/RESULTS.md). The variable only takes effect before
  NumPy loads OpenBLAS, so it is set when NumPy is not imported yet, the CPU is
  an AMD one with every AVX-512 extension the kernels use, and the user has not
  set the variable.
* **glibc malloc thresholds** (``BRICKWORK_KEEP_MALLOC=1`` declines). Each
  training step allocates and frees the same large temporaries (im2col matrices,
  gradients). Above glibc's mmap threshold every block is a fresh ``mmap`` that is
  returned to the OS on ``free``, so each step pays page faults on new zeroed
  pages (about a third of the CNN benchmark's step). Raising the mmap threshold
  to its maximum (32 MiB) and the trim threshold to 1 GiB lets freed blocks be
  reused, as PyTorch's caching allocator does.

Both run once when this module is first imported. Importing it needs only the
standard library, so it can run before NumPy is imported; :func:`report` imports
NumPy (and threadpoolctl when installed) only when called.
"""

from __future__ import annotations

import ctypes
import io
import os
import sys
from typing import Any, TextIO

AVX512_NEEDED = frozenset({"avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"})
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
TRIM_THRESHOLD_BYTES = 1024 * 1024 * 1024


def cpu_info() -> tuple[str, str, set[str]]:
    """``(vendor, model name, flags)`` of the first CPU in ``/proc/cpuinfo`` (empty where unreadable)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            text = handle.read(1 << 16)
    except OSError:
        return "", "", set()
    vendor, model, flags = "", "", None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "vendor_id" and not vendor:
            vendor = value.strip()
        elif key == "model name" and not model:
            model = value.strip()
        elif key == "flags" and flags is None:
            flags = set(value.split())
        if vendor and model and flags is not None:
            break
    return vendor, model, flags or set()


def _cpu() -> tuple[str, set[str]]:
    vendor, _, flags = cpu_info()
    return vendor, flags


def configure_openblas() -> str | None:
    """Set ``OPENBLAS_CORETYPE=SkylakeX`` when it is safe and still useful; return what was set."""
    if "numpy" in sys.modules or os.environ.get("BRICKWORK_KEEP_BLAS") or "OPENBLAS_CORETYPE" in os.environ:
        return None
    vendor, flags = _cpu()
    if vendor != "AuthenticAMD" or not flags >= AVX512_NEEDED:
        return None
    os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
    return "SkylakeX"


def tune_allocator() -> bool:
    """Raise glibc's mmap and trim thresholds; return whether it was done."""
    if not sys.platform.startswith("linux") or os.environ.get("BRICKWORK_KEEP_MALLOC"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
            libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    except (OSError, AttributeError):
        return False


CORETYPE_SET = configure_openblas()
ALLOCATOR_TUNED = tune_allocator()


def _blas_info() -> list[dict[str, Any]]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        keep = ("user_api", "internal_api", "version", "architecture", "num_threads", "filepath")
        return [{k: lib.get(k) for k in keep if k in lib} for lib in threadpool_info()]
    import numpy as np

    try:
        deps = np.show_config(mode="dicts").get("Build Dependencies", {})
    except TypeError:  # NumPy < 1.25 only prints
        return []
    return [{"user_api": name, **{k: v for k, v in d.items() if k in ("name", "version", "openblas configuration")}}
            for name, d in deps.items() if name in ("blas", "lapack")]


def report(file: TextIO | None = None) -> dict[str, Any]:
    """What brickwork runs on and what it changed: CPU model and cores, NumPy and BLAS
    (from threadpoolctl when installed, else ``numpy.show_config``), the OpenBLAS core type in
    force and the allocator settings. Returns a dict; also prints it to ``file`` when given
    (``python -m brickwork.platform`` prints to stdout)."""
    import platform as stdlib_platform

    import numpy as np

    vendor, model, flags = cpu_info()
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count()
    info: dict[str, Any] = {
        "cpu": {"vendor": vendor, "model": model or stdlib_platform.processor(), "machine": stdlib_platform.machine(),
                "logical_cores": os.cpu_count(), "usable_cores": usable,
                "avx512": flags >= AVX512_NEEDED, "avx2": "avx2" in flags},
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "blas": _blas_info(),
        "openblas_coretype": {"in_force": os.environ.get("OPENBLAS_CORETYPE"), "set_by_brickwork": CORETYPE_SET,
                              "declined": bool(os.environ.get("BRICKWORK_KEEP_BLAS"))},
        "allocator": {"tuned": ALLOCATOR_TUNED, "mmap_threshold_bytes": MMAP_THRESHOLD_BYTES if ALLOCATOR_TUNED
                      else None, "trim_threshold_bytes": TRIM_THRESHOLD_BYTES if ALLOCATOR_TUNED else None,
                      "declined": bool(os.environ.get("BRICKWORK_KEEP_MALLOC"))},
    }
    if file is not None:
        file.write(format_report(info))
    return info


def format_report(info: dict[str, Any]) -> str:
    """The text :func:`report` prints: one ``section: key=value ...`` line per entry."""
    out = io.StringIO()
    for key, value in info.items():
        if isinstance(value, dict):
            out.write(f"{key}: " + ", ".join(f"{k}={v}" for k, v in value.items()) + "\n")
        elif isinstance(value, list):
            out.write(f"{key}:" + ("" if value else " (no information)") + "\n")
            for item in value:
                out.write("  " + ", ".join(f"{k}={v}" for k, v in item.items()) + "\n")
        else:
            out.write(f"{key}: {value}\n")
    return out.getvalue()


if __name__ == "__main__":  # pragma: no cover
    report(sys.stdout)

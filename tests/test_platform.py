"""The two process-level performance settings (OpenBLAS kernels and glibc malloc) and the platform report."""

from __future__ import annotations

import io
import os
import subprocess
import sys

from brickwork import platform

AVX512 = {"avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx2"}


def test_openblas_coretype_only_when_safe_unset_and_before_numpy(monkeypatch):
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    monkeypatch.delenv("BRICKWORK_KEEP_BLAS", raising=False)
    monkeypatch.setattr(platform, "_cpu", lambda: ("AuthenticAMD", AVX512))
    assert platform.configure_openblas() is None  # NumPy is already loaded in the test process: too late to matter
    monkeypatch.delitem(sys.modules, "numpy")
    assert platform.configure_openblas() == "SkylakeX"
    assert os.environ["OPENBLAS_CORETYPE"] == "SkylakeX"
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")  # an explicit user choice is kept
    assert platform.configure_openblas() is None
    assert os.environ["OPENBLAS_CORETYPE"] == "Haswell"
    monkeypatch.delenv("OPENBLAS_CORETYPE")
    monkeypatch.setattr(platform, "_cpu", lambda: ("AuthenticAMD", {"avx2", "avx512f"}))
    assert platform.configure_openblas() is None  # missing AVX-512 extensions
    monkeypatch.setattr(platform, "_cpu", lambda: ("GenuineIntel", AVX512))
    assert platform.configure_openblas() is None  # OpenBLAS already picks AVX-512 kernels on Intel
    monkeypatch.setattr(platform, "_cpu", lambda: ("AuthenticAMD", AVX512))
    monkeypatch.setenv("BRICKWORK_KEEP_BLAS", "1")
    assert platform.configure_openblas() is None
    assert "OPENBLAS_CORETYPE" not in os.environ


def test_allocator_tuning_can_be_declined(monkeypatch):
    monkeypatch.setenv("BRICKWORK_KEEP_MALLOC", "1")
    assert platform.tune_allocator() is False
    monkeypatch.delenv("BRICKWORK_KEEP_MALLOC")
    assert platform.tune_allocator() is sys.platform.startswith("linux")


def test_cpu_info_reads_proc_cpuinfo():
    vendor, model, flags = platform.cpu_info()
    if not os.path.exists("/proc/cpuinfo"):
        assert (vendor, model, flags) == ("", "", set())
        return
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        text = handle.read()
    assert vendor in text and model in text
    if "flags" in text:
        assert flags and all(f in text for f in flags)


def test_platform_module_needs_no_numpy_and_runs_first():
    # Loaded from its file, without the brickwork package (whose __init__ imports NumPy after it).
    code = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('p', sys.argv[1]); "
            "p = importlib.util.module_from_spec(spec); spec.loader.exec_module(p); "
            "assert 'numpy' not in sys.modules, 'numpy imported'; print(p.CORETYPE_SET, p.ALLOCATOR_TUNED)")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "BRICKWORK_KEEP_BLAS")}
    out = subprocess.run([sys.executable, "-c", code, platform.__file__], capture_output=True, text=True, env=env,
                         check=True).stdout
    coretype, tuned = out.split()
    vendor, _, flags = platform.cpu_info()
    assert coretype == ("SkylakeX" if vendor == "AuthenticAMD" and flags >= platform.AVX512_NEEDED else "None")
    assert tuned == str(sys.platform.startswith("linux"))


def test_report_names_machine_numpy_blas_coretype_and_allocator():
    import numpy as np

    buf = io.StringIO()
    info = platform.report(buf)
    assert info["numpy"] == np.__version__
    assert info["cpu"]["logical_cores"] == os.cpu_count()
    assert 1 <= info["cpu"]["usable_cores"] <= os.cpu_count()
    assert info["openblas_coretype"]["in_force"] == os.environ.get("OPENBLAS_CORETYPE")
    assert info["allocator"]["tuned"] is platform.ALLOCATOR_TUNED
    if platform.ALLOCATOR_TUNED:
        assert info["allocator"]["mmap_threshold_bytes"] == 32 * 1024 * 1024
    assert isinstance(info["blas"], list)
    text = buf.getvalue()
    assert f"numpy: {np.__version__}" in text and "allocator: tuned=" in text and "openblas_coretype:" in text


def test_report_without_threadpoolctl_uses_numpy_config(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # makes `import threadpoolctl` fail
    blas = platform.report()["blas"]
    assert any(entry.get("user_api") == "blas" for entry in blas)


def test_import_brickwork_does_not_import_scipy():
    code = "import sys, brickwork; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

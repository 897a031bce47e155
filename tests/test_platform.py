"""The two process-level performance settings: OpenBLAS kernels and glibc malloc."""

from __future__ import annotations

import sys

from brickwork import _openblas
from brickwork.engine import allocator

AVX512 = {"avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx2"}


def test_openblas_coretype_only_when_safe_unset_and_before_numpy(monkeypatch):
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    monkeypatch.delenv("BRICKWORK_KEEP_BLAS", raising=False)
    monkeypatch.setattr(_openblas, "_cpu", lambda: ("AuthenticAMD", AVX512))
    assert _openblas.configure() is None  # NumPy is already loaded in the test process: too late to matter
    monkeypatch.delitem(sys.modules, "numpy")
    assert _openblas.configure() == "SkylakeX"
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")  # an explicit user choice is kept
    assert _openblas.configure() is None
    monkeypatch.delenv("OPENBLAS_CORETYPE")
    monkeypatch.setattr(_openblas, "_cpu", lambda: ("AuthenticAMD", {"avx2", "avx512f"}))
    assert _openblas.configure() is None  # missing AVX-512 extensions
    monkeypatch.setattr(_openblas, "_cpu", lambda: ("GenuineIntel", AVX512))
    assert _openblas.configure() is None  # OpenBLAS already picks AVX-512 kernels on Intel
    monkeypatch.setattr(_openblas, "_cpu", lambda: ("AuthenticAMD", AVX512))
    monkeypatch.setenv("BRICKWORK_KEEP_BLAS", "1")
    assert _openblas.configure() is None


def test_allocator_tuning_can_be_declined(monkeypatch):
    monkeypatch.setenv("BRICKWORK_KEEP_MALLOC", "1")
    assert allocator.tune_allocator() is False
    monkeypatch.delenv("BRICKWORK_KEEP_MALLOC")
    assert allocator.tune_allocator() is sys.platform.startswith("linux")

"""The BLAS thread policy (brickwork.config.set_num_threads; engine/threads.py)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

import brickwork as bw
from brickwork.engine import threads

pytest.importorskip("threadpoolctl")


@pytest.fixture(autouse=True)
def _restore():
    yield
    bw.config.set_num_threads("auto")


def test_set_num_threads_limits_blas_and_auto_gives_it_back():
    bw.config.set_num_threads(None)            # the library's own count (an earlier fit may have adapted it)
    original = bw.config.blas_threads()
    bw.config.set_num_threads(1)
    assert bw.config.blas_threads() == 1 and bw.config.get_num_threads() == 1
    bw.config.set_num_threads("auto")
    assert bw.config.blas_threads() == original and bw.config.get_num_threads() == "auto"


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "two"])
def test_bad_thread_counts_are_refused_by_name(bad):
    with pytest.raises(ValueError, match="set_num_threads: n must be a positive int"):
        bw.config.set_num_threads(bad)


def test_other_processes_cpu_time_is_what_counts(monkeypatch):
    """Busy time of the machine minus this process's own, per second of wall time."""
    samples = iter([(100.0, 10.0), (103.0, 11.0)])     # machine +3 s busy, this process +1 s, over 2 s
    clock = iter([50.0, 52.0])
    monkeypatch.setattr(threads, "_cpu_sample", lambda: next(samples))
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    monkeypatch.setitem(threads._state, "sample", None)
    assert threads.other_cores_busy() is None          # the first call only starts the interval
    assert threads.other_cores_busy() == pytest.approx(1.0)


def test_auto_uses_one_thread_while_others_are_busy_and_restores_after(monkeypatch):
    bw.config.set_num_threads(None)
    original = bw.config.blas_threads()
    bw.config.set_num_threads("auto")
    monkeypatch.setattr(threads, "other_cores_busy", lambda: 0.9)
    assert threads.adapt() == 1 and bw.config.blas_threads() == 1
    monkeypatch.setattr(threads, "other_cores_busy", lambda: 0.1)
    assert threads.adapt() is None and bw.config.blas_threads() == original
    bw.config.set_num_threads(2)                         # a fixed count is never adapted
    monkeypatch.setattr(threads, "other_cores_busy", lambda: 5.0)
    assert threads.adapt() == 2 and bw.config.blas_threads() == 2


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/stat")
def test_a_busy_neighbour_process_is_seen():
    # The hog burns one second of CPU time, not of wall time: on a loaded machine (CI runs two pytest
    # workers on two cores) a wall-clock hog may get a third of a core, and the rate alone then says
    # little. What must hold is that the CPU seconds the other processes used include the hog's.
    import time

    start = time.monotonic()
    threads.other_cores_busy()                            # start the interval
    hog = subprocess.Popen([sys.executable, "-c",
                            "import time\nwhile time.process_time() < 1.0: pass"])
    hog.wait()
    rate = threads.other_cores_busy()
    elapsed = time.monotonic() - start
    assert rate is not None and rate * elapsed >= 0.8, (rate, elapsed)


def test_fit_adapts_at_each_epoch(monkeypatch):
    calls = []
    monkeypatch.setattr(threads, "adapt", lambda: calls.append(1))
    model = bw.Sequential([bw.layers.Input((2,)), bw.layers.Dense(1)])
    model.compile("sgd", "mse")
    import numpy as np

    model.fit(np.ones((4, 2), "float32"), np.ones(4, "float32"), epochs=3, verbose=0)
    assert len(calls) == 3


@pytest.mark.parametrize("value, expected", [("none", "None"), ("1", "1"), ("auto", "'auto'")])
def test_the_environment_variable_sets_the_policy(value, expected):
    code = "import brickwork as bw; print(repr(bw.config.get_num_threads()))"
    out = subprocess.run([sys.executable, "-c", code], env={**__import__("os").environ, "BRICKWORK_NUM_THREADS": value},
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == expected

"""The compiled recurrent time loops split over the batch (brickwork.kernels.recurrent_kernels): with two or
more kernel threads the loops run as independent loops over contiguous row chunks, in parallel. Split or not,
the outputs, states and every gradient are the unsplit loop's (1e-5 relative in float32, 1e-12 in float64)
and the NumPy reference's (the parity tolerances of tests/helpers.py) — LSTM (plain, peepholes, coupled),
GRU and SimpleRNN, with masks, recurrent dropout and truncated BPTT, odd batch sizes, more chunks than
threads, a batch too small to split, and 1 against 2 BLAS threads."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_close, weighted_sum

import brickwork as bw
from brickwork import kernels

needs_numba = pytest.mark.skipif(not kernels.available(), reason="numba (the fast extra) is not installed")
threadpoolctl = pytest.importorskip("threadpoolctl")

SPLIT_TOL = {np.float32: 1e-5, np.float64: 1e-12}


def _two_threads_possible() -> bool:
    import numba

    return numba.config.NUMBA_NUM_THREADS >= 2


needs_two = pytest.mark.skipif(not kernels.available() or not _two_threads_possible(),
                               reason="needs numba with at least 2 threads")


@pytest.fixture
def rk(monkeypatch):
    """recurrent_kernels with a spy on its chunk runner: ``rk.split_calls`` lists the split loops run (and their
    chunk counts)."""
    from brickwork.kernels import recurrent_kernels

    calls = []
    real = recurrent_kernels._on_chunks

    def spy(kernel, n, chunks, args):
        calls.append((kernel.__name__, chunks))
        return real(kernel, n, chunks, args)

    monkeypatch.setattr(recurrent_kernels, "_on_chunks", spy)
    recurrent_kernels.split_calls = calls
    yield recurrent_kernels
    del recurrent_kernels.split_calls


def _split_small(monkeypatch, rk) -> None:
    """Let the test's small batches and narrow products split (the real thresholds are for speed only)."""
    monkeypatch.setattr(rk, "MIN_CHUNK_ROWS", 1)
    monkeypatch.setattr(rk, "MIN_CHUNK_WIDTH", 1)


# ------------------------------------------------------------------------------------- the chunking rule
def test_bounds_cover_the_batch_in_near_equal_contiguous_chunks():
    pytest.importorskip("numba")
    from brickwork.kernels.recurrent_kernels import _bounds

    assert _bounds(37, 2).tolist() == [0, 18, 37]
    assert _bounds(37, 3).tolist() == [0, 12, 24, 37]
    assert _bounds(64, 2).tolist() == [0, 32, 64]
    assert _bounds(5, 1).tolist() == [0, 5]


@needs_two
def test_batch_chunks_follows_the_blas_threads_and_the_thresholds():
    from brickwork.kernels.recurrent_kernels import MIN_CHUNK_ROWS, MIN_CHUNK_WIDTH, batch_chunks

    wide = MIN_CHUNK_WIDTH
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        assert batch_chunks(1024, 4 * wide) == 1                  # one thread: never split
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        assert batch_chunks(2 * MIN_CHUNK_ROWS, wide) == 2
        assert batch_chunks(2 * MIN_CHUNK_ROWS - 1, wide) == 1     # a chunk would be under MIN_CHUNK_ROWS
        assert batch_chunks(5, wide) == 1
        assert batch_chunks(1024, wide - 1) == 1                  # too narrow a product to pay


# ------------------------------------------------------------------------------------- nodes
def _arrays(kind, n, t, d, u, dtype, rng, peepholes=False, coupled=False):
    gates = {"LSTM": 3 if coupled else 4, "GRU": 3, "SimpleRNN": 1}[kind]
    x = rng.standard_normal((n, t, d))
    states = [0.5 * rng.standard_normal((n, u)) for _ in range(2 if kind == "LSTM" else 1)]
    weights = [0.4 * rng.standard_normal((d, gates * u)), 0.4 * rng.standard_normal((u, gates * u))]
    weights.append(0.1 * rng.standard_normal((2, gates * u) if kind == "GRU" else gates * u))
    if peepholes:
        weights.append(0.4 * rng.standard_normal((u, (gates - 1) * u)))
    return [a.astype(dtype) for a in [x] + states + weights]


def _node(kind, peepholes, coupled, **options):
    from brickwork.functions.recurrent import GRUSequence, LSTMSequence, SimpleRNNSequence

    if kind == "LSTM":
        return LSTMSequence(peepholes=peepholes, coupled=coupled, **options)
    return GRUSequence(**options) if kind == "GRU" else SimpleRNNSequence(**options)


def _node_run(kind, arrays, options, on, threads, peepholes=False, coupled=False, state_grads=True):
    """Outputs and every input's gradient of one node, kernels ``on``/off, ``threads`` BLAS threads."""
    with threadpoolctl.threadpool_limits(threads, user_api="blas"), \
            kernels.use_kernels(on, families=kernels.FAMILIES):
        states = (1, 2) if kind == "LSTM" else (1,)
        tensors = [bw.Tensor(a.copy(), requires_grad=state_grads or k not in states) for k, a in enumerate(arrays)]
        fn = _node(kind, peepholes, coupled, **options)
        outs = fn(*tensors)
        compiled = fn.compiled
        weighted_sum(outs).backward()
    assert compiled == on
    return [o.data.copy() for o in outs], [None if tn.grad is None else np.array(tn.grad) for tn in tensors]


def _assert_same(a_run, b_run, dtype, what, tol=None):
    (outs_a, grads_a), (outs_b, grads_b) = a_run, b_run
    assert len(outs_a) == len(outs_b) and len(grads_a) == len(grads_b)
    for k, (a, b) in enumerate(zip(outs_a + grads_a, outs_b + grads_b)):
        if a is None or b is None:
            assert a is None and b is None, f"{what} #{k}: one run has a gradient, the other not"
            continue
        if tol is None:
            assert_close(a, b, dtype, what=f"{what} output/gradient #{k}")
        else:
            scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-3)
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol * scale, err_msg=f"{what} output/gradient #{k}")


VARIANTS = [("LSTM", False, False), ("LSTM", True, False), ("LSTM", False, True), ("LSTM", True, True),
            ("GRU", False, False), ("SimpleRNN", False, False)]


@needs_two
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind,peepholes,coupled", VARIANTS)
def test_split_loops_equal_one_loop_and_numpy_with_masks_and_dropout(kind, peepholes, coupled, dtype, rk,
                                                                     monkeypatch):
    """37 rows (odd: chunks of 18 and 19) with a padding mask, recurrent dropout and go_backwards."""
    _split_small(monkeypatch, rk)
    rng = np.random.default_rng(3 + 5 * peepholes + 7 * coupled + len(kind))
    n, t, d, u = 37, 8, 4, 6
    arrays = _arrays(kind, n, t, d, u, dtype, rng, peepholes, coupled)
    mask = np.arange(t)[None, :] < rng.integers(1, t + 1, n)[:, None]
    rdrop = (rng.random((n, u)) > 0.3).astype(dtype) / 0.7
    options = dict(mask=mask, rdrop=rdrop, go_backwards=True)
    one = _node_run(kind, arrays, options, True, 1, peepholes, coupled)
    assert rk.split_calls == []                                   # 1 thread: the one-loop path
    split = _node_run(kind, arrays, options, True, 2, peepholes, coupled)
    assert [chunks for _, chunks in rk.split_calls] == [2, 2]     # forward and BPTT both split in 2
    reference = _node_run(kind, arrays, options, False, 2, peepholes, coupled)
    _assert_same(split, one, dtype, f"{kind} split vs one loop", tol=SPLIT_TOL[dtype])
    _assert_same(split, reference, dtype, f"{kind} split vs NumPy")


@needs_two
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind,peepholes,coupled", [("LSTM", False, False), ("LSTM", True, True),
                                                    ("GRU", False, False), ("SimpleRNN", False, False)])
def test_more_chunks_than_threads_with_truncated_bptt(kind, peepholes, coupled, dtype, rk, monkeypatch):
    """Three chunks (two worker threads beside the caller), truncated BPTT and no initial-state gradient."""
    monkeypatch.setattr(rk, "batch_chunks", lambda n, width: 3)
    rng = np.random.default_rng(29)
    n, t, d, u = 37, 9, 3, 5
    arrays = _arrays(kind, n, t, d, u, dtype, rng, peepholes, coupled)
    mask = np.arange(t)[None, :] < rng.integers(2, t + 1, n)[:, None]
    options = dict(mask=mask, truncate=3)
    split = _node_run(kind, arrays, options, True, 2, peepholes, coupled, state_grads=False)
    assert [chunks for _, chunks in rk.split_calls] == [3, 3]
    monkeypatch.setattr(rk, "batch_chunks", lambda n, width: 1)
    one = _node_run(kind, arrays, options, True, 2, peepholes, coupled, state_grads=False)
    reference = _node_run(kind, arrays, options, False, 2, peepholes, coupled, state_grads=False)
    _assert_same(split, one, dtype, f"{kind} 3 chunks vs one loop", tol=SPLIT_TOL[dtype])
    _assert_same(split, reference, dtype, f"{kind} 3 chunks vs NumPy")


@needs_two
@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_a_batch_too_small_to_split_runs_one_loop(kind, rk, monkeypatch):
    """5 rows cannot make two chunks of MIN_CHUNK_ROWS: one loop, even on 2 threads, and still the NumPy result."""
    monkeypatch.setattr(rk, "MIN_CHUNK_WIDTH", 1)
    rng = np.random.default_rng(41)
    arrays = _arrays(kind, 5, 6, 3, 4, np.float32, rng)
    on = _node_run(kind, arrays, {}, True, 2)
    assert rk.split_calls == []
    _assert_same(on, _node_run(kind, arrays, {}, False, 2), np.float32, f"{kind} unsplit vs NumPy")


@needs_two
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_benchmark_shapes_split_by_default_on_two_threads(kind, rk):
    """Batch 64, 50 steps, 64 units, float32 with the real thresholds: 2 threads split (two chunks of 32 rows)
    and agree with 1 thread and with the NumPy loop."""
    rng = np.random.default_rng(13)
    arrays = _arrays(kind, 64, 50, 37, 64, np.float32, rng)
    split = _node_run(kind, arrays, {}, True, 2)
    assert len(rk.split_calls) == 2
    one = _node_run(kind, arrays, {}, True, 1)
    _assert_same(split, one, np.float32, f"{kind} split vs one loop", tol=SPLIT_TOL[np.float32])
    _assert_same(split, _node_run(kind, arrays, {}, False, 2), np.float32, f"{kind} split vs NumPy")


# ------------------------------------------------------------------------------------- layers
@needs_two
@pytest.mark.parametrize("kind,options", [("LSTM", dict(return_sequences=True, return_state=True)),
                                          ("LSTM", dict(use_peepholes=True, coupled_gates=True)),
                                          ("GRU", dict(return_state=True)),
                                          ("SimpleRNN", dict(return_sequences=True, go_backwards=True))])
def test_layers_on_two_threads_split_and_equal_numpy(kind, options, rk, monkeypatch):
    """The existing layer parity check (tests/test_kernels_recurrent.py: masks and initial states, 4 rows) with
    the loops split in 2 chunks of 2 rows."""
    from test_kernels_recurrent import compare_layer_with_and_without_kernels

    _split_small(monkeypatch, rk)
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        compare_layer_with_and_without_kernels(kind, options, "float32", True, True,
                                               kernel_ran=lambda: len(rk.split_calls) >= 1)
    assert len(rk.split_calls) == 2

"""The compiled SimpleRNN loops and the LSTM loops with peepholes (brickwork.kernels.simple_rnn_kernels,
brickwork.kernels.lstm_kernels) equal the NumPy reference: outputs and every gradient, float32 and float64,
with masks, return_sequences, go_backwards, initial states, recurrent dropout and truncated BPTT; and the
accumulating BLAS product they are built on (brickwork.kernels.gemm_kernels) equals NumPy's."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_close, weighted_sum
from test_kernels_recurrent import compare_layer_with_and_without_kernels

import brickwork as bw
from brickwork import kernels
from brickwork.functions.recurrent import LSTMSequence, SimpleRNNSequence

needs_numba = pytest.mark.skipif(not kernels.available(), reason="numba (the fast extra) is not installed")


# ------------------------------------------------------------------------------------------- gemm
@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("accumulate", [False, True])
def test_gemm_equals_numpy_on_arrays_and_column_blocks(dtype, accumulate):
    from brickwork.kernels.gemm_kernels import gemm

    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((7, 5)).astype(dtype), rng.standard_normal((5, 9)).astype(dtype)
    c = rng.standard_normal((7, 9)).astype(dtype)
    expected = a @ b + (c if accumulate else 0)
    gemm(a, b, c, accumulate)
    assert_close(c, expected, dtype, what="contiguous")
    # column blocks of wider arrays as all three operands (row stride larger than the row)
    wide_a, wide_b = rng.standard_normal((7, 11)).astype(dtype), rng.standard_normal((5, 20)).astype(dtype)
    wide_c = rng.standard_normal((7, 30)).astype(dtype)
    before = wide_c.copy()
    expected = wide_a[:, 3:8] @ wide_b[:, 4:13] + (before[:, 10:19] if accumulate else 0)
    gemm(wide_a[:, 3:8], wide_b[:, 4:13], wide_c[:, 10:19], accumulate)
    assert_close(wide_c[:, 10:19], expected, dtype, what="column blocks")
    np.testing.assert_array_equal(wide_c[:, :10], before[:, :10])      # nothing outside the block is touched
    np.testing.assert_array_equal(wide_c[:, 19:], before[:, 19:])


@needs_numba
def test_gemm_empty_inner_dimension_clears_or_keeps_the_output():
    from brickwork.kernels.gemm_kernels import gemm

    a, b = np.ones((3, 0), np.float32), np.ones((0, 4), np.float32)
    c = np.full((3, 4), 2.0, np.float32)
    gemm(a, b, c, True)
    np.testing.assert_array_equal(c, 2.0)
    gemm(a, b, c, False)
    np.testing.assert_array_equal(c, 0.0)
    gemm(np.ones((0, 2), np.float32), np.ones((2, 4), np.float32), np.ones((0, 4), np.float32), False)  # no rows


# ------------------------------------------------------------------------------------------- layers
CASES = [
    ("SimpleRNN", dict()),
    ("SimpleRNN", dict(return_sequences=True, go_backwards=True)),
    ("SimpleRNN", dict(return_sequences=True, return_state=True, use_bias=False)),
    ("LSTM", dict(use_peepholes=True)),
    ("LSTM", dict(use_peepholes=True, return_sequences=True, go_backwards=True)),
    ("LSTM", dict(use_peepholes=True, coupled_gates=True, return_sequences=True, return_state=True)),
    ("LSTM", dict(use_peepholes=True, return_state=True, use_bias=False, unit_forget_bias=False)),
]


@needs_numba
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("initial", [False, True])
@pytest.mark.parametrize("kind,options", CASES)
def test_layer_with_kernels_equals_numpy(kind, options, dtype, masked, initial, monkeypatch):
    from brickwork.kernels import recurrent_kernels

    name = "lstm_forward" if kind == "LSTM" else "simple_rnn_forward"
    calls = []
    real = getattr(recurrent_kernels, name)
    monkeypatch.setattr(recurrent_kernels, name, lambda *args: calls.append(1) or real(*args))
    compare_layer_with_and_without_kernels(kind, options, dtype, masked, initial, kernel_ran=lambda: bool(calls))


# ------------------------------------------------------------------------------------------- nodes
def _node_run(kind, arrays, options, on):
    """Outputs, the compiled flag and every input's gradient of one node with kernels ``on``/off."""
    with kernels.use_kernels(on, families=kernels.FAMILIES):
        tensors = [bw.Tensor(a.copy(), requires_grad=True) for a in arrays]
        fn = LSTMSequence(peepholes=True, **options) if kind == "LSTM" else SimpleRNNSequence(**options)
        outs = fn(*tensors)
        compiled = fn.compiled                 # the backward pass clears the node
        weighted_sum(outs).backward()
    return compiled, [o.data.copy() for o in outs], [tn.grad for tn in tensors]


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("truncate", [None, 3])
@pytest.mark.parametrize("kind,coupled", [("LSTM", False), ("LSTM", True), ("SimpleRNN", False)])
def test_node_with_recurrent_dropout_masks_and_truncation_equals_numpy(kind, coupled, truncate, dtype):
    rng = np.random.default_rng(17 + (truncate or 0) + 2 * coupled)
    n, t, d, u = 5, 9, 4, 6
    gates = (3 if coupled else 4) if kind == "LSTM" else 1
    x = rng.standard_normal((n, t, d))
    states = [0.5 * rng.standard_normal((n, u)) for _ in range(2 if kind == "LSTM" else 1)]
    weights = [0.4 * rng.standard_normal((d, gates * u)), 0.4 * rng.standard_normal((u, gates * u)),
               0.1 * rng.standard_normal(gates * u)]
    if kind == "LSTM":
        weights.append(0.4 * rng.standard_normal((u, (gates - 1) * u)))
    arrays = [a.astype(dtype) for a in [x] + states + weights]
    mask = np.arange(t)[None, :] < rng.integers(2, t + 1, n)[:, None]
    rdrop = (rng.random((n, u)) > 0.3).astype(dtype) / 0.7
    options = dict(mask=mask, rdrop=rdrop, truncate=truncate, go_backwards=True)
    if kind == "LSTM":
        options["coupled"] = coupled
    compiled_on, outs_on, grads_on = _node_run(kind, arrays, options, True)
    compiled_off, outs_off, grads_off = _node_run(kind, arrays, options, False)
    assert compiled_on and not compiled_off
    for k, (a, b) in enumerate(zip(outs_on, outs_off)):
        assert_close(a, b, dtype, what=f"{kind} output #{k}")
    for k, (a, b) in enumerate(zip(grads_on, grads_off)):
        assert_close(a, b, dtype, what=f"{kind} gradient #{k}")


@needs_numba
def test_simple_rnn_kernel_only_for_tanh():
    """relu (and the other activations) run the NumPy loop; tanh runs the kernel."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(2, 3, 4), (2, 5), (4, 5), (5, 5)]]
    with kernels.use_kernels(True):
        relu, tanh = SimpleRNNSequence(use_bias=False, activation_name="relu"), SimpleRNNSequence(use_bias=False)
        relu(*arrays)
        tanh(*arrays)
    assert not relu.compiled and tanh.compiled


@needs_numba
def test_peephole_kernel_matches_at_the_benchmark_shapes():
    """Batch 64, 50 steps, 64 units, float32, peepholes: the kernel runs and agrees with the NumPy loop."""
    rng = np.random.default_rng(11)
    n, t, d, u = 64, 50, 37, 64
    arrays = [rng.standard_normal((n, t, d)), 0.5 * rng.standard_normal((n, u)), 0.5 * rng.standard_normal((n, u)),
              0.3 * rng.standard_normal((d, 4 * u)), 0.3 * rng.standard_normal((u, 4 * u)),
              0.1 * rng.standard_normal(4 * u), 0.2 * rng.standard_normal((u, 3 * u))]
    arrays = [a.astype(np.float32) for a in arrays]
    results = [_node_run("LSTM", arrays, {}, on) for on in (True, False)]
    assert results[0][0] and not results[1][0]
    for k, (a, b) in enumerate(zip(results[0][1] + results[0][2], results[1][1] + results[1][2])):
        assert_close(a, b, np.float32, what=f"output/gradient #{k}")

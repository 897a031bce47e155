"""The whole-sequence LSTM/GRU kernels (brickwork.kernels.recurrent_kernels) equal the NumPy reference:
outputs and every gradient, float32 and float64, with masks, go_backwards, return_sequences, initial
states, recurrent dropout and truncated BPTT; and their float32 tanh is tanh to a few ulp."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_close, weighted_sum

import brickwork as bw
from brickwork import kernels, layers

needs_numba = pytest.mark.skipif(not kernels.available(), reason="numba (the fast extra) is not installed")


@needs_numba
def test_float32_tanh_is_tanh_to_a_few_ulp():
    from brickwork.kernels.recurrent_kernels import kernel_tanh

    x = np.concatenate([np.linspace(-20, 20, 400_001), np.geomspace(1e-30, 1, 2000), -np.geomspace(1e-30, 1, 2000),
                        [0.0, np.inf, -np.inf]]).astype(np.float32)
    exact = np.tanh(x.astype(np.float64))
    y = kernel_tanh(x)
    assert y.dtype == np.float32 and np.all(np.abs(y) <= 1)
    np.testing.assert_allclose(y, exact, rtol=5e-7, atol=1e-37)
    assert np.isnan(kernel_tanh(np.array([np.nan], np.float32)))[0]
    x64 = np.linspace(-5, 5, 101)
    np.testing.assert_allclose(kernel_tanh(x64), np.tanh(x64), rtol=1e-15)   # float64: libm tanh


@needs_numba
def test_kernel_tanh_rejects_integers():
    from brickwork.kernels.recurrent_kernels import kernel_tanh

    with pytest.raises(TypeError, match="kernel_tanh.*float32 or float64"):
        kernel_tanh(np.arange(3))


def _layer_run(make, x, mask, initial, on, seed):
    """Output, input gradient and weight gradients of one layer with kernels ``on``/off."""
    rng = np.random.default_rng(seed)
    layer = make()
    layer(x[:1])
    for w in layer.weights:
        w.assign(rng.uniform(-0.6, 0.6, w.shape).astype(w.dtype))
    with kernels.use_kernels(on, families=kernels.FAMILIES):
        xt = bw.Tensor(x.copy(), requires_grad=True)
        states = None if initial is None else [bw.Tensor(s.copy(), requires_grad=True) for s in initial]
        kwargs = {} if states is None else {"initial_state": states}
        out = layer(xt, mask=mask, **kwargs)
        outs = out if isinstance(out, (list, tuple)) else [out]
        weighted_sum(outs, 0.37, np.cos).backward()
    grads = [xt.grad] + ([s.grad for s in states] if states is not None else []) + \
            [w.grad for w in layer.trainable_weights]
    return [o.data.copy() for o in outs], [np.array(g) for g in grads]


CASES = [
    ("LSTM", dict()),
    ("LSTM", dict(return_sequences=True, go_backwards=True)),
    ("LSTM", dict(return_sequences=True, return_state=True, coupled_gates=True)),
    ("LSTM", dict(return_state=True, unit_forget_bias=False, use_bias=False)),
    ("GRU", dict()),
    ("GRU", dict(return_sequences=True, go_backwards=True)),
    ("GRU", dict(return_sequences=True, return_state=True)),
    ("GRU", dict(return_state=True, use_bias=False)),
]


@needs_numba
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("initial", [False, True])
@pytest.mark.parametrize("kind,options", CASES)
def test_layer_with_kernels_equals_numpy(kind, options, dtype, masked, initial):
    compare_layer_with_and_without_kernels(kind, options, dtype, masked, initial)


def compare_layer_with_and_without_kernels(kind, options, dtype, masked, initial, kernel_ran=None):
    """A ``kind`` layer (``options``) on random data — a padding mask and initial states when asked — with the
    kernels and without: outputs and every gradient equal. ``kernel_ran()`` (if given) is asserted right after
    the run with the kernels."""
    rng = np.random.default_rng(hash((kind, str(options), dtype, masked, initial)) % 2 ** 32)
    n, t, d, units = 4, 7, 3, 5
    x = rng.standard_normal((n, t, d)).astype(dtype)
    mask = None
    if masked:
        mask = np.arange(t)[None, :] < rng.integers(1, t + 1, n)[:, None]
        if options.get("go_backwards"):
            mask = mask[:, ::-1].copy()
    states = None
    if initial:
        states = [rng.standard_normal((n, units)).astype(dtype) for _ in range(2 if kind == "LSTM" else 1)]

    def make():
        return getattr(layers, kind)(units, dtype=dtype, **options)

    outs_on, grads_on = _layer_run(make, x, mask, states, True, 5)
    if kernel_ran is not None:
        assert kernel_ran(), "the kernel did not run"
    outs_off, grads_off = _layer_run(make, x, mask, states, False, 5)
    assert len(outs_on) == len(outs_off) and len(grads_on) == len(grads_off)
    for k, (a, b) in enumerate(zip(outs_on, outs_off)):
        assert_close(a, b, np.dtype(dtype), what=f"{kind} output #{k}")
    for k, (a, b) in enumerate(zip(grads_on, grads_off)):
        assert_close(a, b, np.dtype(dtype), what=f"{kind} gradient #{k}")


@needs_numba
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_kernel_runs_for_the_benchmark_shapes_and_matches(kind):
    """Batch 64, 50 steps, 64 units (the benchmark's layer), float32: the kernel runs and agrees."""
    from brickwork.functions.recurrent import GRUSequence, LSTMSequence

    rng = np.random.default_rng(11)
    n, t, d, u = 64, 50, 37, 64
    gates = 4 if kind == "LSTM" else 3
    arrays = [rng.standard_normal((n, t, d)), 0.5 * rng.standard_normal((n, u))]
    arrays += [0.5 * rng.standard_normal((n, u))] if kind == "LSTM" else []
    arrays += [0.3 * rng.standard_normal((d, gates * u)), 0.3 * rng.standard_normal((u, gates * u))]
    arrays += [0.1 * rng.standard_normal((gates * u,) if kind == "LSTM" else (2, gates * u))]
    arrays = [a.astype(np.float32) for a in arrays]
    cls = LSTMSequence if kind == "LSTM" else GRUSequence
    results = []
    for on in (True, False):
        with kernels.use_kernels(on, families=kernels.FAMILIES):
            fn = cls()
            tensors = [bw.Tensor(a, requires_grad=True) for a in arrays]
            outs = fn(*tensors)
            compiled = fn.compiled
            (outs[0] * bw.Tensor(np.sin(np.arange(n * t * u)).reshape(n, t, u).astype(np.float32))).sum().backward()
        results.append((compiled, outs[0].data.copy(), [tn.grad for tn in tensors]))
    assert results[0][0] and not results[1][0]
    assert_close(results[0][1], results[1][1], np.float32, what="outputs")
    for k, (a, b) in enumerate(zip(results[0][2], results[1][2])):
        assert_close(a, b, np.float32, what=f"gradient #{k}")


def test_compiled_products_run_with_one_scipy_blas_thread():
    """The recurrent kernels' np.dot goes to SciPy's BLAS; inside a kernel call it has one thread, after
    it the thread count it had (brickwork.kernels.blas_threads)."""
    pytest.importorskip("numba")
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import scipy.linalg.cython_blas  # noqa: F401  (what numba's np.dot calls)

    from brickwork.kernels import blas_threads

    blas_threads._pools["found"] = None
    pools = blas_threads._scipy_blas_pools()
    if not pools:
        pytest.skip("no separate SciPy BLAS pool in this environment (nothing to limit)")
    with threadpoolctl.threadpool_limits(2):
        outside = [lib.num_threads for lib in pools]
        with blas_threads.single_threaded():
            assert [lib.num_threads for lib in pools] == [1] * len(pools)
        assert [lib.num_threads for lib in pools] == outside

"""First use from several threads at once: a model is built exactly once, every thread gets the
same outputs, the saved file loads; the preprocessing layers' per-call reports are per thread."""

from __future__ import annotations

import copy
import pickle
import sys
import threading

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers, models

THREADS = 8


@pytest.fixture
def tiny_switch_interval():
    """Switch threads every microsecond: without the build lock this races in most trials."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def run_together(fn, n=THREADS):
    """``fn(i)`` in ``n`` threads released at once; returns the results and any exceptions."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def target(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as err:  # noqa: BLE001 - reported by the test
            errors.append(err)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_first_predict_from_8_threads_builds_once(tiny_switch_interval, tmp_path):
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    for trial in range(50):
        model = models.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3)])  # no Input: built on use
        outs, errors = run_together(lambda i, m=model: m.predict(x, verbose=0))
        assert not errors, f"trial {trial}: {errors[0]!r}"
        dense1, dense2 = model.layers
        # built once: one symbolic call per layer, one set of variables, the same kernel everywhere
        assert len(dense1._inbound_nodes) == 1 and len(dense2._inbound_nodes) == 1, f"trial {trial}"
        assert len(model.weights) == 4
        w1, b1, w2, b2 = (v.data for v in model.weights)
        expected = np.maximum(x @ w1 + b1, 0) @ w2 + b2
        for out in outs:
            np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
            np.testing.assert_array_equal(out, outs[0])
    path = tmp_path / "model.brick"
    model.save(path)
    loaded = bw.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), outs[0])


def test_first_call_of_a_shared_layer_from_threads(tiny_switch_interval):
    x = np.ones((2, 6), np.float32)
    for _ in range(20):
        layer = layers.Dense(5)
        outs, errors = run_together(lambda i, lay=layer: lay(x).data)
        assert not errors
        assert len(layer.weights) == 2
        for out in outs:
            np.testing.assert_array_equal(out, x @ layer.kernel.data + layer.bias.data)


def test_lookup_report_is_the_calling_threads_own():
    layer = layers.StringLookup(vocabulary=["a", "b"])
    inputs = [np.array([["a"], [f"unseen{i}"] * 1] * (i + 1), dtype=object).reshape(-1, 1) for i in range(THREADS)]

    def call(i):
        reports = []
        for _ in range(30):
            layer(inputs[i])
            reports.append(dict(layer.last_unknown))
        return reports

    results, errors = run_together(call)
    assert not errors
    for i, reports in enumerate(results):
        for report in reports:  # thread i only ever sees its own i + 1 unseen values named unseen<i>
            assert report == {"count": i + 1, "values": [f"unseen{i}"], "missing": 0}


def test_imputation_report_is_per_thread():
    layer = layers.Imputation(feature_names=["a", "b"])
    layer.adapt(np.array([[1.0, 2.0], [3.0, 4.0]]))

    def call(i):
        x = np.zeros((THREADS, 2))
        x[: i + 1, 0] = np.nan
        seen = []
        for _ in range(30):
            layer(x)
            seen.append(dict(layer.last_imputed))
        return seen

    results, errors = run_together(call)
    assert not errors
    for i, seen in enumerate(results):
        assert all(s == {"a": i + 1} for s in seen)
    assert layer.last_imputed == {}  # this thread made no call


def test_layers_with_locks_and_reports_stay_copyable():
    model = models.Sequential([layers.Dense(2)])
    model.predict(np.ones((1, 3), np.float32), verbose=0)  # creates the build lock
    clone = copy.deepcopy(model)
    np.testing.assert_array_equal(clone.layers[0].kernel.data, model.layers[0].kernel.data)
    lookup = layers.StringLookup(vocabulary=["a"])
    lookup(np.array([["z"]], dtype=object))
    copied = pickle.loads(pickle.dumps(lookup))
    assert copied.last_unknown == {"count": 0, "values": []}  # a copy starts with no report
    assert lookup.last_unknown["count"] == 1

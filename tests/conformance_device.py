"""The ``device`` check of the layer conformance harness: the layer computes on a GPU array library.

No GPU is needed: :mod:`fakecupy` is a CuPy stand-in that is as strict as CuPy about the
host/device boundary (no implicit conversion either way). The check copies the layer, moves the
copy with ``layer.to('gpu')``, feeds it device arrays and compares, against the CPU layer:

* the outputs in inference mode (and in training mode for layers without randomness — batch
  normalisation's batch statistics and moving-average updates included);
* the gradients, through the hand-written backwards, of ``sum(r * output)`` (fixed random ``r``)
  with respect to the float inputs and every trainable weight;
* that outputs and gradients are device arrays (nothing fell back to the host on the way).

Layers that take strings (text preprocessing) keep their string input on the host, as CuPy has no
string arrays; for them only the outputs are compared.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import fakecupy
import numpy as np

import brickwork as bw
from brickwork.engine.device import is_device_array, to_device, to_host


@contextlib.contextmanager
def fake_gpu() -> Iterator[Any]:
    """``cupy``/``cupyx`` are the stand-in inside the block; the default device is restored after."""
    names = ("cupy", "cupyx", "cupyx.scipy", "cupyx.scipy.special")
    saved = {name: sys.modules.get(name) for name in names}
    sys.modules["cupy"], sys.modules["cupyx"] = fakecupy.module, fakecupy.cupyx
    sys.modules["cupyx.scipy"], sys.modules["cupyx.scipy.special"] = fakecupy.cupyx.scipy, fakecupy.cupyx.scipy.special
    device = bw.get_device()
    try:
        yield fakecupy.module
    finally:
        bw.set_device(device)
        for name, mod in saved.items():
            if mod is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod


def _as_list(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _inputs(x: Any, device: str) -> Any:
    def one(a: np.ndarray) -> Any:
        if a.dtype.kind in "OUS":
            return a
        data = to_device(a, device)
        return bw.Tensor(data, requires_grad=a.dtype.kind == "f")

    return [one(a) for a in x] if isinstance(x, list) else one(x)


def _run(layer: Any, x: Any, device: str, training: bool, seed: int) -> tuple[list[Any], list[Any], list[Any]]:
    """Outputs, input gradients and weight gradients of ``sum(r * layer(x))``."""
    inputs = _inputs(x, device)
    outputs = _as_list(layer(inputs, training=training))
    for v in layer.trainable_weights:
        v.grad = None
    rng = np.random.default_rng(seed + 7)
    total = None
    for out in outputs:
        if isinstance(out, bw.Tensor) and out.dtype.kind == "f" and out.requires_grad:
            r = to_device(rng.uniform(0.5, 1.5, out.shape).astype(out.dtype), device)
            term = (out * r).sum()
            total = term if total is None else total + term
    input_grads: list[Any] = []
    weight_grads: list[Any] = []
    if total is not None:
        total.backward()
        input_grads = [t.grad for t in _as_list(inputs) if isinstance(t, bw.Tensor) and t.requires_grad]
        weight_grads = [v.grad for v in layer.trainable_weights]
    data = [o.data if isinstance(o, bw.Tensor) else o for o in outputs]
    return data, input_grads, weight_grads


def _compare(gpu: list[Any], cpu: list[Any], what: str, name: str, on_device: bool, rtol: float) -> None:
    assert len(gpu) == len(cpu), f"{name}: {len(gpu)} {what} on the GPU, {len(cpu)} on the CPU"
    for i, (g, c) in enumerate(zip(gpu, cpu)):
        if g is None or c is None:
            assert g is None and c is None, f"{name}: {what}[{i}] is None on one device only"
            continue
        if on_device:
            assert is_device_array(g), f"{name}: {what}[{i}] came back as {type(g).__name__}, not a device array"
        host = to_host(g)
        if np.asarray(c).dtype.kind in "OUS":
            assert np.array_equal(host, c), f"{name}: {what}[{i}] differs on the GPU"
        else:
            np.testing.assert_allclose(host, c, rtol=rtol, atol=rtol, err_msg=f"{name}: {what}[{i}] on the GPU")


def check_device(ctx: dict[str, Any]) -> None:
    cpu_layer, x = ctx["layer"], ctx["x"]
    strings = any(np.asarray(a).dtype.kind in "OUS" for a in _as_list(x))
    modes = [False] if ctx["gradcheck_training"] else [False, True]
    with fake_gpu():
        for training in modes:
            reference = ctx["make"]()
            reference(x, training=False)
            reference.set_weights(cpu_layer.get_weights())
            expected = _run(reference, x, "cpu", training, ctx["seed"])
            gpu_layer = ctx["make"]()
            gpu_layer(x, training=False)
            gpu_layer.set_weights(cpu_layer.get_weights())
            gpu_layer.to("gpu")
            for w in gpu_layer.weights:
                assert is_device_array(w.data), f"{gpu_layer.name}: weight {w.path} stayed on the host after to('gpu')"
            got = _run(gpu_layer, x, "gpu", training, ctx["seed"])
            name = f"{type(cpu_layer).__name__} (training={training})"
            float_out = [not strings and np.asarray(to_host(o)).dtype.kind == "f" for o in got[0]]
            _compare(got[0], expected[0], "outputs", name, on_device=all(float_out), rtol=ctx["rtol"] * 10)
            _compare(got[1], expected[1], "input gradients", name, on_device=True, rtol=1e-4)
            _compare(got[2], expected[2], "weight gradients", name, on_device=True, rtol=1e-4)
            after = [to_host(w.data) for w in gpu_layer.weights]
            _compare(after, [w.data for w in reference.weights], "weights after the call", name, False, 1e-5)

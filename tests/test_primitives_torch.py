"""Forward values and gradients of the primitives against PyTorch (the oracle),
1e-5 relative in float64 and 1e-4 in float32."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from helpers import assert_close

import brickwork as bw
from brickwork import functions as F

CASES = {
    "add": (F.add, torch.add, [(3, 4), (4,)]),
    "subtract": (F.subtract, torch.sub, [(3, 1), (1, 4)]),
    "multiply": (F.multiply, torch.mul, [(2, 3, 4), (3, 1)]),
    "divide": (F.divide, torch.div, [(3, 4), (3, 4)]),
    "power": (F.power, torch.pow, [(3, 4), (3, 4)]),
    "matmul": (F.matmul, torch.matmul, [(2, 3, 4), (4, 5)]),
    "linear": (F.linear, lambda x, w, b: x @ w + b, [(5, 4), (4, 3), (3,)]),
    "sum": (lambda x: F.sum(x, axis=1), lambda x: x.sum(dim=1), [(3, 4, 2)]),
    "mean": (lambda x: F.mean(x, axis=(0, 2), keepdims=True), lambda x: x.mean(dim=(0, 2), keepdim=True),
             [(3, 4, 2)]),
    "max": (lambda x: F.max(x, axis=-1), lambda x: x.amax(dim=-1), [(3, 5)]),
    "min": (lambda x: F.min(x, axis=0), lambda x: x.amin(dim=0), [(3, 5)]),
    "reshape": (lambda x: F.reshape(x, (6, -1)), lambda x: x.reshape(6, -1), [(3, 4, 2)]),
    "transpose": (lambda x: F.transpose(x, (2, 0, 1)), lambda x: x.permute(2, 0, 1), [(3, 4, 2)]),
    "broadcast_to": (lambda x: F.broadcast_to(x, (2, 3, 4)), lambda x: x.expand(2, 3, 4), [(3, 1)]),
    "concatenate": (lambda a, b: F.concatenate([a, b], axis=1), lambda a, b: torch.cat([a, b], 1),
                    [(2, 3), (2, 5)]),
    "stack": (lambda a, b: F.stack([a, b], axis=1), lambda a, b: torch.stack([a, b], 1), [(2, 3), (2, 3)]),
    "getitem": (lambda x: x[np.array([0, 2, 2])], lambda x: x[torch.tensor([0, 2, 2])], [(4, 3)]),
    "exp": (F.exp, torch.exp, [(3, 4)]),
    "log": (F.log, torch.log, [(3, 4)]),
    "sqrt": (F.sqrt, torch.sqrt, [(3, 4)]),
    "abs": (F.abs, torch.abs, [(3, 4)]),
    "tanh": (F.tanh, torch.tanh, [(3, 4)]),
    "sigmoid": (F.sigmoid, torch.sigmoid, [(3, 4)]),
    "relu": (F.relu, torch.relu, [(3, 4)]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: tF.leaky_relu(x, 0.2), [(3, 4)]),
    "elu": (F.elu, tF.elu, [(3, 4)]),
    "selu": (F.selu, tF.selu, [(3, 4)]),
    "gelu": (F.gelu, tF.gelu, [(3, 4)]),
    "gelu_tanh": (lambda x: F.gelu(x, True), lambda x: tF.gelu(x, approximate="tanh"), [(3, 4)]),
    "softplus": (F.softplus, tF.softplus, [(3, 4)]),
    "silu": (F.silu, tF.silu, [(3, 4)]),
    "softmax": (F.softmax, lambda x: torch.softmax(x, -1), [(3, 4)]),
    "log_softmax": (F.log_softmax, lambda x: torch.log_softmax(x, -1), [(3, 4)]),
    "clip": (lambda x: F.clip(x, -0.5, 0.5), lambda x: torch.clamp(x, -0.5, 0.5), [(3, 4)]),
    "maximum": (F.maximum, torch.maximum, [(3, 4), (3, 4)]),
    "minimum": (F.minimum, torch.minimum, [(3, 4), (3, 4)]),
}
POSITIVE = {"log", "sqrt", "power", "divide"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name, dtype):
    ours, theirs, in_shapes = CASES[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    arrays = [rng.uniform(0.3, 2.0, s) if name in POSITIVE else rng.uniform(-2, 2, s) for s in in_shapes]
    arrays = [a.astype(dtype) for a in arrays]
    xs = [bw.Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, ty = ours(*xs), theirs(*ts)
    assert y.dtype == dtype
    assert_close(y, ty, dtype, f"{name} forward")
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(g)
    ty.backward(torch.tensor(g))
    for i, (x, t) in enumerate(zip(xs, ts)):
        assert x.grad.dtype == dtype
        assert_close(x.grad, t.grad, dtype, f"{name} grad of input {i}")


def test_large_logits_stay_finite():
    z = bw.Tensor(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]), requires_grad=True)
    for fn in (F.sigmoid, F.softplus, F.softmax, F.log_softmax, F.tanh):
        y = fn(z)
        assert np.all(np.isfinite(y.data)), fn
        y.backward(np.ones(5))
        assert np.all(np.isfinite(z.grad))
        z.grad = None
    np.testing.assert_allclose(F.sigmoid(z).data, torch.sigmoid(torch.tensor(z.data)).numpy(), rtol=1e-12)


def test_float32_erf_approximation_is_within_four_ulp_of_the_exact_erf():
    from scipy.special import erf

    from brickwork.functions.activations import _erf_float32

    x = np.concatenate([np.linspace(-12, 12, 240_001), [0.0, 1e-30, -1e-30, 1e-8, np.inf, -np.inf]])
    exact = erf(x)
    got = _erf_float32(x.astype(np.float32))
    assert got.dtype == np.float32
    relative = np.abs(got - exact) / np.maximum(np.abs(exact), 1e-38)
    assert relative.max() < 4e-7
    assert np.isnan(_erf_float32(np.array([np.nan], np.float32)))[0]

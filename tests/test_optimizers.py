"""Each update rule step by step against torch.optim, plus clipping and schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from helpers import assert_close

import brickwork as bw
from brickwork import optimizers

A = np.array([[0.5, 1.5, -1.0], [2.0, 0.3, 1.0]])
B = np.array([[0.1, -0.4, 0.2], [0.3, 0.0, -0.2]])


def grad_of(w: np.ndarray) -> np.ndarray:
    """Gradient of L(w) = sum(A w^2 + B w): it changes with w, so each step differs."""
    return 2 * A * w + B


CASES = {
    "sgd": (lambda: optimizers.SGD(0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    "sgd_momentum": (lambda: optimizers.SGD(0.1, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    "sgd_nesterov": (lambda: optimizers.SGD(0.05, momentum=0.8, nesterov=True),
                     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
    "adagrad": (lambda: optimizers.Adagrad(0.1, epsilon=1e-12),
                lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1, eps=1e-12)),
    "rmsprop": (lambda: optimizers.RMSprop(0.01, rho=0.9, epsilon=1e-12),
                lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-12)),
    "rmsprop_momentum_centered": (
        lambda: optimizers.RMSprop(0.01, rho=0.8, momentum=0.5, centered=True, epsilon=1e-12),
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.8, momentum=0.5, centered=True, eps=1e-12)),
    "adam": (lambda: optimizers.Adam(0.01, epsilon=1e-12),
             lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-12)),
    "adam_amsgrad": (lambda: optimizers.Adam(0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-12, amsgrad=True),
                     lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.95), eps=1e-12, amsgrad=True)),
    "adamw": (lambda: optimizers.AdamW(0.01, weight_decay=0.1, epsilon=1e-12),
              lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, eps=1e-12)),
    "nadam": (lambda: optimizers.Nadam(0.01, epsilon=1e-12),
              lambda p: torch.optim.NAdam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-12, momentum_decay=4e-3)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(CASES))
def test_steps_match_torch(name, dtype):
    make_ours, make_theirs = CASES[name]
    w0 = np.array([[1.0, -2.0, 0.5], [0.3, 1.2, -0.7]], dtype=dtype)
    var = bw.Variable(w0, name="w")
    param = torch.nn.Parameter(torch.tensor(w0))
    ours, theirs = make_ours(), make_theirs([param])
    for step in range(5):
        ours.apply([grad_of(var.data).astype(dtype)], [var])
        param.grad = torch.tensor(grad_of(param.detach().numpy()).astype(dtype))
        theirs.step()
        assert_close(var.data, param.detach(), dtype, f"{name} after step {step + 1}")
    assert ours.iterations == 5


def test_keras_defaults_and_string_lookup():
    assert isinstance(optimizers.get("rmsprop"), optimizers.RMSprop)
    assert optimizers.get("adam").learning_rate == pytest.approx(0.001)
    assert optimizers.get("sgd").learning_rate == pytest.approx(0.01)
    r = optimizers.RMSprop()
    assert (r.rho, r.epsilon) == (0.9, 1e-7)
    assert optimizers.Adagrad().initial_accumulator_value == 0.1
    assert optimizers.AdamW().weight_decay == 0.004
    with pytest.raises(ValueError, match="Unknown optimizer 'adamm'"):
        optimizers.get("adamm")


def test_clipnorm_clipvalue_global_clipnorm_match_torch_utilities():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)) * 5, rng.standard_normal(4) * 5]
    for kind in ("clipnorm", "global_clipnorm", "clipvalue"):
        vars_ = [bw.Variable(np.zeros_like(g)) for g in grads]
        opt = optimizers.SGD(1.0, **{kind: 1.0})
        opt.apply([g.copy() for g in grads], vars_)
        params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g)
        if kind == "clipnorm":
            for p in params:
                torch.nn.utils.clip_grad_norm_([p], 1.0)
        elif kind == "global_clipnorm":
            torch.nn.utils.clip_grad_norm_(params, 1.0)
        else:
            torch.nn.utils.clip_grad_value_(params, 1.0)
        torch.optim.SGD(params, lr=1.0).step()
        for v, p in zip(vars_, params):
            assert_close(v.data, p.detach(), np.float64, kind)


def test_schedules_follow_their_formulas():
    s = optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert s(20) == pytest.approx(0.1 * 0.25)
    st = optimizers.schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    assert st(19) == pytest.approx(0.05)
    pw = optimizers.schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [pw(0), pw(10), pw(11), pw(20), pw(21)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    cos = optimizers.schedules.CosineDecay(1.0, 100, alpha=0.1)
    assert cos(0) == pytest.approx(1.0)
    assert cos(50) == pytest.approx(0.9 * 0.5 + 0.1)
    assert cos(1000) == pytest.approx(0.1)
    opt = optimizers.SGD(learning_rate=s)
    var = bw.Variable(np.ones(2))
    opt.apply([np.ones(2)], [var])  # step 0 uses lr = 0.1
    np.testing.assert_allclose(var.data, [0.9, 0.9])
    assert opt.learning_rate == pytest.approx(0.1 * 0.5 ** 0.1)
    torch_sched = torch.optim.lr_scheduler.ExponentialLR(torch.optim.SGD([torch.zeros(1)], lr=0.1), gamma=0.5)
    assert torch_sched.get_last_lr()[0] == pytest.approx(s(0))
    assert math.isclose(s(10), 0.05)


def test_constraints_are_applied_after_the_update():
    var = bw.Variable(np.array([[3.0], [4.0]]), constraint=bw.constraints.MaxNorm(1.0))
    optimizers.SGD(0.0).apply([np.zeros((2, 1))], [var])
    assert np.linalg.norm(var.data) == pytest.approx(1.0, rel=1e-5)
    nn = bw.Variable(np.array([-1.0, 2.0]), constraint=bw.constraints.get("non_neg"))
    optimizers.SGD(0.1).apply([np.zeros(2)], [nn])
    np.testing.assert_array_equal(nn.data, [0.0, 2.0])

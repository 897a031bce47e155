"""Every primitive passes gradcheck in float64 over random shapes (hypothesis),
including broadcasting, and never mutates its inputs."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import arrays, broadcastable_pair, seeded, shapes
from hypothesis import given
from hypothesis import strategies as st

import brickwork as bw
from brickwork import functions as F


def check(fn, *inputs, **kw):
    result = bw.gradcheck(fn, *inputs, **kw)
    assert result.passed, str(result)
    assert not result.mutated


BINARY = {
    "add": F.add, "subtract": F.subtract, "multiply": F.multiply,
    "divide": lambda a, b: F.divide(a, b), "maximum": F.maximum, "minimum": F.minimum,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(pair=broadcastable_pair(), seed=st.integers(0, 10_000))
def test_binary_broadcasting(name, pair, seed):
    rng = seeded(seed)
    a = arrays(rng, pair[0])
    b = arrays(rng, pair[1], low=0.5, high=2.0) if name == "divide" else arrays(rng, pair[1])
    if name in ("maximum", "minimum"):
        b = b + 0.3 * np.sign(b - np.broadcast_to(a, np.broadcast_shapes(a.shape, b.shape)).mean())
    check(BINARY[name], a, b)


@given(shape=shapes(), seed=st.integers(0, 10_000))
def test_power_both_operands(shape, seed):
    rng = seeded(seed)
    check(lambda a, b: F.power(a, b), arrays(rng, shape, 0.5, 2.0), arrays(rng, shape, -1.5, 1.5))
    check(lambda a: a ** 3, arrays(rng, shape))
    check(lambda a: 2.0 ** a, arrays(rng, shape))


@given(n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4), batch=shapes(0, 2), seed=st.integers(0, 999))
def test_matmul_batched_and_broadcast(n, k, m, batch, seed):
    rng = seeded(seed)
    check(F.matmul, arrays(rng, batch + (n, k)), arrays(rng, (k, m)))
    check(F.matmul, arrays(rng, (n, k)), arrays(rng, batch + (k, m)))
    check(F.matmul, arrays(rng, (k,)), arrays(rng, (k, m)))
    check(F.matmul, arrays(rng, batch + (n, k)), arrays(rng, (k,)))


@given(lead=shapes(1, 3), k=st.integers(1, 5), m=st.integers(1, 5), seed=st.integers(0, 999))
def test_linear(lead, k, m, seed):
    rng = seeded(seed)
    check(F.linear, arrays(rng, lead + (k,)), arrays(rng, (k, m)), arrays(rng, (m,)))
    check(F.linear, arrays(rng, lead + (k,)), arrays(rng, (k, m)))


@given(lead=shapes(1, 2, 1, 3), m=st.integers(1, 3), seed=st.integers(0, 999))
def test_linear_with_a_narrow_output(lead, m, seed):
    """``n_in >= 16 n_out``: the weight gradient is taken as (Ȳᵀ X)ᵀ (see Linear's docstring)."""
    rng = seeded(seed)
    k = 16 * m + 3
    check(F.linear, arrays(rng, lead + (k,)), arrays(rng, (k, m)), arrays(rng, (m,)))


def test_a_narrow_linear_leaves_a_c_ordered_weight_gradient_equal_to_xt_g():
    rng = seeded(0)
    x, g = rng.standard_normal((8, 5, 200)), rng.standard_normal((8, 5, 4))
    w = bw.Tensor(rng.standard_normal((200, 4)), requires_grad=True)
    (F.linear(bw.Tensor(x), w) * bw.Tensor(g)).sum().backward()
    assert w.grad.flags.c_contiguous
    np.testing.assert_allclose(w.grad, x.reshape(-1, 200).T @ g.reshape(-1, 4), rtol=1e-12, atol=1e-12)


REDUCTIONS = {"sum": F.sum, "mean": F.mean, "max": F.max, "min": F.min}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(shape=shapes(1, 3, 1, 4), keepdims=st.booleans(), data=st.data())
def test_reductions(name, shape, keepdims, data):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1),
                               st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape),
                                        unique=True).map(tuple)))
    rng = seeded(data.draw(st.integers(0, 999)))
    x = rng.permutation(np.linspace(-2, 2, int(np.prod(shape)))).reshape(shape)  # distinct: no ties
    check(lambda t: REDUCTIONS[name](t, axis=axis, keepdims=keepdims), x)


def test_max_ties_share_gradient():
    x = bw.Tensor(np.array([1.0, 3.0, 3.0]), requires_grad=True)
    F.max(x).backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.5, 0.5])


@given(shape=shapes(1, 3, 1, 4), seed=st.integers(0, 999))
def test_shape_primitives(shape, seed):
    rng = seeded(seed)
    x = arrays(rng, shape)
    check(lambda t: F.reshape(t, (-1,)), x)
    check(lambda t: F.transpose(t), x)
    perm = tuple(rng.permutation(len(shape)))
    check(lambda t: F.transpose(t, perm), x)
    check(lambda t: F.expand_dims(t, 0), x)
    check(lambda t: F.squeeze(F.expand_dims(t, -1), -1), x)
    check(lambda t: F.broadcast_to(t, (2,) + shape), x)
    check(lambda t: t.astype(np.float32).astype(np.float64) * 1.0, x, rtol=1e-3, eps=1e-2)


@given(shape=shapes(2, 3, 1, 4), n=st.integers(1, 3), seed=st.integers(0, 999))
def test_concatenate_stack_split(shape, n, seed):
    rng = seeded(seed)
    xs = [arrays(rng, shape) for _ in range(n)]
    axis = int(rng.integers(-len(shape), len(shape)))
    check(lambda *ts: F.concatenate(list(ts), axis=axis), *xs)
    check(lambda *ts: F.stack(list(ts), axis=0), *xs)
    big = arrays(rng, (shape[0] * 2,) + shape[1:])
    check(lambda t: F.split(t, 2, axis=0)[0] * 2.0 + F.split(t, 2, axis=0)[1], big)
    check(lambda t: F.split(t, [1], axis=0)[1], big)  # an unused piece gets a zero gradient


@given(shape=shapes(1, 3, 2, 5), seed=st.integers(0, 999))
def test_indexing_with_repeats_scatter_adds(shape, seed):
    rng = seeded(seed)
    x = arrays(rng, shape)
    idx = rng.integers(0, shape[0], size=7)  # repeats are likely
    check(lambda t: t[idx], x)
    check(lambda t: t[1:], x)
    check(lambda t: t[..., 0], x)
    check(lambda t: t[x > 0] if (x > 0).any() else t.sum(), x)


@given(rows=st.integers(1, 6), dim=st.integers(1, 4), seed=st.integers(0, 999))
def test_gather_scatter_add(rows, dim, seed):
    rng = seeded(seed)
    w = arrays(rng, (rows, dim))
    idx = rng.integers(0, rows, size=(3, 4))
    check(lambda t: F.gather(t, idx), w)


def test_gather_gradient_counts_repeats():
    w = bw.Tensor(np.zeros((4, 2)), requires_grad=True)
    F.gather(w, np.array([[1, 1], [3, 1]])).sum().backward()
    np.testing.assert_allclose(w.grad, [[0, 0], [3, 3], [0, 0], [1, 1]])


UNARY = {
    "exp": (F.exp, None, -2, 2), "log": (F.log, None, 0.2, 3), "sqrt": (F.sqrt, None, 0.2, 3),
    "abs": (F.abs, 0.0, -2, 2), "tanh": (F.tanh, None, -3, 3), "sigmoid": (F.sigmoid, None, -6, 6),
    "relu": (F.relu, 0.0, -2, 2), "relu6": (F.relu6, [0.0, 6.0], -1, 7),
    "leaky_relu": (lambda t: F.leaky_relu(t, 0.1), 0.0, -2, 2), "elu": (F.elu, 0.0, -2, 2),
    "selu": (F.selu, 0.0, -2, 2), "gelu": (F.gelu, None, -3, 3),
    "gelu_tanh": (lambda t: F.gelu(t, approximate=True), None, -3, 3), "softplus": (F.softplus, None, -30, 30),
    "softsign": (F.softsign, 0.0, -2, 2), "silu": (F.silu, None, -4, 4),
    "hard_sigmoid": (F.hard_sigmoid, [-3.0, 3.0], -4, 4), "clip": (lambda t: F.clip(t, -0.5, 0.7), [-0.5, 0.7], -2, 2),
    "softmax": (lambda t: F.softmax(t, axis=-1), None, -3, 3),
    "softmax0": (lambda t: F.softmax(t, axis=0), None, -3, 3),
    "log_softmax": (lambda t: F.log_softmax(t, axis=-1), None, -3, 3),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=shapes(1, 3), seed=st.integers(0, 10_000))
def test_unary(name, shape, seed):
    fn, kinks, low, high = UNARY[name]
    check(fn, arrays(seeded(seed), shape, low, high, away_from=kinks))


@given(shape=shapes(1, 3), seed=st.integers(0, 999))
def test_where(shape, seed):
    rng = seeded(seed)
    cond = rng.random(shape) > 0.5
    check(lambda a, b: F.where(cond, a, b), arrays(rng, shape), arrays(rng, shape[1:] or (1,)))


@given(shape=shapes(2, 3, 2, 4), seed=st.integers(0, 999))
def test_dropout_backward_uses_the_same_mask(shape, seed):
    rng = seeded(seed)
    x = arrays(rng, shape)
    gen = np.random.default_rng(seed)
    check(lambda t: F.dropout(t, 0.4, rng=np.random.default_rng(seed)), x)
    y = F.dropout(bw.Tensor(x), 0.5, rng=gen)
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], 2 * x[kept])


@given(n=st.integers(2, 5), c=st.integers(1, 4), extra=shapes(0, 2, 1, 3), seed=st.integers(0, 999))
def test_batch_norm(n, c, extra, seed):
    rng = seeded(seed)
    shape = (n,) + extra + (c,)
    axes = tuple(range(len(shape) - 1))
    check(lambda x, g, b: F.batch_norm(x, g, b, axes, 1e-3)[0], arrays(rng, shape), arrays(rng, (c,)),
          arrays(rng, (c,)))


@given(n=st.integers(1, 4), c=st.integers(2, 5), seed=st.integers(0, 999))
def test_layer_norm(n, c, seed):
    rng = seeded(seed)
    check(lambda x, g, b: F.layer_norm(x, g, b, (-1,), 1e-3), arrays(rng, (n, 3, c)), arrays(rng, (c,)),
          arrays(rng, (c,)))


@given(n=st.integers(1, 5), c=st.integers(1, 5), seed=st.integers(0, 999))
def test_crossentropy_primitives(n, c, seed):
    rng = seeded(seed)
    z = arrays(rng, (n, c), -30, 30)
    t = rng.random((n, c))
    check(F.sigmoid_cross_entropy_with_logits, z, t)
    p = rng.random((n, c))
    p /= p.sum(axis=1, keepdims=True)
    check(F.softmax_cross_entropy_with_logits, arrays(rng, (n, c), -5, 5), p)
    labels = rng.integers(0, c, n)
    check(lambda s: F.sparse_softmax_cross_entropy_with_logits(s, labels), arrays(rng, (n, c), -5, 5))


def test_gradcheck_detects_a_wrong_backward():
    class BadSquare(bw.Function):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, gy):
            return gy * self.x  # should be 2x

    result = bw.gradcheck(lambda t: BadSquare()(t), np.array([1.0, 2.0]))
    assert not result.passed
    assert result.errors[0] > 0.1


def test_gradcheck_detects_mutated_input():
    def mutating(t):
        t.data += 1.0
        return t * 2.0

    result = bw.gradcheck(mutating, np.array([1.0, 2.0]))
    assert result.mutated == [0]
    assert not result.passed

"""The autograd engine: graph recording, backward order, buffers, dtypes."""

from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest

import brickwork as bw
from brickwork import functions as F
from brickwork.engine.function import Function


def test_chain_rule_on_a_shared_subexpression():
    x = bw.Tensor(np.array(3.0), requires_grad=True)
    a = x * x          # used twice below: its gradient must be summed before it propagates
    y = a * a + a      # y = x^4 + x^2, dy/dx = 4x^3 + 2x
    y.backward()
    assert x.grad == pytest.approx(4 * 27 + 6)


def test_broadcast_gradients_are_summed_back():
    a = bw.Tensor(np.ones((2, 3)), requires_grad=True)
    b = bw.Tensor(np.ones((3,)), requires_grad=True)
    (a * b).sum().backward()
    np.testing.assert_allclose(b.grad, [2.0, 2.0, 2.0])
    assert a.grad.shape == (2, 3)


def test_deep_graph_needs_no_recursion():
    depth = sys.getrecursionlimit() * 3
    x = bw.Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(depth):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0)


def test_buffers_are_freed_after_backward_unless_retained():
    x = bw.Tensor(np.arange(3.0), requires_grad=True)
    y = (F.exp(x) * 2.0).sum()
    fn = y.creator
    y.backward()
    assert not hasattr(fn, "inputs")  # saved tensors released
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    x.grad = None
    z = (F.exp(x) * 2.0).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(x.grad, 4 * np.exp(np.arange(3.0)))


def test_outputs_are_held_weakly():
    x = bw.Tensor(np.ones(3), requires_grad=True)
    y = F.exp(x)
    ref = weakref.ref(y)
    fn = y.creator
    del y
    gc.collect()
    assert ref() is None
    assert fn._outputs[0]() is None


def test_no_grad_records_nothing():
    x = bw.Tensor(np.ones(3), requires_grad=True)
    with bw.no_grad():
        y = x * 2.0
        assert not bw.grad_enabled()
        with bw.enable_grad():
            z = x * 2.0
    assert y.creator is None and not y.requires_grad
    assert z.creator is not None
    assert bw.grad_enabled()


def test_detach_and_retain_grad():
    x = bw.Tensor(np.ones(2), requires_grad=True)
    h = x * 3.0
    h.retain_grad()
    d = h.detach()
    y = (h * h).sum() + (d * 100.0).sum()
    y.backward()
    np.testing.assert_allclose(h.grad, [6.0, 6.0])
    np.testing.assert_allclose(x.grad, [18.0, 18.0])


def test_leaf_gradients_accumulate_and_do_not_alias():
    x = bw.Tensor(np.ones(2), requires_grad=True)
    w = bw.Tensor(np.ones(2), requires_grad=True)
    (x + w).sum().backward()
    x.grad += 5.0  # must not change w.grad
    np.testing.assert_allclose(w.grad, [1.0, 1.0])
    (x * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad, [8.0, 8.0])


def test_implicit_gradient_only_for_scalars():
    x = bw.Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="single-element"):
        (x * 2.0).backward()
    with pytest.raises(ValueError, match="shape"):
        (x * 2.0).backward(np.ones(4))
    with pytest.raises(RuntimeError, match="does not require grad"):
        bw.Tensor(np.ones(1)).backward()


def test_dtypes_float32_default_and_float64_end_to_end():
    assert bw.Tensor([1.0, 2.0]).dtype == np.float32
    assert bw.Tensor(np.ones(2)).dtype == np.float64  # NumPy arrays keep their dtype
    x32 = bw.Tensor(np.ones(3, np.float32), requires_grad=True)
    y = F.softmax(x32 * 2.0 + 1.0) * 3
    assert y.dtype == np.float32
    y.sum().backward()
    assert x32.grad.dtype == np.float32
    x64 = bw.Tensor(np.ones(3), requires_grad=True)
    (F.tanh(x64) ** 2).sum().backward()
    assert x64.grad.dtype == np.float64
    with pytest.raises(TypeError):
        bw.Tensor(np.arange(3), requires_grad=True)


def test_numpy_arrays_defer_to_tensor_operators():
    x = bw.Tensor(np.ones(2), requires_grad=True)
    y = np.array([2.0, 3.0]) * x
    assert isinstance(y, bw.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 3.0])


def test_unused_output_of_a_multi_output_function_gets_zero_gradient():
    x = bw.Tensor(np.arange(4.0), requires_grad=True)
    first, _ = F.split(x, 2)
    first.sum().backward()
    np.testing.assert_allclose(x.grad, [1, 1, 0, 0])


def test_custom_function_contract():
    class Cube(bw.Function):
        r""":math:`y = x^3`, :math:`\bar x = 3x^2\bar y`."""

        def forward(self, x):
            self.x = x
            return x ** 3

        def backward(self, gy):
            return 3 * self.x ** 2 * gy

    assert bw.gradcheck(lambda t: Cube()(t), np.array([0.5, -1.5]))


def test_set_seed_repeats_exactly():
    def draw():
        layer = bw.layers.Dense(4)
        layer.build((None, 3))
        return layer.kernel.data.copy(), F.dropout(bw.Tensor(np.ones(10)), 0.5).data
    bw.set_seed(7)
    a = draw()
    bw.set_seed(7)
    b = draw()
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    with pytest.raises(ValueError):
        bw.set_seed(-1)


class _FreshPair(Function):
    """``(a, b) -> a + b`` whose backward allocates one array and returns it for both inputs, or a
    fresh one each (``twice=False``), or views of one (``views=True``); ``fresh_gradients`` set."""

    fresh_gradients = True

    def __init__(self, twice: bool = True, views: bool = False):
        self.twice, self.views = twice, views

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        g = gy * 1.0
        if self.views:
            return g[...], g[...]
        return (g, g) if self.twice else (g, gy * 1.0)


def test_fresh_gradient_reaches_a_leaf_without_a_copy():
    a, b = bw.Tensor(np.ones(3), requires_grad=True), bw.Tensor(np.ones(3), requires_grad=True)
    fn = _FreshPair(twice=False)
    seen = []
    backward = fn.backward
    fn.backward = lambda gy: (lambda out: (seen.extend(weakref.ref(o) for o in out), out)[1])(backward(gy))
    fn(a, b).backward(np.arange(3.0))
    assert seen[0]() is a.grad and seen[1]() is b.grad
    np.testing.assert_array_equal(a.grad, np.arange(3.0))


def test_fresh_gradient_shared_by_two_leaves_is_copied():
    a, b = bw.Tensor(np.ones(3), requires_grad=True), bw.Tensor(np.ones(3), requires_grad=True)
    _FreshPair(twice=True)(a, b).backward(np.arange(3.0))
    assert not np.shares_memory(a.grad, b.grad)
    a.grad[0] = 99.0
    assert b.grad[0] == 0.0


def test_fresh_gradient_views_are_copied():
    a, b = bw.Tensor(np.ones(3), requires_grad=True), bw.Tensor(np.ones(3), requires_grad=True)
    _FreshPair(views=True)(a, b).backward(np.arange(3.0))
    assert a.grad.base is None and b.grad.base is None
    assert not np.shares_memory(a.grad, b.grad)


def test_gradients_of_other_functions_are_copied_from_the_output_gradient():
    """Without ``fresh_gradients`` a pass-through backward's gradient is the caller's array: copied."""
    a = bw.Tensor(np.ones(3), requires_grad=True)
    gy = np.arange(3.0)
    (a * 1.0).backward(gy)
    assert not np.shares_memory(a.grad, gy)
    b = bw.Tensor(np.ones(3), requires_grad=True)
    y = b + 0.0
    y.backward(gy)
    gy[0] = 7.0
    assert b.grad[0] == 0.0

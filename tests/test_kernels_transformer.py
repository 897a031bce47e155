"""The ``"transformer"`` kernel family (brickwork.kernels.transformer_kernels): the attention softmax, layer
norm and GELU kernels equal their NumPy references (values and gradients) and the math (PyTorch as the
oracle); the fused head projections of MultiHeadAttention equal the einsum they replace."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import assert_close

import brickwork as bw
from brickwork import functions as F
from brickwork import kernels
from brickwork.functions.activations import GELU
from brickwork.functions.attention import ScaledDotProductAttention
from brickwork.functions.normalization import Normalize

needs_numba = pytest.mark.skipif(not kernels.available(), reason="numba (the fast extra) is not installed")
FAMILY = ("transformer",)


def _run(fn_factory, arrays, on, seed=3):
    """Outputs, input gradients and the node's ``compiled`` flag, with the transformer kernels ``on``/off."""
    with kernels.use_kernels(on, families=FAMILY):
        fn = fn_factory()
        tensors = [bw.Tensor(a.copy(), requires_grad=True) for a in arrays]
        outs = fn(*tensors)
        outs = outs if isinstance(outs, tuple) else (outs,)
        compiled = fn.compiled
        rng = np.random.default_rng(seed)
        loss = None
        for o in outs:
            term = (o * bw.Tensor(rng.standard_normal(o.shape).astype(o.data.dtype))).sum()
            loss = term if loss is None else loss + term
        loss.backward()
    return [o.data for o in outs], [t.grad for t in tensors], compiled


def _assert_same(a, b, dtype, what):
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        assert_close(x, y, dtype, f"{what} [{i}]")


def _qkv(rng, dtype, b=2, h=3, t=5, s=6, d=4):
    return [rng.standard_normal(shape).astype(dtype) for shape in ((b, h, t, d), (b, h, s, d), (b, h, s, d))]


def _masks(b=2, t=5, s=6):
    causal = np.tril(np.ones((t, s), bool))[None, None]
    padding = np.ones((b, 1, t, s), bool)
    padding[0, :, :, 4:] = False
    padding[1, :, 2, :] = False                       # a fully masked query row
    per_head = np.random.default_rng(5).random((b, 3, t, s)) > 0.4
    return {"none": None, "causal": causal, "padding": padding, "per_head": per_head}


# ------------------------------------------------------------------------------------------- softmax
@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mask_name", ["none", "causal", "padding", "per_head"])
@pytest.mark.parametrize("masked_rows", ["zeros", "uniform"])
def test_attention_kernel_equals_numpy(dtype, mask_name, masked_rows):
    arrays = _qkv(np.random.default_rng(0), dtype)
    mask = _masks()[mask_name]

    def make():
        return ScaledDotProductAttention(mask, masked_rows=masked_rows)

    outs_np, grads_np, compiled_np = _run(make, arrays, on=False)
    outs_k, grads_k, compiled_k = _run(make, arrays, on=True)
    assert compiled_k and not compiled_np
    _assert_same(outs_k, outs_np, dtype, f"outputs, mask {mask_name}")
    _assert_same(grads_k, grads_np, dtype, f"gradients, mask {mask_name}")
    assert all(np.isfinite(g).all() for g in grads_k)


@needs_numba
def test_attention_kernel_fully_masked_rows_follow_masked_rows():
    arrays = _qkv(np.random.default_rng(1), np.float64)
    mask = _masks()["padding"]
    with kernels.use_kernels(True, families=FAMILY):
        _, p_zero = ScaledDotProductAttention(mask, masked_rows="zeros").forward(*arrays)
        _, p_unif = ScaledDotProductAttention(mask, masked_rows="uniform").forward(*arrays)
    np.testing.assert_array_equal(p_zero[1, :, 2], 0.0)
    np.testing.assert_allclose(p_unif[1, :, 2], 1.0 / 6)
    np.testing.assert_allclose(p_zero[0].sum(-1), 1.0)                 # every other row is a distribution
    np.testing.assert_array_equal(p_zero[0, :, :, 4:], 0.0)


@needs_numba
@pytest.mark.parametrize("causal", [False, True])
def test_attention_kernel_matches_torch(causal):
    rng = np.random.default_rng(2)
    q, k, v = _qkv(rng, np.float64, t=6, s=6)
    mask = np.tril(np.ones((6, 6), bool)) if causal else None
    with kernels.use_kernels(True, families=FAMILY):
        tq, tk, tv = (bw.Tensor(a, requires_grad=True) for a in (q, k, v))
        out = F.scaled_dot_product_attention(tq, tk, tv, mask=mask, return_probabilities=False)
        out.sum().backward()
    xq, xk, xv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    ref = torch.nn.functional.scaled_dot_product_attention(xq, xk, xv, attn_mask=None if mask is None else
                                                           torch.tensor(mask))
    ref.sum().backward()
    assert_close(out, ref, np.float64, "output")
    for got, want, name in ((tq, xq, "q"), (tk, xk, "k"), (tv, xv, "v")):
        assert_close(got.grad, want.grad, np.float64, f"grad {name}")


@needs_numba
def test_attention_kernel_gradcheck():
    q, k, v = _qkv(np.random.default_rng(3), np.float64, b=1, h=2, t=3, s=4, d=2)
    mask = np.array([[True, True, False, True], [False, False, False, False], [True, False, True, True]])
    with kernels.use_kernels(True, families=FAMILY):
        assert bw.gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, mask=mask)[0], q, k, v)


@needs_numba
def test_attention_with_bias_or_kernels_off_runs_numpy():
    q, k, v = _qkv(np.random.default_rng(4), np.float32)
    bias = np.zeros((5, 6), np.float32)
    with kernels.use_kernels(True, families=FAMILY):
        fn = ScaledDotProductAttention(None, has_bias=True)
        fn(q, k, v, bias)
        assert not fn.compiled
    with kernels.use_kernels(True, families=("word2vec",)):
        fn = ScaledDotProductAttention(None)
        fn(q, k, v)
        assert not fn.compiled


# ---------------------------------------------------------------------------------------- layer norm
@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("param_shape", [(8,), (1, 1, 8)])
def test_layer_norm_kernel_equals_numpy(dtype, param_shape):
    rng = np.random.default_rng(6)
    x = (rng.standard_normal((3, 5, 8)) * 3 + 1).astype(dtype)
    gamma = rng.standard_normal(param_shape).astype(dtype)
    beta = rng.standard_normal(param_shape).astype(dtype)

    def make():
        return Normalize((2,), 1e-5, last_axis_kernel=True)

    outs_np, grads_np, compiled_np = _run(make, [x, gamma, beta], on=False)
    outs_k, grads_k, compiled_k = _run(make, [x, gamma, beta], on=True)
    assert compiled_k and not compiled_np
    _assert_same(outs_k, outs_np, dtype, "layer norm outputs")
    _assert_same(grads_k, grads_np, dtype, "layer norm gradients")
    ref = torch.nn.functional.layer_norm(torch.tensor(x), (8,), torch.tensor(gamma.reshape(8)),
                                         torch.tensor(beta.reshape(8)), 1e-5)
    assert_close(outs_k[0], ref, dtype, "against torch")


@needs_numba
def test_layer_norm_kernel_without_input_gradient_and_gradcheck():
    rng = np.random.default_rng(7)
    x, gamma, beta = rng.standard_normal((4, 6)), rng.standard_normal(6), rng.standard_normal(6)
    with kernels.use_kernels(True, families=FAMILY):
        g, b = bw.Tensor(gamma, requires_grad=True), bw.Tensor(beta, requires_grad=True)
        fn = Normalize((1,), 1e-3, last_axis_kernel=True)
        y = fn(bw.Tensor(x), g, b)                                          # x needs no gradient
        assert fn.compiled
        (y * y).sum().backward()
        assert bw.gradcheck(lambda a, c, d: F.layer_norm(a, c, d, epsilon=1e-3), x, gamma, beta)
    xhat = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    yy = xhat * gamma + beta
    np.testing.assert_allclose(g.grad, (2 * yy * xhat).sum(0), rtol=1e-10)
    np.testing.assert_allclose(b.grad, (2 * yy).sum(0), rtol=1e-10)


@needs_numba
def test_batch_norm_axes_do_not_use_the_kernel():
    x = np.random.default_rng(8).standard_normal((6, 4)).astype(np.float32)
    with kernels.use_kernels(True, families=FAMILY):
        fn = Normalize((0,), 1e-3)                                          # batch norm: over the batch
        fn(x, np.ones(4, np.float32), np.zeros(4, np.float32))
        assert not fn.compiled
        fn = Normalize((0, 1), 1e-3, last_axis_kernel=True)                 # more than the last axis
        fn(x, np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32))
        assert not fn.compiled


# ---------------------------------------------------------------------------------------------- GELU
@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_kernel_equals_numpy_and_torch(dtype):
    x = (np.random.default_rng(9).standard_normal((7, 33)) * 3).astype(dtype)
    x[0, :4] = [0.0, 6.0, -6.0, 4.5]                                       # zero and beyond the fit's range
    outs_np, grads_np, compiled_np = _run(GELU, [x], on=False)
    outs_k, grads_k, compiled_k = _run(GELU, [x], on=True)
    assert compiled_k and not compiled_np
    _assert_same(outs_k, outs_np, dtype, "GELU outputs")
    _assert_same(grads_k, grads_np, dtype, "GELU gradients")
    tx = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.gelu(tx)
    ref.backward(torch.tensor(np.random.default_rng(3).standard_normal(x.shape).astype(dtype)))
    assert_close(outs_k[0], ref, dtype, "against torch")
    assert_close(grads_k[0], tx.grad, dtype, "gradient against torch")


@needs_numba
def test_gelu_kernel_gradcheck_and_approximate_form_stays_numpy():
    x = np.random.default_rng(10).standard_normal((3, 4))
    with kernels.use_kernels(True, families=FAMILY):
        assert bw.gradcheck(lambda a: F.gelu(a), x)
        fn = GELU(approximate=True)
        fn(x)
        assert not getattr(fn, "compiled", False)


# --------------------------------------------------------------------------- fused head projections
def test_split_heads_projection_equals_einsum_and_gradchecks():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 5, 6))
    kernels_ = [rng.standard_normal((6, 3, 2)), rng.standard_normal((6, 3, 2)), rng.standard_normal((6, 3, 4))]
    biases = [rng.standard_normal((3, 2)), rng.standard_normal((3, 2)), rng.standard_normal((3, 4))]
    outs = F.split_heads_projection(bw.Tensor(x), [bw.Tensor(w) for w in kernels_], [bw.Tensor(b) for b in biases])
    for out, w, b in zip(outs, kernels_, biases, strict=True):
        np.testing.assert_allclose(out.data, np.einsum("bte,ehd->bhtd", x, w) + b[None, :, None, :], rtol=1e-12)

    def loss(a, w1, w2, w3, b1, b2, b3):
        ys = F.split_heads_projection(a, [w1, w2, w3], [b1, b2, b3])
        return (ys[0] * ys[0]).sum() + (ys[1] * 2).sum() + (ys[2] * ys[2] * ys[2]).sum()

    assert bw.gradcheck(loss, x, *kernels_, *biases)
    assert bw.gradcheck(lambda a, w: F.split_heads_projection(a, [w])[0], x, kernels_[0])


def test_merge_heads_projection_equals_einsum_and_gradchecks():
    rng = np.random.default_rng(12)
    c, w, b = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((3, 4, 7)), rng.standard_normal(7)
    y = F.merge_heads_projection(bw.Tensor(c), bw.Tensor(w), bw.Tensor(b))
    np.testing.assert_allclose(y.data, np.einsum("bhtd,hde->bte", c, w) + b, rtol=1e-12)
    assert bw.gradcheck(lambda a, k, v: F.merge_heads_projection(a, k, v), c, w, b)
    assert bw.gradcheck(lambda a, k: F.merge_heads_projection(a, k), c, w)


def test_head_projection_bad_shapes_raise():
    x = bw.Tensor(np.zeros((2, 5, 6)))
    with pytest.raises(ValueError, match="split_heads_projection: each kernel must be"):
        F.split_heads_projection(x, [bw.Tensor(np.zeros((4, 3, 2)))])
    with pytest.raises(ValueError, match="split_heads_projection: x must be"):
        F.split_heads_projection(bw.Tensor(np.zeros((5, 6))), [bw.Tensor(np.zeros((6, 3, 2)))])
    with pytest.raises(ValueError, match="merge_heads_projection: expected context"):
        F.merge_heads_projection(bw.Tensor(np.zeros((2, 3, 5, 4))), bw.Tensor(np.zeros((3, 2, 7))))


@pytest.mark.parametrize("on", [False, True])
def test_multi_head_attention_cross_attention_with_value_dim(on):
    """Query alone, key and value sharing one GEMM (key is value), value_dim != key_dim: the layer
    equals the einsum formulation of Keras's MultiHeadAttention with its weights."""
    rng = np.random.default_rng(13)
    q_in, kv_in = rng.standard_normal((2, 4, 6)), rng.standard_normal((2, 5, 8))
    with kernels.use_kernels(on, families=FAMILY):
        layer = bw.layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=5, dtype="float64")
        out = layer(bw.Tensor(q_in), bw.Tensor(kv_in)).data
    w = {v.path: v.numpy() for v in layer.weights}
    q = np.einsum("bte,ehd->bthd", q_in, w["query/kernel"]) + w["query/bias"]
    k = np.einsum("bse,ehd->bshd", kv_in, w["key/kernel"]) + w["key/bias"]
    v = np.einsum("bse,ehd->bshd", kv_in, w["value/kernel"]) + w["value/bias"]
    logits = np.einsum("bthd,bshd->bhts", q, k) / np.sqrt(3)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    ctx = np.einsum("bhts,bshd->bthd", p, v)
    ref = np.einsum("bthd,hde->bte", ctx, w["attention_output/kernel"]) + w["attention_output/bias"]
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)

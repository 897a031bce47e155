"""Every differentiable op of brickwork.ops passes gradcheck (float64, central differences),
and the new primitives pass it on their own, including the awkward cases: einsum
diagonals and lone summed indices, products with zeros, repeated gathers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import brickwork as bw
import brickwork.ops as ops
import brickwork.random as bw_random
from brickwork import functions as F


def arr(*shape, lo=-1.5, hi=1.5, seed=None):
    seed = abs(hash((shape, lo, hi))) % 2**32 if seed is None else seed
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def away(*shape, margin=0.2, seed=0):
    """Values at least ``margin`` from 0 and from each other (no kinks, no ties)."""
    n = int(np.prod(shape))
    grid = np.linspace(margin, margin * (n + 1), n) * np.where(np.arange(n) % 2, 1, -1)
    return np.random.default_rng(seed).permutation(grid / (margin * n) * 1.5).reshape(shape)


A, B, V = arr(2, 3), arr(2, 3, seed=1), arr(3)
P, Q = arr(2, 3, lo=0.3, hi=1.5), arr(2, 3, lo=0.3, hi=1.5, seed=2)
U = arr(2, 3, lo=-0.8, hi=0.8)
X3 = arr(2, 3, 2)
D = away(2, 3)
IMG = arr(1, 4, 5, 2)
LABELS = np.array([2, 0])
TARGET = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])

CASES = {
    "add": (lambda a, b: ops.add(a, b), A, V), "subtract": (lambda a, b: ops.subtract(a, b), A, B),
    "multiply": (lambda a, b: ops.multiply(a, b), A, V), "divide": (lambda a, b: ops.divide(a, b), A, P),
    "true_divide": (lambda a, b: ops.true_divide(a, b), A, P), "negative": (ops.negative, A),
    "power": (lambda a, b: ops.power(a, b), P, A), "square": (ops.square, A), "reciprocal": (ops.reciprocal, P),
    "divide_no_nan": (lambda a, b: ops.divide_no_nan(a, b), A, P),
    "maximum": (lambda a, b: ops.maximum(a, b), D, -D[::-1]), "minimum": (lambda a, b: ops.minimum(a, b), D, 0.05),
    "clip": (lambda a: ops.clip(a, -0.5, 0.6), D), "abs": (ops.abs, D),
    "exp": (ops.exp, A), "expm1": (ops.expm1, A), "exp2": (ops.exp2, A), "log": (ops.log, P),
    "log1p": (ops.log1p, P), "log2": (ops.log2, P), "log10": (ops.log10, P),
    "logaddexp": (lambda a, b: ops.logaddexp(a, b), A, B), "sqrt": (ops.sqrt, P), "rsqrt": (ops.rsqrt, P),
    "erf": (ops.erf, A), "sin": (ops.sin, A), "cos": (ops.cos, A), "tan": (ops.tan, U), "arcsin": (ops.arcsin, U),
    "arccos": (ops.arccos, U), "arctan": (ops.arctan, A), "arctan2": (lambda a, b: ops.arctan2(a, b), A, P),
    "sinh": (ops.sinh, A), "cosh": (ops.cosh, A), "tanh": (ops.tanh, A), "arcsinh": (ops.arcsinh, A),
    "arccosh": (ops.arccosh, P + 1.2), "arctanh": (ops.arctanh, U),
    "matmul": (lambda a, b: ops.matmul(a, b), X3, arr(2, 4)),
    "einsum": (lambda a, b: ops.einsum("bij,jk->bik", a, b), X3, arr(2, 4)),
    "einsum_diagonal": (lambda a: ops.einsum("iij->ij", a), arr(3, 3, 2)),
    "einsum_lone_index": (lambda a, b: ops.einsum("ij,k->i", a, b), A, V),
    "einsum_ellipsis_bcast": (lambda a, b: ops.einsum("...i,...i->...", a, b), arr(2, 1, 3), arr(4, 3)),
    "einsum_three": (lambda a, b, c: ops.einsum("ij,jk,k->i", a, b, c), A, arr(3, 2), arr(2)),
    "tensordot": (lambda a, b: ops.tensordot(a, b, ([1, 2], [0, 1])), X3, arr(3, 2, 2)),
    "dot": (lambda a, b: ops.dot(a, b), X3, arr(4, 2, 3)), "inner": (lambda a, b: ops.inner(a, b), A, B),
    "outer": (lambda a, b: ops.outer(a, b), V, V[:2]), "vdot": (lambda a, b: ops.vdot(a, b), A, B),
    "trace": (ops.trace, arr(3, 3)),
    "sum": (lambda a: ops.sum(a, axis=(0, 2)), X3), "mean": (lambda a: ops.mean(a, 1, True), X3),
    "max": (lambda a: ops.max(a, axis=1), D), "min": (lambda a: ops.min(a), D),
    "max_initial": (lambda a: ops.max(a, axis=1, initial=0.0), D), "prod": (lambda a: ops.prod(a, axis=1), A),
    "prod_with_zero": (lambda a: ops.prod(a, axis=(0, 1)), np.array([[0.0, 2.0], [-1.5, 0.7]])),
    "logsumexp": (lambda a: ops.logsumexp(a, axis=0), X3), "var": (lambda a: ops.var(a, axis=1), A),
    "std": (lambda a: ops.std(a, axis=(0, 1), keepdims=True), X3), "cumsum": (lambda a: ops.cumsum(a, 1), A),
    "cumsum_flat": (ops.cumsum, A), "cumprod": (lambda a: ops.cumprod(a, 1), A),
    "cumprod_with_zero": (lambda a: ops.cumprod(a, 0), np.array([[0.5, 0.0], [0.0, 1.2], [2.0, -0.7]])),
    "reshape": (lambda a: ops.reshape(a, (3, -1)), X3), "transpose": (lambda a: ops.transpose(a, (1, 2, 0)), X3),
    "expand_dims": (lambda a: ops.expand_dims(a, -1), A), "squeeze": (ops.squeeze, arr(2, 1, 3)),
    "concatenate": (lambda a, b: ops.concatenate([a, b], axis=1), A, B),
    "stack": (lambda a, b: ops.stack([a, b], axis=-1), A, B), "split": (lambda a: ops.split(a, [1], axis=1), A),
    "unstack": (lambda a: ops.unstack(a, axis=1), A), "tile": (lambda a: ops.tile(a, (2, 1, 2)), A),
    "repeat": (lambda a: ops.repeat(a, 2, axis=0), A),
    "repeat_list": (lambda a: ops.repeat(a, np.array([2, 0, 1]), axis=1), A),
    "broadcast_to": (lambda a: ops.broadcast_to(a, (2, 2, 3)), V),
    "pad": (lambda a: ops.pad(a, ((1, 0), (2, 1)), constant_values=0.5), A),
    "pad_reflect": (lambda a: ops.pad(a, ((1, 1), (2, 2)), mode="reflect"), arr(3, 3)),
    "pad_symmetric": (lambda a: ops.pad(a, ((2, 0), (1, 3)), mode="symmetric"), A),
    "flip": (lambda a: ops.flip(a, axis=1), A), "roll": (lambda a: ops.roll(a, 1, axis=1), A),
    "take": (lambda a: ops.take(a, np.array([1, 1, 0]), axis=1), A),
    "take_along_axis": (lambda a: ops.take_along_axis(a, np.array([[0, 0], [2, 1]]), axis=1), A),
    "where": (lambda a, b: ops.where(np.array([[True, False, True], [False, False, True]]), a, b), A, B),
    "moveaxis": (lambda a: ops.moveaxis(a, 0, 2), X3), "swapaxes": (lambda a: ops.swapaxes(a, 0, 1), X3),
    "triu": (lambda a: ops.triu(a), arr(3, 3)), "tril": (lambda a: ops.tril(a, 1), arr(3, 3)),
    "diagonal": (lambda a: ops.diagonal(a), arr(3, 3)),
    "slice": (lambda a: ops.slice(a, (0, 1), (2, 2)), A),
    "slice_update": (lambda a, u: ops.slice_update(a, (1, 1), u), A, arr(1, 2)),
    "cast": (lambda a: ops.cast(a, "float64"), A), "convert_to_tensor": (ops.convert_to_tensor, A),
    "sort": (lambda a: ops.sort(a, axis=1), D), "sort_flat": (lambda a: ops.sort(a, axis=None), D),
    "top_k": (lambda a: ops.top_k(a, 2)[0], D), "norm": (ops.norm, A), "norm_axis": (lambda a: ops.norm(a, axis=1), A),
    "norm_l1": (lambda a: ops.norm(a, 1, axis=0), D), "norm_p3": (lambda a: ops.norm(a, 3, axis=1), D),
    "norm_inf": (lambda a: ops.norm(a, np.inf, axis=1), D), "norm_mat1": (lambda a: ops.norm(a, 1), D),
    "norm_spectral": (lambda a: ops.norm(a, 2), A), "norm_nuc": (lambda a: ops.norm(a, "nuc", axis=(2, 1)), X3),
    "relu": (ops.relu, D), "relu6": (ops.relu6, D * 3), "sigmoid": (ops.sigmoid, A),
    "softmax": (lambda a: ops.softmax(a, axis=0), A), "log_softmax": (ops.log_softmax, A), "gelu": (ops.gelu, A),
    "gelu_exact": (lambda a: ops.gelu(a, approximate=False), A), "silu": (ops.silu, A),
    "softplus": (ops.softplus, A), "softsign": (ops.softsign, D), "leaky_relu": (ops.leaky_relu, D),
    "elu": (ops.elu, D), "selu": (ops.selu, D), "log_sigmoid": (ops.log_sigmoid, A),
    "hard_sigmoid": (ops.hard_sigmoid, D), "hard_silu": (ops.hard_silu, D), "celu": (ops.celu, D),
    "glu": (ops.glu, arr(2, 4)),
    "conv2d_same": (lambda x, w: ops.conv(x, w, strides=2, padding="same"), IMG, arr(3, 3, 2, 2)),
    "conv2d_cf_dilated": (lambda x, w: ops.conv(x, w, dilation_rate=2, data_format="channels_first"),
                          arr(1, 2, 5, 5), arr(2, 2, 2, 1)),
    "conv1d": (lambda x, w: ops.conv(x, w, padding="same"), arr(1, 5, 2), arr(3, 2, 2)),
    "conv_transpose": (lambda x, w: ops.conv_transpose(x, w, 2, "same"), IMG, arr(3, 3, 2, 2)),
    "depthwise_conv": (lambda x, w: ops.depthwise_conv(x, w), IMG, arr(2, 2, 2, 2)),
    "max_pool": (lambda x: ops.max_pool(x, 2, 1, padding="same"), away(1, 4, 5, 2)),
    "average_pool": (lambda x: ops.average_pool(x, 3, 2, padding="same"), IMG),
    "max_pool1d": (lambda x: ops.max_pool(x, 2), away(1, 6, 2)),
    "attention": (lambda q, k, v: ops.dot_product_attention(q, k, v, is_causal=True),
                  arr(1, 3, 2, 2), arr(1, 4, 2, 2), arr(1, 4, 2, 2)),
    "attention_gqa_mask": (lambda q, k, v, b: ops.dot_product_attention(
        q, k, v, bias=b, mask=np.array([[True, False, True], [True, True, False]]), attn_logits_soft_cap=2.0),
        arr(1, 2, 2, 2), arr(1, 3, 1, 2), arr(1, 3, 1, 2), arr(1, 2, 2, 3)),
    "binary_crossentropy": (lambda t, p: ops.binary_crossentropy(t, p), TARGET, P / 2),
    "binary_crossentropy_logits": (lambda t, z: ops.binary_crossentropy(t, z, from_logits=True), TARGET, A),
    "categorical_crossentropy": (lambda t, p: ops.categorical_crossentropy(t, p), TARGET, P),
    "categorical_crossentropy_logits": (lambda t, z: ops.categorical_crossentropy(t, z, True, axis=0), TARGET, A),
    "sparse_categorical_crossentropy": (lambda p: ops.sparse_categorical_crossentropy(LABELS, p), P),
    "sparse_categorical_crossentropy_logits": (
        lambda z: ops.sparse_categorical_crossentropy(np.array([1, 0, 1]), z, True, axis=0), A),
    "moments": (lambda x: ops.moments(x, (0, 2)), X3),
    "batch_normalization": (lambda x, m, v, o, s: ops.batch_normalization(x, m, v, 1, o, s),
                            X3, V, P[0], V[::-1], P[1]),
    "normalize": (ops.normalize, A),
    "fori_loop": (lambda a: ops.fori_loop(0, 3, lambda i, v: ops.multiply(ops.sin(v), i + 1.0), a), A),
    "while_loop": (lambda a: ops.while_loop(lambda i, v: i < 2, lambda i, v: (i + 1, ops.square(v)), (0, a))[1], A),
    "scan": (lambda c, x: ops.scan(lambda c, x: (ops.multiply(c, x), ops.add(c, x)), c, x), V, A),
    "map": (lambda a: ops.map(lambda r: ops.sum(ops.exp(r)), a), A),
    "cond": (lambda a: ops.cond(True, lambda: ops.exp(a), lambda: a), A),
    "resize_bilinear": (lambda x: ops.image.resize(x, (7, 3)), IMG),
    "resize_nearest": (lambda x: ops.image.resize(x, (3, 8), interpolation="nearest"), IMG),
    "resize_bicubic_cf": (lambda x: ops.image.resize(x, (5, 5), interpolation="bicubic",
                                                     data_format="channels_first"), arr(1, 2, 3, 4)),
    "resize_antialias_crop": (lambda x: ops.image.resize(x, (2, 3), antialias=True, crop_to_aspect_ratio=True), IMG),
    "dropout_fixed_seed": (lambda a: bw_random.dropout(a, 0.4, seed=3), A),
    "shuffle_fixed_seed": (lambda a: bw_random.shuffle(a, 1, seed=5), A),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_gradcheck(name):
    fn, *inputs = CASES[name]
    result = bw.gradcheck(fn, *inputs)
    assert result.passed, f"{name}: {result}"


def test_new_primitives_directly():
    for fn, x in [(F.sin, A), (F.cos, A), (F.tan, U), (F.arcsin, U), (F.arccos, U), (F.arctan, A), (F.sinh, A),
                  (F.cosh, A), (F.arcsinh, A), (F.arccosh, P + 1.2), (F.arctanh, U), (F.log1p, P), (F.expm1, A),
                  (F.erf, A), (lambda t: F.cumsum(t, 0), A), (lambda t: F.cumprod(t, 1), A),
                  (lambda t: F.prod(t, 0, True), A), (lambda t: F.logsumexp(t, (0, 1)), A),
                  (lambda t: F.take(t, np.array([[2, -1], [0, 0]]), 1), A),
                  (lambda t: F.take_along_axis(t, np.array([[1], [1]]), 1), A)]:
        result = bw.gradcheck(fn, x)
        assert result.passed and not result.mutated, str(result)
    assert bw.gradcheck(F.arctan2, A, P).passed
    assert bw.gradcheck(lambda a, b: F.einsum("ij,ij->", a, b), A, B).passed


def test_take_along_axis_broadcast_sums_gradient():
    x = bw.Tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)   # (1, 3) broadcast against (2, 2) indices
    F.take_along_axis(x, np.array([[0, 2], [2, 2]]), 1).sum().backward()
    np.testing.assert_allclose(x.grad, [[1.0, 0.0, 3.0]])


NON_DIFFERENTIABLE = {
    "equal": lambda t: ops.equal(t, 0.5), "less": lambda t: ops.less(t, 0.5), "greater": lambda t: ops.greater(t, 0),
    "logical_not": lambda t: ops.logical_not(t), "argmax": ops.argmax, "argmin": lambda t: ops.argmin(t, 1),
    "argsort": ops.argsort, "sign": ops.sign, "floor": ops.floor, "ceil": ops.ceil, "round": ops.round,
    "top_k_indices": lambda t: ops.top_k(t, 2)[1], "one_hot": lambda t: ops.one_hot(ops.argmax(t, 1), 3),
    "stop_gradient": ops.stop_gradient, "cast_int": lambda t: ops.cast(t, "int32"), "isnan": ops.isnan,
    "floor_divide": lambda t: ops.floor_divide(t, 0.3), "zeros_like": ops.zeros_like,
}


@pytest.mark.parametrize("name", sorted(NON_DIFFERENTIABLE))
def test_non_differentiable_ops_return_plain_tensors(name):
    x = bw.Tensor(D, requires_grad=True)
    out = NON_DIFFERENTIABLE[name](x)
    assert isinstance(out, bw.Tensor)
    assert not out.requires_grad and out.creator is None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_dtypes_are_kept(dtype):
    x = A.astype(dtype)
    for fn in (ops.exp, ops.sin, ops.erf, ops.log1p, ops.softmax, ops.gelu, ops.sort, lambda t: ops.cumsum(t, 1),
               lambda t: ops.einsum("ij->j", t), lambda t: ops.add(t, 1.5), lambda t: ops.multiply(2.0, t),
               lambda t: ops.logsumexp(t), lambda t: ops.var(t), lambda t: ops.norm(t),
               lambda t: ops.image.resize(t[None, :, :, None], (3, 3)), lambda t: ops.pad(t, 1, mode="reflect"),
               lambda t: ops.top_k(t, 2)[0], lambda t: ops.tensordot(t, t, ([0], [0]))):
        assert fn(x).dtype == np.dtype(dtype)
        assert fn(bw.Tensor(x)).dtype == np.dtype(dtype)


def test_python_numbers_and_ints_become_floatx():
    assert ops.add(1.5, 2.0).dtype == np.dtype(bw.floatx())
    assert ops.exp(np.arange(3)).dtype == np.dtype(bw.floatx())
    assert ops.divide(np.arange(3), 2).dtype == np.dtype(bw.floatx())
    assert ops.mean(np.arange(4)).dtype == np.dtype(bw.floatx())
    assert ops.add(np.arange(3, dtype=np.int32), 1.5).dtype == np.dtype(bw.floatx())
    assert ops.add(np.arange(3, dtype=np.int32), 1).dtype.kind == "i"
    bw.set_floatx("float64")
    try:
        assert ops.sqrt(2.0).dtype == np.float64 and ops.zeros(2).dtype == np.float64
    finally:
        bw.set_floatx("float32")


def test_gradient_flows_through_a_mixed_graph():
    """A small model written only with ops: gradients reach every input."""
    x = bw.Tensor(arr(2, 3), requires_grad=True)
    w = bw.Tensor(arr(3, 4), requires_grad=True)
    h = ops.gelu(ops.matmul(x, w))
    loss = ops.mean(ops.sparse_categorical_crossentropy(np.array([1, 3]), h, from_logits=True))
    loss.backward()
    assert x.grad is not None and w.grad is not None and np.abs(w.grad).sum() > 0


@st.composite
def einsum_specs(draw):
    """Random subscripts over the letters a-d (repeats within a term allowed) with consistent sizes."""
    sizes = {c: draw(st.integers(1, 3)) for c in "abcd"}
    n_ops = draw(st.integers(1, 3))
    terms = [draw(st.text("abcd", min_size=1, max_size=3)) for _ in range(n_ops)]
    used = sorted(set("".join(terms)))
    out = draw(st.permutations(used).map(lambda p: "".join(p)).flatmap(
        lambda p: st.integers(0, len(p)).map(lambda k: p[:k])))
    return ",".join(terms) + "->" + out, [tuple(sizes[c] for c in t) for t in terms]


@given(spec=einsum_specs(), seed=st.integers(0, 999))
def test_einsum_matches_numpy_and_gradcheck(spec, seed):
    subscripts, shapes = spec
    rng = np.random.default_rng(seed)
    inputs = [rng.uniform(-1, 1, s) for s in shapes]
    np.testing.assert_allclose(ops.einsum(subscripts, *inputs).data, np.einsum(subscripts, *inputs), atol=1e-12)
    result = bw.gradcheck(lambda *t: ops.einsum(subscripts, *t), *inputs)
    assert result.passed, f"{subscripts} {shapes}: {result}"


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), seed=st.integers(0, 999),
       data=st.data())
def test_sort_and_top_k_gradients_match_torch(shape, seed, data):
    import torch

    x = np.random.default_rng(seed).permutation(np.linspace(-2, 2, int(np.prod(shape)))).reshape(shape)
    k = data.draw(st.integers(0, shape[-1]))
    w = np.random.default_rng(seed + 1).normal(size=shape[:-1] + (k,))
    t = torch.tensor(x, requires_grad=True)
    (torch.topk(t, k, dim=-1).values * torch.tensor(w)).sum().backward()
    ours = bw.Tensor(x, requires_grad=True)
    values, indices = ops.top_k(ours, k)
    (values * w).sum().backward()
    np.testing.assert_allclose(values.data, torch.topk(torch.tensor(x), k, dim=-1).values.numpy())
    np.testing.assert_array_equal(indices.data, torch.topk(torch.tensor(x), k, dim=-1).indices.numpy())
    np.testing.assert_allclose(ours.grad, t.grad.numpy())
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    np.testing.assert_allclose(ops.sort(x, axis=axis).data, np.sort(x, axis=axis))

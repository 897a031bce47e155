"""brickwork.ops against keras.ops (Keras 3 on its torch backend) on random inputs.

Every case is a function of the ops namespace, run once with ``brickwork.ops``
and once with ``keras.ops``; the outputs (tensors, tuples or lists of them)
must agree in shape and value, and integer/boolean results in kind.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import brickwork as bw
import brickwork.ops as ops

R = np.random.default_rng(7)


def f32(*shape, lo=-2.0, hi=2.0):
    """Uniform float32 values, the same for the same arguments (cases run once per namespace)."""
    seed = abs(hash((shape, lo, hi))) % 2**32
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(np.float32)


A, B, V = f32(3, 4), f32(3, 4), f32(4)
P, Q = f32(3, 4, lo=0.2, hi=2.0), f32(3, 4, lo=0.2, hi=2.0)
U = f32(3, 4, lo=-0.9, hi=0.9)
X3 = f32(2, 3, 4)
M1, M2 = f32(2, 3, 4), f32(2, 4, 5)
INTS = R.integers(-3, 4, size=(3, 4)).astype(np.int32)
LABELS = R.integers(0, 4, size=(3,)).astype(np.int32)
PROBS = (lambda p: (p / p.sum(-1, keepdims=True)).astype(np.float32))(f32(3, 4, lo=0.1, hi=1.0))
TARGET01 = R.uniform(0, 1, (3, 4)).astype(np.float32)
IMG = f32(2, 6, 8, 3)
IMG_CF = f32(2, 3, 6, 8)
SEQ = f32(2, 9, 3)
K2 = f32(3, 3, 3, 4)
K1 = f32(3, 3, 5)
DW = f32(3, 3, 3, 2)
QH, KH, VH = f32(2, 5, 4, 3), f32(2, 6, 4, 3), f32(2, 6, 4, 3)
KV2 = f32(2, 6, 2, 3)
MASK = R.uniform(size=(2, 1, 5, 6)) > 0.3
MASK[..., 0] = True
BIAS = f32(1, 4, 5, 6)
DISTINCT = R.permutation(np.linspace(-2, 2, 24)).reshape(4, 6).astype(np.float32)

CASES = {
    # arithmetic
    "add": lambda o: o.add(A, V), "add_scalar": lambda o: o.add(A, 1.5), "subtract": lambda o: o.subtract(A, B),
    "multiply": lambda o: o.multiply(A, V), "divide": lambda o: o.divide(A, P),
    "true_divide": lambda o: o.true_divide(A, P), "divide_ints": lambda o: o.divide(INTS, 2),
    "negative": lambda o: o.negative(A), "power": lambda o: o.power(P, A), "power_int": lambda o: o.power(A, 3),
    "square": lambda o: o.square(A), "reciprocal": lambda o: o.reciprocal(P),
    "floor_divide": lambda o: o.floor_divide(A, P), "mod": lambda o: o.mod(A, P),
    "maximum": lambda o: o.maximum(A, B), "minimum": lambda o: o.minimum(A, 0.5),
    "clip": lambda o: o.clip(A, -0.5, 0.7), "abs": lambda o: o.abs(A), "absolute": lambda o: o.absolute(A),
    # comparisons and logic
    "equal": lambda o: o.equal(INTS, 1), "not_equal": lambda o: o.not_equal(INTS, 1),
    "less": lambda o: o.less(A, B), "less_equal": lambda o: o.less_equal(A, B),
    "greater": lambda o: o.greater(A, 0.0), "greater_equal": lambda o: o.greater_equal(A, B),
    "logical_and": lambda o: o.logical_and(A > 0, B > 0), "logical_or": lambda o: o.logical_or(A > 0, B > 0),
    "logical_xor": lambda o: o.logical_xor(A > 0, B > 0), "logical_not": lambda o: o.logical_not(A > 0),
    "isclose": lambda o: o.isclose(A, A + 1e-9), "isnan": lambda o: o.isnan(A), "isfinite": lambda o: o.isfinite(A),
    # transcendental
    "exp": lambda o: o.exp(A), "expm1": lambda o: o.expm1(A), "exp2": lambda o: o.exp2(A),
    "log": lambda o: o.log(P), "log1p": lambda o: o.log1p(P), "log2": lambda o: o.log2(P),
    "log10": lambda o: o.log10(P), "logaddexp": lambda o: o.logaddexp(A, B), "sqrt": lambda o: o.sqrt(P),
    "sqrt_int": lambda o: o.sqrt(np.abs(INTS)), "rsqrt": lambda o: o.rsqrt(P), "erf": lambda o: o.erf(A),
    "sin": lambda o: o.sin(A), "cos": lambda o: o.cos(A), "tan": lambda o: o.tan(U), "arcsin": lambda o: o.arcsin(U),
    "arccos": lambda o: o.arccos(U), "arctan": lambda o: o.arctan(A), "arctan2": lambda o: o.arctan2(A, B),
    "sinh": lambda o: o.sinh(A), "cosh": lambda o: o.cosh(A), "tanh": lambda o: o.tanh(A),
    "arcsinh": lambda o: o.arcsinh(A), "arccosh": lambda o: o.arccosh(P + 1), "arctanh": lambda o: o.arctanh(U),
    # rounding
    "sign": lambda o: o.sign(A), "floor": lambda o: o.floor(A), "ceil": lambda o: o.ceil(A),
    "trunc": lambda o: o.trunc(A), "round": lambda o: o.round(A), "round_2": lambda o: o.round(A, 2),
    "round_half": lambda o: o.round(np.array([0.5, 1.5, 2.5, -0.5], np.float32)),
    # products
    "matmul": lambda o: o.matmul(M1, M2), "matmul_vec": lambda o: o.matmul(A, V),
    "matmul_bcast": lambda o: o.matmul(M1, f32(4, 2)),
    "einsum": lambda o: o.einsum("bij,bjk->bik", M1, M2), "einsum_trace": lambda o: o.einsum("ii->", A[:, :3]),
    "einsum_ellipsis": lambda o: o.einsum("...ij,jk->...ik", X3, f32(4, 2)),
    "einsum_implicit": lambda o: o.einsum("ij,jk", A, f32(4, 2)), "einsum_outer": lambda o: o.einsum("i,j->ij", V, V),
    "tensordot": lambda o: o.tensordot(M1, f32(3, 4, 2), 2),
    "tensordot_pairs": lambda o: o.tensordot(M1, f32(4, 2, 3), ([1, 2], [2, 0])),
    "dot": lambda o: o.dot(A, f32(4, 2)), "dot_vec": lambda o: o.dot(V, V),
    "inner": lambda o: o.inner(A, B), "outer": lambda o: o.outer(V, V[:3]),
    "vdot": lambda o: o.vdot(V, V), "trace": lambda o: o.trace(A),
    # reductions
    "sum": lambda o: o.sum(X3, axis=1), "sum_keep": lambda o: o.sum(X3, axis=(0, 2), keepdims=True),
    "sum_all": lambda o: o.sum(X3), "mean": lambda o: o.mean(X3, axis=-1), "mean_list": lambda o: o.mean(X3, [0, 1]),
    "max": lambda o: o.max(X3, axis=1), "min": lambda o: o.min(X3, axis=0, keepdims=True),
    "max_initial": lambda o: o.max(A, axis=1, initial=1.0), "amax": lambda o: o.amax(A), "amin": lambda o: o.amin(A),
    "prod": lambda o: o.prod(A, axis=1), "prod_all": lambda o: o.prod(P),
    "logsumexp": lambda o: o.logsumexp(X3, axis=1), "logsumexp_keep": lambda o: o.logsumexp(X3, -1, True),
    "var": lambda o: o.var(X3, axis=1), "std": lambda o: o.std(X3, axis=(0, 2)), "var_all": lambda o: o.var(A),
    "argmax": lambda o: o.argmax(DISTINCT, axis=1), "argmin": lambda o: o.argmin(DISTINCT),
    "argmax_keep": lambda o: o.argmax(DISTINCT, axis=0, keepdims=True),
    "any": lambda o: o.any(A > 1.5, axis=0), "all": lambda o: o.all(A > -1.9, axis=1),
    "count_nonzero": lambda o: o.count_nonzero(INTS, axis=0),
    "cumsum": lambda o: o.cumsum(A, axis=1), "cumsum_flat": lambda o: o.cumsum(A),
    "cumprod": lambda o: o.cumprod(A, axis=0),
    # shapes
    "reshape": lambda o: o.reshape(X3, (4, -1)), "transpose": lambda o: o.transpose(X3, (2, 0, 1)),
    "transpose_default": lambda o: o.transpose(X3), "expand_dims": lambda o: o.expand_dims(A, 1),
    "expand_dims_neg": lambda o: o.expand_dims(A, -1), "squeeze": lambda o: o.squeeze(f32(3, 1, 4, 1)),
    "squeeze_axis": lambda o: o.squeeze(f32(3, 1, 4, 1), axis=1),
    "concatenate": lambda o: o.concatenate([A, B], axis=1), "concatenate_0": lambda o: o.concatenate([A, B]),
    "stack": lambda o: o.stack([A, B], axis=1), "split": lambda o: o.split(f32(6, 2), 3),
    "split_idx": lambda o: o.split(f32(6, 2), [1, 4], axis=0),
    "unstack": lambda o: o.unstack(o.convert_to_tensor(A), axis=1),
    "tile": lambda o: o.tile(A, (2, 1)), "tile_grow": lambda o: o.tile(V, (2, 2)),
    "repeat": lambda o: o.repeat(A, 2, axis=1), "repeat_flat": lambda o: o.repeat(A, 2),
    "repeat_list": lambda o: o.repeat(A, np.array([1, 0, 3]), axis=0),
    "broadcast_to": lambda o: o.broadcast_to(V, (3, 4)),
    "pad": lambda o: o.pad(A, ((1, 2), (0, 1))), "pad_const": lambda o: o.pad(A, ((1, 1), (2, 0)), constant_values=2.5),
    "pad_reflect": lambda o: o.pad(A, ((1, 2), (2, 1)), mode="reflect"),
    "flip": lambda o: o.flip(X3, axis=1), "flip_all": lambda o: o.flip(A),
    "roll": lambda o: o.roll(A, 2, axis=1), "roll_flat": lambda o: o.roll(A, -5),
    "take": lambda o: o.take(A, np.array([2, 0, 2]), axis=0), "take_flat": lambda o: o.take(A, np.array([[1, 11]])),
    "take_neg": lambda o: o.take(A, np.array([-1, 0]), axis=1),
    "take_along_axis": lambda o: o.take_along_axis(A, np.argsort(A, axis=1)[:, :2], axis=1),
    "where": lambda o: o.where(A > 0, A, B), "where_scalar": lambda o: o.where(A > 0, A, 0.0),
    "where_indices": lambda o: o.stack(o.where(A > 0)) if o is ops else o.where(A > 0),
    "moveaxis": lambda o: o.moveaxis(X3, 0, -1),
    "swapaxes": lambda o: o.swapaxes(X3, 0, 2), "ravel": lambda o: o.ravel(A),
    "triu": lambda o: o.triu(A), "tril": lambda o: o.tril(A, -1), "triu_k": lambda o: o.triu(X3, 1),
    "diagonal": lambda o: o.diagonal(A, 1), "cast": lambda o: o.cast(A, "int32"),
    "cast_float": lambda o: o.cast(INTS, "float32"), "convert_to_tensor": lambda o: o.convert_to_tensor(A),
    "slice": lambda o: o.slice(A, (1, 1), (2, 2)),
    "slice_update": lambda o: o.slice_update(A, (1, 0), np.ones((2, 2), np.float32)),
    "size": lambda o: o.size(X3),
    # math
    "sort": lambda o: o.sort(DISTINCT), "sort_axis0": lambda o: o.sort(DISTINCT, axis=0),
    "argsort": lambda o: o.argsort(DISTINCT, axis=1), "top_k": lambda o: o.top_k(DISTINCT, 3),
    "one_hot": lambda o: o.one_hot(np.array([0, 2, -1, 1]), 3),
    "one_hot_axis": lambda o: o.one_hot(np.array([[0, 2], [1, 1]]), 3, axis=0),
    "norm": lambda o: o.norm(A), "norm_axis": lambda o: o.norm(A, axis=1), "norm_l1": lambda o: o.norm(A, 1, 0),
    "norm_inf": lambda o: o.norm(V, np.inf), "norm_p3": lambda o: o.norm(A, 3, axis=1, keepdims=True),
    "norm_fro": lambda o: o.norm(A, "fro"), "norm_mat1": lambda o: o.norm(A, 1),
    "norm_matinf": lambda o: o.norm(X3, np.inf, axis=(1, 2)), "in_top_k": lambda o: o.in_top_k(LABELS, A, 2),
    "norm_spectral": lambda o: o.norm(A, 2), "norm_nuc": lambda o: o.norm(X3, "nuc", axis=(2, 1), keepdims=True),
    "norm_minus2": lambda o: o.norm(X3, -2, axis=(0, 2)),
    # constructors
    "arange": lambda o: o.arange(5), "arange_float": lambda o: o.arange(0.0, 1.0, 0.25),
    "arange_step": lambda o: o.arange(2, 11, 3), "zeros": lambda o: o.zeros((2, 3)), "ones": lambda o: o.ones(3),
    "full": lambda o: o.full((2, 2), 7.0), "zeros_like": lambda o: o.zeros_like(A),
    "ones_like": lambda o: o.ones_like(INTS), "full_like": lambda o: o.full_like(A, 3.0),
    "eye": lambda o: o.eye(3, 4, 1), "identity": lambda o: o.identity(3), "linspace": lambda o: o.linspace(0, 1, 7),
    "linspace_open": lambda o: o.linspace(-1.0, 1.0, 4, endpoint=False), "tri": lambda o: o.tri(3, 4, -1),
    # nn activations
    "relu": lambda o: o.relu(A), "relu6": lambda o: o.relu6(A * 4), "sigmoid": lambda o: o.sigmoid(A),
    "softmax": lambda o: o.softmax(X3), "softmax_axis": lambda o: o.softmax(X3, axis=1),
    "log_softmax": lambda o: o.log_softmax(X3, axis=0), "gelu": lambda o: o.gelu(A),
    "gelu_exact": lambda o: o.gelu(A, approximate=False), "silu": lambda o: o.silu(A), "swish": lambda o: o.swish(A),
    "softplus": lambda o: o.softplus(A), "softsign": lambda o: o.softsign(A), "leaky_relu": lambda o: o.leaky_relu(A),
    "leaky_relu_slope": lambda o: o.leaky_relu(A, negative_slope=0.05), "elu": lambda o: o.elu(A, 0.5),
    "selu": lambda o: o.selu(A), "hard_sigmoid": lambda o: o.hard_sigmoid(A * 3),
    "hard_silu": lambda o: o.hard_silu(A * 3), "log_sigmoid": lambda o: o.log_sigmoid(A),
    "celu": lambda o: o.celu(A, 0.7), "glu": lambda o: o.glu(A),
    # nn conv and pooling
    "conv2d": lambda o: o.conv(IMG, K2), "conv2d_same": lambda o: o.conv(IMG, K2, padding="same"),
    "conv2d_strided_same": lambda o: o.conv(IMG, K2, strides=2, padding="same"),
    "conv2d_dilated": lambda o: o.conv(IMG, K2, dilation_rate=2, padding="same"),
    "conv2d_cf": lambda o: o.conv(IMG_CF, K2, strides=(1, 2), data_format="channels_first"),
    "conv2d_grouped": lambda o: o.conv(f32(1, 5, 5, 4), f32(3, 3, 2, 4)),
    "conv1d": lambda o: o.conv(SEQ, K1, strides=2, padding="same"),
    "conv1d_dilated": lambda o: o.conv(SEQ, K1, dilation_rate=2),
    "depthwise_conv": lambda o: o.depthwise_conv(IMG, DW, padding="same"),
    "conv_transpose": lambda o: o.conv_transpose(IMG, f32(3, 3, 5, 3), strides=2),
    "conv_transpose_same": lambda o: o.conv_transpose(IMG, f32(3, 3, 5, 3), strides=2, padding="same"),
    "conv_transpose_same_even": lambda o: o.conv_transpose(IMG, f32(4, 2, 5, 3), strides=(2, 1), padding="same"),
    "conv_transpose_dilated": lambda o: o.conv_transpose(IMG, f32(2, 2, 5, 3), dilation_rate=2),
    "conv_transpose_outpad": lambda o: o.conv_transpose(IMG, f32(3, 3, 5, 3), 2, "same", output_padding=1),
    "conv_transpose_1d": lambda o: o.conv_transpose(SEQ, f32(3, 2, 3), strides=3),
    "conv_transpose_cf": lambda o: o.conv_transpose(IMG_CF, f32(3, 3, 2, 3), 2, data_format="channels_first"),
    "max_pool": lambda o: o.max_pool(IMG, 2), "max_pool_same": lambda o: o.max_pool(IMG, 3, 2, padding="same"),
    "max_pool1d": lambda o: o.max_pool(SEQ, 2, 1), "average_pool": lambda o: o.average_pool(IMG, (2, 3)),
    "average_pool_same": lambda o: o.average_pool(IMG, 3, 1, padding="same"),
    "average_pool1d_same": lambda o: o.average_pool(SEQ, 3, 1, padding="same"),
    "max_pool_cf": lambda o: o.max_pool(IMG_CF, 2, data_format="channels_first"),
    # nn attention, losses, normalisation
    "attention": lambda o: o.dot_product_attention(QH, KH, VH),
    "attention_mask": lambda o: o.dot_product_attention(QH, KH, VH, mask=MASK, scale=0.3),
    "attention_bias": lambda o: o.dot_product_attention(QH, KH, VH, bias=BIAS),
    "attention_causal": lambda o: o.dot_product_attention(QH, KH, VH, is_causal=True),
    "attention_gqa": lambda o: o.dot_product_attention(QH, KV2, KV2),
    "binary_crossentropy": lambda o: o.binary_crossentropy(TARGET01, P / 2.5),
    "binary_crossentropy_logits": lambda o: o.binary_crossentropy(TARGET01, A, from_logits=True),
    "categorical_crossentropy": lambda o: o.categorical_crossentropy(PROBS, P),
    "categorical_crossentropy_logits": lambda o: o.categorical_crossentropy(PROBS, A, from_logits=True),
    "categorical_crossentropy_axis0": lambda o: o.categorical_crossentropy(PROBS.T, A.T, True, axis=0),
    "sparse_categorical_crossentropy": lambda o: o.sparse_categorical_crossentropy(LABELS, PROBS),
    "sparse_categorical_crossentropy_logits": lambda o: o.sparse_categorical_crossentropy(LABELS, A, True),
    "sparse_categorical_crossentropy_keepdim": lambda o: o.sparse_categorical_crossentropy(LABELS[:, None], A, True),
    "moments": lambda o: o.moments(X3, axes=(0, 1)), "moments_keep": lambda o: o.moments(X3, [2], keepdims=True),
    "batch_normalization": lambda o: o.batch_normalization(X3, V, P[0], axis=-1, offset=V, scale=P[1]),
    "batch_normalization_axis1": lambda o: o.batch_normalization(X3, V[:3], P[0, :3], axis=1),
    "normalize": lambda o: o.normalize(A), "normalize_l1": lambda o: o.normalize(A, axis=0, order=1),
    # control flow
    "cond": lambda o: o.cond(A.sum() > 0, lambda: o.exp(A), lambda: o.sin(A)),
    "while_loop": lambda o: o.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, o.multiply(x, 2.0)), (0, A))[1],
    "fori_loop": lambda o: o.fori_loop(0, 4, lambda i, v: o.add(v, o.sin(v)), A),
    "scan": lambda o: o.scan(lambda c, x: (o.add(c, x), o.multiply(c, x)), V, A),
    "scan_reverse": lambda o: o.scan(lambda c, x: (o.add(c, x), c), V, A, reverse=True),
    "map": lambda o: o.map(lambda x: o.sum(o.square(x)), A),
    "switch": lambda o: o.switch(1, [lambda x: o.exp(x), lambda x: o.cos(x)], A),
    "stop_gradient": lambda o: o.stop_gradient(o.convert_to_tensor(A)),
    # image
    "resize_bilinear_up": lambda o: o.image.resize(IMG, (9, 13)),
    "resize_bilinear_down": lambda o: o.image.resize(IMG, (4, 3)),
    "resize_nearest": lambda o: o.image.resize(IMG, (9, 5), interpolation="nearest"),
    "resize_bicubic": lambda o: o.image.resize(IMG, (7, 11), interpolation="bicubic"),
    "resize_antialias": lambda o: o.image.resize(IMG, (3, 3), antialias=True),
    "resize_antialias_bicubic": lambda o: o.image.resize(IMG, (4, 5), interpolation="bicubic", antialias=True),
    "resize_single": lambda o: o.image.resize(IMG[0], (3, 10)),
    "resize_cf": lambda o: o.image.resize(IMG_CF, (4, 4), data_format="channels_first"),
    "resize_crop": lambda o: o.image.resize(IMG, (4, 4), crop_to_aspect_ratio=True),
    "resize_uint8": lambda o: o.image.resize((IMG * 60 + 128).astype(np.uint8), (5, 11), interpolation="bicubic"),
    "resize_pad": lambda o: o.image.resize(IMG, (4, 4), pad_to_aspect_ratio=True, fill_value=0.5),
}


# Where Keras's torch backend departs from its documented (NumPy / TensorFlow) semantics or fails,
# NumPy is the oracle: 'symmetric' padding (torch replicates the edge), N-D ``dot`` and ``vdot``, and
# 'same' average pooling with uneven padding (torch counts the cells it padded by hand).
def _avg_pool_reference(x, pool, stride, pads):
    n, h, w, c = x.shape
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    ones = np.pad(np.ones((h, w)), pads)
    ho, wo = (xp.shape[1] - pool) // stride + 1, (xp.shape[2] - pool) // stride + 1
    out = np.zeros((n, ho, wo, c))
    for i in range(ho):
        for j in range(wo):
            win = (slice(i * stride, i * stride + pool), slice(j * stride, j * stride + pool))
            out[:, i, j] = xp[:, win[0], win[1]].sum(axis=(1, 2)) / ones[win].sum()
    return out


NUMPY_CASES = {
    "pad_symmetric": (lambda: ops.pad(A, ((2, 0), (1, 3)), mode="symmetric"),
                      lambda: np.pad(A, ((2, 0), (1, 3)), mode="symmetric")),
    "pad_edge": (lambda: ops.pad(A, ((0, 2), (3, 1)), mode="edge"), lambda: np.pad(A, ((0, 2), (3, 1)), mode="edge")),
    "pad_wrap": (lambda: ops.pad(A, ((1, 2), (3, 1)), mode="wrap"), lambda: np.pad(A, ((1, 2), (3, 1)), mode="wrap")),
    "pad_int": (lambda: ops.pad(A, 1), lambda: np.pad(A, 1)),
    "dot_nd": (lambda: ops.dot(X3, f32(5, 4, 2)), lambda: np.dot(X3, f32(5, 4, 2))),
    "vdot_2d": (lambda: ops.vdot(A, B), lambda: np.vdot(A, B)),
    "average_pool_uneven_same": (lambda: ops.average_pool(IMG, 3, 2, padding="same"),
                                 lambda: _avg_pool_reference(IMG, 3, 2, ((0, 1), (0, 1)))),
    "einsum_broadcast_ellipsis": (lambda: ops.einsum("...i,...i->...", f32(2, 1, 3), f32(4, 3)),
                                  lambda: np.einsum("...i,...i->...", f32(2, 1, 3), f32(4, 3))),
}


@pytest.mark.parametrize("name", sorted(NUMPY_CASES))
def test_matches_numpy_where_keras_torch_departs(name):
    ours, reference = NUMPY_CASES[name]
    np.testing.assert_allclose(ours().data, reference(), rtol=1e-5, atol=1e-5, err_msg=name)


def _flatten(out):
    if isinstance(out, (tuple, list)):
        return [leaf for part in out for leaf in _flatten(part)]
    return [out]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    ours = _flatten(CASES[name](ops))
    theirs = _flatten(CASES[name](keras.ops))
    assert len(ours) == len(theirs), name
    for a, b in zip(ours, theirs):
        assert isinstance(a, bw.Tensor), f"{name} returned {type(a).__name__}, not a brickwork Tensor"
        expected = np.asarray(keras.ops.convert_to_numpy(b))
        assert a.shape == expected.shape, f"{name}: shape {a.shape} vs Keras {expected.shape}"
        if expected.dtype.kind in "biu":
            assert a.dtype.kind == expected.dtype.kind or (a.dtype.kind in "iu" and expected.dtype.kind in "iu"), \
                f"{name}: dtype {a.dtype} vs Keras {expected.dtype}"
            np.testing.assert_array_equal(a.data, expected, err_msg=name)
        else:
            assert a.dtype.kind == "f", f"{name}: dtype {a.dtype} vs Keras {expected.dtype}"
            scale = max(float(np.max(np.abs(expected), initial=0.0)), 1.0)
            np.testing.assert_allclose(a.data, expected, rtol=2e-5, atol=2e-5 * scale, err_msg=name)


def test_namespaces_mirror_keras():
    for sub in ("numpy", "nn", "math", "linalg", "core", "image"):
        assert hasattr(ops, sub)
    for name in ("relu", "conv", "dot_product_attention", "sparse_categorical_crossentropy"):
        assert getattr(ops.nn, name) is getattr(ops, name)
    for name in ("einsum", "take_along_axis", "linspace", "tril"):
        assert getattr(ops.numpy, name) is getattr(ops, name)
    assert ops.math.top_k is ops.top_k and ops.linalg.norm is ops.norm and ops.image.resize
    required = sorted({name for name in CASES if hasattr(keras.ops, name)} | {
        "cond", "while_loop", "fori_loop", "scan", "stop_gradient", "convert_to_numpy", "shape", "ndim", "size",
        "gelu", "dot_product_attention", "conv", "max_pool", "average_pool", "moments", "batch_normalization"})
    assert [n for n in required if not hasattr(ops, n)] == []


def test_shape_ndim_convert_to_numpy():
    t = ops.convert_to_tensor(X3)
    assert ops.shape(t) == keras.ops.shape(keras.ops.convert_to_tensor(X3)) == (2, 3, 4)
    assert ops.ndim(X3) == 3
    arr = ops.convert_to_numpy(t)
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float32
    arr[0, 0, 0] = 99.0
    assert t.data[0, 0, 0] != 99.0


def test_keras_ops_signatures_match():
    import inspect

    names = ["clip", "pad", "take", "take_along_axis", "where", "split", "repeat", "cumsum", "one_hot", "top_k",
             "norm", "max", "conv", "max_pool", "average_pool", "dot_product_attention", "binary_crossentropy",
             "categorical_crossentropy", "sparse_categorical_crossentropy", "moments", "batch_normalization",
             "gelu", "leaky_relu", "scan", "while_loop", "fori_loop", "cond", "arange", "linspace", "eye", "tri",
             "slice", "einsum", "tensordot", "logsumexp", "var", "std", "argmax", "round", "cast",
             "convert_to_tensor", "softmax", "log_softmax", "prod", "roll", "flip", "tile", "expand_dims",
             "conv_transpose", "depthwise_conv", "sort", "norm", "one_hot", "full", "zeros", "squeeze"]
    for name in names:
        ours = list(inspect.signature(getattr(ops, name)).parameters.items())
        theirs = list(inspect.signature(getattr(keras.ops, name)).parameters.items())
        assert [(k, p.default) for k, p in ours] == [(k, p.default) for k, p in theirs], name
    ours = inspect.signature(ops.image.resize).parameters
    theirs = inspect.signature(keras.ops.image.resize).parameters
    assert [(k, p.default) for k, p in ours.items()] == [(k, p.default) for k, p in theirs.items()]

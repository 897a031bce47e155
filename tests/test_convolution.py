"""Convolution and pooling: gradcheck over random geometry, PyTorch parity, layers and seed 002's models."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from helpers import assert_close, seeded
from hypothesis import given
from hypothesis import strategies as st

import brickwork as bw
from brickwork import functions as F
from brickwork import layers, models


def nchw(a):
    return np.ascontiguousarray(np.moveaxis(a, -1, 1))


def nhwc(t):
    return np.moveaxis(t.detach().numpy(), 1, -1)


@st.composite
def conv_geometry(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    d = (1, 1) if s != (1, 1) else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    groups = draw(st.sampled_from([1, 2]))
    pads = ((draw(st.integers(0, 1)), draw(st.integers(0, 1))), (draw(st.integers(0, 1)), draw(st.integers(0, 1))))
    h = draw(st.integers((k[0] - 1) * d[0] + 1, 6))
    w = draw(st.integers((k[1] - 1) * d[1] + 1, 6))
    return k, s, d, groups, pads, h, w


@given(geo=conv_geometry(), seed=st.integers(0, 999))
def test_conv2d_gradcheck(geo, seed):
    k, s, d, g, pads, h, w = geo
    rng = seeded(seed)
    x, kern, b = rng.standard_normal((2, h, w, 2 * g)), rng.standard_normal(k + (2, 2 * g)), rng.standard_normal(2 * g)
    result = bw.gradcheck(lambda a, c, e: F.conv2d(a, c, e, s, pads, d, g), x, kern, b)
    assert result.passed, str(result)


@given(geo=conv_geometry(), seed=st.integers(0, 999))
def test_conv2d_transpose_and_pooling_gradcheck(geo, seed):
    k, s, d, _, pads, h, w = geo
    rng = seeded(seed)
    x, kern = rng.standard_normal((2, h, w, 2)), rng.standard_normal(k + (3, 2))
    assert bw.gradcheck(lambda a, c: F.conv2d_transpose(a, c, None, s, d), x, kern)
    pool_pads = tuple((min(p[0], kk // 2), min(p[1], kk // 2)) for p, kk in zip(pads, k))
    distinct = rng.permutation(np.arange(2 * h * w * 2, dtype=float)).reshape(2, h, w, 2) / 10  # no ties
    assert bw.gradcheck(lambda a: F.max_pool2d(a, k, s, pool_pads), distinct)
    assert bw.gradcheck(lambda a: F.avg_pool2d(a, k, s, pool_pads), x)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("geo", [((3, 3), (1, 1), (1, 1), 1, ((1, 1), (1, 1))),
                                 ((3, 2), (2, 1), (1, 1), 2, ((0, 1), (1, 0))),
                                 ((2, 3), (1, 1), (2, 2), 4, ((0, 0), (0, 0)))])
def test_conv2d_matches_torch(dtype, geo):
    k, s, d, g, pads = geo
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal((2, 7, 8, 4)).astype(dtype), rng.standard_normal(k + (4 // g, 8)).astype(dtype),
               rng.standard_normal(8).astype(dtype))
    xt, wt, bt = (bw.Tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(xt, wt, bt, s, pads, d, g)
    tx = torch.tensor(nchw(x), requires_grad=True)
    tw = torch.tensor(np.ascontiguousarray(w.transpose(3, 2, 0, 1)), requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    ty = tF.conv2d(tF.pad(tx, (pads[1][0], pads[1][1], pads[0][0], pads[0][1])), tw, tb, stride=s, dilation=d,
                   groups=g)
    assert_close(y, nhwc(ty), dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    y.backward(gy)
    ty.backward(torch.tensor(nchw(gy)))
    assert_close(xt.grad, nhwc(tx.grad), dtype)
    assert_close(wt.grad, tw.grad.numpy().transpose(2, 3, 1, 0), dtype)
    assert_close(bt.grad, tb.grad, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("s,d", [((1, 1), (1, 1)), ((2, 2), (1, 1)), ((2, 3), (2, 1))])
def test_conv2d_transpose_matches_torch(dtype, s, d):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 4, 5, 3)).astype(dtype), rng.standard_normal((3, 2, 6, 3)).astype(dtype)
    xt, wt = bw.Tensor(x, requires_grad=True), bw.Tensor(w, requires_grad=True)
    y = F.conv2d_transpose(xt, wt, None, s, d)
    tx = torch.tensor(nchw(x), requires_grad=True)
    tw = torch.tensor(np.ascontiguousarray(w.transpose(3, 2, 0, 1)), requires_grad=True)  # (in, out, kh, kw)
    ty = tF.conv_transpose2d(tx, tw, stride=s, dilation=d)
    assert_close(y, nhwc(ty), dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    y.backward(gy)
    ty.backward(torch.tensor(nchw(gy)))
    assert_close(xt.grad, nhwc(tx.grad), dtype)
    assert_close(wt.grad, tw.grad.numpy().transpose(2, 3, 1, 0), dtype)


@pytest.mark.parametrize("pool,stride,pad", [((2, 2), (2, 2), 0), ((3, 3), (2, 2), 1), ((3, 2), (1, 2), 0)])
def test_pooling_matches_torch(pool, stride, pad):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 7, 8, 3))
    pads = ((pad, pad), (pad, pad))
    for ours, theirs in ((F.max_pool2d, lambda t: tF.max_pool2d(t, pool, stride, padding=pad)),
                         (F.avg_pool2d, lambda t: tF.avg_pool2d(t, pool, stride, padding=pad,
                                                                count_include_pad=False))):
        xt = bw.Tensor(x, requires_grad=True)
        tx = torch.tensor(nchw(x), requires_grad=True)
        y, ty = ours(xt, pool, stride, pads), theirs(tx)
        assert_close(y, nhwc(ty), np.float64)
        gy = rng.standard_normal(y.shape)
        y.backward(gy)
        ty.backward(torch.tensor(nchw(gy)))
        assert_close(xt.grad, nhwc(tx.grad), np.float64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv1d_layer_matches_torch_with_causal_and_same_padding(dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 9, 3)).astype(dtype)
    for padding, dilation, stride in (("valid", 1, 2), ("same", 1, 1), ("causal", 2, 1)):
        layer = layers.Conv1D(4, 3, strides=stride, padding=padding, dilation_rate=dilation,
                              dtype=np.dtype(dtype).name)
        xt = bw.Tensor(x, requires_grad=True)
        y = layer(xt)
        w = torch.tensor(layer.kernel.data.transpose(2, 1, 0).copy(), requires_grad=True)
        b = torch.tensor(layer.bias.data, requires_grad=True)
        left = {"valid": 0, "same": 1, "causal": 2 * dilation}[padding]
        right = {"valid": 0, "same": 1, "causal": 0}[padding]
        tx = torch.tensor(x.transpose(0, 2, 1).copy(), requires_grad=True)
        ty = tF.conv1d(tF.pad(tx, (left, right)), w, b, stride=stride, dilation=dilation)
        assert_close(y, ty.detach().numpy().transpose(0, 2, 1), dtype, padding)
        gy = rng.standard_normal(y.shape).astype(dtype)
        y.backward(gy)
        ty.backward(torch.tensor(gy.transpose(0, 2, 1).copy()))
        assert_close(xt.grad, tx.grad.numpy().transpose(0, 2, 1), dtype, padding)
        assert_close(layer.kernel.grad, w.grad.numpy().transpose(2, 1, 0), dtype, padding)
        assert_close(layer.bias.grad, b.grad, dtype, padding)


def layer_gradcheck(layer, x, training=False):
    layer(x)
    for v in layer.trainable_weights:
        v.data[...] = np.random.default_rng(0).uniform(-1, 1, v.shape)
    result = bw.gradcheck(lambda t: layer(t, training=training), x, params=layer.trainable_weights)
    assert result.passed, f"{layer.name}: {result}"


@given(seed=st.integers(0, 999), padding=st.sampled_from(["valid", "same"]), strides=st.integers(1, 2),
       fmt=st.sampled_from(["channels_last", "channels_first"]), dilation=st.integers(1, 2))
def test_conv_layers_gradcheck(seed, padding, strides, fmt, dilation):
    rng = seeded(seed)
    x4 = rng.standard_normal((2, 5, 6, 2) if fmt == "channels_last" else (2, 2, 5, 6))
    dilation = dilation if strides == 1 else 1
    layer_gradcheck(layers.Conv2D(3, 3, strides=strides, padding=padding, data_format=fmt, activation="tanh",
                                  dilation_rate=dilation, dtype="float64"), x4)
    # a smooth activation: relu's kink made finite differences fail for some seeds (e.g. 878)
    layer_gradcheck(layers.Conv2D(4, 2, padding=padding, data_format=fmt, groups=2, activation="sigmoid",
                                  dtype="float64"), x4)
    layer_gradcheck(layers.Conv1D(3, 3, padding="causal", dilation_rate=dilation, dtype="float64"),
                    rng.standard_normal((2, 7, 3)))
    layer_gradcheck(layers.Conv2DTranspose(2, 3, strides=strides, padding=padding, data_format=fmt,
                                           dtype="float64"), x4)
    layer_gradcheck(layers.DepthwiseConv2D(2, padding=padding, depth_multiplier=2, data_format=fmt,
                                           dtype="float64"), x4)
    layer_gradcheck(layers.SeparableConv2D(3, 2, strides=strides, padding=padding, data_format=fmt,
                                           dtype="float64"), x4)
    layer_gradcheck(layers.Conv1D(3, 2, strides=strides, padding=padding, dtype="float64"),
                    rng.standard_normal((2, 7, 3)))
    for layer in (layers.AveragePooling2D(2, padding=padding, data_format=fmt, dtype="float64"),
                  layers.GlobalAveragePooling2D(data_format=fmt, dtype="float64"),
                  layers.UpSampling2D((2, 3), data_format=fmt, dtype="float64"),
                  layers.ZeroPadding2D(((1, 0), (2, 1)), data_format=fmt, dtype="float64"),
                  layers.Cropping2D(((1, 0), (2, 1)), data_format=fmt, dtype="float64"),
                  layers.SpatialDropout2D(0.5, data_format=fmt, dtype="float64")):
        layer_gradcheck(layer, x4)
    x3 = rng.standard_normal((2, 6, 3))
    for layer in (layers.AveragePooling1D(2, padding=padding, dtype="float64"),
                  layers.GlobalAveragePooling1D(dtype="float64"), layers.UpSampling1D(3, dtype="float64"),
                  layers.ZeroPadding1D((1, 2), dtype="float64"), layers.Cropping1D((1, 2), dtype="float64")):
        layer_gradcheck(layer, x3)
    distinct = rng.permutation(np.arange(x4.size, dtype=float)).reshape(x4.shape) / 7
    for layer in (layers.MaxPooling2D(2, padding=padding, data_format=fmt, dtype="float64"),
                  layers.GlobalMaxPooling2D(data_format=fmt, dtype="float64")):
        layer_gradcheck(layer, distinct)
    layer_gradcheck(layers.MaxPooling1D(2, padding=padding, dtype="float64"), distinct.reshape(2, -1, 2))


def test_output_shapes_match_keras_rules():
    x = layers.Input(shape=(28, 28, 1))
    assert layers.Conv2D(32, 3)(x).shape == (None, 26, 26, 32)
    assert layers.Conv2D(32, 3, strides=2, padding="same")(x).shape == (None, 14, 14, 32)
    assert layers.MaxPooling2D()(layers.Conv2D(8, 3)(x)).shape == (None, 13, 13, 8)
    assert layers.MaxPooling2D(3, strides=2, padding="same")(x).shape == (None, 14, 14, 1)
    assert layers.Conv2DTranspose(4, 3, strides=2)(x).shape == (None, 57, 57, 4)
    assert layers.Conv2DTranspose(4, 3, strides=2, padding="same")(x).shape == (None, 56, 56, 4)
    assert layers.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1)(x).shape == (None, 56, 56, 4)
    assert layers.GlobalAveragePooling2D()(x).shape == (None, 1)
    assert layers.UpSampling2D()(x).shape == (None, 56, 56, 1)
    seq = layers.Input(shape=(50, 37))
    assert layers.Conv1D(16, 5, padding="causal")(seq).shape == (None, 50, 16)
    assert layers.GlobalMaxPooling1D()(layers.Conv1D(16, 5)(seq)).shape == (None, 16)
    # the symbolic shapes agree with what the layers compute
    model = models.Model(x, layers.Conv2DTranspose(4, 3, strides=2, padding="same")(layers.Conv2D(3, 3)(x)))
    assert model.predict(np.zeros((1, 28, 28, 1)), verbose=0).shape == (1, 52, 52, 4)


SHARED_INPUT = """
# Shared Input Layer
from brickwork.utils import plot_model
from brickwork.models import Model
from brickwork.layers import Input, Dense, Flatten
from brickwork.layers.convolutional import Conv2D
from brickwork.layers.pooling import MaxPooling2D
from brickwork.layers.merge import concatenate
# input layer
visible = Input(shape=(64,64,1))
# first feature extractor
conv1 = Conv2D(32, kernel_size=4, activation='relu')(visible)
pool1 = MaxPooling2D(pool_size=(2, 2))(conv1)
flat1 = Flatten()(pool1)
# second feature extractor
conv2 = Conv2D(16, kernel_size=8, activation='relu')(visible)
pool2 = MaxPooling2D(pool_size=(2, 2))(conv2)
flat2 = Flatten()(pool2)
# merge feature extractors
merge = concatenate([flat1, flat2])
# interpretation layer
hidden1 = Dense(10, activation='relu')(merge)
# prediction output
output = Dense(1, activation='sigmoid')(hidden1)
model = Model(inputs=visible, outputs=output)
"""

MULTIPLE_INPUTS = """
# Multiple Inputs
from brickwork.utils import plot_model
from brickwork.models import Model
from brickwork.layers import Input
from brickwork.layers import Dense
from brickwork.layers import Flatten
from brickwork.layers.convolutional import Conv2D
from brickwork.layers.pooling import MaxPooling2D
from brickwork.layers.merge import concatenate
# first input model
visible1 = Input(shape=(64,64,1))
conv11 = Conv2D(32, kernel_size=4, activation='relu')(visible1)
pool11 = MaxPooling2D(pool_size=(2, 2))(conv11)
conv12 = Conv2D(16, kernel_size=4, activation='relu')(pool11)
pool12 = MaxPooling2D(pool_size=(2, 2))(conv12)
flat1 = Flatten()(pool12)
# second input model
visible2 = Input(shape=(32,32,3))
conv21 = Conv2D(32, kernel_size=4, activation='relu')(visible2)
pool21 = MaxPooling2D(pool_size=(2, 2))(conv21)
conv22 = Conv2D(16, kernel_size=4, activation='relu')(pool21)
pool22 = MaxPooling2D(pool_size=(2, 2))(conv22)
flat2 = Flatten()(pool22)
# merge input models
merge = concatenate([flat1, flat2])
# interpretation model
hidden1 = Dense(10, activation='relu')(merge)
hidden2 = Dense(10, activation='relu')(hidden1)
output = Dense(1, activation='sigmoid')(hidden2)
model = Model(inputs=[visible1, visible2], outputs=output)
"""


def test_seed_002_conv_models_build_train_and_count_like_keras(tmp_path):
    rng = np.random.default_rng(0)
    # Keras's counts, from the layer shapes: conv 4*4*1*32+32, conv 8*8*1*16+16, dense (28800+12544)*10+10, 11
    ns = {}
    exec(compile(SHARED_INPUT, "<seed002>", "exec"), ns)  # noqa: S102 - the seed's own code
    model = ns["model"]
    assert model.count_params() == 544 + 1040 + 413_450 + 11 == 415_045
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(rng.random((8, 64, 64, 1)), rng.integers(0, 2, 8), epochs=1, batch_size=4, verbose=0)
    ns["plot_model"](model, to_file=str(tmp_path / "shared.png"))
    ns = {}
    exec(compile(MULTIPLE_INPUTS, "<seed002>", "exec"), ns)  # noqa: S102
    model = ns["model"]
    assert model.count_params() == 544 + 8208 + 1568 + 8208 + 31_050 + 110 + 11 == 49_699
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit([rng.random((8, 64, 64, 1)), rng.random((8, 32, 32, 3))], rng.integers(0, 2, 8), epochs=1,
              batch_size=4, verbose=0)
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 49,699" in "\n".join(lines)


def test_conv_layer_configs_roundtrip():
    import json

    for layer in (layers.Conv2D(4, 3, strides=2, padding="same", dilation_rate=1, groups=2, activation="relu"),
                  layers.Conv1D(2, 5, padding="causal", dilation_rate=2), layers.Conv2DTranspose(3, 2, strides=2),
                  layers.DepthwiseConv2D(3, depth_multiplier=2), layers.SeparableConv2D(5, 3),
                  layers.MaxPooling2D(3, strides=2, padding="same"), layers.GlobalAveragePooling1D(keepdims=True),
                  layers.ZeroPadding2D(2), layers.Cropping2D(((1, 2), (0, 1))), layers.UpSampling1D(3),
                  layers.SpatialDropout2D(0.2)):
        cfg = json.loads(json.dumps(layer.get_config()))
        assert type(layer).from_config(cfg).get_config() == layer.get_config()


def test_conv_errors_name_the_layer():
    with pytest.raises(ValueError, match="Invalid padding 'causal'"):
        layers.Conv2D(4, 3, padding="causal")
    with pytest.raises(ValueError, match=r"Input 0 of layer 'c2'.*expected ndim=4.*\(2, 5, 5\)"):
        layers.Conv2D(4, 3, name="c2")(np.zeros((2, 5, 5), np.float32))
    with pytest.raises(ValueError, match="does not fit"):
        layers.Conv2D(4, 5)(np.zeros((1, 3, 3, 1), np.float32))
    with pytest.raises(ValueError, match="groups"):
        layers.Conv2D(4, 3, groups=3)


@pytest.mark.parametrize("kernel,stride,size", [(3, 2, 12), (3, 2, 10), (4, 2, 8), (5, 3, 12), (3, 1, 7)])
def test_same_transposed_conv_is_the_adjoint_of_same_conv(kernel, stride, size):
    """<conv(x), y> = <x, conv_transpose(y)> for an input of size ``out * stride`` (the size a
    'same' transposed convolution produces): TensorFlow's (and JAX's) semantics."""
    rng = np.random.default_rng(kernel * 10 + stride)
    x = rng.standard_normal((2, size, size, 3))
    w = rng.standard_normal((kernel, kernel, 3, 4))
    conv = layers.Conv2D(4, kernel, strides=stride, padding="same", use_bias=False, dtype="float64")
    conv(x)
    conv.kernel.assign(w)
    y = rng.standard_normal(conv(x).shape)
    deconv = layers.Conv2DTranspose(3, kernel, strides=stride, padding="same", use_bias=False, dtype="float64")
    deconv(y)
    deconv.kernel.assign(w)  # the transposed kernel layout (kh, kw, filters, in) is the same array
    back = deconv(y).data
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(conv(x).data * y), np.sum(x * back), rtol=1e-10)

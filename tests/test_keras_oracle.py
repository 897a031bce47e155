"""Real Keras 3 (PyTorch backend, a test-only oracle) rebuilt from brickwork's own
layer configs: same parameter counts, same outputs with the weights copied across."""

from __future__ import annotations

import keras  # noqa: E402  (a test extra; conftest selects the PyTorch backend)
import numpy as np
import pytest

import brickwork as bw
from brickwork import layers
from brickwork.layers.input_layer import InputLayer
from brickwork.layers.symbolic import SymbolicTensor, flatten, map_structure


def to_keras(model):
    """Mirror a brickwork Functional model in Keras, layer by layer, from ``get_config()``."""
    tensors, made = {}, {}
    for t in model.inputs:
        tensors[id(t)] = keras.Input(shape=t.shape[1:], dtype=str(t.dtype))
    for node in model._nodes:
        layer = node.layer
        if isinstance(layer, InputLayer):
            continue
        if id(layer) not in made:
            cfg = {k: v for k, v in layer.get_config().items() if k != "batch_input_shape"}
            made[id(layer)] = getattr(keras.layers, type(layer).__name__).from_config(cfg)
        args = map_structure(lambda v: tensors[id(v)] if isinstance(v, SymbolicTensor) else v, list(node.args))
        out = made[id(layer)](*args)
        for sym, value in zip(node.outputs, flatten(out)):
            tensors[id(sym)] = value
    kmodel = keras.Model([tensors[id(t)] for t in model.inputs], [tensors[id(t)] for t in model.outputs])
    for node in model._nodes:
        if id(node.layer) in made:
            made[id(node.layer)].set_weights(node.layer.get_weights())
    return kmodel


def check(model, *inputs, rtol=1e-4):
    kmodel = to_keras(model)
    assert kmodel.count_params() == model.count_params()
    ours = model.predict(list(inputs) if len(inputs) > 1 else inputs[0], verbose=0)
    theirs = kmodel.predict(list(inputs) if len(inputs) > 1 else inputs[0], verbose=0)
    for a, b in zip(flatten(ours) if isinstance(ours, list) else [ours],
                    flatten(theirs) if isinstance(theirs, list) else [theirs]):
        np.testing.assert_allclose(a, np.asarray(b), rtol=rtol, atol=rtol * max(1.0, float(np.abs(b).max())))


def randomize(model, seed=0):
    """Non-trivial weights everywhere (batch-norm statistics included)."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if "variance" in w.name:
            w.assign(rng.uniform(0.5, 1.5, w.shape))
        else:
            w.assign(rng.uniform(-0.5, 0.5, w.shape))


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2])
def test_conv_and_pool_layers_match_keras(padding, strides):
    rng = np.random.default_rng(1)
    inp = layers.Input(shape=(11, 10, 3))
    a = layers.Conv2D(4, 3, strides=strides, padding=padding, activation="relu")(inp)
    b = layers.SeparableConv2D(5, 3, strides=strides, padding=padding, depth_multiplier=2)(inp)
    c = layers.DepthwiseConv2D(3, strides=strides, padding=padding, depth_multiplier=2)(inp)
    # Keras's PyTorch backend crops 'same' transposed convolutions differently from its TensorFlow and JAX
    # backends when the padding is odd (stride 2, kernel 3); brickwork follows TF/JAX (checked in
    # test_convolution.py as the exact adjoint of Conv2D), so that case is left out of this comparison.
    d = layers.Conv2DTranspose(3, 3 if (padding, strides) != ("same", 2) else 4, strides=strides,
                               padding=padding)(inp)
    e = layers.MaxPooling2D(3, strides=strides, padding=padding)(inp)
    # Likewise the PyTorch backend counts 'same' padding cells in average pooling; TF/JAX (and brickwork,
    # see test_convolution.py::test_pooling_matches_torch) average over the cells inside the image only.
    f = layers.AveragePooling2D(3, strides=strides, padding="valid")(inp)
    g = layers.Conv2D(4, 3, padding=padding, dilation_rate=2, groups=1)(inp)
    model = bw.models.Model(inp, [a, b, c, d, e, f, g])
    randomize(model)
    check(model, rng.standard_normal((2, 11, 10, 3)).astype(np.float32))


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_conv1d_pool1d_match_keras(padding):
    rng = np.random.default_rng(2)
    inp = layers.Input(shape=(13, 3))
    a = layers.Conv1D(4, 3, padding=padding, dilation_rate=2)(inp)
    b = layers.Conv1D(4, 4, strides=2 if padding != "causal" else 1, padding=padding)(inp)
    pool_padding = "same" if padding == "same" else "valid"
    c = layers.MaxPooling1D(3, strides=2, padding=pool_padding)(inp)
    d = layers.GlobalAveragePooling1D()(a)
    e = layers.UpSampling1D(2)(inp)
    f = layers.Cropping1D((1, 2))(inp)
    g = layers.ZeroPadding1D((2, 1))(inp)
    model = bw.models.Model(inp, [a, b, c, d, e, f, g])
    randomize(model)
    check(model, rng.standard_normal((2, 13, 3)).astype(np.float32))


def test_transposed_conv_output_padding_and_2d_utilities_match_keras():
    rng = np.random.default_rng(3)
    inp = layers.Input(shape=(7, 6, 2))
    outs = [layers.Conv2DTranspose(3, 4, strides=2, padding="same", output_padding=0)(inp),
            layers.Conv2DTranspose(3, 4, strides=3, padding="valid")(inp),
            layers.UpSampling2D((2, 3))(inp), layers.ZeroPadding2D(((1, 2), (0, 1)))(inp),
            layers.Cropping2D(((1, 0), (2, 1)))(inp), layers.GlobalMaxPooling2D()(inp),
            layers.Conv2D(2, 3, data_format="channels_first", padding="same")(layers.Permute((3, 1, 2))(inp))]
    model = bw.models.Model(inp, outs)
    randomize(model)
    check(model, rng.standard_normal((2, 7, 6, 2)).astype(np.float32))


@pytest.mark.parametrize("builder", ["small_cnn", "small_resnet", "small_inception", "fcn", "resnet1d"])
def test_applications_match_keras(builder):
    rng = np.random.default_rng(4)
    if builder in ("fcn", "resnet1d"):
        model = getattr(bw.applications, builder)((24, 2), 3)
        x = rng.standard_normal((3, 24, 2)).astype(np.float32)
    else:
        model = getattr(bw.applications, builder)((16, 16, 3), 5)
        x = rng.standard_normal((3, 16, 16, 3)).astype(np.float32)
    randomize(model)
    check(model, x, rtol=2e-4)


def test_core_layers_match_keras():
    rng = np.random.default_rng(5)
    a, b = layers.Input(shape=(6,)), layers.Input(shape=(6,))
    tokens = layers.Input(shape=(5,), dtype="int32")
    h = layers.Dense(8, activation="tanh")(a)
    h2 = layers.BatchNormalization()(layers.Dense(8)(b))
    merged = layers.concatenate([h, h2, layers.Multiply()([h, h2]), layers.Average()([h, h2])])
    ln = layers.LayerNormalization()(merged)
    emb = layers.Flatten()(layers.Embedding(10, 3)(tokens))
    rep = layers.RepeatVector(2)(layers.Dense(3, activation="softmax")(ln))
    model = bw.models.Model([a, b, tokens], [ln, emb, layers.Reshape((6,))(rep), layers.Dot(axes=1)([h, h2])])
    randomize(model)
    check(model, rng.standard_normal((4, 6)).astype(np.float32), rng.standard_normal((4, 6)).astype(np.float32),
          rng.integers(0, 10, (4, 5)))

"""Layer constructor arguments and windows larger than their input: every bad value raises a ValueError
that names the layer class and the argument (brickwork.layers.validation)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers

F32 = np.float32

# (id, factory, layer class named in the message, text naming the argument / the problem)
BAD_ARGUMENTS = [
    ("dense-units-0", lambda: layers.Dense(0), "Dense", "units"),
    ("dense-units-neg", lambda: layers.Dense(-3), "Dense", "units"),
    ("dense-units-float", lambda: layers.Dense(2.5), "Dense", "units"),
    ("dense-units-bool", lambda: layers.Dense(True), "Dense", "units"),
    ("dense-units-str", lambda: layers.Dense("8"), "Dense", "units"),
    ("conv2d-filters-0", lambda: layers.Conv2D(0, 3), "Conv2D", "filters"),
    ("conv2d-kernel-0", lambda: layers.Conv2D(4, 0), "Conv2D", "kernel_size"),
    ("conv2d-kernel-float", lambda: layers.Conv2D(4, 2.5), "Conv2D", "kernel_size"),
    ("conv2d-kernel-len", lambda: layers.Conv2D(4, (3, 3, 3)), "Conv2D", "kernel_size"),
    ("conv2d-kernel-neg-entry", lambda: layers.Conv2D(4, (3, -1)), "Conv2D", "kernel_size"),
    ("conv2d-strides-0", lambda: layers.Conv2D(4, 3, strides=0), "Conv2D", "strides"),
    ("conv2d-dilation-0", lambda: layers.Conv2D(4, 3, dilation_rate=(1, 0)), "Conv2D", "dilation_rate"),
    ("conv2d-groups-0", lambda: layers.Conv2D(4, 3, groups=0), "Conv2D", "groups"),
    ("conv2d-groups-neg", lambda: layers.Conv2D(4, 3, groups=-2), "Conv2D", "groups"),
    ("conv2d-groups-filters", lambda: layers.Conv2D(4, 3, groups=3), "Conv2D", "groups"),
    ("conv1d-filters-float", lambda: layers.Conv1D(4.0, 3), "Conv1D", "filters"),
    ("conv1d-strides-0", lambda: layers.Conv1D(4, 3, strides=0), "Conv1D", "strides"),
    ("conv3d-kernel-0", lambda: layers.Conv3D(2, (3, 0, 3)), "Conv3D", "kernel_size"),
    ("conv3d-groups-0", lambda: layers.Conv3D(2, 3, groups=0), "Conv3D", "groups"),
    ("conv2dT-filters-0", lambda: layers.Conv2DTranspose(0, 3), "Conv2DTranspose", "filters"),
    ("conv2dT-strides-0", lambda: layers.Conv2DTranspose(2, 3, strides=0), "Conv2DTranspose", "strides"),
    ("conv1dT-kernel-0", lambda: layers.Conv1DTranspose(2, 0), "Conv1DTranspose", "kernel_size"),
    ("depthwise-multiplier-0", lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "DepthwiseConv2D",
     "depth_multiplier"),
    ("separable-filters-0", lambda: layers.SeparableConv2D(0, 3), "SeparableConv2D", "filters"),
    ("maxpool2d-size-0", lambda: layers.MaxPooling2D(0), "MaxPooling2D", "pool_size"),
    ("maxpool2d-strides-0", lambda: layers.MaxPooling2D(2, strides=0), "MaxPooling2D", "strides"),
    ("avgpool1d-size-float", lambda: layers.AveragePooling1D(1.5), "AveragePooling1D", "pool_size"),
    ("maxpool3d-size-neg", lambda: layers.MaxPooling3D((2, -2, 2)), "MaxPooling3D", "pool_size"),
    ("dropout-1", lambda: layers.Dropout(1.0), "Dropout", "rate"),
    ("dropout-neg", lambda: layers.Dropout(-0.1), "Dropout", "rate"),
    ("dropout-nan", lambda: layers.Dropout(float("nan")), "Dropout", "rate"),
    ("dropout-str", lambda: layers.Dropout("0.5"), "Dropout", "rate"),
    ("spatial-dropout-2", lambda: layers.SpatialDropout1D(2.0), "SpatialDropout1D", "rate"),
    ("gaussian-dropout-1", lambda: layers.GaussianDropout(1.0), "GaussianDropout", "rate"),
    ("lstm-units-0", lambda: layers.LSTM(0), "LSTM", "units"),
    ("gru-units-float", lambda: layers.GRU(3.5), "GRU", "units"),
    ("simplernn-units-neg", lambda: layers.SimpleRNN(-1), "SimpleRNN", "units"),
    ("lstm-dropout-1", lambda: layers.LSTM(4, dropout=1.0), "LSTM", "dropout"),
    ("gru-recurrent-dropout", lambda: layers.GRU(4, recurrent_dropout=-0.5), "GRU", "recurrent_dropout"),
    ("lstmcell-units-0", lambda: layers.LSTMCell(0), "LSTMCell", "units"),
    ("grucell-units-str", lambda: layers.GRUCell("4"), "GRUCell", "units"),
    ("embedding-input-dim-0", lambda: layers.Embedding(0, 4), "Embedding", "input_dim"),
    ("embedding-output-dim-neg", lambda: layers.Embedding(10, -4), "Embedding", "output_dim"),
    ("embedding-input-dim-float", lambda: layers.Embedding(10.5, 4), "Embedding", "input_dim"),
]


@pytest.mark.parametrize("factory, cls, arg", [c[1:] for c in BAD_ARGUMENTS], ids=[c[0] for c in BAD_ARGUMENTS])
def test_bad_constructor_argument_names_layer_and_argument(factory, cls, arg):
    with pytest.raises(ValueError) as info:
        factory()
    message = str(info.value)
    assert cls in message and arg in message, message


# (id, layer, input shape, class named, text of the message)
BAD_SHAPES = [
    ("maxpool2d-larger", lambda: layers.MaxPooling2D(4, name="p2"), (1, 3, 3, 2), "MaxPooling2D 'p2'", "pool_size"),
    ("avgpool2d-larger-one-axis", lambda: layers.AveragePooling2D((2, 5)), (1, 4, 4, 1), "AveragePooling2D",
     "pool_size"),
    ("maxpool1d-larger", lambda: layers.MaxPooling1D(5), (2, 4, 3), "MaxPooling1D", "pool_size"),
    ("avgpool3d-larger", lambda: layers.AveragePooling3D(3), (1, 2, 4, 4, 1), "AveragePooling3D", "pool_size"),
    ("maxpool2d-channels-first", lambda: layers.MaxPooling2D(3, data_format="channels_first"), (1, 8, 2, 2),
     "MaxPooling2D", "pool_size"),
    ("conv2d-larger", lambda: layers.Conv2D(2, 5, name="c5"), (1, 4, 4, 1), "Conv2D 'c5'", "kernel_size"),
    ("conv2d-dilated-larger", lambda: layers.Conv2D(2, 3, dilation_rate=3), (1, 6, 6, 1), "Conv2D", "dilated"),
    ("conv1d-larger", lambda: layers.Conv1D(2, 4), (1, 3, 2), "Conv1D", "kernel_size"),
    ("conv3d-larger", lambda: layers.Conv3D(2, 3), (1, 2, 5, 5, 1), "Conv3D", "kernel_size"),
    ("depthwise-larger", lambda: layers.DepthwiseConv2D(5), (1, 3, 3, 2), "DepthwiseConv2D", "kernel_size"),
    ("separable-larger", lambda: layers.SeparableConv2D(2, 4), (1, 3, 3, 2), "SeparableConv2D", "kernel_size"),
    ("conv2d-groups-channels", lambda: layers.Conv2D(6, 1, groups=3), (1, 4, 4, 4), "Conv2D", "groups=3"),
    ("lstm-zero-length", lambda: layers.LSTM(3, name="enc"), (2, 0, 4), "LSTM 'enc'", "length 0"),
    ("gru-zero-length", lambda: layers.GRU(3), (2, 0, 4), "GRU", "length 0"),
    ("simplernn-zero-length", lambda: layers.SimpleRNN(3), (2, 0, 4), "SimpleRNN", "length 0"),
    ("rnn-cell-zero-length", lambda: layers.RNN(layers.LSTMCell(3)), (2, 0, 4), "RNN", "length 0"),
]


@pytest.mark.parametrize("factory, shape, cls, text", [c[1:] for c in BAD_SHAPES], ids=[c[0] for c in BAD_SHAPES])
def test_window_or_sequence_that_does_not_fit_names_layer_and_shapes(factory, shape, cls, text):
    with pytest.raises(ValueError) as info:
        factory()(np.zeros(shape, F32))
    message = str(info.value)
    assert cls in message and text in message, message
    if "length 0" not in text and "groups" not in text:
        assert str(shape) in message  # the input shape is named


@pytest.mark.parametrize("factory, shape", [
    (lambda: layers.MaxPooling2D(4, name="sym"), (3, 3, 2)),
    (lambda: layers.Conv2D(2, 5), (4, 4, 1)),
    (lambda: layers.LSTM(2), (0, 3)),
], ids=["pool", "conv", "lstm"])
def test_symbolic_build_refuses_too(factory, shape):
    """The check runs at build, when a functional model is wired, not only on data."""
    with pytest.raises(ValueError, match=type(factory()).__name__):
        factory()(layers.Input(shape))


def test_later_eager_call_with_a_smaller_input_is_refused():
    pool = layers.MaxPooling2D(3)
    assert pool(np.zeros((1, 6, 6, 1), F32)).shape == (1, 2, 2, 1)
    with pytest.raises(ValueError, match=r"MaxPooling2D .*\(1, 2, 2, 1\)"):
        pool(np.zeros((1, 2, 2, 1), F32))


def test_valid_edge_cases_still_work():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 3, 2)).astype(F32)
    # a window exactly the size of the input: one output cell, the max / mean over the whole map
    np.testing.assert_allclose(layers.MaxPooling2D(3)(x).numpy(), x.max(axis=(1, 2), keepdims=True))
    np.testing.assert_allclose(layers.AveragePooling2D(3)(x).numpy(), x.mean(axis=(1, 2), keepdims=True),
                               rtol=1e-6)
    # 'same' padding allows a pool larger than the input: ceil(3 / 4) = 1 cell holding the max of all
    np.testing.assert_allclose(layers.MaxPooling2D(4, padding="same")(x).numpy(), x.max(axis=(1, 2), keepdims=True))
    assert layers.Conv2D(4, 5, padding="same")(x).shape == (2, 3, 3, 4)
    assert layers.Conv2D(4, 3)(x).shape == (2, 1, 1, 4)
    assert layers.Conv2DTranspose(2, 5)(x).shape == (2, 7, 7, 2)  # a transpose may grow past its input
    # NumPy integers, tuples, lists (from JSON configs) and rate 0 are accepted
    assert layers.Dense(np.int64(3)).units == 3 and layers.Embedding(np.int32(5), 2).input_dim == 5
    assert layers.Conv2D(2, [3, 1], strides=(1, 2)).kernel_size == (3, 1)
    assert layers.Dropout(0).rate == 0.0 and layers.LSTM(np.int64(2), dropout=0.0).units == 2
    assert layers.Conv2D(4, 1, groups=2)(x).shape == (2, 3, 3, 4)
    for layer in (layers.Conv2D(4, 3, groups=2), layers.MaxPooling3D((2, 1, 2)), layers.Embedding(7, 3)):
        cfg = json.loads(json.dumps(layer.get_config()))
        assert type(layer).from_config(cfg).get_config() == layer.get_config()


@pytest.mark.slow  # importing Keras takes a few seconds
def test_messages_agree_with_keras_on_what_is_refused():
    """Keras refuses the same constructor values (the oracle for *what* is an error)."""
    keras = pytest.importorskip("keras")
    for make in (lambda m: m.layers.Dense(0), lambda m: m.layers.Embedding(0, 3), lambda m: m.layers.Dense(2.5),
                 lambda m: m.layers.Dropout(-0.1)):
        with pytest.raises(ValueError):
            make(keras)
        with pytest.raises(ValueError):
            make(bw)

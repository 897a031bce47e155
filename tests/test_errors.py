"""Bad input gets an error that names the layer or argument and the shapes."""

from __future__ import annotations

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers, models
from brickwork.layers import Dense, Input


def compiled(loss="binary_crossentropy", out=1, act="sigmoid"):
    model = models.Sequential([Input(shape=(4,)), Dense(3, name="hidden"), Dense(out, activation=act)])
    model.compile("adam", loss)
    return model


def test_wrong_input_shape_names_the_layer_and_shapes():
    dense = Dense(2, name="scorer")
    dense(np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match=r"layer 'scorer'.*axis -1.*value 4.*\(3, 5\)"):
        dense(np.zeros((3, 5), np.float32))
    with pytest.raises(ValueError, match=r"Input 'input_layer.*expects shape \(None, 4\).*\(2, 7\)"):
        models.Model(*(lambda i: (i, Dense(1)(i)))(Input(shape=(4,)))).predict(np.zeros((2, 7)), verbose=0)
    with pytest.raises(ValueError, match=r"layer 'hidden'.*\(2, 6\)"):
        compiled().predict(np.zeros((2, 6)), verbose=0)


def test_mismatched_lengths_and_nan_inputs():
    model = compiled()
    with pytest.raises(ValueError, match=r"x has 10.*y has 9"):
        model.fit(np.zeros((10, 4)), np.zeros(9), verbose=0)
    x = np.zeros((10, 4))
    x[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"'x' of shape \(10, 4\) contains 1 NaN/Inf value\(s\), first in row 3"):
        model.fit(x, np.zeros(10), verbose=0)
    y = np.zeros(10)
    y[7] = np.inf
    with pytest.raises(ValueError, match=r"'y'.*row 7"):
        model.fit(np.zeros((10, 4)), y, verbose=0)
    with pytest.raises(ValueError, match="sample_weight has 3 entries for 10 samples"):
        model.fit(np.zeros((10, 4)), np.zeros(10), sample_weight=np.ones(3), verbose=0)


def test_uncompiled_model_and_unknown_strings():
    model = models.Sequential([Input(shape=(4,)), Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.zeros((2, 4)), np.zeros(2), verbose=0)
    with pytest.raises(ValueError, match="Unknown optimizer 'rmsporp'"):
        model.compile("rmsporp", "mse")
    with pytest.raises(ValueError, match="Unknown loss 'mse2'"):
        model.compile("adam", "mse2")
    with pytest.raises(ValueError, match="Unknown metric 'acuracy'"):
        model.compile("adam", "mse", metrics=["acuracy"])
        model.fit(np.zeros((2, 4)), np.zeros(2), verbose=0)
    with pytest.raises(ValueError, match="Unknown activation 'rleu'"):
        Dense(2, activation="rleu")
    with pytest.raises(ValueError, match="Unknown initializer 'he_norm'"):
        Dense(2, kernel_initializer="he_norm")
    with pytest.raises(ValueError, match="Unknown regularizer 'l3'"):
        Dense(2, kernel_regularizer="l3")
    with pytest.raises(TypeError, match=r"Dense: \['unitz'\]"):
        Dense(2, unitz=3)


def test_labels_out_of_range_in_fit():
    model = compiled("sparse_categorical_crossentropy", out=3, act="softmax")
    with pytest.raises(ValueError, match=r"label 3 is out of range for 3 classes"):
        model.fit(np.zeros((4, 4)), np.array([0, 1, 2, 3]), verbose=0)


def test_target_shape_mismatch_in_fit_is_not_broadcast():
    model = compiled("mse", out=1, act=None)
    with pytest.raises(ValueError, match=r"targets of shape \(4, 2\) do not match predictions of shape \(4, 1\)"):
        model.fit(np.zeros((4, 4)), np.zeros((4, 2)), verbose=0, batch_size=4)


def test_layer_argument_errors():
    with pytest.raises(ValueError, match="Dropout: rate must be in"):
        layers.Dropout(1.5)
    with pytest.raises(ValueError, match="units must be a positive integer"):
        Dense(0)
    with pytest.raises(ValueError, match=r"Embedding 'emb': index 10 is outside \[0, 10\)"):
        layers.Embedding(10, 2, name="emb")(np.array([[1, 10]]))
    with pytest.raises(ValueError, match="Reshape"):
        layers.Reshape((5,))(np.zeros((2, 6), np.float32))
    with pytest.raises(ValueError, match="Concatenate .* matching shapes except"):
        layers.concatenate([Input(shape=(2, 3)), Input(shape=(4, 5))], axis=-1)
    with pytest.raises(TypeError, match="symbolic"):
        bool(Input(shape=(3,)) > 1)
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(Input(shape=(3,)))
    with pytest.raises(ValueError, match="Dense 'd'.*last axis"):
        Dense(2, name="d")(Input(shape=(None,)))
    with pytest.raises(ValueError, match="expects 2 input"):
        a, b = Input(shape=(2,)), Input(shape=(2,))
        models.Model([a, b], layers.add([a, b])).predict(np.zeros((1, 2)), verbose=0)


def test_errors_name_the_class_weight_and_validation_problems():
    model = compiled()
    with pytest.raises(ValueError, match=r"class_weight has no entry for class\(es\) \[1\]"):
        model.fit(np.zeros((4, 4)), np.array([0, 1, 0, 1]), class_weight={0: 1.0}, verbose=0)
    with pytest.raises(ValueError, match="validation_split must be in"):
        model.fit(np.zeros((4, 4)), np.zeros(4), validation_split=1.5, verbose=0)
    with pytest.raises(ValueError, match="batch_size must be positive"):
        model.fit(np.zeros((4, 4)), np.zeros(4), batch_size=0, verbose=0)
    assert bw.floatx() == "float32"

"""Numbers a user passes that would silently train wrongly: each is a ValueError naming the argument
(and its owner), and the valid edge values still work."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers, losses, models, optimizers


def model():
    m = models.Sequential([layers.Input((3,)), layers.Dense(1, activation="sigmoid")])
    m.compile(optimizers.SGD(0.1), "binary_crossentropy")
    return m


X = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)
Y = (X[:, :1] > 0).astype(np.float32)

# ------------------------------------------------------------------ optimizers
OPTIMIZER_CASES = [
    (optimizers.SGD, "learning_rate", -0.01),
    (optimizers.SGD, "learning_rate", math.nan),
    (optimizers.SGD, "learning_rate", math.inf),
    (optimizers.Adam, "learning_rate", "0.01"),
    (optimizers.Adam, "learning_rate", -1),
    (optimizers.SGD, "clipnorm", -1.0),
    (optimizers.SGD, "clipnorm", 0.0),
    (optimizers.Adam, "clipvalue", -0.5),
    (optimizers.RMSprop, "global_clipnorm", 0),
    (optimizers.Adam, "clipnorm", math.nan),
    (optimizers.Adam, "beta_1", 1.0),
    (optimizers.Adam, "beta_1", -0.1),
    (optimizers.Adam, "beta_2", 1.5),
    (optimizers.AdamW, "beta_2", 1.0),
    (optimizers.Nadam, "beta_1", 1.0),
    (optimizers.Adam, "epsilon", 0.0),
    (optimizers.Nadam, "epsilon", -1e-7),
    (optimizers.RMSprop, "epsilon", 0),
    (optimizers.Adagrad, "epsilon", 0),
    (optimizers.SGD, "momentum", 1.5),
    (optimizers.SGD, "momentum", -0.1),
    (optimizers.RMSprop, "momentum", 2.0),
    (optimizers.RMSprop, "rho", 1.0),
    (optimizers.Adam, "weight_decay", -0.1),
    (optimizers.AdamW, "weight_decay", math.inf),
    (optimizers.Adagrad, "initial_accumulator_value", -1.0),
]


@pytest.mark.parametrize("cls,arg,value", OPTIMIZER_CASES,
                         ids=[f"{c.__name__}-{a}={v!r}" for c, a, v in OPTIMIZER_CASES])
def test_optimizer_rejects_bad_value(cls, arg, value):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: {arg} must be .*got {arg}="):
        cls(**{arg: value})


@pytest.mark.parametrize("kwargs", [
    {"learning_rate": 0.0}, {"momentum": 0.0}, {"momentum": 1.0}, {"clipnorm": 1e-3, "clipvalue": 5},
    {"global_clipnorm": 1.0}, {"weight_decay": 0.0},
])
def test_sgd_accepts_edge_values(kwargs):
    opt = optimizers.SGD(**kwargs)
    for key, value in kwargs.items():
        assert float(getattr(opt, key)) == value


def test_adam_accepts_beta_zero_and_a_schedule():
    opt = optimizers.Adam(learning_rate=optimizers.schedules.ExponentialDecay(0.1, 10, 0.5), beta_1=0.0)
    assert opt.has_schedule and opt.learning_rate == pytest.approx(0.1)


@pytest.mark.parametrize("value", [-0.001, math.nan, math.inf])
def test_learning_rate_setter_is_checked(value):
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="Adam: learning_rate must be"):
        opt.learning_rate = value
    assert opt.learning_rate == pytest.approx(0.001)  # unchanged


def test_clipnorm_negative_was_ascent():
    """The failure the check prevents: a negative clipnorm flips the gradient, so SGD climbs."""
    grad = np.array([3.0, 4.0])  # norm 5
    assert np.allclose(grad * (-1.0 / 5.0), [-0.6, -0.8])  # what clipnorm=-1 computed: a step uphill
    with pytest.raises(ValueError, match="clipnorm"):
        optimizers.SGD(clipnorm=-1.0)


# ------------------------------------------------------------- fit / evaluate / predict
FIT_CASES = [
    ("epochs", -1), ("epochs", 0), ("epochs", 2.5), ("epochs", "3"), ("epochs", True),
    ("batch_size", 2.5), ("batch_size", 0), ("batch_size", -4), ("batch_size", math.nan),
    ("steps_per_epoch", 0), ("steps_per_epoch", 1.5), ("validation_steps", 0),
    ("validation_split", 1.0), ("validation_split", -0.1), ("validation_split", 1.5), ("validation_split", math.nan),
    ("validation_batch_size", 0), ("validation_freq", 0), ("initial_epoch", -1), ("initial_epoch", 0.5),
    ("verbose", 3),
]


@pytest.mark.parametrize("arg,value", FIT_CASES, ids=[f"{a}={v!r}" for a, v in FIT_CASES])
def test_fit_rejects_bad_value(arg, value):
    m = model()
    kwargs = {"validation_data": (X, Y)} if arg == "validation_steps" else {}
    kwargs.setdefault("verbose", 0)
    kwargs[arg] = value
    with pytest.raises(ValueError, match=rf"fit\(\): {arg} must be .*got {arg}="):
        m.fit(X, Y, **kwargs)


@pytest.mark.parametrize("method", ["evaluate", "predict"])
@pytest.mark.parametrize("arg,value", [("batch_size", 0), ("batch_size", 2.5), ("steps", 0), ("steps", -2)])
def test_evaluate_predict_reject_bad_value(method, arg, value):
    m = model()
    call = getattr(m, method)
    args = (X, Y) if method == "evaluate" else (X,)
    with pytest.raises(ValueError, match=rf"{method}\(\): {arg} must be positive \(a whole number >= 1\); got {arg}="):
        call(*args, verbose=0, **{arg: value})


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_zero_samples_raise(method):
    m = model()
    args = (X[:0],) if method == "predict" else (X[:0], Y[:0])
    with pytest.raises(ValueError, match=rf"{method}\(\): x has 0 samples"):
        getattr(m, method)(*args, verbose=0)


def test_valid_edges_still_train():
    m = model()
    h = m.fit(X, Y, epochs=2, batch_size=10, validation_split=0.0, verbose=0)
    assert len(h.history["loss"]) == 2
    h = m.fit(X, Y, epochs=3, initial_epoch=3, verbose=0)  # Keras: initial_epoch >= epochs runs nothing
    assert h.history == {}
    h = m.fit(X, Y, epochs=1, batch_size=4.0, verbose=0)  # an integral float is an integer
    assert len(h.history["loss"]) == 1
    assert m.predict(X, batch_size=3, verbose=0).shape == (10, 1)


# ------------------------------------------------------------- binary cross-entropy labels
@pytest.mark.parametrize("loss_name,fn", [
    ("binary_crossentropy", losses.binary_crossentropy),
    ("cost_sensitive_binary_crossentropy", losses.cost_sensitive_binary_crossentropy),
])
@pytest.mark.parametrize("bad", [2.0, -1.0, 3.0])
def test_binary_crossentropy_label_out_of_range(loss_name, fn, bad):
    y_true = np.array([[0.0], [1.0], [bad]], np.float32)
    y_pred = np.full((3, 1), 0.5, np.float32)
    with pytest.raises(ValueError, match=rf"{loss_name}: targets must be in \[0, 1\].*{bad!r}"):
        fn(y_true, y_pred)


def test_binary_crossentropy_noisy_fractional_labels_warn_as_keras_accepts_them():
    # keras-io's GAN guides add 0.05 * uniform noise to their 0/1 labels; Keras trains on them
    from brickwork.losses import losses as loss_module

    loss_module._WARNED_OUT_OF_RANGE.discard("binary_crossentropy")  # an earlier test may have warned already
    y_true = np.array([[0.0], [1.0], [1.04]], np.float32)
    y_pred = np.full((3, 1), 0.5, np.float32)
    with pytest.warns(RuntimeWarning,
                      match=r"binary_crossentropy: targets must be in \[0, 1\].*got a target of 1\.0399"):
        value = losses.binary_crossentropy(y_true, y_pred).data
    assert np.allclose(value, np.log(2.0), rtol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second batch of noisy labels does not warn again
        losses.binary_crossentropy(y_true * 1.01, y_pred)


def test_binary_crossentropy_class_and_fit_name_the_loss():
    with pytest.raises(ValueError, match=r"binary_crossentropy: .*2\.0"):
        losses.BinaryCrossentropy()(np.array([[2.0]]), np.array([[0.3]]))
    y = Y.copy()
    y[4] = 2.0
    with pytest.raises(ValueError, match=r"binary_crossentropy: targets must be in \[0, 1\] .*got a target of 2\.0"):
        model().fit(X, y, verbose=0)


def test_binary_crossentropy_soft_and_integer_labels_accepted():
    y_pred = np.array([[0.2], [0.7], [0.5]], np.float32)
    soft = np.array([[0.0], [0.25], [1.0]], np.float32)
    value = losses.binary_crossentropy(soft, y_pred).data
    p = y_pred[:, 0].astype(np.float64)
    t = soft[:, 0]
    assert np.allclose(value, -(t * np.log(p) + (1 - t) * np.log(1 - p)), rtol=1e-5)
    ints = np.array([0, 1, 1])
    assert losses.binary_crossentropy(ints, y_pred).shape == (3,)


def test_brickwork_imported():
    assert bw.optimizers.SGD is optimizers.SGD

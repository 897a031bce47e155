"""Pseudo-labelling on top of the consistency methods (``pseudo_label_weight``) and the mean teacher's decay
schedule: expected values are computed here with NumPy from the networks' own outputs and the papers' formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers
from brickwork import semi_supervised as ss
from brickwork.engine.tensor import Tensor
from brickwork.semi_supervised.pseudo_targets import (
    as_class_probabilities,
    confident_rows,
    pseudo_label_cross_entropy,
)


def mlp(seed: int = 0, out: int = 3, activation: str = "softmax") -> bw.Model:
    bw.set_seed(seed)
    return bw.Sequential([layers.Input((2,)), layers.Dense(16, activation="tanh"),
                          layers.Dense(out, activation=activation)])


def batch(seed: int = 0, n: int = 12, classes: int = 3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype("float32")
    y = rng.integers(0, classes, n)
    y[::3] = -1
    return x, y


def compile_(model, lr: float = 0.01):
    model.compile(bw.optimizers.Adam(lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def masked_cross_entropy(p: np.ndarray, reference: np.ndarray, candidates: np.ndarray, tau: float) -> float:
    rows = np.flatnonzero(candidates & (reference.max(1) >= tau))
    if rows.size == 0:
        return 0.0
    picked = p[rows, reference[rows].argmax(1)]
    return float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0))))


# ------------------------------------------------------------ the term itself
def test_cross_entropy_against_confident_argmax_of_reference():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3]], "float32")
    ref = np.array([[0.1, 0.9, 0.0], [0.05, 0.95, 0.0], [0.6, 0.2, 0.2], [0.0, 0.0, 1.0]], "float32")
    candidates = np.array([True, True, True, False])
    # tau = 0.9: rows 0 and 1 qualify (row 2 is not confident, row 3 is no candidate); both get class 1
    expected = -(math.log(0.2) + math.log(0.8)) / 2
    value = pseudo_label_cross_entropy(Tensor(p), ref, candidates, 0.9)
    assert float(value.data) == pytest.approx(expected, rel=1e-6)
    rows, labels = confident_rows(ref, candidates, 0.9)
    assert rows.tolist() == [0, 1] and labels.tolist() == [1, 1]


def test_cross_entropy_is_zero_without_confident_rows_and_has_gradient():
    p = Tensor(np.full((2, 2), 0.5, "float32"), requires_grad=True)
    ref = np.array([[0.5, 0.5], [0.4, 0.6]])
    assert float(pseudo_label_cross_entropy(p, ref, np.ones(2, bool), 0.99).data) == 0.0
    loss = pseudo_label_cross_entropy(p, ref, np.ones(2, bool), 0.6)  # only row 1, class 1
    loss.backward()
    np.testing.assert_allclose(p.grad, [[0.0, 0.0], [0.0, -1.0 / 0.5]], rtol=1e-6)  # d(-log p)/dp = -1/p


def test_one_sigmoid_column_is_two_classes():
    np.testing.assert_allclose(as_class_probabilities(np.array([[0.2], [0.9]])), [[0.8, 0.2], [0.1, 0.9]])
    value = pseudo_label_cross_entropy(Tensor(np.array([[0.3], [0.6]], "float32")), np.array([[0.1], [0.95]]),
                                       np.ones(2, bool), 0.9)  # both confident: classes 0 and 1
    assert float(value.data) == pytest.approx(-(math.log(0.7) + math.log(0.6)) / 2, rel=1e-6)


# --------------------------------------------------- on top of the consistency methods
@pytest.mark.parametrize("make", [ss.PiModel, ss.TemporalEnsembling, ss.MeanTeacher],
                         ids=["pi", "temporal", "mean_teacher"])
def test_pseudo_label_term_added_with_ramped_weight(make):
    x, y = batch()
    net = mlp()
    model = compile_(make(net, noise_std=0.0, consistency_weight=2.0, rampup_epochs=10, pseudo_label_weight=3.0,
                          pseudo_label_threshold=0.0))
    p = net.predict(x, verbose=0)  # no noise, no dropout: the training pass equals the inference pass
    unl = y == -1
    history = model.fit(x, y, epochs=1, batch_size=len(x), shuffle=False, verbose=0).history  # one step
    logs = {k: v[0] for k, v in history.items()}
    pseudo = masked_cross_entropy(p, p, unl, 0.0)
    assert logs["pseudo_label_loss"] == pytest.approx(pseudo, rel=1e-5)
    lab = ~unl
    sup = float(-np.mean(np.log(p[lab, y[lab]])))
    # epoch 0: w(0) = 2 e^-5 on the consistency term, beta r(0) = 3 e^-5 on the pseudo-label term
    expected = sup + 2.0 * math.exp(-5.0) * logs["consistency_loss"] + 3.0 * math.exp(-5.0) * pseudo
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)


def test_pseudo_label_threshold_applies_on_top():
    x, y = batch()
    model = compile_(ss.PiModel(mlp(), noise_std=0.0, pseudo_label_weight=1.0, pseudo_label_threshold=1.0))
    assert model.train_on_batch(x, y, return_dict=True)["pseudo_label_loss"] == 0.0


def test_no_pseudo_label_log_by_default():
    x, y = batch()
    logs = compile_(ss.PiModel(mlp(), noise_std=0.0)).train_on_batch(x, y, return_dict=True)
    assert "pseudo_label_loss" not in logs


def test_mean_teacher_pseudo_labels_come_from_the_teacher():
    x, y = batch()
    net = mlp()
    model = compile_(ss.MeanTeacher(net, noise_std=0.0, pseudo_label_weight=1.0, pseudo_label_threshold=0.0))
    net(x)
    model.teacher.set_weights(mlp(seed=5).get_weights())  # another network's weights
    student, teacher = net.predict(x, verbose=0), model.teacher.predict(x, verbose=0)
    unl = y == -1
    assert (student[unl].argmax(1) != teacher[unl].argmax(1)).any()  # the two disagree somewhere
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["pseudo_label_loss"] == pytest.approx(masked_cross_entropy(student, teacher, unl, 0.0), rel=1e-5)


def test_pseudo_label_arguments_name_themselves():
    with pytest.raises(ValueError, match="pseudo_label_weight"):
        ss.PiModel(mlp(), pseudo_label_weight=-1.0)
    with pytest.raises(ValueError, match="pseudo_label_threshold"):
        ss.MeanTeacher(mlp(), pseudo_label_threshold=1.5)

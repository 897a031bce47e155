"""Every loss against PyTorch (value and gradient), stability, and shape safety."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from helpers import assert_close

import brickwork as bw
from brickwork import functions as F
from brickwork import losses

DTYPES = [np.float64, np.float32]


def run(loss_fn, y_true, pred, dtype, torch_fn, sample_weight=None):
    p = bw.Tensor(pred.astype(dtype), requires_grad=True)
    tp = torch.tensor(pred.astype(dtype), requires_grad=True)
    value = loss_fn(y_true, p, sample_weight=sample_weight) if sample_weight is not None else loss_fn(y_true, p)
    expected = torch_fn(tp)
    assert_close(value, expected, dtype, "value")
    value.backward()
    expected.backward()
    assert_close(p.grad, tp.grad, dtype, "gradient")


@pytest.mark.parametrize("dtype", DTYPES)
def test_regression_losses(dtype):
    rng = np.random.default_rng(0)
    y, p = rng.standard_normal((6, 3)), rng.standard_normal((6, 3)) * 2
    yt = torch.tensor(y.astype(dtype))
    run(losses.MeanSquaredError(), y, p, dtype, lambda t: tF.mse_loss(t, yt))
    run(losses.MeanAbsoluteError(), y, p, dtype, lambda t: tF.l1_loss(t, yt))
    run(losses.Huber(delta=1.0), y, p, dtype, lambda t: tF.huber_loss(t, yt, delta=1.0))
    run(losses.get("mse"), y, p, dtype, lambda t: tF.mse_loss(t, yt))


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_crossentropy(dtype):
    rng = np.random.default_rng(1)
    y = (rng.random((8, 1)) > 0.5).astype(dtype)
    z = rng.standard_normal((8, 1)) * 3
    yt = torch.tensor(y)
    probs = 1 / (1 + np.exp(-z))
    run(losses.BinaryCrossentropy(), y, probs, dtype, lambda t: tF.binary_cross_entropy(t, yt))
    run(losses.BinaryCrossentropy(from_logits=True), y, z, dtype,
        lambda t: tF.binary_cross_entropy_with_logits(t, yt))
    # a sigmoid layer's output: the loss uses its logits (exact even when saturated)
    zt = bw.Tensor(z.astype(dtype), requires_grad=True)
    tz = torch.tensor(z.astype(dtype), requires_grad=True)
    value = losses.binary_crossentropy(y, bw.activations.sigmoid(zt)).mean()
    expected = tF.binary_cross_entropy_with_logits(tz, yt)
    assert_close(value, expected, dtype)
    value.backward()
    expected.backward()
    assert_close(zt.grad, tz.grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_crossentropies(dtype):
    rng = np.random.default_rng(2)
    z = rng.standard_normal((7, 4)) * 2
    labels = rng.integers(0, 4, 7)
    onehot = bw.utils.to_categorical(labels, 4).astype(dtype)
    probs = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    tl, toh = torch.tensor(labels), torch.tensor(onehot)
    run(losses.CategoricalCrossentropy(from_logits=True), onehot, z, dtype, lambda t: tF.cross_entropy(t, toh))
    run(losses.CategoricalCrossentropy(), onehot, probs, dtype,
        lambda t: -(toh * torch.log(t / t.sum(1, keepdim=True))).sum(1).mean())
    run(losses.SparseCategoricalCrossentropy(from_logits=True), labels, z, dtype, lambda t: tF.cross_entropy(t, tl))
    run(losses.SparseCategoricalCrossentropy(), labels, probs, dtype,
        lambda t: tF.nll_loss(torch.log(t / t.sum(1, keepdim=True)), tl))
    run(losses.SparseCategoricalCrossentropy(from_logits=True), labels[:, None], z, dtype,
        lambda t: tF.cross_entropy(t, tl))


def test_sample_weight_weights_each_sample():
    rng = np.random.default_rng(3)
    y, p = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    w = rng.random(5)
    expected = lambda t: ((t - torch.tensor(y)) ** 2).mean(1).mul(torch.tensor(w)).mean()  # noqa: E731
    run(losses.MeanSquaredError(), y, p, np.float64, expected, sample_weight=w)


@pytest.mark.parametrize("alpha", [1.0, 2.0, 5.0])
def test_cost_sensitive_bce(alpha):
    rng = np.random.default_rng(4)
    y = (rng.random((10, 1)) > 0.5).astype(np.float64)
    z = rng.standard_normal((10, 1)) * 2
    yt = torch.tensor(y)

    def expected(t):
        p = torch.sigmoid(t)
        return -(yt * torch.log(p) + alpha * (1 - yt) * torch.log(1 - p)).mean()

    run(losses.CostSensitiveBinaryCrossentropy(alpha=alpha, from_logits=True), y, z, np.float64, expected)
    probs = 1 / (1 + np.exp(-z))
    run(losses.CostSensitiveBinaryCrossentropy(alpha=alpha), y, probs, np.float64,
        lambda t: -(yt * torch.log(t) + alpha * (1 - yt) * torch.log(1 - t)).mean())
    if alpha == 1.0:
        a = losses.CostSensitiveBinaryCrossentropy(alpha=1.0)(y, probs)
        b = losses.BinaryCrossentropy()(y, probs)
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12)


def test_false_positive_costs_alpha_times_a_false_negative():
    loss = losses.CostSensitiveBinaryCrossentropy(alpha=3.0)
    false_positive = loss(np.array([[0.0]]), np.array([[0.8]])).item()
    false_negative = loss(np.array([[1.0]]), np.array([[0.2]])).item()
    assert false_positive == pytest.approx(3.0 * false_negative)


def test_stable_at_probability_zero_and_one_and_large_logits():
    y = np.array([[0.0], [1.0], [0.0], [1.0]])
    p = bw.Tensor(np.array([[0.0], [1.0], [1.0], [0.0]]), requires_grad=True)
    value = losses.BinaryCrossentropy()(y, p)
    value.backward()
    assert np.isfinite(value.item()) and np.all(np.isfinite(p.grad))
    assert value.item() == pytest.approx(-np.log(1e-7) / 2, rel=1e-3)  # clipped as Keras
    z = bw.Tensor(np.array([[1000.0], [-1000.0], [1000.0], [-1000.0]]), requires_grad=True)
    value = losses.BinaryCrossentropy(from_logits=True)(y, z)
    value.backward()
    assert value.item() == pytest.approx(1000.0)
    np.testing.assert_allclose(z.grad.ravel(), [0.25, -0.25, 0.25, -0.25])
    logits = bw.Tensor(np.array([[1000.0, -1000.0, 0.0]]), requires_grad=True)
    v = losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([1]), logits)
    v.backward()
    assert v.item() == pytest.approx(2000.0) and np.all(np.isfinite(logits.grad))
    # a softmax output keeps its logits, so even a saturated softmax gives the exact loss
    v = losses.SparseCategoricalCrossentropy()(np.array([1]), bw.activations.softmax(bw.Tensor(logits.data)))
    assert v.item() == pytest.approx(2000.0)


def test_targets_never_broadcast_silently():
    p = bw.Tensor(np.full((4, 1), 0.5))
    a = losses.MeanSquaredError()(np.zeros(4), p)       # (n,) vs (n, 1): expanded as Keras
    b = losses.MeanSquaredError()(np.zeros((4, 1)), p)
    assert a.item() == b.item() == pytest.approx(0.25)
    with pytest.raises(ValueError, match=r"mean_squared_error.*\(4, 2\).*\(4, 1\)"):
        losses.MeanSquaredError()(np.zeros((4, 2)), p)
    with pytest.raises(ValueError, match="binary_crossentropy"):
        losses.BinaryCrossentropy()(np.zeros(3), p)


def test_labels_out_of_range_are_named():
    logits = bw.Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"label 4 is out of range for 4 classes"):
        losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([0, 4, 1]), logits)
    with pytest.raises(ValueError, match="label -1"):
        losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([0, -1, 1]), logits)
    with pytest.raises(ValueError, match="integer"):
        losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([0, 1.5, 1]), logits)


def test_custom_callable_loss_and_unknown_name():
    def my_loss(y_true, y_pred):
        return F.mean(F.abs(y_pred - y_true) ** 3, axis=-1)

    loss = losses.get(my_loss)
    assert loss(np.zeros((2, 1)), bw.Tensor(np.ones((2, 1)))).item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="Unknown loss 'binary_crossentropyy'"):
        losses.get("binary_crossentropyy")

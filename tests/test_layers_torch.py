"""Layers against PyTorch with weights copied across (Keras layouts converted)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import assert_close

import brickwork as bw
from brickwork import layers

DTYPES = [np.float64, np.float32]


@pytest.mark.parametrize("dtype", DTYPES)
def test_dense_matches_linear(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5)).astype(dtype)
    layer = layers.Dense(4, activation="tanh", dtype=np.dtype(dtype).name)
    layer(x)
    lin = torch.nn.Linear(5, 4).to(torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(layer.kernel.data.T))  # Keras kernel (in, out) = torch weight.T
        lin.bias.copy_(torch.tensor(layer.bias.data))
    tx = torch.tensor(x, requires_grad=True)
    xt = bw.Tensor(x, requires_grad=True)
    y, ty = layer(xt), torch.tanh(lin(tx))
    assert_close(y, ty, dtype)
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(g)
    ty.backward(torch.tensor(g))
    assert_close(xt.grad, tx.grad, dtype)
    assert_close(layer.kernel.grad, lin.weight.grad.T, dtype)
    assert_close(layer.bias.grad, lin.bias.grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8, 3), (4, 5, 5, 3)])
def test_batch_normalization_train_inference_and_running_stats(dtype, shape):
    rng = np.random.default_rng(1)
    c = shape[-1]
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    keras_momentum, eps = 0.9, 1e-5
    layer = layers.BatchNormalization(momentum=keras_momentum, epsilon=eps, dtype=np.dtype(dtype).name)
    bn = (torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d)(
        c, eps=eps, momentum=1 - keras_momentum).to(tdtype)
    layer(np.zeros(shape, dtype))
    gamma, beta = rng.uniform(0.5, 1.5, c), rng.uniform(-0.5, 0.5, c)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(beta))

    def to_torch(a):  # channels-last to PyTorch's channels-first
        return a if a.ndim == 2 else np.moveaxis(a, -1, 1)

    expected_var = np.ones(c)
    for step in range(3):
        x = rng.standard_normal(shape).astype(dtype) * 2 + 1
        xt = bw.Tensor(x, requires_grad=True)
        tx = torch.tensor(to_torch(x).copy(), requires_grad=True)
        bn.train()
        y, ty = layer(xt, training=True), bn(tx)
        assert_close(to_torch(y.data), ty, dtype, f"train forward step {step}")
        g = rng.standard_normal(shape).astype(dtype)
        y.backward(g)
        ty.backward(torch.tensor(to_torch(g).copy()))
        assert_close(to_torch(xt.grad), tx.grad, dtype, "input grad")
        assert_close(layer.gamma.grad, bn.weight.grad, dtype, "gamma grad")
        assert_close(layer.beta.grad, bn.bias.grad, dtype, "beta grad")
        layer.gamma.grad = layer.beta.grad = None
        bn.weight.grad = bn.bias.grad = None
        # running mean: identical rule; running variance: Keras uses the biased batch variance,
        # PyTorch the unbiased one, so the expected value is converted from PyTorch's batch statistics.
        m = x.reshape(-1, c).shape[0]
        unbiased = torch.tensor(x.reshape(-1, c)).var(dim=0, unbiased=True).numpy()
        expected_var = keras_momentum * expected_var + (1 - keras_momentum) * unbiased * (m - 1) / m
        assert_close(layer.moving_mean, bn.running_mean, dtype, "moving mean")
        assert_close(layer.moving_variance, expected_var, dtype, "moving variance")
        assert not np.allclose(layer.moving_mean.data, 0)  # the statistics did move
    # inference with the moving statistics (PyTorch's running_var replaced by Keras's)
    with torch.no_grad():
        bn.running_var.copy_(torch.tensor(layer.moving_variance.data))
    bn.eval()
    x = rng.standard_normal(shape).astype(dtype)
    xt = bw.Tensor(x, requires_grad=True)
    tx = torch.tensor(to_torch(x).copy(), requires_grad=True)
    y, ty = layer(xt, training=False), bn(tx)
    assert_close(to_torch(y.data), ty, dtype, "inference forward")
    y.backward(np.ones(shape, dtype))
    ty.backward(torch.ones_like(ty))
    assert_close(to_torch(xt.grad), tx.grad, dtype, "inference input grad")


@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_normalization_matches(dtype):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3, 6)).astype(dtype)
    layer = layers.LayerNormalization(epsilon=1e-5, dtype=np.dtype(dtype).name)
    layer(x)
    gamma, beta = rng.uniform(0.5, 1.5, 6), rng.uniform(-1, 1, 6)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    ln = torch.nn.LayerNorm(6, eps=1e-5).to(torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        ln.weight.copy_(torch.tensor(gamma))
        ln.bias.copy_(torch.tensor(beta))
    xt, tx = bw.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = layer(xt), ln(tx)
    assert_close(y, ty, dtype)
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(g)
    ty.backward(torch.tensor(g))
    assert_close(xt.grad, tx.grad, dtype)
    assert_close(layer.gamma.grad, ln.weight.grad, dtype)
    assert_close(layer.beta.grad, ln.bias.grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_matches(dtype):
    rng = np.random.default_rng(3)
    idx = rng.integers(0, 7, size=(5, 6))
    layer = layers.Embedding(7, 3, dtype=np.dtype(dtype).name)
    layer(idx)
    emb = torch.nn.Embedding(7, 3).to(torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        emb.weight.copy_(torch.tensor(layer.embeddings.data))
    y, ty = layer(idx), emb(torch.tensor(idx))
    assert_close(y, ty, dtype)
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(g)
    ty.backward(torch.tensor(g))
    assert_close(layer.embeddings.grad, emb.weight.grad, dtype)


def test_dropout_inference_matches_and_training_keeps_expectation():
    x = np.random.default_rng(4).standard_normal((200, 50))
    layer = layers.Dropout(0.3, dtype="float64")
    drop = torch.nn.Dropout(0.3).eval()
    assert_close(layer(x, training=False), drop(torch.tensor(x)), np.float64)
    y = layer(np.ones((400, 500)), training=True).data
    assert set(np.unique(np.round(y, 6))) <= {0.0, round(1 / 0.7, 6)}
    assert abs(y.mean() - 1.0) < 0.02
    assert abs((y == 0).mean() - 0.3) < 0.01


def test_keras_weight_layouts_and_names():
    d = layers.Dense(4)
    d(np.zeros((1, 3), np.float32))
    assert [w.path for w in d.weights] == ["dense/kernel", "dense/bias"]
    assert d.kernel.shape == (3, 4)
    bn = layers.BatchNormalization()
    bn(np.zeros((2, 5), np.float32))
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in bn.trainable_weights] == ["gamma", "beta"]
    assert bw.floatx() == "float32" and d.kernel.dtype == np.float32

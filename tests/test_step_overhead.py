"""The lean per-step paths (layer calls, graph recording, backward, optimizer updates, batching, metrics)
compute what the general paths compute."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch

import brickwork as bw
from brickwork import layers, models, optimizers
from brickwork.models import data_adapter


def relu(z):
    return np.maximum(z, 0)


def test_built_dense_call_matches_numpy_and_the_keyword_path():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    dense = layers.Dense(3, activation="relu")
    first = dense(x).numpy()                       # builds (general path)
    again = dense(bw.Tensor(x)).numpy()            # built: one plain tensor
    keyword = dense(inputs=x).numpy()              # keyword call: general path
    expected = relu(x @ dense.kernel.numpy() + dense.bias.numpy())
    np.testing.assert_allclose(again, expected, rtol=1e-6)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(keyword, again)


def test_input_spec_is_still_checked_after_a_shape_change():
    dense = layers.Dense(3, name="head")
    dense(np.ones((2, 4), np.float32))
    dense(np.ones((7, 4), np.float32))
    with pytest.raises(ValueError, match=r"Input 0 of layer 'head' \(Dense\) is incompatible.*axis -1"):
        dense(np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"layer 'head'.*min_ndim=2"):
        dense(np.ones((4,), np.float32))


def test_float64_input_is_cast_to_the_layer_dtype():
    dense = layers.Dense(2)
    out = dense(np.ones((3, 4)))
    assert out.dtype == np.float32
    out = dense(bw.Tensor(np.ones((3, 4))))
    assert out.dtype == np.float32


def test_masks_still_flow_through_built_layers():
    emb = layers.Embedding(5, 3, mask_zero=True)
    ids = np.array([[1, 2, 0], [3, 0, 0]])
    emb(ids)                                       # build
    out = emb(ids)
    np.testing.assert_array_equal(np.asarray(out._keras_mask), ids != 0)
    dense = layers.Dense(2)
    dense(out)                                     # build on the masked tensor
    passed = dense(out)                            # masked input: the general path, mask passed on
    np.testing.assert_array_equal(np.asarray(passed._keras_mask), ids != 0)


def test_activity_losses_reset_on_each_top_level_call():
    model = models.Sequential([layers.Input(shape=(3,)),
                               layers.Dense(2, activity_regularizer=bw.regularizers.L2(0.1))])
    x = np.ones((4, 3), np.float32)
    for _ in range(3):
        out = model(x)
    assert len(model.losses) == 1
    expected = 0.1 * np.sum(out.numpy() ** 2) / 4
    np.testing.assert_allclose(float(model.losses[0].data), expected, rtol=1e-5)


def test_training_flag_reaches_dropout_in_the_built_call():
    drop = layers.Dropout(0.5, seed=1)
    x = np.ones((200, 10), np.float32)
    drop(x)
    np.testing.assert_array_equal(drop(x).numpy(), x)                 # inference by default
    trained = drop(x, training=True).numpy()
    assert set(np.unique(trained)) <= {0.0, 2.0} and 0.3 < np.mean(trained == 0) < 0.7


def test_backward_through_shared_nodes_and_retained_grads():
    x = bw.Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    y = x * 2.0
    y.retain_grad()
    z = (y * y + y).sum()                          # y used twice: its gradient is summed
    z.backward()
    np.testing.assert_allclose(y.grad, 2 * (2 * x.data) + 1)
    np.testing.assert_allclose(x.grad, 2 * (2 * (2 * x.data) + 1))


def test_second_backward_without_retain_graph_is_an_error():
    x = bw.Tensor(np.ones(3), requires_grad=True)
    z = (x * x).sum()
    z.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        z.backward()


@pytest.mark.parametrize("make_ours, make_theirs", [
    (lambda: optimizers.Adam(0.01, epsilon=1e-12), lambda p: torch.optim.Adam(p, lr=0.01, eps=1e-12)),
    (lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True, epsilon=1e-12),
     lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True, eps=1e-12, alpha=0.9)),
    (lambda: optimizers.SGD(0.05, momentum=0.8, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
])
def test_in_place_updates_of_several_variables_match_torch(make_ours, make_theirs):
    """Variables of different shapes share the scratch buffers; each still gets its own update."""
    rng = np.random.default_rng(3)
    values = [rng.standard_normal(s) for s in [(4, 3), (3,), (6, 5), (1,)]]
    ours = [bw.Variable(v, name=f"v{i}") for i, v in enumerate(values)]
    theirs = [torch.nn.Parameter(torch.tensor(v)) for v in values]
    opt, topt = make_ours(), make_theirs(theirs)
    for _ in range(4):
        grads = [np.sin(3 * v.data) + 0.1 for v in ours]
        opt.apply(grads, ours)
        for p in theirs:
            p.grad = torch.sin(3 * p.detach()) + 0.1
        topt.step()
    for v, p in zip(ours, theirs):
        np.testing.assert_allclose(v.data, p.detach().numpy(), rtol=1e-8, atol=1e-10)


def test_adam_step_allocates_no_variable_sized_temporaries():
    var = bw.Variable(np.zeros((500, 500), np.float32), name="big")   # 1 MB
    opt = optimizers.Adam(1e-3)
    grad = np.ones((500, 500), np.float32)
    opt.apply([grad], [var])                       # first step: slots and scratch are made
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        opt.apply([grad], [var])
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert peak < var.data.nbytes / 4, peak


def test_scratch_arrays_are_not_optimizer_state():
    var = bw.Variable(np.ones(3), name="w")
    opt = optimizers.Adam(0.1)
    opt.apply([np.ones(3)], [var])
    assert sorted(opt.get_state([var])) == ["0/momentum", "0/velocity", "iterations"]


class _Block:
    """A shard hook that gives this process one contiguous block of rows (or every other row)."""

    def __init__(self, stride: bool) -> None:
        self.stride = stride

    def num_local(self, n):
        return n // 2

    def select(self, order):
        return order[::2] if self.stride else order[len(order) // 2:]


@pytest.mark.parametrize("stride", [False, True])
def test_sharded_batches_hold_the_right_rows(stride):
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10, dtype=np.float32)
    data_adapter.set_shard_hook(_Block(stride))
    try:
        adapter = data_adapter.DataAdapter(x, y, batch_size=2, shuffle=False, what="fit")
        batches = [b for _, b in adapter.epoch()]
    finally:
        data_adapter.set_shard_hook(None)
    rows = np.arange(0, 10, 2) if stride else np.arange(5, 10)
    got_y = np.concatenate([b[1] for b in batches])
    np.testing.assert_array_equal(got_y, y[rows])
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x[rows])
    assert all(np.shares_memory(b[0], x) for b in batches) == (not stride)   # a contiguous block is sliced


def test_metric_attributes_are_found_and_logged():
    model = models.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.extra = bw.metrics.Mean(name="extra")
    assert [m.name for m in model.metrics] == ["loss", "extra"]
    model.extra.update_state([2.0, 4.0])
    assert model.get_metrics_result()["extra"] == 3.0


def test_epoch_loss_weights_each_batch_by_its_size():
    """7 samples in batches of 3, 3, 1: evaluate's loss is the mean over samples, not over batches."""
    bw.set_seed(0)
    model = models.Sequential([layers.Input(shape=(2,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer="sgd", loss="mse")
    x = np.arange(14, dtype=np.float32).reshape(7, 2)
    y = np.zeros((7, 1), np.float32)
    loss = model.evaluate(x, y, batch_size=3, verbose=0)
    pred = x.sum(axis=1)
    np.testing.assert_allclose(loss, np.mean(pred ** 2), rtol=1e-6)

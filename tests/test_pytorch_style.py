"""PyTorch-style subclassing and loops: forward, parameters(), train()/eval(), zero_grad/backward/step.

Oracles: ``fit`` (the same batches and optimizer must give the same weights) and PyTorch itself
(the same loop on a torch model with copied weights must give the same weights).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import brickwork as bw
from brickwork import layers, losses, models, ops, optimizers


class Net(models.Model):
    """A PyTorch-style model: layers in __init__, the computation in forward."""

    def __init__(self, hidden: int = 8, dtype: str = "float32", dropout: float = 0.0):
        super().__init__()
        self.fc1 = layers.Dense(hidden, activation="tanh", dtype=dtype)
        self.drop = layers.Dropout(dropout) if dropout else None
        self.fc2 = layers.Dense(1, dtype=dtype)

    def forward(self, x):
        h = self.fc1(x)
        if self.drop is not None:
            h = self.drop(h)
        return self.fc2(h)


def _data(n: int = 32, dtype=np.float32):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 4)).astype(dtype)
    return x, (np.sin(x[:, :1]) + 0.5 * x[:, 1:2]).astype(dtype)


def _net(seed: int = 0, dtype: str = "float32", **kw) -> Net:
    bw.utils.set_random_seed(seed)
    net = Net(dtype=dtype, **kw)
    net(np.zeros((1, 4), dtype))
    return net


# ---------------------------------------------------------------- forward, parameters
def test_forward_is_used_as_call():
    net = _net()
    assert Net.call is Net.forward
    x, y = _data()
    np.testing.assert_allclose(net(x).numpy(), net.fc2(net.fc1(x)).numpy(), rtol=1e-6)
    net.compile("sgd", "mse")
    history = net.fit(x, y, epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_a_subclass_without_call_or_forward_says_both():
    class Empty(models.Model):
        pass

    with pytest.raises(NotImplementedError, match=r"call\(\).*forward\(\)"):
        Empty()(np.zeros((1, 2), np.float32))


def test_parameters_and_named_parameters():
    net = _net()
    params = net.parameters()
    assert iter(params) is params  # an iterator, as torch's
    params = list(params)
    expected = [net.fc1.kernel, net.fc1.bias, net.fc2.kernel, net.fc2.bias]
    assert [id(p) for p in params] == [id(p) for p in expected]
    assert [name for name, _ in net.named_parameters()] == [v.path for v in expected]
    assert [name for name, _ in net.named_parameters(prefix="net")][0] == f"net.{net.fc1.kernel.path}"
    assert list(net.parameters(recurse=False)) == []  # the model itself owns no variable
    assert len(list(net.fc1.parameters(recurse=False))) == 2
    net.fc1.trainable = False
    assert [id(p) for p in net.parameters()] == [id(net.fc2.kernel), id(net.fc2.bias)]


def test_batchnorm_statistics_are_not_parameters():
    model = models.Sequential([layers.Input(shape=(3,)), layers.Dense(2), layers.BatchNormalization()])
    names = [name.split("/")[-1] for name, _ in model.named_parameters()]
    assert names == ["kernel", "bias", "gamma", "beta"]


def test_zero_grad_on_model_and_optimizer():
    net = _net()
    x, y = _data()
    losses.MeanSquaredError()(y, net(x)).backward()
    assert all(p.grad is not None for p in net.parameters())
    opt = optimizers.SGD(net.parameters(), lr=0.1)
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in net.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    losses.MeanSquaredError()(y, net(x)).backward()
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


# ---------------------------------------------------------------- (a) the loop equals fit
def _torch_style_epoch(net, opt, x, y, batch_size):
    loss_fn = losses.MeanSquaredError()
    net.train()
    values = []
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        opt.zero_grad()
        loss = loss_fn(yb, net(xb))
        loss.backward()
        opt.step()
        values.append(loss.item())
    return values


@pytest.mark.parametrize("make", [
    (lambda p: optimizers.SGD(p, lr=0.05, momentum=0.9), lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9)),
    (lambda p: optimizers.SGD(p, 0.1), lambda: optimizers.SGD(learning_rate=0.1)),
    (lambda p: optimizers.AdamW(p, lr=0.01, weight_decay=0.1, eps=1e-7),
     lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1, epsilon=1e-7, epsilon_outside=True)),
])
def test_pytorch_loop_matches_fit(make):
    torch_style, keras_style = make
    x, y = _data(40)
    looped, fitted = _net(seed=5), _net(seed=5)
    np.testing.assert_array_equal(looped.fc1.kernel.numpy(), fitted.fc1.kernel.numpy())
    values = _torch_style_epoch(looped, torch_style(looped.parameters()), x, y, batch_size=8)
    fitted.compile(keras_style(), loss="mse")
    history = fitted.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(looped.get_weights(), fitted.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.mean(values), history.history["loss"][0], rtol=1e-5)


# ---------------------------------------------------------------- (b) the loop equals torch's loop
def _torch_copy(net: Net) -> torch.nn.Sequential:
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    with torch.no_grad():
        for tl, bl in ((tnet[0], net.fc1), (tnet[2], net.fc2)):
            tl.weight.copy_(torch.from_numpy(bl.kernel.numpy().T.copy()))
            tl.bias.copy_(torch.from_numpy(bl.bias.numpy().copy()))
    return tnet


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("Adam", {"lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0}),
    ("Adam", {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 1e-2, "weight_decay": 0.05, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 1e-2, "weight_decay": 0.1}),
])
def test_pytorch_loop_matches_torch(name, kwargs):
    x, y = _data(24, np.float64)
    net = _net(seed=2, dtype="float64")
    tnet = _torch_copy(net)
    opt = getattr(optimizers, name)(net.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(tnet.parameters(), **kwargs)
    loss_fn, tloss_fn = losses.MeanSquaredError(), torch.nn.MSELoss()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    for step in range(6):
        rows = slice(4 * step, 4 * step + 8)
        opt.zero_grad()
        loss = loss_fn(y[rows], net(x[rows]))
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = tloss_fn(tnet(tx[rows]), ty[rows])
        tloss.backward()
        topt.step()
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-10)
    np.testing.assert_allclose(net.fc1.kernel.numpy(), tnet[0].weight.detach().numpy().T, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(net.fc2.bias.numpy(), tnet[2].bias.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_torch_defaults_are_torchs():
    net = _net()
    sgd = optimizers.SGD(net.parameters())
    assert sgd.learning_rate == pytest.approx(1e-3) and sgd.momentum == 0.0  # torch's SGD default lr
    adamw = optimizers.AdamW(net.named_parameters())  # (name, variable) pairs, as torch accepts
    assert adamw.weight_decay == pytest.approx(1e-2) and adamw.epsilon == pytest.approx(1e-8)
    assert optimizers.SGD(learning_rate=0.05).learning_rate == pytest.approx(0.05)  # Keras style unchanged


def test_torch_style_optimizer_state_saves_with_the_model(tmp_path):
    x, y = _data()
    model = models.Sequential([layers.Input(shape=(4,)), layers.Dense(3), layers.Dense(1)])
    model.compile(optimizers.Adam(model.parameters(), lr=0.01, weight_decay=0.01), loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.brick")
    again = bw.load_model(tmp_path / "m.brick")
    assert again.optimizer.gradient_decay == pytest.approx(0.01) and again.optimizer.epsilon_outside
    model.fit(x, y, epochs=1, shuffle=False, verbose=0)
    again.fit(x, y, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6)


# ---------------------------------------------------------------- (d) train() / eval()
def test_train_and_eval_set_the_dropout_mode():
    x, _ = _data()
    net = _net(dropout=0.5)
    assert net.training is False  # Keras's default: inference until train() is called
    plain = net.fc2(net.fc1(x)).numpy()
    assert net.train() is net and net.training and net.drop.training
    first, second = net(x).numpy(), net(x).numpy()
    assert not np.allclose(first, second)  # a fresh dropout mask each call
    assert net.eval() is net and not net.drop.training
    np.testing.assert_allclose(net(x).numpy(), plain, rtol=1e-6)
    net.train()
    np.testing.assert_allclose(net(x, training=False).numpy(), plain, rtol=1e-6)  # an explicit flag wins


def test_dropout_mask_rate_in_train_mode():
    drop = layers.Dropout(0.25)
    drop.train()
    out = drop(np.ones((200, 50), np.float32)).numpy()
    kept = out[out != 0]
    np.testing.assert_allclose(kept, 1 / 0.75, rtol=1e-6)  # survivors scaled by 1 / (1 - rate)
    assert abs((out == 0).mean() - 0.25) < 0.02


class Recorder(layers.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.seen = []

    def call(self, inputs, training=None):
        self.seen.append(training)
        return inputs


def test_fit_trains_and_predict_infers_whatever_the_mode():
    recorder = Recorder()
    model = models.Sequential([layers.Input(shape=(4,)), layers.Dense(1), recorder])
    model.compile("sgd", "mse")
    x, y = _data(8)
    model(x[:1], training=False)
    recorder.seen.clear()
    model.eval()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert recorder.seen == [True]
    model.train()
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    assert recorder.seen == [True, False, False]
    model(x)
    assert recorder.seen[-1] is True


def test_batchnorm_follows_the_mode():
    bn = layers.BatchNormalization(momentum=0.5)
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(64, 2)).astype(np.float32)
    bn.eval()
    bn(x)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), [0.0, 0.0])
    bn.train()
    out = bn(x).numpy()
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(out.mean(axis=0), [0.0, 0.0], atol=1e-5)  # normalised with the batch's stats


# ---------------------------------------------------------------- (e) bad construction
def _params():
    return list(_net().parameters())


@pytest.mark.parametrize("build,error,pattern", [
    (lambda p: optimizers.SGD(p, lr=0.1, betas=(0.9, 0.99)), TypeError, "'betas'"),
    (lambda p: optimizers.Adam(p, learning_rate=0.1), TypeError, "'learning_rate'.*'lr'"),
    (lambda p: optimizers.Adam(p, lr=0.1, epsilon=1e-8), TypeError, "'epsilon'"),
    (lambda p: optimizers.SGD(p, 0.1, 0.9, 0.0, 0.0, False, True), TypeError, "positional"),
    (lambda p: optimizers.SGD(p, 0.1, lr=0.2), TypeError, "multiple values for argument 'lr'"),
    (lambda p: optimizers.SGD([np.zeros(3)], lr=0.1), TypeError, r"params\[0\] is a ndarray"),
    (lambda p: optimizers.SGD(p + [torch.zeros(2)], lr=0.1), TypeError, r"params\[4\] is a Tensor"),
    (lambda p: optimizers.SGD(p[0], lr=0.1), TypeError, "single Variable"),
    (lambda p: optimizers.SGD([], lr=0.1), ValueError, "empty parameter list.*call the model"),
    (lambda p: optimizers.SGD([{"params": p}], lr=0.1), ValueError, "parameter group"),
    (lambda p: optimizers.SGD(p, lr=0.1, momentum=0.9, dampening=0.1), ValueError, "dampening"),
    (lambda p: optimizers.Adam(p, lr=0.1, maximize=True), ValueError, "maximize"),
    (lambda p: optimizers.Adam(p, lr=0.1, betas=0.9), ValueError, "betas"),
    (lambda p: optimizers.Adam(p, lr=-1.0), ValueError, "learning_rate"),
    (lambda p: optimizers.RMSprop(p, lr=0.1), TypeError, "RMSprop does not take PyTorch-style"),
])
def test_bad_torch_style_construction_names_the_argument(build, error, pattern):
    with pytest.raises(error, match=pattern):
        build(_params())


def test_unbuilt_model_parameters_explain_lazy_build():
    net = Net()
    with pytest.raises(ValueError, match="params.*empty.*call the model on a batch"):
        optimizers.SGD(net.parameters(), lr=0.1)


def test_step_on_a_keras_style_optimizer_says_how():
    opt = optimizers.SGD(learning_rate=0.1)
    with pytest.raises(RuntimeError, match=r"SGD was built Keras-style.*SGD\(model.parameters\(\)"):
        opt.step()
    with pytest.raises(RuntimeError, match="Keras-style"):
        opt.zero_grad()


def test_step_skips_parameters_without_gradient_and_runs_the_closure():
    net = _net()
    opt = optimizers.SGD(net.parameters(), lr=0.1)
    before = [p.numpy().copy() for p in net.parameters()]
    assert opt.step() is None and opt.iterations == 0  # no gradient anywhere: nothing moves
    x, y = _data()

    def closure():
        opt.zero_grad()
        loss = losses.MeanSquaredError()(y, net(x))
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert isinstance(loss, bw.Tensor) and opt.iterations == 1
    assert any(not np.allclose(b, p.numpy()) for b, p in zip(before, net.parameters()))


# ---------------------------------------------------------------- (c) seed 000's RNNModel, brickwork version
class RNNModel(models.Model):
    """Seed 000's default-risk ``RNNModel`` with brickwork's layers (docs/training.md shows both)."""

    def __init__(self, app_ref, cc_ref, szs, app_drop, cat_drop, rnn_drop, lin_drops):
        super().__init__()
        self.app_ref, self.cc_ref = app_ref, cc_ref  # lookup tables: applicant row -> features / card history
        self.rnn1 = layers.GRU(64, return_sequences=True)  # nn.GRU(37, 64, num_layers=2, dropout=rnn_drop)
        self.rnn_drop = layers.Dropout(rnn_drop)
        self.rnn2 = layers.GRU(64)
        self.lins = [layers.Dense(sz, kernel_initializer="he_normal") for sz in szs]
        self.l_outp = layers.Dense(1, kernel_initializer="he_normal")
        self.bns_app = layers.BatchNormalization()
        self.bns_lins = [layers.BatchNormalization() for _ in szs]
        self.app_drop = layers.Dropout(app_drop)
        self.cat_drop = layers.Dropout(cat_drop)
        self.drops_lins = [layers.Dropout(drop) for drop in lin_drops]

    def forward(self, x_in):
        rows = np.asarray(x_in.numpy() if isinstance(x_in, bw.Tensor) else x_in).astype(np.int64).reshape(-1)
        app_input = self.app_drop(self.bns_app(self.app_ref[rows]))
        outp = self.rnn2(self.rnn_drop(self.rnn1(self.cc_ref[rows])))
        x = self.cat_drop(ops.concatenate([app_input, outp], axis=1))
        for linear, drop_out, batch_norm in zip(self.lins, self.drops_lins, self.bns_lins):
            x = drop_out(batch_norm(ops.relu(linear(x))))
        return ops.sigmoid(self.l_outp(x))


def _default_risk_tables(n: int = 32):
    rng = np.random.default_rng(7)
    app = rng.standard_normal((n, 245)).astype(np.float32)
    cc = rng.standard_normal((n, 4, 37)).astype(np.float32)
    cc[::3] = 0.0  # applicants without a card history: zero sequences (the seed's self.zeros)
    y = ((app[:, 0] + cc[:, :, 0].sum(axis=1) * 0.3) > 0).astype(np.float32)[:, None]
    return app, cc, y


def test_seed_000_rnn_model_trains_with_a_pytorch_loop():
    bw.utils.set_random_seed(0)
    app, cc, y = _default_risk_tables()
    model = RNNModel(app, cc, szs=[32, 16], app_drop=0.1, cat_drop=0.1, rnn_drop=0.1, lin_drops=[0.1, 0.1])
    ids = np.arange(len(y))
    model(ids[:4])  # build: brickwork makes variables on the first call
    n_params = len(list(model.parameters()))
    assert n_params == 2 * 3 + 2 * 2 + 2 + 2 + 2 * 2  # GRUs, hidden Dense, output, BN(app), BN(lins)
    opt = optimizers.Adam(model.parameters(), lr=3e-3)
    loss_fn = losses.BinaryCrossentropy()
    model.train()
    first = last = None
    for _ in range(6):
        total = 0.0
        for start in range(0, len(ids), 16):
            batch = ids[start:start + 16]
            opt.zero_grad()
            loss = loss_fn(y[batch], model(batch))
            loss.backward()
            opt.step()
            total += loss.item()
        first = total if first is None else first
        last = total
    assert last < 0.7 * first
    model.eval()
    np.testing.assert_allclose(model(ids).numpy(), model(ids).numpy())  # eval: deterministic
    assert model(ids).shape == (len(ids), 1)

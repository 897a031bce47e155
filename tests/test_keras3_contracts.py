"""The core contracts of Keras 3 that brickwork's redesign follows (issue 12): each test
here reproduces a behaviour difference from Keras 3 found in the previous design."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers, losses, metrics, models, ops


def _padded_sequences(rng):
    lengths = [4, 2, 3]
    seqs = [rng.normal(size=(n, 3)) for n in lengths]
    padded = np.zeros((3, 4, 3))
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    return seqs, padded


# ------------------------------------------------------------------ masks
@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed"])
def test_mask_survives_the_cast_to_a_float64_layer(kind, rng):
    seqs, padded = _padded_sequences(rng)
    if kind == "sequential":
        model = models.Sequential([layers.Input(shape=(None, 3), dtype="float64"), layers.Masking(0.0),
                                   layers.LSTM(5, dtype="float64")])
    elif kind == "functional":
        x = layers.Input(shape=(None, 3), dtype="float64")
        model = models.Model(x, layers.LSTM(5, dtype="float64")(layers.Masking(0.0)(x)))
    else:
        class Net(models.Model):
            def __init__(self):
                super().__init__()
                self.masking = layers.Masking(0.0)
                self.lstm = layers.LSTM(5, dtype="float64")

            def call(self, x):
                return self.lstm(self.masking(x))

        model = Net()
    batch = model.predict(padded, verbose=0)
    for i, s in enumerate(seqs):
        one = model.predict(s[None], verbose=0)
        np.testing.assert_allclose(batch[i], one[0], rtol=1e-6, atol=1e-7)


def test_a_layer_that_cannot_mask_warns_when_it_drops_one():
    x = layers.Input(shape=(6, 3))
    model = models.Model(x, layers.Conv1D(2, 3)(layers.Masking(0.0)(x)))
    with pytest.warns(UserWarning, match="does not support masking"):
        model.predict(np.zeros((2, 6, 3), np.float32), verbose=0)


def test_functional_model_takes_a_mask_argument(rng):
    seqs, padded = _padded_sequences(rng)
    x = layers.Input(shape=(None, 3))
    model = models.Model(x, layers.GRU(4)(x))
    mask = np.array([[True] * len(s) + [False] * (4 - len(s)) for s in seqs])
    out = model(padded.astype(np.float32), mask=mask).data
    for i, s in enumerate(seqs):
        np.testing.assert_allclose(out[i], model.predict(s[None].astype(np.float32), verbose=0)[0], rtol=1e-5,
                                   atol=1e-6)


def test_losses_and_metrics_average_over_unmasked_steps_only(rng):
    ids = np.array([[3, 1, 2, 0, 0], [4, 2, 0, 0, 0]])
    y = rng.integers(0, 3, size=(2, 5))
    tokens = layers.Input(shape=(5,), dtype="int64")
    h = layers.GRU(4, return_sequences=True)(layers.Embedding(6, 3, mask_zero=True)(tokens))
    model = models.Model(tokens, layers.Dense(3, activation="softmax")(h))
    model.compile("sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    p = model.predict(ids, verbose=0)
    valid = ids != 0
    nll = -np.log(np.take_along_axis(p, y[..., None], axis=-1)[..., 0])
    loss, acc = model.evaluate(ids, y, verbose=0)
    assert loss == pytest.approx(nll[valid].mean(), rel=1e-5)
    assert acc == pytest.approx((p.argmax(-1) == y)[valid].mean(), rel=1e-6)


# ------------------------------------------------------ several tensor arguments
class CrossScore(layers.Layer):
    """``call(query, value, key=None, query_mask=None)`` with ``build(query_shape, value_shape)``, as Keras 3 layers."""

    def build(self, query_shape, value_shape):
        self.seen = (query_shape, value_shape)
        self.w = self.add_weight(shape=(query_shape[-1], value_shape[-1]), name="w")

    def call(self, query, value, key=None, query_mask=None):
        scores = ops.matmul(ops.matmul(query, self.w), ops.transpose(value, (0, 2, 1)))
        if query_mask is not None:
            scores = scores * ops.cast(query_mask[:, :, None], scores.dtype)
        return scores

    def compute_output_shape(self, query_shape, value_shape):
        return (query_shape[0], query_shape[1], value_shape[1])


def test_a_layer_with_several_tensor_arguments_works_in_a_functional_model(rng):
    q, v = layers.Input(shape=(4, 3)), layers.Input(shape=(5, 2))
    layer = CrossScore()
    out = layer(q, v)
    assert out.shape == (None, 4, 5)
    assert layer.seen == ((None, 4, 3), (None, 5, 2))
    model = models.Model([q, v], out)
    xq, xv = rng.normal(size=(2, 4, 3)).astype(np.float32), rng.normal(size=(2, 5, 2)).astype(np.float32)
    expected = xq @ layer.w.data @ xv.transpose(0, 2, 1)
    np.testing.assert_allclose(model.predict([xq, xv], verbose=0), expected, rtol=1e-5)
    masked = bw.Tensor(xq)
    masked._keras_mask = np.array([[True, True, False, False]] * 2)
    got = layer(masked, xv).data  # query_mask is filled in from the query's mask
    np.testing.assert_allclose(got[:, 2:], 0.0)
    np.testing.assert_allclose(got[:, :2], expected[:, :2], rtol=1e-5)


# ------------------------------------------------------------- tracking
def test_children_and_variables_are_tracked_on_assignment(monkeypatch):
    class Stack(layers.Layer):
        def __init__(self):
            super().__init__()
            self.blocks = []

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    stack = Stack()
    stack.blocks.append(layers.Dense(3))
    stack.blocks.append(layers.Dense(2))
    stack(np.zeros((1, 4), np.float32))
    assert [v.shape for v in stack.trainable_weights] == [(4, 3), (3,), (3, 2), (2,)]
    stack.extra = bw.Variable(np.ones(2, np.float32))  # PyTorch style: a variable as an attribute
    assert stack.trainable_weights[0] is stack.extra
    calls = []
    original = layers.Layer._find_sublayers
    monkeypatch.setattr(layers.Layer, "_find_sublayers", lambda self: calls.append(1) or original(self))
    for _ in range(5):
        stack.trainable_weights  # noqa: B018 - a cached list: no rescan while nothing changes
    assert calls == []
    stack.blocks[0].trainable = False
    assert [v.shape for v in stack.trainable_weights] == [(2,), (3, 2), (2,)]


def test_trainable_false_after_compile_is_seen_by_the_optimizer(rng):
    model = models.Sequential([layers.Input(shape=(3,)), layers.Dense(4), layers.Dense(1)])
    model.compile("sgd", loss="mse")
    frozen = model.layers[0]
    frozen.trainable = False
    model.compile("sgd", loss="mse")
    before = frozen.get_weights()
    model.fit(rng.normal(size=(8, 3)), rng.normal(size=(8, 1)), epochs=2, verbose=0)
    for a, b in zip(before, frozen.get_weights()):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------- symbolic tensors
def test_symbolic_tensors_have_comparison_arithmetic_and_slicing(tmp_path):
    tokens = layers.Input(shape=(4,), dtype="int32")
    mask = (tokens != 0)[:, None, :]
    assert mask.shape == (None, 1, 4) and mask.dtype == np.bool_
    counts = ops.sum(ops.cast(mask, "float32"), axis=-1) * 2.0 + 1.0
    model = models.Model(tokens, counts)
    ids = np.array([[1, 0, 5, 0], [0, 0, 0, 7]])
    np.testing.assert_allclose(model.predict(ids, verbose=0), [[5.0], [3.0]])
    model.save(tmp_path / "ops.brick")
    loaded = bw.load_model(tmp_path / "ops.brick")
    np.testing.assert_allclose(loaded.predict(ids, verbose=0), [[5.0], [3.0]])


def test_model_input_and_output_and_an_input_one_axis_short():
    x = layers.Input(shape=(28, 28, 1))
    y = layers.Dense(2)(layers.Flatten()(x))
    model = models.Model(x, y)
    assert model.input is x and model.output is y
    assert model.predict(np.zeros((3, 28, 28), np.float32), verbose=0).shape == (3, 2)


def test_integer_inputs_stay_integers_until_a_layer_casts_them():
    seen = []

    class Probe(layers.Layer):
        def call(self, ids):
            seen.append((ids.dtype, int(ids.data.max())))
            return ops.cast(ids, "float32") * 0.0

    big = 2 ** 24 + 1  # not representable in float32
    ids = layers.Input(shape=(1,), dtype="int64")
    model = models.Model(ids, layers.Dense(1)(Probe()(ids)))
    model.compile("sgd", loss="mse")
    model.fit(np.array([[big]]), np.zeros((1, 1)), epochs=1, verbose=0)
    assert seen[-1] == (np.dtype("int64"), big)


def test_a_new_model_from_the_layers_of_a_trained_one(rng):
    """The seq2seq inference split: encoder and decoder models rebuilt from a trained model's tensors."""
    enc_in, dec_in = layers.Input(shape=(None, 3)), layers.Input(shape=(None, 2))
    _, h, c = layers.LSTM(4, return_state=True, name="enc")(enc_in)
    dec_lstm = layers.LSTM(4, return_sequences=True, return_state=True, name="dec")
    dec_out, _, _ = dec_lstm(dec_in, initial_state=[h, c])
    dense = layers.Dense(2, name="proj")
    model = models.Model([enc_in, dec_in], dense(dec_out))
    xe, xd = rng.normal(size=(2, 5, 3)).astype(np.float32), rng.normal(size=(2, 3, 2)).astype(np.float32)
    full = model.predict([xe, xd], verbose=0)
    encoder = models.Model(model.input[0], model.get_layer("enc").output[1:])
    state_h, state_c = layers.Input(shape=(4,)), layers.Input(shape=(4,))
    out, _, _ = model.get_layer("dec")(model.input[1], initial_state=[state_h, state_c])
    decoder = models.Model([model.input[1], state_h, state_c], model.get_layer("proj")(out))
    sh, sc = encoder.predict(xe, verbose=0)
    np.testing.assert_allclose(decoder.predict([xd, sh, sc], verbose=0), full, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------ the training steps
def test_compile_without_a_loss_trains_on_add_loss_terms(rng):
    class AutoEncoder(models.Model):
        def __init__(self):
            super().__init__()
            self.enc, self.dec = layers.Dense(2), layers.Dense(4)

        def call(self, x):
            recon = self.dec(self.enc(x))
            self.add_loss(ops.mean(ops.square(recon - x)))
            return recon

    x = rng.normal(size=(64, 4)).astype(np.float32)
    model = AutoEncoder()
    model.compile(bw.optimizers.Adam(0.02))
    history = model.fit(x, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.6 * history.history["loss"][0]


def test_compute_loss_is_the_overridable_place_where_the_loss_is_formed(rng):
    calls = []

    class Net(models.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            calls.append(training)
            return ops.mean(ops.abs(y_pred - y)) * 10.0

    model = Net()
    model.compile("sgd", loss="mse")
    logs = model.evaluate(np.ones((4, 2)), np.zeros((4, 1)), verbose=0, return_dict=True)
    p = model.predict(np.ones((4, 2)), verbose=0)
    assert logs["loss"] == pytest.approx(10.0 * np.abs(p).mean(), rel=1e-5)
    model.fit(np.ones((4, 2)), np.zeros((4, 1)), epochs=1, verbose=0)
    assert calls == [False, True]


def test_a_pytorch_style_train_step_runs_under_fit(rng):
    """The step Keras documents for its torch backend: zero_grad, backward, optimizer.apply, self.metrics."""
    class CustomModel(models.Model):
        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            trainable_weights = list(self.trainable_weights)
            gradients = [v.value.grad for v in trainable_weights]
            with bw.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    inputs = layers.Input(shape=(32,))
    model = CustomModel(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, y = rng.random((256, 32)), rng.random((256, 1))
    history = model.fit(x, y, epochs=3, verbose=0)
    assert set(history.history) == {"loss", "mae"}
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_fit_takes_generators_and_py_datasets(rng):
    x, y = rng.normal(size=(40, 3)).astype(np.float32), rng.normal(size=(40, 1)).astype(np.float32)

    class Batches(bw.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 10:(i + 1) * 10], y[i * 10:(i + 1) * 10]

    def batches():
        while True:
            for i in range(4):
                yield x[i * 10:(i + 1) * 10], y[i * 10:(i + 1) * 10]

    for data, steps in ((Batches(workers=2), None), (batches(), 4)):
        model = models.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
        model.compile("sgd", loss="mse")
        history = model.fit(data, epochs=2, steps_per_epoch=steps, verbose=0, validation_data=(x, y))
        assert len(history.history["loss"]) == 2 and "val_loss" in history.history


def test_weighted_metrics_receive_the_sample_weights():
    model = models.Sequential([layers.Input(shape=(1,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile("sgd", loss="mae", metrics=["mae"], weighted_metrics=["mae"])
    x, y, w = np.array([[1.0], [2.0]]), np.zeros((2, 1)), np.array([1.0, 3.0])
    logs = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    assert logs["mae"] == pytest.approx(1.5)  # plain metrics ignore sample weights (Keras 3)
    weighted = [v for k, v in logs.items() if k != "mae" and "mae" in k and k != "loss"]
    assert weighted == [pytest.approx((1.0 + 6.0) / 4.0)]
    model.compile("sgd", loss="mse", weighted_metrics=["mae"])  # weighted metrics alone
    logs = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    assert logs["mae"] == pytest.approx((1.0 + 6.0) / 4.0)


def test_a_custom_metric_makes_its_state_with_add_variable():
    class CategoricalTruePositives(metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            self.true_positives.assign_add(ops.sum(ops.cast(values, "float32")))

        def result(self):
            return self.true_positives.value

    model = models.Sequential([layers.Input(shape=(2,)), layers.Dense(3)])
    model.compile("sgd", loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[CategoricalTruePositives()])
    x = np.eye(2, dtype=np.float32).repeat(5, axis=0)
    y = np.array([[0]] * 5 + [[1]] * 5)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)
    assert logs["categorical_true_positives"] == float((p.argmax(1) == y[:, 0]).sum())


def test_every_callback_hook_gets_a_logs_dict_and_evaluate_predict_call_theirs():
    seen = {}

    class Recorder(bw.callbacks.Callback):
        def __getattribute__(self, name):
            if name.startswith("on_"):
                def hook(*args):
                    seen.setdefault(name, []).append(args[-1])
                return hook
            return super().__getattribute__(name)

    model = models.Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
    model.compile("sgd", loss="mse")
    x, y = np.ones((4, 2)), np.ones((4, 1))
    model.fit(x, y, epochs=1, batch_size=2, verbose=0, callbacks=[Recorder()])
    model.evaluate(x, y, verbose=0, callbacks=[Recorder()])
    model.predict(x, verbose=0, callbacks=[Recorder()])
    for hook in ("on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_train_batch_end", "on_epoch_end",
                 "on_train_end", "on_test_begin", "on_test_batch_end", "on_test_end", "on_predict_begin",
                 "on_predict_batch_end", "on_predict_end"):
        assert hook in seen and all(isinstance(logs, dict) for logs in seen[hook]), hook
    assert seen["on_predict_batch_end"][0]["outputs"].shape == (4, 1)


def test_gradients_with_respect_to_inputs_and_the_hook_before_the_update(rng):
    x = bw.Tensor(rng.normal(size=(2, 3)).astype(np.float32), requires_grad=True)
    dense = layers.Dense(1)
    y = dense(x)
    gx = bw.grad(ops.sum(y), x)
    np.testing.assert_allclose(gx, np.repeat(dense.kernel.data.T, 2, axis=0), rtol=1e-6)
    assert dense.kernel.grad is None  # grad() writes no .grad

    seen = []
    model = models.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    model.compile("sgd", loss="mse")
    model.add_gradient_hook(lambda grads, variables: seen.append(len(grads)) or [g * 0.0 for g in grads])
    before = model.get_weights()
    model.fit(rng.normal(size=(4, 3)), rng.normal(size=(4, 1)), epochs=1, verbose=0)
    assert seen == [2]
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # the hook zeroed every gradient


def test_symbolic_comparison_is_not_a_python_bool():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = layers.Input(shape=(3,), dtype="int32") != 0
    assert type(t).__name__ == "SymbolicTensor"
    with pytest.raises(TypeError, match="symbolic"):
        bool(t)


def test_a_py_dataset_with_workers_is_read_ahead_in_threads_and_in_order(rng):
    import threading
    import time

    x, y = rng.normal(size=(64, 3)).astype(np.float32), rng.normal(size=(64, 1)).astype(np.float32)
    threads = set()

    class Slow(bw.utils.PyDataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            threads.add(threading.get_ident())
            time.sleep(0.01)
            return x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]

    seen = []

    class Order(bw.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(batch)

    model = models.Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    model.compile("sgd", loss="mse")
    model.fit(Slow(workers=3, max_queue_size=4), epochs=1, shuffle=False, verbose=0, callbacks=[Order()])
    assert seen == list(range(8)) and len(threads) > 1
    batches = [b for _, b in model._adapter(Slow(workers=3), what="fit").epoch()]  # the order the steps see
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)


def test_train_step_gets_the_bare_array_when_fit_has_no_targets_as_keras_packs_it():
    import brickwork as bw

    seen = []

    class Probe(bw.Model):
        def __init__(self):
            super().__init__()
            self.dense = bw.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            seen.append(data)
            return {}

    x = np.ones((4, 3), np.float32)
    for targets in (None, x[:, :1]):
        probe = Probe()
        probe.compile("sgd", "mse")
        probe.fit(x, targets, epochs=1, batch_size=4, verbose=0)
    assert isinstance(seen[0], np.ndarray) and seen[0].shape == (4, 3)
    assert isinstance(seen[1], tuple) and len(seen[1]) == 2
    packed = bw.models.data_adapter.pack_x_y_sample_weight
    assert packed(x) is x and packed([x, x]) == ([x, x],) and len(packed(x, x, x)) == 3

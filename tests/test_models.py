"""Sequential, Functional and subclassed models: building, calling, training API."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import brickwork as bw
from brickwork import functions as F
from brickwork import layers, models
from brickwork.layers import Dense, Input


def blobs(n=200, d=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.float32)
    return x, y


def test_sequential_three_ways_to_give_the_input_shape():
    a = models.Sequential([Dense(3, input_shape=(4,)), Dense(1)])
    b = models.Sequential([Input(shape=(4,)), Dense(3), Dense(1)])
    c = models.Sequential([Dense(3), Dense(1)])
    assert a.built and b.built and not c.weights
    c(np.zeros((2, 4), np.float32))
    assert a.count_params() == b.count_params() == c.count_params() == 4 * 3 + 3 + 3 + 1
    assert a.layers[0].output_shape == (None, 3)


def test_seed_002_add_with_units_is_read_as_dense():
    model = models.Sequential()
    model.add(10, input_shape=(10,), activation="relu")
    model.add(Dense(1, activation="sigmoid"))
    assert isinstance(model.layers[0], Dense) and model.count_params() == 110 + 11


def test_functional_multi_input_multi_output_with_a_shared_layer():
    a, b = Input(shape=(3,), name="a"), Input(shape=(3,), name="b")
    shared = Dense(4, activation="tanh", name="shared")
    h = layers.concatenate([shared(a), shared(b)])
    out1 = Dense(1, activation="sigmoid", name="out1")(h)
    out2 = Dense(2, name="out2")(h)
    model = models.Model(inputs=[a, b], outputs=[out1, out2])
    assert model.count_params() == 16 + 9 + 18
    assert len(shared._inbound_nodes) == 2
    xa, xb = np.ones((5, 3), np.float32), np.zeros((5, 3), np.float32)
    p1, p2 = model.predict([xa, xb], verbose=0)
    assert p1.shape == (5, 1) and p2.shape == (5, 2)
    by_name = model.predict({"a": xa, "b": xb}, verbose=0)
    np.testing.assert_allclose(by_name[0], p1)
    model.compile("adam", loss=["binary_crossentropy", "mse"], loss_weights=[1.0, 0.5], metrics=[["acc"], []])
    hist = model.fit([xa, xb], [np.ones((5, 1)), np.zeros((5, 2))], epochs=2, verbose=0)
    assert list(hist.history) == ["loss", "out1_loss", "out2_loss", "out1_acc"]
    total = hist.history["out1_loss"][-1] + 0.5 * hist.history["out2_loss"][-1]
    assert hist.history["loss"][-1] == pytest.approx(total, rel=1e-5)  # the weighted sum of the outputs' losses
    model.compile("adam", loss={"out1": "binary_crossentropy", "out2": "mse"})
    model.fit({"a": xa, "b": xb}, {"out1": np.ones((5, 1)), "out2": np.zeros((5, 2))}, epochs=1, verbose=0)


def test_functional_graph_disconnected_is_an_error():
    a, b = Input(shape=(3,)), Input(shape=(3,))
    out = layers.add([Dense(2)(a), Dense(2)(b)])
    with pytest.raises(ValueError, match="Graph disconnected"):
        models.Model(inputs=a, outputs=out)


def test_intermediate_layer_output_model():
    inp = Input(shape=(4,))
    hidden = Dense(3, activation="relu", name="hidden")(inp)
    model = models.Model(inp, Dense(1)(hidden))
    probe = models.Model(model.inputs, model.get_layer("hidden").output)
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    expected = np.maximum(x @ model.get_layer("hidden").kernel.data + model.get_layer("hidden").bias.data, 0)
    np.testing.assert_allclose(probe.predict(x, verbose=0), expected, rtol=1e-6)


def test_nested_models_share_weights():
    inner = models.Sequential([Input(shape=(3,)), Dense(2)])
    x = Input(shape=(3,))
    outer = models.Model(x, Dense(1)(inner(x)))
    assert outer.count_params() == 8 + 3
    assert outer.predict(np.ones((1, 3), np.float32), verbose=0).shape == (1, 1)


class TwoLayer(models.Model):
    """PyTorch-style research code: layers in __init__, forward in call."""

    def __init__(self, hidden=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = Dense(hidden, activation="relu", kernel_initializer="he_normal")
        self.blocks = [layers.BatchNormalization(), layers.Dropout(0.2)]
        self.out = Dense(1, activation="sigmoid")

    def call(self, x, training=False):
        h = self.hidden(x)
        for block in self.blocks:
            h = block(h, training=training)
        return self.out(h)


def test_subclassed_model_trains_and_tracks_nested_layers():
    x, y = blobs()
    model = TwoLayer()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    assert len(model.trainable_weights) == 6 and len(model.weights) == 8
    assert hist.history["accuracy"][-1] > hist.history["accuracy"][0] + 0.1
    assert model.evaluate(x, y, verbose=0)[1] > 0.9


def test_fit_history_keys_follow_keras_names():
    x, y = blobs()
    for metric, key in (("acc", "acc"), ("accuracy", "accuracy"), ("auc", "auc")):
        model = models.Sequential([Input(shape=(4,)), Dense(1, activation="sigmoid")])
        model.compile("rmsprop", "binary_crossentropy", metrics=[metric])
        hist = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0)
        assert list(hist.history) == ["loss", key, "val_loss", f"val_{key}"]
        assert len(hist.history["loss"]) == 2


def test_full_batch_sgd_and_minibatch_are_batch_sizes():
    x, y = blobs(64)
    for bs in (len(x), 1, 16):
        bw.set_seed(0)
        model = models.Sequential([Input(shape=(4,)), Dense(1, activation="sigmoid")])
        model.compile(bw.optimizers.SGD(0.1), "binary_crossentropy")
        model.fit(x, y, batch_size=bs, epochs=1, verbose=0, shuffle=False)
        assert model.optimizer.iterations == int(np.ceil(64 / bs))


def test_training_reduces_loss_and_learns_digits():
    from brickwork.cli.demo import build_mlp
    from brickwork.datasets import load_digits_split

    bw.set_seed(0)
    x_train, x_test, y_train, y_test = load_digits_split()
    model = build_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x_train, y_train, epochs=30, batch_size=32, validation_split=0.1, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0] / 5
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.95


def test_validation_data_sample_weight_class_weight():
    x, y = blobs(100)
    model = models.Sequential([Input(shape=(4,)), Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, validation_data=(x[:20], y[:20]), epochs=1, verbose=0, class_weight={0: 1.0, 1: 3.0})
    assert "val_accuracy" in h.history
    w = np.zeros(len(x))
    w[:10] = 1.0
    before = model.get_weights()
    model.fit(x, y, sample_weight=w, epochs=1, verbose=0, batch_size=100)
    assert not np.allclose(before[0], model.get_weights()[0])
    model.compile("sgd", "binary_crossentropy")  # no momentum left over from Adam
    zero = model.get_weights()
    model.fit(x[10:], y[10:], sample_weight=np.zeros(90), epochs=1, verbose=0, batch_size=90)
    np.testing.assert_array_equal(zero[0], model.get_weights()[0])  # zero weight: zero gradient


def test_sample_weighted_loss_equals_keras_reduction():
    model = models.Sequential([Input(shape=(1,)), Dense(1, use_bias=False, kernel_initializer="ones")])
    model.compile("sgd", "mse")
    x = np.array([[1.0], [2.0]], np.float32)
    y = np.array([[0.0], [0.0]], np.float32)
    loss = model.evaluate(x, y, sample_weight=np.array([1.0, 0.5]), verbose=0)
    assert loss == pytest.approx((1 * 1 + 0.5 * 4) / 2)


def test_dataframe_and_list_inputs():
    x, y = blobs(50)
    df = pd.DataFrame(x, columns=list("abcd"))
    model = models.Sequential([Input(shape=(4,)), Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    model.fit(df, pd.Series(y), epochs=1, verbose=0)
    np.testing.assert_allclose(model.predict(df, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_train_on_batch_evaluate_predict_shapes():
    x, y = blobs(40)
    model = models.Sequential([Input(shape=(4,)), Dense(3, activation="relu"), Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    loss, acc = model.train_on_batch(x, y)
    assert np.isfinite(loss) and 0 <= acc <= 1
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    assert model.predict_on_batch(x).shape == (40, 1)
    assert model.predict(x, batch_size=7, verbose=0).shape == (40, 1)


def test_eager_call_and_training_flag_propagate():
    model = TwoLayer()
    x = np.ones((4, 3), np.float32)
    a = model(x).data
    b = model(x).data
    np.testing.assert_array_equal(a, b)  # inference: dropout off, moving stats
    bn = model.blocks[0]
    before = bn.moving_mean.data.copy()
    model(x, training=True)
    assert not np.allclose(before, bn.moving_mean.data)


def test_summary_counts_match_keras():
    out = io.StringIO()
    model = models.Sequential([Dense(16, activation="relu", input_shape=(10000,)), Dense(16, activation="relu"),
                               Dense(1, activation="sigmoid")])
    model.summary(print_fn=lambda s: out.write(s + "\n"))
    text = out.getvalue()
    for count in ("160,016", "272", "17", "Total params: 160,305"):
        assert count in text
    bn = models.Sequential([Input(shape=(5,)), layers.BatchNormalization()])
    lines = []
    bn.summary(print_fn=lines.append)
    assert "Total params: 20" in "\n".join(lines) and "Non-trainable params: 10" in "\n".join(lines)


def test_get_set_weights_roundtrip_and_count_params():
    model = models.Sequential([Input(shape=(3,)), Dense(2), layers.BatchNormalization()])
    w = model.get_weights()
    assert [a.shape for a in w] == [(3, 2), (2,), (2,), (2,), (2,), (2,)]
    model.set_weights([np.ones_like(a) for a in w])
    assert all(np.all(a == 1) for a in model.get_weights())
    with pytest.raises(ValueError, match="expects 6 weight arrays"):
        model.set_weights(w[:2])


def test_trainable_false_freezes_weights():
    x, y = blobs(30)
    model = models.Sequential([Input(shape=(4,)), Dense(3), Dense(1, activation="sigmoid")])
    model.layers[0].trainable = False
    model.compile("sgd", "binary_crossentropy")
    frozen = model.layers[0].kernel.data.copy()
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(frozen, model.layers[0].kernel.data)
    assert len(model.trainable_weights) == 2


def test_l2_regularized_model_reports_a_higher_training_loss_than_plain():
    rng = np.random.default_rng(0)
    x = (rng.random((300, 100)) < 0.1).astype(np.float32)
    y = (x[:, :10].sum(1) > 1).astype(np.float32)
    losses = []
    for reg in (None, bw.regularizers.l2(0.001)):
        bw.set_seed(0)
        model = models.Sequential([Dense(16, activation="relu", kernel_regularizer=reg, input_shape=(100,)),
                                   Dense(16, activation="relu", kernel_regularizer=reg),
                                   Dense(1, activation="sigmoid")])
        model.compile("rmsprop", "binary_crossentropy", metrics=["acc"])
        losses.append(model.fit(x, y, epochs=5, batch_size=64, verbose=0).history["loss"])
    assert all(r > p for p, r in zip(losses[0], losses[1]))


def test_activity_regularizer_adds_to_the_loss():
    x, y = blobs(16)
    plain = models.Sequential([Input(shape=(4,)), Dense(2, kernel_initializer="ones")])
    reg = models.Sequential([Input(shape=(4,)), Dense(2, kernel_initializer="ones",
                                                     activity_regularizer=bw.regularizers.L1(0.1))])
    for m in (plain, reg):
        m.compile("sgd", "mse")
    y2 = np.zeros((16, 2))
    penalty = 0.1 * np.abs(x @ np.ones((4, 2))).sum() / 16
    assert reg.evaluate(x, y2, batch_size=16, verbose=0) == pytest.approx(
        plain.evaluate(x, y2, batch_size=16, verbose=0) + penalty, rel=1e-5)


def test_float64_models_train_end_to_end():
    x, y = blobs(64)
    model = models.Sequential([Input(shape=(4,), dtype="float64"), Dense(4, dtype="float64"),
                               Dense(1, activation="sigmoid", dtype="float64")])
    model.compile("adam", "binary_crossentropy")
    model.fit(x.astype(np.float64), y, epochs=1, verbose=0)
    assert all(w.dtype == np.float64 for w in model.weights)
    assert model.predict(x, verbose=0).dtype == np.float64


def test_lambda_layer_and_merge_layers_in_a_graph():
    a = Input(shape=(3,))
    doubled = layers.Lambda(lambda t: t * 2.0)(a)
    out = layers.Subtract()([doubled, a])
    model = models.Model(a, out)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(model.predict(x, verbose=0), x)


def test_embedding_mask_zero_propagates_a_mask():
    emb = layers.Embedding(5, 2, mask_zero=True)
    out = emb(np.array([[1, 0, 3]]))
    np.testing.assert_array_equal(out._keras_mask, [[True, False, True]])
    dense_out = Dense(2)(out)
    np.testing.assert_array_equal(dense_out._keras_mask, [[True, False, True]])


def test_functions_compose_like_lego():
    x = bw.Tensor(np.ones((2, 5), np.float32))
    f, g, h = Dense(6), Dense(6), Dense(8)
    y = h(F.relu(g(F.relu(f(x)))))  # seed 000's nested f(g(h(x)))
    assert y.shape == (2, 8)


def test_set_seed_makes_a_training_run_repeat_exactly():
    x, y = blobs(80)

    def run():
        bw.set_seed(42)
        model = models.Sequential([Input(shape=(4,)), Dense(8, activation="relu"), layers.Dropout(0.3),
                                   Dense(1, activation="sigmoid")])
        model.compile("adam", "binary_crossentropy", metrics=["acc"])
        history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.2, verbose=0)
        return history.history, model.get_weights()

    (h1, w1), (h2, w2) = run(), run()
    assert h1 == h2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)


def test_functional_embedding_with_integer_input():
    tokens = Input(shape=(5,), dtype="int32", name="tokens")
    pooled = layers.Lambda(lambda t: F.mean(t, axis=1))(layers.Embedding(20, 4)(tokens))
    model = models.Model(tokens, Dense(1, activation="sigmoid")(pooled))
    x = np.random.default_rng(0).integers(0, 20, (32, 5))
    y = (x[:, 0] > 9).astype(np.float32)
    model.compile("adam", "binary_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    assert model.predict(x, verbose=0).shape == (32, 1)

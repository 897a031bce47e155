"""Keras 3 ``.keras`` and ``.weights.h5`` files both ways, with real Keras 3 (PyTorch
backend, a test-only oracle) writing and reading them: same outputs to 1e-5."""

from __future__ import annotations

import json
import sys
import zipfile

import keras
import numpy as np
import pytest

pytest.importorskip("h5py")

import brickwork as bw  # noqa: E402
from brickwork import activations, layers, models  # noqa: E402
from brickwork.saving import keras_file, keras_weights  # noqa: E402
from brickwork.saving.keras_file import load_keras_model, save_keras_model  # noqa: E402
from brickwork.saving.keras_weights import load_keras_weights, save_keras_weights  # noqa: E402

K = keras.layers


def _predict(model, x):
    return np.asarray(model.predict(x, verbose=0))


def _shake(kmodel, rng):
    """Non-trivial weights everywhere, including BatchNormalization's moving statistics."""
    for layer in kmodel.layers:
        inner = layer.layers if hasattr(layer, "layers") else [layer]
        for sub in inner:
            ws = sub.get_weights()
            if isinstance(sub, K.BatchNormalization):
                ws = [w + rng.uniform(-0.5, 0.5, w.shape) for w in ws[:3]] + [rng.uniform(0.5, 2.0, ws[3].shape)]
            else:
                ws = [w + rng.normal(0, 0.2, w.shape) for w in ws]
            sub.set_weights([w.astype("float32") for w in ws])
    return kmodel


def _keras_roundtrip(kmodel, x, tmp_path, rng):
    _shake(kmodel, rng)
    kmodel.save(tmp_path / "m.keras")
    bmodel = load_keras_model(tmp_path / "m.keras")
    np.testing.assert_allclose(_predict(bmodel, x), _predict(kmodel, x), atol=1e-5, rtol=1e-5)
    return bmodel


def test_keras_sequential_conv2d_batchnorm(tmp_path, rng):
    km = keras.Sequential([keras.Input((8, 8, 2)), K.Conv2D(4, 3, padding="same", activation="relu"),
                           K.BatchNormalization(), K.MaxPooling2D(), K.Dropout(0.3), K.Flatten(),
                           K.Dense(3, activation="softmax")])
    x = rng.normal(size=(5, 8, 8, 2)).astype("float32")
    bm = _keras_roundtrip(km, x, tmp_path, rng)
    assert isinstance(bm, models.Sequential)
    assert [type(la).__name__ for la in bm.layers] == ["Conv2D", "BatchNormalization", "MaxPooling2D", "Dropout",
                                                      "Flatten", "Dense"]


def test_keras_sequential_embedding_recurrent(tmp_path, rng):
    km = keras.Sequential([keras.Input((7,), dtype="int32"), K.Embedding(20, 6), K.Conv1D(5, 2),
                           K.MaxPooling1D(2, padding="same"), K.LSTM(4, return_sequences=True),
                           K.Bidirectional(K.GRU(3, return_sequences=True)), K.LayerNormalization(),
                           K.SimpleRNN(3), K.Activation("tanh"), K.Dense(2)])
    x = rng.integers(0, 20, size=(4, 7)).astype("int32")
    _keras_roundtrip(km, x, tmp_path, rng)


def test_keras_functional_multi_input_nested_shared(tmp_path, rng):
    a, b = keras.Input((3,), name="a"), keras.Input((4,), name="b")
    shared = K.Dense(5, activation="relu", name="shared")
    inner = keras.Sequential([keras.Input((5,)), K.Dense(4), K.LayerNormalization()], name="inner")
    h = K.Concatenate()([shared(K.Dense(5)(a)), shared(K.Dense(5)(b))])
    out = K.Dense(2)(K.Add()([inner(K.Dense(5)(h)), K.Dense(4)(h)]))
    km = keras.Model([a, b], out)
    x = [rng.normal(size=(6, 3)).astype("float32"), rng.normal(size=(6, 4)).astype("float32")]
    bm = _keras_roundtrip(km, x, tmp_path, rng)
    assert [la.name for la in keras_weights.model_layers(bm)] == [la.name for la in km.layers]


def test_functional_order_is_keras_order(tmp_path, rng):
    """Parallel same-class branches: the weight paths (dense, dense_1, ...) follow Keras's layer order."""
    x = layers.Input((3,))
    late = layers.Dense(2, name="late")
    early = layers.Dense(2, name="early")
    deep = layers.Dense(2, name="deep")(layers.Dense(2, name="pre")(x))
    out = layers.Concatenate()([late(x), deep, early(x)])
    bm = models.Model(x, out)
    _set_random(bm, rng)
    save_keras_model(bm, tmp_path / "b.keras")
    km = keras.saving.load_model(tmp_path / "b.keras")
    assert [la.name for la in keras_weights.model_layers(bm)] == [la.name for la in km.layers]
    data = rng.normal(size=(3, 3)).astype("float32")
    np.testing.assert_allclose(_predict(km, data), _predict(bm, data), atol=1e-5, rtol=1e-5)


def _branches(lib, inp):
    """The same branching graph in Keras or brickwork: three Dense layers of one class, created out of order."""
    late, early = lib.Dense(2), lib.Dense(3)
    deep = lib.Dense(2)(lib.Dense(4)(inp))
    return lib.Concatenate()([late(inp), deep, early(inp)])


def test_functional_weights_only_from_keras(tmp_path, rng):
    kin = keras.Input((3,))
    km = _shake(keras.Model(kin, _branches(K, kin)), rng)
    km.save_weights(tmp_path / "k.weights.h5")
    bin_ = layers.Input((3,))
    bm = models.Model(bin_, _branches(layers, bin_))
    load_keras_weights(bm, tmp_path / "k.weights.h5")
    data = rng.normal(size=(3, 3)).astype("float32")
    np.testing.assert_allclose(_predict(bm, data), _predict(km, data), atol=1e-5, rtol=1e-5)


def _brickwork_sequential():
    return models.Sequential([layers.Input((6, 3)), layers.Conv1D(4, 2, activation="relu"),
                              layers.BatchNormalization(), layers.GRU(5, return_sequences=True),
                              layers.Bidirectional(layers.LSTM(3)), layers.Dropout(0.2), layers.Dense(2)])


def _set_random(model, rng):
    model.set_weights([w + rng.normal(0, 0.3, w.shape).astype(w.dtype) if w.ndim else w
                       for w in model.get_weights()])


def test_brickwork_sequential_to_keras(tmp_path, rng):
    bm = _brickwork_sequential()
    _set_random(bm, rng)
    save_keras_model(bm, tmp_path / "b.keras")
    km = keras.saving.load_model(tmp_path / "b.keras")
    x = rng.normal(size=(4, 6, 3)).astype("float32")
    np.testing.assert_allclose(_predict(km, x), _predict(bm, x), atol=1e-5, rtol=1e-5)


def test_brickwork_functional_to_keras(tmp_path, rng):
    a, b = layers.Input((4,), name="a"), layers.Input((5, 2), name="b")
    inner = models.Sequential([layers.Input((3,)), layers.Dense(3, activation="relu")], name="inner")
    h = layers.Concatenate()([layers.Dense(3)(a), layers.Flatten()(layers.MaxPooling1D()(b))])
    h = layers.Dense(3)(h)
    out = layers.Add()([inner(h), layers.Activation("sigmoid")(h)])
    bm = models.Model([a, b], out)
    _set_random(bm, rng)
    save_keras_model(bm, tmp_path / "b.keras")
    km = keras.saving.load_model(tmp_path / "b.keras")
    x = [rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(3, 5, 2)).astype("float32")]
    np.testing.assert_allclose(_predict(km, x), _predict(bm, x), atol=1e-5, rtol=1e-5)
    again = load_keras_model(tmp_path / "b.keras")  # and back again
    np.testing.assert_allclose(_predict(again, x), _predict(bm, x), atol=1e-6)


def test_weights_only_both_ways(tmp_path, rng):
    km = keras.Sequential([keras.Input((6, 3)), K.Conv1D(4, 2, activation="relu"), K.BatchNormalization(),
                           K.GRU(5, return_sequences=True), K.Bidirectional(K.LSTM(3)), K.Dropout(0.2),
                           K.Dense(2)])
    _shake(km, rng)
    km.save_weights(tmp_path / "k.weights.h5")
    bm = _brickwork_sequential()
    load_keras_weights(bm, tmp_path / "k.weights.h5")
    x = rng.normal(size=(4, 6, 3)).astype("float32")
    np.testing.assert_allclose(_predict(bm, x), _predict(km, x), atol=1e-5, rtol=1e-5)
    _set_random(bm, rng)
    save_keras_weights(bm, tmp_path / "b.weights.h5")
    km.load_weights(tmp_path / "b.weights.h5")
    np.testing.assert_allclose(_predict(km, x), _predict(bm, x), atol=1e-5, rtol=1e-5)


def test_weights_of_another_architecture_refused(tmp_path):
    km = keras.Sequential([keras.Input((3,)), K.Dense(4), K.Dense(2)])
    km.save_weights(tmp_path / "k.weights.h5")
    bm = models.Sequential([layers.Input((3,)), layers.Dense(4), layers.Dense(3)])
    with pytest.raises(ValueError, match=r"shape \(4, 2\)"):
        load_keras_weights(bm, tmp_path / "k.weights.h5")
    bm = models.Sequential([layers.Input((3,)), layers.Dense(4)])
    with pytest.raises(ValueError, match="no place for"):
        load_keras_weights(bm, tmp_path / "k.weights.h5")


def test_lambda_refused_in_safe_mode(tmp_path):
    km = keras.Sequential([keras.Input((3,)), K.Lambda(lambda t: t * 2.0), K.Dense(2)])
    km.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=r"Lambda.*safe_mode=False"):
        load_keras_model(tmp_path / "m.keras")


def test_lambda_loads_when_trusted(tmp_path, rng):
    km = keras.Sequential([keras.Input((3,)), K.Lambda(lambda t: t * 2.0), K.Dense(2)])
    km.save(tmp_path / "m.keras")
    bm = load_keras_model(tmp_path / "m.keras", safe_mode=False)
    x = rng.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(_predict(bm, x), _predict(km, x), atol=1e-5)


@keras.saving.register_keras_serializable(package="kxtest")
class Doubler(K.Layer):
    def call(self, x):
        return x * 2.0


def test_unknown_class_refused_by_name(tmp_path):
    km = keras.Sequential([keras.Input((3,)), Doubler(), K.Dense(2)])
    km.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="Doubler"):
        load_keras_model(tmp_path / "m.keras")


class BwDoubler(layers.Layer):
    def call(self, x):
        return x * 2.0


def test_custom_objects_supply_class_and_function(tmp_path, rng):
    def my_swish(t):
        return t * keras.ops.sigmoid(t)

    def bw_swish(t):
        return t * activations.sigmoid(t)

    km = keras.Sequential([keras.Input((3,)), Doubler(), K.Dense(2, activation=my_swish)])
    _shake(km, rng)
    km.save(tmp_path / "m.keras")
    bm = load_keras_model(tmp_path / "m.keras", custom_objects={"kxtest>Doubler": BwDoubler, "my_swish": bw_swish})
    x = rng.normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(_predict(bm, x), _predict(km, x), atol=1e-5, rtol=1e-5)


def test_custom_function_activation_refused_by_name(tmp_path):
    def my_swish(t):
        return t * keras.ops.sigmoid(t)

    km = keras.Sequential([keras.Input((3,)), K.Dense(2, activation=my_swish)])
    km.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=r"Dense.*my_swish"):
        load_keras_model(tmp_path / "m.keras")


def _tiny_keras_file(tmp_path):
    km = keras.Sequential([keras.Input((3,)), K.Dense(2)])
    km.save(tmp_path / "m.keras")
    return tmp_path / "m.keras"


def test_oversize_member_refused(tmp_path, monkeypatch):
    path = _tiny_keras_file(tmp_path)
    monkeypatch.setattr(keras_file, "MAX_MEMBER_BYTES", 1000)
    with pytest.raises(ValueError, match=r"model\.weights\.h5.*over the limit"):
        load_keras_model(path)


def test_zip_bomb_ratio_refused(tmp_path):
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {"layers": []}}))
        archive.writestr("model.weights.h5", b"\0" * (64 * 1024 ** 2))  # 64 MiB of zeros: ~1000x
    with pytest.raises(ValueError, match="zip bomb"):
        load_keras_model(path)


def test_unexpected_and_escaping_members_refused(tmp_path):
    path = _tiny_keras_file(tmp_path)
    evil = tmp_path / "evil.keras"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(evil, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        dst.writestr("../payload.pkl", b"x")
    with pytest.raises(ValueError, match="escapes the archive"):
        load_keras_model(evil)
    extra = tmp_path / "extra.keras"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(extra, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        dst.writestr("model.pkl", b"x")
    with pytest.raises(ValueError, match="member 'model.pkl': unexpected archive member"):
        load_keras_model(extra)


def test_not_hdf5_and_not_zip_refused(tmp_path):
    (tmp_path / "x.weights.h5").write_bytes(b"\x80\x04not hdf5")
    bm = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="not an HDF5 file"):
        load_keras_weights(bm, tmp_path / "x.weights.h5")
    (tmp_path / "x.keras").write_bytes(b"\x80\x04pickle")
    with pytest.raises(ValueError, match="not a Keras 3 model file"):
        load_keras_model(tmp_path / "x.keras")


def test_save_refuses_lambda_by_name(tmp_path):
    bm = models.Sequential([layers.Input((3,)), layers.Lambda(lambda t: t * 2.0), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"class Lambda"):
        save_keras_model(bm, tmp_path / "b.keras")
    assert not (tmp_path / "b.keras").exists()


def test_compile_settings_restored(tmp_path):
    km = keras.Sequential([keras.Input((3,)), K.Dense(1)])
    km.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    km.save(tmp_path / "m.keras")
    bm = load_keras_model(tmp_path / "m.keras")
    assert type(bm.optimizer).__name__ == "Adam"
    assert float(bm.optimizer.learning_rate) == pytest.approx(0.01)
    assert load_keras_model(tmp_path / "m.keras", compile=False).optimizer is None


def test_missing_h5py_is_explained(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "h5py", None)
    bm = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    with pytest.raises(ImportError, match=r"brickwork\[keras-files\]"):
        save_keras_weights(bm, tmp_path / "b.weights.h5")


WIDE_LAYERS = [
    ("TimeDistributed", lambda lib: lib.TimeDistributed(lib.Dense(3)), (5, 4)),
    ("pools", lambda lib: lib.AveragePooling1D(2), (6, 4)),
    ("global", lambda lib: lib.GlobalAveragePooling1D(), (6, 4)),
    ("global_max_2d", lambda lib: lib.GlobalMaxPooling2D(), (4, 4, 3)),
    ("reshape", lambda lib: lib.Reshape((3, 8)), (6, 4)),
    ("permute", lambda lib: lib.Permute((2, 1)), (6, 4)),
    ("padding", lambda lib: lib.ZeroPadding1D(2), (6, 4)),
    ("upsampling", lambda lib: lib.UpSampling2D(2), (3, 3, 2)),
    ("conv2d_transpose", lambda lib: lib.Conv2DTranspose(3, 2, strides=2), (3, 3, 2)),
    ("separable", lambda lib: lib.SeparableConv2D(3, 2, depth_multiplier=2), (5, 5, 2)),
    ("depthwise", lambda lib: lib.DepthwiseConv2D(2), (5, 5, 2)),
    ("rnn_cell", lambda lib: lib.RNN(lib.LSTMCell(3)), (5, 4)),
    ("rnn_stacked", lambda lib: lib.RNN([lib.GRUCell(3), lib.SimpleRNNCell(3)], return_sequences=True), (5, 4)),
    ("gru_not_reset_after", lambda lib: lib.GRU(3, reset_after=False, go_backwards=True), (5, 4)),
    ("bidirectional_sum", lambda lib: lib.Bidirectional(lib.SimpleRNN(3, return_sequences=True), merge_mode="sum"),
     (5, 4)),
]


@pytest.mark.parametrize("make,shape", [w[1:] for w in WIDE_LAYERS], ids=[w[0] for w in WIDE_LAYERS])
def test_more_layers_both_ways(make, shape, tmp_path, rng):
    km = keras.Sequential([keras.Input(shape), make(K), K.Flatten(), K.Dense(2)])
    x = rng.normal(size=(3,) + shape).astype("float32")
    _keras_roundtrip(km, x, tmp_path, rng)
    bm = models.Sequential([layers.Input(shape), make(layers), layers.Flatten(), layers.Dense(2)])
    _set_random(bm, rng)
    save_keras_model(bm, tmp_path / "b.keras")
    np.testing.assert_allclose(_predict(keras.saving.load_model(tmp_path / "b.keras"), x), _predict(bm, x),
                               atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("make_opt", [lambda lib: lib.optimizers.Adam(0.01),
                                      lambda lib: lib.optimizers.SGD(0.05, momentum=0.9),
                                      lambda lib: lib.optimizers.RMSprop(0.01, momentum=0.5)],
                         ids=["adam", "sgd_momentum", "rmsprop_momentum"])
def test_optimizer_state_travels_both_ways(make_opt, tmp_path, rng):
    """A .keras file carries the optimizer's step count and slots in Keras's order: training resumes."""
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    bm = models.Sequential([layers.Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(2)])
    bm.compile(make_opt(bw), loss="mse")
    bm.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    save_keras_model(bm, tmp_path / "b.keras")
    km = keras.saving.load_model(tmp_path / "b.keras")
    assert int(km.optimizer.iterations) == bm.optimizer.iterations == 4
    bm.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    km.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(bm.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    km.save(tmp_path / "k.keras")  # and back: Keras's state into brickwork
    back = load_keras_model(tmp_path / "k.keras")
    assert back.optimizer.iterations == 6
    back.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    km.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(back.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_a_keras_model_with_ops_on_keras_tensors_loads(tmp_path, rng):
    """keras.ops on KerasTensors are saved as op nodes (NotEqual, Cast, Sum, GetItem, ...): they load as
    brickwork Operations of the same ops, with their configs as keyword constants."""
    x = keras.Input((4,), dtype="int32")
    m = keras.ops.cast(keras.ops.not_equal(x, 0), "float32")
    y = K.Dense(2)(m * 2.0 + 1.0)
    s = keras.ops.sum(y, axis=-1, keepdims=True)
    km = keras.Model(x, [y, s[:, :1]])
    km.save(tmp_path / "ops.keras")
    bm = load_keras_model(tmp_path / "ops.keras")
    ids = rng.integers(0, 3, size=(5, 4)).astype("int32")
    for got, want in zip(bm.predict(ids, verbose=0), km.predict(ids, verbose=0)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert [type(la).__name__ for la in bm.operations].count("Operation") == 6

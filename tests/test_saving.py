"""The model file: round trips, optimizer state, and refusing anything that could run code."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers, models
from brickwork.layers import Dense, Input


def small_data(n=64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.float32)


def trained_sequential():
    x, y = small_data()
    model = models.Sequential([Input(shape=(4,)), Dense(8, activation="relu", kernel_regularizer="l2"),
                               layers.BatchNormalization(), layers.Dropout(0.1), Dense(1, activation="sigmoid")])
    model.compile(bw.optimizers.Adam(0.01), "binary_crossentropy", metrics=["acc"])
    model.fit(x, y, epochs=2, verbose=0)
    return model, x, y


@pytest.mark.parametrize("filename", ["model.brick", "checkpoint.bw", "weights-no-extension"])
def test_sequential_roundtrip_any_file_name(tmp_path, filename):
    model, x, y = trained_sequential()
    path = tmp_path / filename
    model.save(path)
    loaded = bw.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert [w.path for w in loaded.weights] == [w.path for w in model.weights]
    assert loaded.optimizer.iterations == model.optimizer.iterations
    # training resumes identically: same optimizer state
    bw.set_seed(5)
    model.fit(x, y, epochs=1, verbose=0, shuffle=False)
    bw.set_seed(5)
    loaded.fit(x, y, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_functional_roundtrip_multi_io_shared_and_nested(tmp_path):
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    shared = Dense(4, name="shared")
    inner = models.Sequential([Input(shape=(4,)), Dense(2)], name="inner")
    h = layers.concatenate([inner(shared(layers.Dense(3)(a))), b])
    model = models.Model([a, b], [Dense(1, name="o1")(h), Dense(2, name="o2")(layers.Activation("tanh")(h))])
    xa, xb = np.ones((3, 3), np.float32), np.ones((3, 2), np.float32)
    model.save(tmp_path / "f.brick")
    loaded = bw.load_model(tmp_path / "f.brick")
    for p, q in zip(model.predict([xa, xb], verbose=0), loaded.predict([xa, xb], verbose=0)):
        np.testing.assert_allclose(p, q, rtol=1e-6)
    assert loaded.input_names == ["a", "b"] and loaded.output_names == ["o1", "o2"]


@bw.saving.register_serializable
class Residual(models.Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = Dense(units)

    def call(self, x):
        return self.inner(x) + x


def test_subclassed_model_roundtrip(tmp_path):
    model = Residual(units=3)
    x = np.ones((2, 3), np.float32)
    expected = model(x).data
    model.save(tmp_path / "sub.brick")
    loaded = bw.load_model(tmp_path / "sub.brick")
    assert isinstance(loaded, Residual) and loaded.units == 3
    np.testing.assert_allclose(loaded(x).data, expected)


def test_lambda_code_is_refused_unless_safe_mode_is_off(tmp_path):
    inp = Input(shape=(2,))
    model = models.Model(inp, layers.Lambda(lambda t: t * 3.0 + 1.0)(inp))
    model.save(tmp_path / "lam.brick")
    with pytest.raises(ValueError, match="safe_mode=False"):
        bw.load_model(tmp_path / "lam.brick")
    loaded = bw.load_model(tmp_path / "lam.brick", safe_mode=False)
    np.testing.assert_allclose(loaded.predict(np.ones((1, 2), np.float32), verbose=0), [[4.0, 4.0]])
    named = models.Model(inp, layers.Lambda(bw.activations.relu)(inp))
    named.save(tmp_path / "named.brick")
    bw.load_model(tmp_path / "named.brick")  # a named function is not code: loads in safe mode


def test_pickles_are_refused(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(ValueError, match="pickle"):
        bw.load_model(path)


def _tamper(src, dst, extra_name=None, extra_data=b"", replace=None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.namelist():
            data = zin.read(item)
            if replace and item in replace:
                data = replace[item]
            zout.writestr(item, data)
        if extra_name:
            zout.writestr(extra_name, extra_data)


def test_paths_escaping_the_archive_and_object_arrays_are_refused(tmp_path):
    model, _, _ = trained_sequential()
    good = tmp_path / "good.brick"
    model.save(good)
    _tamper(good, tmp_path / "evil.brick", extra_name="../../etc/evil", extra_data=b"x")
    with pytest.raises(ValueError, match="escapes the archive"):
        bw.load_model(tmp_path / "evil.brick")
    buffer = io.BytesIO()
    np.savez(buffer, w0=np.array([{"a": 1}], dtype=object))
    _tamper(good, tmp_path / "obj.brick", replace={"weights.npz": buffer.getvalue()})
    with pytest.raises(ValueError, match="pickle"):
        bw.load_model(tmp_path / "obj.brick")
    meta = json.loads(zipfile.ZipFile(good).read("brickwork.json"))
    meta["class_name"] = "os.system"
    _tamper(good, tmp_path / "cls.brick", replace={"brickwork.json": json.dumps(meta).encode()})
    with pytest.raises(ValueError, match="Unknown layer class 'os.system'"):
        bw.load_model(tmp_path / "cls.brick")
    (tmp_path / "text.brick").write_text("not a model")
    with pytest.raises(ValueError, match="not a brickwork model file"):
        bw.load_model(tmp_path / "text.brick")


def test_saves_are_atomic(tmp_path, monkeypatch):
    model, x, _ = trained_sequential()
    path = tmp_path / "ckpt.brick"
    model.save(path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", crash)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before  # the previous checkpoint is intact
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.brick"]  # no temporary file left behind
    with pytest.raises(FileExistsError):
        model.save(path, overwrite=False)


def test_weights_only_roundtrip(tmp_path):
    model, x, _ = trained_sequential()
    model.save_weights(tmp_path / "w.brick")
    clone = models.Sequential([Input(shape=(4,)), Dense(8, activation="relu"), layers.BatchNormalization(),
                               layers.Dropout(0.1), Dense(1, activation="sigmoid")])
    clone.load_weights(tmp_path / "w.brick")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match="weights only"):
        bw.load_model(tmp_path / "w.brick")
    wrong = models.Sequential([Input(shape=(5,)), Dense(8), layers.BatchNormalization(), Dense(1)])
    with pytest.raises(ValueError, match="shape"):
        wrong.load_weights(tmp_path / "w.brick")


def test_configs_roundtrip_for_every_core_layer():
    for layer in [Dense(3, activation="relu", kernel_regularizer=bw.regularizers.L1L2(0.1, 0.2),
                        kernel_initializer="he_normal", kernel_constraint="max_norm"),
                  layers.Embedding(10, 4, mask_zero=True), layers.BatchNormalization(momentum=0.9),
                  layers.LayerNormalization(epsilon=1e-5), layers.Dropout(0.3, seed=1), layers.Reshape((2, -1)),
                  layers.Permute((2, 1)), layers.RepeatVector(3), layers.Concatenate(axis=1),
                  layers.GaussianNoise(0.1), layers.Activation("gelu"), layers.Flatten()]:
        cfg = json.loads(json.dumps(layer.get_config()))
        clone = type(layer).from_config(cfg)
        assert clone.get_config() == layer.get_config()
    assert os.path.basename(__file__)

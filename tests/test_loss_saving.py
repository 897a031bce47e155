"""Every form of loss survives save, ModelCheckpoint and load_model (.brick and .keras).

For each form: the reloaded model predicts the same, its compiled loss gives the same value
on a batch (so ``from_logits``, ``delta``, ``alpha``, ``ignore_class`` ... survived), the
value matches the loss computed by hand / by Keras, and training continues from the saved
optimizer state exactly as the original model continues.
"""

from __future__ import annotations

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers, losses, models
from brickwork.utils import register_keras_serializable


@register_keras_serializable(package="LossSavingTest")
def scaled_squared_error(y_true, y_pred):
    """A registered custom loss function: 3 * mean squared error."""
    return bw.ops.mean(bw.ops.square(y_true - y_pred), axis=-1) * 3.0


@register_keras_serializable(package="LossSavingTest")
class PowerError(losses.Loss):
    """A registered custom Loss subclass with an argument: mean |e|**power."""

    def __init__(self, power: float = 2.0, name: str = "power_error", **kwargs):
        super().__init__(name=name, **kwargs)
        self.power = power

    def call(self, y_true, y_pred):
        return bw.ops.mean(bw.ops.power(bw.ops.abs(y_true - y_pred), self.power), axis=-1)

    def get_config(self):
        return {**super().get_config(), "power": self.power}


def _data(kind: str, n: int = 32):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    if kind == "binary":
        return x, (x[:, :1] > 0).astype(np.float32)
    if kind == "sparse":
        return x, rng.integers(0, 3, size=(n,)).astype(np.int64)
    return x, (x[:, :1] * 2.0 + 0.5).astype(np.float32)


def _ref_bce_logits(y, z):
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def _ref_bce(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def _ref_sparse_logits_ignore(y, z, ignore):
    z = z - z.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    keep = y != ignore
    picked = -logp[np.arange(len(y)), np.where(keep, y, 0)]
    return float(picked[keep].sum() / keep.sum())


def _ref_huber(y, p, delta):
    e = np.abs(y - p)
    return float(np.mean(np.where(e <= delta, 0.5 * e ** 2, delta * e - 0.5 * delta ** 2)))


def _ref_cost(y, z, alpha):
    sp = np.logaddexp(0, z)
    spn = np.logaddexp(0, -z)
    return float(np.mean(y * spn + alpha * (1 - y) * sp))


# name -> (factory for the loss argument, data kind, units, output activation, reference(y, out))
FORMS = {
    "string": (lambda: "binary_crossentropy", "binary", 1, "sigmoid", _ref_bce),
    "function": (lambda: losses.binary_crossentropy, "binary", 1, "sigmoid", _ref_bce),
    "bce_from_logits": (lambda: losses.BinaryCrossentropy(from_logits=True), "binary", 1, None, _ref_bce_logits),
    "sparse_ignore_class": (lambda: losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2),
                            "sparse", 3, None, lambda y, z: _ref_sparse_logits_ignore(y, z, 2)),
    "huber_delta": (lambda: losses.Huber(delta=2.0), "regression", 1, None, lambda y, p: _ref_huber(y, p, 2.0)),
    "cost_sensitive": (lambda: losses.CostSensitiveBinaryCrossentropy(alpha=3.0, from_logits=True), "binary", 1,
                       None, lambda y, z: _ref_cost(y, z, 3.0)),
    "custom_function": (lambda: scaled_squared_error, "regression", 1, None,
                        lambda y, p: 3.0 * float(np.mean((y - p) ** 2))),
    "custom_class": (lambda: PowerError(power=3.0), "regression", 1, None,
                     lambda y, p: float(np.mean(np.abs(y - p) ** 3))),
}


def _model(units: int, activation, seed: int = 0):
    bw.utils.set_random_seed(seed)
    return models.Sequential([layers.Input(shape=(4,)), layers.Dense(6, activation="tanh"),
                              layers.Dense(units, activation=activation)])


def _compiled(form: str):
    factory, kind, units, activation, ref = FORMS[form]
    model = _model(units, activation)
    model.compile(bw.optimizers.Adam(0.01), loss=factory())
    x, y = _data(kind)
    return model, x, y, ref


def _batch_loss(model, x, y) -> float:
    return float(model.test_on_batch(x, y))


def _check_same(original, reloaded, x, y, ref) -> None:
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), original.predict(x, verbose=0), rtol=1e-6,
                               atol=1e-7)
    assert reloaded.compiled, "the reloaded model must be compiled with the saved loss"
    got, want = _batch_loss(reloaded, x, y), _batch_loss(original, x, y)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    expected = ref(y.astype(np.float64) if y.dtype.kind == "f" else y,
                   original.predict(x, verbose=0).astype(np.float64))
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def _check_continues(original, reloaded, x, y) -> None:
    """One more epoch from the saved optimizer state gives the same weights as the original's."""
    original.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    reloaded.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(original.get_weights(), reloaded.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("suffix", [".brick", ".keras"])
def test_save_and_load_every_loss_form(tmp_path, form, suffix):
    model, x, y, ref = _compiled(form)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = tmp_path / f"model{suffix}"
    model.save(path)
    reloaded = bw.load_model(path)
    _check_same(model, reloaded, x, y, ref)
    _check_continues(model, reloaded, x, y)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_model_checkpoint_every_loss_form(tmp_path, form):
    model, x, y, ref = _compiled(form)
    path = tmp_path / "ckpt-{epoch}.brick"
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
              callbacks=[bw.callbacks.ModelCheckpoint(str(path))])
    reloaded = bw.load_model(tmp_path / "ckpt-2.brick")
    _check_same(model, reloaded, x, y, ref)
    _check_continues(model, reloaded, x, y)


def _two_output_model():
    bw.utils.set_random_seed(3)
    inp = layers.Input(shape=(4,), name="x")
    hidden = layers.Dense(5, activation="tanh")(inp)
    logit = layers.Dense(1, name="logit")(hidden)
    value = layers.Dense(1, name="value")(hidden)
    return models.Model(inp, [logit, value])


@pytest.mark.parametrize("layout", ["dict", "list"])
@pytest.mark.parametrize("suffix", [".brick", ".keras"])
def test_multi_output_losses_dict_and_list(tmp_path, layout, suffix):
    model = _two_output_model()
    first, second = losses.BinaryCrossentropy(from_logits=True), losses.Huber(delta=0.5)
    loss = {"logit": first, "value": second} if layout == "dict" else [first, second]
    model.compile("sgd", loss=loss, loss_weights=[1.0, 0.25] if layout == "list" else {"logit": 1.0, "value": 0.25})
    x, yb = _data("binary")
    _, yr = _data("regression")
    model.fit(x, [yb, yr], batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.save(tmp_path / f"two{suffix}")
    reloaded = bw.load_model(tmp_path / f"two{suffix}")
    zb, pr = (o.astype(np.float64) for o in model.predict(x, verbose=0))
    want = _ref_bce_logits(yb, zb) + 0.25 * _ref_huber(yr, pr, 0.5)
    got = reloaded.test_on_batch(x, [yb, yr])
    got = float(got[0] if isinstance(got, (list, tuple)) else got)
    np.testing.assert_allclose(got, want, rtol=1e-4)
    kinds = [type(lo).__name__ for lo in reloaded._compiled_loss.losses]
    assert kinds == ["BinaryCrossentropy", "Huber"]
    config = reloaded.get_compile_config()["loss"]  # Keras's get_compile_config: the serialised layout
    entries = list(config.values()) if layout == "dict" else config
    assert [e["class_name"] for e in entries] == ["BinaryCrossentropy", "Huber"]
    assert entries[0]["config"]["from_logits"] is True and entries[1]["config"]["delta"] == 0.5


def test_multi_output_checkpoint_with_loss_objects(tmp_path):
    model = _two_output_model()
    model.compile("adam", loss={"logit": losses.BinaryCrossentropy(from_logits=True), "value": "mse"})
    x, yb = _data("binary")
    _, yr = _data("regression")
    model.fit(x, {"logit": yb, "value": yr}, batch_size=8, epochs=1, shuffle=False, verbose=0,
              callbacks=[bw.callbacks.ModelCheckpoint(str(tmp_path / "c.brick"))])
    reloaded = bw.load_model(tmp_path / "c.brick")
    for a, b in zip(model.predict(x, verbose=0), reloaded.predict(x, verbose=0)):
        np.testing.assert_allclose(b, a, rtol=1e-6)
    np.testing.assert_allclose(reloaded.test_on_batch(x, [yb, yr]), model.test_on_batch(x, [yb, yr]), rtol=1e-6)


# ---------------------------------------------------------------- serialize / deserialize / get
@pytest.mark.parametrize("form", sorted(FORMS))
def test_serialize_roundtrip_keeps_config(form):
    loss = losses.get(FORMS[form][0]())
    config = losses.serialize(loss)
    assert set(config) == {"module", "class_name", "config", "registered_name"}
    again = losses.deserialize(config)
    assert type(again) is type(loss)
    assert again.get_config() == loss.get_config()


def test_serialize_names_registered_objects_as_keras():
    assert losses.serialize(PowerError(power=3.0))["registered_name"] == "LossSavingTest>PowerError"
    wrapped = losses.serialize(losses.get(scaled_squared_error))
    assert wrapped == {"module": "builtins", "class_name": "function", "config": "LossSavingTest>scaled_squared_error",
                       "registered_name": "function"}  # Keras 3 writes a registered function so
    assert losses.serialize(losses.Huber(delta=2.0)) == {
        "module": "brickwork.losses", "class_name": "Huber", "registered_name": None,
        "config": {"name": "huber_loss", "reduction": "sum_over_batch_size", "delta": 2.0}}


@pytest.mark.slow  # imports Keras (about 10 s)
def test_keras_reads_brickwork_loss_configs():
    """The layout is Keras 3's: Keras's own deserialize rebuilds the same loss from it."""
    keras = pytest.importorskip("keras")
    for loss in (losses.BinaryCrossentropy(from_logits=True), losses.Huber(delta=2.0),
                 losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)):
        config = losses.serialize(loss)
        theirs = keras.losses.deserialize({**config, "module": "keras.losses"})
        assert type(theirs).__name__ == type(loss).__name__
        for key, value in loss.get_config().items():
            if key in theirs.get_config():
                assert theirs.get_config()[key] == value, key


@pytest.mark.slow  # imports Keras (about 10 s)
def test_keras_written_loss_objects_load_with_their_arguments(tmp_path):
    keras = pytest.importorskip("keras")
    inp = keras.Input(shape=(4,), name="x")
    hidden = keras.layers.Dense(5, activation="tanh")(inp)
    km = keras.Model(inp, [keras.layers.Dense(1, name="logit")(hidden), keras.layers.Dense(3, name="cls")(hidden)])
    km.compile("sgd", loss={"logit": keras.losses.BinaryCrossentropy(from_logits=True),
                            "cls": keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1)})
    km.save(tmp_path / "k.keras")
    model = bw.load_model(tmp_path / "k.keras")
    first, second = model._compiled_loss.losses
    assert type(first) is losses.BinaryCrossentropy and first.get_config()["from_logits"] is True
    assert type(second) is losses.SparseCategoricalCrossentropy and second.get_config()["ignore_class"] == 1


def test_unregistered_function_cannot_be_serialized_and_says_so():
    def my_private_loss(y_true, y_pred):
        return bw.ops.mean(y_true - y_pred, axis=-1)

    with pytest.raises(ValueError, match="my_private_loss.*register_keras_serializable"):
        losses.serialize(losses.get(my_private_loss))


def test_saving_unregistered_loss_names_it(tmp_path):
    def my_private_loss(y_true, y_pred):
        return bw.ops.mean(bw.ops.square(y_true - y_pred), axis=-1)

    model = _model(1, None)
    model.compile("sgd", loss=my_private_loss)
    x, y = _data("regression")
    model.fit(x, y, epochs=1, verbose=0)
    with pytest.warns(UserWarning, match="my_private_loss"):
        model.save(tmp_path / "m.brick")
    reloaded = bw.load_model(tmp_path / "m.brick")  # architecture and weights still load, uncompiled
    assert not reloaded.compiled
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_deserialize_unknown_class_names_it():
    with pytest.raises(ValueError, match="NoSuchLoss"):
        losses.deserialize({"module": "x", "class_name": "NoSuchLoss", "config": {}, "registered_name": None})

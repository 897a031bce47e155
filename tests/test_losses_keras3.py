"""Losses against Keras 3: values, reductions, sample weights, masks, gradients, (de)serialisation."""

from __future__ import annotations

import keras  # noqa: E402  (test oracle; conftest selects the PyTorch backend)
import numpy as np
import pytest

import brickwork as bw
from brickwork import losses
from brickwork.engine.gradcheck import gradcheck


def _k(x):
    return np.asarray(keras.ops.convert_to_numpy(x), np.float64)


def _data(kind, rng, shape=(6, 4)):
    if kind == "prob":
        t = rng.random(shape)
        t /= t.sum(-1, keepdims=True)
        p = rng.random(shape) + 0.05
        return t, p / p.sum(-1, keepdims=True)
    if kind == "binary":
        return (rng.random(shape) > 0.5).astype(np.float64), rng.normal(size=shape)
    if kind == "onehot":
        return np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])], rng.normal(size=shape)
    if kind == "positive":
        return rng.poisson(2.0, shape).astype(np.float64), rng.random(shape) * 3 + 0.1
    if kind == "unit":
        return (rng.random(shape) > 0.5).astype(np.float64), rng.random(shape) * 0.9 + 0.05
    return rng.normal(size=shape), rng.normal(size=shape)


CASES = [
    ("KLDivergence", {}, "prob"), ("CosineSimilarity", {}, "real"), ("CosineSimilarity", {"axis": 0}, "real"),
    ("Hinge", {}, "binary"), ("SquaredHinge", {}, "binary"), ("CategoricalHinge", {}, "onehot"),
    ("Poisson", {}, "positive"), ("LogCosh", {}, "real"), ("Dice", {}, "unit"), ("Dice", {"axis": 1}, "unit"),
    ("Tversky", {"alpha": 0.3, "beta": 0.7}, "unit"), ("Tversky", {"alpha": 0.8, "beta": 0.2, "axis": 1}, "unit"),
    ("MeanSquaredLogarithmicError", {}, "positive"), ("MeanAbsolutePercentageError", {}, "real"),
]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none", None])
@pytest.mark.parametrize(("cls", "kwargs", "kind"), CASES)
def test_new_losses_match_keras(cls, kwargs, kind, reduction, rng):
    t, p = _data(kind, rng)
    if cls == "Hinge" and reduction == "sum":  # also: labels already in {-1, 1} are kept
        t = 2 * t - 1
    ours = getattr(losses, cls)(reduction=reduction, **kwargs)
    theirs = getattr(keras.losses, cls)(reduction=reduction, **kwargs)
    np.testing.assert_allclose(ours(t, bw.Tensor(p)).data, _k(theirs(t, p)), rtol=1e-5, atol=1e-6)
    axis_summed = cls in ("Dice", "Tversky") or kwargs.get("axis") == 0
    if not axis_summed:  # per-sample losses: with sample weights too
        w = rng.random(len(t))
        np.testing.assert_allclose(ours(t, bw.Tensor(p), sample_weight=w).data,
                                   _k(theirs(t, p, sample_weight=w)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("name", "kind"), [
    ("kl_divergence", "prob"), ("cosine_similarity", "real"), ("hinge", "binary"), ("squared_hinge", "binary"),
    ("categorical_hinge", "onehot"), ("poisson", "positive"), ("log_cosh", "real"), ("dice", "unit"),
    ("tversky", "unit"), ("mean_squared_logarithmic_error", "positive"),
    ("mean_absolute_percentage_error", "real"), ("mape", "real"), ("msle", "positive"), ("kld", "prob"),
])
def test_function_forms_and_string_names(name, kind, rng):
    t, p = _data(kind, rng)
    fn, kfn = getattr(losses, name), keras.losses.get(name)
    np.testing.assert_allclose(fn(t, bw.Tensor(p)).data, _k(kfn(t, p)), rtol=1e-5, atol=1e-6)
    obj = losses.get(name)
    assert isinstance(obj, losses.Loss)
    np.testing.assert_allclose(obj(t, bw.Tensor(p)).data, _k(kfn(t, p)).mean(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("cls", "kwargs", "kind"), CASES)
def test_new_losses_are_differentiable(cls, kwargs, kind, rng):
    t, p = _data(kind, rng, shape=(3, 4))
    loss = getattr(losses, cls)(**kwargs)
    assert gradcheck(lambda yp: loss(t, yp), p, wrt=[0])


@pytest.mark.parametrize(("cls", "kwargs"), [(c, k) for c, k, _ in CASES] + [
    ("SparseCategoricalCrossentropy", {"from_logits": True}), ("BinaryCrossentropy", {"label_smoothing": 0.1})])
def test_config_round_trip_and_serialize(cls, kwargs):
    loss = getattr(losses, cls)(reduction="sum", name="custom", **kwargs)
    again = type(loss).from_config(loss.get_config())
    assert again.get_config() == loss.get_config()
    cfg = losses.serialize(loss)
    assert cfg["class_name"] == cls and cfg["module"] == "brickwork.losses"
    back = losses.deserialize(cfg)
    assert type(back) is type(loss) and back.get_config() == loss.get_config()
    keras_cfg = getattr(keras.losses, cls)(reduction="sum", name="custom", **kwargs).get_config()
    assert {k: v for k, v in keras_cfg.items() if k != "ignore_class"}.items() <= loss.get_config().items()


def test_serialize_names_functions_and_errors():
    assert losses.serialize(None) is None and losses.serialize("mse") == "mse"
    assert losses.deserialize(losses.serialize(losses.mse)).name == "mean_squared_error"
    assert isinstance(losses.get({"class_name": "Hinge", "config": {}}), losses.Hinge)
    with pytest.raises(ValueError, match="Unknown loss class 'Nope'"):
        losses.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="Cannot serialize loss"):
        losses.serialize(losses.get(lambda a, b: (a - b) ** 2))
    with pytest.raises(ValueError, match="invalid reduction 'avg'"):
        losses.Hinge(reduction="avg")


def _masked_case(rng):
    t = rng.integers(0, 3, (4, 5))
    logits = rng.normal(size=(4, 5, 3))
    mask = rng.random((4, 5)) > 0.4
    mask[0] = False  # a fully masked sample
    return t, logits, mask


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none", "mean_with_sample_weight"])
@pytest.mark.parametrize("weighted", [False, True])
def test_mask_on_y_pred_matches_keras(reduction, weighted, rng):
    t, logits, mask = _masked_case(rng)
    w = rng.random((4, 5)) if weighted else None
    yp = bw.Tensor(logits)
    yp._keras_mask = mask
    ours = losses.SparseCategoricalCrossentropy(from_logits=True, reduction=reduction)(t, yp, sample_weight=w)
    kp = keras.ops.convert_to_tensor(logits)
    kp._keras_mask = keras.ops.convert_to_tensor(mask)
    theirs = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=reduction)(
        t, kp, sample_weight=w)
    np.testing.assert_allclose(ours.data, _k(theirs), rtol=1e-5, atol=1e-6)


def test_masked_mean_is_over_unmasked_entries_and_differentiable(rng):
    t, logits, mask = _masked_case(rng)
    per = losses.sparse_categorical_crossentropy(t, bw.Tensor(logits), from_logits=True).data
    yp = bw.Tensor(logits)
    yp._keras_mask = mask
    assert losses.SparseCategoricalCrossentropy(from_logits=True)(t, yp).item() == pytest.approx(per[mask].mean())

    def fn(z):
        z._keras_mask = mask
        return losses.SparseCategoricalCrossentropy(from_logits=True)(t, z)

    assert gradcheck(fn, logits, wrt=[0])
    yp = bw.Tensor(logits)
    yp._keras_mask = np.zeros((4, 5), bool)  # nothing kept: 0, not NaN
    assert losses.SparseCategoricalCrossentropy(from_logits=True)(t, yp).item() == 0.0


def test_ignore_class_matches_keras(rng):
    t = rng.integers(0, 4, (6, 3))
    logits = rng.normal(size=(6, 3, 4))
    ours = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)(t, bw.Tensor(logits))
    theirs = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)(t, logits)
    np.testing.assert_allclose(ours.item(), _k(theirs), rtol=1e-5)


def test_mask_errors_name_the_shapes():
    yp = bw.Tensor(np.zeros((4, 3)))
    yp._keras_mask = np.ones(4, bool)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\)"):
        losses.MeanSquaredError()(np.zeros((4, 3)), yp, sample_weight=np.ones(3))


def test_model_save_load_keeps_loss_object(tmp_path):
    model = bw.models.Sequential([bw.layers.Input(shape=(4,)), bw.layers.Dense(3)])
    model.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = np.random.default_rng(0).normal(size=(8, 4)), np.arange(8) % 3
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.brick")
    loaded = bw.load_model(tmp_path / "m.brick")
    cfg = loaded.get_compile_config()["loss"]
    assert cfg["class_name"] == "SparseCategoricalCrossentropy" and cfg["config"]["from_logits"] is True
    lo = loaded._compiled_loss.losses[0]
    assert isinstance(lo, losses.SparseCategoricalCrossentropy) and lo.fn_kwargs["from_logits"] is True
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-6)

"""VGG16, ResNet50 and MobileNetV2 against ``keras.applications`` (Keras 3 on PyTorch, a test oracle):
the same layer names, order and weight shapes, and Keras's saved weights loading into brickwork's builders."""

from __future__ import annotations

import keras
import numpy as np
import pytest

pytest.importorskip("h5py")

from brickwork.applications import keras_applications as apps  # noqa: E402

BUILDERS = {"VGG16": (apps.VGG16, keras.applications.VGG16),
            "ResNet50": (apps.ResNet50, keras.applications.ResNet50),
            "MobileNetV2": (apps.MobileNetV2, keras.applications.MobileNetV2)}


def _layout(model):
    return [(layer.name, [tuple(w.shape) for w in layer.weights]) for layer in model.layers]


def _keras(name, **kwargs):
    keras.utils.clear_session()
    return BUILDERS[name][1](weights=None, **kwargs)


def _shake(kmodel, rng):
    """Random, non-trivial weights everywhere (BatchNormalization's moving statistics too)."""
    for layer in kmodel.layers:
        ws = layer.get_weights()
        if not ws:
            continue
        if isinstance(layer, keras.layers.BatchNormalization):
            ws = [rng.uniform(0.5, 1.5, ws[0].shape), rng.normal(0, 0.1, ws[1].shape),
                  rng.normal(0, 0.1, ws[2].shape), rng.uniform(0.5, 2.0, ws[3].shape)]
        else:
            ws = [w + rng.normal(0, 0.01, w.shape) for w in ws]
        layer.set_weights([w.astype("float32") for w in ws])
    return kmodel


@pytest.mark.parametrize("name", [pytest.param("ResNet50", marks=pytest.mark.slow), "MobileNetV2"])
def test_layer_names_and_weight_shapes_match_keras_with_top(name):
    kmodel = _keras(name)
    bmodel = BUILDERS[name][0](weights=None)
    assert _layout(bmodel) == _layout(kmodel)
    assert bmodel.name == kmodel.name
    assert bmodel.count_params() == kmodel.count_params()


@pytest.mark.slow
def test_vgg16_with_top_matches_keras_layout():
    kmodel = _keras("VGG16")
    bmodel = apps.VGG16(weights=None)
    assert _layout(bmodel) == _layout(kmodel)
    assert bmodel.count_params() == kmodel.count_params() == 138_357_544


@pytest.mark.parametrize("name, pooling", [
    ("VGG16", None), ("VGG16", "max"), ("MobileNetV2", "avg"), ("MobileNetV2", None),
    pytest.param("ResNet50", "max", marks=pytest.mark.slow)])
def test_headless_layout_matches_keras(name, pooling):
    kmodel = _keras(name, include_top=False, pooling=pooling, input_shape=(64, 64, 3))
    bmodel = BUILDERS[name][0](weights=None, include_top=False, pooling=pooling, input_shape=(64, 64, 3))
    assert _layout(bmodel) == _layout(kmodel)
    assert bmodel.output_shape == tuple(kmodel.output_shape)


@pytest.mark.slow
@pytest.mark.parametrize("name, side", [("VGG16", 32), ("ResNet50", 32), ("MobileNetV2", 33)])
def test_keras_weights_h5_load_and_predict_the_same(name, side, tmp_path, rng):
    kmodel = _shake(_keras(name, include_top=False, pooling="avg", input_shape=(side, side, 3)), rng)
    path = tmp_path / f"{name}.weights.h5"
    kmodel.save_weights(path)
    bmodel = BUILDERS[name][0](weights=path, include_top=False, pooling="avg", input_shape=(side, side, 3))
    x = rng.uniform(-1, 1, size=(2, side, side, 3)).astype("float32")
    expected = np.asarray(kmodel.predict(x, verbose=0))
    np.testing.assert_allclose(bmodel.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.slow
def test_keras_model_file_loads_into_the_builder(tmp_path, rng):
    kmodel = _shake(_keras("MobileNetV2", input_shape=(32, 32, 3), classes=5, alpha=0.5), rng)
    kmodel.save(tmp_path / "m.keras")
    bmodel = apps.MobileNetV2(input_shape=(32, 32, 3), classes=5, alpha=0.5, weights=tmp_path / "m.keras")
    assert _layout(bmodel) == _layout(kmodel)
    x = rng.uniform(-1, 1, size=(2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(bmodel.predict(x, verbose=0), kmodel.predict(x, verbose=0), rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_resnet50_with_top_predicts_like_keras_at_224(tmp_path, rng):
    kmodel = _shake(_keras("ResNet50", classifier_activation=None), rng)
    kmodel.save_weights(tmp_path / "r50.weights.h5")
    bmodel = apps.ResNet50(weights=tmp_path / "r50.weights.h5", classifier_activation=None)
    x = rng.uniform(-100, 100, size=(1, 224, 224, 3)).astype("float32")
    expected = np.asarray(kmodel.predict(x, verbose=0))
    np.testing.assert_allclose(bmodel.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("builder, kwargs, words", [
    (apps.VGG16, dict(weights="imagenet"), "VGG16.*downloads nothing"),
    (apps.ResNet50, dict(weights=7), "ResNet50: weights"),
    (apps.MobileNetV2, dict(pooling="sum", include_top=False), "MobileNetV2: pooling"),
    (apps.VGG16, dict(classes=-1), "VGG16: classes"),
    (apps.VGG16, dict(input_shape=(64, 64, 3)), "VGG16.*include_top=True.*input_shape"),
    (apps.ResNet50, dict(input_shape=(16, 16, 3), include_top=False), "ResNet50: input_shape"),
    (apps.MobileNetV2, dict(alpha=0), "MobileNetV2: alpha"),
])
def test_bad_arguments_are_named(builder, kwargs, words):
    with pytest.raises(ValueError, match=words):
        builder(**kwargs)


@pytest.mark.slow
def test_missing_and_mismatched_weight_files_are_named(tmp_path, rng):
    with pytest.raises(FileNotFoundError, match="none.weights.h5"):
        apps.ResNet50(weights=tmp_path / "none.weights.h5", include_top=False, input_shape=(32, 32, 3))
    kmodel = _keras("MobileNetV2", include_top=False, input_shape=(32, 32, 3), alpha=0.5)
    kmodel.save_weights(tmp_path / "half.weights.h5")
    with pytest.raises(ValueError, match="half.weights.h5"):
        apps.MobileNetV2(include_top=False, input_shape=(32, 32, 3), weights=tmp_path / "half.weights.h5")

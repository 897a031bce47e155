"""The Keras 3 layers added with the 3-D and image primitives: outputs equal real Keras 3's
(PyTorch backend, rebuilt from brickwork's get_config with the weights copied), float64 gradchecks
of inputs and weights, config and model-file round trips, training-only augmentation, and errors."""

from __future__ import annotations

import warnings

import keras  # noqa: E402  (a test oracle; conftest selects the PyTorch backend)
import numpy as np
import pytest

import brickwork as bw
from brickwork import layers

rng = np.random.default_rng(0)


def keras_twin(layer):
    cfg = {k: v for k, v in layer.get_config().items() if k != "batch_input_shape"}
    return getattr(keras.layers, type(layer).__name__).from_config(cfg)


def matches_keras(layer, x, rtol=1e-5, **call_kwargs):
    """brickwork's output equals Keras's on ``x`` with brickwork's (randomised) weights copied."""
    layer(x, **call_kwargs)
    for w in layer.weights:
        w.assign(rng.uniform(-1, 1, w.shape).astype(w.dtype))
    ours = layer(x, **call_kwargs).data
    twin = keras_twin(layer)
    twin(x, **call_kwargs)
    twin.set_weights(layer.get_weights())
    assert [tuple(w.shape) for w in twin.weights] == [w.shape for w in layer.weights]
    theirs = keras.ops.convert_to_numpy(twin(x, **call_kwargs))
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * max(1.0, float(np.abs(theirs).max())))
    return ours


def images(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, shape).astype(np.float32)


CASES = [
    (lambda: layers.ReLU(), (3, 7)),
    (lambda: layers.ReLU(max_value=0.5), (3, 7)),
    (lambda: layers.ReLU(negative_slope=0.1, threshold=0.2), (3, 7)),
    (lambda: layers.ReLU(max_value=6.0, negative_slope=0.3), (3, 7)),
    (lambda: layers.LeakyReLU(), (3, 7)),
    (lambda: layers.LeakyReLU(negative_slope=0.05), (2, 3, 4)),
    (lambda: layers.PReLU(), (2, 3, 4)),
    (lambda: layers.PReLU(shared_axes=[1, 2]), (2, 3, 4, 5)),
    (lambda: layers.ELU(alpha=0.7), (3, 7)),
    (lambda: layers.Softmax(), (3, 7)),
    (lambda: layers.Softmax(axis=1), (2, 3, 4)),
    (lambda: layers.Softmax(axis=[1, 2]), (2, 3, 4)),
    (lambda: layers.Conv3D(4, 3), (2, 6, 5, 7, 3)),
    (lambda: layers.Conv3D(4, (2, 3, 2), strides=2, padding="same", activation="relu"), (2, 6, 5, 7, 3)),
    (lambda: layers.Conv3D(4, 2, dilation_rate=(2, 1, 1), groups=2, use_bias=False), (1, 6, 5, 4, 4)),
    (lambda: layers.Conv3D(2, 2, data_format="channels_first"), (1, 3, 4, 5, 4)),
    (lambda: layers.Conv1DTranspose(3, 3), (2, 7, 4)),
    (lambda: layers.Conv1DTranspose(3, 4, strides=2, padding="same"), (2, 7, 4)),
    (lambda: layers.Conv1DTranspose(3, 3, strides=2, output_padding=1), (2, 7, 4)),
    (lambda: layers.Conv1DTranspose(2, 3, dilation_rate=2, activation="tanh"), (2, 6, 3)),
    (lambda: layers.MaxPooling3D(), (2, 6, 5, 7, 3)),
    (lambda: layers.MaxPooling3D(3, strides=2, padding="same"), (2, 6, 5, 7, 3)),
    (lambda: layers.AveragePooling3D((2, 3, 2), strides=1), (2, 5, 5, 4, 3)),
    (lambda: layers.MaxPool3D(2, data_format="channels_first"), (1, 3, 4, 6, 4)),
    (lambda: layers.AvgPool3D(), (1, 4, 4, 4, 2)),
    (lambda: layers.UpSampling3D((1, 2, 3)), (2, 2, 3, 2, 3)),
    (lambda: layers.UpSampling3D(2, data_format="channels_first"), (1, 2, 2, 3, 2)),
    (lambda: layers.ZeroPadding3D(), (1, 2, 3, 2, 2)),
    (lambda: layers.ZeroPadding3D(((0, 1), (2, 0), (1, 1)), data_format="channels_first"), (1, 2, 3, 2, 2)),
    (lambda: layers.Cropping3D(), (1, 4, 5, 4, 2)),
    (lambda: layers.Cropping3D(((0, 1), (2, 0), (1, 1))), (1, 4, 5, 4, 2)),
    (lambda: layers.UnitNormalization(), (3, 5)),
    (lambda: layers.UnitNormalization(axis=[1, 2]), (2, 3, 4)),
    (lambda: layers.GroupNormalization(groups=2), (2, 4, 4, 6)),
    (lambda: layers.GroupNormalization(groups=-1, epsilon=1e-5), (2, 5, 4)),
    (lambda: layers.GroupNormalization(groups=3, axis=1, center=False), (2, 6, 4, 3)),
    (lambda: layers.GroupNormalization(groups=1, scale=False), (2, 3, 4)),
    (lambda: layers.Resizing(5, 9), (2, 7, 6, 3)),
    (lambda: layers.Resizing(3, 2, interpolation="nearest"), (2, 7, 6, 3)),
    (lambda: layers.Resizing(8, 4, interpolation="bicubic"), (2, 5, 6, 3)),
    (lambda: layers.Resizing(4, 4, crop_to_aspect_ratio=True), (2, 5, 8, 3)),
    (lambda: layers.Resizing(4, 4, pad_to_aspect_ratio=True, fill_value=0.5), (2, 5, 8, 3)),
    (lambda: layers.Resizing(6, 5, data_format="channels_first"), (2, 3, 4, 7)),
    (lambda: layers.CenterCrop(3, 4), (2, 6, 7, 3)),
    (lambda: layers.CenterCrop(8, 4), (2, 6, 7, 3)),
    (lambda: layers.CenterCrop(2, 3, data_format="channels_first"), (2, 3, 5, 6)),
    (lambda: layers.RandomContrast(0.4, value_range=(-1, 1)), (2, 5, 5, 3)),
    (lambda: layers.RandomBrightness((-0.2, 0.3)), (2, 5, 5, 3)),
]


@pytest.mark.parametrize("make,shape", CASES)
def test_matches_keras(make, shape):
    """Outputs (the random layers' at inference, training=False) equal Keras 3's."""
    layer = make()
    kwargs = {"training": False} if "training" in layer._call_parameters() else {}
    matches_keras(layer, images(*shape), **kwargs)


@pytest.mark.parametrize("shape", [(2, 6, 9, 3), (2, 3, 4, 3), (2, 8, 5, 3)])
def test_random_crop_inference_is_keras_smart_resize(shape):
    """At inference RandomCrop takes the centred crop with the target aspect ratio and resizes it, as Keras
    documents (and its ``smart_resize`` computes). Keras 3.15's RandomCrop itself returns the input uncropped
    at inference (a different shape from its own compute_output_shape), so it is not the oracle here."""
    x = images(*shape)
    ours = layers.RandomCrop(4, 5)(x, training=False).data
    theirs = keras.ops.convert_to_numpy(keras.preprocessing.image.smart_resize(x, (4, 5)))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_single_images_and_masked_softmax_match_keras():
    matches_keras(layers.Resizing(4, 3), images(5, 6, 2))
    matches_keras(layers.CenterCrop(2, 2), images(5, 6, 2))
    x = images(2, 3, 5)
    mask = rng.random((2, 3, 5)) > 0.4
    mask[0, 1] = False                                   # a fully masked row: all zeros
    ours = matches_keras(layers.Softmax(), x, mask=mask)
    assert np.all(ours[0, 1] == 0) and np.allclose(ours.sum(-1)[mask.any(-1)], 1, atol=1e-6)
    matches_keras(layers.Softmax(axis=1), x, mask=(rng.random((2, 3, 1)) > 0.3).astype(np.float32))


def test_leaky_relu_accepts_alpha_with_warning():
    with pytest.warns(UserWarning, match="alpha"):
        layer = layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1 and layer.get_config()["negative_slope"] == 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.LeakyReLU(0.2)


def test_weight_names_and_layouts():
    prelu = layers.PReLU(shared_axes=[1, 2])
    prelu(images(2, 3, 4, 5))
    assert [w.name for w in prelu.weights] == ["alpha"] and prelu.alpha.shape == (1, 1, 5)
    gn = layers.GroupNormalization(groups=2)
    gn(images(2, 3, 4))
    assert [(w.name, w.shape) for w in gn.weights] == [("gamma", (4,)), ("beta", (4,))]
    conv = layers.Conv3D(5, (1, 2, 3), groups=1)
    conv(images(1, 3, 3, 3, 2))
    assert [(w.name, w.shape) for w in conv.weights] == [("kernel", (1, 2, 3, 2, 5)), ("bias", (5,))]
    tconv = layers.Conv1DTranspose(5, 3)
    tconv(images(1, 4, 2))
    assert [(w.name, w.shape) for w in tconv.weights] == [("kernel", (3, 5, 2)), ("bias", (5,))]


@pytest.fixture
def float64():
    """Layers made inside run in float64 (gradcheck's finite differences need it)."""
    previous = bw.engine.config.floatx()
    bw.engine.config.set_floatx("float64")
    yield
    bw.engine.config.set_floatx(previous)


def _gradcheck(layer, x, **kwargs):
    assert layer.dtype == "float64"
    layer(x, **kwargs)
    for w in layer.trainable_weights:
        w.data[...] = np.random.default_rng(1).uniform(-1.5, 1.5, w.shape)

    def fn(t):
        bw.set_seed(7)          # the random layers draw the same transformation at every evaluation
        return layer(t, **kwargs)
    res = bw.gradcheck(fn, x, params=layer.trainable_weights)
    assert res.passed, f"{layer.name}: {res}"


def away(shape, kinks=(0.0,), margin=0.05):
    x = rng.uniform(-2, 2, shape)
    for k in kinks:
        close = np.abs(x - k) < margin
        x[close] = k + np.sign(x[close] - k + 1e-12) * margin * 2
    return x


GRAD_CASES = [
    (lambda: layers.ReLU(max_value=1.0, negative_slope=0.2, threshold=0.5), (3, 6), (0.5, 1.0)),
    (lambda: layers.LeakyReLU(0.1), (3, 6), (0.0,)),
    (lambda: layers.PReLU(shared_axes=[1]), (2, 3, 4), (0.0,)),
    (lambda: layers.ELU(0.5), (3, 6), (0.0,)),
    (lambda: layers.Softmax(axis=[1, 2]), (2, 3, 4), ()),
    (lambda: layers.Conv3D(3, 2, strides=(1, 2, 1), padding="same", groups=1), (1, 3, 4, 3, 2), ()),
    (lambda: layers.Conv1DTranspose(2, 3, strides=2, padding="same"), (2, 4, 3), ()),
    (lambda: layers.AveragePooling3D(2, strides=1, padding="same"), (1, 3, 3, 3, 2), ()),
    (lambda: layers.UpSampling3D((2, 1, 2)), (1, 2, 2, 2, 2), ()),
    (lambda: layers.ZeroPadding3D(1), (1, 2, 2, 2, 1), ()),
    (lambda: layers.Cropping3D(((1, 0), (0, 1), (1, 1))), (1, 3, 3, 4, 2), ()),
    (lambda: layers.UnitNormalization(axis=[1, 2]), (2, 3, 2), ()),
    (lambda: layers.GroupNormalization(groups=2), (2, 3, 4), ()),
    (lambda: layers.Resizing(5, 3, interpolation="bicubic"), (2, 4, 4, 2), ()),
    (lambda: layers.Resizing(3, 3, pad_to_aspect_ratio=True), (1, 2, 4, 2), ()),
    (lambda: layers.CenterCrop(5, 5), (1, 4, 6, 2), ()),
    (lambda: layers.RandomCrop(2, 3), (1, 4, 6, 2), ()),
]


@pytest.mark.parametrize("make,shape,kinks", GRAD_CASES)
def test_gradcheck(make, shape, kinks, float64):
    _gradcheck(make(), away(shape, kinks))


def test_max_pooling3d_and_random_layers_gradcheck(float64):
    x = rng.permutation(2 * 4 * 4 * 4).reshape(1, 4, 4, 4, 2) / 7.0     # distinct: no ties
    _gradcheck(layers.MaxPooling3D(2, strides=1, padding="same"), x)
    _gradcheck(layers.RandomCrop(2, 3), away((2, 4, 6, 2)), training=True)
    _gradcheck(layers.RandomContrast(0.5, value_range=(-10, 10)), away((2, 3, 3, 2)), training=True)
    _gradcheck(layers.RandomBrightness(0.1, value_range=(-10, 10)), away((2, 3, 3, 2)), training=True)


def test_random_layers_in_training():
    x = images(6, 8, 9, 3, low=0, high=255)
    crop = layers.RandomCrop(4, 5, seed=0)
    seen = set()
    for _ in range(6):
        y = crop(x, training=True).data
        hits = [(i, j) for i in range(5) for j in range(5) if np.array_equal(y, x[:, i:i + 4, j:j + 5])]
        assert len(hits) == 1
        seen.add(hits[0])
    assert len(seen) > 1
    contrast = layers.RandomContrast((0.3, 0.5), seed=0)
    y = contrast(x, training=True).data
    mean = x.mean(axis=(1, 2), keepdims=True)
    c = ((y - mean) / (x - mean)).reshape(6, -1)
    inside = ((y > 0) & (y < 255)).reshape(6, -1)
    factors = [row[ok].mean() for row, ok in zip(c, inside)]
    assert all(0.7 - 1e-4 <= f <= 1.5 + 1e-4 for f in factors) and np.ptp(factors) > 0
    np.testing.assert_allclose(np.where(inside, c, np.array(factors)[:, None]), np.array(factors)[:, None] *
                               np.ones_like(c), rtol=1e-3)
    bright = layers.RandomBrightness(0.2, seed=0)
    y = bright(x, training=True).data
    delta = (y - x).reshape(6, -1)
    free = ((y > 0) & (y < 255)).reshape(6, -1)
    d = np.array([row[ok][0] for row, ok in zip(delta, free)])
    assert np.all(np.abs(d) <= 0.2 * 255 + 1e-3)
    assert np.all(y >= 0) and np.all(y <= 255)
    for layer in (crop, contrast, bright):   # inference: no randomness
        np.testing.assert_array_equal(layer(x).data, layer(x).data)
    np.testing.assert_array_equal(contrast(x).data, x)


ROUND_TRIP = [
    lambda: layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.3),
    lambda: layers.LeakyReLU(0.2), lambda: layers.PReLU(shared_axes=[1]), lambda: layers.ELU(0.3),
    lambda: layers.Softmax(axis=[1, 2]), lambda: layers.UnitNormalization(), lambda: layers.GroupNormalization(2),
]
ROUND_TRIP_5D = [
    lambda: layers.Conv3D(2, 2, padding="same"), lambda: layers.MaxPooling3D(2), lambda: layers.AvgPool3D(1),
    lambda: layers.UpSampling3D(2), lambda: layers.ZeroPadding3D(1), lambda: layers.Cropping3D(1),
]
ROUND_TRIP_IMG = [
    lambda: layers.Resizing(3, 5, interpolation="nearest"), lambda: layers.CenterCrop(3, 3),
    lambda: layers.RandomCrop(3, 3, seed=2), lambda: layers.RandomContrast(0.2), lambda: layers.RandomBrightness(0.1),
]


@pytest.mark.parametrize("make,shape", [(m, (4, 6)) for m in ROUND_TRIP] + [(m, (4, 4, 4, 2)) for m in ROUND_TRIP_5D]
                         + [(m, (6, 6, 3)) for m in ROUND_TRIP_IMG] + [(lambda: layers.Conv1DTranspose(2, 3), (5, 2))])
def test_config_and_model_file_round_trip(make, shape, tmp_path):
    layer = make()
    x = images(2, *shape)
    if isinstance(layer, layers.Softmax):
        x = x.reshape(2, 4, 2, 3)
        shape = (4, 2, 3)
    if isinstance(layer, layers.PReLU):
        layer.build((None,) + shape)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    inp = layers.Input(shape)
    model = bw.Model(inp, layer(inp))
    for w in model.weights:
        w.assign(rng.uniform(-1, 1, w.shape).astype(w.dtype))
    model.save(tmp_path / "m.brick")
    loaded = bw.models.load_model(tmp_path / "m.brick")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert [w.path for w in loaded.weights] == [w.path for w in model.weights]


def test_errors_name_the_layer_and_shape():
    with pytest.raises(ValueError, match=r"'c3' \(Conv3D\).*ndim=5.*\(1, 4, 4, 4\)"):
        layers.Conv3D(2, 3, name="c3")(images(1, 4, 4, 4))
    with pytest.raises(ValueError, match=r"'p3' \(MaxPooling3D\).*\(2, 3\)"):
        layers.MaxPooling3D(name="p3")(images(2, 3))
    with pytest.raises(ValueError, match=r"Resizing 'rs'.*\(2, 3\)"):
        layers.Resizing(2, 2, name="rs")(images(2, 3))
    with pytest.raises(ValueError, match="interpolation"):
        layers.Resizing(2, 2, interpolation="lanczos5")
    with pytest.raises(ValueError, match="only one of"):
        layers.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match=r"GroupNormalization 'gn'.*groups=4.*6 channels"):
        layers.GroupNormalization(4, name="gn")(images(2, 6))
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(0)
    with pytest.raises(ValueError, match=r"LeakyReLU 'lr'.*negative_slope"):
        layers.LeakyReLU(-1, name="lr")
    with pytest.raises(ValueError, match="ReLU 'r'.*max_value"):
        layers.ReLU(max_value=-1, name="r")
    with pytest.raises(ValueError, match=r"Softmax 'sm'.*\(2, 4\).*\(2, 3\)"):
        layers.Softmax(name="sm")(images(2, 3), mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="RandomContrast.*factor"):
        layers.RandomContrast(1.5)
    with pytest.raises(ValueError, match="value_range"):
        layers.RandomBrightness(0.1, value_range=(0, 1, 2))
    with pytest.raises(ValueError, match="Conv1DTranspose.*causal"):
        layers.Conv1DTranspose(2, 3, padding="causal")
    with pytest.raises(ValueError, match="PReLU 'pr'.*shared axis 3"):
        layers.PReLU(shared_axes=[3], name="pr")(images(2, 3))

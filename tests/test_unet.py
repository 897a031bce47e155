"""U-Net segmentation: the shapes generator, the U-Net builder, the IoU metrics (against keras.metrics) and Dice."""

from __future__ import annotations

import importlib.util

import keras
import numpy as np
import pytest

from brickwork import metrics
from brickwork.applications import unet
from brickwork.datasets import segmentation_shapes
from brickwork.metrics import dice_coefficient

has_skimage = importlib.util.find_spec("skimage") is not None
ENGINES = ["numpy"] + (["skimage"] if has_skimage else [])


# ----------------------------------------------------------------------------------------------- the generator
@pytest.mark.parametrize("engine", ENGINES)
def test_shapes_are_deterministic_and_binary(engine):
    x1, m1 = segmentation_shapes(6, size=32, seed=3, engine=engine)
    x2, m2 = segmentation_shapes(6, size=32, seed=3, engine=engine)
    x3, _ = segmentation_shapes(6, size=32, seed=4, engine=engine)
    assert x1.shape == m1.shape == (6, 32, 32, 1)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(m1, m2)
    assert not np.array_equal(x1, x3)
    assert set(np.unique(m1)) <= {0.0, 1.0} and x1.min() >= 0 and x1.max() <= 1
    assert np.all(m1.reshape(6, -1).sum(axis=1) > 0)  # every image holds a shape


@pytest.mark.parametrize("engine", ENGINES)
def test_mask_is_exactly_where_the_image_leaves_the_illumination_ramp(engine):
    # without noise the background is a plane a + b·y + c·x; the shapes add a contrast of at least 0.1·0.8
    x, m = segmentation_shapes(8, size=32, seed=1, noise=(0.0, 0.0), contrast=(0.1, 0.2), engine=engine)
    yy, xx = np.mgrid[0:32, 0:32]
    design = np.stack([np.ones(32 * 32), yy.ravel(), xx.ravel()], axis=1)
    for img, mask in zip(x[..., 0], m[..., 0].astype(bool)):
        bg = ~mask.ravel()
        coef, *_ = np.linalg.lstsq(design[bg], img.ravel()[bg], rcond=None)
        residual = np.abs(img.ravel() - design @ coef)
        assert residual[bg].max() < 1e-5
        assert residual[~bg].min() > 0.07


def test_numpy_shapes_cover_discs_rectangles_and_triangles():
    # a single-shape image's area over its bounding box: disc π/4, rectangle 1, triangle ≤ 1/2
    _, m = segmentation_shapes(60, size=48, seed=0, max_shapes=1, noise=(0.0, 0.0), engine="numpy")
    fill = []
    for mask in m[..., 0].astype(bool):
        rows, cols = np.nonzero(mask)
        fill.append(mask.sum() / ((np.ptp(rows) + 1) * (np.ptp(cols) + 1)))
    fill = np.array(fill)
    assert np.any(fill > 0.97) and np.any(np.abs(fill - np.pi / 4) < 0.06) and np.any(fill < 0.6)


def test_shapes_bad_arguments():
    with pytest.raises(ValueError, match="segmentation_shapes: n must be a positive integer"):
        segmentation_shapes(0)
    with pytest.raises(ValueError, match="segmentation_shapes: size must be"):
        segmentation_shapes(2, size=4)
    with pytest.raises(ValueError, match="segmentation_shapes: engine must be one of"):
        segmentation_shapes(2, engine="pil")
    with pytest.raises(ValueError, match="segmentation_shapes: contrast must be a"):
        segmentation_shapes(2, contrast=(0.5, 0.1))
    with pytest.raises(ValueError, match="segmentation_shapes: need 2 ≤ min_size < max_size"):
        segmentation_shapes(2, size=16, min_size=10, max_size=40)


# ----------------------------------------------------------------------------------------------- the U-Net
def test_unet_output_shapes_and_activations():
    rng = np.random.default_rng(0)
    x = rng.random((2, 16, 24, 3)).astype(np.float32)
    binary = unet((16, 24, 3), filters=(4, 8, 16))
    p = np.asarray(binary.predict(x, verbose=0))
    assert p.shape == (2, 16, 24, 1) and np.all((p > 0) & (p < 1))
    multi = unet((16, 24, 3), num_classes=4, filters=(4, 8, 16), upsampling="nearest", batch_norm=False)
    q = np.asarray(multi.predict(x, verbose=0))
    assert q.shape == (2, 16, 24, 4)
    np.testing.assert_allclose(q.sum(axis=-1), 1.0, rtol=1e-5)


def test_unet_skip_connections_concatenate_the_encoder_features():
    model = unet((16, 16, 1), filters=(4, 8, 16))
    for level, f in enumerate((4, 8)):
        skip = model.get_layer(f"unet_skip{level}")
        encoder_out, upsampled = skip.input
        assert encoder_out is model.get_layer(f"unet_down{level}_relu2").output
        assert upsampled is model.get_layer(f"unet_up{level}_upconv").output
        assert tuple(skip.output.shape) == (None, 16 // 2 ** level, 16 // 2 ** level, 2 * f)
    # the paper's form: an integer filter count doubled over `depth` levels
    deep = unet((32, 32, 1), filters=8, depth=4)
    assert tuple(deep.get_layer("unet_bottom_conv2").output.shape) == (None, 4, 4, 64)


def test_unet_parameter_count_matches_the_architecture():
    # filters (4, 8), one input channel, batch norm (convs without bias; γ, β, moving mean and variance)
    def conv(cin, cout, k, bias):
        return k * k * cin * cout + (cout if bias else 0)

    def block(cin, f):
        return conv(cin, f, 3, False) + 4 * f + conv(f, f, 3, False) + 4 * f

    expected = block(1, 4) + block(4, 8) + conv(8, 4, 2, True) + block(8, 4) + conv(4, 1, 1, True)
    assert unet((8, 8, 1), filters=(4, 8)).count_params() == expected


def test_unet_bad_arguments():
    with pytest.raises(ValueError, match=r"unet: input_shape \(30, 30, 1\) must have height and width divisible by"):
        unet((30, 30, 1), filters=(4, 8, 16))
    with pytest.raises(ValueError, match="unet: input_shape must be"):
        unet((32, 32))
    with pytest.raises(ValueError, match="unet: num_classes must be"):
        unet((16, 16, 1), num_classes=0)
    with pytest.raises(ValueError, match="unet: upsampling must be one of"):
        unet((16, 16, 1), upsampling="cubic")
    with pytest.raises(ValueError, match="unet: depth=2 disagrees"):
        unet((16, 16, 1), filters=(4, 8, 16), depth=2)


@pytest.mark.slow
def test_unet_learns_the_shapes_better_than_otsu():
    from brickwork import optimizers
    from examples.unet_shapes import otsu_masks

    x, y = segmentation_shapes(160, size=32, seed=0)
    xt, yt = segmentation_shapes(40, size=32, seed=1)
    model = unet((32, 32, 1), filters=(8, 16, 32))
    model.compile(optimizer=optimizers.Adam(learning_rate=3e-3), loss="binary_crossentropy")
    model.fit(x, y, batch_size=16, epochs=6, verbose=0)
    dice = dice_coefficient(yt, np.asarray(model.predict(xt, verbose=0)))
    _, otsu_best = otsu_masks(xt, yt)
    otsu = dice_coefficient(yt, otsu_best)
    assert otsu < 0.45 and dice > otsu + 0.25, (dice, otsu)


# ----------------------------------------------------------------------------------------------- metrics
def _keras_result(metric, y_true, y_pred, sample_weight=None):
    metric.update_state(y_true, y_pred, sample_weight=sample_weight)
    return float(metric.result())


@pytest.mark.parametrize("ids", [[0], [2], [0, 2], [0, 1, 2, 3]])
def test_iou_matches_keras(ids):
    rng = np.random.default_rng(len(ids))
    t, p = rng.integers(0, 4, 300), rng.integers(0, 4, 300)
    w = rng.integers(0, 3, 300).astype(np.float32)
    for weight in (None, w):
        ours = metrics.IoU(num_classes=4, target_class_ids=ids)
        ours.update_state(t, p, sample_weight=weight)
        expected = _keras_result(keras.metrics.IoU(num_classes=4, target_class_ids=ids), t, p, weight)
        assert ours.result() == pytest.approx(expected, rel=1e-5)


def test_iou_ignore_class_and_absent_classes_match_keras():
    t = np.array([0, 0, 1, 1, 3, 3])
    p = np.array([0, 1, 1, 1, 0, 3])  # class 2 never occurs: left out of the mean
    ours = metrics.IoU(4, [0, 1, 2], ignore_class=3)
    ours.update_state(t, p)
    expected = _keras_result(keras.metrics.IoU(4, [0, 1, 2], ignore_class=3), t, p)
    assert ours.result() == pytest.approx(expected, rel=1e-5)
    assert ours.result() == pytest.approx((1 / 2 + 2 / 3) / 2, rel=1e-5)  # by hand


@pytest.mark.parametrize("ids,threshold", [((0, 1), 0.5), ([1], 0.3), ([0], 0.7)])
def test_binary_iou_matches_keras(ids, threshold):
    rng = np.random.default_rng(7)
    t = (rng.random((4, 8, 8, 1)) < 0.3).astype(np.float32)
    p = np.clip(t * 0.6 + rng.random(t.shape) * 0.5, 0, 1).astype(np.float32)
    ours = metrics.BinaryIoU(target_class_ids=ids, threshold=threshold)
    ours.update_state(t, p)
    expected = _keras_result(keras.metrics.BinaryIoU(target_class_ids=ids, threshold=threshold), t, p)
    assert ours.result() == pytest.approx(expected, rel=1e-5)
    assert ours.get_config()["threshold"] == threshold


def test_one_hot_iou_and_mean_iou_match_keras():
    rng = np.random.default_rng(2)
    t = np.eye(3)[rng.integers(0, 3, 200)]
    p = rng.random((200, 3))
    ours = metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    ours.update_state(t, p)
    assert ours.result() == pytest.approx(_keras_result(keras.metrics.OneHotIoU(3, [0, 2]), t, p), rel=1e-5)
    mean = metrics.OneHotMeanIoU(num_classes=3)
    mean.update_state(t, p)
    assert mean.result() == pytest.approx(_keras_result(keras.metrics.OneHotMeanIoU(3), t, p), rel=1e-5)


def test_iou_bad_target_class_ids():
    with pytest.raises(ValueError, match=r"IoU: target_class_ids \[5\] are out of range \[0, 3\)"):
        metrics.IoU(num_classes=3, target_class_ids=[0, 5])
    with pytest.raises(ValueError, match="BinaryIoU: target_class_ids"):
        metrics.BinaryIoU(target_class_ids=[2])


def test_dice_coefficient():
    t = np.array([[1, 1, 0, 0], [0, 0, 0, 0]], dtype=float)
    p = np.array([[0.9, 0.2, 0.8, 0.1], [0.0, 0.0, 0.0, 0.0]])
    # thresholded: |T| = 2, |P| = 2, |T ∩ P| = 1 -> 2·1 / 4
    assert dice_coefficient(t, p) == pytest.approx(0.5)
    # soft: 2 Σ t p / (Σ t + Σ p) = 2·1.1 / (2 + 2.0)
    assert dice_coefficient(t, p, threshold=None) == pytest.approx(2 * 1.1 / 4.0)
    # per sample: the second sample has both masks empty and counts as 1
    assert dice_coefficient(t, p, per_sample=True) == pytest.approx((0.5 + 1.0) / 2)
    assert dice_coefficient(np.zeros(3), np.zeros(3)) == 1.0
    # 1 - Dice is Keras's Dice loss on hard masks
    hard = (p >= 0.5).astype(np.float32)
    assert 1 - dice_coefficient(t, hard) == pytest.approx(float(keras.losses.Dice()(t.astype(np.float32), hard)),
                                                          abs=1e-6)
    with pytest.raises(ValueError, match=r"dice_coefficient: y_true has shape \(2, 4\) but y_pred has shape"):
        dice_coefficient(t, p[:, :3])

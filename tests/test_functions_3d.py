"""The new primitives (conv3d, 3-D pooling, image resize/crop): against PyTorch with the same
weights, forward and backward, and brickwork.gradcheck in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

import brickwork as bw
from brickwork import functions as F
from brickwork.functions.image import interpolation_matrix

rng = np.random.default_rng(0)


def run(fn, *arrays):
    """Forward ``fn`` on leaf tensors, backward a random cotangent; returns (y, g, grads)."""
    ts = [bw.Tensor(a, requires_grad=True) for a in arrays]
    y = fn(*ts)
    g = rng.standard_normal(y.shape)
    y.backward(g.astype(y.data.dtype))
    return y.data, g, [t.grad for t in ts]


def torch_run(fn, g, *arrays):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*ts)
    y.backward(torch.tensor(g, dtype=y.dtype))
    return y.detach().numpy(), [t.grad.numpy() for t in ts]


def torch_pad5(x, pads):
    """Zero-pad an NCDHW torch tensor with brickwork's ((front, back), (top, bottom), (left, right))."""
    (a, b), (c, d), (e, f) = pads
    return tF.pad(x, (e, f, c, d, a, b))


@pytest.mark.parametrize("strides,pads,dilation,groups", [
    ((1, 1, 1), ((0, 0),) * 3, (1, 1, 1), 1),
    ((2, 1, 2), ((1, 0), (0, 1), (1, 1)), (1, 1, 1), 1),
    ((1, 1, 1), ((1, 1),) * 3, (2, 1, 2), 2),
])
def test_conv3d_matches_torch(strides, pads, dilation, groups):
    x = rng.standard_normal((2, 6, 5, 7, 4))
    w = rng.standard_normal((3, 2, 3, 4 // groups, 6))
    b = rng.standard_normal(6)
    y, g, grads = run(lambda x, w, b: F.conv3d(x, w, b, strides, pads, dilation, groups), x, w, b)

    def ref(x, w, b):
        xp = torch_pad5(x.permute(0, 4, 1, 2, 3), pads)
        return tF.conv3d(xp, w.permute(4, 3, 0, 1, 2), b, stride=strides, dilation=dilation,
                         groups=groups).permute(0, 2, 3, 4, 1)
    ty, tgrads = torch_run(ref, g, x, w, b)
    np.testing.assert_allclose(y, ty, rtol=1e-10, atol=1e-10)
    for a, t in zip(grads, tgrads):
        np.testing.assert_allclose(a, t, rtol=1e-10, atol=1e-10)


def test_conv3d_float32_and_errors():
    x = rng.standard_normal((1, 4, 4, 4, 3)).astype(np.float32)
    w = rng.standard_normal((2, 2, 2, 3, 2)).astype(np.float32)
    y = F.conv3d(bw.Tensor(x), bw.Tensor(w))
    assert y.data.dtype == np.float32 and y.shape == (1, 3, 3, 3, 2)
    with pytest.raises(ValueError, match=r"conv3d.*\(1, 4, 4, 4, 3\)"):
        F.conv3d(bw.Tensor(x), bw.Tensor(w[:, :, :, :2]))
    with pytest.raises(ValueError, match="does not fit"):
        F.conv3d(bw.Tensor(x[:, :1]), bw.Tensor(w))


def test_conv3d_gradcheck():
    x, w, b = rng.standard_normal((1, 3, 4, 3, 2)), rng.standard_normal((2, 2, 2, 1, 4)), rng.standard_normal(4)
    res = bw.gradcheck(lambda x, w, b: F.conv3d(x, w, b, (1, 2, 1), ((1, 0), (0, 1), (1, 1)), groups=2), x, w, b)
    assert res.passed, res


@pytest.mark.parametrize("pool,strides", [((2, 2, 2), (2, 2, 2)), ((2, 3, 2), (1, 2, 1))])
def test_pool3d_matches_torch(pool, strides):
    x = rng.standard_normal((2, 5, 6, 5, 3))
    for ours, theirs in ((F.max_pool3d, tF.max_pool3d), (F.avg_pool3d, tF.avg_pool3d)):
        y, g, (gx,) = run(lambda x, ours=ours: ours(x, pool, strides), x)
        ty, (tgx,) = torch_run(lambda x, theirs=theirs: theirs(x.permute(0, 4, 1, 2, 3), pool, strides).permute(
            0, 2, 3, 4, 1), g, x)
        np.testing.assert_allclose(y, ty, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(gx, tgx, rtol=1e-12, atol=1e-12)


def test_pool3d_same_padding_excludes_padding_from_average():
    x = rng.standard_normal((1, 3, 3, 3, 2))
    pads = ((0, 1), (0, 1), (0, 1))
    y = F.avg_pool3d(bw.Tensor(x), (2, 2, 2), (2, 2, 2), pads).data
    m = F.max_pool3d(bw.Tensor(x), (2, 2, 2), (2, 2, 2), pads).data
    for i in range(2):
        for j in range(2):
            for k in range(2):
                block = x[0, 2 * i:2 * i + 2, 2 * j:2 * j + 2, 2 * k:2 * k + 2]
                np.testing.assert_allclose(y[0, i, j, k], block.reshape(-1, 2).mean(0))
                np.testing.assert_allclose(m[0, i, j, k], block.reshape(-1, 2).max(0))


def test_pool3d_gradcheck():
    x = rng.permutation(2 * 3 * 4 * 3 * 2).reshape(2, 3, 4, 3, 2) / 10.0   # distinct values: no max ties
    pads = ((0, 1), (1, 0), (0, 1))
    assert bw.gradcheck(lambda x: F.max_pool3d(x, (2, 2, 2), (1, 2, 2), pads), x).passed
    assert bw.gradcheck(lambda x: F.avg_pool3d(x, (2, 3, 2), (1, 1, 1), pads), x).passed


TORCH_MODE = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("size", [(3, 4), (9, 13), (5, 7), (10, 2)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_resize_matches_torch(interpolation, size, data_format):
    x = rng.standard_normal((2, 5, 7, 3))
    if data_format == "channels_first":
        x = x.transpose(0, 3, 1, 2).copy()
    y, g, (gx,) = run(lambda t: F.resize(t, size, interpolation, data_format), x)
    kw = {} if interpolation == "nearest" else {"align_corners": False}

    def ref(t):
        t = t.permute(0, 3, 1, 2) if data_format == "channels_last" else t
        out = tF.interpolate(t, size=size, mode=TORCH_MODE[interpolation], **kw)
        return out.permute(0, 2, 3, 1) if data_format == "channels_last" else out
    ty, (tgx,) = torch_run(ref, g, x)
    np.testing.assert_allclose(y, ty, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gx, tgx, rtol=1e-10, atol=1e-10)


def test_resize_half_pixel_by_hand_and_single_image():
    # upsampling 2 -> 4 with half-pixel centres samples at 0, 0.25, 0.75, 1 (edges clamped)
    np.testing.assert_allclose(interpolation_matrix(2, 4) @ np.array([0.0, 1.0]), [0, 0.25, 0.75, 1])
    np.testing.assert_allclose(interpolation_matrix(4, 2) @ np.array([0.0, 1, 2, 3]), [0.5, 2.5])
    np.testing.assert_array_equal(interpolation_matrix(3, 6, "nearest").argmax(1), [0, 0, 1, 1, 2, 2])
    img = rng.standard_normal((5, 4, 2)).astype(np.float32)
    y = F.resize(bw.Tensor(img), (3, 3))
    assert y.shape == (3, 3, 2) and y.data.dtype == np.float32
    with pytest.raises(ValueError, match="interpolation"):
        F.resize(bw.Tensor(img), (3, 3), "lanczos3")
    with pytest.raises(ValueError, match=r"shape \(4, 2\)"):
        F.resize(bw.Tensor(img[0]), (3, 3))


def test_resize_and_crop_gradcheck():
    x = rng.standard_normal((2, 4, 5, 2))
    for mode in ("bilinear", "nearest", "bicubic"):
        assert bw.gradcheck(lambda t, mode=mode: F.resize(t, (7, 3), mode), x).passed
    assert bw.gradcheck(lambda t: F.resize(t, (3, 6), data_format="channels_first"), x).passed
    res = bw.gradcheck(lambda t: F.crop(t, 1, 2, 2, 3), x)
    assert res.passed
    np.testing.assert_array_equal(F.crop(bw.Tensor(x), 1, 2, 2, 3).data, x[:, 1:3, 2:5])
    with pytest.raises(ValueError, match="does not fit"):
        F.crop(bw.Tensor(x), 3, 0, 2, 2)

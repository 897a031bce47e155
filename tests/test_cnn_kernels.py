"""The compiled convolution and max-pooling loops (brickwork.kernels.cnn_kernels) against the NumPy
reference paths of Conv2D and MaxPool2D (values and gradients), and against PyTorch's max pooling."""

from __future__ import annotations

import numpy as np
import pytest

from brickwork import kernels
from brickwork.functions.convolution import Conv2D
from brickwork.functions.pooling import MaxPool2D
from brickwork.functions.sliding_windows import pad_nhwc, windows

pytestmark = pytest.mark.skipif(not kernels.available(), reason="numba (the fast extra) is not installed")


def _run(fn_factory, inputs, needs, gy_seed=1, on=True):
    """Forward and backward of a fresh Function with the kernels on or off."""
    with kernels.use_kernels(on, families=("convolution",)):
        fn = fn_factory()
        fn.needs_input_grad = needs
        y = fn.forward(*[a.copy() for a in inputs])
        gy = np.random.default_rng(gy_seed).standard_normal(y.shape).astype(y.dtype)
        grads = fn.backward(gy)
    return y, grads, fn


CONV_CASES = [  # x shape, kernel (kh, kw, c, o), strides, pads, dilation
    ((2, 9, 8, 3), (3, 3, 3, 5), (1, 1), ((0, 0), (0, 0)), (1, 1)),
    ((2, 9, 8, 8), (3, 3, 8, 4), (1, 1), ((1, 1), (1, 1)), (1, 1)),           # 'same': padding never built
    ((1, 11, 10, 6), (3, 2, 6, 4), (2, 3), ((1, 2), (0, 1)), (1, 2)),         # strides, dilation, uneven pads
    ((2, 7, 7, 16), (1, 1, 16, 8), (1, 1), ((0, 0), (0, 0)), (1, 1)),         # pointwise
    ((2, 8, 8, 1), (5, 5, 1, 6), (2, 2), ((2, 2), (2, 2)), (1, 1)),           # one channel: NumPy's im2col
]


@pytest.mark.parametrize("x_shape, w_shape, strides, pads, dilation", CONV_CASES)
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_kernel_path_equals_numpy_path(x_shape, w_shape, strides, pads, dilation, relu, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = (rng.standard_normal(w_shape) * 0.5).astype(dtype)
    b = rng.standard_normal(w_shape[3]).astype(dtype)

    def make():
        return Conv2D(strides, pads, dilation, 1, relu)

    y0, g0, f0 = _run(make, (x, w, b), (True, True, True), on=False)
    y1, g1, f1 = _run(make, (x, w, b), (True, True, True), on=True)
    assert not f0.kernel and f1.kernel
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y1, y0, **tol)
    assert y1.dtype == dtype and all(g.dtype == dtype for g in g1)
    for a, e in zip(g1, g0):
        np.testing.assert_allclose(a, e, **tol)


def test_conv2d_kernel_path_without_bias_and_input_gradient():
    """The first layer of a network: no input gradient asked for, none computed; no bias."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 10, 10, 1)).astype(np.float32)
    w = rng.standard_normal((3, 3, 1, 4)).astype(np.float32)

    def make():
        return Conv2D(relu=True)

    y0, (gx0, gw0), _ = _run(make, (x, w), (False, True), on=False)
    y1, (gx1, gw1), _ = _run(make, (x, w), (False, True), on=True)
    assert gx0 is None and gx1 is None
    np.testing.assert_allclose(y1, y0, rtol=1e-6)
    np.testing.assert_allclose(gw1, gw0, rtol=1e-5, atol=1e-5)


def test_conv2d_kernel_path_matches_the_definition():
    """One output and one input-gradient entry written out as the sums of the definition."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 6, 7, 3))
    w = rng.standard_normal((3, 3, 3, 2))
    pads = ((1, 1), (1, 1))
    with kernels.use_kernels(True, families=("convolution",)):
        fn = Conv2D((1, 1), pads)
        fn.needs_input_grad = (True, True)
        y = fn.forward(x, w)
        gy = np.zeros_like(y)
        gy[0, 2, 3, 1] = 1.0
        gx, _ = fn.backward(gy)
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    assert y[0, 2, 3, 1] == pytest.approx(np.sum(xp[0, 2:5, 3:6, :] * w[:, :, :, 1]))
    expected = np.zeros_like(xp)
    expected[0, 2:5, 3:6, :] = w[:, :, :, 1]
    np.testing.assert_allclose(gx, expected[:, 1:-1, 1:-1, :])


@pytest.mark.parametrize("c", [1, 5])
def test_im2col_and_col2im_are_the_strided_view_and_its_adjoint(c):
    from brickwork.kernels.cnn_kernels import col2im, im2col

    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 8, 9, c)).astype(np.float32)
    pads, strides, dilation, kernel = ((2, 1), (1, 2)), (2, 1), (1, 2), (3, 2)
    ho = (8 + 3 - 3) // 2 + 1
    wo = (9 + 3 - 3) // 1 + 1
    ref = np.ascontiguousarray(windows(pad_nhwc(x, pads), kernel, strides, dilation, (ho, wo)))
    cols = im2col(x, kernel, strides, dilation, pads, (ho, wo))
    np.testing.assert_array_equal(cols, ref.reshape(cols.shape))
    g = rng.standard_normal(cols.shape).astype(np.float32)        # <col2im(g), x> = <g, im2col(x)>
    gx = col2im(g, x.shape, kernel, strides, dilation, pads, (ho, wo))
    assert np.sum(gx.astype(np.float64) * x) == pytest.approx(np.sum(g.astype(np.float64) * cols), rel=1e-5)


POOL_CASES = [  # x shape, pool, strides, pads
    ((2, 8, 8, 3), (2, 2), (2, 2), ((0, 0), (0, 0))),
    ((2, 11, 11, 4), (2, 2), (2, 2), ((0, 0), (0, 0))),       # odd size: the last row and column unread
    ((1, 7, 9, 2), (3, 3), (2, 2), ((1, 1), (1, 1))),         # overlapping windows, padding
    ((1, 6, 5, 3), (2, 3), (1, 2), ((0, 1), (1, 1))),
]


@pytest.mark.parametrize("x_shape, pool, strides, pads", POOL_CASES)
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool_kernel_path_equals_numpy_path(x_shape, pool, strides, pads, ties):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(x_shape).astype(np.float32)
    if ties:                                          # many equal maxima: the first offset gets the gradient
        x = np.round(x)

    def make():
        return MaxPool2D(pool, strides, pads)

    y0, g0, f0 = _run(make, (x,), (True,), on=False)
    y1, g1, f1 = _run(make, (x,), (True,), on=True)
    assert f0.arg is None and f1.arg is not None and f1.arg.dtype == np.uint8
    np.testing.assert_array_equal(y1, y0)
    np.testing.assert_allclose(g1, g0, rtol=1e-6, atol=1e-7)    # overlapping windows: another order of adds


@pytest.mark.slow                                     # importing torch alone takes seconds on a loaded machine
def test_max_pool_kernel_path_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 9, 9, 3)).astype(np.float32)
    gy_shape = (2, 4, 4, 3)
    gy = rng.standard_normal(gy_shape).astype(np.float32)
    with kernels.use_kernels(True, families=("convolution",)):
        fn = MaxPool2D((3, 3), (2, 2))
        fn.needs_input_grad = (True,)
        y = fn.forward(x)
        gx = fn.backward(gy)
    tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    ty = torch.nn.functional.max_pool2d(tx, 3, 2)
    ty.backward(torch.tensor(gy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, ty.detach().numpy().transpose(0, 2, 3, 1))
    np.testing.assert_allclose(gx, tx.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-6)


def test_max_pool_kernel_nan_window_propagates_and_gets_no_gradient():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    x[0, 0, 1, 0] = np.nan

    def make():
        return MaxPool2D((2, 2), (2, 2))

    y0, g0, _ = _run(make, (x,), (True,), on=False)
    y1, g1, _ = _run(make, (x,), (True,), on=True)
    assert np.isnan(y1[0, 0, 0, 0]) and np.isnan(y0[0, 0, 0, 0])
    np.testing.assert_array_equal(y1, y0)
    assert not g1[0, :2, :2, 0].any()                # the NaN window sends its gradient nowhere
    np.testing.assert_array_equal(g1, g0)


def test_kernels_off_uses_the_numpy_path():
    x = np.ones((1, 4, 4, 2), np.float32)
    with kernels.use_kernels(False):
        fn = MaxPool2D((2, 2), (2, 2))
        fn.forward(x)
        conv = Conv2D()
        conv.forward(x, np.ones((3, 3, 2, 1), np.float32))
    assert fn.arg is None and not conv.kernel


def test_conv2d_bad_channels_error_names_the_function():
    with kernels.use_kernels(True, families=("convolution",)):
        with pytest.raises(ValueError, match="conv2d: input has 3 channels"):
            Conv2D().forward(np.ones((1, 5, 5, 3), np.float32), np.ones((3, 3, 2, 4), np.float32))
        with pytest.raises(ValueError, match="conv2d: the 3x3 kernel"):
            Conv2D().forward(np.ones((1, 2, 2, 2), np.float32), np.ones((3, 3, 2, 4), np.float32))

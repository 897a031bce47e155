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
    ((2, 8, 8, 1), (5, 5, 1, 6), (2, 2), ((2, 2), (2, 2)), (1, 1)),           # one channel: transposed columns
    ((3, 12, 11, 8), (3, 3, 8, 5), (2, 1), ((1, 1), (0, 2)), (2, 1)),         # blocks with strides, dilation, pads
    ((2, 9, 9, 16), (1, 1, 16, 4), (2, 2), ((0, 0), (0, 0)), (1, 1)),         # strided 1x1: blocks, not pointwise
]
CONV_MODES = ["transposed", "blocks", "transposed", "pointwise", "transposed", "blocks", "blocks"]


@pytest.mark.parametrize("x_shape, w_shape, strides, pads, dilation, mode",
                         [case + (mode,) for case, mode in zip(CONV_CASES, CONV_MODES)])
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("block_bytes", [None, 1])
def test_conv2d_kernel_path_equals_numpy_path(x_shape, w_shape, strides, pads, dilation, mode, relu, dtype,
                                              block_bytes, monkeypatch):
    """Every layout of the compiled path (transposed columns, blocks of images, pointwise) against the
    NumPy reference; ``block_bytes=1`` makes every block one image (several blocks, a short last one)."""
    if block_bytes is not None:
        from brickwork.kernels import cnn_kernels

        monkeypatch.setattr(cnn_kernels, "BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = (rng.standard_normal(w_shape) * 0.5).astype(dtype)
    b = rng.standard_normal(w_shape[3]).astype(dtype)

    def make():
        return Conv2D(strides, pads, dilation, 1, relu)

    y0, g0, f0 = _run(make, (x, w, b), (True, True, True), on=False)
    y1, g1, f1 = _run(make, (x, w, b), (True, True, True), on=True)
    assert not f0.kernel and f1.kernel and f1.mode == mode
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


def test_conv2d_blocks_keep_the_input_not_the_columns():
    """The block-by-block path keeps the input (the columns are copied again in backward), the
    transposed path its small column matrix, the pointwise path the input as a matrix."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 6, 6, 8)).astype(np.float32)
    with kernels.use_kernels(True, families=("convolution",)):
        fns = [Conv2D(), Conv2D(), Conv2D()]
        fns[0].forward(x, rng.standard_normal((3, 3, 8, 2)).astype(np.float32))
        fns[1].forward(x[..., :1], rng.standard_normal((3, 3, 1, 2)).astype(np.float32))
        fns[2].forward(x, rng.standard_normal((1, 1, 8, 2)).astype(np.float32))
    assert [f.mode for f in fns] == ["blocks", "transposed", "pointwise"]
    assert not any(hasattr(f, "cols") for f in fns)
    assert fns[0].src.shape == x.shape and fns[1].src.shape == (9, 2 * 4 * 4) and fns[2].src.shape == (72, 8)


def test_columns_t_is_the_transposed_strided_window_view():
    from brickwork.functions.convolution import _columns_t

    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 8, 9, 3)).astype(np.float32)
    pads, strides, dilation, kernel = ((2, 1), (1, 2)), (2, 1), (1, 2), (3, 2)
    out_hw = ((8 + 3 - 3) // 2 + 1, (9 + 3 - 3) // 1 + 1)
    ref = np.ascontiguousarray(windows(pad_nhwc(x, pads), kernel, strides, dilation, out_hw))
    cols_t = _columns_t(x, kernel, strides, dilation, pads, out_hw)
    assert cols_t.flags.c_contiguous
    np.testing.assert_array_equal(cols_t, ref.reshape(-1, 3 * 2 * 3).T)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["blocks", "transposed"])
@pytest.mark.parametrize("relu", [False, True])
def test_conv_forward_and_backward_blocks_are_the_column_products(dtype, mode, relu, monkeypatch):
    """conv_forward/conv_backward against the column matrix, one product each, the ReLU mask, the bias sum
    and col2im, with blocks of two images (three blocks, the last one short)."""
    from brickwork.functions.convolution import _columns_t
    from brickwork.kernels import cnn_kernels

    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 7, 6, 4)).astype(dtype)
    w2 = rng.standard_normal((3 * 3 * 4, 3)).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    geometry = ((3, 3), (1, 1), (1, 1), ((1, 1), (1, 1)), (7, 6))
    monkeypatch.setattr(cnn_kernels, "BLOCK_BYTES", 2 * 7 * 6 * 36 * np.dtype(dtype).itemsize)
    cols = np.ascontiguousarray(windows(pad_nhwc(x, geometry[3]), *geometry[:3], geometry[4])).reshape(-1, 36)
    src = x if mode == "blocks" else _columns_t(x, *geometry)
    y = cnn_kernels.conv_forward(src, mode, w2, b, relu, 5, geometry)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    expected = cols @ w2 + b
    np.testing.assert_allclose(y, np.maximum(expected, 0) if relu else expected, **tol)
    gy2 = rng.standard_normal(y.shape).astype(dtype)
    g2 = gy2 * (y > 0) if relu else gy2
    gx, gw2, gb = cnn_kernels.conv_backward(src, mode, gy2, y if relu else None, w2, (True, True, True), x.shape,
                                            geometry)
    assert gx.dtype == dtype and gw2.dtype == dtype and gb.dtype == dtype
    np.testing.assert_allclose(gw2, cols.T @ g2, **tol)
    np.testing.assert_allclose(gb, g2.sum(axis=0), **tol)
    np.testing.assert_allclose(gx, cnn_kernels.col2im(g2 @ w2.T, x.shape, *geometry), **tol)
    for wants in [(False, True, True), (True, False, True), (True, True, False)]:
        got = cnn_kernels.conv_backward(src, mode, gy2, y if relu else None, w2, wants, x.shape, geometry)
        assert [g is not None for g in got] == list(wants)


@pytest.mark.parametrize("relu", [False, True])
def test_relu_grad_and_bias_sums_many_rows_like_float64(relu):
    """The bias gradient over more rows than one block (and not a multiple of it) equals the float64 sum."""
    from brickwork.kernels import cnn_kernels

    rng = np.random.default_rng(9)
    rows = 3 * cnn_kernels.BIAS_BLOCK + 17
    gy = rng.standard_normal((rows, 5)).astype(np.float32)
    y = rng.standard_normal((rows, 5)).astype(np.float32)
    g, gb = cnn_kernels.relu_grad_and_bias(gy, y if relu else None, True)
    expected = gy * (y > 0) if relu else gy
    np.testing.assert_array_equal(g, expected)
    assert gb.dtype == np.float32
    # float32 sums of 256 rows at a time; a lost block (the short last one) would be off by about 4
    np.testing.assert_allclose(gb, expected.astype(np.float64).sum(axis=0), rtol=1e-5, atol=1e-4)
    assert cnn_kernels.relu_grad_and_bias(gy, y, False)[1] is None


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

"""Depthwise convolution (functions/depthwise.py, its compiled kernel) and the grouped/pointwise Conv2D paths:
PyTorch parity (values and all gradients), gradcheck, NumPy reference == compiled kernel, the conv2d dispatch,
the layers, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from helpers import assert_close

import brickwork as bw
from brickwork import functions as F
from brickwork import kernels, layers
from brickwork.functions.depthwise import DepthwiseConv2D

needs_numba = pytest.mark.skipif(not kernels.available(), reason="numba (the fast extra) is not installed")

# kernel, strides, dilation, pads ((top, bottom), (left, right)), depth multiplier
GEOMETRIES = [
    ((3, 3), (1, 1), (1, 1), ((1, 1), (1, 1)), 1),
    ((3, 2), (2, 1), (1, 1), ((0, 1), (1, 0)), 2),
    ((2, 3), (1, 1), (2, 2), ((0, 0), (0, 0)), 3),
    ((3, 3), (2, 2), (1, 1), ((1, 1), (1, 1)), 1),
    ((3, 3), (1, 2), (1, 1), ((2, 0), (1, 1)), 1),
    ((3, 3), (1, 1), (2, 2), ((2, 2), (2, 2)), 1),
    ((5, 5), (1, 1), (1, 1), ((2, 2), (2, 2)), 2),
    ((1, 1), (1, 1), (1, 1), ((0, 0), (0, 0)), 1),
    ((3, 3), (2, 1), (1, 2), ((1, 1), (2, 2)), 2),
    ((2, 3), (1, 3), (1, 1), ((1, 0), (1, 1)), 1),
]


def _nchw(a):
    return np.ascontiguousarray(np.moveaxis(a, -1, 1))


def _nhwc(t):
    return np.moveaxis(t.detach().numpy(), 1, -1)


def _torch_depthwise(x, w, b, strides, pads, dilation, relu=False):
    """PyTorch's ``conv2d(groups=C)`` on the same data; returns (output NHWC, torch input, kernel, bias)."""
    kh, kw, c, m = w.shape
    tx = torch.tensor(_nchw(x), requires_grad=True)
    tw = torch.tensor(np.ascontiguousarray(w.reshape(kh, kw, 1, c * m).transpose(3, 2, 0, 1)), requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    ty = tF.conv2d(tF.pad(tx, (pads[1][0], pads[1][1], pads[0][0], pads[0][1])), tw, tb, stride=strides,
                   dilation=dilation, groups=c)
    return (tF.relu(ty) if relu else ty), tx, tw, tb


def _run(x, w, b, strides, pads, dilation, relu, gy, on):
    """Output and gradients of ``depthwise_conv2d`` with the compiled kernels ``on`` or off."""
    with kernels.use_kernels(on, families=("convolution",)):
        xt, wt, bt = (bw.Tensor(a, requires_grad=True) for a in (x, w, b))
        y = F.depthwise_conv2d(xt, wt, bt, strides, pads, dilation, relu=relu)
        compiled = y.creator.compiled
        y.backward(gy)
    return y.data, xt.grad, wt.grad, bt.grad, compiled


def _inputs(rng, kernel, m, dtype, c=4, shape=(2, 7, 8)):
    x = rng.standard_normal(shape + (c,)).astype(dtype)
    w = rng.standard_normal(kernel + (c, m)).astype(dtype)
    b = rng.standard_normal(c * m).astype(dtype)
    return x, w, b


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("geo", GEOMETRIES)
@pytest.mark.parametrize("relu", [False, True])
def test_numpy_reference_matches_torch(dtype, geo, relu):
    k, s, d, pads, m = geo
    rng = np.random.default_rng(0)
    x, w, b = _inputs(rng, k, m, dtype)
    ty, tx, tw, tb = _torch_depthwise(x, w, b, s, pads, d, relu)
    gy = rng.standard_normal(ty.shape).astype(dtype)
    ty.backward(torch.tensor(gy))
    y, gx, gw, gb, compiled = _run(x, w, b, s, pads, d, relu, np.moveaxis(gy, 1, -1).copy(), on=False)
    assert not compiled
    assert y.dtype == dtype and gx.dtype == dtype and gw.dtype == dtype
    assert_close(y, _nhwc(ty), dtype, "output")
    assert_close(gx, _nhwc(tx.grad), dtype, "input gradient")
    assert_close(gw, tw.grad.numpy().transpose(2, 3, 1, 0).reshape(w.shape), dtype, "kernel gradient")
    assert_close(gb, tb.grad, dtype, "bias gradient")


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("geo", GEOMETRIES)
@pytest.mark.parametrize("relu", [False, True])
def test_compiled_kernel_equals_numpy_reference(dtype, geo, relu):
    k, s, d, pads, m = geo
    rng = np.random.default_rng(1)
    x, w, b = _inputs(rng, k, m, dtype, c=5, shape=(3, 9, 6))
    ho = (9 + sum(pads[0]) - ((k[0] - 1) * d[0] + 1)) // s[0] + 1
    wo = (6 + sum(pads[1]) - ((k[1] - 1) * d[1] + 1)) // s[1] + 1
    gy = rng.standard_normal((3, ho, wo, 5 * m)).astype(dtype)
    ref = _run(x, w, b, s, pads, d, relu, gy, on=False)
    fast = _run(x, w, b, s, pads, d, relu, gy, on=True)
    assert fast[-1] and not ref[-1]
    for name, a, e in zip(("output", "input gradient", "kernel gradient", "bias gradient"), fast[:4], ref[:4]):
        assert a.dtype == e.dtype
        assert_close(a, e, dtype, name)


# 3x3 geometries on a 12 x 13 input, where most pixels take the fused nine-tap loops of the compiled kernels
# (unit width stride; the input gradient's needs unit strides both ways) and the rest the one-pixel path
FUSED_GEOMETRIES = [
    ((1, 1), (1, 1), ((1, 1), (1, 1))),      # 'same'
    ((1, 1), (1, 1), ((0, 0), (0, 0))),      # 'valid'
    ((1, 1), (2, 3), ((2, 2), (3, 3))),      # dilated, padded to 'same'
    ((1, 1), (1, 2), ((0, 1), (3, 0))),      # asymmetric padding
    ((2, 1), (1, 1), ((1, 1), (1, 1))),      # height stride: fused forward and kernel gradient only
    ((1, 2), (1, 1), ((1, 1), (1, 1))),      # width stride: the one-pixel paths only
]


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("geo", FUSED_GEOMETRIES)
@pytest.mark.parametrize("m", [1, 2])
def test_fused_nine_tap_kernels_equal_numpy_reference(dtype, geo, m):
    s, d, pads = geo
    rng = np.random.default_rng(11)
    x, w, b = _inputs(rng, (3, 3), m, dtype, c=17, shape=(2, 12, 13))
    ho = (12 + sum(pads[0]) - (2 * d[0] + 1)) // s[0] + 1
    wo = (13 + sum(pads[1]) - (2 * d[1] + 1)) // s[1] + 1
    gy = rng.standard_normal((2, ho, wo, 17 * m)).astype(dtype)
    ref = _run(x, w, b, s, pads, d, True, gy, on=False)
    fast = _run(x, w, b, s, pads, d, True, gy, on=True)
    assert fast[-1] and not ref[-1]
    for name, a, e in zip(("output", "input gradient", "kernel gradient", "bias gradient"), fast[:4], ref[:4]):
        assert_close(a, e, dtype, name)


def test_fused_column_ranges():
    """The columns the nine-tap loops take: every tap inside, and no inside column left out."""
    from brickwork.kernels.conv_kernels import _gathered_columns, _inside_columns

    for wd, sw, dw, pl, wo in [(13, 1, 1, 1, 13), (13, 1, 1, 0, 11), (13, 2, 1, 1, 7), (13, 1, 3, 3, 13),
                               (4, 1, 3, 0, 1), (5, 3, 2, 4, 3)]:
        lo, hi = _inside_columns(wo, wd, sw, dw, pl)
        inside = [j for j in range(wo) if all(0 <= j * sw + b * dw - pl < wd for b in range(3))]
        assert list(range(lo, hi)) == inside, (wd, sw, dw, pl, wo)
    for wd, wo, dw, pl in [(13, 13, 1, 1), (13, 11, 1, 0), (13, 13, 3, 3), (5, 1, 2, 0), (6, 9, 1, 2)]:
        lo, hi = _gathered_columns(wd, wo, dw, pl)
        read = [c for c in range(wd) if all(0 <= c + pl - b * dw < wo for b in range(3))]
        assert list(range(lo, hi)) == read, (wd, wo, dw, pl)


@needs_numba
def test_compiled_input_gradient_handed_to_the_leaf_without_a_copy():
    """``fresh_gradients``: the input gradient the kernel allocated becomes ``x.grad`` as it is (PyTorch's
    accumulator does the same); the NumPy path's gradient is a view of its padded buffer and is copied."""
    import weakref

    import brickwork.kernels.conv_kernels as ck

    rng = np.random.default_rng(3)
    x, w, b = _inputs(rng, (3, 3), 1, np.float32, c=8, shape=(2, 9, 9))
    made = []
    original = ck.depthwise_backward

    def spy(*args, **kwargs):
        out = original(*args, **kwargs)
        made.append(weakref.ref(out[0]))
        return out

    ck.depthwise_backward = spy
    try:
        with kernels.use_kernels(True, families=("convolution",)):
            xt = bw.Tensor(x, requires_grad=True)
            y = F.depthwise_conv2d(xt, w, b, pads=((1, 1), (1, 1)))
            y.backward(np.ones(y.shape, np.float32))
    finally:
        ck.depthwise_backward = original
    assert made[0]() is xt.grad
    with kernels.use_kernels(False):
        xr = bw.Tensor(x, requires_grad=True)
        yr = F.depthwise_conv2d(xr, w, b, pads=((1, 1), (1, 1)))
        yr.backward(np.ones(yr.shape, np.float32))
    assert xr.grad.base is None and xr.grad.flags.owndata
    assert_close(xr.grad, xt.grad, np.float32)


@needs_numba
def test_compiled_kernel_weight_gradient_only():
    """The kernel skips the input gradient when the input needs none; the weight gradient stays exact."""
    rng = np.random.default_rng(2)
    x, w, b = _inputs(rng, (3, 3), 1, np.float64)
    ty, _, tw, _ = _torch_depthwise(x, w, b, (1, 1), ((1, 1), (1, 1)), (1, 1))
    ty.sum().backward()
    with kernels.use_kernels(True, families=("convolution",)):
        wt = bw.Tensor(w, requires_grad=True)
        y = F.depthwise_conv2d(x, wt, b, pads=((1, 1), (1, 1)))
        assert y.creator.compiled
        y.sum().backward()
    assert_close(wt.grad, tw.grad.numpy().transpose(2, 3, 1, 0).reshape(w.shape), np.float64)


@needs_numba
def test_compiled_kernel_bias_gradient_without_kernel_gradient():
    """A constant kernel: the bias gradient (otherwise summed in the kernel-gradient pass) is still the sum
    of the output gradient, and the input gradient that of PyTorch."""
    rng = np.random.default_rng(7)
    x, w, b = _inputs(rng, (3, 3), 1, np.float32, c=6)
    ty, tx, _, tb = _torch_depthwise(x, w, b, (1, 1), ((1, 1), (1, 1)), (1, 1))
    gy = rng.standard_normal(ty.shape).astype(np.float32)
    ty.backward(torch.tensor(gy))
    with kernels.use_kernels(True, families=("convolution",)):
        xt, bt = bw.Tensor(x, requires_grad=True), bw.Tensor(b, requires_grad=True)
        y = F.depthwise_conv2d(xt, w, bt, pads=((1, 1), (1, 1)))
        assert y.creator.compiled
        y.backward(np.moveaxis(gy, 1, -1).copy())
    assert_close(xt.grad, _nhwc(tx.grad), np.float32, "input gradient")
    assert_close(bt.grad, tb.grad, np.float32, "bias gradient")


def _blas_limit(n):
    """``threadpoolctl``'s limit on the BLAS threads (what the compiled kernels follow)."""
    return pytest.importorskip("threadpoolctl").threadpool_limits(n, user_api="blas")


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geo", [GEOMETRIES[0], GEOMETRIES[1], GEOMETRIES[8]])
def test_compiled_kernel_same_values_on_one_and_two_threads(dtype, geo):
    """The rows are split over the threads and the kernel gradient is summed in blocks fixed by the shape
    alone, so 1 and 2 threads give bit-identical outputs and gradients (and those equal the reference)."""
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba runs one thread here")
    k, s, d, pads, m = geo
    rng = np.random.default_rng(8)
    x, w, b = _inputs(rng, k, m, dtype, c=37, shape=(3, 21, 19))     # channels past a SIMD register
    ho = (21 + sum(pads[0]) - ((k[0] - 1) * d[0] + 1)) // s[0] + 1
    wo = (19 + sum(pads[1]) - ((k[1] - 1) * d[1] + 1)) // s[1] + 1
    gy = rng.standard_normal((3, ho, wo, 37 * m)).astype(dtype)
    from brickwork.kernels.conv_kernels import kernel_threads

    results = {}
    for threads in (1, 2):
        with _blas_limit(threads):
            assert kernel_threads() == threads
            results[threads] = _run(x, w, b, s, pads, d, False, gy, on=True)
    ref = _run(x, w, b, s, pads, d, False, gy, on=False)
    for name, one, two, e in zip(("output", "input gradient", "kernel gradient", "bias gradient"), results[1][:4],
                                 results[2][:4], ref[:4]):
        np.testing.assert_array_equal(one, two, err_msg=name)
        assert_close(two, e, dtype, name)


@needs_numba
def test_kernel_threads_follow_brickwork_thread_count():
    """``brickwork.config.set_num_threads(n)`` sets the BLAS threads; the compiled kernels use as many."""
    import numba

    pytest.importorskip("threadpoolctl")
    from brickwork.kernels.conv_kernels import kernel_threads

    before = bw.config.get_num_threads()
    try:
        bw.config.set_num_threads(1)
        assert kernel_threads() == 1
        bw.config.set_num_threads(2)
        assert kernel_threads() == min(2, numba.config.NUMBA_NUM_THREADS)
    finally:
        bw.config.set_num_threads(before)


@needs_numba
def test_compiled_kernels_leave_pytorch_threads_alone():
    """The kernels run on numba's workqueue layer: on its default OpenMP layer, numba's thread count was
    PyTorch's too (a 1-thread PyTorch became a 2-thread one after the first kernel call)."""
    import os

    import numba

    if "NUMBA_THREADING_LAYER" in os.environ:
        pytest.skip("the threading layer is chosen by NUMBA_THREADING_LAYER")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with _blas_limit(2), kernels.use_kernels(True, families=("convolution",)):
            y = F.depthwise_conv2d(bw.Tensor(np.ones((1, 6, 6, 3), np.float32), requires_grad=True),
                                   np.ones((3, 3, 3, 1), np.float32))
        assert y.creator.compiled
        assert numba.threading_layer() == "workqueue"
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@needs_numba
def test_compiled_kernel_from_two_python_threads():
    """Calls from two Python threads at once take turns (numba's workqueue layer allows one at a time) and
    each gets its own right answer."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(9)
    cases = [_inputs(rng, (3, 3), 1, np.float32, c=8, shape=(2, 12, 12)) for _ in range(4)]
    pads = ((1, 1), (1, 1))

    def conv(case):
        x, w, b = case
        return F.depthwise_conv2d(x, w, b, pads=pads).data

    with kernels.use_kernels(True, families=("convolution",)):
        with ThreadPoolExecutor(2) as pool:
            got = list(pool.map(conv, cases * 3))
    for (x, w, b), y in zip(cases * 3, got):
        ty = _torch_depthwise(x, w, b, (1, 1), pads, (1, 1))[0]
        assert_close(y, _nhwc(ty), np.float32)


@pytest.mark.parametrize("geo", GEOMETRIES[:4])
def test_gradcheck(geo):
    k, s, d, pads, m = geo
    rng = np.random.default_rng(3)
    x, w, b = _inputs(rng, k, m, np.float64, c=3, shape=(2, 6, 5))
    with kernels.use_kernels(False):
        result = bw.gradcheck(lambda a, c, e: F.depthwise_conv2d(a, c, e, s, pads, d), x, w, b)
    assert result.passed, str(result)


def test_grouped_layout_and_conv2d_dispatch():
    """``conv2d(groups=C)`` with the grouped kernel ``(kh, kw, 1, C M)`` runs the depthwise node."""
    rng = np.random.default_rng(4)
    x, w, b = _inputs(rng, (3, 3), 2, np.float64)
    ty, tx, tw, _ = _torch_depthwise(x, w, b, (2, 1), ((1, 1), (0, 1)), (1, 1))
    ty.sum().backward()
    xt, wt = bw.Tensor(x, requires_grad=True), bw.Tensor(w.reshape(3, 3, 1, 8), requires_grad=True)
    y = F.conv2d(xt, wt, b, (2, 1), ((1, 1), (0, 1)), groups=4)
    assert isinstance(y.creator, DepthwiseConv2D)
    assert_close(y, _nhwc(ty))
    y.sum().backward()
    assert wt.grad.shape == (3, 3, 1, 8)
    assert_close(xt.grad, _nhwc(tx.grad))
    assert_close(wt.grad, tw.grad.numpy().transpose(2, 3, 1, 0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", [(3, 4, (1, 1), ((1, 1), (1, 1))), (3, 2, (2, 1), ((0, 1), (1, 0))),
                                  (1, 1, (1, 1), ((0, 0), (0, 0))), (1, 2, (1, 1), ((0, 0), (0, 0)))])
def test_grouped_and_pointwise_conv2d_match_torch(dtype, case):
    """The batched-matmul grouped path (1 < groups < C) and the 1x1 GEMM input gradient."""
    k, g, s, pads = case
    rng = np.random.default_rng(5)
    x, w, b = (rng.standard_normal((2, 6, 7, 8)).astype(dtype), rng.standard_normal((k, k, 8 // g, 12)).astype(dtype),
               rng.standard_normal(12).astype(dtype))
    xt, wt, bt = (bw.Tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(xt, wt, bt, s, pads, groups=g)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (_nchw(x), np.ascontiguousarray(w.transpose(3, 2, 0, 1)),
                                                                 b))
    ty = tF.conv2d(tF.pad(tx, (pads[1][0], pads[1][1], pads[0][0], pads[0][1])), tw, tb, stride=s, groups=g)
    assert_close(y, _nhwc(ty), dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    y.backward(gy)
    ty.backward(torch.tensor(_nchw(gy)))
    assert_close(xt.grad, _nhwc(tx.grad), dtype)
    assert_close(wt.grad, tw.grad.numpy().transpose(2, 3, 1, 0), dtype)
    assert_close(bt.grad, tb.grad, dtype)


@pytest.mark.parametrize("on", [False, True])
def test_layers_match_torch(on):
    """DepthwiseConv2D (multiplier 2, stride 2, 'same') and SeparableConv2D train-step gradients."""
    if on and not kernels.available():
        pytest.skip("numba (the fast extra) is not installed")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)      # the layers' weights are float32
    with kernels.use_kernels(on, families=("convolution",)):
        dw = layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2)
        sep = layers.SeparableConv2D(5, 3, padding="same")
        xt = bw.Tensor(x, requires_grad=True)
        y1, y2 = dw(xt), sep(xt)
        (y1.sum() + (y2 * y2).sum()).backward()
    k, pk = dw.kernel.numpy(), sep.pointwise_kernel.numpy()
    # 'same' with stride 2 on 8 pixels pads (0, 1) (the extra pixel at the end, as Keras/TensorFlow)
    t1, tx, tk, tb = _torch_depthwise(x, k, dw.bias.numpy(), (2, 2), ((0, 1), (0, 1)), (1, 1))
    td, tx2, tdk, _ = _torch_depthwise(x, sep.depthwise_kernel.numpy(), np.zeros(3, np.float32), (1, 1),
                                       ((1, 1), (1, 1)), (1, 1))
    tpk = torch.tensor(np.ascontiguousarray(pk.transpose(3, 2, 0, 1)), requires_grad=True)
    t2 = tF.conv2d(td, tpk, torch.tensor(sep.bias.numpy()))
    (t1.sum() + (t2 * t2).sum()).backward()
    assert_close(y1, _nhwc(t1), np.float32)
    assert_close(y2, _nhwc(t2), np.float32)
    assert_close(xt.grad, _nhwc(tx.grad) + _nhwc(tx2.grad), np.float32)
    assert_close(dw.kernel.grad, tk.grad.numpy().transpose(2, 3, 1, 0).reshape(k.shape), np.float32)
    assert_close(dw.bias.grad, tb.grad, np.float32)
    assert_close(sep.depthwise_kernel.grad, tdk.grad.numpy().transpose(2, 3, 1, 0).reshape(3, 3, 3, 1), np.float32)
    assert_close(sep.pointwise_kernel.grad, tpk.grad.numpy().transpose(2, 3, 1, 0), np.float32)


def test_bad_kernel_shape_names_the_function_and_shapes():
    x = np.zeros((1, 5, 5, 4))
    with pytest.raises(ValueError, match=r"depthwise_conv2d: input has 4 channels.*\(3, 3, 3, 1\)"):
        F.depthwise_conv2d(x, np.zeros((3, 3, 3, 1)))
    with pytest.raises(ValueError, match=r"depthwise_conv2d: .*\(3, 3, 1, 6\)"):
        F.depthwise_conv2d(x, np.zeros((3, 3, 1, 6)))


def test_kernel_larger_than_input_names_the_function():
    with pytest.raises(ValueError, match=r"depthwise_conv2d: the 5x5 kernel.*does not fit"):
        F.depthwise_conv2d(np.zeros((1, 3, 3, 2)), np.zeros((5, 5, 2, 1)))

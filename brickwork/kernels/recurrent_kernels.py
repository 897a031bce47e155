"""Compiled whole-sequence loops of the recurrent nodes (numba): the entry points the primitives call.

:class:`~brickwork.functions.recurrent.LSTMSequence`,
:class:`~brickwork.functions.recurrent.GRUSequence` and
:class:`~brickwork.functions.recurrent.SimpleRNNSequence` spend each time step on one
small matrix product and a handful of element-wise operations. In NumPy each of those
is a Python-level call with its own pass over memory; with the kernels each direction
of a sequence is ONE compiled call that runs the whole time loop: the recurrent product
through BLAS, then all of the step's gate work in loops over ``(batch, unit)`` that read
each gate once. No Python runs between steps. The loops themselves live in
:mod:`~brickwork.kernels.lstm_kernels`, :mod:`~brickwork.kernels.gru_kernels` and
:mod:`~brickwork.kernels.simple_rnn_kernels`, on the float32 ``tanh`` of
:mod:`~brickwork.kernels.tanh_kernels` and the accumulating product of
:mod:`~brickwork.kernels.gemm_kernels`; this module prepares their arguments and runs
them with SciPy's BLAS on one thread (:mod:`~brickwork.kernels.blas_threads`).

Supported: NumPy arrays of float32 or float64, ``activation="tanh"``,
``recurrent_activation="sigmoid"``, masks, recurrent dropout, ``go_backwards`` (the
caller reverses time) and truncated BPTT; LSTM with or without peepholes, coupled or
not; GRU with ``reset_after=True``. Everything else runs the NumPy code.
"""

from __future__ import annotations

import functools

import numpy as np

from brickwork.kernels.blas_threads import single_threaded
from brickwork.kernels.gru_kernels import _gru_backward, _gru_forward
from brickwork.kernels.lstm_kernels import _lstm_backward, _lstm_forward
from brickwork.kernels.simple_rnn_kernels import _simple_rnn_backward, _simple_rnn_forward
from brickwork.kernels.tanh_kernels import kernel_tanh, tanh32

__all__ = ["gru_backward", "gru_forward", "kernel_tanh", "lstm_backward", "lstm_forward", "simple_rnn_backward",
           "simple_rnn_forward", "tanh32"]


def _one_blas_thread(fn):
    """Run a kernel wrapper with SciPy's BLAS (which the compiled products call) on one thread: the
    per-step products are small, and a second multi-threaded pool beside NumPy's fights it for the
    cores (:mod:`brickwork.kernels.blas_threads`)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        with single_threaded():
            return fn(*args, **kwargs)
    return run


def _flags(masks: np.ndarray | None, rdrop: np.ndarray | None, n: int, dtype) -> tuple:
    """Optional arrays as (array, present) pairs: numba compiles one version, the absent ones as dummies."""
    m = np.ones((1, n, 1), dtype) if masks is None else np.ascontiguousarray(masks, dtype)
    d = np.ones((n, 1), dtype) if rdrop is None else np.ascontiguousarray(rdrop, dtype)
    return m, masks is not None, d, rdrop is not None


def _c(x: np.ndarray, dtype) -> np.ndarray:
    return np.ascontiguousarray(x, dtype)


def _vector(b: np.ndarray | None, width: int, dtype) -> np.ndarray:
    return np.zeros(width, dtype) if b is None else _c(b, dtype)


# ----------------------------------------------------------------------------------------------- LSTM
@_one_blas_thread
def lstm_forward(a: np.ndarray, u: np.ndarray, bias: np.ndarray | None, h0: np.ndarray, c0: np.ndarray,
                 masks: np.ndarray | None, rdrop: np.ndarray | None, coupled: bool,
                 peepholes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The forward loop of :class:`LSTMSequence` on ``a`` (T, N, G) = x W in internal order, sigmoid
    columns halved (activated in place); ``bias`` (G,) and ``peepholes`` (U, n·U; columns ``o | i, f``)
    halved the same way. Returns ``(hs, cs, tanh cs)``, each ``(T, N, U)``."""
    t_len, n, _ = a.shape
    units, dtype = u.shape[0], a.dtype
    hs, cs, tcs = (np.empty((t_len, n, units), dtype) for _ in range(3))
    m, has_mask, d, has_rdrop = _flags(masks, rdrop, n, dtype)
    peep = peepholes is not None
    p = peepholes if peep else np.zeros((1, 2), dtype)
    _lstm_forward(a, _c(u, dtype), _vector(bias, a.shape[2], dtype), _c(h0, dtype), _c(c0, dtype), m, has_mask,
                  d, has_rdrop, bool(coupled), peep, _c(p[:, units if peep else 1:], dtype),
                  _c(p[:, :units if peep else 1], dtype), hs, cs, tcs)
    return hs, cs, tcs


@_one_blas_thread
def lstm_backward(a: np.ndarray, up: np.ndarray, c0: np.ndarray, cs: np.ndarray, tcs: np.ndarray,
                  masks: np.ndarray | None, rdrop: np.ndarray | None, dhs: np.ndarray, g_h: np.ndarray,
                  g_c: np.ndarray, truncate: int | None, coupled: bool, peepholes: np.ndarray | None = None,
                  need_dh0: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The BPTT loop of :class:`LSTMSequence`: returns ``(δZ (T, N, G), δh_0, δC_0)``; ``dhs`` is the
    time-major gradient of the outputs, ``up`` the recurrent kernel and ``peepholes`` the peephole
    kernel in internal order (not halved). ``need_dh0=False`` skips the last step's product (δh_0 is
    then returned as zeros)."""
    dtype = a.dtype
    units = up.shape[0]
    dz_all = np.empty_like(a)
    m, has_mask, d, has_rdrop = _flags(masks, rdrop, a.shape[1], dtype)
    peep = peepholes is not None
    p = peepholes if peep else np.zeros((1, 2), dtype)
    dh0, dc0 = _lstm_backward(a, _c(up.T, dtype), _c(c0, dtype), cs, tcs, m, has_mask, d, has_rdrop, _c(dhs, dtype),
                              _c(g_h, dtype), _c(g_c, dtype), int(truncate or 0), bool(coupled), peep,
                              _c(p[:, :units if peep else 1].T, dtype), _c(p[:, units if peep else 1:].T, dtype),
                              bool(need_dh0), dz_all)
    return dz_all, dh0, dc0


# ----------------------------------------------------------------------------------------------- GRU
@_one_blas_thread
def gru_forward(a: np.ndarray, u: np.ndarray, h0: np.ndarray, b_rec: np.ndarray | None, masks: np.ndarray | None,
                rdrop: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The forward loop of :class:`GRUSequence` (``reset_after=True``) on ``a`` = x W + b_in (activated in
    place); returns ``(hs, hprev, hu_h)``, each ``(T, N, U)``."""
    t_len, n, width = a.shape
    units, dtype = u.shape[0], a.dtype
    hs, hprev, hu_h = (np.empty((t_len, n, units), dtype) for _ in range(3))
    m, has_mask, d, has_rdrop = _flags(masks, rdrop, n, dtype)
    _gru_forward(a, _c(u, dtype), _c(h0, dtype), _vector(b_rec, width, dtype), m, has_mask, d, has_rdrop,
                 hs, hprev, hu_h)
    return hs, hprev, hu_h


@_one_blas_thread
def gru_backward(a: np.ndarray, u: np.ndarray, hprev: np.ndarray, hu_h: np.ndarray, masks: np.ndarray | None,
                 rdrop: np.ndarray | None, dhs: np.ndarray, g_h: np.ndarray,
                 truncate: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The BPTT loop of :class:`GRUSequence` (``reset_after=True``): returns ``(δ(xW + b_in), δ(hU + b'),
    δh_0)``, the first two ``(T, N, 3U)``."""
    dtype = a.dtype
    dx_part, dh_part = np.empty_like(a), np.empty_like(a)
    m, has_mask, d, has_rdrop = _flags(masks, rdrop, a.shape[1], dtype)
    dh0 = _gru_backward(a, _c(u.T, dtype), hprev, hu_h, m, has_mask, d, has_rdrop, _c(dhs, dtype), _c(g_h, dtype),
                        int(truncate or 0), dx_part, dh_part)
    return dx_part, dh_part, dh0


# ----------------------------------------------------------------------------------------------- SimpleRNN
@_one_blas_thread
def simple_rnn_forward(a: np.ndarray, u: np.ndarray, bias: np.ndarray | None, h0: np.ndarray,
                       masks: np.ndarray | None, rdrop: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The forward loop of :class:`SimpleRNNSequence` (tanh) on ``a`` (T, N, U) = x W, which becomes the
    activated ``tanh(x W + h U + b)`` in place; returns ``(hs, hprev)``, each ``(T, N, U)``."""
    t_len, n, units = a.shape
    dtype = a.dtype
    hs, hprev = np.empty((t_len, n, units), dtype), np.empty((t_len, n, units), dtype)
    m, has_mask, d, has_rdrop = _flags(masks, rdrop, n, dtype)
    _simple_rnn_forward(a, _c(u, dtype), _vector(bias, units, dtype), _c(h0, dtype), m, has_mask, d, has_rdrop,
                        hs, hprev)
    return hs, hprev


@_one_blas_thread
def simple_rnn_backward(y: np.ndarray, u: np.ndarray, masks: np.ndarray | None, rdrop: np.ndarray | None,
                        dhs: np.ndarray, g_h: np.ndarray, truncate: int | None,
                        need_dh0: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The BPTT loop of :class:`SimpleRNNSequence` (tanh) over the activated ``y``: returns
    ``(δa (T, N, U), δh_0)``, δa the gradient of the pre-activation ``x W + h U + b``."""
    dtype = y.dtype
    da = np.empty_like(y)
    m, has_mask, d, has_rdrop = _flags(masks, rdrop, y.shape[1], dtype)
    dh0 = _simple_rnn_backward(y, _c(u.T, dtype), m, has_mask, d, has_rdrop, _c(dhs, dtype), _c(g_h, dtype),
                               int(truncate or 0), bool(need_dh0), da)
    return da, dh0

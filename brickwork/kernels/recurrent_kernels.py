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

Batch rows are independent in the forward loop and in BPTT (the weight gradients are
products taken outside the loop, from the δz arrays the loops fill), so with two or more
kernel threads (:func:`~brickwork.kernels.conv_kernels.kernel_threads`, NumPy's BLAS
thread count in force), at least :data:`MIN_CHUNK_ROWS` rows per chunk and a step product
at least :data:`MIN_CHUNK_WIDTH` columns wide, each time loop runs as independent loops
over contiguous row ranges ``[r0, r1)`` at once: the first chunk in the calling thread,
the others on worker threads (the loops release the GIL; each chunk's products are
single-threaded BLAS calls, which OpenBLAS runs side by side). Measured on the
benchmark's LSTM 2x64 (batch 64): Python worker threads beat a numba ``prange`` over the
chunks, whose workqueue threads start each region late. Each row's arithmetic is the same
whatever the split. On one thread, or a batch or product too small to split, the loop
runs once over all rows as before.

Supported: NumPy arrays of float32 or float64, ``activation="tanh"``,
``recurrent_activation="sigmoid"``, masks, recurrent dropout, ``go_backwards`` (the
caller reverses time) and truncated BPTT; LSTM with or without peepholes, coupled or
not; GRU with ``reset_after=True``. Everything else runs the NumPy code.
"""

from __future__ import annotations

import functools
import os
import threading

import numpy as np

from brickwork.kernels.blas_threads import single_threaded
from brickwork.kernels.conv_kernels import kernel_threads
from brickwork.kernels.gru_kernels import _gru_backward, _gru_forward
from brickwork.kernels.lstm_kernels import _lstm_backward, _lstm_forward
from brickwork.kernels.simple_rnn_kernels import _simple_rnn_backward, _simple_rnn_forward
from brickwork.kernels.tanh_kernels import kernel_tanh, tanh32

__all__ = ["MIN_CHUNK_ROWS", "MIN_CHUNK_WIDTH", "batch_chunks", "gru_backward", "gru_forward", "kernel_tanh",
           "lstm_backward", "lstm_forward", "simple_rnn_backward", "simple_rnn_forward", "tanh32"]

# Measured on 2 cores, 50 steps: the LSTM and GRU loops (64 units) gain from 2 chunks already at 16 rows each
# (batch 32: 0.93 -> 0.84 ms LSTM forward, 1.6 -> 1.1 ms GRU forward); a 64-unit SimpleRNN's (a 64-wide product)
# gains nothing at batch 64 and loses some in BPTT; at 128 units it runs in half the time.
MIN_CHUNK_ROWS = 16          # fewer rows per thread than this: one loop over the whole batch
MIN_CHUNK_WIDTH = 128        # a narrower step product (gates x units): one loop over the whole batch


def batch_chunks(n: int, width: int) -> int:
    """How many row chunks the time loops over a batch of ``n`` rows run as, ``width`` the columns of the step's
    recurrent product (gates × units): one per kernel thread, each of at least :data:`MIN_CHUNK_ROWS` rows, when
    ``width >= MIN_CHUNK_WIDTH``; otherwise, and on one thread, 1 (the whole batch in one loop, as before)."""
    if width < MIN_CHUNK_WIDTH:
        return 1
    threads = kernel_threads()
    if threads < 2:
        return 1
    return max(1, min(threads, n // MIN_CHUNK_ROWS))


_pool: dict = {"executor": None, "workers": 0, "pid": None}
_POOL_LOCK = threading.Lock()


def _workers(count: int):
    """The worker threads that run the chunks after the first: made on first use, again after a fork."""
    with _POOL_LOCK:
        if _pool["workers"] < count or _pool["pid"] != os.getpid():
            from concurrent.futures import ThreadPoolExecutor

            if _pool["executor"] is not None and _pool["pid"] == os.getpid():
                _pool["executor"].shutdown(wait=False)
            _pool.update(executor=ThreadPoolExecutor(count, thread_name_prefix="brickwork-rnn"), workers=count,
                         pid=os.getpid())
        return _pool["executor"]


def _on_chunks(kernel, n: int, chunks: int, args: tuple) -> list:
    """``kernel(*args, r0, r1)`` on each of ``chunks`` near-equal row ranges at once: the first in this thread,
    the others on worker threads (the compiled loops release the GIL). Returns the results in chunk order."""
    bounds = _bounds(n, chunks).tolist()
    executor = _workers(chunks - 1)
    futures = [executor.submit(kernel, *args, bounds[c], bounds[c + 1]) for c in range(1, chunks)]
    first = kernel(*args, bounds[0], bounds[1])
    return [first] + [future.result() for future in futures]


def _bounds(n: int, chunks: int) -> np.ndarray:
    """Row ranges of ``chunks`` near-equal contiguous chunks: chunk ``c`` is ``[bounds[c], bounds[c + 1])``."""
    return (np.arange(chunks + 1, dtype=np.int64) * n) // chunks


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
    args = (a, _c(u, dtype), _vector(bias, a.shape[2], dtype), _c(h0, dtype), _c(c0, dtype), m, has_mask,
            d, has_rdrop, bool(coupled), peep, _c(p[:, units if peep else 1:], dtype),
            _c(p[:, :units if peep else 1], dtype), hs, cs, tcs)
    chunks = batch_chunks(n, a.shape[2])
    if chunks == 1:
        _lstm_forward(*args, 0, n)
    else:
        _on_chunks(_lstm_forward, n, chunks, args)
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
    n = a.shape[1]
    args = (a, _c(up.T, dtype), _c(c0, dtype), cs, tcs, m, has_mask, d, has_rdrop, _c(dhs, dtype), _c(g_h, dtype),
            _c(g_c, dtype), int(truncate or 0), bool(coupled), peep, _c(p[:, :units if peep else 1].T, dtype),
            _c(p[:, units if peep else 1:].T, dtype), bool(need_dh0), dz_all)
    chunks = batch_chunks(n, a.shape[2])
    if chunks == 1:
        dh0, dc0 = _lstm_backward(*args, 0, n)
    else:
        parts = _on_chunks(_lstm_backward, n, chunks, args)
        dh0, dc0 = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
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
    args = (a, _c(u, dtype), _c(h0, dtype), _vector(b_rec, width, dtype), m, has_mask, d, has_rdrop, hs, hprev, hu_h)
    chunks = batch_chunks(n, a.shape[2])
    if chunks == 1:
        _gru_forward(*args, 0, n)
    else:
        _on_chunks(_gru_forward, n, chunks, args)
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
    n = a.shape[1]
    args = (a, _c(u.T, dtype), hprev, hu_h, m, has_mask, d, has_rdrop, _c(dhs, dtype), _c(g_h, dtype),
            int(truncate or 0), dx_part, dh_part)
    chunks = batch_chunks(n, a.shape[2])
    if chunks == 1:
        dh0 = _gru_backward(*args, 0, n)
    else:
        dh0 = np.concatenate(_on_chunks(_gru_backward, n, chunks, args))
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
    args = (a, _c(u, dtype), _vector(bias, units, dtype), _c(h0, dtype), m, has_mask, d, has_rdrop, hs, hprev)
    chunks = batch_chunks(n, a.shape[2])
    if chunks == 1:
        _simple_rnn_forward(*args, 0, n)
    else:
        _on_chunks(_simple_rnn_forward, n, chunks, args)
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
    n = y.shape[1]
    args = (y, _c(u.T, dtype), m, has_mask, d, has_rdrop, _c(dhs, dtype), _c(g_h, dtype), int(truncate or 0),
            bool(need_dh0), da)
    chunks = batch_chunks(n, y.shape[2])
    if chunks == 1:
        dh0 = _simple_rnn_backward(*args, 0, n)
    else:
        dh0 = np.concatenate(_on_chunks(_simple_rnn_backward, n, chunks, args))
    return da, dh0

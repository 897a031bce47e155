"""A matrix product for the compiled time loops that can add into its output: ``C (+)= A B``.

numba's ``np.dot(a, b, out)`` calls BLAS ``gemm`` with β = 0, so BLAS first clears ``out``
and the loop then adds the product to the step's pre-activations in a pass of its own.
:func:`gemm` calls the same BLAS routine (SciPy's, through numba's own ``numba_xxgemm``
helper, linked by name so that the compiled loops stay cacheable) with β = 1 when asked
to accumulate: ``z_t += h_{t-1} U`` lands directly in the step's gate block. It also takes
row-strided blocks (``z[:, a:b]`` of a contiguous array) as any of its three matrices,
which the peephole products need. Measured on an LSTM's 64×64 by 64×256 step product:
about 8 % faster than ``np.dot`` into a buffer, before counting the addition it saves.
"""

from __future__ import annotations

import numba.np.linalg  # noqa: F401  (makes sure numba's BLAS helper is ready: it needs SciPy)
import numpy as np
from numba import njit, types

_XXGEMM = types.ExternalFunction("numba_xxgemm", types.intc(
    types.char, types.char, types.char,            # kind ('s'/'d'), transa, transb
    types.intp, types.intp, types.intp,            # m, n, k (column-major)
    types.voidptr, types.voidptr, types.intp,      # alpha, a, lda
    types.voidptr, types.intp,                     # b, ldb
    types.voidptr, types.voidptr, types.intp))     # beta, c, ldc


@njit(cache=True, nogil=True)
def gemm(a, b, c, accumulate):  # pragma: no cover
    """``c = a @ b`` (``c += a @ b`` when ``accumulate``) for 2-D float32/float64 arrays of one dtype whose
    rows are unit-strided (C-contiguous arrays and column blocks of them). Row-major ``c = a b`` is the
    column-major ``cᵀ = bᵀ aᵀ`` that BLAS computes without copying anything."""
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        if not accumulate:
            c[:] = 0
        return
    item = a.itemsize
    scalars = np.empty(2, a.dtype)
    scalars[0] = 1
    scalars[1] = 1 if accumulate else 0
    lda = max(b.strides[0] // item, n)            # ld ≥ the column-major row count, also for 1-row matrices
    ldb = max(a.strides[0] // item, k)
    ldc = max(c.strides[0] // item, n)
    kind = 115 if item == 4 else 100               # 's' or 'd'
    status = _XXGEMM(kind, 110, 110, n, m, k, scalars[0:].ctypes, b.ctypes, lda, a.ctypes, ldb,
                     scalars[1:].ctypes, c.ctypes, ldc)
    if status != 0:
        raise RuntimeError("brickwork.kernels.gemm: SciPy's BLAS gemm could not be called")


@njit(cache=True, nogil=True)
def state_product(h, u, out, accumulate, rdrop, has_rdrop, scratch):  # pragma: no cover
    """A recurrent step's product ``out (+)= (h ∘ rdrop) U`` — ``h U`` when ``has_rdrop`` is False —
    with the recurrent-dropout mask applied into ``scratch`` (N, units), never into ``h``."""
    if has_rdrop:
        for b in range(h.shape[0]):
            sb, hb, rb = scratch[b], h[b], rdrop[b]
            for j in range(h.shape[1]):
                sb[j] = hb[j] * rb[j]
        gemm(scratch, u, out, accumulate)
    else:
        gemm(h, u, out, accumulate)


@njit(cache=True, nogil=True, inline="always")      # inlined: it runs once per row and step
def incoming_state_grad(out, from_output, from_next, rdrop, use_rdrop, carried):  # pragma: no cover
    """BPTT's counterpart of :func:`state_product` for one row: the gradient reaching ``h_t`` is
    ``out = from_output + from_next ∘ rdrop + carried`` (``from_next ∘ 1`` when not ``use_rdrop``) — from
    the layer's output at ``t``, from step ``t + 1`` through its (dropped) recurrent product, and carried
    past a masked step."""
    if use_rdrop:
        for j in range(out.size):
            out[j] = from_output[j] + from_next[j] * rdrop[j] + carried[j]
    else:
        for j in range(out.size):
            out[j] = from_output[j] + from_next[j] + carried[j]

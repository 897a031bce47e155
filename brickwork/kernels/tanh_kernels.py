"""The float32 ``tanh`` of the compiled recurrent loops (numba), vectorisable by LLVM.

numba compiles ``np.tanh`` in a loop to a scalar libm call per element (the reason the
first, per-step version of the recurrent kernels was slower than NumPy's SIMD ``tanh``),
so in float32 the loops call :func:`tanh32`, a rational approximation made of multiplies,
adds and one division, which LLVM vectorises; its error (below 4e-7 relative, a few
float32 ulp, against NumPy's 1e-7) is far inside the float32 parity tolerance. float64
keeps ``np.tanh`` (exact to float64 rounding, but scalar). The compiled loops call
``_tanh``, which picks one or the other from the argument's type at compile time.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import overload

__all__ = ["kernel_tanh", "tanh32"]

# error_model="numpy": a division is a plain division (no zero check), so the gate loops vectorise.
OPTIONS = dict(cache=True, fastmath=False, nogil=True, error_model="numpy")

# tanh(x) ≈ x·P(x²)/Q(x²) on |x| ≤ 9 (tanh is 1 to float32 precision beyond): a relative least-squares
# fit (iteratively reweighted towards minimax), max error 2e-8 in exact arithmetic, 4e-7 in float32.
_P = (0.9999999971695566, 0.13092423513346751, 0.003113323317356948, 1.125151607684928e-05,
      -2.0615482846366482e-08, 5.463905853630226e-11, -8.961898218151984e-14)
_Q = (1.0, 0.4642575356201094, 0.024532564173027422, 0.00025597389709089446)
_P32 = tuple(np.float32(v) for v in _P)
_Q32 = tuple(np.float32(v) for v in _Q)
_ONE32, _CLAMP32 = np.float32(1.0), np.float32(9.0)


def tanh32(x: float) -> float:
    """Vectorisable float32 ``tanh``: clamp to ±9, then x·P(x²)/Q(x²) in Horner form, the result kept in
    [-1, 1]. NaN goes through (the comparisons are written so that NaN selects ``x``)."""
    x = _CLAMP32 if x > _CLAMP32 else x
    x = -_CLAMP32 if x < -_CLAMP32 else x
    s = x * x
    num = ((((((_P32[6] * s + _P32[5]) * s + _P32[4]) * s + _P32[3]) * s + _P32[2]) * s + _P32[1]) * s + _P32[0])
    den = ((_Q32[3] * s + _Q32[2]) * s + _Q32[1]) * s + _Q32[0]
    y = x * num / den
    y = _ONE32 if y > _ONE32 else y
    return -_ONE32 if y < -_ONE32 else y


_tanh32 = njit(**OPTIONS)(tanh32)


def _tanh(x):  # the name the compiled loops call; typed by the overload below
    return np.tanh(x)


@overload(_tanh)
def _tanh_typed(x):  # pragma: no cover  (runs at compile time)
    if isinstance(x, types.Float) and x.bitwidth == 32:
        return lambda x: _tanh32(x)
    return lambda x: np.tanh(x)


@njit(**OPTIONS)
def _tanh_loop(x, out):  # pragma: no cover
    for k in range(x.size):
        out[k] = _tanh(x[k])


def kernel_tanh(x: np.ndarray) -> np.ndarray:
    """``tanh`` as the compiled loops compute it: :func:`tanh32` for float32, ``np.tanh`` for float64."""
    x = np.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"kernel_tanh: x must be float32 or float64; got {x.dtype}.")
    flat = np.ascontiguousarray(x).ravel()
    out = np.empty_like(flat)
    _tanh_loop(flat, out)
    return out.reshape(x.shape)

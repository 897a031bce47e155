"""Compiled element-wise work of a Transformer step (numba): the attention softmax, layer normalisation
and GELU, forward and backward.

Each of these is a handful of NumPy operations over a large array, and NumPy spends one pass over memory
(and one temporary) per operation — worse, its reductions along a short last axis (64 keys, 128 features)
are much slower than its element-wise loops. The kernels below do each primitive's work in one or two
loops per row, reading each element once or twice. The formulas are those of the NumPy code's docstrings:

* :func:`softmax_forward` / :func:`softmax_backward` — the masked, scaled softmax of
  :class:`~brickwork.functions.attention.ScaledDotProductAttention` and its Jacobian-vector product
  :math:`\\bar L = P \\odot (\\bar P - \\sum_s \\bar P \\odot P)`;
* :func:`layer_norm_forward` / :func:`layer_norm_backward` — :class:`~brickwork.functions.normalization.Normalize`
  over the last axis;
* :func:`gelu_forward` / :func:`gelu_backward` — the exact GELU :math:`x\\,\\Phi(x)` of
  :class:`~brickwork.functions.activations.GELU`, with float32's rational ``erf`` approximation (the same
  coefficients as the NumPy path) and ``math.erf`` in float64.

The exponentials are left to NumPy (its ``exp`` is a SIMD loop; numba's is a scalar libm call): the softmax
kernel writes the shifted logits, ``np.exp`` runs in place, and a second kernel normalises the rows.
Supported: NumPy arrays of float32 or float64, C-contiguous where the callers say so.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# error_model="numpy": a division by zero gives inf/nan as in NumPy instead of a Python exception, whose
# check would keep LLVM from vectorising the loops.
_OPTIONS = dict(cache=True, fastmath=False, nogil=True, error_model="numpy")
# Reductions may be reassociated (so LLVM vectorises the row sums, as NumPy's pairwise sums are not
# sequential either); no flag that assumes finite values (the softmax meets -inf on purpose).
_REDUCE = dict(cache=True, fastmath={"reassoc", "contract", "nsz", "arcp"}, nogil=True, error_model="numpy")
_ELEMENTWISE = _REDUCE

# The float32 erf's rational approximation (the same numbers as brickwork.functions.activations).
_P0, _P1, _P2, _P3, _P4, _P5 = (1.1283791065216064, 0.18991400301456451, 0.05266646668314934,
                                0.0037414159160107374, 0.0002837444772012532, 2.044646407739492e-06)
_Q1, _Q2, _Q3, _Q4, _Q5 = (0.501639723777771, 0.11389035731554031, 0.014919186942279339,
                           0.001155701233074069, 3.7979509215801954e-05)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# --------------------------------------------------------------------------------------------- softmax
@njit(**_ELEMENTWISE)
def _shift_rows(logits, bias, bias_row, has_mask, consts, out, empty):  # pragma: no cover - compiled
    """``out = scale * logits + bias - rowmax`` for ``(R, S)`` rows, ``bias`` being 0 where a key is kept and
    ``-inf`` where it is masked (row ``bias_row[r]`` of the ``(R_mask, S)`` bias serves logits row ``r``);
    ``empty[r]`` flags rows with no kept entry (their entries stay ``-inf``, so their exponentials are 0).
    ``consts`` holds ``(scale, -inf, 0)`` in the logits' dtype, so the arithmetic stays in that dtype."""
    r_n, s_n = logits.shape
    scale, neg_inf, zero = consts[0], consts[1], consts[2]
    for r in range(r_n):
        m = neg_inf
        if has_mask:
            br = bias_row[r]
            for s in range(s_n):
                v = logits[r, s] * scale + bias[br, s]
                out[r, s] = v
                m = v if v > m else m
        else:
            for s in range(s_n):
                v = logits[r, s] * scale
                out[r, s] = v
                m = v if v > m else m
        empty[r] = m == neg_inf
        if m == neg_inf:
            m = zero
        for s in range(s_n):
            out[r, s] -= m


@njit(**_REDUCE)
def _normalise_rows(e, empty, fill):  # pragma: no cover - compiled
    """Divide each row of ``e`` (``(R, S)``, exponentials) by its sum; rows flagged ``empty`` get ``fill``."""
    r_n, s_n = e.shape
    for r in range(r_n):
        if empty[r]:
            for s in range(s_n):
                e[r, s] = fill
            continue
        total = fill * 0
        for s in range(s_n):
            total += e[r, s]
        inv = 1 / total
        for s in range(s_n):
            e[r, s] *= inv


def _mask_rows(keep: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """The mask as an additive bias ``(R_mask, S)`` (0 kept, ``-inf`` masked) in its own, un-broadcast shape,
    and for each of the ``R`` logits rows of ``shape`` the bias row that serves it."""
    keep = np.asarray(keep, dtype=bool)
    keep = keep.reshape((1,) * (len(shape) - keep.ndim) + keep.shape)
    if keep.shape[-1] != shape[-1]:
        keep = np.broadcast_to(keep, keep.shape[:-1] + shape[-1:])
    bias = np.where(keep, dtype.type(0), dtype.type(-np.inf)).reshape(-1, shape[-1])
    rows = np.arange(bias.shape[0]).reshape(keep.shape[:-1])
    return bias, np.ascontiguousarray(np.broadcast_to(rows, shape[:-1])).reshape(-1)


def softmax_forward(logits: np.ndarray, keep: np.ndarray | None, scale: float, masked_rows: str
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``(P, empty)``: the probabilities :math:`\\mathrm{softmax}(c L)` of raw logits ``(..., T, S)``, masked
    where ``keep`` (bool, broadcastable; pass it un-broadcast) is False, and the ``(..., T)`` flags of fully
    masked rows, whose probabilities are 0 (``'zeros'``) or :math:`1/S` (``'uniform'``)."""
    s = logits.shape[-1]
    raw = np.ascontiguousarray(logits).reshape(-1, s)
    out = np.empty_like(raw)
    empty = np.empty(raw.shape[0], dtype=np.bool_)
    has_mask = keep is not None
    if has_mask:
        bias, bias_row = _mask_rows(keep, logits.shape, logits.dtype)
    else:
        bias, bias_row = np.zeros((1, s), logits.dtype), np.zeros(1, np.int64)
    consts = np.array([scale, -np.inf, 0.0], dtype=logits.dtype)
    _shift_rows(raw, bias, bias_row, has_mask, consts, out, empty)
    np.exp(out, out=out)
    fill = 0.0 if masked_rows == "zeros" else 1.0 / s
    _normalise_rows(out, empty, out.dtype.type(fill))
    return out.reshape(logits.shape), empty.reshape(logits.shape[:-1])


@njit(**_REDUCE)
def _softmax_backward_rows(p, g, empty, out):  # pragma: no cover - compiled
    r_n, s_n = p.shape
    for r in range(r_n):
        if empty[r]:
            for s in range(s_n):
                out[r, s] = 0.0
            continue
        dot = p[r, 0] * 0
        for s in range(s_n):
            dot += g[r, s] * p[r, s]
        for s in range(s_n):
            out[r, s] = p[r, s] * (g[r, s] - dot)


def softmax_backward(p: np.ndarray, g: np.ndarray, empty: np.ndarray) -> np.ndarray:
    """:math:`\\bar L = P \\odot (\\bar P - \\sum_s \\bar P \\odot P)` row by row (C-contiguous ``(..., T, S)``
    arrays); 0 on the rows flagged in ``empty`` (``(..., T)``). Masked entries have :math:`P = 0`, so 0."""
    s = p.shape[-1]
    out = np.empty_like(p)
    g = np.ascontiguousarray(g, dtype=p.dtype)
    _softmax_backward_rows(p.reshape(-1, s), g.reshape(-1, s), empty.reshape(-1), out.reshape(-1, s))
    return out


# ---------------------------------------------------------------------------------------- layer norm
@njit(**_REDUCE)
def _layer_norm_forward(x, gamma, beta, consts, y, xhat, rstd):  # pragma: no cover - compiled
    n, m = x.shape
    inv_m, eps, one = consts[0], consts[1], consts[2]
    for r in range(n):
        mean = inv_m * 0
        for j in range(m):
            mean += x[r, j]
        mean *= inv_m
        var = inv_m * 0
        for j in range(m):
            d = x[r, j] - mean
            var += d * d
        var *= inv_m
        inv = one / np.sqrt(var + eps)
        rstd[r] = inv
        for j in range(m):
            h = (x[r, j] - mean) * inv
            xhat[r, j] = h
            y[r, j] = h * gamma[j] + beta[j]


def layer_norm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, epsilon: float
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(y, xhat, rstd)`` of layer normalisation over the last axis of ``x`` ``(..., m)``;
    ``gamma``/``beta`` have ``m`` elements; ``rstd`` has shape ``(..., 1)``."""
    m = x.shape[-1]
    x2 = np.ascontiguousarray(x).reshape(-1, m)
    y, xhat = np.empty_like(x2), np.empty_like(x2)
    rstd = np.empty(x2.shape[0], dtype=x.dtype)
    consts = np.array([1.0 / m, epsilon, 1.0], dtype=x.dtype)
    _layer_norm_forward(x2, np.ascontiguousarray(gamma, x.dtype).reshape(m),
                        np.ascontiguousarray(beta, x.dtype).reshape(m), consts, y, xhat, rstd)
    return y.reshape(x.shape), xhat.reshape(x.shape), rstd.reshape(x.shape[:-1] + (1,))


@njit(**_REDUCE)
def _layer_norm_backward(gy, xhat, gamma, rstd, consts, need_x, gx, ggamma, gbeta):  # pragma: no cover
    n, m = gy.shape
    inv_m, fm = consts[0], consts[1]
    for j in range(m):
        ggamma[j] = inv_m * 0
        gbeta[j] = inv_m * 0
    for r in range(n):
        s1 = inv_m * 0
        s2 = inv_m * 0
        for j in range(m):
            g = gy[r, j]
            h = xhat[r, j]
            ggamma[j] += g * h
            gbeta[j] += g
            gh = g * gamma[j]
            s1 += gh
            s2 += gh * h
        if need_x:
            k = rstd[r] * inv_m
            for j in range(m):
                gx[r, j] = k * (fm * gy[r, j] * gamma[j] - s1 - xhat[r, j] * s2)


def layer_norm_backward(gy: np.ndarray, xhat: np.ndarray, gamma: np.ndarray, rstd: np.ndarray, need_x: bool
                        ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """``(gx or None, ggamma (m,), gbeta (m,))`` for :func:`layer_norm_forward`'s saved ``xhat``/``rstd``."""
    m = xhat.shape[-1]
    dt = xhat.dtype
    gy2 = np.ascontiguousarray(gy, dtype=dt).reshape(-1, m)
    gx = np.empty_like(gy2) if need_x else np.empty((1, m), dt)
    ggamma, gbeta = np.empty(m, dt), np.empty(m, dt)
    consts = np.array([1.0 / m, m], dtype=dt)
    _layer_norm_backward(gy2, xhat.reshape(-1, m), np.ascontiguousarray(gamma, dt).reshape(m), rstd.reshape(-1),
                         consts, need_x, gx, ggamma, gbeta)
    return (gx.reshape(xhat.shape) if need_x else None), ggamma, gbeta


# ---------------------------------------------------------------------------------------------- GELU
_ERF_COEFFICIENTS = (_P0, _P1, _P2, _P3, _P4, _P5, _Q1, _Q2, _Q3, _Q4, _Q5, _INV_SQRT2, 0.5, 1.0, 4.0)


@njit(**_ELEMENTWISE)
def _gelu_forward_rational(x, c, y, cdf):  # pragma: no cover - compiled
    """float32's GELU with erf's rational fit on ``|v| <= 4`` (clipped), as the NumPy path computes it;
    ``c`` holds the coefficients in the array's dtype (so the loop stays in float32 and vectorises)."""
    p0, p1, p2, p3, p4, p5 = c[0], c[1], c[2], c[3], c[4], c[5]
    q1, q2, q3, q4, q5 = c[6], c[7], c[8], c[9], c[10]
    k, half, one, four = c[11], c[12], c[13], c[14]
    for i in range(x.size):
        xi = x[i]
        v = xi * k
        v = four if v > four else v
        v = -four if v < -four else v
        s = v * v
        p = (((((p5 * s + p4) * s + p3) * s + p2) * s + p1) * s + p0) * v
        q = ((((q5 * s + q4) * s + q3) * s + q2) * s + q1) * s + one
        e = p / q
        e = one if e > one else e
        e = -one if e < -one else e
        ci = half * (one + e)
        cdf[i] = ci
        y[i] = xi * ci


@njit(**_OPTIONS)
def _gelu_forward_exact(x, y, cdf):  # pragma: no cover - compiled
    for i in range(x.size):
        v = x[i]
        c = 0.5 * (1.0 + math.erf(v * _INV_SQRT2))
        cdf[i] = c
        y[i] = v * c


def gelu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""``(y, cdf)``: :math:`y = x\,\Phi(x)` and :math:`\Phi(x)` for a float32 (rational erf) or
    float64 (``math.erf``) array."""
    flat = np.ascontiguousarray(x).reshape(-1)
    y, cdf = np.empty_like(flat), np.empty_like(flat)
    if flat.dtype == np.float32:
        _gelu_forward_rational(flat, np.array(_ERF_COEFFICIENTS, np.float32), y, cdf)
    else:
        _gelu_forward_exact(flat, y, cdf)
    return y.reshape(x.shape), cdf.reshape(x.shape)


@njit(**_ELEMENTWISE)
def _gelu_backward(gy, x, cdf, e, c, out):  # pragma: no cover - compiled
    k = c[0]
    for i in range(x.size):
        out[i] = gy[i] * (cdf[i] + x[i] * e[i] * k)


def gelu_backward(gy: np.ndarray, x: np.ndarray, cdf: np.ndarray) -> np.ndarray:
    r""":math:`\bar x = \bar y\,(\Phi(x) + x\,\varphi(x))`; the Gaussian density's ``exp`` runs in NumPy."""
    dt = x.dtype
    xf = np.ascontiguousarray(x).reshape(-1)
    e = np.multiply(xf, xf)
    e *= dt.type(-0.5)
    np.exp(e, out=e)
    out = np.empty_like(xf)
    _gelu_backward(np.ascontiguousarray(gy, dtype=dt).reshape(-1), xf, np.ascontiguousarray(cdf, dt).reshape(-1),
                   e, np.array([_INV_SQRT_2PI], dt), out)
    return out.reshape(x.shape)

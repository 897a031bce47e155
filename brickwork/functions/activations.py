"""Activation functions as differentiable primitives.

Each saves what its derivative needs (often the output itself) and applies
the chain rule :math:`\\bar x = \\bar y \\odot f'(x)` in backward.
"""

from __future__ import annotations

import math

import numpy as np

from brickwork import kernels
from brickwork.backend import get_array_module
from brickwork.engine.function import Function

_numpy_erf = None

# erf(x) ~ x P(x^2) / Q(x^2) on |x| <= 4, Q(0) = 1: a degree-(5, 5) rational least-squares fit (relative error,
# Sanathanan-Koerner reweighting, 20,000 points on (0, 4]) made for brickwork. Evaluated in float32 its error
# against the exact erf is below 3.4e-7 relative (about 3 ulp) on [-4, 4]; beyond, erf(x) rounds to +-1 in float32.
_ERF_P = (1.1283791065216064, 0.18991400301456451, 0.05266646668314934, 0.0037414159160107374,
          0.0002837444772012532, 2.044646407739492e-06)
_ERF_Q = (1.0, 0.501639723777771, 0.11389035731554031, 0.014919186942279339, 0.001155701233074069,
          3.7979509215801954e-05)


def _erf_float32(x):
    """The rational approximation above, Horner's rule in place (about 20 vectorised passes; SciPy's erf
    is roughly 4x slower on float32 arrays because it has no SIMD loop)."""
    xp = get_array_module(x)
    x = xp.clip(x, -4.0, 4.0).astype(np.float32, copy=False)
    s = x * x
    p = xp.full_like(s, _ERF_P[-1])
    q = xp.full_like(s, _ERF_Q[-1])
    for cp, cq in zip(_ERF_P[-2::-1], _ERF_Q[-2::-1], strict=True):
        p *= s
        p += np.float32(cp)
        q *= s
        q += np.float32(cq)
    p *= x
    p /= q
    return xp.clip(p, -1.0, 1.0, out=p)


def _erf(x):
    """Element-wise error function. float32 (and narrower) arrays use the rational approximation
    :func:`_erf_float32`; float64 uses SciPy's C erf, imported on first use (so ``import brickwork`` does
    not load SciPy), with ``math.erf`` as the exact fallback; CuPy arrays use ``cupyx.scipy.special.erf``."""
    global _numpy_erf
    xp = get_array_module(x)
    if xp is not np:
        from cupyx.scipy.special import erf

        return erf(x)
    if x.dtype in (np.float32, np.float16):
        return _erf_float32(x).astype(x.dtype, copy=False)
    if _numpy_erf is None:
        try:
            from scipy.special import erf as _numpy_erf
        except ImportError:  # pragma: no cover - exercised only without SciPy
            scalar = np.vectorize(math.erf, otypes=[np.float64])
            _numpy_erf = lambda v: scalar(v).astype(v.dtype)  # noqa: E731
    return _numpy_erf(x)


class Tanh(Function):
    r""":math:`y = \tanh x`, :math:`f'(x) = 1 - y^2`."""

    def forward(self, x):
        xp = get_array_module(x)
        self.y = xp.tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """Overflow-free logistic :math:`1/(1+e^{-x})`, accurate in both tails."""
    xp = get_array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class Sigmoid(Function):
    r""":math:`y = \sigma(x) = 1/(1+e^{-x})`, :math:`f'(x) = y(1-y)`.

    Computed as :math:`1/(1+e^{-|x|})` or :math:`e^{-|x|}/(1+e^{-|x|})` by sign,
    so neither tail overflows or loses its small values.
    """

    def forward(self, x):
        self.y = _sigmoid(x)
        return self.y

    def backward(self, gy):
        return gy * self.y * (1 - self.y)


class ReLU(Function):
    r""":math:`y = \max(x, 0)`, :math:`f'(x) = [x > 0]`."""

    def forward(self, x):
        xp = get_array_module(x)
        self.y = xp.maximum(x, x.dtype.type(0))
        return self.y

    def backward(self, gy):
        return gy * (self.y > 0)


class ReLU6(Function):
    r""":math:`y = \min(\max(x, 0), 6)`, :math:`f'(x) = [0 < x < 6]`."""

    def forward(self, x):
        xp = get_array_module(x)
        self.mask = (x > 0) & (x < 6)
        return xp.clip(x, 0, 6)

    def backward(self, gy):
        return gy * self.mask


class LeakyReLU(Function):
    r""":math:`y = x` for :math:`x > 0`, else :math:`\alpha x`; :math:`f' = 1` or :math:`\alpha`."""

    def __init__(self, negative_slope=0.2):
        self.alpha = negative_slope

    def forward(self, x):
        xp = get_array_module(x)
        self.mask = x > 0
        return xp.where(self.mask, x, x * x.dtype.type(self.alpha))

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.where(self.mask, gy, gy * gy.dtype.type(self.alpha))


class ELU(Function):
    r""":math:`y = x` for :math:`x > 0`, else :math:`\alpha(e^x - 1)`;
    :math:`f' = 1` or :math:`y + \alpha`."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        xp = get_array_module(x)
        self.mask = x > 0
        self.y = xp.where(self.mask, x, self.alpha * xp.expm1(xp.minimum(x, 0))).astype(x.dtype)
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.where(self.mask, gy, gy * (self.y + self.alpha))


class SELU(Function):
    r"""Scaled ELU :math:`y = \lambda\,\mathrm{elu}_\alpha(x)` with Klambauer et al.'s
    :math:`\alpha \approx 1.6733`, :math:`\lambda \approx 1.0507`."""

    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946

    def forward(self, x):
        xp = get_array_module(x)
        self.mask = x > 0
        self.neg = self.scale * self.alpha * xp.exp(xp.minimum(x, 0))
        return xp.where(self.mask, self.scale * x, self.neg - self.scale * self.alpha).astype(x.dtype)

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.where(self.mask, gy * self.scale, gy * self.neg)


class Softplus(Function):
    r""":math:`y = \ln(1 + e^x)`, computed as :math:`\max(x,0) + \ln(1+e^{-|x|})`;
    :math:`f'(x) = \sigma(x)`."""

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        return gy * _sigmoid(self.x)


class Softsign(Function):
    r""":math:`y = x / (1 + |x|)`, :math:`f'(x) = 1/(1+|x|)^2`."""

    def forward(self, x):
        xp = get_array_module(x)
        self.d = 1 + xp.abs(x)
        return x / self.d

    def backward(self, gy):
        return gy / (self.d * self.d)


class SiLU(Function):
    r"""Swish :math:`y = x\,\sigma(x)`, :math:`f'(x) = \sigma(x)(1 + x(1 - \sigma(x)))`."""

    def forward(self, x):
        self.x, self.s = x, _sigmoid(x)
        return x * self.s

    def backward(self, gy):
        s = self.s
        return gy * s * (1 + self.x * (1 - s))


class GELU(Function):
    r"""Gaussian error linear unit.

    Exact (``approximate=False``, Keras's default):
    :math:`y = x\,\Phi(x) = \tfrac{x}{2}(1 + \mathrm{erf}(x/\sqrt2))`,
    :math:`f'(x) = \Phi(x) + x\,\varphi(x)`.

    Tanh form: :math:`y = \tfrac{x}{2}(1 + \tanh u)`,
    :math:`u = \sqrt{2/\pi}(x + 0.044715 x^3)`,
    :math:`f' = \tfrac12(1+\tanh u) + \tfrac{x}{2}(1-\tanh^2 u)\,\sqrt{2/\pi}(1 + 3\cdot0.044715x^2)`.
    """

    def __init__(self, approximate=False):
        self.approximate = approximate

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        if self.approximate:
            c = math.sqrt(2 / math.pi)
            self.t = xp.tanh(c * (x + 0.044715 * x ** 3))
            return (0.5 * x * (1 + self.t)).astype(x.dtype)
        self.compiled = kernels.handles("transformer", x)
        if self.compiled:  # one compiled loop (the same float32 erf approximation), see kernels.transformer_kernels
            from brickwork.kernels.transformer_kernels import gelu_forward

            y, self.cdf = gelu_forward(x)
            return y
        self.cdf = (0.5 * (1 + _erf(x / math.sqrt(2)))).astype(x.dtype)
        return x * self.cdf

    def backward(self, gy):
        xp = get_array_module(gy)
        x = self.x
        if self.approximate:
            c = math.sqrt(2 / math.pi)
            t = self.t
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
            return gy * d
        if self.compiled:
            from brickwork.kernels.transformer_kernels import gelu_backward

            return gelu_backward(gy, x, self.cdf)
        pdf = xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return gy * (self.cdf + x * pdf)


class HardSigmoid(Function):
    r"""Keras 3's :math:`y = \mathrm{relu6}(x + 3)/6`; :math:`f' = 1/6` on :math:`-3 < x < 3`."""

    def forward(self, x):
        xp = get_array_module(x)
        self.mask = (x > -3) & (x < 3)
        return xp.clip(x / 6 + 0.5, 0, 1).astype(x.dtype)

    def backward(self, gy):
        return gy * self.mask / 6


class Softmax(Function):
    r"""Normalised exponential along ``axis`` (seed 002):

    .. math:: y_j = \frac{e^{z_j - \max z}}{\sum_k e^{z_k - \max z}}, \qquad
              \bar z = y \odot \bigl(\bar y - \textstyle\sum_k \bar y_k y_k\bigr)

    Subtracting :math:`\max z` leaves :math:`y` unchanged and keeps
    :math:`e^{\cdot} \le 1`, so large logits never overflow.
    """

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, z):
        xp = get_array_module(z)
        e = xp.exp(z - z.max(axis=self.axis, keepdims=True))
        self.y = e / e.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, gy):
        y = self.y
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    r"""Log of the softmax, :math:`y = z - \max z - \ln\sum_k e^{z_k - \max z}`;
    :math:`\bar z = \bar y - \mathrm{softmax}(z) \sum_k \bar y_k`."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, z):
        xp = get_array_module(z)
        shifted = z - z.max(axis=self.axis, keepdims=True)
        self.y = shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


def tanh(x):
    """Hyperbolic tangent."""
    return Tanh()(x)


def sigmoid(x):
    """Logistic sigmoid :math:`1/(1+e^{-x})`."""
    return Sigmoid()(x)


def relu(x):
    """Rectified linear unit :math:`\\max(x, 0)`."""
    return ReLU()(x)


def relu6(x):
    """ReLU capped at 6."""
    return ReLU6()(x)


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU (Keras's default slope 0.2)."""
    return LeakyReLU(negative_slope)(x)


def elu(x, alpha=1.0):
    """Exponential linear unit."""
    return ELU(alpha)(x)


def selu(x):
    """Scaled exponential linear unit."""
    return SELU()(x)


def softplus(x):
    """:math:`\\ln(1 + e^x)`, overflow-free."""
    return Softplus()(x)


def softsign(x):
    """:math:`x / (1 + |x|)`."""
    return Softsign()(x)


def silu(x):
    """Swish / SiLU :math:`x\\,\\sigma(x)`."""
    return SiLU()(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit (exact erf form by default, as Keras)."""
    return GELU(approximate)(x)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid."""
    return HardSigmoid()(x)


def softmax(x, axis=-1):
    """Softmax along ``axis`` (numerically stable)."""
    return Softmax(axis)(x)


def log_softmax(x, axis=-1):
    """Log-softmax along ``axis`` (numerically stable)."""
    return LogSoftmax(axis)(x)

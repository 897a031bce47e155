"""Special functions that lose precision when composed: log1p, expm1 and erf."""

from __future__ import annotations

import math

import numpy as np

from brickwork.engine.device import is_device_array
from brickwork.engine.function import Function


def erf_array(x: np.ndarray) -> np.ndarray:
    """The error function of an array: SciPy's vectorised C when installed, else ``math.erf``;
    ``cupyx.scipy.special.erf`` for a CuPy array."""
    if is_device_array(x):
        from cupyx.scipy.special import erf as device_erf

        return device_erf(x).astype(x.dtype, copy=False)
    try:
        from scipy.special import erf
    except ImportError:  # pragma: no cover - exercised only without SciPy
        return np.vectorize(math.erf, otypes=[np.float64])(x).astype(x.dtype)
    return erf(x).astype(x.dtype, copy=False)


class Log1p(Function):
    r""":math:`y = \ln(1 + x)`, accurate for small :math:`x`; :math:`f'(x) = 1/(1 + x)`."""

    def forward(self, x):
        self.x = x
        return np.log1p(x)

    def backward(self, gy):
        return gy / (1 + self.x)


class Expm1(Function):
    r""":math:`y = e^x - 1`, accurate for small :math:`x`; :math:`f'(x) = e^x = y + 1`."""

    def forward(self, x):
        self.y = np.expm1(x)
        return self.y

    def backward(self, gy):
        return gy * (self.y + 1)


class Erf(Function):
    r"""Error function :math:`y = \tfrac{2}{\sqrt\pi}\int_0^x e^{-t^2}\,dt`;
    :math:`f'(x) = \tfrac{2}{\sqrt\pi} e^{-x^2}`."""

    def forward(self, x):
        self.x = x
        return erf_array(x)

    def backward(self, gy):
        return gy * (2 / math.sqrt(math.pi)) * np.exp(-self.x * self.x)


def log1p(x):
    """Element-wise :math:`\\ln(1 + x)`."""
    return Log1p()(x)


def expm1(x):
    """Element-wise :math:`e^x - 1`."""
    return Expm1()(x)


def erf(x):
    """Element-wise error function."""
    return Erf()(x)

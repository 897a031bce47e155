"""Running sums and products along an axis."""

from __future__ import annotations

import numpy as np

from brickwork.engine.function import Function


def _reverse_cumsum(g: np.ndarray, axis: int) -> np.ndarray:
    """:math:`r_i = \\sum_{j \\ge i} g_j` along ``axis``."""
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


class Cumsum(Function):
    r"""Running sum :math:`y_i = \sum_{j \le i} x_j` along ``axis``.

    Each :math:`x_i` appears in every :math:`y_j` with :math:`j \ge i`, so
    :math:`\bar x_i = \sum_{j \ge i} \bar y_j` (a reversed running sum).
    """

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, x):
        return np.cumsum(x, axis=self.axis)

    def backward(self, gy):
        return _reverse_cumsum(gy, self.axis)


class Cumprod(Function):
    r"""Running product :math:`y_i = \prod_{j \le i} x_j` along ``axis``.

    .. math:: \bar x_i = \sum_{j \ge i} \bar y_j \prod_{k \le j,\, k \ne i} x_k
              = \frac{1}{x_i} \sum_{j \ge i} \bar y_j\, y_j \quad (x_i \ne 0)

    The quotient form is used when no :math:`x` is zero; otherwise each
    position :math:`i` is recomputed with :math:`x_i` replaced by 1 (exact, one
    running product per position).
    """

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, x):
        self.x = x
        self.y = np.cumprod(x, axis=self.axis)
        return self.y

    def backward(self, gy):
        x, axis = self.x, self.axis
        if np.all(x != 0):
            return _reverse_cumsum(gy * self.y, axis) / x
        gx = np.empty_like(x)
        xm, gm, out = np.moveaxis(x, axis, 0), np.moveaxis(gy, axis, 0), np.moveaxis(gx, axis, 0)
        for i in range(xm.shape[0]):
            xi = xm.copy()
            xi[i] = 1
            out[i] = (gm[i:] * np.cumprod(xi, axis=0)[i:]).sum(axis=0)
        return gx


def cumsum(x, axis: int):
    """Running sum along ``axis``."""
    return Cumsum(axis)(x)


def cumprod(x, axis: int):
    """Running product along ``axis``."""
    return Cumprod(axis)(x)

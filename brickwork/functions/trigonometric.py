"""Trigonometric and hyperbolic functions and their inverses, element-wise.

Each node saves its input (or output) and multiplies the incoming gradient by
the derivative written in its docstring: :math:`\\bar x = \\bar y\\, f'(x)`.
"""

from __future__ import annotations

import numpy as np

from brickwork.engine.function import Function
from brickwork.functions._util import sum_to


class Sin(Function):
    r""":math:`y = \sin x`, :math:`f'(x) = \cos x`."""

    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, gy):
        return gy * np.cos(self.x)


class Cos(Function):
    r""":math:`y = \cos x`, :math:`f'(x) = -\sin x`."""

    def forward(self, x):
        self.x = x
        return np.cos(x)

    def backward(self, gy):
        return -gy * np.sin(self.x)


class Tan(Function):
    r""":math:`y = \tan x`, :math:`f'(x) = 1 + y^2`."""

    def forward(self, x):
        self.y = np.tan(x)
        return self.y

    def backward(self, gy):
        return gy * (1 + self.y * self.y)


class Arcsin(Function):
    r""":math:`y = \arcsin x`, :math:`f'(x) = 1/\sqrt{1 - x^2}`."""

    def forward(self, x):
        self.x = x
        return np.arcsin(x)

    def backward(self, gy):
        return gy / np.sqrt(1 - self.x * self.x)


class Arccos(Function):
    r""":math:`y = \arccos x`, :math:`f'(x) = -1/\sqrt{1 - x^2}`."""

    def forward(self, x):
        self.x = x
        return np.arccos(x)

    def backward(self, gy):
        return -gy / np.sqrt(1 - self.x * self.x)


class Arctan(Function):
    r""":math:`y = \arctan x`, :math:`f'(x) = 1/(1 + x^2)`."""

    def forward(self, x):
        self.x = x
        return np.arctan(x)

    def backward(self, gy):
        return gy / (1 + self.x * self.x)


class Arctan2(Function):
    r"""Angle of the point :math:`(b, a)`: :math:`y = \operatorname{atan2}(a, b)`.

    .. math:: \bar a = \bar y\, \frac{b}{a^2 + b^2}, \qquad \bar b = -\bar y\, \frac{a}{a^2 + b^2}
    """

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.arctan2(a, b)

    def backward(self, gy):
        r2 = self.a * self.a + self.b * self.b
        ga = sum_to(gy * self.b / r2, self.a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(-gy * self.a / r2, self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Sinh(Function):
    r""":math:`y = \sinh x`, :math:`f'(x) = \cosh x`."""

    def forward(self, x):
        self.x = x
        return np.sinh(x)

    def backward(self, gy):
        return gy * np.cosh(self.x)


class Cosh(Function):
    r""":math:`y = \cosh x`, :math:`f'(x) = \sinh x`."""

    def forward(self, x):
        self.x = x
        return np.cosh(x)

    def backward(self, gy):
        return gy * np.sinh(self.x)


class Arcsinh(Function):
    r""":math:`y = \operatorname{arsinh} x`, :math:`f'(x) = 1/\sqrt{x^2 + 1}`."""

    def forward(self, x):
        self.x = x
        return np.arcsinh(x)

    def backward(self, gy):
        return gy / np.sqrt(self.x * self.x + 1)


class Arccosh(Function):
    r""":math:`y = \operatorname{arcosh} x` (:math:`x \ge 1`), :math:`f'(x) = 1/\sqrt{x^2 - 1}`."""

    def forward(self, x):
        self.x = x
        return np.arccosh(x)

    def backward(self, gy):
        return gy / np.sqrt(self.x * self.x - 1)


class Arctanh(Function):
    r""":math:`y = \operatorname{artanh} x` (:math:`|x| < 1`), :math:`f'(x) = 1/(1 - x^2)`."""

    def forward(self, x):
        self.x = x
        return np.arctanh(x)

    def backward(self, gy):
        return gy / (1 - self.x * self.x)


def sin(x):
    """Element-wise sine."""
    return Sin()(x)


def cos(x):
    """Element-wise cosine."""
    return Cos()(x)


def tan(x):
    """Element-wise tangent."""
    return Tan()(x)


def arcsin(x):
    """Element-wise inverse sine."""
    return Arcsin()(x)


def arccos(x):
    """Element-wise inverse cosine."""
    return Arccos()(x)


def arctan(x):
    """Element-wise inverse tangent."""
    return Arctan()(x)


def arctan2(a, b):
    """Element-wise ``atan2(a, b)`` with broadcasting."""
    return Arctan2()(a, b)


def sinh(x):
    """Element-wise hyperbolic sine."""
    return Sinh()(x)


def cosh(x):
    """Element-wise hyperbolic cosine."""
    return Cosh()(x)


def arcsinh(x):
    """Element-wise inverse hyperbolic sine."""
    return Arcsinh()(x)


def arccosh(x):
    """Element-wise inverse hyperbolic cosine."""
    return Arccosh()(x)


def arctanh(x):
    """Element-wise inverse hyperbolic tangent."""
    return Arctanh()(x)

"""Element-wise arithmetic with NumPy broadcasting: + − × ÷ and powers.

Each backward first forms the gradient at the broadcast output shape and then
sums it back to each input's shape (:func:`~brickwork.functions._util.sum_to`).
"""

from __future__ import annotations

from brickwork.backend import get_array_module
from brickwork.engine.function import Function
from brickwork.functions._util import sum_to


class Add(Function):
    r"""Sum :math:`y = a + b`; :math:`\partial y/\partial a = \partial y/\partial b = 1`."""

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a + b

    def backward(self, gy):
        sa, sb = self.shapes
        return sum_to(gy, sa), sum_to(gy, sb)


class Subtract(Function):
    r"""Difference :math:`y = a - b`; gradients :math:`g` and :math:`-g`."""

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a - b

    def backward(self, gy):
        sa, sb = self.shapes
        gb = sum_to(-gy, sb) if self.needs_input_grad[1] else None
        return sum_to(gy, sa), gb


class Multiply(Function):
    r"""Product :math:`y = a b`; :math:`\bar a = \bar y\, b`, :math:`\bar b = \bar y\, a`."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        ga = sum_to(gy * self.b, self.a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(gy * self.a, self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Divide(Function):
    r"""Quotient :math:`y = a / b`; :math:`\bar a = \bar y / b`, :math:`\bar b = -\bar y\, a / b^2`."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        ga = sum_to(gy / self.b, self.a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(-gy * self.a / (self.b * self.b), self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Negative(Function):
    r""":math:`y = -x`; :math:`\bar x = -\bar y`."""

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Power(Function):
    r"""Power :math:`y = a^{b}`.

    .. math::
        \bar a = \bar y\, b\, a^{b-1}, \qquad \bar b = \bar y\, a^{b} \ln a

    (the second only when the exponent requires a gradient; it needs
    :math:`a > 0`).
    """

    def forward(self, a, b):
        xp = get_array_module(a)
        self.a, self.b = a, b
        self.y = xp.power(a, b)
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        a, b = self.a, self.b
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to(gy * b * xp.power(a, b - 1), a.shape)
        if self.needs_input_grad[1]:
            gb = sum_to(gy * self.y * xp.log(a), b.shape)
        return ga, gb


def add(a, b):
    """Element-wise ``a + b`` with broadcasting."""
    return Add()(a, b)


def subtract(a, b):
    """Element-wise ``a - b`` with broadcasting."""
    return Subtract()(a, b)


def multiply(a, b):
    """Element-wise ``a * b`` with broadcasting."""
    return Multiply()(a, b)


def divide(a, b):
    """Element-wise ``a / b`` with broadcasting."""
    return Divide()(a, b)


def negative(x):
    """``-x``."""
    return Negative()(x)


def power(a, b):
    """Element-wise ``a ** b`` (either may be a tensor)."""
    return Power()(a, b)


def square(x):
    """``x ** 2``."""
    return Multiply()(x, x)

"""Element-wise mathematical functions: exp, log, sqrt, abs, where, clip, maximum."""

from __future__ import annotations

from brickwork.backend import get_array_module
from brickwork.engine.function import Function
from brickwork.functions._util import sum_to


class Exp(Function):
    r""":math:`y = e^x`, :math:`\bar x = \bar y\, y`."""

    def forward(self, x):
        xp = get_array_module(x)
        self.y = xp.exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y


class Log(Function):
    r""":math:`y = \ln x`, :math:`\bar x = \bar y / x`."""

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        return xp.log(x)

    def backward(self, gy):
        return gy / self.x


class Sqrt(Function):
    r""":math:`y = \sqrt{x}`, :math:`\bar x = \bar y / (2 y)`."""

    def forward(self, x):
        xp = get_array_module(x)
        self.y = xp.sqrt(x)
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)


class Abs(Function):
    r""":math:`y = |x|`, :math:`\bar x = \bar y\,\mathrm{sign}(x)` (0 at 0)."""

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        return xp.abs(x)

    def backward(self, gy):
        xp = get_array_module(gy)
        return gy * xp.sign(self.x)


class Where(Function):
    r"""Select :math:`y = a` where ``condition`` else :math:`b`; each branch gets
    the gradient where it was chosen."""

    def __init__(self, condition):
        xp = get_array_module(condition)
        self.condition = xp.asarray(condition, dtype=bool)

    def forward(self, a, b):
        xp = get_array_module(a)
        self.shapes = (a.shape, b.shape)
        return xp.where(self.condition, a, b)

    def backward(self, gy):
        xp = get_array_module(gy)
        zero = xp.zeros((), gy.dtype)
        ga = sum_to(xp.where(self.condition, gy, zero), self.shapes[0]) if self.needs_input_grad[0] else None
        gb = sum_to(xp.where(self.condition, zero, gy), self.shapes[1]) if self.needs_input_grad[1] else None
        return ga, gb


class Clip(Function):
    r"""Clamp to :math:`[lo, hi]`; the gradient passes only where
    :math:`lo \le x \le hi`."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        return xp.clip(x, self.lo, self.hi)

    def backward(self, gy):
        xp = get_array_module(gy)
        inside = xp.ones(self.x.shape, bool)
        if self.lo is not None:
            inside &= self.x >= self.lo
        if self.hi is not None:
            inside &= self.x <= self.hi
        return gy * inside


class Maximum(Function):
    r"""Element-wise :math:`\max(a, b)`; the gradient goes to the larger
    (split equally on ties)."""

    sign = 1

    def forward(self, a, b):
        xp = get_array_module(a)
        self.a, self.b = a, b
        return xp.maximum(a, b) if self.sign > 0 else xp.minimum(a, b)

    def backward(self, gy):
        diff = (self.a - self.b) * self.sign
        wa = (diff > 0) + 0.5 * (diff == 0)
        ga = sum_to(gy * wa, self.a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(gy * (1 - wa), self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Minimum(Maximum):
    r"""Element-wise :math:`\min(a, b)` (see :class:`Maximum`)."""

    sign = -1


def exp(x):
    """Element-wise :math:`e^x`."""
    return Exp()(x)


def log(x):
    """Element-wise natural logarithm."""
    return Log()(x)


def sqrt(x):
    """Element-wise square root."""
    return Sqrt()(x)


def abs(x):  # noqa: A001 - NumPy's name
    """Element-wise absolute value."""
    return Abs()(x)


def where(condition, a, b):
    """``a`` where ``condition`` is true, else ``b`` (differentiable in a and b)."""
    cond = condition.data if hasattr(condition, "creator") else condition
    return Where(cond)(a, b)


def clip(x, lo, hi):
    """Clamp to ``[lo, hi]`` (either bound may be None)."""
    return Clip(lo, hi)(x)


def maximum(a, b):
    """Element-wise maximum."""
    return Maximum()(a, b)


def minimum(a, b):
    """Element-wise minimum."""
    return Minimum()(a, b)

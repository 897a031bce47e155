"""Tensor products of ``keras.ops.numpy``: matmul, einsum, tensordot, dot, inner, outer."""

from __future__ import annotations

import string
from typing import Any

from brickwork import functions as F
from brickwork.engine.tensor import Tensor
from brickwork.functions.einsum import einsum as einsum_fn
from brickwork.ops._convert import promote


def matmul(x1: Any, x2: Any) -> Tensor:
    """Matrix product with NumPy's batching and 1-D promotion rules."""
    a, b = promote(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must be at least 1-D; got shapes {a.shape} and {b.shape}.")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(f"matmul: the last axis of x1 (shape {a.shape}) does not match the contracted axis "
                         f"of x2 (shape {b.shape}).")
    return F.matmul(a, b)


def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> Tensor:
    """Einstein summation (NumPy's subscripts, ellipsis and implicit output included); ``kwargs``
    (backend options in Keras) are accepted and ignored."""
    return einsum_fn(subscripts, *promote(*operands))


def tensordot(x1: Any, x2: Any, axes: Any = 2) -> Tensor:
    """Sum products over the given axes: an int ``N`` (the last ``N`` of ``x1`` with the first ``N``
    of ``x2``) or a pair of axis lists."""
    a, b = promote(x1, x2)
    if isinstance(axes, int):
        axes_a, axes_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, int) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, int) else list(axes_b)
    axes_a = [i % a.ndim for i in axes_a] if a.ndim else axes_a
    axes_b = [i % b.ndim for i in axes_b] if b.ndim else axes_b
    if len(axes_a) != len(axes_b) or any(a.shape[i] != b.shape[j] for i, j in zip(axes_a, axes_b)):
        raise ValueError(f"tensordot: axes {axes!r} do not pair equal lengths of x1 (shape {a.shape}) and "
                         f"x2 (shape {b.shape}).")
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(axes_a, axes_b):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in axes_a] + [c for j, c in enumerate(sb) if j not in axes_b]
    return einsum_fn("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


def dot(x1: Any, x2: Any) -> Tensor:
    """NumPy's ``dot``: a product for scalars, else a sum over the last axis of ``x1`` and the
    second-to-last (or only) axis of ``x2``."""
    a, b = promote(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return F.multiply(a, b)
    return tensordot(a, b, ([a.ndim - 1], [b.ndim - 2 if b.ndim > 1 else 0]))


def inner(x1: Any, x2: Any) -> Tensor:
    """Sum of products over the last axes."""
    a, b = promote(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return F.multiply(a, b)
    return tensordot(a, b, ([a.ndim - 1], [b.ndim - 1]))


def outer(x1: Any, x2: Any) -> Tensor:
    """Outer product of the flattened inputs."""
    a, b = promote(x1, x2)
    return einsum_fn("i,j->ij", F.reshape(a, (-1,)), F.reshape(b, (-1,)))


def vdot(x1: Any, x2: Any) -> Tensor:
    """Dot product of the flattened inputs."""
    a, b = promote(x1, x2)
    return einsum_fn("i,i->", F.reshape(a, (-1,)), F.reshape(b, (-1,)))


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Sum of the ``offset`` diagonal of the ``(axis1, axis2)`` planes."""
    from brickwork.ops.reshaping import diagonal

    return F.sum(diagonal(x, offset, axis1, axis2), -1)

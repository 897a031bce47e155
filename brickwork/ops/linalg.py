"""``keras.ops.linalg.norm``: vector and matrix norms composed from differentiable primitives
(the spectral and nuclear norms from the singular values)."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.device import asarray
from brickwork.engine.tensor import Tensor
from brickwork.functions.singular_values import singular_values
from brickwork.ops._convert import floating, plain


def _vector_norm(t: Tensor, ord: Any, axis: tuple[int, ...], keepdims: bool) -> Tensor:  # noqa: A002
    if ord is None or ord == 2:
        return F.sqrt(F.sum(F.square(t), axis, keepdims))
    if ord == np.inf:
        return F.max(F.abs(t), axis, keepdims)
    if ord == -np.inf:
        return F.min(F.abs(t), axis, keepdims)
    if ord == 0:
        return plain(np.sum(t.data != 0, axis=axis, keepdims=keepdims).astype(t.dtype))
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm but a single axis was given (x has shape {t.shape}).")
    p = asarray(float(ord), t.dtype)
    return F.power(F.sum(F.power(F.abs(t), p), axis, keepdims), asarray(1.0, t.dtype) / p)


def _matrix_norm(t: Tensor, ord: Any, axis: tuple[int, int], keepdims: bool) -> Tensor:  # noqa: A002
    rows, cols = axis
    if ord is None or ord == "fro":
        return F.sqrt(F.sum(F.square(t), axis, keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        inner, outer = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = F.sum(F.abs(t), inner, True)
        pick = F.max if ord in (1, np.inf) else F.min
        out = pick(sums, outer, True)
        return out if keepdims else F.squeeze(out, axis)
    if ord in (2, -2, "nuc"):
        moved = F.transpose(t, tuple(a for a in range(t.ndim) if a not in axis) + (rows, cols))
        s = singular_values(moved)
        out = F.max(s, -1) if ord == 2 else F.min(s, -1) if ord == -2 else F.sum(s, -1)
        if keepdims:
            for a in sorted(axis):
                out = F.expand_dims(out, a)
        return out
    raise ValueError(f"norm: unknown matrix norm ord={ord!r}; expected None, 'fro', 'nuc', 1, -1, 2, -2, inf "
                     "or -inf.")


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A002
    """The vector norm over one axis or the matrix norm over two (``ord`` as NumPy); with ``axis=None``
    the 2-norm of the flattened tensor, or the norm of a 1-D/2-D ``x`` when ``ord`` is given."""
    t = floating(x)
    if axis is None:
        if ord is None:
            axis = tuple(range(t.ndim))
            return F.sqrt(F.sum(F.square(t), axis, keepdims))
        if t.ndim not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} with axis=None needs a 1-D or 2-D x; got shape {t.shape}.")
        axis = tuple(range(t.ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % t.ndim for a in axes)
    if len(axes) == 1:
        return _vector_norm(t, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(t, ord, axes, keepdims)
    raise ValueError(f"norm: axis must name one or two axes; got {axis!r} for x of shape {t.shape}.")

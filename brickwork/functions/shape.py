"""Shape manipulation: reshape, transpose, broadcast, squeeze, join and split.

These move values without changing them, so each backward applies the
inverse movement to the gradient.
"""

from __future__ import annotations

import numpy as np

from brickwork.backend import get_array_module
from brickwork.engine.device import scatter_add, to_device
from brickwork.engine.function import Function
from brickwork.engine.tensor import Tensor
from brickwork.functions._util import scatter_add_rows, sum_to


class Reshape(Function):
    """Reshape; the gradient is reshaped back."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.in_shape)


class Transpose(Function):
    """Permute axes; the gradient is permuted by the inverse permutation."""

    def __init__(self, axes=None):
        self.axes = None if axes is None else tuple(axes)

    def forward(self, x):
        xp = get_array_module(x)
        return xp.transpose(x, self.axes)

    def backward(self, gy):
        xp = get_array_module(gy)
        if self.axes is None:
            return xp.transpose(gy)
        return xp.transpose(gy, tuple(int(a) for a in np.argsort(self.axes)))


class BroadcastTo(Function):
    r"""Broadcast (``expand``) to ``shape``; the gradient is summed back."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        xp = get_array_module(x)
        self.in_shape = x.shape
        return xp.broadcast_to(x, self.shape).copy()

    def backward(self, gy):
        return sum_to(gy, self.in_shape)


class Cast(Function):
    """Change the float type; the gradient is cast back."""

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.in_dtype)


class Concatenate(Function):
    """Join along ``axis``; the gradient is split at the same offsets."""

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return get_array_module(*xs).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        xp = get_array_module(gy)
        cuts = [int(c) for c in np.cumsum(self.sizes)[:-1]]
        return tuple(xp.split(gy, cuts, axis=self.axis))


class Stack(Function):
    """Stack along a new ``axis``; the gradient is unstacked."""

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        self.n = len(xs)
        return get_array_module(*xs).stack(xs, axis=self.axis)

    def backward(self, gy):
        xp = get_array_module(gy)
        return tuple(xp.take(gy, i, axis=self.axis) for i in range(self.n))


class Split(Function):
    """Split along ``axis`` into sections (NumPy ``split`` semantics); the
    gradients of the pieces are concatenated."""

    def __init__(self, indices_or_sections, axis=0):
        self.sections, self.axis = indices_or_sections, axis

    def forward(self, x):
        xp = get_array_module(x)
        return tuple(xp.split(x, self.sections, axis=self.axis))

    def backward(self, *gys):
        return get_array_module(*gys).concatenate(gys, axis=self.axis)


class GetItem(Function):
    r"""Indexing ``x[index]`` (basic slices, integer and boolean arrays).

    The backward scatters the gradient into a zero array; repeated indices are
    *added* (scatter-add), so ``x[[0, 0]]`` sends twice the gradient to ``x[0]``.
    """

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        xp = get_array_module(x)
        if xp is not np:                      # index arrays made on the host go to the data's device
            self.index = to_device(self.index, "gpu")
        self.in_shape, self.dtype = x.shape, x.dtype
        return xp.asarray(x[self.index])

    def backward(self, gy):
        xp = get_array_module(gy)
        gx = xp.zeros(self.in_shape, self.dtype)
        if _is_basic_index(self.index):
            gx[self.index] = gy  # a view: no element is selected twice
        else:
            scatter_add(gx, self.index, gy)
        return gx


def _is_basic_index(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


class Gather(Function):
    r"""Row lookup ``y = W[indices]`` along axis 0 (the Embedding primitive).

    .. math:: \bar W_r = \sum_{i:\ \mathrm{indices}_i = r} \bar y_i

    computed by :func:`~brickwork.functions._util.scatter_add_rows`, a
    sort-and-segment sum much faster than ``np.add.at``.
    """

    def __init__(self, indices):
        xp = get_array_module(indices)
        self.indices = xp.asarray(indices)

    def forward(self, w):
        self.in_shape = w.shape
        return w[self.indices]

    def backward(self, gy):
        rows = scatter_add_rows(self.in_shape[0], self.indices, gy.reshape(self.indices.size, -1))
        return rows.reshape(self.in_shape)


def reshape(x, shape):
    """Reshape to ``shape`` (one dimension may be -1)."""
    return Reshape(shape)(x)


def transpose(x, axes=None):
    """Permute axes (reverse them when ``axes`` is None)."""
    return Transpose(axes)(x)


def broadcast_to(x, shape):
    """Broadcast to ``shape`` (PyTorch's ``expand``)."""
    return BroadcastTo(shape)(x)


expand = broadcast_to


def cast(x, dtype):
    """Convert to float ``dtype``, differentiably."""
    return Cast(dtype)(x)


def expand_dims(x, axis):
    """Insert a length-1 axis at ``axis``."""
    shape = list(x.shape)
    axis = axis if axis >= 0 else len(shape) + 1 + axis
    shape.insert(axis, 1)
    return Reshape(shape)(x)


def squeeze(x, axis=None):
    """Remove length-1 axes (only ``axis`` when given)."""
    shape = x.shape
    if axis is None:
        new = [n for n in shape if n != 1]
    else:
        axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"Cannot squeeze axis {a} of a tensor of shape {shape}: its length is not 1.")
        new = [n for i, n in enumerate(shape) if i not in axes]
    return Reshape(new)(x)


def flatten(x):
    """Keep the first (batch) axis and flatten the rest."""
    return Reshape((x.shape[0], -1))(x)


def concatenate(xs, axis=0):
    """Join a sequence of tensors along ``axis``."""
    return Concatenate(axis)(*xs)


def stack(xs, axis=0):
    """Stack a sequence of tensors along a new ``axis``."""
    return Stack(axis)(*xs)


def split(x, indices_or_sections, axis=0):
    """Split into pieces (NumPy ``split``); returns a tuple."""
    out = Split(indices_or_sections, axis)(x)
    return out if isinstance(out, tuple) else (out,)


def getitem(x, index):
    """``x[index]`` (differentiable)."""
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return GetItem(index)(x)


def gather(w, indices):
    """``w[indices]`` along axis 0 (the Embedding lookup)."""
    if isinstance(indices, Tensor):
        indices = indices.data
    return Gather(indices)(w)

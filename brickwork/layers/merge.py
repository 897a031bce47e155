"""Merge layers: combine a list of tensors (Add, Subtract, Multiply, Average,
Maximum, Minimum, Concatenate, Dot) and their functional forms.

The module path mirrors Keras 2's ``keras.layers.merge`` so that seed code
``from keras.layers.merge import concatenate`` runs with ``brickwork`` in its place.
"""

from __future__ import annotations

from typing import Any

from brickwork import functions as F
from brickwork.backend import get_array_module
from brickwork.layers.core import mask_array
from brickwork.layers.layer import Layer


class _Merge(Layer):
    """Base class: ``call(inputs: list) -> Tensor`` with equal (broadcastable) shapes."""

    min_inputs = 2

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def _check(self, shapes: Any) -> None:
        if not isinstance(shapes, (list, tuple)) or len(shapes) < self.min_inputs or not all(
                isinstance(s, tuple) for s in shapes):
            raise ValueError(f"{type(self).__name__} '{self.name}' must be called on a list of at least "
                             f"{self.min_inputs} tensors; got {shapes}.")

    def build(self, input_shape):
        self._check(input_shape)
        known = [s[1:] for s in input_shape]
        ref = known[0]
        for s in known[1:]:
            if len(s) != len(ref) or any(a is not None and b is not None and a != b and a != 1 and b != 1
                                         for a, b in zip(s, ref)):
                raise ValueError(f"{type(self).__name__} '{self.name}': inputs must have matching shapes; "
                                 f"got {list(input_shape)}.")
        self.built = True

    def _merge(self, inputs: list[Any]) -> Any:
        raise NotImplementedError

    def call(self, inputs):
        return self._merge(list(inputs))

    def compute_mask(self, inputs, mask=None):
        """Keras's rule: a step is kept when any input keeps it; no mask unless every input has one."""
        if mask is None or any(m is None for m in mask):
            return None
        out = mask_array(mask[0])
        for m in mask[1:]:
            out = out | mask_array(m)
        return out

    def compute_output_shape(self, input_shape):
        out = list(input_shape[0])
        for s in input_shape[1:]:
            out = [a if a not in (None, 1) else b for a, b in zip(out, s)]
        return tuple(out)


class Add(_Merge):
    """Element-wise sum of the inputs (the skip connection of a residual block)."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = F.add(out, x)
        return out


class Subtract(_Merge):
    """``inputs[0] - inputs[1]`` (exactly two inputs)."""

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"Subtract '{self.name}' needs exactly 2 inputs; got {len(input_shape)}.")
        super().build(input_shape)

    def _merge(self, inputs):
        return F.subtract(inputs[0], inputs[1])


class Multiply(_Merge):
    """Element-wise product of the inputs."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = F.multiply(out, x)
        return out


class Average(_Merge):
    """Element-wise mean of the inputs."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = F.add(out, x)
        return out * (1.0 / len(inputs))


class Maximum(_Merge):
    """Element-wise maximum of the inputs."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = F.maximum(out, x)
        return out


class Minimum(_Merge):
    """Element-wise minimum of the inputs."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = F.minimum(out, x)
        return out


class Concatenate(_Merge):
    """Concatenates the inputs along ``axis`` (default -1); other axes must match."""

    min_inputs = 1

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        self._check(input_shape)
        ranks = {len(s) for s in input_shape}
        if len(ranks) != 1:
            raise ValueError(f"Concatenate '{self.name}': inputs must have the same rank; got {list(input_shape)}.")
        ndim = ranks.pop()
        axis = self.axis % ndim
        for s in input_shape[1:]:
            for i, (a, b) in enumerate(zip(s, input_shape[0])):
                if i != axis and i != 0 and a is not None and b is not None and a != b:
                    raise ValueError(
                        f"Concatenate '{self.name}' requires inputs with matching shapes except for the "
                        f"concatenation axis {self.axis}; got {list(input_shape)}.")
        self.built = True

    def _merge(self, inputs):
        return F.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        axis = self.axis % len(input_shape[0])
        out = list(input_shape[0])
        sizes = [s[axis] for s in input_shape]
        out[axis] = None if any(d is None for d in sizes) else sum(sizes)
        return tuple(out)

    def compute_mask(self, inputs, mask=None):
        """Keras's rule: each input's mask widened to the input's shape (all true when missing),
        concatenated along ``axis``, then any-reduced over the last axis."""
        if mask is None or all(m is None for m in mask):
            return None
        xp = get_array_module(*inputs, *mask)
        full = []
        for x, m in zip(inputs, mask):
            shape = tuple(x.shape)
            if m is None:
                full.append(xp.ones(shape, bool))
                continue
            m = mask_array(m)
            full.append(xp.broadcast_to(m[..., None], shape) if m.ndim < len(shape) else m)
        return xp.any(xp.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self):
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


class Dot(_Merge):
    r"""Dot product of two inputs along ``axes`` (per sample).

    For 2-D inputs ``(batch, d)`` the output is ``(batch, 1)``:
    :math:`y_b = \sum_k a_{bk} b_{bk}` (cosine similarity with ``normalize=True``).
    For 3-D inputs ``(batch, n, d)`` and ``(batch, m, d)`` with ``axes=2`` the
    output is ``(batch, n, m)``.
    """

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axes, self.normalize = axes, normalize

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"Dot '{self.name}' needs exactly 2 inputs; got {len(input_shape)}.")
        self.built = True

    def _pair(self, ndim_a: int, ndim_b: int) -> tuple[int, int]:
        axes = self.axes if isinstance(self.axes, (list, tuple)) else (self.axes, self.axes)
        return axes[0] % ndim_a, axes[1] % ndim_b

    def _merge(self, inputs):
        a, b = inputs
        if self.normalize:
            ax_a, ax_b = self._pair(a.ndim, b.ndim)
            a = a / F.sqrt(F.maximum(F.sum(a * a, axis=ax_a, keepdims=True), 1e-12))
            b = b / F.sqrt(F.maximum(F.sum(b * b, axis=ax_b, keepdims=True), 1e-12))
        ax_a, ax_b = self._pair(a.ndim, b.ndim)
        if a.ndim == 2 and b.ndim == 2:
            return F.sum(a * b, axis=1, keepdims=True)
        if a.ndim != 3 or b.ndim != 3:
            raise ValueError(f"Dot '{self.name}' supports 2-D or 3-D inputs; got {a.shape} and {b.shape}.")
        a = a if ax_a == 2 else F.transpose(a, (0, 2, 1))
        b = b if ax_b == 1 else F.transpose(b, (0, 2, 1))
        return F.matmul(a, b)

    def compute_output_shape(self, input_shape):
        sa, sb = input_shape
        if len(sa) == 2:
            return (sa[0], 1)
        ax_a, ax_b = self._pair(len(sa), len(sb))
        return (sa[0], sa[3 - ax_a], sb[3 - ax_b])

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"axes": self.axes, "normalize": self.normalize})
        return cfg


def add(inputs: list[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Add`."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Subtract`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs: list[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs: list[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Minimum`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list[Any], axis: int = -1, **kwargs: Any) -> Any:
    """Functional form of :class:`Concatenate`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: list[Any], axes: Any, normalize: bool = False, **kwargs: Any) -> Any:
    """Functional form of :class:`Dot`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)

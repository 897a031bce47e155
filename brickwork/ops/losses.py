"""Cross-entropies, statistics and normalisation of ``keras.ops.nn`` (Keras's torch-backend semantics:
probabilities are renormalised along the class axis and clipped to ``[1e-7, 1 - 1e-7]``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.device import asarray, get_array_module
from brickwork.engine.tensor import Tensor
from brickwork.functions import indexing
from brickwork.ops._convert import axis_tuple, floating, plain, promote, raw
from brickwork.ops._convert import epsilon as fuzz_factor


def _clipped(p: Tensor) -> Tensor:
    eps = fuzz_factor()
    return F.clip(p, asarray(eps, p.dtype), asarray(1 - eps, p.dtype))


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Tensor:
    """Element-wise :math:`-[t\\ln p + (1-t)\\ln(1-p)]` (``output`` are logits with ``from_logits``)."""
    t, o = promote(target, output, to_float=True)
    if t.shape != o.shape:
        raise ValueError(f"binary_crossentropy: target and output must have the same shape; got "
                         f"target.shape={t.shape}, output.shape={o.shape}.")
    if from_logits:
        return F.sigmoid_cross_entropy_with_logits(o, t)
    p = _clipped(o)
    one = np.ones((), p.dtype)
    return F.negative(F.add(F.multiply(t, F.log(p)), F.multiply(F.subtract(one, t), F.log(F.subtract(one, p)))))


def _log_probs(o: Tensor, from_logits: bool, axis: int) -> Tensor:
    if from_logits:
        return F.log_softmax(o, axis)
    return F.log(_clipped(F.divide(o, F.sum(o, axis, True))))


def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Tensor:
    """:math:`-\\sum_{axis} t \\ln p` with ``p`` the (renormalised, clipped) ``output`` or its softmax."""
    t, o = promote(target, output, to_float=True)
    if t.shape != o.shape or t.ndim < 1:
        raise ValueError(f"categorical_crossentropy: target and output must have the same shape of rank >= 1; "
                         f"got target.shape={t.shape}, output.shape={o.shape}.")
    return F.negative(F.sum(F.multiply(t, _log_probs(o, from_logits, axis)), axis))


def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Tensor:
    """:math:`-\\ln p_k` for integer labels ``k`` (``target``) and class scores along ``axis``."""
    o = floating(output)
    labels = asarray(raw(target)).astype(np.int64)
    if o.ndim < 1:
        raise ValueError(f"sparse_categorical_crossentropy: output must have rank >= 1; got shape {o.shape}.")
    axis = axis % o.ndim
    if labels.ndim == o.ndim and labels.shape[axis] == 1:
        labels = np.squeeze(labels, axis)
    expected = o.shape[:axis] + o.shape[axis + 1:]
    if labels.shape != expected:
        raise ValueError(f"sparse_categorical_crossentropy: target.shape={labels.shape} must equal output.shape="
                         f"{o.shape} without the class axis {axis}, i.e. {expected}.")
    n = o.shape[axis]
    if labels.size and (labels.min() < 0 or labels.max() >= n):
        raise ValueError(f"sparse_categorical_crossentropy: labels must be in [0, {n}); got values in "
                         f"[{labels.min()}, {labels.max()}].")
    picked = indexing.take_along_axis(_log_probs(o, from_logits, axis), np.expand_dims(labels, axis), axis)
    return F.negative(F.squeeze(picked, axis))


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False) -> Tensor:
    """One-hot encoding along a new ``axis``; negative or out-of-range labels give all zeros (floatx)."""
    from brickwork.ops.creation import _dtype

    if sparse:
        raise ValueError("one_hot: sparse=True is not supported.")
    labels = asarray(raw(x)).astype(np.int64)
    xp = get_array_module(labels)
    out = (labels[..., None] == xp.arange(num_classes)).astype(_dtype(dtype))
    return plain(xp.moveaxis(out, -1, axis) if axis != -1 else out)


def multi_hot(inputs: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False) -> Tensor:
    """The union of the one-hot encodings along the last input axis."""
    hot = raw(one_hot(inputs, num_classes, axis=-1, dtype=dtype, sparse=sparse))
    labels_axis = hot.ndim - 2
    out = hot.max(axis=labels_axis) if hot.ndim > 1 else hot
    return plain(np.moveaxis(out, -1, axis) if axis != -1 else out)


def moments(x: Any, axes: Any, keepdims: bool = False, synchronized: bool = False) -> tuple[Tensor, Tensor]:
    """Mean and (population) variance over ``axes``."""
    if synchronized:
        raise NotImplementedError("moments: synchronized=True needs a distributed backend.")
    t = floating(x)
    axes = axis_tuple(axes)
    axes = (axes,) if isinstance(axes, int) else axes
    mean = F.mean(t, axes, True)
    var = F.mean(F.square(F.subtract(t, mean)), axes, True)
    if not keepdims:
        mean, var = F.squeeze(mean, axes), F.squeeze(var, axes)
    return mean, var


def batch_normalization(x: Any, mean: Any, variance: Any, axis: int, offset: Any = None, scale: Any = None,
                        epsilon: float = 1e-3) -> Tensor:
    """:math:`(x - \\mu)\\,\\gamma / \\sqrt{\\sigma^2 + \\epsilon} + \\beta`, the vectors broadcast along ``axis``."""
    t = floating(x)
    shape = [1] * t.ndim
    shape[axis] = t.shape[axis]

    def vec(v: Any) -> Tensor:
        v = floating(v)
        if v.size != t.shape[axis]:
            raise ValueError(f"batch_normalization: a statistic of shape {v.shape} does not match axis {axis} "
                             f"of x (shape {t.shape}).")
        return F.reshape(v, shape)

    inv = F.divide(np.ones((), t.dtype), F.sqrt(F.add(vec(variance), asarray(epsilon, t.dtype))))
    if scale is not None:
        inv = F.multiply(inv, vec(scale))
    y = F.multiply(F.subtract(t, vec(mean)), inv)
    return y if offset is None else F.add(y, vec(offset))


def normalize(x: Any, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Tensor:
    """``x / max(norm(x, order, axis), epsilon)``."""
    from brickwork.ops.linalg import norm

    t = floating(x)
    n = norm(t, ord=order, axis=axis, keepdims=True)
    return F.divide(t, F.maximum(n, asarray(fuzz_factor() if epsilon is None else epsilon, t.dtype)))

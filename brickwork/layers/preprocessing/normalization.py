"""``Normalization``: feature-wise standardisation with statistics learned by ``adapt``."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.layers.preprocessing.base import PreprocessingLayer

EPSILON = 1e-7  # Keras's backend.epsilon(): the smallest standard deviation divided by


class Normalization(PreprocessingLayer):
    r"""Standardise features: :math:`y = (x - \mu) / \max(\sigma, \epsilon)` (seed 001: "normalize the data").

    The mean :math:`\mu` and variance :math:`\sigma^2` are given (then they are
    constants of the layer's config), or computed by :meth:`adapt` over every axis
    but ``axis`` (ignoring NaN, so missing values may be imputed after this layer)
    into the non-trainable weights ``mean``, ``variance`` and ``count`` — Keras 3's
    layout, saved with the model. ``invert=True`` maps standardised values back: :math:`x = \mu + y\,\sigma`.
    The backward pass is :math:`\partial y/\partial x = 1/\max(\sigma,\epsilon)`.

    Args:
        axis: The axis (or axes) that keep their own statistics (default -1: features last).
        mean, variance: Fixed statistics (broadcastable); otherwise call ``adapt``.
        invert: Apply the inverse transformation.

    Input shape: any with the ``axis`` sizes known; output shape: the same.
    """

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None, invert: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = (axis,) if isinstance(axis, int) else tuple(axis) if axis is not None else ()
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization '{self.name}': give both mean and variance, or neither (and adapt).")
        self.input_mean, self.input_variance, self.invert = mean, variance, bool(invert)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        ndim = len(input_shape)
        axes = tuple(a % ndim for a in self.axis)
        for a in axes:
            if input_shape[a] is None:
                raise ValueError(f"Normalization '{self.name}': axis {a} of input shape {tuple(input_shape)} "
                                 "must be known.")
        self._bshape = tuple(input_shape[d] if d in axes else 1 for d in range(ndim))
        shape = tuple(input_shape[a] for a in axes)
        if self.input_mean is None:
            self.mean = self.add_weight(shape, "zeros", trainable=False, name="mean")
            self.variance = self.add_weight(shape, "ones", trainable=False, name="variance")
            self.count = self.add_weight((), "zeros", dtype="int64", trainable=False, name="count")
        else:
            self._fixed = tuple(np.broadcast_to(np.asarray(v, self._dtype), shape).copy()
                                for v in (self.input_mean, self.input_variance))
        self.built = True

    def _statistics(self) -> tuple[np.ndarray, np.ndarray]:
        if self.input_mean is not None:
            return self._fixed
        return self.mean.data, self.variance.data

    def _adapt(self, data: np.ndarray) -> None:
        if self.input_mean is not None:
            raise ValueError(f"Normalization '{self.name}' was given its mean and variance; it cannot adapt.")
        data = data.astype(np.float64)
        if not self.built:
            self.build((None,) + data.shape[1:])
        ndim = data.ndim
        axes = tuple(a % ndim for a in self.axis)
        reduce = tuple(d for d in range(ndim) if d not in axes)
        order = axes + reduce
        flat = np.transpose(data, order).reshape(self.mean.shape + (-1,))
        self.mean.assign(np.nan_to_num(np.nanmean(flat, axis=-1)).astype(self.mean.dtype))
        self.variance.assign(np.nan_to_num(np.nanvar(flat, axis=-1), nan=1.0).astype(self.mean.dtype))
        self.count.assign(np.asarray(flat.shape[-1], np.int64))

    def call(self, inputs):
        x = inputs if inputs.dtype.kind == "f" else inputs.astype(self._dtype)
        mean_data, variance_data = self._statistics()
        mean = mean_data.reshape(self._bshape).astype(x.dtype)
        std = np.maximum(np.sqrt(variance_data), EPSILON).reshape(self._bshape).astype(x.dtype)
        if self.invert:
            return x * std + mean
        return (x - mean) * (1.0 / std)

    def compute_output_shape(self, input_shape):
        return input_shape

    def _autocast_inputs(self) -> bool:
        return True

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"axis": list(self.axis), "invert": self.invert,
                    "mean": None if self.input_mean is None else np.asarray(self.input_mean).tolist(),
                    "variance": None if self.input_variance is None else np.asarray(self.input_variance).tolist()})
        return cfg


__all__ = ["Normalization"]

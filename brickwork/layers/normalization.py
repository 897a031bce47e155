"""Batch and layer normalisation layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import constraints, initializers, regularizers
from brickwork import functions as F
from brickwork.engine.tensor import Tensor
from brickwork.layers.layer import InputSpec, Layer


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted(a % ndim for a in axes))


class _ScaleShift(Layer):
    """Shared by the normalisation layers: the learned scale gamma and shift beta."""

    def _init_scale_shift(self, center: bool, scale: bool, beta_initializer: Any, gamma_initializer: Any,
                          beta_regularizer: Any, gamma_regularizer: Any, beta_constraint: Any,
                          gamma_constraint: Any) -> None:
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def _add_scale_shift(self, shape: tuple[int, ...]) -> None:
        self.gamma = self.add_weight(shape, self.gamma_initializer, regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint, name="gamma") if self.scale else None
        self.beta = self.add_weight(shape, self.beta_initializer, regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint, name="beta") if self.center else None

    def _param(self, var: Any, fill: float, dtype: Any) -> Any:
        """``var`` reshaped to broadcast against the input (a constant when it is disabled)."""
        if var is None:
            return Tensor(np.full(self._bshape, fill, dtype))
        if var.ndim == 1 and self._bshape[-1] == var.shape[0] and all(d == 1 for d in self._bshape[:-1]):
            return var                             # the last axis: broadcasting does it, no reshape node
        return F.reshape(var, self._bshape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "axis": self.axis, "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        })
        return cfg


class BatchNormalization(_ScaleShift):
    r"""Batch normalisation (seed 002; Ioffe & Szegedy 2015).

    Training (``training=True`` and the layer trainable): normalise with the
    mini-batch mean :math:`\mu_\mathcal B` and biased variance
    :math:`\sigma^2_\mathcal B` over every axis but ``axis``, then scale and shift:
    :math:`y = \gamma (x-\mu_\mathcal B)/\sqrt{\sigma^2_\mathcal B+\epsilon} + \beta`,
    and update :math:`m \leftarrow m\cdot\text{momentum} + \mu_\mathcal B (1-\text{momentum})`
    (likewise the moving variance, with the biased :math:`\sigma^2_\mathcal B` as Keras).

    Inference: the same formula with the moving mean and variance.

    Args:
        axis: The feature axis (default -1, channels last).
        momentum: Moving-average momentum (Keras 0.99 = PyTorch ``momentum=0.01``).
        epsilon: Added to the variance (Keras 1e-3; PyTorch uses 1e-5).
        center, scale: Whether to learn :math:`\beta` / :math:`\gamma`.

    Weights (Keras order): ``gamma, beta, moving_mean, moving_variance``.
    Input shape: any; output shape: same.
    """

    def __init__(self, axis: Any = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 moving_mean_initializer: Any = "zeros", moving_variance_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, synchronized: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self._init_scale_shift(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                               gamma_regularizer, beta_constraint, gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        ndim = len(input_shape)
        self._feature_axes = _axes(self.axis, ndim)
        shape = tuple(input_shape[a] for a in self._feature_axes)
        if any(d is None for d in shape):
            raise ValueError(f"BatchNormalization '{self.name}': axis {self.axis} of input shape "
                             f"{input_shape} must be known.")
        self._reduction_axes = tuple(i for i in range(ndim) if i not in self._feature_axes)
        self._bshape = tuple(input_shape[i] if i in self._feature_axes else 1 for i in range(ndim))
        self._add_scale_shift(shape)
        self.moving_mean = self.add_weight(shape, self.moving_mean_initializer, trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape, self.moving_variance_initializer, trainable=False,
                                               name="moving_variance")
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in self._feature_axes})
        self.built = True

    def call(self, inputs, training=False, mask=None):
        gamma = self._param(self.gamma, 1.0, inputs.dtype)
        beta = self._param(self.beta, 0.0, inputs.dtype)
        if training and self.trainable:
            y, mean, var = F.batch_norm(inputs, gamma, beta, self._reduction_axes, self.epsilon)
            m = self.moving_mean.dtype.type(self.momentum)
            self.moving_mean.data *= m
            self.moving_mean.data += (1 - m) * mean.reshape(self.moving_mean.shape)
            self.moving_variance.data *= m
            self.moving_variance.data += (1 - m) * var.reshape(self.moving_variance.shape)
            return y
        mean = self.moving_mean.data.reshape(self._bshape)
        rstd = (1.0 / np.sqrt(self.moving_variance.data.reshape(self._bshape) + self.epsilon)).astype(inputs.dtype)
        return (inputs - Tensor(mean)) * Tensor(rstd) * gamma + beta

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "momentum": self.momentum,
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
        })
        return cfg


class LayerNormalization(_ScaleShift):
    r"""Layer normalisation (Ba et al. 2016): each sample is normalised over
    ``axis`` with its own mean and variance, then scaled by :math:`\gamma` and
    shifted by :math:`\beta` (seed 002). The same in training and inference.

    Args:
        axis: Axis or axes to normalise over (default -1).
        epsilon: Added to the variance (Keras 1e-3).
        center, scale: Whether to learn :math:`\beta` / :math:`\gamma`.

    Weights: ``gamma, beta`` of the normalised axes' shape.
    """

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None, gamma_constraint: Any = None,
                 rms_scaling: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if rms_scaling:
            raise NotImplementedError("LayerNormalization(rms_scaling=True) is not implemented.")
        self.axis, self.epsilon = axis, float(epsilon)
        self._init_scale_shift(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                               gamma_regularizer, beta_constraint, gamma_constraint)

    def build(self, input_shape):
        ndim = len(input_shape)
        self._norm_axes = _axes(self.axis, ndim)
        shape = tuple(input_shape[a] for a in self._norm_axes)
        self._bshape = tuple(input_shape[i] if i in self._norm_axes else 1 for i in range(ndim))
        self._add_scale_shift(shape)
        self.built = True

    def call(self, inputs):
        gamma, beta = self._param(self.gamma, 1.0, inputs.dtype), self._param(self.beta, 0.0, inputs.dtype)
        return F.layer_norm(inputs, gamma, beta, self._norm_axes, self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape


class UnitNormalization(Layer):
    r"""Scales each sample to unit L2 norm over ``axis``:
    :math:`y = x / \sqrt{\max(\sum_{axis} x^2,\ 10^{-24})}`
    (Keras: :math:`x \cdot \min(1/\sqrt{\sum x^2},\ 10^{12})`, the same).

    Args:
        axis: An int or a list of ints (default -1).

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis if isinstance(axis, int) else [int(a) for a in axis]
        self.supports_masking = True

    def call(self, inputs):
        axes = _axes(self.axis, inputs.ndim)
        square_sum = F.sum(inputs * inputs, axis=axes, keepdims=True)
        return inputs / F.sqrt(F.maximum(square_sum, np.asarray(1e-24, inputs.dtype)))

    def compute_output_shape(self, input_shape):
        for a in [self.axis] if isinstance(self.axis, int) else self.axis:
            if not -len(input_shape) <= a < len(input_shape):
                raise ValueError(f"UnitNormalization '{self.name}': axis {a} is out of range for input shape "
                                 f"{tuple(input_shape)}.")
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


class GroupNormalization(_ScaleShift):
    r"""Group normalisation (Wu & He 2018): the channels of each sample are split into ``groups``
    and each group is normalised over its channels and every non-batch axis, then scaled and
    shifted per channel. ``groups = 1`` is layer normalisation over all axes, ``groups = -1``
    (one channel per group) instance normalisation. The same in training and inference.

    .. math:: y = \gamma_c\, \frac{x - \mu_{n,g}}{\sqrt{\sigma^2_{n,g} + \epsilon}} + \beta_c

    Args:
        groups: Number of groups (default 32; must divide the channels; -1: one per channel).
        axis: The channel axis (default -1).
        epsilon: Added to the variance (default 1e-3).
        center, scale, initializers, regularizers, constraints: as ``LayerNormalization``.

    Input shape: any rank >= 2 with the channel axis known. Output shape: the input's.
    Weights: ``gamma (channels,)``, ``beta (channels,)``.
    """

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise ValueError(f"GroupNormalization '{self.name}': groups must be a positive integer or -1; "
                             f"got {groups!r}.")
        self.groups, self.axis, self.epsilon = groups, int(axis), float(epsilon)
        self._init_scale_shift(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                               gamma_regularizer, beta_constraint, gamma_constraint)

    def build(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"GroupNormalization '{self.name}': axis {self.axis} is out of range for input shape "
                             f"{tuple(input_shape)}.")
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"GroupNormalization '{self.name}': axis {self.axis} of the input must be known; got "
                             f"shape {tuple(input_shape)}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups or dim % self.groups:
            raise ValueError(f"GroupNormalization '{self.name}': groups={self.groups} must divide the {dim} "
                             f"channels of axis {self.axis} (input shape {tuple(input_shape)}).")
        self._channel_axis = self.axis % ndim
        # the grouped shape inserts the group axis before the channels: (..., groups, channels / groups, ...)
        self._bshape = tuple([1] * self._channel_axis + [self.groups, dim // self.groups]
                             + [1] * (ndim - self._channel_axis - 1))
        self._add_scale_shift((dim,))
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: dim})
        self.built = True

    def call(self, inputs):
        shape = tuple(inputs.shape)
        c = self._channel_axis
        grouped = F.reshape(inputs, shape[:c] + (self.groups, shape[c] // self.groups) + shape[c + 1:])
        axes = tuple(a for a in range(1, len(shape) + 1) if a != c)
        gamma, beta = self._param(self.gamma, 1.0, inputs.dtype), self._param(self.beta, 0.0, inputs.dtype)
        return F.reshape(F.layer_norm(grouped, gamma, beta, axes, self.epsilon), shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"groups": self.groups, "axis": self.axis})
        return cfg

"""Activation layers with Keras 3 names, arguments and config keys:
``ReLU``, ``LeakyReLU``, ``PReLU``, ``ELU`` and ``Softmax`` (with a mask).

Each is built from the differentiable primitives in :mod:`brickwork.functions`
(no new primitive), so their gradients are the primitives' hand-written ones.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from brickwork import constraints, initializers, regularizers
from brickwork import functions as F
from brickwork.backend import get_array_module
from brickwork.engine.tensor import Tensor
from brickwork.layers.core import mask_array
from brickwork.layers.layer import InputSpec, Layer


def _as_array(value: Any) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


class _Elementwise(Layer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape


class ReLU(_Elementwise):
    r"""Rectified linear unit with Keras's options:

    .. math:: f(x) = \begin{cases} \min(x, m) & x > \theta \\ 0 + s\,(x - \theta) & x \le \theta \end{cases}

    (Keras computes :math:`\mathrm{clip}(x\,[x > \theta], 0, m) - s\,\max(\theta - x, 0)`, which is this for
    :math:`\theta \ge 0`.)

    Args:
        max_value: Upper bound :math:`m` (None: unbounded). Must be >= 0.
        negative_slope: Slope :math:`s` below the threshold (default 0). Must be >= 0.
        threshold: The threshold :math:`\theta` (default 0).

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU '{self.name}': max_value must be >= 0 or None; got {max_value}.")
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"ReLU '{self.name}': negative_slope must be >= 0; got {negative_slope}.")
        if threshold is None or threshold < 0:
            raise ValueError(f"ReLU '{self.name}': threshold must be >= 0; got {threshold}.")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope, self.threshold = float(negative_slope), float(threshold)

    def call(self, inputs):
        s, theta, m = self.negative_slope, self.threshold, self.max_value
        if theta == 0 and m is None:
            return F.relu(inputs) if s == 0 else F.leaky_relu(inputs, s)
        if theta != 0:
            y = F.where(_as_array(inputs) > theta, inputs, np.zeros((), _as_array(inputs).dtype))
        else:
            y = F.relu(inputs)
        if m is not None:
            y = F.clip(y, 0.0, m)
        if s != 0:
            y = y - F.relu(theta - inputs) * s
        return y

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                    "threshold": self.threshold})
        return cfg


class LeakyReLU(_Elementwise):
    r"""Leaky ReLU: :math:`f(x) = x` for :math:`x \ge 0`, :math:`s x` otherwise.

    Args:
        negative_slope: The slope :math:`s \ge 0` (Keras 3 default 0.3). The Keras 2 name
            ``alpha`` is accepted with a deprecation warning, as Keras does.

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: the argument `alpha` is deprecated; use `negative_slope` instead.",
                          stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(f"LeakyReLU '{self.name}': negative_slope must be a float >= 0; got "
                             f"{negative_slope!r}.")
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        return F.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        cfg = super().get_config()
        cfg["negative_slope"] = self.negative_slope
        return cfg


class ELU(_Elementwise):
    r"""Exponential linear unit: :math:`f(x) = x` for :math:`x > 0`, :math:`\alpha (e^x - 1)` otherwise.

    Args:
        alpha: The scale of the negative part (default 1).

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return F.elu(inputs, self.alpha)

    def get_config(self):
        cfg = super().get_config()
        cfg["alpha"] = self.alpha
        return cfg


class PReLU(_Elementwise):
    r"""Parametric ReLU: :math:`f(x) = \max(x, 0) - \alpha \max(-x, 0)` with a learned slope
    :math:`\alpha` per element of a sample (or shared along ``shared_axes``).

    Args:
        alpha_initializer: Initializer of :math:`\alpha` (default ``'zeros'``: starts as a ReLU).
        alpha_regularizer, alpha_constraint: Penalty and projection of :math:`\alpha`.
        shared_axes: Axes (counting the batch as 0) along which one slope is shared, e.g.
            ``[1, 2]`` for one slope per channel of an image.

    Input shape: any, the non-shared axes known. Output shape: the input's.
    Weights: ``alpha`` of the input's shape without the batch, with 1 on shared axes.
    """

    def __init__(self, alpha_initializer: Any = "Zeros", alpha_regularizer: Any = None,
                 alpha_constraint: Any = None, shared_axes: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = [int(shared_axes)] if isinstance(shared_axes, int) else [int(a) for a in shared_axes]

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis < len(input_shape):
                raise ValueError(f"PReLU '{self.name}': shared axis {axis} is not a non-batch axis of an input "
                                 f"of shape {tuple(input_shape)}.")
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"PReLU '{self.name}': every non-shared axis must be known; got input shape "
                             f"{tuple(input_shape)}.")
        self.alpha = self.add_weight(tuple(shape), self.alpha_initializer, regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint, name="alpha")
        axes = {i: input_shape[i] for i in range(1, len(input_shape)) if i not in (self.shared_axes or [])}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        return F.relu(inputs) - self.alpha * F.relu(-inputs)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"alpha_initializer": initializers.serialize(self.alpha_initializer),
                    "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                    "alpha_constraint": constraints.serialize(self.alpha_constraint),
                    "shared_axes": self.shared_axes})
        return cfg


class Softmax(Layer):
    r"""Softmax over ``axis``: :math:`y_i = e^{x_i} / \sum_j e^{x_j}`.

    With a ``mask`` (broadcastable to the input; True or > 0.5 = keep), masked positions get
    :math:`-10^9` (:math:`-3\cdot 10^4` in float16) before the softmax and 0 after it, so a fully
    masked row is all zeros (Keras 3).

    Args:
        axis: An int or a list of ints (default -1); over several axes the softmax is
            :math:`\exp(x - \operatorname{logsumexp}_{axes} x)`.

    Input shape: any. Output shape: the input's.
    """

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis if isinstance(axis, int) else [int(a) for a in axis]
        self.supports_masking = True

    def call(self, inputs, mask=None):
        x = inputs
        keep = None
        if mask is not None:
            m = mask_array(mask, None)
            if m.ndim > len(x.shape) or any(a != 1 and a != b for a, b in zip(m.shape[::-1], x.shape[::-1])):
                raise ValueError(f"Softmax '{self.name}': the mask of shape {m.shape} does not broadcast to the "
                                 f"inputs of shape {tuple(x.shape)}.")
            keep = m if m.dtype == bool else m > 0.5
            data = _as_array(x)
            big = -3e4 if data.dtype == np.float16 else -1e9
            x = F.where(keep, x, get_array_module(data).asarray(big, data.dtype))
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        if len(axes) == 1:
            y = F.softmax(x, axes[0])
        else:
            axes = tuple(a % len(x.shape) for a in axes)
            shift = np.max(_as_array(x), axis=axes, keepdims=True)       # a constant: the result is exact
            e = F.exp(x - shift)
            y = e / F.sum(e, axis=axes, keepdims=True)
        if keep is not None:
            data = _as_array(y)
            y = F.where(keep, y, get_array_module(data).zeros((), data.dtype))
        return y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg

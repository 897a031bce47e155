"""Core layers: Dense, Activation, Lambda, Identity, Masking."""

from __future__ import annotations

from typing import Any

from brickwork import activations, constraints, initializers, regularizers
from brickwork import functions as F
from brickwork.backend import get_array_module
from brickwork.engine.tensor import Tensor
from brickwork.layers import validation as check
from brickwork.layers.layer import InputSpec, Layer


class Dense(Layer):
    r"""Fully connected layer: :math:`y = \phi(x W + b)` (seed 000: ``f(x) = x*w``).

    Args:
        units: Dimensionality of the output.
        activation: Activation name or callable (default: none, linear).
        use_bias: Whether to add the bias vector :math:`b`.
        kernel_initializer: Initializer of :math:`W` (``'glorot_uniform'``).
        bias_initializer: Initializer of :math:`b` (``'zeros'``).
        kernel_regularizer, bias_regularizer, activity_regularizer: Penalties.
        kernel_constraint, bias_constraint: Projections after each update.

    Input shape:
        ``(batch, ..., input_dim)``.

    Output shape:
        ``(batch, ..., units)``; the kernel acts on the last axis.

    Weights (Keras layout): ``kernel (input_dim, units)``, ``bias (units,)``.
    """

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = check.positive_int(self, "units", units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f"Dense '{self.name}': the last axis of the input must be known; got {input_shape}.")
        self.kernel = self.add_weight((in_dim, self.units), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight((self.units,), self.bias_initializer, regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, name="bias")
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})
        self.built = True

    def call(self, inputs):
        return self.activation(F.linear(inputs, self.kernel, self.bias))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "units": self.units, "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return cfg


class Activation(Layer):
    """Applies an activation function.

    Args:
        activation: Name (``'relu'``, ``'softmax'``, ...) or callable.

    Input shape: any. Output shape: same as input.
    """

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg["activation"] = activations.serialize(self.activation)
        return cfg


class Identity(Layer):
    """Returns its input unchanged."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def mask_array(mask: Any, dtype: Any = bool) -> Any:
    """The array of a Keras mask as ``dtype``: a Tensor's ``.data``, or a NumPy/CuPy array
    (or nested list) converted by the array module it belongs to."""
    data = mask.data if isinstance(mask, Tensor) else mask
    return get_array_module(data).asarray(data, dtype)


class Masking(Layer):
    """Masks time steps whose features all equal ``mask_value``.

    Input shape: ``(batch, timesteps, features)``. Output: the input with masked
    steps zeroed, carrying a ``(batch, timesteps)`` boolean mask for later layers.
    """

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        xp = get_array_module(inputs.data)
        return xp.any(inputs.data != self.mask_value, axis=-1)

    def call(self, inputs):
        xp = get_array_module(inputs.data)
        keep = xp.any(inputs.data != self.mask_value, axis=-1, keepdims=True)
        return inputs * Tensor(keep.astype(inputs.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg["mask_value"] = self.mask_value
        return cfg


class Lambda(Layer):
    """Wraps an arbitrary function of tensors as a layer.

    Args:
        function: ``f(inputs, **arguments) -> Tensor``, written with brickwork
            operations so that it is differentiable.
        output_shape: Output shape without the batch axis (inferred by running
            the function on zeros when omitted), or a function of the input shape.
        arguments: Extra keyword arguments for ``function``.

    Saving a model with a Lambda stores the function's byte code; loading it is
    refused unless ``load_model(..., safe_mode=False)`` because running stored
    code can do anything. Prefer a subclassed layer for code you share.
    """

    def __init__(self, function: Any, output_shape: Any = None, mask: Any = None,
                 arguments: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda needs a callable; got {function!r}.")
        self.function = function
        self._output_shape = output_shape
        self.mask = mask
        self.arguments = arguments or {}
        self.supports_masking = mask is not None

    def call(self, inputs, mask=None):
        return self.function(inputs, **self.arguments)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        shape = tuple(self._output_shape)
        first = input_shape[0] if isinstance(input_shape, list) else input_shape
        return (first[0],) + shape

    def get_config(self):
        from brickwork.layers.lambda_code import serialize_function

        cfg = super().get_config()
        cfg["function"] = serialize_function(self.function)
        if self._output_shape is not None and not callable(self._output_shape):
            cfg["output_shape"] = list(self._output_shape)
        cfg["arguments"] = self.arguments
        return cfg

    @classmethod
    def from_config(cls, config, safe_mode: bool = True, custom_objects: Any = None):
        from brickwork.layers.lambda_code import deserialize_function

        config = dict(config)
        config["function"] = deserialize_function(config["function"], safe_mode=safe_mode,
                                                  custom_objects=custom_objects)
        return super().from_config(config)

"""What every recurrent layer shares: sequences in, (sequences or last output)
and states out, masks, dropout, stateful operation and initial states."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import activations, constraints, initializers, regularizers
from brickwork import functions as F
from brickwork.backend import get_array_module
from brickwork.engine.random import generator
from brickwork.engine.tensor import Tensor
from brickwork.layers import validation as check
from brickwork.layers.core import mask_array
from brickwork.layers.layer import InputSpec, Layer


def activation_name(fn: Any) -> str:
    """The name of a built-in activation (the fused kernels implement these in place)."""
    return activations.serialize(fn)


class RecurrentBase(Layer):
    """Base of ``SimpleRNN``, ``LSTM`` and ``GRU``: runs a fused whole-sequence primitive.

    Common arguments (Keras): ``units``, ``activation``, ``use_bias``, the
    ``kernel_/recurrent_/bias_`` initializers, regularizers and constraints,
    ``dropout`` (on the inputs, one mask per sequence), ``recurrent_dropout``
    (on :math:`h_{t-1}` in the recurrent product, one mask per sequence),
    ``return_sequences``, ``return_state``, ``go_backwards``, ``stateful``,
    ``unroll`` (accepted and ignored: the fused kernel is always used) and
    ``bptt_truncate`` (brickwork: stop the gradient every that many steps).

    Input shape: ``(batch, timesteps, features)``. Output shape:
    ``(batch, timesteps, units)`` with ``return_sequences`` else ``(batch, units)``,
    followed by the final states when ``return_state``.
    """

    num_states = 1

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, bptt_truncate: int | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = check.positive_int(self, "units", units)
        dropout = check.rate(self, "dropout", dropout)
        recurrent_dropout = check.rate(self, "recurrent_dropout", recurrent_dropout)
        if bptt_truncate is not None:
            bptt_truncate = check.positive_int(self, "bptt_truncate", bptt_truncate)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards, self.stateful, self.unroll = go_backwards, stateful, unroll
        self.bptt_truncate, self.seed = bptt_truncate, seed
        self.input_spec = InputSpec(ndim=3)
        self.supports_masking = True
        self.states: list[np.ndarray] | None = None

    # -------------------------------------------------------------- weights
    def _add_common_weights(self, input_dim: int, gates: int, bias_shape: tuple[int, ...],
                            bias_initializer: Any = None) -> None:
        self.kernel = self.add_weight((input_dim, gates * self.units), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, gates * self.units), self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint, name="recurrent_kernel")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(bias_shape, bias_initializer or self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        name="bias")

    def build(self, input_shape):
        check.nonempty_sequence(self, input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the feature axis of the input must be known; "
                             f"got {input_shape}.")
        self.input_spec = InputSpec(ndim=3, axes={-1: input_shape[-1]})
        self._build_weights(int(input_shape[-1]))
        self.built = True

    def _build_weights(self, input_dim: int) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- call
    def _initial_states(self, inputs: Tensor, initial_state: Any) -> list[Any]:
        n = inputs.shape[0]
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(states) != self.num_states:
                raise ValueError(f"{type(self).__name__} '{self.name}' expects {self.num_states} initial state(s); "
                                 f"got {len(states)}.")
            out = []
            for s in states:
                s = s if isinstance(s, Tensor) else Tensor(np.asarray(s, inputs.dtype))
                if s.shape != (n, self.units):
                    raise ValueError(f"{type(self).__name__} '{self.name}': initial state of shape {s.shape}, "
                                     f"expected {(n, self.units)}.")
                out.append(s)
            return out
        if self.stateful and self.states is not None:
            if self.states[0].shape[0] != n:
                raise ValueError(f"Stateful {type(self).__name__} '{self.name}' was run with batch size "
                                 f"{self.states[0].shape[0]}; got {n}. Call reset_states() to change it.")
            return [Tensor(s) for s in self.states]
        xp = get_array_module(inputs.data)
        return [Tensor(xp.zeros((n, self.units), inputs.dtype)) for _ in range(self.num_states)]

    def reset_states(self, states: Any = None) -> None:
        """Forget (or set) the states kept between batches by a ``stateful`` layer."""
        self.states = None if states is None else [np.asarray(s) for s in states]

    def call(self, inputs, mask=None, training=False, initial_state=None):
        check.nonempty_sequence(self, tuple(inputs.shape))
        x = inputs
        if training and self.dropout:
            x = F.dropout(x, self.dropout, training=True, noise_shape=(x.shape[0], 1, x.shape[2]))
        rdrop = None
        if training and self.recurrent_dropout:
            keep = generator().random((x.shape[0], self.units)) >= self.recurrent_dropout
            rdrop = keep.astype(x.dtype) / (1 - self.recurrent_dropout)
        if mask is not None:
            mask = mask_array(mask)
            if mask.shape != x.shape[:2]:
                raise ValueError(f"{type(self).__name__} '{self.name}': mask of shape {mask.shape} does not match "
                                 f"the input's (batch, timesteps) {x.shape[:2]}.")
        states = self._initial_states(x, initial_state)
        options = {"go_backwards": self.go_backwards, "mask": mask, "rdrop": rdrop, "truncate": self.bptt_truncate}
        sequence, *final = self._run(x, states, options)
        if self.stateful:
            self.states = [s.data.copy() for s in final]
        output = sequence if self.return_sequences else final[0]
        if self.return_state:
            return [output] + list(final)
        return output

    def _run(self, x: Tensor, states: list[Any], options: dict[str, Any]) -> tuple[Any, ...]:
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * self.num_states
        return out

    def compute_output_shape(self, input_shape):
        n, t = input_shape[0], input_shape[1]
        out = (n, t, self.units) if self.return_sequences else (n, self.units)
        if self.return_state:
            return [out] + [(n, self.units)] * self.num_states
        return out

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "units": self.units, "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
            "return_sequences": self.return_sequences, "return_state": self.return_state,
            "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
            "seed": self.seed,
        })
        if self.bptt_truncate is not None:
            cfg["bptt_truncate"] = self.bptt_truncate
        return cfg

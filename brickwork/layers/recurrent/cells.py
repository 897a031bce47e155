"""Recurrent cells written with ordinary primitives, and the generic ``RNN(cell)`` loop.

These are the readable reference: one time step at a time, the gradient coming
from autograd. The fused layers (``LSTM``, ``GRU``, ``SimpleRNN``) compute the
same thing much faster; the tests check that both agree. Write your own cell
(``state_size`` and ``call(inputs, states, training)``) to experiment.
"""

from __future__ import annotations

from typing import Any

from brickwork import activations, initializers
from brickwork import functions as F
from brickwork.backend import get_array_module
from brickwork.engine.tensor import Tensor
from brickwork.layers import validation as check
from brickwork.layers.core import mask_array
from brickwork.layers.layer import InputSpec, Layer


class _CellBase(Layer):
    gates = 1

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = check.positive_int(self, "units", units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    @property
    def state_size(self) -> Any:
        return self.units

    def _bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], self.gates * self.units), self.kernel_initializer,
                                      name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, self.gates * self.units), self.recurrent_initializer,
                                                name="recurrent_kernel")
        self.bias = self.add_weight(self._bias_shape(), self.bias_initializer, name="bias") if self.use_bias else None
        self.built = True

    def _split(self, z: Tensor, n: int) -> list[Tensor]:
        return list(F.split(z, n, axis=-1))

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"units": self.units, "activation": activations.serialize(self.activation),
                    "use_bias": self.use_bias,
                    "kernel_initializer": initializers.serialize(self.kernel_initializer),
                    "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                    "bias_initializer": initializers.serialize(self.bias_initializer)})
        return cfg


class SimpleRNNCell(_CellBase):
    r""":math:`h_t = \phi(x_t W + h_{t-1} U + b)`; returns ``(h_t, [h_t])``."""

    def call(self, inputs, states, training=False):
        z = F.matmul(inputs, self.kernel) + F.matmul(states[0], self.recurrent_kernel)
        if self.bias is not None:
            z = z + self.bias
        h = self.activation(z)
        return h, [h]


class LSTMCell(_CellBase):
    """One LSTM step, seed 001's equations (Keras gate order ``i, f, c, o``), with the
    optional peephole and coupled-gate variants of :class:`~brickwork.layers.LSTM`."""

    def __init__(self, units: int, recurrent_activation: Any = "sigmoid", use_peepholes: bool = False,
                 coupled_gates: bool = False, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_peepholes, self.coupled_gates = use_peepholes, coupled_gates
        self.gates = 3 if coupled_gates else 4

    def get_config(self):
        cfg = super().get_config()
        cfg["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        if self.use_peepholes or self.coupled_gates:  # brickwork's variants; Keras's LSTMCell has neither
            cfg.update({"use_peepholes": self.use_peepholes, "coupled_gates": self.coupled_gates})
        return cfg

    @property
    def state_size(self) -> Any:
        return [self.units, self.units]

    def build(self, input_shape):
        super().build(input_shape)
        self.peephole_kernel = None
        if self.use_peepholes:
            self.peephole_kernel = self.add_weight((self.units, (self.gates - 1) * self.units), "glorot_uniform",
                                                   name="peephole_kernel")

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states
        z = F.matmul(inputs, self.kernel) + F.matmul(h_prev, self.recurrent_kernel)
        if self.bias is not None:
            z = z + self.bias
        sig, act = self.recurrent_activation, self.activation
        peep = self._split(self.peephole_kernel, self.gates - 1) if self.peephole_kernel is not None else None
        if self.coupled_gates:
            z_f, z_c, z_o = self._split(z, 3)
            if peep is not None:
                z_f = z_f + F.matmul(c_prev, peep[0])
            f = sig(z_f)
            c = f * c_prev + (1.0 - f) * act(z_c)
        else:
            z_i, z_f, z_c, z_o = self._split(z, 4)
            if peep is not None:
                z_i = z_i + F.matmul(c_prev, peep[0])
                z_f = z_f + F.matmul(c_prev, peep[1])
            c = sig(z_f) * c_prev + sig(z_i) * act(z_c)
        if peep is not None:
            z_o = z_o + F.matmul(c, peep[-1])
        h = sig(z_o) * act(c)
        return h, [h, c]


class GRUCell(_CellBase):
    """One GRU step (Keras gate order ``z, r, h``), ``reset_after`` as :class:`~brickwork.layers.GRU`."""

    gates = 3

    def __init__(self, units: int, recurrent_activation: Any = "sigmoid", reset_after: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"recurrent_activation": activations.serialize(self.recurrent_activation),
                    "reset_after": self.reset_after})
        return cfg

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=False):
        h_prev = states[0]
        x_z, x_r, x_h = self._split(F.matmul(inputs, self.kernel), 3)
        u_z, u_r, u_h = self._split(self.recurrent_kernel, 3)
        if self.bias is not None:
            b_in = self.bias[0] if self.reset_after else self.bias
            b_z, b_r, b_h = self._split(b_in, 3)
            x_z, x_r, x_h = x_z + b_z, x_r + b_r, x_h + b_h
        sig = self.recurrent_activation
        if self.reset_after:
            h_z, h_r, h_h = self._split(F.matmul(h_prev, self.recurrent_kernel), 3)
            if self.bias is not None:
                r_z, r_r, r_h = self._split(self.bias[1], 3)
                h_z, h_r, h_h = h_z + r_z, h_r + r_r, h_h + r_h
            z, r = sig(x_z + h_z), sig(x_r + h_r)
            cand = self.activation(x_h + r * h_h)
        else:
            z = sig(x_z + F.matmul(h_prev, u_z))
            r = sig(x_r + F.matmul(h_prev, u_r))
            cand = self.activation(x_h + F.matmul(r * h_prev, u_h))
        h = z * h_prev + (1.0 - z) * cand
        return h, [h]


class RNN(Layer):
    """Runs any cell over time with a Python loop (Keras's ``RNN(cell)``).

    Args:
        cell: An object with ``state_size`` and ``call(inputs_t, states, training) -> (output, new_states)``
            (a Layer, so its weights are tracked), or a list of cells to stack.
        return_sequences, return_state, go_backwards: As the fused layers.

    Masked steps keep the previous states and output. Slower than the fused
    layers; meant for experimentation and as their readable reference.
    """

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cell = StackedRNNCells(cell) if isinstance(cell, (list, tuple)) else cell
        self.return_sequences, self.return_state, self.go_backwards = return_sequences, return_state, go_backwards
        self.input_spec = InputSpec(ndim=3)
        self.supports_masking = True

    def _sizes(self) -> list[int]:
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [size]

    def build(self, input_shape):
        check.nonempty_sequence(self, input_shape)
        if not self.cell.built:
            self.cell.build((input_shape[0], input_shape[-1]))
            self.cell.built = True
        self.built = True

    def call(self, inputs, mask=None, training=False, initial_state=None):
        check.nonempty_sequence(self, tuple(inputs.shape))
        n, t_len = inputs.shape[0], inputs.shape[1]
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        else:
            states = [Tensor(get_array_module(inputs.data).zeros((n, s), inputs.dtype)) for s in self._sizes()]
        mask = None if mask is None else mask_array(mask)
        outputs = []
        output = None
        steps = range(t_len - 1, -1, -1) if self.go_backwards else range(t_len)
        for t in steps:
            out, new_states = self.cell.call(inputs[:, t], states, training=training)
            if mask is not None:
                keep = mask[:, t][:, None]
                new_states = [F.where(keep, s_new, s_old) for s_new, s_old in zip(new_states, states)]
                out = F.where(keep, out, output if output is not None else F.multiply(out, 0.0))
            states, output = list(new_states), out
            outputs.append(out)
        result = F.stack(outputs, axis=1) if self.return_sequences else output
        return [result] + states if self.return_state else result

    def compute_mask(self, inputs, mask=None):
        out = mask if self.return_sequences else None
        return [out] + [None] * len(self._sizes()) if self.return_state else out

    def _output_size(self) -> int:
        """Size of the output at each step: the (last) cell's first state size."""
        cell = self.cell.cells[-1] if isinstance(self.cell, StackedRNNCells) else self.cell
        size = cell.state_size
        return list(size)[0] if isinstance(size, (list, tuple)) else size

    def compute_output_shape(self, input_shape):
        sizes, units = self._sizes(), self._output_size()
        out = (input_shape[0], input_shape[1], units) if self.return_sequences else (input_shape[0], units)
        if self.return_state:
            return [out] + [(input_shape[0], s) for s in sizes]
        return out

    def get_config(self):
        from brickwork.layers.serialization import serialize_layer

        cfg = super().get_config()
        cfg.update({"cell": serialize_layer(self.cell), "return_sequences": self.return_sequences,
                    "return_state": self.return_state, "go_backwards": self.go_backwards})
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        from brickwork.layers.serialization import deserialize_layer

        config = dict(config)
        if isinstance(config["cell"], dict):  # (the Keras-file reader passes a built cell)
            config["cell"] = deserialize_layer(config["cell"], custom_objects=custom_objects, safe_mode=safe_mode)
        return super().from_config(config)


class StackedRNNCells(Layer):
    """Several cells applied one after the other at each step (a deep RNN in one loop)."""

    def __init__(self, cells: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cells = list(cells)

    def get_config(self):
        from brickwork.layers.serialization import serialize_layer

        cfg = super().get_config()
        cfg["cells"] = [serialize_layer(cell) for cell in self.cells]
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        from brickwork.layers.serialization import deserialize_layer

        config = dict(config)
        config["cells"] = [deserialize_layer(c, custom_objects=custom_objects, safe_mode=safe_mode)
                           if isinstance(c, dict) else c for c in config["cells"]]
        return super().from_config(config)

    @property
    def state_size(self) -> list[int]:
        sizes: list[int] = []
        for cell in self.cells:
            s = cell.state_size
            sizes.extend(s if isinstance(s, (list, tuple)) else [s])
        return sizes

    def build(self, input_shape):
        dim = input_shape[-1]
        for cell in self.cells:
            if not cell.built:
                cell.build((input_shape[0], dim))
                cell.built = True
            s = cell.state_size
            dim = s[0] if isinstance(s, (list, tuple)) else s
        self.built = True

    def call(self, inputs, states, training=False):
        new_states, k, x = [], 0, inputs
        for cell in self.cells:
            s = cell.state_size
            count = len(s) if isinstance(s, (list, tuple)) else 1
            x, cell_states = cell.call(x, states[k:k + count], training=training)
            new_states.extend(cell_states)
            k += count
        return x, new_states

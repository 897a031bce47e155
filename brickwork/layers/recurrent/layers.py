"""SimpleRNN, LSTM (with seed 001's peephole and coupled-gate variants) and GRU."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import activations, constraints, initializers, regularizers
from brickwork.functions.recurrent import gru_sequence, lstm_sequence, simple_rnn_sequence
from brickwork.layers.recurrent.base import RecurrentBase, activation_name


class SimpleRNN(RecurrentBase):
    r"""Fully connected recurrent layer: :math:`h_t = \tanh(x_t W + h_{t-1} U + b)`.

    Weights (Keras layout): ``kernel (input_dim, units)``, ``recurrent_kernel (units, units)``,
    ``bias (units,)``. See :class:`~brickwork.layers.recurrent.base.RecurrentBase` for the
    arguments shared by all recurrent layers.
    """

    def _build_weights(self, input_dim):
        self._add_common_weights(input_dim, 1, (self.units,))

    def _run(self, x, states, options):
        return simple_rnn_sequence(x, states[0], self.kernel, self.recurrent_kernel, self.bias,
                                   activation_name=activation_name(self.activation), **options)


class _ForgetBias(initializers.Initializer):
    """Keras's ``unit_forget_bias``: the forget gate's bias starts at 1, the others from the initializer."""

    def __init__(self, base: Any, units: int, forget_block: int, blocks: int) -> None:
        self.base, self.units, self.forget_block, self.blocks = base, units, forget_block, blocks

    def __call__(self, shape, dtype="float32"):
        values = np.asarray(self.base(shape, dtype), dtype=dtype)
        values[self.forget_block * self.units:(self.forget_block + 1) * self.units] = 1
        return values


class LSTM(RecurrentBase):
    r"""Long short-term memory (Hochreiter & Schmidhuber 1997), as seed 001 walks through it:

    .. math::
        f_t &= \sigma(W_f·[h_{t-1}, x_t] + b_f) \\
        i_t &= \sigma(W_i·[h_{t-1}, x_t] + b_i), \quad \tilde C_t = \tanh(W_C·[h_{t-1}, x_t] + b_C) \\
        C_t &= f_t * C_{t-1} + i_t * \tilde C_t \\
        o_t &= \sigma(W_o·[h_{t-1}, x_t] + b_o), \quad h_t = o_t * \tanh(C_t)

    and its variants, combinable:

    - ``use_peepholes=True``: the gates also look at the cell,
      :math:`f_t = \sigma(W_f·[C_{t-1}, h_{t-1}, x_t] + b_f)`, same for :math:`i_t`, and
      :math:`o_t = \sigma(W_o·[C_t, h_{t-1}, x_t] + b_o)` (extra weights
      ``peephole_kernel (units, 3·units)`` for ``i, f, o``);
    - ``coupled_gates=True``: forget and input are decided together,
      :math:`C_t = f_t * C_{t-1} + (1 - f_t) * \tilde C_t` (no input-gate weights).

    Args (beyond the common ones): ``recurrent_activation`` (``'sigmoid'``),
    ``unit_forget_bias`` (forget-gate bias starts at 1), ``use_peepholes``,
    ``coupled_gates``, ``peephole_initializer``.

    Weights (Keras layout, gate order ``i, f, c, o``; ``f, c, o`` when coupled):
    ``kernel (input_dim, 4·units)``, ``recurrent_kernel (units, 4·units)``, ``bias (4·units,)``.
    The whole sequence is one autograd node (:class:`~brickwork.functions.recurrent.LSTMSequence`).
    """

    num_states = 2

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 unit_forget_bias: bool = True, use_peepholes: bool = False, coupled_gates: bool = False,
                 peephole_initializer: Any = "glorot_uniform", peephole_regularizer: Any = None,
                 peephole_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.use_peepholes, self.coupled_gates = use_peepholes, coupled_gates
        self.peephole_initializer = initializers.get(peephole_initializer)
        self.peephole_regularizer = regularizers.get(peephole_regularizer)
        self.peephole_constraint = constraints.get(peephole_constraint)

    def _build_weights(self, input_dim):
        gates = 3 if self.coupled_gates else 4
        forget_block = 0 if self.coupled_gates else 1
        bias_init = _ForgetBias(self.bias_initializer, self.units, forget_block, gates) \
            if self.unit_forget_bias else None
        self._add_common_weights(input_dim, gates, (gates * self.units,), bias_init)
        self.peephole_kernel = None
        if self.use_peepholes:
            self.peephole_kernel = self.add_weight((self.units, (gates - 1) * self.units), self.peephole_initializer,
                                                   regularizer=self.peephole_regularizer,
                                                   constraint=self.peephole_constraint, name="peephole_kernel")

    def _run(self, x, states, options):
        return lstm_sequence(x, states[0], states[1], self.kernel, self.recurrent_kernel, self.bias,
                             self.peephole_kernel, coupled=self.coupled_gates,
                             activation_name=activation_name(self.activation),
                             recurrent_activation=activation_name(self.recurrent_activation), **options)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"recurrent_activation": activations.serialize(self.recurrent_activation),
                    "unit_forget_bias": self.unit_forget_bias})
        if self.use_peepholes or self.coupled_gates:
            cfg.update({"use_peepholes": self.use_peepholes, "coupled_gates": self.coupled_gates,
                        "peephole_initializer": initializers.serialize(self.peephole_initializer),
                        "peephole_regularizer": regularizers.serialize(self.peephole_regularizer),
                        "peephole_constraint": constraints.serialize(self.peephole_constraint)})
        return cfg


class GRU(RecurrentBase):
    r"""Gated recurrent unit (Cho et al. 2014; seed 002), Keras gate order ``z, r, h``:

    .. math::
        z_t = \sigma(x_t W_z + h_{t-1} U_z + b_z), \quad r_t = \sigma(x_t W_r + h_{t-1} U_r + b_r) \\
        \tilde h_t = \tanh(x_t W_h + r_t * (h_{t-1} U_h + b'_h)), \quad h_t = z_t * h_{t-1} + (1 - z_t) * \tilde h_t

    ``reset_after=True`` (Keras's default, PyTorch's GRU) applies the reset gate
    after the recurrent product and has a second, recurrent bias
    (``bias (2, 3·units)``); ``reset_after=False`` is the seed's
    :math:`\tilde h_t = \tanh(W·[r_t * h_{t-1}, x_t])` with ``bias (3·units,)``.
    The seed's :math:`z` is Keras's :math:`1 - z`.

    Weights: ``kernel (input_dim, 3·units)``, ``recurrent_kernel (units, 3·units)``, ``bias``.
    """

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def _build_weights(self, input_dim):
        bias_shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self._add_common_weights(input_dim, 3, bias_shape)

    def _run(self, x, states, options):
        return gru_sequence(x, states[0], self.kernel, self.recurrent_kernel, self.bias, reset_after=self.reset_after,
                            activation_name=activation_name(self.activation),
                            recurrent_activation=activation_name(self.recurrent_activation), **options)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"recurrent_activation": activations.serialize(self.recurrent_activation),
                    "reset_after": self.reset_after})
        return cfg

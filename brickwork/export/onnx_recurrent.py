r"""ONNX converters of the recurrent layers: ``LSTM``, ``GRU``, ``SimpleRNN`` and ``Bidirectional``.

Keras keeps each gate's weights as a column block of ``kernel (input_dim, G·units)``
and ``recurrent_kernel (units, G·units)``; ONNX wants ``W (1, G·units, input_dim)``,
``R (1, G·units, units)`` and ``B (1, 2·G·units) = [Wb, Rb]``, row blocks in its
own gate order:

* LSTM: Keras ``i, f, c, o`` → ONNX ``i, o, f, c`` (blocks 0, 3, 1, 2); Keras has
  one bias, so ``Wb`` is it (reordered) and ``Rb = 0``.
* GRU: the same order ``z, r, h`` on both sides. ``reset_after=True`` (Keras's
  default) is ONNX's ``linear_before_reset=1``,
  :math:`\tilde h_t = \tanh(x_t W_h + b_h + r_t \odot (h_{t-1} U_h + b'_h))`, with
  ``Wb = bias[0]`` and ``Rb = bias[1]``; ``reset_after=False`` is
  ``linear_before_reset=0``, :math:`\tilde h_t = \tanh(x_t W_h + (r_t \odot h_{t-1}) U_h + b_h)`,
  with ``Rb = 0``. Both update :math:`h_t = z_t h_{t-1} + (1 - z_t)\tilde h_t`.
* SimpleRNN: ONNX ``RNN`` with one block.

ONNX runs time-major ``(T, N, F)``, so the input is transposed in; ``go_backwards``
reverses it along time first (so, as in brickwork and Keras, the returned sequence is in
processing order). ``Bidirectional`` converts its two layers this way, reverses the
backward sequence back and merges them as brickwork does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import activations as A
from brickwork import layers as L
from brickwork.export.onnx_graph import OnnxGraph, UnsupportedLayerError, call_arguments, register
from brickwork.export.onnx_layers import weight

_ACTIVATIONS = {A.sigmoid: "Sigmoid", A.tanh: "Tanh", A.relu: "Relu"}
_GATE_ORDER = {L.LSTM: [0, 3, 1, 2], L.GRU: [0, 1, 2], L.SimpleRNN: [0]}
_OP = {L.LSTM: "LSTM", L.GRU: "GRU", L.SimpleRNN: "RNN"}


def _onnx_activation(layer: Any, fn: Any, what: str) -> str:
    for known, name in _ACTIVATIONS.items():
        if fn is known:
            return name
    raise UnsupportedLayerError(
        f"{type(layer).__name__} '{layer.name}': {what} {getattr(fn, '__name__', fn)!r} cannot be exported to ONNX; "
        "supported: ['relu', 'sigmoid', 'tanh'].")


def _check(layer: Any) -> None:
    cls = type(layer)
    if cls not in _OP:
        raise UnsupportedLayerError(f"{cls.__name__} '{layer.name}': only LSTM, GRU and SimpleRNN can be exported "
                                    "to ONNX as recurrent layers.")
    if layer.stateful:
        raise UnsupportedLayerError(f"{cls.__name__} '{layer.name}': stateful=True keeps states between batches, "
                                    "which an ONNX graph cannot; export a stateless copy.")
    if getattr(layer, "use_peepholes", False) or getattr(layer, "coupled_gates", False):
        raise UnsupportedLayerError(f"LSTM '{layer.name}': the peephole and coupled-gate variants cannot be exported "
                                    "to ONNX (ONNX peepholes are diagonal; brickwork's are full matrices).")


def _reorder(matrix: np.ndarray, order: list[int]) -> np.ndarray:
    """Keras column blocks ``(rows, G·u)`` → ONNX row blocks ``(G·u, rows)`` in ONNX gate order."""
    blocks = np.split(matrix, len(order), axis=-1)
    return np.concatenate([blocks[i] for i in order], axis=-1).T


def recurrent(graph: OnnxGraph, layer: Any, x: str, initial: list[str] | None) -> list[str]:
    """Run ``layer`` on the ONNX tensor ``x`` ``(N, T, F)``; return its outputs as brickwork returns them:
    ``[output]`` or ``[output, *final_states]`` with ``return_state``."""
    _check(layer)
    cls, name, units = type(layer), layer.name, layer.units
    order = _GATE_ORDER[cls]
    kernel, recurrent_kernel = weight(layer.kernel), weight(layer.recurrent_kernel)
    dtype = kernel.dtype
    zeros = np.zeros(len(order) * units, dtype)
    if layer.bias is None:
        wb, rb = zeros, zeros
    elif cls is L.GRU and layer.reset_after:
        bias = weight(layer.bias)
        wb, rb = _reorder(bias[0][None], order)[:, 0], _reorder(bias[1][None], order)[:, 0]
    else:
        wb, rb = _reorder(weight(layer.bias)[None], order)[:, 0], zeros
    inputs = [graph.transpose(x, (1, 0, 2), f"{name}/time_major")]
    if layer.go_backwards:
        inputs[0] = graph.reverse(inputs[0], 0, f"{name}/go_backwards")
    inputs += [graph.const(_reorder(kernel, order)[None], f"{name}/W"),
               graph.const(_reorder(recurrent_kernel, order)[None], f"{name}/R"),
               graph.const(np.concatenate([wb, rb])[None], f"{name}/B")]
    if initial:
        inputs += [""] + [graph.unsqueeze(s, [0], f"{name}/initial_state") for s in initial]
    act = _onnx_activation(layer, layer.activation, "activation")
    attrs: dict[str, Any] = {"hidden_size": units}
    if cls is L.SimpleRNN:
        attrs["activations"] = [act]
    else:
        rec = _onnx_activation(layer, layer.recurrent_activation, "recurrent_activation")
        attrs["activations"] = [rec, act, act] if cls is L.LSTM else [rec, act]
    if cls is L.GRU:
        attrs["linear_before_reset"] = int(layer.reset_after)
    n_states = 2 if cls is L.LSTM else 1
    outs = graph.multi(_OP[cls], inputs, name, 1 + n_states, **attrs)
    states = [graph.squeeze(s, [0], f"{name}/state") for s in outs[1:]]
    if layer.return_sequences:
        output = graph.transpose(graph.squeeze(outs[0], [1], f"{name}/seq"), (1, 0, 2), f"{name}/batch_major")
    else:
        output = states[0]
    return [output] + states if layer.return_state else [output]


def _initial_names(graph: OnnxGraph, layer: Any, node: Any) -> list[str] | None:
    initial = call_arguments(layer, node).get("initial_state")
    if initial is None:
        return None
    states = list(initial) if isinstance(initial, (list, tuple)) else [initial]
    return [graph.name(s) for s in states]


@register(L.LSTM, L.GRU, L.SimpleRNN)
def recurrent_layer(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    return recurrent(graph, layer, graph.name(node.input_tensors[0]), _initial_names(graph, layer, node))


@register(L.Bidirectional)
def bidirectional(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    initial = _initial_names(graph, layer, node)
    half = None if initial is None else len(initial) // 2
    x = graph.name(node.input_tensors[0])
    fw = recurrent(graph, layer.forward_layer, x, None if initial is None else initial[:half])
    bw = recurrent(graph, layer.backward_layer, x, None if initial is None else initial[half:])
    a, b = fw[0], bw[0]
    if layer.return_sequences:
        b = graph.reverse(b, 1, f"{layer.name}/realign")
    mode, name = layer.merge_mode, layer.name
    if mode == "concat":
        merged = [graph.op("Concat", [a, b], name, axis=-1)]
    elif mode == "sum":
        merged = [graph.op("Add", [a, b], name)]
    elif mode == "mul":
        merged = [graph.op("Mul", [a, b], name)]
    elif mode == "ave":
        half_const = graph.scalar(0.5, weight(layer.forward_layer.kernel).dtype, f"{name}/half")
        merged = [graph.op("Mul", [graph.op("Add", [a, b], name), half_const], name)]
    else:
        merged = [a, b]
    return merged + fw[1:] + bw[1:] if layer.return_state else merged

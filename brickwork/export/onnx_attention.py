r"""ONNX converter of ``MultiHeadAttention`` as plain ``MatMul``/``Softmax``/``Reshape``/``Transpose`` nodes.

For ``(B, T, E)`` queries and ``(B, S, E)`` keys/values, with :math:`h` heads:

.. math::
    Q = \mathrm{reshape}(X_q W^Q + b^Q,\ (B, T, h, d_k))^{\top(0,2,1,3)}, \quad
    K^\top = \mathrm{reshape}(X_k W^K + b^K,\ (B, S, h, d_k))^{\top(0,2,3,1)}, \quad
    V = \dots^{\top(0,2,1,3)}

    P = \mathrm{softmax}\bigl(Q K^\top / \sqrt{d_k}\bigr), \quad
    Y = \mathrm{reshape}\bigl((P V)^{\top(0,2,1,3)},\ (B, T, h\,d_v)\bigr) W^O + b^O

the kernels being brickwork's ``(E, h, d)`` / ``(h, d_v, E_out)`` weights flattened to matrices.
``use_causal_mask`` (with known lengths) becomes a constant band applied with ``Where``; padding
masks and ``attention_mask`` are not exported.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brickwork import layers as L
from brickwork.export.onnx_graph import OnnxGraph, UnsupportedLayerError, call_arguments, register
from brickwork.export.onnx_layers import weight


def _project(graph: OnnxGraph, dense: Any, x: str, hint: str) -> str:
    """A head projection (``...e,ehd->...hd`` flattened to ``...e,e(hd)->...(hd)``)."""
    kernel = weight(dense.kernel)
    n_in = int(np.prod(dense.in_dims))
    y = graph.op("MatMul", [x, graph.const(kernel.reshape(n_in, -1), f"{hint}/kernel")], hint)
    if dense.bias is not None:
        y = graph.op("Add", [y, graph.const(weight(dense.bias).reshape(-1), f"{hint}/bias")], hint)
    return y


@register(L.MultiHeadAttention)
def multi_head_attention(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    args = call_arguments(layer, node)
    name = layer.name
    for arg in ("query_mask", "value_mask", "key_mask", "attention_mask"):
        if args.get(arg) is not None:
            raise UnsupportedLayerError(f"MultiHeadAttention '{name}': {arg} cannot be exported to ONNX; export the "
                                        "model without masks (use_causal_mask is supported).")
    query, value = args["query"], args["value"]
    key = args.get("key") if args.get("key") is not None else value
    if len(query.shape) != 3 or len(value.shape) != 3:
        raise UnsupportedLayerError(f"MultiHeadAttention '{name}': only (batch, steps, features) inputs can be "
                                    f"exported to ONNX; got query {query.shape}, value {value.shape}.")
    h, dk, dv = layer.num_heads, layer.key_dim, layer.value_dim
    dtype = weight(layer.query_dense.kernel).dtype
    q = _project(graph, layer.query_dense, graph.name(query), f"{name}/query")
    k = _project(graph, layer.key_dense, graph.name(key), f"{name}/key")
    v = _project(graph, layer.value_dense, graph.name(value), f"{name}/value")
    q = graph.transpose(graph.reshape(q, (0, 0, h, dk), f"{name}/q_heads"), (0, 2, 1, 3), f"{name}/q")
    k = graph.transpose(graph.reshape(k, (0, 0, h, dk), f"{name}/k_heads"), (0, 2, 3, 1), f"{name}/k")
    v = graph.transpose(graph.reshape(v, (0, 0, h, dv), f"{name}/v_heads"), (0, 2, 1, 3), f"{name}/v")
    logits = graph.op("MatMul", [q, k], f"{name}/scores")
    logits = graph.op("Mul", [logits, graph.scalar(1.0 / math.sqrt(float(dk)), dtype, f"{name}/scale")], name)
    band = _band(layer, bool(args.get("use_causal_mask", False)), query.shape[1], value.shape[1])
    if band is not None:
        logits = graph.op("Where", [graph.const(band, f"{name}/causal"), logits,
                                    graph.scalar(-np.inf, dtype, f"{name}/neg_inf")], name)
    probs = graph.op("Softmax", [logits], f"{name}/probs", axis=-1)
    context = graph.op("MatMul", [probs, v], f"{name}/context")
    context = graph.reshape(graph.transpose(context, (0, 2, 1, 3), f"{name}/merge"), (0, 0, h * dv), name)
    out = _project(graph, layer.output_dense, context, f"{name}/attention_output")
    out_dims = tuple(layer.output_dense.out_dims)
    if len(out_dims) > 1:
        out = graph.reshape(out, (0, 0) + out_dims, f"{name}/output_shape")
    return [out, probs] if args.get("return_attention_scores") else [out]


def _band(layer: Any, causal: bool, t: Any, s: Any) -> np.ndarray | None:
    """The constant keep-mask ``(T, S)`` of ``use_causal_mask`` and ``sliding_window``, or None."""
    if not causal and layer.sliding_window is None:
        return None
    if t is None or s is None:
        raise UnsupportedLayerError(f"MultiHeadAttention '{layer.name}': use_causal_mask / sliding_window need known "
                                    f"sequence lengths to be exported to ONNX; got {t} and {s}.")
    rows, cols = np.arange(t)[:, None], np.arange(s)[None, :]
    keep = np.ones((t, s), bool)
    if causal:
        keep &= rows >= cols
    if layer.sliding_window is not None:
        keep &= np.abs(rows - cols) < layer.sliding_window
    return keep

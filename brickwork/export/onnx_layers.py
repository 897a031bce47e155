"""ONNX converters of the feed-forward layers: one function per layer class.

Each converter follows brickwork's own ``call`` (and so Keras's semantics) with
ONNX operators: the weights become initializers, channels-last convolutions
and poolings run ONNX's NCHW operators between two ``Transpose`` nodes, and
the layers that act only in training (``Dropout`` and its kin) become nothing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brickwork import activations as A
from brickwork import layers as L
from brickwork.backend import to_numpy
from brickwork.export.onnx_graph import OnnxGraph, UnsupportedLayerError, onnx_dtype, register
from brickwork.functions import conv_utils as cu
from brickwork.functions.activations import SELU
from brickwork.layers.preprocessing.imputation import Imputation
from brickwork.layers.preprocessing.normalization import EPSILON, Normalization


def first(graph: OnnxGraph, node: Any) -> str:
    """The ONNX name of the node's first symbolic input."""
    return graph.name(node.input_tensors[0])


def in_shape(node: Any) -> tuple[Any, ...]:
    return tuple(node.input_tensors[0].shape)


def weight(var: Any) -> np.ndarray:
    return to_numpy(var.data)


# ----------------------------------------------------------------- activations
def _gelu(graph: OnnxGraph, x: str, dtype: Any, hint: str) -> str:
    if graph.opset >= 20:
        return graph.op("Gelu", [x], hint)
    scaled = graph.op("Mul", [x, graph.scalar(1 / math.sqrt(2.0), dtype, f"{hint}/rsqrt2")], hint)
    one_plus = graph.op("Add", [graph.op("Erf", [scaled], hint), graph.scalar(1.0, dtype, f"{hint}/one")], hint)
    return graph.op("Mul", [graph.op("Mul", [x, one_plus], hint), graph.scalar(0.5, dtype, f"{hint}/half")], hint)


def _silu(graph: OnnxGraph, x: str, dtype: Any, hint: str) -> str:
    return graph.op("Mul", [x, graph.op("Sigmoid", [x], hint)], hint)


def _relu6(graph: OnnxGraph, x: str, dtype: Any, hint: str) -> str:
    return graph.op("Clip", [x, graph.scalar(0, dtype, f"{hint}/lo"), graph.scalar(6, dtype, f"{hint}/hi")], hint)


_SIMPLE = {A.relu: ("Relu", {}), A.sigmoid: ("Sigmoid", {}), A.tanh: ("Tanh", {}), A.elu: ("Elu", {"alpha": 1.0}),
           A.selu: ("Selu", {"alpha": SELU.alpha, "gamma": SELU.scale}), A.leaky_relu: ("LeakyRelu", {"alpha": 0.2}),
           A.softplus: ("Softplus", {}), A.softsign: ("Softsign", {}), A.exponential: ("Exp", {}),
           A.hard_sigmoid: ("HardSigmoid", {"alpha": 1 / 6, "beta": 0.5}),
           A.softmax: ("Softmax", {"axis": -1}), A.log_softmax: ("LogSoftmax", {"axis": -1})}
_COMPOSED = {A.gelu: _gelu, A.silu: _silu, A.relu6: _relu6}

ACTIVATION_NAMES = sorted(["linear", "relu", "sigmoid", "tanh", "elu", "selu", "leaky_relu", "softplus", "softsign",
                           "exponential", "hard_sigmoid", "softmax", "log_softmax", "gelu", "silu", "swish", "relu6"])


def activation(graph: OnnxGraph, fn: Any, x: str, dtype: Any, layer: Any) -> str:
    """Apply a brickwork activation function (``layer.activation``) to ``x``."""
    if fn is A.linear:
        return x
    hint = f"{layer.name}/act"
    if fn in _SIMPLE:
        op_type, attrs = _SIMPLE[fn]
        return graph.op(op_type, [x], hint, **attrs)
    if fn in _COMPOSED:
        return _COMPOSED[fn](graph, x, dtype, hint)
    raise UnsupportedLayerError(
        f"{type(layer).__name__} '{layer.name}': activation {getattr(fn, '__name__', fn)!r} cannot be exported to "
        f"ONNX; supported activations: {ACTIVATION_NAMES}.")


# ----------------------------------------------------------------------- core
@register(L.Dense)
def dense(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    kernel = weight(layer.kernel)
    y = graph.op("MatMul", [first(graph, node), graph.const(kernel, f"{layer.name}/kernel")], layer.name)
    if layer.bias is not None:
        y = graph.op("Add", [y, graph.const(weight(layer.bias), f"{layer.name}/bias")], layer.name)
    return [activation(graph, layer.activation, y, kernel.dtype, layer)]


@register(L.Activation)
def activation_layer(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    return [activation(graph, layer.activation, first(graph, node), node.input_tensors[0].dtype, layer)]


@register(L.Identity, L.Dropout, L.SpatialDropout1D, L.SpatialDropout2D, L.GaussianNoise, L.GaussianDropout,
          L.ActivityRegularization)
def passthrough(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    """Training-only layers are the identity at inference: no node at all."""
    return [first(graph, node)]


@register(L.ReLU)
def relu_layer(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    x, dtype, name = first(graph, node), node.input_tensors[0].dtype, layer.name
    s, theta, m = layer.negative_slope, layer.threshold, layer.max_value
    if theta == 0 and m is None:
        return [graph.op("Relu", [x], name) if s == 0 else graph.op("LeakyRelu", [x], name, alpha=s)]
    if theta != 0:
        above = graph.op("Greater", [x, graph.scalar(theta, dtype, f"{name}/theta")], name)
        y = graph.op("Where", [above, x, graph.scalar(0, dtype, f"{name}/zero")], name)
    else:
        y = graph.op("Relu", [x], name)
    if m is not None:
        y = graph.op("Clip", [y, graph.scalar(0, dtype, f"{name}/lo"), graph.scalar(m, dtype, f"{name}/hi")], name)
    if s != 0:
        below = graph.op("Relu", [graph.op("Sub", [graph.scalar(theta, dtype, f"{name}/theta"), x], name)], name)
        y = graph.op("Sub", [y, graph.op("Mul", [below, graph.scalar(s, dtype, f"{name}/slope")], name)], name)
    return [y]


@register(L.LeakyReLU)
def leaky_relu_layer(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    return [graph.op("LeakyRelu", [first(graph, node)], layer.name, alpha=layer.negative_slope)]


@register(L.ELU)
def elu_layer(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    return [graph.op("Elu", [first(graph, node)], layer.name, alpha=layer.alpha)]


@register(L.PReLU)
def prelu_layer(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    return [graph.op("PRelu", [first(graph, node), graph.const(weight(layer.alpha), f"{layer.name}/alpha")],
                     layer.name)]


@register(L.Softmax)
def softmax_layer(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    if not isinstance(layer.axis, int) and len(layer.axis) != 1:
        raise UnsupportedLayerError(f"Softmax '{layer.name}': a softmax over several axes {layer.axis} cannot be "
                                    "exported to ONNX; use one axis.")
    axis = layer.axis if isinstance(layer.axis, int) else layer.axis[0]
    return [graph.op("Softmax", [first(graph, node)], layer.name, axis=axis)]


# ----------------------------------------------------------- convolution/pool
def _explicit_pads(padding: str, spatial: tuple[Any, ...], kernel: tuple[int, ...], strides: tuple[int, ...],
                   dilation: tuple[int, ...]) -> dict[str, Any]:
    """ONNX ``pads`` (all begins, then all ends) for Keras's padding, or ``auto_pad=SAME_UPPER``
    (TensorFlow's 'same': the extra cell at the end) when a spatial size is unknown."""
    if padding == "same" and any(n is None for n in spatial):
        return {"auto_pad": "SAME_UPPER"}
    pairs = cu.conv_pads(padding, tuple(spatial), kernel, strides, dilation)
    return {"pads": [p[0] for p in pairs] + [p[1] for p in pairs]}


def _to_nchw(graph: OnnxGraph, x: str, rank: int, data_format: str, hint: str) -> str:
    if data_format == "channels_first":
        return x
    return graph.transpose(x, (0, rank + 1) + tuple(range(1, rank + 1)), f"{hint}/to_nchw")


def _from_nchw(graph: OnnxGraph, y: str, rank: int, data_format: str, hint: str) -> str:
    if data_format == "channels_first":
        return y
    return graph.transpose(y, (0,) + tuple(range(2, rank + 2)) + (1,), f"{hint}/to_nhwc")


def _spatial(node: Any, data_format: str) -> tuple[Any, ...]:
    spatial, _ = cu.spatial_and_channels(in_shape(node), data_format)
    return tuple(spatial)


def _onnx_kernel(kernel: np.ndarray) -> np.ndarray:
    """Keras ``(k..., in / groups, out)`` to ONNX ``(out, in / groups, k...)``."""
    rank = kernel.ndim - 2
    return np.transpose(kernel, (rank + 1, rank) + tuple(range(rank)))


def _conv(graph: OnnxGraph, layer: Any, x: str, kernel: np.ndarray, bias: Any, groups: int, node: Any,
          hint: str) -> str:
    inputs = [x, graph.const(_onnx_kernel(kernel), f"{hint}/kernel")]
    if bias is not None:
        inputs.append(graph.const(weight(bias), f"{hint}/bias"))
    pads = _explicit_pads(layer.padding, _spatial(node, layer.data_format), layer.kernel_size, layer.strides,
                          layer.dilation_rate)
    return graph.op("Conv", inputs, hint, kernel_shape=list(kernel.shape[:-2]), strides=list(layer.strides),
                    dilations=list(layer.dilation_rate), group=groups, **pads)


@register(L.Conv1D, L.Conv2D, L.DepthwiseConv2D, L.SeparableConv2D)
def convolution(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    rank, name = layer.rank, layer.name
    x = _to_nchw(graph, first(graph, node), rank, layer.data_format, name)
    if isinstance(layer, L.SeparableConv2D):
        dw = weight(layer.depthwise_kernel)
        kh, kw, c, m = dw.shape
        y = _conv(graph, layer, x, dw.reshape(kh, kw, 1, c * m), None, c, node, f"{name}/depthwise")
        pw = weight(layer.pointwise_kernel)
        y = graph.op("Conv", [y, graph.const(_onnx_kernel(pw), f"{name}/pointwise"),
                              *([graph.const(weight(layer.bias), f"{name}/bias")] if layer.bias is not None else [])],
                     f"{name}/pointwise", kernel_shape=[1, 1])
        dtype = pw.dtype
    elif isinstance(layer, L.DepthwiseConv2D):
        k = weight(layer.kernel)
        kh, kw, c, m = k.shape
        y = _conv(graph, layer, x, k.reshape(kh, kw, 1, c * m), layer.bias, c, node, name)
        dtype = k.dtype
    else:
        k = weight(layer.kernel)
        y = _conv(graph, layer, x, k, layer.bias, layer.groups, node, name)
        dtype = k.dtype
    y = activation(graph, layer.activation, y, dtype, layer)
    return [_from_nchw(graph, y, rank, layer.data_format, name)]


@register(L.MaxPooling1D, L.MaxPooling2D, L.AveragePooling1D, L.AveragePooling2D)
def pooling(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    rank, name = layer.rank, layer.name
    x = _to_nchw(graph, first(graph, node), rank, layer.data_format, name)
    pads = _explicit_pads(layer.padding, _spatial(node, layer.data_format), layer.pool_size, layer.strides,
                          (1,) * rank)
    op_type = "MaxPool" if layer.mode == "max" else "AveragePool"
    extra = {} if layer.mode == "max" else {"count_include_pad": 0}
    y = graph.op(op_type, [x], name, kernel_shape=list(layer.pool_size), strides=list(layer.strides), **pads, **extra)
    return [_from_nchw(graph, y, rank, layer.data_format, name)]


@register(L.GlobalMaxPooling1D, L.GlobalMaxPooling2D, L.GlobalAveragePooling1D, L.GlobalAveragePooling2D)
def global_pooling(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    op_type = "ReduceMax" if layer.mode == "max" else "ReduceMean"
    return [graph.reduce(op_type, first(graph, node), layer._axes(), layer.keepdims, layer.name)]


# ------------------------------------------------------------------ reshaping
@register(L.Flatten)
def flatten(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    x, ndim = first(graph, node), len(in_shape(node))
    if layer.data_format == "channels_first" and ndim > 2:
        x = graph.transpose(x, (0,) + tuple(range(2, ndim)) + (1,), layer.name)
    return [graph.op("Flatten", [x], layer.name, axis=1)]


@register(L.Reshape)
def reshape(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    return [graph.reshape(first(graph, node), (0,) + tuple(layer.target_shape), layer.name)]


@register(L.Permute)
def permute(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    return [graph.transpose(first(graph, node), (0,) + tuple(layer.dims), layer.name)]


@register(L.RepeatVector)
def repeat_vector(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    x = graph.unsqueeze(first(graph, node), [1], layer.name)
    return [graph.op("Tile", [x, graph.ints([1, layer.n, 1], f"{layer.name}/repeats")], layer.name)]


# -------------------------------------------------------------- normalisation
@register(L.BatchNormalization)
def batch_normalization(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    """Inference: ``(x - moving_mean) * rstd * gamma + beta``, with brickwork's rounding of ``rstd``."""
    name, bshape = layer.name, layer._bshape
    mean = weight(layer.moving_mean)
    dtype = np.dtype(node.input_tensors[0].dtype)
    rstd = (1.0 / np.sqrt(weight(layer.moving_variance).reshape(bshape) + layer.epsilon)).astype(dtype)
    y = graph.op("Sub", [first(graph, node), graph.const(mean.reshape(bshape), f"{name}/moving_mean", dtype)], name)
    y = graph.op("Mul", [y, graph.const(rstd, f"{name}/rstd")], name)
    if layer.gamma is not None:
        y = graph.op("Mul", [y, graph.const(weight(layer.gamma).reshape(bshape), f"{name}/gamma", dtype)], name)
    if layer.beta is not None:
        y = graph.op("Add", [y, graph.const(weight(layer.beta).reshape(bshape), f"{name}/beta", dtype)], name)
    return [y]


@register(L.LayerNormalization)
def layer_normalization(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    name, shape = layer.name, in_shape(node)
    dtype = np.dtype(node.input_tensors[0].dtype)
    axes = tuple(layer._norm_axes)
    x = first(graph, node)
    gamma = weight(layer.gamma) if layer.gamma is not None else None
    beta = weight(layer.beta) if layer.beta is not None else None
    if axes == tuple(range(axes[0], len(shape))):  # a trailing block: ONNX's own operator
        norm_shape = tuple(shape[a] for a in axes)
        scale = np.ones(norm_shape, dtype) if gamma is None else gamma.reshape(norm_shape)
        inputs = [x, graph.const(scale, f"{name}/gamma", dtype)]
        if beta is not None:
            inputs.append(graph.const(beta.reshape(norm_shape), f"{name}/beta", dtype))
        return [graph.op("LayerNormalization", inputs, name, axis=axes[0], epsilon=layer.epsilon)]
    mean = graph.reduce("ReduceMean", x, axes, True, f"{name}/mean")
    centred = graph.op("Sub", [x, mean], name)
    var = graph.reduce("ReduceMean", graph.op("Mul", [centred, centred], name), axes, True, f"{name}/var")
    std = graph.op("Sqrt", [graph.op("Add", [var, graph.scalar(layer.epsilon, dtype, f"{name}/eps")], name)], name)
    y = graph.op("Div", [centred, std], name)
    if gamma is not None:
        y = graph.op("Mul", [y, graph.const(gamma.reshape(layer._bshape), f"{name}/gamma", dtype)], name)
    if beta is not None:
        y = graph.op("Add", [y, graph.const(beta.reshape(layer._bshape), f"{name}/beta", dtype)], name)
    return [y]


def float_input(graph: OnnxGraph, layer: Any, node: Any) -> tuple[str, np.dtype]:
    """The layer's first input, cast to the layer's float dtype when it arrives as integers; and that dtype."""
    x = first(graph, node)
    in_dtype = np.dtype(node.input_tensors[0].dtype)
    dtype = in_dtype if in_dtype.kind == "f" else np.dtype(layer.dtype)
    if in_dtype != dtype:
        x = graph.op("Cast", [x], layer.name, to=onnx_dtype(dtype))
    return x, dtype


@register(Normalization)
def normalization(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    """The preprocessing ``Normalization``: ``(x - mean) * (1 / max(std, eps))`` (or its inverse)."""
    name = layer.name
    x, dtype = float_input(graph, layer, node)
    mean_data, variance_data = layer._statistics()
    mean = to_numpy(mean_data).reshape(layer._bshape).astype(dtype)
    std = np.maximum(np.sqrt(to_numpy(variance_data)), EPSILON).reshape(layer._bshape).astype(dtype)
    if layer.invert:
        y = graph.op("Mul", [x, graph.const(std, f"{name}/std")], name)
        return [graph.op("Add", [y, graph.const(mean, f"{name}/mean")], name)]
    y = graph.op("Sub", [x, graph.const(mean, f"{name}/mean")], name)
    return [graph.op("Mul", [y, graph.const((1.0 / std).astype(dtype), f"{name}/inv_std")], name)]


# ------------------------------------------------------------------ embedding
@register(L.Embedding)
def embedding(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    x = first(graph, node)
    dtype = np.dtype(node.input_tensors[0].dtype)
    if dtype.kind not in "iu" or dtype not in (np.int32, np.int64):
        x = graph.op("Cast", [x], layer.name, to=onnx_dtype(np.int64))
    return [graph.op("Gather", [graph.const(weight(layer.embeddings), f"{layer.name}/embeddings"), x], layer.name,
                     axis=0)]


# ---------------------------------------------------------------------- merge
def _chain(graph: OnnxGraph, op_type: str, names: list[str], hint: str) -> str:
    out = names[0]
    for other in names[1:]:
        out = graph.op(op_type, [out, other], hint)
    return out


@register(L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum, L.Minimum)
def merge(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    names = [graph.name(t) for t in node.input_tensors]
    op_type = {L.Add: "Add", L.Subtract: "Sub", L.Multiply: "Mul", L.Average: "Add", L.Maximum: "Max",
               L.Minimum: "Min"}[type(layer)]
    out = _chain(graph, op_type, names, layer.name)
    if isinstance(layer, L.Average):
        dtype = np.dtype(node.input_tensors[0].dtype)
        out = graph.op("Mul", [out, graph.scalar(1.0 / len(names), dtype, f"{layer.name}/inv_n")], layer.name)
    return [out]


@register(L.Concatenate)
def concatenate(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    return [graph.op("Concat", [graph.name(t) for t in node.input_tensors], layer.name, axis=layer.axis)]


@register(L.Masking)
def masking(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    """The values of ``Masking`` (masked steps zeroed); a layer that would *use* the mask is refused
    by the exporter."""
    x, name = first(graph, node), layer.name
    dtype = np.dtype(node.input_tensors[0].dtype)
    differs = graph.op("Not", [graph.op("Equal", [x, graph.scalar(layer.mask_value, dtype, f"{name}/value")], name)],
                       name)
    keep = graph.reduce("ReduceMax", graph.op("Cast", [differs], name, to=onnx_dtype(dtype)), [-1], True, name)
    return [graph.op("Mul", [x, keep], name)]


@register(Imputation)
def imputation(graph: OnnxGraph, layer: Any, node: Any) -> list[str]:
    """Inference: NaN replaced by the fill values, then (``add_indicator``) the 0/1 missing indicators appended."""
    name = layer.name
    x, dtype = float_input(graph, layer, node)
    missing = graph.op("IsNaN", [x], name)
    filled = graph.op("Where", [missing, graph.const(weight(layer.fill), f"{name}/fill", dtype), x], name)
    if not layer.add_indicator:
        return [filled]
    indicator = graph.op("Cast", [missing], name, to=onnx_dtype(dtype))
    return [graph.op("Concat", [filled, indicator], name, axis=-1)]

"""The ONNX graph under construction, and the registry of per-layer converters.

:class:`OnnxGraph` collects nodes and initializers (the weights, as constant
tensors) while :mod:`brickwork.export.onnx_export` walks a model's layer
graph. It hides the few operator signatures that changed between the opsets
brickwork writes (17 to 21): the reductions ``ReduceMean``/``ReduceMax``
take their axes as an attribute up to opset 17 and as an input from opset 18.

A converter is ``fn(graph, layer, node) -> list[str]``: it reads the ONNX
names of the node's symbolic inputs with :meth:`OnnxGraph.name`, emits nodes,
and returns one ONNX name per symbolic output of the node, in order.
Tensors keep brickwork's layout (channels last) between layers; a converter
that needs another layout (the NCHW convolutions) transposes in and out.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from brickwork.backend import to_numpy
from brickwork.layers.symbolic import SymbolicTensor

Converter = Callable[["OnnxGraph", Any, Any], list[str]]

CONVERTERS: dict[type, Converter] = {}

INT64_MIN = np.iinfo(np.int64).min


def register(*classes: type) -> Callable[[Converter], Converter]:
    """Register ``fn`` as the converter of exactly these layer classes (subclasses are not matched:
    a subclass may compute something else)."""

    def wrap(fn: Converter) -> Converter:
        for cls in classes:
            CONVERTERS[cls] = fn
        return fn

    return wrap


def supported_layer_names() -> list[str]:
    """The names of the layer classes a converter is registered for, sorted."""
    return sorted({cls.__name__ for cls in CONVERTERS})


class UnsupportedLayerError(ValueError):
    """A layer (or a layer option) that the ONNX exporter cannot express."""


class OnnxGraph:
    """Nodes, initializers and the symbolic-tensor -> ONNX-name map of one graph being built.

    Args:
        opset: The default-domain opset the graph is written for.
    """

    def __init__(self, opset: int) -> None:
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._names: dict[int, str] = {}
        self._used: set[str] = set()

    # ------------------------------------------------------------- naming
    def fresh(self, hint: str) -> str:
        """A new tensor name based on ``hint``, unique in the graph."""
        base = "".join(c if c.isalnum() or c in "_./" else "_" for c in hint) or "t"
        name, k = base, 0
        while name in self._used:
            k += 1
            name = f"{base}_{k}"
        self._used.add(name)
        return name

    def reserve(self, name: str) -> None:
        """Mark a name (a graph input) as taken."""
        self._used.add(name)

    def name(self, sym: SymbolicTensor) -> str:
        """The ONNX name holding the value of a symbolic tensor."""
        return self._names[id(sym)]

    def bind(self, sym: SymbolicTensor, name: str) -> None:
        """Record that ``name`` holds the value of ``sym``."""
        self._names[id(sym)] = name

    # ------------------------------------------------------------ tensors
    def const(self, value: Any, hint: str, dtype: Any = None) -> str:
        """Add a constant (an initializer) and return its name."""
        array = to_numpy(getattr(value, "data", value))
        array = np.ascontiguousarray(array if dtype is None else array.astype(dtype))
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def ints(self, values: Sequence[int], hint: str = "shape") -> str:
        """An int64 1-D constant (shapes, axes, slice bounds)."""
        return self.const(np.asarray(list(values), np.int64), hint)

    def op(self, op_type: str, inputs: Sequence[str], hint: str, **attrs: Any) -> str:
        """Emit one single-output node; return its output's name."""
        return self.multi(op_type, inputs, hint, 1, **attrs)[0]

    def multi(self, op_type: str, inputs: Sequence[str], hint: str, n_out: int, **attrs: Any) -> list[str]:
        """Emit one node with ``n_out`` outputs; return their names."""
        outputs = [self.fresh(f"{hint}/{op_type}" if n_out == 1 else f"{hint}/{op_type}_{i}") for i in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outputs, name=self.fresh(f"{hint}/{op_type}_node"),
                                           **attrs))
        return outputs

    # ------------------------------------------------------------ helpers
    def transpose(self, x: str, perm: Sequence[int], hint: str) -> str:
        return self.op("Transpose", [x], hint, perm=list(perm))

    def reshape(self, x: str, shape: Sequence[int], hint: str) -> str:
        """Reshape with ONNX's conventions: 0 copies the input's size (the batch), -1 is inferred."""
        return self.op("Reshape", [x, self.ints(shape, f"{hint}/shape")], hint)

    def squeeze(self, x: str, axes: Sequence[int], hint: str) -> str:
        return self.op("Squeeze", [x, self.ints(axes, f"{hint}/axes")], hint)

    def unsqueeze(self, x: str, axes: Sequence[int], hint: str) -> str:
        return self.op("Unsqueeze", [x, self.ints(axes, f"{hint}/axes")], hint)

    def reverse(self, x: str, axis: int, hint: str) -> str:
        """``x`` with ``axis`` reversed (a Slice with step -1)."""
        return self.op("Slice", [x, self.ints([-1], f"{hint}/start"), self.ints([INT64_MIN], f"{hint}/end"),
                                 self.ints([axis], f"{hint}/axis"), self.ints([-1], f"{hint}/step")], hint)

    def reduce(self, op_type: str, x: str, axes: Sequence[int], keepdims: bool, hint: str) -> str:
        """``ReduceMean``/``ReduceMax``/``ReduceSum``/... over ``axes``, in the form the opset wants."""
        axes_as_input = op_type == "ReduceSum" or self.opset >= 18
        if axes_as_input:
            return self.op(op_type, [x, self.ints(axes, f"{hint}/axes")], hint, keepdims=int(keepdims))
        return self.op(op_type, [x], hint, axes=list(axes), keepdims=int(keepdims))

    def scalar(self, value: float, dtype: Any, hint: str) -> str:
        """A 0-d constant of ``dtype``."""
        return self.const(np.asarray(value, dtype), hint)


def call_arguments(layer: Any, node: Any) -> dict[str, Any]:
    """The arguments of the recorded call ``layer(*node.args, **node.kwargs)`` by parameter name
    (symbolic tensors in place; defaults not filled in)."""
    bound = inspect.signature(type(layer).call).bind(layer, *node.args, **node.kwargs)
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(inspect.signature(type(layer).call).parameters)), None)
    extra = arguments.pop("kwargs", None)
    if isinstance(extra, dict):
        arguments.update(extra)
    return arguments


def onnx_dtype(dtype: Any) -> int:
    """The ``TensorProto`` element type of a NumPy dtype."""
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def value_info(name: str, sym: SymbolicTensor, batch: str = "batch") -> onnx.ValueInfoProto:
    """A graph input/output declaration: the batch axis symbolic (``batch``), other unknown axes
    symbolic too (named after the tensor and axis), known axes fixed."""
    dims: list[Any] = []
    for i, d in enumerate(sym.shape):
        if i == 0:
            dims.append(batch)
        else:
            dims.append(f"{name}_dim{i}" if d is None else int(d))
    return helper.make_tensor_value_info(name, onnx_dtype(sym.dtype), dims)


__all__ = ["CONVERTERS", "OnnxGraph", "UnsupportedLayerError", "call_arguments", "onnx_dtype", "register",
           "supported_layer_names", "value_info"]

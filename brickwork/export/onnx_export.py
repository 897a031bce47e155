"""``to_onnx(model, path)``: a Sequential or Functional brickwork model as an ONNX file.

The exporter walks the model's recorded layer graph (the nodes
:func:`brickwork.models.functional.topological_nodes` orders), hands each
layer call to the converter registered for its class (see
:mod:`brickwork.export.onnx_layers`, :mod:`~brickwork.export.onnx_recurrent`
and :mod:`~brickwork.export.onnx_attention`), descends into nested models, and
assembles an ONNX ``ModelProto`` whose inputs and outputs have a symbolic
batch axis named ``batch``.

The opset *and* the IR version are written explicitly: ``onnx.helper.make_model``
would otherwise stamp the newest IR version the installed ``onnx`` knows, which
older ``onnxruntime`` releases refuse to load.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

# opset -> the IR version that introduced it (onnx's VERSION_TABLE), pinned here on purpose
IR_VERSIONS = {17: 8, 18: 8, 19: 9, 20: 9, 21: 10}
SUPPORTED_OPSETS = tuple(sorted(IR_VERSIONS))
DEFAULT_OPSET = 17

# layers whose call takes a mask but whose inference values do not depend on it
_MASK_FREE_AT_INFERENCE = frozenset({"BatchNormalization"})
_FLOAT32_ONLY_IN_ORT = frozenset({"Conv", "LSTM", "GRU", "RNN", "Erf"})


def _check_opset(opset: Any) -> int:
    if isinstance(opset, bool) or not isinstance(opset, int) or opset not in IR_VERSIONS:
        raise ValueError(f"to_onnx: opset must be one of {list(SUPPORTED_OPSETS)} (ONNX default domain); "
                         f"got opset={opset!r}.")
    return opset


def _check_model(model: Any) -> None:
    from brickwork.models.functional import Functional
    from brickwork.models.sequential import Sequential

    if not isinstance(model, (Functional, Sequential)):
        raise TypeError(f"to_onnx: only Sequential and Functional models have a layer graph to export; got "
                        f"{type(model).__name__} {getattr(model, 'name', '')!r}. Rebuild a subclassed model with the "
                        "Functional API (Model(inputs, outputs)).")
    if not model.inputs or not model.outputs:
        raise ValueError(f"to_onnx: model '{model.name}' is not built, so its input shape is unknown. Give the first "
                         "layer input_shape=..., start with an Input, or call the model on data (e.g. predict) first.")


def _unsupported(layer: Any, why: str = "") -> Exception:
    from brickwork.export.onnx_graph import UnsupportedLayerError, supported_layer_names

    reason = why or "has no ONNX converter"
    return UnsupportedLayerError(
        f"to_onnx: layer '{layer.name}' of class {type(layer).__name__} {reason}. Supported layers: "
        f"{supported_layer_names()}, plus nested Sequential/Functional models.")


def _check_masks(layer: Any, node: Any) -> None:
    """Refuse a layer whose values would depend on a Keras mask reaching it (ONNX has no masks)."""
    if type(layer).__name__ in _MASK_FREE_AT_INFERENCE:
        return
    if not any(getattr(t, "_keras_mask", None) is not None for t in node.input_tensors):
        return
    params = inspect.signature(type(layer).call).parameters
    if any(p == "mask" or p.endswith("_mask") for p in params):
        raise _unsupported(layer, "would use a mask (from Embedding(mask_zero=True) or Masking), and masks cannot "
                                  "be exported to ONNX")


def _emit(graph: Any, model: Any, input_names: list[str]) -> list[str]:
    """Emit the nodes of ``model`` fed by ``input_names``; return the names of its outputs."""
    from brickwork.export.onnx_graph import CONVERTERS
    from brickwork.layers.input_layer import InputLayer
    from brickwork.models.functional import Functional, topological_nodes
    from brickwork.models.model import Model
    from brickwork.models.sequential import Sequential

    for sym, name in zip(model.inputs, input_names):
        graph.bind(sym, name)
    for node in topological_nodes(list(model.inputs), list(model.outputs)):
        layer = node.layer
        if isinstance(layer, InputLayer):
            continue
        inputs = [graph.name(t) for t in node.input_tensors]
        if isinstance(layer, (Functional, Sequential)):
            _check_model(layer)
            outputs = _emit(graph, layer, inputs)
        elif isinstance(layer, Model):
            raise _unsupported(layer, "is a subclassed model (no layer graph)")
        else:
            converter = CONVERTERS.get(type(layer))
            if converter is None:
                raise _unsupported(layer)
            _check_masks(layer, node)
            outputs = converter(graph, layer, node)
        if len(outputs) != len(node.outputs):
            raise _unsupported(layer, f"produced {len(outputs)} ONNX outputs for {len(node.outputs)} outputs")
        for sym, name in zip(node.outputs, outputs):
            graph.bind(sym, name)
    return [graph.name(t) for t in model.outputs]


def to_onnx_model(model: Any, opset: int = DEFAULT_OPSET) -> Any:
    """Convert a built Sequential or Functional model to an in-memory ``onnx.ModelProto``.

    Args:
        model: The model; its weights are copied into the graph as initializers.
        opset: ONNX default-domain opset, one of :data:`SUPPORTED_OPSETS` (default 17).

    Returns:
        The checked ``onnx.ModelProto`` (``onnx.checker.check_model(..., full_check=True)`` passes).

    Raises:
        ValueError: bad ``opset``; unbuilt model; a layer (or a layer option) that cannot be
            exported (``UnsupportedLayerError``, a ``ValueError``, naming the layer and its class
            and listing the supported layers).
        TypeError: ``model`` is not a Sequential or Functional model.
    """
    import onnx
    from onnx import helper

    import brickwork
    from brickwork.export import onnx_attention, onnx_layers, onnx_recurrent  # noqa: F401  (register converters)
    from brickwork.export.onnx_graph import OnnxGraph, value_info

    opset = _check_opset(opset)
    _check_model(model)
    graph = OnnxGraph(opset)
    input_names = list(model.input_names)
    for name in input_names:
        graph.reserve(name)
    result = _emit(graph, model, input_names)
    outputs = []
    for sym, inner, wanted in zip(model.outputs, result, model.output_names):
        name = graph.fresh(wanted)
        graph.nodes.append(helper.make_node("Identity", [inner], [name], name=graph.fresh(f"{name}/output")))
        outputs.append(value_info(name, sym))
    onnx_graph = helper.make_graph(graph.nodes, model.name, [value_info(n, s) for n, s in zip(input_names,
                                                                                              model.inputs)],
                                   outputs, initializer=graph.initializers)
    proto = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", opset)],
                              ir_version=IR_VERSIONS[opset], producer_name="brickwork",
                              producer_version=brickwork.__version__)
    _add_metadata(proto, model)
    onnx.checker.check_model(proto, full_check=True)
    _warn_float64(graph)
    return proto


def _add_metadata(proto: Any, model: Any) -> None:
    """``model.metadata`` (a study's input schema, its output name) as the ONNX property
    ``brickwork.metadata`` (JSON), so that ``brickwork predict`` can score the file; skipped with a
    warning when it is not JSON-serialisable."""
    import json
    import warnings

    from onnx import helper

    meta = getattr(model, "metadata", None)
    if not meta:
        return
    try:
        text = json.dumps(meta, sort_keys=True)
    except (TypeError, ValueError) as err:
        warnings.warn(f"to_onnx: model.metadata of '{model.name}' is not JSON ({err}); not written to the file.",
                      stacklevel=3)
        return
    helper.set_model_props(proto, {"brickwork.metadata": text})


def _warn_float64(graph: Any) -> None:
    """onnxruntime's CPU kernels of these operators are float32-only: say so for a float64 model."""
    import warnings

    from onnx import TensorProto

    float32_only = sorted({n.op_type for n in graph.nodes} & _FLOAT32_ONLY_IN_ORT)
    if float32_only and any(t.data_type == TensorProto.DOUBLE for t in graph.initializers):
        warnings.warn(f"to_onnx: the model is float64 and uses {float32_only}, which onnxruntime's CPU provider runs "
                      "in float32 only; the file is valid ONNX but onnxruntime will refuse it. Export a float32 copy "
                      "of the model for onnxruntime.", UserWarning, stacklevel=3)


def to_onnx(model: Any, path: str | os.PathLike[str], opset: int = DEFAULT_OPSET) -> str:
    """Export a built Sequential or Functional model to the ONNX file ``path`` and return the path.

    The file is written atomically (a temporary file renamed over ``path``), so a failed
    export leaves any previous file intact. Inputs and outputs are named after the model's
    input layers and output layers, with a symbolic batch axis ``'batch'``. Score it with
    ``onnxruntime`` (see :class:`brickwork.export.OnnxScorer`).

    Args:
        model: A built ``Sequential`` or Functional ``Model``.
        path: Destination file (conventionally ``*.onnx``).
        opset: ONNX opset, one of :data:`SUPPORTED_OPSETS` (default 17); the IR version
            is pinned to match it (:data:`IR_VERSIONS`).

    Returns:
        ``path`` as a string.

    Examples
    --------
    >>> from brickwork import layers, models
    >>> from brickwork.export import to_onnx
    >>> model = models.Sequential([layers.Input((4,)), layers.Dense(2)])
    >>> to_onnx(model, "model.onnx")  # doctest: +SKIP
    'model.onnx'
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"to_onnx: path must be a str or os.PathLike; got {type(path).__name__}.")
    proto = to_onnx_model(model, opset)
    from brickwork.utils.io import atomic_write

    data = proto.SerializeToString()
    with atomic_write(path, "wb") as handle:
        handle.write(data)
    return os.fspath(path)


__all__ = ["DEFAULT_OPSET", "IR_VERSIONS", "SUPPORTED_OPSETS", "to_onnx", "to_onnx_model"]

"""Keras 3 ``.keras`` model files, read into brickwork and written for Keras.

A ``.keras`` file is a zip holding ``metadata.json`` (Keras version, date),
``config.json`` (the architecture as Keras object records) and
``model.weights.h5`` (the variables, see :mod:`brickwork.saving.keras_weights`).
Reading never unpickles or runs code: class names go through brickwork's
registry, a ``Lambda``'s byte code meets brickwork's own refusal, members
must be those three names, and each is read with a size bound (a member
over ``MAX_MEMBER_BYTES`` or inflating more than ``MAX_RATIO`` times is
refused before it is decompressed). Files are written atomically.
"""

from __future__ import annotations

import json
import os
import warnings
import zipfile
from datetime import UTC, datetime
from typing import Any

from brickwork.saving import keras_config, limits
from brickwork.saving.errors import ModelFileError
from brickwork.saving.keras_weights import (
    MAX_WEIGHT_BYTES,
    assign_from_h5,
    declared_bytes,
    is_functional,
    is_sequential,
    load_keras_weights,
    model_layers,
    open_h5_bytes,
    producer,
    restore_optimizer,
    save_keras_weights,
    write_h5,
)
from brickwork.saving.limits import BUILD_SLACK, DEFAULT_MAX_BYTES, check_member_name
from brickwork.utils.io import atomic_write

MAX_MEMBER_BYTES = MAX_WEIGHT_BYTES
MAX_JSON_BYTES = limits.MAX_JSON_BYTES
MAX_RATIO = 1000  # deflate of real weights stays far below; a zip bomb goes far above
KERAS_VERSION = "3.5.0"  # the oldest Keras 3 whose .keras layout these files follow
__all__ = ["load_keras_model", "load_keras_weights", "save_keras_model", "save_keras_weights"]

_MEMBERS = ("metadata.json", "config.json", "model.weights.h5")

_NOT_FOR_KERAS = frozenset({"Imputation", "Lambda", "StringLookup", "IntegerLookup", "Layer"})
_OBJECT_MODULES = (("initializer", "keras.initializers"), ("regularizer", "keras.regularizers"),
                   ("constraint", "keras.constraints"))


# ----------------------------------------------------------------- reading
def read_member(archive: zipfile.ZipFile, name: str, limit: int, path: str) -> bytes:
    """The bytes of one member, refused when over ``limit`` or when it inflates suspiciously.

    The header's sizes only allow an early refusal; the cap is enforced on what really inflates.
    """
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise ModelFileError(path, name, f"is {info.file_size} bytes uncompressed, over the limit of {limit}; "
                                         "refusing to read it.")
    if info.file_size > 1024 ** 2 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ModelFileError(path, name, f"would inflate {info.file_size // max(info.compress_size, 1)} times (a zip "
                                         "bomb?); refusing to read it.")
    return limits.read_member(archive, name, limit, path)


def _open_keras_zip(path: str, max_bytes: int) -> tuple[dict[str, Any], bytes]:
    with limits.open_regular(path) as handle:
        archive = limits.open_zip(handle, path, None, "is not a Keras 3 model file (expected a zip archive holding "
                                                      "config.json).")
        with archive:
            names = archive.namelist()
            for name in names:
                check_member_name(name, path)
                if name.startswith("assets/"):
                    raise ModelFileError(path, name, "is a Keras asset (e.g. a lookup layer's vocabulary), which "
                                                     "brickwork does not restore.")
                if name not in _MEMBERS:
                    raise ModelFileError(path, name, f"unexpected archive member; a Keras 3 model file read by "
                                                     f"brickwork holds only {list(_MEMBERS)}.")
            for name in ("config.json", "model.weights.h5"):
                if name not in names:
                    raise ModelFileError(path, name, "is missing: this zip archive is not a Keras 3 model file "
                                                     "(it needs config.json and model.weights.h5).")
            config = limits.parse_json(read_member(archive, "config.json", MAX_JSON_BYTES, path), path,
                                       "config.json")
            if not isinstance(config, dict):
                raise ModelFileError(path, "config.json", "does not hold a model record.")
            weights = read_member(archive, "model.weights.h5", min(MAX_MEMBER_BYTES, 2 * max_bytes + 16 * 1024 ** 2),
                                  path)
    return config, weights


def _config_orders(model: Any, config: dict[str, Any], orders: dict[int, list[Any]]) -> None:
    """The layer order each model had when Keras saved it (its config's order): the weight paths follow it."""
    if not (is_sequential(model) or is_functional(model)):
        return
    by_name = {layer.name: layer for layer in model_layers(model)}
    if is_functional(model):
        by_name.update({producer(t)[0].name: producer(t)[0] for t in model.inputs})
    entries = [e for e in config.get("layers", [])
               if not (is_sequential(model) and e.get("class_name") == "InputLayer")
               and not str(e.get("module", "")).startswith(("keras.src.ops", "keras.ops"))]  # ops hold no weights
    orders[id(model)] = [by_name[e.get("name", e.get("config", {}).get("name"))] for e in entries]
    for entry, layer in zip(entries, orders[id(model)]):
        _config_orders(layer, entry.get("config", {}), orders)


def _compile_from_keras(model: Any, cc: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> None:
    """Compile with the Keras optimizer, loss and metrics when brickwork has them (a warning otherwise).

    Losses are rebuilt with their arguments (``from_logits``, ``delta``, ...) by
    :func:`brickwork.losses.deserialize_structure`; user losses are found in ``custom_objects``
    or among the registered objects."""
    import inspect

    from brickwork import losses, optimizers

    try:
        opt = cc.get("optimizer") or "rmsprop"
        if isinstance(opt, dict):
            cls = type(optimizers.get(str(opt.get("class_name", "")).lower()))
            params = inspect.signature(cls.__init__).parameters
            opt = cls(**{k: v for k, v in (opt.get("config") or {}).items() if k in params and v is not None})
        loss = losses.deserialize_structure(cc.get("loss"), custom_objects)
        metrics = _known_metrics(cc.get("metrics"))
        weighted = _known_metrics(cc.get("weighted_metrics"))
        model.compile(optimizer=opt, loss=loss, metrics=metrics, loss_weights=cc.get("loss_weights"),
                      weighted_metrics=weighted)
    except (ValueError, TypeError, KeyError) as err:
        warnings.warn(f"The Keras model's compile settings could not be restored ({err}); it is left uncompiled.")


def _known_metrics(spec: Any) -> list[Any] | None:
    """The metrics of a file's compile config that brickwork can rebuild: names, and records of metric classes
    brickwork has (Keras's ``{"class_name": "AUC", "config": ...}``); others are dropped with a warning."""
    from brickwork import metrics as metrics_module

    if not isinstance(spec, list):
        return None
    kept = []
    for m in spec:
        if isinstance(m, str):
            kept.append(m)
            continue
        try:
            kept.append(metrics_module.get(m))
        except (ValueError, TypeError, KeyError) as err:
            name = m.get("class_name") if isinstance(m, dict) else m
            warnings.warn(f"The file's metric {name!r} is not restored ({err}).", stacklevel=3)
    return kept


def _keras_compile_config(model: Any) -> dict[str, Any] | None:
    """Keras 3's ``compile_config`` for a compiled model (``None`` when it is not compiled)."""
    from brickwork.saving.model_file import compile_config_of

    cc = compile_config_of(model)
    if not cc or model.optimizer is None:
        return None
    optimizer = {"module": "keras.optimizers", "class_name": type(model.optimizer).__name__,
                 "config": model.optimizer.get_config(), "registered_name": None}
    def keras_module(value: Any) -> Any:  # brickwork's losses carry Keras's class names and configs
        if isinstance(value, dict) and value.get("module") in ("brickwork.losses", "brickwork.metrics"):
            return {**value, "module": "keras." + value["module"].split(".")[1]}
        if isinstance(value, dict) and "module" not in value:
            return {k: keras_module(v) for k, v in value.items()}
        if isinstance(value, list):
            return [keras_module(v) for v in value]
        return value

    return {"optimizer": optimizer, "loss": keras_module(cc.get("loss")), "loss_weights": cc.get("loss_weights"),
            "metrics": keras_module(cc.get("metrics")), "weighted_metrics": keras_module(cc.get("weighted_metrics")),
            "run_eagerly": False,
            "steps_per_execution": 1, "jit_compile": False}


def load_keras_model(path: Any, custom_objects: dict[str, Any] | None = None, safe_mode: bool = True,
                     compile: bool = True, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:  # noqa: A002 - Keras's name
    """Read a ``.keras`` file saved by Keras 3 into a brickwork model.

    Args:
        path: The ``.keras`` file (a regular file).
        custom_objects: Classes or functions for names that brickwork's registry lacks.
        safe_mode: Refuse a ``Lambda`` layer's byte code (default). Keras's own code
            may call Keras ops, which brickwork cannot run even with ``safe_mode=False``.
        compile: Compile with the file's optimizer, loss and metrics (their state is not restored).
        max_bytes: The most weight bytes the weights file's dataset headers may declare (4 GiB by
            default), checked before the model is built; the build may not create more.

    Returns:
        A brickwork ``Sequential`` or Functional ``Model`` with the file's weights.

    Raises:
        ModelFileError: For anything wrong with the file.
    """
    path = os.fspath(path)
    config, weights = _open_keras_zip(path, max_bytes)
    member = "model.weights.h5"
    if config.get("class_name") not in ("Sequential", "Functional", "Model"):
        raise ModelFileError(path, "config.json", f"the top-level object is a {str(config.get('class_name'))[:80]!r}, "
                                                  "not a Sequential or Functional model; brickwork cannot rebuild a "
                                                  "subclassed Keras model.")
    with open_h5_bytes(weights, path, member) as h5file:
        declared = declared_bytes(h5file, path, member, max_bytes)
    budget = limits.WeightBudget(path, "config.json", min(max_bytes, declared + BUILD_SLACK), declared)
    orders: dict[int, list[Any]] = {}
    try:
        with limits.weight_budget(budget):
            model = keras_config.build_layer(config, custom_objects, safe_mode)
            _config_orders(model, config.get("config", {}), orders)
    except ModelFileError:
        raise
    except limits.REBUILD_ERRORS as err:
        if not limits.from_file_data(err):
            raise
        raise ModelFileError(path, "config.json", f"the model configuration cannot be rebuilt: "
                                                  f"{type(err).__name__}: {err}") from err
    with open_h5_bytes(weights, path, member) as h5file:
        assign_from_h5(model, h5file, path, orders, member)
    if compile and isinstance(config.get("compile_config"), dict):
        _compile_from_keras(model, config["compile_config"], custom_objects)
        with open_h5_bytes(weights, path, member) as h5file:
            restore_optimizer(model, h5file, path, member)
    return model


# ----------------------------------------------------------------- writing
def _keras_value(key: str, value: Any) -> Any:
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        for suffix, module in _OBJECT_MODULES:
            if key.endswith(suffix):
                return {"module": module, "class_name": value["class_name"], "config": value["config"],
                        "registered_name": None}
    if isinstance(value, tuple):
        return list(value)
    return value


def keras_layer_entry(layer: Any) -> dict[str, Any]:
    """A brickwork layer as a Keras 3 object record."""
    from brickwork.layers.serialization import serialize_layer

    if is_sequential(layer) or is_functional(layer):
        return keras_model_entry(layer)
    cls = type(layer).__name__
    if cls in _NOT_FOR_KERAS or not type(layer).__module__.startswith("brickwork."):
        raise ValueError(f"Layer '{layer.name}' (class {cls}) cannot be saved for Keras: Keras has no such class "
                         "(or it would need code or assets brickwork does not write).")
    cfg = {k: _keras_value(k, v) for k, v in serialize_layer(layer)["config"].items() if k != "batch_input_shape"}
    for key, attr in (("layer", "forward_layer" if cls == "Bidirectional" else "layer"),
                      ("backward_layer", "backward_layer"), ("cell", "cell")):
        if key in cfg:
            cfg[key] = keras_layer_entry(getattr(layer, attr))
    if cls == "StackedRNNCells":
        cfg["cells"] = [keras_layer_entry(c) for c in layer.cells]
    return {"module": "keras.layers", "class_name": cls, "config": cfg, "registered_name": None}


def _input_entry(input_layer: Any) -> dict[str, Any]:
    return {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
            "config": {"batch_shape": list(input_layer.batch_shape), "dtype": str(input_layer.input_dtype),
                       "sparse": False, "name": input_layer.name}}


def _sequential_entry(model: Any) -> dict[str, Any]:
    first = model.inputs[0] if model.inputs else None
    if first is None:
        raise ValueError(f"Sequential model '{model.name}' has no known input shape; build it before saving.")
    input_layer = producer(first)[0]
    layers = [_input_entry(input_layer)] + [keras_layer_entry(layer) for layer in model.layers]
    shape = list(input_layer.batch_shape)
    return {"module": "keras", "class_name": "Sequential", "registered_name": None,
            "config": {"name": model.name, "trainable": model.trainable, "layers": layers,
                       "build_input_shape": shape}, "build_config": {"input_shape": shape}}


def _functional_entry(model: Any) -> dict[str, Any]:
    from brickwork.layers.input_layer import InputLayer
    from brickwork.layers.symbolic import SymbolicTensor, map_structure

    ops = [op.op for op in model.operations if op not in model.layers]
    if ops:
        raise ValueError(f"Model '{model.name}' records operators on symbolic tensors ({sorted(set(ops))}); "
                         "they cannot be written for Keras yet. Wrap them in layers, or save in brickwork's "
                         "format (any file name but *.keras).")

    layers = model_layers(model)
    model_nodes = {id(node) for layer in layers for node in layer._inbound_nodes}
    local: dict[int, int] = {}
    for layer in layers:
        for k, node in enumerate(n for n in layer._inbound_nodes if id(n) in model_nodes):
            local[id(node)] = k

    def ref(t: Any) -> list[Any]:
        layer, _, index, node = producer(t)
        return [layer.name, local[id(node)], index]

    def encode(x: Any) -> Any:
        if isinstance(x, SymbolicTensor):
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(x.shape), "dtype": str(x.dtype), "keras_history": ref(x)}}
        return list(x) if isinstance(x, tuple) else x

    entries = []
    for layer in layers:
        entry = _input_entry(layer) if isinstance(layer, InputLayer) else keras_layer_entry(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [] if isinstance(layer, InputLayer) else [
            {"args": map_structure(encode, list(node.args)), "kwargs": map_structure(encode, dict(node.kwargs))}
            for node in layer._inbound_nodes if id(node) in model_nodes]
        entries.append(entry)
    ins = [ref(t) for t in model.inputs]
    outs = [ref(t) for t in model.outputs]
    return {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
            "config": {"name": model.name, "trainable": model.trainable, "layers": entries,
                       "input_layers": ins if len(ins) > 1 else ins[0],
                       "output_layers": outs if len(outs) > 1 else outs[0]},
            "build_config": {"input_shape": None}}


def keras_model_entry(model: Any) -> dict[str, Any]:
    """A brickwork Sequential or Functional model as Keras 3's ``config.json`` record."""
    if is_sequential(model):
        return _sequential_entry(model)
    if is_functional(model):
        return _functional_entry(model)
    raise ValueError(f"Model '{model.name}' ({type(model).__name__}) is not Sequential or Functional; Keras "
                     "could not rebuild a subclassed brickwork model. Save its weights with save_keras_weights().")


def save_keras_model(model: Any, path: Any, overwrite: bool = True) -> None:
    """Write ``model`` as a Keras 3 ``.keras`` file that ``keras.saving.load_model`` reads.

    The architecture, the weights, the compile settings (optimizer configuration, loss,
    metrics, loss weights) and the optimizer's state (step count and slots, in Keras's
    order; see :mod:`brickwork.saving.keras_optimizer`) are written.
    """
    from brickwork import __version__

    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: call it on data (or fit it) before saving.")
    entry = keras_model_entry(model)
    entry["compile_config"] = _keras_compile_config(model)
    meta = {"keras_version": KERAS_VERSION, "date_saved": datetime.now(UTC).strftime("%Y-%m-%d@%H:%M:%S"),
            "written_by": f"brickwork {__version__}"}
    try:
        config_text = json.dumps(entry, indent=1)
    except TypeError as err:
        raise ValueError(f"Model '{model.name}' has a configuration that is not JSON-serialisable: {err}") from None
    weights = write_h5(model)
    with atomic_write(path, "wb", overwrite=overwrite) as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("metadata.json", json.dumps(meta))
            archive.writestr("config.json", config_text)
            archive.writestr("model.weights.h5", weights)

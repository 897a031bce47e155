"""Keras 3 ``config.json`` to brickwork layers and back.

Keras 3 writes every object as ``{"module", "class_name", "config",
"registered_name"}`` (plus ``build_config`` and, in a Functional model,
``name`` and ``inbound_nodes`` whose tensors are ``__keras_tensor__`` records
with a ``keras_history`` of ``[layer_name, node_index, tensor_index]``).
brickwork's layers take Keras's argument names, so a layer's config needs
little more than its nested objects rewritten (initializers, regularizers,
constraints, dtype policies, wrapped layers). Class names are looked up in
brickwork's registry only; nothing is imported and no code is run: a
``Lambda`` goes through the same refusal as brickwork's own loader.
"""

from __future__ import annotations

import inspect
from typing import Any

from brickwork.layers.input_layer import InputLayer
from brickwork.layers.layer import Layer
from brickwork.layers.serialization import deserialize_layer
from brickwork.saving.keras_weights import snake_case
from brickwork.utils.registry import lookup

# Keras arguments brickwork has no use for: dropped whatever their value (they only matter for
# distributed training, dropout seeds, masked outputs, or initial values that the file's weights replace).
IGNORED_KEYS = frozenset({"synchronized", "renorm_momentum", "seed", "zero_output_for_mask", "ragged", "optional",
                          "autocast", "sparse", "unit_forget_bias"})
_MODEL_CLASSES = ("Sequential", "Functional", "Model")
_LAYER_KEYS = ("layer", "backward_layer", "cell")


def _refuse(where: str, message: str) -> ValueError:
    return ValueError(f"{where}: {message}")


def policy_name(value: Any, where: str) -> Any:
    """The dtype name of a Keras ``DTypePolicy`` record (or a plain dtype string)."""
    if isinstance(value, dict):
        name = value.get("config", {}).get("name")
        if value.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy") or name not in ("float32", "float64"):
            raise _refuse(where, f"dtype policy {value.get('class_name')}({name!r}) is not supported; brickwork "
                                 "computes in float32 or float64.")
        return name
    return value


def _function_by_name(value: dict[str, Any], custom_objects: Any, safe_mode: bool) -> Any:
    """A Keras function record: a name is looked up; code (``__lambda__``) is refused."""
    from brickwork import activations

    if value.get("class_name") == "__lambda__":
        if safe_mode:
            from brickwork.layers.lambda_code import deserialize_function

            deserialize_function({"kind": "bytecode"}, safe_mode=True)  # raises brickwork's refusal of code
        raise ValueError("a function stored as byte code can only be loaded in a Lambda layer; register the "
                         "function and pass it in custom_objects.")
    name = value.get("registered_name") if value.get("registered_name") not in (None, "function") else None
    name = name or value.get("config")
    if not isinstance(name, str):
        raise ValueError(f"cannot read the function record {value!r}.")
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    try:
        activations.get(name)
        return name
    except ValueError:
        return lookup(name, custom_objects, kind="function")


def keras_value(key: str, value: Any, custom_objects: Any, safe_mode: bool, where: str) -> Any:
    """One Keras config value as brickwork expects it (recursively)."""
    if isinstance(value, list):
        return [keras_value(key, v, custom_objects, safe_mode, where) for v in value]
    if not isinstance(value, dict):
        return value
    cls = value.get("class_name")
    if cls == "__tuple__":
        return [keras_value(key, v, custom_objects, safe_mode, where) for v in value["config"]["value"]]
    if cls in ("__lambda__", "function") or (cls is None and "code" in value):
        try:
            return _function_by_name(value, custom_objects, safe_mode)
        except ValueError as err:
            raise _refuse(where, f"argument {key!r} holds a serialized function: {err}") from None
    if isinstance(cls, str) and cls.startswith("__") and cls.endswith("__"):
        raise _refuse(where, f"argument {key!r} holds a {cls} record, which brickwork does not read.")
    if key == "dtype":
        return policy_name(value, where)
    if cls is not None and "config" in value:
        if key in _LAYER_KEYS:
            return layer_record(value, custom_objects, safe_mode)
        inner = value["config"]
        if isinstance(inner, dict):  # Keras-only options left at None (seed, input_axes...) are dropped
            inner = {k: keras_value(k, v, custom_objects, safe_mode, where) for k, v in inner.items()
                     if v is not None}
        return {"class_name": value.get("registered_name") or cls, "config": inner}
    return {k: keras_value(k, v, custom_objects, safe_mode, where) for k, v in value.items()}


def _accepted(cls: type) -> set[str]:
    """Argument names that ``cls(...)`` takes, following ``**kwargs`` up to ``Layer`` (which takes no others)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        params = inspect.signature(klass.__init__).parameters
        names |= {n for n, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        if klass is Layer or not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            break
    return names - {"self"}


def _fit_config(cls: type, cfg: dict[str, Any], where: str) -> dict[str, Any]:
    """Drop the Keras arguments brickwork lacks when they are neutral; refuse the others."""
    if not cls.__module__.startswith("brickwork."):
        return cfg
    names = _accepted(cls)
    out = {}
    for key, value in cfg.items():
        if key in names:
            out[key] = value
        elif key not in IGNORED_KEYS and value not in (None, False, {}, []):
            raise _refuse(where, f"argument {key}={value!r} has no brickwork equivalent.")
    return out


def _lookup_class(entry: dict[str, Any], custom_objects: Any) -> tuple[str, Any]:
    """``(name it was found under, class)``: Keras's ``registered_name`` (``package>Name``) first."""
    reg = entry.get("registered_name")
    if reg and reg != entry.get("class_name"):
        try:
            return reg, lookup(reg, custom_objects, kind="layer class")
        except ValueError:
            if ">" not in reg:
                raise
            # a user class of Keras ('package>Name'): only a brickwork layer of the same name stands in for it
            cls = lookup(entry["class_name"], custom_objects, kind="layer class")
            if not getattr(cls, "__module__", "").startswith("brickwork."):
                raise ValueError(f"Unknown layer class {reg!r} in a saved configuration: register it with "
                                 f"register_keras_serializable(package={reg.split('>')[0]!r}) or pass "
                                 f"custom_objects={{{reg!r}: ...}}.") from None
            return entry["class_name"], cls
    return entry["class_name"], lookup(entry["class_name"], custom_objects, kind="layer class")


def layer_record(entry: dict[str, Any], custom_objects: Any, safe_mode: bool) -> dict[str, Any]:
    """A Keras layer entry as brickwork's ``{'class_name', 'config'}`` (for wrapped layers)."""
    cls_name = entry.get("class_name")
    cfg = entry.get("config") or {}
    where = f"Keras layer '{cfg.get('name', '?')}' (class {cls_name})"
    if cls_name in _MODEL_CLASSES:
        raise _refuse(where, "a model wrapped inside a layer argument is not supported.")
    found_as, cls = _lookup_class(entry, custom_objects)
    if cls_name == "Lambda":
        return {"class_name": "Lambda", "config": _lambda_config(cfg, where)}
    cells = {k: cfg[k] for k in ("cell", "cells") if k in cfg and cls_name in ("RNN", "StackedRNNCells")}
    out = {k: keras_value(k, v, custom_objects, safe_mode, where) for k, v in cfg.items() if k not in cells}
    for key, value in cells.items():  # brickwork's RNN takes its cells as layer objects
        out[key] = ([build_layer(v, custom_objects, safe_mode) for v in value] if isinstance(value, list)
                    else build_layer(value, custom_objects, safe_mode))
    return {"class_name": found_as, "config": _fit_config(cls, out, where)}


def _lambda_config(cfg: dict[str, Any], where: str) -> dict[str, Any]:
    """Keras's Lambda record in brickwork's form, so that brickwork's own refusal of code applies."""
    import sys

    fn = cfg.get("function")
    if not isinstance(fn, dict) or fn.get("class_name") != "__lambda__":
        raise _refuse(where, f"cannot read the Lambda's function {fn!r}.")
    code = fn.get("config", {})
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"  # Keras does not record it; trusted files only
    record = {"kind": "bytecode", "python": version, "code": "".join(str(code.get("code", "")).split()),
              "defaults": code.get("defaults"), "closure": code.get("closure")}
    shape = cfg.get("output_shape")
    if isinstance(shape, dict):
        raise _refuse(where, "a Lambda whose output_shape is a function is not supported.")
    return {"name": cfg.get("name"), "function": record, "output_shape": shape, "arguments": cfg.get("arguments")}


def build_layer(entry: dict[str, Any], custom_objects: Any, safe_mode: bool) -> Any:
    """A brickwork layer (or model) from one Keras layer entry."""
    cls_name = entry.get("class_name")
    cfg = entry.get("config") or {}
    where = f"Keras layer '{cfg.get('name', '?')}' (class {cls_name})"
    if cls_name == "Sequential":
        return build_sequential(cfg, custom_objects, safe_mode)
    if cls_name in ("Functional", "Model"):
        if "layers" not in cfg:
            raise _refuse(where, "a subclassed Keras model has no layer graph to rebuild.")
        return build_functional(cfg, custom_objects, safe_mode)
    if cls_name == "InputLayer":
        return InputLayer(batch_shape=tuple(cfg["batch_shape"]), dtype=policy_name(cfg.get("dtype"), where),
                          name=cfg.get("name"))
    if str(entry.get("module", "")).startswith(("keras.src.ops", "keras.ops")):
        return _operation(cls_name, cfg, where)
    record = layer_record(entry, custom_objects, safe_mode)
    try:
        return deserialize_layer(record, custom_objects=custom_objects, safe_mode=safe_mode)
    except (ValueError, TypeError) as err:
        raise _refuse(where, str(err)) from None


def build_sequential(cfg: dict[str, Any], custom_objects: Any, safe_mode: bool) -> Any:
    from brickwork.models import Sequential

    model = Sequential(name=cfg.get("name"), trainable=cfg.get("trainable", True))
    entries = list(cfg.get("layers", []))
    if entries and entries[0].get("class_name") != "InputLayer" and cfg.get("build_input_shape") is not None:
        model.add(InputLayer(batch_shape=tuple(cfg["build_input_shape"])))
    for entry in entries:
        model.add(build_layer(entry, custom_objects, safe_mode))
    return model


def _is_tensor(x: Any) -> bool:
    return isinstance(x, dict) and x.get("class_name") == "__keras_tensor__"


def _history(x: dict[str, Any]) -> tuple[str, int, int]:
    name, node, index = x["config"]["keras_history"]
    return str(name), int(node), int(index)


def _tensor_refs(x: Any) -> list[tuple[str, int, int]]:
    if _is_tensor(x):
        return [_history(x)]
    if isinstance(x, dict):
        return [r for v in x.values() for r in _tensor_refs(v)]
    if isinstance(x, list):
        return [r for v in x for r in _tensor_refs(v)]
    return []


def _structure(refs: Any, tensors: dict[tuple[str, int, int], Any]) -> Any:
    if isinstance(refs, list) and len(refs) == 3 and isinstance(refs[0], str):
        return tensors[(refs[0], int(refs[1]), int(refs[2]))]
    if isinstance(refs, dict):
        return {k: _structure(v, tensors) for k, v in refs.items()}
    return [_structure(r, tensors) for r in refs]


def _operation(cls_name: str, cfg: dict[str, Any], where: str) -> Any:
    """A Keras op node (``keras.ops`` called on a KerasTensor, class ``NotEqual``, ``Sum``...) as an
    :class:`~brickwork.layers.Operation` of the brickwork op of the same name; its config is the op's
    keyword constants."""
    from brickwork import ops
    from brickwork.layers.operation import Operation

    name = snake_case(cls_name)
    if name == "get_item":
        return Operation("getitem", name=cfg.get("name"))
    if name not in ops.__all__ or not callable(getattr(ops, name, None)):
        raise _refuse(where, f"brickwork.ops has no {name!r} for the Keras op {cls_name}.")
    static = {k: v for k, v in cfg.items() if k != "name"}
    return Operation(f"ops.{name}", name=cfg.get("name"), arguments=static)


def build_functional(cfg: dict[str, Any], custom_objects: Any, safe_mode: bool) -> Any:
    """Rebuild a Functional model by calling each layer on its recorded inputs, in dependency order."""
    from brickwork.layers.symbolic import flatten
    from brickwork.models import Model

    layers: dict[str, Any] = {}
    tensors: dict[tuple[str, int, int], Any] = {}
    pending: list[tuple[str, int, dict[str, Any]]] = []
    for entry in cfg["layers"]:
        layer = build_layer(entry, custom_objects, safe_mode)
        name = entry.get("name", entry.get("config", {}).get("name"))
        layers[name] = layer
        if isinstance(layer, InputLayer):
            tensors[(name, 0, 0)] = layer._inbound_nodes[0].outputs[0]
        pending += [(name, k, node) for k, node in enumerate(entry.get("inbound_nodes", []))]

    def decode(x: Any) -> Any:
        if _is_tensor(x):
            return tensors[_history(x)]
        if isinstance(x, dict) and x.get("class_name") == "__tuple__":
            return tuple(decode(v) for v in x["config"]["value"])
        if isinstance(x, dict) and x.get("class_name") == "__slice__":
            c = x.get("config", {})
            return slice(c.get("start"), c.get("stop"), c.get("step"))
        if isinstance(x, dict) and x.get("class_name") == "__ellipsis__":
            return Ellipsis
        if isinstance(x, dict):
            return {k: decode(v) for k, v in x.items()}
        if isinstance(x, list):
            return [decode(v) for v in x]
        return x

    made: dict[str, int] = {}
    while pending:
        remaining = []
        for name, k, node in pending:
            if made.get(name, 0) != k or not all(r in tensors for r in _tensor_refs(node)):
                remaining.append((name, k, node))
                continue
            kwargs = {key: v for key, v in decode(node.get("kwargs", {})).items() if v is not None}
            out = layers[name](*decode(node.get("args", [])), **kwargs)
            for i, t in enumerate(flatten(out)):
                tensors[(name, k, i)] = t
            made[name] = k + 1
        if len(remaining) == len(pending):
            raise ValueError(f"Keras model '{cfg.get('name')}': cannot rebuild the graph; the inputs of "
                             f"{sorted({p[0] for p in remaining})} are never produced.")
        pending = remaining
    inputs = _structure(cfg["input_layers"], tensors)
    outputs = _structure(cfg["output_layers"], tensors)
    model = Model(inputs=inputs, outputs=outputs, name=cfg.get("name"))
    model.trainable = cfg.get("trainable", True)
    return model

"""The ``.brick`` model file: a zip archive that holds no code.

Layout (all members at the top level; nothing else is accepted):

``brickwork.json``
    ``{"format": "brickwork-model", "format_version": 1, "class_name", "config",
    "compile_config", "optimizer", "weights": [{"path", "shape", "dtype"}...],
    "build_input_shape"}`` — the architecture as layer configs, never code.
``weights.npz``
    The variables in ``model.weights`` order, as ``w0, w1, ...``.
``optimizer.npz`` (optional)
    The optimizer's iteration count and slot arrays.

Loading reads JSON and ``.npz`` with ``allow_pickle=False``, looks class names
up in a registry (never imports a module), refuses pickles and member names
that could escape the archive, and refuses a ``Lambda`` with byte code unless
``safe_mode=False``. Files are written atomically.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import UTC, datetime
from typing import Any

import numpy as np

from brickwork.utils.io import atomic_write

FORMAT = "brickwork-model"
FORMAT_VERSION = 1
_ALLOWED = {"brickwork.json", "weights.npz", "optimizer.npz"}


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _weights_meta(model: Any) -> list[dict[str, Any]]:
    return [{"path": getattr(v, "path", v.name), "shape": list(v.shape), "dtype": str(v.dtype)}
            for v in model.weights]


def _build_shape(model: Any) -> Any:
    shapes = getattr(model, "_build_shapes", None)
    return None if shapes is None else json.loads(json.dumps(shapes, default=list))


def save_model(model: Any, filepath: Any, overwrite: bool = True, include_optimizer: bool = True) -> None:
    """Save architecture, weights and (optionally) optimizer state to ``filepath``."""
    from brickwork import __version__, optimizers
    from brickwork.layers.serialization import serialize_layer

    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: call it on data (or fit it) before saving.")
    arch = serialize_layer(model)
    meta: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "brickwork_version": __version__,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "class_name": arch["class_name"], "config": arch["config"],
        "compile_config": compile_config_of(model), "optimizer": None,
        "weights": _weights_meta(model), "build_input_shape": _build_shape(model),
        "metadata": getattr(model, "metadata", None),  # JSON-able notes, e.g. the input schema for predict
    }
    members = {"weights.npz": _npz_bytes({f"w{i}": v.data for i, v in enumerate(model.weights)})}
    if include_optimizer and getattr(model, "optimizer", None) is not None:
        meta["optimizer"] = optimizers.serialize(model.optimizer)
        state = model.optimizer.get_state(model.trainable_weights)
        members["optimizer.npz"] = _npz_bytes(state)
    try:
        meta_text = json.dumps(meta, indent=1)
    except TypeError as err:
        raise ValueError(f"Model '{model.name}' has a configuration that is not JSON-serialisable: {err}") from None
    with atomic_write(filepath, "wb", overwrite=overwrite) as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("brickwork.json", meta_text)
            for name, data in members.items():
                archive.writestr(name, data)


def compile_config_of(model: Any) -> Any:
    from brickwork import losses

    cfg = model.get_compile_config() if hasattr(model, "get_compile_config") else None
    if not cfg or not getattr(model, "compiled", False):
        return None
    cfg = dict(cfg)
    if cfg.get("loss") is None:
        try:
            loss_objs = model._compiled_loss.losses
            cfg["loss"] = [losses.serialize(lo) for lo in loss_objs]
            if len(cfg["loss"]) == 1:
                cfg["loss"] = cfg["loss"][0]
        except ValueError:
            return None
    return cfg


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Save only the weights (same archive format, without the architecture)."""
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "class_name": None, "config": None,
            "weights": _weights_meta(model)}
    data = _npz_bytes({f"w{i}": v.data for i, v in enumerate(model.weights)})
    with atomic_write(filepath, "wb", overwrite=overwrite) as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("brickwork.json", json.dumps(meta, indent=1))
            archive.writestr("weights.npz", data)


def _open_archive(filepath: Any) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, np.ndarray] | None]:
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such model file: {path}")
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head[:1] == b"\x80" or head[:2] in (b"(d", b"(l", b"}q", b"]q"):
        raise ValueError(f"{path} is a Python pickle. brickwork never unpickles files: unpickling can run "
                         "arbitrary code. Save the model with model.save() instead.")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a brickwork model file (expected a zip archive holding brickwork.json).")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        for name in names:
            normalized = name.replace("\\", "/")
            if normalized.startswith("/") or ".." in normalized.split("/") or ":" in normalized:
                raise ValueError(f"{path}: archive member {name!r} has a path that escapes the archive; refusing "
                                 "to load it.")
            if name not in _ALLOWED:
                raise ValueError(f"{path}: unexpected archive member {name!r}; a brickwork model file holds only "
                                 f"{sorted(_ALLOWED)}.")
        if "brickwork.json" not in names:
            raise ValueError(f"{path} is a zip archive but not a brickwork model file (no brickwork.json).")
        meta = json.loads(archive.read("brickwork.json").decode("utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: unknown format {meta.get('format')!r}.")
        if int(meta.get("format_version", 0)) > FORMAT_VERSION:
            raise ValueError(f"{path} was written by a newer brickwork (format {meta['format_version']}).")
        weights = _load_npz(archive.read("weights.npz"), path)
        opt = _load_npz(archive.read("optimizer.npz"), path) if "optimizer.npz" in names else None
    return meta, weights, opt


def _load_npz(data: bytes, path: str) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except ValueError as err:
        raise ValueError(f"{path}: refusing to load arrays that need pickle ({err}).") from None


def _assign_weights(model: Any, meta: dict[str, Any], weights: dict[str, np.ndarray], path: str) -> None:
    variables = model.weights
    stored = meta.get("weights", [])
    if len(stored) != len(variables):
        raise ValueError(f"{path} holds {len(stored)} weight arrays but model '{model.name}' has {len(variables)}.")
    for i, (var, info) in enumerate(zip(variables, stored)):
        value = weights[f"w{i}"]
        if tuple(value.shape) != tuple(var.shape):
            raise ValueError(f"{path}: weight {i} ('{info.get('path')}') has shape {value.shape}, but the model's "
                             f"'{var.path}' has shape {var.shape}.")
        var.assign(value.astype(var.dtype))


def load_model(filepath: Any, custom_objects: dict[str, Any] | None = None, compile: bool = True,  # noqa: A002
               safe_mode: bool = True) -> Any:
    """Rebuild a model saved by :meth:`Model.save` (any file name; the content decides)."""
    from brickwork import optimizers
    from brickwork.layers.serialization import deserialize_layer

    path = os.fspath(filepath)
    meta, weights, opt_state = _open_archive(path)
    if meta.get("config") is None:
        raise ValueError(f"{path} holds weights only (from save_weights); build the model and call load_weights().")
    model = deserialize_layer({"class_name": meta["class_name"], "config": meta["config"]},
                              custom_objects=custom_objects, safe_mode=safe_mode)
    if not model.built or (not model.weights and meta.get("weights")):
        _build_from_shape(model, meta.get("build_input_shape"), path)
    _assign_weights(model, meta, weights, path)
    if meta.get("metadata") is not None:
        model.metadata = meta["metadata"]
    cc = meta.get("compile_config")
    if compile and cc:
        optimizer = optimizers.get(meta["optimizer"]) if meta.get("optimizer") else "rmsprop"
        model.compile(optimizer=optimizer, loss=cc.get("loss"), metrics=cc.get("metrics"),
                      loss_weights=cc.get("loss_weights"), weighted_metrics=cc.get("weighted_metrics"))
        if opt_state is not None:
            model.optimizer.set_state(model.trainable_weights, opt_state)
    return model


def _build_from_shape(model: Any, shape: Any, path: str) -> None:
    from brickwork.engine.config import no_grad
    from brickwork.layers.shapes import map_shapes, shape_from_json

    if shape is None:
        raise ValueError(f"{path}: the model was saved unbuilt; cannot restore its weights.")

    shapes = shape_from_json(shape)
    dummy = map_shapes(lambda s: np.zeros([1 if d is None else d for d in s], model._dtype), shapes)
    with no_grad():
        model(dummy, training=False)


def load_weights(model: Any, filepath: Any) -> None:
    """Assign weights stored by ``save_weights`` or ``save`` to an already built model."""
    path = os.fspath(filepath)
    meta, weights, _ = _open_archive(path)
    if not model.built:
        raise ValueError(f"Model '{model.name}' must be built before load_weights(); call it on data first.")
    _assign_weights(model, meta, weights, path)

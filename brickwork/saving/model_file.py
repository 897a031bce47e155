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

Loading never unpickles (arrays are read from their ``.npy`` headers, see
:mod:`brickwork.saving.arrays`), looks class names up in a registry (never
imports a module), refuses pickles and member names that could escape the
archive, and refuses a ``Lambda`` with byte code unless ``safe_mode=False``.
Every member is read within the limits of :mod:`brickwork.saving.limits`
(``max_bytes`` bounds the declared weights, checked before anything is built),
and anything wrong with the file raises :class:`~brickwork.saving.ModelFileError`.
Files are written atomically (:func:`brickwork.utils.io.atomic_write`).
"""

from __future__ import annotations

import json
import os
import zipfile
from datetime import UTC, datetime
from typing import Any

import numpy as np

from brickwork.saving.arrays import npz_bytes
from brickwork.saving.brick_reader import (
    FORMAT,
    FORMAT_VERSION,
    assign_weights,
    check_optimizer_state,
    read_model_archive,
)
from brickwork.saving.errors import ModelFileError
from brickwork.saving.limits import (
    BUILD_SLACK,
    DEFAULT_MAX_BYTES,
    REBUILD_ERRORS,
    WeightBudget,
    from_file_data,
    nbytes_of,
    valid_shape,
    weight_budget,
)
from brickwork.utils.io import atomic_write

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFileError", "load_model", "load_weights", "save_model", "save_weights"]


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
    members = {"weights.npz": npz_bytes({f"w{i}": v.data for i, v in enumerate(model.weights)})}
    if include_optimizer and getattr(model, "optimizer", None) is not None:
        meta["optimizer"] = optimizers.serialize(model.optimizer)
        state = model.optimizer.get_state(model.trainable_weights)
        members["optimizer.npz"] = npz_bytes(state)
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
    """The model's compile settings with its loss(es) in Keras 3's serialised layout (None when the
    model is not compiled, or when a loss cannot be serialised: then a warning names it)."""
    import warnings

    from brickwork import losses

    cfg = getattr(model, "_compile_config", None)  # what compile() was given (Trainer keeps it)
    if not cfg or not getattr(model, "compiled", False):
        return None
    cfg = dict(cfg)
    compiled = model._compiled_loss
    try:
        cfg["loss"] = losses.serialize_structure(cfg.get("loss"), compiled.losses, compiled.output_names)
    except ValueError as err:
        warnings.warn(f"Model '{model.name}' is saved without its compile settings (load_model gives it "
                      f"uncompiled): {err}", stacklevel=3)
        return None
    return cfg


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Save only the weights (same archive format, without the architecture)."""
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "class_name": None, "config": None,
            "weights": _weights_meta(model)}
    data = npz_bytes({f"w{i}": v.data for i, v in enumerate(model.weights)})
    with atomic_write(filepath, "wb", overwrite=overwrite) as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("brickwork.json", json.dumps(meta, indent=1))
            archive.writestr("weights.npz", data)


def load_model(filepath: Any, custom_objects: dict[str, Any] | None = None, compile: bool = True,  # noqa: A002
               safe_mode: bool = True, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Rebuild a model saved by :meth:`Model.save` (any file name; the content decides).

    Args:
        filepath: The model file (a regular file; FIFOs, devices and directories are refused).
        custom_objects: Classes or functions for names that brickwork's registry lacks.
        compile: Compile with the saved loss, metrics and optimizer (and its state).
        safe_mode: Refuse a ``Lambda`` layer's stored byte code.
        max_bytes: The most bytes of weights (and, separately, of optimizer state) the file may
            declare, 4 GiB by default. The file's declared weight shapes are checked against it
            before anything is read or built, and rebuilding the configuration may not create
            more weight bytes than the file declares.

    Raises:
        ModelFileError: For anything wrong with the file (see :class:`~brickwork.saving.ModelFileError`).
        FileNotFoundError: When there is no such file.
    """
    from brickwork import losses, optimizers
    from brickwork.layers.serialization import deserialize_layer

    path = os.fspath(filepath)
    archive = read_model_archive(path, max_bytes)
    meta = archive.meta
    if meta.get("config") is None:
        raise ModelFileError(path, "brickwork.json", "holds weights only (from save_weights); build the model and "
                                                     "call load_weights().")
    budget = WeightBudget(path, "brickwork.json", min(max_bytes, archive.declared_bytes + BUILD_SLACK),
                          archive.declared_bytes)
    try:
        with weight_budget(budget):
            model = deserialize_layer({"class_name": meta["class_name"], "config": meta["config"]},
                                      custom_objects=custom_objects, safe_mode=safe_mode)
            if not model.built or (not model.weights and meta.get("weights")):
                _build_from_shape(model, meta.get("build_input_shape"), path, budget)
    except ModelFileError:
        raise
    except REBUILD_ERRORS as err:
        if not from_file_data(err):
            raise
        raise ModelFileError(path, "brickwork.json", f"the model configuration cannot be rebuilt: "
                                                     f"{type(err).__name__}: {err}") from err
    assign_weights(model, archive)
    if meta.get("metadata") is not None:
        model.metadata = meta["metadata"]
    cc = meta.get("compile_config")
    if compile and cc:
        try:
            optimizer = optimizers.get(meta["optimizer"]) if meta.get("optimizer") else "rmsprop"
            loss = losses.deserialize_structure(cc.get("loss"), custom_objects)
            model.compile(optimizer=optimizer, loss=loss, metrics=cc.get("metrics"),
                          loss_weights=cc.get("loss_weights"), weighted_metrics=cc.get("weighted_metrics"))
        except REBUILD_ERRORS as err:
            if not from_file_data(err):
                raise
            raise ModelFileError(path, "brickwork.json", f"the compile settings cannot be restored: "
                                                         f"{type(err).__name__}: {err}") from err
        if archive.optimizer is not None:
            check_optimizer_state(archive.optimizer, model.trainable_weights, path)
            model.optimizer.set_state(model.trainable_weights, archive.optimizer)
    return model


def _build_from_shape(model: Any, shape: Any, path: str, budget: WeightBudget) -> None:
    from brickwork.engine.config import no_grad
    from brickwork.layers.shapes import map_shapes, shape_from_json

    if shape is None:
        raise ModelFileError(path, "brickwork.json", "the model was saved unbuilt; cannot restore its weights.")
    shapes = shape_from_json(shape)
    dims: list[tuple[int, ...]] = []

    def dummy_shape(s: Any) -> tuple[int, ...]:
        if not isinstance(s, (list, tuple)) or len(s) > 32:
            raise ModelFileError(path, "brickwork.json", f"build_input_shape holds {str(s)[:80]!r}, not a shape.")
        out = valid_shape([1 if d is None else d for d in s])
        if out is None:
            raise ModelFileError(path, "brickwork.json", f"build_input_shape {list(s)!r} has a dimension that is not "
                                                         "a non-negative integer.")
        dims.append(out)
        return out

    map_shapes(dummy_shape, shapes)
    need = sum(nbytes_of(d, np.dtype(model.dtype or "float32")) for d in dims)
    if need > budget.limit:
        raise ModelFileError(path, "brickwork.json", f"build_input_shape {shape!r} needs a {need}-byte input to "
                                                     f"build the model, over the {budget.limit}-byte limit.")
    dummy = map_shapes(lambda s: np.zeros([1 if d is None else d for d in s], model.dtype or "float32"), shapes)
    with no_grad():
        model(dummy, training=False)


def load_weights(model: Any, filepath: Any, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Assign weights stored by ``save_weights`` or ``save`` to an already built model.

    ``max_bytes`` bounds the declared weight bytes, as for :func:`load_model`; anything wrong
    with the file raises :class:`~brickwork.saving.ModelFileError`.
    """
    path = os.fspath(filepath)
    archive = read_model_archive(path, max_bytes)
    if not model.built:
        raise ValueError(f"Model '{model.name}' must be built before load_weights(); call it on data first.")
    assign_weights(model, archive)

"""Keras 3 ``.weights.h5`` files: variables addressed by Keras's attribute paths.

Keras stores a layer's own variables as ``<path>/vars/0, 1, ...`` (trainable
first, in creation order), where ``<path>`` is made of attribute names, not
layer names: a model's layers sit under ``layers/<snake_case class name>``
with a counter for repeats (``dense``, ``dense_1``), in the model's layer order;
an RNN's variables under ``<path>/cell``; a ``Bidirectional``'s under
``forward_layer`` and ``backward_layer``; a ``TimeDistributed``'s under
``layer``. A Functional model's layer order is Keras's: by decreasing depth
from the outputs, ties broken by depth-first traversal order.
"""

from __future__ import annotations

import io
import os
import re
from typing import Any

import numpy as np

from brickwork.engine.device import to_host
from brickwork.saving.errors import ModelFileError
from brickwork.saving.keras_optimizer import optimizer_arrays, set_optimizer_arrays
from brickwork.saving.limits import DEFAULT_MAX_BYTES, nbytes_of, open_regular, plain_dtype
from brickwork.utils.io import atomic_write

MAX_WEIGHT_BYTES = 8 * 1024 ** 3  # refuse weight files (and arrays) larger than this
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_RNN_CLASSES = ("LSTM", "GRU", "SimpleRNN")


def require_h5py() -> Any:
    """Import h5py (an optional dependency) or explain how to install it."""
    try:
        import h5py
    except ImportError:
        raise ImportError("Keras .keras and .weights.h5 files need h5py: pip install 'brickwork[keras-files]' "
                          "(or pip install h5py).") from None
    return h5py


def snake_case(name: str) -> str:
    """Keras's snake_case of a class name (``BatchNormalization`` -> ``batch_normalization``)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def is_sequential(layer: Any) -> bool:
    from brickwork.models import Sequential

    return isinstance(layer, Sequential)


def is_functional(layer: Any) -> bool:
    from brickwork.models import Model

    return isinstance(layer, Model) and not is_sequential(layer) and bool(getattr(layer, "outputs", None))


def keras_class_name(layer: Any) -> str:
    """The Keras class that a brickwork layer is saved as."""
    if is_sequential(layer):
        return "Sequential"
    if is_functional(layer):
        return "Functional"
    return type(layer).__name__


def producer(tensor: Any) -> tuple[Any, int, int, Any]:
    """``(layer, node_index, tensor_index, node)`` of a symbolic tensor (brickwork's graph records)."""
    layer, node_index, tensor_index = tensor._history
    return layer, node_index, tensor_index, layer._inbound_nodes[node_index]


def model_layers(model: Any) -> list[Any]:
    """A model's layers in Keras's order (a Sequential's input layer is not one of them)."""
    return list(model.layers)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def variable_groups(layer: Any, prefix: str = "", orders: dict[int, list[Any]] | None = None
                    ) -> list[tuple[str, str, list[Any]]]:
    """``(path, name, variables)`` for each Keras store under ``layer``: its variables go to ``path/vars/i``.

    ``orders`` may give a model's layer order explicitly (as read from a Keras config).
    """
    kind = keras_class_name(layer)
    groups = [(prefix, layer.name, [])]
    if kind in ("Sequential", "Functional"):
        used: dict[str, int] = {}
        subs = (orders or {}).get(id(layer)) or model_layers(layer)
        for sub in subs:
            path = _join(prefix, f"layers/{_unique(snake_case(keras_class_name(sub)), used)}")
            groups += variable_groups(sub, path, orders)
    elif kind == "Bidirectional":
        groups += variable_groups(layer.forward_layer, _join(prefix, "forward_layer"), orders)
        groups += variable_groups(layer.backward_layer, _join(prefix, "backward_layer"), orders)
    elif kind == "TimeDistributed":
        groups += variable_groups(layer.layer, _join(prefix, "layer"), orders)
    elif kind in _RNN_CLASSES:
        groups.append((_join(prefix, "cell"), f"{snake_case(kind)}_cell", list(layer.weights)))
    elif kind == "RNN":
        groups += variable_groups(layer.cell, _join(prefix, "cell"), orders)
    elif kind == "StackedRNNCells":
        used = {}
        for cell in layer.cells:
            groups += variable_groups(cell, _join(prefix, f"cells/{_unique(snake_case(type(cell).__name__), used)}"),
                                      orders)
    else:
        groups[0] = (prefix, layer.name, list(layer.weights))
    return groups


def _h5_failure(path: str, member: str | None, err: Exception) -> ModelFileError:
    return ModelFileError(path, member, f"damaged HDF5 data ({type(err).__name__}: {err}).")


_H5_ERRORS = (OSError, KeyError, ValueError, RuntimeError, TypeError, IndexError)


def _datasets(h5file: Any, path: str, member: str | None) -> dict[str, Any]:
    """The weight datasets (not ``optimizer/`` or ``metrics/``), each checked from its header: plain dtype, stored in
    this file (no external or virtual storage)."""
    h5py = require_h5py()
    found: dict[str, Any] = {}

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset) and not name.startswith(("optimizer/", "metrics/")):
            found[name] = obj

    try:
        h5file.visititems(visit)
        for ds in found.values():
            _check_dataset(ds, path, member)
    except ModelFileError:
        raise
    except _H5_ERRORS as err:
        raise _h5_failure(path, member, err) from None
    return found


def _check_dataset(ds: Any, path: str, member: str | None) -> int:
    """The bytes of dataset ``ds`` from its header; refused unless it is a plain numeric array held in the file."""
    if plain_dtype(ds.dtype) is None:
        raise ModelFileError(path, member, f"dataset {ds.name} has dtype {ds.dtype}, not a numeric array; refusing it.")
    if ds.is_virtual or ds.external:
        raise ModelFileError(path, member, f"dataset {ds.name} keeps its data outside the file; refusing it.")
    return nbytes_of(tuple(ds.shape or ()), ds.dtype)


def declared_bytes(h5file: Any, path: str, member: str | None, max_bytes: int) -> int:
    """The weight bytes the file's dataset headers declare, refused when over ``max_bytes`` (nothing is read)."""
    total = sum(_check_dataset(ds, path, member) for ds in _datasets(h5file, path, member).values())
    if total > max_bytes:
        raise ModelFileError(path, member, f"declares {total} bytes of weights, over max_bytes={max_bytes}; refusing "
                                           "to load it (pass a larger max_bytes if you trust the file).")
    return total


def _read_array(ds: Any, path: str, member: str | None) -> np.ndarray:
    size = _check_dataset(ds, path, member)
    if size > MAX_WEIGHT_BYTES:
        raise ModelFileError(path, member, f"dataset {ds.name} holds {size} bytes, over the limit of "
                                           f"{MAX_WEIGHT_BYTES}.")
    try:
        return np.asarray(ds[()])
    except _H5_ERRORS as err:
        raise _h5_failure(path, member, err) from None


def assign_from_h5(model: Any, h5file: Any, path: str, orders: dict[int, list[Any]] | None = None,
                   member: str | None = None) -> None:
    """Assign every variable of ``model`` from an open Keras weights file; every array must find a place.

    ``path`` (and ``member``, inside a ``.keras`` archive) name the file in errors.
    """
    datasets = _datasets(h5file, path, member)
    for group_path, name, variables in variable_groups(model, "", orders):
        vars_path = _join(group_path, "vars")
        stored = [k for k in datasets if k.rsplit("/", 1)[0] == vars_path]
        if not all(k.rsplit("/", 1)[-1].isdigit() for k in stored):
            raise ModelFileError(path, member, f"'{vars_path}' holds datasets not named 0, 1, ...: {stored[:5]}.")
        stored.sort(key=lambda k: int(k.rsplit("/", 1)[-1]))
        if len(stored) != len(variables):
            raise ModelFileError(path, member, f"layer '{name}' has {len(variables)} weight(s) but the file holds "
                                               f"{len(stored)} at '{vars_path}'.")
        for key, var in zip(stored, variables):
            shape = tuple(datasets[key].shape or ())
            if shape != tuple(var.shape):
                raise ModelFileError(path, member, f"'{key}' has shape {shape} but layer '{name}' weight "
                                                   f"'{var.name}' has shape {tuple(var.shape)}.")
            var.assign(_read_array(datasets.pop(key), path, member).astype(var.dtype, copy=False))
    if datasets:
        raise ModelFileError(path, member, f"the file holds weights the model has no place for: "
                                           f"{sorted(datasets)[:5]}. Is it the weights of a different architecture?")


def write_h5(model: Any) -> bytes:
    """The bytes of a Keras 3 weights file holding ``model``'s variables."""
    h5py = require_h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5file:
        for path, name, variables in variable_groups(model):
            group = h5file.create_group(_join(path, "vars"))
            group.attrs["name"] = name
            for i, var in enumerate(variables):
                group.create_dataset(str(i), data=to_host(var.data))
        optimizer = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
        arrays = None if optimizer is None else optimizer_arrays(optimizer, model.trainable_weights)
        if arrays is not None:
            group = h5file.create_group("optimizer/vars")
            for i, value in enumerate(arrays):
                group.create_dataset(str(i), data=value)
    return buffer.getvalue()


def restore_optimizer(model: Any, h5file: Any, path: str, member: str | None = None) -> bool:
    """Load ``optimizer/vars`` (Keras's optimizer state) into a compiled model's optimizer, if both fit.

    A slot whose shape differs from its variable's raises :class:`ModelFileError`.
    """
    h5py = require_h5py()
    try:
        if "optimizer" not in h5file or "vars" not in h5file["optimizer"] or not getattr(model, "compiled", False):
            return False
        group = h5file["optimizer"]["vars"]
        keys = list(group)
        if not all(k.isdigit() for k in keys) or not all(
                isinstance(group.get(k, getlink=True), h5py.HardLink) and isinstance(group[k], h5py.Dataset)
                for k in keys):
            raise ModelFileError(path, member, "'optimizer/vars' must hold datasets named 0, 1, ... and nothing else.")
        datasets = [group[k] for k in sorted(keys, key=int)]
    except ModelFileError:
        raise
    except _H5_ERRORS as err:
        raise _h5_failure(path, member, err) from None
    total = sum(_check_dataset(ds, path, member) for ds in datasets)
    limit = 4 * sum(nbytes_of(tuple(v.shape), np.dtype(v.dtype)) for v in model.trainable_weights) + 1024
    if total > limit:
        raise ModelFileError(path, member, f"'optimizer/vars' declares {total} bytes, more than an optimizer of this "
                                           f"model can hold ({limit}).")
    arrays = [_read_array(ds, path, member) for ds in datasets]
    return set_optimizer_arrays(model.optimizer, model.trainable_weights, arrays, path, member)


def open_h5_bytes(data: bytes, path: str, member: str | None = None) -> Any:
    """An open, read-only ``h5py.File`` over ``data``; :class:`ModelFileError` unless it is a Keras 3 weights file."""
    h5py = require_h5py()
    if not data.startswith(HDF5_SIGNATURE):
        raise ModelFileError(path, member, "is not an HDF5 file (Keras weights are stored as model.weights.h5).")
    try:
        h5file = h5py.File(io.BytesIO(data), "r")
        legacy = "model_weights" in h5file or "layer_names" in h5file.attrs
    except _H5_ERRORS as err:
        raise _h5_failure(path, member, err) from None
    if legacy:
        h5file.close()
        raise ModelFileError(path, member, "is a Keras 2 (legacy HDF5) file; brickwork reads Keras 3 files only. "
                                           "Re-save it with Keras 3 as .keras or .weights.h5.")
    return h5file


def load_keras_weights(model: Any, path: Any, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Assign the weights of a Keras 3 ``.weights.h5`` file to a built brickwork model of the same architecture.

    Arrays are matched by Keras's attribute paths (``layers/dense_1/vars/0``), never by layer names.
    The file must be a regular file of at most ``max_bytes`` (and :data:`MAX_WEIGHT_BYTES`); anything
    wrong with it raises :class:`ModelFileError`.
    """
    path = os.fspath(path)
    if not model.built:
        raise ValueError(f"Model '{model.name}' must be built before load_weights(); call it on data first.")
    with open_regular(path, "weights file") as handle:
        size = os.fstat(handle.fileno()).st_size
        limit = min(MAX_WEIGHT_BYTES, max_bytes + 16 * 1024 ** 2)
        if size > limit:
            raise ModelFileError(path, None, f"is {size} bytes, over the limit of {limit}.")
        data = handle.read(size + 1)
        if len(data) > size:
            raise ModelFileError(path, None, "grew while it was being read.")
    with open_h5_bytes(data, path) as h5file:
        declared_bytes(h5file, path, None, max_bytes)
        assign_from_h5(model, h5file, path)


def save_keras_weights(model: Any, path: Any, overwrite: bool = True) -> None:
    """Write ``model``'s weights as a Keras 3 ``.weights.h5`` file (atomically)."""
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: call it on data (or fit it) before saving.")
    data = write_h5(model)
    with atomic_write(path, "wb", overwrite=overwrite) as handle:
        handle.write(data)

"""Reading a ``.brick`` archive: every member checked against limits before memory is spent.

The order matters: the end record (member count), the member names, then
``brickwork.json`` (size, depth, field types), then the declared weight bytes
against ``max_bytes``, then ``weights.npz`` inflated with a cap derived from the
declared weights and read header first, and ``optimizer.npz`` likewise. All of
it happens before a single layer is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from brickwork.saving.arrays import npz_limit, read_npz
from brickwork.saving.errors import ModelFileError
from brickwork.saving.limits import (
    MAX_JSON_BYTES,
    check_member_name,
    nbytes_of,
    open_regular,
    open_zip,
    parse_json,
    plain_dtype,
    read_member,
    valid_shape,
)

FORMAT = "brickwork-model"
FORMAT_VERSION = 1
ALLOWED_MEMBERS = ("brickwork.json", "weights.npz", "optimizer.npz")
MAX_SLOTS_PER_WEIGHT = 4  # optimizer arrays per variable (Adam with amsgrad keeps 3)
_SLOT_KEY = re.compile(r"^(\d+)/([A-Za-z_][A-Za-z0-9_]*)$")
_PICKLE_HEADS = (b"(d", b"(l", b"}q", b"]q")


@dataclass
class ModelArchive:
    """What a ``.brick`` file holds, validated: its metadata, weight arrays and optimizer arrays."""

    path: str
    meta: dict[str, Any]
    declared: list[tuple[str, tuple[int, ...], np.dtype]]
    weights: dict[str, np.ndarray]
    optimizer: dict[str, np.ndarray] | None

    @property
    def declared_bytes(self) -> int:
        return sum(nbytes_of(shape, dtype) for _, shape, dtype in self.declared)


def _declared_weights(meta: dict[str, Any], path: str) -> list[tuple[str, tuple[int, ...], np.dtype]]:
    entries = meta.get("weights", [])
    if not isinstance(entries, list):
        raise ModelFileError(path, "brickwork.json", "field 'weights' is not a list of weight records.")
    out = []
    for i, entry in enumerate(entries):
        shape = valid_shape(entry.get("shape")) if isinstance(entry, dict) else None
        dtype = plain_dtype(entry.get("dtype")) if isinstance(entry, dict) else None
        if shape is None or dtype is None:
            raise ModelFileError(path, "brickwork.json", f"weight record {i} ({str(entry)[:120]}) needs a 'shape' of "
                                                         "non-negative integers and a plain numeric 'dtype'.")
        out.append((str(entry.get("path", f"w{i}")), shape, dtype))
    return out


def _check_meta(meta: Any, path: str) -> dict[str, Any]:
    if not isinstance(meta, dict):
        raise ModelFileError(path, "brickwork.json", "does not hold a JSON object.")
    if meta.get("format") != FORMAT:
        raise ModelFileError(path, "brickwork.json", f"unknown format {str(meta.get('format'))[:80]!r}.")
    version = meta.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(path, "brickwork.json", f"format_version {str(version)[:40]!r} is not an integer.")
    if version > FORMAT_VERSION:
        raise ModelFileError(path, "brickwork.json", f"was written by a newer brickwork (format {version}).")
    for key, kinds in (("class_name", (str,)), ("config", (dict,)), ("compile_config", (dict,)),
                       ("optimizer", (dict, str))):
        if meta.get(key) is not None and not isinstance(meta[key], kinds):
            raise ModelFileError(path, "brickwork.json", f"field {key!r} has the wrong type "
                                                         f"({type(meta[key]).__name__}).")
    if (meta.get("config") is None) != (meta.get("class_name") is None):
        raise ModelFileError(path, "brickwork.json", "fields 'class_name' and 'config' must both be set or both "
                                                     "be null.")
    return meta


def read_model_archive(path: str, max_bytes: int) -> ModelArchive:
    """Open and validate a ``.brick`` file; :class:`ModelFileError` for anything wrong with it."""
    with open_regular(path) as handle:
        head = handle.read(4)
        if head[:1] == b"\x80" or head[:2] in _PICKLE_HEADS:
            raise ModelFileError(path, None, "is a Python pickle. brickwork never unpickles files: unpickling can "
                                             "run arbitrary code. Save the model with model.save() instead.")
        archive = open_zip(handle, path, None, "is not a brickwork model file (expected a zip archive holding "
                                               "brickwork.json).")
        with archive:
            names = archive.namelist()
            for name in names:
                check_member_name(name, path)
                if name not in ALLOWED_MEMBERS:
                    raise ModelFileError(path, name, f"unexpected archive member; a brickwork model file holds only "
                                                     f"{list(ALLOWED_MEMBERS)}.")
            if len(set(names)) != len(names):
                raise ModelFileError(path, None, "the archive holds the same member twice.")
            if "brickwork.json" not in names:
                raise ModelFileError(path, "brickwork.json", "is missing: this zip archive is not a brickwork "
                                                             "model file.")
            if "weights.npz" not in names:
                raise ModelFileError(path, "weights.npz", "is missing from the archive.")
            meta = _check_meta(parse_json(read_member(archive, "brickwork.json", MAX_JSON_BYTES, path), path,
                                          "brickwork.json"), path)
            declared = _declared_weights(meta, path)
            total = sum(nbytes_of(shape, dtype) for _, shape, dtype in declared)
            if total > max_bytes:
                raise ModelFileError(path, "brickwork.json", f"declares {total} bytes of weights, over "
                                                             f"max_bytes={max_bytes}; refusing to load it (pass a "
                                                             "larger max_bytes if you trust the file).")
            expected = {f"w{i}": (shape, dtype) for i, (_, shape, dtype) in enumerate(declared)}
            raw = read_member(archive, "weights.npz", npz_limit(total, len(declared)), path)
            weights = read_npz(raw, path, "weights.npz", total, expected)
            del raw
            optimizer = None
            if "optimizer.npz" in names:
                slots = min(MAX_SLOTS_PER_WEIGHT * total + 64, max(max_bytes - total, 0))
                count = MAX_SLOTS_PER_WEIGHT * len(declared) + 4
                raw = read_member(archive, "optimizer.npz", npz_limit(slots, count), path)
                optimizer = read_npz(raw, path, "optimizer.npz", slots, max_arrays=count)
    return ModelArchive(path, meta, declared, weights, optimizer)


def assign_weights(model: Any, archive: ModelArchive) -> None:
    """Give ``model``'s variables the archive's arrays; the shapes must match one to one."""
    variables = model.weights
    if len(archive.declared) != len(variables):
        raise ModelFileError(archive.path, "weights.npz", f"holds {len(archive.declared)} weight arrays but model "
                                                          f"'{model.name}' has {len(variables)}.")
    for i, (var, (stored_path, _, _)) in enumerate(zip(variables, archive.declared)):
        value = archive.weights[f"w{i}"]
        if tuple(value.shape) != tuple(var.shape):
            raise ModelFileError(archive.path, f"weights.npz/w{i}.npy",
                                 f"weight {i} ('{stored_path}') has shape {value.shape}, but the model's "
                                 f"'{var.path}' has shape {var.shape}.")
    for i, var in enumerate(variables):
        var.assign(archive.weights[f"w{i}"].astype(var.dtype, copy=False))


def check_optimizer_state(state: dict[str, np.ndarray], variables: list[Any], path: str) -> None:
    """Refuse optimizer arrays that do not fit ``variables`` (the trainable weights) before they are set."""
    for key, value in state.items():
        label = f"optimizer.npz/{key}.npy"
        if key in ("iterations", "u_product"):
            if value.shape != () or (key == "iterations" and value.dtype.kind not in "iu"):
                raise ModelFileError(path, label, f"{key!r} must be a scalar{' integer' * (key == 'iterations')}; "
                                                  f"it has shape {value.shape} and dtype {value.dtype}.")
            continue
        match = _SLOT_KEY.match(key)
        if match is None:
            raise ModelFileError(path, label, "is not an optimizer array ('iterations' or '<variable>/<slot>').")
        index = int(match.group(1))
        if index >= len(variables):
            raise ModelFileError(path, label, f"is a slot of trainable variable {index}, but the model has "
                                              f"{len(variables)} trainable variables.")
        if tuple(value.shape) != tuple(variables[index].shape):
            raise ModelFileError(path, label, f"optimizer slot {match.group(2)!r} of variable "
                                              f"'{variables[index].path}' has shape {tuple(value.shape)}, but the "
                                              f"variable has shape {tuple(variables[index].shape)}.")
        if value.dtype.kind != "f":
            raise ModelFileError(path, label, f"optimizer slot has dtype {value.dtype}, not a float dtype.")

"""Fuzzing the loaders: mutated copies of a small saved model must be refused with ModelFileError or load
with the original predictions; never another exception, a hang or a memory spike.

Fixed seed; run with ``-s`` to see the outcome counts, the slowest load and the largest traced peak.
"""

from __future__ import annotations

import copy
import io
import json
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers, models
from brickwork.layers import Dense, Input
from brickwork.saving import ModelFileError, load_model
from brickwork.saving.keras_file import load_keras_model, save_keras_model

SEED = 18
FILES = {"flip": 60, "truncate": 60, "member": 60, "json": 50, "npz": 50}  # per kind, .brick
KERAS_FILES = {"flip": 60, "truncate": 30, "member": 40, "json": 40}  # .keras loads are slower (h5py)
MiB = 1024 ** 2


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    bw.utils.clear_session()
    bw.set_seed(7)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 4)).astype(np.float32)
    model = models.Sequential([Input(shape=(4,)), Dense(8, activation="relu"), layers.BatchNormalization(),
                               layers.Dropout(0.1), Dense(1, activation="sigmoid")])
    model.compile(bw.optimizers.Adam(0.01), "binary_crossentropy")
    model.fit(x, (x[:, 0] > 0).astype(np.float32), epochs=1, verbose=0)
    folder = tmp_path_factory.mktemp("fuzz")
    model.save(folder / "m.brick")
    save_keras_model(model, folder / "m.keras")
    return {"brick": (folder / "m.brick").read_bytes(), "keras": (folder / "m.keras").read_bytes(),
            "x": x, "y": model.predict(x, verbose=0), "folder": folder}


def members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def pack(items):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in items:
            archive.writestr(name, data)
    return buffer.getvalue()


def flip_bytes(data, rng):
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        out[int(rng.integers(len(out)))] ^= int(rng.integers(1, 256))
    return bytes(out)


def truncate(data, rng):
    return data[:int(rng.integers(0, len(data)))]


def drop_or_rename(data, rng):
    items = list(members(data).items())
    i = int(rng.integers(len(items)))
    choice = int(rng.integers(4))
    if choice == 0:
        del items[i]
    else:
        new = ["renamed.bin", "../" + items[i][0], items[(i + 1) % len(items)][0]][choice - 1]
        items[i] = (new, items[i][1])
    return pack(items)


def _paths(value, prefix=()):
    """Every (path, value) in a JSON tree, iteratively."""
    out, stack = [], [(prefix, value)]
    while stack:
        path, node = stack.pop()
        out.append((path, node))
        if isinstance(node, dict):
            stack += [((*path, k), v) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [((*path, i), v) for i, v in enumerate(node)]
    return out


def _other_type(value, rng):
    """A value of another JSON type (never None: a null is a valid default for many fields)."""
    if isinstance(value, bool):
        options = [[], "x", {}]
    elif isinstance(value, int):
        options = [-1, 10 ** 12, "x", [value]]
    elif isinstance(value, float):
        options = ["x", [value], {}]
    elif isinstance(value, str):
        options = [5, [value], {"class_name": value}, "no_such_" + value]
    elif isinstance(value, list):
        options = ["x", 3, {}, value * 40]
    elif isinstance(value, dict):
        options = ["x", 3, []]
    else:
        options = ["x", 3]
    return options[int(rng.integers(len(options)))]


_DELETABLE = {"class_name", "config", "format", "weights", "shape", "dtype", "layers", "compile_config",
              "optimizer", "metadata"}


def mutate_json(data, rng, member):
    items = members(data)
    tree = json.loads(items[member])
    for _ in range(20):
        candidates = [(p, v) for p, v in _paths(tree) if p and not (isinstance(v, str) and p[-1] == "name")]
        path, value = candidates[int(rng.integers(len(candidates)))]
        parent = tree
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(path[-1], str) and path[-1] in _DELETABLE and rng.random() < 0.3:
            del parent[path[-1]]
            break
        if isinstance(value, str) and value.startswith(("0.", "1.", "2.", "3.")):
            continue  # version strings
        parent[path[-1]] = _other_type(value, rng)
        break
    items[member] = json.dumps(tree).encode()
    return pack(items.items())


def mutate_npz(data, rng):
    """Damage an array inside weights.npz or optimizer.npz (the outer zip stays valid)."""
    items = members(data)
    name = "optimizer.npz" if "optimizer.npz" in items and rng.random() < 0.3 else "weights.npz"
    arrays = members(items[name])
    key = sorted(arrays)[int(rng.integers(len(arrays)))]
    choice = int(rng.integers(4))
    if choice == 0:
        arrays[key] = truncate(arrays[key], rng)
    elif choice == 1:
        arrays[key] = flip_bytes(arrays[key][:128], rng) + arrays[key][128:]  # the .npy header
    elif choice == 2:
        buffer = io.BytesIO()
        np.save(buffer, np.zeros(int(rng.integers(1, 50)), [np.float32, np.int64, np.float64][int(rng.integers(3))]))
        arrays[key] = buffer.getvalue()
    else:
        del arrays[key]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for k, v in arrays.items():
            archive.writestr(k, v)
    items[name] = buffer.getvalue()
    return pack(items.items())


KINDS = {
    "flip": lambda d, r, fmt: flip_bytes(d, r),
    "truncate": lambda d, r, fmt: truncate(d, r),
    "member": lambda d, r, fmt: drop_or_rename(d, r),
    "json": lambda d, r, fmt: mutate_json(d, r, "brickwork.json" if fmt == "brick" else "config.json"),
    "npz": lambda d, r, fmt: mutate_npz(d, r),
}
CASES = [("brick", kind) for kind in FILES] + [("keras", kind) for kind in KERAS_FILES]


@pytest.mark.parametrize("fmt, kind", CASES)
def test_mutated_files_are_refused_or_load_the_same_model(original, fmt, kind):
    if fmt == "keras":
        pytest.importorskip("h5py")
    rng = np.random.default_rng([SEED, CASES.index((fmt, kind))])
    loader = load_model if fmt == "brick" else load_keras_model
    count = (FILES if fmt == "brick" else KERAS_FILES)[kind]
    counts = {"refused": 0, "loaded, same predictions": 0}
    slowest, largest = 0.0, 0
    path = original["folder"] / f"mutant.{fmt}"
    for _ in range(count):
        path.write_bytes(KINDS[kind](original[fmt], rng, fmt))
        tracemalloc.start()
        start = time.perf_counter()
        try:
            model = loader(path)
        except ModelFileError as err:
            assert str(path) in str(err)
            counts["refused"] += 1
        else:
            np.testing.assert_allclose(model.predict(original["x"], verbose=0), original["y"], rtol=1e-6)
            counts["loaded, same predictions"] += 1
        finally:
            slowest = max(slowest, time.perf_counter() - start)
            largest = max(largest, tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
    print(f"\nfuzz {fmt}/{kind}: {count} files, {counts}, slowest load {slowest * 1000:.0f} ms, "
          f"largest traced peak {largest / MiB:.2f} MiB")
    assert sum(counts.values()) == count and counts["refused"] > 0
    assert slowest < 2.0 and largest < 8 * MiB


def test_json_mutation_helper_changes_the_file(original):
    rng = np.random.default_rng(SEED)
    before = json.loads(members(original["brick"])["brickwork.json"])
    after = json.loads(members(mutate_json(original["brick"], rng, "brickwork.json"))["brickwork.json"])
    assert before != after and copy.deepcopy(before) == before

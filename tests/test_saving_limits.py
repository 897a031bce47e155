"""Crafted hostile model files: every one is refused with ModelFileError naming the file and the member,
quickly and without spending the memory the file asks for."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import signal
import struct
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers, models
from brickwork.layers import Dense, Input
from brickwork.saving import ModelFileError, load_model, load_weights
from brickwork.saving.keras_file import load_keras_model, save_keras_model
from brickwork.saving.keras_weights import load_keras_weights

MiB = 1024 ** 2


def small_model(compiled: bool = True):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype(np.float32)
    model = models.Sequential([Input(shape=(4,)), Dense(8, activation="relu"), Dense(1)])
    if compiled:
        model.compile(bw.optimizers.Adam(0.01), "mse")
        model.fit(x, x[:, :1], epochs=1, verbose=0)
    return model, x


@pytest.fixture
def saved(tmp_path):
    model, x = small_model()
    path = tmp_path / "good.brick"
    model.save(path)
    return path


def rezip(src, dst, replace=None, drop=(), extra=None, compression=zipfile.ZIP_DEFLATED):
    """Copy archive ``src`` to ``dst`` replacing, dropping or adding members."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression=compression) as zout:
        for name in zin.namelist():
            if name not in drop:
                zout.writestr(name, replace.get(name, zin.read(name)))
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def meta_of(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("brickwork.json"))


def npz(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def npy_header(shape, descr="<f4"):
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode("latin1")
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def refused(path, member, call=None, **kwargs):
    """Run the loader under a 10 s alarm and tracemalloc; assert ModelFileError naming ``path`` and ``member``.

    Returns ``(seconds, peak traced bytes)``.
    """
    call = call or load_model

    def alarm(*_):
        raise TimeoutError(f"loading {path} hung")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(10)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ModelFileError) as info:
            call(path, **kwargs)
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    message = str(info.value)
    assert str(path) in message and info.value.filepath == str(path)
    if member is not None:
        assert member in message, message
    print(f"\n{os.path.basename(str(path))}: {seconds * 1000:.1f} ms, peak {peak / MiB:.2f} MiB: {message[:160]}")
    return seconds, peak


def test_model_file_error_is_a_value_error_naming_file_and_member():
    err = ModelFileError("/x/m.brick", "weights.npz", "is truncated.")
    assert isinstance(err, ValueError)
    assert str(err) == "/x/m.brick: member 'weights.npz': is truncated."
    assert (err.filepath, err.member, err.reason) == ("/x/m.brick", "weights.npz", "is truncated.")


def test_zip_bomb_of_deflated_zeros_in_weights_stays_bounded(saved, tmp_path):
    bomb = tmp_path / "bomb.brick"
    rezip(saved, bomb, drop=("weights.npz",))
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("weights.npz", "w", force_zip64=True) as member:
            zeros = bytes(MiB)
            for _ in range(256):  # 256 MiB of zeros, ~256 KB on disk
                member.write(zeros)
    assert bomb.stat().st_size < 2 * MiB
    seconds, peak = refused(bomb, "weights.npz")
    assert peak < 8 * MiB and seconds < 2


def test_zip_bomb_inside_an_npz_member_stays_bounded(saved, tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("w0.npy", "w", force_zip64=True) as member:
            member.write(npy_header((4, 8)))
            for _ in range(64):
                member.write(bytes(MiB))
    bomb = rezip(saved, tmp_path / "inner.brick", replace={"weights.npz": inner.getvalue()})
    seconds, peak = refused(bomb, "weights.npz")
    assert peak < 8 * MiB and seconds < 2


def test_huge_dense_config_refused_before_building(saved, tmp_path):
    meta = meta_of(saved)
    meta["config"]["layers"][0]["config"]["units"] = 50_000_000
    path = rezip(saved, tmp_path / "huge.brick", replace={"brickwork.json": json.dumps(meta)})
    seconds, peak = refused(path, "brickwork.json")
    assert seconds < 1 and peak < 16 * MiB


def test_declared_weights_over_max_bytes_refused_before_reading(saved, tmp_path):
    meta = meta_of(saved)
    meta["config"]["layers"][0]["config"]["units"] = 50_000_000
    meta["weights"][0]["shape"] = [4, 50_000_000]
    meta["weights"][1]["shape"] = [50_000_000]
    path = rezip(saved, tmp_path / "declared.brick", replace={"brickwork.json": json.dumps(meta)})
    seconds, peak = refused(path, "brickwork.json", max_bytes=100 * MiB)
    assert seconds < 1 and peak < 16 * MiB
    with pytest.raises(ModelFileError, match="max_bytes"):
        load_model(saved, max_bytes=64)  # the small model itself, under a tiny limit


def test_npy_header_of_a_trillion_elements_refused(saved, tmp_path):
    data = npz_with_member(saved, "w0.npy", npy_header((10 ** 12,)))
    path = rezip(saved, tmp_path / "tera.brick", replace={"weights.npz": data})
    seconds, peak = refused(path, "weights.npz/w0.npy")
    assert seconds < 1 and peak < 16 * MiB
    meta = meta_of(saved)  # the same shape declared in brickwork.json too: refused by max_bytes
    meta["weights"][0]["shape"] = [10 ** 12]
    path = rezip(saved, tmp_path / "tera2.brick", replace={"weights.npz": data, "brickwork.json": json.dumps(meta)})
    refused(path, "brickwork.json")


def npz_with_member(saved, name, data):
    """The model's weights.npz with member ``name`` replaced by raw ``data``."""
    with zipfile.ZipFile(saved) as outer:
        original = outer.read("weights.npz")
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as zin, zipfile.ZipFile(buffer, "w") as zout:
        for item in zin.namelist():
            zout.writestr(item, data if item == name else zin.read(item))
    return buffer.getvalue()


def test_truncated_array_is_reported_as_truncated(saved, tmp_path):
    with zipfile.ZipFile(saved) as outer, zipfile.ZipFile(io.BytesIO(outer.read("weights.npz"))) as inner:
        whole = inner.read("w0.npy")
    path = rezip(saved, tmp_path / "short.brick", replace={"weights.npz": npz_with_member(saved, "w0.npy",
                                                                                          whole[:-7])})
    refused(path, "weights.npz/w0.npy")
    with pytest.raises(ModelFileError, match="truncated"):
        load_model(path)
    path = rezip(saved, tmp_path / "long.brick", replace={"weights.npz": npz_with_member(saved, "w0.npy",
                                                                                         whole + b"\0" * 8)})
    with pytest.raises(ModelFileError, match="more data"):
        load_model(path)


@pytest.mark.parametrize("descr", ["|O", "[('a', '<f4'), ('b', '<i4')]", "<U5", "<c8"])
def test_non_plain_dtypes_refused(saved, tmp_path, descr):
    header = repr({"descr": ast.literal_eval(descr) if descr.startswith("[") else descr, "fortran_order": False,
                   "shape": (4, 8)}).encode("latin1")
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    raw = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + bytes(4 * 8 * 16)
    path = rezip(saved, tmp_path / "dtype.brick", replace={"weights.npz": npz_with_member(saved, "w0.npy", raw)})
    refused(path, "weights.npz/w0.npy")


def test_deeply_nested_json_refused_without_recursion(saved, tmp_path):
    deep = '{"format": "brickwork-model", "config": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path = rezip(saved, tmp_path / "deep.brick", replace={"brickwork.json": deep})
    seconds, _ = refused(path, "brickwork.json")
    assert seconds < 1
    with pytest.raises(ModelFileError, match="nests"):
        load_model(path)
    text = '{"a": "' + "[" * 5000 + '"}'  # brackets inside a string are not nesting
    assert bw.saving.limits.json_depth(text) == 1


def test_fifo_dev_zero_and_directory_refused_without_hanging(tmp_path):
    fifo = tmp_path / "model.fifo"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero", tmp_path):
        seconds, _ = refused(path, None)
        assert seconds < 1
        with pytest.raises(ModelFileError, match="not a regular file"):
            load_model(path)
    model, _ = small_model(compiled=False)
    refused(fifo, None, call=lambda p, **k: load_weights(model, p))
    refused(fifo, None, call=lambda p, **k: load_keras_model(p))
    refused("/dev/zero", None, call=lambda p, **k: load_keras_weights(model, p))
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.brick")


def test_wrong_optimizer_slot_shape_refused_at_load(saved, tmp_path):
    with zipfile.ZipFile(saved) as archive:
        state = dict(np.load(io.BytesIO(archive.read("optimizer.npz"))))
    assert state["0/momentum"].shape == (4, 8)
    state["0/momentum"] = np.zeros((8, 4), np.float32)
    path = rezip(saved, tmp_path / "slot.brick", replace={"optimizer.npz": npz(**state)})
    refused(path, "optimizer.npz/0/momentum.npy")
    state["0/momentum"] = np.zeros((4, 8), np.float32)
    state["9/momentum"] = np.zeros((4, 8), np.float32)
    path = rezip(saved, tmp_path / "slot9.brick", replace={"optimizer.npz": npz(**state)})
    refused(path, "optimizer.npz/9/momentum.npy")
    assert load_model(path, compile=False) is not None  # without compiling, the state is not read into anything


def test_many_members_and_duplicates_refused(saved, tmp_path):
    path = rezip(saved, tmp_path / "many.brick", extra={f"junk{i}": b"" for i in range(100)})
    refused(path, None)
    with pytest.raises(ModelFileError, match="declares 103 members"):
        load_model(path)
    with zipfile.ZipFile(saved) as archive:
        weights = archive.read("weights.npz")
    dup = rezip(saved, tmp_path / "dup.brick")
    with pytest.warns(UserWarning), zipfile.ZipFile(dup, "a") as archive:
        archive.writestr("weights.npz", weights)
    refused(dup, None)


def test_damaged_archives_refused(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    (tmp_path / "cut.brick").write_bytes(data[: len(data) // 2])
    refused(tmp_path / "cut.brick", None)
    with zipfile.ZipFile(saved) as archive:
        info = archive.getinfo("weights.npz")
    flipped = bytearray(data)
    flipped[info.header_offset + 30 + len(info.filename) + 10] ^= 0xFF  # inside the deflated data
    (tmp_path / "flip.brick").write_bytes(bytes(flipped))
    refused(tmp_path / "flip.brick", "weights.npz")
    rezip(saved, tmp_path / "nojson.brick", drop=("brickwork.json",))
    refused(tmp_path / "nojson.brick", "brickwork.json")
    rezip(saved, tmp_path / "noweights.brick", drop=("weights.npz",))
    refused(tmp_path / "noweights.brick", "weights.npz")


@pytest.mark.parametrize("mutate, member", [
    (lambda m: m.update(weights={"a": 1}), "brickwork.json"),
    (lambda m: m["weights"][0].update(dtype="object"), "brickwork.json"),
    (lambda m: m["weights"][0].update(shape=[-4, 8]), "brickwork.json"),
    (lambda m: m.update(format_version="1"), "brickwork.json"),
    (lambda m: m["config"].update(layers="dense"), "brickwork.json"),
    (lambda m: m["config"]["layers"][0]["config"].update(units="eight"), "brickwork.json"),
    (lambda m: m["config"]["layers"][0].update(class_name="NoSuchLayer"), "brickwork.json"),
    (lambda m: m.update(class_name=None), "brickwork.json"),
    (lambda m: m["compile_config"].update(loss="no_such_loss"), "brickwork.json"),
    (lambda m: m["config"].update(build_input_shape=[None, 10 ** 12]), "brickwork.json"),
])
def test_malformed_json_fields_refused(saved, tmp_path, mutate, member):
    meta = meta_of(saved)
    mutate(meta)
    path = rezip(saved, tmp_path / "field.brick", replace={"brickwork.json": json.dumps(meta)})
    refused(path, member)


# ---------------------------------------------------------------- Keras files
@pytest.fixture
def keras_saved(tmp_path):
    pytest.importorskip("h5py")
    model, _ = small_model(compiled=False)
    path = tmp_path / "good.keras"
    save_keras_model(model, path)
    return path


def test_keras_huge_dense_config_refused_before_building(keras_saved, tmp_path):
    with zipfile.ZipFile(keras_saved) as archive:
        config = json.loads(archive.read("config.json"))
    dense = next(e for e in config["config"]["layers"] if e["class_name"] == "Dense")
    dense["config"]["units"] = 50_000_000
    path = rezip(keras_saved, tmp_path / "huge.keras", replace={"config.json": json.dumps(config)})
    seconds, peak = refused(path, "config.json", call=load_keras_model)
    assert seconds < 1 and peak < 16 * MiB
    refused(keras_saved, "model.weights.h5", call=load_keras_model, max_bytes=64)


def test_keras_deep_json_and_damaged_weights_refused(keras_saved, tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    path = rezip(keras_saved, tmp_path / "deep.keras", replace={"config.json": deep})
    refused(path, "config.json", call=load_keras_model)
    with zipfile.ZipFile(keras_saved) as archive:
        h5 = archive.read("model.weights.h5")
    path = rezip(keras_saved, tmp_path / "cut.keras", replace={"model.weights.h5": h5[: len(h5) // 2]})
    refused(path, "model.weights.h5", call=load_keras_model)
    (tmp_path / "cut.weights.h5").write_bytes(h5[: len(h5) // 2])
    model, _ = small_model(compiled=False)
    refused(tmp_path / "cut.weights.h5", None, call=lambda p, **k: load_keras_weights(model, p))


def test_keras_wrong_optimizer_slot_shape_refused(tmp_path):
    h5py = pytest.importorskip("h5py")
    model, _ = small_model(compiled=True)
    path = tmp_path / "opt.keras"
    save_keras_model(model, path)
    with zipfile.ZipFile(path) as archive:
        h5 = archive.read("model.weights.h5")
    buffer = io.BytesIO(h5)
    with h5py.File(buffer, "a") as h5file:
        slot = h5file["optimizer/vars/2"]
        assert slot.shape == (4, 8)
        del h5file["optimizer/vars/2"]
        h5file["optimizer/vars"].create_dataset("2", data=np.zeros((8, 4), np.float32))
    bad = rezip(path, tmp_path / "badopt.keras", replace={"model.weights.h5": buffer.getvalue()})
    refused(bad, "model.weights.h5", call=load_keras_model)


def test_legitimate_files_still_load(tmp_path, keras_saved):
    original, x = small_model()
    saved = tmp_path / "again.brick"
    original.save(saved)
    loaded = load_model(saved)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), original.predict(x, verbose=0), rtol=1e-6)
    assert type(loaded.optimizer).__name__ == "Adam" and loaded.optimizer.iterations == original.optimizer.iterations
    with contextlib.suppress(ImportError):
        keras_model = load_keras_model(keras_saved)
        assert [w.shape for w in keras_model.weights] == [(4, 8), (8,), (8, 1), (1,)]
    layer_only = models.Sequential([Input(shape=(4,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
    load_weights(layer_only, saved)
    np.testing.assert_allclose(layer_only.predict(x, verbose=0), original.predict(x, verbose=0), rtol=1e-6)

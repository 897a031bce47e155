"""Reading the pickles inside dataset files without running code or exhausting memory.

CIFAR's batches are Python pickles, and the IMDB/Reuters ``.npz`` files hold ragged
sequences as NumPy object arrays, which NumPy can only store as pickles. A plain
``pickle.load`` (or ``np.load(allow_pickle=True)``) runs whatever callables a file
names, so a tampered file could execute code. :class:`RestrictedUnpickler` resolves
only the few globals that rebuilding NumPy arrays needs and refuses every other one.
Plain containers (dict, list, tuple, str, bytes, numbers) are built by pickle opcodes
and need no globals. Every reader here also takes a byte limit, checked against the
sizes the file's headers declare before anything is read or allocated.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from typing import IO, Any

import numpy as np

DEFAULT_MAX_BYTES = 4 * 1024**3  # no Keras dataset file comes near 4 GiB once decompressed


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """``_codecs.encode`` as Python 3 writes ``bytes`` into protocol-2 pickles; Latin-1 only."""
    if encoding.lower().replace("-", "").replace("_", "") not in ("latin1", "iso88591"):
        raise pickle.UnpicklingError(f"Refusing _codecs.encode with encoding {encoding!r} in a dataset pickle.")
    if not isinstance(text, str):
        raise pickle.UnpicklingError("Refusing _codecs.encode of a non-string in a dataset pickle.")
    return text.encode("latin1")


def _numpy_global(module: str, name: str) -> Any:
    if name == "_reconstruct":
        return np.ndarray.__reduce__(np.zeros(0))[0]  # multiarray._reconstruct, without a private import
    if name == "scalar":
        return _scalar
    raise KeyError(name)


def _scalar(dtype: np.dtype, data: bytes | None = None) -> Any:
    """NumPy's pickled scalars: ``scalar(dtype, raw_bytes)``, for non-object dtypes only."""
    if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(data, bytes):
        raise pickle.UnpicklingError("Refusing a NumPy object scalar in a dataset pickle.")
    if len(data) != dtype.itemsize:
        raise pickle.UnpicklingError("A pickled NumPy scalar has the wrong number of bytes.")
    return np.frombuffer(data, dtype=dtype)[0]


def _frombuffer(buffer: Any, dtype: np.dtype, shape: tuple[int, ...], order: str) -> np.ndarray:
    """How protocol 5 stores an array: its raw buffer, dtype, shape and order (numeric dtypes only)."""
    if not isinstance(dtype, np.dtype) or dtype.hasobject or order not in ("C", "F"):
        raise pickle.UnpicklingError("Refusing a pickled NumPy buffer of object dtype or unknown order.")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order).copy()


ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_encode,
}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    for _name in ("_reconstruct", "scalar"):
        ALLOWED_GLOBALS[(_module, _name)] = None  # resolved on first use (see _numpy_global)
for _module in ("numpy.core.numeric", "numpy._core.numeric"):
    ALLOWED_GLOBALS[(_module, "_frombuffer")] = _frombuffer


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`ALLOWED_GLOBALS` (NumPy array rebuilding)."""

    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        if key not in ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"Refusing to load '{module}.{name}' from a dataset file: only NumPy arrays and plain "
                "containers may appear in it. The file may be corrupted or malicious; delete it and "
                "get a fresh copy.")
        value = ALLOWED_GLOBALS[key]
        return _numpy_global(module, name) if value is None else value

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("Refusing a persistent id in a dataset pickle.")


def _read_bounded(handle: IO[bytes], max_bytes: int, what: str) -> bytes:
    data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"{what} is larger than the {max_bytes} byte limit; refusing to read it.")
    return data


def load_pickle(source: str | bytes | IO[bytes], encoding: str = "ASCII",
                max_bytes: int = DEFAULT_MAX_BYTES, what: str = "pickle") -> Any:
    """Unpickle ``source`` (a path, the bytes, or a binary file) with :class:`RestrictedUnpickler`.

    ``encoding='bytes'`` reads Python 2 pickles (CIFAR's) with their strings as bytes.
    """
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str):
        with open(source, "rb") as handle:
            data = _read_bounded(handle, max_bytes, source)
    else:
        data = _read_bounded(source, max_bytes, what)
    if len(data) > max_bytes:
        raise ValueError(f"{what} is larger than the {max_bytes} byte limit; refusing to read it.")
    return RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load()


def _npy_header(fp: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fp)
    if version in ((2, 0), (3, 0)):
        return np.lib.format.read_array_header_2_0(fp)  # 3.0 differs only in the header's text encoding
    raise ValueError(f"Unsupported .npy format version {version}.")


def read_npy(data: bytes, what: str = ".npy member") -> np.ndarray:
    """One ``.npy`` stream: numeric arrays with pickling off, object arrays through the restricted unpickler.

    The header's shape and dtype must account for the bytes present, so nothing larger
    than the stream itself is allocated.
    """
    fp = io.BytesIO(data)
    shape, fortran, dtype = _npy_header(fp)
    if any(not isinstance(d, int) or d < 0 for d in shape):
        raise ValueError(f"{what}: invalid shape {shape} in its header.")
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if dtype.hasobject:
        arr = RestrictedUnpickler(fp, encoding="latin1").load()
        if not isinstance(arr, np.ndarray) or arr.shape != tuple(shape):
            raise ValueError(f"{what}: the pickled object array does not match its header shape {shape}.")
        return arr
    if count * dtype.itemsize != len(data) - fp.tell():
        raise ValueError(f"{what}: the header declares {count} values of {dtype} but the stream holds "
                         f"{len(data) - fp.tell()} bytes.")
    fp.seek(0)
    return np.lib.format.read_array(fp, allow_pickle=False)


def load_npz(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, np.ndarray]:
    """Every ``.npy`` member of the ``.npz`` archive at ``path``, read by :func:`read_npy`.

    Members whose declared uncompressed size passes ``max_bytes`` (in total) are refused
    before they are decompressed.
    """
    out: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive:
        infos = [i for i in archive.infolist() if i.filename.endswith(".npy")]
        total = sum(i.file_size for i in infos)
        if total > max_bytes:
            raise ValueError(f"{path}: its arrays declare {total} bytes, over the {max_bytes} byte limit.")
        for info in infos:
            with archive.open(info) as member:
                data = _read_bounded(member, info.file_size, f"{path}:{info.filename}")
            out[info.filename[:-4]] = read_npy(data, f"{path}:{info.filename}")
    return out

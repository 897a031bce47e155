"""``.npz`` archives of weights read header first, within a byte budget.

Each ``.npy`` member's header (magic, shape, dtype) is parsed before its data:
the dtype must be plain numeric or boolean, the shape must match what the
model file declares, and the bytes must fit the remaining budget. Only then is
the array allocated and filled, and a member with too little (truncated) or too
much data is refused. Nothing is unpickled.
"""

from __future__ import annotations

import io
import re
import struct
import tokenize
import zipfile
import zlib
from typing import Any

import numpy as np
from numpy.lib import format as npy_format

from brickwork.engine.device import to_host
from brickwork.saving.errors import ModelFileError
from brickwork.saving.limits import check_member_name, nbytes_of, open_zip, plain_dtype

MAX_NPY_HEADER = 10000  # bytes of an .npy header (NumPy's own default bound)
ARRAY_OVERHEAD = 1024  # zip and .npy header bytes per array allowed on top of the data
_CHUNK = 1 << 20
_KEY = re.compile(r"^[A-Za-z0-9_]+(?:/[A-Za-z0-9_]+)?$")


def npz_limit(data_bytes: int, count: int) -> int:
    """The most bytes an ``.npz`` of ``count`` arrays holding ``data_bytes`` of data may inflate to."""
    return int(data_bytes) + ARRAY_OVERHEAD * (int(count) + 1) + 64 * 1024


def read_npy_header(handle: Any, path: str, member: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """``(shape, fortran_order, dtype)`` from an ``.npy`` stream, reading no more than the header."""
    try:
        version = npy_format.read_magic(handle)
        size_format = "<H" if version == (1, 0) else "<I"
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise ValueError(f"unknown .npy version {version}")
        raw_length = handle.read(struct.calcsize(size_format))
        if len(raw_length) != struct.calcsize(size_format):
            raise ValueError("the header is truncated")
        length = struct.unpack(size_format, raw_length)[0]
        if length > MAX_NPY_HEADER:
            raise ValueError(f"the header claims {length} bytes, over the limit of {MAX_NPY_HEADER}")
        header = handle.read(length)
        if len(header) != length:
            raise ValueError("the header is truncated")
        replay = io.BytesIO(raw_length + header)
        reader = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
        if version == (3, 0):  # utf-8 header; NumPy reads it with the 2.0 layout
            reader = npy_format.read_array_header_2_0
        shape, fortran, dtype = reader(replay, max_header_size=MAX_NPY_HEADER)
    except (ValueError, SyntaxError, tokenize.TokenError, RecursionError, MemoryError, UnicodeDecodeError, TypeError,
            struct.error, zipfile.BadZipFile, zlib.error, EOFError, OSError) as err:
        raise ModelFileError(path, member, f"is not a readable .npy array header ({type(err).__name__}: "
                                           f"{err}).") from None
    if plain_dtype(dtype) is None:
        raise ModelFileError(path, member, f"holds an array of dtype {dtype!r}: only plain numeric and boolean "
                                           "arrays are read (object arrays would need pickle, which brickwork "
                                           "never uses).")
    return tuple(int(d) for d in shape), bool(fortran), np.dtype(dtype)


def _fill(handle: Any, raw: np.ndarray, path: str, member: str) -> None:
    view = memoryview(raw)
    got = 0
    try:
        while got < len(view):
            n = handle.readinto(view[got:got + _CHUNK])
            if not n:
                raise ModelFileError(path, member, f"is truncated: the header declares {len(view)} data bytes, "
                                                   f"the member holds {got}.")
            got += n
        if handle.read(1):
            raise ModelFileError(path, member, "holds more data than its header declares.")
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error) as err:
        raise ModelFileError(path, member, f"damaged data ({type(err).__name__}: {err}).") from None


def read_npz(data: bytes, path: str, member: str, budget: int,
             expected: dict[str, tuple[tuple[int, ...], np.dtype]] | None = None,
             max_arrays: int = 100_000) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` held in ``data`` (the bytes of archive member ``member`` of ``path``).

    Args:
        budget: Data bytes all arrays together may take; checked from each header before allocating.
        expected: ``{key: (shape, dtype)}`` the archive must hold exactly (keys without ``.npy``);
            ``None`` accepts any plain arrays within the budget.
        max_arrays: Most arrays the archive may hold.
    """
    archive = open_zip(io.BytesIO(data), path, member, "is not an .npz archive.", max_members=max_arrays)
    arrays: dict[str, np.ndarray] = {}
    remaining = int(budget)
    with archive:
        for info in archive.infolist():
            name = info.filename
            label = f"{member}/{name}"
            check_member_name(name, path)
            key = name[:-4] if name.endswith(".npy") else None
            if key is None or not _KEY.match(key) or key in arrays:
                raise ModelFileError(path, label, "is not an array member of the form '<key>.npy'.")
            if expected is not None and key not in expected:
                raise ModelFileError(path, label, f"is not one of the {len(expected)} arrays the file declares.")
            try:
                handle = archive.open(info)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError,
                    ValueError, struct.error) as err:
                raise ModelFileError(path, label, f"damaged data ({type(err).__name__}: {err}).") from None
            with handle:
                shape, fortran, dtype = read_npy_header(handle, path, label)
                if expected is not None and (shape, dtype) != expected[key]:
                    want_shape, want_dtype = expected[key]
                    raise ModelFileError(path, label, f"holds an array of shape {shape} and dtype {dtype}, but the "
                                                      f"file declares shape {want_shape} and dtype {want_dtype}.")
                size = nbytes_of(shape, dtype)
                if size > remaining:
                    raise ModelFileError(path, label, f"declares an array of shape {shape} ({size} bytes), over the "
                                                      f"{remaining} bytes left of the limit; refusing to allocate it.")
                remaining -= size
                raw = np.empty(size, np.uint8)
                _fill(handle, raw, path, label)
            arrays[key] = raw.view(dtype).reshape(shape, order="F" if fortran else "C")
    if expected is not None and len(arrays) != len(expected):
        missing = sorted(set(expected) - set(arrays))
        raise ModelFileError(path, member, f"lacks the declared array(s) {missing[:5]}.")
    return arrays


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """The bytes of an uncompressed ``.npz`` holding ``arrays`` (no pickles)."""
    buffer = io.BytesIO()
    np.savez(buffer, **{k: to_host(v) for k, v in arrays.items()})  # GPU arrays are copied to the host
    return buffer.getvalue()

"""Resource limits for reading model files, checked before memory is spent.

Every reader in :mod:`brickwork.saving` goes through these helpers:

- :func:`open_regular` opens only regular files (a FIFO, a device such as
  ``/dev/zero`` or a directory is refused without blocking on it);
- :func:`open_zip` reads the archive's end record first and refuses more than
  :data:`MAX_MEMBERS` members before :mod:`zipfile` builds its directory;
- :func:`read_member` inflates a member with a cap, counting what really comes
  out (the sizes in the zip headers are never trusted);
- :func:`parse_json` refuses JSON over :data:`MAX_JSON_BYTES` or nested deeper
  than :data:`MAX_JSON_DEPTH` (measured without recursion, before parsing).

Weight arrays are read by :mod:`brickwork.saving.arrays` from their ``.npy``
headers first. Rebuilding a model from its configuration runs under a
:class:`WeightBudget`: each variable a layer creates is charged *before* its
initial value is allocated, so a configuration that would create more weight
bytes than the file declares (or than ``max_bytes``) is refused without
spending the memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, Any

import numpy as np

from brickwork.engine.allocation import allocation_scope
from brickwork.saving.errors import ModelFileError

DEFAULT_MAX_BYTES = 4 * 1024 ** 3  # the default ``max_bytes`` of load_model / load_weights: 4 GiB of weights
MAX_MEMBERS = 64  # members of a model archive (brickwork writes 3, Keras 3)
MAX_JSON_BYTES = 64 * 1024 ** 2
MAX_JSON_DEPTH = 128  # nesting of arrays/objects; Keras configs of nested models stay far below
BUILD_SLACK = 1024 ** 2  # weight bytes a rebuild may create beyond those the file declares
_CHUNK = 1 << 20
_EOCD = b"PK\x05\x06"
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")


# ------------------------------------------------------------------ files
def open_regular(path: str, kind: str = "model file") -> IO[bytes]:
    """Open ``path`` for reading if it is a regular file; :class:`ModelFileError` otherwise.

    The file is opened non-blocking and checked with ``fstat`` on the open descriptor,
    so a FIFO or a device never blocks the reader and cannot be swapped in afterwards.
    """
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"No such {kind}: {path}") from None
    if not stat.S_ISREG(before.st_mode):
        raise ModelFileError(path, None, f"is not a regular file ({_file_kind(before.st_mode)}); a {kind} must be "
                                         "a regular file.")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode):
            raise ModelFileError(path, None, f"is not a regular file ({_file_kind(now.st_mode)}).")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a plain file"


# ------------------------------------------------------------------ zip archives
def zip_member_count(handle: IO[bytes]) -> int | None:
    """The member count in a zip's end-of-central-directory record (``None``: no such record)."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    tail_size = min(size, 22 + 0xFFFF)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    handle.seek(0)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        return None
    return int(struct.unpack("<H", tail[at + 10:at + 12])[0])


def open_zip(handle: IO[bytes], path: str, member: str | None, not_zip: str,
             max_members: int = MAX_MEMBERS) -> zipfile.ZipFile:
    """A :class:`zipfile.ZipFile` over ``handle``, refused (with ``not_zip`` as the reason) when
    it is no zip archive, and refused when it declares more than ``max_members`` members."""
    count = zip_member_count(handle)
    if count is None:
        raise ModelFileError(path, member, not_zip)
    if count > max_members:
        raise ModelFileError(path, member, f"the archive declares {count} members, more than the limit of "
                                           f"{max_members}; refusing to read its directory.")
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, struct.error,
            UnicodeDecodeError, NotImplementedError) as err:
        raise ModelFileError(path, member, f"damaged zip archive ({type(err).__name__}: {err}).") from None
    if len(archive.infolist()) > max_members:
        archive.close()
        raise ModelFileError(path, member, f"the archive holds more than {max_members} members.")
    return archive


def check_member_name(name: str, path: str) -> None:
    """Refuse archive member names that could escape the archive."""
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or ".." in normalized.split("/") or ":" in normalized or "\0" in normalized:
        raise ModelFileError(path, name, "has a path that escapes the archive; refusing to load it.")


def read_member(archive: zipfile.ZipFile, name: str, limit: int, path: str, outer: str | None = None) -> bytes:
    """The inflated bytes of member ``name``, refused as soon as more than ``limit`` bytes come out.

    Damaged data (a bad CRC, a truncated or invalid deflate stream, an unsupported
    compression method, encryption) raises :class:`ModelFileError` naming the member.
    ``outer`` names the member holding this archive, for archives inside archives.
    """
    label = name if outer is None else f"{outer}/{name}"
    chunks: list[bytes] = []
    total = 0
    try:
        with archive.open(name) as handle:
            while chunk := handle.read(min(_CHUNK, limit + 1 - total)):
                total += len(chunk)
                if total > limit:
                    raise ModelFileError(path, label, f"inflates past the limit of {limit} bytes; refusing it "
                                                      "(a zip bomb, or weights larger than the file declares).")
                chunks.append(chunk)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError,
            struct.error) as err:
        raise ModelFileError(path, label, f"damaged data ({type(err).__name__}: {err}).") from None
    except KeyError:
        raise ModelFileError(path, label, "is missing from the archive.") from None
    return b"".join(chunks)


# ------------------------------------------------------------------ JSON
def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text``, found without recursion."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return text.count("[") + text.count("{")
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub('""', text)).encode("ascii")
    steps = np.frombuffer(brackets, np.uint8)
    deepest, level = 0, 0
    for start in range(0, len(steps), _CHUNK):
        part = steps[start:start + _CHUNK]
        running = np.cumsum(np.where((part == ord("[")) | (part == ord("{")), 1, -1).astype(np.int64)) + level
        if len(running):
            deepest = max(deepest, int(running.max()))
            level = int(running[-1])
    return deepest


def parse_json(raw: bytes, path: str, member: str, limit: int = MAX_JSON_BYTES,
               max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode a JSON member within size and depth limits; :class:`ModelFileError` otherwise."""
    if len(raw) > limit:
        raise ModelFileError(path, member, f"is {len(raw)} bytes of JSON, over the limit of {limit}.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ModelFileError(path, member, f"is not UTF-8 text ({err}).") from None
    depth = json_depth(text)
    if depth > max_depth:
        raise ModelFileError(path, member, f"nests arrays/objects {depth} deep, over the limit of {max_depth}.")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:
        raise ModelFileError(path, member, f"is not valid JSON ({type(err).__name__}: {err}).") from None


# ------------------------------------------------------------------ rebuilding errors
REBUILD_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError)
_JSON_TYPES = (dict, list, str, int, float, bool, type(None))


def from_file_data(err: BaseException) -> bool:
    """Whether ``err``, raised while rebuilding a model from a file's configuration, comes from the
    configuration being malformed (so it is reported as :class:`ModelFileError`, the original chained).

    An ``AttributeError`` counts only when it was raised on a plain JSON value (a ``str`` where an
    object belongs); one raised on a layer or any other object is a bug and propagates unchanged.
    """
    if isinstance(err, AttributeError):
        return isinstance(getattr(err, "obj", None), _JSON_TYPES) and hasattr(err, "obj")
    return isinstance(err, REBUILD_ERRORS)


# ------------------------------------------------------------------ dtypes and shapes
def plain_dtype(value: Any) -> np.dtype | None:
    """``value`` as a plain numeric or boolean NumPy dtype (no objects, records, sub-arrays); else ``None``."""
    try:
        dtype = np.dtype(value) if isinstance(value, (str, np.dtype)) else None
    except (TypeError, ValueError, SyntaxError):
        return None
    if dtype is None or dtype.kind not in "biuf" or dtype.fields is not None or dtype.shape != () \
            or dtype.hasobject:
        return None
    return dtype


def nbytes_of(shape: tuple[int, ...], dtype: np.dtype) -> int:
    """Bytes an array of ``shape`` and ``dtype`` needs (exact, in Python integers: no overflow)."""
    total = int(dtype.itemsize)
    for dim in shape:
        total *= int(dim)
    return total


def valid_shape(value: Any) -> tuple[int, ...] | None:
    """``value`` as a shape tuple if it is a list/tuple of at most 32 non-negative ints; else ``None``."""
    if not isinstance(value, (list, tuple)) or len(value) > 32:
        return None
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in value):
        return None
    return tuple(value)


# ------------------------------------------------------------------ building under a budget
class WeightBudget:
    """Weight bytes that rebuilding a model from a file may create.

    Args:
        path, member: The file and member whose configuration is being rebuilt (for messages).
        limit: Bytes allowed (the declared weight bytes plus :data:`BUILD_SLACK`, at most ``max_bytes``).
        declared: The weight bytes the file declares (for messages).
    """

    def __init__(self, path: str, member: str, limit: int, declared: int) -> None:
        self.path, self.member, self.limit, self.declared = path, member, int(limit), int(declared)
        self.used = 0

    def charge(self, owner: str, name: Any, shape: Any, dtype: Any) -> None:
        """Count one variable about to be created; :class:`ModelFileError` if it breaks the budget."""
        try:
            dims = tuple(int(d) for d in (() if shape is None else shape))
        except (TypeError, ValueError, OverflowError):
            return  # add_weight itself reports a malformed shape
        try:
            as_dtype = np.dtype(dtype or "float32")
        except (TypeError, ValueError):
            as_dtype = np.dtype(np.float64)  # a policy name ('mixed_float16'...): count the widest float
        size = nbytes_of(dims, as_dtype)
        self.used += max(size, 0)
        if self.used > self.limit:
            raise ModelFileError(self.path, self.member,
                                 f"rebuilding the configuration would create weight '{owner}/{name}' of shape "
                                 f"{dims} ({size} bytes), taking the model to {self.used} bytes of weights; the "
                                 f"file declares {self.declared} and at most {self.limit} are allowed. Refused "
                                 "before allocating (pass a larger max_bytes for a genuinely large model).")



@contextlib.contextmanager
def weight_budget(budget: WeightBudget) -> Iterator[WeightBudget]:
    """Within the block, every variable created in this thread/context is charged to ``budget`` (through
    :func:`brickwork.engine.allocation.allocation_scope`, which ``Layer.add_weight`` consults)."""
    with allocation_scope(budget.charge):
        yield budget

"""Where Keras keeps downloaded datasets, and finding a file there (never downloading).

Keras caches under ``$KERAS_HOME/datasets`` when ``KERAS_HOME`` is set, else
``~/.keras/datasets`` (``/tmp/.keras/datasets`` when the home folder is not
writable). brickwork reads the same files, so data that Keras fetched once is
found here; a file that is not there raises a :class:`FileNotFoundError` saying
which file to put where and where Keras downloads it from.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Sequence

import numpy as np

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def keras_home() -> str:
    """Keras's base folder: ``$KERAS_HOME`` or ``~/.keras`` (``/tmp/.keras`` if home is not writable)."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = "/tmp"
    return os.path.join(base, ".keras")


def cache_dirs(cache_dir: str | os.PathLike | None = None) -> list[str]:
    """The folders searched, in order: ``cache_dir`` when given (it alone), else Keras's datasets folders."""
    if cache_dir is not None:
        return [os.fspath(cache_dir)]
    dirs = [os.path.join(os.path.expanduser(keras_home()), "datasets")]
    fallback = os.path.join("/tmp", ".keras", "datasets")
    if fallback not in dirs:
        dirs.append(fallback)
    return dirs


def missing(names: Sequence[str], dirs: Sequence[str], origin: str, dataset: str,
            note: str = "") -> FileNotFoundError:
    """The error for a dataset file that is in none of ``dirs``."""
    where = dirs[0]
    wanted = " or ".join(os.path.join(where, n) for n in names)
    return FileNotFoundError(
        f"{dataset}: file not found. brickwork never downloads; put {wanted} there (Keras downloads it from "
        f"{origin}; running keras.datasets.{dataset}.load_data() once fills the same cache), or pass the "
        f"folder that holds it as cache_dir=. Searched: {', '.join(dirs)}.{note}")


def find(names: Sequence[str], dirs: Sequence[str], origin: str, dataset: str, kind: str = "file") -> str:
    """The first existing ``dir/name`` (``kind='file'`` or ``'dir'``), else raise :func:`missing`."""
    for d in dirs:
        for n in names:
            p = os.path.join(d, n)
            if (os.path.isdir(p) if kind == "dir" else os.path.isfile(p)):
                return p
    raise missing(names, dirs, origin, dataset)


def resolve(path: str | os.PathLike, default: str, cache_dir: str | os.PathLike | None, dataset: str,
            origin: str) -> str:
    """Keras's ``path=`` argument: a file name inside the cache (or ``cache_dir``); a path with
    a folder in it (or an existing file) is used as it is."""
    path = os.fspath(path)
    if os.sep in path or (os.altsep and os.altsep in path) or (cache_dir is None and os.path.isfile(path)):
        if os.path.isfile(path):
            return path
        raise FileNotFoundError(f"{dataset}: file not found: {path}. brickwork never downloads; put the "
                                f"{default} file there (Keras downloads it from {origin}).")
    return find([path], cache_dirs(cache_dir), origin, dataset)


def read_idx(path: str, ndim: int, max_items: int) -> np.ndarray:
    """An IDX file of unsigned bytes (MNIST's format): a magic ``0x0000 08 ndim``, ``ndim``
    big-endian 32-bit sizes, then the values. The sizes are checked against the data
    before the array is made; Keras's loader skips the header the same way."""
    header = 4 + 4 * ndim
    with gzip.open(path, "rb") as handle:
        head = handle.read(header)
        if len(head) != header or head[:3] != b"\x00\x00\x08" or head[3] != ndim:
            raise ValueError(f"{path} is not a {ndim}-dimensional IDX file of unsigned bytes.")
        dims = tuple(int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
        count = int(np.prod(dims, dtype=object))
        if count > max_items:
            raise ValueError(f"{path} declares shape {dims}, more than the {max_items} values expected.")
        data = handle.read(count + 1)
    if len(data) != count:
        raise ValueError(f"{path} declares shape {dims} ({count} bytes) but holds {len(data)} bytes.")
    return np.frombuffer(data, np.uint8).reshape(dims)

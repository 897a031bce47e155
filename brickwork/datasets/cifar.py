"""CIFAR-10 and CIFAR-100 from Keras's cache: the extracted ``cifar-10-batches-py`` /
``cifar-100-python`` folder or the downloaded ``.tar.gz`` (read in place, never
extracted, never downloaded). The batches are Python pickles, read with the
restricted unpickler of :mod:`brickwork.datasets.safe_pickle`."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Callable

import numpy as np

from brickwork.datasets.keras_cache import cache_dirs, missing
from brickwork.datasets.safe_pickle import load_pickle

MAX_BATCH_BYTES = 512 * 1024 * 1024  # a CIFAR batch is 31 MiB (10k images) or 155 MiB (CIFAR-100 train)
IMAGE_VALUES = 3 * 32 * 32


def locate(folder: str, origin: str, dataset: str, cache_dir: str | os.PathLike | None) -> Callable[[str], bytes]:
    """A reader of the members of ``folder`` (e.g. ``cifar-10-batches-py``): from the extracted
    folder if present, else from the archive Keras downloaded."""
    dirs = cache_dirs(cache_dir)
    target = folder + "-target"  # Keras 3 extracts into <folder>-target/<folder>, keeps <folder>-target_archive
    archive_base = os.path.basename(origin)
    for d in dirs:
        for candidate in (os.path.join(d, target, folder), os.path.join(d, folder)):
            if os.path.isdir(candidate):
                def read_file(name: str, base: str = candidate) -> bytes:
                    path = os.path.join(base, name)
                    if not os.path.isfile(path):
                        raise FileNotFoundError(f"{dataset}: {path} is missing from the extracted folder.")
                    if os.path.getsize(path) > MAX_BATCH_BYTES:
                        raise ValueError(f"{path} is larger than a CIFAR batch can be; refusing it.")
                    with open(path, "rb") as handle:
                        return handle.read()
                return read_file
        for name in (folder + ".tar.gz", archive_base, target + "_archive"):
            path = os.path.join(d, name)
            if os.path.isfile(path):
                return _tar_reader(path, folder, dataset)
    raise missing([folder + "/", archive_base], dirs, origin, dataset,
                  note=f" The archive may stay packed: brickwork reads {archive_base} in place.")


def _tar_reader(path: str, folder: str, dataset: str) -> Callable[[str], bytes]:
    def read_member(name: str) -> bytes:
        with tarfile.open(path, "r:*") as archive:
            try:
                member = archive.getmember(f"{folder}/{name}")
            except KeyError:
                raise FileNotFoundError(f"{dataset}: {path} has no member {folder}/{name}.") from None
            if not member.isfile() or member.size > MAX_BATCH_BYTES:
                raise ValueError(f"{path}: member {member.name} is not a regular file of CIFAR batch size.")
            handle = archive.extractfile(member)
            assert handle is not None
            return handle.read(MAX_BATCH_BYTES + 1)
    return read_member


def load_batch(data: bytes, label_key: str = "labels", what: str = "CIFAR batch") -> tuple[np.ndarray, list]:
    """``(images (N, 3, 32, 32) uint8, labels)`` from one pickled batch, as Keras's ``cifar.load_batch``."""
    d = load_pickle(data, encoding="bytes", max_bytes=MAX_BATCH_BYTES, what=what)
    if not isinstance(d, dict):
        raise ValueError(f"{what}: expected a pickled dict, got {type(d).__name__}.")
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    if "data" not in d or label_key not in d:
        raise ValueError(f"{what}: expected the keys 'data' and {label_key!r}; found {sorted(map(str, d))}.")
    images, labels = d["data"], d[label_key]
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.size % IMAGE_VALUES:
        raise ValueError(f"{what}: 'data' must be a uint8 array of 3072 values per image.")
    images = images.reshape(images.size // IMAGE_VALUES, 3, 32, 32)
    if len(labels) != len(images):
        raise ValueError(f"{what}: {len(images)} images but {len(labels)} labels.")
    return images, labels


def to_layout(x: np.ndarray) -> np.ndarray:
    """Channels-first batches to the configured ``image_data_format`` (channels_last by default)."""
    from brickwork.engine.config import image_data_format

    return x.transpose(0, 2, 3, 1) if image_data_format() == "channels_last" else x

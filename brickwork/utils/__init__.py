"""Utilities: one-hot labels, model plots, session reset."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.utils.inspection import feature_maps
from brickwork.utils.naming import reset_names
from brickwork.utils.numerical import normalize
from brickwork.utils.py_dataset import PyDataset, Sequence
from brickwork.utils.registry import get_custom_objects, get_registered_name, register_keras_serializable
from brickwork.utils.split import split_dataset
from brickwork.utils.timeseries import timeseries_dataset_from_array


def to_categorical(y: Any, num_classes: int | None = None, dtype: str = "float32") -> np.ndarray:
    """One-hot encode integer labels (Keras's ``to_categorical``)."""
    y = np.asarray(y)
    if y.dtype.kind == "f":
        if not np.all(np.mod(y, 1) == 0):
            raise ValueError("to_categorical expects integer class labels.")
        y = y.astype(np.int64)
    shape = y.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical: labels must be non-negative; found {int(y.min())}.")
    n = int(num_classes) if num_classes is not None else (int(y.max()) + 1 if y.size else 0)
    if y.size and y.max() >= n:
        raise ValueError(f"to_categorical: label {int(y.max())} is out of range for num_classes={n}.")
    out = np.zeros((y.size, n), dtype=dtype)
    out[np.arange(y.size), y] = 1
    return out.reshape(shape + (n,))


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and brickwork's generator
    (``keras.utils.set_random_seed``)."""
    from brickwork.engine.random import set_seed

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"set_random_seed: seed must be an integer; got {seed!r}.")
    set_seed(int(seed))


def __getattr__(name: str) -> Any:
    # pad_sequences lives in brickwork.text, whose __init__ imports this package: re-export it lazily.
    if name == "pad_sequences":
        from brickwork.text.tokenizer import pad_sequences

        return pad_sequences
    raise AttributeError(f"module 'brickwork.utils' has no attribute {name!r}")


def clear_session() -> None:
    """Restart layer-name numbering (``dense``, ``dense_1``, ...)."""
    reset_names()


def plot_model(model: Any, to_file: str = "model.png", show_shapes: bool = True, show_layer_names: bool = True,
               dpi: int = 96, **kwargs: Any) -> str:
    """Draw the layer graph to a PNG (needs matplotlib; not Graphviz)."""
    from brickwork.utils.model_plot import plot_model as _plot

    return _plot(model, to_file=to_file, show_shapes=show_shapes, show_layer_names=show_layer_names, dpi=dpi)


__all__ = ["clear_session", "feature_maps", "plot_model", "to_categorical"]
__all__ += ["PyDataset", "Sequence", "get_custom_objects", "get_registered_name", "normalize", "pad_sequences",
            "register_keras_serializable", "set_random_seed", "split_dataset", "timeseries_dataset_from_array"]

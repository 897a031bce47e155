"""Turning user data (arrays, lists, dicts, DataFrames) into checked NumPy
structures and slicing them into batches."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from brickwork.layers.symbolic import flatten, map_structure


def to_numpy_structure(data: Any, name: str, float_dtype: np.dtype | None = None) -> Any:
    """Arrays stay arrays; DataFrames/Series become arrays; lists of arrays stay
    lists (several inputs); other lists become one array. Float arrays are cast
    once to ``float_dtype``."""
    if data is None:
        return None

    def convert(x: Any) -> np.ndarray:
        if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):
            x = x.to_numpy()
        arr = np.asarray(x)
        if arr.dtype == object:
            with contextlib.suppress(TypeError, ValueError):  # text stays text: for StringLookup (other
                arr = arr.astype(np.float64)                  # layers refuse it, naming themselves)
        if arr.dtype.kind == "b":
            arr = arr.astype(np.float32 if float_dtype is None else float_dtype)
        if float_dtype is not None and arr.dtype.kind == "f" and arr.dtype != float_dtype:
            arr = arr.astype(float_dtype)
        if arr.ndim == 0:
            raise ValueError(f"'{name}' must have a batch axis; got a scalar.")
        return arr

    if isinstance(data, dict):
        return {k: convert(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        if data and all(isinstance(x, np.ndarray) or hasattr(x, "to_numpy") or isinstance(x, dict) for x in data):
            return [to_numpy_structure(x, name, float_dtype) if isinstance(x, dict) else convert(x) for x in data]
        return convert(data)
    return convert(data)


def num_samples(structure: Any, name: str) -> int:
    leaves = flatten(structure)
    sizes = {len(leaf) for leaf in leaves}
    if len(sizes) != 1:
        shapes = [leaf.shape for leaf in leaves]
        raise ValueError(f"All arrays in '{name}' must have the same number of samples; got shapes {shapes}.")
    return sizes.pop()


def check_finite(structure: Any, name: str, allow_nan: bool = False) -> None:
    """Raise a ValueError naming the array and the first bad row if NaN or Inf appears
    (``allow_nan``: only Inf — the model imputes missing values itself)."""
    for i, leaf in enumerate(flatten(structure)):
        if leaf.dtype.kind == "f":
            bad = np.isinf(leaf) if allow_nan else ~np.isfinite(leaf)
            if bad.any():
                rows = np.flatnonzero(bad.reshape(len(leaf), -1).any(axis=1))
                where = f"'{name}'" if len(flatten(structure)) == 1 else f"'{name}' (array {i})"
                raise ValueError(
                    f"{where} of shape {leaf.shape} contains {int(bad.sum())} NaN/Inf value(s), first in row "
                    f"{rows[0]}. Impute them (for example with an Imputation layer in the model, which fills them "
                    "and adds a 'missing' indicator) or drop those rows."
                )


def take(structure: Any, index: Any) -> Any:
    """Rows ``index`` of every array in the structure (a slice gives views, not copies)."""
    return map_structure(lambda a: a[index], structure)


def split_validation(x: Any, y: Any, sw: Any, fraction: float) -> tuple[Any, ...]:
    """Keras's ``validation_split``: the *last* ``fraction`` of the samples, before any shuffling."""
    if not 0 < fraction < 1:
        raise ValueError(f"validation_split must be in (0, 1); got {fraction}.")
    n = num_samples(x, "x")
    cut = int(n * (1 - fraction))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={fraction} leaves an empty training or validation set for {n} samples.")
    first, last = slice(0, cut), slice(cut, n)
    return (take(x, first), take(y, first), None if sw is None else sw[first],
            take(x, last), take(y, last), None if sw is None else sw[last])


def class_weights_to_sample_weights(y: Any, class_weight: dict[int, float]) -> np.ndarray:
    """Per-sample weights from ``{class_index: weight}`` (labels, or one-hot by arg-max)."""
    leaves = flatten(y)
    if len(leaves) != 1:
        raise ValueError("class_weight is supported for single-output models only; use sample_weight instead.")
    labels = leaves[0]
    if labels.ndim >= 2 and labels.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    labels = np.rint(labels.reshape(len(labels), -1)[:, 0]).astype(np.int64)
    missing = sorted(set(np.unique(labels).tolist()) - set(int(k) for k in class_weight))
    if missing:
        raise ValueError(f"class_weight has no entry for class(es) {missing} present in y.")
    table = {int(k): float(v) for k, v in class_weight.items()}
    return np.array([table[c] for c in labels], dtype=np.float64)

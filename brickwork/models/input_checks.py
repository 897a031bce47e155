"""Checks of the data given to ``fit`` / ``evaluate`` / ``predict``, run before any training step, with
messages that name the input and the column and say what to do.

- :func:`check_numeric_inputs`: text, objects, dates or ragged lists where the model expects numbers
  (a DataFrame's text column, an ``object`` / ``str`` NumPy array, a list of lists of different lengths).
- :func:`check_finite`: NaN / Inf, named by column (a DataFrame column's name, or an array's column index)
  and row.
- :func:`model_numeric_inputs`: which inputs of a model must be numeric — an ``Input(dtype='string')``
  feeding a ``StringLookup`` / ``TextVectorization`` legitimately takes text and is not checked.

pandas is never imported here: a DataFrame is recognised by its attributes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

_TEXT_ADVICE = ("Encode it first: declare Input(dtype='string') for it and put a StringLookup "
                "(output_mode='one_hot' or followed by an Embedding) in the model, or one-hot encode it "
                "(e.g. pandas.get_dummies) before passing it.")
_LABEL_ADVICE = ("Turn text labels into class indices first, e.g. StringLookup(num_oov_indices=0) adapted on "
                 "the labels (its get_vocabulary() maps the indices back), and use a sparse categorical loss.")
_RAGGED_ADVICE = ("Make every row the same length: pad them with brickwork.utils.pad_sequences(rows, "
                  "padding='post') and, for a recurrent model, mask the padding (Embedding(mask_zero=True) "
                  "or Masking).")


# ---------------------------------------------------------------- helpers
def _is_frame(x: Any) -> bool:
    return hasattr(x, "columns") and hasattr(x, "dtypes") and hasattr(x, "iloc")


def _is_series(x: Any) -> bool:
    return hasattr(x, "dtype") and hasattr(x, "iloc") and hasattr(x, "to_numpy") and not _is_frame(x)


def _is_input_list(x: Any) -> bool:
    """A list/tuple of several inputs (as ``fit`` reads it): every item an array, DataFrame or dict."""
    return bool(x) and all(isinstance(v, (np.ndarray, dict)) or hasattr(v, "to_numpy") for v in x)


def expects_numeric(dtype: Any) -> bool:
    """``False`` for a text input (``'string'``, ``str``, ``object``), ``True`` otherwise (``None`` too)."""
    if dtype is None:
        return True
    if isinstance(dtype, str) and dtype.lower() in ("string", "str", "object"):
        return False
    try:
        return np.dtype(dtype).kind not in "OUS"
    except TypeError:
        return True


def model_numeric_inputs(model: Any) -> bool | dict[str, bool]:
    """Which of ``model``'s inputs must be numeric, as :func:`check_numeric_inputs`'s ``numeric`` argument.

    With declared inputs (a functional model, a Sequential with an ``Input``): ``{input name: bool}`` in
    the model's input order, ``False`` for an ``Input(dtype='string')``. Without them (a Sequential
    without ``Input``, a subclassed model): ``False`` if any layer takes text (a ``StringLookup``,
    ``TextVectorization``...), so that nothing legitimate is refused, else ``True``.
    """
    inputs = list(getattr(model, "inputs", None) or [])
    if inputs:
        try:
            names = list(model.input_names)
        except (AttributeError, TypeError, ValueError):
            names = []
        if len(names) != len(inputs):
            names = [getattr(t, "name", None) or str(i) for i, t in enumerate(inputs)]
        return {str(n): expects_numeric(getattr(t, "dtype", None)) for n, t in zip(names, inputs)}
    flat = getattr(model, "_flat_layers", None)
    layers = flat() if callable(flat) else list(getattr(model, "layers", None) or [])
    return not any(getattr(layer, "_accepts_strings", False) for layer in layers)


def _cell(value: Any) -> str:
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 40 else text[:37] + "..."


def _first_non_number(values: np.ndarray) -> tuple[int, Any] | None:
    """Flat index and value of the first entry ``float()`` refuses (``None`` is NaN, as for NumPy)."""
    for i, v in enumerate(values.reshape(-1)):
        if v is None:
            continue
        try:
            float(v)
        except (TypeError, ValueError):
            return i, v
    return None


def _kind_advice(value: Any) -> str:
    """What the offending entry is, and what to do about it."""
    if isinstance(value, (str, bytes, np.str_, np.bytes_)):
        return f"holds text (e.g. {_cell(value)}). " + _TEXT_ADVICE
    if isinstance(value, (list, tuple, np.ndarray)):
        return f"holds sequences (e.g. one of length {len(value)}) instead of numbers. " + _RAGGED_ADVICE
    return f"holds objects of type {type(value).__name__} (e.g. {_cell(value)}); convert them to numbers"


def _ragged_detail(rows: Sequence[Any]) -> str | None:
    """Where a nested list stops being rectangular: ``'row 0 has 3 items, row 2 has 5'``."""
    def length(v: Any) -> int | None:
        return len(v) if isinstance(v, (list, tuple, np.ndarray)) and not isinstance(v, str) else None

    lengths = [length(r) for r in rows]
    if len(set(lengths)) > 1:
        first = lengths[0]
        j = next(i for i, n in enumerate(lengths) if n != first)
        describe = {None: "is a single value"}
        a = describe.get(first, f"has {first} items")
        b = describe.get(lengths[j], f"has {lengths[j]} items")
        return f"row 0 {a}, row {j} {b}"
    if lengths and lengths[0]:
        for i, row in enumerate(rows):
            inner = _ragged_detail(list(row))
            if inner is not None:
                return f"in row {i}: {inner.replace('row', 'item')}"
    return None


# ---------------------------------------------------------------- numeric
def _check_frame(frame: Any, label: str) -> None:
    for position, column in enumerate(frame.columns):
        _check_series(frame.iloc[:, position], f"{label} column {str(column)!r} (column {position})")


def _check_series(series: Any, label: str) -> None:
    dtype = series.dtype
    categories = getattr(dtype, "categories", None)
    if categories is not None:  # pandas category: fine only with numeric categories
        if np.asarray(categories).dtype.kind in "biuf":
            return
        raise ValueError(f"{label} is a category column with text categories (e.g. "
                         f"{_cell(categories[0]) if len(categories) else '?'}). " + _TEXT_ADVICE)
    kind = getattr(dtype, "kind", "O")
    if kind in "biuf":
        return
    if kind in "Mm":
        raise ValueError(f"{label} holds dates or durations ({dtype}); the model needs numbers: convert them "
                         "(e.g. days since a reference date, or year / month / weekday columns).")
    _check_array(np.asarray(series.to_numpy(dtype=object)), label, describe=False)


def _check_array(arr: np.ndarray, label: str, column_names: Sequence[Any] | None = None,
                 describe: bool = True) -> None:
    kind = arr.dtype.kind
    if kind not in "OUS":
        return
    if kind in "US":
        try:
            arr.astype(np.float64)
            hint = ("They look like numbers: convert the array first (x.astype('float32')), or, if it is "
                    "meant to be categories, " + _TEXT_ADVICE[0].lower() + _TEXT_ADVICE[1:])
        except ValueError:
            hint = _TEXT_ADVICE
        found = _first_non_number(arr.astype(object)) or (0, arr.reshape(-1)[0] if arr.size else "")
        where = _position(arr, found[0], column_names)
        raise ValueError(f"{label} is a NumPy array of text (dtype {arr.dtype}, shape {arr.shape}){where} "
                         f"holding {_cell(found[1])}; the model's input expects numbers. " + hint)
    try:
        arr.astype(np.float64)
        return
    except (TypeError, ValueError):
        pass
    found = _first_non_number(arr)
    if found is None:  # pragma: no cover - astype refused but every entry converts
        return
    where = _position(arr, found[0], column_names)
    what = f" (dtype object, shape {arr.shape})" if describe else ""
    raise ValueError(f"{label}{what}{where} {_kind_advice(found[1]).rstrip('.')}.")


def _position(arr: np.ndarray, flat_index: int, column_names: Sequence[Any] | None) -> str:
    if arr.ndim <= 1 or arr.size == 0:
        return f", row {flat_index}," if arr.ndim == 1 else ""
    index = np.unravel_index(flat_index, arr.shape)
    if arr.ndim == 2:
        col = int(index[1])
        if column_names is not None and col < len(column_names):
            return f", column {str(column_names[col])!r} (index {col}), row {int(index[0])},"
        return f", column {col}, row {int(index[0])},"
    return f", at index {tuple(int(i) for i in index)} (row {int(index[0])})"


def _check_leaf(value: Any, label: str) -> None:
    if value is None or isinstance(value, (str, bytes, int, float, bool)):
        return
    if _is_frame(value):
        _check_frame(value, label)
        return
    if _is_series(value):
        _check_series(value, f"{label} ({value.name!r})" if getattr(value, "name", None) is not None else label)
        return
    if isinstance(value, np.ndarray):
        _check_array(value, label)
        return
    if isinstance(value, (list, tuple)):
        try:
            arr = np.asarray(value)
        except ValueError:
            arr = None
        if arr is None or (arr.dtype == object and any(isinstance(v, (list, tuple, np.ndarray)) for v in value)):
            detail = _ragged_detail(list(value))
            raise ValueError(f"{label} is a ragged list: its rows have different lengths"
                             f"{f' ({detail})' if detail else ''}, so it is not one array. " + _RAGGED_ADVICE)
        _check_array(arr, label)


def check_numeric_inputs(x: Any, where: str, numeric: bool | Sequence[bool] | Mapping[str, bool] | None = None,
                         labels: bool = False) -> None:
    """Raise a ``ValueError`` before training if an input the model expects as numbers is not numeric.

    Refused, with the input, the column and the remedy in the message: DataFrame columns of text
    (``object`` / ``string``), text categories or dates; NumPy arrays of ``str`` dtype or of ``object``
    dtype that do not convert to float (numbers stored as objects do); ragged Python lists.

    Args:
        x: The data as the user passed it (array, DataFrame, Series, list, or a dict / list of those for
            several inputs). Generators and datasets are not inspected.
        where: How to name ``x`` in messages, e.g. ``"fit(): x"``.
        numeric: Which inputs must be numeric: ``None`` or ``True`` all, ``False`` none, a list of bools
            per input of a list ``x``, or ``{input name: bool}`` (see :func:`model_numeric_inputs`;
            names absent from it are checked).
        labels: ``x`` holds targets: text gets the advice for labels (class indices) instead.
    """
    if labels:
        try:
            check_numeric_inputs(x, where, numeric)
        except ValueError as err:
            raise ValueError(str(err).replace(_TEXT_ADVICE, _LABEL_ADVICE)) from None
        return
    if numeric is False:
        return
    if isinstance(x, dict):
        for key, value in x.items():
            if _wants(numeric, key, list(x).index(key)):
                _check_leaf(value, f"{where}[{key!r}]")
        return
    if isinstance(x, (list, tuple)) and _is_input_list(x):
        for i, value in enumerate(x):
            if not _wants(numeric, None, i):
                continue
            if isinstance(value, dict):
                check_numeric_inputs(value, f"{where}[{i}]")
            else:
                _check_leaf(value, f"{where}[{i}]")
        return
    if _wants(numeric, None, 0):
        _check_leaf(x, where)


def _wants(numeric: Any, key: Any, index: int) -> bool:
    if numeric is None or numeric is True:
        return True
    if isinstance(numeric, Mapping):
        if key is not None:
            return bool(numeric.get(str(key), True))
        values = list(numeric.values())
        return bool(values[index]) if index < len(values) else True
    values = list(numeric)
    return bool(values[index]) if index < len(values) else True


# ---------------------------------------------------------------- finite
def _leaves(x: Any) -> list[tuple[str, Any]]:
    """``(label suffix, leaf)`` pairs in the order of brickwork.utils.tree.flatten (DataFrames are leaves)."""
    if isinstance(x, dict):
        return [(f"[{k!r}]{s}", leaf) for k, v in x.items() for s, leaf in _leaves(v)]
    if isinstance(x, (list, tuple)) and _is_input_list(x):
        return [(f"[{i}]{s}", leaf) for i, v in enumerate(x) for s, leaf in _leaves(v)]
    return [("", x)]


def column_names(x: Any) -> list[list[str] | None]:
    """Per leaf of ``x`` (flatten order), the DataFrame's column names, or ``None`` — keep them before
    converting to arrays so that :func:`check_finite` can name columns afterwards."""
    return [[str(c) for c in leaf.columns] if _is_frame(leaf) else None for _, leaf in _leaves(x)]


def check_finite(x: Any, where: str, allow_nan: bool = False,
                 columns: Sequence[Sequence[str] | None] | None = None) -> None:
    """Raise a ``ValueError`` naming the input, the column and the first row holding NaN or Inf.

    Args:
        x: Arrays, DataFrames, or a dict / list of them (non-float leaves are skipped).
        where: How to name ``x``, e.g. ``"fit(): x"``.
        allow_nan: Only Inf is refused (the model imputes missing values itself).
        columns: Per leaf, column names for 2-D arrays (from :func:`column_names` of the data before
            conversion); DataFrame leaves name their columns themselves.
    """
    leaves = _leaves(x)
    for i, (suffix, leaf) in enumerate(leaves):
        names = columns[i] if columns is not None and i < len(columns) else None
        label = where + suffix
        if _is_frame(leaf):
            for position, column in enumerate(leaf.columns):
                values = leaf.iloc[:, position]
                if getattr(values.dtype, "kind", "O") == "f":
                    _check_finite_array(values.to_numpy(), f"{label} column {str(column)!r} (column {position})",
                                        allow_nan, None, column_axis=False)
            continue
        arr = leaf.to_numpy() if hasattr(leaf, "to_numpy") and not isinstance(leaf, np.ndarray) else leaf
        if isinstance(arr, np.ndarray):
            _check_finite_array(arr, label, allow_nan, names)


def _check_finite_array(arr: np.ndarray, label: str, allow_nan: bool, names: Sequence[str] | None,
                        column_axis: bool = True) -> None:
    if arr.dtype.kind != "f":
        return
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if not bad.any():
        return
    flat = int(np.flatnonzero(bad.reshape(-1))[0])
    index = np.unravel_index(flat, arr.shape)
    value = arr.reshape(-1)[flat]
    row = int(index[0]) if arr.ndim else 0
    if arr.ndim == 2 and column_axis:
        col = int(index[1])
        name = f"{names[col]!r} (index {col})" if names is not None and col < len(names) else str(col)
        place = f" in column {name}, first in row {row}"
        count = int(bad[:, col].sum())
        in_col = f"{count} NaN/Inf value(s) in that column, {int(bad.sum())} in all"
    elif arr.ndim > 2:
        place = f", first at index {tuple(int(i) for i in index)} (row {row})"
        in_col = f"{int(bad.sum())} NaN/Inf value(s)"
    else:
        place = f", first in row {row}"
        in_col = f"{int(bad.sum())} NaN/Inf value(s)"
    raise ValueError(f"{label} of shape {arr.shape} holds {float(value)}{place} ({in_col}). Impute missing "
                     "values (an Imputation layer in the model fills NaN and adds a 'missing' indicator), "
                     "replace or clip infinities, or drop those rows.")

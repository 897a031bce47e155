"""The UCR/UEA time-series archive's ``.ts`` format, and the copies the
``sktime`` package ships in its wheel (GunPoint, ItalyPowerDemand, ArrowHead,
BasicMotions, JapaneseVowels, OSULeaf, ...).

``.ts`` files are text: ``#`` comments, ``@`` header lines (``@problemName``,
``@univariate``, ``@dimensions``, ``@equalLength``, ``@seriesLength``,
``@classLabel true <labels...>``, ...), then after ``@data`` one case per line:
the dimensions separated by ``:``, each a comma-separated series (``?`` for a
missing value), and the class label last.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class TimeSeriesData:
    """A loaded ``.ts`` file.

    Attributes
    ----------
    x : ndarray, shape (cases, length, dimensions)
        float32 values, channels last (ready for ``Conv1D``/``LSTM``); shorter
        series of a variable-length file are padded at the end with NaN.
    labels : ndarray of str
        The class label of each case as written in the file.
    class_names : list of str
        The labels in ``@classLabel`` order; ``y`` indexes into it.
    y : ndarray of int
        ``labels`` as indices into ``class_names``.
    header : dict
        The ``@`` header fields.
    lengths : ndarray of int
        The true length of each case.
    """

    x: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    y: np.ndarray
    header: dict[str, Any] = field(default_factory=dict)
    lengths: np.ndarray | None = None


def _parse_value(token: str) -> float:
    token = token.strip()
    return float("nan") if token in ("?", "") else float(token)


def load_ts(path: Any) -> TimeSeriesData:
    """Parse a ``.ts`` file (univariate or multivariate, equal or variable length)."""
    path = os.fspath(path)
    header: dict[str, Any] = {}
    cases: list[list[list[float]]] = []
    labels: list[str] = []
    in_data = False
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                if not line.startswith("@"):
                    raise ValueError(f"{path}:{number}: expected a '@' header line before @data, got {line[:40]!r}.")
                key, _, rest = line[1:].partition(" ")
                key = key.lower()
                if key == "data":
                    in_data = True
                elif key == "classlabel":
                    parts = rest.split()
                    header["classlabel"] = parts[0].lower() == "true"
                    header["class_names"] = parts[1:]
                else:
                    header[key] = rest.strip()
                continue
            if header.get("timestamps", "false").lower() == "true":
                raise NotImplementedError(f"{path}: files with @timeStamps true are not supported.")
            fields = line.split(":")
            if header.get("classlabel", False):
                labels.append(fields[-1].strip())
                fields = fields[:-1]
            cases.append([[_parse_value(v) for v in dim.split(",")] for dim in fields])
    if not in_data:
        raise ValueError(f"{path}: no @data section.")
    if not cases:
        raise ValueError(f"{path}: the @data section is empty.")
    dims = {len(c) for c in cases}
    if len(dims) != 1:
        raise ValueError(f"{path}: cases have different numbers of dimensions: {sorted(dims)}.")
    n_dims = dims.pop()
    lengths = np.array([max(len(d) for d in c) for c in cases])
    x = np.full((len(cases), int(lengths.max()), n_dims), np.nan, dtype=np.float32)
    for i, case in enumerate(cases):
        for j, series in enumerate(case):
            x[i, :len(series), j] = series
    class_names = header.get("class_names") or sorted(set(labels))
    index = {name: k for k, name in enumerate(class_names)}
    unknown = sorted(set(labels) - set(index))
    if unknown:
        raise ValueError(f"{path}: labels {unknown} are not declared in @classLabel {class_names}.")
    y = np.array([index[label] for label in labels], dtype=np.int64)
    return TimeSeriesData(x=x, labels=np.array(labels), class_names=list(class_names), y=y, header=header,
                          lengths=lengths)


def sktime_data_dir() -> str:
    """The folder of ``.ts`` files inside the installed sktime package (not imported)."""
    spec = importlib.util.find_spec("sktime")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("The UCR/UEA files ship with sktime: pip install 'brickwork[timeseries]' (or sktime).")
    return os.path.join(list(spec.submodule_search_locations)[0], "datasets", "data")


def load_ucr(name: str, root: str | None = None) -> tuple[TimeSeriesData, TimeSeriesData]:
    """The archive's own train/test split of dataset ``name``: ``(train, test)``.

    ``root`` is a folder holding ``NAME/NAME_TRAIN.ts`` and ``NAME/NAME_TEST.ts``;
    by default the copies shipped with sktime.
    """
    root = root or sktime_data_dir()
    folder = os.path.join(root, name)
    if not os.path.isdir(folder):
        available = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
        raise ValueError(f"No dataset {name!r} in {root}; available: {available}.")
    train = load_ts(os.path.join(folder, f"{name}_TRAIN.ts"))
    test = load_ts(os.path.join(folder, f"{name}_TEST.ts"))
    if train.class_names != test.class_names:
        raise ValueError(f"{name}: train and test declare different classes.")
    return train, test

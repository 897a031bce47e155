"""``TabularSchema``: which columns of a table feed which model input, validated with errors that name
the columns. A study saves it in the model file (``model.metadata['schema']``) so ``brickwork predict``
can turn a new CSV into the same inputs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


@dataclass
class TabularSchema:
    """Model inputs from a DataFrame: ``numeric`` columns → one float input ``'numeric'`` (NaN kept for
    the model's Imputation layer); each ``categorical`` column → a string input of its own name;
    an optional ``sequence`` (a related table, e.g. monthly card balances) → input ``'sequence'``."""

    numeric: list[str]
    categorical: list[str] = field(default_factory=list)
    id_column: str | None = None
    target: str | None = None
    sequence: dict[str, Any] | None = None

    @classmethod
    def infer(cls, frame: Any, target: str | None = None, id_column: str | None = None,
              exclude: tuple[str, ...] = ()) -> TabularSchema:
        """Numeric dtypes → numeric; everything else (text, categories, booleans as text) → categorical."""
        skip = {target, id_column, *exclude}
        numeric = [c for c in frame.columns if c not in skip and frame[c].dtype.kind in "iuf"]
        categorical = [c for c in frame.columns if c not in skip and c not in numeric]
        return cls(numeric, categorical, id_column, target)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TabularSchema:
        return cls(**data)

    def required_columns(self) -> list[str]:
        return ([self.id_column] if self.id_column else []) + self.numeric + self.categorical

    def check(self, frame: Any, source: str = "the input table") -> None:
        """Raise ``ValueError`` naming missing columns, or numeric columns holding non-numbers."""
        missing = [c for c in self.required_columns() if c not in frame.columns]
        if missing:
            raise ValueError(f"{source} lacks the required column(s): {', '.join(missing)}.")
        bad = []
        for column in self.numeric:
            values = frame[column]
            if values.dtype.kind in "iufb":
                continue
            import pandas as pd

            converted = pd.to_numeric(values, errors="coerce")
            wrong = converted.isna() & values.notna() & (values.astype(str).str.strip() != "")
            if wrong.any():
                bad.append(f"{column} (e.g. {values[wrong].iloc[0]!r} in row {int(np.flatnonzero(wrong)[0])})")
        if bad:
            raise ValueError(f"{source}: numeric column(s) hold non-numeric values: {'; '.join(bad)}.")

    def inputs(self, frame: Any, sequences: np.ndarray | None = None, source: str = "the input table"
               ) -> dict[str, np.ndarray]:
        """The model's input dict for the rows of ``frame`` (``sequences`` already aligned to its rows)."""
        import pandas as pd

        self.check(frame, source)
        out: dict[str, np.ndarray] = {}
        if self.numeric:
            out["numeric"] = np.column_stack([pd.to_numeric(frame[c], errors="coerce").to_numpy(np.float64)
                                              for c in self.numeric]).astype(np.float32)
        for column in self.categorical:
            values = frame[column].astype(object).to_numpy()
            out[column] = np.array([None if (v is None or (isinstance(v, float) and v != v)) else str(v)
                                    for v in values], dtype=object).reshape(-1, 1)
        if self.sequence is not None:
            shape = (len(frame), self.sequence["months"], len(self.sequence["features"]))
            out["sequence"] = np.zeros(shape, np.float32) if sequences is None else sequences
        return out

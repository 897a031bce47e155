"""``brickwork predict``: score a CSV with a saved model and the preprocessing inside it.

Every problem with the user's files raises :class:`PredictError` (a ``ValueError``) whose message names
the file, the column or the model input and says what to do; ``brickwork.cli.main`` prints it as
``error: ...`` and exits with status 2. Nothing is written unless scoring succeeded, and ``--output``
never replaces the model or an input file (nor any existing file without ``--force``).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np


class PredictError(ValueError):
    """A user error of ``brickwork predict`` (exit status 2)."""


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_output_path(output: str, protected: dict[str, str | None], force: bool = False) -> None:
    """Refuse an ``--output`` that is a directory, sits in an unwritable place, is one of the
    ``protected`` files (``{role: path}``: the model, the inputs) or exists already (without ``force``)."""
    for role, path in protected.items():
        if path and _same_file(output, path):
            raise PredictError(f"--output {output} is the {role}; refusing to overwrite it with scores. "
                               "Choose another file name.")
    if os.path.isdir(output):
        raise PredictError(f"--output {output} is a directory; give a file name, e.g. "
                           f"{os.path.join(output, 'scores.csv')}.")
    if os.path.lexists(output) and not force:
        raise PredictError(f"--output {output} already exists; pass --force to replace it, or choose another name.")
    parent = os.path.dirname(os.path.abspath(output))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise PredictError(f"--output {output}: {parent} is not a directory.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PredictError(f"--output {output}: the directory {parent} is not writable.")


def read_csv(path: str, role: str, encoding: str = "utf-8", sep: str = ",", decimal: str = ".") -> Any:
    """``pandas.read_csv`` with errors that name the file and say what to try."""
    import pandas as pd

    if not os.path.exists(path):
        raise PredictError(f"the {role} {path} does not exist.")
    if os.path.isdir(path):
        raise PredictError(f"the {role} {path} is a directory, not a CSV file.")
    try:
        frame = pd.read_csv(path, low_memory=False, encoding=encoding, sep=sep, decimal=decimal)
    except UnicodeDecodeError as err:
        raise PredictError(f"the {role} {path} is not valid {encoding} text (it holds the byte "
                           f"0x{err.object[err.start]:02x}, which {encoding} cannot decode). Pass its encoding with "
                           "--encoding: files saved by Excel or older tools are often --encoding latin-1 (or "
                           "cp1252).") from None
    except LookupError:
        raise PredictError(f"unknown --encoding {encoding!r}; use e.g. utf-8, latin-1 or cp1252.") from None
    except pd.errors.EmptyDataError:
        raise PredictError(f"the {role} {path} is empty: it has no header row and no data.") from None
    except pd.errors.ParserError as err:
        raise PredictError(f"the {role} {path} is not a CSV file that pandas can parse with --sep {sep!r}: "
                           f"{str(err).strip()}") from None
    except OSError as err:
        raise PredictError(f"cannot read the {role} {path}: {err.strerror or err}.") from None
    if frame.shape[1] == 1 and sep == "," and any(s in str(frame.columns[0]) for s in ";\t|"):
        found = next(s for s in ";\t|" if s in str(frame.columns[0]))
        raise PredictError(f"the {role} {path} has a single column {str(frame.columns[0])[:60]!r}...: it seems to "
                           f"be separated by {found!r}; pass --sep {found!r}"
                           + (" (and --decimal ',' if numbers are written like 1,5)." if found == ";" else "."))
    return frame


def _comma_decimals(frame: Any, columns: list[str], source: str, decimal: str) -> None:
    """Numbers written ``1,5`` read with ``--decimal '.'``: say so, naming the column."""
    if decimal != ".":
        return
    for column in columns:
        values = frame[column]
        if values.dtype.kind != "O":
            continue
        text = values.dropna().astype(str).str.strip()
        if len(text) and text.str.fullmatch(r"-?\d+(\.\d{3})*,\d+").mean() > 0.5:
            raise PredictError(f"{source}: column {column!r} holds numbers written with a decimal comma "
                               f"(e.g. {text.iloc[0]!r}); pass --decimal ',' (and --sep ';' if needed).")


def _check_finite_columns(frame: Any, columns: list[str], source: str, allow_nan: bool) -> None:
    """Inf (and NaN unless the model imputes) in a numeric column: an error naming the column and row."""
    import pandas as pd

    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(np.float64)
        bad = np.isinf(values) if allow_nan else ~np.isfinite(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise PredictError(f"{source}: column {column!r} holds {values[row]} in data row {row} (line {row + 2} "
                               f"of the file; {int(bad.sum())} such row(s)). "
                               + ("The model imputes missing values but cannot use infinities: replace them "
                                  "(e.g. by an empty cell) or drop those rows." if allow_nan else
                                  "Replace or drop those rows."))


class OnnxScoringModel:
    """An exported ``.onnx`` file behind the part of the model interface that scoring uses
    (``metadata``, ``inputs``/``input_names``, ``predict``), run by onnxruntime."""

    def __init__(self, path: str) -> None:
        from brickwork.export.onnx_scoring import OnnxScorer

        self.scorer = OnnxScorer(path)
        self.metadata = self.scorer.metadata
        self.input_names = list(self.scorer.input_names)
        self.inputs = self.input_names

    def predict(self, inputs: Any, batch_size: int | None = None, verbose: int = 0) -> Any:
        return self.scorer.predict(inputs, batch_size=batch_size)

    def _flat_layers(self) -> list[Any]:
        return []                  # no brickwork layers: nothing imputes, nothing to report


def load_scoring_model(model_path: str) -> Any:
    """``load_model`` (or, for an ``.onnx`` file, an onnxruntime session) with every failure turned into
    a :class:`PredictError` naming the file."""
    from brickwork.saving import load_model

    if not os.path.exists(model_path):
        raise PredictError(f"the model file {model_path} does not exist.")
    if os.path.isdir(model_path):
        raise PredictError(f"the model file {model_path} is a directory.")
    try:
        if model_path.lower().endswith(".onnx"):
            return OnnxScoringModel(model_path)
        return load_model(model_path)
    except Exception as err:  # noqa: BLE001 - any failure to read a user's file is an input error here
        message = str(err) if model_path in str(err) else f"{model_path}: {err}"
        kind = "" if isinstance(err, (ValueError, OSError)) else f" ({type(err).__name__})"
        raise PredictError(f"cannot load the model: {message}{kind}") from None


def run_predict(model_path: str, input_csv: str, output_csv: str, sequences_csv: str | None = None,
                batch_size: int = 1024, force: bool = False, encoding: str = "utf-8", sep: str = ",",
                decimal: str = ".", reasons: int = 0) -> int:
    """Score ``input_csv`` with the model in ``model_path`` and write ``output_csv`` (atomically).

    ``sequences_csv``: the related table of a model with a sequence input (required for such a model).
    ``force``: replace an existing ``output_csv`` (never the model or an input file). ``encoding``,
    ``sep``, ``decimal``: how the CSVs are written (``pandas.read_csv``'s arguments).
    Raises :class:`PredictError` for every problem with the files; returns 0.
    """
    from brickwork.data import TabularSchema
    from brickwork.utils.io import atomic_write

    check_output_path(output_csv, {"model file": model_path, "input CSV": input_csv,
                                   "sequences CSV": sequences_csv}, force)
    model = load_scoring_model(model_path)
    if reasons and isinstance(model, OnnxScoringModel):
        raise PredictError(f"--reasons needs the model's gradients, which {model_path} (ONNX) does not carry; "
                           "score with the .brick or .keras file of the same model.")
    meta = getattr(model, "metadata", None) or {}
    if "schema" not in meta:
        raise PredictError(f"{model_path} has no input schema (model.metadata['schema']); it was not saved by a "
                           "brickwork study. Use model.predict on arrays instead.")
    schema = TabularSchema.from_dict(meta["schema"])
    names = list(getattr(model, "input_names", None) or [])
    frame = read_csv(input_csv, "input CSV", encoding, sep, decimal)
    if len(frame) == 0:
        raise PredictError(f"the input CSV {input_csv} has a header but no rows to score.")
    print(f"read {len(frame):,} rows × {frame.shape[1]} columns from {input_csv}", file=sys.stderr)
    _comma_decimals(frame, [c for c in schema.numeric if c in frame.columns], input_csv, decimal)
    schema.check(frame, source=input_csv)
    if schema.sequence is not None and not sequences_csv:
        seq_name = "sequence" if "sequence" in names or not names else names[-1]
        raise PredictError(f"the model {model_path} has a sequence input {seq_name!r} (the "
                           f"{schema.sequence.get('table', 'related')} table, {schema.sequence.get('months', '?')} "
                           f"months per {schema.sequence.get('key', 'row')}); pass that table with --sequences "
                           f"FILE.csv. Scoring without it would treat every row as having no history and change "
                           "the scores.")
    imputes = any(getattr(layer, "fills_missing", False) for layer in model._flat_layers())
    _check_finite_columns(frame, schema.numeric, input_csv, allow_nan=imputes)
    sequences = None
    if schema.sequence is None and sequences_csv:
        print(f"note: the model has no sequence input; --sequences {sequences_csv} is not used", file=sys.stderr)
    if schema.sequence is not None:
        from brickwork.datasets.home_credit import balance_sequences

        key = schema.sequence["key"]
        if key not in frame.columns:
            raise PredictError(f"{input_csv} lacks the column {key!r} that links its rows to --sequences.")
        related = read_csv(sequences_csv, "sequences CSV", encoding, sep, decimal)
        sequences = balance_sequences(related, frame[key].to_numpy(), schema.sequence["months"])
    inputs = schema.inputs(frame, sequences, source=input_csv)
    named_inputs = inputs
    if len(getattr(model, "inputs", None) or []) == 1:
        if len(inputs) != 1:
            raise PredictError(f"the model {model_path} has one input but its schema makes {len(inputs)} "
                               f"({sorted(inputs)}); the file's schema does not match the model.")
        inputs = next(iter(inputs.values()))
    else:
        missing = [n for n in names if n not in inputs]
        if missing:
            raise PredictError(f"the model {model_path} needs input(s) {missing} that the CSV and the schema do "
                               f"not provide (they provide {sorted(inputs)}).")
    scores = np.asarray(model.predict(inputs, batch_size=batch_size, verbose=0)).reshape(len(frame), -1)
    _report_preprocessing(model)
    import pandas as pd

    out = pd.DataFrame()
    if schema.id_column:
        out[schema.id_column] = frame[schema.id_column]
    label = meta.get("output", "score")
    columns = ["score"] if scores.shape[1] == 1 else [f"score_{j}" for j in range(scores.shape[1])]
    for j, name in enumerate(columns):
        out[name] = scores[:, j]
    if reasons:
        _add_reason_columns(out, model, model_path, schema, named_inputs, meta, reasons, scores.shape[1])
    try:
        with atomic_write(output_csv, "w") as handle:
            out.to_csv(handle, index=False)
    except OSError as err:
        raise PredictError(f"cannot write --output {output_csv}: {err.strerror or err}.") from None
    print(f"wrote {len(out):,} scores ({label}) to {output_csv}", file=sys.stderr)
    return 0


def _add_reason_columns(out: Any, model: Any, model_path: str, schema: Any, inputs: dict[str, np.ndarray],
                        meta: dict[str, Any], reasons: int, n_outputs: int) -> None:
    """Columns ``reason_k`` (sentence) and ``reason_k_value`` (attribution) for k = 1..``reasons``."""
    from brickwork.studies.reason_codes import reference_profile, schema_reason_codes

    if n_outputs != 1:
        raise PredictError(f"--reasons explains a model with one score per row; {model_path} gives {n_outputs}.")
    profile = meta.get("reason_reference")
    if profile is None:
        profile = reference_profile(inputs, schema)
        print(f"note: {model_path} stores no reference applicant (metadata['reason_reference']); the reasons "
              "compare each row with the median of the rows scored here", file=sys.stderr)
    codes = schema_reason_codes(model, schema, inputs, profile, n_reasons=reasons)
    for k in range(reasons):
        out[f"reason_{k + 1}"] = [row[k].text if k < len(row) else "" for row in codes]
        out[f"reason_{k + 1}_value"] = [row[k].attribution if k < len(row) else np.nan for row in codes]
    print(f"reason codes: the {reasons} features pushing each score most toward the positive class, by "
          "integrated gradients against the reference applicant", file=sys.stderr)


def _report_preprocessing(model: Any) -> None:
    """Print the missing values imputed and the unseen categories met in the last call."""
    imputed: dict[str, int] = {}
    unseen: dict[str, Any] = {}
    for layer in model._flat_layers():
        for name, count in getattr(layer, "last_imputed", {}).items():
            imputed[name] = imputed.get(name, 0) + count
        if getattr(layer, "last_unknown", {}).get("count"):
            unseen[layer.name.removeprefix("lookup_")] = layer.last_unknown
    if imputed:
        print("imputed missing values: " + ", ".join(f"{k} ({v} rows)" for k, v in sorted(imputed.items())),
              file=sys.stderr)
    for column, info in unseen.items():
        print(f"unseen categories in {column} ({info['count']} rows, scored as unknown): "
              f"{', '.join(info['values'])}", file=sys.stderr)

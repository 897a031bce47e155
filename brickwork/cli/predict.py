"""``brickwork predict``: score a CSV with a saved model and the preprocessing inside it."""

from __future__ import annotations

import sys

import numpy as np


def run_predict(model_path: str, input_csv: str, output_csv: str, sequences_csv: str | None = None,
                batch_size: int = 1024) -> int:
    import pandas as pd

    from brickwork.data import TabularSchema
    from brickwork.saving import load_model
    from brickwork.utils.io import atomic_write

    model = load_model(model_path)
    meta = getattr(model, "metadata", None) or {}
    if "schema" not in meta:
        raise ValueError(f"{model_path} has no input schema (model.metadata['schema']); it was not saved by a "
                         "brickwork study. Use model.predict on arrays instead.")
    schema = TabularSchema.from_dict(meta["schema"])
    frame = pd.read_csv(input_csv, low_memory=False)
    print(f"read {len(frame):,} rows × {frame.shape[1]} columns from {input_csv}", file=sys.stderr)
    sequences = None
    if schema.sequence is not None:
        if sequences_csv:
            from brickwork.datasets.home_credit import balance_sequences

            related = pd.read_csv(sequences_csv, low_memory=False)
            sequences = balance_sequences(related, frame[schema.sequence["key"]].to_numpy(),
                                          schema.sequence["months"])
        else:
            print(f"no --sequences file: every row is scored without a {schema.sequence['table']} history",
                  file=sys.stderr)
    inputs = schema.inputs(frame, sequences, source=input_csv)
    if len(model.inputs) == 1:
        inputs = inputs["numeric"]
    scores = np.asarray(model.predict(inputs, batch_size=batch_size, verbose=0)).reshape(len(frame), -1)
    imputed, unseen = {}, {}
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
    out = pd.DataFrame()
    if schema.id_column:
        out[schema.id_column] = frame[schema.id_column]
    label = meta.get("output", "score")
    names = ["score"] if scores.shape[1] == 1 else [f"score_{j}" for j in range(scores.shape[1])]
    for j, name in enumerate(names):
        out[name] = scores[:, j]
    with atomic_write(output_csv, "w") as handle:
        out.to_csv(handle, index=False)
    print(f"wrote {len(out):,} scores ({label}) to {output_csv}", file=sys.stderr)
    return 0

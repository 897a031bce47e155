"""Does the default-risk pipeline fit a 2-core, 24 GB machine at the real Home Credit size?

Generates the synthetic tables at the real sizes (307,511 applicants; ~3.84 million balance rows),
writes them as CSV, then measures: the load (read both CSVs, build the per-applicant histories), the
peak memory of the process, and one training epoch of the seed-000 GRU hybrid.

Run: python examples/home_credit_scale.py [--applicants 307511] [--dir /tmp/home_credit_full]
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np

import brickwork as bw
from brickwork.data import TabularSchema
from brickwork.datasets.home_credit import SEQUENCE_FEATURES, load_home_credit, write_home_credit
from brickwork.studies.default_risk import MONTHS, build_model


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applicants", type=int, default=307_511)
    parser.add_argument("--dir", default="/tmp/home_credit_full")
    args = parser.parse_args()
    if not os.path.exists(os.path.join(args.dir, "credit_card_balance.csv")):
        start = time.perf_counter()
        write_home_credit(args.dir, args.applicants, seed=0)
        print(f"generated and wrote the CSVs in {time.perf_counter() - start:.1f} s", flush=True)
    sizes = {f: os.path.getsize(os.path.join(args.dir, f)) / 1e6 for f in os.listdir(args.dir)}
    print("files (MB):", {k: round(v) for k, v in sizes.items()}, flush=True)
    start = time.perf_counter()
    data = load_home_credit(args.dir, MONTHS)
    load_s = time.perf_counter() - start
    print(f"load: {load_s:.1f} s; {len(data.ids):,} applicants; histories {data.balances.shape} "
          f"({data.balances.nbytes / 1e9:.2f} GB); peak memory so far {peak_gb():.2f} GB", flush=True)
    schema = TabularSchema.infer(data.application, id_column="SK_ID_CURR")
    schema.sequence = {"kind": "home_credit_balances", "months": MONTHS, "features": list(SEQUENCE_FEATURES)}
    start = time.perf_counter()
    inputs = schema.inputs(data.application, data.balances)
    model = build_model(schema, inputs)
    print(f"inputs + preprocessing adapt: {time.perf_counter() - start:.1f} s", flush=True)
    bw.set_seed(0)
    start = time.perf_counter()
    model.fit(inputs, data.target, epochs=1, batch_size=256, verbose=2)
    epoch_s = time.perf_counter() - start
    print(f"one epoch: {epoch_s:.1f} s on {os.cpu_count()} cores; peak memory {peak_gb():.2f} GB; "
          f"target rate {np.mean(data.target):.4f}", flush=True)


if __name__ == "__main__":
    main()

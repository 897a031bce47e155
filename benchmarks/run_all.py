"""Run every benchmark, with and without the compiled kernels, and write the table into RESULTS.md.

Each script runs in a fresh process per thread count and kernel setting (``--kernels on|off``:
with the ``fast`` extra, or as without it), prints its usual report and ``RESULT`` lines
(see ``_common.report``); this script collects those into one markdown table, newest
section first in ``benchmarks/RESULTS.md`` (after the file's introduction).

Usage::

    python benchmarks/run_all.py                       # everything: 1 and 2 threads, kernels on and off
    python benchmarks/run_all.py --only rnn,word2vec --threads 2
    python benchmarks/run_all.py --quick --no-write    # tiny settings: checks that every script runs

Run it on a quiet machine: timings taken next to other jobs mean little.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import machine  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS.md")

# script -> (arguments of a full run, arguments of a --quick run); word2vec's "threads" are its workers
SCRIPTS = {
    "mlp": ("bench_mlp.py", [], ["--repeats", "1", "--steps", "1"]),
    "deep_mlp": ("bench_deep_mlp.py", [], ["--repeats", "1", "--steps", "1", "--depth", "5"]),
    "cnn": ("bench_cnn.py", [], ["--repeats", "1", "--steps", "1", "--batch", "8"]),
    "rnn": ("bench_rnn.py", [], ["--repeats", "1", "--steps", "1", "--units", "64"]),
    "gpt": ("bench_gpt.py", [], ["--repeats", "1", "--steps", "1"]),
    "tiny": ("bench_tiny.py", [], ["--repeats", "1", "--steps", "1", "--samples", "256"]),
    "depthwise": ("bench_depthwise.py", ["--grouped", "0"],
                  ["--repeats", "1", "--steps", "1", "--batch", "1", "--size", "16", "--grouped", "0"]),
    "word2vec": ("bench_word2vec.py", [], ["--repeats", "1", "--epochs", "1", "--sentences", "2000"]),
}


def run_script(name: str, threads: int, kernels: str, quick: bool) -> list[list[str]]:
    """Run one script in a fresh process; its RESULT rows (benchmark, threads, kernels, ours, peer, ...)."""
    script, full, tiny = SCRIPTS[name]
    command = [sys.executable, os.path.join(HERE, script), "--kernels", kernels] + (tiny if quick else full)
    command += ["--workers", str(threads)] if name == "word2vec" else ["--threads", str(threads)]
    print("$", " ".join(command[1:]), flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    sys.stdout.write(done.stdout)
    if done.returncode != 0:
        sys.stdout.write(done.stderr[-4000:])
        raise SystemExit(f"{script} failed with exit status {done.returncode}")
    return [line.split("\t")[1:] for line in done.stdout.splitlines() if line.startswith("RESULT\t")]


def blas_info() -> str:
    """The BLAS library and kernel NumPy uses, from threadpoolctl (when installed)."""
    try:
        import numpy  # noqa: F401
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS: unknown (threadpoolctl not installed)"
    parts = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')})" for i in threadpool_info()
             if i.get("user_api") == "blas"]
    return "BLAS: " + (", ".join(parts) or "unknown")


def table(rows: list[list[str]]) -> str:
    lines = ["| benchmark | threads / workers | kernels | brickwork | peer | unit | ratio |",
             "|---|---|---|---:|---:|---|---:|"]
    for bench, threads, kernels, ours, peer, peer_name, unit, ratio in rows:
        lines.append(f"| {bench} | {threads} | {kernels} | {ours} | {peer_name} {peer} | {unit} | {ratio} |")
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Insert ``text`` before the first ``## `` section of RESULTS.md (newest first)."""
    with open(RESULTS, encoding="utf-8") as handle:
        old = handle.read()
    cut = old.find("\n## ")
    new = old + "\n" + text if cut < 0 else old[:cut + 1] + text + "\n" + old[cut + 1:]
    with open(RESULTS, "w", encoding="utf-8") as handle:
        handle.write(new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SCRIPTS), help=f"comma-separated subset of {','.join(SCRIPTS)}")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread (word2vec: worker) counts")
    parser.add_argument("--kernels", default="on,off", help="on, off or on,off")
    parser.add_argument("--quick", action="store_true", help="tiny settings, to check that the scripts run")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave RESULTS.md alone")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n]
    unknown = sorted(set(names) - set(SCRIPTS))
    if unknown:
        parser.error(f"--only: unknown benchmark(s) {unknown}; choose from {sorted(SCRIPTS)}")
    rows: list[list[str]] = []
    for name in names:
        for threads in (int(t) for t in args.threads.split(",")):
            for kernels in args.kernels.split(","):
                rows += run_script(name, threads, kernels, args.quick)
    date = datetime.date.today().isoformat()
    heading = f"## {date}, run_all.py{' --quick (tiny settings: not a measurement)' if args.quick else ''}"
    text = (f"{heading}\n\nMachine: {machine()}; {platform.python_implementation()} "
            f"{platform.python_version()}; {blas_info()}. Ratio = brickwork ÷ peer (ms: below 1.0 is "
            f"faster; words/s: above 1.0 is faster). kernels on: the `fast` extra (numba) installed; off: "
            f"`--kernels off`, as without it.\n\n{table(rows)}\n")
    print()
    print(text)
    if not args.no_write:
        write_section(text)
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()

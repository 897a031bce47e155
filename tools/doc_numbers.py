"""Re-run the examples and fail when a number quoted in the docs has drifted.

Every number the docs quote from a script is registered in ``docs/numbers.toml``: the run that prints it
(a command line), a regular expression that finds the number in the document, one that finds it in the
run's output, and how far the two may differ (``tolerance``, absolute). The checker

1. finds each documented number (a registered phrase that no longer matches is an error: the docs changed
   and the registry did not);
2. runs each selected command once (several numbers can come from one run), in a scratch folder;
3. compares ``|printed - documented| <= tolerance`` and prints one line per number, then exits 1 if any
   number drifted or could not be read.

Runs have tiers by cost: ``ci`` (seconds; ``.ci/run`` checks these on every push), ``quick`` (minutes) and
``full`` (the documented full-length runs, hours in all on two cores). A tier includes the cheaper ones.

    python tools/doc_numbers.py                   # the ci tier
    python tools/doc_numbers.py --tier quick
    python tools/doc_numbers.py --only digits_cnn --only sequence_patterns
    python tools/doc_numbers.py --docs-only       # only step 1: every registered phrase is in its doc
    python tools/doc_numbers.py --list
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "docs" / "numbers.toml"
TIERS = ("ci", "quick", "full")


@dataclass
class Run:
    name: str
    command: list[str]
    tier: str
    minutes: float


@dataclass
class Number:
    run: str
    doc: str
    documented: str
    printed: str
    tolerance: float
    label: str


def load_registry(path: Path = REGISTRY) -> tuple[dict[str, Run], list[Number]]:
    """Read and check the registry: known tiers, every number's run defined, regexes compile with ``value``."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    runs: dict[str, Run] = {}
    for entry in data.get("run", []):
        run = Run(entry["name"], list(entry["command"]), entry.get("tier", "full"), float(entry.get("minutes", 1)))
        if run.tier not in TIERS:
            raise ValueError(f"{path}: run {run.name!r} has tier {run.tier!r}; the tiers are {list(TIERS)}.")
        if run.name in runs:
            raise ValueError(f"{path}: run {run.name!r} is defined twice.")
        runs[run.name] = run
    numbers = []
    for i, entry in enumerate(data.get("number", [])):
        number = Number(entry["run"], entry["doc"], entry["documented"], entry["printed"],
                        float(entry["tolerance"]), entry.get("label", f"number {i + 1}"))
        if number.run not in runs:
            raise ValueError(f"{path}: {number.label!r} names run {number.run!r}, which is not defined.")
        for which in ("documented", "printed"):
            pattern = re.compile(getattr(number, which))
            if "value" not in pattern.groupindex:
                raise ValueError(f"{path}: {number.label!r}: the {which!r} regex needs a (?P<value>...) group.")
        numbers.append(number)
    return runs, numbers


def _to_float(text: str) -> float:
    return float(text.replace(",", "").replace("−", "-"))


def documented_value(number: Number, root: Path = ROOT) -> float:
    """The number as the document states it; ``LookupError`` naming the file when the phrase is gone."""
    text = (root / number.doc).read_text(encoding="utf-8")
    match = re.search(number.documented, text)
    if match is None:
        raise LookupError(f"{number.doc}: {number.label!r}: the registered phrase /{number.documented}/ is no "
                          "longer in the document; update docs/numbers.toml with the document.")
    return _to_float(match.group("value"))


def printed_value(number: Number, output: str) -> float:
    """The number as the run printed it; ``LookupError`` when the output lacks it."""
    match = re.search(number.printed, output)
    if match is None:
        raise LookupError(f"{number.label!r}: /{number.printed}/ not found in the output of run {number.run!r}.")
    return _to_float(match.group("value"))


def execute(run: Run, scratch: str, timeout: float | None = None) -> str:
    """Run a registered command (``{python}``, ``{root}`` and ``{tmp}`` substituted) and return its output."""
    command = [part.format(python=sys.executable, root=str(ROOT), tmp=scratch) for part in run.command]
    env = dict(os.environ, MPLBACKEND="Agg")
    done = subprocess.run(command, cwd=scratch, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"run {run.name!r} ({' '.join(command)}) exited {done.returncode}:\n"
                           f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout + done.stderr


def check(runs: dict[str, Run], numbers: list[Number], selected: set[str], docs_only: bool = False,
          root: Path = ROOT, timeout: float | None = None, out=sys.stdout) -> int:
    """Check the selected runs' numbers; print a line per number; return the count of failures."""
    failures = 0
    documented: dict[int, float] = {}
    for i, number in enumerate(numbers):
        try:
            documented[i] = documented_value(number, root)
        except LookupError as err:
            print(f"MISSING  {err}", file=out)
            failures += 1
    if docs_only:
        print(f"{len(documented)} of {len(numbers)} registered numbers found in their documents.", file=out)
        return failures
    for name in [n for n in runs if n in selected]:
        run = runs[name]
        with tempfile.TemporaryDirectory(prefix=f"doc-numbers-{name}-") as scratch:
            start = time.perf_counter()
            try:
                output = execute(run, scratch, timeout)
            except (RuntimeError, subprocess.TimeoutExpired) as err:
                print(f"FAILED   run {name}: {err}", file=out)
                failures += sum(1 for n in numbers if n.run == name)
                continue
            seconds = time.perf_counter() - start
        for i, number in enumerate(numbers):
            if number.run != name or i not in documented:
                continue
            try:
                value = printed_value(number, output)
            except LookupError as err:
                print(f"UNREAD   {err}", file=out)
                failures += 1
                continue
            ok = abs(value - documented[i]) <= number.tolerance + 1e-12
            failures += not ok
            print(f"{'ok' if ok else 'DRIFT':8} {number.doc}: {number.label}: documented {documented[i]:g}, "
                  f"printed {value:g} (tolerance {number.tolerance:g}; run {name}, {seconds:.0f} s)", file=out)
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=TIERS, default="ci", help="run the runs of this tier and cheaper ones")
    parser.add_argument("--only", action="append", default=[], metavar="RUN", help="run only these runs")
    parser.add_argument("--docs-only", action="store_true", help="only check the phrases are in the documents")
    parser.add_argument("--list", action="store_true", help="list the registered runs and numbers")
    parser.add_argument("--timeout", type=float, default=None, help="seconds allowed per run")
    args = parser.parse_args(argv)
    runs, numbers = load_registry()
    if args.list:
        for run in runs.values():
            print(f"{run.name:24} {run.tier:6} ~{run.minutes:g} min  {' '.join(run.command)}")
            for number in numbers:
                if number.run == run.name:
                    print(f"    {number.doc}: {number.label} (± {number.tolerance:g})")
        return 0
    unknown = [name for name in args.only if name not in runs]
    if unknown:
        parser.error(f"unknown run(s) {unknown}; see --list")
    allowed = TIERS[: TIERS.index(args.tier) + 1]
    selected = set(args.only) if args.only else {n for n, r in runs.items() if r.tier in allowed}
    failures = check(runs, numbers, selected, docs_only=args.docs_only, timeout=args.timeout)
    print(f"{failures} problem(s)." if failures else "All checked numbers agree with the docs.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

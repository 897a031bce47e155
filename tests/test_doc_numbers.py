"""tools/doc_numbers.py: documented numbers are found in the docs, and drift is caught."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("doc_numbers", ROOT / "tools" / "doc_numbers.py")
doc_numbers = importlib.util.module_from_spec(_spec)
sys.modules["doc_numbers"] = doc_numbers
_spec.loader.exec_module(doc_numbers)


def test_every_registered_number_is_in_its_document():
    runs, numbers = doc_numbers.load_registry()
    assert len(numbers) >= 15 and any(r.tier == "ci" for r in runs.values())
    out = io.StringIO()
    assert doc_numbers.check(runs, numbers, set(), docs_only=True, out=out) == 0, out.getvalue()


def _registry(tmp_path, documented: str, printed_line: str, tolerance: float = 0.01, tier: str = "ci",
              phrase: str = r"accuracy of (?P<value>\d\.\d+) on", command: str | None = None) -> Path:
    (tmp_path / "doc.md").write_text(f"The model reaches an accuracy of {documented} on the test set.\n")
    command = command or f'["{{python}}", "-c", "print(\'{printed_line}\')"]'
    path = tmp_path / "numbers.toml"
    path.write_text(f"""
[[run]]
name = "fake"
command = {command}
tier = "{tier}"

[[number]]
run = "fake"
doc = "doc.md"
label = "fake accuracy"
documented = '{phrase}'
printed = 'Accuracy: (?P<value>\\d\\.\\d+)'
tolerance = {tolerance}
""")
    return path


@pytest.mark.parametrize("documented, failures", [("0.905", 0), ("0.95", 1)])
def test_a_printed_number_is_compared_with_the_documented_one(tmp_path, documented, failures):
    runs, numbers = doc_numbers.load_registry(_registry(tmp_path, documented, "Accuracy: 0.91"))
    out = io.StringIO()
    assert doc_numbers.check(runs, numbers, {"fake"}, root=tmp_path, out=out) == failures
    assert ("DRIFT" in out.getvalue()) == bool(failures)
    assert "documented " + documented.rstrip("0") in out.getvalue()


def test_a_phrase_missing_from_the_doc_is_reported(tmp_path):
    path = _registry(tmp_path, "0.91", "Accuracy: 0.91", phrase=r"precision of (?P<value>\d\.\d+)")
    out = io.StringIO()
    assert doc_numbers.check(*doc_numbers.load_registry(path), {"fake"}, root=tmp_path, out=out) == 1
    assert "MISSING" in out.getvalue() and "doc.md" in out.getvalue()


def test_output_without_the_number_and_a_failing_run_are_reported(tmp_path):
    out = io.StringIO()
    path = _registry(tmp_path, "0.91", "no number here")
    assert doc_numbers.check(*doc_numbers.load_registry(path), {"fake"}, root=tmp_path, out=out) == 1
    assert "UNREAD" in out.getvalue()
    out = io.StringIO()
    path = _registry(tmp_path, "0.91", "", command='["{python}", "-c", "import sys; sys.exit(3)"]')
    assert doc_numbers.check(*doc_numbers.load_registry(path), {"fake"}, root=tmp_path, out=out) == 1
    assert "FAILED" in out.getvalue() and "exited 3" in out.getvalue()


def test_unselected_runs_do_not_run(tmp_path):
    path = _registry(tmp_path, "0.95", "Accuracy: 0.91")
    assert doc_numbers.check(*doc_numbers.load_registry(path), set(), root=tmp_path, out=io.StringIO()) == 0


def test_bad_registries_are_refused_with_the_entry_named(tmp_path):
    with pytest.raises(ValueError, match="tier 'nightly'"):
        doc_numbers.load_registry(_registry(tmp_path, "0.9", "x", tier="nightly"))
    with pytest.raises(ValueError, match="fake accuracy.*value"):
        doc_numbers.load_registry(_registry(tmp_path, "0.9", "x", phrase=r"accuracy of (\d\.\d+)"))
    path = tmp_path / "numbers.toml"
    path.write_text(path.read_text().replace('run = "fake"\ndoc', 'run = "other"\ndoc'))
    with pytest.raises(ValueError, match="names run 'other'"):
        doc_numbers.load_registry(path)

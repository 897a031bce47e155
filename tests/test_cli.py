"""``brickwork demo`` writes its report folder; ``python -m brickwork`` works."""

from __future__ import annotations

import json
import subprocess
import sys

from brickwork.cli import main


def test_demo_writes_report(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--epochs", "3", "--verbose", "2"]) == 0
    printed = capsys.readouterr().out
    assert "Epoch 3/3" in printed and "Test accuracy:" in printed
    names = {p.name for p in out.iterdir()}
    assert {"model.brick", "metrics.json", "loss.png", "accuracy.png", "model.png"} <= names
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.5 < metrics["test_accuracy"] <= 1.0
    assert metrics["majority_class_baseline"] < 0.2


def test_module_entry_point(tmp_path):
    result = subprocess.run([sys.executable, "-m", "brickwork", "demo", "--out", str(tmp_path / "d"),
                             "--epochs", "1", "--verbose", "0"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Test accuracy" in result.stdout
    bad = subprocess.run([sys.executable, "-m", "brickwork", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr

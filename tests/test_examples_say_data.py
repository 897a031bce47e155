"""Every example says which data it uses: its first printed line starts with ``Data: `` (issue 20, item 6)."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "examples"
EXAMPLES = sorted(ROOT.glob("*.py"))
LATER: set[str] = set()  # examples still to be given their Data: line


def _starts_with_data(node: ast.expr) -> bool:
    """Whether ``node`` is a string or f-string literal whose text begins with ``Data: ``."""
    if isinstance(node, ast.JoinedStr) and node.values:
        node = node.values[0]
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("Data: ")


def data_prints(source: str) -> list[int]:
    """Line numbers of the ``print("Data: ...")`` calls (first argument a (f-)string starting ``Data: ``)."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
            and node.args and _starts_with_data(node.args[0])]


def test_the_source_check_tells_a_data_print_from_other_prints():
    assert data_prints('print(f"Data: {n} images", flush=True)') == [1]
    assert data_prints('print("Data: digits")') == [1]
    assert data_prints('print(f"data: {n}")\nprint("Dataset: x")\nlog("Data: x")\nprint(f"{n} Data: x")') == []


@pytest.mark.parametrize("path", [
    pytest.param(p, id=p.name, marks=pytest.mark.xfail(strict=False, reason="edited by the lead later"))
    if p.name in LATER else pytest.param(p, id=p.name) for p in EXAMPLES])
def test_every_example_prints_a_data_line(path):
    assert data_prints(path.read_text(encoding="utf-8")), f"{path.name} prints no line starting 'Data: '"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"say_data_{name}", ROOT / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _first_line(capsys) -> str:
    out = capsys.readouterr().out
    assert out, "the example printed nothing"
    return out.splitlines()[0]


def _digits_split(**split) -> tuple:
    """scikit-learn's stratified split (seed 0) of its digits' labels, computed with scikit-learn alone."""
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import train_test_split

    y = sklearn_datasets.load_digits().target
    return tuple(train_test_split(y, stratify=y, random_state=0, **split))


@pytest.mark.slow
def test_digits_cnn_says_its_split_first(capsys, monkeypatch):
    monkeypatch.setenv("BRICKWORK_NUM_THREADS", "1")
    n_train, n_test = map(len, _digits_split(test_size=0.2))   # 1,437 / 360
    _load("digits_cnn").main(seeds=1, epochs=1)
    line = _first_line(capsys)
    assert line.startswith("Data: ") and "sklearn.datasets.load_digits" in line
    assert f"{n_train:,} training / {n_test:,} test images" in line


def test_calibration_digits_says_its_three_splits_first(capsys, monkeypatch):
    monkeypatch.setenv("BRICKWORK_NUM_THREADS", "1")
    y_train, y_rest = _digits_split(train_size=0.2)
    from sklearn.model_selection import train_test_split

    y_val, y_test = train_test_split(y_rest, train_size=0.375, random_state=0, stratify=y_rest)
    n_train, n_val, n_test = len(y_train), len(y_val), len(y_test)  # 359 / 539 / 899
    _load("calibration_digits").main(epochs=1)
    line = _first_line(capsys)
    assert line.startswith("Data: ") and "digits" in line
    assert f"{n_train:,} training / {n_val:,} validation (for the temperature) / {n_test:,} test" in line


@pytest.mark.slow
def test_ucr_classification_says_the_archive_split_first(capsys, monkeypatch):
    pytest.importorskip("sktime")  # the .ts files ship with sktime (its loader is not imported: slow)
    monkeypatch.setenv("BRICKWORK_NUM_THREADS", "1")
    _load("ucr_classification").main("ItalyPowerDemand", "fcn", seeds=1, epochs=1)
    line = _first_line(capsys)
    # the UCR archive's ItalyPowerDemand: 67 training / 1,029 test series of length 24, two classes
    assert line.startswith("Data: UCR/UEA ItalyPowerDemand")
    assert "67 training / 1,029 test series of 24 steps x 1 channel(s), 2 classes" in line


def test_custom_function_says_its_input_first(capsys):
    _load("custom_function").main()
    line = _first_line(capsys)
    assert line.startswith("Data: a 4x3 standard-normal input") and "default_rng(0)" in line

"""The examples run and reach what they show."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_custom_function():
    load("custom_function").main()


def test_subclassed_model_learns_xor_like_target():
    assert load("subclassed_model").main(epochs=30) > 0.9


def test_functional_two_inputs(capsys):
    assert load("functional_two_inputs").main(epochs=20) > 0.8


def test_seed001_reviews_l2_loss_is_higher(tmp_path):
    results = load("seed001_reviews").main(out=str(tmp_path), epochs=4)
    assert all(r > p for p, r in zip(results["plain"]["loss"], results["l2"]["loss"]))
    assert results["plain"]["val_acc"][-1] > 0.9
    assert (tmp_path / "plain_loss.png").exists() and (tmp_path / "l2_accuracy.png").exists()


def test_digits_cnn_example_runs():
    summary = load("digits_cnn").main(seeds=1, epochs=2)
    assert set(summary) == {"mlp", "cnn"} and 0 < summary["cnn"]["mean"] <= 1


def test_ucr_example_runs():
    accuracy, seconds = load("ucr_classification").run("ItalyPowerDemand", "fcn", seed=0, epochs=2)
    assert 0 < accuracy <= 1 and seconds > 0
    accuracy, _ = load("ucr_classification").run("ItalyPowerDemand", "resnet", seed=0, epochs=1)
    assert 0 < accuracy <= 1

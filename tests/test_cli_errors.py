"""``brickwork predict`` never prints a traceback for a user error: each bad file or option exits with 2 and
one ``error: ...`` line naming the file / column / input; an internal error exits with 1 and a traceback.
Every model input must be supplied, and ``--output`` never overwrites the model, an input or (without
``--force``) any existing file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from brickwork import layers, models
from brickwork.cli import main
from brickwork.data import TabularSchema

VOCAB = ["Paris", "Zürich"]
KERNEL = np.array([1.0, 10.0, 100.0, 1000.0, 10000.0], np.float32)  # a, b, then one-hot (OOV, Paris, Zürich)
BIAS = 0.5


def expected_scores(frame: pd.DataFrame) -> np.ndarray:
    """The linear model's score computed by hand: a + 10 b + 100/1000/10000 for OOV/Paris/Zürich + 0.5."""
    city = frame["city"].map({"Paris": 1000.0, "Zürich": 10000.0}).fillna(100.0)
    return frame["a"].to_numpy(float) + 10 * frame["b"].to_numpy(float) + city.to_numpy() + BIAS


@pytest.fixture
def model_file(tmp_path):
    numeric = layers.Input((2,), name="numeric")
    city = layers.Input((1,), dtype="string", name="city")
    onehot = layers.StringLookup(vocabulary=VOCAB, output_mode="one_hot", name="lookup_city")(city)
    out = layers.Dense(1, name="score")(layers.Concatenate()([numeric, onehot]))
    model = models.Model({"numeric": numeric, "city": city}, out)
    model.get_layer("score").set_weights([KERNEL.reshape(5, 1), np.array([BIAS], np.float32)])
    model.metadata = {"schema": TabularSchema(["a", "b"], ["city"], id_column="id").to_dict(), "output": "score"}
    path = tmp_path / "model.brick"
    model.save(str(path))
    return path


@pytest.fixture
def rows():
    return pd.DataFrame({"id": [7, 8, 9], "a": [1.0, 2.0, 3.5], "b": [0.5, -1.0, 2.0],
                         "city": ["Paris", "Zürich", "Oslo"]})


def run(capsys, *argv):
    code = main(["predict", *map(str, argv)])
    err = capsys.readouterr().err
    return code, err


def assert_user_error(code, err, *texts):
    assert code == 2, err
    assert "error: " in err and "Traceback" not in err, err
    for text in texts:
        assert text in err, (text, err)


def test_scores_match_the_hand_computed_model(tmp_path, capsys, model_file, rows):
    rows.to_csv(tmp_path / "in.csv", index=False)
    code, err = run(capsys, "--model", model_file, "--input", tmp_path / "in.csv", "--output", tmp_path / "s.csv")
    assert code == 0, err
    scores = pd.read_csv(tmp_path / "s.csv")
    assert scores["id"].tolist() == [7, 8, 9]
    np.testing.assert_allclose(scores["score"].to_numpy(), expected_scores(rows), rtol=1e-6)


def test_empty_and_header_only_csv(tmp_path, capsys, model_file, rows):
    (tmp_path / "empty.csv").write_bytes(b"")
    code, err = run(capsys, "--model", model_file, "--input", tmp_path / "empty.csv", "--output", tmp_path / "o.csv")
    assert_user_error(code, err, "empty.csv", "empty")
    rows.iloc[:0].to_csv(tmp_path / "header.csv", index=False)
    code, err = run(capsys, "--model", model_file, "--input", tmp_path / "header.csv", "--output", tmp_path / "o.csv")
    assert_user_error(code, err, "header.csv", "no rows")
    assert not (tmp_path / "o.csv").exists()


def test_latin1_csv_names_the_encoding_and_reads_with_the_option(tmp_path, capsys, model_file, rows):
    rows.to_csv(tmp_path / "latin.csv", index=False, encoding="latin-1")
    args = ["--model", model_file, "--input", tmp_path / "latin.csv", "--output", tmp_path / "o.csv"]
    code, err = run(capsys, *args)
    assert_user_error(code, err, "latin.csv", "utf-8", "--encoding latin-1")
    code, err = run(capsys, *args, "--encoding", "latin-1")
    assert code == 0, err
    np.testing.assert_allclose(pd.read_csv(tmp_path / "o.csv")["score"], expected_scores(rows), rtol=1e-6)
    code, err = run(capsys, *args[:-1], tmp_path / "o2.csv", "--encoding", "no-such-codec")
    assert_user_error(code, err, "no-such-codec")


def test_european_csv_with_sep_and_decimal(tmp_path, capsys, model_file, rows):
    rows.to_csv(tmp_path / "eu.csv", index=False, sep=";", decimal=",")
    args = ["--model", model_file, "--input", tmp_path / "eu.csv"]
    code, err = run(capsys, *args, "--output", tmp_path / "o.csv")
    assert_user_error(code, err, "eu.csv", "--sep ';'")
    code, err = run(capsys, *args, "--output", tmp_path / "o.csv", "--sep", ";")
    assert_user_error(code, err, "'a'", "--decimal ','")
    code, err = run(capsys, *args, "--output", tmp_path / "o.csv", "--sep", ";", "--decimal", ",")
    assert code == 0, err
    np.testing.assert_allclose(pd.read_csv(tmp_path / "o.csv")["score"], expected_scores(rows), rtol=1e-6)


def test_bad_output_paths(tmp_path, capsys, model_file, rows):
    rows.to_csv(tmp_path / "in.csv", index=False)
    base = ["--model", model_file, "--input", tmp_path / "in.csv", "--output"]
    code, err = run(capsys, *base, tmp_path)
    assert_user_error(code, err, "is a directory")
    (tmp_path / "plain").write_text("x")
    code, err = run(capsys, *base, tmp_path / "plain" / "scores.csv")
    assert_user_error(code, err, "not a directory")


def test_output_never_overwrites_the_model_or_an_input(tmp_path, capsys, model_file, rows):
    rows.to_csv(tmp_path / "in.csv", index=False)
    model_bytes, input_bytes = model_file.read_bytes(), (tmp_path / "in.csv").read_bytes()
    base = ["--model", model_file, "--input", tmp_path / "in.csv", "--output"]
    for force in ([], ["--force"]):
        code, err = run(capsys, *base, model_file, *force)
        assert_user_error(code, err, "model file", "refusing")
        code, err = run(capsys, *base, tmp_path / "." / "in.csv", *force)
        assert_user_error(code, err, "input CSV", "refusing")
    assert model_file.read_bytes() == model_bytes and (tmp_path / "in.csv").read_bytes() == input_bytes


def test_existing_output_needs_force(tmp_path, capsys, model_file, rows):
    rows.to_csv(tmp_path / "in.csv", index=False)
    (tmp_path / "old.csv").write_text("keep me\n")
    base = ["--model", model_file, "--input", tmp_path / "in.csv", "--output", tmp_path / "old.csv"]
    code, err = run(capsys, *base)
    assert_user_error(code, err, "old.csv", "already exists", "--force")
    assert (tmp_path / "old.csv").read_text() == "keep me\n"
    code, err = run(capsys, *base, "--force")
    assert code == 0, err
    assert "score" in (tmp_path / "old.csv").read_text()


@pytest.mark.parametrize("content, label", [
    (None, "missing"), (b"", "empty"), (b"not a zip file at all" * 10, "garbage"), ("truncate", "truncated"),
], ids=["missing", "empty", "garbage", "truncated"])
def test_missing_or_corrupt_model_file(tmp_path, capsys, model_file, rows, content, label):
    rows.to_csv(tmp_path / "in.csv", index=False)
    bad = tmp_path / f"{label}.brick"
    if content == "truncate":
        data = model_file.read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    elif content is not None:
        bad.write_bytes(content)
    code, err = run(capsys, "--model", bad, "--input", tmp_path / "in.csv", "--output", tmp_path / "o.csv")
    assert_user_error(code, err, f"{label}.brick")
    assert not (tmp_path / "o.csv").exists()


def test_non_finite_value_is_named_by_its_column(tmp_path, capsys, model_file, rows):
    rows.loc[1, "b"] = np.inf
    rows.to_csv(tmp_path / "inf.csv", index=False)
    code, err = run(capsys, "--model", model_file, "--input", tmp_path / "inf.csv", "--output", tmp_path / "o.csv")
    assert_user_error(code, err, "column 'b'", "inf", "data row 1", "line 3")
    rows.loc[1, "b"] = np.nan
    rows.to_csv(tmp_path / "nan.csv", index=False)
    code, err = run(capsys, "--model", model_file, "--input", tmp_path / "nan.csv", "--output", tmp_path / "o.csv")
    assert_user_error(code, err, "column 'b'", "nan")  # this model has no Imputation layer
    assert not (tmp_path / "o.csv").exists()


def test_missing_column_and_missing_input_file(tmp_path, capsys, model_file, rows):
    rows.drop(columns=["b"]).to_csv(tmp_path / "in.csv", index=False)
    code, err = run(capsys, "--model", model_file, "--input", tmp_path / "in.csv", "--output", tmp_path / "o.csv")
    assert_user_error(code, err, "b")
    code, err = run(capsys, "--model", model_file, "--input", tmp_path / "nope.csv", "--output", tmp_path / "o.csv")
    assert_user_error(code, err, "nope.csv", "does not exist")


def test_a_sequence_input_must_be_supplied(tmp_path, capsys, rows):
    numeric = layers.Input((2,), name="numeric")
    sequence = layers.Input((3, 2), name="sequence")
    out = layers.Dense(1)(layers.Concatenate()([numeric, layers.GRU(2)(sequence)]))
    model = models.Model({"numeric": numeric, "sequence": sequence}, out)
    schema = TabularSchema(["a", "b"], id_column="id",
                           sequence={"kind": "home_credit_balances", "table": "credit_card_balance", "key": "id",
                                     "months": 3, "features": ["x", "y"]})
    model.metadata = {"schema": schema.to_dict()}
    model.save(str(tmp_path / "seq.brick"))
    rows.to_csv(tmp_path / "in.csv", index=False)
    code, err = run(capsys, "--model", tmp_path / "seq.brick", "--input", tmp_path / "in.csv", "--output",
                    tmp_path / "o.csv")
    assert_user_error(code, err, "'sequence'", "--sequences", "credit_card_balance")
    assert not (tmp_path / "o.csv").exists()


def test_internal_error_prints_a_traceback_and_exits_1(tmp_path, capsys, monkeypatch, model_file, rows):
    import brickwork.cli.predict as predict

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(predict, "run_predict", broken)
    rows.to_csv(tmp_path / "in.csv", index=False)
    code, err = run(capsys, "--model", model_file, "--input", tmp_path / "in.csv", "--output", tmp_path / "o.csv")
    assert code == 1 and "Traceback" in err and "RuntimeError: a bug" in err and "internal error" in err


def test_usage_errors_and_documented_exit_codes(capsys):
    with pytest.raises(SystemExit) as info:
        main(["predict", "--model", "m.brick"])
    assert info.value.code == 2 and "--input" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["predict", "--help"])
    text = capsys.readouterr().out
    assert info.value.code == 0
    for option in ("--encoding", "--sep", "--decimal", "--force", "exit status", "internal error", "usage or input"):
        assert option in text, option
    code, err = run(capsys, "--model", "m", "--input", "i", "--output", "o", "--batch-size", "0")
    assert_user_error(code, err, "--batch-size")

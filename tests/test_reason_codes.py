"""Reason codes: integrated-gradients attributions against a reference applicant, checked on linear models
whose attributions are known in closed form (w_j (x_j - r_j)); category and missing-value effects; the
readable sentences; `brickwork predict --reasons N`."""

from __future__ import annotations

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers
from brickwork.studies.reason_codes import (
    REASONS,
    reason_codes,
    reason_text,
    reference_profile,
    schema_reason_codes,
)

pd = pytest.importorskip("pandas")

from brickwork.cli import main  # noqa: E402
from brickwork.data import TabularSchema  # noqa: E402

W_NUM = np.array([0.5, -2.0, 1.0], np.float32)                 # EXT_SOURCE_2 lowers the score, so low = a reason
NUMERIC = ["AMT_CREDIT", "EXT_SOURCE_2", "MY_RATIO"]
VOCAB = ["Paris", "Zürich"]
W_CITY = np.array([0.0, 0.3, -0.4], np.float32)                # OOV, Paris, Zürich
W_SEQ = np.array([0.2, -0.1], np.float32)                       # per month: AMT_BALANCE, AMT_PAYMENT_CURRENT
MONTHS = 3


def linear_schema_model():
    """score = W_NUM · impute0(numeric) + W_CITY[city] + Σ_t W_SEQ · seq_t (no nonlinearity: IG is exact)."""
    numeric = layers.Input((3,), name="numeric")
    city = layers.Input((1,), dtype="string", name="city")
    seq = layers.Input((MONTHS, 2), name="sequence")
    filled = layers.Imputation(strategy="constant", fill_value=0.0, add_indicator=False)(numeric)
    onehot = layers.StringLookup(vocabulary=VOCAB, output_mode="one_hot", name="lookup_city")(city)
    out = layers.Dense(1, name="score")(layers.Concatenate()([filled, onehot, layers.Flatten()(seq)]))
    model = bw.Model({"numeric": numeric, "city": city, "sequence": seq}, out)
    kernel = np.concatenate([W_NUM, W_CITY, np.tile(W_SEQ, MONTHS)]).reshape(-1, 1)
    model.get_layer("score").set_weights([kernel, np.zeros(1, np.float32)])
    schema = TabularSchema(NUMERIC, ["city"], id_column="id")
    schema.sequence = {"kind": "test", "table": "t", "key": "id", "months": MONTHS,
                       "features": ["AMT_BALANCE", "AMT_PAYMENT_CURRENT"]}
    return model, schema


def test_schema_reason_codes_are_the_closed_form_attributions():
    model, schema = linear_schema_model()
    inputs = {"numeric": np.array([[3.0, 0.1, np.nan], [1.0, 0.9, 2.0]], np.float32),
              "city": np.array([["Paris"], ["Zürich"]], object),
              "sequence": np.array([[[0, 0], [1.0, 0.5], [4.0, 0.0]], np.zeros((3, 2))], np.float32)}
    profile = {"numeric": {"AMT_CREDIT": 1.0, "EXT_SOURCE_2": 0.5, "MY_RATIO": 1.0},
               "categorical": {"city": "Zürich"}, "sequence": [[1.0, 1.0], [1.0, 1.0], [2.0, 1.0]]}
    rows = schema_reason_codes(model, schema, inputs, profile, n_reasons=6, n_steps=8)
    got = {r.feature: r.attribution for r in rows[0]}
    # row 0: AMT_CREDIT 0.5 (3 - 1) = 1.0; EXT_SOURCE_2 -2 (0.1 - 0.5) = 0.8; city Paris vs Zürich 0.3 + 0.4;
    # MY_RATIO missing: f(x) - f(x with 1.0) = 0 - 1 = -1 (not a reason); months on file: 2 and 3 only,
    # AMT_BALANCE 0.2 ((1 - 1) + (4 - 2)) = 0.4, AMT_PAYMENT_CURRENT -0.1 ((0.5 - 1) + (0 - 1)) = 0.15
    expected = {"AMT_CREDIT": 1.0, "EXT_SOURCE_2": 0.8, "city": 0.7, "AMT_BALANCE": 0.4, "AMT_PAYMENT_CURRENT": 0.15}
    assert list(got) == sorted(expected, key=lambda k: -expected[k])
    for feature, value in expected.items():
        assert got[feature] == pytest.approx(value, rel=1e-4, abs=1e-5)
    texts = [r.text for r in rows[0]]
    assert texts[:3] == ["Amount of credit requested high", "External credit score 2 low", "City: Paris"]
    # row 1: no history (nothing on the path), same city; only EXT_SOURCE_2 (0.9 > 0.5) lowers... and MY_RATIO
    got1 = {r.feature: r.attribution for r in rows[1]}
    assert got1 == pytest.approx({"MY_RATIO": 1.0})                # 1.0 (2 - 1); AMT_CREDIT is at the reference
    assert rows[1][0].text == "My ratio high"                      # fallback on the column name


def test_reasons_for_a_missing_reference_value_and_a_missing_category():
    model, schema = linear_schema_model()
    inputs = {"numeric": np.array([[1.0, 0.5, 2.0]], np.float32), "city": np.array([[None]], object),
              "sequence": np.zeros((1, MONTHS, 2), np.float32)}
    profile = {"numeric": {"AMT_CREDIT": 1.0, "EXT_SOURCE_2": 0.5, "MY_RATIO": None},
               "categorical": {"city": "Zürich"}, "sequence": [[0.0, 0.0]] * MONTHS}
    (row,) = schema_reason_codes(model, schema, inputs, profile, n_reasons=4, n_steps=4)
    by_feature = {r.feature: r for r in row}
    assert by_feature["MY_RATIO"].attribution == pytest.approx(2.0)     # f(x) - f(x with MY_RATIO missing)
    assert by_feature["MY_RATIO"].text == "My ratio provided"
    assert by_feature["city"].attribution == pytest.approx(0.4)         # OOV (0) vs Zürich (-0.4)
    assert by_feature["city"].text == "City: missing"


def test_reason_codes_single_input_tabular_and_sequence(rng):
    weights = np.array([1.0, -3.0, 0.5, 2.0], np.float32)
    tab = bw.Sequential([layers.Input((4,)), layers.Dense(1, use_bias=False)])
    tab.layers[-1].set_weights([weights.reshape(4, 1)])
    x = rng.normal(size=(5, 4)).astype(np.float32)
    ref = np.zeros(4, np.float32)
    names = ["a", "b", "c", "d"]
    codes = reason_codes(tab, x, ref, names, n_reasons=2, n_steps=4)
    contributions = weights * x
    for row, contrib in zip(codes, contributions):
        order = [j for j in np.argsort(-contrib) if contrib[j] > 0][:2]
        assert [r.feature for r in row] == [names[j] for j in order]
        np.testing.assert_allclose([r.attribution for r in row], contrib[order], rtol=1e-5)
    seq_model = bw.Sequential([layers.Input((6, 2)), layers.Flatten(), layers.Dense(1, use_bias=False)])
    seq_model.layers[-1].set_weights([np.tile([1.0, -1.0], 6).reshape(12, 1).astype(np.float32)])
    s = rng.normal(size=(3, 6, 2)).astype(np.float32)
    codes = reason_codes(seq_model, s, np.zeros((6, 2), np.float32), ["AMT_BALANCE", "SK_DPD"], n_reasons=2)
    for row, seq in zip(codes, s):
        summed = {"AMT_BALANCE": seq[:, 0].sum(), "SK_DPD": -seq[:, 1].sum()}     # summed over the months
        assert {r.feature: r.attribution for r in row} == pytest.approx({k: v for k, v in summed.items() if v > 0},
                                                                       rel=1e-4)


def test_reference_profile_and_text():
    schema = TabularSchema(["a", "b"], ["c"])
    schema.sequence = {"kind": "t", "table": "t", "key": "id", "months": 2, "features": ["u"]}
    inputs = {"numeric": np.array([[1.0, np.nan], [3.0, np.nan], [5.0, 1.0], [100.0, 7.0]], np.float32),
              "c": np.array([["x"], ["y"], ["y"], ["z"]], object),
              "sequence": np.array([[[0.0], [2.0]], [[4.0], [6.0]], [[0.0], [0.0]], [[9.0], [9.0]]], np.float32)}
    profile = reference_profile(inputs, schema, y=[0, 0, 0, 1])
    assert profile["numeric"] == {"a": 3.0, "b": None}          # b: missing in 2 of the 3 non-defaulters
    assert profile["categorical"] == {"c": "y"}
    assert profile["sequence"] == [[4.0], [4.0]]                # month 0: only row 1 on file; month 1: (2 + 6) / 2
    with pytest.raises(ValueError, match="no row has label 0"):
        reference_profile(inputs, schema, y=[1, 1, 1, 1])
    assert reason_text("SK_DPD", "high") == REASONS["SK_DPD"][1]
    assert reason_text("NEW_COLUMN_X", "low") == "New column x low"
    assert reason_text("NEW_COLUMN_X", "missing") == "New column x not provided"


def test_reason_codes_bad_inputs(rng):
    tab = bw.Sequential([layers.Input((2,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="n_reasons"):
        reason_codes(tab, np.zeros((1, 2)), np.zeros(2), ["a", "b"], n_reasons=0)
    with pytest.raises(ValueError, match="3 feature names"):
        reason_codes(tab, np.zeros((1, 2)), np.zeros(2), ["a", "b", "c"])


# ------------------------------------------------------------------------------------- the CLI
@pytest.fixture
def model_file(tmp_path):
    model, schema = linear_schema_model()
    schema.sequence = None
    numeric = layers.Input((3,), name="numeric")
    city = layers.Input((1,), dtype="string", name="city")
    filled = layers.Imputation(strategy="constant", fill_value=0.0, add_indicator=False)(numeric)
    onehot = layers.StringLookup(vocabulary=VOCAB, output_mode="one_hot", name="lookup_city")(city)
    out = layers.Dense(1, name="score")(layers.Concatenate()([filled, onehot]))
    model = bw.Model({"numeric": numeric, "city": city}, out)
    model.get_layer("score").set_weights([np.concatenate([W_NUM, W_CITY]).reshape(-1, 1), np.zeros(1, np.float32)])
    model.metadata = {"schema": schema.to_dict(), "output": "score",
                      "reason_reference": {"numeric": {"AMT_CREDIT": 0.0, "EXT_SOURCE_2": 0.0, "MY_RATIO": 0.0},
                                           "categorical": {"city": "Zürich"}, "sequence": None}}
    path = tmp_path / "model.brick"
    model.save(str(path))
    return path


def test_predict_reasons_writes_n_reason_columns(tmp_path, capsys, model_file):
    rows = pd.DataFrame({"id": [1, 2], "AMT_CREDIT": [2.0, 0.1], "EXT_SOURCE_2": [-1.0, 0.2],
                         "MY_RATIO": [0.5, 3.0], "city": ["Paris", "Zürich"]})
    rows.to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / "scores.csv"
    code = main(["predict", "--model", str(model_file), "--input", str(tmp_path / "in.csv"), "--output", str(out),
                 "--reasons", "4"])
    err = capsys.readouterr().err
    assert code == 0, err
    scores = pd.read_csv(out)
    assert list(scores.columns) == ["id", "score"] + [c for k in range(1, 5) for c in (f"reason_{k}",
                                                                                        f"reason_{k}_value")]
    # row 0: EXT_SOURCE_2 -2 * -1 = 2, AMT_CREDIT 0.5 * 2 = 1, MY_RATIO 0.5, city Paris vs Zürich 0.7
    assert scores.loc[0, ["reason_1", "reason_2", "reason_3", "reason_4"]].tolist() == [
        "External credit score 2 low", "Amount of credit requested high", "City: Paris", "My ratio high"]
    np.testing.assert_allclose(scores.loc[0, [f"reason_{k}_value" for k in range(1, 5)]].to_numpy(float),
                               [2.0, 1.0, 0.7, 0.5], rtol=1e-4)
    # row 1: only AMT_CREDIT (0.05) and MY_RATIO (3) push up; EXT_SOURCE_2 0.2 lowers the score: two blanks
    assert scores.loc[1, "reason_1"] == "My ratio high" and scores.loc[1, "reason_2"] == \
        "Amount of credit requested high"
    assert scores.loc[1, ["reason_3", "reason_4"]].isna().all()
    np.testing.assert_allclose(scores["score"], [0.5 * 2 + 2 + 0.5 + 0.3, 0.05 - 0.4 + 3 - 0.4], rtol=1e-5)


def test_predict_reasons_bad_value_and_fallback_reference(tmp_path, capsys, model_file):
    rows = pd.DataFrame({"id": [1], "AMT_CREDIT": [2.0], "EXT_SOURCE_2": [-1.0], "MY_RATIO": [0.5],
                         "city": ["Paris"]})
    rows.to_csv(tmp_path / "in.csv", index=False)
    code = main(["predict", "--model", str(model_file), "--input", str(tmp_path / "in.csv"), "--output",
                 str(tmp_path / "o.csv"), "--reasons", "-1"])
    err = capsys.readouterr().err
    assert code == 2 and "--reasons" in err and "Traceback" not in err
    assert not (tmp_path / "o.csv").exists()
    model = bw.saving.load_model(str(model_file))
    del model.metadata["reason_reference"]
    model.save(str(tmp_path / "noref.brick"))
    code = main(["predict", "--model", str(tmp_path / "noref.brick"), "--input", str(tmp_path / "in.csv"),
                 "--output", str(tmp_path / "o.csv"), "--reasons", "2"])
    err = capsys.readouterr().err
    assert code == 0 and "stores no reference applicant" in err
    scores = pd.read_csv(tmp_path / "o.csv")
    assert {"reason_1", "reason_2", "reason_1_value", "reason_2_value"} <= set(scores.columns)

"""Case-study machinery: Home Credit loader on CSV fixtures with the real columns, the synthetic
generator, the tabular schema's errors, LIME-style explanations, studies and `brickwork predict`."""

from __future__ import annotations

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")

from brickwork.cli.main import main  # noqa: E402
from brickwork.data import TabularSchema  # noqa: E402
from brickwork.datasets.home_credit import (  # noqa: E402
    APPLICATION_COLUMNS,
    BALANCE_COLUMNS,
    SEQUENCE_FEATURES,
    balance_aggregates,
    load_home_credit,
    make_home_credit,
    write_home_credit,
)
from brickwork.explain import explain_prediction  # noqa: E402


def test_generator_has_the_real_schema_and_marginals():
    app, bal = make_home_credit(3000, seed=1)
    assert list(app.columns) == APPLICATION_COLUMNS and len(APPLICATION_COLUMNS) == 122
    assert list(bal.columns) == BALANCE_COLUMNS and len(BALANCE_COLUMNS) == 23
    assert 0.05 < app["TARGET"].mean() < 0.12
    assert 0.5 < app["EXT_SOURCE_1"].isna().mean() < 0.62
    assert (app["DAYS_EMPLOYED"] == 365243).mean() > 0.1            # the real data's pensioner code
    assert bal["MONTHS_BALANCE"].max() == -1 and set(bal["SK_ID_CURR"]) <= set(app["SK_ID_CURR"])
    assert 10 < len(bal) / len(app) < 15                             # real: 3,840,312 / 307,511 = 12.5


def test_generator_probability_is_the_documented_model():
    app, bal, p = make_home_credit(3000, seed=1, return_probability=True)
    same, _ = make_home_credit(3000, seed=1)
    assert same.equals(app)                                          # asking for p does not change the draw
    assert abs(p.mean() - app["TARGET"].mean()) < 0.02                # TARGET ~ Bernoulli(p)
    owners = set(bal["SK_ID_CURR"])
    has_card = app["SK_ID_CURR"].isin(owners).to_numpy()
    # the trajectory term is centred over card owners; the others get none of it
    logit = np.log(p / (1 - p))
    ext = app[["EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3"]].mean(axis=1).fillna(0.5).to_numpy()
    resid = logit - np.polyfit(ext, logit, 1)[0] * ext
    assert resid[has_card].std() > 2 * resid[~has_card].std()       # histories move the probability
    assert np.corrcoef(ext, logit)[0, 1] < -0.5                       # better external scores, fewer defaults


def test_loader_builds_right_aligned_histories_from_csv(tmp_path):
    app = pd.DataFrame({c: [np.nan] * 3 for c in APPLICATION_COLUMNS})
    app["SK_ID_CURR"], app["TARGET"] = [100002, 100003, 100004], [0, 1, 0]
    rows = []
    for months, card in ((-3, 1), (-1, 1), (-2, 1), (-1, 2)):          # applicant 100002: two cards in month -1
        row = {c: 0.0 for c in BALANCE_COLUMNS}
        row.update(SK_ID_PREV=card, SK_ID_CURR=100002, MONTHS_BALANCE=months, AMT_BALANCE=float(-months * 100),
                   NAME_CONTRACT_STATUS="Active")
        rows.append(row)
    rows.append({**rows[0], "SK_ID_CURR": 999999})                     # a client not in the application table
    pd.DataFrame(rows, columns=BALANCE_COLUMNS).to_csv(tmp_path / "credit_card_balance.csv", index=False)
    app.to_csv(tmp_path / "application_train.csv", index=False)
    data = load_home_credit(str(tmp_path), max_months=4)
    assert data.balances.shape == (3, 4, len(SEQUENCE_FEATURES))
    j, cards = SEQUENCE_FEATURES.index("AMT_BALANCE"), SEQUENCE_FEATURES.index("CARDS")
    expected = np.sign([0, 300, 200, 200]) * np.log1p([0, 300, 200, 200])  # month -1: 100 + 100 from 2 cards
    np.testing.assert_allclose(data.balances[0, :, j], expected, rtol=1e-6)
    np.testing.assert_allclose(data.balances[0, :, cards], np.log1p([0, 1, 1, 2]), rtol=1e-6)
    assert not data.balances[1:].any() and data.target.tolist() == [0, 1, 0]
    assert balance_aggregates(data.balances)[:, 0].tolist() == [3, 0, 0]
    with pytest.raises(FileNotFoundError, match="Kaggle"):
        load_home_credit(str(tmp_path / "nowhere"))


def test_schema_errors_name_the_columns():
    frame = pd.DataFrame({"id": [1, 2], "age": ["31", "forty"], "city": ["a", None]})
    schema = TabularSchema(numeric=["age", "income"], categorical=["city"], id_column="id")
    with pytest.raises(ValueError, match="lacks the required column.*income"):
        schema.inputs(frame, source="new.csv")
    frame["income"] = [1.0, np.nan]
    with pytest.raises(ValueError, match=r"age \(e.g. 'forty' in row 1\)"):
        schema.inputs(frame)
    frame["age"] = ["31", ""]
    inputs = schema.inputs(frame)
    assert np.isnan(inputs["numeric"][1]).all() and inputs["city"].tolist() == [["a"], [None]]
    assert TabularSchema.from_dict(schema.to_dict()) == schema


def test_explanation_recovers_a_linear_model(rng):
    background = rng.normal(size=(500, 4))
    weights = np.array([2.0, -1.0, 0.0, 0.5])
    explanation = explain_prediction(lambda z: z @ weights, background[0], background, ["a", "b", "c", "d"])
    assert [k for k, _ in explanation.top(2)] == ["a", "b"]
    np.testing.assert_allclose(list(explanation.weights.values()), weights * background.std(axis=0), rtol=0.02,
                               atol=0.02)
    assert explanation.r2 > 0.99 and explanation.prediction == pytest.approx(background[0] @ weights, rel=1e-5)


@pytest.mark.slow
def test_default_risk_study_and_predict_round_trip(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from brickwork.saving import load_model
    from brickwork.studies import run_study

    report = run_study("default-risk", str(tmp_path / "report"), quick=True, n_applicants=1500, epochs=2,
                       verbose=0)
    text = (tmp_path / "report" / "report.md").read_text()
    assert "logistic regression" in text and "gradient-boosted trees" in text and "Verdict" in text
    assert (tmp_path / "report" / "roc.png").exists() and report.metrics["gru_auc"]
    new_dir = tmp_path / "new"
    write_home_credit(str(new_dir), n_applicants=200, seed=9)
    app = pd.read_csv(new_dir / "application_train.csv").drop(columns=["TARGET"])
    app.loc[0, "AMT_ANNUITY"], app.loc[1, "NAME_TYPE_SUITE"] = np.nan, "Spaceship"
    app.to_csv(new_dir / "new.csv", index=False)
    model_path, out = str(tmp_path / "report" / "model.bw"), str(tmp_path / "scores.csv")
    assert main(["predict", "--model", model_path, "--input", str(new_dir / "new.csv"), "--sequences",
                 str(new_dir / "credit_card_balance.csv"), "--output", out]) == 0
    err = capsys.readouterr().err
    assert "AMT_ANNUITY" in err and "Spaceship" in err
    scores = pd.read_csv(out)
    model = load_model(model_path)
    schema = TabularSchema.from_dict(model.metadata["schema"])
    from brickwork.datasets.home_credit import balance_sequences

    seqs = balance_sequences(pd.read_csv(new_dir / "credit_card_balance.csv"), app["SK_ID_CURR"].to_numpy(), 24)
    expected = model.predict(schema.inputs(app, seqs), verbose=0).ravel()
    np.testing.assert_allclose(scores["score"].to_numpy(), expected, rtol=1e-5, atol=1e-7)
    assert scores["SK_ID_CURR"].tolist() == app["SK_ID_CURR"].tolist()
    app.drop(columns=["AMT_CREDIT"]).to_csv(new_dir / "bad.csv", index=False)
    assert main(["predict", "--model", model_path, "--input", str(new_dir / "bad.csv"), "--output",
                 str(tmp_path / "bad_scores.csv")]) == 2
    assert "AMT_CREDIT" in capsys.readouterr().err and not (tmp_path / "bad_scores.csv").exists()


@pytest.mark.slow
def test_market_and_forecasting_studies_write_their_tables(tmp_path):
    pytest.importorskip("pmdarima")
    pytest.importorskip("statsmodels")
    from brickwork.studies import run_study

    run_study("market", str(tmp_path / "market"), quick=True, verbose=0)
    text = (tmp_path / "market" / "report.md").read_text()
    for name in ("dense (example 1)", "LSTM", "α=2", "α=5", "always up", "yesterday", "logistic", "95% CI"):
        assert name in text
    run_study("forecasting", str(tmp_path / "forecast"), quick=True, verbose=0)
    text = (tmp_path / "forecast" / "report.md").read_text()
    for name in ("LSTM", "CNN", "MLP", "ARIMA", "VAR", "MSE (in sample)", "MSE (out of sample)"):
        assert name in text
    assert main(["study", "run", "nonsense", "--out", str(tmp_path / "x")]) == 2

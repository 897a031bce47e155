"""``brickwork predict`` scores an exported ``.onnx`` file through onnxruntime: the study's schema travels in
the file's ``brickwork.metadata`` property, and the scores equal the brickwork model's."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from brickwork import layers, models
from brickwork.cli import main
from brickwork.data import TabularSchema

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from brickwork.export import to_onnx  # noqa: E402
from brickwork.export.onnx_scoring import OnnxScorer  # noqa: E402

KERNEL = np.array([[1.0], [10.0], [100.0]], np.float32)


@pytest.fixture
def files(tmp_path):
    inp = layers.Input((3,), name="numeric")
    out = layers.Dense(1, name="score")(inp)
    model = models.Model(inp, out)
    model.get_layer("score").set_weights([KERNEL, np.array([0.5], np.float32)])
    model.metadata = {"schema": TabularSchema(["a", "b", "c"], id_column="id").to_dict(), "output": "score"}
    path = str(tmp_path / "model.onnx")
    to_onnx(model, path)
    rows = pd.DataFrame({"id": [1, 2, 3], "a": [1.0, 2.0, 0.0], "b": [0.5, -1.0, 0.25], "c": [0.0, 0.01, 1.0]})
    rows.to_csv(tmp_path / "in.csv", index=False)
    return model, path, tmp_path


def test_the_schema_travels_in_the_onnx_file(files):
    model, path, _ = files
    props = {p.key: p.value for p in onnx.load(path).metadata_props}
    assert json.loads(props["brickwork.metadata"]) == model.metadata
    assert OnnxScorer(path).metadata == model.metadata


def test_predict_scores_an_onnx_file_like_the_model(files, capsys):
    model, path, tmp = files
    code = main(["predict", "--model", path, "--input", str(tmp / "in.csv"), "--output", str(tmp / "s.csv")])
    assert code == 0, capsys.readouterr().err
    scores = pd.read_csv(tmp / "s.csv")
    expected = np.array([1.0 + 5.0 + 0.0, 2.0 - 10.0 + 1.0, 0.0 + 2.5 + 100.0]) + 0.5
    assert scores["id"].tolist() == [1, 2, 3]
    np.testing.assert_allclose(scores["score"].to_numpy(), expected, rtol=1e-6)


def test_reasons_need_gradients_and_are_refused_for_onnx(files, capsys):
    _, path, tmp = files
    code = main(["predict", "--model", path, "--input", str(tmp / "in.csv"), "--output", str(tmp / "s.csv"),
                 "--reasons", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "--reasons needs the model's gradients" in err and "model.onnx" in err


def test_an_onnx_file_without_a_schema_is_refused_by_name(tmp_path, capsys):
    inp = layers.Input((3,))
    model = models.Model(inp, layers.Dense(1)(inp))
    path = str(tmp_path / "plain.onnx")
    to_onnx(model, path)
    pd.DataFrame({"a": [1.0]}).to_csv(tmp_path / "in.csv", index=False)
    code = main(["predict", "--model", path, "--input", str(tmp_path / "in.csv"), "--output",
                 str(tmp_path / "s.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "plain.onnx has no input schema" in err

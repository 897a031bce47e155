"""Compiled metrics travel with the model file (Keras 3 restores them from ``compile_config``): names and built-in
metric objects with their arguments, in brickwork's format and in ``.keras`` files that Keras reads too."""

from __future__ import annotations

import numpy as np
import pytest

from brickwork import layers, metrics, models


def _model():
    m = models.Sequential([layers.Input((3,)), layers.Dense(1, activation="sigmoid")])
    m.compile("adam", "binary_crossentropy",
              metrics=["accuracy", metrics.AUC(num_thresholds=50), metrics.Precision(thresholds=0.3),
                       metrics.BinaryIoU(target_class_ids=[1])])
    rng = np.random.default_rng(0)
    x = rng.random((16, 3)).astype(np.float32)
    y = (x[:, 0] > 0.5).astype(np.float32)
    m.fit(x, y, epochs=1, verbose=0)
    return m, x, y


@pytest.mark.parametrize("suffix", [".brick", ".keras"])
def test_compiled_metrics_are_restored_with_their_arguments(tmp_path, suffix):
    model, x, y = _model()
    path = str(tmp_path / f"m{suffix}")
    model.save(path)
    loaded = models.load_model(path)
    expected = model.evaluate(x, y, verbose=0, return_dict=True)
    got = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert set(got) == set(expected) == {"loss", "accuracy", "auc", "precision", "binary_io_u"}
    for key in expected:
        assert got[key] == pytest.approx(expected[key], rel=1e-6), key
    by_name = {m.name: m for m in loaded._compiled_metrics.all_metrics}
    assert by_name["auc"].num_thresholds == 50
    assert float(np.ravel(by_name["precision"].thresholds)[0]) == pytest.approx(0.3)


def test_keras_reads_the_metrics_brickwork_wrote(tmp_path):
    keras = pytest.importorskip("keras")
    model, x, y = _model()
    path = str(tmp_path / "m.keras")
    model.save(path)
    theirs = keras.saving.load_model(path).evaluate(x, y, verbose=0, return_dict=True)
    ours = model.evaluate(x, y, verbose=0, return_dict=True)
    for key in ("loss", "accuracy", "auc", "precision"):
        assert theirs[key] == pytest.approx(ours[key], rel=1e-5), key


def test_a_custom_metric_function_leaves_the_file_loadable_without_metrics(tmp_path):
    m = models.Sequential([layers.Input((3,)), layers.Dense(1)])
    m.compile("sgd", "mse", metrics=[lambda yt, yp: (yt - yp) ** 2])
    m.build((None, 3))
    m.save(str(tmp_path / "m.brick"))
    loaded = models.load_model(str(tmp_path / "m.brick"))
    assert loaded.compiled and loaded.get_compile_config()["metrics"] is None

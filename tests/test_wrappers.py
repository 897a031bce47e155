"""scikit-learn wrappers: estimator checks, pipelines, search, pickling."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

from brickwork.wrappers import SKLearnClassifier, SKLearnRegressor  # noqa: E402
from brickwork.wrappers.sklearn import EXPECTED_FAILED_CHECKS  # noqa: E402


def classifier(X, y, hidden=16):
    out = y.shape[1]
    model = bw.Sequential([layers.Input((X.shape[1],)), layers.Dense(hidden, activation="relu"),
                           layers.Dense(out, activation="sigmoid" if out == 1 else "softmax")])
    model.compile(bw.optimizers.Adam(0.01), "binary_crossentropy" if out == 1 else "categorical_crossentropy")
    return model


def regressor(X, y, hidden=16):
    model = bw.Sequential([layers.Input((X.shape[1],)), layers.Dense(hidden, activation="relu"),
                           layers.Dense(y.shape[1])])
    model.compile(bw.optimizers.Adam(0.01), "mse")
    return model


FIT = {"epochs": 30, "batch_size": 32}


@pytest.mark.parametrize("estimator, expected", [
    (SKLearnClassifier(classifier, fit_kwargs=FIT), EXPECTED_FAILED_CHECKS),
    (SKLearnRegressor(regressor, fit_kwargs=FIT), EXPECTED_FAILED_CHECKS),
], ids=["classifier", "regressor"])
def test_check_estimator(estimator, expected):
    results = check_estimator(estimator, on_fail=None, expected_failed_checks=expected)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert not failed
    assert len(results) > 50


def test_pipeline_cross_validation_and_grid_search():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), SKLearnClassifier(classifier, fit_kwargs={"epochs": 60, "batch_size": 16}))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.85
    search = GridSearchCV(SKLearnClassifier(classifier, fit_kwargs={"epochs": 40, "batch_size": 16}),
                          {"model_kwargs": [{"hidden": 2}, {"hidden": 32}]}, cv=3)
    search.fit(StandardScaler().fit_transform(X), y)
    assert search.best_params_["model_kwargs"] in ({"hidden": 2}, {"hidden": 32})
    assert set(search.classes_) == {0, 1, 2}


def test_string_labels_proba_and_pickle_round_trip():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    est = SKLearnClassifier(classifier, fit_kwargs={"epochs": 50, "batch_size": 16}).fit(X, names)
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert est.score(X, names) > 0.85 and set(est.predict(X)) <= set(names)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(again.predict_proba(X), proba, rtol=1e-6)


def test_regressor_learns_and_refits_repeatably():
    X, y = make_regression(200, 4, noise=0.1, random_state=0)
    y = y / y.std()
    est = SKLearnRegressor(regressor, fit_kwargs={"epochs": 60, "batch_size": 16})
    first = est.fit(X, y).predict(X)
    assert est.score(X, y) > 0.9
    np.testing.assert_allclose(est.fit(X, y).predict(X), first, rtol=1e-5)


def test_model_instance_is_cloned_and_errors():
    X, y = make_regression(50, 3, random_state=0)
    template = regressor(X, y.reshape(-1, 1))
    est = SKLearnRegressor(template, fit_kwargs={"epochs": 2}).fit(X, y)
    assert est.model_ is not template
    with pytest.raises(ValueError, match="compiled"):
        SKLearnRegressor(bw.Sequential([layers.Input((3,)), layers.Dense(1)])).fit(X, y)
    with pytest.raises(TypeError, match="callable"):
        SKLearnRegressor(42).fit(X, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        SKLearnClassifier(classifier).fit(X, y)

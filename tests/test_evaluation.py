"""Evaluation protocols: split properties (coverage, no look-ahead) and cross-validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import brickwork as bw
from brickwork import layers
from brickwork.evaluation import (
    chronological_split,
    cross_validate,
    holdout_split,
    kfold_splits,
    walk_forward_splits,
)


@given(n=st.integers(10, 200), k=st.integers(2, 6), repeats=st.integers(1, 3), seed=st.integers(0, 99))
def test_kfold_validates_every_sample_once_per_repeat(n, k, repeats, seed):
    folds = list(kfold_splits(n, k, repeats, seed=seed))
    assert len(folds) == k * repeats
    for r in range(repeats):
        tests = np.concatenate([t for _, t in folds[r * k:(r + 1) * k]])
        np.testing.assert_array_equal(np.sort(tests), np.arange(n))
    for train, test in folds:
        assert not np.intersect1d(train, test).size and len(train) + len(test) == n


@given(n=st.integers(30, 500), val=st.floats(0.05, 0.3), test=st.floats(0.05, 0.3), gap=st.integers(0, 5))
def test_chronological_split_has_no_look_ahead(n, val, test, gap):
    train, valid, held = chronological_split(n, val, test, gap)
    assert train.max() + gap < (valid.min() if len(valid) else held.min())
    if len(valid):
        assert valid.max() + gap < held.min()
    assert held.max() == n - 1


@given(n=st.integers(30, 300), splits=st.integers(1, 5), gap=st.integers(0, 4))
def test_walk_forward_trains_only_on_the_past(n, splits, gap):
    for train, test in walk_forward_splits(n, splits, gap=gap):
        assert train.max() + gap < test.min()
        assert train.min() == 0


def test_stratified_holdout_keeps_class_proportions():
    labels = np.r_[np.zeros(90), np.ones(10)]
    train, test = holdout_split(100, 0.2, stratify=labels, seed=3)
    assert labels[test].sum() == 2 and len(test) == 20 and not np.intersect1d(train, test).size


def test_cross_validate_fresh_model_per_fold_beats_the_mean_baseline(rng):
    x = rng.normal(size=(200, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=200)).astype(np.float32)[:, None]
    built = []

    def build():
        model = bw.Sequential([layers.Input((4,)), layers.Dense(16, activation="relu"), layers.Dense(1)])
        model.compile(bw.optimizers.Adam(0.02), "mse", metrics=["mae"])
        built.append(model)
        return model

    result = cross_validate(build, x, y, cv=4, score="mae", fit_kwargs={"epochs": 40, "batch_size": 16})
    assert len(result.scores) == 4 and len({id(m) for m in built}) == 4
    baseline = np.mean(np.abs(y - y.mean()))
    assert result.mean < 0.3 * baseline and result.std >= 0
    iterated = cross_validate(build, x, y, cv=2, n_repeats=2, score=lambda m, xt, yt: float(len(xt)),
                              fit_kwargs={"epochs": 1})
    assert iterated.scores == [100.0] * 4 and "± 0.0000 over 4 folds" in str(iterated)
    with pytest.raises(ValueError, match="not among"):
        cross_validate(build, x, y, cv=2, score="auc", fit_kwargs={"epochs": 1})
    with pytest.raises(ValueError, match="n_splits"):
        list(kfold_splits(3, 5))

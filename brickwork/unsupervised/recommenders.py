"""Rating predictors for collaborative filtering, one split and one evaluator for all.

Every model takes integer arrays ``users``, ``items`` (any ids) and float ``ratings`` in ``fit`` and predicts
``r̂_ui`` in ``predict(users, items)``; ids unseen in training fall back to the terms that are known.

* :class:`GlobalMean`: ``r̂_ui = μ``.
* :class:`BiasBaseline`: ``r̂_ui = μ + b_u + b_i``, the regularised biases fitted by alternating least squares
  (Koren 2010; Surprise's ``BaselineOnly``): ``b_i = Σ_u (r_ui - μ - b_u) / (λ_i + |U_i|)``,
  ``b_u = Σ_i (r_ui - μ - b_i) / (λ_u + |I_u|)``.
* :class:`BiasedMF`: ``r̂_ui = μ + b_u + b_i + q_iᵀ p_u`` trained by SGD on the regularised squared error
  (Funk; Surprise's ``SVD``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np


class _Ids:
    """Maps raw ids to 0..n-1; unseen ids map to -1."""

    def __init__(self, ids: np.ndarray) -> None:
        self.values = np.unique(ids)

    def __len__(self) -> int:
        return len(self.values)

    def index(self, ids: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.values, ids).clip(0, max(len(self.values) - 1, 0))
        return np.where(self.values[pos] == ids, pos, -1)


def _check(where: str, users: Any, items: Any, ratings: Any = None) -> tuple[np.ndarray, ...]:
    users, items = np.asarray(users).ravel(), np.asarray(items).ravel()
    if len(users) != len(items) or (ratings is not None and len(np.asarray(ratings).ravel()) != len(users)):
        raise ValueError(f"{where}: users, items (and ratings) must have the same length, got {len(users)}, "
                         f"{len(items)}" + ("" if ratings is None else f", {len(np.asarray(ratings).ravel())}") + ".")
    if ratings is None:
        return users, items
    ratings = np.asarray(ratings, dtype=np.float64).ravel()
    if len(ratings) == 0 or not np.all(np.isfinite(ratings)):
        raise ValueError(f"{where}: ratings must be a non-empty array of finite numbers.")
    return users, items, ratings


class GlobalMean:
    """Predicts the mean training rating μ for every pair."""

    def fit(self, users: Any, items: Any, ratings: Any) -> GlobalMean:
        """μ = mean of ``ratings``."""
        _, _, r = _check("GlobalMean.fit", users, items, ratings)
        self.mean_ = float(r.mean())
        return self

    def predict(self, users: Any, items: Any) -> np.ndarray:
        """μ for each (user, item) pair."""
        users, _ = _check("GlobalMean.predict", users, items)
        return np.full(len(users), self.mean_)


class BiasBaseline:
    """``r̂_ui = μ + b_u + b_i`` with biases fitted by ``n_epochs`` rounds of alternating least squares,
    regularised by ``reg_items`` (λ_i) and ``reg_users`` (λ_u), Surprise's ``BaselineOnly`` defaults."""

    def __init__(self, n_epochs: int = 10, reg_users: float = 15.0, reg_items: float = 10.0) -> None:
        self.n_epochs, self.reg_users, self.reg_items = n_epochs, reg_users, reg_items

    def fit(self, users: Any, items: Any, ratings: Any) -> BiasBaseline:
        """Alternate b_i = Σ_u (r_ui - μ - b_u) / (λ_i + |U_i|) and b_u = Σ_i (r_ui - μ - b_i) / (λ_u + |I_u|)."""
        users, items, r = _check("BiasBaseline.fit", users, items, ratings)
        self.users_, self.items_ = _Ids(users), _Ids(items)
        u, i = self.users_.index(users), self.items_.index(items)
        self.mean_ = float(r.mean())
        n_u = np.bincount(u, minlength=len(self.users_))
        n_i = np.bincount(i, minlength=len(self.items_))
        self.user_bias_, self.item_bias_ = np.zeros(len(self.users_)), np.zeros(len(self.items_))
        for _ in range(self.n_epochs):
            self.item_bias_ = np.bincount(i, r - self.mean_ - self.user_bias_[u], len(n_i)) / (self.reg_items + n_i)
            self.user_bias_ = np.bincount(u, r - self.mean_ - self.item_bias_[i], len(n_u)) / (self.reg_users + n_u)
        return self

    def _biases(self, users: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, ...]:
        u, i = self.users_.index(users), self.items_.index(items)
        bu = np.where(u >= 0, self.user_bias_[u.clip(0)], 0.0)
        bi = np.where(i >= 0, self.item_bias_[i.clip(0)], 0.0)
        return u, i, bu, bi

    def predict(self, users: Any, items: Any) -> np.ndarray:
        """μ + b_u + b_i (an unseen user or item contributes 0)."""
        users, items = _check("BiasBaseline.predict", users, items)
        _, _, bu, bi = self._biases(users, items)
        return self.mean_ + bu + bi


class BiasedMF(BiasBaseline):
    """Biased matrix factorisation ``r̂_ui = μ + b_u + b_i + q_iᵀ p_u`` (Funk SVD), trained by SGD on

        Σ_(u,i) (r_ui - r̂_ui)² + λ (b_u² + b_i² + |p_u|² + |q_i|²)

    with, for each observed rating and e_ui = r_ui - r̂_ui::

        b_u <- b_u + γ (e_ui - λ b_u)         p_u <- p_u + γ (e_ui q_i - λ p_u)
        b_i <- b_i + γ (e_ui - λ b_i)         q_i <- q_i + γ (e_ui p_u - λ q_i)

    Defaults are Surprise's ``SVD`` (100 factors, 20 epochs, γ = 0.005, λ = 0.02, factors from N(0, 0.1²)).
    ``batch_size = 1`` is the sequential SGD above; larger batches (the default 64) compute the updates of a
    shuffled mini-batch from the same parameters and add them together, which is the same rule whenever a
    batch holds each user and item at most once and is far faster on NumPy.
    """

    def __init__(self, n_factors: int = 100, n_epochs: int = 20, lr: float = 0.005, reg: float = 0.02,
                 init_std: float = 0.1, batch_size: int = 64, random_state: int | None = 0) -> None:
        self.n_factors, self.n_epochs, self.lr, self.reg = n_factors, n_epochs, lr, reg
        self.init_std, self.batch_size, self.random_state = init_std, batch_size, random_state

    def fit(self, users: Any, items: Any, ratings: Any) -> BiasedMF:
        """SGD over the shuffled ratings for ``n_epochs`` passes."""
        users, items, r = _check("BiasedMF.fit", users, items, ratings)
        for name in ("n_factors", "n_epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"BiasedMF: {name} must be a positive integer, got {value!r}.")
        rng = np.random.default_rng(self.random_state)
        self.users_, self.items_ = _Ids(users), _Ids(items)
        u, i = self.users_.index(users), self.items_.index(items)
        self.mean_ = float(r.mean())
        self.user_bias_, self.item_bias_ = np.zeros(len(self.users_)), np.zeros(len(self.items_))
        self.user_factors_ = rng.normal(0, self.init_std, (len(self.users_), self.n_factors))
        self.item_factors_ = rng.normal(0, self.init_std, (len(self.items_), self.n_factors))
        lr, reg, bs = self.lr, self.reg, self.batch_size
        for _ in range(self.n_epochs):
            order = rng.permutation(len(r))
            for start in range(0, len(r), bs):
                b = order[start:start + bs]
                ub, ib = u[b], i[b]
                pu, qi = self.user_factors_[ub], self.item_factors_[ib]
                bu, bi = self.user_bias_[ub], self.item_bias_[ib]
                err = r[b] - (self.mean_ + bu + bi + np.einsum("nk,nk->n", pu, qi))
                np.add.at(self.user_bias_, ub, lr * (err - reg * bu))
                np.add.at(self.item_bias_, ib, lr * (err - reg * bi))
                np.add.at(self.user_factors_, ub, lr * (err[:, None] * qi - reg * pu))
                np.add.at(self.item_factors_, ib, lr * (err[:, None] * pu - reg * qi))
        return self

    def predict(self, users: Any, items: Any) -> np.ndarray:
        """μ + b_u + b_i + q_iᵀ p_u (unknown users or items contribute no bias and no factor term)."""
        users, items = _check("BiasedMF.predict", users, items)
        u, i, bu, bi = self._biases(users, items)
        dot = np.einsum("nk,nk->n", self.user_factors_[u.clip(0)], self.item_factors_[i.clip(0)])
        return self.mean_ + bu + bi + np.where((u >= 0) & (i >= 0), dot, 0.0)


def kfold_indices(n: int, n_splits: int = 5, seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(train, test)`` index arrays of a shuffled ``n_splits``-fold split of ``n`` ratings (each rating is in
    exactly one test fold), the one split every model is evaluated on."""
    if not isinstance(n_splits, int) or n_splits < 2 or n_splits > n:
        raise ValueError(f"kfold_indices: n_splits must be an integer in [2, n={n}], got {n_splits!r}.")
    folds = np.array_split(np.random.default_rng(seed).permutation(n), n_splits)
    for k in range(n_splits):
        yield np.concatenate(folds[:k] + folds[k + 1:]), folds[k]


def cross_validate(make_model: Callable[[], Any], ratings: Any, n_splits: int = 5, seed: int = 0,
                   clip: tuple[float, float] | None = (1.0, 5.0)) -> dict[str, Any]:
    """RMSE and MAE on held-out ratings over a ``n_splits``-fold split of a DataFrame with ``user_id``,
    ``item_id`` and ``rating`` columns; ``make_model()`` builds a fresh model per fold and predictions are
    clipped to ``clip`` (the rating scale) as Surprise does.

    Returns ``{"rmse": mean, "mae": mean, "rmse_folds": [...], "mae_folds": [...]}``.
    """
    missing = [c for c in ("user_id", "item_id", "rating") if c not in getattr(ratings, "columns", ())]
    if missing:
        raise ValueError(f"cross_validate: ratings must be a DataFrame with columns user_id, item_id, rating; "
                         f"missing {', '.join(missing)}.")
    users, items = ratings["user_id"].to_numpy(), ratings["item_id"].to_numpy()
    r = ratings["rating"].to_numpy(dtype=np.float64)
    rmse, mae = [], []
    for train, test in kfold_indices(len(r), n_splits, seed):
        pred = make_model().fit(users[train], items[train], r[train]).predict(users[test], items[test])
        if clip is not None:
            pred = np.clip(pred, *clip)
        rmse.append(float(np.sqrt(np.mean((pred - r[test]) ** 2))))
        mae.append(float(np.mean(np.abs(pred - r[test]))))
    return {"rmse": float(np.mean(rmse)), "mae": float(np.mean(mae)), "rmse_folds": rmse, "mae_folds": mae}

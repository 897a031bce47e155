"""A restricted Boltzmann machine for collaborative filtering (Salakhutdinov, Mnih and Hinton, ICML 2007).

Each user is one training case. Item ``i``'s rating is a K-way softmax visible unit ``v_i`` (one-hot over the
K rating values, ``v_i^k = 1`` when the user gave value ``k``); only the items the user rated are visible, the
rest are left out of the model for that user. Every user's RBM has the same F binary hidden units and shares
the weights ``W_ij^k`` of the items it sees, so the weights are learned across all users.

Notation: ``W`` is ``weights_`` with shape (M, K, F), visible biases ``b_i^k`` = ``visible_bias_`` (M, K),
hidden biases ``c_j`` = ``hidden_bias_`` (F,). For a user with rated items ``I_u``::

    E(V, h) = - Σ_{i∈I_u} Σ_j Σ_k W_ij^k h_j v_i^k - Σ_{i∈I_u} Σ_k b_i^k v_i^k - Σ_j c_j h_j

    p(h_j = 1 | V)   = σ(c_j + Σ_{i∈I_u} Σ_k v_i^k W_ij^k)
    p(v_i^k = 1 | h) = exp(b_i^k + Σ_j h_j W_ij^k) / Σ_l exp(b_i^l + Σ_j h_j W_ij^l)       (i ∈ I_u)

    free energy F(V) = - Σ_{i∈I_u} Σ_k b_i^k v_i^k - Σ_j log(1 + exp(c_j + Σ_{i∈I_u} Σ_k v_i^k W_ij^k))

Training is CD-k: the positive statistics ``<v_i^k h_j>_data`` use ``p(h|V)`` at the data, the negative ones
``<v_i^k h_j>_T`` come from ``k`` steps of Gibbs sampling (sample h, sample each rated item's softmax) on the
rated items; ``ΔW_ij^k = ε (<v_i^k h_j>_data - <v_i^k h_j>_T) - ε λ W_ij^k`` with momentum, and likewise for the
biases (no decay). A rating for an unrated item ``q`` is predicted as the expected value under
``p(v_q^k = 1 | p̂)`` with the hidden probabilities ``p̂_j = p(h_j = 1 | V)`` of the user's known ratings:
``r̂_uq = Σ_k value_k · p(v_q^k = 1 | p̂)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.unsupervised.recommenders import _check, _Ids


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


class RBMRecommender:
    """Rating prediction with a softmax-visible RBM trained by CD-k (Salakhutdinov et al., 2007).

    Args:
        n_hidden: number of binary hidden units F.
        n_epochs: passes over the training users.
        learning_rate: ε for the weights and biases (the gradient is averaged over the users of a batch).
        momentum: momentum of the parameter updates.
        weight_decay: λ, L2 decay of the weights.
        batch_size: users per mini-batch.
        k: Gibbs steps in the negative phase (CD-k).
        min_rating: the lowest rating value; ratings must be integers ``min_rating .. min_rating + n_ratings - 1``.
        n_ratings: K, the number of rating values.
        random_state: seed of the initialisation, the order of users and the Gibbs samples.
        verbose: print the mean free energy of the training users after each epoch.

    Attributes (after ``fit``): ``weights_`` (M, K, F), ``visible_bias_`` (M, K), ``hidden_bias_`` (F,),
    ``users_`` / ``items_`` (the id maps), ``mean_`` (the mean training rating).
    """

    def __init__(self, n_hidden: int = 50, n_epochs: int = 15, learning_rate: float = 0.2, momentum: float = 0.5,
                 weight_decay: float = 0.005, batch_size: int = 10, k: int = 1, min_rating: int = 1,
                 n_ratings: int = 5, random_state: int | None = 0, verbose: int = 0) -> None:
        self.n_hidden, self.n_epochs, self.learning_rate = n_hidden, n_epochs, learning_rate
        self.momentum, self.weight_decay, self.batch_size, self.k = momentum, weight_decay, batch_size, k
        self.min_rating, self.n_ratings, self.random_state, self.verbose = min_rating, n_ratings, random_state, verbose

    # ------------------------------------------------------------------ the conditionals and the free energy
    def hidden_probabilities(self, visible: np.ndarray) -> np.ndarray:
        """``p(h_j = 1 | V) = σ(c_j + Σ_i Σ_k v_i^k W_ij^k)`` for a batch of one-hot visibles ``(B, M, K)``
        (unrated items are all-zero rows); returns ``(B, F)``."""
        v = np.asarray(visible, dtype=np.float64)
        m, k, f = self.weights_.shape
        return _sigmoid(v.reshape(len(v), m * k) @ self.weights_.reshape(m * k, f) + self.hidden_bias_)

    def visible_probabilities(self, hidden: np.ndarray) -> np.ndarray:
        """``p(v_i^k = 1 | h) = softmax_k(b_i^k + Σ_j h_j W_ij^k)`` for every item, for hidden states or
        probabilities ``(B, F)``; returns ``(B, M, K)``."""
        h = np.asarray(hidden, dtype=np.float64)
        m, k, f = self.weights_.shape
        logits = (h @ self.weights_.reshape(m * k, f).T).reshape(len(h), m, k) + self.visible_bias_
        return _softmax(logits, axis=-1)

    def free_energy(self, visible: np.ndarray) -> np.ndarray:
        """``F(V) = -Σ_ik b_i^k v_i^k - Σ_j log(1 + exp(c_j + Σ_ik v_i^k W_ij^k))`` per user, ``(B,)``."""
        v = np.asarray(visible, dtype=np.float64)
        m, k, f = self.weights_.shape
        flat = v.reshape(len(v), m * k)
        act = flat @ self.weights_.reshape(m * k, f) + self.hidden_bias_
        return -flat @ self.visible_bias_.reshape(-1) - np.logaddexp(0.0, act).sum(axis=1)

    def cd_gradients(self, visible: np.ndarray, rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
        """One CD-k estimate of the log-likelihood gradient for a batch of users ``(B, M, K)``, averaged over
        the batch: ``{"weights": <v h>_data - <v h>_T, "visible_bias": <v>_data - <v>_T,
        "hidden_bias": <h>_data - <h>_T}`` (no weight decay). The Gibbs chain only resamples the items each
        user rated; the last step uses ``p(h | V_T)`` rather than a sample."""
        v = np.asarray(visible, dtype=np.float64)
        rows, items, ks = np.nonzero(v > 0.5)
        return self._cd_sparse(rows, items, ks, len(v), np.random.default_rng() if rng is None else rng)

    def _hidden_sparse(self, rows: np.ndarray, items: np.ndarray, ks: np.ndarray, n: int) -> np.ndarray:
        act = np.tile(self.hidden_bias_, (n, 1))
        np.add.at(act, rows, self.weights_[items, ks])
        return _sigmoid(act)

    def _cd_sparse(self, rows: np.ndarray, items: np.ndarray, ks: np.ndarray, n: int,
                   rng: np.random.Generator) -> dict[str, np.ndarray]:
        """CD-k on the rated entries only: entry ``e`` says user ``rows[e]`` gave item ``items[e]`` the value
        index ``ks[e]``."""
        ph0 = self._hidden_sparse(rows, items, ks, n)
        ph, k_t = ph0, ks
        w_rated, b_rated = self.weights_[items], self.visible_bias_[items]  # (E, K, F), (E, K)
        for _ in range(self.k):
            h = (rng.random(ph.shape) < ph).astype(np.float64)
            pv = _softmax(np.einsum("ef,ekf->ek", h[rows], w_rated) + b_rated)
            # sample each rated item's softmax: the first k whose cumulative probability passes a uniform draw
            k_t = (pv.cumsum(axis=-1) > rng.random((len(pv), 1))).argmax(axis=-1)
            ph = self._hidden_sparse(rows, items, k_t, n)
        grad_w = np.zeros_like(self.weights_)
        np.add.at(grad_w, (items, ks), ph0[rows])
        np.add.at(grad_w, (items, k_t), -ph[rows])
        grad_b = np.zeros_like(self.visible_bias_)
        np.add.at(grad_b, (items, ks), 1.0)
        np.add.at(grad_b, (items, k_t), -1.0)
        return {"weights": grad_w / n, "visible_bias": grad_b / n, "hidden_bias": (ph0 - ph).sum(axis=0) / n}

    # ------------------------------------------------------------------ data layout
    def _rating_index(self, ratings: np.ndarray, where: str) -> np.ndarray:
        k = ratings - self.min_rating
        if np.any(k != np.round(k)) or k.min() < 0 or k.max() > self.n_ratings - 1:
            bad = ratings[(k != np.round(k)) | (k < 0) | (k > self.n_ratings - 1)][:3]
            raise ValueError(f"{where}: ratings must be integers in [{self.min_rating}, "
                             f"{self.min_rating + self.n_ratings - 1}] (min_rating, n_ratings); got {bad.tolist()}.")
        return k.astype(np.int64)

    def visible_batch(self, user_rows: np.ndarray) -> np.ndarray:
        """The one-hot visibles ``(B, M, K)`` of the training ratings of the given user rows
        (positions in ``users_``)."""
        out = np.zeros((len(user_rows), len(self.items_), self.n_ratings))
        for row, u in enumerate(np.asarray(user_rows)):
            lo, hi = self._user_start[u], self._user_start[u + 1]
            out[row, self._item_of[lo:hi], self._k_of[lo:hi]] = 1.0
        return out

    def _entries(self, user_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lo, hi = self._user_start[user_rows], self._user_start[np.asarray(user_rows) + 1]
        rows = np.repeat(np.arange(len(lo)), hi - lo)
        pos = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)]) if len(lo) else np.zeros(0, np.int64)
        return rows, self._item_of[pos], self._k_of[pos]

    def fit(self, users: Any, items: Any, ratings: Any) -> RBMRecommender:
        """CD-k training over mini-batches of users for ``n_epochs`` passes."""
        users, items, r = _check("RBMRecommender.fit", users, items, ratings)
        for name in ("n_hidden", "n_epochs", "batch_size", "k", "n_ratings"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"RBMRecommender: {name} must be a positive integer, got {value!r}.")
        kk = self._rating_index(r, "RBMRecommender.fit")
        rng = np.random.default_rng(self.random_state)
        self.users_, self.items_ = _Ids(users), _Ids(items)
        u, i = self.users_.index(users), self.items_.index(items)
        order = np.argsort(u, kind="stable")
        self._item_of, self._k_of = i[order], kk[order]
        self._user_start = np.concatenate([[0], np.cumsum(np.bincount(u, minlength=len(self.users_)))])
        self.mean_ = float(r.mean())
        n_items, n_users = len(self.items_), len(self.users_)
        # visible biases start at the log of each item's rating-value frequencies (Hinton's practical guide)
        counts = np.zeros((n_items, self.n_ratings))
        np.add.at(counts, (i, kk), 1.0)
        self.visible_bias_ = np.log((counts + 1.0) / (counts.sum(axis=1, keepdims=True) + self.n_ratings))
        self.hidden_bias_ = np.zeros(self.n_hidden)
        self.weights_ = rng.normal(0.0, 0.01, (n_items, self.n_ratings, self.n_hidden))
        velocity = {name: np.zeros_like(p) for name, p in self._params().items()}
        for epoch in range(self.n_epochs):
            perm = rng.permutation(n_users)
            for start in range(0, n_users, self.batch_size):
                rows = perm[start:start + self.batch_size]
                grads = self._cd_sparse(*self._entries(rows), len(rows), rng)
                grads["weights"] = grads["weights"] - self.weight_decay * self.weights_
                for name, param in self._params().items():
                    velocity[name] = self.momentum * velocity[name] + self.learning_rate * grads[name]
                    param += velocity[name]
            if self.verbose:
                energy = np.mean([self.free_energy(self.visible_batch(np.arange(s, min(s + 200, n_users)))).mean()
                                  for s in range(0, n_users, 200)])
                print(f"RBMRecommender epoch {epoch + 1}/{self.n_epochs}: mean free energy {energy:.3f}")
        return self

    def _params(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights_, "visible_bias": self.visible_bias_, "hidden_bias": self.hidden_bias_}

    # ------------------------------------------------------------------ prediction
    def rating_distribution(self, users: Any, items: Any) -> np.ndarray:
        """``p(v_q^k = 1 | p̂)`` for each (user, item) pair, ``(n, K)``, with ``p̂ = p(h | V_u)`` from the user's
        training ratings. An unseen user has no visible units (``p̂ = σ(c)``); an unseen item has no weights
        and gets the uniform distribution."""
        users, items = _check("RBMRecommender.rating_distribution", users, items)
        u, i = self.users_.index(users), self.items_.index(items)
        out = np.full((len(users), self.n_ratings), 1.0 / self.n_ratings)
        unique_users = np.unique(u)
        m, k, f = self.weights_.shape
        for start in range(0, len(unique_users), 200):
            block = unique_users[start:start + 200]
            visible = np.zeros((len(block), m, k))
            known = block >= 0
            if known.any():
                visible[known] = self.visible_batch(block[known])
            ph = self.hidden_probabilities(visible)
            for row, user in enumerate(block):
                sel = np.nonzero((u == user) & (i >= 0))[0]
                logits = np.einsum("f,nkf->nk", ph[row], self.weights_[i[sel]]) + self.visible_bias_[i[sel]]
                out[sel] = _softmax(logits)
        return out

    def predict(self, users: Any, items: Any) -> np.ndarray:
        """The expected rating ``Σ_k value_k p(v_q^k = 1 | p̂)`` for each (user, item) pair; pairs with an
        unseen item get the mean training rating."""
        users, items = _check("RBMRecommender.predict", users, items)
        values = self.min_rating + np.arange(self.n_ratings)
        pred = self.rating_distribution(users, items) @ values
        return np.where(self.items_.index(items) >= 0, pred, self.mean_)

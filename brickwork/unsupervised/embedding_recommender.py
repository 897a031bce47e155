"""An embedding network for rating prediction: keras-io's ``RecommenderNet`` (collaborative filtering on
MovieLens) as a brickwork Model, and an estimator around it with the recommenders' ``fit``/``predict``.

For user ``u`` and item ``i`` with embeddings ``p_u, q_i ∈ R^d`` and scalar biases ``b_u, b_i``::

    r̂_ui = r_min + (r_max - r_min) · σ(p_u · q_i + b_u + b_i)

so predictions stay inside the rating range. The network is trained on ``(r - r_min) / (r_max - r_min)`` with
binary cross-entropy against ``σ(·)`` as keras-io does (or the squared error), with L2 on the embeddings.
:meth:`EmbeddingRecommender.recommend` gives the top-N unrated items for a user and
:meth:`EmbeddingRecommender.similar_items` the items whose embeddings are closest in cosine
("users who liked this also liked").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import layers, models, ops, optimizers, regularizers
from brickwork.unsupervised.recommenders import _check, _Ids


class RecommenderNet(models.Model):
    """``σ(p_u · q_i + b_u + b_i)`` for integer inputs ``(n, 2)`` of encoded ``[user, item]`` ids, ``(n, 1)`` out.

    Args:
        num_users, num_items: sizes of the embedding tables (ids ``0 .. num - 1``).
        embedding_size: d, the dimension of ``p_u`` and ``q_i``.
        l2: L2 penalty on the user and item embeddings.
    """

    def __init__(self, num_users: int, num_items: int, embedding_size: int = 50, l2: float = 1e-6,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_users, self.num_items, self.embedding_size, self.l2 = num_users, num_items, embedding_size, l2
        self.user_embedding = layers.Embedding(num_users, embedding_size, embeddings_initializer="he_normal",
                                               embeddings_regularizer=regularizers.l2(l2))
        self.user_bias = layers.Embedding(num_users, 1)
        self.item_embedding = layers.Embedding(num_items, embedding_size, embeddings_initializer="he_normal",
                                               embeddings_regularizer=regularizers.l2(l2))
        self.item_bias = layers.Embedding(num_items, 1)
        self.dot = layers.Dot(axes=1)

    def call(self, inputs: Any) -> Any:
        """The probability-scaled rating ``σ(p_u · q_i + b_u + b_i)``."""
        users, items = inputs[:, 0], inputs[:, 1]
        x = self.dot([self.user_embedding(users), self.item_embedding(items)])
        return ops.sigmoid(x + self.user_bias(users) + self.item_bias(items))

    def get_config(self) -> dict[str, Any]:
        return {"num_users": self.num_users, "num_items": self.num_items, "embedding_size": self.embedding_size,
                "l2": self.l2, "name": self.name}


class EmbeddingRecommender:
    """Fits a :class:`RecommenderNet` on raw ``(users, items, ratings)`` and predicts ``r̂_ui`` in the rating range.

    Args:
        embedding_size: d.
        epochs, batch_size, learning_rate: Adam training settings.
        l2: L2 penalty on the embeddings.
        loss: ``"binary_crossentropy"`` (keras-io) or ``"mse"``, on ratings scaled to [0, 1].
        min_rating, max_rating: the rating range; training ratings outside it are an error.
        random_state: seed of the weight initialisation and the shuffling.
        verbose: passed to ``Model.fit``.

    Attributes (after ``fit``): ``model_`` (the RecommenderNet), ``users_``/``items_`` (id maps), ``mean_``,
    ``history_``, ``rated_`` (dict: user row → set of rated item rows).
    """

    def __init__(self, embedding_size: int = 50, epochs: int = 5, batch_size: int = 64, learning_rate: float = 1e-3,
                 l2: float = 1e-6, loss: str = "binary_crossentropy", min_rating: float = 1.0,
                 max_rating: float = 5.0, random_state: int | None = 0, verbose: int = 0) -> None:
        self.embedding_size, self.epochs, self.batch_size, self.learning_rate = (embedding_size, epochs, batch_size,
                                                                                  learning_rate)
        self.l2, self.loss, self.min_rating, self.max_rating = l2, loss, min_rating, max_rating
        self.random_state, self.verbose = random_state, verbose

    def fit(self, users: Any, items: Any, ratings: Any) -> EmbeddingRecommender:
        """Train on the observed ratings (shuffled each epoch)."""
        users, items, r = _check("EmbeddingRecommender.fit", users, items, ratings)
        if not self.max_rating > self.min_rating:
            raise ValueError(f"EmbeddingRecommender: max_rating ({self.max_rating}) must exceed min_rating "
                             f"({self.min_rating}).")
        outside = (r < self.min_rating) | (r > self.max_rating)
        if outside.any():
            raise ValueError(f"EmbeddingRecommender.fit: ratings must lie in [min_rating, max_rating] = "
                             f"[{self.min_rating}, {self.max_rating}]; got {r[outside][:3].tolist()}.")
        if self.loss not in ("binary_crossentropy", "mse"):
            raise ValueError(f"EmbeddingRecommender: loss must be 'binary_crossentropy' or 'mse', got {self.loss!r}.")
        from brickwork.utils import set_random_seed

        if self.random_state is not None:
            set_random_seed(self.random_state)
        self.users_, self.items_ = _Ids(users), _Ids(items)
        u, i = self.users_.index(users), self.items_.index(items)
        self.mean_ = float(r.mean())
        self.rated_: dict[int, set[int]] = {}
        for uu, ii in zip(u.tolist(), i.tolist()):
            self.rated_.setdefault(uu, set()).add(ii)
        self.model_ = RecommenderNet(len(self.users_), len(self.items_), self.embedding_size, self.l2)
        self.model_.compile(optimizer=optimizers.Adam(learning_rate=self.learning_rate), loss=self.loss)
        x = np.stack([u, i], axis=1)
        y = ((r - self.min_rating) / (self.max_rating - self.min_rating))[:, None]
        self.history_ = self.model_.fit(x, y, batch_size=self.batch_size, epochs=self.epochs, shuffle=True,
                                        verbose=self.verbose)
        return self

    def predict(self, users: Any, items: Any) -> np.ndarray:
        """``r_min + (r_max - r_min) σ(p_u · q_i + b_u + b_i)``; a pair with an unseen user or item gets the mean
        training rating."""
        users, items = _check("EmbeddingRecommender.predict", users, items)
        u, i = self.users_.index(users), self.items_.index(items)
        known = (u >= 0) & (i >= 0)
        out = np.full(len(users), self.mean_)
        if known.any():
            x = np.stack([u[known], i[known]], axis=1)
            prob = np.asarray(self.model_.predict(x, batch_size=4096, verbose=0)).reshape(-1)
            out[known] = self.min_rating + (self.max_rating - self.min_rating) * prob
        return out

    def _user_row(self, user: Any) -> int:
        row = int(self.users_.index(np.asarray([user]))[0])
        if row < 0:
            raise ValueError(f"EmbeddingRecommender.recommend: user {user!r} was not in the training ratings.")
        return row

    def recommend(self, user: Any, n: int = 10, exclude_rated: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """The top-``n`` items for ``user`` by predicted rating, leaving out the items the user rated in training.

        Returns:
            ``(item_ids, predicted_ratings)``, best first, with the raw item ids given to ``fit``.
        """
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"EmbeddingRecommender.recommend: n must be a positive integer, got {n!r}.")
        row = self._user_row(user)
        candidates = np.arange(len(self.items_))
        if exclude_rated:
            candidates = np.setdiff1d(candidates, np.fromiter(self.rated_.get(row, ()), dtype=np.int64))
        x = np.stack([np.full(len(candidates), row), candidates], axis=1)
        prob = np.asarray(self.model_.predict(x, batch_size=4096, verbose=0)).reshape(-1)
        top = np.argsort(-prob, kind="stable")[:n]
        return self.items_.values[candidates[top]], self.min_rating + (self.max_rating - self.min_rating) * prob[top]

    def similar_items(self, item: Any, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` items whose embeddings ``q_j`` have the highest cosine similarity to ``q_item`` (itself left
        out): "users who liked this also liked". Returns ``(item_ids, cosines)``, most similar first."""
        row = int(self.items_.index(np.asarray([item]))[0])
        if row < 0:
            raise ValueError(f"EmbeddingRecommender.similar_items: item {item!r} was not in the training ratings.")
        q = np.asarray(self.model_.item_embedding.embeddings.numpy()
                       if hasattr(self.model_.item_embedding.embeddings, "numpy")
                       else self.model_.item_embedding.embeddings.data, dtype=np.float64)
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
        cos = q @ q[row]
        cos[row] = -np.inf
        top = np.argsort(-cos, kind="stable")[:n]
        return self.items_.values[top], cos[top]

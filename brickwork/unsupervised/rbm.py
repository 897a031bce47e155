"""A Bernoulli–Bernoulli restricted Boltzmann machine trained by contrastive divergence.

A scikit-learn-compatible estimator (``fit``, ``partial_fit``, ``transform``, ``gibbs``, ``score_samples``,
``get_params``/``set_params``, usable in a ``Pipeline`` and with ``sklearn.base.clone``) written on NumPy
alone: ``import brickwork`` never imports scikit-learn.

Notation (seed 002): visible units ``v_i`` (``i = 1..D``, the features), hidden units ``h_j``
(``j = 1..H``, ``n_components``), weights ``w_ij`` stored as ``components_[j, i]``, visible biases
``a_i = intercept_visible_[i]``, hidden biases ``b_j = intercept_hidden_[j]``.

Energy and joint distribution::

    E(v, h) = - Σ_i a_i v_i - Σ_j b_j h_j - Σ_i Σ_j v_i h_j w_ij
    p(v, h) = exp(-E(v, h)) / Z,           Z = Σ_{v,h} exp(-E(v, h))
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

_PARAMS = ("n_components", "learning_rate", "batch_size", "n_iter", "verbose", "random_state", "k", "persistent")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + exp(-x)), computed without overflow for large |x|."""
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def _as_generator(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return np.random.default_rng(random_state)
    raise ValueError(f"BernoulliRBM: random_state must be None, an int or a NumPy Generator/RandomState, "
                     f"got {random_state!r}.")


class BernoulliRBM:
    """Bernoulli restricted Boltzmann machine (binary visible and hidden units), an alternative to
    ``sklearn.neural_network.BernoulliRBM`` with the same parameters and attributes, plus ``k``
    (Gibbs steps per update) and ``persistent`` (persistent CD, the default as in scikit-learn, or
    plain CD-k started from the data).

    Args:
        n_components: number of hidden units ``H``.
        learning_rate: step size ε of the gradient-ascent updates.
        batch_size: examples per mini-batch (and number of persistent chains).
        n_iter: passes over the training data in :meth:`fit`.
        verbose: print the mean pseudo-likelihood after each pass when true.
        random_state: seed, ``np.random.Generator`` or ``RandomState``.
        k: Gibbs steps in the negative phase of each update (CD-k / PCD-k).
        persistent: keep the negative-phase chains between updates (PCD) instead of restarting
            them at the mini-batch (CD).

    Attributes (after fitting): ``components_`` (H, D) = ``w_ij`` transposed, ``intercept_hidden_`` (H,) = ``b``,
    ``intercept_visible_`` (D,) = ``a``, ``h_samples_`` (batch_size, H) the persistent hidden chains,
    ``n_features_in_``.
    """

    def __init__(self, n_components: int = 256, *, learning_rate: float = 0.1, batch_size: int = 10,
                 n_iter: int = 10, verbose: int = 0, random_state: Any = None, k: int = 1,
                 persistent: bool = True) -> None:
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.verbose = verbose
        self.random_state = random_state
        self.k = k
        self.persistent = persistent

    # ------------------------------------------------------------------ scikit-learn estimator protocol
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters, as ``sklearn.base.BaseEstimator.get_params``."""
        return {name: getattr(self, name) for name in _PARAMS}

    def set_params(self, **params: Any) -> BernoulliRBM:
        """Set constructor parameters by name; unknown names raise ``ValueError``."""
        for name, value in params.items():
            if name not in _PARAMS:
                raise ValueError(f"BernoulliRBM.set_params: invalid parameter {name!r}; valid parameters are "
                                 f"{', '.join(_PARAMS)}.")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in _PARAMS)
        return f"BernoulliRBM({args})"

    def __sklearn_tags__(self) -> Any:
        """Transformer tags for scikit-learn's meta-estimators (scikit-learn imported only here)."""
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False),
                    transformer_tags=TransformerTags(preserves_dtype=["float64", "float32"]),
                    input_tags=InputTags())

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "components_")

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> None:
        ints = {"n_components": 1, "batch_size": 1, "n_iter": 0, "k": 1}
        for name, low in ints.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"BernoulliRBM: {name} must be an integer >= {low}, got {value!r}.")
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating, np.integer)) or not lr > 0:
            raise ValueError(f"BernoulliRBM: learning_rate must be a positive number, got {lr!r}.")

    def _check_X(self, X: Any, fitted: bool) -> np.ndarray:
        if hasattr(X, "toarray"):  # scipy.sparse
            X = X.toarray()
        X = np.asarray(X)
        if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
            raise ValueError(f"BernoulliRBM: X must be numeric, got dtype {X.dtype}.")
        if X.ndim != 2:
            raise ValueError(f"BernoulliRBM: X must be 2-D (n_samples, n_features), got shape {X.shape}.")
        if X.shape[0] == 0:
            raise ValueError("BernoulliRBM: X has no samples.")
        X = X.astype(X.dtype if X.dtype in (np.float32, np.float64) else np.float64)
        if not np.all(np.isfinite(X)) or X.min() < 0 or X.max() > 1:
            raise ValueError("BernoulliRBM: X must hold probabilities or binary values in [0, 1] "
                             "(scale the features first, e.g. with minmax_scale).")
        if fitted:
            if not hasattr(self, "components_"):
                raise RuntimeError("BernoulliRBM: this instance is not fitted yet; call fit or partial_fit first.")
            if X.shape[1] != self.components_.shape[1]:
                raise ValueError(f"BernoulliRBM: X has {X.shape[1]} features but the RBM was fitted with "
                                 f"{self.components_.shape[1]}.")
        return X

    # ------------------------------------------------------------------ the model
    def _initialize(self, n_features: int, dtype: np.dtype) -> None:
        self._check_params()
        self.rng_ = _as_generator(self.random_state)
        self.components_ = self.rng_.normal(0.0, 0.01, (self.n_components, n_features)).astype(dtype)
        self.intercept_hidden_ = np.zeros(self.n_components, dtype=dtype)
        self.intercept_visible_ = np.zeros(n_features, dtype=dtype)
        self.h_samples_ = np.zeros((self.batch_size, self.n_components), dtype=dtype)
        self.n_features_in_ = n_features

    def hidden_probabilities(self, v: np.ndarray) -> np.ndarray:
        """p(h_j = 1 | v) = σ(b_j + Σ_i v_i w_ij) for each row of ``v``, shape (n, H)."""
        return _sigmoid(v @ self.components_.T + self.intercept_hidden_)

    def visible_probabilities(self, h: np.ndarray) -> np.ndarray:
        """p(v_i = 1 | h) = σ(a_i + Σ_j h_j w_ij) for each row of ``h``, shape (n, D)."""
        return _sigmoid(h @ self.components_ + self.intercept_visible_)

    def _sample(self, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return (rng.random(p.shape) < p).astype(p.dtype)

    def free_energy(self, v: Any) -> np.ndarray:
        """F(v) = -log Σ_h exp(-E(v, h)) = - Σ_i a_i v_i - Σ_j log(1 + exp(b_j + Σ_i v_i w_ij)),
        so that p(v) = exp(-F(v)) / Z. Shape (n,)."""
        v = self._check_X(v, fitted=True)
        return -v @ self.intercept_visible_ - np.logaddexp(0, v @ self.components_.T + self.intercept_hidden_).sum(1)

    def transform(self, X: Any) -> np.ndarray:
        """The hidden-unit activation probabilities p(h = 1 | v) of each sample, shape (n, H)."""
        return self.hidden_probabilities(self._check_X(X, fitted=True))

    def fit_transform(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X).transform(X)``."""
        return self.fit(X, y).transform(X)

    def gibbs(self, v: Any) -> np.ndarray:
        """One block-Gibbs step from the visible states ``v``: h ~ p(h | v), then v' ~ p(v | h).
        Returns the boolean visible sample v', as scikit-learn's ``gibbs``."""
        v = self._check_X(v, fitted=True)
        if not hasattr(self, "rng_"):
            self.rng_ = _as_generator(self.random_state)
        h = self._sample(self.hidden_probabilities(v), self.rng_)
        return self.rng_.random(v.shape) < self.visible_probabilities(h)

    def gradient(self, v_pos: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The CD-k (or PCD-k) estimate of the mean log-likelihood gradient on the mini-batch ``v_pos``,
        without changing the parameters (persistent chains do advance).

        The exact gradient is a difference of a data expectation and a model expectation::

            ∂ log p(v) / ∂w_ij = <v_i h_j>_data - <v_i h_j>_model
            ∂ log p(v) / ∂a_i  = <v_i>_data     - <v_i>_model
            ∂ log p(v) / ∂b_j  = <h_j>_data     - <h_j>_model

        The data term uses p(h_j = 1 | v) exactly; the model term is estimated from the states after
        ``k`` block-Gibbs steps (h ~ p(h | v), v ~ p(v | h)) that start at the data (CD-k) or at the
        chains left by the previous update (persistent CD).

        Returns ``(dW, db, da)`` shaped like ``components_``, ``intercept_hidden_``, ``intercept_visible_``.
        """
        v_pos = self._check_X(v_pos, fitted=True)
        rng = self.rng_
        h_pos = self.hidden_probabilities(v_pos)
        h = self.h_samples_ if self.persistent else self._sample(h_pos, rng)
        for _ in range(self.k):
            v_neg = self._sample(self.visible_probabilities(h), rng)
            h_neg = self.hidden_probabilities(v_neg)
            h = self._sample(h_neg, rng)
        if self.persistent:
            self.h_samples_ = h
        n_pos, n_neg = len(v_pos), len(v_neg)
        dW = h_pos.T @ v_pos / n_pos - h_neg.T @ v_neg / n_neg
        db = h_pos.mean(0) - h_neg.mean(0)
        da = v_pos.mean(0) - v_neg.mean(0)
        return dW, db, da

    def _update(self, v_pos: np.ndarray) -> None:
        """Contrastive-divergence update, gradient ascent on log p(v) with step ε = ``learning_rate``::

            w_ij <- w_ij + ε (<v_i h_j>_data - <v_i h_j>_recon)
            a_i  <- a_i  + ε (<v_i>_data     - <v_i>_recon)
            b_j  <- b_j  + ε (<h_j>_data     - <h_j>_recon)
        """
        dW, db, da = self.gradient(v_pos)
        lr = float(self.learning_rate)
        self.components_ += lr * dW
        self.intercept_hidden_ += lr * db
        self.intercept_visible_ += lr * da

    def partial_fit(self, X: Any, y: Any = None) -> BernoulliRBM:
        """One contrastive-divergence update on all of ``X`` as a single mini-batch (initialising the
        parameters on the first call), as scikit-learn's ``partial_fit``."""
        first = not hasattr(self, "components_")
        X = self._check_X(X, fitted=not first)
        if first:
            self._initialize(X.shape[1], X.dtype)
        self._update(X)
        return self

    def fit(self, X: Any, y: Any = None) -> BernoulliRBM:
        """Initialise the weights from N(0, 0.01²) and the biases at 0, then run ``n_iter`` passes of
        mini-batch CD-k / PCD-k over ``X`` (batches in order, ``ceil(n / batch_size)`` even slices)."""
        X = self._check_X(X, fitted=False)
        self._initialize(X.shape[1], X.dtype)
        n = X.shape[0]
        n_batches = int(np.ceil(n / self.batch_size))
        bounds = np.linspace(0, n, n_batches + 1).round().astype(int)
        for it in range(1, self.n_iter + 1):
            start = time.time()
            for lo, hi in zip(bounds[:-1], bounds[1:]):
                self._update(X[lo:hi])
            if self.verbose:
                print(f"[BernoulliRBM] Iteration {it}, pseudo-likelihood = {self.score_samples(X).mean():.2f}, "
                      f"time = {time.time() - start:.2f}s")
        return self

    def score_samples(self, X: Any) -> np.ndarray:
        """Stochastic pseudo-likelihood of each sample, scikit-learn's estimate: flip one visible unit
        ``i`` chosen at random per sample (giving ṽ) and return

            D · log σ(F(ṽ) - F(v))  ≈  Σ_i log p(v_i | v_{-i}),

        since p(v_i | v_{-i}) = exp(-F(v)) / (exp(-F(v)) + exp(-F(ṽ))) = σ(F(ṽ) - F(v)). The unit choice
        uses a fresh generator from ``random_state`` on each call. Shape (n,)."""
        v = self._check_X(X, fitted=True)
        rng = _as_generator(self.random_state)
        rows = np.arange(v.shape[0])
        cols = rng.integers(0, v.shape[1], v.shape[0])
        v_flip = v.copy()
        v_flip[rows, cols] = 1 - v_flip[rows, cols]
        fe, fe_flip = self.free_energy(v), self.free_energy(v_flip)
        return -v.shape[1] * np.logaddexp(0, -(fe_flip - fe))

"""``SKLearnClassifier`` / ``SKLearnRegressor``: brickwork models as scikit-learn estimators (Keras 3's
``keras.wrappers`` names and arguments), so they work in ``Pipeline``, ``cross_val_score`` and
``GridSearchCV``.

Each ``fit`` builds a fresh model — ``model(X, y, **model_kwargs)`` for a callable, or a clone of
a compiled ``Model`` — unless ``warm_start=True`` and a model exists. ``fit_kwargs`` go to
``Model.fit`` (``epochs``, ``batch_size``, ...). ``random_state`` seeds brickwork before each fit,
so refits are repeatable. A fitted estimator pickles (the model travels in brickwork's own
file format, never as pickled code).

Both pass ``sklearn.utils.estimator_checks.check_estimator`` apart from the one check listed, with
the reason, in :data:`EXPECTED_FAILED_CHECKS`.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

EXPECTED_FAILED_CHECKS: dict[str, str] = {
    "check_sample_weight_equivalence_on_dense_data":
        "mini-batch SGD with shuffling: repeating a row is not exactly the same optimisation path as "
        "giving it weight 2",
}


def _model_bytes(model: Any) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.bw")
        model.save(path)
        with open(path, "rb") as handle:
            return handle.read()


def _model_from_bytes(data: bytes) -> Any:
    from brickwork.saving import load_model

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.bw")
        with open(path, "wb") as handle:
            handle.write(data)
        return load_model(path)


class _Wrapper(BaseEstimator):
    def __init__(self, model: Any, warm_start: bool = False, model_kwargs: dict[str, Any] | None = None,
                 fit_kwargs: dict[str, Any] | None = None, random_state: int | None = 0) -> None:
        self.model, self.warm_start = model, warm_start
        self.model_kwargs, self.fit_kwargs, self.random_state = model_kwargs, fit_kwargs, random_state

    def _build(self, X: np.ndarray, y: np.ndarray) -> Any:
        from brickwork.models import Model, clone_model

        if isinstance(self.model, Model):
            if not getattr(self.model, "compiled", False):
                raise ValueError(f"{type(self).__name__}: a Model instance must be compiled (or pass a function "
                                 "that builds a compiled model).")
            return clone_model(self.model, compile=True)
        if not callable(self.model):
            raise TypeError(f"{type(self).__name__}: model must be a compiled Model or a callable "
                            f"model(X, y, **model_kwargs); got {type(self.model).__name__}.")
        built = self.model(X, y, **(self.model_kwargs or {}))
        if not getattr(built, "compiled", False):
            raise ValueError(f"{type(self).__name__}: the model function must return a compiled Model.")
        return built

    def _fit(self, X: np.ndarray, y: np.ndarray, sample_weight: Any) -> Any:
        import brickwork as bw

        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
            if not np.any(sample_weight > 0):
                raise ValueError(f"{type(self).__name__}: every sample weight is zero; nothing to fit.")
        if self.random_state is not None:
            bw.set_seed(self.random_state)
        if not (self.warm_start and hasattr(self, "model_")):
            self.model_ = self._build(X, y)
        kwargs = {"verbose": 0, **(self.fit_kwargs or {})}
        self.history_ = self.model_.fit(X, y, sample_weight=sample_weight, **kwargs).history
        return self

    def _predict_raw(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=np.float32)
        return np.asarray(self.model_.predict(X, verbose=0))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if "model_" in state:
            state["model_"] = _model_bytes(state["model_"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state.get("model_"), bytes):
            state["model_"] = _model_from_bytes(state["model_"])
        self.__dict__.update(state)


class SKLearnClassifier(ClassifierMixin, _Wrapper):
    """A brickwork classifier with scikit-learn's API.

    The labels are encoded as ``0..n_classes-1`` (``classes_`` keeps the originals). For two
    classes the model sees a column of 0/1 (a sigmoid output, binary cross-entropy); for more,
    one-hot rows (softmax, categorical cross-entropy) — the model function chooses. ``predict_proba``
    returns one column per class.

    Args:
        model: A callable ``model(X, y, **model_kwargs)`` returning a compiled model (``X``, ``y``
            as the model will see them), or a compiled ``Model`` to clone at each fit.
        warm_start: Keep training the existing model on the next ``fit``.
        model_kwargs, fit_kwargs: Passed to the model function and to ``Model.fit``.
        random_state: Seed set before every fit (``None``: do not seed).
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> SKLearnClassifier:
        X, y = validate_data(self, X, y, dtype=np.float32)
        target = type_of_target(y)
        if target not in ("binary", "multiclass"):
            raise ValueError(f"SKLearnClassifier: Unknown label type {target!r}; classification needs discrete "
                             "class labels.")
        self._encoder = LabelEncoder().fit(y)
        self.classes_ = self._encoder.classes_
        codes = self._encoder.transform(y)
        self.n_classes_ = len(self.classes_)
        targets = codes.astype(np.float32).reshape(-1, 1) if self.n_classes_ <= 2 else \
            np.eye(self.n_classes_, dtype=np.float32)[codes]
        return self._fit(X, targets, sample_weight)

    def predict_proba(self, X: Any) -> np.ndarray:
        out = self._predict_raw(X)
        if out.ndim == 1:
            out = out[:, None]
        if out.shape[1] == 1:
            p = np.clip(out[:, 0], 0.0, 1.0)
            return np.stack([1.0 - p, p], axis=1) if self.n_classes_ == 2 else np.ones((len(p), 1))
        return out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class SKLearnRegressor(RegressorMixin, _Wrapper):
    """A brickwork regressor with scikit-learn's API (the same arguments as :class:`SKLearnClassifier`).

    ``y`` of shape ``(n,)`` gives ``predict`` of shape ``(n,)``; ``(n, k)`` gives ``(n, k)``.
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> SKLearnRegressor:
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True, multi_output=True)
        self._y_1d = y.ndim == 1
        return self._fit(X, y.reshape(len(y), -1).astype(np.float32), sample_weight)

    def predict(self, X: Any) -> np.ndarray:
        out = self._predict_raw(X).astype(np.float64)  # scikit-learn expects float64 predictions
        return out.reshape(-1) if self._y_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

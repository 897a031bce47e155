"""Evaluate a model-building function under a protocol: a fresh model per fold, scores as mean ± std."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from brickwork.evaluation.splits import kfold_splits
from brickwork.models.data import num_samples, take, to_numpy_structure


@dataclass
class CrossValidationResult:
    """Per-fold scores with their mean and (sample) standard deviation."""

    scores: list[float]
    histories: list[dict[str, list[float]]] = field(default_factory=list)

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        return float(np.std(self.scores, ddof=1)) if len(self.scores) > 1 else 0.0

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.std:.4f} over {len(self.scores)} folds"


def cross_validate(build_fn: Callable[[], Any], x: Any, y: Any, cv: int | Iterable[tuple[Any, Any]] = 5,
                   n_repeats: int = 1, shuffle: bool = True, seed: int = 0,
                   score: str | Callable[[Any, Any, Any], float] = "loss",
                   fit_kwargs: dict[str, Any] | None = None, verbose: int = 0) -> CrossValidationResult:
    """K-fold (``cv`` folds), iterated K-fold (``n_repeats`` > 1) or any given splits (``cv`` an
    iterable of ``(train, test)`` index arrays, e.g. :func:`walk_forward_splits` for time series).

    ``build_fn()`` returns a fresh compiled model for each fold (seed 001's regression example: the
    validation score of K models, averaged). ``score`` is a name from ``model.evaluate``'s results
    (``'loss'``, ``'mae'``, ...) or a function ``score(model, x_test, y_test)``.
    """
    import brickwork as bw

    x = to_numpy_structure(x, "x")
    y = to_numpy_structure(y, "y")
    n = num_samples(x, "x")
    splits = kfold_splits(n, cv, n_repeats, shuffle, seed) if isinstance(cv, int) else cv
    result = CrossValidationResult([])
    for k, (train, test) in enumerate(splits):
        bw.set_seed(seed + k)
        model = build_fn()
        history = model.fit(take(x, train), take(y, train), verbose=0, **(fit_kwargs or {}))
        if callable(score):
            value = float(score(model, take(x, test), take(y, test)))
        else:
            logs = model.evaluate(take(x, test), take(y, test), verbose=0, return_dict=True)
            if score not in logs:
                raise ValueError(f"cross_validate: score {score!r} is not among the model's results {sorted(logs)}.")
            value = float(logs[score])
        result.scores.append(value)
        result.histories.append(history.history)
        if verbose:
            print(f"fold {k + 1}: {score if isinstance(score, str) else 'score'} = {value:.4f}", flush=True)
    return result

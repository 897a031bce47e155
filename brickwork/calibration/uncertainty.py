r"""Predictive uncertainty from repeated forward passes: Monte-Carlo dropout and deep ensembles.

*MC dropout* (Gal & Ghahramani 2016): keep dropout on at prediction time and average
:math:`T` stochastic passes, :math:`\hat\mu(x) = \frac1T\sum_t f_{\theta_t}(x)`, with the spread
:math:`\hat\sigma(x)` of the passes as the (epistemic) uncertainty. Only the dropout layers run in
training mode; everything else — BatchNormalization above all, which would otherwise normalise with
the batch's statistics and update its moving averages — stays in inference mode.

*Deep ensembles* (Lakshminarayanan et al. 2017): train :math:`M` copies of a network from different
random initialisations (and data orders) and use the mean and spread of their predictions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import brickwork as bw
from brickwork.calibration.intervals import gaussian_interval
from brickwork.layers.mc_dropout import dropout_active


def _forward(model: Any, x: Any, batch_size: int | None) -> np.ndarray:
    out = model.predict(x, batch_size=batch_size or 1024, verbose=0) if hasattr(model, "predict") else model(x)
    return np.asarray(out.data if hasattr(out, "data") else out, dtype=np.float64)


def mc_dropout_predict(model: Any, x: Any, n_samples: int = 30, seed: int | None = None,
                       batch_size: int | None = None, return_samples: bool = False) -> Any:
    """``(mean, std)`` over ``n_samples`` forward passes of ``model`` on ``x`` with only its dropout
    layers active (module docstring); ``return_samples=True`` adds the ``(n_samples, ...)`` passes.

    ``seed`` reseeds brickwork's generator first (dropout layers built with their own ``seed=`` draw
    from their own generators). Raises ``ValueError`` if the model has no dropout layer (every pass
    would be the same).
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"mc_dropout_predict: n_samples must be an integer >= 2; got {n_samples!r}.")
    if not hasattr(model, "_flat_layers"):
        raise TypeError(f"mc_dropout_predict: model must be a brickwork model or layer; got {type(model).__name__}.")
    if seed is not None:
        bw.set_seed(seed)
    with dropout_active(model) as switched:
        if not switched:
            raise ValueError(f"mc_dropout_predict: model '{getattr(model, 'name', model)}' has no dropout layer "
                             "with a positive rate, so every pass would give the same prediction.")
        samples = np.stack([_forward(model, x, batch_size) for _ in range(n_samples)])
    mean, std = samples.mean(axis=0), samples.std(axis=0, ddof=1)
    return (mean, std, samples) if return_samples else (mean, std)


class DeepEnsemble:
    """``n_models`` independently initialised copies of ``build_fn()`` (a compiled brickwork model).

    Member ``i`` is built and trained after ``brickwork.set_seed(seed + i)``, so the members differ in
    their initial weights, dropout masks and data order. ``predict(x)`` returns the members' mean and
    standard deviation; :meth:`predict_interval` gives Gaussian intervals for regressors, with the
    noise level estimated by :meth:`calibrate_noise` on held-out data (the members' spread alone
    measures only the disagreement between models, not the noise in ``y``).
    """

    def __init__(self, build_fn: Callable[[], Any], n_models: int = 5, seed: int = 0) -> None:
        if not callable(build_fn):
            raise TypeError(f"DeepEnsemble: build_fn must be a callable returning a compiled model; got "
                            f"{type(build_fn).__name__}.")
        if isinstance(n_models, bool) or not isinstance(n_models, (int, np.integer)) or n_models < 2:
            raise ValueError(f"DeepEnsemble: n_models must be an integer >= 2; got {n_models!r}.")
        self.build_fn, self.n_models, self.seed = build_fn, int(n_models), int(seed)
        self.members: list[Any] = []
        self.histories: list[Any] = []
        self.noise_std_ = 0.0

    def fit(self, x: Any, y: Any, **fit_kwargs: Any) -> DeepEnsemble:
        """Build and train every member with ``model.fit(x, y, **fit_kwargs)``; returns ``self``."""
        fit_kwargs.setdefault("verbose", 0)
        self.members, self.histories = [], []
        for i in range(self.n_models):
            bw.set_seed(self.seed + i)
            model = self.build_fn()
            if not hasattr(model, "fit") or not hasattr(model, "predict"):
                raise TypeError(f"DeepEnsemble: build_fn returned a {type(model).__name__}, not a compiled model "
                                "with fit/predict.")
            self.histories.append(model.fit(x, y, **fit_kwargs))
            self.members.append(model)
        return self

    def predict_members(self, x: Any, batch_size: int | None = None) -> np.ndarray:
        """Every member's prediction, stacked: ``(n_models, ...)``."""
        if not self.members:
            raise RuntimeError("DeepEnsemble.predict: call fit first.")
        return np.stack([_forward(m, x, batch_size) for m in self.members])

    def predict(self, x: Any, batch_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, std)`` of the members' predictions (``std`` with ``ddof=1``)."""
        preds = self.predict_members(x, batch_size)
        return preds.mean(axis=0), preds.std(axis=0, ddof=1)

    def calibrate_noise(self, x_val: Any, y_val: Any) -> float:
        """Estimate the noise std of ``y`` on held-out data: ``sqrt(max(mean(r²) - mean(std²), 0))`` with
        ``r`` the ensemble-mean residuals; stored in ``noise_std_`` and returned."""
        mean, std = self.predict(x_val)
        y = np.asarray(y_val, dtype=np.float64).reshape(mean.shape)
        self.noise_std_ = float(np.sqrt(max(np.mean((y - mean) ** 2) - np.mean(std ** 2), 0.0)))
        return self.noise_std_

    def predict_interval(self, x: Any, alpha: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(mean, lower, upper)``: ``mean ± z_{1-alpha/2} sqrt(std² + noise_std_²)`` (one output)."""
        mean, std = self.predict(x)
        if mean.ndim == 2 and mean.shape[1] == 1:
            mean, std = mean[:, 0], std[:, 0]
        if mean.ndim != 1:
            raise ValueError(f"DeepEnsemble.predict_interval: needs a regressor with one output; predictions "
                             f"have shape {mean.shape}.")
        lower, upper = gaussian_interval(mean, std, alpha, self.noise_std_)
        return mean, lower, upper

"""The four search strategies, each an Optuna sampler (and pruner) behind KerasTuner's constructor.

* :class:`RandomSearch` — ``RandomSampler``: independent draws from the space;
* :class:`GridSearch` — ``GridSampler``: every combination of the (discrete) values;
* :class:`BayesianOptimization` — ``TPESampler`` (a tree-structured Parzen estimator; ``sampler="gp"``
  takes Optuna's ``GPSampler``, which needs PyTorch and SciPy);
* :class:`Hyperband` — ``HyperbandPruner``: trials start on few epochs and only the promising ones
  go on to ``max_epochs`` (successive halving in brackets, Li et al. 2018).
"""

from __future__ import annotations

import math
from typing import Any

from brickwork.tuner.hypermodel import to_hypermodel
from brickwork.tuner.hyperparameters import HyperParameters
from brickwork.tuner.tuner import Tuner, optuna_module


class RandomSearch(Tuner):
    """Random search: each trial draws every hyperparameter independently (``optuna.samplers.RandomSampler``)."""

    def __init__(self, hypermodel: Any = None, objective: Any = "val_loss", max_trials: int = 10,
                 seed: int | None = None, **kwargs: Any) -> None:
        sampler = optuna_module().samplers.RandomSampler(seed=seed)
        super().__init__(hypermodel, objective, max_trials, seed=seed, sampler=sampler, **kwargs)


class GridSearch(Tuner):
    """Grid search over every combination of ``Choice``/``Boolean``/``Fixed`` values, ``Int`` ranges and
    ``Float`` ranges with a ``step`` (``optuna.samplers.GridSampler``). The grid is read by building the
    default configuration once, so hyperparameters of inactive conditional branches are not in it.
    ``max_trials=None`` runs the whole grid."""

    def __init__(self, hypermodel: Any = None, objective: Any = "val_loss", max_trials: int | None = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        hp = HyperParameters()
        to_hypermodel(hypermodel).build(hp)
        space = {name: hp.grid_values(name) for name in hp.space if hp.is_active(name)}
        size = math.prod(len(v) for v in space.values()) if space else 1
        self.grid_size = size
        sampler = optuna_module().samplers.GridSampler(space, seed=seed)
        kwargs.setdefault("try_default_first", False)  # the grid holds the defaults already
        super().__init__(hypermodel, objective, size if max_trials is None else min(max_trials, size), seed=seed,
                         sampler=sampler, **kwargs)


class BayesianOptimization(Tuner):
    """Bayesian optimisation: a model of the objective proposes the next trial.

    Args:
        num_initial_points: Random trials before the model is used.
        sampler: ``"tpe"`` (default, ``optuna.samplers.TPESampler``) or ``"gp"`` (``GPSampler``, which
            needs PyTorch and SciPy).
        alpha, beta: Accepted for KerasTuner compatibility (its GP's noise and exploration); unused.
    """

    def __init__(self, hypermodel: Any = None, objective: Any = "val_loss", max_trials: int = 10,
                 num_initial_points: int | None = None, alpha: float = 1e-4, beta: float = 2.6,
                 seed: int | None = None, sampler: str = "tpe", **kwargs: Any) -> None:
        optuna = optuna_module()
        n_startup = 3 if num_initial_points is None else int(num_initial_points)
        if sampler == "tpe":
            made = optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_startup)
        elif sampler == "gp":
            made = optuna.samplers.GPSampler(seed=seed, n_startup_trials=n_startup)
        else:
            raise ValueError(f"BayesianOptimization: sampler must be 'tpe' or 'gp'; got {sampler!r}.")
        super().__init__(hypermodel, objective, max_trials, seed=seed, sampler=made, **kwargs)


def hyperband_trials(max_epochs: int, factor: int) -> int:
    """Configurations one Hyperband iteration tries: :math:`\\sum_{s=0}^{s_{max}}
    \\lceil \\frac{s_{max}+1}{s+1} \\eta^s \\rceil` with :math:`s_{max} = \\lfloor \\log_\\eta R \\rfloor`."""
    s_max = int(math.floor(math.log(max_epochs) / math.log(factor) + 1e-9))
    return sum(int(math.ceil((s_max + 1) / (s + 1) * factor ** s)) for s in range(s_max + 1))


class Hyperband(Tuner):
    """Hyperband: many trials get a few epochs; Optuna's ``HyperbandPruner`` (reduction ``factor``,
    resources 1 … ``max_epochs`` epochs) stops those behind their bracket, from the objective each
    epoch reports. Every trial is fitted with ``epochs=max_epochs`` (``search``'s ``epochs`` is ignored).
    ``max_trials`` defaults to ``hyperband_iterations`` × :func:`hyperband_trials`."""

    def __init__(self, hypermodel: Any = None, objective: Any = "val_loss", max_epochs: int = 100,
                 factor: int = 3, hyperband_iterations: int = 1, seed: int | None = None,
                 max_trials: int | None = None, **kwargs: Any) -> None:
        optuna = optuna_module()
        if not isinstance(max_epochs, int) or max_epochs < 1:
            raise ValueError(f"Hyperband: max_epochs must be a positive integer; got {max_epochs!r}.")
        if not isinstance(factor, int) or factor < 2:
            raise ValueError(f"Hyperband: factor must be an integer >= 2; got {factor!r}.")
        self.max_epochs, self.factor = max_epochs, factor
        trials = max_trials or hyperband_iterations * hyperband_trials(max_epochs, factor)
        pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_epochs, reduction_factor=factor)
        sampler = optuna.samplers.TPESampler(seed=seed)
        super().__init__(hypermodel, objective, trials, seed=seed, sampler=sampler, pruner=pruner, **kwargs)

    def trial_fit_kwargs(self, trial: Any, hp: HyperParameters, fit_kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**fit_kwargs, "epochs": self.max_epochs}

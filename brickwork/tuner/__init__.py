"""Hyperparameter search with KerasTuner's API on Optuna: ``import keras_tuner as kt`` becomes
``from brickwork import tuner as kt``.

Optuna is an optional extra (``pip install 'brickwork[tune]'``); it is imported when a tuner is created.
"""

from brickwork.tuner.hypermodel import HyperModel
from brickwork.tuner.hyperparameters import HyperParameters
from brickwork.tuner.objective import Objective
from brickwork.tuner.tuner import Tuner
from brickwork.tuner.tuners import BayesianOptimization, GridSearch, Hyperband, RandomSearch, hyperband_trials

__all__ = ["BayesianOptimization", "GridSearch", "HyperModel", "HyperParameters", "Hyperband", "Objective",
           "RandomSearch", "Tuner", "hyperband_trials"]

"""Unsupervised models written on NumPy: restricted Boltzmann machines trained by contrastive divergence, and
rating predictors for collaborative filtering."""

from brickwork.unsupervised.rbm import BernoulliRBM
from brickwork.unsupervised.recommenders import (
    BiasBaseline,
    BiasedMF,
    GlobalMean,
    cross_validate,
    kfold_indices,
)

__all__ = ["BernoulliRBM", "BiasBaseline", "BiasedMF", "GlobalMean", "cross_validate", "kfold_indices"]

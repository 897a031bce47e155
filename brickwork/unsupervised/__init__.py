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

from brickwork.unsupervised.embedding_recommender import EmbeddingRecommender, RecommenderNet  # noqa: E402
from brickwork.unsupervised.rbm_recommender import RBMRecommender  # noqa: E402

__all__ += ["EmbeddingRecommender", "RBMRecommender", "RecommenderNet"]

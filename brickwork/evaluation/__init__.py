"""Evaluation protocols (seed 001): hold-out, K-fold, iterated K-fold, chronological and walk-forward
splits, and :func:`cross_validate` that trains a fresh model per fold and reports mean ± std."""

from brickwork.evaluation.protocols import CrossValidationResult, cross_validate
from brickwork.evaluation.splits import chronological_split, holdout_split, kfold_splits, walk_forward_splits

__all__ = ["CrossValidationResult", "chronological_split", "cross_validate", "holdout_split", "kfold_splits",
           "walk_forward_splits"]

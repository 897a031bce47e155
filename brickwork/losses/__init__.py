"""Loss functions (Keras names, ``from_logits`` everywhere it applies).

Each loss maps ``(y_true, y_pred)`` to per-sample values (mean over the last
axis, as Keras), and the :class:`Loss` wrapper weights them by
``sample_weight`` and by the Keras mask on ``y_pred`` and reduces them to a
scalar: by default the sum divided by the number of samples (Keras's
``'sum_over_batch_size'``; with a mask, the mean over the unmasked entries).
"""

from brickwork.losses.base import Loss, LossFunctionWrapper, standardize_targets
from brickwork.losses.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CostSensitiveBinaryCrossentropy,
    Huber,
    MeanAbsoluteError,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    cost_sensitive_binary_crossentropy,
    huber,
    mae,
    mean_absolute_error,
    mean_squared_error,
    mse,
    sparse_categorical_crossentropy,
)
from brickwork.losses.margin import CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge
from brickwork.losses.overlap import Dice, Tversky, dice, tversky
from brickwork.losses.reduction import apply_mask, reduce_weighted_values
from brickwork.losses.registry import deserialize, deserialize_structure, get, serialize, serialize_structure
from brickwork.losses.regression import (
    CosineSimilarity,
    KLDivergence,
    LogCosh,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    Poisson,
    cosine_similarity,
    kl_divergence,
    kld,
    log_cosh,
    logcosh,
    mape,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    msle,
    poisson,
)

__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "CategoricalHinge", "CosineSimilarity",
    "CostSensitiveBinaryCrossentropy", "Dice", "Hinge", "Huber", "KLDivergence", "LogCosh", "Loss",
    "LossFunctionWrapper", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy", "SquaredHinge", "Tversky",
    "apply_mask", "binary_crossentropy", "categorical_crossentropy", "categorical_hinge", "cosine_similarity",
    "cost_sensitive_binary_crossentropy", "deserialize", "deserialize_structure", "dice", "get", "hinge", "huber",
    "kl_divergence", "kld",
    "log_cosh", "logcosh", "mae", "mape", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error", "mean_squared_logarithmic_error", "mse", "msle", "poisson", "reduce_weighted_values",
    "serialize", "serialize_structure", "sparse_categorical_crossentropy", "squared_hinge", "standardize_targets",
    "tversky",
]

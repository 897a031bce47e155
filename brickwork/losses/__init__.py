"""Loss functions (Keras names, ``from_logits`` everywhere it applies).

Each loss maps ``(y_true, y_pred)`` to per-sample values (mean over the last
axis, as Keras), and the :class:`Loss` wrapper weights them by
``sample_weight`` and reduces them to a scalar: the sum divided by the number
of samples (Keras's ``'sum_over_batch_size'``).
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
    get,
    huber,
    mae,
    mean_absolute_error,
    mean_squared_error,
    mse,
    sparse_categorical_crossentropy,
)

__all__ = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "CostSensitiveBinaryCrossentropy", "Huber", "Loss",
    "LossFunctionWrapper", "MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalCrossentropy",
    "binary_crossentropy", "categorical_crossentropy", "cost_sensitive_binary_crossentropy", "get", "huber",
    "mae", "mean_absolute_error", "mean_squared_error", "mse", "sparse_categorical_crossentropy",
    "standardize_targets",
]

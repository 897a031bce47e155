"""``Imputation``: fill missing values and add a "was missing" indicator the network can learn from."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.tensor import Tensor
from brickwork.layers.preprocessing.base import PreprocessingLayer
from brickwork.utils.threads import PerThread

STRATEGIES = ("mean", "median", "constant")


class Imputation(PreprocessingLayer):
    r"""Replace missing values (NaN) per feature and, optionally, append an indicator per feature.

    Seed 001's advice on missing values — "input missing as 0 plus learn it", so the
    network learns what a gap means — as a layer that travels with the model:

    .. math:: y_j = \begin{cases} x_j & x_j \text{ observed} \\ f_j & x_j \text{ missing} \end{cases},
              \qquad m_j = [x_j \text{ missing}],
              \qquad \text{output} = [\,y \,\|\, m\,]

    The fill values :math:`f_j` are the feature means or medians that :meth:`adapt` computes
    (NaN ignored), or ``fill_value``; they are a non-trainable weight saved with the model.
    Gradients flow to the observed entries only (:math:`\partial y_j / \partial x_j = [x_j\text{ observed}]`).
    ``last_imputed`` holds, after each call, how many values of each feature were filled
    (``brickwork predict`` reports it); it is kept per thread (the calling thread's own last call).
    Seed 001 also suggests training with artificially dropped
    features when test rows will have gaps: ``drop_rate`` blanks that fraction of the observed
    values at random during training.

    Args:
        strategy: ``'mean'``, ``'median'`` or ``'constant'`` (use ``fill_value``).
        fill_value: The constant for ``'constant'`` (default 0).
        add_indicator: Append the 0/1 missing indicators (the output has twice the features).
        drop_rate: Fraction of observed training values to blank (augmentation; 0 = off).
        feature_names: Optional names of the features (used in reports).

    Input shape: ``(..., features)`` floats with NaN for missing values.
    Output shape: ``(..., 2·features)`` with ``add_indicator``, else the same.
    """

    fills_missing = True  # the model accepts NaN inputs

    def __init__(self, strategy: str = "mean", fill_value: float | None = None, add_indicator: bool = True,
                 drop_rate: float = 0.0, feature_names: list[str] | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if strategy not in STRATEGIES:
            raise ValueError(f"Imputation '{self.name}': strategy must be one of {STRATEGIES}, got {strategy!r}.")
        if not 0.0 <= drop_rate < 1.0:
            raise ValueError(f"Imputation '{self.name}': drop_rate must be in [0, 1), got {drop_rate}.")
        self.strategy, self.fill_value, self.add_indicator = strategy, fill_value, bool(add_indicator)
        self.drop_rate, self.feature_names, self.seed = float(drop_rate), feature_names, seed
        self._rng = np.random.default_rng(seed)
        self._last_imputed = PerThread(dict)
        self.supports_masking = True

    @property
    def last_imputed(self) -> dict[str, int]:
        """The calling thread's last call: how many values of each feature were filled (features with none left out)."""
        return self._last_imputed.get()

    @last_imputed.setter
    def last_imputed(self, value: dict[str, int]) -> None:
        self._last_imputed.set(value)

    def build(self, input_shape: Any) -> None:
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"Imputation '{self.name}': the last axis of input shape {tuple(input_shape)} "
                             "must be known.")
        if self.feature_names is not None and len(self.feature_names) != features:
            raise ValueError(f"Imputation '{self.name}': {len(self.feature_names)} feature_names for "
                             f"{features} features.")
        constant = 0.0 if self.fill_value is None else float(self.fill_value)
        self.fill = self.add_weight((features,), "zeros", trainable=False, name="fill")
        self.fill.assign(np.full((features,), constant, self.fill.dtype))
        self.built = True

    def _adapt(self, data: np.ndarray) -> None:
        data = data.astype(np.float64)
        if not self.built:
            self.build((None,) + data.shape[1:])
        if self.strategy == "constant":
            return
        flat = data.reshape(-1, data.shape[-1])
        with warnings.catch_warnings():  # an all-missing feature is filled with 0
            warnings.simplefilter("ignore", RuntimeWarning)
            stat = np.nanmean(flat, axis=0) if self.strategy == "mean" else np.nanmedian(flat, axis=0)
        self.fill.assign(np.nan_to_num(stat, nan=0.0).astype(self.fill.dtype))

    def call(self, inputs, training=False):
        x = inputs if inputs.dtype.kind == "f" else inputs.astype(self._dtype)
        missing = np.isnan(x.data)
        if training and self.drop_rate:
            missing = missing | (self._rng.random(missing.shape) < self.drop_rate)
        counts = missing.reshape(-1, missing.shape[-1]).sum(axis=0)
        names = self.feature_names or [str(j) for j in range(missing.shape[-1])]
        self._last_imputed.set({n: int(c) for n, c in zip(names, counts) if c})
        fill = Tensor(np.broadcast_to(self.fill.data.astype(x.dtype), x.shape))
        filled = F.where(missing, fill, x)
        if not self.add_indicator:
            return filled
        return F.concatenate([filled, Tensor(missing.astype(x.dtype))], axis=-1)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.add_indicator and shape[-1] is not None:
            return shape[:-1] + (2 * shape[-1],)
        return shape

    def _autocast_inputs(self) -> bool:
        return True

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"strategy": self.strategy, "fill_value": self.fill_value, "add_indicator": self.add_indicator,
                    "drop_rate": self.drop_rate, "feature_names": self.feature_names, "seed": self.seed})
        return cfg

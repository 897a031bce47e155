"""``Discretization``: continuous values → bucket indices (or their one-hot/multi-hot/count encoding)."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.tensor import Tensor
from brickwork.layers.preprocessing.base import PreprocessingLayer
from brickwork.layers.preprocessing.encoding import encode_counts, encoded_shape

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


class Discretization(PreprocessingLayer):
    r"""Bucket continuous features: with boundaries :math:`b_1 < \dots < b_{n-1}`, a value :math:`x`
    goes to bucket :math:`i` when :math:`b_i \le x < b_{i+1}` (:math:`b_0 = -\infty`, :math:`b_n = \infty`).

    Args:
        bin_boundaries: The sorted boundaries; or
        num_bins: how many buckets ``adapt`` makes, with boundaries at the data's quantiles
            :math:`k / \text{num\_bins}` (NaN ignored), so each bucket holds about as many values.
        epsilon: Accepted for Keras compatibility (quantiles are exact here).
        output_mode: ``'int'`` (bucket indices, same shape) or ``'one_hot'``/``'multi_hot'``/``'count'``.

    NaN inputs fall in the last bucket (impute them first to choose otherwise).
    """

    def __init__(self, bin_boundaries: Any = None, num_bins: int | None = None, epsilon: float = 0.01,
                 output_mode: str = "int", sparse: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"Discretization '{self.name}': output_mode must be one of {OUTPUT_MODES}, "
                             f"got {output_mode!r}.")
        if bin_boundaries is None and num_bins is None:
            raise ValueError(f"Discretization '{self.name}': give bin_boundaries or num_bins (then adapt).")
        if bin_boundaries is not None and num_bins is not None:
            raise ValueError(f"Discretization '{self.name}': give bin_boundaries or num_bins, not both.")
        if bin_boundaries is not None:
            bounds = [float(b) for b in bin_boundaries]
            if any(b >= c for b, c in zip(bounds, bounds[1:])):
                raise ValueError(f"Discretization '{self.name}': bin_boundaries must increase, got {bounds}.")
            self.bin_boundaries: list[float] | None = bounds
            self._adapted = True
        else:
            if int(num_bins) < 1:
                raise ValueError(f"Discretization '{self.name}': num_bins must be >= 1, got {num_bins}.")
            self.bin_boundaries = None
        self.num_bins, self.epsilon, self.output_mode = num_bins, epsilon, output_mode

    def _adapt(self, data: np.ndarray) -> None:
        if self.num_bins is None:
            raise ValueError(f"Discretization '{self.name}' has fixed bin_boundaries; adapt needs num_bins.")
        values = data.astype(np.float64).reshape(-1)
        values = values[~np.isnan(values)]
        if not values.size:
            raise ValueError(f"Discretization '{self.name}': adapt got no non-missing values.")
        quantiles = np.quantile(values, np.arange(1, self.num_bins) / self.num_bins)
        self.bin_boundaries = sorted(set(float(q) for q in quantiles))

    def _buckets(self) -> int:
        return len(self.bin_boundaries or []) + 1

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise RuntimeError(f"Discretization '{self.name}' has no boundaries yet: call adapt(data) first.")
        values = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        indices = np.digitize(values.astype(np.float64), self.bin_boundaries).astype(np.int64)
        if self.output_mode == "int":
            return Tensor(indices)
        return Tensor(encode_counts(indices, self._buckets(), self.output_mode,
                                    f"{type(self).__name__} '{self.name}'", self._dtype))

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self._buckets())

    def _output_dtype(self):
        return np.dtype(np.int64) if self.output_mode == "int" else self._dtype

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"bin_boundaries": self.bin_boundaries, "num_bins": None if self.bin_boundaries else self.num_bins,
                    "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": False})
        cfg.pop("trainable", None)  # Keras's Discretization takes no `trainable` argument (nothing to train)
        return cfg

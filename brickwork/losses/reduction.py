"""How per-sample values, sample weights and Keras masks become one loss value.

The rules are Keras 3's (``keras.losses.loss.reduce_weighted_values``):

* a mask on ``y_pred`` multiplies the sample weights. For the
  ``'sum_over_batch_size'`` (and ``'mean'``) reductions the kept entries are
  scaled by :math:`N / N_{valid}`, so that dividing the weighted sum by the
  number of entries :math:`N` gives the mean over the unmasked entries only:
  :math:`\\frac1N \\sum_i \\frac{N}{N_{valid}} m_i w_i \\ell_i = \\frac{1}{N_{valid}} \\sum_i m_i w_i \\ell_i`;
* ``'sum'`` sums the weighted values, ``'none'``/``None`` keeps them,
  ``'mean_with_sample_weight'`` divides the sum by the sum of the weights.

Weights and masks are constants (NumPy arrays); the values may be Tensors,
whose gradients flow through the weighting and reduction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.backend import get_array_module
from brickwork.engine.tensor import Tensor

REDUCTIONS = ("sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight")


def standardize_reduction(reduction: Any, owner: str = "Loss") -> Any:
    """Check a ``reduction`` argument against Keras's allowed values."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{owner}: invalid reduction {reduction!r}; expected one of "
                         "'sum_over_batch_size', 'sum', 'mean', 'mean_with_sample_weight', 'none' or None.")
    return reduction


def _as_array(x: Any) -> np.ndarray:
    """A tensor's array, an array as it is (NumPy or CuPy); anything else through NumPy."""
    if isinstance(x, Tensor):
        return x.data
    return x if get_array_module(x) is not np else np.asarray(x)


def align_weights(weights: np.ndarray, ndim: int) -> np.ndarray:
    """Give ``weights`` the rank ``ndim`` from the left (batch) axes: drop trailing axes of 1,
    or append axes of 1 (a ``(batch,)`` weight scales every entry of its sample)."""
    while weights.ndim > ndim and weights.shape[-1] == 1:
        weights = weights.reshape(weights.shape[:-1])
    if weights.ndim < ndim:
        weights = weights.reshape(weights.shape + (1,) * (ndim - weights.ndim))
    return weights


def apply_mask(sample_weight: Any, mask: Any, reduction: Any) -> np.ndarray | None:
    """Fold a boolean mask into the sample weights (Keras's ``apply_mask``).

    Args:
        sample_weight: None or an array broadcastable from the left to the mask.
        mask: None or a boolean array (True = keep).
        reduction: With ``'sum_over_batch_size'``/``'mean'`` the kept entries get the weight
            :math:`N/N_{valid}` (0 when nothing is kept); otherwise the mask is 0/1.

    Returns:
        The combined float64 weights, or ``sample_weight`` unchanged when there is no mask.
    """
    if mask is None:
        return None if sample_weight is None else _as_array(sample_weight).astype(np.float64)
    mask = _as_array(mask).astype(bool)
    if reduction in ("sum_over_batch_size", "mean"):
        valid = int(mask.sum())
        float_mask = np.where(mask, mask.size / valid if valid else 0.0, 0.0)
    else:
        float_mask = mask.astype(np.float64)
    if sample_weight is None:
        return float_mask
    sw = _as_array(sample_weight).astype(np.float64)
    ndim = max(sw.ndim, float_mask.ndim)
    sw, float_mask = align_weights(sw, ndim), align_weights(float_mask, ndim)
    try:
        return sw * float_mask
    except ValueError:
        raise ValueError(f"sample_weight of shape {sw.shape} does not match the mask of shape "
                         f"{float_mask.shape}.") from None


def reduce_weighted_values(values: Tensor, sample_weight: Any = None, mask: Any = None,
                           reduction: Any = "sum_over_batch_size", name: str = "loss") -> Tensor:
    """Weight ``values`` by ``sample_weight`` and ``mask`` and reduce them (see the module docstring).

    Args:
        values: Per-sample (or per-entry) loss values.
        sample_weight: None or weights of shape ``values.shape[:k]`` (trailing axes of 1 allowed).
        mask: None or a boolean mask of shape ``values.shape[:k]``.
        reduction: One of :data:`REDUCTIONS`.
        name: Loss name used in error messages.
    """
    reduction = standardize_reduction(reduction, name)
    weights = apply_mask(sample_weight, mask, reduction)
    if weights is not None:
        if weights.ndim and weights.shape[0] != (values.shape[0] if values.ndim else 1) and weights.size != 1:
            raise ValueError(f"{name}: sample_weight of shape {weights.shape} does not match "
                             f"{values.shape[0] if values.ndim else 1} samples (loss values of shape "
                             f"{values.shape}).")
        if weights.ndim > values.ndim:
            weights = align_weights(weights, values.ndim)
            if weights.ndim > values.ndim:
                raise ValueError(f"{name}: weights or mask of shape {weights.shape} have more axes than the "
                                 f"loss values of shape {values.shape}.")
        weights = align_weights(weights, values.ndim)
        values = values * Tensor(weights.astype(values.dtype))
    if reduction in (None, "none") or values.ndim == 0 or values.shape == (0,):
        return values
    if weights is None and reduction in ("sum_over_batch_size", "mean") and values.size:
        return F.mean(values)                        # the same sum / N, as one graph node
    total = F.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        divisor = float(np.sum(weights))
    else:
        divisor = float(values.size)
    return total * (1.0 / divisor) if divisor else total * 0.0

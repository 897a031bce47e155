"""Confident pseudo-labels as a loss term: the cross-entropy of a training pass against the argmax class of
a reference prediction, kept only where that prediction is confident (Lee 2013, with a threshold).

:class:`~brickwork.semi_supervised.PseudoLabeling` uses it as its whole unsupervised term; the consistency
methods add it on top of their consistency term with ``pseudo_label_weight > 0`` (pseudo-labelling on top of
a consistency model).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import ops
from brickwork.engine.tensor import Tensor


def as_class_probabilities(p: Any) -> Any:
    """``p`` as ``(batch, classes)``: a single sigmoid column ``q`` becomes the two columns ``(1 - q, q)``.

    Works on a :class:`~brickwork.engine.tensor.Tensor` (differentiably) and on a NumPy array.
    """
    if isinstance(p, Tensor):
        p = p.reshape(p.shape[0], -1)
        return ops.concatenate([1.0 - p, p], axis=1) if p.shape[1] == 1 else p
    arr = np.asarray(p)
    arr = arr.reshape(arr.shape[0], -1)
    return np.concatenate([1.0 - arr, arr], axis=1) if arr.shape[1] == 1 else arr


def confident_rows(reference: np.ndarray, candidates: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, labels)``: the candidate rows whose reference prediction reaches ``threshold``,
    :math:`U_\\tau = \\{i \\in \\text{candidates} : \\max_c r_{ic} \\ge \\tau\\}`, and their classes
    :math:`y'_i = \\arg\\max_c r_{ic}`."""
    ref = as_class_probabilities(reference)
    rows = np.flatnonzero(np.asarray(candidates, dtype=bool) & (ref.max(axis=1) >= threshold))
    return rows, ref.argmax(axis=1)[rows]


def pseudo_label_cross_entropy(probs: Tensor, reference: np.ndarray, candidates: np.ndarray,
                               threshold: float) -> Tensor:
    """:math:`\\frac{1}{|U_\\tau|} \\sum_{i \\in U_\\tau} -\\log p_{i, y'_i}` (0 when :math:`U_\\tau` is empty).

    Args:
        probs: The training pass's class probabilities ``(batch, C)`` (or one sigmoid column); the gradient
            flows through it.
        reference: The prediction the pseudo-labels come from (a NumPy array of the same shape; no gradient).
        candidates: Boolean mask of the rows that may get a pseudo-label (the unlabelled ones).
        threshold: :math:`\\tau`, the confidence :math:`\\max_c r_{ic}` a pseudo-label needs.
    """
    rows, labels = confident_rows(reference, candidates, threshold)
    if rows.size == 0:
        return Tensor(np.zeros((), probs.dtype))
    p = as_class_probabilities(probs)[rows]
    onehot = np.eye(p.shape[1], dtype=p.dtype)[labels]
    picked = ops.sum(p * onehot, axis=1)
    return -ops.mean(ops.log(ops.clip(picked, 1e-7, 1.0)))

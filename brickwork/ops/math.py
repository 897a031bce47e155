"""``keras.ops.math``: the ops Keras files under math rather than numpy."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.device import asarray
from brickwork.engine.tensor import Tensor
from brickwork.ops._convert import plain, raw
from brickwork.ops.elementwise import erf, rsqrt
from brickwork.ops.reduction import logsumexp
from brickwork.ops.sorting import top_k


def in_top_k(targets: Any, predictions: Any, k: int) -> Tensor:
    """Whether each target's score is among the ``k`` largest of its row (ties count as in)."""
    p = raw(predictions)
    t = asarray(raw(targets)).astype(np.int64)
    score = np.take_along_axis(p, t[:, None], axis=-1)
    return plain((p > score).sum(axis=-1) < k)


__all__ = ["erf", "in_top_k", "logsumexp", "rsqrt", "top_k"]

"""Array helpers with Keras's names: ``normalize``."""

from __future__ import annotations

from typing import Any

import numpy as np


def normalize(x: Any, axis: int | None = -1, order: int | float = 2) -> np.ndarray:
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms count as 1), as
    ``keras.utils.normalize``: :math:`x / \\max(\\lVert x\\rVert_{order}, [=0 \\to 1])`.

    Args:
        x: Array (or anything ``np.asarray`` accepts).
        axis: Axis along which the norm is taken.
        order: Norm order (``2``: Euclidean; ``1``; ``np.inf``; see ``numpy.linalg.norm``).

    Unlike Keras (which reinserts the norm's axis at ``-1`` whatever ``axis`` was, so
    ``axis=0`` fails on non-square matrices), the norm is broadcast back along ``axis``.
    """
    x = np.asarray(x)
    if x.ndim == 0:
        raise ValueError("normalize: x must have at least one axis; got a scalar.")
    if axis is not None and not -x.ndim <= axis < x.ndim:
        raise ValueError(f"normalize: axis={axis} is out of range for x of shape {x.shape}.")
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    if axis is None:  # one norm of the whole array
        return x / norm
    return x / np.expand_dims(norm, axis)

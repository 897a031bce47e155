"""Resizing attribution maps to the input's spatial size, as ``torch.nn.functional.interpolate`` does.

A map :math:`M` of shape ``(n, d_1, ..., d_k)`` is resized one axis at a time (the rules are separable).
For an output position :math:`j` on an axis of input length :math:`D` and output length :math:`D'`:

* ``'nearest'``: :math:`M[\\lfloor j D / D' \\rfloor]`;
* ``'linear'`` (``'bilinear'`` in 2-D): the source coordinate :math:`s = (j + \\tfrac12) D / D' - \\tfrac12`
  (clamped at 0) and :math:`(1 - \\lambda) M[\\lfloor s\\rfloor] + \\lambda M[\\lfloor s\\rfloor + 1]`,
  :math:`\\lambda = s - \\lfloor s \\rfloor` — PyTorch's ``align_corners=False``.
"""

from __future__ import annotations

import numpy as np

MODES = ("nearest", "linear", "bilinear", "trilinear")


def resize_axis(maps: np.ndarray, axis: int, size: int, mode: str) -> np.ndarray:
    """Resize ``maps`` along ``axis`` to ``size`` positions."""
    old = maps.shape[axis]
    if old == size:
        return maps
    scale = old / size
    j = np.arange(size)
    if mode == "nearest":
        return np.take(maps, np.minimum(np.floor(j * scale).astype(np.int64), old - 1), axis=axis)
    src = np.maximum((j + 0.5) * scale - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), old - 1)
    hi = np.minimum(lo + 1, old - 1)
    lam = (src - lo).reshape((-1,) + (1,) * (maps.ndim - axis - 1))
    return np.take(maps, lo, axis=axis) * (1 - lam) + np.take(maps, hi, axis=axis) * lam


def resize_maps(maps: np.ndarray, size: tuple[int, ...], mode: str = "bilinear") -> np.ndarray:
    """Resize ``(n, *spatial)`` maps to ``(n, *size)``."""
    if mode not in MODES:
        raise ValueError(f"interpolate_mode must be one of {list(MODES)}; got {mode!r}.")
    if len(size) != maps.ndim - 1:
        raise ValueError(f"cannot resize maps of shape {maps.shape} to spatial size {size}.")
    out = maps
    for axis, n in enumerate(size, start=1):
        out = resize_axis(out, axis, int(n), mode)
    return out

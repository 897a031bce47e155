"""Resampling images at arbitrary coordinates (the core of geometric augmentation)."""

from __future__ import annotations

import numpy as np

from brickwork.backend import get_array_module
from brickwork.engine.device import asarray
from brickwork.engine.function import Function
from brickwork.functions._util import scatter_add_rows


def map_coordinates(index: np.ndarray, size: int, fill_mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer coordinates mapped into ``[0, size)`` by Keras's fill modes; the
    second array marks cells outside the image (used by ``'constant'``).

    ``'reflect'`` reflects about the edge (d c b a | a b c d | d c b a),
    ``'wrap'`` tiles (a b c d | a b c d), ``'nearest'`` repeats the edge.
    """
    xp = get_array_module(index)
    outside = (index < 0) | (index >= size)
    if fill_mode == "reflect":
        period = 2 * size
        m = xp.mod(index, period)
        mapped = xp.where(m >= size, period - 1 - m, m)
    elif fill_mode == "wrap":
        mapped = xp.mod(index, size)
    elif fill_mode in ("nearest", "constant"):
        mapped = xp.clip(index, 0, size - 1)
    else:
        raise ValueError(f"Unknown fill_mode {fill_mode!r}: expected reflect, wrap, nearest or constant.")
    return mapped, outside


class Resample(Function):
    r"""Sample an NHWC batch at real-valued coordinates ``rows, cols`` (each ``(N, Ho, Wo)``).

    Bilinear: :math:`y = \sum_{k=1}^4 w_k\, x[r_k, c_k]` over the four neighbours with
    :math:`w` the products of the fractional distances; nearest: the closest pixel.
    The output is linear in :math:`x`, so the backward scatter-adds
    :math:`w_k \bar y` back to each neighbour (sort-and-segment sum).
    ``fill_mode='constant'`` gives out-of-image neighbours the value ``fill_value``.
    """

    def __init__(self, rows: np.ndarray, cols: np.ndarray, interpolation: str = "bilinear",
                 fill_mode: str = "reflect", fill_value: float = 0.0):
        if interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"Unknown interpolation {interpolation!r}: expected 'bilinear' or 'nearest'.")
        self.rows, self.cols = rows, cols
        self.interpolation, self.fill_mode, self.fill_value = interpolation, fill_mode, fill_value

    def _neighbours(self, h: int, w: int):
        n = self.rows.shape[0]
        batch = np.arange(n).reshape(n, 1, 1)
        if self.interpolation == "nearest":
            corners = [(np.floor(self.rows + 0.5), np.floor(self.cols + 0.5), 1.0)]
        else:
            r0, c0 = np.floor(self.rows), np.floor(self.cols)
            fr, fc = self.rows - r0, self.cols - c0
            corners = [(r0, c0, (1 - fr) * (1 - fc)), (r0, c0 + 1, (1 - fr) * fc),
                       (r0 + 1, c0, fr * (1 - fc)), (r0 + 1, c0 + 1, fr * fc)]
        out = []
        for r, c, weight in corners:
            rr, out_r = map_coordinates(r.astype(np.int64), h, self.fill_mode)
            cc, out_c = map_coordinates(c.astype(np.int64), w, self.fill_mode)
            weight = np.broadcast_to(asarray(weight, np.float64), self.rows.shape)
            outside = out_r | out_c if self.fill_mode == "constant" else np.zeros(self.rows.shape, bool)
            out.append(((batch * h + rr) * w + cc, np.where(outside, 0.0, weight), np.where(outside, weight, 0.0)))
        return out

    def forward(self, x):
        xp = get_array_module(x)
        n, h, w, c = x.shape
        self.in_shape = x.shape
        flat = x.reshape(n * h * w, c)
        self.parts = self._neighbours(h, w)
        y = xp.zeros(self.rows.shape + (c,), x.dtype)
        fill = xp.zeros(self.rows.shape, np.float64)
        for index, weight, out_weight in self.parts:
            y += flat[index] * weight[..., None].astype(x.dtype)
            fill += out_weight
        if self.fill_mode == "constant" and self.fill_value:
            y += (fill * self.fill_value)[..., None].astype(x.dtype)
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        n, h, w, c = self.in_shape
        index = xp.concatenate([i.reshape(-1) for i, _, _ in self.parts])
        values = xp.concatenate([(gy * wt[..., None].astype(gy.dtype)).reshape(-1, c) for _, wt, _ in self.parts])
        return scatter_add_rows(n * h * w, index, values).reshape(self.in_shape)


def resample(x, rows, cols, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """Sample NHWC images at coordinates ``rows``/``cols`` of shape ``(N, Ho, Wo)``."""
    return Resample(rows, cols, interpolation, fill_mode, fill_value)(x)

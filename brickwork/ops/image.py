"""``keras.ops.image.resize``: resizing as two separable linear maps.

Every supported interpolation computes each output row from a fixed weighted
sum of input rows, and each output column likewise, so a resize is
:math:`Y = A_h\\, X\\, A_w^\\top` per image and channel with interpolation
matrices :math:`A_h` (``out_h x in_h``) and :math:`A_w`. They are built in NumPy
and applied with the differentiable einsum, whose backward gives
:math:`\\bar X = A_h^\\top \\bar Y A_w`. Sample positions follow Keras's torch
backend (``align_corners=False``, half-pixel centres):

* ``nearest``: input index :math:`\\lfloor (i + \\tfrac12) s \\rfloor` with :math:`s = \\text{in}/\\text{out}`;
* ``bilinear``: position :math:`\\max((i + \\tfrac12) s - \\tfrac12, 0)`, linear between its two neighbours;
* ``bicubic``: Keys' cubic convolution (:math:`a = -0.75`) over four neighbours, indices clamped;
* ``antialias=True`` (bilinear, bicubic): the filter is stretched by :math:`s` when
  shrinking (:math:`s > 1`) and its weights renormalised, so every input pixel contributes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import functions as F
from brickwork.engine.tensor import Tensor
from brickwork.functions.einsum import einsum
from brickwork.ops._convert import data_format as resolve_format
from brickwork.ops._convert import floating, plain, tensor


def _cubic(x: np.ndarray, a: float) -> np.ndarray:
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x <= 1, near, np.where(x < 2, far, 0.0))


def _antialias_matrix(n_in: int, n_out: int, interpolation: str) -> np.ndarray:
    scale = n_in / n_out
    taps = 2 if interpolation == "bilinear" else 4
    support = taps / 2 * scale if scale >= 1 else taps / 2
    inv = 1 / scale if scale >= 1 else 1.0
    a = np.zeros((n_out, n_in))
    for i in range(n_out):
        centre = scale * (i + 0.5)
        lo = max(int(centre - support + 0.5), 0)
        hi = min(int(centre + support + 0.5), n_in)
        x = (np.arange(lo, hi) - centre + 0.5) * inv
        w = np.maximum(1 - np.abs(x), 0) if interpolation == "bilinear" else _cubic(x, -0.5)
        a[i, lo:hi] = w / w.sum()
    return a


def interpolation_matrix(n_in: int, n_out: int, interpolation: str, antialias: bool = False) -> np.ndarray:
    """The ``(n_out, n_in)`` matrix that resamples one axis (see the module docstring)."""
    if antialias and interpolation in ("bilinear", "bicubic"):
        return _antialias_matrix(n_in, n_out, interpolation)
    scale = n_in / n_out
    out = np.arange(n_out)
    a = np.zeros((n_out, n_in))
    if interpolation == "nearest":
        a[out, np.minimum(np.floor((out + 0.5) * scale).astype(np.int64), n_in - 1)] = 1.0
        return a
    if interpolation == "bilinear":
        src = np.maximum((out + 0.5) * scale - 0.5, 0.0)
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        frac = src - i0
        np.add.at(a, (out, i0), 1 - frac)
        np.add.at(a, (out, i1), frac)
        return a
    if interpolation == "bicubic":
        src = (out + 0.5) * scale - 0.5
        i0 = np.floor(src).astype(np.int64)
        frac = src - i0
        for k in range(-1, 3):
            np.add.at(a, (out, np.clip(i0 + k, 0, n_in - 1)), _cubic(frac - k, -0.75))
        return a
    raise ValueError(f"resize: unknown interpolation {interpolation!r}; expected 'nearest', 'bilinear' or "
                     "'bicubic'.")


def resize(images: Any, size: Any, interpolation: str = "bilinear", antialias: bool = False,
           crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False, fill_mode: str = "constant",
           fill_value: float = 0.0, data_format: str | None = None) -> Tensor:
    """Resize a 3-D image or a 4-D batch to ``size = (height, width)``, differentiably.

    ``crop_to_aspect_ratio`` first centre-crops to the target's aspect ratio;
    ``pad_to_aspect_ratio`` pads with ``fill_value`` instead (Keras's rules).
    Integer images are resized as floats and returned rounded in their own dtype (no gradient).
    """
    source = tensor(images)
    x = floating(source)
    if len(tuple(size)) != 2:
        raise ValueError(f"resize: size must be (height, width); got {size!r}.")
    if x.ndim not in (3, 4):
        raise ValueError(f"resize: images must be 3-D (one image) or 4-D (a batch); got shape {x.shape}.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("resize: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True.")
    if fill_mode != "constant":
        raise ValueError(f"resize: only fill_mode='constant' is supported; got {fill_mode!r}.")
    th, tw = (int(s) for s in size)
    fmt = resolve_format(data_format)
    single = x.ndim == 3
    if single:
        x = F.reshape(x, (1,) + x.shape)
    if fmt == "channels_first":
        x = F.transpose(x, (0, 2, 3, 1))
    h, w = x.shape[1:3]
    if crop_to_aspect_ratio:
        ch = max(min(h, int(float(w * th) / tw)), 1)
        cw = max(min(w, int(float(h * tw) / th)), 1)
        hs, ws = int(float(h - ch) / 2), int(float(w - cw) / 2)
        x = F.getitem(x, (slice(None), slice(hs, hs + ch), slice(ws, ws + cw)))
    elif pad_to_aspect_ratio:
        ph = int(float(max(h, int(float(w * th) / tw)) - h) / 2)
        pw = int(float(max(w, int(float(h * tw) / th)) - w) / 2)
        if ph or pw:
            border = np.pad(np.zeros(x.shape, x.dtype), ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=1)
            x = F.add(F.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0))), border * np.asarray(fill_value, x.dtype))
    h, w = x.shape[1:3]
    a_h = interpolation_matrix(h, th, interpolation, antialias).astype(x.dtype)
    a_w = interpolation_matrix(w, tw, interpolation, antialias).astype(x.dtype)
    y = einsum("pw,nowc->nopc", a_w, einsum("oh,nhwc->nowc", a_h, x))
    if fmt == "channels_first":
        y = F.transpose(y, (0, 3, 1, 2))
    if single:
        y = F.reshape(y, y.shape[1:])
    if source.dtype.kind in "iub":
        # integer images come back in their own type, rounded (Keras); bicubic may overshoot uint8's range
        values = np.round(y.data)
        if source.dtype == np.uint8:
            values = np.clip(values, 0, 255)
        return plain(values.astype(source.dtype))
    return y


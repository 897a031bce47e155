"""``keras.ops.image.resize`` over the :func:`brickwork.functions.image.resize` primitive.

A resize is :math:`Y = A_h\\, X\\, A_w^\\top` per image and channel with
interpolation matrices :math:`A_h` (``out_h x in_h``) and :math:`A_w`; its backward
is :math:`\\bar X = A_h^\\top \\bar Y A_w`. Sample positions follow Keras's torch
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
from brickwork.engine.device import asarray
from brickwork.engine.tensor import Tensor
from brickwork.functions import image as image_functions
from brickwork.ops._convert import data_format as resolve_format
from brickwork.ops._convert import floating, plain, tensor


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
            x = F.add(F.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0))), border * asarray(fill_value, x.dtype))
    y = image_functions.resize(x, (th, tw), interpolation, "channels_last", antialias)
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


"""ImageNet helpers in Keras's ``keras.applications.imagenet_utils`` layout: the class names and input scaling.

``decode_predictions`` reads the 1000 class names shipped in :mod:`brickwork.applications.imagenet_classes`
(never a download). ``preprocess_input`` turns 0-255 RGB pixels into what a network trained on ImageNet
expects; ``mode='torch'`` (the default here) is what :func:`~brickwork.applications.EfficientNetLite0`
wants, ``'caffe'`` what Keras's VGG16 and ResNet50 weights want, ``'tf'`` what MobileNetV2's want.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "class_names", "decode_predictions", "preprocess_input"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
"""Per-channel mean of the ImageNet training images (RGB, pixels scaled to [0, 1])."""
IMAGENET_STD = (0.229, 0.224, 0.225)
"""Per-channel standard deviation of the ImageNet training images (RGB, pixels scaled to [0, 1])."""
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_MODES = ("caffe", "tf", "torch")


@lru_cache(maxsize=1)
def _table() -> tuple[tuple[str, str, str], ...]:
    from brickwork.applications.imagenet_classes import CLASS_TABLE

    rows = []
    for line in CLASS_TABLE.splitlines():
        wnid, label = line.split(" ", 1)
        rows.append((wnid, label.split(", ")[0].replace(" ", "_"), label))
    return tuple(rows)


def class_names(style: str = "keras") -> list[str]:
    """The 1000 class names in index order.

    Args:
        style: ``'keras'`` for Keras's short names (``'Egyptian_cat'``), ``'label'`` for the full
            comma-separated synonyms (``'tabby, tabby cat'``), ``'wnid'`` for the WordNet IDs.
    """
    column = {"wnid": 0, "keras": 1, "label": 2}.get(style)
    if column is None:
        raise ValueError(f"class_names: style must be 'keras', 'label' or 'wnid'; got {style!r}.")
    return [row[column] for row in _table()]


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` most likely classes of each row of ``preds``, as Keras returns them.

    Args:
        preds: Scores (probabilities or logits) of shape ``(samples, 1000)``.
        top: How many classes to return per sample (1 to 1000).

    Returns:
        One list per sample of ``(wordnet_id, class_name, score)`` tuples, highest score first.
    """
    preds = np.asarray(getattr(preds, "data", preds))
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(f"decode_predictions: preds must be a batch of predictions of shape (samples, 1000); "
                         f"got shape {preds.shape}.")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or not 1 <= top <= 1000:
        raise ValueError(f"decode_predictions: top must be an integer from 1 to 1000; got {top!r}.")
    table = _table()
    results = []
    for row in preds:
        best = np.argsort(-row, kind="stable")[:top]
        results.append([(table[i][0], table[i][1], float(row[i])) for i in best])
    return results


def preprocess_input(x: Any, data_format: str | None = None, mode: str = "torch") -> np.ndarray:
    """Scale a batch (or one image) of 0-255 RGB pixels the way an ImageNet-trained network expects.

    Args:
        x: Pixels in RGB order, channels last (``data_format='channels_last'``, the default) or first.
            Returned as a new float32 array (the input is never modified).
        data_format: ``'channels_last'`` or ``'channels_first'`` (None: channels last).
        mode: ``'torch'``: :math:`(x/255 - \\mu)/\\sigma` with the ImageNet mean and std per channel
            (EfficientNet-Lite0); ``'tf'``: :math:`x/127.5 - 1` (MobileNetV2); ``'caffe'``: RGB to BGR, then
            subtract the BGR mean pixel (VGG16, ResNet50).
    """
    if mode not in _MODES:
        raise ValueError(f"preprocess_input: mode must be one of 'caffe', 'tf' or 'torch'; got {mode!r}.")
    data_format = "channels_last" if data_format is None else data_format
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"preprocess_input: data_format must be 'channels_last' or 'channels_first'; "
                         f"got {data_format!r}.")
    x = np.array(getattr(x, "data", x), dtype=np.float32)
    axis = -1 if data_format == "channels_last" else (0 if x.ndim == 3 else 1)
    if x.ndim < 3 or x.shape[axis] != 3:
        raise ValueError(f"preprocess_input: x must hold 3-channel RGB images ({data_format}); got shape {x.shape}.")
    shape = [1] * x.ndim
    shape[axis] = 3
    if mode == "tf":
        return x / np.float32(127.5) - np.float32(1.0)
    if mode == "torch":
        mean = np.asarray(IMAGENET_MEAN, np.float32).reshape(shape)
        std = np.asarray(IMAGENET_STD, np.float32).reshape(shape)
        return (x / np.float32(255.0) - mean) / std
    x = np.flip(x, axis=axis)
    return x - np.asarray(_CAFFE_MEAN_BGR, np.float32).reshape(shape)

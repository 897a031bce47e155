"""Keras Applications builders — ``VGG16``, ``ResNet50``, ``MobileNetV2`` — with Keras's exact layer names,
layer order, weight shapes and weight order, so Keras's weight files load into them.

brickwork ships no weights for these (nothing is downloaded): ``weights`` is ``None`` or the path of a
Keras 3 ``.weights.h5`` / ``.keras`` file (for example one written by ``keras.applications.VGG16(...)``
followed by ``model.save_weights('vgg16.weights.h5')``), read by brickwork's Keras file reader, or a
brickwork weights file. Inputs are channels last; scale them with
:func:`brickwork.applications.imagenet_utils.preprocess_input` (``mode='caffe'`` for VGG16 and ResNet50,
``'tf'`` for MobileNetV2) when the weights are Keras's ImageNet ones.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from brickwork import layers, models

__all__ = ["MobileNetV2", "ResNet50", "VGG16"]


def _check(where: str, weights: Any, include_top: bool, pooling: Any, classes: Any, input_shape: Any,
           default_side: int, min_side: int) -> tuple[Any, ...]:
    if weights == "imagenet":
        raise ValueError(f"{where}: brickwork downloads nothing, so weights='imagenet' is not available; pass the "
                         f"path of Keras's weights file (.weights.h5 or .keras), or weights=None.")
    if weights is not None and not isinstance(weights, (str, os.PathLike)):
        raise ValueError(f"{where}: weights must be None or the path of a weights file; got {weights!r}.")
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"{where}: pooling must be None, 'avg' or 'max'; got {pooling!r}.")
    if isinstance(classes, bool) or not isinstance(classes, (int, np.integer)) or classes <= 0:
        raise ValueError(f"{where}: classes must be a positive integer; got {classes!r}.")
    if input_shape is None:
        return (default_side, default_side, 3) if include_top else (None, None, 3)
    shape = tuple(input_shape)
    if (len(shape) != 3 or shape[-1] != 3 or any(d is not None and (not isinstance(d, int) or d < min_side)
                                                   for d in shape[:2])):
        raise ValueError(f"{where}: input_shape must be (height, width, 3) with sides of at least {min_side} "
                         f"(channels last); got {input_shape!r}.")
    if include_top and where == "VGG16" and shape[:2] != (224, 224):
        raise ValueError(f"{where}: with include_top=True the input_shape must be (224, 224, 3); got {input_shape!r}.")
    return shape


def _finish(x: Any, inputs: Any, include_top: bool, pooling: Any, name: str, weights: Any,
            pool_names: tuple[str | None, str | None]) -> models.Model:
    if not include_top:
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D(name=pool_names[0])(x)
        elif pooling == "max":
            x = layers.GlobalMaxPooling2D(name=pool_names[1])(x)
    model = models.Model(inputs, x, name=name)
    if weights is not None:
        load_weights_file(model, weights)
    return model


def load_weights_file(model: models.Model, path: Any) -> None:
    """Load a Keras ``.keras`` archive's weights (matched layer by layer, by name) or anything
    ``Model.load_weights`` reads (Keras ``.weights.h5`` by Keras's attribute paths, brickwork files)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{model.name}: no weights file {path}.")
    if not path.endswith(".keras"):
        model.load_weights(path)
        return
    from brickwork.saving.keras_file import load_keras_model

    source = load_keras_model(path, safe_mode=True)
    theirs = {la.name: la for la in source.layers}
    pending = []
    for layer in model.layers:
        if not layer.weights:
            continue
        other = theirs.get(layer.name)
        if other is None or len(other.weights) != len(layer.weights):
            raise ValueError(f"{path}: the model in it has no layer '{layer.name}' with {len(layer.weights)} weights "
                             f"like model '{model.name}'.")
        for mine, value in zip(layer.weights, other.weights):
            if tuple(mine.shape) != tuple(value.shape):
                raise ValueError(f"{path}: '{layer.name}/{mine.name}' has shape {tuple(value.shape)}, but model "
                                 f"'{model.name}' needs {tuple(mine.shape)}.")
            pending.append((mine, value.data))
    for var, value in pending:
        var.assign(value)


def VGG16(include_top: bool = True, weights: Any = None, input_shape: tuple[int | None, ...] | None = None,
          pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
          name: str = "vgg16") -> models.Model:
    """VGG16 (Simonyan & Zisserman 2014): 13 3×3 convolutions in 5 blocks, then ``fc1``, ``fc2`` (4096 each).

    Args:
        include_top: Keep ``flatten``, ``fc1``, ``fc2`` and ``predictions`` (needs 224×224 inputs).
        weights: None (random) or the path of a Keras ``.weights.h5``/``.keras`` or brickwork weights file.
        input_shape: ``(height, width, 3)``; without the top any side of at least 32.
        pooling: Without the top: None (4-D features), ``'avg'`` or ``'max'``.
        classes: Outputs of ``predictions``.
        classifier_activation: Activation of ``predictions`` (None for logits).
        name: The model's name.
    """
    shape = _check("VGG16", weights, include_top, pooling, classes, input_shape, 224, 32)
    inputs = x = layers.Input(shape=shape, name="input_layer")
    for block, (filters, convs) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)), start=1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, 3, activation="relu", padding="same", name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return _finish(x, inputs, include_top, pooling, name, weights, (None, None))


def _bn(x: Any, name: str, epsilon: float = 1.001e-5, momentum: float = 0.99) -> Any:
    return layers.BatchNormalization(axis=3, epsilon=epsilon, momentum=momentum, name=name)(x)


def _bottleneck(x: Any, filters: int, stride: int, conv_shortcut: bool, name: str) -> Any:
    """ResNet v1 bottleneck: 1×1 (stride) → 3×3 → 1×1 (×4 filters), plus the shortcut; Keras's layer order."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _bn(shortcut, f"{name}_0_bn")
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(_bn(x, f"{name}_1_bn"))
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(_bn(x, f"{name}_2_bn"))
    x = _bn(layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x), f"{name}_3_bn")
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def ResNet50(include_top: bool = True, weights: Any = None, input_shape: tuple[int | None, ...] | None = None,
             pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
             name: str = "resnet50") -> models.Model:
    """ResNet50 v1 (He et al. 2015), as ``keras.applications.ResNet50``: a 7×7 stride-2 stem, max pooling,
    then 3, 4, 6 and 3 bottleneck blocks (``conv2`` … ``conv5``), global average pooling, ``predictions``.

    Arguments as :func:`VGG16` (sides of at least 32).
    """
    shape = _check("ResNet50", weights, include_top, pooling, classes, input_shape, 224, 32)
    inputs = layers.Input(shape=shape, name="input_layer")
    x = layers.ZeroPadding2D(((3, 3), (3, 3)), name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = layers.Activation("relu", name="conv1_relu")(_bn(x, "conv1_bn"))
    x = layers.ZeroPadding2D(((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, blocks, stride) in enumerate(((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)), start=2):
        for b in range(1, blocks + 1):
            x = _bottleneck(x, filters, stride if b == 1 else 1, b == 1, f"conv{stage}_block{b}")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return _finish(x, inputs, include_top, pooling, name, weights, ("avg_pool", "max_pool"))


def _make_divisible(value: float, divisor: int = 8) -> int:
    """Round ``value`` to a multiple of ``divisor``, never more than 10% down (MobileNet's channel rule)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _inverted_residual(x: Any, expansion: int, stride: int, alpha: float, filters: int, block_id: int) -> Any:
    channels = x.shape[-1]
    out = _make_divisible(int(filters * alpha))
    inputs, prefix = x, f"block_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(expansion * channels, 1, padding="same", use_bias=False, name=f"{prefix}expand")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(_bn(x, f"{prefix}expand_BN", 1e-3, 0.999))
    if stride == 2:
        rows, cols = x.shape[1:3]
        adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
        x = layers.ZeroPadding2D(((1 - adjust[0], 1), (1 - adjust[1], 1)), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(3, strides=stride, use_bias=False, padding="same" if stride == 1 else "valid",
                               name=f"{prefix}depthwise")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(_bn(x, f"{prefix}depthwise_BN", 1e-3, 0.999))
    x = layers.Conv2D(out, 1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _bn(x, f"{prefix}project_BN", 1e-3, 0.999)
    if channels == out and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


_MOBILENET_V2_BLOCKS = (  # (filters, stride, expansion) for blocks 0..16
    (16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6), (64, 1, 6),
    (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6))


def MobileNetV2(input_shape: tuple[int | None, ...] | None = None, alpha: float = 1.0, include_top: bool = True,
                weights: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str | None = None) -> models.Model:
    """MobileNetV2 (Sandler et al. 2018), as ``keras.applications.MobileNetV2``: 17 inverted-residual blocks
    (``expanded_conv_``, ``block_1_`` … ``block_16_``) between ``Conv1`` and ``Conv_1``, ReLU6 throughout.

    Args:
        alpha: Width multiplier (1.0: 3.5 M parameters).
        name: The model's name (default ``mobilenetv2_{alpha:.2f}_{rows}``, as Keras).

    Other arguments as :func:`VGG16` (sides of at least 32).
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
        raise ValueError(f"MobileNetV2: alpha must be a positive number; got {alpha!r}.")
    shape = _check("MobileNetV2", weights, include_top, pooling, classes, input_shape, 224, 32)
    inputs = layers.Input(shape=shape, name="input_layer")
    x = layers.Conv2D(_make_divisible(32 * alpha), 3, strides=2, padding="same", use_bias=False, name="Conv1")(inputs)
    x = layers.ReLU(6.0, name="Conv1_relu")(_bn(x, "bn_Conv1", 1e-3, 0.999))
    for block_id, (filters, stride, expansion) in enumerate(_MOBILENET_V2_BLOCKS):
        x = _inverted_residual(x, expansion, stride, alpha, filters, block_id)
    last = _make_divisible(1280 * alpha) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, 1, use_bias=False, name="Conv_1")(x)
    x = layers.ReLU(6.0, name="out_relu")(_bn(x, "Conv_1_bn", 1e-3, 0.999))
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    name = name or f"mobilenetv2_{alpha:0.2f}_{shape[0] if shape[0] is not None else 224}"
    return _finish(x, inputs, include_top, pooling, name, weights, (None, None))

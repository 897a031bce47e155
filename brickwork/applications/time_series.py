"""Time-series classifiers of Wang, Yan & Oates (2017) and Fawaz et al. (2019)."""

from __future__ import annotations

from brickwork import layers, models


def fcn(input_shape: tuple[int, ...], num_classes: int, name: str = "fcn") -> models.Model:
    """Fully convolutional network: three Conv1D blocks (128 filters × 8, 256 × 5,
    128 × 3, ``'same'``) each with BatchNorm and ReLU, global average pooling,
    softmax — the FCN of Wang et al. 2017."""
    inp = layers.Input(shape=input_shape)
    x = inp
    for filters, size in ((128, 8), (256, 5), (128, 3)):
        x = layers.Conv1D(filters, size, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling1D()(x)
    return models.Model(inp, layers.Dense(num_classes, activation="softmax")(x), name=name)


def resnet1d(input_shape: tuple[int, ...], num_classes: int, filters: int = 64, name: str = "resnet1d") -> models.Model:
    """Residual network for time series (Wang et al. 2017; Fawaz et al. 2019): three
    blocks of Conv1D(8) → BN → ReLU → Conv1D(5) → BN → ReLU → Conv1D(3) → BN, with
    64, 128 and 128 filters; the shortcut is a 1×1 convolution + BN when the width
    changes and BN otherwise; ReLU after the addition; global average pooling; softmax."""
    inp = layers.Input(shape=input_shape)
    x = inp
    for width in (filters, filters * 2, filters * 2):
        h = x
        for size, last in ((8, False), (5, False), (3, True)):
            h = layers.Conv1D(width, size, padding="same")(h)
            h = layers.BatchNormalization()(h)
            if not last:
                h = layers.Activation("relu")(h)
        shortcut = layers.Conv1D(width, 1, padding="same")(x) if x.shape[-1] != width else x
        shortcut = layers.BatchNormalization()(shortcut)
        x = layers.Activation("relu")(layers.Add()([h, shortcut]))
    x = layers.GlobalAveragePooling1D()(x)
    return models.Model(inp, layers.Dense(num_classes, activation="softmax")(x), name=name)

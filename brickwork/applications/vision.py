"""Small image classifiers assembled from the blocks."""

from __future__ import annotations

from brickwork import layers, models
from brickwork.applications.blocks import inception_block, residual_block


def small_cnn(input_shape: tuple[int, ...] = (28, 28, 1), num_classes: int = 10, filters: tuple[int, int] = (32, 64),
              dropout: float = 0.0, name: str = "small_cnn") -> models.Model:
    """Seed 001's convnet: Conv(32, 3×3) → MaxPool → Conv(64, 3×3) → MaxPool → Flatten → Dense(softmax)."""
    x = inp = layers.Input(shape=input_shape)
    for f in filters:
        x = layers.Conv2D(f, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    if dropout:
        x = layers.Dropout(dropout)(x)
    return models.Model(inp, layers.Dense(num_classes, activation="softmax")(x), name=name)


def small_resnet(input_shape: tuple[int, ...] = (32, 32, 3), num_classes: int = 10,
                 stages: tuple[int, ...] = (16, 32, 64), blocks_per_stage: int = 1,
                 name: str = "small_resnet") -> models.Model:
    """Conv(16, 3×3) → BN → ReLU → residual stages (stride 2 between stages) → GAP → Dense(softmax)."""
    inp = layers.Input(shape=input_shape)
    x = layers.Conv2D(stages[0], 3, padding="same")(inp)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    for i, f in enumerate(stages):
        for j in range(blocks_per_stage):
            x = residual_block(x, f, strides=2 if (i > 0 and j == 0) else 1)
    x = layers.GlobalAveragePooling2D()(x)
    return models.Model(inp, layers.Dense(num_classes, activation="softmax")(x), name=name)


def small_inception(input_shape: tuple[int, ...] = (32, 32, 3), num_classes: int = 10,
                    name: str = "small_inception") -> models.Model:
    """Conv(32, 3×3) → MaxPool → two Inception blocks → GAP → Dense(softmax)."""
    inp = layers.Input(shape=input_shape)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(inp)
    x = layers.MaxPooling2D()(x)
    x = inception_block(x, 16, 16, 24, 4, 8, 8)
    x = inception_block(x, 24, 24, 32, 8, 16, 16)
    x = layers.GlobalAveragePooling2D()(x)
    return models.Model(inp, layers.Dense(num_classes, activation="softmax")(x), name=name)

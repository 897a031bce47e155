"""Reusable building blocks of the "revolution of depth" (seed 001): the residual
block of ResNet and the multi-branch block of Inception, as Functional-API builders."""

from __future__ import annotations

from typing import Any

from brickwork import layers


def residual_block(x: Any, filters: int, kernel_size: int = 3, strides: int = 1, use_bias: bool = True,
                   name: str | None = None) -> Any:
    r"""ResNet's basic block (He et al. 2016): :math:`y = \mathrm{relu}(F(x) + s(x))`.

    ``F`` is conv → BN → ReLU → conv → BN (both ``kernel_size``, ``'same'``);
    the shortcut ``s`` is the identity when the shape is kept, otherwise a 1×1
    convolution with ``strides`` and BN. Works on 2-D (images) and 1-D
    (sequences) inputs alike.
    """
    conv = layers.Conv2D if len(x.shape) == 4 else layers.Conv1D
    p = (name + "_") if name else ""
    h = conv(filters, kernel_size, strides=strides, padding="same", use_bias=use_bias,
             name=f"{p}conv1" if name else None)(x)
    h = layers.BatchNormalization(name=f"{p}bn1" if name else None)(h)
    h = layers.Activation("relu", name=f"{p}relu1" if name else None)(h)
    h = conv(filters, kernel_size, padding="same", use_bias=use_bias, name=f"{p}conv2" if name else None)(h)
    h = layers.BatchNormalization(name=f"{p}bn2" if name else None)(h)
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = conv(filters, 1, strides=strides, use_bias=use_bias, name=f"{p}proj" if name else None)(x)
        shortcut = layers.BatchNormalization(name=f"{p}proj_bn" if name else None)(shortcut)
    out = layers.Add(name=f"{p}add" if name else None)([h, shortcut])
    return layers.Activation("relu", name=f"{p}out" if name else None)(out)


def inception_block(x: Any, filters_1x1: int, filters_3x3_reduce: int, filters_3x3: int, filters_5x5_reduce: int,
                    filters_5x5: int, filters_pool_proj: int, name: str | None = None) -> Any:
    """GoogLeNet's Inception module (Szegedy et al. 2015): four parallel branches
    concatenated along the channels — 1×1; 1×1 → 3×3; 1×1 → 5×5; 3×3 max-pool → 1×1,
    every convolution ``'same'`` with ReLU."""
    p = (name + "_") if name else ""

    def conv(f: int, k: int, tag: str) -> Any:
        return layers.Conv2D(f, k, padding="same", activation="relu", name=f"{p}{tag}" if name else None)

    b1 = conv(filters_1x1, 1, "1x1")(x)
    b3 = conv(filters_3x3, 3, "3x3")(conv(filters_3x3_reduce, 1, "3x3_reduce")(x))
    b5 = conv(filters_5x5, 5, "5x5")(conv(filters_5x5_reduce, 1, "5x5_reduce")(x))
    pooled = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{p}pool" if name else None)(x)
    bp = conv(filters_pool_proj, 1, "pool_proj")(pooled)
    return layers.Concatenate(axis=-1, name=f"{p}concat" if name else None)([b1, b3, b5, bp])

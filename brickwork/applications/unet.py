"""U-Net (Ronneberger, Fischer and Brox, 2015): an encoder-decoder for per-pixel segmentation.

The contracting path repeats ``[Conv 3×3 → BatchNorm → ReLU] × 2`` and a 2×2 max-pool, doubling the filters at
each level; the bottom level has no pool. The expanding path mirrors it: each level upsamples by 2 (a learned
2×2 ``Conv2DTranspose`` or a fixed ``UpSampling2D`` followed by a 2×2 conv), **concatenates** the feature map of
the same resolution from the contracting path (the skip connection that gives U-Net its fine boundaries)
and applies the double conv block again. A 1×1 conv maps the last features to ``num_classes`` scores per pixel.

Unlike the paper (valid convolutions and cropped skips, a 572→388 output), every conv here is ``"same"``
padded, so the mask has the input's height and width, which must then be divisible by ``2 ** (levels - 1)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from brickwork import layers, models

UPSAMPLING = ("transpose", "nearest")


def _double_conv(x: object, filters: int, batch_norm: bool, momentum: float, name: str) -> object:
    for k in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=not batch_norm, name=f"{name}_conv{k}")(x)
        if batch_norm:
            x = layers.BatchNormalization(momentum=momentum, name=f"{name}_bn{k}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{k}")(x)
    return x


def unet(input_shape: Sequence[int], num_classes: int = 1, filters: Sequence[int] | int = (16, 32, 64),
         depth: int | None = None, upsampling: str = "transpose", batch_norm: bool = True, bn_momentum: float = 0.9,
         dropout: float = 0.0,
         output_activation: str | None = "auto", name: str = "unet") -> models.Model:
    """Build a U-Net as a Functional model mapping ``(n, H, W, C)`` images to ``(n, H, W, num_classes)``.

    Args:
        input_shape: ``(height, width, channels)``; height and width must be divisible by
            ``2 ** (len(filters) - 1)``.
        num_classes: output channels: 1 for a binary mask (sigmoid), or the number of classes (softmax).
        filters: filters per level from the top (e.g. ``(16, 32, 64)``: two pools, a 64-filter bottom), or
            one integer ``f`` with ``depth`` levels of ``f, 2f, 4f, ...`` (the paper is ``filters=64, depth=5``).
        depth: number of levels when ``filters`` is an integer (default 4).
        upsampling: ``"transpose"`` (2×2 stride-2 ``Conv2DTranspose``, the paper's up-convolution) or
            ``"nearest"`` (``UpSampling2D`` then a 2×2 conv).
        batch_norm: put ``BatchNormalization`` between each conv and its ReLU.
        bn_momentum: momentum of the moving statistics that BatchNormalization uses at inference. The default
            0.9 (Keras's layer default is 0.99) lets them catch up with the weights within the few hundred
            steps of a short training run; with 0.99 the inference-mode masks lag far behind the training ones.
        dropout: dropout rate applied to the bottom level's features (0 for none).
        output_activation: ``"auto"`` is sigmoid for one class and softmax otherwise; ``None`` gives logits.
        name: model name and prefix of the layer names.

    Returns:
        The uncompiled model; its layers are named ``{name}_down{i}_*``, ``{name}_bottom_*``, ``{name}_up{i}_*``
        (with ``{name}_skip{i}`` the concatenations) and ``{name}_output``.
    """
    input_shape = tuple(int(s) for s in input_shape)
    if len(input_shape) != 3 or min(input_shape) < 1:
        raise ValueError(f"unet: input_shape must be (height, width, channels) of positive sizes, "
                         f"got {input_shape!r}.")
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"unet: num_classes must be a positive integer, got {num_classes!r}.")
    if isinstance(filters, int):
        depth = 4 if depth is None else depth
        if not isinstance(depth, int) or depth < 1:
            raise ValueError(f"unet: depth must be a positive integer, got {depth!r}.")
        filters = tuple(filters * 2 ** i for i in range(depth))
    elif depth is not None and depth != len(filters):
        raise ValueError(f"unet: depth={depth!r} disagrees with the {len(filters)} levels of filters={filters!r}.")
    filters = tuple(filters)
    if not filters or any(not isinstance(f, int) or f < 1 for f in filters):
        raise ValueError(f"unet: filters must be positive integers, got {filters!r}.")
    if upsampling not in UPSAMPLING:
        raise ValueError(f"unet: upsampling must be one of {UPSAMPLING}, got {upsampling!r}.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"unet: dropout must be in [0, 1), got {dropout!r}.")
    factor = 2 ** (len(filters) - 1)
    height, width, _ = input_shape
    if height % factor or width % factor:
        raise ValueError(f"unet: input_shape {input_shape!r} must have height and width divisible by "
                         f"2 ** (levels - 1) = {factor} for {len(filters)} levels; pad or crop the images, or use "
                         "fewer levels.")
    if output_activation == "auto":
        output_activation = "sigmoid" if num_classes == 1 else "softmax"

    inputs = layers.Input(shape=input_shape, name=f"{name}_input")
    x = inputs
    skips = []
    for i, f in enumerate(filters[:-1]):
        x = _double_conv(x, f, batch_norm, bn_momentum, f"{name}_down{i}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"{name}_down{i}_pool")(x)
    x = _double_conv(x, filters[-1], batch_norm, bn_momentum, f"{name}_bottom")
    if dropout:
        x = layers.Dropout(dropout, name=f"{name}_bottom_dropout")(x)
    for i in reversed(range(len(filters) - 1)):
        f = filters[i]
        if upsampling == "transpose":
            x = layers.Conv2DTranspose(f, 2, strides=2, padding="same", name=f"{name}_up{i}_upconv")(x)
        else:
            x = layers.UpSampling2D(2, interpolation=upsampling, name=f"{name}_up{i}_upsample")(x)
            x = layers.Conv2D(f, 2, padding="same", name=f"{name}_up{i}_upconv")(x)
        x = layers.Concatenate(axis=-1, name=f"{name}_skip{i}")([skips[i], x])
        x = _double_conv(x, f, batch_norm, bn_momentum, f"{name}_up{i}")
    outputs = layers.Conv2D(num_classes, 1, activation=output_activation, name=f"{name}_output")(x)
    return models.Model(inputs, outputs, name=name)

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


def time_series_transformer(input_shape: tuple[int, ...], num_classes: int, head_size: int = 64,
                            num_heads: int = 4, ff_dim: int = 4, num_blocks: int = 4,
                            mlp_units: tuple[int, ...] = (128,), dropout: float = 0.25, mlp_dropout: float = 0.4,
                            name: str = "time_series_transformer") -> models.Model:
    r"""A Transformer encoder classifier for time series, the architecture of keras-io's
    "Timeseries classification with a Transformer model" (after Vaswani et al. 2017).

    Every time step :math:`x_t \in \mathbb{R}^{C}` is a token. Each of ``num_blocks`` pre-LN blocks computes

    .. math::

        r = x + \mathrm{drop}\big(\mathrm{MHA}(\mathrm{LN}(x), \mathrm{LN}(x))\big), \qquad
        x \leftarrow r + W_2\,\mathrm{drop}\big(\mathrm{ReLU}(W_1\,\mathrm{LN}(r))\big),

    with ``num_heads`` heads of size ``head_size`` and a position-wise feed-forward network of width
    ``ff_dim`` (1×1 convolutions). The sequence is then averaged over its *channels* (keras-io's
    ``GlobalAveragePooling1D(data_format='channels_first')``: one value per time step), passed through a ReLU
    MLP with ``mlp_dropout`` and a softmax. There is no positional encoding: order enters only through the
    position-specific weights of the first MLP layer.

    Input shape: ``(batch, T, C)``. Output shape: ``(batch, num_classes)`` probabilities.
    """
    for label, value in (("num_classes", num_classes), ("head_size", head_size), ("num_heads", num_heads),
                         ("ff_dim", ff_dim), ("num_blocks", num_blocks)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"time_series_transformer: {label} must be a positive integer; got {value!r}.")
    if len(tuple(input_shape)) != 2:
        raise ValueError(f"time_series_transformer: input_shape must be (timesteps, channels); got {input_shape}.")
    inp = layers.Input(shape=input_shape)
    x = inp
    channels = int(input_shape[-1])
    for _ in range(num_blocks):
        h = layers.LayerNormalization(epsilon=1e-6)(x)
        h = layers.MultiHeadAttention(num_heads=num_heads, key_dim=head_size, dropout=dropout)(h, h)
        r = layers.Dropout(dropout)(h) + x
        h = layers.LayerNormalization(epsilon=1e-6)(r)
        h = layers.Conv1D(ff_dim, 1, activation="relu")(h)
        h = layers.Dropout(dropout)(h)
        x = layers.Conv1D(channels, 1)(h) + r
    x = layers.GlobalAveragePooling1D(data_format="channels_first")(x)
    for units in mlp_units:
        x = layers.Dropout(mlp_dropout)(layers.Dense(units, activation="relu")(x))
    return models.Model(inp, layers.Dense(num_classes, activation="softmax")(x), name=name)

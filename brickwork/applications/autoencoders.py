"""Autoencoder builders: an encoder to a low-dimensional code and a decoder back, as Functional models.

An autoencoder learns ``x̂ = g(f(x))`` with an encoder ``f`` and a decoder ``g`` by minimising the
reconstruction error, here the mean squared error per pixel ``(1/D) Σ_i (x_i - x̂_i)²``. With no
activations (``activation=None``, ``output_activation=None``) the model is linear and its optimum spans the
same subspace as the leading principal components (Baldi and Hornik, 1989); with nonlinear layers it can beat
PCA at the same code size.
"""

from __future__ import annotations

from collections.abc import Sequence

from brickwork import layers, models


def dense_autoencoder(input_dim: int, code_dim: int = 2, hidden: Sequence[int] = (512, 128),
                      activation: str | None = "relu", output_activation: str | None = "sigmoid",
                      code_activation: str | None = None,
                      name: str = "autoencoder") -> tuple[models.Model, models.Model, models.Model]:
    """A fully connected autoencoder ``input_dim → hidden... → code_dim → reversed(hidden)... → input_dim``.

    Args:
        input_dim: number of input features ``D`` (e.g. 784 for flattened 28×28 images).
        code_dim: size of the bottleneck code.
        hidden: encoder hidden widths; the decoder mirrors them.
        activation: hidden-layer activation (``None`` for a linear autoencoder).
        output_activation: ``"sigmoid"`` for pixels in [0, 1], ``None`` for unbounded data.
        code_activation: activation of the code layer (linear by default).
        name: prefix of the three models' names.

    Returns:
        ``(autoencoder, encoder, decoder)``: ``encoder`` maps ``(n, input_dim) → (n, code_dim)``,
        ``decoder`` maps ``(n, code_dim) → (n, input_dim)``, and ``autoencoder`` is the two chained,
        sharing their weights (train the autoencoder, then use the encoder for codes).
    """
    _check_dims("dense_autoencoder", input_dim=input_dim, code_dim=code_dim, **{f"hidden[{i}]": h
                                                                               for i, h in enumerate(hidden)})
    inp = layers.Input(shape=(input_dim,), name=f"{name}_input")
    x = inp
    for i, width in enumerate(hidden):
        x = layers.Dense(width, activation=activation, name=f"{name}_enc_{i}")(x)
    code = layers.Dense(code_dim, activation=code_activation, name=f"{name}_code")(x)
    encoder = models.Model(inp, code, name=f"{name}_encoder")

    code_in = layers.Input(shape=(code_dim,), name=f"{name}_code_input")
    y = code_in
    for i, width in enumerate(reversed(tuple(hidden))):
        y = layers.Dense(width, activation=activation, name=f"{name}_dec_{i}")(y)
    out = layers.Dense(input_dim, activation=output_activation, name=f"{name}_reconstruction")(y)
    decoder = models.Model(code_in, out, name=f"{name}_decoder")

    autoencoder = models.Model(inp, decoder(encoder(inp)), name=name)
    return autoencoder, encoder, decoder


def conv_autoencoder(input_shape: tuple[int, int, int] = (28, 28, 1), code_dim: int = 2,
                     filters: Sequence[int] = (32, 64), activation: str = "relu",
                     output_activation: str | None = "sigmoid",
                     name: str = "conv_autoencoder") -> tuple[models.Model, models.Model, models.Model]:
    """A convolutional autoencoder: strided ``Conv2D`` (3×3, stride 2) blocks → Dense code, and a
    ``Dense → Reshape → Conv2DTranspose`` (3×3, stride 2) decoder back to ``input_shape``.

    Height and width must be divisible by ``2 ** len(filters)``. Returns ``(autoencoder, encoder, decoder)``
    as :func:`dense_autoencoder`.
    """
    if len(input_shape) != 3:
        raise ValueError(f"conv_autoencoder: input_shape must be (height, width, channels), got {input_shape!r}.")
    _check_dims("conv_autoencoder", code_dim=code_dim, channels=input_shape[2],
                **{f"filters[{i}]": f for i, f in enumerate(filters)})
    height, width, channels = input_shape
    factor = 2 ** len(filters)
    if height % factor or width % factor:
        raise ValueError(f"conv_autoencoder: input_shape {input_shape!r} must have height and width divisible by "
                         f"2 ** len(filters) = {factor}.")
    inp = layers.Input(shape=input_shape, name=f"{name}_input")
    x = inp
    for i, f in enumerate(filters):
        x = layers.Conv2D(f, 3, strides=2, padding="same", activation=activation, name=f"{name}_enc_{i}")(x)
    x = layers.Flatten()(x)
    code = layers.Dense(code_dim, name=f"{name}_code")(x)
    encoder = models.Model(inp, code, name=f"{name}_encoder")

    small = (height // factor, width // factor, filters[-1])
    code_in = layers.Input(shape=(code_dim,), name=f"{name}_code_input")
    y = layers.Dense(small[0] * small[1] * small[2], activation=activation, name=f"{name}_dec_dense")(code_in)
    y = layers.Reshape(small)(y)
    for i, f in enumerate(reversed(tuple(filters))):
        y = layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation=activation,
                                   name=f"{name}_dec_{i}")(y)
    out = layers.Conv2D(channels, 3, padding="same", activation=output_activation, name=f"{name}_reconstruction")(y)
    decoder = models.Model(code_in, out, name=f"{name}_decoder")

    autoencoder = models.Model(inp, decoder(encoder(inp)), name=name)
    return autoencoder, encoder, decoder


def _check_dims(where: str, **dims: int) -> None:
    for arg, value in dims.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{where}: {arg} must be a positive integer, got {value!r}.")

"""Generative adversarial network (Goodfellow et al., 2014) trained with plain ``fit``, and DCGAN-style builders
(Radford et al., 2016) for 28×28×1 images.

A generator ``G`` maps noise ``z ~ N(0, I)`` to images; a discriminator ``D`` outputs a logit
``D(x)``, with ``σ(D(x))`` the probability that ``x`` is real. They play the minimax game

    min_G max_D  V(D, G) = E_x[log σ(D(x))] + E_z[log(1 − σ(D(G(z))))].

Each ``train_step`` alternates one update of each player on one batch of real images:

1. discriminator step — minimise the binary cross-entropy with real images labelled 1 and generated ones 0,
   ``L_D = −[log σ(D(x)) + log(1 − σ(D(G(z))))]`` (that is, ascend ``V``), with ``G`` held fixed;
2. generator step — minimise the *non-saturating* loss ``L_G = −log σ(D(G(z)))`` (generated images labelled
   "real"), with ``D`` held fixed. It has the same fixed point as minimising ``log(1 − σ(D(G(z))))`` but strong
   gradients early on, when ``D`` rejects every sample and ``log(1 − σ(·))`` is flat.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from brickwork import layers, losses, metrics, models, ops
from brickwork import optimizers as optimizers_module
from brickwork import random as bw_random
from brickwork.engine.config import no_grad
from brickwork.engine.tensor import Tensor
from brickwork.models.data_adapter import unpack_x_y_sample_weight
from brickwork.models.model import Model


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{what} must be a positive int, got {value!r}.")
    return int(value)


class GAN(Model):
    """A generator and a discriminator trained against each other by ``fit`` (see the module docstring).

    Args:
        generator: a model mapping ``(batch, latent_dim)`` noise to images.
        discriminator: a model mapping images to one logit per image, ``(batch, 1)`` (no sigmoid, for the default
            ``loss_fn``; pass ``BinaryCrossentropy()`` to ``compile`` for a sigmoid output).
        latent_dim: size of the noise vector ``z`` (> 0).
        label_noise: real images are labelled ``1 − u`` and generated ones ``u``, ``u ~ U(0, label_noise)``, in the
            discriminator step (keras-io's "important trick"; 0 turns it off).
        seed: seed of the noise and label-noise stream.

    Use ``compile(d_optimizer, g_optimizer, loss_fn)`` then ``fit(images)``; History logs ``d_loss`` and ``g_loss``.
    """

    def __init__(self, generator: Model, discriminator: Model, latent_dim: int, label_noise: float = 0.05,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.latent_dim = _positive_int(latent_dim, "GAN: latent_dim")
        if not callable(generator) or not callable(discriminator):
            raise TypeError("GAN: generator and discriminator must be models; got "
                            f"{type(generator).__name__} and {type(discriminator).__name__}.")
        if not 0.0 <= float(label_noise) < 0.5:
            raise ValueError(f"GAN: label_noise must be in [0, 0.5), got {label_noise!r}.")
        self.generator = generator
        self.discriminator = discriminator
        self.label_noise = float(label_noise)
        self.seed_generator = bw_random.SeedGenerator(seed)
        self.d_loss_tracker = metrics.Mean(name="d_loss")
        self.g_loss_tracker = metrics.Mean(name="g_loss")
        self.built = True

    @property
    def metrics(self) -> list[Any]:
        """The two loss trackers, reset by ``fit`` at each epoch."""
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer: Any = None, g_optimizer: Any = None, loss_fn: Any = None,
                **kwargs: Any) -> None:
        """Set the two players' optimizers (names or instances; they must be two objects) and the loss
        (``BinaryCrossentropy(from_logits=True)`` by default)."""
        if d_optimizer is None or g_optimizer is None:
            missing = [n for n, o in (("d_optimizer", d_optimizer), ("g_optimizer", g_optimizer)) if o is None]
            raise ValueError(f"GAN.compile needs two optimizers, d_optimizer and g_optimizer; missing: "
                             f"{', '.join(missing)}" + (f" (got {sorted(kwargs)})" if kwargs else "") + ".")
        if kwargs:
            raise TypeError(f"GAN.compile() got unexpected keyword arguments {sorted(kwargs)}.")
        if d_optimizer is g_optimizer and not isinstance(d_optimizer, str):
            raise ValueError("GAN.compile: d_optimizer and g_optimizer must be two optimizer objects (one optimizer "
                             "would share its step count and slots between the players).")
        super().compile()
        self.d_optimizer = optimizers_module.get(d_optimizer)
        self.g_optimizer = optimizers_module.get(g_optimizer)  # a name gives a new instance each time
        self.loss_fn = losses.BinaryCrossentropy(from_logits=True) if loss_fn is None else losses.get(loss_fn)

    def call(self, inputs: Any, training: bool = False) -> Tensor:
        """Images generated from the noise ``inputs``."""
        return self.generator(inputs, training=training)

    # ------------------------------------------------------------ steps
    def _noise(self, n: int, dtype: Any) -> Tensor:
        return bw_random.normal((n, self.latent_dim), dtype=dtype, seed=self.seed_generator)

    def discriminator_step(self, real_images: Any) -> Tensor:
        """One update of ``D`` on real images (label 1) and as many generated ones (label 0); returns ``L_D``."""
        real = real_images if isinstance(real_images, Tensor) else Tensor(np.asarray(real_images))
        n = int(real.shape[0])
        with no_grad():  # G is fixed here: no graph through it
            fake = self.generator(self._noise(n, real.dtype), training=True)
        images = ops.concatenate([real, ops.cast(fake, real.dtype)], axis=0)
        labels = np.concatenate([np.ones((n, 1)), np.zeros((n, 1))]).astype(real.dtype)
        if self.label_noise:
            u = self.label_noise * bw_random.uniform((2 * n, 1), dtype=real.dtype, seed=self.seed_generator).data
            labels = labels + np.where(labels > 0.5, -u, u)
        variables = self.discriminator.trainable_weights
        self._zero(variables)
        d_loss = self.loss_fn(labels, self.discriminator(images, training=True))
        d_loss.backward()
        self.d_optimizer.apply([v.grad for v in variables], variables)
        return d_loss

    def generator_step(self, batch_size: int, dtype: Any = "float32") -> Tensor:
        """One update of ``G`` with the non-saturating loss ``−log σ(D(G(z)))``; ``D`` is not updated."""
        variables = self.generator.trainable_weights
        self._zero(variables)
        predictions = self.discriminator(self.generator(self._noise(batch_size, dtype), training=True),
                                         training=True)
        g_loss = self.loss_fn(np.ones((batch_size, 1), dtype=dtype), predictions)
        g_loss.backward()
        self.g_optimizer.apply([v.grad for v in variables], variables)
        self._zero(self.discriminator.trainable_weights)  # D's gradients from this step are not D's to use
        return g_loss

    @staticmethod
    def _zero(variables: Sequence[Any]) -> None:
        for v in variables:
            v.grad = None

    def train_step(self, data: Any) -> dict[str, float]:
        """A discriminator step then a generator step on one batch; returns the running ``d_loss``/``g_loss``."""
        real, _, _ = unpack_x_y_sample_weight(data)
        real = real if isinstance(real, Tensor) else Tensor(np.asarray(real))
        n = int(real.shape[0])
        d_loss = self.discriminator_step(real)
        g_loss = self.generator_step(n, dtype=real.dtype)
        self.d_loss_tracker.update_state(float(d_loss.data))
        self.g_loss_tracker.update_state(float(g_loss.data))
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

    def generate(self, n: int, seed: int | None = None, batch_size: int = 256) -> np.ndarray:
        """``n`` generated images (inference mode) from ``z ~ N(0, I)`` drawn with ``seed``."""
        n = _positive_int(n, "GAN.generate: n")
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)
        return np.asarray(self.generator.predict(z, batch_size=batch_size, verbose=0))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "latent_dim": self.latent_dim, "label_noise": self.label_noise}


def dcgan_generator(latent_dim: int = 128, filters: Sequence[int] = (128, 64), batch_norm: bool = True,
                    name: str = "generator") -> models.Model:
    """DCGAN generator for 28×28×1 images in [0, 1]: ``Dense(7·7·filters[0])`` → reshape to 7×7 →
    ``Conv2DTranspose(filters[1])`` (4×4, stride 2; 7 → 14) with LeakyReLU(0.2) → ``Conv2DTranspose(1)``
    (4×4, stride 2; 14 → 28) with a sigmoid, BatchNormalization after the hidden layers (as in DCGAN).

    Args:
        latent_dim: size of the input noise (> 0).
        filters: channels of the 7×7 and of the 14×14 feature maps.
        batch_norm: BatchNormalization after the dense layer and the first transposed convolution.
        name: the model's name.
    """
    latent_dim = _positive_int(latent_dim, "dcgan_generator: latent_dim")
    if len(filters) != 2:
        raise ValueError(f"dcgan_generator: filters must be two channel counts, got {filters!r}.")
    f0, f1 = (_positive_int(f, f"dcgan_generator: filters[{i}]") for i, f in enumerate(filters))
    z = layers.Input(shape=(latent_dim,), name=f"{name}_noise")
    x = layers.Dense(7 * 7 * f0, name=f"{name}_dense")(z)
    if batch_norm:
        x = layers.BatchNormalization(name=f"{name}_bn0")(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.Reshape((7, 7, f0))(x)
    x = layers.Conv2DTranspose(f1, 4, strides=2, padding="same", name=f"{name}_deconv1")(x)
    if batch_norm:
        x = layers.BatchNormalization(name=f"{name}_bn1")(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    out = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid", name=f"{name}_image")(x)
    return models.Model(z, out, name=name)


def dcgan_discriminator(filters: Sequence[int] = (64, 128), dropout: float = 0.3,
                        name: str = "discriminator") -> models.Model:
    """DCGAN discriminator for 28×28×1 images: two strided ``Conv2D`` (4×4, stride 2; 28 → 14 → 7) with
    LeakyReLU(0.2) and Dropout → Flatten → ``Dense(1)``, one logit per image (no BatchNormalization, so
    a generator step changes nothing in it)."""
    if len(filters) != 2:
        raise ValueError(f"dcgan_discriminator: filters must be two channel counts, got {filters!r}.")
    f0, f1 = (_positive_int(f, f"dcgan_discriminator: filters[{i}]") for i, f in enumerate(filters))
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dcgan_discriminator: dropout must be in [0, 1), got {dropout!r}.")
    inp = layers.Input(shape=(28, 28, 1), name=f"{name}_image")
    x = inp
    for i, f in enumerate((f0, f1)):
        x = layers.Conv2D(f, 4, strides=2, padding="same", name=f"{name}_conv{i}")(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    out = layers.Dense(1, name=f"{name}_logit")(x)
    return models.Model(inp, out, name=name)

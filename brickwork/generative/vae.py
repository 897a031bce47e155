"""Variational autoencoder (Kingma and Welling, 2014): an encoder to ``q(z|x) = N(μ, diag σ²)``, a decoder to
``p(x|z)``, trained by maximising the evidence lower bound (ELBO) with the reparameterisation trick.

For one image ``x`` with ``D`` pixels in [0, 1] and a ``d``-dimensional code:

    log p(x) ≥ ELBO(x) = E_{q(z|x)}[log p(x|z)] − KL(q(z|x) || N(0, I))

The loss minimised is the negative ELBO, weighted by ``β`` (β-VAE, Higgins et al. 2017; ``β = 1`` is the VAE):

    L(x) = reconstruction + β · KL
    reconstruction = −Σ_i [x_i log x̂_i + (1 − x_i) log(1 − x̂_i)]     (Bernoulli decoder, BCE summed over pixels)
    KL = −½ Σ_j (1 + log σ_j² − μ_j² − σ_j²)                          (closed form for two Gaussians)

averaged over the batch. The expectation is estimated with one sample drawn by the reparameterisation

    z = μ + σ ⊙ ε,   σ = exp(½ log σ²),   ε ~ N(0, I),

which moves the randomness into ``ε`` so that ``∂L/∂μ`` and ``∂L/∂ log σ²`` flow through ``z`` to the encoder.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from brickwork import metrics, ops
from brickwork import random as bw_random
from brickwork.engine.config import no_grad
from brickwork.engine.tensor import Tensor
from brickwork.layers.layer import Layer
from brickwork.models.data_adapter import unpack_x_y_sample_weight
from brickwork.models.model import Model

BCE_EPSILON = 1e-7  # Keras's backend epsilon: x̂ is clipped to [ε, 1 − ε] before the logarithms


class Sampling(Layer):
    """``z = μ + exp(½ log σ²) ⊙ ε`` with ``ε ~ N(0, I)``: the reparameterisation trick as a layer.

    Called on ``[z_mean, z_log_var]`` (two tensors of the same shape ``(batch, d)``), it returns ``z`` of that
    shape. The noise is drawn from its own :class:`brickwork.random.SeedGenerator`, so a seeded layer repeats.

    Args:
        seed: int for a reproducible noise stream, or None.
    """

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = bw_random.SeedGenerator(seed)

    def call(self, inputs: Any) -> Tensor:
        z_mean, z_log_var = inputs
        epsilon = bw_random.normal(ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator)
        return reparameterize(z_mean, z_log_var, epsilon)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


def reparameterize(z_mean: Any, z_log_var: Any, epsilon: Any) -> Tensor:
    """``z = μ + exp(½ log σ²) ⊙ ε`` for a given noise ``ε`` (differentiable in ``μ`` and ``log σ²``)."""
    return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def kl_divergence(z_mean: Any, z_log_var: Any) -> Tensor:
    """``KL(N(μ, diag σ²) || N(0, I)) = −½ Σ_j (1 + log σ_j² − μ_j² − σ_j²)`` per sample, shape ``(batch,)``."""
    terms = 1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)
    return -0.5 * ops.sum(terms, axis=-1)


def bernoulli_reconstruction_loss(x: Any, x_hat: Any) -> Tensor:
    """``−Σ_i [x_i log x̂_i + (1 − x_i) log(1 − x̂_i)]`` over every non-batch axis, shape ``(batch,)``.

    ``x̂`` (the decoder's sigmoid output) is clipped to ``[1e-7, 1 − 1e-7]`` as Keras's binary cross-entropy does.
    """
    x_hat = ops.clip(x_hat, BCE_EPSILON, 1.0 - BCE_EPSILON)
    per_pixel = -(x * ops.log(x_hat) + (1.0 - x) * ops.log(1.0 - x_hat))
    axes = tuple(range(1, len(ops.shape(per_pixel))))
    return ops.sum(per_pixel, axis=axes) if axes else per_pixel


class VAE(Model):
    """A variational autoencoder whose ``fit`` minimises ``reconstruction + β·KL`` (see the module docstring).

    Args:
        encoder: a model mapping ``x`` to ``(z_mean, z_log_var)`` — or to ``(z_mean, z_log_var, z)`` as keras-io's
            encoder with its own :class:`Sampling` layer does; the VAE then samples ``z`` itself in either case.
        decoder: a model mapping ``z`` to ``x̂`` with values in (0, 1) (a sigmoid output), of ``x``'s shape.
        beta: weight of the KL term (``β > 0``; 1 is the VAE, larger values the β-VAE).
        reconstruction_loss: per-sample reconstruction term ``f(x, x̂) -> (batch,)``;
            :func:`bernoulli_reconstruction_loss` (BCE summed over pixels) by default.
        seed: seed of the reparameterisation noise.

    ``fit(x)`` needs no ``y`` (the target is ``x``); ``fit(x_noisy, x_clean)`` reconstructs ``y`` instead.
    Its History logs ``loss``, ``reconstruction_loss`` and ``kl_loss`` (means over the epoch's batches).
    Calling the model returns the reconstruction decoded from ``z = μ`` (deterministic).
    """

    def __init__(self, encoder: Model, decoder: Model, beta: float = 1.0,
                 reconstruction_loss: Callable[[Any, Any], Any] | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(beta, (int, float, np.floating, np.integer)) or isinstance(beta, bool) or not beta > 0:
            raise ValueError(f"VAE: beta must be a positive number, got {beta!r}.")
        if not callable(encoder) or not callable(decoder):
            raise TypeError(f"VAE: encoder and decoder must be models (callables); got {type(encoder).__name__} "
                            f"and {type(decoder).__name__}.")
        self.encoder = encoder
        self.decoder = decoder
        self.beta = float(beta)
        self.reconstruction_loss_fn = reconstruction_loss or bernoulli_reconstruction_loss
        self.sampling = Sampling(seed=seed, name="vae_sampling")
        self.total_loss_tracker = metrics.Mean(name="loss")
        self.reconstruction_loss_tracker = metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = metrics.Mean(name="kl_loss")
        self.built = True

    @property
    def metrics(self) -> list[Any]:
        """The three trackers, reset by ``fit`` at each epoch."""
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    # ------------------------------------------------------------- model
    def encode(self, x: Any, training: bool = False) -> tuple[Tensor, Tensor]:
        """``(z_mean, z_log_var)`` of ``q(z|x)``."""
        out = self.encoder(x, training=training)
        if not isinstance(out, (list, tuple)) or len(out) not in (2, 3):
            raise ValueError(f"VAE: the encoder must return (z_mean, z_log_var) or (z_mean, z_log_var, z); got "
                             f"{type(out).__name__}{'' if not isinstance(out, (list, tuple)) else f' of {len(out)}'}.")
        z_mean, z_log_var = out[0], out[1]
        if tuple(z_mean.shape) != tuple(z_log_var.shape):
            raise ValueError(f"VAE: z_mean {tuple(z_mean.shape)} and z_log_var {tuple(z_log_var.shape)} must have "
                             "the same shape.")
        return z_mean, z_log_var

    def call(self, inputs: Any, training: bool = False) -> Tensor:
        z_mean, _ = self.encode(inputs, training=training)
        return self.decoder(z_mean, training=training)

    def compute_vae_losses(self, x: Any, target: Any = None, epsilon: Any = None,
                           training: bool = True) -> dict[str, Tensor]:
        """The batch means of the three terms: ``{'loss', 'reconstruction_loss', 'kl_loss'}``.

        ``epsilon`` fixes the reparameterisation noise (shape of ``z_mean``); by default it is drawn.
        ``target`` is what the decoder must reproduce (``x`` when None).
        """
        target = x if target is None else target
        target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
        z_mean, z_log_var = self.encode(x, training=training)
        if epsilon is None:
            z = self.sampling([z_mean, z_log_var])
        else:
            z = reparameterize(z_mean, z_log_var, epsilon)
        reconstruction = self.decoder(z, training=training)
        if tuple(reconstruction.shape) != tuple(target.shape):
            raise ValueError(f"VAE: the decoder's output {tuple(reconstruction.shape)} must have the target's shape "
                             f"{tuple(target.shape)}.")
        rec = ops.mean(self.reconstruction_loss_fn(ops.cast(target, reconstruction.dtype), reconstruction))
        kl = ops.mean(kl_divergence(z_mean, z_log_var))
        return {"loss": rec + self.beta * kl, "reconstruction_loss": rec, "kl_loss": kl}

    # ---------------------------------------------------------- training
    def train_step(self, data: Any) -> dict[str, float]:
        """One gradient step on ``reconstruction + β·KL``; returns the running means of the three terms."""
        x, y, _ = unpack_x_y_sample_weight(data)
        terms = self.compute_vae_losses(x, y, training=True)
        variables = self.trainable_weights
        self.zero_grad()
        terms["loss"].backward()
        self.apply_gradients_with_hooks([v.grad for v in variables], variables)
        return self._track(terms, x)

    def test_step(self, data: Any) -> dict[str, float]:
        """The three terms on one batch (one noise sample), without updating."""
        x, y, _ = unpack_x_y_sample_weight(data)
        with no_grad():
            terms = self.compute_vae_losses(x, y, training=False)
        return self._track(terms, x)

    def _track(self, terms: dict[str, Tensor], x: Any) -> dict[str, float]:
        n = int(np.shape(getattr(x, "data", x))[0])
        self.total_loss_tracker.update_state(float(terms["loss"].data), sample_weight=n)
        self.reconstruction_loss_tracker.update_state(float(terms["reconstruction_loss"].data), sample_weight=n)
        self.kl_loss_tracker.update_state(float(terms["kl_loss"].data), sample_weight=n)
        return {m.name: m.result() for m in self.metrics}

    # ---------------------------------------------------------- sampling
    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` images decoded from ``z ~ N(0, I)`` (the prior), as a NumPy array."""
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"VAE.sample: n must be a positive int, got {n!r}.")
        latent_dim = self.latent_dim
        z = np.random.default_rng(seed).standard_normal((int(n), latent_dim)).astype(np.float32)
        return np.asarray(self.decoder.predict(z, verbose=0))

    @property
    def latent_dim(self) -> int:
        """The code size ``d``, read from the decoder's input."""
        inputs = getattr(self.decoder, "inputs", None)
        if not inputs:
            raise ValueError("VAE: the decoder has no Input, so the latent size is unknown.")
        return int(inputs[0].shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta": self.beta}

"""Generative models: the variational autoencoder, generative adversarial networks and the Fréchet distance
that scores generated samples on a classifier's features."""

from brickwork.generative.frechet import (
    class_coverage,
    feature_classifier,
    frechet_distance,
    frechet_distance_from_features,
    gaussian_fit,
    sqrtm_psd,
)
from brickwork.generative.gan import GAN, dcgan_discriminator, dcgan_generator
from brickwork.generative.vae import (
    VAE,
    Sampling,
    bernoulli_reconstruction_loss,
    kl_divergence,
    reparameterize,
)

__all__ = [
    "GAN", "VAE", "Sampling", "bernoulli_reconstruction_loss", "class_coverage", "dcgan_discriminator",
    "dcgan_generator", "feature_classifier", "frechet_distance", "frechet_distance_from_features", "gaussian_fit",
    "kl_divergence", "reparameterize", "sqrtm_psd",
]

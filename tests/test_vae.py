"""The VAE: the KL term against its closed form (PyTorch's) and a Monte-Carlo estimate, the reconstruction term
against PyTorch's BCE, the reparameterised gradient reaching the encoder (finite differences in float64), the
train_step's logs, a tiny VAE's loss falling, the Sampling layer's distribution, and the errors."""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest
import torch

import brickwork as bw
from brickwork import layers
from brickwork.generative import (
    VAE,
    Sampling,
    bernoulli_reconstruction_loss,
    kl_divergence,
    reparameterize,
)

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


def tiny_vae(input_dim=6, latent_dim=2, hidden=5, dtype=None, beta=1.0, seed=0):
    bw.set_seed(seed)
    kw = {} if dtype is None else {"dtype": dtype}
    inp = bw.Input(shape=(input_dim,), dtype=dtype or "float32")
    h = layers.Dense(hidden, activation="tanh", **kw)(inp)
    z_mean = layers.Dense(latent_dim, name="z_mean", **kw)(h)
    z_log_var = layers.Dense(latent_dim, name="z_log_var", **kw)(h)
    encoder = bw.Model(inp, [z_mean, z_log_var], name="encoder")
    z_in = bw.Input(shape=(latent_dim,), dtype=dtype or "float32")
    out = layers.Dense(input_dim, activation="sigmoid", **kw)(layers.Dense(hidden, activation="tanh", **kw)(z_in))
    decoder = bw.Model(z_in, out, name="decoder")
    return VAE(encoder, decoder, beta=beta, seed=seed)


def patterns01(n=300, seed=0):
    """``n`` 64-pixel images in [0, 1]: one of four random binary prototypes with 10% of pixels flipped."""
    rng = np.random.default_rng(seed)
    prototypes = rng.random((4, 64)) < 0.5
    x = prototypes[rng.integers(0, 4, n)] ^ (rng.random((n, 64)) < 0.1)
    return x.astype(np.float32)


# ------------------------------------------------------------------ the two ELBO terms
def test_kl_matches_the_closed_form_of_two_gaussians():
    rng = np.random.default_rng(0)
    mu, log_var = rng.normal(size=(7, 3)), rng.normal(scale=0.7, size=(7, 3))
    q = torch.distributions.Normal(torch.tensor(mu), torch.tensor(np.exp(0.5 * log_var)))
    p = torch.distributions.Normal(torch.zeros(7, 3, dtype=torch.float64), torch.ones(7, 3, dtype=torch.float64))
    expected = torch.distributions.kl_divergence(q, p).sum(-1).numpy()
    got = kl_divergence(bw.Tensor(mu), bw.Tensor(log_var)).data
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # and at q = N(0, I) it is 0
    np.testing.assert_allclose(kl_divergence(bw.Tensor(np.zeros((2, 4))), bw.Tensor(np.zeros((2, 4)))).data, 0.0)


def test_kl_matches_a_monte_carlo_estimate():
    # KL(q || p) = E_q[log q(z) - log p(z)], estimated with 400,000 draws of z = mu + sigma * eps
    mu, log_var = np.array([0.8, -0.3]), np.array([-0.5, 0.4])
    sigma = np.exp(0.5 * log_var)
    eps = np.random.default_rng(1).standard_normal((400_000, 2))
    z = mu + sigma * eps
    log_q = -0.5 * (eps ** 2 + np.log(2 * np.pi) + log_var)
    log_p = -0.5 * (z ** 2 + np.log(2 * np.pi))
    samples = (log_q - log_p).sum(-1)
    estimate, stderr = samples.mean(), samples.std() / np.sqrt(len(samples))
    closed = float(kl_divergence(bw.Tensor(mu[None]), bw.Tensor(log_var[None])).data[0])
    assert abs(closed - estimate) < 4 * stderr, (closed, estimate, stderr)


def test_reconstruction_is_bce_summed_over_pixels():
    rng = np.random.default_rng(2)
    x = rng.random((4, 5, 5, 1))
    x_hat = rng.uniform(0.01, 0.99, size=(4, 5, 5, 1))
    expected = torch.nn.functional.binary_cross_entropy(torch.tensor(x_hat), torch.tensor(x), reduction="none")
    got = bernoulli_reconstruction_loss(bw.Tensor(x), bw.Tensor(x_hat)).data
    np.testing.assert_allclose(got, expected.sum(dim=(1, 2, 3)).numpy(), rtol=1e-10)
    # a saturated decoder output stays finite (clipped at 1e-7 as Keras does)
    edge = bernoulli_reconstruction_loss(bw.Tensor(np.array([[1.0, 0.0]])), bw.Tensor(np.array([[0.0, 1.0]]))).data
    np.testing.assert_allclose(edge, [2 * -np.log(1e-7)], rtol=0.01)  # (the bounds are float32 constants)


# ------------------------------------------------------------------ the reparameterisation trick
def test_reparameterised_gradient_reaches_the_encoder_float64():
    vae = tiny_vae(dtype="float64")
    rng = np.random.default_rng(3)
    x = rng.random((5, 6))
    eps = rng.standard_normal((5, 2))
    params = vae.encoder.trainable_weights

    def loss(x_t):
        return vae.compute_vae_losses(x_t, epsilon=eps)["loss"]

    result = bw.gradcheck(loss, x, params=params, wrt=[], rtol=1e-6)
    assert result, str(result)
    # the reconstruction term alone reaches the log-variance layer only through z = mu + sigma * eps
    log_var_kernel = vae.encoder.get_layer("z_log_var").trainable_weights[0]
    vae.zero_grad()
    vae.compute_vae_losses(bw.Tensor(x), epsilon=eps)["reconstruction_loss"].backward()
    assert np.abs(log_var_kernel.grad).max() > 1e-4
    vae.zero_grad()
    vae.compute_vae_losses(bw.Tensor(x), epsilon=np.zeros((5, 2)))["reconstruction_loss"].backward()
    assert log_var_kernel.grad is None or np.abs(log_var_kernel.grad).max() < 1e-12  # eps = 0: sigma drops out


def test_reparameterize_is_mu_plus_sigma_eps_with_its_derivatives():
    mu = bw.Tensor(np.array([[0.5, -1.0]]), requires_grad=True)
    log_var = bw.Tensor(np.array([[0.2, -0.6]]), requires_grad=True)
    eps = np.array([[1.5, -0.4]])
    z = reparameterize(mu, log_var, eps)
    np.testing.assert_allclose(z.data, [[0.5 + np.exp(0.1) * 1.5, -1.0 - np.exp(-0.3) * 0.4]])
    bw.ops.sum(z).backward()
    np.testing.assert_allclose(mu.grad, 1.0)
    np.testing.assert_allclose(log_var.grad, 0.5 * np.exp(0.5 * log_var.data) * eps)


def test_sampling_layer_draws_from_q_and_repeats_with_a_seed():
    mu = np.tile([1.0, -2.0], (50_000, 1)).astype(np.float32)
    log_var = np.tile([np.log(4.0), np.log(0.25)], (50_000, 1)).astype(np.float32)
    z = Sampling(seed=5)([mu, log_var]).data
    np.testing.assert_allclose(z.mean(0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(z.std(0), [2.0, 0.5], rtol=0.02)
    np.testing.assert_array_equal(Sampling(seed=5)([mu[:3], log_var[:3]]).data, z[:3])
    assert Sampling(seed=5).get_config()["seed"] == 5
    # inside a Functional encoder (keras-io's layout): the output has z_mean's shape
    inp = bw.Input(shape=(4,))
    zm, zl = layers.Dense(3)(inp), layers.Dense(3)(inp)
    enc = bw.Model(inp, [zm, zl, Sampling()([zm, zl])])
    assert [tuple(o.shape) for o in enc.predict(np.zeros((2, 4), np.float32), verbose=0)] == [(2, 3)] * 3


# ------------------------------------------------------------------ training
def test_train_step_logs_the_named_losses_and_a_tiny_vae_learns():
    x = patterns01()
    inp = bw.Input(shape=(64,))
    h = layers.Dense(32, activation="relu")(inp)
    encoder = bw.Model(inp, [layers.Dense(2)(h), layers.Dense(2)(h)])
    z_in = bw.Input(shape=(2,))
    decoder = bw.Model(z_in, layers.Dense(64, activation="sigmoid")(layers.Dense(32, activation="relu")(z_in)))
    bw.set_seed(0)
    vae = VAE(encoder, decoder, beta=0.5, seed=0)
    vae.compile(optimizer=bw.optimizers.Adam(5e-3))
    history = vae.fit(x, epochs=5, batch_size=60, verbose=0).history
    assert set(history) == {"loss", "reconstruction_loss", "kl_loss"}
    assert history["loss"][-1] < 0.85 * history["loss"][0], history["loss"]
    assert history["kl_loss"][-1] > 0.05  # the code is used, not collapsed onto the prior
    # every epoch's loss is reconstruction + beta * KL (means over the same batches)
    np.testing.assert_allclose(history["loss"], np.add(history["reconstruction_loss"],
                                                       0.5 * np.asarray(history["kl_loss"])), rtol=1e-6)
    logs = vae.evaluate(x[:100], batch_size=100, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "reconstruction_loss", "kl_loss"}
    assert vae.predict(x[:3], verbose=0).shape == (3, 64)
    assert vae.sample(4, seed=0).shape == (4, 64)
    assert vae.latent_dim == 2


def test_encoder_returning_z_too_and_a_separate_target():
    # keras-io's encoder returns (z_mean, z_log_var, z); fit(x, y) reconstructs y (denoising)
    inp = bw.Input(shape=(6,))
    zm, zl = layers.Dense(2)(inp), layers.Dense(2)(inp)
    encoder = bw.Model(inp, [zm, zl, Sampling(seed=0)([zm, zl])])
    z_in = bw.Input(shape=(2,))
    decoder = bw.Model(z_in, layers.Dense(6, activation="sigmoid")(z_in))
    vae = VAE(encoder, decoder, seed=0)
    rng = np.random.default_rng(4)
    x, y = rng.random((8, 6)).astype(np.float32), rng.random((8, 6)).astype(np.float32)
    eps = rng.standard_normal((8, 2)).astype(np.float32)
    terms = vae.compute_vae_losses(x, y, epsilon=eps, training=False)
    z_mean, z_log_var = (t.data for t in vae.encode(x))
    x_hat = decoder.predict(z_mean + np.exp(0.5 * z_log_var) * eps, verbose=0)
    expected = -(y * np.log(x_hat) + (1 - y) * np.log(1 - x_hat)).sum(1).mean()
    np.testing.assert_allclose(float(terms["reconstruction_loss"].data), expected, rtol=1e-5)
    vae.compile(optimizer="adam")
    assert set(vae.fit(x, y, epochs=1, batch_size=4, verbose=0).history) == {"loss", "reconstruction_loss",
                                                                                "kl_loss"}


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("beta", [0, -1.0, True, "1"])
def test_bad_beta_is_refused(beta):
    vae = tiny_vae()
    with pytest.raises(ValueError, match=r"VAE: beta must be a positive number"):
        VAE(vae.encoder, vae.decoder, beta=beta)


def test_bad_encoder_and_decoder_are_refused():
    vae = tiny_vae()
    with pytest.raises(TypeError, match=r"VAE: encoder and decoder must be models"):
        VAE("encoder", vae.decoder)
    inp = bw.Input(shape=(6,))
    one_output = bw.Model(inp, layers.Dense(2)(inp))
    bad = VAE(one_output, vae.decoder)
    with pytest.raises(ValueError, match=r"VAE: the encoder must return \(z_mean, z_log_var\)"):
        bad.compute_vae_losses(np.zeros((2, 6), np.float32))
    z_in = bw.Input(shape=(2,))
    wrong_size = bw.Model(z_in, layers.Dense(5, activation="sigmoid")(z_in))
    with pytest.raises(ValueError, match=r"VAE: the decoder's output \(2, 5\) must have the target's shape"):
        VAE(vae.encoder, wrong_size).compute_vae_losses(np.zeros((2, 6), np.float32))
    with pytest.raises(ValueError, match=r"VAE.sample: n must be a positive int"):
        vae.sample(0)


# ------------------------------------------------------------------ the example
def _example():
    spec = importlib.util.spec_from_file_location("vae_fashion_mnist", os.path.join(EXAMPLES, "vae_fashion_mnist.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["vae_fashion_mnist"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_example_runs_small(tmp_path):
    pytest.importorskip("matplotlib")
    try:
        bw.datasets.fashion_mnist.load_data()
    except (FileNotFoundError, OSError) as exc:
        pytest.skip(f"Fashion-MNIST not installed: {exc}")
    result = _example().run(n_train=2000, epochs=3, figures=str(tmp_path), verbose=0)
    assert result["loss"][-1] < result["loss"][0]
    assert result["test_reconstruction_loss"] < result["loss"][0]
    for name in ("vae_fashion_latent.png", "vae_fashion_reconstructions.png"):
        assert (tmp_path / name).stat().st_size > 10_000

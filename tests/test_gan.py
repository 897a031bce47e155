"""The GAN: plain fit logs d_loss/g_loss; each player's weights change only in its own step; the two losses are
the discriminator's BCE and the non-saturating generator loss (checked by hand); the DCGAN builders; the errors.
The Fréchet distance: 0 for identical sets, the closed form for known Gaussians, SciPy's sqrtm; class coverage."""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers
from brickwork.generative import (
    GAN,
    class_coverage,
    dcgan_discriminator,
    dcgan_generator,
    feature_classifier,
    frechet_distance,
    frechet_distance_from_features,
    gaussian_fit,
    sqrtm_psd,
)

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


def small_gan(latent_dim=4, label_noise=0.0, seed=0):
    """A dense GAN on 6-pixel "images" (no dropout or batch norm, so inference equals training mode)."""
    bw.set_seed(seed)
    z = bw.Input(shape=(latent_dim,))
    generator = bw.Model(z, layers.Dense(6, activation="sigmoid")(layers.Dense(8, activation="relu")(z)))
    x = bw.Input(shape=(6,))
    discriminator = bw.Model(x, layers.Dense(1)(layers.Dense(8, activation="relu")(x)))
    return GAN(generator, discriminator, latent_dim, label_noise=label_noise, seed=seed)


def softplus(v):
    return np.logaddexp(0.0, v)


def weights(model):
    return [w.copy() for w in model.get_weights()]


def changed(before, model):
    return [not np.array_equal(a, b) for a, b in zip(before, model.get_weights())]


# ------------------------------------------------------------------ training
def test_fit_trains_the_dcgan_and_logs_both_losses():
    gan = GAN(dcgan_generator(8, filters=(8, 4)), dcgan_discriminator(filters=(4, 8)), 8, seed=0)
    gan.compile(d_optimizer=bw.optimizers.Adam(2e-4, beta_1=0.5), g_optimizer=bw.optimizers.Adam(2e-4, beta_1=0.5))
    images = np.random.default_rng(0).random((32, 28, 28, 1)).astype(np.float32)
    g_before, d_before = weights(gan.generator), weights(gan.discriminator)
    history = gan.fit(images, epochs=2, batch_size=16, verbose=0).history
    assert set(history) == {"d_loss", "g_loss"}
    assert all(len(v) == 2 and np.all(np.isfinite(v)) for v in history.values())
    assert all(changed(g_before, gan.generator)) and all(changed(d_before, gan.discriminator))
    assert gan.generate(3, seed=0).shape == (3, 28, 28, 1)


def test_each_player_changes_only_in_its_own_step():
    gan = small_gan()
    gan.compile(d_optimizer="adam", g_optimizer="adam")
    real = np.random.default_rng(1).random((10, 6)).astype(np.float32)
    g0, d0 = weights(gan.generator), weights(gan.discriminator)
    gan.discriminator_step(real)
    assert all(changed(d0, gan.discriminator)) and not any(changed(g0, gan.generator))
    g1, d1 = weights(gan.generator), weights(gan.discriminator)
    gan.generator_step(10)
    assert all(changed(g1, gan.generator)) and not any(changed(d1, gan.discriminator))
    # and the optimizers each saw only their own player's variables
    assert gan.d_optimizer.iterations == 1 and gan.g_optimizer.iterations == 1


def test_the_two_losses_are_the_bce_and_the_non_saturating_loss():
    gan = small_gan(label_noise=0.0)
    gan.compile(d_optimizer=bw.optimizers.SGD(0.0), g_optimizer=bw.optimizers.SGD(0.0))
    rng = np.random.default_rng(2)
    real = rng.random((6, 6)).astype(np.float32)
    z = rng.standard_normal((6, 4)).astype(np.float32)
    gan._noise = lambda n, dtype: bw.Tensor(z[:n])  # fix the noise the steps draw
    d_real = gan.discriminator.predict(real, verbose=0)
    d_fake = gan.discriminator.predict(gan.generator.predict(z, verbose=0), verbose=0)
    # L_D = -[log s(D(x)) + log(1 - s(D(G(z))))] averaged over the 2n images; L_G = -log s(D(G(z)))
    expected_d = np.concatenate([softplus(-d_real), softplus(d_fake)]).mean()
    expected_g = softplus(-d_fake).mean()
    np.testing.assert_allclose(float(gan.discriminator_step(real).data), expected_d, rtol=1e-5)
    np.testing.assert_allclose(float(gan.generator_step(6).data), expected_g, rtol=1e-5)


def test_the_generator_step_raises_the_discriminators_belief():
    gan = small_gan()
    gan.compile(d_optimizer=bw.optimizers.SGD(0.0), g_optimizer=bw.optimizers.SGD(0.5))
    z = np.random.default_rng(3).standard_normal((64, 4)).astype(np.float32)
    gan._noise = lambda n, dtype: bw.Tensor(z[:n])
    before = gan.discriminator.predict(gan.generator.predict(z, verbose=0), verbose=0).mean()
    for _ in range(5):
        gan.generator_step(64)
    after = gan.discriminator.predict(gan.generator.predict(z, verbose=0), verbose=0).mean()
    assert after > before + 0.01, (before, after)


def test_label_noise_moves_labels_towards_each_other():
    gan = small_gan(label_noise=0.2)
    captured = {}

    def capture(y_true, y_pred):
        captured["y"] = np.asarray(getattr(y_true, "data", y_true))
        return bw.ops.mean(y_pred * 0.0)

    gan.compile(d_optimizer="sgd", g_optimizer="sgd", loss_fn=capture)
    gan.discriminator_step(np.zeros((50, 6), np.float32))
    y = captured["y"]
    assert np.all((y[:50] <= 1.0) & (y[:50] >= 0.8)) and np.all((y[50:] >= 0.0) & (y[50:] <= 0.2))
    assert y[:50].std() > 0.01


def test_dcgan_builders_shapes():
    g = dcgan_generator(16, filters=(8, 4))
    d = dcgan_discriminator(filters=(4, 8))
    images = g.predict(np.random.default_rng(0).standard_normal((3, 16)).astype(np.float32), verbose=0)
    assert images.shape == (3, 28, 28, 1) and images.min() >= 0.0 and images.max() <= 1.0
    assert d.predict(images, verbose=0).shape == (3, 1)
    assert not any("batch_normalization" in type(lay).__name__.lower() for lay in d.layers)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("latent_dim", [0, -3, 2.5, True, None])
def test_bad_latent_dim_is_refused(latent_dim):
    gan = small_gan()
    with pytest.raises(ValueError, match=r"GAN: latent_dim must be a positive int"):
        GAN(gan.generator, gan.discriminator, latent_dim)
    with pytest.raises(ValueError, match=r"dcgan_generator: latent_dim must be a positive int"):
        dcgan_generator(latent_dim)


def test_compile_needs_the_two_optimizers():
    gan = small_gan()
    with pytest.raises(ValueError, match=r"GAN.compile needs two optimizers.*missing: d_optimizer, g_optimizer"):
        gan.compile()
    with pytest.raises(ValueError, match=r"missing: g_optimizer"):
        gan.compile(d_optimizer="adam")
    with pytest.raises(ValueError, match=r"missing: d_optimizer, g_optimizer \(got \['optimizer'\]\)"):
        gan.compile(optimizer="adam")
    shared = bw.optimizers.Adam()
    with pytest.raises(ValueError, match=r"d_optimizer and g_optimizer must be two optimizer objects"):
        gan.compile(shared, shared)
    with pytest.raises(RuntimeError, match=r"compile\(\)"):
        gan.fit(np.zeros((4, 6), np.float32), verbose=0)


def test_other_bad_arguments_are_refused():
    gan = small_gan()
    with pytest.raises(TypeError, match=r"GAN: generator and discriminator must be models"):
        GAN("g", gan.discriminator, 4)
    with pytest.raises(ValueError, match=r"GAN: label_noise must be in \[0, 0.5\)"):
        GAN(gan.generator, gan.discriminator, 4, label_noise=0.7)
    with pytest.raises(ValueError, match=r"dcgan_generator: filters must be two channel counts"):
        dcgan_generator(8, filters=(8,))
    with pytest.raises(ValueError, match=r"dcgan_discriminator: filters\[1\] must be a positive int"):
        dcgan_discriminator(filters=(8, 0))
    with pytest.raises(ValueError, match=r"dcgan_discriminator: dropout must be in \[0, 1\)"):
        dcgan_discriminator(dropout=1.0)
    with pytest.raises(ValueError, match=r"GAN.generate: n must be a positive int"):
        gan.generate(0)


# ------------------------------------------------------------------ Fréchet distance
def test_frechet_distance_is_zero_for_identical_sets():
    f = np.random.default_rng(4).normal(size=(300, 5))
    assert frechet_distance_from_features(f, f.copy()) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance_from_features(f, f + 1.0) == pytest.approx(5.0, rel=1e-9)  # ||shift||² = 5


def test_frechet_distance_closed_forms_of_known_gaussians():
    # one dimension: (m1 - m2)² + (s1 - s2)²
    assert frechet_distance([1.0], [[4.0]], [-2.0], [[9.0]]) == pytest.approx(9.0 + 1.0, rel=1e-12)
    # covariances sharing eigenvectors (they commute): ||mu1 - mu2||² + Σ_k (√a_k - √b_k)²
    q, _ = np.linalg.qr(np.random.default_rng(5).normal(size=(4, 4)))
    a, b = np.array([4.0, 1.0, 0.25, 2.0]), np.array([1.0, 9.0, 0.25, 0.5])
    mu1, mu2 = np.array([1.0, 0.0, -1.0, 2.0]), np.array([0.0, 0.5, -1.0, 0.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    got = frechet_distance(mu1, q @ np.diag(a) @ q.T, mu2, q @ np.diag(b) @ q.T)
    assert got == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_matches_scipy_sqrtm():
    scipy_linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(6)
    f1 = rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6))
    f2 = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6)) + 0.3
    mu1, s1 = f1.mean(0), np.cov(f1, rowvar=False)
    mu2, s2 = f2.mean(0), np.cov(f2, rowvar=False)
    covmean = scipy_linalg.sqrtm(s1 @ s2).real  # the usual FID code (pytorch-fid, TTUR)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    assert frechet_distance_from_features(f1, f2) == pytest.approx(expected, rel=1e-8)
    root = sqrtm_psd(s1)
    np.testing.assert_allclose(root @ root, s1, atol=1e-10)
    np.testing.assert_allclose(root, scipy_linalg.sqrtm(s1).real, atol=1e-8)


def test_frechet_bad_inputs():
    with pytest.raises(ValueError, match=r"frechet_distance: means must be \(d,\) and covariances \(d, d\)"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match=r"frechet_distance_from_features: both sets must be \(n, d\)"):
        frechet_distance_from_features(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"gaussian_fit: need at least 2 samples"):
        gaussian_fit(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"gaussian_fit: features contain NaN"):
        gaussian_fit(np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(ValueError, match=r"sqrtm_psd: expected a square matrix"):
        sqrtm_psd(np.zeros((2, 3)))


def test_class_coverage_counts_and_entropy():
    uniform = class_coverage(np.repeat(np.arange(10), 7))
    assert uniform["covered"] == 10 and uniform["entropy"] == pytest.approx(np.log(10))
    collapsed = class_coverage(np.full(100, 3))
    assert collapsed["covered"] == 1 and collapsed["entropy"] == 0.0 and collapsed["counts"][3] == 100
    half = class_coverage(np.array([0, 0, 1, 1]), num_classes=4)
    assert half["covered"] == 2 and half["entropy"] == pytest.approx(np.log(2))
    with pytest.raises(ValueError, match=r"class_coverage: predicted_classes must be ints in \[0, 10\)"):
        class_coverage(np.array([0, 10]))
    with pytest.raises(ValueError, match=r"class_coverage: no predicted classes"):
        class_coverage(np.array([], dtype=int))


def test_feature_classifier_shares_weights_with_its_feature_model():
    classifier, features = feature_classifier(feature_dim=12)
    x = np.random.default_rng(7).random((2, 28, 28, 1)).astype(np.float32)
    assert classifier.predict(x, verbose=0).shape == (2, 10)
    f = features.predict(x, verbose=0)
    assert f.shape == (2, 12) and f.min() >= 0.0
    head = classifier.get_layer("class_probabilities").get_weights()
    logits = f @ head[0] + head[1]
    probs = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(probs / probs.sum(1, keepdims=True), classifier.predict(x, verbose=0), rtol=1e-5)
    with pytest.raises(ValueError, match=r"feature_classifier: feature_dim must be a positive int"):
        feature_classifier(feature_dim=0)


# ------------------------------------------------------------------ the example
@pytest.mark.slow
def test_example_runs_small(tmp_path):
    pytest.importorskip("matplotlib")
    try:
        bw.datasets.fashion_mnist.load_data()
    except (FileNotFoundError, OSError) as exc:
        pytest.skip(f"Fashion-MNIST not installed: {exc}")
    spec = importlib.util.spec_from_file_location("gan_fashion_mnist", os.path.join(EXAMPLES, "gan_fashion_mnist.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["gan_fashion_mnist"] = module
    spec.loader.exec_module(module)
    result = module.run(n_train=256, epochs=2, n_samples=200, classifier_epochs=1, n_classifier=3000,
                        figures=str(tmp_path), verbose=0)
    assert result["classifier_test_accuracy"] > 0.6
    assert len(result["frechet_per_epoch"]) == 2 and set(result) >= {"classes_covered", "class_entropy"}
    assert result["frechet_per_epoch"][-1] < result["frechet_untrained"]
    for name in ("gan_fashion_frechet.png", "gan_fashion_samples.png"):
        assert (tmp_path / name).stat().st_size > 10_000

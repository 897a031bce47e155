"""Scoring generated images offline: the Fréchet distance between Gaussian fits of a classifier's features
(FID, Heusel et al. 2017, with a small Fashion-MNIST classifier in place of Inception), and class coverage.

For two feature sets with means ``μ1, μ2`` and covariances ``Σ1, Σ2``, the Fréchet (2-Wasserstein) distance of
the Gaussians ``N(μ1, Σ1)`` and ``N(μ2, Σ2)`` is

    d² = ||μ1 − μ2||² + Tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½).

``Σ1 Σ2`` is not symmetric, but it is similar to the symmetric positive semi-definite ``Σ1^½ Σ2 Σ1^½``
(conjugate by ``Σ1^½``), so ``Tr((Σ1 Σ2)^½) = Tr((Σ1^½ Σ2 Σ1^½)^½) = Σ_k √λ_k`` with ``λ_k`` the eigenvalues of
that symmetric matrix. Both square roots come from ``numpy.linalg.eigh`` (no SciPy): for a symmetric
``A = V diag(λ) Vᵀ``, ``A^½ = V diag(√max(λ, 0)) Vᵀ``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import layers, models


def sqrtm_psd(a: Any) -> np.ndarray:
    """The symmetric square root ``V diag(√λ) Vᵀ`` of a symmetric positive semi-definite matrix (its
    symmetric part is used; eigenvalues below 0 from round-off are set to 0)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"sqrtm_psd: expected a square matrix, got shape {a.shape}.")
    w, v = np.linalg.eigh(0.5 * (a + a.T))
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def gaussian_fit(features: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(d,)`` and unbiased covariance ``(d, d)`` of ``(n, d)`` features (n ≥ 2)."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2:
        raise ValueError(f"gaussian_fit: features must be (samples, dims), got shape {f.shape}.")
    if f.shape[0] < 2:
        raise ValueError(f"gaussian_fit: need at least 2 samples to fit a covariance, got {f.shape[0]}.")
    if not np.all(np.isfinite(f)):
        raise ValueError("gaussian_fit: features contain NaN or infinity.")
    return f.mean(axis=0), np.cov(f, rowvar=False).reshape(f.shape[1], f.shape[1])


def frechet_distance(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any) -> float:
    """``||μ1 − μ2||² + Tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½)`` for two Gaussians (see the module docstring)."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(f"frechet_distance: means must be (d,) and covariances (d, d) with one d; got mu1 "
                         f"{mu1.shape}, sigma1 {s1.shape}, mu2 {mu2.shape}, sigma2 {s2.shape}.")
    root1 = sqrtm_psd(s1)
    middle = root1 @ s2 @ root1
    eig = np.linalg.eigvalsh(0.5 * (middle + middle.T))
    trace_root = float(np.sum(np.sqrt(np.clip(eig, 0.0, None))))
    diff = mu1 - mu2
    return float(max(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_root, 0.0))


def frechet_distance_from_features(features1: Any, features2: Any) -> float:
    """The Fréchet distance of the Gaussian fits of two ``(n, d)`` feature sets."""
    f1, f2 = np.asarray(features1), np.asarray(features2)
    if f1.ndim != 2 or f2.ndim != 2 or f1.shape[1] != f2.shape[1]:
        raise ValueError(f"frechet_distance_from_features: both sets must be (n, d) with the same d; got "
                         f"{f1.shape} and {f2.shape}.")
    return frechet_distance(*gaussian_fit(f1), *gaussian_fit(f2))


def class_coverage(predicted_classes: Any, num_classes: int = 10) -> dict[str, Any]:
    """How many of ``num_classes`` classes a classifier finds among generated samples — a mode-collapse alarm.

    Returns ``{'covered': classes predicted at least once, 'counts': per-class counts, 'entropy': the entropy
    −Σ p_k ln p_k of the predicted-class frequencies in nats (ln num_classes when uniform, 0 when one class)}``.
    """
    labels = np.asarray(predicted_classes).reshape(-1)
    if labels.size == 0:
        raise ValueError("class_coverage: no predicted classes given.")
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"class_coverage: predicted_classes must be ints in [0, {num_classes}); got dtype "
                         f"{labels.dtype} with range [{labels.min()}, {labels.max()}].")
    counts = np.bincount(labels, minlength=num_classes)
    p = counts[counts > 0] / labels.size
    return {"covered": int(np.count_nonzero(counts)), "counts": counts, "entropy": float(-(p * np.log(p)).sum()) + 0.0}


def feature_classifier(input_shape: tuple[int, ...] = (28, 28, 1), num_classes: int = 10, feature_dim: int = 64,
                       name: str = "feature_classifier") -> tuple[models.Model, models.Model]:
    """A small CNN classifier whose penultimate ``Dense(feature_dim)`` layer gives the features for the
    Fréchet distance: Conv(16, 3×3, stride 2) → Conv(32, 3×3, stride 2) → Flatten → Dense(feature_dim, ReLU)
    → Dense(num_classes, softmax).

    Returns ``(classifier, features)``; ``features`` shares the classifier's weights and maps images to the
    ``(n, feature_dim)`` activations of the layer named ``'features'``. Train the classifier on real images
    (``sparse_categorical_crossentropy``), then score real and generated images with ``features``.
    """
    for what, v in (("num_classes", num_classes), ("feature_dim", feature_dim)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
            raise ValueError(f"feature_classifier: {what} must be a positive int, got {v!r}.")
    inp = layers.Input(shape=tuple(input_shape), name=f"{name}_input")
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inp)
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    feats = layers.Dense(int(feature_dim), activation="relu", name="features")(x)
    out = layers.Dense(int(num_classes), activation="softmax", name="class_probabilities")(feats)
    classifier = models.Model(inp, out, name=name)
    return classifier, models.Model(inp, feats, name=f"{name}_features")

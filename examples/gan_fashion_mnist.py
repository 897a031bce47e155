"""A DCGAN on Fashion-MNIST trained with plain ``fit``, scored offline by a classifier trained on the real images.

1. A small CNN (:func:`brickwork.generative.feature_classifier`) is trained once on the real training images;
   its penultimate layer (64 ReLU units) gives the features.
2. :class:`brickwork.generative.GAN` with :func:`dcgan_generator` / :func:`dcgan_discriminator` trains on a
   subset of the training images with ``fit``; a callback computes, after every epoch, the Fréchet distance
   between the Gaussian fits of the classifier's features of real test images and of generated images.
3. After training, the classifier labels 1,000 generated samples: the number of classes covered (of 10) and the
   entropy of the predicted classes (ln 10 ≈ 2.303 when uniform) are the mode-collapse alarm.

With ``--figures DIR`` it writes ``gan_fashion_frechet.png`` (Fréchet distance and D/G losses per epoch) and
``gan_fashion_samples.png`` (a grid of generated images with the classifier's labels).

Run: python examples/gan_fashion_mnist.py [--n-train 10000] [--epochs 5] [--figures docs/figures] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

import brickwork as bw
from brickwork.datasets import fashion_mnist
from brickwork.generative import (
    GAN,
    class_coverage,
    dcgan_discriminator,
    dcgan_generator,
    feature_classifier,
    frechet_distance_from_features,
)


class FrechetMonitor(bw.callbacks.Callback):
    """After each epoch: the Fréchet distance of ``n`` generated images to the real reference features."""

    def __init__(self, features: bw.Model, reference: np.ndarray, n: int = 1000, seed: int = 123) -> None:
        super().__init__()
        self.features, self.reference, self.n, self.seed = features, reference, n, seed
        self.distances: list[float] = []

    def score(self, gan: GAN) -> float:
        fake = gan.generate(self.n, seed=self.seed)
        return frechet_distance_from_features(self.reference, self.features.predict(fake, verbose=0))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.distances.append(self.score(self.model))
        if logs is not None:
            logs["frechet"] = self.distances[-1]


def load(n_train: int, seed: int = 0):
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    x_train = x_train[..., None].astype(np.float32) / 255.0
    x_test = x_test[..., None].astype(np.float32) / 255.0
    keep = np.random.default_rng(seed).choice(len(x_train), n_train, replace=False)
    return x_train, y_train, x_test, y_test, x_train[keep]


def run(n_train: int = 10000, epochs: int = 5, latent_dim: int = 64, batch_size: int = 64, n_samples: int = 1000,
        classifier_epochs: int = 2, n_classifier: int | None = None, seed: int = 0, figures: str | None = None,
        verbose: int = 2) -> dict:
    """Train the classifier and the GAN; return the per-epoch Fréchet distances and the class coverage."""
    bw.set_seed(seed)
    start = time.time()
    x_train, y_train, x_test, y_test, x_gan = load(n_train, seed)
    print(f"Data: Fashion-MNIST (brickwork.datasets.fashion_mnist.load_data, from Keras's cache or Debian's "
          f"dataset-fashion-mnist): {len(x_gan):,} training images for the GAN (drawn with seed {seed}), "
          f"{len(x_train) if n_classifier is None else min(n_classifier, len(x_train)):,} for the classifier, "
          f"{len(x_test):,} test images of {x_test.shape[1]}x{x_test.shape[2]}", flush=True)

    classifier, features = feature_classifier()
    classifier.compile(optimizer=bw.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                       metrics=["accuracy"])
    n_classifier = len(x_train) if n_classifier is None else n_classifier  # all 60,000 by default
    classifier.fit(x_train[:n_classifier], y_train[:n_classifier], batch_size=128, epochs=classifier_epochs,
                   verbose=0)
    classifier_accuracy = float(np.mean(classifier.predict(x_test, verbose=0).argmax(-1) == y_test))
    reference = features.predict(x_test[:n_samples], verbose=0)
    real_vs_real = frechet_distance_from_features(reference, features.predict(x_test[-n_samples:], verbose=0))

    gan = GAN(dcgan_generator(latent_dim, filters=(64, 32)), dcgan_discriminator(filters=(32, 64)), latent_dim,
              seed=seed)
    gan.compile(d_optimizer=bw.optimizers.Adam(2e-4, beta_1=0.5), g_optimizer=bw.optimizers.Adam(2e-4, beta_1=0.5))
    monitor = FrechetMonitor(features, reference, n=n_samples)
    untrained = monitor.score(gan)
    history = gan.fit(x_gan, batch_size=batch_size, epochs=epochs, callbacks=[monitor], verbose=verbose)

    samples = gan.generate(n_samples, seed=seed + 1)
    predicted = classifier.predict(samples, verbose=0).argmax(-1)
    coverage = class_coverage(predicted, 10)
    result = {
        "n_train": n_train, "epochs": epochs, "batch_size": batch_size, "latent_dim": latent_dim,
        "classifier_test_accuracy": round(classifier_accuracy, 4),
        "frechet_untrained": round(untrained, 3),
        "frechet_per_epoch": [round(d, 3) for d in monitor.distances],
        "frechet_real_vs_real": round(real_vs_real, 3),
        "d_loss": [round(v, 4) for v in history.history["d_loss"]],
        "g_loss": [round(v, 4) for v in history.history["g_loss"]],
        "classes_covered": coverage["covered"], "class_counts": coverage["counts"].tolist(),
        "class_entropy": round(coverage["entropy"], 4), "seconds": round(time.time() - start, 1),
    }
    if figures:
        plot(figures, result, samples[:50], predicted[:50])
    return result


def plot(folder: str, result: dict, samples: np.ndarray, labels: np.ndarray) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(folder, exist_ok=True)
    epochs = np.arange(0, result["epochs"] + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax1.plot(epochs, [result["frechet_untrained"], *result["frechet_per_epoch"]], "o-", label="generated vs real")
    ax1.axhline(result["frechet_real_vs_real"], color="gray", ls="--", label="real vs real (floor)")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("Fréchet distance (classifier features)")
    ax1.set_yscale("log")
    ax1.legend()
    ax2.plot(epochs[1:], result["d_loss"], "o-", label="d_loss")
    ax2.plot(epochs[1:], result["g_loss"], "o-", label="g_loss")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("mean loss over the epoch")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "gan_fashion_frechet.png"), dpi=100)
    plt.close(fig)

    fig, axes = plt.subplots(5, 10, figsize=(10, 5.6))
    for ax, image, label in zip(axes.ravel(), samples, labels):
        ax.imshow(image[..., 0], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(fashion_mnist.CLASS_NAMES[label].split("/")[0], fontsize=7)
        ax.axis("off")
    fig.suptitle(f"DCGAN samples after {result['epochs']} epochs (titles: the classifier's labels; "
                 f"{result['classes_covered']}/10 classes in 1,000 samples)", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "gan_fashion_samples.png"), dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-train", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--figures", default=None, help="folder for the PNG figures")
    parser.add_argument("--json", default=None, help="write the results to this file")
    args = parser.parse_args()
    result = run(args.n_train, args.epochs, figures=args.figures)
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=2)


if __name__ == "__main__":
    main()

"""A variational autoencoder with a 2-D code on Fashion-MNIST: the latent space as a picture, and reconstructions.

The encoder (784 → 512 → 256 → (μ, log σ²) in 2-D) and the decoder (2 → 256 → 512 → 784, sigmoid) are dense;
:class:`brickwork.generative.VAE` trains them with ``fit`` on ``reconstruction + β·KL`` (BCE summed over the
784 pixels, the closed-form KL to N(0, I)) and logs the two terms. Pixels are scaled to [0, 1].

With ``--figures DIR`` it writes ``vae_fashion_latent.png`` (left: the decoder's images over a grid of codes, a
traversal of the 2-D latent space; right: the codes μ of test images coloured by class) and
``vae_fashion_reconstructions.png`` (test images, their reconstructions decoded from μ, and samples from the prior).

Run: python examples/vae_fashion_mnist.py [--n-train 60000] [--epochs 10] [--figures docs/figures] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork.datasets import fashion_mnist
from brickwork.generative import VAE


def build(latent_dim: int = 2, hidden: tuple[int, ...] = (512, 256)) -> tuple[bw.Model, bw.Model]:
    """Dense encoder ``x → (z_mean, z_log_var)`` and decoder ``z → x̂`` for flattened 28×28 images."""
    inp = bw.Input(shape=(784,), name="image")
    x = inp
    for width in hidden:
        x = layers.Dense(width, activation="relu")(x)
    encoder = bw.Model(inp, [layers.Dense(latent_dim, name="z_mean")(x), layers.Dense(latent_dim, name="z_log_var")(x)],
                       name="encoder")
    z = bw.Input(shape=(latent_dim,), name="code")
    y = z
    for width in reversed(hidden):
        y = layers.Dense(width, activation="relu")(y)
    decoder = bw.Model(z, layers.Dense(784, activation="sigmoid", name="pixels")(y), name="decoder")
    return encoder, decoder


def run(n_train: int = 60000, epochs: int = 10, beta: float = 1.0, batch_size: int = 128, seed: int = 0,
        figures: str | None = None, verbose: int = 2) -> dict:
    """Train the VAE; return the per-epoch terms and the held-out ones (and write the figures)."""
    bw.set_seed(seed)
    start = time.time()
    (x_train, _), (x_test, y_test) = fashion_mnist.load_data()
    x_train = x_train.reshape(len(x_train), 784).astype(np.float32) / 255.0
    x_test = x_test.reshape(len(x_test), 784).astype(np.float32) / 255.0
    if n_train < len(x_train):
        x_train = x_train[np.random.default_rng(seed).choice(len(x_train), n_train, replace=False)]
    print(f"Data: Fashion-MNIST (brickwork.datasets.fashion_mnist.load_data, from Keras's cache or Debian's "
          f"dataset-fashion-mnist): {len(x_train):,} training images (a subset drawn with seed {seed} when fewer "
          f"than all) / {len(x_test):,} test images of 28x28, flattened to {x_train.shape[1]} pixels", flush=True)
    encoder, decoder = build()
    vae = VAE(encoder, decoder, beta=beta, seed=seed)
    vae.compile(optimizer=bw.optimizers.Adam(1e-3))
    history = vae.fit(x_train, epochs=epochs, batch_size=batch_size, verbose=verbose).history
    test = vae.evaluate(x_test, batch_size=500, verbose=0, return_dict=True)
    result = {
        "n_train": len(x_train), "epochs": epochs, "beta": beta,
        **{k: [round(v, 3) for v in history[k]] for k in ("loss", "reconstruction_loss", "kl_loss")},
        "test_loss": round(test["loss"], 3), "test_reconstruction_loss": round(test["reconstruction_loss"], 3),
        "test_kl_loss": round(test["kl_loss"], 3), "seconds": round(time.time() - start, 1),
    }
    if figures:
        plot(figures, vae, x_test, y_test)
    return result


def plot(folder: str, vae: VAE, x_test: np.ndarray, y_test: np.ndarray, n: int = 15, scale: float = 2.5) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(folder, exist_ok=True)
    grid = np.linspace(-scale, scale, n)
    codes = np.array([[zx, zy] for zy in grid[::-1] for zx in grid], np.float32)
    tiles = vae.decoder.predict(codes, verbose=0).reshape(n, n, 28, 28)
    picture = tiles.transpose(0, 2, 1, 3).reshape(n * 28, n * 28)
    z_mean, _ = (t.data for t in vae.encode(x_test[:5000]))

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 6.2))
    ax1.imshow(picture, cmap="gray_r", extent=(-scale, scale, -scale, scale))
    ax1.set_xlabel("z[0]")
    ax1.set_ylabel("z[1]")
    ax1.set_title("decoder over a grid of codes")
    points = ax2.scatter(z_mean[:, 0], z_mean[:, 1], c=y_test[:5000], cmap="tab10", s=3)
    ax2.set_xlim(-4, 4)
    ax2.set_ylim(-4, 4)
    ax2.set_xlabel("z[0]")
    ax2.set_ylabel("z[1]")
    ax2.set_title("codes μ of 5,000 test images")
    bar = fig.colorbar(points, ax=ax2, ticks=range(10))
    bar.ax.set_yticklabels(fashion_mnist.CLASS_NAMES, fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "vae_fashion_latent.png"), dpi=90)
    plt.close(fig)

    originals = x_test[:10]
    rows = [("test image", originals), ("reconstruction from μ", vae.predict(originals, verbose=0)),
            ("sample from N(0, I)", vae.sample(10, seed=1))]
    fig, axes = plt.subplots(3, 10, figsize=(10, 3.4))
    for r, (title, images) in enumerate(rows):
        for c in range(10):
            axes[r, c].imshow(images[c].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
            axes[r, c].axis("off")
        axes[r, 0].set_title(title, fontsize=8, loc="left")
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "vae_fashion_reconstructions.png"), dpi=90)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--figures", default=None, help="folder for the PNG figures")
    parser.add_argument("--json", default=None, help="write the results to this file")
    args = parser.parse_args()
    result = run(args.n_train, args.epochs, args.beta, figures=args.figures)
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=2)


if __name__ == "__main__":
    main()

"""Seed 004's experiment: 2-D codes from a nonlinear autoencoder against 2-D PCA ("there is only one winner here").

For the scikit-learn digits (8×8) and Fashion-MNIST (28×28, a subset of the training images; read from Debian's
``dataset-fashion-mnist`` package or Keras's cache by ``brickwork.datasets.fashion_mnist``), with pixels scaled
to [0, 1]:

* PCA-2: scikit-learn's ``PCA(n_components=2)`` fitted on the training split;
* a dense autoencoder ``D → hidden → 2 → reversed(hidden) → D`` (ReLU, sigmoid output, Adam, MSE)
  from :func:`brickwork.applications.dense_autoencoder`;

and reports the reconstruction MSE per pixel on held-out images, the autoencoder's after several epoch counts.
With ``--figures DIR`` it writes ``autoencoder_<dataset>_reconstructions.png`` (originals, PCA-2, the autoencoder
after each epoch count) and ``autoencoder_<dataset>_codes.png`` (the 2-D codes of the test images coloured by class,
for both).

Run: python examples/autoencoder_vs_pca.py [--dataset digits|fashion|both] [--figures docs/figures]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

import brickwork as bw
from brickwork.applications.autoencoders import dense_autoencoder

SETTINGS = {
    # epoch counts at which reconstructions are recorded (the last is the final model), hidden widths, batch size
    "digits": {"snapshots": (5, 50, 150), "hidden": (256, 64), "batch_size": 32, "n_train": None},
    "fashion": {"snapshots": (1, 5, 15), "hidden": (512, 128), "batch_size": 128, "n_train": 20000},
}


def load(dataset: str, n_train: int | None = None, n_test: int | None = None, seed: int = 0):
    """``(x_train, y_train, x_test, y_test, image_shape)``: flattened float32 pixels in [0, 1]."""
    if dataset == "digits":
        from brickwork.datasets import load_digits_split

        x_train, x_test, y_train, y_test = load_digits_split(seed=seed)
        shape = (8, 8)
    elif dataset == "fashion":
        from brickwork.datasets import fashion_mnist

        (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
        shape = x_train.shape[1:]
        x_train = x_train.reshape(len(x_train), -1).astype(np.float32) / 255.0
        x_test = x_test.reshape(len(x_test), -1).astype(np.float32) / 255.0
    else:
        raise ValueError(f"autoencoder_vs_pca: dataset must be 'digits' or 'fashion', got {dataset!r}.")
    rng = np.random.default_rng(seed)
    if n_train is not None and n_train < len(x_train):
        keep = rng.choice(len(x_train), n_train, replace=False)
        x_train, y_train = x_train[keep], y_train[keep]
    if n_test is not None and n_test < len(x_test):
        x_test, y_test = x_test[:n_test], y_test[:n_test]
    return x_train, y_train, x_test, y_test, shape


def mse_per_pixel(x: np.ndarray, x_hat: np.ndarray) -> float:
    """(1 / (n D)) Σ_n Σ_i (x_ni - x̂_ni)²."""
    return float(np.mean((np.asarray(x, np.float64) - np.asarray(x_hat, np.float64)) ** 2))


def run(dataset: str = "digits", snapshots: tuple[int, ...] | None = None, n_train: int | None = -1,
        n_test: int | None = None, hidden: tuple[int, ...] | None = None, batch_size: int | None = None,
        learning_rate: float = 1e-3, seed: int = 0, figures: str | None = None, verbose: bool = True) -> dict:
    """Fit PCA-2 and the autoencoder on ``dataset`` and return the held-out MSEs (and write the figures)."""
    from sklearn.decomposition import PCA

    cfg = SETTINGS[dataset]
    snapshots = tuple(snapshots or cfg["snapshots"])
    hidden = tuple(hidden or cfg["hidden"])
    batch_size = batch_size or cfg["batch_size"]
    x_train, y_train, x_test, y_test, shape = load(dataset, cfg["n_train"] if n_train == -1 else n_train, n_test,
                                                   seed)
    if verbose:
        source = ("scikit-learn's 8x8 digits (sklearn.datasets.load_digits via brickwork.datasets.load_digits_split), "
                  f"stratified split seed {seed}" if dataset == "digits" else
                  "Fashion-MNIST (brickwork.datasets.fashion_mnist.load_data, from Keras's cache or Debian's "
                  f"dataset-fashion-mnist), training subset drawn with seed {seed}")
        print(f"Data: {source}: {len(x_train):,} training / {len(x_test):,} test images of "
              f"{'x'.join(map(str, shape))} pixels", flush=True)
    start = time.time()
    pca = PCA(n_components=2).fit(x_train)
    pca_codes = pca.transform(x_test)
    pca_recon = pca.inverse_transform(pca_codes)
    result = {"dataset": dataset, "n_train": len(x_train), "n_test": len(x_test), "hidden": list(hidden),
              "pca2_mse": mse_per_pixel(x_test, pca_recon), "autoencoder_mse": {}}

    bw.set_seed(seed)
    autoencoder, encoder, _ = dense_autoencoder(x_train.shape[1], 2, hidden)
    autoencoder.compile(optimizer=bw.optimizers.Adam(learning_rate), loss="mse")
    recons, done = {}, 0
    for epochs in snapshots:
        autoencoder.fit(x_train, x_train, batch_size=batch_size, epochs=epochs - done, shuffle=True, verbose=0)
        done = epochs
        x_hat = autoencoder.predict(x_test, verbose=0)
        result["autoencoder_mse"][epochs] = mse_per_pixel(x_test, x_hat)
        recons[epochs] = x_hat[:10]
        if verbose:
            print(f"{dataset}: autoencoder after {epochs:4d} epochs: held-out MSE/pixel "
                  f"{result['autoencoder_mse'][epochs]:.4f}  ({time.time() - start:.0f} s)", flush=True)
    final = result["autoencoder_mse"][snapshots[-1]]
    result["reduction_vs_pca2"] = 1.0 - final / result["pca2_mse"]
    result["seconds"] = time.time() - start
    if verbose:
        print(f"{dataset}: PCA-2 held-out MSE/pixel {result['pca2_mse']:.4f}; autoencoder {final:.4f} "
              f"({100 * result['reduction_vs_pca2']:.0f}% below PCA-2)")
    if figures:
        ae_codes = encoder.predict(x_test, verbose=0)
        plot(dataset, figures, shape, x_test[:10], pca_recon[:10], recons, pca_codes, ae_codes, y_test, result)
    return result


def plot(dataset, folder, shape, originals, pca_recon, recons, pca_codes, ae_codes, labels, result) -> None:
    """The reconstruction grid and the two code scatters."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(folder, exist_ok=True)
    rows = [("original", originals), (f"PCA-2\n{result['pca2_mse']:.4f}", pca_recon)]
    rows += [(f"AE, {e} ep.\n{result['autoencoder_mse'][e]:.4f}", r) for e, r in recons.items()]
    fig, axes = plt.subplots(len(rows), 10, figsize=(10, 1.1 * len(rows) + 0.3))
    for r, (title, images) in enumerate(rows):
        for c in range(10):
            ax = axes[r, c]
            ax.imshow(np.clip(images[c], 0, 1).reshape(shape), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(f"{dataset}: held-out reconstructions (MSE per pixel)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, f"autoencoder_{dataset}_reconstructions.png"), dpi=90)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    last = list(recons)[-1]
    for ax, codes, title in ((axes[0], pca_codes, f"PCA-2 (MSE {result['pca2_mse']:.4f})"),
                             (axes[1], ae_codes, f"autoencoder, {last} epochs (MSE "
                                                 f"{result['autoencoder_mse'][last]:.4f})")):
        points = ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=4, alpha=0.7)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(points, ax=axes, ticks=range(10), label="class")
    fig.suptitle(f"{dataset}: 2-D codes of the held-out images", fontsize=10)
    fig.savefig(os.path.join(folder, f"autoencoder_{dataset}_codes.png"), dpi=90)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", choices=["digits", "fashion", "both"], default="both")
    parser.add_argument("--figures", default=None, help="folder for the PNG figures")
    parser.add_argument("--n-train", type=int, default=-1, help="training images (default: the settings')")
    parser.add_argument("--snapshots", type=int, nargs="+", default=None, help="epoch counts to record")
    parser.add_argument("--json", default=None, help="write the results to this file")
    args = parser.parse_args()
    names = ["digits", "fashion"] if args.dataset == "both" else [args.dataset]
    results = [run(name, args.snapshots, args.n_train, figures=args.figures) for name in names]
    print("\n| data | n_train | PCA-2 MSE/pixel | autoencoder MSE/pixel | reduction |")
    print("|---|---|---|---|---|")
    for r in results:
        final = list(r["autoencoder_mse"].values())[-1]
        print(f"| {r['dataset']} | {r['n_train']} | {r['pca2_mse']:.4f} | {final:.4f} | "
              f"{100 * r['reduction_vs_pca2']:.0f}% |")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()

"""Offline stand-ins for the downloads the keras-io guides make, with the same shapes and dtypes.

Nothing here touches the network. MNIST-shaped images are scikit-learn's bundled 8x8 digits
upscaled to 28x28 (real handwriting, uint8 0-255); CIFAR-10-shaped images are those digits
tinted into 32x32x3; IMDB-like reviews are word-index lists whose sentiment depends on which
words occur; FordA-like series are noisy sines whose frequency is the class; the NAB
"art_daily" series are a daily square-ish wave with noise (and a jump for the test file);
MovieLens-like ratings come from a low-rank user x movie score. Sizes are reduced so each
guide runs in seconds; the files are written in the formats the guides (or brickwork's
Keras-cache loaders) read.
"""

from __future__ import annotations

import os
import pickle

import numpy as np


def digit_images(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uint8 images ``(n, 28, 28)`` and uint8 labels from scikit-learn's digits."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(digits.images), size=n)
    small = digits.images[idx]  # (n, 8, 8) in 0..16
    big = np.kron(small, np.ones((3, 3)))  # (n, 24, 24)
    images = np.zeros((n, 28, 28))
    shifts = rng.integers(0, 5, size=(n, 2))
    for i, (dy, dx) in enumerate(shifts):
        images[i, dy:dy + 24, dx:dx + 24] = big[i]
    images = np.clip(images * (255.0 / 16.0), 0, 255).astype(np.uint8)
    return images, digits.target[idx].astype(np.uint8)


def write_mnist(folder: str, n_train: int, n_test: int) -> None:
    """``folder/mnist.npz`` as Keras's cache holds it (keys x_train, y_train, x_test, y_test)."""
    x, y = digit_images(n_train + n_test, seed=1)
    np.savez(os.path.join(folder, "mnist.npz"), x_train=x[:n_train], y_train=y[:n_train],
             x_test=x[n_train:], y_test=y[n_train:])


def write_cifar10(folder: str, per_batch: int, n_test: int) -> None:
    """``folder/cifar-10-batches-py/`` with data_batch_1..5 and test_batch (pickled dicts of bytes keys)."""
    out = os.path.join(folder, "cifar-10-batches-py")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(2)

    def batch(n: int, seed: int) -> dict:
        x, y = digit_images(n, seed=seed)
        rgb = np.zeros((n, 3, 32, 32), np.uint8)
        tint = rng.uniform(0.4, 1.0, size=(n, 3, 1, 1))
        rgb[:, :, 2:30, 2:30] = (x[:, None] * tint).astype(np.uint8)
        return {b"data": rgb.reshape(n, 3072), b"labels": [int(v) for v in y]}

    for i in range(1, 6):
        with open(os.path.join(out, f"data_batch_{i}"), "wb") as f:
            pickle.dump(batch(per_batch, 10 + i), f)
    with open(os.path.join(out, "test_batch"), "wb") as f:
        pickle.dump(batch(n_test, 20), f)


def write_imdb(folder: str, n_train: int, n_test: int, vocab: int = 3000, seed: int = 3) -> None:
    """``folder/imdb.npz``: object arrays of word-index lists (1 = most frequent) and 0/1 labels.

    Positive reviews draw more often from one band of indices, negative from another, so a
    model can learn the labels."""
    rng = np.random.default_rng(seed)

    def reviews(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, 2, size=n)
        out = []
        for lab in labels:
            length = int(rng.integers(20, 300))
            common = rng.zipf(1.3, size=length) % vocab + 1
            band = rng.integers(500, 1000, size=length) + (500 * int(lab))
            pick = rng.random(length) < 0.3
            out.append([int(v) for v in np.where(pick, band, common)])
        arr = np.empty(n, dtype=object)
        arr[:] = out
        return arr, labels.astype(np.int64)

    x_train, y_train = reviews(n_train)
    x_test, y_test = reviews(n_test)
    np.savez(os.path.join(folder, "imdb.npz"), x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def write_forda_like(folder: str, n_train: int, n_test: int, length: int = 500, seed: int = 4) -> None:
    """``FordA_TRAIN.tsv`` / ``FordA_TEST.tsv``: label (-1 or 1) then ``length`` z-normalised values."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    for name, n in (("FordA_TRAIN.tsv", n_train), ("FordA_TEST.tsv", n_test)):
        y = rng.choice([-1, 1], size=n)
        freq = np.where(y > 0, 0.05, 0.02)[:, None]
        x = np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi, (n, 1))) + 0.3 * rng.standard_normal((n, length))
        x = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)
        np.savetxt(os.path.join(folder, name), np.column_stack([y, x]), delimiter="\t", fmt="%.6f")


def write_nab_like(folder: str, days: int = 14, jump_day: int = 10, seed: int = 5) -> tuple[str, str]:
    """NAB-style ``timestamp,value`` CSVs every 5 minutes: ``art_daily_small_noise.csv`` and
    ``art_daily_jumpsup.csv`` (the same pattern with one day's peak jumped up)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = days * 288
    stamps = pd.date_range("2014-04-01", periods=n, freq="5min")
    phase = np.arange(n) % 288
    base = np.where((phase > 100) & (phase < 190), 80.0, 20.0)
    small = base + rng.normal(0, 2, n)
    jump = base + rng.normal(0, 2, n)
    jump[288 * jump_day + 120: 288 * jump_day + 170] += 80.0
    paths = []
    for name, values in (("art_daily_small_noise.csv", small), ("art_daily_jumpsup.csv", jump)):
        path = os.path.join(folder, name)
        pd.DataFrame({"timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"), "value": values}).to_csv(path, index=False)
        paths.append(path)
    return paths[0], paths[1]


def write_movielens_like(folder: str, users: int = 120, movies: int = 300, ratings: int = 6000,
                         seed: int = 6) -> str:
    """``folder/ml-latest-small/{ratings,movies}.csv`` with MovieLens's columns: ratings 0.5-5 in
    halves from a rank-3 user x movie taste model; non-contiguous user and movie ids."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    out = os.path.join(folder, "ml-latest-small")
    os.makedirs(out, exist_ok=True)
    u = rng.standard_normal((users, 3))
    m = rng.standard_normal((movies, 3))
    pairs = rng.choice(users * movies, size=ratings, replace=False)
    ui, mi = pairs // movies, pairs % movies
    score = (u[ui] * m[mi]).sum(1) + 0.3 * rng.standard_normal(ratings)
    stars = np.clip(np.round((3.0 + score) * 2) / 2, 0.5, 5.0)
    movie_ids = np.sort(rng.choice(np.arange(1, 10 * movies), size=movies, replace=False))
    pd.DataFrame({"userId": ui + 1, "movieId": movie_ids[mi], "rating": stars,
                  "timestamp": rng.integers(9e8, 1.5e9, size=ratings)}).to_csv(os.path.join(out, "ratings.csv"),
                                                                              index=False)
    pd.DataFrame({"movieId": movie_ids, "title": [f"Movie {i} (2000)" for i in movie_ids],
                  "genres": "Drama"}).to_csv(os.path.join(out, "movies.csv"), index=False)
    return out

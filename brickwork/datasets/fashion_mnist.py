"""Fashion-MNIST from Keras's cache (``fashion-mnist/*.gz``) or Debian's
``dataset-fashion-mnist`` package; never downloaded."""

from __future__ import annotations

import os

import numpy as np

from brickwork.datasets.keras_cache import KERAS_ORIGIN, cache_dirs, missing, read_idx

FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"  # apt-get install dataset-fashion-mnist
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot")


def _folder(cache_dir: str | os.PathLike | None) -> str:
    dirs = [os.path.join(d, "fashion-mnist") for d in cache_dirs(cache_dir)]
    if cache_dir is not None:
        dirs.append(os.fspath(cache_dir))
    else:
        dirs.append(DEBIAN_DIR)
    for d in dirs:
        if all(os.path.isfile(os.path.join(d, f)) for f in FILES):
            return d
    raise missing(FILES, dirs[:1], KERAS_ORIGIN + "<file name>", "fashion_mnist",
                  note=" On Debian/Ubuntu, `apt-get install dataset-fashion-mnist` provides the files in "
                       f"{DEBIAN_DIR}." if cache_dir is None else "")


def load_data(*, cache_dir: str | os.PathLike | None = None
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.fashion_mnist.load_data``:
    uint8 images ``(60000, 28, 28)`` / ``(10000, 28, 28)``, uint8 labels 0-9 (:data:`CLASS_NAMES`).

    Looks in ``<Keras cache>/fashion-mnist/`` and then Debian's :data:`DEBIAN_DIR`, or only in
    ``cache_dir`` (or ``cache_dir/fashion-mnist``) when given.
    """
    d = _folder(cache_dir)
    paths = [os.path.join(d, f) for f in FILES]
    y_train = read_idx(paths[0], 1, 10**7)
    x_train = read_idx(paths[1], 3, 10**9)
    y_test = read_idx(paths[2], 1, 10**7)
    x_test = read_idx(paths[3], 3, 10**9)
    for x, y, name in ((x_train, y_train, "train"), (x_test, y_test, "t10k")):
        if len(x) != len(y):
            raise ValueError(f"fashion_mnist: {d}/{name}-* hold {len(x)} images but {len(y)} labels.")
    return (x_train, y_train), (x_test, y_test)

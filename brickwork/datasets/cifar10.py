"""CIFAR-10 (50,000 + 10,000 32x32 colour images, 10 classes) from Keras's cache."""

from __future__ import annotations

import os

import numpy as np

from brickwork.datasets.cifar import load_batch, locate, to_layout

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def load_data(*, cache_dir: str | os.PathLike | None = None
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.cifar10.load_data``: uint8
    images ``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)`` (channels first when
    ``image_data_format()`` is ``'channels_first'``) and uint8 labels of shape ``(N, 1)``.

    Reads ``cifar-10-batches-py/`` (``data_batch_1`` ... ``data_batch_5``, ``test_batch``) under
    Keras's cache (also inside ``cifar-10-batches-py-target/``, where Keras 3 extracts it), or
    the ``.tar.gz`` there, or the same in ``cache_dir``.
    """
    read = locate("cifar-10-batches-py", ORIGIN, "cifar10", cache_dir)
    parts = [load_batch(read(f"data_batch_{i}"), what=f"cifar10 data_batch_{i}") for i in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts]).astype(np.uint8, copy=False)
    y_train = np.concatenate([np.asarray(p[1]) for p in parts]).astype(np.uint8)
    x_test, y_test = load_batch(read("test_batch"), what="cifar10 test_batch")
    y_train = y_train.reshape(len(y_train), 1)
    y_test = np.reshape(y_test, (len(y_test), 1)).astype(y_train.dtype)
    return (to_layout(x_train), y_train), (to_layout(x_test.astype(x_train.dtype)), y_test)

"""Fixtures for the keras-io guide tests: a Keras cache folder holding offline stand-ins of the
datasets the guides download (see data.py), and each test run inside a temporary folder so
files the guides write (``my_model.keras``, ``./ckpt``, plots) land there."""

from __future__ import annotations

import guide_data as data
import pytest


@pytest.fixture(scope="session")
def keras_home(tmp_path_factory: pytest.TempPathFactory) -> str:
    home = tmp_path_factory.mktemp("keras_home")
    datasets = home / "datasets"
    datasets.mkdir()
    data.write_mnist(str(datasets), n_train=3000, n_test=500)
    data.write_cifar10(str(datasets), per_batch=60, n_test=100)
    data.write_imdb(str(datasets), n_train=256, n_test=128)
    return str(home)


@pytest.fixture(autouse=True)
def _offline_guide(keras_home: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERAS_HOME", keras_home)
    monkeypatch.chdir(tmp_path)
    import matplotlib

    matplotlib.use("Agg")

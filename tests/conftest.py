"""Shared test fixtures and hypothesis settings."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # Keras 3 is a test oracle only, on the PyTorch backend

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import brickwork as bw

settings.register_profile("brickwork", max_examples=15, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("brickwork")


@pytest.fixture(autouse=True)
def _fresh_session():
    """Each test starts with fresh layer names, a fixed seed, and the registry as it was
    (a class one test registers must not answer another test's lookup)."""
    from brickwork.utils import registry

    tables = [registry._REGISTRY, registry._CUSTOM_OBJECTS, registry._REGISTERED_NAMES]
    saved = [dict(t) for t in tables]
    bw.utils.clear_session()
    bw.set_seed(1234)
    yield
    for table, before in zip(tables, saved):
        table.clear()
        table.update(before)


@pytest.fixture
def rng():
    return np.random.default_rng(0)

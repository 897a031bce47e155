"""Test helpers: hypothesis strategies for shapes and arrays, PyTorch conversion, and loading an example."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st

import brickwork as bw


def shapes(min_dims: int = 1, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    return st.lists(st.integers(min_side, max_side), min_size=min_dims, max_size=max_dims).map(tuple)


@st.composite
def broadcastable_pair(draw, max_dims: int = 3):
    """Two shapes that broadcast together (some axes of the second set to 1 or dropped)."""
    a = draw(shapes(1, max_dims))
    b = list(a)
    for i in range(len(b)):
        if draw(st.booleans()):
            b[i] = 1
    drop = draw(st.integers(0, len(b) - 1))
    b = b[drop:]
    if draw(st.booleans()):
        return a, tuple(b)
    return tuple(b), a


def arrays(rng: np.random.Generator, shape, low: float = -2.0, high: float = 2.0, away_from=None, margin=0.05):
    """Uniform float64 values, optionally kept ``margin`` away from kinks at ``away_from``."""
    x = rng.uniform(low, high, size=shape)
    if away_from is not None:
        for k in np.atleast_1d(away_from):
            close = np.abs(x - k) < margin
            x[close] = k + np.sign(x[close] - k + 1e-12) * margin * 2
    return x


def seeded(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def to_torch(x: np.ndarray, requires_grad: bool = True) -> torch.Tensor:
    return torch.tensor(np.asarray(x), requires_grad=requires_grad)


def assert_close(actual, expected, dtype=np.float64, what: str = ""):
    """1e-5 relative in float64, 1e-4 in float32 (the issue's parity tolerances)."""
    rtol = 1e-5 if np.dtype(dtype) == np.float64 else 1e-4
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    actual = actual.data if isinstance(actual, bw.Tensor) else np.asarray(actual)
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-3)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def weighted_sum(outs, phase: float = 0.3, wave=np.sin):
    """``Σ_k Σ o_k ⊙ wave(i (phase + k))`` over each output ``o_k`` (``i`` the flat index): a scalar loss whose
    gradient differs for every element of every output, so that a gradient sent to the wrong element shows."""
    loss = None
    for k, o in enumerate(outs):
        weights = wave(np.arange(o.data.size) * (phase + k)).reshape(o.shape).astype(o.data.dtype)
        term = (o * bw.Tensor(weights)).sum()
        loss = term if loss is None else loss + term
    return loss


def load_example(name: str, module_name: str | None = None):
    """``examples/<name>.py`` imported as a module (without running its ``__main__`` block)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(module_name or f"example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

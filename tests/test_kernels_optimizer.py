"""The compiled optimizer updates (brickwork.kernels.optimizer_kernels, the ``optimizer`` family): Adam, AdamW
and RMSprop give the NumPy update's weights and slots bit for bit, the kernel really runs, and the cases it
does not take (AMSGrad, centred RMSprop, strided gradients, switched off) run the NumPy code."""

from __future__ import annotations

import numpy as np
import pytest

import brickwork as bw
from brickwork import kernels
from brickwork.engine.variable import Variable

needs_numba = pytest.mark.skipif(not kernels.available(), reason="numba (the fast extra) is not installed")

CONFIGS = {
    "adam": lambda: bw.optimizers.Adam(1e-2),
    "adam, epsilon outside": lambda: bw.optimizers.Adam(3e-3, beta_2=0.99, epsilon=1e-8, epsilon_outside=True),
    "adamw, global clipping": lambda: bw.optimizers.AdamW(1e-3, weight_decay=0.1, beta_2=0.99, global_clipnorm=1.0),
    "adamw, schedule": lambda: bw.optimizers.AdamW(bw.optimizers.schedules.CosineDecay(1e-2, 10)),
    "adam, clipnorm and clipvalue": lambda: bw.optimizers.Adam(1e-2, clipnorm=0.5, clipvalue=0.1),
    "adam, global norm never reached": lambda: bw.optimizers.Adam(1e-2, global_clipnorm=1e6),
    "rmsprop": lambda: bw.optimizers.RMSprop(1e-2),
    "rmsprop, weight decay, global clipping": lambda: bw.optimizers.RMSprop(1e-2, weight_decay=0.01,
                                                                           global_clipnorm=0.5),
    "rmsprop, momentum": lambda: bw.optimizers.RMSprop(1e-2, rho=0.8, momentum=0.9, epsilon=1e-6),
    "adam, float beta_1 0.8": lambda: bw.optimizers.Adam(1e-2, beta_1=0.8, beta_2=0.95),
}
SHAPES = [(7, 5), (3,), (2, 3, 4), (1,)]


def _calls(monkeypatch):
    """Count the compiled loops' calls."""
    from brickwork.kernels import optimizer_kernels as ok

    count = {"n": 0}
    for name in ("_adam", "_rmsprop"):
        real = getattr(ok, name)

        def spy(*args, real=real):
            count["n"] += 1
            return real(*args)

        monkeypatch.setattr(ok, name, spy)
    return count


def _train(make, on: bool, dtype, steps: int = 6, seed: int = 0, strided: bool = False):
    rng = np.random.default_rng(seed)
    variables = [Variable(rng.standard_normal(shape).astype(dtype)) for shape in SHAPES]
    opt = make()
    with kernels.use_kernels(on, families=kernels.FAMILIES):
        for _ in range(steps):
            grads = []
            for v in variables:
                g = rng.standard_normal(v.shape).astype(dtype) * 3
                if strided and g.ndim == 2:
                    g = np.asfortranarray(g)
                grads.append(g)
            opt.apply(grads, variables)
    slots = [np.asarray(a) for v in variables for a in opt._slots[id(v)].values()]
    return [np.asarray(v.data) for v in variables], slots


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_the_compiled_update_equals_the_numpy_update_bit_for_bit(name, dtype, monkeypatch):
    count = _calls(monkeypatch)
    weights, slots = _train(CONFIGS[name], True, dtype)
    assert count["n"] == 6 * len(SHAPES)                 # every variable, every step, took the kernel
    ref_weights, ref_slots = _train(CONFIGS[name], False, dtype)
    assert count["n"] == 6 * len(SHAPES)                 # and the reference did not
    for got, want in zip(weights + slots, ref_weights + ref_slots):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@needs_numba
@pytest.mark.parametrize("make, strided", [
    (lambda: bw.optimizers.Adam(1e-2, amsgrad=True), False),
    (lambda: bw.optimizers.RMSprop(1e-2, centered=True), False),
    (lambda: bw.optimizers.Adam(1e-2), True),
    (lambda: bw.optimizers.Adam(1e-2, gradient_decay=0.01), False),
])
def test_cases_the_kernel_does_not_take_run_the_numpy_update(make, strided, monkeypatch):
    count = _calls(monkeypatch)
    weights, _ = _train(make, True, np.float32, strided=strided)
    ref, _ = _train(make, False, np.float32, strided=strided)
    if strided:
        assert count["n"] == 6 * (len(SHAPES) - 1)       # the 2-D variable's Fortran-ordered gradient did not
    else:
        assert count["n"] == 0
    for got, want in zip(weights, ref):
        np.testing.assert_array_equal(got, want)


def test_without_the_family_the_numpy_update_runs(monkeypatch):
    count = _calls(monkeypatch) if kernels.available() else {"n": 0}
    others = tuple(f for f in kernels.FAMILIES if f != "optimizer")

    def step(on, families):
        rng = np.random.default_rng(0)
        v = Variable(rng.standard_normal((4, 3)).astype(np.float32))
        opt = bw.optimizers.Adam(1e-2)
        with kernels.use_kernels(on, families=families):
            for _ in range(3):
                opt.apply([rng.standard_normal((4, 3)).astype(np.float32)], [v])
        return np.asarray(v.data)

    np.testing.assert_array_equal(step(True, others), step(False, kernels.FAMILIES))
    assert count["n"] == 0


@needs_numba
def test_a_model_trains_the_same_with_and_without_the_compiled_update():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 6)).astype(np.float32)
    y = (x[:, :1] - 2 * x[:, 1:2] > 0).astype(np.float32)

    def fit(on):
        with kernels.use_kernels(on, families=kernels.FAMILIES):
            bw.utils.set_random_seed(0)
            model = bw.Sequential([bw.layers.Input((6,)), bw.layers.Dense(8, activation="relu"),
                                   bw.layers.Dense(1, activation="sigmoid")])
            model.compile(bw.optimizers.AdamW(1e-2), "binary_crossentropy")
            history = model.fit(x, y, epochs=5, batch_size=16, shuffle=False, verbose=0)
            return history.history["loss"], [w.copy() for w in model.get_weights()]

    losses, weights = fit(True)
    ref_losses, ref_weights = fit(False)
    assert losses == ref_losses and losses[-1] < losses[0]
    for got, want in zip(weights, ref_weights):
        np.testing.assert_array_equal(got, want)

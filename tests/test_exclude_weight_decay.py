"""``Optimizer.exclude_from_weight_decay`` against Keras 3 (the PyTorch backend, a test oracle)."""

from __future__ import annotations

import keras  # noqa: E402  (a test extra; conftest selects the PyTorch backend)
import numpy as np
import pytest

import brickwork as bw
from brickwork import optimizers

SHAPES = {"kernel": (3, 2), "bias": (2,), "gamma": (2,), "embeddings": (4, 2)}


def initial() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {name: rng.uniform(-1.5, 1.5, shape) for name, shape in SHAPES.items()}


def grad_of(name: str, w: np.ndarray) -> np.ndarray:
    """The gradient of sum(c w^2 + w): it changes with w, so every step differs."""
    c = 1.0 + 0.25 * len(name)
    return 2 * c * w + 1.0


def run_brickwork(make, exclude, steps=4):
    values = initial()
    variables = {n: bw.Variable(v, name=n, path=f"layer/{n}") for n, v in values.items()}
    opt = make()
    if exclude is not None:
        names, picked = exclude
        opt.exclude_from_weight_decay(var_list=[variables[n] for n in picked] or None, var_names=names)
    for _ in range(steps):
        ordered = list(variables.values())
        opt.apply([grad_of(v.name, v.data) for v in ordered], ordered)
    return {n: v.data for n, v in variables.items()}


def run_keras(make, exclude, steps=4):
    values = initial()
    variables = {n: keras.Variable(v, name=n, dtype="float64") for n, v in values.items()}
    opt = make()
    if exclude is not None:
        names, picked = exclude
        opt.exclude_from_weight_decay(var_list=[variables[n] for n in picked] or None, var_names=names)
    for _ in range(steps):
        pairs = [(keras.ops.convert_to_tensor(grad_of(n, keras.ops.convert_to_numpy(v)), dtype="float64"), v)
                 for n, v in variables.items()]
        opt.apply_gradients(pairs)
    return {n: keras.ops.convert_to_numpy(v) for n, v in variables.items()}


EXCLUSIONS = {
    "none": None,
    "names_bias": (["bias"], []),
    "names_regex": (["ga.ma", "^emb"], []),       # Keras joins the names into one regular expression
    "list_only": (None, ["kernel"]),
    "names_and_list": (["bias"], ["embeddings"]),
}


@pytest.mark.parametrize("case", sorted(EXCLUSIONS))
def test_adamw_exclusions_match_keras(case):
    exclude = EXCLUSIONS[case]
    ours = run_brickwork(lambda: optimizers.AdamW(0.05, weight_decay=0.3, epsilon=1e-7), exclude)
    theirs = run_keras(lambda: keras.optimizers.AdamW(0.05, weight_decay=0.3, epsilon=1e-7), exclude)
    for name in SHAPES:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-6, atol=1e-6, err_msg=f"{case}: {name}")


def test_adam_with_weight_decay_honours_exclusions_like_keras():
    exclude = (["bias", "gamma"], [])
    ours = run_brickwork(lambda: optimizers.Adam(0.05, weight_decay=0.2), exclude)
    theirs = run_keras(lambda: keras.optimizers.Adam(0.05, weight_decay=0.2), exclude)
    for name in SHAPES:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-6, atol=1e-6, err_msg=name)


def test_excluded_variable_gets_no_decay_and_others_do():
    """Excluded variables follow plain Adam exactly; the rest differ from it (the decay is really applied)."""
    exclude = (["bias"], ["gamma"])
    decayed = run_brickwork(lambda: optimizers.AdamW(0.05, weight_decay=0.3), exclude)
    plain = run_brickwork(lambda: optimizers.Adam(0.05), None)
    for name in ("bias", "gamma"):
        np.testing.assert_array_equal(decayed[name], plain[name])
    for name in ("kernel", "embeddings"):
        assert np.max(np.abs(decayed[name] - plain[name])) > 1e-3, name


def test_exclusions_apply_in_fit():
    bw.set_seed(0)
    model = bw.models.Sequential([bw.layers.Input(shape=(3,)), bw.layers.Dense(2, bias_initializer="ones")])
    opt = optimizers.AdamW(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    model.compile(optimizer=opt, loss="mse")
    x, y = np.zeros((4, 3), np.float32), np.ones((4, 2), np.float32)   # zero inputs: the kernel's gradient is 0
    kernel0 = model.layers[0].kernel.numpy().copy()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    # the kernel only decays: w (1 - lr wd); the bias (gradient 0 too: y equals the bias) stays put
    np.testing.assert_allclose(model.layers[0].kernel.numpy(), kernel0 * (1 - 0.1 * 0.5), rtol=1e-6)
    np.testing.assert_allclose(model.layers[0].bias.numpy(), np.ones(2), rtol=1e-6)


def test_calling_after_the_first_update_is_an_error():
    var = bw.Variable(np.ones(2), name="bias")
    opt = optimizers.AdamW(0.1)
    opt.exclude_from_weight_decay(var_names=["bias"])  # before building: fine
    opt.apply([np.ones(2)], [var])
    assert opt.built
    with pytest.raises(ValueError, match=r"AdamW: exclude_from_weight_decay\(\) can only be configured before"):
        opt.exclude_from_weight_decay(var_names=["kernel"])


def test_var_names_must_be_strings():
    with pytest.raises(TypeError, match=r"AdamW: exclude_from_weight_decay\(var_names=...\) takes strings; got 3"):
        optimizers.AdamW(0.1).exclude_from_weight_decay(var_names=["bias", 3])


def test_calling_again_replaces_the_exclusions():
    bias, kernel = bw.Variable(np.ones(2), name="bias"), bw.Variable(np.ones(2), name="kernel")
    opt = optimizers.SGD(0.1, weight_decay=0.5)   # zero gradients: only the decay w (1 - lr wd) moves them
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.exclude_from_weight_decay(var_names=["kernel"])
    opt.apply([np.zeros(2), np.zeros(2)], [bias, kernel])
    np.testing.assert_allclose(bias.data, np.full(2, 0.95))
    np.testing.assert_allclose(kernel.data, np.ones(2))

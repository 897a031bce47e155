"""brickwork.random: shapes, dtypes, ranges, moments, seeding (None / int / SeedGenerator)."""

from __future__ import annotations

import numpy as np
import pytest

import brickwork as bw
import brickwork.random as R

N = 20_000
SAMPLERS = {
    "normal": lambda seed: R.normal((4, 5), mean=1.0, stddev=2.0, seed=seed),
    "uniform": lambda seed: R.uniform((4, 5), -1.0, 3.0, seed=seed),
    "randint": lambda seed: R.randint((4, 5), 2, 9, seed=seed),
    "truncated_normal": lambda seed: R.truncated_normal((4, 5), seed=seed),
    "dropout": lambda seed: R.dropout(np.ones((4, 5), np.float32), 0.5, seed=seed),
    "shuffle": lambda seed: R.shuffle(np.arange(20.0).reshape(4, 5), seed=seed),
    "categorical": lambda seed: R.categorical(np.zeros((4, 5)), 6, seed=seed),
    "gamma": lambda seed: R.gamma((4, 5), 2.0, seed=seed),
    "beta": lambda seed: R.beta((4, 5), 2.0, 3.0, seed=seed),
    "binomial": lambda seed: R.binomial((4, 5), 10, 0.3, seed=seed),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_int_seed_is_deterministic_and_seed_generator_advances(name):
    a, b = SAMPLERS[name](7), SAMPLERS[name](7)
    assert isinstance(a, bw.Tensor)
    np.testing.assert_array_equal(a.data, b.data)
    gen = R.SeedGenerator(3)
    first, second = SAMPLERS[name](gen), SAMPLERS[name](gen)
    assert not np.array_equal(first.data, second.data)
    again = R.SeedGenerator(3)
    np.testing.assert_array_equal(SAMPLERS[name](again).data, first.data)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_none_seed_follows_set_seed(name):
    bw.set_seed(11)
    a = SAMPLERS[name](None)
    b = SAMPLERS[name](None)
    bw.set_seed(11)
    np.testing.assert_array_equal(SAMPLERS[name](None).data, a.data)
    np.testing.assert_array_equal(SAMPLERS[name](None).data, b.data)


def test_normal_and_uniform_moments_and_dtypes():
    x = R.normal((N,), mean=1.0, stddev=2.0, seed=0)
    assert x.dtype == np.float32 and x.shape == (N,)
    assert abs(x.data.mean() - 1.0) < 0.05 and abs(x.data.std() - 2.0) < 0.05
    u = R.uniform((N,), -1.0, 3.0, dtype="float64", seed=0)
    assert u.dtype == np.float64 and u.data.min() >= -1.0 and u.data.max() < 3.0
    assert abs(u.data.mean() - 1.0) < 0.05 and abs(u.data.var() - 16 / 12) < 0.05


def test_randint_range_and_dtype():
    x = R.randint((N,), 2, 9, seed=0)
    assert x.dtype == np.int32 and set(np.unique(x.data)) == set(range(2, 9))
    with pytest.raises(ValueError, match="randint: maxval=2 must be larger than minval=2"):
        R.randint((2,), 2, 2)


def test_truncated_normal_stays_within_two_stddevs():
    x = R.truncated_normal((N,), mean=0.5, stddev=0.1, seed=0).data
    assert x.min() >= 0.3 and x.max() <= 0.7
    # the standard normal truncated to [-2, 2] has variance 1 - 4 phi(2) / (2 Phi(2) - 1) ~ 0.7737
    assert abs(x.std() / 0.1 - np.sqrt(0.7737)) < 0.02


def test_dropout_rate_scale_and_gradient():
    x = bw.Tensor(np.ones((N,), np.float32), requires_grad=True)
    y = R.dropout(x, 0.25, seed=1)
    kept = y.data != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y.data[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.75, rtol=1e-6)


def test_dropout_noise_shape_shares_the_mask():
    y = R.dropout(np.ones((50, 8), np.float32), 0.5, noise_shape=(1, 8), seed=2).data
    assert (y == y[0]).all()


def test_shuffle_is_a_permutation_along_axis():
    x = np.arange(30.0).reshape(5, 6)
    y = R.shuffle(x, axis=1, seed=4).data
    np.testing.assert_array_equal(np.sort(y, axis=1), x)
    assert (np.diff(y[:, :1], axis=0) == 6).all()   # whole columns move together


def test_categorical_frequencies_follow_the_logits():
    logits = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 1e-9]]))
    draws = R.categorical(logits, N, seed=0).data
    assert draws.shape == (2, N) and draws.dtype == np.int32
    np.testing.assert_allclose(np.bincount(draws[0], minlength=3) / N, [0.1, 0.2, 0.7], atol=0.015)
    assert (draws[1] != 2).all()
    with pytest.raises(ValueError, match=r"categorical: logits must be 2-D .*\(3,\)"):
        R.categorical(np.zeros(3), 1)


def test_gamma_beta_binomial_moments():
    g = R.gamma((N,), 3.0, seed=0).data
    assert abs(g.mean() - 3.0) < 0.1 and abs(g.var() - 3.0) < 0.2
    b = R.beta((N,), 2.0, 3.0, seed=0).data
    assert b.min() >= 0 and b.max() <= 1 and abs(b.mean() - 0.4) < 0.01
    k = R.binomial((N,), 10, 0.3, seed=0).data
    assert k.dtype == np.float32 and abs(k.mean() - 3.0) < 0.05


def test_bad_seed_and_dtype():
    with pytest.raises(ValueError, match="seed must be None, an int or a SeedGenerator"):
        R.normal((2,), seed="x")
    with pytest.raises(ValueError, match="SeedGenerator: seed must be an int"):
        R.SeedGenerator(1.5)
    with pytest.raises(ValueError, match="expected a float dtype"):
        R.normal((2,), dtype="int32")


def test_seed_generator_config_round_trip():
    gen = R.SeedGenerator(42)
    clone = R.SeedGenerator.from_config(gen.get_config())
    np.testing.assert_array_equal(R.normal((3,), seed=gen).data, R.normal((3,), seed=clone).data)

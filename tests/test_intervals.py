"""brickwork.applications.intervals: t, Wilson and paired t-intervals against SciPy, and their bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from brickwork.applications.intervals import paired_t_interval, t_interval, wilson_interval


def test_t_interval_equals_scipy():
    values = [0.540, 0.526, 0.530, 0.512]
    mean, half = t_interval(values)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
    assert mean == pytest.approx(np.mean(values), abs=1e-12)
    assert (mean - half, mean + half) == pytest.approx((low, high), abs=1e-12)
    _, half90 = t_interval(values, level=0.9)
    assert half90 < half


def test_t_interval_of_one_value_has_no_width():
    mean, half = t_interval([0.5])
    assert mean == 0.5 and math.isnan(half)


def test_wilson_interval_equals_scipy():
    for correct, n in ((7, 20), (1206, 2248), (0, 10), (10, 10)):
        ci = stats.binomtest(correct, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert wilson_interval(correct, n) == pytest.approx((ci.low, ci.high), abs=1e-6)


def test_paired_interval_equals_scipy_ttest_rel():
    a, b = [0.52, 0.55, 0.49, 0.58, 0.51], [0.50, 0.51, 0.50, 0.53, 0.47]
    paired = paired_t_interval(a, b)
    ci = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert (paired.low, paired.high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    assert paired.differences == pytest.approx(np.subtract(a, b).tolist(), abs=1e-15)
    assert paired.mean == pytest.approx(np.mean(np.subtract(a, b)), abs=1e-15)
    assert paired.high - paired.mean == pytest.approx(paired.half_width, abs=1e-15)


def test_pairing_removes_the_shared_split_effect():
    """Two methods that differ by a constant on splits of very different difficulty: the paired interval is
    a point, while the separate t-intervals overlap."""
    hard_to_easy = np.array([0.40, 0.55, 0.70])
    paired = paired_t_interval(hard_to_easy + 0.02, hard_to_easy)
    assert paired.low == pytest.approx(0.02) and paired.high == pytest.approx(0.02)
    mean_a, half_a = t_interval(hard_to_easy + 0.02)
    mean_b, half_b = t_interval(hard_to_easy)
    assert mean_a - half_a < mean_b + half_b  # unpaired, no difference could be claimed


@pytest.mark.parametrize("call, message", [
    (lambda: t_interval([]), "t_interval: values must be a non-empty 1-D"),
    (lambda: t_interval([[0.1, 0.2]]), "t_interval: values must be a non-empty 1-D"),
    (lambda: t_interval([0.1, float("nan")]), "t_interval: values must be finite"),
    (lambda: t_interval([0.1, 0.2], level=1.5), r"t_interval: level must be in \(0, 1\)"),
    (lambda: wilson_interval(3, 0), "wilson_interval: n must be a positive integer"),
    (lambda: wilson_interval(11, 10), r"wilson_interval: correct must be an integer in \[0, n = 10\]"),
    (lambda: wilson_interval(0.5, 10), "wilson_interval: correct must be an integer"),
    (lambda: wilson_interval(3, 10, z=0), "wilson_interval: z must be positive"),
    (lambda: paired_t_interval([0.1, 0.2], [0.1]), "paired_t_interval: a and b must pair up"),
    (lambda: paired_t_interval([], []), "paired_t_interval: a must be a non-empty"),
    (lambda: paired_t_interval([0.1, 0.2], [0.1, 0.3], level=0), r"paired_t_interval: level must be in"),
])
def test_bad_inputs_name_the_function_and_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()

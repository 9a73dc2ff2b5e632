"""Confidence intervals against the published formulas, worked by hand (PHE/APHO technical
guide "Confidence intervals", the methods Fingertips uses), and the Fingertips comparison rule."""

import math

import pytest

from csp_assessment.stats.intervals import (HIGHER, LOWER, NOT_COMPARED, SIMILAR, Z_95, byar_interval, byar_rate_interval,
                                      compare_with_benchmark, wilson_interval)

Z = 1.959964


def test_wilson_20_of_100_by_hand():
    # (2O + z² ∓ z·sqrt(z² + 4·O·q)) / (2(n + z²)), O = 20, n = 100, q = 0.8
    spread = Z * math.sqrt(Z ** 2 + 4 * 20 * 0.8)
    lower = (2 * 20 + Z ** 2 - spread) / (2 * (100 + Z ** 2))
    upper = (2 * 20 + Z ** 2 + spread) / (2 * (100 + Z ** 2))
    assert wilson_interval(20, 100) == pytest.approx((lower, upper), abs=1e-12)
    assert wilson_interval(20, 100) == pytest.approx((0.1334, 0.2888), abs=5e-5)  # the published table's 13.3-28.9%


def test_wilson_0_of_50_by_hand():
    # With O = 0 the lower limit is (z² - z·z) / ... = 0 and the upper z² / (n + z²).
    assert wilson_interval(0, 50) == pytest.approx((0.0, Z ** 2 / (50 + Z ** 2)), abs=1e-12)
    assert wilson_interval(0, 50)[1] == pytest.approx(0.0713, abs=5e-5)


def test_wilson_all_of_n_is_symmetric_to_none():
    lower, upper = wilson_interval(50, 50)
    assert upper == pytest.approx(1.0) and lower == pytest.approx(1 - wilson_interval(0, 50)[1])


def test_byar_83_by_hand():
    observed = 83
    lower = observed * (1 - 1 / (9 * observed) - Z / (3 * math.sqrt(observed))) ** 3
    upper = (observed + 1) * (1 - 1 / (9 * (observed + 1)) + Z / (3 * math.sqrt(observed + 1))) ** 3
    assert byar_interval(83) == pytest.approx((lower, upper), abs=1e-12)
    assert byar_interval(83) == pytest.approx((66.11, 102.89), abs=0.01)


def test_byar_zero_count_has_lower_limit_zero():
    assert byar_interval(0) == pytest.approx((0.0, (1 - 1 / 9 + Z / 3) ** 3), abs=1e-12)


def test_byar_rate_scales_the_count_limits():
    # 83 suicides among 821,612 person-years, per 100,000
    lower, upper = byar_interval(83)
    assert byar_rate_interval(83, 821_612) == pytest.approx((lower * 1e5 / 821_612, upper * 1e5 / 821_612))
    assert byar_rate_interval(83, 821_612, per=1000)[0] == pytest.approx(lower * 1000 / 821_612)


def test_default_z_is_the_two_sided_95_percent_point():
    assert Z_95 == pytest.approx(1.959964)
    assert wilson_interval(20, 100, z=3.090232)[0] < wilson_interval(20, 100)[0]


@pytest.mark.parametrize("call", [lambda: wilson_interval(5, 0), lambda: wilson_interval(6, 5),
                                  lambda: wilson_interval(-1, 5), lambda: byar_interval(-1),
                                  lambda: byar_rate_interval(5, 0)])
def test_impossible_inputs_are_refused(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("national, lower, upper, expected", [
    (8.3, 8.78, 9.02, HIGHER),  # Medway depression 8.9% against England 8.3%
    (0.90, 0.64, 0.70, LOWER),  # severe mental illness 0.67% against 0.90%
    (10.1, 9.3, 14.5, SIMILAR),  # suicide 11.7 against 10.1: higher, but not significantly
    (10.0, 10.0, 12.0, SIMILAR),  # touching the benchmark is not beyond it
    (10.1, None, None, NOT_COMPARED),  # no interval published or computable
    (None, 9.3, 14.5, NOT_COMPARED),  # no benchmark
    (10.1, float("nan"), 14.5, NOT_COMPARED),
])
def test_comparison_with_benchmark_follows_the_intervals(national, lower, upper, expected):
    assert compare_with_benchmark(national, lower, upper) == expected

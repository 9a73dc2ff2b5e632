"""Confidence intervals against the published formulas, worked by hand (PHE/APHO technical
guide "Confidence intervals", the methods Fingertips uses), against the reference values published with
PHEindicatormethods and scipy's chi-squared quantiles, and the Fingertips comparison rule."""

import math

import pytest

from scipy.stats import chi2

from csp_assessment.stats.intervals import (BYAR, EXACT_POISSON, HIGHER, LOWER, NOT_COMPARED, SIMILAR, Z_95, Z_998,
                                            byar_interval, compare_proportions, compare_with_benchmark,
                                            exact_poisson_interval, newcombe_difference_interval, poisson_interval,
                                            poisson_method, poisson_rate_interval, wilson_interval)

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
    assert upper == 1.0 and lower == pytest.approx(1 - wilson_interval(0, 50)[1])


@pytest.mark.parametrize("n", range(1, 201))
def test_wilson_limits_are_exactly_0_and_1_at_none_and_all(n):
    """Wilson's limits worked by hand at O = 0: (0 + z² - z·sqrt(z² + 0)) / (2(n + z²)) = 0, and at
    O = n (q = 0): (2n + z² + z·sqrt(z²)) / (2(n + z²)) = 1 (Wilson 1927; PHE/APHO technical guide
    "Confidence intervals", appendix 3, the Wilson score method Fingertips uses). Floating point
    alone gives 2.8e-17 at 0/13 and 0.9999999999999999 at 24/24; the Fingertips rule (higher only
    when the whole interval lies above the benchmark) must then call 0 of n similar to 0%."""
    assert wilson_interval(0, n)[0] == 0.0 and wilson_interval(n, n)[1] == 1.0
    assert compare_with_benchmark(0.0, *wilson_interval(0, n)) == SIMILAR
    assert compare_with_benchmark(1.0, *wilson_interval(n, n)) == SIMILAR
    assert compare_with_benchmark(100.0, *(100 * v for v in wilson_interval(n, n))) == SIMILAR


def test_byar_83_by_hand():
    observed = 83
    lower = observed * (1 - 1 / (9 * observed) - Z / (3 * math.sqrt(observed))) ** 3
    upper = (observed + 1) * (1 - 1 / (9 * (observed + 1)) + Z / (3 * math.sqrt(observed + 1))) ** 3
    assert byar_interval(83) == pytest.approx((lower, upper), abs=1e-12)
    assert byar_interval(83) == pytest.approx((66.11, 102.89), abs=0.01)


def test_byar_zero_count_has_lower_limit_zero():
    assert byar_interval(0) == pytest.approx((0.0, (1 - 1 / 9 + Z / 3) ** 3), abs=1e-12)


def test_rate_interval_scales_the_count_limits():
    # 83 suicides among 821,612 person-years, per 100,000: Byar's limits of the count (10 or more), scaled
    lower, upper = byar_interval(83)
    assert poisson_rate_interval(83, 821_612) == pytest.approx((lower * 1e5 / 821_612, upper * 1e5 / 821_612))
    assert poisson_rate_interval(83, 821_612, per=1000)[0] == pytest.approx(lower * 1000 / 821_612)


def test_default_z_is_the_two_sided_95_percent_point():
    assert Z_95 == pytest.approx(1.959964)
    assert wilson_interval(20, 100, z=3.090232)[0] < wilson_interval(20, 100)[0]


@pytest.mark.parametrize("call", [lambda: wilson_interval(5, 0), lambda: wilson_interval(6, 5),
                                  lambda: wilson_interval(-1, 5), lambda: byar_interval(-1),
                                  lambda: poisson_rate_interval(5, 0)])
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


# --- OHID's method for counts and crude rates: exact Poisson below 10 events, Byar from 10 ---------------------------
# Reference values published with PHEindicatormethods (tests/testthat/testdata_Rate.xlsx, sheet testdata_Rate,
# rates per 100 with 95% limits): numerator, denominator, lower, upper, method.
PHE_RATE_REFERENCE = [
    (1, 100, 0.025317807984289897, 5.571643390938898, EXACT_POISSON),
    (5, 100, 1.62348639011842, 11.668332079322669, EXACT_POISSON),
    (20, 100, 12.211428834875937, 30.889880369197066, BYAR),
    (65, 100, 50.163187710459454, 82.84913854593984, BYAR),
    (222, 3215, 6.026574877652675, 7.87572937087185, BYAR),
    (9856, 12345, 78.26949058976757, 81.4300165427214, BYAR),
]
# The same workbook's 99.8% limits for 1 and 5 events (exact) and 20 (Byar).
PHE_RATE_REFERENCE_998 = [(1, 100, 0.0010005003335835344, 9.233413476451585),
                          (5, 100, 0.739371731917839, 16.454745203680105),
                          (20, 100, 8.922802365144193, 38.08503562504191)]


@pytest.mark.parametrize("count, population, lower, upper, method", PHE_RATE_REFERENCE)
def test_poisson_rate_interval_matches_phe_indicator_methods(count, population, lower, upper, method):
    assert poisson_rate_interval(count, population, per=100) == pytest.approx((lower, upper), rel=1e-6)
    assert poisson_method(count) == method


@pytest.mark.parametrize("count, population, lower, upper", PHE_RATE_REFERENCE_998)
def test_poisson_rate_interval_at_99_8_percent_matches_phe_indicator_methods(count, population, lower, upper):
    # Z_998 is the 7-significant-figure 3.090232 (the workbook's the full-precision quantile): 1e-5 apart at most.
    assert poisson_rate_interval(count, population, per=100, z=Z_998) == pytest.approx((lower, upper), rel=1e-5)


@pytest.mark.parametrize("count", range(0, 10))
def test_exact_limits_below_ten_from_chi_squared_quantiles(count):
    # Computed independently of statsmodels: lower = χ²(0.025; 2O)/2, upper = χ²(0.975; 2O+2)/2.
    lower = 0.0 if count == 0 else chi2.ppf(0.025, 2 * count) / 2
    upper = chi2.ppf(0.975, 2 * count + 2) / 2
    assert poisson_interval(count) == pytest.approx((lower, upper), rel=1e-6, abs=1e-12)
    assert exact_poisson_interval(count) == pytest.approx((lower, upper), rel=1e-6, abs=1e-12)


def test_byar_from_ten_events():
    assert poisson_method(9) == EXACT_POISSON and poisson_method(10) == BYAR
    assert poisson_interval(10) == byar_interval(10)
    assert poisson_interval(83) == byar_interval(83)


def test_byar_alone_is_far_off_the_exact_lower_limit_at_one_event():
    # The reason for the switch: Byar's lower limit at O = 1 is (1 - 1/9 - z/3)³ = 0.0131, the exact one 0.0253.
    byar_lower, exact_lower = byar_interval(1)[0], exact_poisson_interval(1)[0]
    assert byar_lower == pytest.approx((1 - 1 / 9 - Z / 3) ** 3, rel=1e-9)
    assert 1 - byar_lower / exact_lower == pytest.approx(0.48, abs=0.005)


# Wilson reference values published with PHEindicatormethods (testdata_Proportion.xlsx): count, n, lower, upper.
@pytest.mark.parametrize("count, denominator, lower, upper", [
    (1, 100, 0.0017674320641406511, 0.054486196178705294),
    (65, 100, 0.5525444329688797, 0.7363575175690247),
    (999, 3456, 0.27418951080009873, 0.30440389662818057),
])
def test_wilson_matches_phe_indicator_methods(count, denominator, lower, upper):
    assert wilson_interval(count, denominator) == pytest.approx((lower, upper), rel=1e-6)


@pytest.mark.parametrize("call", [lambda: poisson_interval(-1), lambda: exact_poisson_interval(-2),
                                  lambda: poisson_rate_interval(3, 0)])
def test_impossible_counts_are_refused(call):
    with pytest.raises(ValueError):
        call()


# --- two independent proportions: the interval of their difference ------------------------------------------------
# Newcombe RG (1998), "Interval estimation for the difference between independent proportions: comparison of
# eleven methods", Statistics in Medicine 17: 873-890, table II, method 10 (hybrid score, from the Wilson limits).
NEWCOMBE_TABLE_II = [((56, 70, 48, 80), (0.0524, 0.3339)), ((9, 10, 3, 10), (0.1705, 0.8090)),
                     ((6, 7, 2, 7), (0.0582, 0.8062)), ((5, 56, 0, 29), (-0.0381, 0.1926)),
                     ((0, 10, 0, 20), (-0.1611, 0.2775)), ((10, 10, 0, 20), (0.6791, 1.0))]


@pytest.mark.parametrize("counts, published", NEWCOMBE_TABLE_II)
def test_difference_of_proportions_matches_newcombe_table_ii(counts, published):
    assert newcombe_difference_interval(*counts) == pytest.approx(published, abs=5e-5)


def test_difference_of_proportions_by_hand():
    # d - sqrt((p1 - l1)^2 + (u2 - p2)^2), d + sqrt((u1 - p1)^2 + (p2 - l2)^2) with the Wilson limits by hand.
    def wilson(o, n):
        spread = Z * math.sqrt(Z ** 2 + 4 * o * (1 - o / n))
        return (2 * o + Z ** 2 - spread) / (2 * (n + Z ** 2)), (2 * o + Z ** 2 + spread) / (2 * (n + Z ** 2))

    (l1, u1), (l2, u2) = wilson(18, 613), wilson(1, 109)
    p1, p2 = 18 / 613, 1 / 109
    expected = (p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))
    assert newcombe_difference_interval(18, 613, 1, 109) == pytest.approx(expected, rel=1e-9)
    assert compare_proportions(18, 613, 1, 109) == SIMILAR  # 2.9% against 0.9%, but the interval holds 0


@pytest.mark.parametrize("counts, expected", [
    ((30, 100, 10, 100), HIGHER), ((10, 100, 30, 100), LOWER),
    ((0, 13, 0, 17), SIMILAR),  # City of London, theft from the person: 0 of 13 against 0 of 17
    ((0, 11, 0, 11), SIMILAR), ((5, 20, 0, 0), NOT_COMPARED), ((0, 0, 5, 20), NOT_COMPARED)])
def test_compare_proportions(counts, expected):
    assert compare_proportions(*counts) == expected

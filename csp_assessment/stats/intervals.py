"""95% confidence intervals and benchmark comparisons, as OHID (formerly PHE) Fingertips computes them.

The methods are those of the PHE technical guide "Confidence intervals" (APHO, 2008), which the
Fingertips profiles use:

* proportions (prevalence, completion rates, re-offending rates): the Wilson score interval
  (statsmodels' ``proportion_confint(method="wilson")``);
* counts, and crude rates built on them: the exact Poisson interval (from the chi-squared
  distribution; statsmodels' ``confint_poisson(method="exact-c")``) below 10 events, and Byar's
  approximation to it from 10 events, as PHEindicatormethods' ``phe_rate`` does
  (:func:`poisson_interval`, :func:`poisson_rate_interval`). Byar's method alone is far off for
  small counts: at 1 event its lower limit is 48% below the exact one.

and the Fingertips rule for comparing an area with a benchmark: *higher* or *lower* only when
the area's whole interval lies above or below the benchmark's value, *similar* otherwise, and
*not compared* when there is no interval (or no benchmark) to judge by. Two proportions of
comparable size (an area against the rest of its police force) are compared by the interval of
their difference (Newcombe's method, from the two Wilson intervals).

Plain functions on numbers: no tables, no formatting, so the arithmetic can be checked by hand.
"""

from __future__ import annotations

import math

from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

# The 97.5th percentile of the standard normal distribution: a two-sided 95% interval.
Z_95 = 1.959964
# Fingertips also publishes 99.8% limits (the 99.9th percentile).
Z_998 = 3.090232

HIGHER, LOWER, SIMILAR, NOT_COMPARED = "higher", "lower", "similar", "not compared"

# Counts below this get the exact Poisson interval, counts from it Byar's (PHEindicatormethods).
EXACT_BELOW = 10
# How the interval of a count was obtained, as the sections name it.
EXACT_POISSON, BYAR = "exact Poisson", "Byar"


def _alpha(z: float) -> float:
    """The two-sided significance level whose normal quantile is ``z`` (0.05 for Z_95)."""
    return 2 * norm.sf(z)


def wilson_interval(count: float, denominator: float, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for the proportion ``count / denominator``, as proportions (0 to 1).

    lower, upper = (2O + z² ∓ z·sqrt(z² + 4·O·q)) / (2·(n + z²)), with O the count, n the
    denominator and q = 1 - O/n.

    At O = 0 the lower limit is (z² - z·sqrt(z²)) / ... = 0, and at O = n the upper limit is 1,
    exactly. The floating-point sum gives 2.8e-17 at 0/13 and 0.9999999999999999 at 24/24, which the
    strict comparison with a benchmark of 0% or 100% would call a difference (0 of 13 "higher" than
    0 of 17), so the exact limits are set.
    """
    if denominator <= 0 or not 0 <= count <= denominator:
        raise ValueError(f"a proportion needs 0 <= count <= denominator and denominator > 0; "
                         f"got {count} / {denominator}")
    lower, upper = proportion_confint(count, denominator, alpha=_alpha(z), method="wilson")
    lower = 0.0 if count == 0 else min(max(float(lower), 0.0), 1.0)
    upper = 1.0 if count == denominator else min(max(float(upper), 0.0), 1.0)
    return lower, upper


def byar_interval(count: float, z: float = Z_95) -> tuple[float, float]:
    """Byar's interval for an observed count O (a Poisson count):

    lower = O·(1 - 1/(9O) - z/(3·sqrt(O)))³ (0 when O = 0),
    upper = (O+1)·(1 - 1/(9(O+1)) + z/(3·sqrt(O+1)))³.
    """
    if count < 0:
        raise ValueError(f"a count cannot be negative; got {count}")
    lower = 0.0 if count == 0 else count * (1 - 1 / (9 * count) - z / (3 * math.sqrt(count))) ** 3
    above = count + 1
    upper = above * (1 - 1 / (9 * above) + z / (3 * math.sqrt(above))) ** 3
    return lower, upper


def exact_poisson_interval(count: float, z: float = Z_95) -> tuple[float, float]:
    """The exact interval for an observed Poisson count O, from chi-squared quantiles:

    lower = χ²(α/2; 2O) / 2 (0 when O = 0), upper = χ²(1 - α/2; 2O + 2) / 2.
    """
    if count < 0:
        raise ValueError(f"a count cannot be negative; got {count}")
    lower, upper = confint_poisson(count, 1, method="exact-c", alpha=_alpha(z))
    return (0.0 if count == 0 else float(lower)), float(upper)


def poisson_method(count: float) -> str:
    """Which interval :func:`poisson_interval` gives a count: exact Poisson below 10, Byar from 10."""
    return EXACT_POISSON if count < EXACT_BELOW else BYAR


def poisson_interval(count: float, z: float = Z_95) -> tuple[float, float]:
    """The interval of a count as OHID computes it: exact Poisson below 10 events, Byar's from 10."""
    return exact_poisson_interval(count, z) if count < EXACT_BELOW else byar_interval(count, z)


def poisson_rate_interval(count: float, population: float, per: float = 100_000,
                          z: float = Z_95) -> tuple[float, float]:
    """Interval for the crude rate ``count / population * per`` as OHID computes it (PHEindicatormethods'
    ``phe_rate``): the count's :func:`poisson_interval`, scaled."""
    if population <= 0:
        raise ValueError(f"a rate needs a population above zero; got {population}")
    lower, upper = poisson_interval(count, z)
    return lower * per / population, upper * per / population


def newcombe_difference_interval(count1: float, n1: float, count2: float, n2: float,
                                 z: float = Z_95) -> tuple[float, float]:
    """95% interval of the difference of two independent proportions p1 - p2 (as proportions), by
    Newcombe's hybrid score method (Newcombe 1998, "Interval estimation for the difference between
    independent proportions", method 10), built from each proportion's Wilson interval (l, u):

        lower = d - sqrt((p1 - l1)² + (u2 - p2)²),  upper = d + sqrt((u1 - p1)² + (p2 - l2)²),  d = p1 - p2.
    """
    p1, p2 = count1 / n1, count2 / n2
    l1, u1 = wilson_interval(count1, n1, z)
    l2, u2 = wilson_interval(count2, n2, z)
    difference = p1 - p2
    return (difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def compare_proportions(count1: float, n1: float, count2: float, n2: float) -> str:
    """The first proportion against a second, independent one (an area against the rest of its
    force, which unlike England is no fixed benchmark: it has its own sampling error): *higher* or
    *lower* when the 95% interval of the difference (:func:`newcombe_difference_interval`) excludes
    0, *similar* otherwise, *not compared* when either has no denominator."""
    if not n1 or not n2:
        return NOT_COMPARED
    lower, upper = newcombe_difference_interval(count1, n1, count2, n2)
    return HIGHER if lower > 0 else LOWER if upper < 0 else SIMILAR


def compare_with_benchmark(benchmark: float | None, lower: float | None, upper: float | None) -> str:
    """The Fingertips comparison of an area with a benchmark value (e.g. England's)."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (benchmark, lower, upper)):
        return NOT_COMPARED
    if lower > benchmark:
        return HIGHER
    if upper < benchmark:
        return LOWER
    return SIMILAR

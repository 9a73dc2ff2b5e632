"""95% confidence intervals and benchmark comparisons, as OHID (formerly PHE) Fingertips computes them.

The methods are those of the PHE technical guide "Confidence intervals" (APHO, 2008), which the
Fingertips profiles use:

* proportions (prevalence, completion rates, re-offending rates): the Wilson score interval;
* counts, and crude rates built on them: Byar's approximation to the exact Poisson interval;

and the Fingertips rule for comparing an area with a benchmark: *higher* or *lower* only when
the area's whole interval lies above or below the benchmark's value, *similar* otherwise, and
*not compared* when there is no interval (or no benchmark) to judge by.

Plain functions on numbers: no tables, no formatting, so the arithmetic can be checked by hand.
"""

from __future__ import annotations

import math

# The 97.5th percentile of the standard normal distribution: a two-sided 95% interval.
Z_95 = 1.959964
# Fingertips also publishes 99.8% limits (the 99.9th percentile).
Z_998 = 3.090232

HIGHER, LOWER, SIMILAR, NOT_COMPARED = "higher", "lower", "similar", "not compared"


def wilson_interval(count: float, denominator: float, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for the proportion ``count / denominator``, as proportions (0 to 1).

    lower, upper = (2O + z² ∓ z·sqrt(z² + 4·O·q)) / (2·(n + z²)), with O the count, n the
    denominator and q = 1 - O/n.
    """
    if denominator <= 0 or not 0 <= count <= denominator:
        raise ValueError(f"a proportion needs 0 <= count <= denominator and denominator > 0; "
                         f"got {count} / {denominator}")
    q = 1 - count / denominator
    centre = 2 * count + z * z
    spread = z * math.sqrt(z * z + 4 * count * q)
    scale = 2 * (denominator + z * z)
    return (centre - spread) / scale, (centre + spread) / scale


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


def byar_rate_interval(count: float, population: float, per: float = 100_000, z: float = Z_95) -> tuple[float, float]:
    """Interval for the crude rate ``count / population * per``: Byar's interval of the count, scaled."""
    if population <= 0:
        raise ValueError(f"a rate needs a population above zero; got {population}")
    lower, upper = byar_interval(count, z)
    return lower * per / population, upper * per / population


def compare_with_benchmark(benchmark: float | None, lower: float | None, upper: float | None) -> str:
    """The Fingertips comparison of an area with a benchmark value (e.g. England's)."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (benchmark, lower, upper)):
        return NOT_COMPARED
    if lower > benchmark:
        return HIGHER
    if upper < benchmark:
        return LOWER
    return SIMILAR

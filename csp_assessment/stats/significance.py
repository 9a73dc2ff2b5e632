"""Tests of change between two periods: is a proportion's change more than chance would give?

Used for the share of domestic abuse victims who are repeat victims, compared year on year. Plain
functions on numbers, so the arithmetic can be checked by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

ALPHA = 0.05  # two-sided 5% level, as the 95% intervals elsewhere in the reports


@dataclass(frozen=True)
class ProportionChange:
    """Two periods' proportions and the two-proportion z-test (pooled) of their difference."""

    previous_count: int
    previous_total: int
    count: int
    total: int
    z: float
    p_value: float

    @property
    def previous_pct(self) -> float:
        return 100.0 * self.previous_count / self.previous_total

    @property
    def pct(self) -> float:
        return 100.0 * self.count / self.total

    @property
    def difference_points(self) -> float:
        """The change in percentage points (latest minus previous)."""
        return self.pct - self.previous_pct

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA

    @property
    def verdict(self) -> str:
        """'significant rise', 'significant fall' or 'no significant change' (5% level, two-sided)."""
        if not self.significant:
            return "no significant change"
        return "significant rise" if self.difference_points > 0 else "significant fall"


def two_proportion_test(previous_count: int, previous_total: int, count: int, total: int) -> ProportionChange:
    """The two-sided z-test of two independent proportions with the pooled variance:

        p = (x1 + x2) / (n1 + n2),  z = (x2/n2 - x1/n1) / sqrt(p (1 - p) (1/n1 + 1/n2)),

    p-value = 2 (1 - Φ(|z|)): statsmodels' ``proportions_ztest`` (its default pools the variance).
    """
    for x, n in ((previous_count, previous_total), (count, total)):
        if n <= 0 or not 0 <= x <= n:
            raise ValueError(f"a proportion needs 0 <= count <= total and total > 0; got {x} / {n}")
    if previous_count + count in (0, previous_total + total):  # every or no case: nothing varies, nothing to test
        return ProportionChange(previous_count, previous_total, count, total, 0.0, 1.0)
    from statsmodels.stats.proportion import proportions_ztest  # here: statsmodels takes seconds to import

    z, p_value = proportions_ztest([count, previous_count], [total, previous_total], alternative="two-sided")
    return ProportionChange(int(previous_count), int(previous_total), int(count), int(total), float(z), float(p_value))

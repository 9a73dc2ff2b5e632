"""XmR charts: limits, the Making Data Count rules at their boundaries, summaries and the chart.

Expected numbers are worked out by hand in each test. Most tests put a fixed 12-point baseline in
front of the points under test, so the limits do not move while the rule is probed:

    BASE = 11, 9, 11, 9, ... (12 points)  -> mean = 120 / 12 = 10
    11 moving ranges, all 2                -> mean moving range = 22 / 11 = 2 (none screened)
    process limits = 10 ± 2.66 × 2         =  4.68 and 15.32
    "close" beyond 10 ± (2 × 2.66 / 3) × 2 = 10 ± 3.5467 -> below 6.4533 or above 13.5467
"""

from __future__ import annotations

import io

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.figure import Figure

from csp_assessment.display.spc_chart import plot_spc
from csp_assessment.stats.spc import SPCResult, special_cause_table, xmr

BASE = [11, 9] * 6
UPL = 10 + 2.66 * 2  # 15.32
LPL = 10 - 2.66 * 2  # 4.68
FALSE_12 = [False] * 12


def monthly(values, start="2016-04"):
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="MS"), dtype=float)


def with_base(tail, **kwargs) -> SPCResult:
    """BASE (Apr 2016 - Mar 2017) as the fixed baseline, then ``tail`` from Apr 2017."""
    return xmr(monthly(BASE + tail), fix_after=12, **kwargs)


def column(result: SPCResult, name: str, tail_only: bool = True) -> list:
    values = result.table[name].tolist()
    return values[12:] if tail_only else values


# --- limits ---------------------------------------------------------------------------------


def test_limits_by_hand_without_outliers():
    # y = 4, 6, 5, 7, 6, 8: mean = 36 / 6 = 6; moving ranges 2, 1, 2, 1, 2 -> 8 / 5 = 1.6;
    # 3.267 × 1.6 = 5.23, so screening keeps them all and both options agree.
    for screen in (True, False):
        table = xmr(monthly([4, 6, 5, 7, 6, 8]), screen_outliers=screen).table
        assert table["mean"].tolist() == pytest.approx([6] * 6)
        assert table["upl"].tolist() == pytest.approx([6 + 2.66 * 1.6] * 6)  # 10.256
        assert table["lpl"].tolist() == pytest.approx([6 - 2.66 * 1.6] * 6)  # 1.744
        assert table["upper_close"].iloc[0] == pytest.approx(6 + (2 / 3) * 2.66 * 1.6)  # 8.8373
        assert table["lower_close"].iloc[0] == pytest.approx(6 - (2 / 3) * 2.66 * 1.6)  # 3.1627
        assert table["baseline"].all()
        assert not table["special_cause"].any()


def test_screening_drops_the_huge_moving_range_but_keeps_the_mean():
    # y = 1, 2, 1, 2, ..., 1, 50 (12 points). Mean = (6 × 1 + 5 × 2 + 50) / 12 = 66 / 12 = 5.5.
    # Moving ranges: ten of 1 and one of 49 -> mean 59 / 11 = 5.36; 3.267 × 5.36 = 17.5, so the 49
    # is dropped and the mean moving range becomes 10 / 10 = 1. The centre line stays 5.5.
    values = monthly([1, 2] * 5 + [1, 50])
    screened = xmr(values)
    assert screened.table["mean"].iloc[0] == pytest.approx(5.5)
    assert screened.table["upl"].iloc[0] == pytest.approx(5.5 + 2.66 * 1)  # 8.16
    assert screened.table["lpl"].iloc[0] == pytest.approx(5.5 - 2.66 * 1)  # 2.84
    # The centre line is pulled up by the 50 while the limits are narrow: 1 and 2 are below 2.84.
    assert screened.table["outside_limits"].all()
    assert any("1 unusually large moving range was left out" in note for note in screened.notes)

    unscreened = xmr(values, screen_outliers=False)
    assert unscreened.table["mean"].iloc[0] == pytest.approx(5.5)
    assert unscreened.table["upl"].iloc[0] == pytest.approx(5.5 + 2.66 * 59 / 11)  # 19.77
    assert unscreened.table["lpl"].iloc[0] == pytest.approx(5.5 - 2.66 * 59 / 11)  # -8.77
    assert unscreened.table["outside_limits"].tolist() == [False] * 11 + [True]  # 50 > 19.77
    assert not any("moving range" in note for note in unscreened.notes)


def test_constant_series_has_limits_on_the_mean_and_no_special_cause():
    # Every moving range is 0: nothing to screen, so the limits sit on the mean (not undefined).
    table = xmr(monthly([5] * 12)).table
    assert table[["mean", "lpl", "upl"]].to_numpy().tolist() == [[5, 5, 5]] * 12
    assert not table["special_cause"].any()


# --- outside the limits ---------------------------------------------------------------------


def test_outside_limits_is_strictly_beyond():
    result = with_base([UPL, 10, 15.33, 10, LPL, 10, 4.67, 10])
    table = result.table
    assert table["upl"].iloc[0] == UPL and table["lpl"].iloc[0] == LPL
    assert column(result, "outside_limits") == [False, False, True, False, False, False, True, False]
    # A point exactly on a limit is "close", not outside, and alone it fires nothing.
    assert column(result, "special_cause") == [False, False, True, False, False, False, True, False]
    assert column(result, "point_type")[2] == "special_cause_concern"  # above, measure to decrease
    assert column(result, "point_type")[6] == "special_cause_improvement"


# --- run of 7 -------------------------------------------------------------------------------


def test_run_of_exactly_seven_fires_and_six_does_not():
    seven = with_base([11] * 7 + [9])
    assert column(seven, "run", tail_only=False) == FALSE_12 + [True] * 7 + [False]
    assert column(seven, "point_type") == ["special_cause_concern"] * 7 + ["common_cause"]

    six = with_base([11] * 6 + [9])
    assert not six.table["run"].any()
    assert not six.table["special_cause"].any()


def test_every_point_of_a_longer_run_is_special_cause():
    eight = with_base([11] * 8 + [9], improvement="increase")
    assert column(eight, "run") == [True] * 8 + [False]
    assert column(eight, "point_type") == ["special_cause_improvement"] * 8 + ["common_cause"]


def test_run_counts_baseline_points():
    # BASE ends with a 9 (below the mean); with six more 9s that makes 7 below.
    result = with_base([9] * 6 + [11])
    assert column(result, "run", tail_only=False) == [False] * 11 + [True] * 7 + [False]


def test_point_on_the_mean_breaks_a_run():
    result = with_base([11] * 3 + [10] + [11] * 4 + [9])
    assert not result.table["run"].any()
    assert not result.table["special_cause"].any()


# --- trend of 7 -----------------------------------------------------------------------------


def test_trend_of_seven_points_fires_and_side_of_mean_sets_the_type():
    # 9 (end of BASE) -> 8.5 is a fall; then 8.5 ... 12 is 7 points with 6 rises; 12 -> 11 falls.
    result = with_base([8.5, 9, 9.5, 10.5, 11, 11.5, 12, 11])
    assert column(result, "trend", tail_only=False) == FALSE_12 + [True] * 7 + [False]
    assert not result.table["run"].any() and not result.table["two_in_three"].any()
    # A rising trend, but the points below the mean are improvement for a "decrease" measure.
    assert column(result, "point_type") == (
        ["special_cause_improvement"] * 3 + ["special_cause_concern"] * 4 + ["common_cause"]
    )


def test_trend_of_six_points_does_not_fire():
    # 9 (end of BASE) -> 9 is a tie, so 9, 9.5, 10.5, 11, 11.5, 12 is only 6 points (5 rises).
    result = with_base([9, 9.5, 10.5, 11, 11.5, 12, 11])
    assert not result.table["trend"].any()
    assert not result.table["special_cause"].any()


def test_tie_inside_a_trend_breaks_it():
    # 8, 8.5, 9, 9, 10.5, 11, 11.5, 12: seven rises in all, but the tie leaves runs of 2 and 4.
    result = with_base([8, 8.5, 9, 9, 10.5, 11, 11.5, 12, 11])
    assert not result.table["trend"].any()
    assert not result.table["special_cause"].any()


def test_falling_trend_fires():
    # 9 -> 11.5 rises; 11.5, 11, 10.5, 9.5, 9, 8.5, 8 falls 6 times; 8 -> 9 rises.
    result = with_base([11.5, 11, 10.5, 9.5, 9, 8.5, 8, 9], improvement="increase")
    assert column(result, "trend") == [True] * 7 + [False]
    assert column(result, "point_type") == (
        ["special_cause_improvement"] * 3 + ["special_cause_concern"] * 4 + ["common_cause"]
    )


def test_trend_point_exactly_on_the_mean_is_neutral():
    # The trend passes through 10, the mean: on neither side, so neither improvement nor concern.
    for improvement in ("decrease", "neutral"):
        result = with_base([8.5, 9, 9.5, 10, 10.5, 11, 11.5, 11], improvement=improvement)
        assert column(result, "trend") == [True] * 7 + [False]
        assert column(result, "point_type")[3] == "special_cause_neutral"


# --- 2 of 3 close to the limits -------------------------------------------------------------


def test_two_of_three_close_on_the_same_side_fire_only_the_close_points():
    # 14 is close (13.5467 < 14 < 15.32); 11 is above the mean but not close.
    above = with_base([14, 11, 14, 9])
    assert column(above, "two_in_three") == [True, False, True, False]
    assert column(above, "point_type") == [
        "special_cause_concern", "common_cause", "special_cause_concern", "common_cause",
    ]
    # 6 is close below (4.68 < 6 < 6.4533) and 9 is below the mean.
    below = with_base([6, 9, 6, 11])
    assert column(below, "two_in_three") == [True, False, True, False]
    assert column(below, "point_type")[0] == "special_cause_improvement"


def test_two_of_three_needs_all_three_on_one_side():
    result = with_base([14, 9, 14, 9])
    assert not result.table["two_in_three"].any()
    assert not result.table["special_cause"].any()


def test_point_outside_the_limits_is_not_close():
    # 16 > 15.32 is outside, so the window 14, 16, 11 has only one close point.
    result = with_base([14, 16, 11, 9])
    assert not result.table["two_in_three"].any()
    assert column(result, "special_cause") == [False, True, False, False]


def test_point_outside_the_limits_still_counts_for_the_side():
    # 14, 16, 14: two close points, all three above the mean; the outside point is flagged by
    # its own rule, not by 2-of-3.
    result = with_base([14, 16, 14, 9])
    assert column(result, "two_in_three") == [True, False, True, False]
    assert column(result, "outside_limits") == [False, True, False, False]
    assert column(result, "special_cause") == [True, True, True, False]


# --- fixed baseline and rebasing ------------------------------------------------------------


def test_fix_after_uses_only_the_first_points():
    values = monthly(BASE + [30, 30])
    fixed = xmr(values, fix_after=12)
    assert fixed.table["baseline"].tolist() == [True] * 12 + [False] * 2
    assert fixed.table["mean"].iloc[-1] == pytest.approx(10)
    assert fixed.table["upl"].iloc[-1] == pytest.approx(15.32)
    assert fixed.table["outside_limits"].tolist() == [False] * 12 + [True] * 2

    # All 14 points: mean = (120 + 60) / 14; moving ranges: eleven of 2, then 21 and 0 -> mean
    # 43 / 13 = 3.31; 3.267 × 3.31 = 10.8 drops the 21 -> mean moving range = 22 / 12.
    whole = xmr(values)
    assert whole.table["baseline"].all()
    assert whole.table["mean"].iloc[0] == pytest.approx(180 / 14)
    assert whole.table["upl"].iloc[0] == pytest.approx(180 / 14 + 2.66 * 22 / 12)


def test_fix_after_longer_than_the_series_uses_every_point():
    table = xmr(monthly([4, 6, 5, 7, 6, 8]), fix_after=24).table
    assert table["baseline"].all()
    assert table["mean"].iloc[0] == pytest.approx(6)


def test_rebased_groups_have_their_own_limits_and_runs_do_not_span_them():
    # Group 0 (Apr-Nov 2016), baseline 9, 11, 9, 11: mean 10, moving ranges 2, 2, 2 -> 2.
    # Group 1 (from Dec 2016), baseline 21, 21, 21, 17: mean 80 / 4 = 20, ranges 0, 0, 4 -> 4 / 3
    # (4 < 3.267 × 4 / 3 = 4.36, kept). The 12 -> 21 jump between groups is not a moving range.
    # 11, 12, 12, 12, 12 above 10 and then 21, 21, 21 above 20 would be 8 in a row if runs spanned.
    values = monthly([9, 11, 9, 11, 12, 12, 12, 12] + [21, 21, 21, 17, 19, 21])
    result = xmr(values, fix_after=4, rebase=["2016-12"])
    table = result.table
    assert table["group"].tolist() == [0] * 8 + [1] * 6
    assert table["baseline"].tolist() == [True] * 4 + [False] * 4 + [True] * 4 + [False] * 2
    assert table["mean"].tolist() == pytest.approx([10] * 8 + [20] * 6)
    assert table["upl"].tolist() == pytest.approx([10 + 2.66 * 2] * 8 + [20 + 2.66 * 4 / 3] * 6)
    assert table["lpl"].tolist() == pytest.approx([10 - 2.66 * 2] * 8 + [20 - 2.66 * 4 / 3] * 6)
    assert not table["run"].any()
    assert not table["special_cause"].any()
    assert result.notes == [
        "Limits for the group starting Apr 2016 are trial limits: based on 4 points, fewer than the 12 recommended.",
        "Limits for the group starting Dec 2016 are trial limits: based on 4 points, fewer than the 12 recommended.",
    ]


@pytest.mark.parametrize("rebase_at", ["2016-08", pd.Period("2016-08", freq="M"), pd.Timestamp("2016-08-01")])
def test_trends_do_not_span_rebased_groups(rebase_at):
    # 10 ... 16 rises 6 times: a trend of 7 in one group. Split after 4 points, neither part is
    # long enough. (Group 0: mean 11.5, limits 11.5 ± 2.66; group 1: mean 15, limits 15 ± 2.66;
    # no point is close to them.)
    values = monthly([10, 11, 12, 13, 14, 15, 16])
    assert xmr(values).table["trend"].all()
    periods = values.copy()
    periods.index = values.index.to_period("M")
    for series in (values, periods):
        table = xmr(series, rebase=[rebase_at]).table
        assert table["group"].tolist() == [0] * 4 + [1] * 3
        assert table["mean"].tolist() == pytest.approx([11.5] * 4 + [15] * 3)
        assert not table["special_cause"].any()


def test_rebase_errors():
    values = monthly(BASE)
    with pytest.raises(ValueError, match="Apr 2020 is not in the series"):
        xmr(values, rebase=["2020-04"])
    with pytest.raises(ValueError, match="at least 2 points"):
        xmr(values, rebase=["2017-03"])  # the last month alone


# --- trial limits ---------------------------------------------------------------------------


def test_trial_limits_below_twelve_baseline_points():
    eleven = xmr(monthly(BASE[:11]))
    assert eleven.trial_limits
    assert eleven.notes == ["Limits are trial limits: based on 11 points, fewer than the 12 recommended."]

    twelve = xmr(monthly(BASE))
    assert not twelve.trial_limits
    assert twelve.notes == []

    fixed_at_nine = xmr(monthly(BASE * 2), fix_after=9)
    assert fixed_at_nine.trial_limits
    assert fixed_at_nine.notes == ["Limits are trial limits: based on 9 points, fewer than the 12 recommended."]


# --- counts: no limit below 0 -------------------------------------------------------------


def test_a_count_has_no_lower_limit_below_zero():
    # y = 2, 8, 1, 9, 3: mean = 23 / 5 = 4.6; moving ranges 6, 7, 8, 6 -> 27 / 4 = 6.75 (3.267 x 6.75 =
    # 22.05 keeps them all); lower limit 4.6 - 2.66 x 6.75 = -13.355, which a count cannot reach: shown as 0.
    values = monthly([2, 8, 1, 9, 3])
    unbounded, count = xmr(values), xmr(values, lower_bound=0)
    assert unbounded.table["lpl"].iloc[0] == pytest.approx(4.6 - 2.66 * 6.75)
    assert count.table["lpl"].tolist() == [0.0] * 5
    assert count.table["upl"].tolist() == pytest.approx([4.6 + 2.66 * 6.75] * 5)  # the upper limit is untouched
    assert count.floored and not unbounded.floored
    assert "works out at -13.4, below 0, which the measure cannot go below; it is shown as 0." in count.notes[0]
    # the bound changes what is printed, never a signal: the same points are flagged either way
    assert count.table["point_type"].tolist() == unbounded.table["point_type"].tolist()
    # a limit above the bound is left as it is, and said nothing about
    high = xmr(monthly([40, 42, 41, 43, 40]), lower_bound=0)
    assert not high.floored and high.table["lpl"].iloc[0] > 0 and not any("shown as 0" in n for n in high.notes)


def test_a_count_below_its_bound_is_an_input_error():
    with pytest.raises(ValueError, match=r"Jun 2016 \(-1\) is below 0"):
        xmr(monthly([3, 4, -1, 5]), lower_bound=0)


def test_the_chart_of_a_count_does_not_reach_below_zero():
    fig = plot_spc(xmr(monthly([2, 8, 1, 9, 3]), lower_bound=0), "Bicycle theft: common cause", "Thefts")
    ax = fig.axes[0]
    lower_line = [line for line in ax.get_lines() if line.get_linestyle() == "--"][1]
    assert set(lower_line.get_ydata()) == {0.0}
    assert -1 < ax.get_ylim()[0] < 0  # room for a point on 0, no negative tick
    assert all(tick >= 0 for tick in ax.get_yticks() if ax.get_ylim()[0] <= tick)


# --- point types and summaries --------------------------------------------------------------


@pytest.mark.parametrize(
    ("improvement", "types", "variation"),
    [
        ("decrease", ["special_cause_concern", "common_cause", "special_cause_improvement"],
         "special cause of improvement"),
        ("increase", ["special_cause_improvement", "common_cause", "special_cause_concern"], "special cause of concern"),
        ("neutral", ["special_cause_neutral_high", "common_cause", "special_cause_neutral_low"],
         "special cause, neither concern nor improvement"),
    ],
)
def test_point_types_and_variation_by_improvement_direction(improvement, types, variation):
    # 20 > 15.32 and 0 < 4.68 are outside; 10 is on the mean.
    result = with_base([20, 10, 0], improvement=improvement)
    assert column(result, "point_type") == types
    assert result.variation == variation
    assert result.improvement == improvement


def test_variation_comes_from_the_latest_point():
    assert with_base([20, 10]).variation == "common cause"


@pytest.mark.parametrize(
    ("improvement", "target", "assurance"),
    [
        ("decrease", 20, "consistently met"),  # above the upper limit 15.32
        ("decrease", UPL, "consistently met"),  # on the limit: not strictly between them
        ("decrease", 2, "consistently missed"),  # below the lower limit 4.68
        ("decrease", 10, "inconsistent (hit and miss)"),
        ("decrease", 15.3, "inconsistent (hit and miss)"),
        ("increase", 20, "consistently missed"),
        ("increase", 2, "consistently met"),
        ("increase", LPL, "consistently met"),
        ("increase", 10, "inconsistent (hit and miss)"),
        ("neutral", 20, None),
        ("decrease", None, None),
    ],
)
def test_assurance(improvement, target, assurance):
    result = with_base([10], improvement=improvement, target=target)
    assert result.assurance == assurance
    assert result.target == target


def test_assurance_uses_the_latest_group():
    # Group 0 limits 4.68-15.32 (target 15 inside); group 1 limits 16.45-23.55 (target 15 below).
    values = monthly([9, 11, 9, 11, 12, 12, 12, 12] + [21, 21, 21, 17, 19, 21])
    result = xmr(values, fix_after=4, rebase=["2016-12"], target=15)
    assert result.assurance == "consistently missed"


# --- input errors ---------------------------------------------------------------------------


def test_input_errors_name_the_problem():
    with pytest.raises(ValueError, match="empty"):
        xmr(monthly([]))
    with pytest.raises(ValueError, match="Jun 2016 is missing"):
        xmr(monthly([1, 2, float("nan"), 4]))
    periods = monthly([1, 2, float("nan"), 4])
    periods.index = periods.index.to_period("M")
    with pytest.raises(ValueError, match="Jun 2016 is missing"):
        xmr(periods)
    with pytest.raises(ValueError, match="at least 2 points are needed"):
        xmr(monthly([5]))
    gappy = monthly([1, 2, 3, 4]).drop(pd.Timestamp("2016-05-01"))
    with pytest.raises(ValueError, match="no row for May 2016"):
        xmr(gappy)
    with pytest.raises(ValueError, match="sorted"):
        xmr(monthly([1, 2, 3]).iloc[::-1])
    with pytest.raises(ValueError, match="improvement must be one of"):
        xmr(monthly([1, 2, 3]), improvement="down")
    with pytest.raises(ValueError, match="fix_after"):
        xmr(monthly([1, 2, 3]), fix_after=1)


# --- special-cause table --------------------------------------------------------------------


def special_cause_results() -> dict[str, SPCResult]:
    # The tails start in Apr 2017.
    return {
        "All crime": with_base([20, 10]),  # concern (outside) in Apr 2017
        "Burglary": with_base([6, 9, 6, 11]),  # improvement (2 of 3) in Apr and Jun 2017
        "Arson": with_base([0]),  # improvement (outside) in Apr 2017
        "Anti-social behaviour": with_base([11] * 7 + [0]),  # run above Apr-Oct, outside below Nov
        "Shoplifting": with_base([20], improvement="neutral"),  # neutral high in Apr 2017
        "Robbery": with_base([10] * 10 + [20]),  # concern only in Feb 2018
        "Vehicle crime": with_base([10, 10]),  # common cause throughout
    }


def test_special_cause_table_filters_by_window_and_orders_by_direction():
    table = special_cause_table(special_cause_results(), "2017-04", "2017-12")
    assert table.columns.tolist() == [
        "category", "months_special_cause", "rules", "direction", "latest_point_type", "variation",
    ]
    assert table["category"].tolist() == [
        "All crime", "Arson", "Burglary", "Anti-social behaviour", "Shoplifting",
    ]
    rows = table.set_index("category")
    assert rows["direction"].to_dict() == {
        "All crime": "concern",
        "Arson": "improvement",
        "Burglary": "improvement",
        "Anti-social behaviour": "improvement and concern",
        "Shoplifting": "neutral",
    }
    assert rows["months_special_cause"].to_dict() == {
        "All crime": 1, "Arson": 1, "Burglary": 2, "Anti-social behaviour": 8, "Shoplifting": 1,
    }
    assert rows.loc["Anti-social behaviour", "rules"] == "outside limits, run of 7"
    assert rows.loc["Burglary", "rules"] == "2 of 3 near limits"
    assert rows.loc["All crime", "latest_point_type"] == "common_cause"  # May 2017
    assert rows.loc["Anti-social behaviour", "latest_point_type"] == "special_cause_improvement"
    assert rows.loc["Anti-social behaviour", "variation"] == "special cause of improvement"


def test_special_cause_table_window_is_inclusive():
    results = special_cause_results()
    # Robbery's only special cause is Feb 2018: in a window ending then, not one ending a month earlier.
    assert "Robbery" in special_cause_table(results, "2018-02", pd.Timestamp("2018-02-01"))["category"].tolist()
    assert "Robbery" not in special_cause_table(results, "2017-04", "2018-01")["category"].tolist()
    # May-Jun 2017 keeps only Burglary's June point and the ASB run.
    narrow = special_cause_table(results, "2017-05", "2017-06").set_index("category")
    assert narrow["months_special_cause"].to_dict() == {"Anti-social behaviour": 2, "Burglary": 1}
    assert narrow.loc["Anti-social behaviour", "direction"] == "concern"


def test_special_cause_table_empty():
    table = special_cause_table({"Vehicle crime": with_base([10, 10])}, "2017-04", "2017-12")
    assert table.empty
    assert table.columns.tolist() == [
        "category", "months_special_cause", "rules", "direction", "latest_point_type", "variation",
    ]


# --- chart ----------------------------------------------------------------------------------


def style_params() -> dict:
    # "backend" is left out: pyplot resolves it lazily, which is not a style change.
    return {key: value for key, value in mpl.rcParams.items() if key != "backend"}


def legend_texts(fig: Figure) -> list[str]:
    return [text.get_text() for text in fig.axes[0].get_legend().get_texts()]


def test_plot_spc_full_legend_labels_and_date_format():
    before = style_params()
    open_figures = plt.get_fignums()
    result = with_base([20, 10, 0], target=12)
    fig = plot_spc(result, "All crime, Anytown", "Offences per month")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "All crime, Anytown"
    assert ax.get_ylabel() == "Offences per month"
    assert ax.get_xlabel() == "Month"
    assert legend_texts(fig) == [
        "Monthly count", "Mean", "Process limits",
        "Special cause – improvement", "Special cause – concern", "Target",
    ]
    assert ax.xaxis.get_major_formatter()(mdates.date2num(pd.Timestamp("2016-04-01"))) == "Apr 16"
    assert not any("Trial limits" in text.get_text() for text in ax.texts)
    fig.savefig(io.BytesIO(), format="png")
    # No pyplot figure left open and no global style change.
    assert plt.get_fignums() == open_figures
    assert style_params() == before


def test_plot_spc_common_cause_only_shows_only_what_is_drawn():
    fig = plot_spc(xmr(monthly(BASE)), "Burglary", "Offences per month")
    assert legend_texts(fig) == ["Monthly count", "Mean", "Process limits"]


def test_plot_spc_rebased_trial_limits_neutral_on_given_axes():
    values = monthly([9, 11, 9, 11, 12, 12, 12, 12] + [21, 21, 21, 17, 19, 40])
    values.index = values.index.to_period("M")
    result = xmr(values, fix_after=4, rebase=["2016-12"], improvement="neutral", target=20)
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_spc(result, "Anti-social behaviour", "Incidents per month", ax=ax) is fig
    assert legend_texts(fig) == ["Monthly count", "Mean", "Process limits", "Special cause – neutral", "Target"]
    # One solid centre line and two dashed limits per group, each spanning only its own months.
    segments = [line for line in ax.get_lines() if len(line.get_xdata()) == 2]
    solid = [line for line in segments if line.get_linestyle() == "-"]
    dashed = [line for line in segments if line.get_linestyle() == "--"]
    assert [line.get_ydata()[0] for line in solid] == pytest.approx([10, 20])
    assert len(dashed) == 4
    assert pd.Timestamp(solid[1].get_xdata()[0]) == pd.Timestamp("2016-12-01")
    assert any(line.get_label() == "Target" and line.get_linestyle() == ":" for line in ax.get_lines())
    assert any("Trial limits" in text.get_text() for text in ax.texts)

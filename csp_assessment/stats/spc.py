"""XmR statistical process control (SPC) charts with the NHS "Making Data Count" rules.

The reference behaviour is NHSRplotthedots (NHS-R community); the team's plain-words summary of it
is /work/shared/design/spc.md. In short, for each rebase group of a monthly series:

* the centre line is the mean of the baseline points (the first ``fix_after`` points, or all);
* the process limits are mean ± 2.66 × the mean moving range of the baseline, after screening out
  moving ranges of 3.267 × their mean or more;
* a point is special cause when it is outside the limits, part of a run of 7 on one side of the mean,
  part of a trend of 7 (6 strict steps the same way) or a close point in a "2 of 3 near the limits";
* a special-cause point is improvement or concern by its side of the mean and the measure's
  improvement direction;
* for a measure that cannot go below a bound (a count cannot be negative: ``lower_bound=0``), a
  lower process limit computed below the bound is set to the bound: a reader is never shown a
  limit of -5 crimes. NHSRplotthedots computes the limit unbounded (R/ptd_spc_standard.R,
  ``lpl = mean_col - limit * amr``) and leaves the axis to its user (its maintainers' answer in
  issue #154 is ``ylim(0, NA)``). No value lies below the bound, so either way the same points are
  flagged: the bound changes what is printed, never a signal.

``xmr`` computes all of that and ``special_cause_table`` lists the series with special-cause
variation in a reporting window; display/spc_chart.py draws the chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# 3 / d2 with d2 = 1.128 for ranges of 2 points: turns the mean moving range into 3-sigma limits.
LIMIT = 2.66
# Two thirds of the way from the mean to the limits, written as NHSRplotthedots writes it so that
# floating-point values on the boundary compare the same way.
CLOSE = 2 * (LIMIT / 3)
# D4 for ranges of 2 points: the upper limit of a moving range, used to screen out outlying ranges.
MR_SCREEN = 3.267
# Points needed in a run (same side of the mean) or a trend (6 steps the same way).
RULE_LENGTH = 7
# Fewer baseline points than this give "trial limits" (Making Data Count recommends 12 or more).
MIN_BASELINE = 12

DIRECTIONS = {"increase": 1, "decrease": -1, "neutral": 0}

# What a point shows, in the words every table, summary and chart title uses (one vocabulary: a
# chart titled "Drugs: common cause" beside a table saying "special cause of concern" would be two
# statements about one series).
VARIATION = {
    "common_cause": "common cause",
    "special_cause_improvement": "special cause of improvement",
    "special_cause_concern": "special cause of concern",
    "special_cause_neutral_high": "special cause, neither concern nor improvement",
    "special_cause_neutral_low": "special cause, neither concern nor improvement",
    "special_cause_neutral": "special cause, neither concern nor improvement",
}

NEUTRAL_TYPES = ("special_cause_neutral_high", "special_cause_neutral_low", "special_cause_neutral")

RULE_LABELS = {
    "outside_limits": "outside limits",
    "run": "run of 7",
    "trend": "trend of 7",
    "two_in_three": "2 of 3 near limits",
}

SPECIAL_CAUSE_COLUMNS = [
    "category",
    "months_special_cause",
    "rules",
    "direction",
    "latest_point_type",
    "variation",
]

@dataclass
class SPCResult:
    """An XmR chart's numbers: one table row per point plus the chart's summaries.

    ``table`` columns: period, value, group (0-based rebase group), baseline (point used for the
    limits), mean, lpl, upl, lower_close, upper_close, outside_limits, run, trend, two_in_three,
    special_cause, point_type.
    """

    table: pd.DataFrame
    improvement: str
    variation: str
    assurance: str | None
    trial_limits: bool
    notes: list[str] = field(default_factory=list)
    target: float | None = None
    lower_bound: float | None = None  # the least value the measure can take (0 for counts), or None
    floored: bool = False  # a lower process limit was computed below lower_bound and is shown at it


def xmr(
    values: pd.Series,
    improvement: str = "decrease",
    fix_after: int | None = None,
    rebase: list | None = None,
    screen_outliers: bool = True,
    target: float | None = None,
    lower_bound: float | None = None,
) -> SPCResult:
    """Compute an XmR chart of ``values`` (index = sorted periods) with the Making Data Count rules.

    ``improvement`` is "increase", "decrease" or "neutral"; ``fix_after`` limits each group's
    baseline to its first N points; ``rebase`` lists the periods that start a new group (strings
    such as "2016-04" are accepted); ``screen_outliers=False`` keeps every moving range, as the
    NHS Excel tool does; ``target`` gives the assurance summary; ``lower_bound`` is the least
    value the measure can take (0 for counts): a lower process limit below it is set to it.
    """
    if improvement not in DIRECTIONS:
        raise ValueError(f"improvement must be one of {sorted(DIRECTIONS)}, not {improvement!r}")
    direction = DIRECTIONS[improvement]
    if fix_after is not None and (
        isinstance(fix_after, bool) or not isinstance(fix_after, (int, np.integer)) or fix_after < 2
    ):
        raise ValueError(f"fix_after must be a whole number of at least 2 points, not {fix_after!r}")
    if target is not None and not np.isfinite(target):
        raise ValueError(f"target must be a finite number, not {target!r}")

    y = _validated_values(values)
    if lower_bound is not None and (y < lower_bound).any():
        below = y[y < lower_bound]
        raise ValueError(f"the value for {_describe(below.index[0])} ({below.iloc[0]:g}) is below {lower_bound:g}, "
                         "the least the measure can take")
    starts = _group_starts(y.index, rebase)
    several = len(starts) > 1

    groups, notes = [], []
    trial_limits = floored = False
    for number, (lo, hi) in enumerate(zip(starts, starts[1:] + [len(y)])):
        part = y.iloc[lo:hi]
        n_base = len(part) if fix_after is None else min(fix_after, len(part))
        where = f" for the group starting {_describe(part.index[0])}" if several else ""
        if n_base < 2:
            raise ValueError(
                f"at least 2 points are needed to compute limits{where}, but there is only 1"
                f" ({_describe(part.index[0])})"
            )
        mean, mean_mr, screened = _centre_and_mean_moving_range(part.to_numpy()[:n_base], screen_outliers)
        group = _group_table(part, number, n_base, mean, mean_mr, direction)
        computed_lpl = float(group["lpl"].iloc[0])  # the assurance compares the target with the reference's limits
        if lower_bound is not None and group["lpl"].iloc[0] < lower_bound:
            # No value lies below the bound, so no point was outside the computed lower limit and
            # none is outside the bound: only the printed limit changes.
            notes.append(f"The lower process limit{where} works out at {group['lpl'].iloc[0]:,.1f}, below "
                         f"{lower_bound:g}, which the measure cannot go below; it is shown as {lower_bound:g}.")
            group["lpl"] = float(lower_bound)
            floored = True
        groups.append(group)
        if n_base < MIN_BASELINE:
            trial_limits = True
            notes.append(
                f"Limits{where} are trial limits: based on {n_base} points, fewer than the"
                f" {MIN_BASELINE} recommended."
            )
        if screened:
            ranges = "moving range was" if screened == 1 else "moving ranges were"
            notes.append(
                f"{screened} unusually large {ranges} left out when setting the limits{where}"
                f" ({MR_SCREEN} × the mean moving range or more)."
            )

    table = pd.concat(groups, ignore_index=True)
    latest = table.iloc[-1]
    if target is not None and direction == 0:
        notes.append("No assurance summary: the measure has no improvement direction.")
    return SPCResult(
        table=table,
        improvement=improvement,
        variation=VARIATION[latest["point_type"]],
        assurance=_assurance(target, direction, computed_lpl, latest["upl"]),
        trial_limits=trial_limits,
        notes=notes,
        target=None if target is None else float(target),
        lower_bound=None if lower_bound is None else float(lower_bound),
        floored=floored,
    )


def special_cause_table(results: dict[str, SPCResult], start, end) -> pd.DataFrame:
    """One row per series with special-cause points in [start, end] (inclusive).

    ``months_special_cause`` counts those points, ``rules`` names the rules that flagged them,
    ``direction`` says whether they are improvement, concern, both or neutral,
    ``latest_point_type`` is the type of the last point in the window and ``variation`` the
    chart's summary from its most recent point. Rows with concern come first, then improvement,
    then the rest, each by category.
    """
    rows = []
    for category, result in results.items():
        table = result.table
        periods = pd.Index(table["period"])
        lo, hi = _as_index_type(start, periods), _as_index_type(end, periods)
        if lo > hi:
            raise ValueError(f"the window start {_describe(lo)} is after its end {_describe(hi)}")
        window = table[(table["period"] >= lo) & (table["period"] <= hi)]
        special = window[window["special_cause"]]
        if special.empty:
            continue
        types = set(special["point_type"])
        improving = "special_cause_improvement" in types
        concerning = "special_cause_concern" in types
        if improving and concerning:
            direction = "improvement and concern"
        else:
            direction = "concern" if concerning else "improvement" if improving else "neutral"
        rows.append(
            {
                "category": category,
                "months_special_cause": len(special),
                "rules": ", ".join(label for rule, label in RULE_LABELS.items() if special[rule].any()),
                "direction": direction,
                "latest_point_type": window["point_type"].iloc[-1],
                "variation": result.variation,
            }
        )
    order = {"concern": 0, "improvement": 1}
    rows.sort(key=lambda row: (order.get(row["direction"], 2), row["category"]))
    return pd.DataFrame(rows, columns=SPECIAL_CAUSE_COLUMNS)


def _centre_and_mean_moving_range(baseline: np.ndarray, screen: bool) -> tuple[float, float, int]:
    """Return the centre line, the mean moving range and how many moving ranges were screened out."""
    mean = baseline.mean()
    moving_ranges = np.abs(np.diff(baseline))
    mean_mr = moving_ranges.mean()
    # Screening keeps only ranges strictly below 3.267 × the mean, once, and recomputes the mean
    # moving range only; the centre line stays the mean of all baseline points. When every range
    # is 0 nothing is "strictly below 0", and the reference would drop them all and leave the
    # limits undefined; there is nothing to screen, so the limits stay on the mean instead.
    if screen and mean_mr > 0:
        kept = moving_ranges[moving_ranges < MR_SCREEN * mean_mr]
        return mean, kept.mean(), moving_ranges.size - kept.size
    return mean, mean_mr, 0


def _group_table(part: pd.Series, number: int, n_base: int, mean: float, mean_mr: float,
                 direction: int) -> pd.DataFrame:
    """Limits, rule flags and point types for one rebase group (rules never look outside it)."""
    y = part.to_numpy()
    lpl, upl = mean - LIMIT * mean_mr, mean + LIMIT * mean_mr
    lower_close, upper_close = mean - CLOSE * mean_mr, mean + CLOSE * mean_mr
    outside = (y > upl) | (y < lpl)
    close = ~outside & ((y < lower_close) | (y > upper_close))
    side = np.sign(y - mean)  # a point exactly on the mean is on neither side (0)

    run = _runs(side, RULE_LENGTH)
    # A trend is 6 consecutive strict steps the same way; an equal neighbour is a step of 0 and
    # so breaks it. Step k joins points k and k + 1, so both ends of every flagged step are flagged.
    steps = _runs(np.sign(np.diff(y)), RULE_LENGTH - 1)
    trend = np.zeros(len(y), dtype=bool)
    trend[1:] |= steps
    trend[:-1] |= steps
    two_in_three = _two_in_three(close, side)
    special = outside | run | trend | two_in_three

    return pd.DataFrame(
        {
            "period": part.index,
            "value": y,
            "group": number,
            "baseline": np.arange(len(y)) < n_base,
            "mean": mean,
            "lpl": lpl,
            "upl": upl,
            "lower_close": lower_close,
            "upper_close": upper_close,
            "outside_limits": outside,
            "run": run,
            "trend": trend,
            "two_in_three": two_in_three,
            "special_cause": special,
            "point_type": [_point_type(s, d, direction) for s, d in zip(special, side)],
        }
    )


def _runs(keys: np.ndarray, min_length: int) -> np.ndarray:
    """Flag every element of each run of at least ``min_length`` consecutive equal, non-zero keys."""
    flags = np.zeros(len(keys), dtype=bool)
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            if keys[start] != 0 and i - start >= min_length:
                flags[start:i] = True
            start = i
    return flags


def _two_in_three(close: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Flag the close points of every 3-point window with 2+ close points all on one side.

    A point outside the limits is not "close", so it does not count towards the 2, but it is
    still on a side of the mean, so it does not stop the other two from firing the rule.
    """
    flags = np.zeros(len(close), dtype=bool)
    for k in range(len(close) - 2):
        window = slice(k, k + 3)
        if close[window].sum() >= 2 and abs(side[window].sum()) == 3:
            flags[window] |= close[window]
    return flags


def _point_type(special: bool, side: float, direction: int) -> str:
    if not special:
        return "common_cause"
    if side == 0:
        # Only the trend rule can flag a point lying exactly on the mean. It is on neither side,
        # so it is neither improvement nor concern, whatever the measure's direction. (The
        # NHSRplotthedots code compares side 0 with the direction and so falls through to
        # "concern", or "neutral_low" for a neutral measure; the team chose this explicit label.)
        return "special_cause_neutral"
    if direction == 0:
        return "special_cause_neutral_high" if side > 0 else "special_cause_neutral_low"
    # The side of the mean decides, not the direction of a trend: a rising trend that starts below
    # the mean is improvement below the mean for a "decrease" measure and concern above it.
    return "special_cause_improvement" if side == direction else "special_cause_concern"


def _assurance(target: float | None, direction: int, lpl: float, upl: float) -> str | None:
    """Whether the latest group's process will meet ``target``; None without a target or direction."""
    if target is None or direction == 0:
        return None
    if lpl < target < upl:
        return "inconsistent (hit and miss)"
    # On or beyond a limit, the process stays on one side of the target (the team's spec; the
    # reference calls a target exactly on a limit "inconsistent").
    target_above_process = target >= upl
    met = target_above_process if direction < 0 else not target_above_process
    return "consistently met" if met else "consistently missed"


def _validated_values(values: pd.Series) -> pd.Series:
    """The values as floats, after checking they form a complete, sorted, numeric series."""
    if not isinstance(values, pd.Series):
        raise TypeError(f"values must be a pandas Series indexed by period, not {type(values).__name__}")
    if values.empty:
        raise ValueError("cannot compute SPC limits for an empty series")
    index = values.index
    if not index.is_unique:
        raise ValueError(f"period {_describe(index[index.duplicated()][0])} appears more than once")
    if not index.is_monotonic_increasing:
        raise ValueError("the series must be sorted by period, earliest first")
    try:
        y = pd.to_numeric(values, errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"values must be numbers: {exc}") from exc
    not_finite = index[~np.isfinite(y.to_numpy())]
    if len(not_finite):
        raise ValueError(
            f"the value for {_describe(not_finite[0])} is missing (NaN) or infinite;"
            " SPC needs a value for every period"
        )
    absent = _missing_periods(index)
    if len(absent):
        listed = ", ".join(_describe(p) for p in absent[:5]) + (", ..." if len(absent) > 5 else "")
        raise ValueError(f"the series has gaps: no row for {listed}; SPC needs consecutive periods")
    return y


def _group_starts(index: pd.Index, rebase) -> list[int]:
    """Positions where groups start: 0 and each rebase period (which must be in the series)."""
    if rebase is None:
        return [0]
    if isinstance(rebase, (str, pd.Timestamp, pd.Period)):
        rebase = [rebase]
    starts = {0}
    for item in rebase:
        period = _as_index_type(item, index)
        if period not in index:
            raise ValueError(
                f"rebase period {_describe(period)} is not in the series"
                f" ({_describe(index[0])} to {_describe(index[-1])})"
            )
        starts.add(index.get_loc(period))
    return sorted(starts)


def _as_index_type(value, index: pd.Index):
    """``value`` (a string such as "2016-04", a Timestamp or a Period) as the index's type."""
    if isinstance(index, pd.PeriodIndex):
        return value.asfreq(index.freq) if isinstance(value, pd.Period) else pd.Period(value, freq=index.freq)
    if isinstance(index, pd.DatetimeIndex):
        return value.to_timestamp() if isinstance(value, pd.Period) else pd.Timestamp(value)
    return value


def _missing_periods(index: pd.Index) -> pd.Index:
    """Periods absent between the first and last, for period or month-start indexes."""
    if isinstance(index, pd.PeriodIndex):
        return pd.period_range(index[0], index[-1], freq=index.freq).difference(index)
    if is_monthly(index):
        return pd.date_range(index[0], index[-1], freq="MS").difference(index)
    return index[:0]


def is_monthly(index: pd.Index) -> bool:
    if isinstance(index, pd.PeriodIndex):
        return index.freqstr == "M"
    if isinstance(index, pd.DatetimeIndex):
        return bool(index.is_month_start.all() and (index == index.normalize()).all())
    return False


def _describe(period) -> str:
    """A period as a reader writes it: "Apr 2016" for months, otherwise as pandas prints it."""
    if (isinstance(period, pd.Period) and period.freqstr == "M") or (
        isinstance(period, pd.Timestamp) and period.is_month_start and period == period.normalize()
    ):
        return period.strftime("%b %Y")
    return str(period)

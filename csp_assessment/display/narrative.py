"""Sentences from figures. Numbers in them are written by formats.py (the one place numbers are
formatted for readers), whose functions every section and report uses through this module.

Style (GSS guidance): thousands separators, percentages to one decimal place, rates per
1,000 to one decimal place, periods as "Apr 16 – Mar 17".
"""

from __future__ import annotations

import pandas as pd

from ..formats import (NOT_AVAILABLE, fmt_int, fmt_number, fmt_pct, fmt_rate, fmt_value,  # noqa: F401 (narrative.fmt_*)
                       is_missing, ordinal, rank_words, sentence_case)
from ..stats.measures import Change


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """The form that agrees with ``n``: a noun ("input"/"inputs", "ASB incident"/"ASB incidents"),
    or a verb given both forms ("has"/"have"). ``plural_form`` defaults to ``singular`` + "s".
    The one helper every counted word goes through: no "1 inputs", no "1 of its series show"."""
    return singular if n == 1 else (plural_form or singular + "s")


def counted(n: int, singular: str, plural_form: str | None = None) -> str:
    """'1 input', '2 inputs', '1,979 crimes': the number with the noun that agrees with it."""
    return f"{fmt_int(n)} {plural(n, singular, plural_form)}"


def period_noun(n_months: int) -> str:
    """'12-month period', '11-month period': trend windows are as long as the assessment period."""
    return f"{n_months}-month period"


def per_1000_residents(n_months: int = 12) -> str:
    """The rate's unit; a rate over anything but a year says over how long, as it is not annual."""
    return "per 1,000 residents" if n_months == 12 else f"per 1,000 residents over {n_months} months"


def not_annual(n_months: int = 12) -> str:
    """Where a rate is compared (peer tables, rankings): ' (not an annual rate)' unless it is one,
    so an 11-month rate is never read against a year's."""
    return "" if n_months == 12 else " (not an annual rate)"


def population_caveat(year: int | None, requested_year: int) -> str:
    """Beside a rate whose population is not the period's own year: 'mid-2020 population; no
    mid-2022 estimate in the data folder'; '' when it is."""
    if year is None or year == requested_year:
        return ""
    return f"mid-{year} population; no mid-{requested_year} estimate in the data folder"


def no_comparison_sentence(comparison_label: str, months_missing: int, earlier_data: bool) -> str:
    """Why no annual change is given, in one sentence used wherever the change would be."""
    if not earlier_data:
        return "No earlier year is in the data: change and trend start next year."
    return (f"The data do not cover all of {comparison_label} ({counted(months_missing, 'month')} missing), "
            "so no annual change is given.")


def change_phrase(change: Change, noun_plural: str) -> str:
    """'a 14.0% increase: 2,840 more crimes' / 'a 21.2% decrease: 1,901 fewer incidents' / 'no change'."""
    if change.difference == 0:
        return "no change"
    more = "more" if change.difference > 0 else "fewer"
    word = "increase" if change.difference > 0 else "decrease"
    if change.pct is None:
        return f"{fmt_int(abs(change.difference))} {more} {noun_plural} (none were recorded before)"
    return f"a {abs(change.pct):.1f}% {word}: {fmt_int(abs(change.difference))} {more} {noun_plural}"


def level_sentence(*, count: int | None, noun_plural: str, area: str, period_label: str,
                   rate: float | None, change: Change | None, comparison_label: str,
                   missing_note: str = "", n_months: int = 12, no_comparison: str = "", rate_note: str = "",
                   noun_singular: str = "") -> str:
    """The section's headline, e.g. '23,125 crimes were recorded in Medway in Apr 16 – Mar 17,
    83.0 per 1,000 residents; a 14.0% increase: 2,840 more crimes than Apr 15 – Mar 16.'

    ``no_comparison``: what to say when there is no change (no_comparison_sentence); ``rate_note``:
    said beside the rate (population_caveat)."""
    if count is None:
        return (f"The number of {noun_plural} in {area} in {period_label} cannot be given: {missing_note}").strip()
    noun = plural(count, noun_singular or noun_plural, noun_plural)
    sentence = f"{fmt_int(count)} {noun} {plural(count, 'was', 'were')} recorded in {area} in {period_label}"
    if rate is not None:
        sentence += f", {fmt_rate(rate)} {per_1000_residents(n_months)}" + (f" ({rate_note})" if rate_note else "")
    if change is None:
        sentence += ". " + (no_comparison or f"No comparison with {comparison_label} is possible: the data do not "
                                             "cover that whole period.")
    elif change.difference == 0:
        sentence += f"; the same number as in {comparison_label}."
    else:
        sentence += f"; {change_phrase(change, noun_plural)} than in {comparison_label}."
    return sentence


def trend_sentence(trend: pd.DataFrame, noun_plural: str, n_months: int = 12) -> str:
    """Direction over the trend window, from the first and last complete periods."""
    complete = trend.dropna(subset=["records"])
    if len(complete) < 2:
        if len(complete) == 1 and complete.index[0] == trend.index[-1]:
            return (f"The general trend starts next year: the data hold one {period_noun(n_months)}, "
                    f"{complete['period'].iloc[0]}.")
        held = f"cover only {complete['period'].iloc[0]}" if len(complete) else "cover none of them"
        return (f"A trend needs at least two complete {period_noun(n_months)}s of data; the data {held}, "
                "so no general trend can be described.")
    first, last = complete.iloc[0], complete.iloc[-1]
    change = Change(int(last["records"]), int(first["records"]))
    if change.difference == 0:
        return f"{sentence_case(noun_plural)} were level between {first['period']} and {last['period']}."
    direction = "risen" if change.difference > 0 else "fallen"
    gaps = len(trend) - len(complete)
    gap_note = (f" ({gaps} of the {len(trend)} periods {plural(gaps, 'is', 'are')} not fully covered by the data and "
                f"{plural(gaps, 'is', 'are')} left out)" if gaps else "")
    return (f"{sentence_case(noun_plural)} have {direction} from {fmt_int(first['records'])} in {first['period']} to "
            f"{fmt_int(last['records'])} in {last['period']}, {change_phrase(change, noun_plural)}{gap_note}.")


def trend_title(trend: pd.DataFrame, subject: str, n_months: int = 12) -> str:
    """A chart title that states the finding: 'Recorded crimes rose 44.5% over 5 years'."""
    complete = trend.dropna(subset=["records"])
    if len(complete) < 2:
        return f"{subject}: the trend starts next year"
    change = Change(int(complete["records"].iloc[-1]), int(complete["records"].iloc[0]))
    if change.difference == 0 or change.pct is None:
        return f"{subject} per {period_noun(n_months)}"
    verb = "rose" if change.difference > 0 else "fell"
    return f"{subject} {verb} {abs(change.pct):.1f}% between {complete['period'].iloc[0]} and {complete['period'].iloc[-1]}"


def hotspot_sentence(top: pd.DataFrame, noun_plural: str, area: str) -> str:
    if top.empty:
        return f"No {noun_plural} could be placed in a ward of {area}."
    names = list(top["ward_name"])
    share = fmt_pct(top["share_pct"].sum())
    if len(names) == 1:
        return f"The ward with the most {noun_plural} was {names[0]}, with {share} of {area}'s {noun_plural}."
    listed = ", ".join(names[:-1]) + f" and {names[-1]}"
    return f"The {len(names)} wards with the most {noun_plural} were {listed}; together they account for {share} of {area}'s {noun_plural}."


def peer_sentence(peers: pd.DataFrame, noun_plural: str, n_months: int = 12) -> str:
    row = peers[peers["is_area"]].iloc[0]
    n = len(peers)
    if n < 2:
        return "No peer areas are in the data, so no peer comparison can be made."
    by_count = f"{rank_words(int(row['rank_by_count']))} number of {noun_plural} of {n} areas"
    if is_missing(row["rank_by_rate"]):
        return f"{row['area']} had the {by_count}; rates cannot be ranked without population figures."
    return (f"{row['area']} had the {by_count}, and the {rank_words(int(row['rank_by_rate']))} rate "
            f"{per_1000_residents(n_months)}{not_annual(n_months)}.")

"""The one place numbers are written for readers.

Style (GSS guidance): thousands separators, percentages and rates per 1,000 to one decimal place,
"not available" where there is no figure. On the ground floor because the figures' own modules
write some of their words (stats/priorities.py's evidence, as well as every section and report);
display/narrative.py builds its sentences from these.
"""

from __future__ import annotations

import math

import pandas as pd

NOT_AVAILABLE = "not available"


def is_missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def fmt_int(value) -> str:
    return NOT_AVAILABLE if is_missing(value) else f"{int(value):,}"


def fmt_pct(value, signed: bool = False) -> str:
    if is_missing(value):
        return NOT_AVAILABLE
    return f"{value:+.1f}%" if signed else f"{value:.1f}%"


def fmt_rate(value) -> str:
    return NOT_AVAILABLE if is_missing(value) else f"{value:,.1f}"


def fmt_number(value, unit: str) -> str:
    """The number alone, as precise as the unit needs: 8.9, 0.67 (small percentages), 1,234."""
    if is_missing(value):
        return NOT_AVAILABLE
    if unit == "count":
        return fmt_int(round(value))
    if unit == "%" and abs(value) < 1:
        return f"{value:.2f}"
    return fmt_rate(value)


def fmt_value(value, unit: str) -> str:
    """'8.9%', '11.7 per 100,000', '1,234': one formatting of indicator values for every report."""
    text = fmt_number(value, unit)
    if is_missing(value) or unit in ("count", ""):
        return text
    return f"{text}%" if unit == "%" else f"{text} {unit}"


def sentence_case(text: str) -> str:
    """First letter up, the rest as written ('ASB incidents' stays 'ASB incidents')."""
    return text[:1].upper() + text[1:]


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_words(rank: int) -> str:
    """The rank in words: highest, 2nd highest, 3rd highest, ..."""
    return "highest" if rank == 1 else f"{ordinal(rank)} highest"

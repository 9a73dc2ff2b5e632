"""What the Fingertips, Ministry of Justice and partner-return loaders share: reading a CSV header
to recognise a file, numbers as publishers write them, and the year a period label ends in."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from .ons import Column, resolve_columns

# How publishers mark a figure they withhold (small counts, disclosure control): Fingertips
# leaves the cell empty, MoJ and ONS tables use "*", ":", "..", "x", "c" or "-".
SUPPRESSED = frozenset({"", "*", ":", "..", "x", "c", "-", "[c]", "[x]", "[z]"})
_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\.\d+")
_FIRST_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
# Years after the first one: 4 digits, or 2 ("2013 - 15", "2014/15 - 16/17").
_LATER_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2}|\d{2})(?!\d)")
# Day and month of a date ("31/03/2017"), which are not years.
_DAY_MONTH = re.compile(r"(?<!\d)\d{1,2}[/.-]\d{1,2}[/.-](?=\d{4})")
# "Mar 17", the reports' own style, where the only years have two digits.
_MONTH_SHORT_YEAR = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{2})(?!\d)",
                               re.IGNORECASE)


def csv_header(path: Path) -> list[str]:
    """The first row of a CSV, cells trimmed; [] when the file is not UTF-8 text."""
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as handle:
            return [" ".join(cell.split()) for cell in next(csv.reader(handle), [])]
    except (UnicodeDecodeError, csv.Error):
        return []


def has_columns(path: Path, columns: tuple[Column, ...]) -> bool:
    """True when the CSV header holds every required column (the loaders' sniff test)."""
    if Path(path).suffix.lower() != ".csv":
        return False
    header = csv_header(path)
    return bool(header) and not resolve_columns(header, columns)[1]


def numbers(src, values: pd.Series, column: str, label: str, *, suppressible: bool) -> pd.Series:
    """Decimal numbers with optional thousands separators ("20,424", "8.9"), as float.

    With ``suppressible`` the publishers' suppression marks (``SUPPRESSED``) become missing
    values; anything else that is not a number is an error naming the row and column.
    """
    text = values.astype(str).str.strip()
    suppressed = text.isin(SUPPRESSED) if suppressible else pd.Series(False, index=text.index)
    valid = text.str.fullmatch(_NUMBER.pattern) | suppressed
    if not valid.all():
        row = valid[~valid].index[0]
        problem = "is empty" if text.loc[row] == "" else f"{text.loc[row]!r} is not a number"
        allowed = " (or a suppression mark such as * or an empty cell)" if suppressible else ""
        raise src.error(f"{label} {problem}; expected a number like 1,234 or 8.9{allowed}",
                        row=int(row), column=column)
    parsed = pd.to_numeric(text.where(~suppressed).str.replace(",", "", regex=False), errors="raise").astype(float)
    # A number of hundreds of digits reads as infinity, which no figure can be (issue 25).
    infinite = parsed.abs() == float("inf")
    if infinite.any():
        row = infinite.idxmax()
        raise src.error(f"{label} {_shortened(text.loc[row])} is too large to be a figure", row=int(row),
                        column=column)
    return parsed


def _shortened(text: str) -> str:
    return repr(text) if len(text) <= 20 else f"{text[:12]!r}... ({len(text):,} characters)"


# Ranges for within(): a number of people, crimes or cases; a percentage; a probability; a rate.
COUNT = {"low": 0, "whole": True, "what": "a count"}
PERCENTAGE = {"low": 0, "high": 100, "what": "a percentage"}
PROBABILITY = {"low": 0, "high": 1, "what": "a probability"}
NOT_NEGATIVE = {"low": 0}


def within(src, values: pd.Series, column: str, label: str, *, low: float | None = None, high: float | None = None,
           whole: bool = False, what: str = "") -> None:
    """Refuse the first value (indexed by its row) below ``low``, above ``high`` or, with ``whole``,
    not a whole number, naming its row and column; missing values (suppressed figures) pass."""
    given = values.dropna()
    bad = pd.Series(False, index=given.index)
    if low is not None:
        bad |= given < low
    if high is not None:
        bad |= given > high
    if whole:
        bad |= given != given.round()
    if bad.any():
        row = bad.idxmax()
        number = "a whole number" if whole else "a number"
        expected = (f"{number} from {low:g} to {high:g}" if low is not None and high is not None
                    else f"{number}, {low:g} or more" if low is not None else f"{number}, {high:g} or less")
        what = f" for {what}" if what else ""
        raise src.error(f"{label} {given.loc[row]:g} is impossible{what}: expected {expected}", row=int(row),
                        column=column)


def period_end_year(label: str) -> int | None:
    """The calendar year a period label ends in: 2017 for "2016/17", "2017" or "Apr 16 – Mar 17"
    or "Apr 16 – Mar 17", 2015 for "2013 - 15", 2017 for "2014/15 - 16/17"; None without a year."""
    label = _DAY_MONTH.sub(" ", label)
    first = _FIRST_YEAR.search(label)
    if not first:
        short = _MONTH_SHORT_YEAR.findall(label)
        return 2000 + int(short[-1]) if short else None
    start = int(first.group(1))
    end = start
    for match in _LATER_YEAR.finditer(label, first.end()):
        year = int(match.group(1))
        if year < 100:  # two digits: the century of the year before it
            year += end // 100 * 100
            if year < end:
                year += 100
        end = year
    return end

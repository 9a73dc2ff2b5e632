"""OHID (formerly PHE) Fingertips indicator data, as the site's Download button or the
``fingertips_py`` package exports it: one row per indicator, area, sex, age, category and period.

The export's columns are ``Indicator ID, Indicator Name, Parent Code, Parent Name, Area Code,
Area Name, Area Type, Sex, Age, Category Type, Category, Time period, Value, Lower CI 95.0 limit,
Upper CI 95.0 limit, Lower CI 99.8 limit, Upper CI 99.8 limit, Count, Denominator, Value note,
Recent Trend, Compared to England value or percentiles, Compared to Region value or percentiles,
Time period Sortable, New data, Compared to goal``; a file with only the core ones (see
``COLUMNS``) is read too. What the loader irons out:

* suppressed figures (an empty Value, often with a Value note such as "Value suppressed for
  disclosure control due to small count" or "*") stay as missing values, never zeros;
* empty confidence limits (estimates published without an interval) stay missing;
* rows with a Category Type are breakdowns (deprivation deciles, ethnic groups): only the
  whole-population rows, with an empty Category Type, are kept;
* an indicator published for several sexes or ages keeps one: "Persons" where there is such a
  row, and of those the age with the most rows.

The tidy table has one row per indicator, area and period.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .ons import Column, csv_columns, read_csv_table
from .values import NOT_NEGATIVE, has_columns, numbers, period_end_year, within

ENGLAND = "E92000001"
# Same indicator, area and period once: an export covering several area types (e.g. "County & UA"
# of two boundary vintages) repeats an authority's rows with the same figures.
TABLE = "fingertips"  # the processed table this loader writes (ingest/folder.py finds it by TABLE)
# What the processed table holds (its line in the processed folder's README).
DESCRIPTION = ("OHID Fingertips indicators (whole population, main sex and age), one row per indicator, "
               "area and period, with 95% limits, count and denominator")
KEY = ["indicator_id", "area_code", "period"]
FIGURES = ("value", "lower_ci", "upper_ci", "count", "denominator")  # what two exports of one KEY must agree on
# Named like a Fingertips export: such a file that this loader does not recognise is refused, not passed over.
FILE_NAME = re.compile(r"fingertips", re.IGNORECASE)

COLUMNS = (
    Column("indicator_id", r"indicator id", "Indicator ID", "indicator ID"),
    Column("indicator_name", r"indicator name", "Indicator Name", "indicator name"),
    Column("parent_code", r"parent code", "Parent Code", "parent area code", required=False),
    Column("parent_name", r"parent name", "Parent Name", "parent area name", required=False),
    Column("area_code", r"area code", "Area Code", "area code"),
    Column("area_name", r"area name", "Area Name", "area name"),
    Column("area_type", r"area type", "Area Type", "area type"),
    Column("sex", r"sex", "Sex", "sex"),
    Column("age", r"age", "Age", "age"),
    Column("category_type", r"category type", "Category Type", "category type", required=False),
    Column("period", r"time period", "Time period", "time period"),
    Column("value", r"value", "Value", "value"),
    Column("lower_ci", r"lower ci 95(?:\.0)? limit", "Lower CI 95.0 limit", "lower 95% confidence limit"),
    Column("upper_ci", r"upper ci 95(?:\.0)? limit", "Upper CI 95.0 limit", "upper 95% confidence limit"),
    Column("count", r"count", "Count", "count"),
    Column("denominator", r"denominator", "Denominator", "denominator"),
    Column("value_note", r"value note", "Value note", "value note", required=False),
    Column("period_sortable", r"time period sortable", "Time period Sortable", "sortable period", required=False),
)
_TEXT = ("indicator_name", "parent_code", "parent_name", "area_code", "area_name", "area_type", "sex", "age",
         "category_type", "period", "value_note")
_NUMBERS = {"value": "Value", "lower_ci": "Lower CI 95.0 limit", "upper_ci": "Upper CI 95.0 limit",
            "count": "Count", "denominator": "Denominator"}


def sniff(path: Path) -> bool:
    """True for a CSV whose header has the Fingertips export's core columns."""
    return has_columns(path, COLUMNS)


def read(path: Path) -> pd.DataFrame:
    """The whole-population rows of a Fingertips export, one per indicator, area and period.

    Columns: indicator_id (int), indicator_name, area_code, area_name, area_type, parent_code,
    parent_name, sex, age, period (the export's "Time period", e.g. "2016/17", "2013 - 15"),
    value_note, source_file (str); end_year (int: the year the period ends), period_sortable
    (Int64, missing when the export has none); value, lower_ci, upper_ci, count, denominator
    (float, NaN where suppressed or not published).
    """
    path = Path(path)
    src, header, body = read_csv_table(path)
    cols = csv_columns(src, header, COLUMNS)
    frame = pd.DataFrame(index=body.index)
    for field in _TEXT:
        frame[field] = body[cols[field]].str.strip() if field in cols else ""
    frame["area_code"] = frame["area_code"].str.upper()
    whole_population = frame["category_type"] == ""
    body, frame = body[whole_population], frame[whole_population]

    ids = body[cols["indicator_id"]].str.strip()
    bad = ~ids.str.fullmatch(r"\d+")
    if bad.any():
        row = bad[bad].index[0]
        raise src.error(f"indicator ID {ids.loc[row]!r} is not a whole number", row=int(row), column="Indicator ID")
    frame["indicator_id"] = ids.astype("int64")
    for field, label in (("area_code", "Area Code"), ("period", "Time period")):
        blank = frame[field] == ""
        if blank.any():
            raise src.error(f"{label} is empty", row=int(blank[blank].index[0]), column=label)
    frame["end_year"] = frame["period"].map(period_end_year)
    unknown = frame["end_year"].isna()
    if unknown.any():
        row = unknown[unknown].index[0]
        raise src.error(f"cannot tell which year the period {frame.loc[row, 'period']!r} ends in",
                        row=int(row), column="Time period")
    frame["end_year"] = frame["end_year"].astype("int64")
    for field, label in _NUMBERS.items():
        frame[field] = numbers(src, body[cols[field]], label, label.lower(), suppressible=True)
    for field in ("count", "denominator"):  # people, events: never negative (values may be, e.g. a slope index)
        within(src, frame[field], _NUMBERS[field], _NUMBERS[field].lower(), **NOT_NEGATIVE)
    frame["period_sortable"] = (numbers(src, body[cols["period_sortable"]], "Time period Sortable",
                                        "sortable time period", suppressible=True).astype("Int64")
                                if "period_sortable" in cols else pd.Series(pd.NA, index=frame.index, dtype="Int64"))
    frame["source_file"] = path.name

    frame = frame[_main_sex_and_age(frame)]
    frame = frame.drop_duplicates(KEY, keep="first")
    return frame.drop(columns="category_type").reset_index(drop=True)


def _main_sex_and_age(frame: pd.DataFrame) -> pd.Series:
    """Rows of each indicator's main breakdown: "Persons" where there is one, then the age with
    the most rows (the first in the file on a tie)."""
    keep = pd.Series(False, index=frame.index)
    for _, rows in frame.groupby("indicator_id", sort=False):
        groups = rows.groupby(["sex", "age"], sort=False).size()
        persons = groups[groups.index.get_level_values("sex").str.lower() == "persons"]
        sex, age = (persons if len(persons) else groups).idxmax()
        keep.loc[rows.index[(rows["sex"] == sex) & (rows["age"] == age)]] = True
    return keep

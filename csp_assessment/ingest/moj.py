"""Ministry of Justice proven re-offending statistics by local authority, as the quarterly
release's geographical data tool exports them to CSV.

One row per local authority, offender cohort and age group, with columns like ``Local Authority
Code, Local Authority Name, Cohort, Age group, Number of offenders in cohort, Number of
reoffenders, Number of reoffences, Proportion of offenders who reoffend (%), Average number of
reoffences per reoffender``. Cohorts are periods such as "Jan 2015 to Dec 2015" (annual) or
"Oct 2015 to Dec 2015" (the quarterly cohorts used since 2017); age groups are Adult and
Juvenile (and sometimes All). The national benchmark is in the same file, as England and Wales
(K04000001, E92000001 or the name alone). Figures MoJ withholds are "*"; counts may carry
thousands separators.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .ons import Column, csv_columns, read_csv_table
from .values import COUNT, NOT_NEGATIVE, PERCENTAGE, has_columns, numbers, within

NATIONAL_CODES = {"K04000001", "E92000001"}
NATIONAL_NAMES = {"england and wales", "england & wales"}
TABLE = "reoffending"  # the processed table this loader writes (ingest/folder.py finds it by TABLE)
# What the processed table holds (its line in the processed folder's README).
DESCRIPTION = ("MoJ proven re-offending by local authority, cohort and age group; is_national marks "
               "England and Wales")
KEY = ["area_code", "cohort_start", "cohort_end", "age_group"]
FIGURES = ("offenders", "reoffenders", "reoffences", "proportion", "reoffences_per_reoffender")
# Named like a re-offending table: such a file that this loader does not recognise is refused, not passed over.
FILE_NAME = re.compile(r"re-?offend", re.IGNORECASE)
AGE_GROUPS = {"adult": "Adult", "adults": "Adult", "juvenile": "Juvenile", "juveniles": "Juvenile",
              "all": "All", "all offenders": "All", "total": "All"}

COLUMNS = (
    Column("area_code", r"(?:local authority|la|lad|area)\s*code|lad\d\dcd", "Local Authority Code",
         "local authority code"),
    Column("area_name", r"(?:local authority|la|lad|area)(?:\s*name)?|lad\d\dnm", "Local Authority Name",
         "local authority name"),
    Column("cohort", r"(?:offender\s*)?cohort(?:\s*(?:period|year))?", "Cohort", "cohort period"),
    Column("age_group", r"age(?:\s*group)?|adult\s*/\s*juvenile", "Age group", "age group (Adult/Juvenile)"),
    Column("offenders", r"(?:number of )?offenders(?: in (?:the )?cohort)?", "Number of offenders in cohort",
         "number of offenders"),
    Column("reoffenders", r"(?:number of )?re-?offenders", "Number of reoffenders", "number of reoffenders"),
    Column("reoffences", r"(?:number of )?re-?offences", "Number of reoffences", "number of reoffences"),
    Column("proportion", r"proportion of offenders who re-?offend(?:ed)?(?:\s*\(%\))?",
         "Proportion of offenders who reoffend (%)", "proportion who reoffend", required=False),
    Column("reoffences_per_reoffender", r"average (?:number of )?re-?offences per re-?offender(?:\s*\(.*\))?",
         "Average number of reoffences per reoffender", "reoffences per reoffender", required=False),
)
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                        "nov", "dec"), start=1)}
_MONTH_RANGE = re.compile(r"([a-z]{3})[a-z]*\.?\s+(\d{4})\s*(?:to|-|–)\s*([a-z]{3})[a-z]*\.?\s+(\d{4})", re.IGNORECASE)
_YEAR = re.compile(r"(\d{4})")
_FINANCIAL_YEAR = re.compile(r"(\d{4})\s*/\s*(\d{2})")


def sniff(path: Path) -> bool:
    """True for a CSV whose header has a cohort, offenders, reoffenders and reoffences."""
    return has_columns(path, COLUMNS)


def cohort_months(text: str) -> tuple[pd.Period, pd.Period] | None:
    """First and last month of a cohort: "Jan 2015 to Dec 2015", "2015" (calendar year),
    "2014/15" (April to March); None when the text is none of these."""
    text = text.strip()
    if match := _MONTH_RANGE.fullmatch(text):
        first, first_year, last, last_year = match.groups()
        if first.lower() in _MONTHS and last.lower() in _MONTHS:
            return (pd.Period(year=int(first_year), month=_MONTHS[first.lower()], freq="M"),
                    pd.Period(year=int(last_year), month=_MONTHS[last.lower()], freq="M"))
        return None
    if match := _FINANCIAL_YEAR.fullmatch(text):
        start = int(match.group(1))
        return pd.Period(f"{start}-04", "M"), pd.Period(f"{start + 1}-03", "M")
    if match := _YEAR.fullmatch(text):
        return pd.Period(f"{match.group(1)}-01", "M"), pd.Period(f"{match.group(1)}-12", "M")
    return None


def read(path: Path) -> pd.DataFrame:
    """One row per area, cohort and age group.

    Columns: area_code, area_name, cohort (as published), age_group ("Adult", "Juvenile" or
    "All"), cohort_start and cohort_end ("YYYY-MM"), source_file (str); is_national (bool: the
    England and Wales benchmark); cohort_months, end_year (int); offenders, reoffenders,
    reoffences, proportion (% who reoffend: the published figure, else computed from the counts),
    reoffences_per_reoffender (float, NaN where withheld).
    """
    path = Path(path)
    src, header, body = read_csv_table(path)
    cols = csv_columns(src, header, COLUMNS)
    frame = pd.DataFrame(index=body.index)
    for field in ("area_code", "area_name", "cohort", "age_group"):
        frame[field] = body[cols[field]].str.strip()
    frame["area_code"] = frame["area_code"].str.upper()
    frame["is_national"] = (frame["area_code"].isin(NATIONAL_CODES)
                            | frame["area_name"].str.lower().isin(NATIONAL_NAMES))
    blank = (frame["area_code"] == "") & ~frame["is_national"]
    if blank.any():
        raise src.error("local authority code is empty", row=int(blank[blank].index[0]),
                        column=header[cols["area_code"]])
    frame.loc[frame["is_national"] & (frame["area_code"] == ""), "area_code"] = "K04000001"

    ages = frame["age_group"].str.lower().map(AGE_GROUPS)
    if ages.isna().any():
        row = ages[ages.isna()].index[0]
        raise src.error(f"age group {frame.loc[row, 'age_group']!r} is not Adult, Juvenile or All",
                        row=int(row), column=header[cols["age_group"]])
    frame["age_group"] = ages

    months = frame["cohort"].map(cohort_months)
    if months.isna().any():
        row = months[months.isna()].index[0]
        raise src.error(f"cohort {frame.loc[row, 'cohort']!r} is not a period like 'Jan 2015 to Dec 2015'",
                        row=int(row), column=header[cols["cohort"]])
    frame["cohort_start"] = months.map(lambda m: str(m[0]))
    frame["cohort_end"] = months.map(lambda m: str(m[1]))
    frame["cohort_months"] = months.map(lambda m: (m[1] - m[0]).n + 1).astype("int64")
    frame["end_year"] = months.map(lambda m: m[1].year).astype("int64")

    for field in ("offenders", "reoffenders", "reoffences", "proportion", "reoffences_per_reoffender"):
        if field in cols:
            frame[field] = numbers(src, body[cols[field]], header[cols[field]], field.replace("_", " "),
                                   suppressible=True)
        else:
            frame[field] = float("nan")
    for field, allowed in (("offenders", COUNT), ("reoffenders", COUNT), ("reoffences", COUNT),
                           ("proportion", PERCENTAGE), ("reoffences_per_reoffender", NOT_NEGATIVE)):
        if field in cols:
            within(src, frame[field], header[cols[field]], field.replace("_", " "), **allowed)
    more = frame["reoffenders"] > frame["offenders"]
    if more.any():
        row = more.idxmax()
        raise src.error(f"{frame.loc[row, 'reoffenders']:g} reoffenders out of {frame.loc[row, 'offenders']:g} offenders "
                        "is impossible: reoffenders are some of the cohort's offenders", row=int(row),
                        column=header[cols["reoffenders"]])
    computed = 100 * frame["reoffenders"] / frame["offenders"].where(frame["offenders"] > 0)
    frame["proportion"] = frame["proportion"].fillna(computed)
    frame["source_file"] = path.name
    return frame.drop_duplicates(KEY, keep="last").reset_index(drop=True)

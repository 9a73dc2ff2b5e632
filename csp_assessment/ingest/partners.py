"""Partner returns: the figures only partners hold (Section 136 detentions, needle finds, people in
treatment, integrated offender management, probation completion rates, domestic abuse), in one
tidy CSV layout that partners fill in from ``data/raw/partner-returns-template.csv``:

    section,measure,period,value,unit,target,better,source

one row per measure and period. ``section`` is substance_misuse, reoffending, mental_health or violence_domestic_abuse;
``period`` a label such as "2016/17" or "Apr 16 – Mar 17"; ``unit`` e.g. "%", "count" or
"per 100,000"; ``target`` may be empty; ``better`` is "higher" or "lower" (required with a target,
so that met / not met can be judged); ``source`` names the partner. Values may carry thousands
separators and a trailing "%".
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .ons import Column, csv_columns, read_csv_table
from .values import COUNT, NOT_NEGATIVE, PERCENTAGE, has_columns, numbers, period_end_year, within

SECTIONS = ("substance_misuse", "reoffending", "mental_health", "violence_domestic_abuse")
BETTER = ("higher", "lower")
# The template's example rows must never be read as figures: users copy it to a new name.
TEMPLATE_NAME = "partner-returns-template.csv"
TABLE = "partner_returns"  # the processed table this loader writes (ingest/folder.py finds it by TABLE)
# What the processed table holds (its line in the processed folder's README).
DESCRIPTION = ("partners' figures from the partner-return template: section, measure, period, value, "
               "unit, target, which direction is better, source")
KEY = ["section", "measure", "period"]
FIGURES = ("value", "unit", "target", "better")  # what two files giving the same KEY must agree on
# Named like a partner return: such a file that this loader does not recognise is refused, not passed over.
FILE_NAME = re.compile(r"partner[-_ ]?returns?", re.IGNORECASE)

# The values each kind of unit allows (see unit_kind); other units (say "£") only need a number.
UNIT_RANGES = {"count": COUNT, "percentage": PERCENTAGE, "rate": NOT_NEGATIVE}


def unit_kind(unit: str) -> str:
    """"count", "percentage" or "rate" for the units the template names ("count", "%", "per
    100,000"), and their usual spellings; "" for any other unit."""
    unit = " ".join(unit.lower().split())
    if unit in ("%", "percent", "percentage", "per cent") or unit.startswith("% "):
        return "percentage"
    if unit in ("count", "number", "people", "persons", "cases"):
        return "count"
    return "rate" if unit.startswith(("per ", "rate")) else ""


COLUMNS = (
    Column("section", r"section", "section", "section"),
    Column("measure", r"measure", "measure", "measure"),
    Column("period", r"period", "period", "period"),
    Column("value", r"value", "value", "value"),
    Column("unit", r"unit", "unit", "unit"),
    Column("target", r"target", "target", "target", required=False),
    Column("better", r"better", "better", "which direction is better", required=False),
    Column("source", r"source", "source", "source", required=False),
)


def sniff(path: Path) -> bool:
    """True for a partner return (the template's layout), but not for the template itself."""
    return Path(path).name.lower() != TEMPLATE_NAME and has_columns(path, COLUMNS)


def read(path: Path) -> pd.DataFrame:
    """One row per section, measure and period.

    Columns: section, measure, period, unit, better ("higher", "lower" or ""), source,
    source_file (str); end_year (int: the year the period ends); row (int: line in the file);
    value, target (float; target NaN when none).
    """
    path = Path(path)
    src, header, body = read_csv_table(path)
    cols = csv_columns(src, header, COLUMNS)
    frame = pd.DataFrame(index=body.index)
    for field in ("section", "measure", "period", "unit", "better", "source"):
        frame[field] = body[cols[field]].str.strip() if field in cols else ""
    frame["section"] = frame["section"].str.lower()
    frame["better"] = frame["better"].str.lower()

    def fail(mask: pd.Series, field: str, message) -> None:
        if mask.any():
            row = mask[mask].index[0]
            raise src.error(message(frame.loc[row]), row=int(row), column=header[cols[field]])

    fail(~frame["section"].isin(SECTIONS), "section",
         lambda r: f"unknown section {r['section']!r}; expected one of {', '.join(SECTIONS)}")
    for field in ("measure", "period", "unit"):
        fail(frame[field] == "", field, lambda r, f=field: f"{f} is empty")
    frame["end_year"] = frame["period"].map(period_end_year)
    fail(frame["end_year"].isna(), "period", lambda r: f"cannot tell which year the period {r['period']!r} ends in; "
                                                       "write it like 2016/17 or Apr 16 – Mar 17")
    frame["end_year"] = frame["end_year"].astype("int64")
    fail(~frame["better"].isin(("", *BETTER)), "better",
         lambda r: f"better is {r['better']!r}; expected higher or lower")

    def parsed(field: str, optional: bool) -> pd.Series:
        text = body[cols[field]].str.strip().str.removesuffix("%")
        given = text != "" if optional else pd.Series(True, index=text.index)
        values = numbers(src, text[given], header[cols[field]], field, suppressible=False)
        return values.reindex(text.index)

    frame["value"] = parsed("value", optional=False)
    frame["target"] = parsed("target", optional=True) if "target" in cols else float("nan")
    fail(frame["target"].notna() & (frame["better"] == ""), "better",
         lambda r: "better is empty; with a target say whether higher or lower is better")
    # What the unit allows: a count of -862 or a percentage of 175.5 is a typing error, not a figure.
    kinds = frame["unit"].map(unit_kind)
    for kind, allowed in UNIT_RANGES.items():
        for field in ("value", "target"):
            if field in cols:
                within(src, frame.loc[kinds == kind, field], header[cols[field]], field, **allowed)

    repeated = frame.duplicated(KEY, keep=False)
    if repeated.any():
        rows = [int(r) for r in repeated[repeated].index]
        raise src.error(f"{frame.loc[rows[0], 'measure']!r} for {frame.loc[rows[0], 'period']!r} appears more than "
                        f"once (rows {', '.join(map(str, rows[:5]))}); give each measure one row per period",
                        row=rows[1], column=header[cols["measure"]])
    frame["row"] = frame.index.astype("int64")
    frame["source_file"] = path.name
    return frame.reset_index(drop=True)

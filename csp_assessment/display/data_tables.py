"""The tables behind the assessment, as data: what each section records for the workbook and the CSVs.

A section's ``tables()`` returns :class:`DataTable` objects: a frame whose cells are numbers (never
numbers formatted as text) or, where a figure cannot be given, a shorthand of the Government
Statistical Service's "Using symbols and shorthand in tables": ``[c]`` confidential (a small count
suppressed, with the figures that would give it back), ``[x]`` not available, ``[z]`` not
applicable. Column headers say their unit. Each table carries its id (the workbook's sheet name and
the CSV's file name, the same on every run), title, description, source and notes.

``save_findings`` writes the section's tables beside its findings (``findings/tables/<section>.json``);
the run assembles the workbook and the CSVs from those files (report/workbook.py), and the document
links every table and chart to its data (:func:`data_link`). Nothing is read back from HTML.
"""

from __future__ import annotations

import copy
import functools
import html
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from .. import store

# The GSS's harmonised shorthand, always in square brackets (analysisfunction.civilservice.gov.uk,
# "Using symbols and shorthand in tables"), with what each means in this workbook.
CONFIDENTIAL, NOT_AVAILABLE, NOT_APPLICABLE = "[c]", "[x]", "[z]"
SHORTHAND = {
    CONFIDENTIAL: "confidential: a count from 1 to {small} is suppressed because it could identify the people "
                  "involved, with the rate and share that would give it back",
    NOT_AVAILABLE: "not available: the data folder does not hold the figure, or its publisher does not publish it",
    NOT_APPLICABLE: "not applicable: the figure does not exist for this row (for example an interval for a count)",
}
SHORTHAND_MARK = re.compile(r"^\[[a-z]+\]$")
UNIT_SUFFIX = re.compile(r"\(([^()]+)\)$")
UNIT_WORDS = {"%": "percentage", "": "value"}  # a unit in a cell of its own: a word, never a lone symbol
TABLE_ID = re.compile(r"^[a-z][a-z0-9_]{1,30}$")  # an Excel sheet name (31 characters) and table name
TABLES_DIR = "tables"  # beside the findings: findings/tables/<section>.json; in the report: tables/<id>.csv


def workbook_name(year: int) -> str:
    return f"strategic-assessment-{year}-tables.xlsx"


@dataclass
class DataTable:
    """One table of the workbook: ``frame`` as published (numbers as numbers, shorthand where a
    figure cannot be given), with what the workbook says above it.

    ``id``: the sheet name and CSV name (lower case, underscores, at most 31 characters, stable from
    run to run); ``title``: what, where and when; ``description``: one line for the contents sheet;
    ``units``: column -> unit, for the CSV metadata (headers say it too; a header ending in its unit in
    brackets, "Crimes (count)", needs no entry); ``notes``: lines shown
    above the table; ``shorthand``: what a shorthand means in this table when more precise than
    :data:`SHORTHAND`; ``formats``: column -> Excel number format where the default (thousands
    separators, the decimals the column holds) would be wrong (years: "0")."""

    id: str
    title: str
    frame: pd.DataFrame
    description: str = ""
    source: str = ""
    units: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    shorthand: dict[str, str] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    section: str = ""

    def __post_init__(self) -> None:
        if not TABLE_ID.match(self.id):
            raise ValueError(f"table id {self.id!r}: use 2 to 31 lower-case letters, digits and underscores, "
                             "starting with a letter (it names a worksheet)")
        frame = self.frame.reset_index(drop=True)
        if frame.columns.duplicated().any() or not all(isinstance(c, str) and c.strip() for c in frame.columns):
            raise ValueError(f"table {self.id}: every column needs a distinct text header ({list(frame.columns)})")
        # A header ending in its unit in brackets ("Crimes (count)", "Share (%)") says the unit for the metadata.
        self.units = {**{c: found[1] for c in frame.columns if (found := UNIT_SUFFIX.search(c))}, **self.units}
        # A missing figure says why: not available, unless the section said otherwise.
        self.frame = frame.astype(object).where(frame.notna(), NOT_AVAILABLE).map(_plain)
        for column in self.frame.columns:
            for value in self.frame[column]:
                if isinstance(value, str) and not re.search(r"[A-Za-z0-9]", value):
                    # a blank or a lone symbol tells a screen reader nothing: say why there is no figure
                    raise ValueError(f"table {self.id}, column {column!r}: cell {value!r} holds no letter or digit; "
                                     "give a figure, words or shorthand")

    @property
    def shorthand_used(self) -> list[str]:
        """The shorthand the table's cells use, in :data:`SHORTHAND` order."""
        cells = {v for v in self.frame.to_numpy().ravel() if isinstance(v, str) and SHORTHAND_MARK.match(v)}
        return [mark for mark in (*SHORTHAND, *sorted(cells - set(SHORTHAND))) if mark in cells]

    def meaning(self, mark: str, small: int) -> str:
        return self.shorthand.get(mark) or SHORTHAND[mark].format(small=small - 1)

    def as_json(self) -> dict:
        record = asdict(self)
        record.pop("frame")
        record["columns"] = list(self.frame.columns)
        record["rows"] = self.frame.to_numpy().tolist()
        return record

    @classmethod
    def from_json(cls, record: dict) -> "DataTable":
        record = dict(record)
        frame = pd.DataFrame(record.pop("rows"), columns=record.pop("columns"))
        return cls(frame=frame, **record)


def _plain(value):
    """A cell as JSON and the workbook take it: Python int, float or str (numpy and pandas scalars
    converted; a whole float stays a float, so a column of rates keeps its type)."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isinf(value):
        return NOT_AVAILABLE
    return value


def number(value, digits: int | None = None, missing: str = NOT_AVAILABLE):
    """A figure for a table cell: rounded to ``digits`` places (an int with 0), or ``missing``."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return missing
    try:
        if pd.isna(value):
            return missing
    except (TypeError, ValueError):
        pass
    if digits is None:
        return value.item() if hasattr(value, "item") else value
    return int(round(float(value))) if digits == 0 else round(float(value), digits)


def numbers(values, digits: int | None = None, missing: str = NOT_AVAILABLE) -> list:
    return [number(v, digits, missing) for v in values]


def yes_no(values) -> list[str]:
    return ["yes" if bool(v) else "no" for v in values]


def month_label(month) -> str:
    """'2016-04', a Period or a Timestamp as 'Apr 2016': the GSS's advice is never to shorten years."""
    return pd.Period(month, "M").strftime("%b %Y")


def period_label(period) -> str:
    """A config Period as 'Apr 2016 to Mar 2017' ('to', not a dash, and whole years)."""
    first, last = period.start.strftime("%b %Y"), period.end.strftime("%b %Y")
    return first if first == last else f"{first} to {last}"


def short_period_label(label: str) -> str:
    """A period label of the reports ('Apr 16 – Mar 17', 'Apr 16') as the workbook writes it
    ('Apr 2016 to Mar 2017'); other labels (a publisher's '2016/17') as they are."""
    found = re.fullmatch(r"([A-Z][a-z]{2}) (\d\d)(?: – ([A-Z][a-z]{2}) (\d\d))?", str(label))
    if not found:
        return str(label)
    start = f"{found[1]} 20{found[2]}"
    return start if not found[3] else f"{start} to {found[3]} 20{found[4]}"


# ---- recording and reading -----------------------------------------------------------------------

def tables_file(findings_dir: str | Path, section: str) -> Path:
    return Path(findings_dir) / TABLES_DIR / f"{section}.json"


def write_tables(findings_dir: str | Path, section: str, tables: list[DataTable]) -> Path:
    ids = [t.id for t in tables]
    if len(ids) != len(set(ids)):
        raise ValueError(f"section {section}: table ids repeat ({ids})")
    for table in tables:
        table.section = table.section or section
    return store.write_json(tables_file(findings_dir, section), {"section": section,
                                                                 "tables": [t.as_json() for t in tables]})


def read_tables(findings_dir: str | Path, section: str) -> list[DataTable]:
    """The tables a section recorded; none when it recorded none (a section run before tables existed).

    Parsed and checked once per content of the file: the run's document and its workbook each read
    every section's tables, and checking a table's cells costs far more than reading the file and
    copying the tables. Each caller gets copies of its own."""
    try:
        text = tables_file(findings_dir, section).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [copy.deepcopy(table) for table in _tables_in(text)]


@functools.lru_cache(maxsize=64)  # a run's sections, several areas at once
def _tables_in(text: str) -> tuple[DataTable, ...]:
    return tuple(DataTable.from_json(t) for t in json.loads(text)["tables"])


# ---- from the document to the data ----------------------------------------------------------------

DATA_ATTRIBUTE = "data-csp-tables"  # on a drawn table's <table>: the ids of the tables behind it


def table_attributes(ids) -> str:
    """What a Styler's <table> carries so the document can link it to its data."""
    return f'{DATA_ATTRIBUTE}="{html.escape(" ".join(ids))}"' if ids else ""


def ids_in_html(table_html: str) -> list[str]:
    found = re.search(rf'{DATA_ATTRIBUTE}="([^"]*)"', table_html)
    return found[1].split() if found else []


class DataLinks:
    """The 'Data: table ...' line for the ids of the tables the workbook holds (others are left out)."""

    def __init__(self, known: set[str], year: int):
        self.known, self.year = set(known), year

    def __call__(self, ids) -> str:
        return data_link([i for i in ids if i in self.known], self.year)

    @classmethod
    def recorded(cls, findings_dir: str | Path, year: int) -> "DataLinks":
        """Links to the tables the sections have recorded so far (a section's report is exported as soon
        as it has run, before the workbook exists): the non-empty ones, as the workbook keeps them."""
        known = set()
        for path in sorted((Path(findings_dir) / TABLES_DIR).glob("*.json")):
            known |= {t["id"] for t in json.loads(path.read_text(encoding="utf-8"))["tables"] if t["rows"]}
        return cls(known, year)


def data_link(ids, year: int) -> str:
    """'Data: table crime_spc (xlsx, csv)' under a table or chart of the document: the workbook and
    each table's CSV, relative to the document (both sit in the report folder). The id is printed,
    so a reader of the PDF finds the sheet too."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return ""
    workbook = html.escape(workbook_name(year))
    parts = [f'table <span class="csp-table-id">{html.escape(i)}</span> (<a href="{workbook}" '
             f'aria-label="table {html.escape(i)} in the workbook (xlsx)">xlsx</a>, <a href="{TABLES_DIR}/'
             f'{html.escape(i)}.csv" aria-label="table {html.escape(i)} as CSV">csv</a>)' for i in ids]
    return f'<p class="csp-data-link">Data: {"; ".join(parts)}</p>'

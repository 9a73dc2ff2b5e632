"""ONS "Domestic abuse in England and Wales" data tool: domestic abuse-related crimes recorded by
the police per 1,000 population, by police force area.

The shape accepted (a CSV, or one sheet of an .xlsx/.xls workbook, as the data tool's table is
saved or copied out of it):

* optional title lines above the header (the table's title and notes); the title, the header or
  the file name must say "domestic abuse" (that is how the file is recognised);
* one header row, within the first 15 rows, holding an area code column (``Area code``,
  ``Police force area code``, ``PFA code`` or ``Code``), an area name column (``Area name``,
  ``Police force area``, ``Police force area name`` or ``Name``) and one column per year:
  ``Year ending March 2017`` (also ``Year ending Mar 2017``, ``YE March 2017``, ``Apr 2016 to
  Mar 2017``, ``2016/17``);
* one row per area: police force areas (E23..., W15...), England (E92000001), Wales (W92000004),
  England and Wales (K04000001); the table ends at the first row without a code (footnotes
  follow);
* cells: domestic abuse-related crimes per 1,000 population, with ONS's marks for figures not
  available ("[x]", "[c]", "..", ":", empty) read as missing.

The data tool also publishes the numbers of crimes; this loader takes only the rate table, and
says so when the title or header shows numbers rather than rates ("per 1,000" must appear in the
title or header).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .exact import check_all_rows_read
from .ons import Column, _cell_text, _excel_file, resolve_columns
from .values import numbers

TABLE = "ons_domestic_abuse"
# What the processed table holds (its line in the processed folder's README).
DESCRIPTION = ("ONS domestic abuse-related crimes per 1,000 population by police force area and year "
               "ending March (Domestic abuse in England and Wales data tool)")
KEY = ["area_code", "end_year"]
FIGURES = ("rate_per_1000",)  # what two files of one KEY must agree on
ENGLAND = "E92000001"
HEADER_SCAN_ROWS = 15
DOWNLOAD = ("ONS, \"Domestic abuse in England and Wales data tool\" (ons.gov.uk, search for the data tool): "
            "the table of domestic abuse-related crimes recorded by the police per 1,000 population by police "
            "force area, saved unchanged (xlsx) or as CSV in the data folder")

COLUMNS = (
    Column("area_code", r"(?:area|police force area|pfa)?\s*code", "Area code", "area code"),
    Column("area_name", r"(?:area|police force area|pfa)\s*(?:name)?|name", "Area name", "area name"),
)
# "Year ending March 2017", "Year ending Mar 2017", "YE March 2017", "Apr 2016 to Mar 2017", "2016/17"
_YEAR_COLUMN = re.compile(
    r"(?:year\s+ending|ye)\s+mar(?:ch)?\.?\s+((?:19|20)\d{2})"
    r"|apr(?:il)?\s+(?:19|20)\d{2}\s+(?:to|-|–)\s+mar(?:ch)?\s+((?:19|20)\d{2})"
    r"|((?:19|20)\d{2})\s*/\s*(\d{2})",
    re.IGNORECASE)
_TOPIC = re.compile(r"domestic[\s_-]*abuse", re.IGNORECASE)
_RATE = re.compile(r"per\s*1,?000", re.IGNORECASE)


def year_of(header_cell: str) -> int | None:
    """The year a "year ending March" column ends in; None for other columns."""
    match = _YEAR_COLUMN.fullmatch(header_cell.strip())
    if not match:
        return None
    if match.group(1) or match.group(2):
        return int(match.group(1) or match.group(2))
    start = int(match.group(3))
    end = start // 100 * 100 + int(match.group(4))
    return end if end == start + 1 else None


def _grids(path: Path) -> list[tuple[str | None, pd.DataFrame]]:
    """(sheet name or None for a CSV, cells as text indexed by 1-based row number)."""
    if path.suffix.lower() == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV") from None
        rows = list(csv.reader(io.StringIO(text, newline="")))
        starts = check_all_rows_read(path, text, len(rows), header=False, blank_lines_are_rows=True)
        width = max((len(r) for r in rows), default=0)
        frame = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
        frame.index = starts if starts is not None else range(1, len(frame) + 1)
        return [(None, frame.map(_cell_text) if len(frame) else frame)]
    book = _excel_file(path)
    grids = []
    for name in book.sheet_names:
        frame = pd.read_excel(book, sheet_name=name, header=None, keep_default_na=False, dtype=object)
        frame.index = frame.index + 1
        grids.append((name, frame.map(_cell_text)))
    return grids


def _header(grid: pd.DataFrame) -> tuple[int, list[str], dict[str, int], dict[int, int]] | None:
    """(row number, header cells, area columns, year column -> end year) of the first row within
    the scan that holds the area code, area name and at least one year column."""
    for row in list(grid.index)[:HEADER_SCAN_ROWS]:
        header = [str(c) for c in grid.loc[row]]
        found, missing, _ = resolve_columns(header, COLUMNS)
        years = {i: y for i, cell in enumerate(header) if (y := year_of(cell)) is not None}
        if not missing and years:
            return row, header, found, years
    return None


def _table(path: Path):
    """The sheet (or CSV) holding the table, with its header; None when there is none."""
    for sheet, grid in _grids(path):
        head = _header(grid)
        if head is None:
            continue
        row = head[0]
        title = " ".join(c for c in grid.loc[: row - 1].to_numpy().ravel() if c) if row > 1 else ""
        topic = " ".join([path.name, sheet or "", title, " ".join(head[1])])
        if _TOPIC.search(topic):
            return sheet, grid, head, topic
    return None


def sniff(path: Path) -> bool:
    """True for the data tool's table by police force area (CSV or workbook)."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".xlsx", ".xls"):
        return False
    if path.suffix.lower() == ".csv":
        try:  # cheap first look: the topic within the first lines
            with path.open(encoding="utf-8-sig", newline="") as handle:
                head = "".join(handle.readline() for _ in range(HEADER_SCAN_ROWS))
        except UnicodeDecodeError:
            return False
        if not (_TOPIC.search(head) or _TOPIC.search(path.name)):
            return False
    elif not _TOPIC.search(path.name):
        return False  # workbooks are opened only when named for the topic, as ONS names its data tool
    try:
        return _table(path) is not None
    except InputError:
        return False


def read(path: Path) -> pd.DataFrame:
    """One row per area and year.

    Columns: area_code, area_name, period ("Year ending March 2017"), end_year (int),
    rate_per_1000 (float, NaN where ONS publishes no figure), row (int: row in the file or sheet),
    source_file (str).
    """
    path = Path(path)
    found = _table(path)
    if found is None:
        raise InputError(path, "no table of domestic abuse-related crimes by police force area found: expected a "
                               "header row with Area code, Area name and columns such as 'Year ending March 2017' "
                               "within the first 15 rows", row=1)
    sheet, grid, (header_row, header, cols, years), topic = found
    where = f" (sheet '{sheet}')" if sheet else ""

    def error(message: str, row: int, column: str) -> InputError:
        return InputError(path, message + where, row=row, column=column)

    if not _RATE.search(topic):
        raise error("this table does not say it holds rates per 1,000 population (the data tool's numbers of "
                    "crimes cannot be compared between areas): use the rate table, whose title or header says "
                    "'per 1,000'", header_row, header[next(iter(years))])
    seen: dict[int, int] = {}
    for position, year in years.items():
        if year in seen:
            raise error(f"two columns for the year ending March {year} ({header[seen[year]]}, {header[position]}); "
                        "expected one column per year", header_row, header[position])
        seen[year] = position
    body = grid.loc[header_row + 1:]
    blank = (body[cols["area_code"]] == "").to_numpy()
    if blank.any():
        body = body.iloc[: int(blank.argmax())]
    if body.empty:
        raise error("the table has a header but no area rows", header_row, header[cols["area_code"]])
    codes = body[cols["area_code"]]
    bad = ~codes.str.fullmatch(r"[EWKN]\d{8}")
    if bad.any():
        row = int(bad[bad].index[0])
        raise error(f"{codes.loc[row]!r} is not an ONS area code (like E23000032 for a police force area, "
                    "E92000001 for England)", row, header[cols["area_code"]])
    repeated = codes.duplicated(keep=False)
    if repeated.any():
        rows = [int(r) for r in repeated[repeated].index]
        raise error(f"area {codes.loc[rows[0]]} appears more than once (rows {', '.join(map(str, rows[:5]))})",
                    rows[1], header[cols["area_code"]])
    source = _Where(path, where)
    parts = []
    for position, year in years.items():
        rates = numbers(source, body[position], header[position], "the rate per 1,000", suppressible=True)
        negative = rates < 0
        if negative.any():
            row = int(negative[negative].index[0])
            raise error(f"the rate per 1,000 is negative ({body.loc[row, position]})", row, header[position])
        parts.append(pd.DataFrame({"area_code": codes, "area_name": body[cols["area_name"]],
                                   "period": f"Year ending March {year}", "end_year": year,
                                   "rate_per_1000": rates, "row": body.index.astype("int64")}))
    table = pd.concat(parts, ignore_index=True)
    table["end_year"] = table["end_year"].astype("int64")
    table["source_file"] = path.name
    return table.sort_values(["area_code", "end_year"]).reset_index(drop=True)


class _Where:
    """What ``values.numbers`` needs to name the file (and sheet) in its errors."""

    def __init__(self, path: Path, where: str):
        self.path, self.where = path, where

    def error(self, message: str, *, row: int | None = None, column: str | None = None) -> InputError:
        return InputError(self.path, message + self.where, row=row, column=column)

"""English Indices of Deprivation, File 1 (the Index of Multiple Deprivation), as MHCLG publishes it.

``File_1_IMD2019_Index_of_Multiple_Deprivation.xlsx``: a ``Notes`` sheet, then the sheet
``IMD2019`` with one row per LSOA 2011 of England (32,844) and the columns

    LSOA code (2011), LSOA name (2011), Local Authority District code (2019),
    Local Authority District name (2019), Index of Multiple Deprivation (IMD) Rank,
    Index of Multiple Deprivation (IMD) Decile

Rank 1 is the most deprived LSOA in England; decile 1 the most deprived 10% of LSOAs, nationally.
The LSOA vintage is read from the header ("LSOA code (2011)"; the 2025 indices use "LSOA code
(2021)"), the edition from the sheet name (IMD2019) or, failing that, the file name.

Any workbook with a sheet whose first row names an "Index of Multiple Deprivation" column, or a
file named like ``File_1_IMD2019_...``, is taken for this file, so a renamed column is reported
(file, sheet, row 1, column) rather than the file being passed over.
"""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd

from ..errors import InputError
from .ons import Column, resolve_columns

TABLE = "imd"
# What the processed table holds (its line in the processed folder's README).
DESCRIPTION = ("English Indices of Deprivation, Index of Multiple Deprivation by LSOA: rank (1 = most "
               "deprived in England), national decile (1 = most deprived 10%), LSOA vintage, edition")
DESCRIPTION = ("English Indices of Deprivation, Index of Multiple Deprivation by LSOA: rank (1 = most deprived in "
               "England) and national decile (1 = most deprived 10%), with the LSOA vintage and the edition")
KEY = ["edition", "lsoa_code"]
FIGURES = ("imd_rank", "imd_decile")  # what two files of one KEY must agree on
DOWNLOAD = ("the English Indices of Deprivation 2019, File 1: Index of Multiple Deprivation "
            "(File_1_IMD2019_Index_of_Multiple_Deprivation.xlsx), from GOV.UK: 'English indices of deprivation 2019'")

_FILE_NAME = re.compile(r"file_?1.*imd|imd.*index.*multiple.*deprivation", re.IGNORECASE)
_MENTIONS_IMD = re.compile(r"index of multiple deprivation|\bIMD\b", re.IGNORECASE)
COLUMNS = (
    Column("lsoa_code", r"LSOA code \((2011|2021)\)", "LSOA code (2011)", "LSOA code"),
    Column("lsoa_name", r"LSOA name \((2011|2021)\)", "LSOA name (2011)", "LSOA name", required=False),
    Column("lad_code", r"Local Authority District code \(\d{4}\)", "Local Authority District code (2019)",
           "local authority code", required=False),
    Column("imd_rank", r"Index of Multiple Deprivation \(IMD\) Rank.*", "Index of Multiple Deprivation (IMD) Rank",
           "IMD rank"),
    Column("imd_decile", r"Index of Multiple Deprivation \(IMD\) Decile.*",
           "Index of Multiple Deprivation (IMD) Decile", "IMD decile"),
)
_LSOA_CODE = re.compile(r"[EW]01\d{6}")


def _header(cells) -> list[str]:
    return ["" if c is None else " ".join(str(c).split()) for c in cells]


def _open(path: Path):
    return openpyxl.load_workbook(path, read_only=True, data_only=True)


def _first_rows(path: Path) -> dict[str, list[str]]:
    """Each sheet's first row, as text."""
    book = _open(path)
    try:
        return _first_rows_of(book)
    finally:
        book.close()


def _first_rows_of(book) -> dict[str, list[str]]:
    return {ws.title: _header(next(ws.iter_rows(max_row=1, values_only=True), ())) for ws in book.worksheets}


def sniff(path: Path) -> bool:
    """True for an IoD File 1 workbook (by a first row naming the IMD, or by the file's name)."""
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return False
    if _FILE_NAME.search(path.name):
        return True  # MHCLG's own name: no need to open a workbook whose strings take seconds to load
    try:
        heads = _first_rows(path)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return False
    return any(any(_MENTIONS_IMD.search(cell) for cell in header) and any(re.match(r"LSOA code", c, re.I) for c in header)
               for header in heads.values())


def _table_sheet(path: Path, heads: dict[str, list[str]]) -> str:
    """The sheet holding the index: the one whose first row has every required column, else the
    one that comes closest (to name its missing column)."""
    best, best_missing = None, None
    for name, header in heads.items():
        _, missing, _ = resolve_columns(header, COLUMNS)
        if not missing:
            return name
        if any(_MENTIONS_IMD.search(c) for c in header) and (best_missing is None or len(missing) < len(best_missing)):
            best, best_missing = name, missing
    if best is None:
        raise InputError(path, "no sheet with the Index of Multiple Deprivation by LSOA (expected a first row with "
                               f"{', '.join(c.expected for c in COLUMNS if c.required)}, as in the sheet IMD2019)")
    header = heads[best]
    raise InputError(path, f"missing column {best_missing[0].expected} ({best_missing[0].label}) (sheet '{best}'); "
                           f"columns found: {', '.join(c for c in header if c)}; expected: "
                           f"{', '.join(c.expected for c in COLUMNS if c.required)}",
                     row=1, column=best_missing[0].expected)


def read(path: Path) -> pd.DataFrame:
    """One row per LSOA.

    Columns: lsoa_code, lsoa_name, lad_code (str), lsoa_vintage ("2011" or "2021"), edition
    (e.g. "2019"), imd_rank (int, 1 = most deprived), imd_decile (int 1-10, 1 = most deprived 10%
    nationally), source_file (str), row (int: the row in the sheet).
    """
    path = Path(path)
    book = _open(path)  # once: loading the workbook's 66,000 shared strings takes seconds
    try:
        heads = _first_rows_of(book)
        sheet = _table_sheet(path, heads)
        header = heads[sheet]
        found, _, ambiguous = resolve_columns(header, COLUMNS)
        if ambiguous:
            col, hits = ambiguous[0]
            raise InputError(path, f"several columns could be the {col.label} ({', '.join(header[i] for i in hits)}) "
                                   f"(sheet '{sheet}')", row=1, column=header[hits[1]])
        rows = list(book[sheet].iter_rows(min_row=2, values_only=True))
    finally:
        book.close()
    frame = pd.DataFrame(rows).reindex(columns=range(len(header)))
    frame.index = range(2, len(frame) + 2)
    code = frame[found["lsoa_code"]].map(lambda v: "" if v is None else str(v).strip())
    frame, code = frame[code != ""], code[code != ""]  # trailing blank rows

    def fail(row, field: str, message: str):
        raise InputError(path, f"{message} (sheet '{sheet}')", row=int(row), column=header[found[field]])

    if code.empty:
        raise InputError(path, f"the sheet '{sheet}' has a header row but no LSOAs", row=1)
    bad = ~code.str.fullmatch(_LSOA_CODE)
    if bad.any():
        fail(bad.idxmax(), "lsoa_code", f"{code[bad].iloc[0]!r} is not an LSOA code (E01 and 6 digits)")
    dupes = code.duplicated()
    if dupes.any():
        fail(dupes.idxmax(), "lsoa_code", f"LSOA {code[dupes].iloc[0]} appears twice")

    def whole(field: str, low: int, high: int | None) -> pd.Series:
        values = frame[found[field]]
        for row, value in values.items():
            number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            if isinstance(value, str) and value.strip().isdigit():
                number = int(value.strip())
            if (number is None or not math.isfinite(number) or number != int(number) or number < low
                    or (high is not None and number > high)):
                expected = f"a whole number from {low} to {high}" if high else f"a whole number from {low}"
                fail(row, field, f"{'empty' if value in (None, '') else repr(value)} is not a valid "
                                 f"{COLUMNS[[c.field for c in COLUMNS].index(field)].label}: expected {expected}")
        return values.astype("int64")

    rank = whole("imd_rank", 1, None)
    decile = whole("imd_decile", 1, 10)
    vintage = "20" + re.fullmatch(COLUMNS[0].pattern, header[found["lsoa_code"]], re.IGNORECASE).group(1)[2:]
    edition = re.search(r"(20\d\d)", sheet) or re.search(r"IMD\s*_?(20\d\d)", path.name, re.IGNORECASE)
    text = (lambda field: frame[found[field]].map(lambda v: "" if v is None else str(v).strip())
            if field in found else pd.Series("", index=frame.index))
    return pd.DataFrame({
        "lsoa_code": code, "lsoa_name": text("lsoa_name"), "lad_code": text("lad_code"),
        "lsoa_vintage": vintage, "edition": edition.group(1) if edition else "",
        "imd_rank": rank, "imd_decile": decile, "source_file": path.name, "row": frame.index.astype("int64"),
    }).reset_index(drop=True)

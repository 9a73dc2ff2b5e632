"""ONS inputs, read exactly as ONS publishes them and recognised by their headers.

Kinds (``ONS_KINDS``), each with its loader:

``lsoa_ward_lad_lookup`` -> :func:`read_lsoa_ward_lad_lookup`
    ONS Open Geography lookup LSOA -> ward -> local authority (CSV), e.g.
    ``LSOA11CD,LSOA11NM,WD17CD,WD17NM,WD17NMW,LAD17CD,LAD17NM,FID``. The digits in the column
    names are the vintage and change between releases (LSOA21CD, WD22CD, LAD22CD, ...).
``lsoa_bridge`` -> :func:`read_lsoa_bridge`
    ONS LSOA (2011) -> LSOA (2021) exact-fit lookup (CSV),
    ``LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,LAD22CD,...``: one row per pair of old and new
    LSOAs; CHGIND U unchanged, S split, M merged, X redesigned.
``lad_csp_pfa_lookup`` -> :func:`read_lad_csp_pfa_lookup`
    local authority -> Community Safety Partnership -> police force area (CSV), any year, the id
    column first or last: ``LAD17CD,LAD17NM,CSP17CD,CSP17NM,PFA17CD,PFA17NM,FID``,
    ``FID,LAD19CD,...``. From 2019 some authorities hold several partnerships (East Suffolk).
``mid_year_estimates`` -> :func:`read_mid_year_estimates`
    ONS mid-year population estimates for local authorities: the release workbooks (.xls/.xlsx,
    MYE2 ``MYE2 - All`` up to mid-2020, ``MYE2 - Persons`` with its header on row 8 from mid-2021),
    the MYEB long tables (``code,name,geography,sex,age,population_2011,...``, as a sheet or CSV)
    or a plain CSV ``area_code,area_name,mid_year,population``.
``small_area_population`` -> :func:`read_small_area_population`
    population by LSOA: the Census 2011 LSOA population CSV, Census 2021 TS001 from Nomis, or ONS
    small area population estimates (SAPE) workbooks, LSOA 2011 or LSOA 2021.

Every problem is an :class:`InputError` naming the file, the row (1-based line number in a CSV,
header = line 1; the sheet row number in a workbook, with the sheet named in the message) and the
column.
"""

from __future__ import annotations

import csv
import functools
import math
import re
import threading
import warnings
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xlrd
from openpyxl.utils.exceptions import InvalidFileException
from pandas.errors import Pandas4Warning

from csp_assessment.errors import InputError
from csp_assessment.ingest.exact import check_all_rows_read, record_starts, text_of

ONS_KINDS = ("lsoa_ward_lad_lookup", "lsoa_bridge", "lad_csp_pfa_lookup", "mid_year_estimates",
             "small_area_population")

_EXCEL_ENGINES = {".xls": "xlrd", ".xlsx": "openpyxl", ".xlsm": "openpyxl"}
_EXCEL_READ_ERRORS = (
    xlrd.XLRDError,
    xlrd.compdoc.CompDocError,
    zipfile.BadZipFile,
    InvalidFileException,
    ValueError,
)
# ONS puts 2 to 7 title, note and feedback-link rows above a table's header; 40 leaves room.
_HEADER_SCAN_ROWS = 40

_LSOA_CODE = r"[EW]01\d{6}"
# Unitary authorities, non-metropolitan districts, metropolitan districts, London boroughs; Welsh UAs.
_LAD_CODE = r"[EW]0[6-9]\d{6}"
_MID_YEAR_HEADER = r"mid[-\s]?((?:19|20)\d{2})"
_MID_YEAR_IN_TEXT = re.compile(rf"\b{_MID_YEAR_HEADER}\b", re.IGNORECASE)
_YEAR_IN_FILE_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
# ONS names its mid-year releases "mye22final.xlsx", "mye24tablesew.xlsx": "mye" and the year's last
# two digits (the 2024 release page, "Estimates of the population for England and Wales").
_MYE_RELEASE_NAME = re.compile(r"^mye(\d{2})(?!\d)", re.IGNORECASE)
# Sex-specific sheets of a release: "Males UK", "Females UK ", "MYE2 - M", "MYE2 - Females", and
# titles such as "MYE2: Population estimates: Males by single year of age ..." or "FEMALES".
_SEX_IN_SHEET_NAME = re.compile(r"\b(?:fe)?males?\b|(?:^|[\s_-])[mf]$", re.IGNORECASE)
_SEX_IN_TITLE = re.compile(r"\b(?:fe)?males?\b", re.IGNORECASE)
_PERSONS_IN_TITLE = re.compile(r"\bpersons\b", re.IGNORECASE)
_SMALL_AREA_TITLE = re.compile(r"super output area|\blsoa", re.IGNORECASE)
# The time series table of a release is MYE4 ("MYE4", "MYE4 ", "MYE 4"); MYE5 and MYE6 also have
# Mid-YYYY columns but hold densities and median ages.
_TIME_SERIES_TITLE = re.compile(r"^mye\s*4\b", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Column:
    """A column recognised by its header: ``pattern`` is matched in full, ignoring case, against
    the header cell with its spaces trimmed and collapsed."""

    field: str
    pattern: str
    expected: str  # how the header is spelled, for error messages
    label: str  # what the column holds, for error messages
    required: bool = True
    # "only": several matching columns is an error; "first"/"last": take that one.
    pick: str = "only"

    def hits(self, header: list[str]) -> list[int]:
        # Compiled once: every row of a sheet's first rows is tried as its header against every column.
        matches = _compiled(self.pattern).fullmatch
        return [i for i, cell in enumerate(header) if matches(cell)]


@functools.cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


# "LSOA Code", "LSOA11 Code", "LSOA 2021 Code" (SAPE from mid-2021), LSOA21CD.
_LSOA_HEADER = r"lsoa\s*(?:(?:19|20)?\d\d\s*)?code|lsoa\d\dcd"
# "Local authority code" (Census), "LA Code (2021 boundaries)" (SAPE), "LAD 2021 Code", LAD21CD.
_LA_CODE_HEADER = r"(?:la|lad|local\s*authority)\s*(?:(?:19|20)?\d\d\s*)?code\b.*|lad?\d\dcd"

_LSOA_LOOKUP = (
    Column("lsoa_code", r"LSOA(\d\d)CD", "LSOA<yy>CD", "LSOA code"),
    Column("lsoa_name", r"LSOA(\d\d)NM", "LSOA<yy>NM", "LSOA name"),
    Column("ward_code", r"WD(\d\d)CD", "WD<yy>CD", "ward code"),
    Column("ward_name", r"WD(\d\d)NM", "WD<yy>NM", "ward name"),
    Column("lad_code", r"(?:LAD|LTLA)(\d\d)CD", "LAD<yy>CD", "local authority code"),
    Column("lad_name", r"(?:LAD|LTLA)(\d\d)NM", "LAD<yy>NM", "local authority name"),
)
_BRIDGE = (
    Column("lsoa11_code", r"LSOA11CD", "LSOA11CD", "LSOA 2011 code"),
    Column("lsoa21_code", r"LSOA21CD", "LSOA21CD", "LSOA 2021 code"),
    Column("change", r"CHGIND", "CHGIND", "change indicator"),
    Column("lad_code", r"(?:LAD|LTLA)(\d\d)CD", "LAD<yy>CD", "local authority code", required=False),
)
_LAD_LOOKUP = (
    Column("lad_code", r"(?:LAD|LTLA)(\d\d)CD", "LAD<yy>CD", "local authority code"),
    Column("lad_name", r"(?:LAD|LTLA)(\d\d)NM", "LAD<yy>NM", "local authority name"),
    Column("csp_code", r"CSP(\d\d)CD", "CSP<yy>CD", "CSP code"),
    Column("csp_name", r"CSP(\d\d)NM", "CSP<yy>NM", "CSP name"),
    Column("pfa_code", r"PFA(\d\d)CD", "PFA<yy>CD", "police force area code"),
    Column("pfa_name", r"PFA(\d\d)NM", "PFA<yy>NM", "police force area name"),
)
_MYE_CSV = (
    Column("area_code", r"area_code", "area_code", "area code"),
    Column("area_name", r"area_name", "area_name", "area name"),
    Column("mid_year", r"mid_year", "mid_year", "mid-year"),
    Column("population", r"population", "population", "population"),
    Column("geography", r"geography", "geography", "geography", required=False),
)
# Census 2021 TS001 (usual residents) by LSOA, as Nomis serves it.
_TS001_CSV = (
    Column("year", r"date", "date", "census date"),
    Column("lsoa_code", r"geography\s*code", "geography code", "LSOA code"),
    Column("population", r"residence type:\s*total;\s*measures:\s*value", "Residence type: Total; measures: Value",
           "population"),
)
# MYEB long tables (by area, sex and single year of age; one population column per year):
# "code,name,geography,sex,age,population_2011,...", or "ladcode21,laname21,country,sex,age,...".
_MYEB_TABLE = (
    Column("area_code", r"(?:lad)?code\d*", "code", "area code"),
    Column("area_name", r"(?:la)?name\d*", "name", "area name", required=False),
    Column("geography", r"geography|country", "geography", "geography", required=False),
    Column("sex", r"sex", "sex", "sex"),
    Column("age", r"age", "age", "age"),
    Column("population", r"population_(?:19|20)\d\d", "population_YYYY", "population", pick="first"),
)
_CENSUS_CSV = (
    Column("lsoa_code", _LSOA_HEADER, "LSOA Code", "LSOA code"),
    Column("lad_code", _LA_CODE_HEADER, "Local authority code", "local authority code", required=False),
    # The Census extract has three "Persons" columns: all usual residents, those living in
    # households, those in communal establishments. The first is the population.
    Column("population", r"persons", "Persons", "population", pick="first"),
)
# The all-ages table of a workbook: MYE2 ("Code", "Name", "Geography1", "All ages") or SAPE
# ("Area Codes"/"LSOA Code", ..., "All Ages").
_ALL_AGES_TABLE = (
    Column("area_code", rf"(?:area\s*)?codes?|{_LSOA_HEADER}", "Code", "area code", pick="first"),
    Column("area_name", r"(?:area\s*)?names?", "Name", "area name", required=False, pick="first"),
    # "Geography1": the 1 is a footnote marker.
    Column("geography", r"geography\s*\d*", "Geography", "geography", required=False, pick="first"),
    # Newer SAPE releases give the LA code for two boundary sets; the right-most is the latest.
    Column("lad_code", _LA_CODE_HEADER, "LA Code", "local authority code", required=False, pick="last"),
    # "Total" in the SAPE LSOA 2021 workbooks.
    Column("population", r"all\s*ages|total", "All ages", "population", pick="first"),
)
_TIME_SERIES_TABLE = (
    Column("area_code", r"(?:area\s*)?codes?", "Code", "area code", pick="first"),
    Column("area_name", r"(?:area\s*)?names?", "Name", "area name", required=False, pick="first"),
    Column("geography", r"geography\s*\d*", "Geography", "geography", required=False, pick="first"),
    Column("mid_year", _MID_YEAR_HEADER, "Mid-2020", "population", pick="first"),
)
# The MYE2 "Persons" table saved as CSV ("Code,Name,Geography,All ages,0,1,...,90+"): the Geography
# column tells it from a small-area table, which has none.
_MYE2_CSV = (
    Column("area_code", r"code", "Code", "area code"),
    Column("area_name", r"name", "Name", "area name"),
    Column("geography", r"geography\s*\d*", "Geography", "geography"),
    Column("population", r"all\s*ages", "All ages", "population"),
)
_CSV_KINDS = (
    ("lsoa_ward_lad_lookup", _LSOA_LOOKUP),
    ("lsoa_bridge", _BRIDGE),
    ("lad_csp_pfa_lookup", _LAD_LOOKUP),
    ("mid_year_estimates", _MYE_CSV),
    ("mid_year_estimates", _MYEB_TABLE),
    ("mid_year_estimates", _MYE2_CSV),
    ("small_area_population", _CENSUS_CSV),
    ("small_area_population", _TS001_CSV),
)
_MYE_COLUMNS = ["area_code", "area_name", "geography", "mid_year", "population", "source_file"]


# --------------------------------------------------------------------------- discovery


def sniff(path: Path) -> str | None:
    """The kind of ONS file at ``path`` (one of ``ONS_KINDS``), or None if it is not one we know.

    Reads only the header: the first line of a CSV; the sheet names and first rows of a workbook.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            header = [_clean(cell) for cell in next(csv.reader(handle), [])]
        for kind, columns in _CSV_KINDS:
            if not resolve_columns(header, columns)[1]:
                return kind
        return None
    if suffix in _EXCEL_ENGINES:
        try:
            with _workbook(path) as book:
                heads = _workbook_heads(book)
        except InputError:
            return None
        for sheet in _find_tables(heads, _ALL_AGES_TABLE):
            return "small_area_population" if sheet.is_small_area else "mid_year_estimates"
        if _find_tables(heads, _MYEB_TABLE):
            return "mid_year_estimates"
    return None


# --------------------------------------------------------------------------- lookups


def read_lsoa_ward_lad_lookup(path: Path) -> pd.DataFrame:
    """LSOA -> ward -> local authority lookup, one row per LSOA.

    Columns lsoa_code, lsoa_name, ward_code, ward_name, lad_code, lad_name (str). ``df.attrs``
    holds the vintages read from the column names: lsoa_vintage, ward_vintage, lad_vintage
    (e.g. "2011", "2017", "2017" for LSOA11CD, WD17CD, LAD17CD).
    """
    return _read_lookup(Path(path), _LSOA_LOOKUP, key=("lsoa_code",))


def read_lsoa_bridge(path: Path) -> pd.DataFrame:
    """ONS LSOA (2011) -> LSOA (2021) lookup, one row per pair of old and new LSOAs.

    Columns lsoa11_code, lsoa21_code, change ("U" unchanged, "S" split: one 2011 LSOA became
    several, "M" merged: several became one, "X" redesigned: many to many), lad_code ("" where
    the file has none).
    """
    path = Path(path)
    src, header, body = read_csv_table(path)
    found = csv_columns(src, header, _BRIDGE)
    df = pd.DataFrame({
        "lsoa11_code": body[found["lsoa11_code"]].str.strip(),
        "lsoa21_code": body[found["lsoa21_code"]].str.strip(),
        "change": body[found["change"]].str.strip().str.upper(),
        "lad_code": _texts(body, found.get("lad_code")),
    })
    for field in ("lsoa11_code", "lsoa21_code"):
        _require_text(src, df[field], header[found[field]], "LSOA code")
    bad = df[~df["change"].isin(["U", "S", "M", "X"])]
    if len(bad):
        raise src.error(f"change indicator {bad['change'].iloc[0]!r} is not one of U, S, M, X",
                        row=int(bad.index[0]), column=header[found["change"]])
    _require_unique(src, df["lsoa11_code"] + " -> " + df["lsoa21_code"], header[found["lsoa11_code"]],
                    "LSOA pair")
    return df.reset_index(drop=True)


def read_lad_csp_pfa_lookup(path: Path) -> pd.DataFrame:
    """Local authority -> Community Safety Partnership -> police force area, one row per LAD.

    Columns lad_code, lad_name, csp_code, csp_name, pfa_code, pfa_name (str); ``df.attrs`` holds
    lad_vintage, csp_vintage, pfa_vintage. An authority appears once per partnership it holds:
    from 2019 ONS lists East Suffolk under two partnerships and Bournemouth, Christchurch and
    Poole under three.
    """
    return _read_lookup(Path(path), _LAD_LOOKUP, key=("lad_code", "csp_code"))


def _read_lookup(path: Path, columns: tuple[Column, ...], key: tuple[str, ...]) -> pd.DataFrame:
    src, header, body = read_csv_table(path)
    found = csv_columns(src, header, columns)
    df = pd.DataFrame({field: body[i].str.strip() for field, i in found.items()})
    for col in columns:
        if col.field.endswith("_code"):
            _require_text(src, df[col.field], header[found[col.field]], col.label)
    key_col = next(col for col in columns if col.field == key[0])
    keys = df[list(key)].agg(" / ".join, axis=1) if len(key) > 1 else df[key[0]]
    _require_unique(src, keys, header[found[key[0]]], key_col.label if len(key) == 1 else
                    " and ".join(next(c.label for c in columns if c.field == k) for k in key))
    out = df.reset_index(drop=True)
    for col in columns:
        if col.field.endswith("_code"):
            yy = re.fullmatch(col.pattern, header[found[col.field]], re.IGNORECASE).group(1)
            out.attrs[col.field.replace("_code", "_vintage")] = f"20{yy}"
    return out


# --------------------------------------------------------------------------- mid-year estimates


def read_mid_year_estimates(path: Path) -> pd.DataFrame:
    """ONS mid-year population estimates by area, one row per area and mid-year.

    Columns area_code, area_name, geography ("Unitary Authority", "Country", ... as given, "" where
    the release has no geography column), mid_year (int), population (int), source_file (the
    file's name).

    Accepts:

    * an ONS release workbook (.xls as published, or .xlsx). The all-persons, all-ages table
      (MYE2: sheet "MYE2 - All", "MYE2-All", "MYE2 - Persons", "Persons UK", ...) is found by its
      header row ("Code"/"Area code" and "All ages") below any number of title rows; its year is
      the "mid-YYYY" in the sheet name or title, else the single year in the file name. Where the
      release also has the MYE4 time series by area (columns "Mid-2020", "Mid-2019", ...), every
      year it holds is returned too; the MYE2 figure wins for the release year. The MYE4 of
      releases before mid-2020 is a UK-countries summary rounded to the nearest hundred, not a
      table by area, and is not used.
    * a CSV with header ``area_code,area_name,mid_year,population`` (optionally ``geography``),
      one row per area and mid-year.
    * the MYE2 persons table saved as CSV (``Code,Name,Geography,All ages,0,...``); its year is the
      single year in the file name, or the release's own name ("mye24tablesew.csv": mid-2024).
    * an MYEB long table (sheet or CSV): one row per area, sex and single year of age, one
      ``population_YYYY`` column per mid-year; summed over sex and age. In a workbook it is read
      only when there is no MYE2 table (the MYE2 table is the published all-ages figure).
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        src, header, body = read_csv_table(path)
        if not resolve_columns(header, _MYEB_TABLE)[1]:
            return _myeb_rows(src, header, body)
        if resolve_columns(header, _MYE_CSV)[1] and not resolve_columns(header, _MYE2_CSV)[1]:
            return _mye2_csv_rows(src, header, body)
        return _read_mye_csv(path)
    with _workbook(path, last=True) as book:
        heads = _workbook_heads(book)
        candidates = [
            sheet
            for sheet in _find_tables(heads, _ALL_AGES_TABLE)
            if not (sheet.is_small_area or sheet.is_sex_specific)
        ]
        long_tables = _find_tables(heads, _MYEB_TABLE)
        if not candidates and long_tables:
            sheet = long_tables[0]
            body = sheet.rows(book)
            header = [str(cell) for cell in sheet.header]
            return _myeb_rows(_Source(path, sheet.name), header, body.rename(columns=dict(enumerate(body.columns))))
        if not candidates:
            raise InputError(
                path,
                "no sheet holds an all-persons table of local authorities with a 'Code' and an 'All ages' "
                f"column; sheets found: {', '.join(repr(name) for name in heads)}",
            )
        release = candidates[0]
        src = _Source(path, release.name)
        year = _table_year(src, release)
        tables = [_area_rows(src, release, release.rows(book), {release.columns["population"]: year})]
        for sheet in _find_tables(heads, _TIME_SERIES_TABLE):
            if not _TIME_SERIES_TITLE.search(sheet.title):
                continue
            years = {
                i: int(match.group(1))
                for i, cell in enumerate(sheet.header)
                if (match := re.fullmatch(_MID_YEAR_HEADER, cell, re.IGNORECASE))
            }
            tables.append(_area_rows(_Source(path, sheet.name), sheet, sheet.rows(book), years))
    out = pd.concat(tables, ignore_index=True)
    out = out.drop_duplicates(["area_code", "mid_year"], keep="first", ignore_index=True)
    out["source_file"] = path.name
    return _typed(out[_MYE_COLUMNS])


def _area_rows(src: _Source, sheet: _Sheet, body: pd.DataFrame, years: dict[int, int]) -> pd.DataFrame:
    """Long table (area, mid_year, population) from a table by area with one population column
    per year (``years`` maps column position to mid-year)."""
    codes = _texts(body, sheet.columns["area_code"])
    _require_unique(src, codes, sheet.header[sheet.columns["area_code"]], "area code")
    names = _texts(body, sheet.columns.get("area_name"))
    geography = _texts(body, sheet.columns.get("geography"))
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "area_code": codes,
                    "area_name": names,
                    "geography": geography,
                    "mid_year": year,
                    "population": _whole_numbers(src, body[i], sheet.header[i], "population"),
                }
            )
            for i, year in years.items()
        ],
        ignore_index=True,
    )


def _myeb_rows(src: _Source, header: list[str], body: pd.DataFrame) -> pd.DataFrame:
    """Area totals per mid-year from an MYEB long table (rows by area, sex and age)."""
    found = csv_columns(src, header, _MYEB_TABLE)
    codes = _texts(body, found["area_code"])
    _require_text(src, codes, header[found["area_code"]], "area code")
    names = _texts(body, found.get("area_name"))
    geography = _texts(body, found.get("geography"))
    keys = codes + " " + _texts(body, found["sex"]) + " " + _texts(body, found["age"])
    _require_unique(src, keys, header[found["area_code"]], "area, sex and age")
    tables = []
    for i, cell in enumerate(header):
        match = re.fullmatch(r"population_((?:19|20)\d\d)", cell, re.IGNORECASE)
        if not match:
            continue
        people = _whole_numbers(src, body[body.columns[i]], cell, "population")
        tables.append(pd.DataFrame({"area_code": codes, "area_name": names, "geography": geography,
                                    "mid_year": int(match.group(1)), "population": people}))
    long = pd.concat(tables, ignore_index=True)
    out = (long.groupby(["area_code", "mid_year"], as_index=False, sort=True)
           .agg(area_name=("area_name", "first"), geography=("geography", "first"), population=("population", "sum")))
    out["source_file"] = src.path.name
    return _typed(out[_MYE_COLUMNS])


def _mye2_csv_rows(src: _Source, header: list[str], body: pd.DataFrame) -> pd.DataFrame:
    """The all-ages figure of each area of an MYE2 persons table saved as CSV."""
    year = _file_name_year(src.path)
    release = _MYE_RELEASE_NAME.match(src.path.stem)
    if year is None and release:
        year = 2000 + int(release.group(1))
    if year is None:
        raise src.error("cannot tell the mid-year of this MYE2 table: a CSV has no title, and the file name holds "
                        "no year; keep the name ONS gave it (e.g. mye24tablesew.csv) or put the year in it")
    found = csv_columns(src, header, _MYE2_CSV)
    sheet = _Sheet("", 0, header, found, "", body.iloc[0:0])
    out = _area_rows(src, sheet, body, {found["population"]: year})
    out["source_file"] = src.path.name
    return _typed(out[_MYE_COLUMNS])


def _read_mye_csv(path: Path) -> pd.DataFrame:
    src, header, body = read_csv_table(path)
    found = csv_columns(src, header, _MYE_CSV)
    year, population = found["mid_year"], found["population"]
    df = pd.DataFrame(
        {
            "area_code": body[found["area_code"]].str.strip(),
            "area_name": body[found["area_name"]].str.strip(),
            "geography": _texts(body, found.get("geography")),
            "mid_year": _whole_numbers(src, body[year], header[year], "mid-year"),
            "population": _whole_numbers(src, body[population], header[population], "population"),
        }
    )
    _require_text(src, df["area_code"], header[found["area_code"]], "area code")
    keys = df["area_code"] + " mid-" + df["mid_year"].astype(str)
    _require_unique(src, keys, header[found["area_code"]], "area and mid-year")
    df["source_file"] = path.name
    return _typed(df[_MYE_COLUMNS].reset_index(drop=True))


# --------------------------------------------------------------------------- small-area population


def read_small_area_population(path: Path) -> pd.DataFrame:
    """Population by LSOA, one row per LSOA.

    Columns lsoa_code, lad_code ("" where the file does not say), population (int), year (int),
    source (e.g. "Census 2011 usual residents"), lsoa_vintage ("2011" or "2021": the LSOA
    boundaries the figures are for, so that ward rates use a population of their own vintage).

    Accepts:

    * the Census LSOA population CSV (``LSOA Code``, ``Local authority code``, ``Persons`` ...;
      the first ``Persons`` column is all usual residents; numbers may have thousands separators).
      The census year is taken from the file name (e.g. ``census2011-lsoa-population.csv``).
    * Census 2021 TS001 by LSOA as Nomis serves it (``date,geography,geography code,Residence
      type: Total; measures: Value,...``).
    * ONS small area population estimates (SAPE) workbooks: the all-persons sheet (e.g.
      "Mid-2016 Persons") whose header row, below title rows, has "Area Codes" or "LSOA Code" and
      "All Ages"; or, from mid-2021, one sheet per year ("Mid-2022 LSOA 2021", ...) with "LSOA 2021
      Code" and "Total" (every such sheet is read). Rows for larger areas are skipped; the local
      authority comes from an LA code column, else from the local authority row listed above each
      block of LSOAs. The year is the "mid-YYYY" in the sheet name or title, else the single year in
      the file name. The LSOA vintage is the one the code header names ("LSOA 2021 Code"), else
      2021 for mid-2021 and later, 2011 before (ONS moved SAPE to 2021 LSOAs from mid-2021).
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        src, header, body = read_csv_table(path)
        if not resolve_columns(header, _TS001_CSV)[1]:
            return _read_ts001(src, header, body)
        return _read_census_csv(path)
    with _workbook(path, last=True) as book:
        heads = _workbook_heads(book)
        candidates = [
            sheet
            for sheet in _find_tables(heads, _ALL_AGES_TABLE)
            if sheet.is_small_area and not sheet.is_sex_specific
        ]
        if not candidates:
            raise InputError(
                path,
                "no sheet holds an all-persons LSOA table with an 'Area Codes'/'LSOA Code' and an 'All Ages' "
                f"column; sheets found: {', '.join(repr(name) for name in heads)}",
            )
        # SAPE tables list larger areas between LSOAs, so blank rows do not end the table here.
        tables = [_sape_rows(_Source(path, sheet.name), sheet, sheet.rows(book, to_first_blank=False))
                  for sheet in candidates]
    out = pd.concat(tables, ignore_index=True).drop_duplicates(["lsoa_code", "year"], keep="first")
    return _typed(out.reset_index(drop=True))


def _sape_rows(src: _Source, sheet: _Sheet, body: pd.DataFrame) -> pd.DataFrame:
    codes = _texts(body, sheet.columns["area_code"])
    if "lad_code" in sheet.columns:
        lad_codes = _texts(body, sheet.columns["lad_code"])
    else:
        lad_codes = codes.where(codes.str.fullmatch(_LAD_CODE)).ffill().fillna("")
    is_lsoa = codes.str.fullmatch(_LSOA_CODE)
    code_header = sheet.header[sheet.columns["area_code"]]
    if not is_lsoa.any():
        raise src.error("no LSOA codes (E01.../W01...) below the header", column=code_header)
    _require_unique(src, codes[is_lsoa], code_header, "LSOA")
    year = _table_year(src, sheet)
    population = sheet.columns["population"]
    counts = _whole_numbers(src, body.loc[is_lsoa, population], sheet.header[population], "population")
    df = pd.DataFrame(
        {
            "lsoa_code": codes[is_lsoa],
            "lad_code": lad_codes[is_lsoa],
            "population": counts,
            "year": year,
            "source": f"ONS mid-{year} small area population estimates",
            "lsoa_vintage": _lsoa_vintage(code_header, year),
        }
    )
    return df


def _lsoa_vintage(code_header: str, year: int) -> str:
    """The LSOA boundaries a population table is for: named in its code header, else by its year."""
    named = re.search(r"(?:19|20)?(\d\d)", code_header)
    if named and named.group(1) in ("11", "21"):
        return f"20{named.group(1)}"
    return "2021" if year >= 2021 else "2011"


def _read_ts001(src: _Source, header: list[str], body: pd.DataFrame) -> pd.DataFrame:
    found = csv_columns(src, header, _TS001_CSV)
    codes = body[found["lsoa_code"]].str.strip()
    is_lsoa = codes.str.fullmatch(_LSOA_CODE)
    if not is_lsoa.any():
        raise src.error("no LSOA codes (E01.../W01...) in the geography code column: download TS001 by "
                        "'Lower layer Super Output Areas' from Nomis", column=header[found["lsoa_code"]])
    _require_unique(src, codes[is_lsoa], header[found["lsoa_code"]], "LSOA")
    years = _whole_numbers(src, body.loc[is_lsoa, found["year"]], header[found["year"]], "census year")
    population = found["population"]
    df = pd.DataFrame({
        "lsoa_code": codes[is_lsoa],
        "lad_code": "",
        "population": _whole_numbers(src, body.loc[is_lsoa, population], header[population], "population"),
        "year": years,
        "source": years.map(lambda y: f"Census {y} usual residents (TS001)"),
        "lsoa_vintage": years.map(lambda y: "2021" if y >= 2021 else "2011"),
    })
    return _typed(df.reset_index(drop=True))


def _read_census_csv(path: Path) -> pd.DataFrame:
    src, header, body = read_csv_table(path)
    found = csv_columns(src, header, _CENSUS_CSV)
    year = _file_name_year(path)
    if year is None:
        raise src.error(
            "cannot tell the census year: put it in the file name, e.g. census2011-lsoa-population.csv"
        )
    codes = body[found["lsoa_code"]].str.strip()
    _require_text(src, codes, header[found["lsoa_code"]], "LSOA code")
    _require_unique(src, codes, header[found["lsoa_code"]], "LSOA")
    population = found["population"]
    df = pd.DataFrame(
        {
            "lsoa_code": codes,
            "lad_code": _texts(body, found.get("lad_code")),
            "population": _whole_numbers(src, body[population], header[population], "population"),
            "year": year,
            "source": f"Census {year} usual residents",
            "lsoa_vintage": "2021" if year >= 2021 else "2011",
        }
    )
    return _typed(df.reset_index(drop=True))


# --------------------------------------------------------------------------- reading files


@dataclass(frozen=True)
class _Source:
    """Where values come from, to name in errors."""

    path: Path
    sheet: str | None = None

    def error(self, message: str, *, row: int | None = None, column: str | None = None) -> InputError:
        if self.sheet is not None:
            message = f"{message} (sheet '{self.sheet}')"
        return InputError(self.path, message, row=row, column=column)


def read_csv_table(path: Path) -> tuple[_Source, list[str], pd.DataFrame]:
    """Header cells and data rows of a CSV, as text. The data rows are indexed by their line
    number in the file (header = 1) and their columns by position, so repeated or empty header
    cells (as in the Census extract) stay as published."""
    src = _Source(path)
    try:
        raw = pd.read_csv(
            path, header=None, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
        )
    except pd.errors.EmptyDataError:
        raise src.error("the file is empty; expected a header row and data rows") from None
    except UnicodeDecodeError as exc:
        raise src.error(f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV") from None
    except pd.errors.ParserError as exc:
        record_starts(path, text_of(path, Path(path)))  # an unclosed quote: refused at the line it opens
        line = re.search(r"line (\d+)", str(exc))
        row = int(line.group(1)) if line else None
        raise src.error(f"not a well-formed CSV: {str(exc).strip()}", row=row) from None
    # Blank lines are kept while numbering so that line numbers match the file, then dropped. Every
    # row is read or the file refused (issue 25); a quoted line break moves the later rows' numbers.
    starts = check_all_rows_read(path, Path(path), len(raw) - 1, blank_lines_are_rows=True)
    raw = raw.fillna("")
    raw.index = [1, *starts] if starts is not None else range(1, len(raw) + 1)
    header = [_clean(cell) for cell in raw.iloc[0]]
    body = raw.iloc[1:]
    body = body[(body != "").any(axis=1)]
    if body.empty:
        raise src.error("the file has a header row but no data rows", row=1)
    return src, header, body


def csv_columns(src: _Source, header: list[str], columns: tuple[Column, ...]) -> dict[str, int]:
    found, missing, ambiguous = resolve_columns(header, columns)
    if missing:
        wanted = ", ".join(f"{col.expected} ({col.label})" for col in missing)
        raise src.error(
            f"missing column {wanted}; columns found: {', '.join(header)}; "
            f"expected: {', '.join(col.expected for col in columns if col.required)}",
            row=1,
            column=missing[0].expected,
        )
    if ambiguous:
        col, hits = ambiguous[0]
        candidates = ", ".join(header[i] for i in hits)
        raise src.error(
            f"several columns could be the {col.label} ({candidates}); expected one {col.expected}",
            row=1,
            column=header[hits[1]],
        )
    return found


def resolve_columns(
    header: list[str], columns: tuple[Column, ...]
) -> tuple[dict[str, int], list[Column], list[tuple[Column, list[int]]]]:
    """Positions of ``columns`` in ``header``, the required columns missing, and the columns with
    several candidates where only one is allowed."""
    found: dict[str, int] = {}
    missing: list[Column] = []
    ambiguous: list[tuple[Column, list[int]]] = []
    for col in columns:
        hits = col.hits(header)
        if not hits:
            if col.required:
                missing.append(col)
        elif len(hits) > 1 and col.pick == "only":
            ambiguous.append((col, hits))
        else:
            found[col.field] = hits[-1] if col.pick == "last" else hits[0]
    return found, missing, ambiguous


@dataclass(frozen=True, eq=False)
class _Sheet:
    """A table found in a workbook sheet by its header row."""

    name: str
    header_row: int  # 0-based position of the header in the sheet
    header: list[str]
    columns: dict[str, int]
    title: str  # sheet name and the text above the header, one per line
    sample: pd.DataFrame  # the first rows below the header

    @property
    def is_sex_specific(self) -> bool:
        if _SEX_IN_SHEET_NAME.search(self.name.strip()):
            return True
        # A persons title may still say "males and females".
        return bool(_SEX_IN_TITLE.search(self.title)) and not _PERSONS_IN_TITLE.search(self.title)

    @property
    def is_small_area(self) -> bool:
        """An LSOA table: says so in its code header or title, or lists LSOA codes."""
        code_col = self.columns["area_code"]
        return bool(
            re.fullmatch(_LSOA_HEADER, self.header[code_col], re.IGNORECASE)
            or _SMALL_AREA_TITLE.search(self.title)
            or _texts(self.sample, code_col).str.fullmatch(_LSOA_CODE).any()
        )

    def rows(self, book: pd.ExcelFile, *, to_first_blank: bool = True) -> pd.DataFrame:
        """The rows below the header, indexed by sheet row number (1-based). With
        ``to_first_blank`` the table ends at the first row without a code: release tables are
        followed by a blank row and footnotes."""
        # keep_default_na=False: a cell reading "N/A" or "NA" is reported as such, not as empty.
        frame = pd.read_excel(book, sheet_name=self.name, header=None, keep_default_na=False)
        frame.index = frame.index + 1
        body = frame.iloc[self.header_row + 1 :]
        if to_first_blank:
            blank = (_texts(body, self.columns["area_code"]) == "").to_numpy()
            if blank.any():
                body = body.iloc[: int(blank.argmax())]
        return body


def _excel_file(path: Path) -> pd.ExcelFile:
    engine = _EXCEL_ENGINES.get(path.suffix.lower())
    if engine is None:
        expected = ", ".join(_EXCEL_ENGINES)
        raise InputError(path, f"not a workbook or CSV we can read; expected {expected} or .csv")
    try:
        # pandas has deprecated its xlrd engine, but xlrd is what reads the Excel 97 .xls files ONS
        # publishes; the warning is not actionable for the analyst running the pipeline.
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="The xlrd engine is deprecated", category=Pandas4Warning
            )
            return pd.ExcelFile(path, engine=engine)
    except _EXCEL_READ_ERRORS as exc:
        raise InputError(path, f"cannot be read as an Excel workbook ({exc})") from None


def _workbook_heads(book: pd.ExcelFile) -> dict[str, pd.DataFrame]:
    """The first rows of every sheet, enough to find the header rows (read once for a kept workbook)."""
    with _kept_lock:
        heads = _kept_heads.get(id(book))
    if heads is None:
        heads = pd.read_excel(book, sheet_name=None, header=None, nrows=_HEADER_SCAN_ROWS, keep_default_na=False)
        with _kept_lock:
            if any(kept is book for kept in _kept.values()):
                _kept_heads[id(book)] = heads
    # Copies: a reader that changed a frame of its heads would change the next reader's.
    return {name: frame.copy() for name, frame in heads.items()}


# Workbooks opened once in an ingest (workbooks_opened_once): by path, size and time of change.
_kept_lock = threading.Lock()
_keeping = 0
_kept: dict[tuple[str, int, int], pd.ExcelFile] = {}
_kept_heads: dict[int, dict[str, pd.DataFrame]] = {}


@contextmanager
def workbooks_opened_once():
    """Within this block (an ingest), a workbook opened to recognise it (sniff) stays open, with its
    first rows, for its reader: opening an ONS .xls parses the whole workbook, so opening it
    twice costs twice. Every workbook kept is closed at the end of the block."""
    global _keeping
    with _kept_lock:
        _keeping += 1
    try:
        yield
    finally:
        with _kept_lock:
            _keeping -= 1
            books = list(_kept.values()) if not _keeping else []
            if not _keeping:
                _kept.clear()
                _kept_heads.clear()
        for book in books:
            book.close()


@contextmanager
def _workbook(path: Path, *, last: bool = False):
    """The workbook at ``path`` (as _excel_file), closed after use, unless workbooks_opened_once
    keeps it: then the same one, opened once, until its reader (``last``) has read it or the block
    ends. A file changed since it was opened (its size or time) is opened again."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _kept_lock:
        book = _kept.get(key)
    if book is None:
        book = _excel_file(path)
        with _kept_lock:
            if not last and _keeping and key not in _kept:
                _kept[key] = book
    try:
        yield book
    finally:
        with _kept_lock:
            if last and _kept.get(key) is book:
                del _kept[key]
                _kept_heads.pop(id(book), None)
            kept = _kept.get(key) is book
        if not kept:
            book.close()


def _find_tables(heads: dict[str, pd.DataFrame], columns: tuple[Column, ...]) -> list[_Sheet]:
    """Sheets with a header row holding all required ``columns``, in workbook order."""
    tables = []
    for name, frame in heads.items():
        cells = frame.to_numpy(dtype=object)  # rows as arrays: many times faster than frame.iloc[pos]
        for pos in range(len(frame)):
            header = [_cell_text(value) for value in cells[pos]]
            found, missing, _ = resolve_columns(header, columns)
            if not missing:
                above = [_cell_text(value) for value in frame.iloc[:pos].to_numpy().ravel()]
                title = "\n".join([name.strip(), *filter(None, above)])
                tables.append(_Sheet(name, pos, header, found, title, frame.iloc[pos + 1 :]))
                break
    return tables


# --------------------------------------------------------------------------- values


def _clean(cell: str) -> str:
    return " ".join(cell.split())


def _cell_text(value: object) -> str:
    """A cell as text: "" for empty cells, whole-number floats without ".0" (Excel stores every
    number as a float), spaces trimmed and collapsed (ONS headers have stray and doubled spaces)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _clean(str(value))


def _texts(body: pd.DataFrame, column: int | None) -> pd.Series:
    """A column as text, or "" for every row where the file has no such column."""
    if column is None:
        return pd.Series("", index=body.index, dtype=object)
    return body[column].map(_cell_text).astype(object)


def _whole_numbers(src: _Source, values: pd.Series, column: str, label: str) -> pd.Series:
    """Non-negative whole numbers, allowing thousands separators ("1,563")."""
    text = values.map(_cell_text).astype(object)
    valid = text.str.fullmatch(r"-?(?:\d{1,3}(?:,\d{3}){1,5}|\d{1,18})")  # int64 holds 18 digits
    if not valid.all():
        row = valid[~valid].index[0]
        problem = "is empty" if text.loc[row] == "" else f"{values.loc[row]!r} is not a whole number"
        raise src.error(f"{label} {problem}", row=int(row), column=column)
    numbers = text.str.replace(",", "", regex=False).astype("int64")
    negative = numbers[numbers < 0]
    if len(negative):
        raise src.error(f"{label} {negative.iloc[0]} is negative", row=int(negative.index[0]), column=column)
    return numbers


def _require_text(src: _Source, values: pd.Series, column: str, label: str) -> None:
    blank = values[values == ""]
    if len(blank):
        raise src.error(f"{label} is empty", row=int(blank.index[0]), column=column)


def _require_unique(src: _Source, keys: pd.Series, column: str, label: str) -> None:
    repeated = keys[keys.duplicated(keep=False)]
    if len(repeated):
        first = repeated.iloc[0]
        rows = [int(row) for row in repeated.index[repeated == first]]
        others = repeated.nunique() - 1
        more = f" ({others} more repeated)" if others else ""
        on_rows = ", ".join(map(str, rows))
        raise src.error(
            f"{label} {first} appears more than once, on rows {on_rows}{more}; each must appear once",
            row=rows[1],
            column=column,
        )


def _table_year(src: _Source, sheet: _Sheet) -> int:
    """The mid-year a table is for: the "mid-YYYY" in its sheet name or title, else the single
    year in the file name (e.g. "..._UK_2015.xls")."""
    years = sorted({int(year) for year in _MID_YEAR_IN_TEXT.findall(sheet.title)})
    if len(years) > 1:
        mentioned = ", ".join(map(str, years))
        raise src.error(f"the title mentions several years ({mentioned}); cannot tell which the table is for")
    if years:
        return years[0]
    year = _file_name_year(src.path)
    if year is None:
        raise src.error(
            "cannot tell the year: no 'mid-YYYY' in the sheet name or title, "
            "and no single year in the file name"
        )
    return year


def _file_name_year(path: Path) -> int | None:
    years = set(_YEAR_IN_FILE_NAME.findall(path.stem))
    return int(years.pop()) if len(years) == 1 else None


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Counts and years as int64, everything else as str."""
    numeric = {"mid_year", "population", "year"}
    return df.astype({col: "int64" if col in numeric else "str" for col in df.columns})

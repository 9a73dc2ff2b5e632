"""data.police.uk outcomes and stop-and-search files, exactly as the site serves them.

They sit beside the street-level files, in the same monthly folders (``YYYY-MM/YYYY-MM-<force>-
outcomes.csv``, ``YYYY-MM-<force>-stop-and-search.csv``) or inside the same zip archives.

* An **outcomes** file lists the outcomes recorded in its month, each for a crime of that month
  or an earlier one, named by its Crime ID (the street files' ID). A crime may have several
  outcomes over the months (charged, then a court result); its *latest* is the one of the latest
  month (the last row of that month when a month gives it twice, as the files do for a crime with
  two suspects). The crime's type and month come from the street file that lists its Crime ID.
* A **stop-and-search** file lists each search in its month, with the object searched for and
  whether the outcome was linked to it. The files give a point (latitude, longitude) but no LSOA;
  each search is given the LSOA of the street files' record at the same point (data.police.uk
  snaps every record to one of a fixed set of anonymised points, each in one LSOA). Searches at
  other points are placed by the boundaries later, in the section (see police_outcomes.py).

Tables written (described in store.TABLES): ``police_outcomes`` (one row per crime, its latest outcome)
and ``stop_search`` (one row per search).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import InputError
from . import police_checks, police_uk
from .exact import BLOCK, check_all_rows_read, line_count, record_starts

OUTCOMES_FILE = re.compile(r"^(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-outcomes\.csv$", re.IGNORECASE)
STOP_SEARCH_FILE = re.compile(r"^(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-stop-and-search\.csv$",
                              re.IGNORECASE)
OUTCOME_COLUMNS = ("Crime ID", "Month", "Falls within", "LSOA code", "Outcome type")
STOP_SEARCH_COLUMNS = ("Type", "Date", "Latitude", "Longitude", "Legislation", "Object of search", "Outcome",
                       "Outcome linked to object of search")
STREET_COLUMNS = ("Crime ID", "Month", "Crime type", "LSOA code", "Longitude", "Latitude")
LINKED_VALUES = {"true": True, "false": False, "": None}

OUTCOME_TABLE_COLUMNS = ["crime_id", "force", "outcome_month", "outcome_type", "lsoa_code", "crime_month",
                         "crime_type", "outcome_records", "source_file"]
STOP_SEARCH_TABLE_COLUMNS = ["force", "month", "date", "search_type", "latitude", "longitude", "legislation",
                             "object_of_search", "outcome", "outcome_linked", "lsoa_code", "placed_by",
                             "source_file"]
# Files read at once: one per core (up to 4; beyond that the GIL-bound part of a reading dominates).
READERS = max(1, min(4, os.cpu_count() or 1))
OUTCOMES_DOWNLOAD = "https://data.police.uk/data/ (tick 'Include outcomes data')"
STOP_SEARCH_DOWNLOAD = "https://data.police.uk/data/ (tick 'Include stop and search data')"


@dataclass(frozen=True)
class PoliceFile:
    """One month of one force's outcomes or stop-and-search file, on disk or inside a zip archive."""

    source: Path
    member: str | None
    month: str
    force: str
    kind: str  # "outcomes" or "stop_search"

    @property
    def label(self) -> str:
        return f"{self.source}!{self.member}" if self.member else str(self.source)


def _match(name: str) -> tuple[str, re.Match] | None:
    for kind, pattern in (("outcomes", OUTCOMES_FILE), ("stop_search", STOP_SEARCH_FILE)):
        match = pattern.match(PurePosixPath(name).name)
        if match:
            return kind, match
    return None


def is_police_file(name: str) -> bool:
    """True for an outcomes or stop-and-search file's name (the folder scan leaves them to this module)."""
    return _match(name) is not None


def discover_file(path: Path) -> list[PoliceFile]:
    """The outcomes or stop-and-search file ``path`` is, or those a zip archive at ``path`` holds."""
    path = Path(path)
    found = _match(path.name)
    if found:
        kind, match = found
        return [PoliceFile(path, None, match["month"], match["force"].lower(), kind)]
    if path.suffix.lower() != ".zip":
        return []
    try:
        with zipfile.ZipFile(path) as zf:
            names = sorted(zf.namelist())
    except zipfile.BadZipFile as exc:
        raise InputError(path, f"not a readable zip archive ({exc})") from exc
    files = []
    for name in names:
        found = _match(name)
        if found:
            kind, match = found
            files.append(PoliceFile(path, name, match["month"], match["force"].lower(), kind))
    return files


def discover(data_dir: Path) -> list[PoliceFile]:
    return [f for path in sorted(Path(data_dir).rglob("*")) if path.is_file() for f in discover_file(path)]


def _one_per_month(files: list) -> list:
    """One file per (kind, force, month): the last in path order, as for the street files."""
    by_key: dict = {}
    for f in sorted(files, key=lambda f: (str(f.source), f.member or "")):
        by_key[(getattr(f, "kind", "street"), f.force, f.month)] = f
    return [by_key[k] for k in sorted(by_key)]


def _bytes(f) -> bytes:
    if f.member is None:
        return Path(f.source).read_bytes()
    with zipfile.ZipFile(f.source) as zf:
        return zf.read(f.member)


def _decoded(f, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f.label, "the file is not UTF-8 text (data.police.uk files are UTF-8; was it re-saved "
                                  "in another encoding?)", row=line) from None


# The ASCII characters str.isspace() counts as white space (str.strip() takes them off).
_ASCII_SPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _read_table(f, required: tuple[str, ...], what: str, optional: tuple[str, ...] = ()) -> pa.Table:
    """The file's ``required`` columns and those of ``optional`` it has, as text, its header
    checked; ``line`` is each row's line number in the file."""
    raw = _bytes(f)
    # A file all ASCII (the usual one) is UTF-8 as it stands: its text is made only if a slow path needs it.
    text = None if raw.isascii() else _decoded(f, raw)
    body = raw if text is None else raw.removeprefix(codecs.BOM_UTF8)
    # As not text.strip(), without copying the file (the head decides for any file with records).
    blank = (not body[:BLOCK].lstrip(_ASCII_SPACE) and not body.lstrip(_ASCII_SPACE) if text is None
             else not text or text.isspace())
    if blank:
        raise InputError(f.label, f"the file is empty: expected a data.police.uk {what} CSV with a header row")
    end = body.find(b"\n")
    first = (body if end < 0 else body[:end]).decode("utf-8")  # the first line, without splitting the others
    header = next(csv.reader(io.StringIO((first.splitlines() or [""])[0])))
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f.label, f"missing column(s) {', '.join(repr(c) for c in missing)}; found "
                                  f"{', '.join(repr(c) for c in header)}. Expected the data.police.uk {what} header "
                                  f"({', '.join(required)}, ...)", row=1, column=missing[0])
    columns = [*required, *(c for c in optional if c in header)]
    # A plain header (no quotes, names unique and none empty) reads as the csv module reads it.
    plain = '"' not in first and len(set(header)) == len(header) and "" not in header
    table = _read_plain(body, columns) if plain else None
    lines = line_count(body)
    if table is None or table.num_rows != lines - 1:
        text = text if text is not None else raw.decode("ascii")
    if table is None:
        frame = _read_careful(f, text, header)[columns]
        table = pa.Table.from_pandas(frame, preserve_index=False).cast(
            pa.schema([(c, pa.large_string()) for c in columns]))
    # pyarrow reads a quote left open to the end of the file as one field: every row, or refused.
    starts = check_all_rows_read(f.label, text if text is not None else "", table.num_rows, lines=lines)
    line = np.asarray(starts, dtype="int64") if starts is not None else np.arange(2, table.num_rows + 2)  # header: 1
    return table.append_column("line", pa.array(line, type=pa.int64()))


def _read_plain(body: bytes, columns: list[str]) -> pa.Table | None:
    """The ``columns`` of a file whose every record parses (pyarrow; a record with a line break
    inside quotes does not), as text; else None. Reading only the columns used, in C++ outside
    the GIL, is what makes this fast; pyarrow still checks every record has the header's number
    of fields."""
    try:
        return pacsv.read_csv(io.BytesIO(body), read_options=pacsv.ReadOptions(use_threads=False),
                              convert_options=pacsv.ConvertOptions(
                                  include_columns=columns, column_types={c: pa.large_string() for c in columns},
                                  null_values=[], strings_can_be_null=False))
    except pa.ArrowInvalid:
        return None


def _read_careful(f, text: str, header: list[str]) -> pd.DataFrame:
    """Every column of a file the plain reading declined, or the error that says what is wrong."""
    frame = None
    # pyarrow's reader is about three times faster; it refuses a field with a line break inside its
    # quotes, which the C reader takes, so a file pyarrow refuses is read again by the C reader.
    # pyarrow reads bytes: given text, pandas would encode it again, chunk by chunk (slower by half).
    for source, options in ((io.BytesIO(text.encode("utf-8")), {"engine": "pyarrow"}),
                            (io.StringIO(text), {"engine": "c", "na_filter": False, "skip_blank_lines": True})):
        try:
            frame = pd.read_csv(source, dtype=str, keep_default_na=False, **options)
            break
        except pd.errors.ParserError:
            pass
    if frame is None or list(frame.columns) != header or frame.isna().any().any():
        # The slow path, for errors only: which line is wrong, and how.
        record_starts(f.label, text)  # an unclosed or stray quote: refused at the line it starts
        reader = csv.reader(io.StringIO(text, newline=""))
        next(reader)
        for row in reader:
            if row and len(row) != len(header):
                raise InputError(f.label, f"expected {len(header)} fields, found {len(row)}: the file is damaged or "
                                          "truncated; download it again", row=reader.line_num)
        raise InputError(f.label, "could not be read as CSV: the file is damaged; download it again")
    return frame


def _check_force(f, table: pa.Table) -> None:
    """An outcomes file must hold the force its name says: a renamed copy would count twice."""
    column = police_uk.REPORTED_BY if police_uk.REPORTED_BY in table.column_names else "Falls within"
    # A file holds one force's name on every row: each distinct value is checked once.
    for value in pc.unique(table[column]).to_pylist():
        if value.strip() and not police_uk.same_force(f.force, value):
            line = table["line"][_first_row(pc.equal(table[column], value))].as_py()
            raise InputError(f.label, f"the file's name says force '{f.force}' but its records are {column} "
                                      f"{value!r}: an outcomes file of another force under this name would put its "
                                      "outcomes in the wrong area. Remove the file, or give it the name "
                                      "data.police.uk gave it", row=line, column=column)


def _first_row(mask) -> int | None:
    """The first row where ``mask`` is true; None when it is true nowhere."""
    return pc.index(mask, True).as_py() if pc.any(mask).as_py() else None


def _outcome_table(f: PoliceFile) -> pa.Table:
    """As read_outcomes, as an Arrow table."""
    table = _read_table(f, OUTCOME_COLUMNS, "outcomes", optional=(police_uk.REPORTED_BY,))
    _check_force(f, table)
    row = _first_row(pc.not_equal(table["Month"], f.month))
    if row is not None:
        value, line = table["Month"][row].as_py(), table["line"][row].as_py()
        kind = "malformed month" if not police_uk.MONTH_VALUE.match(value) else "month outside the file's own month"
        raise InputError(f.label, f"{kind}: found {value!r}, expected {f.month!r} (every row of a monthly "
                                  "file must carry the file's month, YYYY-MM)", row=line, column="Month")
    stripped = {column: pc.utf8_trim_whitespace(table[column]) for column in ("Crime ID", "Outcome type", "LSOA code")}
    for column in ("Crime ID", "Outcome type"):
        row = _first_row(pc.equal(stripped[column], ""))
        if row is not None:
            raise InputError(f.label, f"a row has no {column.lower()}: every outcome names its crime and its "
                                      "outcome", row=table["line"][row].as_py(), column=column)
    # The file's force, month and name are added by the callers: one value for every row.
    return pa.table({"crime_id": stripped["Crime ID"], "outcome_type": stripped["Outcome type"],
                     "lsoa_code": _blank_as_null(stripped["LSOA code"]), "line": table["line"]})


def _repeat(value: str, rows: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.large_string()), rows)


def _blank_as_null(values):
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)


def read_outcomes(f: PoliceFile) -> pd.DataFrame:
    """One outcomes file: crime_id, force, outcome_month, outcome_type, lsoa_code, line, source_file."""
    table = _outcome_table(f)
    rows = table.num_rows
    return (table.add_column(1, "force", _repeat(f.force, rows)).add_column(2, "outcome_month", _repeat(f.month, rows))
            .append_column("source_file", _repeat(f.label, rows)).to_pandas())


def _coordinate(f, frame: pd.DataFrame, column: str, bounds: tuple[float, float]) -> pd.Series:
    values = pd.to_numeric(frame[column].str.strip().replace("", None), errors="coerce")
    bad = (frame[column].str.strip() != "") & ~values.between(*bounds)
    if bad.any():
        row = frame[bad].iloc[0]
        raise InputError(f.label, f"coordinate {row[column]!r} is not a number within the UK ({column.lower()} "
                                  f"{bounds[0]} to {bounds[1]})", row=int(row["line"]), column=column)
    return values


def read_stop_search(f: PoliceFile) -> pd.DataFrame:
    """One stop-and-search file, one row per search (see STOP_SEARCH_TABLE_COLUMNS)."""
    return _stop_search_frame(f, _search_table(f).to_pandas())


def _search_table(f: PoliceFile) -> pa.Table:
    """A stop-and-search file's columns as read (text, and ``line``), not yet checked."""
    return _read_table(f, STOP_SEARCH_COLUMNS, "stop-and-search", optional=("LSOA code",))


def _stop_search_frame(f: PoliceFile, frame: pd.DataFrame) -> pd.DataFrame:
    """One file's searches (``frame``: its _search_table as pandas) checked and tidied, as read_stop_search."""
    linked = frame["Outcome linked to object of search"].str.strip().str.lower()
    unknown = ~linked.isin(list(LINKED_VALUES))
    if unknown.any():
        row = frame[unknown].iloc[0]
        raise InputError(f.label, f"'Outcome linked to object of search' is {row['Outcome linked to object of search']!r}"
                                  "; data.police.uk gives True, False or nothing", row=int(row["line"]),
                         column="Outcome linked to object of search")
    dates = frame["Date"].str.strip()
    bad_date = ~dates.str.match(r"^\d{4}-\d{2}-\d{2}")
    if bad_date.any():
        row = frame[bad_date].iloc[0]
        raise InputError(f.label, f"date {row['Date']!r} is not a date (YYYY-MM-DDThh:mm:ss+hh:mm)",
                         row=int(row["line"]), column="Date")
    police_checks.check_search_dates(f, dates, frame["line"])
    latitude = _coordinate(f, frame, "Latitude", police_uk.LATITUDE_RANGE)
    longitude = _coordinate(f, frame, "Longitude", police_uk.LONGITUDE_RANGE)
    return _tidied_searches(frame, f.force, f.month, f.label, dates, linked, latitude, longitude)


def _tidied_searches(frame: pd.DataFrame, force, month, source_file, dates: pd.Series, linked: pd.Series,
                     latitude: pd.Series, longitude: pd.Series) -> pd.DataFrame:
    """Checked searches as the stop_search table holds them (``force``, ``month``, ``source_file``: one
    value for every row, or a value per row)."""
    lsoa = (frame["LSOA code"].str.strip().replace("", None) if "LSOA code" in frame.columns
            else pd.Series(None, index=frame.index, dtype=object))
    return pd.DataFrame({
        "force": force, "month": month, "date": dates, "search_type": frame["Type"].str.strip(),
        "latitude": latitude, "longitude": longitude, "legislation": frame["Legislation"].str.strip(),
        "object_of_search": frame["Object of search"].str.strip().replace("", "Not stated"),
        "outcome": frame["Outcome"].str.strip().replace("", "Not stated"),
        "outcome_linked": linked.map(LINKED_VALUES).astype("boolean"),
        "lsoa_code": lsoa, "placed_by": pd.Series(None, index=frame.index, dtype=object),
        "source_file": source_file})


def _stop_searches(files: list[PoliceFile], tables: list[pa.Table]) -> pd.DataFrame:
    """Every file's searches, as read_stop_search gives them, one file after another.

    The usual folder (every row passes every check, the files of one layout) is tidied in one pass
    over all the rows: the same operations as file by file, without their cost for each of
    hundreds of small files. Any row that fails a check sends the files through
    _stop_search_frame one by one, so the first file in error is the one named, with its row.
    """
    layouts = {tuple(t.column_names) for t in tables}
    if len(layouts) == 1:
        searches = _all_checked_searches(files, pa.concat_tables(tables).to_pandas(),
                                         np.repeat(np.arange(len(files)), [t.num_rows for t in tables]))
        if searches is not None:
            return searches
    return pd.concat([_stop_search_frame(f, t.to_pandas()) for f, t in zip(files, tables)], ignore_index=True)


def _all_checked_searches(files: list[PoliceFile], frame: pd.DataFrame, file_of_row: np.ndarray) -> pd.DataFrame | None:
    """The searches of several files read together (``frame``; ``file_of_row``: each row's place
    in ``files``), as _stop_search_frame makes them file by file; None when a row fails a check
    (which _stop_search_frame then names)."""
    def per_row(values: list[str]) -> pd.Series:
        return pd.Series(np.asarray(values, dtype=object)[file_of_row], index=frame.index, dtype="str")

    month = per_row([f.month for f in files])
    linked = frame["Outcome linked to object of search"].str.strip().str.lower()
    dates = frame["Date"].str.strip()
    # Searches outside their file's month by the local date are left to the file-by-file check (in UTC).
    if not (linked.isin(list(LINKED_VALUES)).all() and dates.str.match(r"^\d{4}-\d{2}-\d{2}").all()
            and (dates.str[:7] == month).all()):
        return None
    points = {}
    for column, bounds in (("Latitude", police_uk.LATITUDE_RANGE), ("Longitude", police_uk.LONGITUDE_RANGE)):
        text = frame[column].str.strip()
        points[column] = pd.to_numeric(text.replace("", None), errors="coerce")
        if ((text != "") & ~points[column].between(*bounds)).any():
            return None
    return _tidied_searches(frame, per_row([f.force for f in files]), month, per_row([f.label for f in files]), dates,
                            linked, points["Latitude"], points["Longitude"])


def _point_key(lat: pd.Series, lon: pd.Series) -> pd.Series:
    """Points compared at the files' own precision (6 decimals), as whole millionths of a degree."""
    return (lat * 1e6).round().astype("int64") * 1_000_000_000 + (lon * 1e6).round().astype("int64")


def _street_table(f) -> pa.Table:
    table = _read_table(f, STREET_COLUMNS, "street-level")
    return table.select(list(STREET_COLUMNS)).append_column("force", _repeat(f.force, table.num_rows)).append_column(
        "file_month", _repeat(f.month, table.num_rows))


def _sorted_codes(values: pa.ChunkedArray) -> tuple[np.ndarray, int]:
    """Each value's place among the distinct values in sorted order, and how many there are."""
    values = values.combine_chunks()
    fixed = _fixed_width(values)
    if fixed is not None:
        distinct, codes = np.unique(fixed, return_inverse=True)
        return codes, len(distinct)
    encoded = pc.dictionary_encode(values)
    places = pc.rank(encoded.dictionary, sort_keys="ascending").to_numpy() - 1  # distinct values: no ties
    return places[encoded.indices.to_numpy()], len(encoded.dictionary)


def _fixed_width(values: pa.Array) -> np.ndarray | None:
    """Text values all of one length and without nulls (Crime IDs, months) as a NumPy array of
    bytes, which sorts several times faster than Arrow's text; None for any other.
    NumPy orders bytes as Arrow orders text (byte by byte, which is the order of code points);
    of one length, no two texts compare equal in NumPy unless they are equal."""
    if values.null_count or not len(values) or values.type != pa.large_string():
        return None
    _, offsets, data = values.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int64)[values.offset:values.offset + len(values) + 1]
    width = int(offsets[1] - offsets[0])
    if width == 0 or offsets[-1] - offsets[0] != width * len(values) or (np.diff(offsets) != width).any():
        return None
    return np.frombuffer(data, dtype=np.uint8)[offsets[0]:offsets[-1]].view(f"S{width}")


def _latest_rows(force_code: np.ndarray, crime_id: pa.ChunkedArray, month_code: np.ndarray) -> tuple[np.ndarray,
                                                                                                    np.ndarray]:
    """The row of each (force, crime_id)'s latest outcome, in the order of (force, crime_id), and
    each one's number of outcome rows (see latest_outcomes). Forces and months are given as
    codes in their sorted order."""
    crime_code, crimes = _sorted_codes(crime_id)
    # Each (force, crime) as one integer whose order is the order of (force, crime_id): sorting and
    # counting half a million integers is many times faster than grouping by two text columns.
    key = force_code.astype("int64") * crimes + crime_code
    by_month = month_code.argsort(kind="stable")  # file order kept within a month
    last_first = key[by_month][::-1]
    _, first_seen = np.unique(last_first, return_index=True)  # each key's last row, keys in order
    return by_month[len(last_first) - 1 - first_seen], np.unique(key, return_counts=True)[1]


def latest_outcomes(records: pd.DataFrame) -> pd.DataFrame:
    """One row per (force, crime): its outcome of the latest month; within a month, the last row
    in file order. ``outcome_records`` counts every outcome row the crime has."""
    if records.empty:
        return records.assign(outcome_records=pd.Series(dtype="int64"))
    ordered = records.reset_index(drop=True)
    text = {c: pa.chunked_array([pa.array(ordered[c], pa.large_string())])
            for c in ("force", "crime_id", "outcome_month")}
    rows, counts = _latest_rows(_sorted_codes(text["force"])[0], text["crime_id"],
                                _sorted_codes(text["outcome_month"])[0])
    return ordered.iloc[rows].reset_index(drop=True).assign(outcome_records=counts)


def _outcomes_table(files: list[PoliceFile], tables: list[pa.Table], street: pa.Table) -> pd.DataFrame:
    """The latest outcome of each crime (see latest_outcomes) among the outcomes files read, with
    the crime's type and month from the street record with its Crime ID (the last, when a
    force's files give an ID twice)."""
    records = pa.concat_tables(tables).combine_chunks()
    file_of_row = np.repeat(np.arange(len(files)), [t.num_rows for t in tables])
    # A file's force and month hold for all its rows: coded once a file.
    force_code, month_code = (np.unique([getattr(f, name) for f in files], return_inverse=True)[1][file_of_row]
                              for name in ("force", "month"))
    rows, counts = _latest_rows(force_code, records["crime_id"], month_code)
    latest = records.select(["crime_id", "outcome_type", "lsoa_code"]).take(rows)
    latest_file = pa.array(file_of_row[rows])
    for name, values in (("force", [f.force for f in files]), ("outcome_month", [f.month for f in files]),
                         ("source_file", [f.label for f in files])):
        latest = latest.append_column(name, pa.array(values, pa.large_string()).take(latest_file))
    crime_ids = pc.utf8_trim_whitespace(street["Crime ID"]).combine_chunks()
    street_force = street["force"].combine_chunks()
    latest_force = latest["force"].combine_chunks()
    street_row = np.full(len(latest), -1, dtype="int64")
    for force in pc.unique(latest_force).to_pylist():
        wanted = np.flatnonzero(pc.equal(latest_force, force).to_numpy(zero_copy_only=False))
        candidates = np.flatnonzero(pc.and_(pc.equal(street_force, force),
                                            pc.not_equal(crime_ids, "")).to_numpy(zero_copy_only=False))[::-1]
        # index_in finds a value's first place in the set: in reverse order, the ID's last record.
        place = pc.fill_null(pc.index_in(latest["crime_id"].take(wanted),
                                         value_set=crime_ids.take(candidates)), -1).to_numpy()
        street_row[wanted[place >= 0]] = candidates[place[place >= 0]]
    at = pa.array(street_row, mask=street_row < 0)  # no street record: nulls
    street_lsoa = _blank_as_null(street["LSOA code"].take(at))
    # A crime is placed where its street record is (the outcome's own LSOA only when the street
    # files lack the crime): outcome groups are shares of the crimes recorded, counted from the
    # street records, so both must put each crime in the same area.
    outcomes = latest.append_column("outcome_records", pa.array(counts, pa.int64())) \
        .append_column("crime_month", street["file_month"].take(at)) \
        .append_column("crime_type", street["Crime type"].take(at))
    outcomes = outcomes.set_column(outcomes.column_names.index("lsoa_code"), "lsoa_code",
                                   pc.coalesce(street_lsoa, latest["lsoa_code"]))
    return outcomes.select(OUTCOME_TABLE_COLUMNS).to_pandas()


def _street_point_lsoas(street: pa.Table, latitude: pd.Series, longitude: pd.Series) -> pd.Series:
    """The LSOA of the street records at each point given (the last record's, where several are
    at a point), for the points that have a street record: the LSOA codes, indexed as the points."""
    lsoa = pc.utf8_trim_whitespace(street["LSOA code"])
    located = pc.and_(pc.not_equal(lsoa, ""), pc.not_equal(pc.utf8_trim_whitespace(street["Latitude"]), ""))
    keys = _point_key(_as_float(street["Latitude"].filter(located)), _as_float(street["Longitude"].filter(located)))
    # The last record at each point: the first in reverse order.
    point_keys, first = np.unique(keys[::-1], return_index=True)
    point_lsoa = lsoa.filter(located).take(len(keys) - 1 - first).to_numpy(zero_copy_only=False)
    wanted = np.asarray(_point_key(latitude, longitude))
    place = np.minimum(np.searchsorted(point_keys, wanted), max(len(point_keys) - 1, 0))
    found = (point_keys[place] == wanted) if len(point_keys) else np.zeros(len(wanted), dtype=bool)
    return pd.Series(point_lsoa[place[found]], index=latitude.index[found], dtype=object)


def _as_float(text) -> np.ndarray:
    """Numbers written as text, as Python's float() reads them (pyarrow's cast, which reads plain
    decimals to the same nearest double, refuses the rest: those are read by pandas)."""
    try:
        return pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return pd.Series(text.to_pandas()).astype(float).to_numpy()


def build_tables(paths: list[Path], months: tuple[str, str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    """Read the outcomes and stop-and-search files among ``paths`` (plain files or the site's
    archives) and the street files beside them.

    Returns (police_outcomes, stop_search, sources used, warnings).
    """
    def wanted(f) -> bool:
        return not months or months[0] <= f.month <= months[1]

    found = [f for path in paths for f in discover_file(path) if wanted(f)]
    police_files, warnings = police_checks.one_file_each(found)  # copies refused or counted once, as street files
    street_files = _one_per_month([f for path in paths for f in police_uk.discover_file(path) if wanted(f)])
    warnings += police_checks.missing_months(police_files, street_files)
    outcome_files = [f for f in police_files if f.kind == "outcomes"]
    search_files = [f for f in police_files if f.kind == "stop_search"]
    if not outcome_files and not search_files:
        return (pd.DataFrame(columns=OUTCOME_TABLE_COLUMNS), pd.DataFrame(columns=STOP_SEARCH_TABLE_COLUMNS), [],
                warnings)
    # The files are read side by side: pyarrow parses without holding the GIL. Results are taken in
    # order (street, outcomes, stop and search, each in file order), so a refused file is the one
    # a reading in order would have refused first.
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        street_frames = [pool.submit(_street_table, f) for f in street_files]
        outcome_frames = [pool.submit(_outcome_table, f) for f in outcome_files]
        search_frames = [pool.submit(_search_table, f) for f in search_files]
        street_frames = [job.result() for job in street_frames]
        outcome_frames = [job.result() for job in outcome_frames]
        search_frames = [job.result() for job in search_frames]
    # Checked before the outcomes are matched, as when each file was checked as it was read.
    searches = _stop_searches(search_files, search_frames) if search_files else None
    street = pa.concat_tables(street_frames).combine_chunks() if street_frames else pa.table(
        {c: pa.array([], pa.large_string()) for c in (*STREET_COLUMNS, "force", "file_month")})

    # Outcomes: the latest of each crime, with the street files' type and month of the crime.
    outcomes = (_outcomes_table(outcome_files, outcome_frames, street) if outcome_files
                else pd.DataFrame(columns=OUTCOME_TABLE_COLUMNS))

    if search_files:
        police_checks.check_search_forces(searches, street.select(["force", "Latitude", "Longitude"]).to_pandas(),
                                          _point_key)
        has_code = searches["lsoa_code"].notna()
        searches.loc[has_code, "placed_by"] = "LSOA code"
        with_point = ~has_code & searches["latitude"].notna() & searches["longitude"].notna()
        matched = _street_point_lsoas(street, searches.loc[with_point, "latitude"], searches.loc[with_point, "longitude"])
        searches.loc[matched.index, "lsoa_code"] = matched
        searches.loc[matched.index, "placed_by"] = "street point"
        searches.loc[searches["latitude"].isna() & searches["lsoa_code"].isna(), "placed_by"] = "no location"
        searches = searches[STOP_SEARCH_TABLE_COLUMNS]
    else:
        searches = pd.DataFrame(columns=STOP_SEARCH_TABLE_COLUMNS)
    sources = [f.label for f in police_files]
    return outcomes.reset_index(drop=True), searches.reset_index(drop=True), sources, warnings

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

from ..errors import InputError
from . import police_checks, police_uk
from .exact import check_all_rows_read, record_starts

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


def _text(f) -> str:
    if f.member is None:
        raw = Path(f.source).read_bytes()
    else:
        with zipfile.ZipFile(f.source) as zf:
            raw = zf.read(f.member)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f.label, "the file is not UTF-8 text (data.police.uk files are UTF-8; was it re-saved "
                                  "in another encoding?)", row=line) from None


def _read_csv(f, required: tuple[str, ...], what: str) -> pd.DataFrame:
    """The file as text columns, its header checked; ``line`` is each row's line number in the file."""
    text = _text(f)
    if not text.strip():
        raise InputError(f.label, f"the file is empty: expected a data.police.uk {what} CSV with a header row")
    first = text.split("\n", 1)[0]  # the first line, without splitting every line of the file
    header = next(csv.reader(io.StringIO((first.splitlines() or [""])[0])))
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f.label, f"missing column(s) {', '.join(repr(c) for c in missing)}; found "
                                  f"{', '.join(repr(c) for c in header)}. Expected the data.police.uk {what} header "
                                  f"({', '.join(required)}, ...)", row=1, column=missing[0])
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
    # pyarrow reads a quote left open to the end of the file as one field: every row, or refused.
    starts = check_all_rows_read(f.label, text, len(frame))
    frame["line"] = starts if starts is not None else frame.index + 2  # the header is line 1
    return frame


def _check_force(f, frame: pd.DataFrame) -> None:
    """An outcomes file must hold the force its name says: a renamed copy would count twice."""
    column = police_uk.REPORTED_BY if police_uk.REPORTED_BY in frame.columns else "Falls within"
    # A file holds one force's name on every row: each distinct value is checked once.
    for value in frame[column].unique():
        if value.strip() and not police_uk.same_force(f.force, value):
            line = int(frame["line"][frame[column] == value].iloc[0])
            raise InputError(f.label, f"the file's name says force '{f.force}' but its records are {column} "
                                      f"{value!r}: an outcomes file of another force under this name would put its "
                                      "outcomes in the wrong area. Remove the file, or give it the name "
                                      "data.police.uk gave it", row=line, column=column)


def read_outcomes(f: PoliceFile) -> pd.DataFrame:
    """One outcomes file: crime_id, force, outcome_month, outcome_type, lsoa_code, line, source_file."""
    frame = _read_csv(f, OUTCOME_COLUMNS, "outcomes")
    _check_force(f, frame)
    other_month = frame[frame["Month"] != f.month]
    if len(other_month):
        value, line = other_month["Month"].iloc[0], int(other_month["line"].iloc[0])
        kind = "malformed month" if not police_uk.MONTH_VALUE.match(value) else "month outside the file's own month"
        raise InputError(f.label, f"{kind}: found {value!r}, expected {f.month!r} (every row of a monthly "
                                  "file must carry the file's month, YYYY-MM)", row=line, column="Month")
    for column in ("Crime ID", "Outcome type"):
        blank = frame[frame[column].str.strip() == ""]
        if len(blank):
            raise InputError(f.label, f"a row has no {column.lower()}: every outcome names its crime and its "
                                      "outcome", row=int(blank["line"].iloc[0]), column=column)
    return pd.DataFrame({
        "crime_id": frame["Crime ID"].str.strip(), "force": f.force, "outcome_month": f.month,
        "outcome_type": frame["Outcome type"].str.strip(),
        "lsoa_code": frame["LSOA code"].str.strip().replace("", None), "line": frame["line"],
        "source_file": f.label})


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
    frame = _read_csv(f, STOP_SEARCH_COLUMNS, "stop-and-search")
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
    lsoa = (frame["LSOA code"].str.strip().replace("", None) if "LSOA code" in frame.columns
            else pd.Series(None, index=frame.index, dtype=object))
    return pd.DataFrame({
        "force": f.force, "month": f.month, "date": dates, "search_type": frame["Type"].str.strip(),
        "latitude": _coordinate(f, frame, "Latitude", police_uk.LATITUDE_RANGE),
        "longitude": _coordinate(f, frame, "Longitude", police_uk.LONGITUDE_RANGE),
        "legislation": frame["Legislation"].str.strip(),
        "object_of_search": frame["Object of search"].str.strip().replace("", "Not stated"),
        "outcome": frame["Outcome"].str.strip().replace("", "Not stated"),
        "outcome_linked": linked.map(LINKED_VALUES).astype("boolean"),
        "lsoa_code": lsoa, "placed_by": pd.Series(None, index=frame.index, dtype=object),
        "source_file": f.label})


def _point_key(lat: pd.Series, lon: pd.Series) -> pd.Series:
    """Points compared at the files' own precision (6 decimals), as whole millionths of a degree."""
    return (lat * 1e6).round().astype("int64") * 1_000_000_000 + (lon * 1e6).round().astype("int64")


def _read_street(f) -> pd.DataFrame:
    frame = _read_csv(f, STREET_COLUMNS, "street-level")
    return frame[list(STREET_COLUMNS)].assign(force=f.force, file_month=f.month)


def latest_outcomes(records: pd.DataFrame) -> pd.DataFrame:
    """One row per (force, crime): its outcome of the latest month; within a month, the last row
    in file order. ``outcome_records`` counts every outcome row the crime has."""
    if records.empty:
        return records.assign(outcome_records=pd.Series(dtype="int64"))
    ordered = records.reset_index(drop=True)
    # Each (force, crime) as one integer whose order is the order of (force, crime_id): sorting and
    # counting half a million integers is many times faster than grouping by two text columns.
    force_code, _ = pd.factorize(ordered["force"], sort=True)
    crime_code, crime_ids = pd.factorize(ordered["crime_id"], sort=True)
    key = force_code.astype("int64") * len(crime_ids) + crime_code
    by_month = ordered["outcome_month"].to_numpy().argsort(kind="stable")  # file order kept within a month
    last_first = key[by_month][::-1]
    _, first_seen = np.unique(last_first, return_index=True)  # each key's last row, keys in order
    latest = ordered.iloc[by_month[len(last_first) - 1 - first_seen]].reset_index(drop=True)
    latest["outcome_records"] = np.unique(key, return_counts=True)[1]
    return latest


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
        street_frames = [pool.submit(_read_street, f) for f in street_files]
        outcome_frames = [pool.submit(read_outcomes, f) for f in outcome_files]
        search_frames = [pool.submit(read_stop_search, f) for f in search_files]
        street_frames = [job.result() for job in street_frames]
        outcome_frames = [job.result() for job in outcome_frames]
        search_frames = [job.result() for job in search_frames]
    street = (pd.concat(street_frames, ignore_index=True) if street_frames
              else pd.DataFrame(columns=[*STREET_COLUMNS, "force", "file_month"]))

    # Outcomes: the latest of each crime, with the street files' type and month of the crime.
    if outcome_files:
        records = pd.concat(outcome_frames, ignore_index=True)
        latest = latest_outcomes(records.drop(columns="line"))
        crimes = (street[street["Crime ID"].str.strip() != ""]
                  .assign(crime_id=lambda d: d["Crime ID"].str.strip())
                  .drop_duplicates(["force", "crime_id"], keep="last")
                  [["force", "crime_id", "file_month", "Crime type", "LSOA code"]]
                  .rename(columns={"file_month": "crime_month", "Crime type": "crime_type",
                                   "LSOA code": "street_lsoa"}))
        outcomes = latest.merge(crimes, on=["force", "crime_id"], how="left")
        street_lsoa = outcomes.pop("street_lsoa").replace("", None)
        # A crime is placed where its street record is (the outcome's own LSOA only when the street
        # files lack the crime): outcome groups are shares of the crimes recorded, counted from the
        # street records, so both must put each crime in the same area.
        outcomes["lsoa_code"] = street_lsoa.combine_first(outcomes["lsoa_code"])
        outcomes = outcomes[OUTCOME_TABLE_COLUMNS]
    else:
        outcomes = pd.DataFrame(columns=OUTCOME_TABLE_COLUMNS)

    if search_files:
        searches = pd.concat(search_frames, ignore_index=True)
        police_checks.check_search_forces(searches, street, _point_key)
        has_code = searches["lsoa_code"].notna()
        searches.loc[has_code, "placed_by"] = "LSOA code"
        located = street[(street["LSOA code"].str.strip() != "") & (street["Latitude"].str.strip() != "")]
        points = pd.Series(located["LSOA code"].str.strip().to_numpy(),
                           index=_point_key(located["Latitude"].astype(float), located["Longitude"].astype(float)))
        points = points[~points.index.duplicated(keep="last")]
        with_point = ~has_code & searches["latitude"].notna() & searches["longitude"].notna()
        keys = _point_key(searches.loc[with_point, "latitude"], searches.loc[with_point, "longitude"])
        matched = keys.map(points)
        searches.loc[matched.dropna().index, "lsoa_code"] = matched.dropna()
        searches.loc[matched.dropna().index, "placed_by"] = "street point"
        searches.loc[searches["latitude"].isna() & searches["lsoa_code"].isna(), "placed_by"] = "no location"
        searches = searches[STOP_SEARCH_TABLE_COLUMNS]
    else:
        searches = pd.DataFrame(columns=STOP_SEARCH_TABLE_COLUMNS)
    sources = [f.label for f in police_files]
    return outcomes.reset_index(drop=True), searches.reset_index(drop=True), sources, warnings

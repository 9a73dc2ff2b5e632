"""data.police.uk street-level crime and ASB files, exactly as the site serves them.

Files are found by the publisher's own names, in monthly folders
(``YYYY-MM/YYYY-MM-<force>-street.csv``) or inside the zip archives the site's download page
serves (same layout inside). Outcome and stop-and-search files beside them are ignored.

The tidy output is one row per (month, force, LSOA, crime type) with a record count: every
measure in the assessment (levels, changes, trends, seasonality, breakdowns, ward hotspots) is
a sum over these counts, so the notebooks never touch the raw rows. Rows with no LSOA keep a
null ``lsoa_code`` so they stay counted and reported, never silently dropped.

DuckDB reads the CSVs: it is columnar and multi-threaded, and reads only the columns used.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import duckdb
import pandas as pd

from ..errors import InputError

STREET_FILE = re.compile(r"^(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-street\.csv$", re.IGNORECASE)
MONTH_VALUE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
ASB_CRIME_TYPE = "Anti-social behaviour"

# Columns the measures need; the publisher's other columns (coordinates, outcome, context)
# are not read. The site has used these names since the street-level files began.
REQUIRED_COLUMNS = ("Crime ID", "Month", "Falls within", "LSOA code", "Crime type")


@dataclass(frozen=True)
class StreetFile:
    """One month of one force's street-level file, on disk or inside a zip archive."""

    source: Path  # the file on disk, or the zip archive holding it
    member: str | None  # path inside the zip, None for a plain file
    month: str  # YYYY-MM from the file name
    force: str  # force slug from the file name, e.g. "kent"

    @property
    def label(self) -> str:
        return f"{self.source}!{self.member}" if self.member else str(self.source)


def discover(data_dir: Path) -> list[StreetFile]:
    """Every street-level file under ``data_dir``, plain or zipped, in a stable order."""
    found: list[StreetFile] = []
    for path in sorted(Path(data_dir).rglob("*")):
        if not path.is_file():
            continue
        match = STREET_FILE.match(path.name)
        if match:
            found.append(StreetFile(path, None, match["month"], match["force"].lower()))
        elif path.suffix.lower() == ".zip":
            found.extend(_street_members(path))
    return found


def _street_members(archive: Path) -> list[StreetFile]:
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile as exc:
        raise InputError(archive, f"not a readable zip archive ({exc})") from exc
    members = []
    for name in sorted(names):
        match = STREET_FILE.match(PurePosixPath(name).name)
        if match:
            members.append(StreetFile(archive, name, match["month"], match["force"].lower()))
    return members


def choose_one_per_month(files: list[StreetFile]) -> tuple[list[StreetFile], list[tuple[StreetFile, StreetFile]]]:
    """Keep one file per (force, month) so a month given twice is never counted twice.

    data.police.uk archives overlap (each holds up to 36 months), so the same month often
    arrives twice. The copy kept is the last in path order: archives are named by their
    publication month, so that is the most recent publication, whose outcomes are freshest.
    Returns (kept, [(skipped, kept_instead), ...]).
    """
    by_key: dict[tuple[str, str], list[StreetFile]] = {}
    for f in files:
        by_key.setdefault((f.force, f.month), []).append(f)
    kept, skipped = [], []
    for key in sorted(by_key):
        copies = sorted(by_key[key], key=lambda f: (str(f.source), f.member or ""))
        kept.append(copies[-1])
        skipped.extend((c, copies[-1]) for c in copies[:-1])
    return kept, skipped


def _read_header(raw: bytes, label: str) -> list[str]:
    if not raw.strip():
        raise InputError(label, "the file is empty: expected a data.police.uk street-level CSV with a header row")
    text = raw.decode("utf-8-sig", errors="replace")
    first_line = text.splitlines()[0]
    if first_line.count(";") > first_line.count(","):
        raise InputError(label, "the file is semicolon-delimited: data.police.uk files are comma-separated "
                                "(was it re-saved by a spreadsheet program?)", row=1)
    header = next(csv.reader(io.StringIO(first_line)))
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(
            label,
            f"missing column(s) {', '.join(repr(c) for c in missing)}; found {', '.join(repr(c) for c in header)}. "
            f"Expected the data.police.uk street-level header ({', '.join(REQUIRED_COLUMNS)}, ...)",
            row=1,
            column=missing[0],
        )
    return header


def _materialise(files: list[StreetFile], workdir: Path) -> dict[str, StreetFile]:
    """Give DuckDB a plain path for every file: zip members are extracted into ``workdir``.

    Returns {path DuckDB reads: StreetFile}. The header of every file is checked here,
    before any counting, so a wrong file stops the ingest with its name.
    """
    paths: dict[str, StreetFile] = {}
    open_archives: dict[Path, zipfile.ZipFile] = {}
    try:
        for i, f in enumerate(files):
            if f.member is None:
                with open(f.source, "rb") as fh:
                    _read_header(fh.read(64 * 1024), f.label)
                paths[str(f.source)] = f
                continue
            zf = open_archives.setdefault(f.source, zipfile.ZipFile(f.source))
            target = workdir / f"{i:05d}-{PurePosixPath(f.member).name}"
            with zf.open(f.member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            with open(target, "rb") as fh:
                _read_header(fh.read(64 * 1024), f.label)
            paths[str(target)] = f
    finally:
        for zf in open_archives.values():
            zf.close()
    return paths


def _first_bad_month_row(path: str, label: str, expected: str) -> tuple[int, str]:
    """Line number and value of the first row whose Month is not the file's month (slow path, errors only)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for line_no, row in enumerate(csv.DictReader(fh), start=2):
            if row.get("Month") != expected:
                return line_no, row.get("Month") or ""
    raise AssertionError(f"{label}: no bad month found on re-read")  # pragma: no cover


def read_street_files(files: list[StreetFile]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Count records per (month, force, LSOA, crime type) across ``files``.

    Returns ``(counts, file_report)``:
    - counts: month, force, falls_within, lsoa_code (null where the record has no location),
      crime_type, is_asb, records.
    - file_report: one row per file: source, month, force, records, asb_records,
      records_without_lsoa, duplicate_crime_ids.
    Every row's Month must equal the month in its file name; anything else is an error
    naming the file, line and value, because a mislabelled month would silently move
    crimes between periods.
    """
    columns = ["month", "force", "falls_within", "lsoa_code", "crime_type", "is_asb", "records"]
    report_columns = ["source", "month", "force", "records", "asb_records", "records_without_lsoa", "duplicate_crime_ids"]
    if not files:
        return pd.DataFrame(columns=columns), pd.DataFrame(columns=report_columns)

    with tempfile.TemporaryDirectory(prefix="csp-police-") as tmp:
        paths = _materialise(files, Path(tmp))
        con = duckdb.connect()
        try:
            file_months = pd.DataFrame(
                {"filename": list(paths), "file_month": [f.month for f in paths.values()],
                 "force": [f.force for f in paths.values()]}
            )
            con.register("file_months", file_months)
            try:
                con.execute(
                    """
                    CREATE TEMP TABLE rows AS
                    SELECT r.filename, fm.file_month, fm.force,
                           r."Month" AS month, r."Falls within" AS falls_within,
                           NULLIF(TRIM(r."LSOA code"), '') AS lsoa_code, r."Crime type" AS crime_type,
                           NULLIF(TRIM(r."Crime ID"), '') AS crime_id
                    FROM read_csv(?, header = true, all_varchar = true, union_by_name = true,
                                  filename = true, delim = ',', quote = '"', escape = '"') AS r
                    JOIN file_months fm ON fm.filename = r.filename
                    """,
                    [list(paths)],
                )
            except duckdb.Error as exc:
                bad = next((f.label for p, f in paths.items() if p in str(exc)), "one of the street-level files")
                raise InputError(bad, f"could not be read as CSV: {str(exc).splitlines()[0]}") from exc

            bad_months = con.execute(
                "SELECT filename, file_month, any_value(month) FROM rows "
                "WHERE month IS DISTINCT FROM file_month GROUP BY ALL ORDER BY filename LIMIT 1"
            ).fetchall()
            if bad_months:
                path, expected, _ = bad_months[0]
                line_no, value = _first_bad_month_row(path, paths[path].label, expected)
                kind = "malformed month" if not MONTH_VALUE.match(value) else "month outside the file's own month"
                raise InputError(paths[path].label, f"{kind}: found {value!r}, expected {expected!r} "
                                 "(every row of a monthly file must carry the file's month, YYYY-MM)",
                                 row=line_no, column="Month")

            missing_type = con.execute(
                "SELECT filename FROM rows WHERE crime_type IS NULL OR TRIM(crime_type) = '' LIMIT 1"
            ).fetchall()
            if missing_type:
                raise InputError(paths[missing_type[0][0]].label, "a row has no crime type", column="Crime type")

            counts = con.execute(
                f"""
                SELECT month, force, falls_within, lsoa_code, crime_type,
                       crime_type = '{ASB_CRIME_TYPE}' AS is_asb, count(*) AS records
                FROM rows GROUP BY ALL
                ORDER BY month, force, falls_within, lsoa_code NULLS FIRST, crime_type
                """
            ).df()
            report = con.execute(
                f"""
                SELECT filename, file_month AS month, force, count(*) AS records,
                       count(*) FILTER (WHERE crime_type = '{ASB_CRIME_TYPE}') AS asb_records,
                       count(*) FILTER (WHERE lsoa_code IS NULL) AS records_without_lsoa,
                       count(crime_id) - count(DISTINCT crime_id) AS duplicate_crime_ids
                FROM rows GROUP BY ALL ORDER BY month, force
                """
            ).df()
        finally:
            con.close()

    report.insert(0, "source", report.pop("filename").map(lambda p: paths[p].label))
    counts["records"] = counts["records"].astype("int64")
    for col in ("records", "asb_records", "records_without_lsoa", "duplicate_crime_ids"):
        report[col] = report[col].astype("int64")
    # Files with a header but no rows never reach the counts; keep them in the report at zero.
    empty = [f for f in paths.values() if f.label not in set(report["source"])]
    if empty:
        zeros = pd.DataFrame({"source": [f.label for f in empty], "month": [f.month for f in empty],
                              "force": [f.force for f in empty]})
        for col in report_columns[3:]:
            zeros[col] = 0
        report = pd.concat([report, zeros], ignore_index=True).sort_values(["month", "force"], ignore_index=True)
    return counts[columns], report[report_columns]

"""data.police.uk street-level crime and ASB files, exactly as the site serves them.

Files are found by the publisher's own names, in monthly folders
(``YYYY-MM/YYYY-MM-<force>-street.csv``) or inside the zip archives the site's download page
serves (same layout inside). Outcome and stop-and-search files beside them are read by
police_uk_outcomes.py.

The tidy output is one row per (month, force, LSOA, crime type) with a record count: every
measure in the assessment (levels, changes, trends, seasonality, breakdowns, ward hotspots) is
a sum over these counts, so the notebooks never touch the raw rows. Rows with no LSOA keep a
null ``lsoa_code`` so they stay counted and reported, never silently dropped.

DuckDB reads the CSVs: it is columnar and multi-threaded, and reads only the columns used.
"""

from __future__ import annotations

import csv
import errno
import io
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import duckdb
import pandas as pd

from ..errors import InputError
from ..store import atomic_write
from .exact import BLOCK, LineCounter, check_all_rows_read, line_count, record_starts

STREET_FILE = re.compile(r"^(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-street\.csv$", re.IGNORECASE)
MONTH_VALUE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
ASB_CRIME_TYPE = "Anti-social behaviour"

# Columns the measures need or validate; the publisher's other columns (outcome, context) are
# not read. The site has used these names since the street-level files began.
REQUIRED_COLUMNS = ("Crime ID", "Month", "Falls within", "Longitude", "Latitude", "LSOA code", "Crime type")
# Read when present, to check a file holds the force its name says (a copy renamed would count twice).
REPORTED_BY = "Reported by"
SOURCE_COLUMN = "csp_source_file"  # DuckDB's column naming the file each row came from
# No line of a data.police.uk file comes near this; a longer one is a damaged file, named as such.
MAX_LINE_BYTES = 1 << 20
# data.police.uk covers England, Wales and Northern Ireland; a point outside this box is a
# corrupted row (swapped or shifted columns), not a real location.
LONGITUDE_RANGE = (-8.7, 1.8)
LATITUDE_RANGE = (49.8, 60.9)
# A month with fewer records than this share of the force's median month is flagged for a reader.
LOW_MONTH_SHARE = 0.5
# Street files read per DuckDB pass: about a million rows at a large force's monthly size, which
# keeps a batch's Crime IDs in memory (see write_street_counts).
FILES_PER_BATCH = 48


# File-name slugs that are not the force's name with "Police"/"Constabulary" taken off.
FORCE_SLUG_ALIASES = {"btp": "british-transport"}


def force_slug(name: str) -> str:
    """The data.police.uk file-name slug of a force as its files name it: 'Kent Police' -> 'kent',
    'Devon & Cornwall Police' -> 'devon-and-cornwall', 'Police Service of Northern Ireland' ->
    'northern-ireland', 'Metropolitan Police Service' -> 'metropolitan'."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower().replace("&", " and ")).strip("-")
    slug = slug.removeprefix("police-service-of-")
    for suffix in ("-police-service", "-constabulary", "-police"):
        slug = slug.removesuffix(suffix)
    return slug


def same_force(file_force: str, named: str) -> bool:
    return FORCE_SLUG_ALIASES.get(file_force, file_force) == force_slug(named)


def force_name(slug: str, named: str) -> str:
    """A police file's force as params name it when the file-name slug is that force's, else the
    slug in words ('city-of-london' -> 'City of London')."""
    if named and same_force(slug, named):
        return named
    return " ".join(w if w in ("of", "and") else w.capitalize() for w in slug.split("-"))


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
    return [f for path in sorted(Path(data_dir).rglob("*")) if path.is_file() for f in discover_file(path)]


def discover_file(path: Path) -> list[StreetFile]:
    """The street-level file ``path`` is, or those a zip archive at ``path`` holds; else none."""
    match = STREET_FILE.match(path.name)
    if match:
        return [StreetFile(path, None, match["month"], match["force"].lower())]
    if path.suffix.lower() == ".zip":
        return _street_members(path)
    return []


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


def content_key(f: StreetFile) -> tuple[int, int]:
    """(size, CRC-32) of a street file's bytes: equal for byte-identical files, whatever their names.
    Zip archives store both for each member, so members are not read."""
    if f.member is not None:
        with zipfile.ZipFile(f.source) as zf:
            info = zf.getinfo(f.member)
        return info.file_size, info.CRC
    crc = 0
    with open(f.source, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            crc = zlib.crc32(block, crc)
    return f.source.stat().st_size, crc


def has_records(f) -> bool:
    """A file (street, outcomes or stop-and-search) with rows below its header: two files without
    rows are alike, and neither is a copy of the other."""
    if f.member is None:
        raw = Path(f.source).read_bytes()
    else:
        with zipfile.ZipFile(f.source) as zf:
            raw = zf.read(f.member)
    return line_count(raw.strip()) > 1


def set_aside_identical(files: list[StreetFile]) -> tuple[list[StreetFile], list[tuple[StreetFile, StreetFile]]]:
    """Byte-identical street files are one file under two names (a copy renamed, say): keep the
    first, so its records are counted once. Returns (kept, [(identical copy, kept instead), ...]).
    A copy under another month's name is refused, naming both (issue 25): one month's records
    would stand for another's, whose own file is gone. (A copy under another force's name is
    refused by its "Reported by", with the line.)"""
    first_by_content: dict[tuple[int, int], StreetFile] = {}
    kept, copies = [], []
    for f in files:
        key = content_key(f)
        if key in first_by_content:
            first = first_by_content[key]
            if first.month != f.month and has_records(f):
                raise InputError(f.label, f"is byte for byte the same file as {first.label}, the street file for "
                                          f"{first.month}: {f.month}'s file would hold {first.month}'s records. "
                                          "Download the month again, or remove the copy")
            copies.append((f, first))
        else:
            first_by_content[key] = f
            kept.append(f)
    return kept, copies


def _read_header(raw: bytes, label: str) -> list[str]:
    if not raw.strip():
        raise InputError(label, "the file is empty: expected a data.police.uk street-level CSV with a header row")
    text = raw.decode("utf-8-sig", errors="replace")
    first_line = text.splitlines()[0]
    if first_line.count(";") > first_line.count(","):
        raise InputError(label, "the file is semicolon-delimited: data.police.uk files are comma-separated "
                                "(was it re-saved by a spreadsheet program?)", row=1)
    header = next(csv.reader(io.StringIO(first_line)))
    for name in (*REQUIRED_COLUMNS, REPORTED_BY):
        places = [i + 1 for i, cell in enumerate(header) if cell == name]
        if len(places) > 1:
            raise InputError(label, f"the column {name!r} appears {len(places)} times in the header (columns "
                                    f"{', '.join(map(str, places))}), so which to read is unclear: remove the extra "
                                    "column, or download the file again", row=1, column=name)
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


def _materialise(files: list[StreetFile], workdir: Path) -> tuple[dict[str, StreetFile], dict[str, tuple[str, ...]],
                                                                  dict[str, int]]:
    """Give DuckDB a plain path for every file: zip members are extracted into ``workdir``.

    Returns ({path DuckDB reads: StreetFile}, {path: header}, {path: lines in the file}). The header
    of every file is checked here, before any counting, so a wrong file stops the ingest with its
    name; the lines are counted as the file passes by, to check later that DuckDB read every row.
    """
    paths: dict[str, StreetFile] = {}
    headers: dict[str, tuple[str, ...]] = {}
    lines: dict[str, int] = {}
    open_archives: dict[Path, zipfile.ZipFile] = {}
    try:
        for i, f in enumerate(files):
            counter = LineCounter()
            if f.member is None:
                path = str(f.source)
                with open(path, "rb") as fh:
                    for block in iter(lambda: fh.read(BLOCK), b""):
                        counter.update(block)
            else:
                target = workdir / f"{i:05d}-{PurePosixPath(f.member).name}"
                try:
                    if f.source not in open_archives:
                        open_archives[f.source] = zipfile.ZipFile(f.source)
                    with open_archives[f.source].open(f.member) as src, open(target, "wb") as dst:
                        for block in iter(lambda: src.read(BLOCK), b""):
                            counter.update(block)
                            dst.write(block)
                except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
                    raise InputError(f.label, f"this member of the zip archive cannot be extracted ({exc}): the "
                                              "archive is damaged or incomplete; download it again") from None
                path = str(target)
            with open(path, "rb") as fh:
                headers[path] = tuple(_read_header(fh.read(64 * 1024), f.label))
            paths[path], lines[path] = f, counter.lines
    finally:
        for zf in open_archives.values():
            zf.close()
    return paths, headers, lines


def _scan(headers: dict[str, tuple[str, ...]]) -> tuple[str, list]:
    """SQL reading every file with its own declared header: no type sniffing, all text.

    DuckDB is given positional column names (c0, c1, ...), and each column the ingest uses is
    picked by its position in that file's header: a header with other columns, an empty name, a
    name that differs only in case, or a name DuckDB reserves ("filename") then reads like any
    other. Files are grouped by layout so a file with an extra column still reads, without DuckDB's
    union-by-name, which sniffs every file before reading any.
    """
    groups: dict[tuple[int, tuple[int | None, ...]], list[str]] = {}
    for path, header in headers.items():
        positions = tuple(header.index(c) if c in header else None for c in (*REQUIRED_COLUMNS, REPORTED_BY))
        groups.setdefault((len(header), positions), []).append(path)
    selects, parameters = [], []
    for (width, positions), group_paths in groups.items():
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
        picked = ", ".join(f'c{i} AS "{name}"' if i is not None else f'NULL::VARCHAR AS "{name}"'
                           for name, i in zip((*REQUIRED_COLUMNS, REPORTED_BY), positions))
        selects.append(f"SELECT {SOURCE_COLUMN} AS filename, {picked} FROM read_csv(?, header = true, "
                       f"auto_detect = false, columns = {columns}, delim = ',', quote = '\"', escape = '\"', "
                       f"filename = '{SOURCE_COLUMN}', max_line_size = {MAX_LINE_BYTES})")
        parameters.append(group_paths)
    return "(" + " UNION ALL ".join(selects) + ")", parameters


def _first_row(path: str, label: str, bad) -> tuple[int, dict]:
    """Line number and content of the first row for which ``bad(row)`` is true (slow path, errors only)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for line_no, row in enumerate(csv.DictReader(fh), start=2):
            if bad(row):
                return line_no, row
    raise AssertionError(f"{label}: the bad row was not found on re-reading the file")  # pragma: no cover


def _diagnose_unreadable(path: str, label: str, reason: str) -> InputError:
    """Find the line DuckDB could not parse and say what is wrong with it, in the analyst's terms."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        with open(path, "rb") as fh:
            line_no = fh.read(exc.start + 3).count(b"\n") + 1  # +3: the BOM utf-8-sig skipped
        return InputError(label, "the file is not UTF-8 text (data.police.uk files are UTF-8; was it re-saved "
                                 "in another encoding?)", row=line_no)
    record_starts(label, text)  # an unclosed or stray quote: refused at the line it starts
    damaged = ("far longer than any data.police.uk record: the file is damaged (an unclosed quote, or data pasted "
               "into a cell); download it again")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        for row in reader:
            if len(row) != len(header):
                last = reader.line_num >= len(text.rstrip("\r\n").splitlines())
                hint = " — the last line is cut short: the file looks truncated, download it again" if last else ""
                return InputError(label, f"expected {len(header)} fields, found {len(row)}{hint}", row=reader.line_num)
            if sum(map(len, row)) > MAX_LINE_BYTES:
                return InputError(label, f"a line of {sum(map(len, row)):,} characters is {damaged}", row=reader.line_num)
    except csv.Error:  # a field beyond the csv module's own limit (128 KB): the same damage
        return InputError(label, f"a field is {damaged}", row=reader.line_num)
    return InputError(label, f"could not be read as CSV: {reason}")


def _in_range(value: str | None, bounds: tuple[float, float]) -> bool:
    if value is None or not value.strip():
        return True  # no location is allowed: counted and reported, not an error
    try:
        return bounds[0] <= float(value) <= bounds[1]
    except ValueError:
        return False


def _plausible_point(row: dict) -> bool:
    return _in_range(row.get("Longitude"), LONGITUDE_RANGE) and _in_range(row.get("Latitude"), LATITUDE_RANGE)


# How the ingest's warnings name a police force: a data.police.uk file's name anywhere in the text
# ("2024-01-city-of-london-street.csv ..."), a month's count ("kent 2017-03 has unusually few records")
# or a missing file ("No outcomes file for kent in ...").
_FORCE_IN_WARNING = (
    re.compile(r"\b\d{4}-\d{2}-(?P<force>[a-z0-9-]+?)-(?:street|outcomes|stop-and-search)\.csv\b", re.IGNORECASE),
    re.compile(r"^(?P<force>[a-z0-9-]+) \d{4}-\d{2} has unusually few records"),
    re.compile(r"^No [a-z -]+ file for (?P<force>[a-z0-9-]+) in "),
)


def forces_named(warning: str) -> set[str]:
    """The police forces whose files an ingest warning is about (lower case, as in the files' names);
    empty for a warning about anything else."""
    return {match["force"].lower() for pattern in _FORCE_IN_WARNING for match in pattern.finditer(warning)}


def quality_warnings(report: pd.DataFrame) -> list[str]:
    """Things a reader should know that do not stop the run: empty files, unusually small months,
    duplicate Crime IDs (the real Kent file for November 2022 has one)."""
    warnings = []
    for row in report.itertuples():
        if row.records == 0:
            warnings.append(f"The file {row.source} has a header but no records.")
        if row.duplicate_crime_ids:
            repeated = row.duplicate_crime_ids
            warnings.append(f"The file {row.source} repeats {repeated:,} Crime {'ID' if repeated == 1 else 'IDs'}; "
                            "every row is counted, as data.police.uk publishes them.")
    for force, months in report[report["records"] > 0].groupby("force"):
        median = months["records"].median()
        for row in months[months["records"] < LOW_MONTH_SHARE * median].itertuples():
            warnings.append(f"{force} {row.month} has unusually few records ({row.records:,}, against a median of "
                            f"{median:,.0f} a month): check the file is complete.")
    return warnings


COUNT_COLUMNS = ["month", "force", "falls_within", "lsoa_code", "crime_type", "is_asb", "records"]
REPORT_COLUMNS = ["source", "month", "force", "records", "asb_records", "records_without_lsoa", "duplicate_crime_ids"]


def write_street_counts(files: list[StreetFile], counts_path: Path, memory_limit: str = "1GB") -> pd.DataFrame:
    """Count records per (month, force, LSOA, crime type) across ``files`` into ``counts_path`` (Parquet).

    Returns the file report: one row per file with records, ASB records, records without LSOA
    and duplicate Crime IDs. One pass over the CSVs streams into DuckDB's grouped aggregates,
    which spills to disk beyond ``memory_limit``, so national-scale folders fit in ordinary
    memory; the counts are written by DuckDB straight to Parquet, never held in pandas.

    Every row's Month must equal the month in its file name; anything else is an error naming
    the file, line and value, because a mislabelled month would silently move crimes between
    periods. Coordinates must be numbers within the UK.
    """
    counts_path = Path(counts_path)
    if not files:
        atomic_write(counts_path, lambda tmp_path: pd.DataFrame(columns=COUNT_COLUMNS).to_parquet(tmp_path, index=False))
        return pd.DataFrame(columns=REPORT_COLUMNS)
    with tempfile.TemporaryDirectory(prefix="csp-police-") as tmp:
        paths, headers, lines = _materialise(files, Path(tmp))
        con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(Path(tmp) / "spill"),
                                     "preserve_insertion_order": False})
        try:
            con.register("file_months", pd.DataFrame({
                "filename": list(paths), "file_month": [f.month for f in paths.values()],
                "force": [f.force for f in paths.values()]}))
            (lon_lo, lon_hi), (lat_lo, lat_hi) = LONGITUDE_RANGE, LATITUDE_RANGE
            # A coordinate is fine when it is a number in range, or absent (no location is allowed):
            # one cast per column, as this runs on every row.
            bad_point = (f"NOT (coalesce(TRY_CAST(\"Longitude\" AS DOUBLE) BETWEEN {lon_lo} AND {lon_hi}, "
                         f"\"Longitude\" IS NULL) AND coalesce(TRY_CAST(\"Latitude\" AS DOUBLE) BETWEEN {lat_lo} "
                         f"AND {lat_hi}, \"Latitude\" IS NULL))")
            # One pass, two groupings: counts per LSOA and crime type, and rows per Crime ID (to find
            # IDs given twice). Reading the CSVs is most of the cost, so they are read once. Files go
            # in batches so each batch's Crime IDs fit in memory: a national folder would otherwise
            # spill to disk and cost more per row as it grows (duplicates are per file, so exact).
            # A month's files stay in one batch, so Crime IDs shared by two files of a month are found.
            batches: list[list[str]] = []
            for path in sorted(paths, key=lambda p: (paths[p].month, p)):
                if (not batches or len(batches[-1]) >= FILES_PER_BATCH) and \
                        not (batches and paths[batches[-1][-1]].month == paths[path].month):
                    batches.append([])
                batches[-1].append(path)
            for number, batch in enumerate(batches):
                source, parameters = _scan({p: headers[p] for p in batch})
                into = "CREATE TEMP TABLE grouped AS" if number == 0 else "INSERT INTO grouped"
                # Only Crime IDs seen more than once are kept from the second grouping; first_file and
                # last_file tell an ID repeated within a file from one given by two files of a month.
                _scan_or_explain(con, f"""
                    {into} SELECT * FROM (
                    SELECT filename, "Month" AS month, "Reported by" AS reported_by, "Falls within" AS falls_within,
                           NULLIF(TRIM("LSOA code"), '') AS lsoa_code, "Crime type" AS crime_type,
                           -- DuckDB hashes NULL to a value too: ASB rows (no Crime ID) must stay NULL
                           CASE WHEN NULLIF(TRIM("Crime ID"), '') IS NOT NULL THEN hash(TRIM("Crime ID")) END
                               AS crime_id_hash,
                           count(*) AS records, count(*) FILTER (WHERE {bad_point}) AS bad_points,
                           min(filename) AS first_file, max(filename) AS last_file,
                           GROUPING(crime_id_hash) AS is_count_row
                    FROM {source}
                    GROUP BY GROUPING SETS ((filename, month, reported_by, falls_within, lsoa_code, crime_type),
                                            (month, crime_id_hash))
                    ) WHERE is_count_row = 1 OR (records > 1 AND crime_id_hash IS NOT NULL)
                    """, parameters, paths)
            con.execute("CREATE TEMP VIEW counted AS SELECT g.*, fm.file_month, fm.force FROM grouped g "
                        "JOIN file_months fm USING (filename) WHERE is_count_row = 1")
            # Every row of every file, or a refusal naming the line: DuckDB stops reading a file of
            # several at an unclosed quote without a word (issue 25).
            rows_read = dict(con.execute("SELECT filename, sum(records)::BIGINT FROM counted GROUP BY filename")
                             .fetchall())
            for path, f in paths.items():
                check_all_rows_read(f.label, Path(path), rows_read.get(path, 0), lines=lines[path])
            _check_counted(con, paths)
            duplicates = con.execute(
                "SELECT first_file AS filename, sum(records - 1) AS duplicates FROM grouped "
                "WHERE is_count_row = 0 AND first_file = last_file GROUP BY first_file").df()
            con.register("duplicates", duplicates)
            # Each counted row is already one output group (one file per force and month, and every
            # row's month checked against its file's), so no regrouping: only a stable order.
            copy = (f"""COPY (SELECT file_month AS month, force, falls_within, lsoa_code, crime_type,
                                    crime_type = '{ASB_CRIME_TYPE}' AS is_asb, records::BIGINT AS records
                             FROM counted
                             ORDER BY month, force, falls_within, lsoa_code NULLS FIRST, crime_type)
                        TO ? (FORMAT parquet, COMPRESSION zstd)""")
            try:
                atomic_write(counts_path, lambda tmp_path: con.execute(copy, [str(tmp_path)]))
            except duckdb.IOException as exc:  # a full disk, say: a file-system failure like any other
                raise OSError(errno.EIO, str(exc).splitlines()[0], str(counts_path)) from None
            report = con.execute(
                f"""
                SELECT c.filename, any_value(c.file_month) AS month, any_value(c.force) AS force,
                       sum(c.records)::BIGINT AS records,
                       (sum(c.records) FILTER (WHERE c.crime_type = '{ASB_CRIME_TYPE}'))::BIGINT AS asb_records,
                       (sum(c.records) FILTER (WHERE c.lsoa_code IS NULL))::BIGINT AS records_without_lsoa,
                       coalesce(any_value(d.duplicates), 0)::BIGINT AS duplicate_crime_ids
                FROM counted c LEFT JOIN duplicates d USING (filename)
                GROUP BY c.filename
                """
            ).df()
        finally:
            con.close()

    report.insert(0, "source", report.pop("filename").map(lambda p: paths[p].label))
    # Files with a header but no rows never reach the counts; keep them in the report at zero.
    empty = [f for f in paths.values() if f.label not in set(report["source"])]
    if empty:
        report = pd.concat([report, pd.DataFrame({"source": [f.label for f in empty], "month": [f.month for f in empty],
                                                  "force": [f.force for f in empty]})], ignore_index=True)
    for col in REPORT_COLUMNS[3:]:
        report[col] = report[col].fillna(0).astype("int64")
    return report.sort_values(["month", "force"], ignore_index=True)[REPORT_COLUMNS]


def _scan_or_explain(con: duckdb.DuckDBPyConnection, sql: str, parameters: list, paths: dict[str, StreetFile]):
    """Run a query over the CSVs; if DuckDB cannot parse a file, say which file and line, and why."""
    try:
        return con.execute(sql, parameters)
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0]
        named = [p for p in paths if p in str(exc)] or list(paths)
        for path in named:
            error = _diagnose_unreadable(path, paths[path].label, reason)
            if error.row is not None or len(named) == 1:
                raise error from exc
        raise InputError("the street-level files", f"could not be read as CSV: {reason}") from exc


def _has_reported_by(path: str) -> bool:
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
        return REPORTED_BY in next(csv.reader(fh), [])


def _check_counted(con: duckdb.DuckDBPyConnection, paths: dict[str, StreetFile]) -> None:
    """Stop on rows that would put records in the wrong period or place, naming file, line and column."""
    bad_month = con.execute("SELECT filename, file_month FROM counted WHERE month IS DISTINCT FROM file_month "
                            "ORDER BY filename LIMIT 1").fetchall()
    if bad_month:
        path, expected = bad_month[0]
        line_no, row = _first_row(path, paths[path].label, lambda r: r.get("Month") != expected)
        value = row.get("Month") or ""
        kind = "malformed month" if not MONTH_VALUE.match(value) else "month outside the file's own month"
        raise InputError(paths[path].label, f"{kind}: found {value!r}, expected {expected!r} "
                         "(every row of a monthly file must carry the file's month, YYYY-MM)",
                         row=line_no, column="Month")
    bad_point = con.execute("SELECT filename FROM counted WHERE bad_points > 0 ORDER BY filename LIMIT 1").fetchall()
    if bad_point:
        path = bad_point[0][0]
        line_no, row = _first_row(path, paths[path].label, lambda r: not _plausible_point(r))
        column = "Longitude" if not _in_range(row.get("Longitude"), LONGITUDE_RANGE) else "Latitude"
        (lon_lo, lon_hi), (lat_lo, lat_hi) = LONGITUDE_RANGE, LATITUDE_RANGE
        raise InputError(paths[path].label, f"coordinate {row.get(column)!r} is not a number within the UK "
                         f"(longitude {lon_lo} to {lon_hi}, latitude {lat_lo} to {lat_hi})",
                         row=line_no, column=column)
    wrong_force = con.execute(
        "SELECT DISTINCT filename, force, coalesce(reported_by, falls_within) AS named FROM counted "
        "WHERE coalesce(reported_by, falls_within) IS NOT NULL ORDER BY filename").fetchall()
    for path, force, named in wrong_force:
        # British Transport Police files give the territorial force in "Falls within": only "Reported by" counts.
        if same_force(force, named) or (force == "btp" and not _has_reported_by(path)):
            continue
        column = REPORTED_BY if _has_reported_by(path) else "Falls within"
        line_no, _ = _first_row(path, paths[path].label, lambda r: r.get(column) == named)
        raise InputError(paths[path].label, f"the file's name says force '{force}' but its records are {column} "
                         f"{named!r}: a copy of another force's file under this name would count its records "
                         "twice. Remove the file, or give it the name data.police.uk gave it", row=line_no,
                         column=column)
    shared = con.execute(
        "SELECT first_file, last_file, any_value(month) AS month, count(*) AS ids FROM grouped "
        "WHERE is_count_row = 0 AND first_file <> last_file GROUP BY first_file, last_file "
        "ORDER BY first_file, last_file LIMIT 1").fetchall()
    if shared:
        first, last, month, ids = shared[0]
        raise InputError(paths[last].label, f"{ids:,} of its Crime IDs for {month} are also in {paths[first].label}: "
                         "the same records under two names would be counted twice. Keep the one data.police.uk "
                         "published and remove the other", column="Crime ID")
    missing_type = con.execute("SELECT filename FROM counted WHERE crime_type IS NULL OR TRIM(crime_type) = '' "
                               "LIMIT 1").fetchall()
    if missing_type:
        path = missing_type[0][0]
        line_no, _ = _first_row(path, paths[path].label, lambda r: not (r.get("Crime type") or "").strip())
        raise InputError(paths[path].label, "a row has no crime type", row=line_no, column="Crime type")

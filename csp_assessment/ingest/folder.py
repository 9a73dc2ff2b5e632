"""Ingest a whole data folder: find every publisher's file, validate it, write the tidy tables.

The folder may hold the project's demo data, a user's downloads dropped in unchanged, or
``../shared/data`` as it is. Files are recognised by the publishers' own names and headers,
wherever they sit below the folder.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import importlib
import json
import os
import pkgutil
import re
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow.parquet as pq

from .. import store
from ..errors import InputError
from ..names import DEMO_MARKER
from ..provenance import sha256_file
from . import boundaries, ons, police_uk, police_uk_outcomes, values

# Bump when the processed tables change shape, so an old store is rebuilt rather than misread.
SCHEMA_VERSION = 6  # 6: outcomes placed by their street record's LSOA
KIND_READERS = 2  # kinds of input read at once: the police files take most of the time, the rest beside them
INGESTIBLE_SUFFIXES = {".csv", ".xls", ".xlsx", ".zip", *boundaries.SUFFIXES}


def _table_loaders() -> dict:
    """Every loader module of this package that makes one table from files of one kind: it defines
    TABLE (the processed table's name), DESCRIPTION (what the table holds), sniff(path) -> bool,
    read(path) -> DataFrame and KEY (the columns identifying a figure: two files giving one KEY must
    agree, see _one_figure_each); optionally FIGURES (the columns they must agree on; default all
    but KEY and provenance) and, for a loader of CSVs, FILE_NAME (a pattern of its files' names: a
    CSV so named that sniff refuses is read anyway, to say what it lacks). A new input needs only
    its module here.
    In module-name order, the order files are offered to each sniff."""
    loaders = {}
    package = __name__.rsplit(".", 1)[0]
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if info.name == "folder":
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        if all(hasattr(module, name) for name in ("TABLE", "DESCRIPTION", "sniff", "read", "KEY")):
            loaders[module.TABLE] = module
    return loaders


# The substance misuse, re-offending and mental health inputs, the partnership's priority scores
# and any other one-table input: processed table -> loader module.
INDICATOR_INPUTS = _table_loaders()


@dataclass
class IngestSummary:
    data_dir: Path
    processed_dir: Path
    reused: bool  # True when the folder had not changed since the last ingest
    demo: bool  # True when every police file comes from the synthetic demo data
    sources: dict = field(default_factory=dict)  # kind -> list of files used
    warnings: list[str] = field(default_factory=list)
    rebuilt: list[str] = field(default_factory=list)  # kinds of input read again (the rest were unchanged)


def _candidate_files(data_dir: Path) -> list[Path]:
    return sorted(
        p for p in data_dir.rglob("*")
        if p.is_file() and p.suffix.lower() in INGESTIBLE_SUFFIXES and not p.name.startswith((".", "~$"))
    )


class ContentHashes:
    """SHA-256 of every input file, remembered with its size and modification time.

    What decides "changed" is content: a file whose size and time are as remembered keeps its
    remembered hash (no re-reading); any other file is hashed again, so a file that was only
    touched (or copied back unchanged) hashes the same and changes nothing. Size and time are
    looked at first: :meth:`prefetch` hashes the files whose size or time changed in background
    threads (hashlib lets go of the GIL), while the ingest recognises and reads the files.
    """

    def __init__(self, remembered: dict | None = None):
        self.remembered = dict(remembered or {})
        self.seen: dict[str, dict] = {}
        self._pending: dict[str, tuple[int, int, Future]] = {}
        self._pool: ThreadPoolExecutor | None = None

    def _known(self, key: str, stat: os.stat_result) -> dict | None:
        for entry in (self.seen.get(key), self.remembered.get(key)):
            if entry and entry["size"] == stat.st_size and entry["mtime_ns"] == stat.st_mtime_ns:
                return entry
        return None

    def prefetch(self, paths: list[Path]) -> None:
        """Start hashing every file of ``paths`` whose size or time is not as remembered."""
        for path in paths:
            stat, key = path.stat(), str(path)
            if self._known(key, stat) is None and key not in self._pending:
                self._pool = self._pool or ThreadPoolExecutor(max_workers=2, thread_name_prefix="hash")
                self._pending[key] = (stat.st_size, stat.st_mtime_ns, self._pool.submit(sha256_file, path))

    def of(self, path: Path) -> str:
        stat = path.stat()
        key = str(path)
        entry = self._known(key, stat)
        if entry is None:
            size, mtime_ns, hashing = self._pending.pop(key, (None, None, None))
            fresh = hashing is not None and (size, mtime_ns) == (stat.st_size, stat.st_mtime_ns)
            entry = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                     "sha256": hashing.result() if fresh else sha256_file(path)}
        self.seen[key] = entry
        return entry["sha256"]

    def __enter__(self) -> "ContentHashes":
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    @property
    def changed(self) -> bool:
        return any(self.remembered.get(key) != entry for key, entry in self.seen.items())


def _fingerprint(files: list[Path], data_dir: Path, hashes: ContentHashes, extra: str = "") -> str:
    """Changes when any input file is added, removed, renamed or changes content (or ``extra`` changes)."""
    digest = hashlib.sha256(f"schema={SCHEMA_VERSION}|{extra}".encode())
    for path in files:
        digest.update(f"{path.relative_to(data_dir)}|{path.stat().st_size}|{hashes.of(path)}\n".encode())
    return digest.hexdigest()


def _demo_roots(data_dir: Path) -> list[Path]:
    return sorted(p.parent for p in data_dir.rglob(DEMO_MARKER))


def _is_under(path: Path, roots: list[Path]) -> bool:
    return any(root == path or root in path.parents for root in roots)


# What every processed table holds: the police and ONS tables, and each one-table loader's own.
TABLE_DESCRIPTIONS = {**store.TABLES, **{table: loader.DESCRIPTION for table, loader in INDICATOR_INPUTS.items()}}

# Which processed tables each kind of input makes: a changed file rebuilds only its kind's tables.
TABLES_BY_KIND = {
    "police_uk": ("police_counts", "police_files", "police_outcomes", "stop_search"),
    "lsoa_ward_lad_lookup": ("lsoa_lookup",),
    "lsoa_bridge": ("lsoa_bridge",),
    "boundaries": ("boundaries",),
    "lad_csp_pfa_lookup": ("area_lookup",),
    "mid_year_estimates": ("population_la",),
    "small_area_population": ("population_lsoa",),
    **{kind: (kind,) for kind in INDICATOR_INPUTS},
}


def ingest_folder(data_dir: Path, processed_dir: Path, *, force: bool = False,
                  months: tuple[str, str] | None = None, skip: tuple[str, ...] = (),
                  prefer: tuple[str, ...] = (), spare_core: Callable[[], object] | None = None) -> IngestSummary:
    """Read every recognised file under ``data_dir`` and write the processed tables.

    ``months`` (first, last as YYYY-MM) limits the police.uk files read to the months a run
    needs; None reads them all. ``skip`` names files to leave out and ``prefer`` the files whose
    figures win where two files give the same figure (params' skip_files and prefer_files: names or
    paths within ``data_dir``, shell patterns allowed). Skipped (``reused=True``) when nothing under
    ``data_dir`` changed since the last ingest into ``processed_dir``, for the same months, and
    ``force`` is False. Otherwise only the kinds of input whose files changed (police files, a
    lookup, population estimates, ...) are read again. ``spare_core`` is called once, when every other
    kind is read: the police files, read longest, may still be (their last step, matching outcomes to
    crimes, uses one core).
    """
    data_dir, processed_dir = Path(data_dir).resolve(), Path(processed_dir)
    if not data_dir.is_dir():
        raise InputError(data_dir, "the data folder does not exist")
    files = _candidate_files(data_dir)
    demo_roots = _demo_roots(data_dir)
    notices: list[str] = []
    if skip:
        left_out = [f for f in files if _named_in(f, data_dir, skip)]
        files = [f for f in files if f not in left_out]
        if left_out:
            names = ", ".join(str(f.relative_to(data_dir)) for f in left_out)
            notices.append(f"Left out as params skip_files says: {names}.")
        notices += [f"params skip_files: {pattern!r} names no file in {data_dir}." for pattern in skip
                    if not any(_named_in(f, data_dir, (pattern,)) for f in left_out)]

    # Demo data sitting beside a user's own downloads must not be mixed into their figures.
    real_police = [f for f in police_uk.discover(data_dir) if not _is_under(f.source, demo_roots)]
    if demo_roots and real_police:
        files = [f for f in files if not _is_under(f, demo_roots)]
        notices.append(f"The synthetic demo data in {', '.join(map(str, demo_roots))} were ignored "
                       "because the data folder also holds real data.police.uk files.")
        demo_roots = []

    notices += publisher_gaps(data_dir, real_police, months)
    # The gaps' sentences are part of what the tables were made from: a new gap ingests again.
    window = (f"months={months[0]}..{months[1]}" if months else "months=all") + "|" + "|".join(notices)
    choice = f"prefer={'|'.join(prefer)}"  # which file wins a conflict changes the indicator tables
    previous = store.read_manifest(processed_dir) or {}
    remembered = previous.get("file_hashes")  # by path: also a file another folder's ingest hashed
    if previous.get("data_dir") != str(data_dir) or previous.get("schema_version") != SCHEMA_VERSION:
        previous = {}  # another folder's or an older layout's tables: nothing to keep
    with ContentHashes(remembered) as hashes:
        if (not force and previous.get("fingerprint")
                and all(store.has_table(processed_dir, t) for t in previous.get("tables", []))):
            fingerprint = _fingerprint(files, data_dir, hashes, f"{window}|{choice}")
            if previous["fingerprint"] == fingerprint:
                if hashes.changed:  # touched files: remember their new times so they are not hashed again
                    store.write_json(processed_dir / store.MANIFEST, {**previous, "file_hashes": hashes.seen})
                return IngestSummary(data_dir, processed_dir, True, previous["demo"], previous["sources"],
                                     previous["warnings"])
        # The tables are made again: the files whose size or time changed are hashed in the
        # background while they are recognised below. A workbook opened to recognise it is read
        # from the same opening.
        hashes.prefetch(files)
        with ons.workbooks_opened_once():
            return _ingest_changed(data_dir, processed_dir, files, demo_roots, notices, window, choice, previous,
                                   hashes, force=force, months=months, prefer=prefer, spare_core=spare_core)


def _ingest_changed(data_dir: Path, processed_dir: Path, files: list[Path], demo_roots: list[Path], notices: list[str],
                    window: str, choice: str, previous: dict, hashes: "ContentHashes", *, force: bool,
                    months: tuple[str, str] | None, prefer: tuple[str, ...],
                    spare_core: Callable[[], object] | None = None) -> IngestSummary:
    """Recognise the files by kind, read the kinds whose files changed and replace the tables."""
    street_files = [f for f in police_uk.discover(data_dir) if f.source in set(files)]
    if not street_files:
        raise InputError(data_dir, "no data.police.uk street-level files found (expected files named "
                                   "YYYY-MM-<force>-street.csv, in monthly folders or in the site's zip archive)")
    if months:
        street_files = [f for f in street_files if months[0] <= f.month <= months[1]]
        if not street_files:
            raise InputError(data_dir, f"no data.police.uk street-level files for {months[0]} to {months[1]}, "
                                       "the months this assessment needs")
    # Outcomes and stop-and-search files are read with the street files (their crimes' types and
    # points come from the street files), so they are one kind of input.
    outcome_files = [p for p in files if police_uk_outcomes.is_police_file(p.name)]
    by_kind: dict[str, list[Path]] = {"police_uk": sorted({f.source for f in street_files} | set(outcome_files))}
    # Which partnership lookup a run uses depends on its period's end (see _partnership_lookup).
    extras = {"police_uk": window, "lad_csp_pfa_lookup": months[1] if months else "",
              **{kind: choice for kind in INDICATOR_INPUTS}}
    # Taken before any file is read, as the manifest says: the files as the ingest found them.
    fingerprint = _fingerprint(files, data_dir, hashes, f"{window}|{choice}")
    kind_prints: dict[str, str] = {}
    old = previous.get("kinds", {})
    sources: dict[str, list[str]] = {}
    warnings_by_kind: dict[str, list[str]] = {}
    rebuilt: list[str] = []
    jobs: dict[str, Future] = {}

    def read_if_changed(kind: str) -> None:
        kind_prints[kind] = _fingerprint(by_kind[kind], data_dir, hashes, extras.get(kind, ""))
        kept = old.get(kind)
        if (not force and kept and kept["fingerprint"] == kind_prints[kind]
                and all(store.has_table(processed_dir, t) for t in TABLES_BY_KIND[kind])):
            sources[kind], warnings_by_kind[kind] = kept["sources"], kept["warnings"]
        else:
            rebuilt.append(kind)
            jobs[kind] = pool.submit(_build_kind, kind, by_kind[kind], staging, months, Preference(data_dir, prefer))

    _clear_leftovers(processed_dir)
    # Every changed kind is read and validated into a staging folder first; the processed tables are
    # replaced only when all of them succeeded, so a refused folder leaves the previous tables as they were.
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=ensure_dir(processed_dir)))
    try:
        # The kinds are read side by side, each writing its own tables. The police files, the
        # largest, start at once, known by their names; the other files are recognised meanwhile
        # (opening a workbook to recognise it takes up to a second). Results are taken in order,
        # so a refused file is the one an ingest in order would have refused first; the others are
        # left unstarted, or finish, before the staging goes.
        with ThreadPoolExecutor(max_workers=KIND_READERS, thread_name_prefix="ingest") as pool:
            try:
                # Workbooks last: opening one to recognise it is what takes the time, so a damaged
                # workbook is named once the police files are read; every other refusal comes first.
                position = {path: number for number, path in enumerate(files)}
                notes: dict[Path, str] = {}
                others: dict[str, list[Path]] = {}
                quick = [path for path in files if path.suffix.lower() not in WORKBOOK_SUFFIXES]
                _require_lookup(_recognise(quick, data_dir, others, notes), others, data_dir)
                read_if_changed("police_uk")
                _recognise([path for path in files if path.suffix.lower() in WORKBOOK_SUFFIXES], data_dir, others,
                           notes)
                # In the folder's order, as when recognised in one pass: a later release of population
                # estimates wins over an earlier one by that order (_build_kind).
                for kind, paths in sorted(others.items(), key=lambda item: min(map(position.get, item[1]))):
                    by_kind[kind] = sorted(paths, key=position.get)
                notices += [notes[path] for path in files if path in notes]
                for kind in by_kind:
                    if kind != "police_uk":
                        read_if_changed(kind)
                if spare_core is not None and jobs:
                    # The police files are read longest (their outcomes matched in one thread at the
                    # end): the caller may use the other core meanwhile.
                    wait([job for kind, job in jobs.items() if kind != "police_uk"])
                    spare_core()
                for kind in rebuilt:
                    sources[kind], warnings_by_kind[kind] = jobs[kind].result()
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise

        tables = sorted(t for kind in by_kind for t in TABLES_BY_KIND[kind])
        demo = bool(demo_roots) and all(_is_under(Path(label.split("!", 1)[0]), demo_roots)
                                        for label in sources["police_uk"])
        warnings = [_within_folder(w, data_dir)
                    for w in notices + [w for kind in by_kind for w in warnings_by_kind[kind]]]
        # Without a manifest the next run reads everything again: so a run stopped half-way through
        # the replacement below never leaves tables that the manifest says are something else.
        (processed_dir / store.MANIFEST).unlink(missing_ok=True)
        for staged in sorted(staging.glob("*.parquet")):
            os.replace(staged, processed_dir / staged.name)
        # Inputs no longer in the folder (or another folder's tables) take their tables with them.
        for table in set(TABLE_DESCRIPTIONS) - set(tables):
            (processed_dir / f"{table}.parquet").unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    store.write_json(processed_dir / store.MANIFEST, {
        "data_dir": str(data_dir), "fingerprint": fingerprint, "schema_version": SCHEMA_VERSION,
        "tables": tables, "sources": sources, "warnings": warnings, "demo": demo, "file_hashes": hashes.seen,
        "kinds": {kind: {"fingerprint": kind_prints[kind], "sources": sources[kind],
                         "warnings": warnings_by_kind[kind]} for kind in by_kind},
    })
    _write_readme(processed_dir, tables)
    return IngestSummary(data_dir, processed_dir, False, demo, sources, warnings, rebuilt)


def _recognise(paths: list[Path], data_dir: Path, by_kind: dict[str, list[Path]],
               notes: dict[Path, str]) -> list[Path]:
    """Add each of ``paths`` but the police files to ``by_kind`` under its kind; a file that is not in
    a layout the ingest reads gets a note. Returns the CSVs not recognised."""
    unrecognised_csvs = []
    for path in paths:
        if path.suffix.lower() == ".zip":
            if boundaries.sniff(path):  # a zipped shapefile; other zips are police.uk archives
                by_kind.setdefault("boundaries", []).append(path)
            continue
        if police_uk.STREET_FILE.match(path.name) or police_uk_outcomes.is_police_file(path.name):
            continue
        if path.suffix.lower() in boundaries.SUFFIXES:
            kind = "boundaries" if boundaries.sniff(path) else None
        else:
            kind = _kind_of(path)
        if kind in PARTNERSHIP_INPUTS:
            _check_inside(path, data_dir)
        if kind:
            by_kind.setdefault(kind, []).append(path)
            continue
        if path.suffix.lower() == ".csv":
            unrecognised_csvs.append(path)
        place = next((KNOWN_PLACES[part] for part in path.relative_to(data_dir).parts[:-1] if part in KNOWN_PLACES),
                     None)
        if place:  # readable, but not in a layout the ingest knows: said, not passed over in silence
            notes[path] = (f"{path.relative_to(data_dir)} sits with the {place} but is not in a layout the pipeline "
                           "reads, so it was not used (remove it, or name it in params skip_files).")
    return unrecognised_csvs


def _require_lookup(unrecognised_csvs: list[Path], by_kind: dict[str, list[Path]], data_dir: Path) -> None:
    """No LSOA -> ward -> local authority lookup (always a CSV) is an error, naming a CSV that nearly is one."""
    if by_kind.get("lsoa_ward_lad_lookup"):
        return
    near = [(path, missing) for path in unrecognised_csvs for missing in [_missing_lookup_columns(path)] if missing]
    if near:
        path, missing = near[0]
        raise InputError(path, f"looks like the ONS LSOA -> ward -> local authority lookup but has no "
                               f"{', '.join(missing)} column: restore the column as ONS publishes it "
                               "(LSOA11CD, LSOA11NM, WD17CD, WD17NM, LAD17CD, LAD17NM, or another vintage)",
                         row=1, column=missing[0])
    raise InputError(data_dir, "no ONS LSOA -> ward -> local authority lookup found (a CSV with columns "
                               "like LSOA11CD, WD17CD, WD17NM, LAD17CD, LAD17NM)")


def _within_folder(warning: str, data_dir: Path) -> str:
    """A warning with its files named from the data folder ("police-uk/2022-11/2022-11-kent-street.csv"):
    the reports print these, and the folder's place on the analyst's machine tells a reader nothing."""
    for folder in dict.fromkeys((str(data_dir), str(Path(data_dir).resolve()))):
        warning = warning.replace(folder.rstrip(os.sep) + os.sep, "")
    return warning


STAGING_PREFIX = ".ingest-staging-"


@contextmanager
def _reading(path: Path):
    """A file that breaks the readers themselves (a truncated workbook makes xlrd fail with an
    IndexError, an empty one with a TypeError) is damaged: say so, naming it, rather than show
    the reader's traceback. The loaders' own InputErrors pass through as they are."""
    try:
        yield
    except InputError:
        raise
    except (csv.Error, UnicodeError) as exc:
        raise InputError(path, f"cannot be read as CSV ({exc}): the file is damaged; download it again") from None
    except Exception as exc:
        if path.suffix.lower() not in {".xls", ".xlsx", ".xlsm"}:
            raise
        raise InputError(path, f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc}): the file is "
                               "truncated or damaged; download it again, or remove it from the data folder") from None


# The partnership's own figures (filled-in templates), printed as they are: read only from inside the
# data folder, like its texts (display/partnership_text.py), never through a link to elsewhere.
PARTNERSHIP_INPUTS = ("partner_returns", "priority_scores")


def _check_inside(path: Path, data_dir: Path) -> None:
    real = path.resolve()
    if not (real == data_dir or data_dir in real.parents):
        raise InputError(path, f"is a link to {real}, outside the data folder {data_dir}: the partnership's own "
                               "files are read only from inside it; copy the file in instead of linking it")


SKIP_HINT = "or leave it out of the run with params skip_files"
# The folders `pipeline.py fetch` puts inputs in (fetch/ons.py, fetch/fingertips.py): what sits there is
# meant to be read.
KNOWN_PLACES = {"mid-year-estimates": "mid-year population estimates", "small-area-population": "small-area population",
                "fingertips": "Fingertips exports"}
WORKBOOK_SUFFIXES = (".xls", ".xlsx", ".xlsm")


def _kind_of(path: Path) -> str | None:
    """Which input ``path`` is (an ONS kind or an indicator input), or None for a file we do not use.

    A file is not passed over in silence when it looks like one of ours: a workbook that cannot be
    opened, and a CSV named like an indicator input or whose header has most of its columns, are
    refused, naming what is wrong (issue 25: a web page saved over a population workbook made the
    run use the year before; a partner return without its value column read as no partner returns).
    """
    if path.stat().st_size == 0:
        raise InputError(path, f"the file is empty (0 bytes): download it again, or remove it from the data "
                               f"folder ({SKIP_HINT})")
    with _reading(path):
        kind = ons.sniff(path) or next((name for name, loader in INDICATOR_INPUTS.items() if loader.sniff(path)), None)
        if kind is None and path.suffix.lower() in WORKBOOK_SUFFIXES:
            _refuse_unreadable_workbook(path)
        return kind or _claimed(path)


def _looks_like_a_web_page(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")) or b"<html" in head


def _refuse_unreadable_workbook(path: Path) -> None:
    """A workbook no loader recognised must at least open: one that does not is a damaged download."""
    if _looks_like_a_web_page(path):
        raise InputError(path, "is a web page (HTML) saved under a workbook's name, not the workbook: the download "
                               f"went wrong (an error or sign-in page); download it again, {SKIP_HINT}")
    try:
        ons._excel_file(path).close()
    except InputError as exc:
        raise InputError(path, f"{exc.detail}: the file is damaged or not the publisher's workbook; download it "
                               f"again, {SKIP_HINT}") from None


def _claimed(path: Path) -> str | None:
    """The indicator input a CSV no loader recognised was meant to be: named like one (the FILE_NAME
    of a loader of CSVs), or with most of its columns (all but a third at most, and at least two).
    Reading it as that input then names what it lacks. None for a CSV that is something else."""
    if path.suffix.lower() != ".csv":
        return None
    header = values.csv_header(path)
    for table, loader in INDICATOR_INPUTS.items():
        if not getattr(loader, "FILE_NAME", None) or path.name.lower() == getattr(loader, "TEMPLATE_NAME", "").lower():
            continue
        if re.search(loader.FILE_NAME, path.name):
            if _looks_like_a_web_page(path):
                raise InputError(path, f"is a web page (HTML), not the data file its name says: download it again, "
                                       f"{SKIP_HINT}")
            return table
        columns = getattr(loader, "COLUMNS", ())
        required = [c for c in columns if c.required]
        missing = ons.resolve_columns(header, columns)[1] if header else required
        if required and 0 < len(missing) <= max(1, len(required) // 3) and len(required) - len(missing) >= 2:
            return table
    return None


def _missing_lookup_columns(path: Path) -> list[str]:
    """The LSOA -> ward -> local authority lookup columns a CSV lacks, when it has most of them
    (a renamed column, say); [] for a CSV that is something else altogether."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        first_line = handle.readline(1 << 16)
    header = [" ".join(cell.split()) for cell in first_line.rstrip("\r\n").split(",")]
    _, missing, _ = ons.resolve_columns(header, ons._LSOA_LOOKUP)
    has_lsoa_code = not any(col.field == "lsoa_code" for col in missing)
    return [col.expected for col in missing] if has_lsoa_code and len(missing) <= 2 else []


def ensure_dir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Written by `pipeline.py fetch` (csp_assessment.fetch.files.MANIFEST_NAME): the files it fetched, and
# the force-months data.police.uk did not publish.
FETCH_MANIFEST = "fetch-manifest.json"


def _month_ranges(months: list[str]) -> str:
    """'Jul 19 to Dec 19, Mar 20' for the months given."""
    periods = sorted(pd.Period(m, "M") for m in months)
    runs: list[list] = []
    for period in periods:
        if runs and period == runs[-1][-1] + 1:
            runs[-1].append(period)
        else:
            runs.append([period])
    label = lambda p: p.strftime("%b %y")  # noqa: E731
    return ", ".join(label(r[0]) if len(r) == 1 else f"{label(r[0])} to {label(r[-1])}" for r in runs)


def publisher_gaps(data_dir: Path, street_files: list, months: tuple[str, str] | None) -> list[str]:
    """A sentence per force naming the months (within ``months``) that `pipeline.py fetch` found
    data.police.uk did not publish and the folder still lacks: for the run log and the data notes."""
    path = Path(data_dir) / FETCH_MANIFEST
    try:
        gaps = (json.loads(path.read_text(encoding="utf-8")).get("gaps") or {}) if path.exists() else {}
    except (OSError, ValueError):
        return []
    held = {(f.force, f.month) for f in street_files}
    by_force: dict[str, list[dict]] = {}
    for gap in gaps.values():
        if not isinstance(gap, dict) or gap.get("kind") != "street" or (gap.get("force"), gap.get("month")) in held:
            continue
        if months and not months[0] <= str(gap.get("month")) <= months[1]:
            continue
        by_force.setdefault(str(gap["force"]), []).append(gap)
    sentences = []
    for force, found in sorted(by_force.items()):
        reasons = sorted({g.get("reason") for g in found if g.get("reason")})
        sentences.append(
            f"data.police.uk published no street-level crime file for {force} for "
            f"{_month_ranges([g['month'] for g in found])} (found missing by python pipeline.py fetch"
            + (f": {reasons[0]}" if reasons else "") + "). Those months are missing from every figure, not "
            "counted as zero: any total, trend or rate that includes them says so.")
    return sentences


def _clear_leftovers(processed_dir: Path) -> None:
    """Remove what a killed ingest left: staging folders and temporary files (the run holds the
    processed folder's lock, so none of them belongs to a live run)."""
    if not processed_dir.is_dir():
        return
    for leftover in processed_dir.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in processed_dir.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)


def _named_in(path: Path, data_dir: Path, patterns: tuple[str, ...]) -> bool:
    """True when one of ``patterns`` (params' skip_files or prefer_files) names ``path``: its name,
    or its path within ``data_dir``, shell patterns allowed."""
    relative = path.relative_to(data_dir).as_posix()
    return any(fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(path.name, pattern)
               for pattern in patterns)


@dataclass(frozen=True)
class Preference:
    """Which files win where two files give the same figure (params' prefer_files)."""

    data_dir: Path
    patterns: tuple[str, ...] = ()

    def prefers(self, path: Path) -> bool:
        return _named_in(path, self.data_dir, self.patterns)


def _one_figure_each(kind: str, loader, paths: list[Path], preference: Preference) -> tuple[pd.DataFrame, list[str]]:
    """The loader's tables of ``paths`` together, each figure (row of the loader's KEY) from one file.

    Two files giving the same figure with the same values (one export downloaded twice, two
    Fingertips profiles sharing an indicator) give it once. With different values the run stops
    naming both files, unless params' prefer_files names one of them: then its figures win and the
    data notes say which were set aside. Never the order of the file names (issue 25).
    """
    tables = [_read(loader.read, p).assign(_file=n) for n, p in enumerate(paths)]
    table = pd.concat(tables, ignore_index=True)
    key = list(loader.KEY)
    shared = table.duplicated(key, keep=False)
    if not shared.any():
        return table.drop(columns="_file"), []
    shared_rows = table[shared]
    files_per_key = shared_rows.groupby(key, dropna=False)["_file"].transform("nunique")
    across = shared_rows[files_per_key > 1]  # the same figure in two files (repeats within a file are the loader's)
    if across.empty:
        return table.drop(columns="_file"), []
    figures = [c for c in getattr(loader, "FIGURES", ()) if c in table.columns] or \
              [c for c in table.columns if c not in (*key, "_file", "source_file", "row", "line")]
    # Each row's figures as one text, so that two missing values agree (vectorised: files may share many rows).
    as_text = across[figures[0]].astype("string").fillna("<missing>")
    for column in figures[1:]:
        as_text = as_text + "|" + across[column].astype("string").fillna("<missing>")
    differing = as_text.groupby([across[c] for c in key], dropna=False).transform("nunique") > 1
    warnings = []
    alike = across[~differing]
    drop = alike.index.difference(alike.drop_duplicates(key).index)
    if len(drop):
        names = sorted({paths[n].name for n in alike["_file"]})
        warnings.append(f"{' and '.join(names)} give {len(drop):,} of the same figures, with the same values; each was "
                        "counted once.")
    conflicts = across[differing]
    if len(conflicts):
        preferred = conflicts["_file"].map(lambda n: preference.prefers(paths[n]))
        by_key = preferred.groupby([conflicts[c] for c in key], dropna=False)
        settled = by_key.transform("sum") == 1
        if not settled.all():
            first = conflicts[~settled].iloc[0]
            rows = conflicts[(conflicts[key] == first[key]).all(axis=1)]
            files = [paths[n] for n in rows["_file"]]
            column = next(c for c in figures if rows[c].astype("string").fillna("<missing>").nunique() > 1)
            what = ", ".join(f"{c.replace('_', ' ')} {first[c]}" for c in key)
            values = " and ".join(_shown(v) for v in rows[column])
            raise InputError(files[-1], f"gives the figure for {what}, as does {files[0]}, differently "
                                        f"({column.replace('_', ' ')} {values}): keep one of the files, or name the "
                                        "one to use in params prefer_files",
                             row=_row(rows.iloc[-1]))
        set_aside = conflicts[~preferred]
        drop = drop.union(set_aside.index)
        for n, rows in set_aside.groupby("_file"):
            winners = sorted({paths[m].name for m in conflicts.loc[preferred, "_file"]})
            warnings.append(f"{len(rows):,} figure(s) of {paths[n].name} differ from {', '.join(winners)}; "
                            f"params prefer_files names {', '.join(winners)}, so its figures were used.")
    return table.drop(index=drop).drop(columns="_file").reset_index(drop=True), warnings


def _shown(value) -> str:
    return "missing" if pd.isna(value) else f"{value:.10g}" if isinstance(value, (int, float)) else str(value)


def _row(record: pd.Series) -> int | None:
    return int(record["row"]) if "row" in record and pd.notna(record["row"]) else None


def _build_kind(kind: str, paths: list[Path], processed_dir: Path, months: tuple[str, str] | None,
                preference: Preference) -> tuple[list[str], list[str]]:
    """Read one kind of input and write its tables; returns (sources used, warnings)."""
    warnings: list[str] = []
    if kind == "police_uk":
        street_files = [f for path in paths for f in police_uk.discover_file(path)
                        if not months or months[0] <= f.month <= months[1]]
        distinct, copies = police_uk.set_aside_identical(street_files)
        warnings += [f"{copy.label} is byte-for-byte the same file as {used.label}; its records were counted once."
                     for copy, used in copies]
        kept, skipped = police_uk.choose_one_per_month(distinct)
        warnings += [f"{dup.label} repeats {dup.force} {dup.month}; only {used.label} was counted."
                     for dup, used in skipped]
        # The counts table can hold millions of rows at national scale: DuckDB writes it directly, in
        # threads of its own, while the outcomes and stop-and-search files are read here.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="street-counts") as pool:
            counting = pool.submit(police_uk.write_street_counts, kept, processed_dir / "police_counts.parquet")
            try:
                outcomes, searches, _, more = police_uk_outcomes.build_tables(paths, months)
            finally:
                file_report = counting.result()  # the street files' own errors first, as when read in turn
        store.write_table(processed_dir, "police_files", file_report)
        store.write_table(processed_dir, "police_outcomes", outcomes)
        store.write_table(processed_dir, "stop_search", searches)
        return [f.label for f in kept], warnings + police_uk.quality_warnings(file_report) + more

    if kind == "lsoa_ward_lad_lookup":
        # Every lookup is kept with its vintages: police files coded in LSOA 2011 and in LSOA 2021
        # are each placed through a lookup of their own vintage (geography.py chooses).
        table, warnings = _lookups_of_every_vintage(paths)
        store.write_table(processed_dir, "lsoa_lookup", table)
        return [str(p) for p in paths], warnings

    if kind == "lsoa_bridge":
        if len(paths) > 1:
            warnings.append(f"Several LSOA 2011 to 2021 lookups found; used {paths[-1].name}, ignored "
                            f"{', '.join(p.name for p in paths[:-1])}.")
        store.write_table(processed_dir, "lsoa_bridge", ons.read_lsoa_bridge(paths[-1]))
        return [str(paths[-1])], warnings

    if kind == "boundaries":
        store.write_table(processed_dir, "boundaries", boundaries.read_all(paths))
        return [str(p) for p in paths], warnings

    if kind == "lad_csp_pfa_lookup":
        used, table, others = _partnership_lookup(paths, months[1] if months else None)
        if others:
            warnings.append(f"Several local authority -> CSP -> police force lookups found; used {used.name} "
                            f"(authorities as at December {table.attrs['lad_vintage']}, for a period ending "
                            f"{months[1] if months else 'at any time'}), not {', '.join(p.name for p in others)}.")
        table.attrs = {}
        store.write_table(processed_dir, TABLES_BY_KIND[kind][0], table)
        return [str(used)], warnings

    if kind == "mid_year_estimates":
        order = {p.name: i for i, p in enumerate(paths)}
        # Later releases revise earlier years: keep each area-year from the newest release.
        table = (pd.concat([_read(ons.read_mid_year_estimates, p) for p in paths], ignore_index=True)
                 .assign(_order=lambda d: d["source_file"].map(order))
                 .sort_values(["area_code", "mid_year", "_order"])
                 .drop_duplicates(["area_code", "mid_year"], keep="last")
                 .drop(columns="_order").reset_index(drop=True))
    elif kind == "small_area_population":
        table = pd.concat([_read(ons.read_small_area_population, p) for p in paths], ignore_index=True)
    else:
        table, warnings = _one_figure_each(kind, INDICATOR_INPUTS[kind], paths, preference)
    store.write_table(processed_dir, TABLES_BY_KIND[kind][0], table)
    return [str(p) for p in paths], warnings


def _partnership_lookup(paths: list[Path], last_month: str | None) -> tuple[Path, pd.DataFrame, list[Path]]:
    """Of several local authority -> CSP -> police force lookups, the one a run ending in
    ``last_month`` uses: the first whose December is not before that month (the partnerships as
    they stood when the period ended), else the newest; by the vintage in the columns (LAD24CD),
    never the file name. Authorities created or replaced since resolve either way
    (csp_assessment/successions.py). Returns (path, table, the paths not used)."""
    tables = sorted(((_read(ons.read_lad_csp_pfa_lookup, p), p) for p in paths),
                    key=lambda tp: (tp[0].attrs["lad_vintage"], tp[1].name))
    chosen = next(((t, p) for t, p in tables if last_month and f"{t.attrs['lad_vintage']}-12" >= last_month),
                  tables[-1])
    return chosen[1], chosen[0], [p for _, p in tables if p != chosen[1]]


def _lookups_of_every_vintage(paths: list[Path]) -> tuple[pd.DataFrame, list[str]]:
    """All LSOA -> ward -> local authority lookups in one table, each row with its lookup's
    vintages (lsoa_vintage, ward_vintage, lad_vintage) and file name.

    Two lookups of the same vintages would make counts depend on which is used, so only one is
    kept: the one whose file name sorts last (never the folder path), and a warning says so.
    """
    warnings: list[str] = []
    by_vintage: dict[tuple[str, str, str], tuple[Path, pd.DataFrame]] = {}
    for path in sorted(paths, key=lambda p: (p.name, str(p))):
        lookup = _read(ons.read_lsoa_ward_lad_lookup, path)
        vintage = (lookup.attrs["lsoa_vintage"], lookup.attrs["ward_vintage"], lookup.attrs["lad_vintage"])
        if vintage in by_vintage:
            warnings.append(f"Two LSOA {vintage[0]} to ward {vintage[1]} lookups found; used {path.name}, ignored "
                            f"{by_vintage[vintage][0].name}.")
        by_vintage[vintage] = (path, lookup)
    tables = [lookup.assign(lsoa_vintage=v[0], ward_vintage=v[1], lad_vintage=v[2], source_file=path.name)
              for v, (path, lookup) in sorted(by_vintage.items())]
    table = pd.concat(tables, ignore_index=True)
    table.attrs = {}
    return table, warnings


def _read(reader, path: Path) -> pd.DataFrame:
    with _reading(path):
        return reader(path)


def _write_readme(processed_dir: Path, tables: list[str]) -> None:
    lines = ["# Processed tables", "", "Written by the ingest step from the files in the data folder "
             "(see ingest.json for which). Do not edit: rerun the pipeline.", ""]
    for name in tables:
        meta = pq.read_metadata(processed_dir / f"{name}.parquet")  # rows and columns without loading the table
        lines.append(f"- `{name}.parquet` ({meta.num_rows:,} rows): {TABLE_DESCRIPTIONS[name]}. "
                     f"Columns: {', '.join(meta.schema.names)}.")
    store.write_text(processed_dir / "README.md", "\n".join(lines) + "\n")


def prepare_data(config, *, force: bool = False, spare_core: Callable[[], object] | None = None) -> IngestSummary:
    """Make sure the processed tables reflect ``config.data_dir``, reading only the months the run
    uses (its trend window, which holds the comparison period too). The caller holds the processed
    folder's run lock (runlock.py); the demo data, on a fresh clone, are made before (inputs.py)."""
    _clear_leftovers(Path(config.processed_dir))
    return ingest_folder(config.data_dir, config.processed_dir, force=force,
                         months=(str(config.trend[0].start), str(config.period.end)),
                         skip=config.skip_files, prefer=config.prefer_files, spare_core=spare_core)


def tables_of_run(config, fingerprint: str) -> IngestSummary:
    """The processed tables a pipeline run ingested, as they are (a notebook in a run reads them and
    never the data folder): refused if they are not the ones the run ingested."""
    manifest = store.read_manifest(config.processed_dir) or {}
    if manifest.get("fingerprint") != fingerprint or manifest.get("data_dir") != str(Path(config.data_dir).resolve()):
        raise InputError(config.processed_dir, "these processed tables are not the ones this run ingested from "
                                               f"{config.data_dir} (they were changed while it ran): run again")
    return IngestSummary(Path(manifest["data_dir"]), Path(config.processed_dir), True, manifest["demo"],
                         manifest["sources"], manifest["warnings"])

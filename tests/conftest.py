"""Shared fixtures: where the real public files are, and small street-level files made in tests."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def child_outliving_killed_parent(tmp_path: Path, script: str, seconds: float) -> int | None:
    """Run ``script`` (which prints the pid of a child process it started, then sleeps), kill it
    with SIGKILL, and wait up to ``seconds`` for the child to end too: the child's pid if it is
    still alive then (it is killed, so no test leaves it behind), None if it ended."""
    path = tmp_path / "run.py"
    path.write_text(script)
    parent = subprocess.Popen([sys.executable, str(path)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    child = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return None
        time.sleep(0.2)
    os.kill(child, signal.SIGKILL)
    return child


# The modules that take longest (whole runs of the pipeline), longest first, as measured with
# `--durations`. pytest-xdist hands each module to one worker in collection order (pyproject.toml
# turns its own reordering off), so the long ones start first and the many quick modules fill in
# at the end: the workers finish together instead of one waiting on a long module started last.
LONGEST_FIRST = ("test_pipeline_e2e", "test_trust", "test_trust_part3", "test_run", "test_dask_areas", "test_trust_runs",
                 "test_violence_domestic_abuse", "test_fetch", "test_ingest_folder", "test_trust_inputs",
                 "test_police_outcomes", "test_demo", "test_indicator_sections", "test_demo_formats",
                 "test_mixed_vintages", "test_sections")


def pytest_collection_modifyitems(items):
    """A test on the generated demo data set is slow: generating and ingesting it takes about a
    minute per session, on top of the test's own work. `pytest -m "not slow"` leaves such tests out."""
    for item in items:
        if "demo_files" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))  # stable: tests keep their order in a module


SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
STREET_HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                 "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory) -> tuple[Path, list[Path]]:
    """The synthetic demo data, generated once for the whole test session: (folder, the files
    generate_demo says it wrote)."""
    from csp_assessment.demo import generate_demo

    folder = tmp_path_factory.mktemp("demo") / "raw"
    return folder, generate_demo(folder)


@pytest.fixture(scope="session")
def demo_dir(demo_files) -> Path:
    """The synthetic demo data, generated once for the whole test session. Tests may touch file
    times or move a file and put it back, but must not change any file's contents."""
    return demo_files[0]


@pytest.fixture(scope="session")
def demo_tables_once(demo_dir, tmp_path_factory) -> Path:
    """The processed tables of the 2017 demo run (its months), ingested once for the whole session."""
    from csp_assessment.config import load_config
    from csp_assessment.ingest.folder import prepare_data

    folder = tmp_path_factory.mktemp("demo-tables") / "processed"
    prepare_data(load_config(2017, data_dir=demo_dir, processed_dir=folder))
    return folder


@pytest.fixture
def demo_processed(demo_tables_once, tmp_path) -> Path:
    """A fresh copy of the 2017 demo run's processed tables in ``tmp_path / "processed"``: a run of
    the 2017 demo assessment into it reuses them instead of reading the demo data again (the ingest
    itself is tested in test_ingest_*). The test may change the copy as it likes."""
    import shutil

    target = tmp_path / "processed"
    shutil.copytree(demo_tables_once, target)
    return target


def _partnerships_own(relative: Path) -> bool:
    """The partnership's texts and filled-in templates: read only from inside the data folder, never
    through a link (display/partnership_text.py, ingest/folder.py)."""
    return "narrative" in relative.parts or relative.name.startswith(("partner-returns", "priority-scores"))


def linked_copy(source: Path, target: Path, leave_out=()) -> Path:
    """The folder ``source`` as symbolic links in ``target`` (files with one of ``leave_out`` among
    their path's parts left out), so a test can change one file without touching the rest. The
    partnership's own small files are copied: a run refuses them as links to outside its data folder."""
    import shutil

    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if path.is_file() and not set(relative.parts) & set(leave_out):
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            if _partnerships_own(relative):
                shutil.copy2(path, target / relative)
            else:
                (target / relative).symlink_to(path)
    return target


def _adopt_tables(tables: Path, processed: Path, source: Path, data_dir: Path) -> Path:
    """Copy ``tables`` (ingested from ``source``) to ``processed`` as if ingested from ``data_dir``:
    the manifest's paths are rewritten, so an ingest of ``data_dir`` (the demo files linked, a few
    changed) keeps the kinds of input whose files are unchanged and reads the changed ones again,
    as it would for a folder it had ingested before."""
    import json
    import shutil

    from csp_assessment import store

    old, new = str(source.resolve()), str(data_dir.resolve())

    def moved(value):
        if isinstance(value, str):
            return new + value[len(old):] if value == old or value.startswith(old + os.sep) else value
        if isinstance(value, list):
            return [moved(v) for v in value]
        if isinstance(value, dict):
            return {moved(k): moved(v) for k, v in value.items()}
        return value

    shutil.copytree(tables, processed)
    manifest = processed / store.MANIFEST
    manifest.write_text(json.dumps(moved(json.loads(manifest.read_text()))))
    return processed


@pytest.fixture
def demo_variant(demo_dir, demo_tables_once, tmp_path):
    """``demo_variant(leave_out=(), folder=None, processed=None)`` -> (data folder, processed folder):
    the demo data as symbolic links in ``folder`` (default ``tmp_path / "raw"``), leaving out every
    file with one of ``leave_out`` among its path's parts, and the session's 2017 tables adopted for
    it in ``processed`` (default ``tmp_path / "processed"``). The test changes files as it likes
    (replace a link, don't write through it); a 2017 run there reads again only what changed."""
    def make(leave_out=(), folder: Path | None = None, processed: Path | None = None) -> tuple[Path, Path]:
        folder = linked_copy(demo_dir, folder or tmp_path / "raw", leave_out)
        return folder, _adopt_tables(demo_tables_once, processed or tmp_path / "processed", demo_dir, folder)

    return make


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED_DATA / "police-uk").is_dir():
        pytest.skip(f"the real public files are not at {SHARED_DATA} (they sit beside the clone in CI)")
    return SHARED_DATA


def write_street_file(path: Path, month: str, rows: list[tuple], force: str = "Kent Police") -> Path:
    """rows: (crime_id, lsoa_code, crime_type); month and force filled in as data.police.uk does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(STREET_HEADER)
        for crime_id, lsoa, crime_type in rows:
            located = bool(lsoa)
            writer.writerow([crime_id, month, force, force, "0.5" if located else "", "51.3" if located else "",
                             "On or near High Street" if located else "No Location", lsoa,
                             f"{lsoa} name" if located else "", crime_type, "" if not crime_id else "Under investigation", ""])
    return path


# The real files a Medway assessment of January to March 2022 reads (issue 12's repro folder).
REAL_MONTHS = ("2022-01", "2022-02", "2022-03")
REAL_POPULATION = "ukpopestimatesmid2020on2021geography.xls"


@pytest.fixture
def real_folder(shared_data, tmp_path) -> Path:
    """A fresh copy of three Kent street files, the ONS lookups and a mid-year estimates workbook
    from ../shared/data, in a temporary folder that a test may change as it likes."""
    import shutil

    folder = tmp_path / "raw"
    for month in REAL_MONTHS:
        name = f"{month}/{month}-kent-street.csv"
        (folder / "police-uk" / month).mkdir(parents=True)
        shutil.copy(shared_data / "police-uk" / name, folder / "police-uk" / name)
    (folder / "ons" / "mid-year-estimates").mkdir(parents=True)
    for name in ("lsoa11-ward17-lad17-lookup.csv", "lad17-csp17-pfa17-lookup.csv"):
        shutil.copy(shared_data / "ons" / name, folder / "ons" / name)
    shutil.copy(shared_data / "ons" / "mid-year-estimates" / REAL_POPULATION,
                folder / "ons" / "mid-year-estimates" / REAL_POPULATION)
    return folder


def count_street_rows(*paths: Path, **where) -> int:
    """Rows of data.police.uk files counted with the csv module alone (independent of the ingest);
    ``where`` filters on columns, e.g. count_street_rows(path, **{"Crime type": "Drugs"})."""
    total = 0
    for path in paths:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            total += sum(1 for row in csv.DictReader(fh) if all(row[k] == v for k, v in where.items()))
    return total

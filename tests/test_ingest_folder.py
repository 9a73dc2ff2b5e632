"""Ingesting a whole data folder: a changed raw file re-ingests only what it affects."""

import os

from conftest import linked_copy
from csp_assessment import store
from csp_assessment.config import load_config
from csp_assessment.ingest.folder import ingest_folder, prepare_data


# The months of the 2017 demo assessment: fewer police files to read than the whole demo's five years.
YEAR = ("2016-04", "2017-03")


def _mtimes(processed):
    return {p.name: p.stat().st_mtime_ns for p in processed.glob("*.parquet")}


def _table_bytes(processed):
    return {p.name: p.read_bytes() for p in processed.glob("*.parquet")}


def test_changed_file_reingests_only_its_kind_and_touching_changes_nothing(demo_dir, tmp_path):
    data = linked_copy(demo_dir, tmp_path / "raw")
    processed = tmp_path / "processed"
    first = ingest_folder(data, processed, months=YEAR)
    assert not first.reused and first.demo
    assert set(first.rebuilt) >= {"police_uk", "lsoa_ward_lad_lookup", "mid_year_estimates", "fingertips"}
    before = _mtimes(processed)

    assert ingest_folder(data, processed, months=YEAR).reused  # nothing changed: nothing read

    # A file touched but unchanged is not a change: content (size and hash) decides.
    census = data / "ons" / "census2011-lsoa-population.csv"
    os.utime(census.resolve(), ns=(census.stat().st_atime_ns, census.stat().st_mtime_ns + 10**9))
    assert ingest_folder(data, processed, months=YEAR).reused
    assert _mtimes(processed) == before

    text = census.read_text(encoding="utf-8")
    census.unlink()
    census.write_text(text.rstrip("\n") + "\n\n", encoding="utf-8")  # same table, other bytes
    second = ingest_folder(data, processed, months=YEAR)
    assert second.rebuilt == ["small_area_population"]
    after = _mtimes(processed)
    assert after["population_lsoa.parquet"] != before["population_lsoa.parquet"]
    assert {k: v for k, v in after.items() if k != "population_lsoa.parquet"} == \
        {k: v for k, v in before.items() if k != "population_lsoa.parquet"}
    assert second.sources == first.sources and second.demo

    tables = _table_bytes(processed)
    forced = ingest_folder(data, processed, force=True, months=YEAR)
    assert not forced.reused and set(forced.rebuilt) == set(first.rebuilt)
    # every table read again from nothing: the same inputs give byte-identical tables
    assert _table_bytes(processed) == tables


def test_removed_input_takes_its_table_with_it(demo_dir, demo_variant):
    fingertips = sorted(p.name for p in demo_dir.rglob("*") if "fingertips" in p.name.lower() and p.is_file())
    assert fingertips, "the demo data should hold a Fingertips export"
    data, processed = demo_variant(leave_out=fingertips)
    assert store.has_table(processed, "fingertips")  # the session's tables, with the Fingertips files
    summary = prepare_data(load_config(2017, data_dir=data, processed_dir=processed))  # as the 2017 run does
    assert summary.rebuilt == []  # nothing else read again
    assert "fingertips" not in summary.sources and not store.has_table(processed, "fingertips")


def test_only_the_months_a_run_needs_are_read(demo_variant):
    data, processed = demo_variant()  # the session's tables: the 2017 run's five-year trend, 60 months
    assert store.read_table(processed, "police_files")["month"].nunique() == 60
    year = ingest_folder(data, processed, months=YEAR)  # another window: only the police files are read again
    assert year.rebuilt == ["police_uk"] and len(year.sources["police_uk"]) == 12
    files = store.read_table(processed, "police_files")
    assert sorted(files["month"]) == [f"2016-{m:02d}" for m in range(4, 13)] + ["2017-01", "2017-02", "2017-03"]


def test_police_files_are_read_while_workbooks_are_recognised_and_the_spare_core_is_offered_once(
        demo_dir, tmp_path, monkeypatch):
    # Opening a workbook to recognise it takes up to a second: the police files, known by their
    # names and the longest to read, start first. When every other kind is read (the police files
    # may still be), the caller is told once (a run warms its PDF printer then), never on an ingest
    # that reads nothing.
    import threading
    import time

    from csp_assessment.ingest import folder, ons

    data = linked_copy(demo_dir, tmp_path / "raw")
    events, lock = [], threading.Lock()

    def note(what):
        with lock:
            events.append((what, time.perf_counter()))

    build_kind, sniff = folder._build_kind, ons.sniff

    def timed_build(kind, *args, **kwargs):
        note(f"start {kind}")
        try:
            return build_kind(kind, *args, **kwargs)
        finally:
            note(f"end {kind}")

    def noted_sniff(path):
        if path.suffix.lower() in folder.WORKBOOK_SUFFIXES:
            note(f"recognise {path.name}")
        return sniff(path)

    monkeypatch.setattr(folder, "_build_kind", timed_build)
    monkeypatch.setattr(ons, "sniff", noted_sniff)
    first = ingest_folder(data, tmp_path / "processed", months=YEAR, spare_core=lambda: note("spare core"))
    order = [what for what, _ in sorted(events, key=lambda event: event[1])]
    workbooks = [i for i, what in enumerate(order) if what.startswith("recognise ")]
    assert workbooks, "the demo data should hold ONS workbooks"
    assert order.index("start police_uk") < workbooks[0]
    assert order.count("spare core") == 1
    others_ended = [i for i, what in enumerate(order) if what.startswith("end ") and what != "end police_uk"]
    assert max(others_ended) < order.index("spare core")
    assert set(first.rebuilt) >= {"police_uk", "mid_year_estimates"}

    events.clear()
    assert ingest_folder(data, tmp_path / "processed", months=YEAR, spare_core=lambda: note("spare core")).reused
    assert events == []

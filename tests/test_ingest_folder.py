"""Ingesting a whole data folder: a changed raw file re-ingests only what it affects."""

import os

from conftest import linked_copy
from csp_assessment import store
from csp_assessment.ingest.folder import ingest_folder


def _mtimes(processed):
    return {p.name: p.stat().st_mtime_ns for p in processed.glob("*.parquet")}


def test_changed_file_reingests_only_its_kind_and_touching_changes_nothing(demo_dir, tmp_path):
    data = linked_copy(demo_dir, tmp_path / "raw")
    processed = tmp_path / "processed"
    first = ingest_folder(data, processed)
    assert not first.reused and first.demo
    assert set(first.rebuilt) >= {"police_uk", "lsoa_ward_lad_lookup", "mid_year_estimates", "fingertips"}
    before = _mtimes(processed)

    assert ingest_folder(data, processed).reused  # nothing changed: nothing read

    # A file touched but unchanged is not a change: content (size and hash) decides.
    census = data / "ons" / "census2011-lsoa-population.csv"
    os.utime(census.resolve(), ns=(census.stat().st_atime_ns, census.stat().st_mtime_ns + 10**9))
    assert ingest_folder(data, processed).reused
    assert _mtimes(processed) == before

    text = census.read_text(encoding="utf-8")
    census.unlink()
    census.write_text(text.rstrip("\n") + "\n\n", encoding="utf-8")  # same table, other bytes
    second = ingest_folder(data, processed)
    assert second.rebuilt == ["small_area_population"]
    after = _mtimes(processed)
    assert after["population_lsoa.parquet"] != before["population_lsoa.parquet"]
    assert {k: v for k, v in after.items() if k != "population_lsoa.parquet"} == \
        {k: v for k, v in before.items() if k != "population_lsoa.parquet"}
    assert second.sources == first.sources and second.demo

    forced = ingest_folder(data, processed, force=True)
    assert not forced.reused and set(forced.rebuilt) == set(first.rebuilt)


def test_removed_input_takes_its_table_with_it(demo_dir, tmp_path):
    ingest_folder(demo_dir, tmp_path)
    fingertips = sorted(p for p in demo_dir.rglob("*") if "fingertips" in p.name.lower() and p.is_file())
    assert fingertips, "the demo data should hold a Fingertips export"
    moved = [p.rename(tmp_path / p.name) for p in fingertips]
    try:
        summary = ingest_folder(demo_dir, tmp_path)
        assert "fingertips" not in summary.sources and not store.has_table(tmp_path, "fingertips")
    finally:
        for original, now in zip(fingertips, moved):
            now.rename(original)


def test_only_the_months_a_run_needs_are_read(demo_dir, tmp_path):
    year = ingest_folder(demo_dir, tmp_path, months=("2016-04", "2017-03"))
    files = store.read_table(tmp_path, "police_files")
    assert sorted(files["month"]) == [f"2016-{m:02d}" for m in range(4, 13)] + ["2017-01", "2017-02", "2017-03"]
    assert len(year.sources["police_uk"]) == 12
    everything = ingest_folder(demo_dir, tmp_path)  # another window: only the police files are read again
    assert everything.rebuilt == ["police_uk"] and len(everything.sources["police_uk"]) == 60

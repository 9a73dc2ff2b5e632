"""Sections and areas on Dask: --area read as codes, force, region or all; a run of two areas on a
two-worker cluster started here gives the same figures and files as local runs; incremental reruns,
a failed area reported while the other finishes, and embedded workers that end with their run."""

import json
import os
import textwrap
import types

import pandas as pd
import pytest

from conftest import child_outliving_killed_parent
from csp_assessment import areas
from csp_assessment.errors import ConfigError
from csp_assessment.run import AreaResult, AreasFailed, AreasProgress, Progress, _duration, main_many
from csp_assessment.sections import SECTIONS

# A lookup written by hand: two Kent partnerships, one Sussex, one Gwent, one of West Midlands Police.
LOOKUP = pd.DataFrame({
    "lad_code": ["E06000035", "E07000107", "E07000109", "E06000043", "W06000021", "E08000025"],
    "lad_name": ["Medway", "Dartford", "Gravesham", "Brighton and Hove", "Monmouthshire", "Birmingham"],
    "csp_code": ["E22000137", "E22000352", "E22000352", "E22000200", "W22000001", "E22000300"],
    "csp_name": ["Medway", "Dartford and Gravesham", "Dartford and Gravesham", "Brighton and Hove",
                 "Monmouthshire", "Birmingham"],
    "pfa_code": ["E23000032", "E23000032", "E23000032", "E23000033", "W15000002", "E23000014"],
    "pfa_name": ["Kent", "Kent", "Kent", "Sussex", "Gwent", "West Midlands"],
})


@pytest.fixture
def lookup_only(monkeypatch):
    """select_areas reading LOOKUP, with police records for Medway, Dartford and Gravesham, and Birmingham."""
    monkeypatch.setattr(areas, "store", types.SimpleNamespace(has_table=lambda folder, name: True,
                                                              read_table=lambda folder, name: LOOKUP))
    monkeypatch.setattr(areas, "partnerships_with_police_data",
                        lambda folder, lookup: {"E22000137", "E22000352", "E22000300"})


def test_regions_hold_the_43_police_force_areas_once_each():
    forces = [force for _, members in areas.REGIONS.values() for force in members]
    assert len(forces) == 43 and len(set(forces)) == 43
    assert areas.region_of("south east") == areas.region_of("South East England") == "E12000008"
    assert areas.region_of("w92000004") == "W92000004" and areas.region_of("Kent") is None


def test_area_names_codes_regions_and_all(lookup_only):
    assert areas.select_areas(["E06000035"], "x").codes == ["E06000035"]  # a code is taken as given
    assert areas.select_areas(["Kent Police"], "x").codes == ["E22000137", "E22000352"]
    assert areas.select_areas(["South East"], "x").codes == ["E22000137", "E22000352"]
    sussex_skipped = [("E22000200", "Brighton and Hove")]
    assert areas.select_areas(["E12000008"], "x").skipped == sussex_skipped
    everything = areas.select_areas(["all"], "x")
    assert everything.codes == ["E22000137", "E22000300", "E22000352"]
    assert everything.skipped == [("E22000200", "Brighton and Hove"), ("W22000001", "Monmouthshire")]
    # "West Midlands" is the region; with "Police" it is the force (here the same partnership)
    assert areas.select_areas(["West Midlands Police"], "x").codes == ["E22000300"]
    # a code and a force naming the same partnership run it once
    assert areas.select_areas(["E22000352", "kent"], "x").codes == ["E22000352", "E22000137"]
    with pytest.raises(ConfigError, match="police records for none"):
        areas.select_areas(["Wales"], "x")
    with pytest.raises(ConfigError, match="none of its police force areas"):
        areas.select_areas(["London"], "x")
    with pytest.raises(ConfigError, match="not an ONS region code; regions: E12000001 North East"):
        areas.select_areas(["E12000010"], "x")


def test_progress_says_areas_done_of_total_with_elapsed_and_remaining():
    progress = Progress(stream=open(os.devnull, "w"))
    tracker = AreasProgress(4, progress)
    tracker.started -= 30  # the first area took 30 s: three more at that pace
    tracker.finished(AreaResult("E22000137", "Medway"))
    tracker.finished(AreaResult("E22000352", failed="section 'asb' failed in cell 3: KeyError"))
    assert "areas    1/4 done — 30s elapsed, about 1m30s remaining — E22000137 Medway" in progress.lines[0]
    assert "2/4 done (1 failed)" in progress.lines[1] and "FAILED E22000352: section 'asb'" in progress.lines[1]
    assert (_duration(59.4), _duration(61), _duration(3725)) == ("59s", "1m01s", "1h02m")


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _findings(folder):
    return {p.name: json.loads(p.read_text()) for p in sorted((folder / "findings").glob("*.json"))}


@pytest.mark.slow
def test_two_areas_on_a_two_worker_cluster_match_local_runs(demo_dir, demo_processed, tmp_path):
    from distributed import LocalCluster

    codes = ["E06000035", "E22000352"]
    options = dict(data_dir=demo_dir, processed_dir=demo_processed, sections="asb")
    # The local run: both areas on the run's own embedded cluster, one ingest, a report each and one index
    progress = Progress(stream=open(os.devnull, "w"))
    local_dir = main_many(2017, codes, progress, out_dir=tmp_path / "local", **options)
    assert sum("ingest   done" in line for line in progress.lines) == 1
    local = {code: local_dir / code for code in codes}
    index = (local_dir / "index.html").read_text()
    for code, name in (("E06000035", "Medway"), ("E22000352", "Dartford and Gravesham")):
        assert json.loads((local[code] / "manifest.json").read_text())["area"]["name"] == name
        assert f'href="{code}/strategic-assessment-2017.pdf"' in index and name in index
    assert json.loads((local["E06000035"] / "findings" / "asb.json").read_text())["count"] == 7077

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        progress = Progress(stream=open(os.devnull, "w"))
        with pytest.raises(AreasFailed, match=r"1 of 3 areas failed: E06000099"):
            main_many(2017, [*codes, "E06000099"], progress, scheduler=cluster.scheduler_address,
                      out_dir=tmp_path / "cluster", **options)
        year_dir = tmp_path / "cluster" / "2017"
        assert any("dask     cluster tcp://" in line and "2 workers" in line for line in progress.lines)
        for code in codes:  # the same figures and the same files as the local runs
            assert _findings(year_dir / code) == _findings(local[code])
            assert _files(year_dir / code) == _files(local[code])
            manifest = json.loads((year_dir / code / "manifest.json").read_text())
            assert manifest["sections"]["asb"]["executed"] is True
        assert not [p.name for p in year_dir.iterdir() if p.name.startswith(".")]  # nothing left in staging
        summary = json.loads((year_dir / "areas.json").read_text())
        assert [(a["code"], a["result"]) for a in summary["areas"]] == [
            ("E06000035", "done"), ("E22000352", "done"), ("E06000099", "failed")]
        assert "E06000099" in summary["areas"][2]["error"]
        assert any(line.split("] ", 1)[1].startswith("areas    3/3 done (1 failed)") for line in progress.lines)
        index = (year_dir / "index.html").read_text()
        assert 'href="E06000035/strategic-assessment-2017.pdf"' in index and "E06000099" not in index

        # an unchanged rerun on the cluster executes nothing and leaves every file as it was
        before = {p: p.stat().st_mtime_ns for p in (year_dir / "E06000035").rglob("*")}
        progress = Progress(stream=open(os.devnull, "w"))
        main_many(2017, codes, progress, scheduler=cluster.scheduler_address, out_dir=tmp_path / "cluster", **options)
        assert sum("nothing changed since the last run" in line for line in progress.lines) == 2
        assert {p: p.stat().st_mtime_ns for p in (year_dir / "E06000035").rglob("*")} == before

        # the command line: a failed area gives exit code 1 and the summary names it
        import pipeline
        code = pipeline.cli(["--year", "2017", "--area", "E06000035,E06000099", "--data", str(demo_dir),
                             "--processed", str(demo_processed), "--out", str(tmp_path / "cluster"),
                             "--sections", "asb", "--scheduler", cluster.scheduler_address])
        assert code == 1


def test_a_scheduler_nobody_answers_is_said(monkeypatch):
    from csp_assessment import engine
    monkeypatch.setattr(engine, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(ConfigError, match="no Dask scheduler answers there"):
        engine.Engine("tcp://127.0.0.1:9").client


def test_embedded_workers_end_when_their_run_is_killed(tmp_path):
    code = textwrap.dedent("""
        import os, time
        from csp_assessment.engine import Engine
        if __name__ == "__main__":
            engine = Engine(workers=1)
            print(engine.submit("pid", os.getpid).result(), flush=True)
            engine.submit("sleep", time.sleep, 600)
            time.sleep(600)
    """)
    survivor = child_outliving_killed_parent(tmp_path, code, 15)
    assert survivor is None, f"Dask worker {survivor} outlived its run"


def _overlap_probe(seconds):
    """A task that says when it ran (the run's own cluster is in this process: one clock)."""
    import time as clock

    started = clock.perf_counter()
    clock.sleep(seconds)
    return started, clock.perf_counter()


def test_a_runs_own_cluster_executes_as_many_notebooks_as_workers_with_exports_beside_them():
    # An export waits mostly for the PDF printer: it must not hold a notebook's place (a core left
    # idle while notebooks wait), and notebooks must not run more at once than --workers.
    from csp_assessment.engine import Engine

    with Engine(workers=1, processes=False) as engine:
        notebooks = [engine.submit(f"nb{i}", _overlap_probe, 0.6, notebook=True) for i in range(2)]
        export = engine.submit("export", _overlap_probe, 0.3)
        (first_start, first_end), (second_start, _) = sorted(f.result() for f in notebooks)
        export_start, _ = export.result()
    assert second_start >= first_end - 0.01, "two notebooks ran at once with --workers 1"
    assert export_start < first_end, "the export waited for a notebook's place"


def test_an_areas_document_comes_first_then_its_notebooks_in_params_order_then_exports():
    from csp_assessment.run import _task_priority

    n = len(SECTIONS)
    document = _task_priority(0, "document")
    notebooks = [_task_priority(0, "execute", order) for order in range(n)]
    exports = [_task_priority(0, "export", order) for order in range(n)]
    assert document > notebooks[0] and notebooks == sorted(notebooks, reverse=True)
    assert min(notebooks) > max(exports) and exports == sorted(exports, reverse=True)
    # the first areas first: any task of an area before every task of the next one
    assert min(_task_priority(2, kind, n - 1) for kind in ("execute", "export")) > _task_priority(1, "document")

"""A failing section stops the run clearly and leaves the previous report untouched; a --sections run
executes only what it names and keeps the other sections' last results; an analyst's raw cell is named."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from csp_assessment import run
from csp_assessment.config import load_config
from csp_assessment.errors import ConfigError
from csp_assessment.execute import SectionFailed, execute_section
from csp_assessment.sections import SECTIONS, SectionSpec


def test_failing_cell_is_named_with_the_partial_notebook(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("raise ValueError('ward lookup is empty')"),
        nbformat.v4.new_code_cell("print('never reached')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "broken.ipynb")
    spec = SectionSpec("broken", "broken.ipynb", "Broken", "crime")
    with pytest.raises(SectionFailed) as failure:
        execute_section(spec, tmp_path / "out" / "broken.ipynb", {"x": 2}, notebook_dir=tmp_path)
    err = failure.value
    # cells: injected parameters (1), parameters (2), the raise (3)
    assert (err.section, err.cell) == ("broken", 3)
    assert err.error == "ValueError: ward lookup is empty"
    assert err.notebook.exists() and "ward lookup is empty" in err.notebook.read_text()
    assert "section 'broken' failed in cell 3" in str(err)


def test_failed_run_keeps_the_previous_report(tmp_path, monkeypatch, demo_dir, demo_processed):
    config = load_config(2017, data_dir=demo_dir, processed_dir=tmp_path / "processed",
                         out_dir=tmp_path / "reports", sections="asb")
    previous = tmp_path / "reports" / "2017"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("the previous good report")
    (previous / "manifest.json").write_text('{"area": {"name": "Medway", "codes": ["E06000035"]}}')

    def fail(spec, output, parameters):
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("{}")
        raise SectionFailed(spec.key, 4, "KeyError: 'ward_code'", output)

    monkeypatch.setattr(run, "execute_section", fail)
    with pytest.raises(SectionFailed) as failure:
        run.main(config, run.Progress())
    assert (previous / "index.html").read_text() == "the previous good report"
    failed = tmp_path / "reports" / "2017-failed"
    assert failure.value.notebook == failed / "notebooks" / "02_asb.ipynb" and failure.value.notebook.exists()
    assert "FAILED   asb: KeyError: 'ward_code'" in (failed / "run.log").read_text()
    summary = (failed / "FAILED.txt").read_text()
    assert "Section: asb\nCell: 4\nError: KeyError: 'ward_code'" in summary and "untouched" in summary
    assert not (tmp_path / "reports" / ".2017-running").exists()


def test_unchanged_rerun_executes_nothing_and_force_reruns(tmp_path, monkeypatch, demo_dir, demo_processed):
    # The ASB notebook as an analyst left it: a cell of their own that shows a DataFrame as pandas prints it.
    notebooks = shutil.copytree(run.NOTEBOOK_DIR, tmp_path / "notebooks")
    edited = nbformat.read(notebooks / "02_asb.ipynb", as_version=4)
    edited.cells.append(nbformat.v4.new_code_cell("import pandas as pd\npd.DataFrame({'rate': [346.375618]})"))
    nbformat.write(edited, notebooks / "02_asb.ipynb")
    monkeypatch.setattr(run, "NOTEBOOK_DIR", notebooks)
    monkeypatch.setattr(run, "execute_section", lambda spec, output, parameters: execute_section(
        spec, output, parameters, notebook_dir=notebooks))

    config = load_config(2017, data_dir=demo_dir, processed_dir=tmp_path / "processed",
                         out_dir=tmp_path / "reports", sections="asb")
    progress = run.Progress()
    report = run.main(config, progress)
    manifest = (report / "manifest.json").read_text()
    assert '"executed": true' in manifest
    # the other sections of params have no earlier result in this folder to keep: the log says so
    missing = [line for line in progress.lines if "is not in this report" in line]
    assert len(missing) == 6 and "All recorded crime (all_crime) is not in this report" in missing[0]
    assert "Run it with --sections all_crime, or without --sections" in missing[0]
    # the analyst's cell: named in the log, in the analyst HTML only
    cell = len(edited.cells)  # numbered as in the notebook the analyst edits
    assert any(line.split("]", 1)[1].strip().startswith(f'analyst  02_asb.ipynb cell {cell} ("import pandas as pd")')
               for line in progress.lines)
    assert "346.375618" in (report / "02_asb-analyst.html").read_text()
    assert "346.375618" not in (report / "02_asb.html").read_text()

    # Sections execute in Dask worker processes: what ran again is read from the run's own record
    def executed(progress):
        return [line for line in progress.lines if "executed in" in line]

    progress = run.Progress()
    assert run.main(config, progress) == report
    assert executed(progress) == [] and "nothing changed since the last run" in progress.lines[-1]
    assert (report / "manifest.json").read_text() == manifest

    progress = run.Progress()
    run.main(config, progress, force=True)
    assert len(executed(progress)) == 1 and "Anti-social behaviour" in executed(progress)[0]
    assert '"executed": true' in (report / "manifest.json").read_text()

    # another assessment period is another set of figures: the section runs again
    later = load_config(2017, data_dir=demo_dir, processed_dir=tmp_path / "processed",
                        out_dir=tmp_path / "reports", sections="asb", period_from="2016-03", period_to="2017-02")
    progress = run.Progress()
    run.main(later, progress)
    assert len(executed(progress)) == 1


def _fake_report(report_dir: Path, specs, manifest: dict) -> None:
    """A reports folder holding every output of ``specs`` (empty files) and ``manifest``."""
    for spec in specs:
        for path in run._section_outputs(spec, report_dir).values():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")
    (report_dir / "manifest.json").write_text(json.dumps(manifest))


def test_a_sections_run_keeps_the_others_last_result_under_their_own_keys(tmp_path):
    config = load_config(2017, out_dir=tmp_path, sections="all_crime")
    report_dir = tmp_path / "2017"
    parameters = run._notebook_parameters(config, report_dir / "findings")
    keys = {key: f"now-{key}" for key in config.document_sections}
    every = [SECTIONS[key] for key in config.document_sections]
    # the last run: every section but road safety, asb made before a change (its key differs)
    _fake_report(report_dir, [s for s in every if s.key != "road_safety"], {
        "params": {**parameters, "findings_dir": "findings"},
        "sections": {key: {"key": "then-asb" if key == "asb" else keys[key]}
                     for key in config.document_sections if key != "road_safety"}})
    plan = run._plan_sections(config, keys, run._previous_manifest(report_dir), report_dir, parameters, force=False)
    assert [s.key for s in plan.specs] == [k for k in config.document_sections if k != "road_safety"]
    assert plan.unchanged == {"all_crime"}  # its key is unchanged too: carried over, not executed
    assert plan.kept == set(config.document_sections) - {"all_crime", "road_safety"}
    assert plan.stale == {"asb"} and plan.keys["asb"] == "then-asb"  # a later full run knows to execute it
    assert plan.keys["mental_health"] == "now-mental_health" and [s.key for s in plan.left_out] == ["road_safety"]
    # --force executes the sections asked for again, and still keeps the others
    forced = run._plan_sections(config, keys, run._previous_manifest(report_dir), report_dir, parameters, force=True)
    assert forced.unchanged == set() and forced.kept == plan.kept
    # a section whose reports were removed is not kept
    (report_dir / "02_asb.pdf").unlink()
    assert "asb" in {s.key for s in run._plan_sections(config, keys, run._previous_manifest(report_dir), report_dir,
                                                        parameters, force=False).left_out}


def test_a_sections_run_never_mixes_in_another_periods_results(tmp_path):
    config = load_config(2017, out_dir=tmp_path, sections="all_crime")
    report_dir = tmp_path / "2017"
    parameters = run._notebook_parameters(config, report_dir / "findings")
    every = [SECTIONS[key] for key in config.document_sections]
    _fake_report(report_dir, every, {"params": {**parameters, "period_from": "2015-04-01"},
                                     "sections": {key: {"key": "k"} for key in config.document_sections}})
    plan = run._plan_sections(config, dict.fromkeys(config.document_sections, "k"),
                              run._previous_manifest(report_dir), report_dir, parameters, force=False)
    assert [s.key for s in plan.specs] == ["all_crime"] and not plan.kept
    assert len(plan.left_out) == len(every) - 1


def test_a_sections_key_that_is_not_a_section_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"--sections: unknown section\(s\) \['crime'\]; sections that exist: "
                                          r"all_crime \(All recorded crime\), asb \(Anti-social behaviour\)"):
        run.main(load_config(2017, sections="all_crime,crime"))  # checked before anything runs

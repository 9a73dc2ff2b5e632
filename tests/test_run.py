"""A failing section stops the run clearly and leaves the previous report untouched."""

import nbformat
import pytest

from csp_assessment import run
from csp_assessment.config import load_config
from csp_assessment.execute import SectionFailed, execute_section
from csp_assessment.sections import SectionSpec


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
    config = load_config(2017, data_dir=demo_dir, processed_dir=tmp_path / "processed",
                         out_dir=tmp_path / "reports", sections="asb")
    report = run.main(config, run.Progress())
    manifest = (report / "manifest.json").read_text()
    assert '"executed": true' in manifest

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

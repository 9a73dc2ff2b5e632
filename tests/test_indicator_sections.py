"""The substance misuse, re-offending and mental health sections: each notebook executed with
papermill on the demo data, its headline figures read back from the findings it saves; and the
sections' rules (latest period, missing inputs, several authorities) on small added files.

Expected figures are the ones the demo data reproduce from Medway's Strategic Assessment 2017:
depression 8.9% against England's 8.3%, severe mental illness 0.67% against 0.90%, suicide 11.7
against 10.1 per 100,000 (83 deaths, 2013-15), community orders completed 75.5% against a 75%
target.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import papermill
import pytest

from conftest import PROJECT_ROOT
from csp_assessment.demo.health import FOLDER
from csp_assessment.sections import open_section
from csp_assessment.sections.indicators import indicator_spec
from test_ingest_health import FINGERTIPS_HEADER, fingertips_row, write_csv


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_tables_once) -> Path:
    """This module's working folder (executed notebooks, findings, and a copy of the session's
    processed demo tables, which the notebooks reuse rather than reading the demo data again)."""
    root = tmp_path_factory.mktemp("indicator-sections")
    shutil.copytree(demo_tables_once, root / "processed")
    return root


def execute(stem: str, data_dir: Path, root: Path) -> tuple[dict, str]:
    """Run notebooks/<stem>.ipynb as the pipeline does; return its findings and the executed notebook's text."""
    os.environ.pop("MPLBACKEND", None)
    output = root / "executed" / f"{stem}.ipynb"
    output.parent.mkdir(parents=True, exist_ok=True)
    findings_dir = root / "findings"
    papermill.execute_notebook(
        str(PROJECT_ROOT / "notebooks" / f"{stem}.ipynb"), str(output), kernel_name="python3", progress_bar=False,
        cwd=str(PROJECT_ROOT), parameters={"data_dir": str(data_dir), "processed_dir": str(root / "processed"),
                                           "findings_dir": str(findings_dir)})
    key = stem.split("_", 1)[1]
    return json.loads((findings_dir / f"{key}.json").read_text()), output.read_text(encoding="utf-8")


def by_measure(findings: dict) -> dict[str, dict]:
    return {m["measure"]: m for m in findings["measures"]}


@pytest.fixture(scope="module")
def mental_health(demo, demo_dir):
    return execute("05_mental_health", demo_dir, demo)


@pytest.fixture(scope="module")
def reoffending(demo, demo_dir):
    return execute("04_reoffending", demo_dir, demo)


@pytest.fixture(scope="module")
def substance_misuse(demo, demo_dir):
    return execute("03_substance_misuse", demo_dir, demo)


def test_mental_health_against_england(mental_health):
    findings, text = mental_health
    measures = by_measure(findings)
    depression = measures["Depression prevalence (18+)"]
    assert (depression["value"], depression["benchmark"], depression["comparison"]) == (8.9, 8.3, "higher")
    assert (depression["count"], depression["period"], depression["interval"]) == (20_424, "2016/17", "published")
    smi = measures["Severe mental illness prevalence (all ages)"]
    assert (smi["value"], smi["benchmark"], smi["comparison"], smi["count"]) == (0.67, 0.9, "lower", 1_984)
    common = measures["Common mental disorders, estimated prevalence (16+)"]
    # published without limits: Wilson's interval from 31,053 people includes England's 15.7%
    assert (common["value"], common["count"], common["interval"], common["comparison"]) == (
        15.8, 31_053, "Wilson score", "similar")
    children = measures["Mental health disorders in children, estimated prevalence (5-16)"]
    assert (children["value"], children["benchmark"], children["count"], children["comparison"]) == (
        9.6, 8.5, 3_928, "higher")
    suicide = measures["Suicide rate"]
    # higher than England, but its interval (about 9.3 to 14.5) includes England's 10.1
    assert (suicide["value"], suicide["benchmark"], suicide["period"], suicide["count"]) == (
        11.7, 10.1, "2013 - 15", 83)
    assert suicide["comparison"] == "similar" and suicide["lower_ci"] < 10.1 < suicide["upper_ci"]
    assert len(suicide["trend"]) == 5
    assert measures["Section 136 detentions"]["status"] == "Met"
    assert "Depression prevalence (18+) is 8.9% (2016/17), significantly higher than England (8.3%)." in text
    assert "Severe mental illness prevalence (all ages) is 0.67% (2016/17), significantly lower than England (0.90%)." \
        in text
    assert "image/svg+xml" in text  # charts drawn
    assert findings["missing_inputs"] == [] and findings["demo"] is True


def test_reoffending_targets_and_cohorts(reoffending):
    findings, text = reoffending
    measures = by_measure(findings)
    orders = measures["Community orders and suspended sentence orders completed"]
    assert (orders["value"], orders["target"], orders["better"], orders["status"]) == (75.5, 75.0, "higher", "Met")
    licence = measures["Licence and post-sentence supervision periods completed"]
    assert (licence["value"], licence["target"], licence["status"]) == (78.5, 65.0, "Met")
    assert measures["Unpaid work requirements delivered (Community Payback)"]["status"] == "Met"
    adults = measures["Re-offending rate (adults)"]
    assert (adults["period"], adults["count"], adults["denominator"]) == ("Jan 2015 to Dec 2015", 541, 1_962)
    assert (adults["benchmark_name"], adults["benchmark"], adults["comparison"]) == (
        "England and Wales", 24.5, "higher")
    assert len(adults["trend"]) == 5
    everyone = measures["Re-offending rate (all offenders)"]  # adults and juveniles added together
    assert (everyone["count"], everyone["denominator"]) == (541 + 66, 1_962 + 168)
    assert ("Community orders and suspended sentence orders completed: 75.5% in 2016/17 against a target of 75.0% "
            "(higher is better): met.") in text
    assert "Not met" not in text
    assert not [m for m in measures if "omestic abuse" in m]  # its own section now (issue 15)


def test_substance_misuse_with_police_records(substance_misuse):
    findings, text = substance_misuse
    measures = by_measure(findings)
    admissions = measures["Hospital admissions for drug-related mental and behavioural disorders"]
    assert (admissions["count"], admissions["value"], admissions["interval"]) == (637, 228.691, "Byar")
    assert [t["value"] for t in admissions["trend"][-2:]] == [pytest.approx(100_000 * 734 / 276_492, abs=1e-3),
                                                             228.691]
    assert measures["Admission episodes for alcohol-specific conditions"]["comparison"] == "lower"
    assert measures["Needle finds"]["status"] == "Met"
    assert measures["Adults in drug and alcohol treatment"]["status"] == "Not met"
    drugs = measures["Drug offences"]
    assert drugs["period"] == "Apr 16 – Mar 17" and drugs["value"] > 0 and drugs["source"] == "data.police.uk"
    assert f"{int(drugs['value']):,} drug offences were recorded in Medway in Apr 16 – Mar 17" in text
    assert any("opiate users (2012)" in note for note in findings["data_notes"])  # the suppressed value


@pytest.fixture
def without_health_inputs(demo_variant) -> Path:
    """The demo data as a user with only police and ONS files has them (tests add a file of their
    own), with the session's tables adopted in ``tmp_path / "processed"``."""
    return demo_variant(leave_out=(FOLDER,))[0]


def test_missing_inputs_are_named_and_the_notebook_still_runs(without_health_inputs, tmp_path):
    import nbformat

    findings, text = execute("04_reoffending", without_health_inputs, tmp_path)
    assert findings["measures"] == []
    missing = " ".join(findings["missing_inputs"])
    assert "No MoJ proven re-offending statistics are in the data folder" in missing
    assert "Proven reoffending statistics" in missing and "partner-returns-template.csv" in missing
    # reviewers are told what is missing and who publishes it; the steps are for analysts only
    assert findings["not_supplied"] == [
        {"input": "MoJ proven re-offending statistics",
         "source": "Ministry of Justice, Proven reoffending statistics on gov.uk"},
        {"input": "partners' figures (community order, licence and unpaid work completion, integrated offender "
                  "management results)", "source": "partner agencies, on the partner-return template"}]
    cells = nbformat.reads(text, as_version=4).cells
    shown = {"analyst": "", "reviewer": ""}
    for cell in cells:
        if cell.cell_type == "code":
            outputs = " ".join(str(o.get("data", {}).get("text/markdown", "")) for o in cell.get("outputs", []))
            shown["analyst" if "analyst_only" in cell.metadata.get("tags", []) else "reviewer"] += outputs
    assert "Missing input:" in shown["analyst"] and "partner-returns-template.csv" in shown["analyst"]
    assert "Not yet supplied:" in shown["reviewer"] and "template.csv" not in shown["reviewer"]
    assert "download" not in shown["reviewer"].lower()


def test_latest_period_ends_by_the_assessment_year(without_health_inputs, tmp_path):
    rows = [fingertips_row(area=area, period=period, value=value, lower="", upper="", count=count,
                           denominator=denominator)
            for period, (medway, england) in {"2016/17": (("8.9", "20424", "229483"), ("8.3", "830", "10000")),
                                              "2017/18": (("9.9", "22717", "229465"), ("9.1", "910", "10000"))}.items()
            for area, (value, count, denominator) in (("E06000035", medway), ("E92000001", england))]
    write_csv(without_health_inputs / "fingertips.csv", FINGERTIPS_HEADER, rows)
    section = open_section("mental_health", data_dir=without_health_inputs,
                                     processed_dir=tmp_path / "processed")
    depression = section.findings()["measures"][0]
    assert (depression["period"], depression["value"], depression["comparison"]) == ("2016/17", 8.9, "higher")
    assert any("2017/18" in note and "left out" in note for note in section.findings()["data_notes"])


def test_a_partnership_of_two_authorities_adds_their_counts(without_health_inputs, tmp_path):
    rows = [fingertips_row(area=area, value=value, count=count, denominator=denominator, lower="", upper="")
            for area, value, count, denominator in (("E07000107", "8.0", "6400", "80000"),
                                                    ("E07000109", "10.0", "8000", "80000"),
                                                    ("E92000001", "8.3", "830", "10000"))]
    rows += [fingertips_row(area=area, indicator="41001", name="Suicide rate", period="2013 - 15", value="11.0",
                            count="30", denominator="300000") for area in ("E07000107", "E07000109", "E92000001")]
    write_csv(without_health_inputs / "fingertips.csv", FINGERTIPS_HEADER, rows)
    section = open_section("mental_health", area="E22000352", data_dir=without_health_inputs,
                                     processed_dir=tmp_path / "processed")
    findings = section.findings()
    assert findings["area"] == "Dartford and Gravesham"
    depression = by_measure(findings)["Depression prevalence (18+)"]
    assert (depression["value"], depression["count"], depression["denominator"]) == (9.0, 14_400, 160_000)
    assert depression["interval"] == "Wilson score" and depression["comparison"] == "higher"
    assert "Suicide rate" not in by_measure(findings)  # standardised rates cannot be added up
    assert any("Suicide rate is a standardised rate" in note for note in findings["data_notes"])


def test_indicators_outside_the_table_are_placed_by_name_and_unit():
    rows = pd.DataFrame({"value": [228.69, 265.47], "count": [637, 734], "denominator": [278_542, 276_492]})
    spec = indicator_spec(990001, "Hospital admissions for drug-related mental and behavioural disorders", rows)
    assert (spec.section, spec.unit, spec.interval) == ("substance_misuse", "per 100,000", "byar")
    share = pd.DataFrame({"value": [18.64], "count": [11], "denominator": [59]})
    assert indicator_spec(1, "Self-harm admissions share", share).unit == "%"
    assert indicator_spec(2, "Smoking prevalence in adults", share) is None
    assert indicator_spec(848, "anything", share).label == "Depression prevalence (18+)"


def test_equal_values_at_the_printed_precision_are_unchanged():
    from types import SimpleNamespace

    from csp_assessment.sections.indicators import IndicatorSection

    series = pd.DataFrame({"period": ["2014", "2015", "2016"], "value": [9.61, 9.7, 9.58],
                           "benchmark": [8.5, 8.5, 8.5]})
    measure = SimpleNamespace(label="Mental health disorders in children", unit="%", series=series,
                              benchmark_name="England")
    # 9.61% and 9.58% both print as 9.6%: "rose from 9.6% to 9.6%" would contradict itself
    assert IndicatorSection._trend_title(None, measure) == (
        "Mental health disorders in children was unchanged at 9.6% between 2014 and 2016; England 8.5%")
    assert IndicatorSection._change_clause(measure) == ", down from 9.7% in 2015"
    measure.series = series.assign(value=[9.61, 9.62, 9.58])
    assert IndicatorSection._change_clause(measure) == ", unchanged from 2015"

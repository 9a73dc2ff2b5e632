"""The priority ranking on the demo data: the scored example is found in the data folder like any
input, the crime sections' findings carry per-type evidence, and the 2017 run ranks every theme
the data evidence, scored by the (synthetic) partnership, none provisional."""

from __future__ import annotations

import json
import shutil

import pytest

from csp_assessment.config import load_config
from csp_assessment.ingest.folder import prepare_data
from csp_assessment.stats.priorities import (NO_DATA, SCORED, assess_priorities, load_priority_scores,
                                             progress_on_priorities)
from csp_assessment.sections import SECTIONS


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, demo_dir, demo_tables_once):
    """Every section's findings as the 2017 demo run records them (made in-process, through JSON)."""
    processed = tmp_path_factory.mktemp("priorities") / "processed"
    shutil.copytree(demo_tables_once, processed)  # the session's tables of the 2017 run: not read again
    config = load_config(2017, data_dir=demo_dir, processed_dir=processed)
    ingest = prepare_data(config)
    findings = {}
    for key in config.sections:
        section_type = SECTIONS.section_class(key)  # the class each section's notebook opens
        findings[key] = json.loads(json.dumps(section_type(SECTIONS[key], config, ingest).findings(), default=str))
    return config, ingest, findings


def test_scored_example_is_ingested_and_listed(demo_run):
    config, ingest, _ = demo_run
    assert [path.rsplit("/", 1)[-1] for path in ingest.sources["priority_scores"]] == ["priority-scores-2017.csv"]
    scores = load_priority_scores(config.processed_dir)
    assert len(scores) == 11 and not scores[list(scores.columns[1:10])].isna().any().any()
    assert scores["notes"].str.startswith("Synthetic").all()


def test_crime_findings_carry_evidence_by_type(demo_run):
    _, _, findings = demo_run
    by_type = {row["category"]: row for row in findings["all_crime"]["by_type"]}
    # the demo reproduces Medway's 23,125 crimes in Apr 16 - Mar 17, ranked among the 13 Kent authorities
    assert sum(row["count"] for row in by_type.values()) == 23_125
    assert {row["peers"] for row in by_type.values()} == {13}
    assert all(1 <= row["peer_rank_by_rate"] <= 13 for row in by_type.values())
    (asb,) = findings["asb"]["by_type"]
    # 7,077 incidents against 8,978: -1,901 / 8,978 = -21.2%; 1,000 x 7,077 / 278,542 = 25.41 per 1,000
    assert (asb["category"], asb["count"], asb["previous_count"], asb["change_pct"]) == (
        "Anti-social behaviour", 7077, 8978, -21.2)
    assert asb["rate_per_1000"] == pytest.approx(25.41, abs=0.005)
    assert asb["spc_variation"] is not None


def test_demo_run_ranks_every_evidenced_theme_scored(demo_run):
    config, _, findings = demo_run
    assessment = assess_priorities(findings, load_priority_scores(config.processed_dir), config.priorities)
    ranked = assessment.ranked
    # hate crime and exploitation have no input yet: listed, not ranked
    assert set(assessment.table.loc[assessment.table["rank"].isna(), "theme_key"]) == {"hate_crime", "exploitation"}
    assert set(assessment.table.loc[assessment.table["rank"].isna(), "status"]) == {NO_DATA}
    # road safety is evidenced by the KSI rate of the STATS19 demo files
    road = assessment.table.set_index("theme_key").loc["road_safety"]
    assert road["status"] == SCORED and any(d.startswith("Road casualties killed or seriously injured")
                                            for d in road["drivers"])
    assert len(ranked) == 9 and set(ranked["status"]) == {SCORED} and not assessment.provisional
    assert list(ranked["rank"]) == sorted(ranked["rank"]) and ranked["risk_score"].is_monotonic_decreasing
    assert all(1 <= len(drivers) <= 3 for drivers in ranked["drivers"])
    assert assessment.notes == []  # every measure params link is in the demo's findings
    assert not assessment.evidence_only


def test_demo_violence_evidence_is_weighted_by_its_records(demo_run):
    """The one change the weighting by records made to the demo's ranking: Violence, whose
    offences rose 23.4% with special cause of concern, no longer averages in robbery and weapons
    possession (194 and 228 of its 9,268 records) as equals, and ranks first (it was fifth)."""
    config, _, findings = demo_run
    assessment = assess_priorities(findings, load_priority_scores(config.processed_dir), config.priorities)
    violence = assessment.table.set_index("theme_key").loc["violence"]
    # From the all_crime findings (weights volume 1, peer rank 1, direction 1, SPC 0.5):
    #   violence and sexual offences, 8,846: 31.76 per 1,000 -> 4; 3rd of 13 -> 4 x 10/12 = 3.3333;
    #     +23.4% -> 4; SPC concern -> 4: (4 + 3.3333 + 4 + 0.5 x 4) / 3.5 = 3.80952
    #   robbery, 194: 0.70 -> 1; 8th -> 4 x 5/12 = 1.6667; -5.8% -> 1; latest month common cause -> 2:
    #     4.6667 / 3.5 = 1.33333
    #   possession of weapons, 228: 0.82 -> 1; 4th -> 3; -2.1% -> 1; common cause -> 2: 6 / 3.5 = 1.71429
    #   theme: (8,846 x 3.80952 + 194 x 1.33333 + 228 x 1.71429) / 9,268 = 34,348.6 / 9,268 = 3.7062
    #   (the plain mean was (3.80952 + 1.33333 + 1.71429) / 3 = 2.2857)
    assert violence["likelihood"] == pytest.approx(3.7062, abs=1e-3)
    # risk = harm 3 x 3.7062 x confidence factor (0.5 + 0.5 x 2/3) x organisational factor (1 + 0.5 x (2/3 - 0.5))
    assert violence["risk_score"] == pytest.approx(3 * 3.7062 * (5 / 6) * (13 / 12), abs=1e-2)
    assert violence["rank"] == 1


def test_demo_run_shows_progress_on_every_previous_priority(demo_run):
    config, _, findings = demo_run
    progress = progress_on_priorities(findings, config.previous_priorities)
    assert "not available" not in set(progress["status"])
    asb = progress.set_index("measure").loc["Anti-social behaviour"]
    # 7,077 against a target of 8,000 or fewer
    assert asb["status"] == "met" and asb["reading"].startswith("Anti-social behaviour fell from 8,978")


def test_demo_priority_report_for_the_document(demo_run, tmp_path):
    from csp_assessment.display.findings import write_findings
    from csp_assessment.report.priority_report import build_priority_report

    config, _, findings = demo_run
    for key, found in findings.items():
        write_findings(tmp_path, key, found)
    report = build_priority_report(config, tmp_path)
    assert not report.assessment.provisional and report.has_progress
    assert "Provisional" not in report.summary_html() and "<img alt=" in report.summary_html()
    assert "Anti-social behaviour fell from 8,978" in report.progress_html()

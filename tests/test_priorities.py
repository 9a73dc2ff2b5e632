"""Priority scoring (MoRiLE-style) and progress on last year's priorities, on findings and scores
written here, with every expected value worked out by hand in the comments."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from conftest import PROJECT_ROOT
from csp_assessment.report.charts import alt_text
from csp_assessment.config import load_config
from csp_assessment.errors import ConfigError, InputError
from csp_assessment.ingest import priority_scores
from csp_assessment.stats.priorities import (
    NO_EVIDENCE, PROVISIONAL, SCORED, MeasureLink, PriorityAssessment, PrioritySettings, assess_priorities,
    default_priority_settings, measure_evidence, methodology_markdown, progress_on_priorities,
    progress_table_for_readers, ranked_table_for_readers, risk_capacity_chart,
)

# Settings written out here, not read from params, so the hand arithmetic below cannot drift
# when the project's defaults are tuned. Physical harm weighs double to show the weights count.
SETTINGS = {
    "scales": {"harm": [0, 4], "confidence": [1, 4], "organisational": [1, 4]},
    "harm_weights": {"physical": 2, "psychological": 1, "financial": 1, "community": 1, "vulnerability": 1,
                     "public_concern": 1},
    "likelihood_weights": {"volume": 1, "peer_rank": 1, "direction": 1, "spc": 0.5, "england": 1},
    "volume_bands": [0.5, 2, 5, 15],
    "direction_bands": [-10, -2, 2, 10],
    "confidence_floor": 0.5,
    "organisational_weight": 0.5,
    "themes": {
        "burglary": {"label": "Burglary", "measures": [{"crime_type": "Burglary"}]},
        "mental_health": {"label": "Mental health", "measures": [
            {"indicator": "Suicide rate"},
            {"indicator": "Treatment completion", "better": "higher"}]},
        "road_safety": {"label": "Road safety", "measures": []},
    },
}

FINDINGS = {
    "all_crime": {
        "period": "Apr 16 – Mar 17", "comparison_period": "Apr 15 – Mar 16",
        "by_type": [{"category": "Burglary", "count": 1800, "previous_count": 1600, "change_pct": 12.5,
                     "rate_per_1000": 6.4, "peer_rank_by_rate": 3, "peers": 13,
                     "spc_variation": "special cause of concern", "spc_direction": "concern"}],
    },
    "mental_health": {
        "measures": [
            {"measure": "Suicide rate", "unit": "per 100,000", "period": "2013 - 15", "value": 11.0,
             "comparison": "higher", "benchmark_name": "England", "target": None, "better": None,
             "trend": [{"period": "2012 - 14", "value": 10.0}, {"period": "2013 - 15", "value": 11.0}]},
            {"measure": "Treatment completion", "unit": "%", "period": "2016", "value": 38.0,
             "comparison": "lower", "benchmark_name": "England", "target": None, "better": None,
             "trend": [{"period": "2015", "value": 40.0}, {"period": "2016", "value": 38.0}]},
        ],
    },
}

SCORE_COLUMNS = list(priority_scores.SCORES)


def scores_frame(rows: dict[str, list]) -> pd.DataFrame:
    """The processed table's shape: theme key, the nine scores (NaN = blank), source file and row."""
    frame = pd.DataFrame([[key, *values] for key, values in rows.items()], columns=["theme", *SCORE_COLUMNS])
    return frame.assign(notes="", row=range(2, len(frame) + 2), source_file="scores.csv")


# physical, psychological, financial, community, vulnerability, public concern | confidence | capacity, capability
FULL_SCORES = {"burglary": [1, 3, 3, 2, 2, 3, 4, 2, 3], "mental_health": [3, 4, 1, 2, 4, 2, 1, 4, 4]}

# Burglary's likelihood (one measure):
#   volume: 6.4 per 1,000 reaches the thresholds 0.5, 2 and 5 -> 3
#   peer rank: 4 x (13 - 3) / (13 - 1) = 40 / 12 = 10/3
#   direction: +12.5% reaches all four thresholds (-10, -2, 2, 10) -> 4
#   SPC: special cause of concern -> 4, weight 0.5
#   likelihood = (3 + 10/3 + 4 + 0.5 x 4) / (1 + 1 + 1 + 0.5) = (37/3) / 3.5 = 74/21 = 3.5238...
BURGLARY_LIKELIHOOD = 74 / 21
# Mental health's likelihood, the mean of its two measures:
#   suicide rate (a rise is worse): +10% on 10.0 -> direction 4; significantly higher than England -> 4;
#     likelihood (4 + 4) / 2 = 4
#   treatment completion (higher is better): 40 -> 38 is -5%, a 5% worsening -> reaches -10, -2 and 2 -> 3;
#     significantly lower than England is worse -> 4; likelihood (3 + 4) / 2 = 3.5
#   theme: (4 + 3.5) / 2 = 3.75
MENTAL_HEALTH_LIKELIHOOD = 3.75


def test_risk_is_harm_times_likelihood_adjusted_by_confidence_and_position():
    assessment = assess_priorities(FINDINGS, scores_frame(FULL_SCORES), SETTINGS)
    table = assessment.table.set_index("theme_key")
    burglary, mental = table.loc["burglary"], table.loc["mental_health"]

    # Burglary: harm = (2 x 1 + 3 + 3 + 2 + 2 + 3) / 7 = 15/7 = 2.142857
    #   confidence 4 (the top of 1-4): factor 0.5 + 0.5 x (4 - 1) / 3 = 1
    #   position (2 + 3) / 2 = 2.5, the middle of 1-4: factor 1 + 0.5 x (1.5 / 3 - 0.5) = 1
    #   risk = 15/7 x 74/21 x 1 x 1 = 1110/147 = 7.55102
    assert burglary["harm"] == pytest.approx(15 / 7, abs=1e-3)
    assert burglary["likelihood"] == pytest.approx(BURGLARY_LIKELIHOOD, abs=1e-3)
    assert burglary["confidence_factor"] == pytest.approx(1.0)
    assert burglary["organisational_position"] == pytest.approx(2.5)
    assert burglary["organisational_factor"] == pytest.approx(1.0)
    assert burglary["risk_score"] == pytest.approx(7.55102, abs=1e-3)

    # Mental health: harm = (2 x 3 + 4 + 1 + 2 + 4 + 2) / 7 = 19/7 = 2.714286
    #   confidence 1 (the bottom): factor 0.5
    #   position (4 + 4) / 2 = 4, the top: factor 1 + 0.5 x (3/3 - 0.5) = 1.25
    #   risk = 19/7 x 3.75 x 0.5 x 1.25 = 6.361607
    assert mental["harm"] == pytest.approx(19 / 7, abs=1e-3)
    assert mental["likelihood"] == pytest.approx(MENTAL_HEALTH_LIKELIHOOD)
    assert mental["confidence_factor"] == pytest.approx(0.5)
    assert mental["organisational_factor"] == pytest.approx(1.25)
    assert mental["risk_score"] == pytest.approx(6.361607, abs=1e-3)

    assert list(assessment.table["theme"]) == ["Burglary", "Mental health", "Road safety"]
    assert list(assessment.table["rank"].astype("float").fillna(0)) == [1, 2, 0]
    assert list(assessment.table["status"]) == [SCORED, SCORED, NO_EVIDENCE]
    assert not assessment.provisional and assessment.scored


def test_drivers_are_the_heaviest_figures_in_readable_words():
    table = assess_priorities(FINDINGS, scores_frame(FULL_SCORES), SETTINGS).table.set_index("theme_key")
    # Burglary weighs: direction 1 x 4 = 4; the rate 3 (volume) or 10/3 (peer rank), so 10/3; SPC 0.5 x 4 = 2.
    assert table.loc["burglary", "drivers"] == [
        "Burglary: up 12.5% on Apr 15 – Mar 16",
        "Burglary: 6.4 per 1,000 residents, 3rd highest rate of 13 areas",
        "Burglary: special cause of concern (SPC)",
    ]
    # Mental health: three figures weigh 4 (suicide direction and England, treatment England), the
    # treatment direction 3; ties keep the params' order of measures and of evidence.
    assert table.loc["mental_health", "drivers"] == [
        "Suicide rate: up 10.0% on 2012 - 14",
        "Suicide rate: significantly higher than England",
        "Treatment completion: significantly lower than England",
    ]
    assert "none linked in params" in table.loc["road_safety", "drivers"][0]


def test_without_scores_the_evidence_still_ranks_and_every_row_is_provisional():
    # A blank judged score counts as its scale's middle: harm 2 (every part 2, any weights),
    # confidence 2.5 -> factor 0.5 + 0.5 x 1.5 / 3 = 0.75, position 2.5 -> factor 1.
    #   burglary: 2 x 74/21 x 0.75 = 5.285714; mental health: 2 x 3.75 x 0.75 = 5.625
    assessment = assess_priorities(FINDINGS, None, SETTINGS)
    table = assessment.table.set_index("theme_key")
    assert table.loc["burglary", "risk_score"] == pytest.approx(5.285714, abs=1e-3)
    assert table.loc["mental_health", "risk_score"] == pytest.approx(5.625, abs=1e-3)
    assert list(assessment.table["theme"]) == ["Mental health", "Burglary", "Road safety"]
    assert list(table["status"]) == [PROVISIONAL, PROVISIONAL, NO_EVIDENCE]
    assert table.loc["burglary", "provisional"] and assessment.provisional and not assessment.scored
    assert PROVISIONAL == "provisional: not yet scored by the partnership"


def test_a_blank_cell_makes_only_its_theme_provisional():
    partly = dict(FULL_SCORES, burglary=[1, 3, 3, 2, 2, 3, math.nan, 2, 3])  # confidence not yet scored
    table = assess_priorities(FINDINGS, scores_frame(partly), SETTINGS).table.set_index("theme_key")
    # confidence 2.5 (the middle) -> factor 0.75; risk 1110/147 x 0.75 = 5.663265
    assert table.loc["burglary", "risk_score"] == pytest.approx(5.663265, abs=1e-3)
    assert table.loc["burglary", "unscored"] == ["confidence"]
    assert table.loc["burglary", "status"] == PROVISIONAL and table.loc["mental_health", "status"] == SCORED


def test_a_theme_without_evidence_is_listed_not_ranked_nor_invented():
    assessment = assess_priorities({}, scores_frame(FULL_SCORES), SETTINGS)
    assert assessment.table["rank"].isna().all() and assessment.table["risk_score"].isna().all()
    assert set(assessment.table["status"]) == {NO_EVIDENCE}
    assert any("Burglary (crime type) is not in this run's findings" in note for note in assessment.notes)


def test_scores_for_a_theme_params_do_not_name_are_an_error_on_their_row():
    scores = scores_frame({**FULL_SCORES, "fraud": [1] * 9})
    with pytest.raises(InputError) as caught:
        assess_priorities(FINDINGS, scores, SETTINGS)
    assert (caught.value.path, caught.value.row, caught.value.column) == ("scores.csv", 4, "theme")


def test_chart_draws_scored_positions_with_alt_text():
    partly = dict(FULL_SCORES, mental_health=[3, 4, 1, 2, 4, 2, 1, math.nan, 4])  # capacity blank
    assessment = assess_priorities(FINDINGS, scores_frame(partly), SETTINGS)
    figure = risk_capacity_chart(assessment)
    described = alt_text(figure)
    assert "1. Burglary: risk 7.6, position 2.5" in described
    assert "Mental health" not in described and "1 ranked theme(s) are not drawn" in described
    assert figure.axes[0].get_title(loc="left").startswith("Risk score against")


def test_methodology_states_the_formula_scales_and_weights():
    text = methodology_markdown(SETTINGS)
    assert "risk score = harm × likelihood × confidence factor × organisational factor" in text
    assert "(2 × physical + 1 × psychological" in text and "÷ 7" in text
    assert "from 1 (low) to 4 (high)" in text and "0.5 × spc" in text
    assert "| Road safety | none yet: listed as having no evidence |" in text


def test_settings_errors_name_the_setting():
    with pytest.raises(ConfigError, match="themes.burglary.measures"):
        assess_priorities(FINDINGS, None, {**SETTINGS, "themes": {"burglary": {"measures": [{"crime": "Burglary"}]}}})
    with pytest.raises(ConfigError, match="scales.harm"):
        assess_priorities(FINDINGS, None, {**SETTINGS, "scales": {**SETTINGS["scales"], "harm": [4, 0]}})


# ---- the scoring file ---------------------------------------------------------------------------

HEADER = ["theme", *SCORE_COLUMNS, "notes"]


def write_scores(path: Path, rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(HEADER)
        out.writerows(rows)
    return path


def test_scoring_file_is_read_by_theme_key_or_label_with_blanks_kept(tmp_path):
    path = write_scores(tmp_path / "scores.csv", [["Domestic abuse", 4, 4, 2, 2, 4, 3, 2, 3, 3, "why"],
                                                  ["vehicle_crime", 0, 1, "", 2, 1, 2, 4, 2, 2, ""]])
    assert priority_scores.sniff(path)
    table = priority_scores.read(path)
    assert list(table["theme"]) == ["domestic_abuse", "vehicle_crime"]
    assert table.loc[0, "physical_harm"] == 4 and math.isnan(table.loc[1, "financial_harm"])
    assert list(table["row"]) == [2, 3] and set(table["source_file"]) == {"scores.csv"}


@pytest.mark.parametrize("row, column, message", [
    (["Fraud", 1, 1, 1, 1, 1, 1, 1, 1, 1, ""], "theme", "unknown theme 'Fraud'"),
    (["Burglary", 1, 1, 1, 1, 5, 1, 1, 1, 1, ""], "vulnerability", "vulnerability 5 is outside the scale 0 to 4"),
    (["Burglary", 1, 1, 1, 1, 1, 1, 0, 1, 1, ""], "confidence", "confidence 0 is outside the scale 1 to 4"),
    (["Burglary", 1, 1, 1, 1, 1, 1, 1, "high", 1, ""], "capacity", "'high' is not a number"),
])
def test_scoring_file_errors_name_file_row_and_column(tmp_path, row, column, message):
    path = write_scores(tmp_path / "scores.csv", [["Violence", 1, 1, 1, 1, 1, 1, 1, 1, 1, ""], row])
    with pytest.raises(InputError, match=message) as caught:
        priority_scores.read(path)
    assert (Path(caught.value.path).name, caught.value.row, caught.value.column) == ("scores.csv", 3, column)


def test_a_theme_scored_twice_is_an_error(tmp_path):
    path = write_scores(tmp_path / "scores.csv", [["Burglary"] + [1] * 9 + [""], ["burglary"] + [2] * 9 + [""]])
    with pytest.raises(InputError, match="scored more than once") as caught:
        priority_scores.read(path)
    assert (caught.value.row, caught.value.column) == (3, "theme")


def test_template_lists_every_params_theme_and_is_never_read_as_scores():
    template = PROJECT_ROOT / "data" / "raw" / priority_scores.TEMPLATE_NAME
    with template.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == HEADER
    assert [r[0] for r in rows[1:]] == [t.label for t in default_priority_settings().themes]
    assert all(cell == "" for r in rows[1:] for cell in r[1:])  # nothing judged for the partnership
    assert not priority_scores.sniff(template)


# ---- progress on last year's priorities ---------------------------------------------------------

PROGRESS_FINDINGS = {
    "all_crime": FINDINGS["all_crime"],
    "mental_health": {"measures": [
        {"measure": "Children's prevalence", "unit": "%", "value": 9.6, "target": None, "better": None,
         "trend": [{"period": "2015", "value": 9.61}, {"period": "2016", "value": 9.6}]},
        {"measure": "Section 136 detentions", "unit": "count", "value": 241, "target": 250.0, "better": "lower",
         "trend": [{"period": "2015/16", "value": 287}, {"period": "2016/17", "value": 241}]},
    ]},
}
PREVIOUS = [
    {"priority": "Acquisitive crime", "measures": [{"crime_type": "Burglary", "target": 1700}]},
    {"priority": "Safeguarding", "measures": [{"indicator": "Section 136 detentions"},
                                              {"indicator": "Children's prevalence"},
                                              {"indicator": "Hate crime reports"}]},
]


def test_progress_gives_met_not_met_and_readings():
    progress = progress_on_priorities(PROGRESS_FINDINGS, PREVIOUS).set_index("measure")
    burglary = progress.loc["Burglary"]
    # 1,600 -> 1,800: +200, 200 / 1,600 = +12.5%; lower is better for crime, 1,800 > 1,700: not met
    assert (burglary["previous_value"], burglary["current_value"], burglary["change"]) == (1600, 1800, 200)
    assert burglary["change_pct"] == pytest.approx(12.5) and burglary["status"] == "not met"
    assert burglary["reading"] == ("Burglary rose from 1,600 in Apr 15 – Mar 16 to 1,800 in Apr 16 – Mar 17 "
                                   "(+200, +12.5%); target 1,700 (lower is better): not met.")
    detentions = progress.loc["Section 136 detentions"]
    # the target and direction come from the partner return: 241 <= 250, met; 287 -> 241 is -46, -16.0%
    assert detentions["status"] == "met" and detentions["target"] == 250
    assert detentions["reading"] == ("Section 136 detentions fell from 287 in 2015/16 to 241 in 2016/17 "
                                     "(-46, -16.0%); target 250 (lower is better): met.")
    assert progress.loc["Children's prevalence", "status"] == "no target"
    assert progress.loc["Hate crime reports", "status"] == "not available"
    assert list(progress["priority"]) == ["Acquisitive crime", "Safeguarding", "Safeguarding", "Safeguarding"]


def test_progress_says_unchanged_when_equal_at_the_precision_shown():
    # 9.61% and 9.6% both show as 9.6%: not "rose from 9.6% to 9.6%"
    row = progress_on_priorities(PROGRESS_FINDINGS, PREVIOUS).set_index("measure").loc["Children's prevalence"]
    assert row["reading"] == "Children's prevalence was unchanged at 9.6% (2015 to 2016)."
    assert row["change_text"] == "unchanged"


def test_progress_params_errors_name_the_entry():
    with pytest.raises(ConfigError, match=r"previous_priorities\[0\]"):
        progress_on_priorities({}, [{"measures": [{"crime_type": "Burglary"}]}])
    with pytest.raises(ConfigError, match="target 'many' is not a number"):
        progress_on_priorities({}, [{"priority": "X", "measures": [{"crime_type": "Burglary", "target": "many"}]}])


def test_2017_params_name_medways_previous_priorities():
    config = load_config(2017)
    names = [p["priority"] for p in config.previous_priorities]
    assert names[0] == "Strengthening Communities" and len(names) == 5
    assert {t.key for t in default_priority_settings().themes} == set(config.priorities["themes"])


def test_priority_assessment_type():
    assert isinstance(assess_priorities(FINDINGS, None, SETTINGS), PriorityAssessment)


@pytest.mark.parametrize("direction, score, words", [
    ("improvement", 0, "special cause of improvement (SPC)"),
    (None, 2, "common-cause variation only (SPC)"),
    ("improvement and concern", 2, "special causes of both concern and improvement (SPC)"),
])
def test_spc_evidence_scores_and_words(direction, score, words):
    findings = {"all_crime": {**FINDINGS["all_crime"], "by_type": [
        {**FINDINGS["all_crime"]["by_type"][0], "spc_direction": direction}]}}
    evidence = measure_evidence(findings, MeasureLink("crime_type", "burglary"), PrioritySettings.from_params(SETTINGS))
    assert (evidence.scores["spc"], evidence.texts["spc"]) == (score, words)


def test_reader_tables_are_text_with_the_figures_shown_once():
    readers = ranked_table_for_readers(assess_priorities(FINDINGS, scores_frame(FULL_SCORES), SETTINGS))
    assert list(readers["Rank"]) == ["1", "2", "not ranked"]
    # 1110/147 = 7.551 -> 7.6; 15/7 = 2.143 -> 2.1; 74/21 = 3.524 -> 3.5
    assert list(readers.iloc[0, 2:5]) == ["7.6", "2.1", "3.5"]
    assert readers.loc[0, "What drove it"].split("\n")[0] == "Burglary: up 12.5% on Apr 15 – Mar 16"
    progress = progress_table_for_readers(progress_on_priorities(PROGRESS_FINDINGS, PREVIOUS))
    assert list(progress.iloc[0]) == ["Acquisitive crime", "Burglary", "1,600 (Apr 15 – Mar 16)",
                                      "1,800 (Apr 16 – Mar 17)", "+200 (+12.5%)", "1,700", "Not met"]
    assert list(progress.iloc[3, 2:]) == ["–", "–", "–", "–", "Not available"]


def test_volume_of_a_shorter_period_is_scored_as_a_year_and_says_so():
    # 4.6 per 1,000 over 11 months is 4.6 x 12 / 11 = 5.02 a year: it reaches the band from 5 -> 3
    # (4.6 alone would score 2)
    findings = {"all_crime": {**FINDINGS["all_crime"], "by_type": [
        {**FINDINGS["all_crime"]["by_type"][0], "rate_per_1000": 4.6, "months": 11}]}}
    evidence = measure_evidence(findings, MeasureLink("crime_type", "Burglary"), PrioritySettings.from_params(SETTINGS))
    assert evidence.scores["volume"] == 3
    assert evidence.texts["volume"] == "4.6 per 1,000 residents over 11 months"


def test_a_malformed_priorities_block_stops_the_run_at_load_config(tmp_path):
    (tmp_path / "defaults.yaml").write_text((PROJECT_ROOT / "params" / "defaults.yaml").read_text(encoding="utf-8"))
    year = (PROJECT_ROOT / "params" / "2017.yaml").read_text(encoding="utf-8")
    (tmp_path / "2017.yaml").write_text(year.replace("      - crime_type: Criminal damage and arson\n",
                                                     "      - crime_typo: Criminal damage and arson\n"))
    with pytest.raises(ConfigError, match=r"previous_priorities\[0\].measures: name the measure"):
        load_config(2017, params_dir=tmp_path)


def test_priority_report_html_escapes_names_and_carries_the_chart(tmp_path):
    from csp_assessment.report.priority_report import PriorityReport

    settings = {**SETTINGS, "themes": {**SETTINGS["themes"],
                                       "burglary": {"label": "Burglary <b>", "measures": [{"crime_type": "Burglary"}]}}}
    assessment = assess_priorities(FINDINGS, scores_frame(FULL_SCORES), settings)
    report = PriorityReport(assessment, progress_on_priorities(PROGRESS_FINDINGS, PREVIOUS), settings)
    summary = report.summary_html()
    assert "Burglary &lt;b&gt;" in summary and "<b>" not in summary
    assert 'alt="Chart: Risk score against' in summary and "data:image/svg+xml;base64," in summary
    assert "Provisional" not in summary  # every ranked theme is scored
    assert report.has_progress and "target 1,700 (lower is better): not met." in report.progress_html()
    method = report.method_html()
    assert "<table>" in method and "Burglary &lt;b&gt;" in method and "<b>" not in method

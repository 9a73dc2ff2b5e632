"""Priority scoring (MoRiLE-style) and progress on last year's priorities, on findings and scores
written here, with every expected value worked out by hand in the comments."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from conftest import PROJECT_ROOT
from csp_assessment.display.charts import alt_text
from csp_assessment.config import load_config
from csp_assessment.sections import check_config
from csp_assessment.errors import ConfigError, InputError
from csp_assessment.ingest import priority_scores
from csp_assessment.stats.priorities import (
    NO_DATA, PROVISIONAL, SCORED, UNSCORED, MeasureLink, PriorityAssessment, PrioritySettings, assess_priorities,
    default_priority_settings, evidence_table_for_readers, evidence_workings, measure_evidence, methodology_markdown,
    no_data_for_readers, progress_on_priorities, progress_table_for_readers, ranked_table_for_readers,
)
from csp_assessment.report.priority_report import risk_capacity_chart

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
    assert list(assessment.table["status"]) == [SCORED, SCORED, NO_DATA]
    assert not assessment.provisional and assessment.scored and not assessment.evidence_only


def test_drivers_are_the_heaviest_figures_in_readable_words():
    table = assess_priorities(FINDINGS, scores_frame(FULL_SCORES), SETTINGS).table.set_index("theme_key")
    # Burglary weighs: direction 1 x 4 = 4; the rate 3 (volume) or 10/3 (peer rank), so 10/3; SPC 0.5 x 4 = 2.
    assert table.loc["burglary", "drivers"] == [
        "Burglary: up 12.5% on Apr 15 – Mar 16",
        "Burglary: 6.4 per 1,000 residents, 3rd highest rate of 13 areas",
        "Burglary: latest month special cause of concern (SPC)",
    ]
    # Mental health: three figures weigh 4 (suicide direction and England, treatment England), the
    # treatment direction 3; ties keep the params' order of measures and of evidence.
    assert table.loc["mental_health", "drivers"] == [
        "Suicide rate: up 10.0% on 2012 - 14",
        "Suicide rate: significantly higher than England",
        "Treatment completion: significantly lower than England",
    ]
    assert table.loc["road_safety", "drivers"] == []  # no data: nothing drove it (no measure linked to list)


def test_without_scores_the_evidence_is_shown_for_priority_setting_not_ranked():
    # No judgement from the partnership: nothing is ranked and no risk score is made up from blank
    # scores; each theme's evidence score (its likelihood) is given, strongest first:
    # mental health 3.75 before burglary 74/21 = 3.524; road safety has no data.
    assessment = assess_priorities(FINDINGS, None, SETTINGS)
    table = assessment.table
    assert assessment.evidence_only and not assessment.scored and not assessment.provisional
    assert table["rank"].isna().all() and table["risk_score"].isna().all() and table["harm"].isna().all()
    assert list(table["theme"]) == ["Mental health", "Burglary", "Road safety"]
    assert list(table["status"]) == [UNSCORED, UNSCORED, NO_DATA]
    assert list(table["likelihood"][:2]) == pytest.approx([MENTAL_HEALTH_LIKELIHOOD, BURGLARY_LIKELIHOOD], abs=1e-3)
    readers = evidence_table_for_readers(assessment)
    assert list(readers.columns) == ["Theme", "Evidence score (0–4)", "What the data show"]
    assert list(readers["Theme"]) == ["Mental health", "Burglary"] and list(readers.iloc[:, 1]) == ["3.8", "3.5"]
    assert ranked_table_for_readers(assessment).empty
    # a scoring file with every score of a theme blank is no judgement either
    blank = assess_priorities(FINDINGS, scores_frame({"burglary": [math.nan] * 9}), SETTINGS)
    assert blank.evidence_only and blank.table.set_index("theme_key").loc["burglary", "status"] == UNSCORED


def test_unscored_themes_are_listed_apart_from_the_ranked_ones():
    # Burglary scored, mental health not: burglary alone is ranked (1110/147 = 7.551, as above);
    # mental health keeps its evidence score (3.75) but no rank and no risk score, and comes after it
    # although its evidence is stronger: it is not ranked among the scored themes.
    assessment = assess_priorities(FINDINGS, scores_frame({"burglary": FULL_SCORES["burglary"]}), SETTINGS)
    table = assessment.table.set_index("theme_key")
    assert list(assessment.ranked["theme_key"]) == ["burglary"] and not assessment.evidence_only
    assert table.loc["burglary", "risk_score"] == pytest.approx(7.55102, abs=1e-3)
    assert pd.isna(table.loc["mental_health", "rank"]) and pd.isna(table.loc["mental_health", "risk_score"])
    assert table.loc["mental_health", "status"] == UNSCORED
    assert table.loc["mental_health", "likelihood"] == pytest.approx(MENTAL_HEALTH_LIKELIHOOD)
    assert list(assessment.table["theme_key"]) == ["burglary", "mental_health", "road_safety"]
    assert list(ranked_table_for_readers(assessment)["Theme"]) == ["Burglary"]
    assert list(evidence_table_for_readers(assessment)["Theme"]) == ["Mental health"]


def test_no_data_is_no_data_supplied_never_low_risk():
    assessment = assess_priorities(FINDINGS, scores_frame(FULL_SCORES), SETTINGS)
    road = assessment.table.set_index("theme_key").loc["road_safety"]
    assert road["status"] == NO_DATA == "no data supplied"
    assert pd.isna(road["rank"]) and pd.isna(road["risk_score"]) and pd.isna(road["likelihood"])
    assert no_data_for_readers(assessment) == ["Road safety (no measure linked in params yet)"]
    # a theme whose linked measures are not in the data names them
    settings = {**SETTINGS, "themes": {"hate": {"label": "Hate crime", "measures": [{"indicator": "Hate crimes"}]}}}
    assert no_data_for_readers(assess_priorities(FINDINGS, None, settings)) == [
        "Hate crime (measures: Hate crimes)"]


# A theme of three police categories of very different volume, as Violence is on the real Medway
# 2022 run (its figures, from the all_crime findings of that run: Jan-Nov 2022, 11 months, 13 Kent
# areas, no comparison year in the data, SPC common cause for all three).
VIOLENCE_FINDINGS = {"all_crime": {"period": "Jan 22 – Nov 22", "comparison_period": "Jan 21 – Nov 21", "by_type": [
    {"category": "Violence and sexual offences", "count": 14092, "months": 11, "rate_per_1000": 50.48,
     "peer_rank_by_rate": 2, "peers": 13, "change_pct": None, "spc_variation": "common cause", "spc_direction": None},
    {"category": "Robbery", "count": 274, "months": 11, "rate_per_1000": 0.98,
     "peer_rank_by_rate": 1, "peers": 13, "change_pct": None, "spc_variation": "common cause", "spc_direction": None},
    {"category": "Possession of weapons", "count": 224, "months": 11, "rate_per_1000": 0.8,
     "peer_rank_by_rate": 4, "peers": 13, "change_pct": None, "spc_variation": "common cause", "spc_direction": None},
    {"category": "Vehicle crime", "count": 1579, "months": 11, "rate_per_1000": 5.66,
     "peer_rank_by_rate": 4, "peers": 13, "change_pct": None, "spc_variation": "common cause", "spc_direction": None},
]}}


def test_a_themes_evidence_weights_police_measures_by_their_share_of_its_records():
    settings = {**SETTINGS, "themes": {
        "violence": {"label": "Violence", "measures": [{"crime_type": "Violence and sexual offences"},
                                                       {"crime_type": "Robbery"},
                                                       {"crime_type": "Possession of weapons"}]},
        "vehicle_crime": {"label": "Vehicle crime", "measures": [{"crime_type": "Vehicle crime"}]}}}
    # Each measure: volume (the rate x 12 / 11, a year), peer rank 4 x (13 - rank) / 12, SPC common
    # cause 2 at weight 0.5, no direction; likelihood = (volume + peer rank + 0.5 x 2) / 2.5
    #   violence and sexual offences: 55.07 a year -> 4; rank 2 -> 44/12; (4 + 11/3 + 1) / 2.5 = 3.4667
    #   robbery: 1.07 a year -> 1; rank 1 -> 4; (1 + 4 + 1) / 2.5 = 2.4
    #   possession of weapons: 0.87 a year -> 1; rank 4 -> 3; (1 + 3 + 1) / 2.5 = 2.0
    #   vehicle crime: 6.17 a year -> 3; rank 4 -> 3; (3 + 3 + 1) / 2.5 = 2.8
    # Violence, weighted by records (14,092 + 274 + 224 = 14,590):
    #   (14,092 x 3.4667 + 274 x 2.4 + 224 x 2.0) / 14,590 = (48,852.3 + 657.6 + 448) / 14,590 = 3.4241
    # The plain mean, (3.4667 + 2.4 + 2.0) / 3 = 2.6222, put it below vehicle crime's 2.8.
    assessment = assess_priorities(VIOLENCE_FINDINGS, None, settings)
    table = assessment.table.set_index("theme_key")
    assert table.loc["violence", "likelihood"] == pytest.approx(3.4241, abs=1e-3)
    assert table.loc["vehicle_crime", "likelihood"] == pytest.approx(2.8, abs=1e-3)
    assert list(assessment.table["theme_key"]) == ["violence", "vehicle_crime"]
    measures = {m["measure"]: m for m in table.loc["violence", "measures"]}
    # shares: 14,092 / 14,590 = 96.59%, 274 / 14,590 = 1.88%, 224 / 14,590 = 1.54%
    assert [measures[name]["share"] for name in ("Violence and sexual offences", "Robbery", "Possession of weapons")] \
        == pytest.approx([0.9659, 0.0188, 0.0154], abs=1e-4)
    workings = evidence_workings(assessment)
    assert list(workings.iloc[0]) == ["Violence", "Violence and sexual offences", "14,092", "96.6%", "3.47", "3.4"]
    assert list(workings.iloc[1]) == ["", "Robbery", "274", "1.9%", "2.40", ""]


def test_indicators_each_count_as_much_as_the_police_measures_together():
    # Drugs-like theme: Burglary (the one police measure, 74/21 = 3.5238) and the two mental health
    # indicators (4 and 3.5, see MENTAL_HEALTH_LIKELIHOOD): (3.5238 + 4 + 3.5) / 3 = 3.6746
    settings = {**SETTINGS, "themes": {"mixed": {"label": "Mixed", "measures": [
        {"crime_type": "Burglary"}, {"indicator": "Suicide rate"}, {"indicator": "Treatment completion",
                                                                    "better": "higher"}]}}}
    table = assess_priorities(FINDINGS, None, settings).table
    assert table.loc[0, "likelihood"] == pytest.approx((74 / 21 + 4 + 3.5) / 3, abs=1e-3)
    assert [m["share"] for m in table.loc[0, "measures"]] == pytest.approx([1 / 3] * 3, abs=1e-4)
    assert [m["records"] for m in table.loc[0, "measures"]] == [1800, None, None]


def test_a_blank_cell_makes_only_its_theme_provisional():
    partly = dict(FULL_SCORES, burglary=[1, 3, 3, 2, 2, 3, math.nan, 2, 3])  # confidence not yet scored
    assessment = assess_priorities(FINDINGS, scores_frame(partly), SETTINGS)
    table = assessment.table.set_index("theme_key")
    # confidence 2.5 (the middle) -> factor 0.75; risk 1110/147 x 0.75 = 5.663265
    assert table.loc["burglary", "risk_score"] == pytest.approx(5.663265, abs=1e-3)
    assert table.loc["burglary", "unscored"] == ["confidence"]
    assert table.loc["burglary", "status"] == PROVISIONAL and table.loc["mental_health", "status"] == SCORED
    assert assessment.provisional and not pd.isna(table.loc["burglary", "rank"])


def test_a_theme_without_evidence_is_listed_not_ranked_nor_invented():
    assessment = assess_priorities({}, scores_frame(FULL_SCORES), SETTINGS)
    assert assessment.table["rank"].isna().all() and assessment.table["risk_score"].isna().all()
    assert set(assessment.table["status"]) == {NO_DATA}
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
    assert "| Road safety | none yet: no data supplied |" in text
    # the aggregation and the direction of the organisational factor, with its source
    assert "weighted by their share of the theme's police records" in text
    assert "from 0.75 (little capacity and capability) to\n1.25 (well placed)" in text
    assert "Safer Maidstone Partnership's plan\n2017-18" in text and "can influence" in text


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
    ("improvement", 0, "latest month special cause of improvement (SPC)"),
    ("concern", 4, "latest month special cause of concern (SPC)"),
    (None, 2, "latest month common cause (SPC)"),
    ("neutral", 2, "latest month special cause, neither concern nor improvement (SPC)"),
])
def test_spc_evidence_scores_and_words(direction, score, words):
    findings = {"all_crime": {**FINDINGS["all_crime"], "by_type": [
        {**FINDINGS["all_crime"]["by_type"][0], "spc_direction": direction}]}}
    evidence = measure_evidence(findings, MeasureLink("crime_type", "burglary"), PrioritySettings.from_params(SETTINGS))
    assert (evidence.scores["spc"], evidence.texts["spc"]) == (score, words)


def test_reader_tables_are_text_with_the_figures_shown_once():
    readers = ranked_table_for_readers(assess_priorities(FINDINGS, scores_frame(FULL_SCORES), SETTINGS))
    assert list(readers["Rank"]) == ["1", "2"]  # road safety, no data supplied, is not in the ranking
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


def test_a_malformed_priorities_block_stops_the_run_before_anything_runs(tmp_path):
    (tmp_path / "defaults.yaml").write_text((PROJECT_ROOT / "params" / "defaults.yaml").read_text(encoding="utf-8"))
    year = (PROJECT_ROOT / "params" / "2017.yaml").read_text(encoding="utf-8")
    (tmp_path / "2017.yaml").write_text(year.replace("      - crime_type: Criminal damage and arson\n",
                                                     "      - crime_typo: Criminal damage and arson\n"))
    config = load_config(2017, params_dir=tmp_path)  # params only: the scoring checks its own blocks
    with pytest.raises(ConfigError, match=r"previous_priorities\[0\].measures: name the measure"):
        check_config(config)  # as the run, pipeline.py fetch and open_section do first


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


def test_summary_lists_unscored_and_no_data_themes_apart_from_the_ranking():
    from csp_assessment.report.priority_report import PriorityReport

    partly = {"burglary": [1, 3, 3, 2, 2, 3, math.nan, 2, 3]}  # burglary scored but for confidence
    report = PriorityReport(assess_priorities(FINDINGS, scores_frame(partly), SETTINGS),
                            progress_on_priorities(PROGRESS_FINDINGS, []), SETTINGS)
    html = report.summary_html()
    ranked, unscored = html.index("Ranked priorities"), html.index("<h3>Not yet scored by the partnership</h3>")
    no_data = html.index("<h3>No data supplied</h3>")
    assert ranked < html.index("Burglary") < unscored < html.index("Mental health") < no_data
    assert html.count("Mental health") == 1 and "<li>Road safety (no measure linked in params yet)</li>" in html
    # one plain notice for blank scores, not "Provisional: provisional: ..."
    assert "<strong>Provisional:</strong> some of the partnership's scores are blank" in html
    assert "provisional: provisional" not in html.lower() and "Provisional: some scores blank" in html  # its status
    assert "Evidence for priority setting" not in html
    # nothing scored: evidence for priority setting, no ranking, no notice, no chart
    evidence = PriorityReport(assess_priorities(FINDINGS, None, SETTINGS), progress_on_priorities({}, []), SETTINGS)
    html = evidence.summary_html()
    assert html.startswith("<h2>Evidence for priority setting</h2>") and "not a ranking of risk" in html
    assert "Ranked priorities" not in html and "rovisional" not in html and "<img" not in html
    assert evidence.as_json()["basis"] == "evidence for priority setting"

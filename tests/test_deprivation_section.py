"""The all-crime and ASB sections' deprivation figures on the demo data, against counts made with
the csv module and openpyxl from the demo files themselves; and what a section says without the
IoD file."""

import csv
import shutil
import math
from collections import Counter

import openpyxl
import pytest

from csp_assessment.config import load_config
from csp_assessment.ingest.folder import prepare_data
from csp_assessment.sections.crime import CrimeSection
from csp_assessment.sections import SECTIONS

MEDWAY = "E06000035"
PERIOD = {f"2016-{m:02d}" for m in range(4, 13)} | {f"2017-{m:02d}" for m in range(1, 4)}


def open_section(key, data_dir, processed_dir) -> CrimeSection:
    config = load_config(2017, data_dir=data_dir, processed_dir=processed_dir)
    return CrimeSection(SECTIONS[key], config, prepare_data(config))


@pytest.fixture(scope="module")
def hand_counts(demo_dir):
    """Per national decile, for Medway in Apr 16 - Mar 17: (crimes, ASB incidents, residents, LSOAs)."""
    with open(demo_dir / "ons" / "lsoa11-ward17-lad17-lookup.csv", newline="", encoding="utf-8-sig") as fh:
        medway = {row["LSOA11CD"] for row in csv.DictReader(fh) if row["LAD17CD"] == MEDWAY}
    book = openpyxl.load_workbook(demo_dir / "mhclg" / "File_1_IMD2019_Index_of_Multiple_Deprivation.xlsx",
                                  read_only=True)
    decile = {row[0]: row[5] for row in list(book["IMD2019"].iter_rows(values_only=True))[1:]}
    with open(demo_dir / "ons" / "census2011-lsoa-population.csv", newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    residents = {row[6]: int(row[9].replace(",", "")) for row in rows[1:]}
    crimes, asb = Counter(), Counter()
    for path in sorted((demo_dir / "police-uk").glob("*/*-street.csv")):
        if path.parent.name not in PERIOD:
            continue
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["LSOA code"] in medway:
                    target = asb if row["Crime type"] == "Anti-social behaviour" else crimes
                    target[decile[row["LSOA code"]]] += 1
    people, lsoas = Counter(), Counter()
    for code in medway:
        people[decile[code]] += residents[code]
        lsoas[decile[code]] += 1
    return crimes, asb, people, lsoas


@pytest.fixture(scope="module")
def sections(demo_dir, demo_tables_once, tmp_path_factory):
    processed = tmp_path_factory.mktemp("deprivation") / "processed"
    shutil.copytree(demo_tables_once, processed)  # the session's tables of the 2017 run: not read again
    return {key: open_section(key, demo_dir, processed) for key in ("all_crime", "asb")}


@pytest.mark.parametrize("key, which", [("all_crime", 0), ("asb", 1)])
def test_decile_counts_and_rates_match_the_files(sections, hand_counts, key, which):
    section, counted, people, lsoas = sections[key], hand_counts[which], hand_counts[2], hand_counts[3]
    table = section.deprivation.by_decile.set_index("decile")
    for decile in range(1, 11):
        assert table.loc[decile, "records"] == counted[decile]
        assert table.loc[decile, "lsoas"] == lsoas[decile]
        if lsoas[decile]:
            assert table.loc[decile, "population"] == people[decile]
            assert table.loc[decile, "per_1000"] == pytest.approx(1000 * counted[decile] / people[decile])
    share = section.deprivation.share
    assert share.records == counted[1] and share.total == sum(counted.values())
    assert share.share_pct == pytest.approx(100 * counted[1] / sum(counted.values()))
    assert share.population_share_pct == pytest.approx(100 * people[1] / sum(people.values()))


def test_the_section_shows_the_share_table_chart_and_notes(sections, hand_counts):
    section = sections["all_crime"]
    crimes = hand_counts[0]
    summary = section.deprivation_summary().data
    assert f"{100 * crimes[1] / sum(crimes.values()):.1f}% of Medway's crimes" in summary
    assert "most deprived 10%" in summary
    html = section.deprivation_table().to_html()
    assert "1 (most deprived)" in html and f"{crimes[1]:,}" in html
    chart = section.deprivation_chart()
    assert chart.axes[0].get_title(loc="left") and chart.axes[0].get_ylabel()  # the style titles charts on the left
    notes = section.deprivation_notes().data
    assert "national" in notes and "English Indices of Deprivation 2019" in notes
    findings = section.findings()["deprivation"]
    assert findings["most_deprived_10pct"]["records"] == crimes[1]
    assert [d["decile"] for d in findings["by_decile"]] == list(range(1, 11))


def test_without_the_indices_the_section_says_what_is_missing_and_where_to_get_it(demo_variant):
    folder, processed = demo_variant(leave_out=("mhclg",))
    section = open_section("asb", folder, processed)
    said = section.deprivation_summary().data
    assert "English Indices of Deprivation" in said and "IMD2019" in said and "GOV.UK" in said
    assert section.deprivation_table().data == "" and section.deprivation_chart().data == ""
    assert "missing" in section.findings()["deprivation"]
    assert not math.isnan(section.rate)  # the rest of the section is as before

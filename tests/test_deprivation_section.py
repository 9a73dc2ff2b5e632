"""The all-crime and ASB sections' deprivation figures on the demo data, and Medway's for 2022 on the
real files, against counts made with the csv module, openpyxl and xlrd from the files themselves;
and what a section says without the IoD file."""

import csv
import shutil
import math
from collections import Counter

import openpyxl
import pytest

from conftest import PROJECT_ROOT, linked_copy
from csp_assessment.config import load_config
from csp_assessment.ingest.folder import prepare_data
from csp_assessment.sections.crime import CrimeSection
from csp_assessment.sections import SECTIONS

MEDWAY = "E06000035"
PERIOD = {f"2016-{m:02d}" for m in range(4, 13)} | {f"2017-{m:02d}" for m in range(1, 4)}


def open_section(key, data_dir, processed_dir) -> CrimeSection:
    config = load_config(2017, data_dir=data_dir, processed_dir=processed_dir)
    return CrimeSection(SECTIONS[key], config, prepare_data(config))


def mid_year_estimate(path, code: str) -> int:
    """A local authority's 'All ages' in an ONS mid-year estimates workbook (MYE2, persons), read with
    openpyxl or xlrd: the first sheet whose rows hold the code, the column headed 'All ages'."""
    if str(path).endswith(".xlsx"):
        book = openpyxl.load_workbook(path, read_only=True)
        sheets = [list(book[name].iter_rows(values_only=True)) for name in book.sheetnames]
    else:
        import xlrd

        book = xlrd.open_workbook(path)
        sheets = [[book.sheet_by_index(i).row_values(r) for r in range(book.sheet_by_index(i).nrows)]
                  for i in range(book.nsheets)]
    for rows in sheets:
        header = next((r for r in rows if "All ages" in r), None)
        found = next((r for r in rows if code in r), None)
        if header and found:
            return int(found[list(header).index("All ages")])
    raise AssertionError(f"{code} not in {path}")


@pytest.fixture(scope="module")
def hand_counts(demo_dir):
    """Per national decile, for Medway in Apr 16 - Mar 17: (crimes, ASB incidents, residents, LSOAs).
    Residents: each LSOA's Census 2011 population times Medway's mid-2016 estimate (the headline's,
    params population_year 2016) over the Census total of its LSOAs."""
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
    factor = (mid_year_estimate(demo_dir / "ons" / "mid-year-estimates" / "ukmidyearestimates2016.xlsx", MEDWAY)
              / sum(residents[code] for code in medway))
    for code in medway:
        people[decile[code]] += residents[code] * factor
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
            assert table.loc[decile, "population"] == round(people[decile])
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
    assert "Census 2011 usual residents (2011), scaled so that each local authority's LSOAs add up to the ONS " \
           "mid-2016 estimate the headline rate uses (278,542" in notes
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


REAL_DATA = PROJECT_ROOT.parent / "shared" / "data"
REAL_IMD = PROJECT_ROOT.parent / "shared" / "data-current" / "mhclg" / "File_1_IMD2019_Index_of_Multiple_Deprivation.xlsx"


@pytest.mark.slow  # ingests eleven months of Kent's street files
def test_medway_2022_decile_rates_on_the_headlines_population(tmp_path):
    """Medway, January to November 2022, on the real Kent files: the records carry LSOA 2011 codes, and
    the data folder's small-area population is the Census 2011 one, while the headline rate uses ONS's
    mid-2020 estimate (the latest the folder holds for 2022). The rate per 1,000 residents of a decile
    is its records over its LSOAs' Census 2011 residents scaled by Medway's mid-2020 estimate over the
    Census total (ONS: small-area estimates are constrained to the mid-year estimates of their local
    authority), so the decile rates and the headline rate share one population: without the scaling
    they ran about 6% high. Counted here with csv, openpyxl and xlrd."""
    if not (REAL_DATA / "police-uk").is_dir() or not REAL_IMD.is_file():
        pytest.skip(f"the real files are not at {REAL_DATA} and {REAL_IMD} (they sit beside the clone in CI)")
    folder = linked_copy(REAL_DATA, tmp_path / "raw")
    (folder / "mhclg").mkdir()
    (folder / "mhclg" / REAL_IMD.name).symlink_to(REAL_IMD)
    config = load_config(2022, area=MEDWAY, data_dir=folder, processed_dir=tmp_path / "processed",
                         period_from="2022-01", period_to="2022-11")
    section = CrimeSection(SECTIONS["all_crime"], config, prepare_data(config))

    with open(REAL_DATA / "ons" / "lsoa11-ward17-lad17-lookup.csv", newline="", encoding="utf-8-sig") as fh:
        medway = {row["LSOA11CD"] for row in csv.DictReader(fh) if row["LAD17CD"] == MEDWAY}
    book = openpyxl.load_workbook(REAL_IMD, read_only=True)
    decile = {row[0]: row[5] for row in list(book["IMD2019"].iter_rows(values_only=True))[1:]}
    with open(REAL_DATA / "ons" / "census2011-lsoa-population.csv", newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    residents = {row[6]: int(row[9].replace(",", "")) for row in rows[1:] if row[6] in medway}
    mid_2020 = mid_year_estimate(REAL_DATA / "ons" / "mid-year-estimates" / "ukpopestimatesmid2020on2021geography.xls",
                                 MEDWAY)
    factor = mid_2020 / sum(residents.values())
    assert factor == pytest.approx(1.058, abs=0.001)  # the Census 2011 population is 5.8% below mid-2020's
    crimes, people = Counter(), Counter()
    for month in range(1, 12):
        path = REAL_DATA / "police-uk" / f"2022-{month:02d}" / f"2022-{month:02d}-kent-street.csv"
        with open(path, newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                if row["LSOA code"] in medway and row["Crime type"] != "Anti-social behaviour":
                    crimes[decile[row["LSOA code"]]] += 1
    for code, count in residents.items():
        people[decile[code]] += count * factor
    assert section.population.value == mid_2020
    table = section.deprivation.by_decile.set_index("decile")
    for d in range(1, 11):
        assert table.loc[d, "records"] == crimes[d]
        assert table.loc[d, "per_1000"] == pytest.approx(1000 * crimes[d] / people[d], rel=1e-9)
    # the deciles' residents add up to the headline's, so their records over residents give the headline rate
    assert table["population"].sum() == pytest.approx(mid_2020, abs=10)
    assert "scaled so that each local authority's LSOAs add up to the ONS mid-2020 estimate" in \
        section.deprivation_notes().data

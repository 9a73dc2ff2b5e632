"""The demo data written in the 2017 formats and in today's ONS formats give the same figures,
and both carry boundaries, so the 2017 run draws its maps."""

from __future__ import annotations

import csv
import json

import pytest

from csp_assessment.config import load_config
from csp_assessment.demo import generate_demo
from csp_assessment.ingest import boundaries, ons
from csp_assessment.ingest.folder import prepare_data
from csp_assessment.sections.crime import CrimeSection
from csp_assessment.sections import SECTIONS

pytestmark = pytest.mark.slow  # a second demo data set is generated, in today's formats


@pytest.fixture(scope="module")
def current_demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo-current") / "raw"
    generate_demo(folder, formats="current")
    return folder


def sections(folder, processed):
    config = load_config(2017, data_dir=folder, processed_dir=processed)
    ingest = prepare_data(config)
    return {key: CrimeSection(SECTIONS[key], config, ingest) for key in ("all_crime", "asb")}


def test_current_formats_are_today_s_ons_layouts(current_demo):
    ons_dir = current_demo / "ons"
    lookup = ons_dir / "LSOA_(2021)_to_Electoral_Ward_(2024)_to_LAD_(2024)_Best_Fit_Lookup_in_EW.csv"
    assert lookup.read_bytes().startswith(b"\xef\xbb\xbfLSOA21CD,LSOA21NM,LSOA21NMW,WD24CD,")
    assert ons.sniff(lookup) == "lsoa_ward_lad_lookup"
    assert (ons_dir / "lad23-csp23-pfa23-lookup.csv").read_text().startswith("FID,LAD23CD,")
    assert ons.sniff(ons_dir / "census2021-ts001-lsoa.csv") == "small_area_population"
    workbook = ons_dir / "mid-year-estimates" / "mye16final.xlsx"
    import openpyxl
    sheet = openpyxl.load_workbook(workbook, read_only=True)["MYE2 - Persons"]
    rows = list(sheet.iter_rows(max_row=8, values_only=True))
    assert rows[7][:4] == ("Code", "Name", "Geography", "All ages")
    assert boundaries.sniff(ons_dir / "boundaries" / "lsoa21_demo.geojson")
    assert boundaries.sniff(ons_dir / "boundaries" / "ward24_demo.geojson")
    with open(ons_dir / "boundaries" / "ward24_demo.geojson", encoding="utf-8") as fh:
        wards = json.load(fh)["features"]
    with open(lookup, encoding="utf-8-sig", newline="") as fh:
        ward_codes = {row["WD24CD"] for row in csv.DictReader(fh)}
    assert {f["properties"]["WD24CD"] for f in wards} == ward_codes


def test_both_formats_give_the_same_figures_and_maps(demo_dir, demo_processed, current_demo, tmp_path):
    old, new = sections(demo_dir, demo_processed), sections(current_demo, tmp_path / "new")
    assert old["all_crime"].count == new["all_crime"].count == 23_125
    assert old["asb"].count == new["asb"].count == 7_077
    for key in ("all_crime", "asb"):
        a, b = old[key], new[key]
        assert a.population.value == b.population.value == 278_542
        assert a.top_wards[["ward_name", "records"]].equals(b.top_wards[["ward_name", "records"]])
        assert a.top_wards["per_1000"].round(6).tolist() == b.top_wards["per_1000"].round(6).tolist()
        assert (a.geo.ward_vintage, b.geo.ward_vintage) == ("2017", "2024")
        for section in (a, b):
            ward_map, lsoa_map = section.ward_map(), section.lsoa_map()
            assert ward_map.csp_alt_text.startswith(f"Map: {section.y_label} per 1,000 residents by ward, Medway.")
            assert "1 River" in ward_map.csp_alt_text or "1 Gillingham North" in ward_map.csp_alt_text
            assert "each of 163 LSOAs" in lsoa_map.csp_alt_text and "1 to 4" in lsoa_map.csp_alt_text


def test_without_boundaries_the_section_says_where_to_get_them(demo_variant):
    folder, processed = demo_variant(leave_out=("boundaries",))
    section = sections(folder, processed)["all_crime"]
    note = section.maps_note().data
    assert "Maps need ONS boundary files" in note and "geoportal.statistics.gov.uk" in note
    assert section.ward_map().data == "" and section.lsoa_map().data == ""


def test_small_ward_counts_are_not_shaded_for_reviewers(demo_dir, demo_processed):
    section = sections(demo_dir, demo_processed)["asb"]
    table = section.ward_table.copy()
    smallest = table["ward_code"].iloc[0]
    table.loc[table["ward_code"] == smallest, "records"] = 3
    section.__dict__["ward_table"] = table  # a ward with 3 incidents
    reviewer = section.ward_map()
    assert "1 ward with fewer than 5 ASB incidents is not shaded" in reviewer.csp_alt_text
    analyst = section.ward_map(exact=True)
    assert "not shaded" not in analyst.csp_alt_text

"""ONS files in the formats published since the 2021 Census: the real files in
../shared/data-current (expected values read independently with csv, xlrd and openpyxl) and small
files built here in the layouts ONS uses now."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
import xlrd

from csp_assessment.ingest import ons
from test_ingest_ons import write_csv, write_workbook

CURRENT = Path(__file__).resolve().parents[1].parent / "shared" / "data-current"
MEDWAY, CITY = "E06000035", "E09000001"


def real_file(relative: str) -> Path:
    path = CURRENT / relative
    if not path.exists():
        pytest.skip(f"real current-format ONS files not found at {path}")
    return path


def mye2_persons_cells(path: Path, codes: set[str]) -> dict[str, int]:
    """'All ages' of ``codes`` in the sheet 'MYE2 - Persons', read cell by cell (header on row 8)."""
    found = {}
    if path.suffix == ".xls":
        sheet = xlrd.open_workbook(path).sheet_by_name("MYE2 - Persons")
        rows = (sheet.row_values(i) for i in range(sheet.nrows))
    else:
        rows = openpyxl.load_workbook(path, read_only=True)["MYE2 - Persons"].iter_rows(values_only=True)
    for i, row in enumerate(rows, start=1):
        if i == 8:
            assert list(row[:4]) == ["Code", "Name", "Geography", "All ages"]
        if i > 8 and row[0] in codes:
            found[row[0]] = int(row[3])
    return found


@pytest.mark.parametrize("name, year", [("ukpopestimatesmid2021on2021geographyfinal.xls", 2021),
                                        ("mye22final.xlsx", 2022)])
def test_mid_2021_and_mid_2022_give_the_published_figures(name, year):
    path = real_file(f"ons/mid-year-estimates/{name}")
    expected = mye2_persons_cells(path, {MEDWAY, CITY})
    assert ons.sniff(path) == "mid_year_estimates"
    df = ons.read_mid_year_estimates(path)
    got = df[(df["mid_year"] == year) & df["area_code"].isin([MEDWAY, CITY])].set_index("area_code")["population"]
    assert got.to_dict() == expected
    if year == 2022:
        assert expected[MEDWAY] == 282_702  # as the folder's README gives it


def test_mid_2024_mye2_table_saved_as_csv_is_read_with_the_year_of_its_name():
    """mye24tablesew.csv: the MYE2 persons table as CSV, no title, so the year comes from ONS's name
    for the release ("mye24": mid-2024). Left unread, a 2024 assessment's rates fell back to mid-2022."""
    path = real_file("ons/mid-year-estimates/mye24tablesew.csv")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        expected = {r["Code"]: int(r["All ages"]) for r in csv.DictReader(fh) if r["Code"] in (MEDWAY, "E06000032")}
    assert ons.sniff(path) == "mid_year_estimates"
    df = ons.read_mid_year_estimates(path)
    assert set(df["mid_year"]) == {2024}
    assert df.set_index("area_code").loc[list(expected), "population"].to_dict() == expected
    assert expected["E06000032"] == 239_090  # Luton, as published


def test_an_mye2_csv_whose_name_holds_no_year_is_refused(tmp_path):
    path = write_csv(tmp_path / "persons.csv", ["Code,Name,Geography,All ages,0,1",
                                                "E06000035,Medway,Unitary Authority,3,1,2"])
    assert ons.sniff(path) == "mid_year_estimates"
    with pytest.raises(ons.InputError, match="cannot tell the mid-year of this MYE2 table"):
        ons.read_mid_year_estimates(path)
    renamed = path.rename(tmp_path / "persons-mid-2023.csv")
    assert ons.read_mid_year_estimates(renamed)[["area_code", "mid_year", "population"]].values.tolist() == [
        ["E06000035", 2023, 3]]


def test_lad_csp_pfa_2019_with_the_id_first_and_authorities_in_several_partnerships():
    path = real_file("ons/lad19-csp19-pfa19-lookup.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    df = ons.read_lad_csp_pfa_lookup(path)
    assert ons.sniff(path) == "lad_csp_pfa_lookup"
    assert len(df) == len(rows)
    east_suffolk = sorted(r["CSP19CD"] for r in rows if r["LAD19CD"] == "E07000244")
    assert sorted(df.loc[df["lad_code"] == "E07000244", "csp_code"]) == east_suffolk and len(east_suffolk) == 2
    assert df.attrs["csp_vintage"] == "2019"


def test_lsoa_bridge_real():
    path = real_file("ons/LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Exact_Fit_Lookup_for_EW_(V3).csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert ons.sniff(path) == "lsoa_bridge"
    df = ons.read_lsoa_bridge(path)
    assert len(df) == len(rows)
    assert df["change"].value_counts().to_dict() == {
        c: sum(1 for r in rows if r["CHGIND"] == c) for c in {r["CHGIND"] for r in rows}}


def test_census_2021_ts001_from_nomis(tmp_path):
    header = ("date,geography,geography code,Residence type: Total; measures: Value,"
              "Residence type: Lives in a household; measures: Value,"
              "Residence type: Lives in a communal establishment; measures: Value")
    path = write_csv(tmp_path / "census2021-ts001-lsoa.csv", [
        header, "2021,Medway 001A,E01016001,1563,1500,63", "2021,Medway 001F,E01035001,1402,1402,0"])
    assert ons.sniff(path) == "small_area_population"
    df = ons.read_small_area_population(path)
    assert df[["lsoa_code", "population", "year", "lsoa_vintage"]].values.tolist() == [
        ["E01016001", 1563, 2021, "2021"], ["E01035001", 1402, 2021, "2021"]]
    assert set(df["source"]) == {"Census 2021 usual residents (TS001)"}


def test_sape_lsoa_2021_workbook_reads_every_year(tmp_path):
    def sheet(year: int, first: int) -> list[list[object]]:
        return [[f"Mid-{year} population estimates for Lower layer Super Output Areas (LSOA 2021)"],
                ["This worksheet contains one table."], ["Source: Office for National Statistics"],
                ["LAD 2023 Code", "LAD 2023 Name", "LSOA 2021 Code", "LSOA 2021 Name", "Total", "F0", "F1"],
                [MEDWAY, "Medway", "E01016001", "Medway 001A", first, 10, 11],
                [MEDWAY, "Medway", "E01035001", "Medway 001F", first + 100, 9, 8]]
    path = write_workbook(tmp_path / "sapelsoasyoa20222024.xlsx", {
        "Cover sheet": [["Lower layer Super Output Area population estimates"]],
        "Mid-2022 LSOA 2021": sheet(2022, 1500), "Mid-2023 LSOA 2021": sheet(2023, 1510)})
    assert ons.sniff(path) == "small_area_population"
    df = ons.read_small_area_population(path)
    assert df[["lsoa_code", "lad_code", "population", "year", "lsoa_vintage"]].values.tolist() == [
        ["E01016001", MEDWAY, 1500, 2022, "2021"], ["E01035001", MEDWAY, 1600, 2022, "2021"],
        ["E01016001", MEDWAY, 1510, 2023, "2021"], ["E01035001", MEDWAY, 1610, 2023, "2021"]]


def test_myeb_long_table_csv_sums_sex_and_age(tmp_path):
    path = write_csv(tmp_path / "MYEB1_detailed_population_estimates_series_UK_(2021_geog21).csv", [
        "ladcode21,laname21,country,sex,age,population_2020,population_2021",
        f"{MEDWAY},Medway,E,1,0,1700,1710", f"{MEDWAY},Medway,E,2,0,1650,1660",
        f"{MEDWAY},Medway,E,1,1,1800,1790", f"{CITY},City of London,E,1,0,40,41"])
    assert ons.sniff(path) == "mid_year_estimates"
    df = ons.read_mid_year_estimates(path)
    got = {(r.area_code, r.mid_year): r.population for r in df.itertuples()}
    assert got == {(MEDWAY, 2020): 5150, (MEDWAY, 2021): 5160, (CITY, 2020): 40, (CITY, 2021): 41}


def test_myeb_sheet_of_a_workbook_without_mye2(tmp_path):
    path = write_workbook(tmp_path / "myeb.xlsx", {"MYEB1": [
        ["code", "name", "geography", "sex", "age", "population_2021", "population_2022"],
        [MEDWAY, "Medway", "Unitary Authority", "M", 0, 1700, 1710],
        [MEDWAY, "Medway", "Unitary Authority", "F", 0, 1650, 1660]]})
    assert ons.sniff(path) == "mid_year_estimates"
    df = ons.read_mid_year_estimates(path)
    assert {(r.mid_year, r.population) for r in df.itertuples()} == {(2021, 3350), (2022, 3370)}

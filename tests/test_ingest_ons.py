"""Tests for the ONS loaders: the real published files in ../shared/data (expected values read
independently with the csv module and xlrd), and small files built here in the layouts ONS uses."""

from __future__ import annotations

import csv
import os
import re
from collections import defaultdict
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlrd

from csp_assessment.errors import InputError
from csp_assessment.ingest import ons

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MEDWAY, MAIDSTONE, DARTFORD, GRAVESHAM = "E06000035", "E07000110", "E07000107", "E07000109"
LOOKUP = "ons/lsoa11-ward17-lad17-lookup.csv"
LAD_CSP_PFA = "ons/lad17-csp17-pfa17-lookup.csv"
CENSUS = "ons/census2011-lsoa-population.csv"
# Each release: the sheet holding MYE2 for all persons, and the mid-year it is for.
MYE_RELEASES = {
    "MYE2_population_by_sex_and_age_for_local_authorities_UK_2015.xls": ("Persons UK", 2015),
    "ukmidyearestimates2016.xls": ("MYE2 - All", 2016),
    "ukmidyearestimates2017finalversion.xls": ("MYE2 - All", 2017),
    "ukmidyearestimates20182019ladcodes.xls": ("MYE2-All", 2018),
    "ukmidyearestimates20192020ladcodes.xls": ("MYE2 - Persons", 2019),
    "ukpopestimatesmid2020on2021geography.xls": ("MYE2 - Persons", 2020),
}


def real_file(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real ONS files not found at {path}")
    return path


def read_csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = csv.reader(handle)
    return header, rows


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def write_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def xlrd_sheet_table(path: Path, sheet_name: str) -> tuple[list[str], list[list[object]]]:
    """Header (lower-cased) and the rows below it of a release sheet, the header being the row
    whose first cell is "Code"."""
    sheet = xlrd.open_workbook(path).sheet_by_name(sheet_name)
    rows = [sheet.row_values(r) for r in range(sheet.nrows)]
    start = next(r for r, row in enumerate(rows) if str(row[0]).strip().lower() == "code")
    return [str(cell).strip().lower() for cell in rows[start]], rows[start + 1 :]


# --------------------------------------------------------------------------- real files


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("relative", "kind"),
    [
        (LOOKUP, "lsoa_ward_lad_lookup"),
        (LAD_CSP_PFA, "lad_csp_pfa_lookup"),
        (CENSUS, "small_area_population"),
        *[(f"ons/mid-year-estimates/{name}", "mid_year_estimates") for name in MYE_RELEASES],
        ("police-uk/2022-01/2022-01-kent-street.csv", None),
        ("home-office/prc-pfa-2017-18.csv", None),
    ],
)
def test_sniff_real_files(relative, kind):
    assert ons.sniff(real_file(relative)) == kind


@pytest.mark.shared_data
def test_real_lsoa_ward_lad_lookup():
    path = real_file(LOOKUP)
    header, rows = read_csv_rows(path)
    lsoa, ward, lad = header.index("LSOA11CD"), header.index("WD17CD"), header.index("LAD17CD")
    lsoas, wards = defaultdict(set), defaultdict(set)
    for row in rows:
        lsoas[row[lad]].add(row[lsoa])
        wards[row[lad]].add(row[ward])

    df = ons.read_lsoa_ward_lad_lookup(path)

    assert len(df) == len(rows)
    assert list(df.columns) == ["lsoa_code", "lsoa_name", "ward_code", "ward_name", "lad_code", "lad_name"]
    assert df.attrs["lsoa_vintage"] == "2011"
    assert df.attrs["ward_vintage"] == "2017"
    for code, n_lsoas, n_wards in [(MEDWAY, 163, 22), (MAIDSTONE, 95, 26)]:
        assert (len(lsoas[code]), len(wards[code])) == (n_lsoas, n_wards)
        area = df[df["lad_code"] == code]
        assert (area["lsoa_code"].nunique(), area["ward_code"].nunique()) == (n_lsoas, n_wards)
    assert set(df.loc[df["lad_code"] == MEDWAY, "lad_name"]) == {"Medway"}


@pytest.mark.shared_data
def test_real_lad_csp_pfa_lookup():
    path = real_file(LAD_CSP_PFA)
    header, rows = read_csv_rows(path)
    kent_lads = {row[header.index("LAD17CD")] for row in rows if row[header.index("PFA17CD")] == "E23000032"}

    df = ons.read_lad_csp_pfa_lookup(path).set_index("lad_code")

    assert len(df) == len(rows)
    assert df.loc[DARTFORD, "csp_code"] == df.loc[GRAVESHAM, "csp_code"] == "E22000352"
    kent = df[df["pfa_code"] == "E23000032"]
    assert len(kent) == len(kent_lads) == 13
    assert set(kent["pfa_name"]) == {"Kent"}


@pytest.mark.shared_data
@pytest.mark.parametrize("name", list(MYE_RELEASES))
def test_real_mid_year_estimates_release_year(name):
    path = real_file(f"ons/mid-year-estimates/{name}")
    sheet_name, year = MYE_RELEASES[name]
    header, rows = xlrd_sheet_table(path, sheet_name)
    all_ages = header.index("all ages")
    expected = {str(row[0]): int(row[all_ages]) for row in rows if re.fullmatch(r"[A-Z]\d{8}", str(row[0]))}

    df = ons.read_mid_year_estimates(path)

    release = df[df["mid_year"] == year]
    assert dict(zip(release["area_code"], release["population"])) == expected
    assert release.loc[release["area_code"] == MEDWAY, "area_name"].item() == "Medway"
    assert set(df["source_file"]) == {name}
    assert not df.duplicated(["area_code", "mid_year"]).any()


@pytest.mark.shared_data
def test_real_medway_mid_2016_is_278542():
    df = ons.read_mid_year_estimates(real_file("ons/mid-year-estimates/ukmidyearestimates2016.xls"))
    medway = df[(df["area_code"] == MEDWAY) & (df["mid_year"] == 2016)]
    assert medway["population"].tolist() == [278542]
    # The 2016 release has no geography column; its MYE4 is a rounded UK summary, not by area.
    assert set(df["geography"]) == {""}
    assert set(df["mid_year"]) == {2016}


@pytest.mark.shared_data
def test_real_time_series_gives_every_year_of_mye4():
    path = real_file("ons/mid-year-estimates/ukpopestimatesmid2020on2021geography.xls")
    header, rows = xlrd_sheet_table(path, "MYE4")
    medway_row = next(row for row in rows if row[0] == MEDWAY)
    mid_2012 = int(medway_row[header.index("mid-2012")])

    df = ons.read_mid_year_estimates(path)

    medway = df[df["area_code"] == MEDWAY].set_index("mid_year")
    assert sorted(medway.index) == list(range(2001, 2021))
    assert medway.loc[2012, "population"] == mid_2012
    assert medway.loc[2020, "population"] == 279142
    assert set(medway["geography"]) == {"Unitary Authority"}


@pytest.mark.shared_data
def test_real_census_lsoa_population():
    path = real_file(CENSUS)
    header, rows = read_csv_rows(path)
    lad, persons = header.index("Local authority code"), header.index("Persons")
    medway_rows = [row for row in rows if row[lad] == MEDWAY]
    medway_total = sum(int(row[persons].replace(",", "")) for row in medway_rows)

    df = ons.read_small_area_population(path)

    assert len(df) == len(rows)
    medway = df[df["lad_code"] == MEDWAY]
    assert len(medway) == len(medway_rows) == 163
    assert medway["population"].sum() == medway_total
    assert set(df["year"]) == {2011}
    assert set(df["source"]) == {"Census 2011 usual residents"}


# --------------------------------------------------------------------------- lookups, synthetic

LOOKUP_2011 = [
    "LSOA11CD,LSOA11NM,WD17CD,WD17NM,WD17NMW,LAD17CD,LAD17NM,FID",
    "E01016001,Medway 001A,E05002000,Ward A,,E06000035,Medway,1",
    "E01016002,Medway 001B,E05002000,Ward A,,E06000035,Medway,2",
    "E01016003,Medway 002A,E05002001,Ward B,,E06000035,Medway,3",
]


def test_lookup_vintage_columns_are_detected(tmp_path):
    path = write_csv(
        tmp_path / "lookup.csv",
        [
            "lsoa21cd,lsoa21nm,WD22CD,WD22NM,LAD22CD,LAD22NM,ObjectId",
            "E01016001,Medway 001A,E05002000,Ward A,E06000035,Medway,1",
        ],
    )
    assert ons.sniff(path) == "lsoa_ward_lad_lookup"
    df = ons.read_lsoa_ward_lad_lookup(path)
    assert df.to_dict("records") == [
        {
            "lsoa_code": "E01016001",
            "lsoa_name": "Medway 001A",
            "ward_code": "E05002000",
            "ward_name": "Ward A",
            "lad_code": "E06000035",
            "lad_name": "Medway",
        }
    ]
    vintages = (df.attrs["lsoa_vintage"], df.attrs["ward_vintage"], df.attrs["lad_vintage"])
    assert vintages == ("2021", "2022", "2022")


def test_lookup_with_utf8_bom(tmp_path):
    path = write_csv(tmp_path / "lookup.csv", LOOKUP_2011, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert ons.sniff(path) == "lsoa_ward_lad_lookup"
    df = ons.read_lsoa_ward_lad_lookup(path)
    assert df["lsoa_code"].tolist() == ["E01016001", "E01016002", "E01016003"]
    assert df.attrs["ward_vintage"] == "2017"


def test_lookup_duplicate_lsoa_rows_are_an_error(tmp_path):
    repeated = "E01016002,Medway 001B,E05002001,Ward B,,E06000035,Medway,4"
    path = write_csv(tmp_path / "lookup.csv", [*LOOKUP_2011, repeated])
    with pytest.raises(InputError) as caught:
        ons.read_lsoa_ward_lad_lookup(path)
    error = caught.value
    assert (error.row, error.column) == (5, "LSOA11CD")
    assert "E01016002" in str(error) and "rows 3, 5" in str(error)
    assert str(path) in str(error)


def test_lookup_missing_column_names_file_found_and_expected_columns(tmp_path):
    path = write_csv(tmp_path / "lookup.csv", [line.replace("WD17CD", "WARD") for line in LOOKUP_2011])
    with pytest.raises(InputError) as caught:
        ons.read_lsoa_ward_lad_lookup(path)
    message = str(caught.value)
    assert str(path) in message
    assert "WD<yy>CD" in message and "ward code" in message
    assert "columns found: LSOA11CD, LSOA11NM, WARD" in message
    assert caught.value.column == "WD<yy>CD"


def test_lookup_header_only_and_empty_files_are_errors(tmp_path):
    header_only = write_csv(tmp_path / "header.csv", LOOKUP_2011[:1])
    with pytest.raises(InputError, match="header row but no data rows"):
        ons.read_lsoa_ward_lad_lookup(header_only)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        ons.read_lsoa_ward_lad_lookup(empty)


def test_lookup_empty_code_is_an_error(tmp_path):
    no_ward = "E01016004,Medway 002B,,Ward B,,E06000035,Medway,4"
    path = write_csv(tmp_path / "lookup.csv", [*LOOKUP_2011, no_ward])
    with pytest.raises(InputError, match="ward code is empty") as caught:
        ons.read_lsoa_ward_lad_lookup(path)
    assert (caught.value.row, caught.value.column) == (5, "WD17CD")


def test_lad_csp_pfa_lookup_synthetic(tmp_path):
    path = write_csv(
        tmp_path / "csp.csv",
        [
            "LAD22CD,LAD22NM,CSP22CD,CSP22NM,PFA22CD,PFA22NM",
            "E07000107,Dartford,E22000352,Dartford and Gravesham,E23000032,Kent",
            "E07000109,Gravesham,E22000352,Dartford and Gravesham,E23000032,Kent",
        ],
    )
    assert ons.sniff(path) == "lad_csp_pfa_lookup"
    df = ons.read_lad_csp_pfa_lookup(path)
    assert df["csp_code"].tolist() == ["E22000352", "E22000352"]
    assert df.attrs["csp_vintage"] == "2022"


# --------------------------------------------------------------------------- populations, synthetic

MYE_CSV_HEADER = "area_code,area_name,mid_year,population"
# The Census extract's header as published: an empty column and three "Persons" columns.
CENSUS_HEADER = (
    "Region code,Region name,Local authority code,Local authority name,MSOA Code,MSOA Name,"
    "LSOA Code,LSOA Name,,Persons,Persons,Persons,Hectares,Persons per hectare,Households,"
    "Persons per household"
)


def census_line(lsoa: str, persons: str) -> str:
    return (
        f"E12000008,SOUTH EAST,E06000035,Medway UA,E02003300,Medway 001,{lsoa},Medway 001A,,"
        f'"{persons}",1500,63,650,2.4,666,2.3'
    )


def test_census_csv_synthetic(tmp_path):
    lines = [CENSUS_HEADER, census_line("E01016001", "1,563"), census_line("E01016002", "980")]
    path = write_csv(tmp_path / "census2011-lsoa.csv", lines)
    assert ons.sniff(path) == "small_area_population"
    df = ons.read_small_area_population(path)
    assert df[["lsoa_code", "lad_code", "population", "year"]].values.tolist() == [
        ["E01016001", MEDWAY, 1563, 2011],
        ["E01016002", MEDWAY, 980, 2011],
    ]
    assert set(df["source"]) == {"Census 2011 usual residents"}


def test_non_numeric_population_names_row_and_column(tmp_path):
    lines = [CENSUS_HEADER, *(census_line(f"E0101600{i}", "1,200") for i in range(5))]
    lines.append(census_line("E01016009", "abc"))  # line 7 of the file
    path = write_csv(tmp_path / "census2011-lsoa.csv", lines)
    with pytest.raises(InputError) as caught:
        ons.read_small_area_population(path)
    error = caught.value
    assert (error.row, error.column) == (7, "Persons")
    assert "'abc' is not a whole number" in str(error)
    assert str(path) in str(error)


def test_negative_population_is_an_error(tmp_path):
    path = write_csv(
        tmp_path / "mye.csv",
        [MYE_CSV_HEADER, "E06000035,Medway,2016,278542", "E07000110,Maidstone,2016,-5"],
    )
    with pytest.raises(InputError, match="population -5 is negative") as caught:
        ons.read_mid_year_estimates(path)
    assert (caught.value.row, caught.value.column) == (3, "population")


def test_mid_year_estimates_plain_csv(tmp_path):
    path = write_csv(
        tmp_path / "mye.csv",
        [MYE_CSV_HEADER, "E06000035,Medway,2016,278542", "E06000035,Medway,2017,277616"],
    )
    assert ons.sniff(path) == "mid_year_estimates"
    df = ons.read_mid_year_estimates(path)
    assert df[["area_code", "geography", "mid_year", "population", "source_file"]].values.tolist() == [
        ["E06000035", "", 2016, 278542, "mye.csv"],
        ["E06000035", "", 2017, 277616, "mye.csv"],
    ]


def mye_workbook_sheets() -> dict[str, list[list[object]]]:
    """A release in the mid-2020 layout: title and feedback rows above the header, the table
    ending at a blank row followed by footnotes, and an MYE4 time series by area."""
    title = "MYE2: Persons by single year of age and sex for local authorities in the UK, mid-2020"
    title_rows = [[title], ["This worksheet contains one table."], [None]]
    return {
        "Contents": [["Table of contents"], ["MYE2 - Persons", "Persons by single year of age"]],
        "MYE2 - Persons": [
            *title_rows,
            ["Code", "Name", "Geography", "All ages", "0", "1"],
            ["E92000001", "ENGLAND", "Country", 56550138, 601913, 625476],
            ["E06000035", "Medway", "Unitary Authority", 279142, 3340, 3540],
            [None],
            ["1. Further information is given in the notes."],
        ],
        "MYE2 - Males": [
            [title.replace("Persons", "Males")],
            ["Code", "Name", "Geography", "All ages", "0", "1"],
            ["E06000035", "Medway", "Unitary Authority", 138256, 1719, 1802],
        ],
        "MYE4": [
            ["MYE4: Population estimates: Summary for the UK, mid-2001 to mid-2020"],
            ["Code", "Name", "Geography", "Mid-2020", "Mid-2019", " Mid-2018"],
            ["E92000001", "ENGLAND", "Country", 56550000, 56286961, 55977178],
            ["E06000035", "Medway", "Unitary Authority", 279000, 278556, 277855],
        ],
        "MYE 6": [
            ["MYE6: Median age of population for local authorities in the UK"],
            ["Code", "Name", "Geography", "Mid-2020", "Mid-2019"],
            ["E06000035", "Medway", "Unitary Authority", 38.9, 38.7],
        ],
    }


def test_mid_year_estimates_xlsx_release(tmp_path):
    path = write_workbook(tmp_path / "ukpopestimatesmid2020.xlsx", mye_workbook_sheets())
    assert ons.sniff(path) == "mid_year_estimates"
    df = ons.read_mid_year_estimates(path)
    medway = df[df["area_code"] == MEDWAY].set_index("mid_year")
    # MYE2 wins over MYE4 for the release year; MYE6 (median ages) is not a population table.
    assert medway["population"].to_dict() == {2020: 279142, 2019: 278556, 2018: 277855}
    assert set(medway["geography"]) == {"Unitary Authority"}
    assert len(df) == 6
    assert set(df["source_file"]) == {"ukpopestimatesmid2020.xlsx"}


def test_a_workbook_recognised_in_an_ingest_is_read_from_the_same_opening(tmp_path, monkeypatch):
    """In an ingest (workbooks_opened_once) the workbook sniff opened is the one its reader reads,
    with the same table as a reading of its own; the reader's use closes it, and the block's end
    closes any other kept; outside the block every use opens and closes its own."""
    path = write_workbook(tmp_path / "ukpopestimatesmid2020.xlsx", mye_workbook_sheets())
    expected = ons.read_mid_year_estimates(path)
    opened, closed = [], []
    excel_file = ons._excel_file

    def counted(p):
        book = excel_file(p)
        book.close = lambda close=book.close: closed.append(book) or close()
        opened.append(book)
        return book
    monkeypatch.setattr(ons, "_excel_file", counted)
    with ons.workbooks_opened_once():
        assert ons.sniff(path) == "mid_year_estimates"
        assert ons.sniff(path) == "mid_year_estimates"
        assert len(opened) == 1 and ons._kept
        table = ons.read_mid_year_estimates(path)
        assert len(opened) == 1 and closed == opened and not ons._kept and not ons._kept_heads
        assert ons.sniff(path) == "mid_year_estimates"  # sniffed again after its reading: kept again
        assert len(opened) == 2 and ons._kept
    assert not ons._kept and not ons._kept_heads and closed == opened
    pd.testing.assert_frame_equal(table, expected, check_exact=True)
    ons.sniff(path)
    ons.read_mid_year_estimates(path)
    assert len(opened) == 4 and closed == opened and not ons._kept


def test_a_workbook_changed_after_it_was_recognised_is_opened_again(tmp_path):
    """A workbook replaced between its recognition and its reading is read as it now is."""
    path = write_workbook(tmp_path / "ukpopestimatesmid2020.xlsx", mye_workbook_sheets())
    changed = mye_workbook_sheets()
    changed["MYE2 - Persons"][5][3] = 279999  # Medway's all-ages figure
    with ons.workbooks_opened_once():
        assert ons.sniff(path) == "mid_year_estimates"
        recognised = path.stat().st_mtime_ns
        write_workbook(path, changed)
        os.utime(path, ns=(recognised + 10**9, recognised + 10**9))  # changed, as a later download is
        df = ons.read_mid_year_estimates(path)
    assert df[(df["area_code"] == MEDWAY) & (df["mid_year"] == 2020)]["population"].tolist() == [279999]
    assert not ons._kept


def test_mid_year_estimates_xlsx_error_names_sheet_row_and_column(tmp_path):
    sheets = mye_workbook_sheets()
    sheets["MYE2 - Persons"][5][3] = "n/a"  # sheet row 6: the Medway row
    path = write_workbook(tmp_path / "mye.xlsx", sheets)
    expected = r"population 'n/a' is not a whole number \(sheet 'MYE2 - Persons'\)"
    with pytest.raises(InputError, match=expected) as caught:
        ons.read_mid_year_estimates(path)
    assert (caught.value.row, caught.value.column) == (6, "All ages")


def test_mid_year_estimates_without_all_ages_table_is_an_error(tmp_path):
    births = [["Code", "Name", "Births"], ["E06000035", "Medway", 3300]]
    path = write_workbook(tmp_path / "mye.xlsx", {"Contents": [["MYE2"]], "MYE3": births})
    assert ons.sniff(path) is None
    with pytest.raises(InputError, match="no sheet holds an all-persons table") as caught:
        ons.read_mid_year_estimates(path)
    assert "'Contents', 'MYE3'" in str(caught.value)


def test_small_area_population_estimates_formatted_layout(tmp_path):
    """SAPE as published up to mid-2017: LA rows above their LSOAs, LSOA names in an unnamed column."""
    rows = [
        [
            "Mid-2016 Population Estimates for Lower Layer Super Output Areas in England and Wales "
            "by Single Year of Age and Sex"
        ],
        ["All Persons"],
        [None],
        [None],
        ["Area Codes", "Area Names", None, "All Ages", 0, 1],
        ["E92000001", "England", None, 55268067, 669103, 669817],
        [MEDWAY, "Medway", None, 278542, 3677, 3662],
        ["E01016001", None, "Medway 001A", 1530, 20, 21],
        ["E01016002", None, "Medway 001B", 1610, 18, 25],
        [MAIDSTONE, "Maidstone", None, 166360, 2000, 1900],
        ["E01024300", None, "Maidstone 001A", 1700, 22, 19],
    ]
    path = write_workbook(
        tmp_path / "SAPE19DT1-mid-2016-lsoa-syoa-estimates.xlsx",
        {"Contents": [["Contents"]], "Mid-2016 Persons": rows, "Mid-2016 Males": rows},
    )
    assert ons.sniff(path) == "small_area_population"
    df = ons.read_small_area_population(path)
    assert df[["lsoa_code", "lad_code", "population", "year"]].values.tolist() == [
        ["E01016001", MEDWAY, 1530, 2016],
        ["E01016002", MEDWAY, 1610, 2016],
        ["E01024300", MAIDSTONE, 1700, 2016],
    ]
    assert set(df["source"]) == {"ONS mid-2016 small area population estimates"}


def test_small_area_population_estimates_with_la_code_columns(tmp_path):
    """Later SAPE: an LSOA Code column and LA codes for two boundary sets; the latest is used."""
    rows = [
        ["Mid-2020: SAPE23DT2"],
        [
            "LSOA Code",
            "LSOA Name",
            "LA Code (2018 boundaries)",
            "LA name (2018 boundaries)",
            "LA Code (2021 boundaries)",
            "LA name (2021 boundaries)",
            "All Ages",
        ],
        ["E01016001", "Medway 001A", MEDWAY, "Medway", MEDWAY, "Medway", "1,540"],
        ["E01021000", "Aylesbury Vale 001A", "E07000004", "Aylesbury Vale", "E06000060", "Bucks", 1490],
    ]
    path = write_workbook(tmp_path / "sape.xlsx", {"Mid-2020 Persons": rows})
    df = ons.read_small_area_population(path)
    assert df[["lsoa_code", "lad_code", "population", "year"]].values.tolist() == [
        ["E01016001", "E06000035", 1540, 2020],
        ["E01021000", "E06000060", 1490, 2020],
    ]


def test_sniff_unrelated_files_is_none(tmp_path):
    crimes = ["Crime ID,Month,LSOA code,Crime type", "abc,2022-01,E01016001,Burglary"]
    unrelated = write_csv(tmp_path / "crimes.csv", crimes)
    assert ons.sniff(unrelated) is None
    assert ons.sniff(write_csv(tmp_path / "empty.csv", [])) is None
    assert ons.sniff(write_workbook(tmp_path / "book.xlsx", {"Sheet": [["a", "b"], [1, 2]]})) is None
    not_excel = tmp_path / "fake.xls"
    not_excel.write_text("not a workbook")
    assert ons.sniff(not_excel) is None
    assert ons.ONS_KINDS == (
        "lsoa_ward_lad_lookup",
        "lsoa_bridge",
        "lad_csp_pfa_lookup",
        "mid_year_estimates",
        "small_area_population",
    )

"""The English Indices of Deprivation 2019, File 1: the real file (values checked with openpyxl
directly), bad input named by file, sheet, row and column, and the demo writer's layout."""

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from csp_assessment.demo.imd import ENGLAND_LSOAS, HEADER, national_decile, write_imd_demo
from csp_assessment.errors import InputError
from csp_assessment.ingest import folder, imd

REAL = (Path(__file__).resolve().parents[1].parent / "shared" / "data-current" / "mhclg"
        / "File_1_IMD2019_Index_of_Multiple_Deprivation.xlsx")


@pytest.fixture(scope="module")
def real_rows():
    if not REAL.is_file():
        pytest.skip(f"the real IoD2019 File 1 is not at {REAL} (it sits beside the clone in CI)")
    book = openpyxl.load_workbook(REAL, read_only=True, data_only=True)
    rows = list(book["IMD2019"].iter_rows(values_only=True))
    book.close()
    return rows


@pytest.fixture(scope="module")
def real_table(real_rows):
    return imd.read(REAL)


def test_real_file_is_recognised(real_rows):
    assert imd.sniff(REAL)
    assert folder._kind_of(REAL) == "imd"


def test_real_file_every_lsoa_with_its_rank_and_decile(real_rows, real_table):
    header, body = real_rows[0], [r for r in real_rows[1:] if r[0]]
    assert header[0] == "LSOA code (2011)" and header[5] == "Index of Multiple Deprivation (IMD) Decile"
    assert len(real_table) == len(body) == 32_844
    assert real_table["lsoa_code"].tolist() == [r[0] for r in body]
    assert real_table["imd_rank"].tolist() == [r[4] for r in body]
    assert real_table["imd_decile"].tolist() == [r[5] for r in body]
    assert set(real_table["lsoa_vintage"]) == {"2011"} and set(real_table["edition"]) == {"2019"}
    first = real_table.iloc[0]
    assert (first["lsoa_code"], first["lad_code"], first["imd_rank"], first["imd_decile"], first["row"]) == \
           ("E01000001", "E09000001", 29199, 9, 2)


def test_real_file_medway_lsoas_in_the_most_deprived_tenth(real_rows, real_table):
    expected = Counter(r[5] for r in real_rows[1:] if r[2] == "E06000035")
    medway = real_table[real_table["lad_code"] == "E06000035"]
    assert medway["imd_decile"].value_counts().to_dict() == dict(expected)
    assert len(medway) == sum(expected.values())


def write_file_1(path: Path, header=HEADER, rows=None, sheet="IMD2019") -> Path:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active["A1"] = "notes"
    ws = book.create_sheet(sheet)
    ws.append(list(header))
    for row in rows if rows is not None else [("E01000001", "City of London 001A", "E09000001", "City of London", 29199, 9),
                                              ("E01000002", "City of London 001B", "E09000001", "City of London", 30379, 10)]:
        ws.append(list(row))
    book.save(path)
    return path


def test_small_file_read(tmp_path):
    table = imd.read(write_file_1(tmp_path / "File_1_IMD2019_Index_of_Multiple_Deprivation.xlsx"))
    assert table[["lsoa_code", "imd_rank", "imd_decile", "row"]].values.tolist() == [["E01000001", 29199, 9, 2],
                                                                                   ["E01000002", 30379, 10, 3]]


def test_renamed_column_is_named_with_file_row_and_column(tmp_path):
    header = list(HEADER)
    header[5] = "IMD Decile"
    path = write_file_1(tmp_path / "deprivation.xlsx", header=header)
    assert imd.sniff(path)  # still taken for the file, so the renamed column is reported, not passed over
    with pytest.raises(InputError) as caught:
        imd.read(path)
    error = caught.value
    assert (error.path, error.row, error.column) == (str(path), 1, "Index of Multiple Deprivation (IMD) Decile")
    assert "sheet 'IMD2019'" in str(error) and "IMD Decile" in str(error)


def test_decile_out_of_range_is_named_with_its_row(tmp_path):
    rows = [("E01000001", "a", "E09000001", "b", 29199, 9), ("E01000002", "a", "E09000001", "b", 30379, 11)]
    with pytest.raises(InputError) as caught:
        imd.read(write_file_1(tmp_path / "File_1_IMD2019.xlsx", rows=rows))
    assert (caught.value.row, caught.value.column) == (3, "Index of Multiple Deprivation (IMD) Decile")
    assert "11" in str(caught.value)


@pytest.mark.parametrize("rows, row, column, words", [
    ([("E01000001", "a", "E09000001", "b", 1, 1), ("E01000001", "a", "E09000001", "b", 2, 1)], 3,
     "LSOA code (2011)", "appears twice"),
    ([("E01000001", "a", "E09000001", "b", "", 1)], 2, "Index of Multiple Deprivation (IMD) Rank", "empty"),
    ([("Medway 001A", "a", "E09000001", "b", 1, 1)], 2, "LSOA code (2011)", "not an LSOA code"),
])
def test_other_bad_cells(tmp_path, rows, row, column, words):
    with pytest.raises(InputError) as caught:
        imd.read(write_file_1(tmp_path / "File_1_IMD2019.xlsx", rows=rows))
    assert (caught.value.row, caught.value.column) == (row, column) and words in str(caught.value)


def test_other_workbooks_are_not_taken_for_the_index(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Code", "Name", "All ages"])
    book.save(tmp_path / "population.xlsx")
    assert not imd.sniff(tmp_path / "population.xlsx")
    assert not imd.sniff(tmp_path / "missing.xlsx")


class Authority:
    def __init__(self, code, name):
        self.code, self.name = code, name


def test_demo_file_1_layout_ranks_and_bytes(tmp_path):
    rng = np.random.default_rng(1)
    lsoas = pd.DataFrame({"lsoa_code": [f"E01{900001 + i}" for i in range(40)],
                          "lsoa_name": [f"Demo {i:03d}A" for i in range(40)], "la": [0] * 20 + [1] * 20,
                          "residents": rng.integers(1200, 2000, 40), "crime_weight": rng.lognormal(7, 0.5, 40)})
    authorities = [Authority("E06000035", "Medway"), Authority("E07000110", "Maidstone")]
    (path,) = write_imd_demo(tmp_path / "a", lsoas, authorities, seed=2017)
    (again,) = write_imd_demo(tmp_path / "b", lsoas, authorities, seed=2017)
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(again.read_bytes()).digest()
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["Notes", "IMD2019"]
    rows = list(book["IMD2019"].iter_rows(values_only=True))
    assert rows[0] == HEADER and len(rows) == 41
    ranks = [r[4] for r in rows[1:]]
    assert len(set(ranks)) == 40 and all(1 <= r <= ENGLAND_LSOAS for r in ranks)
    # Decile by hand: floor((rank - 1) * 10 / 32,844) + 1: ranks 1 to 3,285 decile 1, 32,844 decile 10.
    assert all(r[5] == (r[4] - 1) * 10 // ENGLAND_LSOAS + 1 for r in rows[1:])
    assert national_decile(3284) == 1 and national_decile(3285) == 1 and national_decile(3286) == 2
    assert national_decile(ENGLAND_LSOAS) == 10
    assert imd.read(path)["lad_code"].tolist() == ["E06000035"] * 20 + ["E07000110"] * 20


CURRENT_ONS = REAL.parents[1] / "ons"
BRIDGE_FILE = CURRENT_ONS / "LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Exact_Fit_Lookup_for_EW_(V3).csv"
LOOKUP_2021 = CURRENT_ONS / "LSOA_(2021)_to_Electoral_Ward_(2024)_to_LAD_(2024)_Best_Fit_Lookup_in_EW.csv"


def test_medway_lsoa_2021_areas_get_their_decile_through_the_real_bridge(real_rows, real_table):
    """Every Medway LSOA 2021 gets a decile; one that came from a single LSOA 2011 (unchanged or
    split) has that LSOA's published decile, read here with openpyxl and the csv module."""
    import csv

    from csp_assessment.ingest.ons import read_lsoa_bridge
    from csp_assessment.stats.deprivation import INHERITED, MEAN_RANK, deciles_of_report_lsoas

    if not (BRIDGE_FILE.is_file() and LOOKUP_2021.is_file()):
        pytest.skip("the ONS bridge or LSOA 2021 lookup is not in ../shared/data-current/ons")
    with open(LOOKUP_2021, newline="", encoding="utf-8-sig") as fh:
        medway = sorted({row["LSOA21CD"] for row in csv.DictReader(fh) if row["LAD24CD"] == "E06000035"})
    parents: dict[str, set] = {}
    with open(BRIDGE_FILE, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            if row["LSOA21CD"] in medway:
                parents.setdefault(row["LSOA21CD"], set()).add(row["LSOA11CD"])
    published = {r[0]: r[5] for r in real_rows[1:] if r[0]}
    result = deciles_of_report_lsoas(real_table, "2021", medway, read_lsoa_bridge(BRIDGE_FILE)).set_index("lsoa_code")
    assert sorted(result.index) == medway
    single = [code for code in medway if len(parents[code]) == 1]
    assert all(result.loc[code, "imd_decile"] == published[next(iter(parents[code]))] for code in single)
    assert (result.loc[single, "how"] == INHERITED).all()
    several = [code for code in medway if len(parents[code]) > 1]
    assert (result.loc[several, "how"] == MEAN_RANK).all() if several else True

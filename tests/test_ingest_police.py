"""data.police.uk street-level loader: small files made here, and the real Kent 2022 files."""

import csv
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd

import pytest

from conftest import write_street_file
from csp_assessment.errors import InputError
from csp_assessment.ingest import police_uk


def _read(data_dir, out_dir=None):
    """Ingest ``data_dir``'s street files; the counts Parquet goes beside it (or into ``out_dir``)."""
    kept, skipped = police_uk.choose_one_per_month(police_uk.discover(data_dir))
    counts_path = Path(out_dir or data_dir.parent) / f"{data_dir.name}-counts.parquet"
    report = police_uk.write_street_counts(kept, counts_path)
    return pd.read_parquet(counts_path), report, skipped


def test_counts_asb_apart_and_keeps_rows_without_location(tmp_path):
    write_street_file(tmp_path / "2017-01" / "2017-01-kent-street.csv", "2017-01", [
        ("a1", "E01000001", "Burglary"), ("a2", "E01000001", "Burglary"), ("a3", "E01000002", "Robbery"),
        ("", "E01000001", "Anti-social behaviour"), ("a4", "", "Burglary"), ("", "", "Anti-social behaviour"),
    ])
    counts, report, _ = _read(tmp_path)
    assert counts["records"].sum() == 6
    crimes = counts[~counts["is_asb"]]
    assert crimes["records"].sum() == 4 and counts[counts["is_asb"]]["records"].sum() == 2
    burglary = crimes[(crimes["crime_type"] == "Burglary") & (crimes["lsoa_code"] == "E01000001")]
    assert burglary["records"].item() == 2
    assert counts["lsoa_code"].isna().sum() == 2  # one crime, one ASB without location, both still counted
    row = report.iloc[0]
    assert (row["records"], row["asb_records"], row["records_without_lsoa"], row["force"]) == (6, 2, 2, "kent")


def test_zip_archive_and_same_month_twice_not_double_counted(tmp_path):
    plain = write_street_file(tmp_path / "2017-01" / "2017-01-kent-street.csv", "2017-01", [("a1", "E01000001", "Burglary")])
    inner = write_street_file(tmp_path / "build" / "2017-02-kent-street.csv", "2017-02",
                              [("b1", "E01000001", "Drugs"), ("b2", "E01000002", "Drugs")])
    with zipfile.ZipFile(tmp_path / "archive.zip", "w") as zf:
        zf.write(plain, "2017-01/2017-01-kent-street.csv")  # the same month as the plain file
        zf.write(inner, "2017-02/2017-02-kent-street.csv")
        zf.writestr("2017-02/2017-02-kent-outcomes.csv", "Crime ID,Month\n")  # ignored: not a street file
    inner.unlink()
    counts, report, skipped = _read(tmp_path)
    assert counts["records"].sum() == 3  # 1 (January once) + 2 (February from the zip)
    assert len(skipped) == 1 and skipped[0][0].month == "2017-01"
    assert sorted(report["month"]) == ["2017-01", "2017-02"]


def test_several_forces(tmp_path):
    write_street_file(tmp_path / "2017-01" / "2017-01-kent-street.csv", "2017-01", [("a", "E01000001", "Drugs")])
    write_street_file(tmp_path / "2017-01" / "2017-01-essex-street.csv", "2017-01",
                      [("b", "E01000009", "Drugs"), ("c", "E01000009", "Drugs")], force="Essex Police")
    counts, _, _ = _read(tmp_path)
    assert counts.groupby("force")["records"].sum().to_dict() == {"essex": 2, "kent": 1}


def test_missing_column_names_file_and_column(tmp_path):
    path = tmp_path / "2017-01" / "2017-01-kent-street.csv"
    path.parent.mkdir()
    path.write_text("Crime ID,Month,Falls within,Longitude,Latitude,Crime type\nx,2017-01,Kent Police,,,Drugs\n")
    with pytest.raises(InputError) as err:
        _read(tmp_path)
    assert "2017-01-kent-street.csv" in str(err.value) and "'LSOA code'" in str(err.value)
    assert err.value.column == "LSOA code" and err.value.row == 1


def test_month_outside_file_month_names_row(tmp_path):
    write_street_file(tmp_path / "2017-01" / "2017-01-kent-street.csv", "2017-01", [("a", "E01000001", "Drugs")])
    path = tmp_path / "2017-01" / "2017-01-kent-street.csv"
    with open(path, "a") as fh:
        fh.write("b,2017-02,Kent Police,Kent Police,,,No Location,,,Drugs,,\n")
    with pytest.raises(InputError) as err:
        _read(tmp_path)
    assert err.value.row == 3 and err.value.column == "Month" and "'2017-02'" in str(err.value)


def test_malformed_month(tmp_path):
    write_street_file(tmp_path / "2017-01" / "2017-01-kent-street.csv", "Jan-17", [("a", "E01000001", "Drugs")])
    with pytest.raises(InputError, match="malformed month"):
        _read(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "2017-01" / "2017-01-kent-street.csv"
    path.parent.mkdir()
    path.write_text("")
    with pytest.raises(InputError, match="empty"):
        _read(tmp_path)


@pytest.mark.shared_data
def test_real_kent_2022_counts_match_a_plain_csv_count(shared_data, tmp_path):
    expected_rows, expected_asb, expected_no_lsoa = Counter(), Counter(), Counter()
    for path in sorted((shared_data / "police-uk").glob("*/*-street.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                expected_rows[row["Month"]] += 1
                expected_asb[row["Month"]] += row["Crime type"] == "Anti-social behaviour"
                expected_no_lsoa[row["Month"]] += row["LSOA code"] == ""
    counts, report, skipped = _read(shared_data / "police-uk", tmp_path)
    assert not skipped
    assert counts.groupby("month")["records"].sum().to_dict() == dict(expected_rows)
    assert counts[counts["is_asb"]].groupby("month")["records"].sum().to_dict() == dict(expected_asb)
    assert report.set_index("month")["records_without_lsoa"].to_dict() == dict(expected_no_lsoa)
    assert report["duplicate_crime_ids"].sum() == 1  # one Crime ID appears twice in November
    assert sum(expected_rows.values()) == 185_969  # as listed in ../shared/data/README.md: 11 months, ~15-18k each


def _one_month(tmp_path, mutate=None):
    path = write_street_file(tmp_path / "2017-01" / "2017-01-kent-street.csv", "2017-01", [
        ("a1", "E01000001", "Burglary"), ("a2", "E01000002", "Drugs"), ("", "E01000001", "Anti-social behaviour")])
    if mutate:
        mutate(path)
    return path


def test_truncated_last_line(tmp_path):
    _one_month(tmp_path, lambda p: p.write_bytes(p.read_bytes()[:-40]))
    with pytest.raises(InputError, match=r"row 4: expected 12 fields, found \d+ — the last line is cut short"):
        _read(tmp_path)


def test_wrong_encoding_names_the_line(tmp_path):
    _one_month(tmp_path, lambda p: p.write_bytes(p.read_bytes().replace(b"a2,", b"\xe92,")))
    with pytest.raises(InputError, match="row 3: the file is not UTF-8"):
        _read(tmp_path)


def test_byte_order_mark_and_extra_column_are_accepted(tmp_path):
    def bom_and_extra(p):
        lines = p.read_text().splitlines()
        lines = [lines[0] + ",Extra"] + [line + ",x" for line in lines[1:]]
        p.write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode())
    _one_month(tmp_path, bom_and_extra)
    counts, _, _ = _read(tmp_path)
    assert counts["records"].sum() == 3


def test_semicolon_delimited(tmp_path):
    _one_month(tmp_path, lambda p: p.write_text(p.read_text().replace(",", ";")))
    with pytest.raises(InputError, match="semicolon-delimited"):
        _read(tmp_path)


@pytest.mark.parametrize("value, column", [("abc", "Longitude"), ("95.1", "Latitude")])
def test_bad_coordinates_name_row_and_column(tmp_path, value, column):
    bad = f"{value},51.3" if column == "Longitude" else f"0.5,{value}"
    _one_month(tmp_path, lambda p: p.write_text(p.read_text().replace("0.5,51.3", bad, 1)))
    with pytest.raises(InputError) as err:
        _read(tmp_path)
    assert (err.value.row, err.value.column) == (2, column) and repr(value) in str(err.value)


def test_header_only_duplicate_ids_and_small_months_are_warnings(tmp_path):
    for month, n in (("2017-01", 10), ("2017-02", 10), ("2017-03", 3)):
        rows = [(f"{month}-{i}", "E01000001", "Drugs") for i in range(n)]
        if month == "2017-02":
            rows[1] = rows[0]  # the same Crime ID twice
        write_street_file(tmp_path / month / f"{month}-kent-street.csv", month, rows)
    write_street_file(tmp_path / "2017-04" / "2017-04-kent-street.csv", "2017-04", [])
    _, report, _ = _read(tmp_path)
    warnings = police_uk.quality_warnings(report)
    assert any("2017-04-kent-street.csv has a header but no records" in w for w in warnings)
    assert any("2017-02-kent-street.csv repeats 1 Crime ID;" in w for w in warnings)
    assert any("kent 2017-03 has unusually few records (3, against a median of 10" in w for w in warnings)


def test_zip_with_unexpected_contents(tmp_path):
    with zipfile.ZipFile(tmp_path / "download.zip", "w") as zf:
        zf.writestr("readme.txt", "not police data")
    assert police_uk.discover(tmp_path) == []
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="broken.zip: not a readable zip archive"):
        police_uk.discover(tmp_path)


@pytest.mark.parametrize("warning, forces", [
    ("police-uk/2024-01/2024-01-city-of-london-street.csv repeats 18 Crime IDs; every row is counted", {"city-of-london"}),
    ("kent 2017-03 has unusually few records (3, against a median of 10 a month)", {"kent"}),
    ("No stop and search file for bedfordshire in 2024-02, month(s) whose street file is in the data folder", {"bedfordshire"}),
    ("a/2024-01-kent-stop-and-search.csv repeats kent's stop and search file for 2024-01", {"kent"}),
    ("No mid-2022 estimate was in the data folder; the latest earlier one, mid-2020, is used", set()),
])
def test_the_forces_a_warning_is_about(warning, forces):
    assert police_uk.forces_named(warning) == forces

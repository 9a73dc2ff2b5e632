"""The synthetic demonstration data: publishers' formats, Medway's published figures, reproducibility.

Everything is checked by reading the written files back with the csv module and openpyxl, not
through the generator's internals.
"""

from __future__ import annotations

import csv
import hashlib
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest

from csp_assessment.demo import DEMO_MARKER

MEDWAY = "E06000035"
POLICE_HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                 "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]
CRIME_TYPES = {"Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs", "Other crime", "Other theft",
               "Possession of weapons", "Public order", "Robbery", "Shoplifting", "Theft from the person",
               "Vehicle crime", "Violence and sexual offences"}
ASB = "Anti-social behaviour"
MONTHS = [f"{year}-{month:02d}" for year in range(2012, 2018) for month in range(1, 13)][3:63]
HEX_ID = re.compile(r"[0-9a-f]{64}")


def financial_year(month: str) -> int:
    """2016 for April 2016 - March 2017."""
    year, number = map(int, month.split("-"))
    return year if number >= 4 else year - 1


@pytest.fixture(scope="module")
def demo(demo_files) -> tuple[Path, list[Path]]:
    return demo_files  # generated once for the session (conftest)


@pytest.fixture(scope="module")
def out(demo) -> Path:
    return demo[0]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def lsoa_lookup(out) -> dict[str, dict[str, str]]:
    return {row["LSOA11CD"]: row for row in read_csv(out / "ons" / "lsoa11-ward17-lad17-lookup.csv")}


@dataclass
class Police:
    """Counts from the street-level files, gathered in one pass."""
    headers: set[tuple[str, ...]] = field(default_factory=set)
    by_la: Counter = field(default_factory=Counter)  # (LAD code, financial year, kind)
    by_medway_ward: Counter = field(default_factory=Counter)  # (ward name, financial year, kind)
    medway_months: Counter = field(default_factory=Counter)  # month, crimes
    medway_types: Counter = field(default_factory=Counter)  # (financial year, crime type)
    rows: Counter = field(default_factory=Counter)  # (month, kind)
    no_location: Counter = field(default_factory=Counter)  # (month, kind)
    crime_ids: list[str] = field(default_factory=list)
    bad_rows: list[list[str]] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)


@pytest.fixture(scope="module")
def police(out, lsoa_lookup) -> Police:
    seen = Police()
    for month in MONTHS:
        with (out / "police-uk" / month / f"{month}-kent-street.csv").open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            seen.headers.add(tuple(next(reader)))
            for row in reader:
                crime_id, row_month, reported, falls, lon, lat, location, lsoa, lsoa_name, kind, outcome, context = row
                is_asb = kind == ASB
                kind_key = "asb" if is_asb else "crime"
                well_formed = (row_month == month and reported == falls == "Kent Police" and context == ""
                               and (kind in CRIME_TYPES or is_asb)
                               and (crime_id == outcome == "" if is_asb else HEX_ID.fullmatch(crime_id) and outcome))
                if location == "No Location":
                    well_formed = well_formed and lon == lat == lsoa == lsoa_name == ""
                    seen.no_location[month, kind_key] += 1
                else:
                    well_formed = (well_formed and location.startswith("On or near ")
                                   and re.fullmatch(r"\d+\.\d{6}", lon) and re.fullmatch(r"5\d\.\d{6}", lat)
                                   and lsoa_lookup[lsoa]["LSOA11NM"] == lsoa_name)
                    area = lsoa_lookup[lsoa]
                    year = financial_year(month)
                    seen.by_la[area["LAD17CD"], year, kind_key] += 1
                    if area["LAD17CD"] == MEDWAY:
                        seen.by_medway_ward[area["WD17NM"], year, kind_key] += 1
                        if not is_asb:
                            seen.medway_months[month] += 1
                            seen.medway_types[year, kind] += 1
                if not well_formed:
                    seen.bad_rows.append(row)
                seen.rows[month, kind_key] += 1
                if not is_asb:
                    seen.crime_ids.append(crime_id)
                    seen.outcomes[outcome] += 1
    return seen


def test_generate_demo_returns_every_file_written_sorted(demo):
    out, paths = demo
    assert paths == sorted(paths)
    on_disk = sorted(p for p in out.rglob("*") if p.is_file())
    assert paths == on_disk
    # police, lookups, census, estimates, boundaries, notes, health and justice, the partnership's texts
    # (5 parts + the 6 sections with an example text), the partnership's priority scores and their README,
    # the ONS domestic abuse table, DfT STATS19 (collision and casualty files for 2012-2016, and a README),
    # the IoD2019 File 1, and the police outcomes and stop-and-search files beside the street files
    assert len(paths) == 60 + 2 + 1 + 5 + 2 + 2 + 5 + 11 + 2 + 1 + 11 + 1 + 120
    police_files = [p.relative_to(out).as_posix() for p in paths if p.parts[-3] == "police-uk"]
    assert police_files == [f"police-uk/{m}/{m}-kent-{kind}.csv" for m in MONTHS
                            for kind in ("outcomes", "stop-and-search", "street")]
    assert "synthetic" in (out / DEMO_MARKER).read_text(encoding="utf-8").lower()
    assert "synthetic" in (out / "README.md").read_text(encoding="utf-8").lower()


@pytest.mark.slow  # a second whole generation, in a process of its own
def test_second_run_through_the_command_line_is_byte_identical(demo, tmp_path):
    out, paths = demo
    result = subprocess.run([sys.executable, "-m", "csp_assessment.demo", str(tmp_path)],
                            capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1])
    assert str(tmp_path / "ons" / "census2011-lsoa-population.csv") in result.stdout

    def digests(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    assert digests(tmp_path) == digests(out)


def test_police_files_follow_the_data_police_uk_format(out, police):
    assert police.headers == {tuple(POLICE_HEADER)}
    assert police.bad_rows[:5] == []
    raw = (out / "police-uk" / "2016-04" / "2016-04-kent-street.csv").read_bytes()
    assert raw.startswith(b"Crime ID,Month,") and raw.endswith(b",\r\n")
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF throughout, as data.police.uk
    assert {"Investigation complete; no suspect identified", "Unable to prosecute suspect",
            "Under investigation", "Offender given a caution", "Local resolution"} <= set(police.outcomes)


def test_crime_ids_are_unique(police):
    assert len(police.crime_ids) > 500_000
    assert len(set(police.crime_ids)) == len(police.crime_ids)


def test_about_one_percent_of_rows_have_no_location(police):
    for month in MONTHS:
        for kind in ("crime", "asb"):
            share = police.no_location[month, kind] / police.rows[month, kind]
            assert 0.006 <= share <= 0.014, (month, kind, share)
    overall = sum(police.no_location.values()) / sum(police.rows.values())
    assert 0.009 <= overall <= 0.011


def test_medway_reproduces_the_published_crime_and_asb_figures(police):
    crime = [police.by_la[MEDWAY, year, "crime"] for year in range(2012, 2017)]
    asb = [police.by_la[MEDWAY, year, "asb"] for year in range(2012, 2017)]
    assert crime[3:] == [20_285, 23_125]
    assert asb[3:] == [8_978, 7_077]
    assert round(100 * (crime[4] - crime[3]) / crime[3], 1) == 14.0
    assert round(100 * (asb[4] - asb[3]) / asb[3], 1) == -21.2
    for published, count in zip([16_000, 17_000, 18_000], crime):  # "~16,000" ... as charted
        assert abs(count - published) <= 300
    for about, count in zip([9_500, 10_200, 9_600], asb):
        assert abs(count - about) <= 300


def test_medway_2016_17_months_follow_the_seasonality_chart(police):
    months = [police.medway_months[m] for m in MONTHS[-12:]]
    assert sum(months) == 23_125
    assert max(months) == police.medway_months["2017-01"]  # ~2,100 in the chart
    assert all(1_780 <= n <= 2_200 for n in months)


def test_medway_crime_mix_and_violence_growing_fastest(police):
    latest = {t: police.medway_types[2016, t] / 23_125 for t in CRIME_TYPES}
    assert 0.36 <= latest["Violence and sexual offences"] <= 0.40
    assert 0.11 <= latest["Criminal damage and arson"] <= 0.15
    assert 0.08 <= latest["Vehicle crime"] <= 0.12

    def growth(year_from: int, kinds) -> float:
        return sum(police.medway_types[2016, k] for k in kinds) / sum(police.medway_types[year_from, k] for k in kinds)

    others = CRIME_TYPES - {"Violence and sexual offences"}
    assert growth(2012, {"Violence and sexual offences"}) > growth(2012, others) + 0.3


def top_wards(police: Police, kind: str) -> list[tuple[str, int]]:
    counts = Counter({ward: n for (ward, year, k), n in police.by_medway_ward.items() if year == 2016 and k == kind})
    return counts.most_common(6)


def test_medway_crime_hotspot_wards_in_published_order(police):
    top = top_wards(police, "crime")
    assert [ward for ward, _ in top[:5]] == ["River", "Gillingham South", "Gillingham North",
                                            "Luton and Wayfield", "Chatham Central"]
    assert all(a[1] - b[1] >= 50 for a, b in zip(top, top[1:])), top  # clear gaps: a stable order


def test_medway_asb_hotspot_wards_in_published_order_with_42_percent(police):
    top = top_wards(police, "asb")
    assert [ward for ward, _ in top[:5]] == ["Gillingham North", "River", "Gillingham South",
                                            "Luton and Wayfield", "Chatham Central"]
    assert all(a[1] - b[1] >= 30 for a, b in zip(top, top[1:])), top
    share = sum(n for _, n in top[:5]) / 7_077
    assert 0.415 <= share <= 0.425


def mye2_rows(path: Path, sheet: str) -> tuple[list, dict[str, list]]:
    rows = list(openpyxl.load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True))
    header_at = next(i for i, row in enumerate(rows) if row[0] == "Code")
    return list(rows[header_at]), {row[0]: list(row) for row in rows[header_at + 1:] if row[0]}


def test_mid_year_estimates_layout_and_medway_mid_2016(out):
    folder = out / "ons" / "mid-year-estimates"
    path = folder / "ukmidyearestimates2016.xlsx"
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert {"Contents ", "MYE2 - All", "MYE2 - M", "MYE2 - F"} <= set(workbook.sheetnames)
    title = [row[0] for row in workbook["MYE2 - All"].iter_rows(max_row=3, values_only=True)]
    assert "mid-2016" in title[2].lower()
    header, areas = mye2_rows(path, "MYE2 - All")
    assert header == ["Code", "Name", "Geography1", "All ages", *range(91)]
    assert areas[MEDWAY][:4] == [MEDWAY, "Medway", "Unitary Authority", 278_542]
    assert areas["E10000016"][2] == "County" and areas["E07000110"][2] == "Non-metropolitan District"
    _, males = mye2_rows(path, "MYE2 - M")
    _, females = mye2_rows(path, "MYE2 - F")
    for code, row in areas.items():
        assert sum(row[4:]) == row[3], code
        assert [m + f for m, f in zip(males[code][3:], females[code][3:])] == row[3:], code
    medway_by_year = [mye2_rows(folder / f"ukmidyearestimates{y}.xlsx", "MYE2 - All")[1][MEDWAY][3]
                      for y in range(2012, 2017)]
    assert medway_by_year == sorted(medway_by_year) and 266_000 < medway_by_year[0] < 278_542
    assert 53_000_000 < areas["E92000001"][3] < 56_000_000


def test_census_extract_layout_and_medway_total(out):
    with (out / "ons" / "census2011-lsoa-population.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Region code", "Region name", "Local authority code", "Local authority name", "MSOA Code",
                       "MSOA Name", "LSOA Code", "LSOA Name", "", "Persons", "Persons", "Persons", "Hectares",
                       "Persons per hectare", "Households", "Persons per household"]

    def number(text: str) -> int:
        return int(text.replace(",", ""))

    medway = [row for row in rows[1:] if row[2] == MEDWAY]
    assert len(medway) == 163 and medway[0][3] == "Medway UA"
    assert sum(number(row[9]) for row in medway) == 263_925
    assert all(number(row[9]) == number(row[10]) + number(row[11]) for row in rows[1:])
    assert any("," in row[9] for row in rows[1:])  # thousands separators, as published
    assert '"' in (out / "ons" / "census2011-lsoa-population.csv").read_text(encoding="utf-8")


def test_lookups(out, lsoa_lookup):
    csp = read_csv(out / "ons" / "lad17-csp17-pfa17-lookup.csv")
    assert len(csp) == 13 and {row["PFA17CD"] for row in csp} == {"E23000032"}
    shared = {row["LAD17NM"] for row in csp if row["CSP17CD"] == "E22000352"}
    assert shared == {"Dartford", "Gravesham"}
    medway = [row for row in lsoa_lookup.values() if row["LAD17CD"] == MEDWAY]
    assert len(medway) == 163 and len({row["WD17NM"] for row in medway}) == 22
    assert all(code.startswith("E019") for code in lsoa_lookup)  # cannot clash with real LSOAs
    assert all(row["WD17CD"].startswith("E059") and row["WD17NMW"] == "" for row in lsoa_lookup.values())
    assert "Bearsted & Thurnham" in {row["WD17NM"] for row in lsoa_lookup.values()}


def test_peer_ranking_is_meaningful(out, police):
    _, areas = mye2_rows(out / "ons" / "mid-year-estimates" / "ukmidyearestimates2016.xlsx", "MYE2 - All")
    codes = [row["LAD17CD"] for row in read_csv(out / "ons" / "lad17-csp17-pfa17-lookup.csv")]
    crimes = {code: police.by_la[code, 2016, "crime"] for code in codes}
    crime_rate = {code: 1000 * crimes[code] / areas[code][3] for code in codes}
    asb_rate = {code: 1000 * police.by_la[code, 2016, "asb"] / areas[code][3] for code in codes}
    assert max(crimes, key=crimes.get) == MEDWAY
    assert 3 <= sorted(crime_rate.values(), reverse=True).index(crime_rate[MEDWAY]) + 1 <= 6
    assert round(crime_rate[MEDWAY]) == 83 and round(asb_rate[MEDWAY]) == 25
    assert all(45 <= rate <= 95 for rate in crime_rate.values())
    assert all(20 <= rate <= 40 for rate in asb_rate.values())

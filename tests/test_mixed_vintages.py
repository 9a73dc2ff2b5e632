"""One data folder holding both LSOA vintages, made from symlinks to the real public files.

The 2022 Kent street files carry LSOA 2011 codes; the City of London files of January 2024 and
February 2025 carry LSOA 2021 codes. Both lookups and the ONS bridge sit beside them. Every
expected figure is an independent count with the csv module over the same files and lookups.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from csp_assessment import store
from csp_assessment.config import load_config
from csp_assessment.geography import Geography, UnplacedRecordsError, check_placement, placement_report
from csp_assessment.ingest.folder import ingest_folder
from csp_assessment.sections.crime import CrimeSection
from csp_assessment.sections import SECTIONS

from conftest import PROJECT_ROOT

# Whole ingests of eleven months of Kent and the City of London files with both lookups and the bridge.
pytestmark = pytest.mark.slow

SHARED = PROJECT_ROOT.parent / "shared"
CURRENT = SHARED / "data-current"
LOOKUP_2011 = SHARED / "data" / "ons" / "lsoa11-ward17-lad17-lookup.csv"
LOOKUP_2021 = CURRENT / "ons" / "LSOA_(2021)_to_Electoral_Ward_(2024)_to_LAD_(2024)_Best_Fit_Lookup_in_EW.csv"
BRIDGE = CURRENT / "ons" / "LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Exact_Fit_Lookup_for_EW_(V3).csv"
IMD = CURRENT / "mhclg" / "File_1_IMD2019_Index_of_Multiple_Deprivation.xlsx"
MEDWAY, CITY = "E06000035", "E09000001"


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory) -> Path:
    if not (SHARED / "data" / "police-uk").is_dir() or not (CURRENT / "police-uk").is_dir():
        pytest.skip(f"the real public files are not at {SHARED}/data and {CURRENT} (they sit beside the clone in CI)")
    folder = tmp_path_factory.mktemp("mixed") / "raw"
    (folder / "ons").mkdir(parents=True)
    for street in sorted((SHARED / "data" / "police-uk").glob("*/*-street.csv")) + \
            sorted((CURRENT / "police-uk").glob("*/*-street.csv")):
        (folder / street.parent.name).mkdir(exist_ok=True)
        (folder / street.parent.name / street.name).symlink_to(street)
    for source in (LOOKUP_2011, LOOKUP_2021, BRIDGE, SHARED / "data" / "ons" / "lad17-csp17-pfa17-lookup.csv"):
        (folder / "ons" / source.name).symlink_to(source)
    (folder / "ons" / "boundaries").mkdir()
    for geojson in sorted((CURRENT / "ons" / "boundaries").glob("*/*.geojson")):
        (folder / "ons" / "boundaries" / geojson.name).symlink_to(geojson)
    (folder / "mhclg").mkdir()
    (folder / "mhclg" / IMD.name).symlink_to(IMD)
    (folder / "ons" / "mid-year-estimates").mkdir()
    for workbook in sorted((SHARED / "data" / "ons" / "mid-year-estimates").glob("*")) + \
            sorted((CURRENT / "ons" / "mid-year-estimates").glob("*")):
        (folder / "ons" / "mid-year-estimates" / workbook.name).symlink_to(workbook)
    return folder


def lookup_lads(path: Path, code_column: str, lad_column: str) -> dict[str, str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return {row[code_column]: row[lad_column] for row in csv.DictReader(fh)}


def independent_counts(streets: list[Path], lad_of: dict[str, str], lad: str) -> Counter:
    """Records per month of these street files whose LSOA ``lad_of`` (the lookup of the files' own
    LSOA vintage) puts in ``lad`` (ASB included)."""
    counts: Counter = Counter()
    for street in streets:
        with open(street, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                if lad_of.get(row["LSOA code"]) == lad:
                    counts[row["Month"]] += 1
    return counts


@pytest.fixture(scope="module")
def placed(mixed_folder, tmp_path_factory):
    processed = tmp_path_factory.mktemp("processed")
    ingest_folder(mixed_folder, processed)
    geo = Geography(processed)
    return geo, geo.place(store.read_table(processed, "police_counts")), processed


def test_every_month_matches_an_independent_count_whatever_the_vintage(mixed_folder, placed):
    geo, counts, _ = placed
    assert (geo.lsoa_vintage, geo.ward_vintage) == ("2021", "2024")  # the newest wards, for every period
    by_month = {lad: counts[counts["lad_code"] == lad].groupby("month")["records"].sum().to_dict()
                for lad in (MEDWAY, CITY)}
    # Kent's 2022 files carry LSOA 2011 codes, every file of data-current LSOA 2021 codes (its README).
    # Bedfordshire's 2024 files hold a few records of crimes it recorded in other forces' areas, Medway
    # among them: they count for Medway too, placed by their own vintage.
    kent = sorted((SHARED / "data" / "police-uk").glob("*/*-street.csv"))
    current = sorted((CURRENT / "police-uk").glob("*/*-street.csv"))
    lads_2011 = lookup_lads(LOOKUP_2011, "LSOA11CD", "LAD17CD")
    lads_2021 = lookup_lads(LOOKUP_2021, "LSOA21CD", "LAD24CD")
    medway = independent_counts(kent, lads_2011, MEDWAY) + independent_counts(current, lads_2021, MEDWAY)
    city = independent_counts(kent, lads_2011, CITY) + independent_counts(current, lads_2021, CITY)
    assert {m for m in medway if m.startswith("2022")} == {f"2022-{m:02d}" for m in range(1, 12)}
    assert by_month[MEDWAY] == dict(medway)
    assert {"2024-01", "2025-02"} <= set(city)
    assert by_month[CITY] == dict(city)
    # files are placed by their own vintage: Kent 2022 by LSOA 2011, City of London by LSOA 2021
    own = counts.dropna(subset=["own_vintage"]).groupby("force")["own_vintage"].unique()
    assert list(own["kent"]) == ["2011"] and list(own["city-of-london"]) == ["2021"]
    assert not (counts["placed_by"] == "unplaced").any()


def test_medway_2022_is_unchanged_by_the_newer_files(mixed_folder, placed):
    _, _, processed = placed
    config = load_config(2022, area="E06000035", data_dir=mixed_folder, processed_dir=processed,
                         period_from="2022-01", period_to="2022-11")
    ingest = ingest_folder(mixed_folder, processed, months=(str(config.trend[0].start), "2025-02"))
    section = CrimeSection(SECTIONS["all_crime"], config, ingest)
    assert section.count == 28_046
    notes = " ".join(n.text for n in section.data_notes())
    assert "Wards are wards as at 2024" in notes
    assert "through the ONS LSOA 2011 to 2021 lookup" in notes and "split" in notes
    # Medway's wards changed in 2023: only the 2024 names are used
    names_2024 = {row["WD24NM"] for row in csv.DictReader(open(LOOKUP_2021, encoding="utf-8-sig"))
                  if row["LAD24CD"] == MEDWAY}
    assert set(section.counts["ward_name"].dropna()) <= names_2024
    assert set(section.top_wards["ward_name"]) <= names_2024


def test_medway_2022_deciles_through_the_bridge_and_what_best_fit_does_to_them(mixed_folder, placed):
    """Medway's 2022 records carry LSOA 2011 codes and the report's LSOAs are 2021's: the records of the
    six Medway LSOAs ONS split in 2021 go to one best-fit successor each, not apportioned. Every part
    of a split LSOA inherits its IoD2019 decile, so the counts by decile equal the counts by the decile
    of each record's own LSOA 2011 (counted here with csv and openpyxl), and the notes say so."""
    import openpyxl

    _, _, processed = placed
    config = load_config(2022, area="E06000035", data_dir=mixed_folder, processed_dir=processed,
                         period_from="2022-01", period_to="2022-11")
    ingest = ingest_folder(mixed_folder, processed, months=(str(config.trend[0].start), "2025-02"))
    section = CrimeSection(SECTIONS["all_crime"], config, ingest)
    book = openpyxl.load_workbook(IMD, read_only=True)
    decile = {row[0]: row[5] for row in list(book["IMD2019"].iter_rows(values_only=True))[1:]}
    medway = {code for code, lad in lookup_lads(LOOKUP_2011, "LSOA11CD", "LAD17CD").items() if lad == MEDWAY}
    with open(BRIDGE, encoding="utf-8-sig", newline="") as fh:
        split = {row["LSOA11CD"] for row in csv.DictReader(fh) if row["CHGIND"] == "S" and row["LSOA11CD"] in medway}
    by_decile, moved = Counter(), 0
    for street in sorted(mixed_folder.glob("2022-*/*-street.csv")):
        with open(street, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["LSOA code"] in medway and row["Crime type"] != "Anti-social behaviour":
                    by_decile[decile[row["LSOA code"]]] += 1
                    moved += row["LSOA code"] in split
    assert len(split) == 6 and moved > 0
    table = section.deprivation.by_decile.set_index("decile")
    assert {d: table.loc[d, "records"] for d in range(1, 11)} == {d: by_decile[d] for d in range(1, 11)}
    notes = " ".join(section.deprivation.notes)
    assert (f"{moved:,} crimes were recorded in LSOAs that ONS split or redesigned in 2021" in notes
            and "not apportioned between them" in notes and "so this changes no decile's count." in notes)


def test_without_the_newer_lookup_the_city_of_london_is_loud(mixed_folder, tmp_path):
    """Only the 2011 lookup: City of London 2024 records in new LSOAs cannot all be placed, and the
    run says how many and what to download."""
    folder = tmp_path / "raw"
    (folder / "ons").mkdir(parents=True)
    for month in ("2024-01", "2025-02"):
        (folder / month).mkdir()
        street = CURRENT / "police-uk" / month / f"{month}-city-of-london-street.csv"
        (folder / month / street.name).symlink_to(street)
    (folder / "ons" / LOOKUP_2011.name).symlink_to(LOOKUP_2011)
    processed = tmp_path / "processed"
    ingest_folder(folder, processed)
    geo = Geography(processed)
    counts = geo.place(store.read_table(processed, "police_counts"))
    report = placement_report(geo, counts, (CITY,), ["2024-01", "2025-02"])
    known = lookup_lads(LOOKUP_2011, "LSOA11CD", "LAD17CD")
    unknown = 0
    for street in folder.glob("*/*-street.csv"):
        with open(street, encoding="utf-8-sig", newline="") as fh:
            unknown += sum(1 for row in csv.DictReader(fh) if row["LSOA code"] and row["LSOA code"] not in known)
    assert report.unplaced == unknown > 0
    assert "LSOA 2021 to ward to local authority lookup" in report.warning()
    assert report.is_loud(report.unplaced_pct / 2) and not report.is_loud(report.unplaced_pct * 2)
    assert check_placement(report, 100.0, 100.0, folder, "City of London") == []
    with pytest.raises(UnplacedRecordsError, match=r"City of London: Partial count: .* stop_pct"):
        check_placement(report, 0.0, report.unplaced_pct / 2, folder, "City of London")


def test_a_medway_map_from_the_real_lsoa_2021_and_ward_2025_boundaries(mixed_folder, placed):
    _, _, processed = placed
    config = load_config(2022, area="E06000035", data_dir=mixed_folder, processed_dir=processed,
                         period_from="2022-01", period_to="2022-11")
    ingest = ingest_folder(mixed_folder, processed, months=(str(config.trend[0].start), "2025-02"))
    section = CrimeSection(SECTIONS["all_crime"], config, ingest)
    with open(CURRENT / "ons" / "boundaries" / "kent-ward25" / "ward25_E06000035.geojson", encoding="utf-8") as fh:
        ward_codes = {f["properties"]["WD25CD"] for f in json.load(fh)["features"]}
    with open(LOOKUP_2021, encoding="utf-8-sig", newline="") as fh:
        rows = [row for row in csv.DictReader(fh) if row["LAD24CD"] == MEDWAY]
    assert {row["WD24CD"] for row in rows} == ward_codes  # in Kent the 2025 codes are the 2024 ones
    note = section.maps_note().data
    assert f"cover {len(ward_codes)} of the area's {len(ward_codes)} 2024 wards" in note
    assert f"cover {len(rows)} of the area's {len(rows)} LSOA 2021 areas" in note
    ward_map, lsoa_map = section.ward_map(), section.lsoa_map()
    assert ward_map.csp_alt_text.startswith("Map: Recorded crimes per 1,000 residents by ward, Medway.")
    assert f"each of {len(rows)} LSOAs" in lsoa_map.csp_alt_text
    top = section.top_wards["ward_name"].tolist()
    assert f"1 {top[0]}" in lsoa_map.csp_alt_text and len(top) == 5
    # no LSOA 2021 population in the folder: the ward map says so rather than shading a wrong rate
    assert "no ward has a population figure" in ward_map.csp_alt_text


@pytest.mark.parametrize("lookups", [(LOOKUP_2021, BRIDGE), (LOOKUP_2011, LOOKUP_2021)],
                         ids=["2021-lookup-and-bridge", "both-lookups-no-bridge"])
def test_medway_months_match_whichever_lookups_are_present(mixed_folder, tmp_path, lookups):
    folder = tmp_path / "raw"
    (folder / "ons").mkdir(parents=True)
    for street in sorted(mixed_folder.glob("2022-*/*-street.csv")):
        (folder / street.parent.name).mkdir()
        (folder / street.parent.name / street.name).symlink_to(street.resolve())
    for source in lookups:
        (folder / "ons" / source.name).symlink_to(source)
    ingest_folder(folder, tmp_path / "processed")
    geo = Geography(tmp_path / "processed")
    counts = geo.place(store.read_table(tmp_path / "processed", "police_counts"))
    got = counts[counts["lad_code"] == MEDWAY].groupby("month")["records"].sum().to_dict()
    expected = independent_counts(sorted(folder.glob("*/*-street.csv")), lookup_lads(LOOKUP_2011, "LSOA11CD", "LAD17CD"),
                                  MEDWAY)
    assert got == dict(expected)
    report = placement_report(geo, counts, (MEDWAY,), sorted(expected))
    assert report.unplaced == 0
    if BRIDGE not in lookups:  # placed by their own lookup; the split LSOAs just miss the 2024 wards
        assert report.own_lookup_only > 0 and report.bridged == 0
    else:
        assert report.bridged == sum(expected.values())  # every 2011 record went through the bridge

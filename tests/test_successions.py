"""Authorities ONS has replaced since 2017 (csp_assessment/successions.py), checked against ONS's own
lookups in ../shared, and an area code of either vintage finding its records, force and population.

Expected values are read here with the csv module and xlrd, never through the code under test.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
import pytest
import xlrd

from conftest import PROJECT_ROOT
from csp_assessment import store, successions
from csp_assessment.errors import ConfigError
from csp_assessment.geography import Geography
from csp_assessment.ingest import ons

SHARED = PROJECT_ROOT.parent / "shared"
LOOKUP_2011 = SHARED / "data" / "ons" / "lsoa11-ward17-lad17-lookup.csv"
CURRENT_ONS = SHARED / "data-current" / "ons"
LOOKUP_2021 = CURRENT_ONS / "LSOA_(2021)_to_Electoral_Ward_(2024)_to_LAD_(2024)_Best_Fit_Lookup_in_EW.csv"
BRIDGE = CURRENT_ONS / "LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Exact_Fit_Lookup_for_EW_(V3).csv"
AREA_2019 = CURRENT_ONS / "lad19-csp19-pfa19-lookup.csv"
AREA_2024 = CURRENT_ONS / "lad24-csp24-pfa24-lookup.csv"
MYE_2018 = SHARED / "data" / "ons" / "mid-year-estimates" / "ukmidyearestimates20182019ladcodes.xls"
BUCKS, BUCKS_DISTRICTS = "E06000060", ["E07000004", "E07000005", "E07000006", "E07000007"]


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        pytest.skip(f"{path} is not there (the real public files sit beside the clone)")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_reorganised_authorities_chain_both_ways():
    assert successions.latest_code("E07000190") == "E06000066"  # Taunton Deane -> Somerset West and Taunton -> Somerset
    assert successions.latest_code("E07000190", {"E07000246"}) == "E07000246"
    assert successions.composed("E06000066", {"E07000187", "E07000188", "E07000189", "E07000190", "E07000191"}) == \
        ["E07000187", "E07000188", "E07000189", "E07000190", "E07000191"]
    # never a code and its predecessor together, so nothing is counted twice
    assert successions.composed("E06000066", {"E07000187", "E07000188", "E07000189", "E07000246", "E07000190"}) == \
        ["E07000187", "E07000188", "E07000189", "E07000246"]
    assert successions.composed(BUCKS, {"E07000004"}) is None
    assert successions.codes_in("E07000004", {BUCKS}) == [BUCKS]
    assert {s.new_code for s in successions.SUCCESSIONS} >= {f"E0600006{i}" for i in range(7)}


def test_every_succession_is_where_the_ons_lookups_put_the_predecessors_lsoas():
    """LSOA 2011 -> LAD 2017 (2017 lookup), LSOA 2011 -> LAD 2022 (bridge), LSOA 2021 -> LAD 2024:
    each predecessor's LSOAs land in its successor; every 2017 code gone by 2024 is in the table."""
    lad17 = {r["LSOA11CD"]: r["LAD17CD"] for r in _rows(LOOKUP_2011)}
    bridge = _rows(BRIDGE)
    lad24 = {r["LSOA21CD"]: r["LAD24CD"] for r in _rows(LOOKUP_2021)}
    to_2024: dict[str, Counter] = defaultdict(Counter)
    to_2022: dict[str, Counter] = defaultdict(Counter)
    for row in bridge:
        to_2022[lad17[row["LSOA11CD"]]][row["LAD22CD"]] += 1
        to_2024[lad17[row["LSOA11CD"]]][lad24[row["LSOA21CD"]]] += 1
    for s in successions.SUCCESSIONS:
        landed = (to_2022 if s.from_date < "2022-04-01" else to_2024)[s.old_code]
        if not landed:  # made and ended between the lookups (Somerset West and Taunton, 2019-2023)
            assert s.old_code in {p.new_code for p in successions.SUCCESSIONS}, s
            continue
        top, n = landed.most_common(1)[0]
        assert top == s.new_code and n >= 0.95 * sum(landed.values()), (s, landed)
    still_there = set(lad24.values())
    gone = {code for code in to_2024 if code not in still_there}
    assert gone == {s.old_code for s in successions.SUCCESSIONS if s.old_code in to_2024}


def test_the_reorganised_authorities_are_in_the_2024_partnership_lookup_and_not_in_2019():
    lad24 = {r["LAD24CD"]: r for r in _rows(AREA_2024)}
    lad19 = {r["LAD19CD"] for r in _rows(AREA_2019)}
    for code in [f"E0600006{i}" for i in range(7)]:
        assert code in lad24 and code not in lad19
        assert successions.name_of(code) == lad24[code]["LAD24NM"]
        assert set(successions.composed(code, lad19)) <= lad19


@pytest.fixture
def buckinghamshire(tmp_path):
    """Processed tables from the real lookups: LSOA 2011 (wards 2017) and LSOA 2021 (wards 2024), no bridge."""
    if not all(p.exists() for p in (LOOKUP_2011, LOOKUP_2021, AREA_2019, AREA_2024)):
        pytest.skip("the real ONS lookups are not in ../shared")
    old, new = ons.read_lsoa_ward_lad_lookup(LOOKUP_2011), ons.read_lsoa_ward_lad_lookup(LOOKUP_2021)

    def processed(folder: Path, lookups: list[tuple[pd.DataFrame, tuple[str, str, str]]], area: Path) -> Geography:
        store.write_table(folder, "lsoa_lookup", pd.concat(
            [t.assign(lsoa_vintage=v[0], ward_vintage=v[1], lad_vintage=v[2], source_file="x.csv")
             for t, v in lookups], ignore_index=True))
        store.write_table(folder, "area_lookup", ons.read_lad_csp_pfa_lookup(area))
        return Geography(folder)

    return {
        "current": processed(tmp_path / "current", [(old, ("2011", "2017", "2017")), (new, ("2021", "2024", "2024"))],
                             AREA_2024),
        "old": processed(tmp_path / "old", [(old, ("2011", "2017", "2017"))], AREA_2019),
        "lad17": {r["LSOA11CD"]: r["LAD17CD"] for r in _rows(LOOKUP_2011)},
    }


def test_records_of_the_old_districts_are_counted_in_buckinghamshire(buckinghamshire):
    geo, lad17 = buckinghamshire["current"], buckinghamshire["lad17"]
    lsoas = [code for code, lad in lad17.items() if lad in BUCKS_DISTRICTS][:20]
    counts = pd.DataFrame({"month": "2021-06", "force": "thames-valley", "lsoa_code": lsoas, "records": 1})
    placed = geo.place(counts)
    assert set(placed["lad_code"]) == {BUCKS}  # carried from the districts of the 2017 lookup
    area = geo.resolve((BUCKS,))
    assert area.lad_codes == (BUCKS,) and area.name == "Buckinghamshire"
    with pytest.raises(ConfigError, match="E07000004 Aylesbury Vale is no longer a local authority.*--area E06000060"):
        geo.resolve(("E07000004",))


def test_buckinghamshire_over_the_2017_lookup_is_its_four_districts(buckinghamshire):
    area = buckinghamshire["old"].resolve((BUCKS,))
    assert area.lad_codes == tuple(BUCKS_DISTRICTS) and area.name == "Buckinghamshire"
    assert buckinghamshire["old"].resolve(("E07000004",)).lad_codes == ("E07000004",)


def test_a_population_before_the_reorganisation_is_the_sum_of_the_districts(tmp_path):
    if not MYE_2018.exists():
        pytest.skip(f"{MYE_2018} is not there")
    book = xlrd.open_workbook(str(MYE_2018))
    sheet = book.sheet_by_name("MYE2-All")  # the all-persons table of the mid-2018 release
    header_row = next(r for r in range(sheet.nrows) if sheet.cell_value(r, 0) == "Code")
    col = [str(v).strip() for v in sheet.row_values(header_row)].index("All ages")
    expected = sum(int(sheet.cell_value(r, col)) for r in range(header_row + 1, sheet.nrows)
                   if sheet.cell_value(r, 0) in BUCKS_DISTRICTS)
    store.write_table(tmp_path, "lsoa_lookup", pd.DataFrame({
        "lsoa_code": ["L1"], "lsoa_name": ["a"], "ward_code": ["W1"], "ward_name": ["w"], "lad_code": [BUCKS],
        "lad_name": ["Buckinghamshire"]}))
    store.write_table(tmp_path, "population_la", ons.read_mid_year_estimates(MYE_2018))
    population = Geography(tmp_path).la_population((BUCKS,), 2018)
    assert population.value == expected and population.year == 2018
    assert "E07000004 Aylesbury Vale" in population.note and "sum" in population.note


def test_the_ingest_takes_the_partnership_lookup_of_the_periods_end_by_its_vintage_not_its_name(tmp_path):
    from csp_assessment.ingest.folder import _partnership_lookup

    if not AREA_2019.exists() or not AREA_2024.exists():
        pytest.skip("the real ONS lookups are not in ../shared/data-current")
    # named as fetch names them: the 2019 file's name sorts after the 2024 file's
    old = tmp_path / "Local_Authority_District_to_Community_Safety_Partnerships_to_Police_Force_Areas_(December_2019)_Lookup_in_England_and_Wales.csv"
    new = tmp_path / "LAD_to_Community_Safety_Partnership_to_PFA_(December_2024)_Lookup_in_EW.csv"
    old.symlink_to(AREA_2019)
    new.symlink_to(AREA_2024)
    for last_month, expected in (("2019-06", old), ("2019-12", old), ("2022-11", new), ("2025-12", new), (None, new)):
        used, table, others = _partnership_lookup([old, new], last_month)
        assert used == expected and others == [old if expected == new else new], last_month
    assert BUCKS in set(_partnership_lookup([old, new], "2025-12")[1]["lad_code"])

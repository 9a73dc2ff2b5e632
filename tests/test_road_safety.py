"""The road safety section's loader and figures (DfT STATS19).

Expected values are counted by hand from small files written here, or with the csv module from the
real DfT subsets in ../shared/data-current/dft-stats19 (header and a few rows: format, not totals).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from conftest import PROJECT_ROOT
from csp_assessment.demo.stats19 import CASUALTY_HEADER, COLLISION_HEADER
from csp_assessment.errors import InputError
from csp_assessment.ingest import stats19
from csp_assessment.sections.road_safety import (annual_figures, adjusted_ksi, age_band, breakdown, change_from, change_pct,
                                        file_gaps, last_full_year, placed_casualties, rate, three_year_sentence)

REAL = PROJECT_ROOT.parent / "shared" / "data-current" / "dft-stats19"
REAL_CASUALTIES = REAL / "dft-road-casualty-statistics-casualty-2021.csv"
REAL_COLLISIONS = REAL / "dft-road-casualty-statistics-collision-2023.csv"


def real(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"the real DfT STATS19 subset is not at {path} (it sits beside the clone in CI)")
    return path


def csv_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


# ---- loader on the real files ---------------------------------------------------------------------


def test_real_casualty_file_loads_with_the_csv_modules_counts():
    path = real(REAL_CASUALTIES)
    rows = csv_rows(path)
    table = stats19.read(path)
    assert len(table) == len(rows) and set(table["record"]) == {"casualty"}
    assert list(table["collision_index"]) == [r["collision_index"] for r in rows]
    for code in ("1", "2", "3"):
        assert (table["severity"] == int(code)).sum() == sum(r["casualty_severity"] == code for r in rows)
    assert list(table["age"]) == [int(r["age_of_casualty"]) for r in rows]
    assert list(table["casualty_type"]) == [int(r["casualty_type"]) for r in rows]
    assert table["adjusted_serious"].sum() == pytest.approx(sum(float(r["casualty_adjusted_severity_serious"])
                                                                for r in rows))
    assert table["row"].iloc[0] == 2 and table["row"].iloc[-1] == len(rows) + 1


def test_real_collision_file_loads_with_the_csv_modules_counts():
    path = real(REAL_COLLISIONS)
    rows = csv_rows(path)
    table = stats19.read(path)
    assert len(table) == len(rows) and set(table["record"]) == {"collision"}
    assert list(table["lad_code"]) == [r["local_authority_ons_district"] for r in rows]
    assert list(table["severity"]) == [int(r["collision_severity"]) for r in rows]
    kent = [r for r in rows if r["police_force"] == "46"]
    assert len(kent) == 4  # the subset's Kent rows, as its README says
    assert table["longitude"].tolist() == pytest.approx([float(r["longitude"]) for r in rows])
    assert stats19.sniff(path) and stats19.file_kind(path) == "collision"


# ---- small files written here -----------------------------------------------------------------------


def write_stats19(folder: Path, year: int, collisions: list[dict], casualties: list[dict], *,
                  older_names: bool = False) -> tuple[Path, Path]:
    """Collision and casualty files in DfT's current layout (or, ``older_names``, with the accident_*
    names of the files published before 2024); unspecified cells are -1."""
    folder.mkdir(parents=True, exist_ok=True)

    def rename(header):
        return [h.replace("collision_", "accident_") if older_names and h.startswith("collision_") else h
                for h in header]

    paths = []
    for kind, header, rows in (("collision", COLLISION_HEADER, collisions), ("casualty", CASUALTY_HEADER, casualties)):
        name = f"dft-road-casualty-statistics-{'accident' if older_names and kind == 'collision' else kind}-{year}.csv"
        path = folder / name
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(rename(header))
            for row in rows:
                writer.writerow([row.get(h, -1) for h in header])
        paths.append(path)
    return paths[0], paths[1]


MAIDSTONE, ASHFORD = "E07000110", "E07000105"


def collision(index: str, year: int, lad: str, severity: int) -> dict:
    return {"collision_index": index, "collision_year": year, "collision_ref_no": index[4:],
            "collision_severity": severity, "local_authority_ons_district": lad, "date": f"01/06/{year}",
            "longitude": "0.52", "latitude": "51.27"}


def casualty(index: str, year: int, number: int, severity: int, casualty_type: int, age: int,
             adjusted: float | None = None) -> dict:
    row = {"collision_index": index, "collision_year": year, "collision_ref_no": index[4:], "vehicle_reference": 1,
           "casualty_reference": number, "casualty_severity": severity, "casualty_type": casualty_type,
           "age_of_casualty": age}
    if adjusted is not None:
        row["casualty_adjusted_severity_serious"] = adjusted
        row["casualty_adjusted_severity_slight"] = 0 if severity == 1 else round(1 - adjusted, 5)
    return row


@pytest.fixture
def hand_table(tmp_path) -> pd.DataFrame:
    """2015: Maidstone has a serious collision (a car driver aged 19 seriously injured, a passenger
    aged 30 slightly) and a slight one (a pedestrian aged 70); Ashford a fatal one (a motorcyclist
    aged 22 killed). One casualty's collision is not in the files. 2014: Maidstone, 2 KSI of 2."""
    tables = []
    c15, k15 = write_stats19(tmp_path, 2015, [
        collision("2015460000001", 2015, MAIDSTONE, 2), collision("2015460000002", 2015, MAIDSTONE, 3),
        collision("2015460000003", 2015, ASHFORD, 1)], [
        casualty("2015460000001", 2015, 1, 2, 9, 19, 1), casualty("2015460000001", 2015, 2, 3, 9, 30, 0.1),
        casualty("2015460000002", 2015, 1, 3, 0, 70, 0.05), casualty("2015460000003", 2015, 1, 1, 5, 22, 0),
        casualty("2015460000099", 2015, 1, 2, 1, 40, 1)])
    c14, k14 = write_stats19(tmp_path, 2014, [collision("2014460000001", 2014, MAIDSTONE, 1)], [
        casualty("2014460000001", 2014, 1, 1, 0, 81, 0), casualty("2014460000001", 2014, 2, 2, 1, 45, 0.9)],
        older_names=True)
    for path in (c15, k15, c14, k14):
        assert stats19.sniff(path)
        tables.append(stats19.read(path))
    return pd.concat(tables, ignore_index=True)


def test_older_accident_names_are_read(hand_table):
    older = hand_table[hand_table["source_file"] == "dft-road-casualty-statistics-accident-2014.csv"]
    assert list(older["collision_index"]) == ["2014460000001"] and list(older["lad_code"]) == [MAIDSTONE]


def test_casualties_placed_through_their_collision(hand_table):
    placed, unplaced = placed_casualties(hand_table)
    assert list(unplaced["collision_index"]) == ["2015460000099"]
    assert (placed["lad_code"] == MAIDSTONE).sum() == 5 and (placed["lad_code"] == ASHFORD).sum() == 1


def test_annual_ksi_casualties_and_young_car_occupants_by_hand(hand_table):
    placed, _ = placed_casualties(hand_table)
    maidstone = annual_figures(placed[placed["lad_code"] == MAIDSTONE], [2014, 2015]).set_index("year")
    # 2015: serious 1 (the 19-year-old driver), slight 2; 2014: fatal 1, serious 1
    assert maidstone.loc[2015, ["fatal", "serious", "ksi", "slight", "casualties", "young_car_ksi"]].tolist() == [
        0, 1, 1, 2, 3, 1]
    assert maidstone.loc[2014, ["fatal", "serious", "ksi", "slight", "casualties", "young_car_ksi"]].tolist() == [
        1, 1, 2, 0, 2, 0]
    # severity-adjusted: 2015 = 0 fatal + 1 + 0.1 + 0.05 = 1.15; 2014 = 1 fatal + 0.9 = 1.9
    assert maidstone.loc[2015, "ksi_adjusted"] == pytest.approx(1.15)
    assert maidstone.loc[2014, "ksi_adjusted"] == pytest.approx(1.9)
    ashford = annual_figures(placed[placed["lad_code"] == ASHFORD], [2015]).iloc[0]
    assert (ashford["fatal"], ashford["ksi"], ashford["young_car_ksi"]) == (1, 1, 0)  # a motorcyclist, not a car


def test_adjusted_ksi_is_missing_when_any_casualty_lacks_the_adjustment():
    frame = pd.DataFrame({"severity": [1, 2, 3], "adjusted_serious": [0.0, math.nan, 0.2]})
    assert math.isnan(adjusted_ksi(frame))
    assert adjusted_ksi(frame.fillna(0.7)) == pytest.approx(1 + 0.7 + 0.2)


def test_breakdown_by_road_user_and_age(hand_table):
    placed, _ = placed_casualties(hand_table)
    of_2015 = placed[placed["year"] == 2015]
    users = breakdown(of_2015, "road_user", list(stats19.ROAD_USER_TYPES)).set_index("group")
    # KSI: the car driver and the motorcyclist; all casualties add the passenger and the pedestrian
    assert users.loc["Car occupant", ["ksi", "casualties"]].tolist() == [1, 2]
    assert users.loc["Motorcyclist", ["ksi", "casualties"]].tolist() == [1, 1]
    assert users.loc["Pedestrian", ["ksi", "casualties"]].tolist() == [0, 1]
    assert users.loc["Car occupant", "ksi_share_pct"] == 50.0
    assert age_band(pd.Series([16, 17, 24, 25, 75, -1])).tolist() == [
        "0–16", "17–24", "17–24", "25–39", "75 and over", "Age not recorded"]


def test_maidstone_three_year_comparison_as_published():
    # "a decrease of 20.6% over the three years 2013-2015: 2015 - 50, 2014 - 74, 2013 - 63"
    annual = pd.DataFrame({"year": [2013, 2014, 2015], "ksi": [63, 74, 50]})
    assert change_pct(63, 50) == pytest.approx(100 * (50 - 63) / 63)
    assert change_from(annual, "ksi", 2015, 1) == (2014, 74.0, pytest.approx(100 * (50 - 74) / 74))
    assert three_year_sentence(annual, "ksi", 2015, "KSI casualties") == (
        "KSI casualties: a decrease of 20.6% over the three years 2013–2015: 2015 – 50, 2014 – 74, 2013 – 63.")
    assert three_year_sentence(annual[annual["year"] > 2013], "ksi", 2015, "KSI") == ""
    # Kent's young car occupants: "rose by 16 per cent from 51 in 2014 to 59 in 2015"
    assert round(change_pct(51, 59)) == 16


def test_rate_per_100000_by_hand():
    # Maidstone mid-2015: 164,499 residents; 50 KSI -> 50 x 100,000 / 164,499 = 30.395...
    value, lower, upper = rate(50, 164_499)
    assert value == pytest.approx(30.3953, abs=1e-4)
    assert lower < value < upper
    assert all(math.isnan(v) for v in rate(50, None))


def test_rate_interval_is_ohids_for_a_count():
    """OHID Fingertips technical guidance, "Rates" (and the PHE technical guide "Confidence intervals"):
    the limits of a count O of 10 or more by Byar's method, O(1 - 1/(9O) - z/(3 sqrt O))^3 and
    (O+1)(1 - 1/(9(O+1)) + z/(3 sqrt(O+1)))^3; below 10 the chi-squared exact method, chi2(0.025; 2O)/2
    and chi2(0.975; 2O+2)/2; the rate's limits are the count's, scaled. At 1 casualty Byar's lower
    limit would be 48% off the exact one."""
    from scipy.stats import chi2

    z, population = 1.959964, 164_499
    for count in (1, 3, 9):
        value, lower, upper = rate(count, population)
        assert (lower, upper) == pytest.approx((chi2.ppf(0.025, 2 * count) / 2 * 1e5 / population,
                                                chi2.ppf(0.975, 2 * count + 2) / 2 * 1e5 / population), rel=1e-6)
    byar_lower = 1 * (1 - 1 / 9 - z / 3) ** 3
    assert rate(1, population)[1] == pytest.approx(0.0253 * 1e5 / population, rel=1e-2)
    assert 1 - byar_lower / (chi2.ppf(0.025, 2) / 2) == pytest.approx(0.48, abs=0.01)  # Byar alone: 48% below
    for count in (10, 50):
        lower = count * (1 - 1 / (9 * count) - z / (3 * math.sqrt(count))) ** 3
        upper = (count + 1) * (1 - 1 / (9 * (count + 1)) + z / (3 * math.sqrt(count + 1))) ** 3
        assert rate(count, population)[1:] == pytest.approx((lower * 1e5 / population, upper * 1e5 / population))


def test_a_missing_collision_file_is_named_with_its_year():
    """The real DfT subset holds the casualties of 2021 and the collisions of 2023: the 2021
    casualties cannot be placed without the 2021 collision file, which is named (counted with csv)."""
    tables = [stats19.read(real(REAL_CASUALTIES)), stats19.read(real(REAL_COLLISIONS))]
    gaps = file_gaps(pd.concat(tables, ignore_index=True), [2021, 2022, 2023])
    casualties = len(csv_rows(REAL_CASUALTIES))
    assert casualties == 32
    assert gaps[2021] == (f"2021: the casualty file holds {casualties:,} casualties, but the collision file for 2021 "
                          "(dft-road-casualty-statistics-collision-2021.csv) is not in the data folder, so they "
                          "cannot be placed in an area")
    assert "the casualty file for 2023 (dft-road-casualty-statistics-casualty-2023.csv) is not" in gaps[2023]
    assert gaps[2022].startswith("2022: neither dft-road-casualty-statistics-collision-2022.csv nor")


def test_last_full_year_inside_the_period():
    assert last_full_year(pd.Period("2017-03", "M")) == 2016
    assert last_full_year(pd.Period("2016-12", "M")) == 2016


# ---- bad input ---------------------------------------------------------------------------------------


def test_renamed_column_names_file_row_and_column(tmp_path):
    _, casualties = write_stats19(tmp_path, 2015, [collision("2015460000001", 2015, MAIDSTONE, 2)],
                                  [casualty("2015460000001", 2015, 1, 2, 9, 19)])
    text = casualties.read_text().replace("casualty_severity", "severity_of_casualty", 1)
    casualties.write_text(text)
    assert stats19.sniff(casualties)  # DfT's own file name: read, so the missing column is reported
    with pytest.raises(InputError) as error:
        stats19.read(casualties)
    assert error.value.path == str(casualties) and error.value.row == 1 and error.value.column == "casualty_severity"
    assert "missing column casualty_severity" in str(error.value)


def test_unknown_severity_code_names_file_row_and_column(tmp_path):
    collisions, casualties = write_stats19(tmp_path, 2015, [
        collision("2015460000001", 2015, MAIDSTONE, 2), collision("2015460000002", 2015, MAIDSTONE, 3)], [
        casualty("2015460000001", 2015, 1, 2, 9, 19), casualty("2015460000002", 2015, 1, 4, 9, 19)])
    with pytest.raises(InputError) as error:
        stats19.read(casualties)
    assert (error.value.path, error.value.row, error.value.column) == (str(casualties), 3, "casualty_severity")
    assert "unknown severity code 4" in str(error.value)
    text = collisions.read_text().replace(",3,-1,-1,01/06/2015", ",9,-1,-1,01/06/2015")
    collisions.write_text(text)
    with pytest.raises(InputError) as error:
        stats19.read(collisions)
    assert (error.value.row, error.value.column) == (3, "collision_severity")


def test_unknown_casualty_type_and_bad_area_code(tmp_path):
    collisions, casualties = write_stats19(tmp_path, 2015, [collision("2015460000001", 2015, "Maidstone", 2)],
                                           [casualty("2015460000001", 2015, 1, 2, 77, 19)])
    with pytest.raises(InputError) as error:
        stats19.read(casualties)
    assert (error.value.row, error.value.column) == (2, "casualty_type") and "unknown casualty type code 77" in str(
        error.value)
    with pytest.raises(InputError) as error:
        stats19.read(collisions)
    assert (error.value.row, error.value.column) == (2, "local_authority_ons_district")


# ---- the demo data -------------------------------------------------------------------------------------


def test_demo_files_hold_medways_ksi_counted_with_csv(demo_dir):
    from csp_assessment.demo.stats19 import MEDWAY_CASUALTIES, MEDWAY_KSI, YEARS

    folder = demo_dir / "dft-stats19"
    for year, ksi, total in zip(YEARS, MEDWAY_KSI, MEDWAY_CASUALTIES):
        where = {r["collision_index"]: r["local_authority_ons_district"]
                 for r in csv_rows(folder / f"dft-road-casualty-statistics-collision-{year}.csv")}
        medway = [r for r in csv_rows(folder / f"dft-road-casualty-statistics-casualty-{year}.csv")
                  if where[r["collision_index"]] == "E06000035"]
        assert len(medway) == total
        assert sum(r["casualty_severity"] in ("1", "2") for r in medway) == ksi


def test_demo_sentences_use_the_series_of_the_table_and_the_rate(demo_dir, demo_processed):
    """DfT, "Guide to severity adjustments for reported road casualties": the adjusted figures are the
    ones to compare over time. The demo's casualty files carry the adjustment, so the headline's change
    on the year before and the three-year change are of severity-adjusted KSI (fatal casualties plus
    the others' probabilities of a serious injury, summed here with csv), as the rate and the table's
    severity-adjusted column are."""
    from csp_assessment.demo.stats19 import YEARS
    from csp_assessment.sections import open_section

    folder = demo_dir / "dft-stats19"
    adjusted = {}
    for year in YEARS:
        where = {r["collision_index"]: r["local_authority_ons_district"]
                 for r in csv_rows(folder / f"dft-road-casualty-statistics-collision-{year}.csv")}
        medway = [r for r in csv_rows(folder / f"dft-road-casualty-statistics-casualty-{year}.csv")
                  if where[r["collision_index"]] == "E06000035"]
        adjusted[year] = sum(1.0 if r["casualty_severity"] == "1" else float(r["casualty_adjusted_severity_serious"])
                             for r in medway)
    section = open_section("road_safety", year=2017, data_dir=demo_dir, processed_dir=demo_processed)
    last = section.last_year
    assert section.adjusted and section.ksi_column == "ksi_adjusted"
    one_year = 100 * (adjusted[last] - adjusted[last - 1]) / adjusted[last - 1]
    assert (f"severity-adjusted KSI {'up' if one_year > 0 else 'down'} {abs(one_year):.1f}% on {last - 1} "
            f"({adjusted[last - 1]:,.1f})") in section.headline_text()
    three = 100 * (adjusted[last] - adjusted[last - 2]) / adjusted[last - 2]
    assert section.three_year_text() == (
        f"Severity-adjusted KSI casualties: {'an increase' if three > 0 else 'a decrease'} of {abs(three):.1f}% over the "
        f"three years {last - 2}–{last}: " + ", ".join(f"{y} – {adjusted[y]:,.1f}" for y in (last, last - 1, last - 2))
        + ".")
    table = section.annual_table().set_index("Year")
    for year in (last - 2, last - 1, last):
        assert table.loc[str(year), "KSI (severity-adjusted)"] == f"{adjusted[year]:,.1f}"
    changes = section.findings()["changes"]["ksi_adjusted"]
    assert changes["1_year"]["change_pct"] == pytest.approx(one_year, abs=1e-3)
    assert section.findings()["measures"][0]["interval"] == "Byar"  # over 10 casualties: Byar's method

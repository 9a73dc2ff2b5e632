"""Police outcomes and stop and search: hand-computed measures, the loader on small files made
here and on the real City of London files, bad inputs, and the demo files' consistency."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from conftest import PROJECT_ROOT, write_street_file
from csp_assessment.stats import police_outcomes as po
from csp_assessment.errors import InputError
from csp_assessment.ingest import police_uk_outcomes as loader

CURRENT = PROJECT_ROOT.parent / "shared" / "data-current" / "police-uk"
OUTCOME_HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                  "LSOA code", "LSOA name", "Outcome type"]
SEARCH_HEADER = ["Type", "Date", "Part of a policing operation", "Policing operation", "Latitude", "Longitude",
                 "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity", "Legislation",
                 "Object of search", "Outcome", "Outcome linked to object of search",
                 "Removal of more than just outer clothing"]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _outcome(crime_id, month, outcome, lsoa="E01000001", force="Kent Police"):
    return [crime_id, month, force, force, "0.5", "51.3", "On or near High Street", lsoa, "x", outcome]


def _search(obj, outcome, linked, lat="51.300000", lon="0.500000", month="2017-01"):
    return ["Person search", f"{month}-05T10:00:00+00:00", "", "", lat, lon, "Male", "18-24", "", "White",
            "Misuse of Drugs Act 1971 (section 23)", obj, outcome, linked, "False"]


# ---- measures, by hand ----------------------------------------------------------------------

def test_outcome_rates_by_hand():
    crimes = pd.DataFrame({"crime_type": ["Drugs", "Drugs", "Drugs", "Burglary", "Burglary"],
                           "outcome_type": ["Suspect charged", "Offender given a caution", "Unable to prosecute suspect",
                                            "Court result unavailable", "Investigation complete; no suspect identified"]})
    rates = po.outcome_rates(crimes).set_index("crime_type")
    # All crime: 2 of 5 charged (one charge, one court result after a charge); 1 of 5 cautioned.
    assert rates.loc["All crime", ["with_outcome", "charged", "other_formal"]].tolist() == [5, 2, 1]
    assert rates.loc["All crime", "charged_pct"] == pytest.approx(40.0)
    assert rates.loc["Drugs", "charged_pct"] == pytest.approx(100 / 3)
    assert rates.loc["Drugs", "other_formal_pct"] == pytest.approx(100 / 3)
    assert rates.loc["Burglary", "charged_pct"] == pytest.approx(50.0)
    # Wilson 95% interval of 2/5, published reference value (Newcombe 1998, table I: 0.1176 to 0.7693).
    assert rates.loc["All crime", "charged_lower_pct"] == pytest.approx(11.76, abs=0.01)
    assert rates.loc["All crime", "charged_upper_pct"] == pytest.approx(76.93, abs=0.01)


def test_compared_with_the_force_only_outside_the_interval():
    area = pd.DataFrame({"crime_type": ["All crime", "Drugs"], "with_outcome": [100, 10], "charged": [20, 9],
                         "charged_pct": [20.0, 90.0], "charged_lower_pct": [13.0, 59.6], "charged_upper_pct": [29.0, 98.2],
                         "other_formal": [0, 0], "other_formal_pct": [0.0, 0.0]})
    force = area.assign(charged_pct=[10.0, 80.0])
    out = po.compare_with_force(area, force).set_index("crime_type")["compared"]
    assert out.to_dict() == {"All crime": "higher", "Drugs": "similar"}


def test_latest_outcome_is_the_latest_month_then_the_last_row():
    records = pd.DataFrame({
        "crime_id": ["a", "a", "b", "b", "c"], "force": "kent",
        "outcome_month": ["2017-03", "2017-01", "2017-02", "2017-02", "2017-01"],
        "outcome_type": ["Court result unavailable", "Suspect charged", "Suspect charged", "Offender given a caution",
                         "Unable to prosecute suspect"]})
    latest = loader.latest_outcomes(records).set_index("crime_id")
    assert latest["outcome_type"].to_dict() == {"a": "Court result unavailable", "b": "Offender given a caution",
                                               "c": "Unable to prosecute suspect"}
    assert latest["outcome_records"].to_dict() == {"a": 2, "b": 2, "c": 1}


def test_searches_by_object_by_hand():
    searches = pd.DataFrame({
        "object_of_search": ["Controlled drugs"] * 4 + ["Offensive weapons"] * 2,
        "outcome": ["Arrest", "A no further action disposal", "Khat or Cannabis warning", "Arrest", "Arrest",
                    "A no further action disposal"],
        "outcome_linked": pd.array([True, False, True, None, True, False], dtype="boolean")})
    table = po.searches_by_object(searches).set_index("object_of_search")
    assert table.loc["All searches", ["searches", "arrests", "linked"]].tolist() == [6, 3, 3]
    assert table.loc["Controlled drugs", ["searches", "arrests", "linked"]].tolist() == [4, 2, 2]
    assert table.loc["Controlled drugs", "linked_pct"] == pytest.approx(50.0)
    weapons = po.searches_by_object(searches, po.WEAPON_SEARCH_OBJECTS).set_index("object_of_search")
    assert weapons.loc["All of these", "searches"] == 2 and weapons.loc["Offensive weapons", "linked"] == 1


def test_unknown_outcome_types_are_named():
    assert po.unknown_outcomes(["Suspect charged", "Something new"]) == ["Something new"]
    assert po.outcome_group("Something new") == po.NO_FORMAL


# ---- the loader on small files ------------------------------------------------------------------

def _folder(tmp_path: Path) -> Path:
    write_street_file(tmp_path / "2017-01" / "2017-01-kent-street.csv", "2017-01", [
        ("c1", "E01000001", "Drugs"), ("c2", "E01000001", "Burglary"), ("c3", "E01000002", "Drugs")])
    _write(tmp_path / "2017-01" / "2017-01-kent-outcomes.csv", OUTCOME_HEADER, [
        _outcome("c1", "2017-01", "Suspect charged"), _outcome("old", "2017-01", "Unable to prosecute suspect")])
    _write(tmp_path / "2017-02" / "2017-02-kent-outcomes.csv", OUTCOME_HEADER, [
        _outcome("c1", "2017-02", "Court result unavailable"), _outcome("c3", "2017-02", "Local resolution")])
    _write(tmp_path / "2017-01" / "2017-01-kent-stop-and-search.csv", SEARCH_HEADER, [
        _search("Controlled drugs", "Arrest", "True"),  # at the street point (0.5, 51.3): E01000002 (the last)
        _search("Controlled drugs", "A no further action disposal", "False", lat="51.400000"),
        _search("Offensive weapons", "Arrest", "", lat="", lon="")])
    return tmp_path


def test_loader_joins_latest_outcomes_to_street_crimes_and_places_searches(tmp_path):
    paths = sorted(p for p in _folder(tmp_path).rglob("*.csv"))
    outcomes, searches, sources, _ = loader.build_tables(paths)
    by_id = outcomes.set_index("crime_id")
    assert by_id.loc["c1", ["outcome_type", "outcome_month", "crime_type", "crime_month"]].tolist() == [
        "Court result unavailable", "2017-02", "Drugs", "2017-01"]
    assert by_id.loc["c3", "outcome_type"] == "Local resolution" and pd.isna(by_id.loc["old", "crime_type"])
    assert len(sources) == 3
    placed_by = searches["placed_by"]
    assert placed_by[0] == "street point" and pd.isna(placed_by[1]) and placed_by[2] == "no location"
    assert searches["lsoa_code"].tolist()[0] == "E01000002"
    assert searches["outcome_linked"].tolist()[:2] == [True, False] and pd.isna(searches["outcome_linked"][2])


def test_renamed_outcome_column_names_file_row_and_column(tmp_path):
    path = _write(tmp_path / "2017-01" / "2017-01-kent-outcomes.csv",
                  [c if c != "Outcome type" else "Outcome" for c in OUTCOME_HEADER],
                  [_outcome("c1", "2017-01", "Suspect charged")])
    with pytest.raises(InputError) as err:
        loader.build_tables([path])
    assert err.value.path == str(path) and err.value.row == 1 and err.value.column == "Outcome type"


def test_outcomes_file_of_another_force_names_file_row_and_column(tmp_path):
    path = _write(tmp_path / "2017-01" / "2017-01-kent-outcomes.csv", OUTCOME_HEADER, [
        _outcome("c1", "2017-01", "Suspect charged"),
        _outcome("c2", "2017-01", "Suspect charged", force="Essex Police")])
    with pytest.raises(InputError) as err:
        loader.build_tables([path])
    assert err.value.path == str(path) and err.value.row == 3 and err.value.column == "Reported by"
    assert "Essex Police" in str(err.value) and "kent" in str(err.value)


def test_outcome_month_outside_the_file_and_bad_linked_value(tmp_path):
    path = _write(tmp_path / "2017-01" / "2017-01-kent-outcomes.csv", OUTCOME_HEADER, [
        _outcome("c1", "2017-01", "Suspect charged"), _outcome("c2", "2017-02", "Suspect charged")])
    with pytest.raises(InputError) as err:
        loader.build_tables([path])
    assert (err.value.row, err.value.column) == (3, "Month")
    path.unlink()
    search = _write(tmp_path / "2017-01" / "2017-01-kent-stop-and-search.csv", SEARCH_HEADER, [
        _search("Controlled drugs", "Arrest", "Yes")])
    with pytest.raises(InputError) as err:
        loader.build_tables([search])
    assert (err.value.path, err.value.row, err.value.column) == (str(search), 2, "Outcome linked to object of search")


# ---- the real City of London files -------------------------------------------------------------

@pytest.fixture
def city_files() -> list[Path]:
    if not CURRENT.is_dir():
        pytest.skip(f"the real data.police.uk files are not at {CURRENT} (they sit beside the clone)")
    return sorted(CURRENT.rglob("*city-of-london*.csv"))


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_real_city_of_london_outcomes_match_a_plain_csv_count(city_files):
    outcomes, _, _, _ = loader.build_tables(city_files)
    # Independent count: each crime's outcome of its latest month (the last row of that month).
    latest: dict[str, tuple[str, str]] = {}
    for path in sorted(p for p in city_files if p.name.endswith("-outcomes.csv")):
        for row in _rows(path):
            if row["Crime ID"] not in latest or row["Month"] >= latest[row["Crime ID"]][0]:
                latest[row["Crime ID"]] = (row["Month"], row["Outcome type"])
    assert len(outcomes) == len(latest)
    assert Counter(outcomes["outcome_type"]) == Counter(t for _, t in latest.values())
    crime_type = {r["Crime ID"]: r["Crime type"] for p in city_files if p.name.endswith("-street.csv") for r in _rows(p)}
    charged = Counter(crime_type[c] for c, (_, t) in latest.items() if c in crime_type and t == "Suspect charged")
    with_outcome = Counter(crime_type[c] for c in latest if c in crime_type)
    rates = po.outcome_rates(outcomes[outcomes["crime_type"].notna()]).set_index("crime_type")
    for kind, n in with_outcome.items():
        assert rates.loc[kind, "with_outcome"] == n
        assert rates.loc[kind, "charged"] == charged[kind], kind
    assert rates.loc["All crime", "with_outcome"] == sum(with_outcome.values())


def test_real_city_of_london_searches_match_a_plain_csv_count(city_files):
    _, searches, _, _ = loader.build_tables(city_files)
    rows = [r for p in city_files if p.name.endswith("-stop-and-search.csv") for r in _rows(p)]
    assert len(searches) == len(rows)
    table = po.searches_by_object(searches).set_index("object_of_search")
    for obj, n in Counter(r["Object of search"] for r in rows).items():
        assert table.loc[obj, "searches"] == n
        assert table.loc[obj, "linked"] == sum(1 for r in rows if r["Object of search"] == obj
                                               and r["Outcome linked to object of search"] == "True")
    points = {(f"{float(r['Latitude']):.6f}", f"{float(r['Longitude']):.6f}")
              for p in city_files if p.name.endswith("-street.csv") for r in _rows(p) if r["LSOA code"]}
    at_points = sum(1 for r in rows if r["Latitude"] and (f"{float(r['Latitude']):.6f}",
                                                           f"{float(r['Longitude']):.6f}") in points)
    assert (searches["placed_by"] == "street point").sum() == at_points
    assert (searches["placed_by"] == "no location").sum() == sum(1 for r in rows if not r["Latitude"])


def test_real_outcomes_file_renamed_to_another_force_is_refused(city_files, tmp_path):
    source = next(p for p in city_files if p.name == "2024-01-city-of-london-outcomes.csv")
    copy = tmp_path / "2024-01" / "2024-01-kent-outcomes.csv"
    copy.parent.mkdir()
    shutil.copy(source, copy)
    with pytest.raises(InputError) as err:
        loader.build_tables([copy])
    assert (err.value.path, err.value.row, err.value.column) == (str(copy), 2, "Reported by")


# ---- the demo files ---------------------------------------------------------------------------

def test_demo_outcomes_belong_to_street_crimes_and_end_as_the_street_files_say(demo_dir):
    month = "2016-06"
    street = {r["Crime ID"]: r["Last outcome category"]
              for p in sorted((demo_dir / "police-uk").glob("*/*-street.csv")) if p.parent.name <= month
              for r in _rows(p) if r["Crime ID"]}
    seen = 0
    for row in _rows(demo_dir / "police-uk" / month / f"{month}-kent-outcomes.csv"):
        assert row["Crime ID"] in street
        expected = {"Awaiting court outcome": {"Suspect charged"},
                    "Court result unavailable": {"Suspect charged", "Court result unavailable"}}
        assert row["Outcome type"] in expected.get(street[row["Crime ID"]], {street[row["Crime ID"]]})
        seen += 1
    assert seen > 1000
    searches = _rows(demo_dir / "police-uk" / month / f"{month}-kent-stop-and-search.csv")
    assert list(searches[0]) == SEARCH_HEADER and len(searches) > 400


def test_searches_off_the_street_points_are_placed_by_boundary_or_counted_unplaced():
    import geopandas as gpd
    import shapely

    centre = gpd.GeoSeries(gpd.points_from_xy([0.5], [51.3]), crs="EPSG:4326").to_crs("EPSG:27700").iloc[0]
    square = shapely.box(centre.x - 500, centre.y - 500, centre.x + 500, centre.y + 500)
    boundaries = pd.DataFrame({"level": ["lsoa"], "vintage": ["2011"], "code": ["E01000009"], "name": ["x"],
                               "lad_code": [""], "geometry": [shapely.to_wkb(square)], "source_file": ["b.geojson"]})
    searches = pd.DataFrame({"latitude": [51.3, 51.3, 52.0, None], "longitude": [0.5, 0.5, 0.5, None],
                             "lsoa_code": ["E01000001", None, None, None],
                             "placed_by": ["street point", None, None, "no location"]})
    placed = po.place_by_boundaries(searches, boundaries)
    assert placed["lsoa_code"].tolist()[:2] == ["E01000001", "E01000009"]
    assert placed["placed_by"].tolist() == ["street point", "boundary", "unplaced", "no location"]
    assert po.place_by_boundaries(searches, None)["placed_by"].tolist() == [
        "street point", "unplaced", "unplaced", "no location"]


def test_demo_medway_drug_charges_and_searches_match_a_plain_csv_count(demo_dir, demo_processed):
    """The 2017 demo run's figures against an independent count with the csv module."""
    from csp_assessment.sections import open_section

    section = open_section("all_crime", year=2017, data_dir=demo_dir, processed_dir=demo_processed)
    medway = {r["LSOA11CD"] for r in _rows(demo_dir / "ons" / "lsoa11-ward17-lad17-lookup.csv")
              if r["LAD17CD"] == "E06000035"}
    period = {f"2016-{m:02d}" for m in range(4, 13)} | {"2017-01", "2017-02", "2017-03"}
    folders = sorted((demo_dir / "police-uk").iterdir())
    crimes = {r["Crime ID"]: r for f in folders if f.name in period
              for r in _rows(f / f"{f.name}-kent-street.csv") if r["Crime ID"]}
    latest: dict[str, str] = {}
    for folder in folders:  # months in order; within a month the last row wins
        for r in _rows(folder / f"{folder.name}-kent-outcomes.csv"):
            latest[r["Crime ID"]] = r["Outcome type"]
    charged_types = {"Suspect charged", "Court result unavailable", "Awaiting court outcome"}
    drugs = [c for c, r in crimes.items() if r["Crime type"] == "Drugs" and r["LSOA code"] in medway and c in latest]
    row = section.outcomes.rate_of("Drugs")
    assert row["with_outcome"] == len(drugs)
    assert row["charged"] == sum(1 for c in drugs if latest[c] in charged_types)
    force_drugs = [c for c, r in crimes.items() if r["Crime type"] == "Drugs" and c in latest]
    assert row["force_with_outcome"] == len(force_drugs)
    # Searches: at a street point of the month (its LSOA), else by boundary; here counted for the
    # searches at street points, which need no geometry to count by hand.
    table = section.outcomes.placed_searches
    by_street = table[(table["search_placed_by"] == "street point") & table["lad_code"].eq("E06000035")]
    expected = 0
    for folder in folders:
        if folder.name not in period:
            continue
        points = {(r["Latitude"], r["Longitude"]): r["LSOA code"]
                  for r in _rows(folder / f"{folder.name}-kent-street.csv") if r["LSOA code"]}
        expected += sum(1 for r in _rows(folder / f"{folder.name}-kent-stop-and-search.csv")
                        if points.get((r["Latitude"], r["Longitude"])) in medway)
    assert len(by_street) == expected

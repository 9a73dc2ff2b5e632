"""Areas and populations on small processed tables written here."""

import pandas as pd
import pytest

from csp_assessment import store
from csp_assessment.errors import ConfigError
from csp_assessment.geography import (Geography, PlacementReport, UnplacedRecordsError, check_placement,
                                      placement_report)


@pytest.fixture
def geo(tmp_path):
    store.write_table(tmp_path, "lsoa_lookup", pd.DataFrame({
        "lsoa_code": ["L1", "L2", "L3", "L4"], "lsoa_name": ["a", "b", "c", "d"],
        "ward_code": ["W1", "W1", "W2", "W3"], "ward_name": ["North", "North", "South", "Town & Port"],
        "lad_code": ["E07000107", "E07000107", "E07000109", "E06000035"],
        "lad_name": ["Dartford", "Dartford", "Gravesham", "Medway"]}))
    store.write_table(tmp_path, "area_lookup", pd.DataFrame({
        "lad_code": ["E07000107", "E07000109", "E06000035"], "lad_name": ["Dartford", "Gravesham", "Medway"],
        "csp_code": ["E22000352", "E22000352", "E22000143"],
        "csp_name": ["Dartford and Gravesham", "Dartford and Gravesham", "Medway"],
        "pfa_code": ["E23000032"] * 3, "pfa_name": ["Kent"] * 3}))
    store.write_table(tmp_path, "population_la", pd.DataFrame({
        "area_code": ["E07000107", "E07000109", "E07000107", "E06000035"], "area_name": ["D", "G", "D", "M"],
        "geography": [""] * 4, "mid_year": [2015, 2015, 2016, 2016], "population": [100, 200, 110, 1000],
        "source_file": ["mye2015.xls", "mye2015.xls", "mye2016.xls", "mye2016.xls"]}))
    store.write_table(tmp_path, "population_lsoa", pd.DataFrame({
        "lsoa_code": ["L1", "L2", "L3"], "lad_code": ["E07000107", "E07000107", "E07000109"],
        "population": [10, 20, 30], "year": [2011] * 3, "source": ["Census 2011 usual residents"] * 3}))
    return Geography(tmp_path)


def test_partnership_code_names_all_its_authorities(geo):
    area = geo.resolve(("E22000352",))
    assert area.lad_codes == ("E07000107", "E07000109") and area.name == "Dartford and Gravesham"
    medway = geo.resolve(("E06000035",))
    assert medway.name == "Medway" and medway.partnership_code == "E22000143"


def test_unknown_area_lists_areas_with_data(geo):
    with pytest.raises(ConfigError, match=r"area 'E06000999'.*E06000035 Medway.*E22000352 Dartford and Gravesham"):
        geo.resolve(("E06000999",), present={"E06000035", "E07000107"})


def test_population_uses_latest_year_covering_every_authority(geo):
    # Gravesham has no mid-2016 row, so the partnership's population falls back to mid-2015: 100 + 200
    pop = geo.la_population(("E07000107", "E07000109"), 2016)
    assert (pop.value, pop.year) == (300, 2015)
    assert "No mid-2016 estimate" in pop.note and "mid-2015" in pop.source
    exact = geo.la_population(("E06000035",), 2016)
    assert (exact.value, exact.year, exact.note) == (1000, 2016, "")
    none = geo.la_population(("E06000035",), 2014)
    assert none.value is None and "cannot be given" in none.note


def test_ward_population_sums_lsoas_and_names_its_source(geo):
    wards, note = geo.ward_population(("E07000107", "E07000109"))
    assert wards.set_index("ward_code")["population"].to_dict() == {"W1": 30, "W2": 30}
    assert note.startswith("Ward rates use Census 2011 usual residents (2011)")


# --------------------------------------------------------------------------- records of mixed vintages

def mixed_geo(tmp_path, *, bridge=True, population_2021=None, lookups=("2011", "2021")):
    """Ward W1 (2017) holds old LSOAs A and S; ONS split S into S1 and S2, merged A and B into AB.
    The 2024 lookup puts S1 in ward N1, S2 in N2, AB in N1."""
    frames = []
    if "2011" in lookups:
        frames.append(pd.DataFrame({
            "lsoa_code": ["A", "B", "S"], "lsoa_name": ["a", "b", "s"], "ward_code": ["W1", "W1", "W1"],
            "ward_name": ["Old ward"] * 3, "lad_code": ["E06000035"] * 3, "lad_name": ["Medway"] * 3,
            "lsoa_vintage": "2011", "ward_vintage": "2017", "lad_vintage": "2017", "source_file": "lsoa11.csv"}))
    if "2021" in lookups:
        frames.append(pd.DataFrame({
            "lsoa_code": ["AB", "S1", "S2"], "lsoa_name": ["ab", "s1", "s2"], "ward_code": ["N1", "N1", "N2"],
            "ward_name": ["New north", "New north", "New south"], "lad_code": ["E06000035"] * 3,
            "lad_name": ["Medway"] * 3, "lsoa_vintage": "2021", "ward_vintage": "2024", "lad_vintage": "2024",
            "source_file": "lsoa21.csv"}))
    store.write_table(tmp_path, "lsoa_lookup", pd.concat(frames, ignore_index=True))
    if bridge:
        store.write_table(tmp_path, "lsoa_bridge", pd.DataFrame({
            "lsoa11_code": ["A", "B", "S", "S"], "lsoa21_code": ["AB", "AB", "S1", "S2"],
            "change": ["M", "M", "S", "S"], "lad_code": ["E06000035"] * 4}))
    if population_2021:
        store.write_table(tmp_path, "population_lsoa", pd.DataFrame({
            "lsoa_code": list(population_2021), "lad_code": "E06000035", "population": list(population_2021.values()),
            "year": 2021, "source": "Census 2021 usual residents (TS001)", "lsoa_vintage": "2021"}))
    return Geography(tmp_path)


COUNTS = pd.DataFrame({
    "month": ["2022-01", "2022-01", "2022-01", "2024-01", "2024-01", "2024-01"],
    "force": ["kent"] * 6,
    "lsoa_code": ["A", "S", None, "AB", "S2", "S1"],
    "records": [10, 4, 1, 7, 3, 2]})


def test_each_file_is_placed_through_its_own_vintage_and_the_bridge(tmp_path):
    geo = mixed_geo(tmp_path, population_2021={"AB": 1500, "S1": 1200, "S2": 1400})
    placed = geo.place(COUNTS)
    assert (geo.ward_vintage, geo.lsoa_vintage) == ("2024", "2021")
    assert placed["own_vintage"].tolist()[:2] == ["2011", "2011"] and placed["own_vintage"].tolist()[3:] == ["2021"] * 3
    assert placed.groupby("month")["records"].sum().to_dict() == {"2022-01": 15, "2024-01": 12}
    in_area = placed[placed["lad_code"] == "E06000035"].groupby("month")["records"].sum().to_dict()
    assert in_area == {"2022-01": 14, "2024-01": 12}  # every located record, both vintages
    # merged A -> AB; split S -> its most populous successor S2 (best fit); wards only of 2024
    assert dict(zip(placed["lsoa_code"], placed["report_lsoa"]))["A"] == "AB"
    assert dict(zip(placed["lsoa_code"], placed["report_lsoa"]))["S"] == "S2"
    assert set(placed["ward_name"].dropna()) == {"New north", "New south"}
    assert placed["placed_by"].tolist() == ["bridge", "bridge", "no location", "lookup", "lookup", "lookup"]
    assert "most populous" in geo.best_fit_rule()


def test_a_files_vintage_counts_each_distinct_code_once_and_a_tie_goes_to_the_newest(tmp_path):
    geo = mixed_geo(tmp_path)
    counts = pd.DataFrame({
        # 2023-01: old code A on four rows (four crime types), new codes AB and S1 once each: by distinct
        # codes 1 old against 2 new, so the file is LSOA 2021 (by rows it would be 4 against 2).
        # 2023-02: S (old) and S2 (new), one each: a tie, so the newest vintage. A row without a month
        # belongs to no file, so no vintage places it.
        "month": ["2023-01"] * 6 + ["2023-02"] * 2 + [None],
        "force": ["kent"] * 9,
        "lsoa_code": ["A", "A", "A", "A", "AB", "S1", "S", "S2", "AB"],
        "records": [1, 1, 1, 1, 1, 1, 1, 1, 1]})
    placed = geo.place(counts)
    assert placed["own_vintage"].tolist()[:8] == ["2021"] * 8 and pd.isna(placed["own_vintage"].iloc[8])
    # A and S are not LSOA 2021 codes, and no 2021 lookup knows them
    assert placed["placed_by"].tolist() == ["unplaced"] * 4 + ["lookup", "lookup", "unplaced", "lookup", "unplaced"]
    assert placed["ward_name"].tolist()[4:6] == ["New north", "New north"] and placed["ward_name"].iloc[7] == "New south"


def test_in_set_is_isin_with_missing_values_in_no_set():
    from csp_assessment.geography import in_set

    values = pd.Series(["E01", None, "E02", "E01", "E09"], dtype="str")
    assert in_set(values, {"E01", "E02"}).tolist() == [True, False, True, True, False]
    assert in_set(values.astype(object), set()).tolist() == [False] * 5
    assert in_set(values.iloc[:0], {"E01"}).tolist() == []


def test_counts_do_not_depend_on_the_order_of_rows_or_files(tmp_path):
    geo = mixed_geo(tmp_path)
    forward = geo.place(COUNTS).sort_values(["month", "lsoa_code"], na_position="first").reset_index(drop=True)
    backward = geo.place(COUNTS.iloc[::-1]).sort_values(["month", "lsoa_code"], na_position="first").reset_index(drop=True)
    pd.testing.assert_frame_equal(forward, backward)
    # without a population of the new vintage a split LSOA goes to its first successor by code
    assert dict(zip(forward["lsoa_code"], forward["report_lsoa"]))["S"] == "S1"
    assert "first of them by code" in geo.best_fit_rule()


def test_without_the_bridge_old_records_still_count_in_their_authority(tmp_path):
    geo = mixed_geo(tmp_path, bridge=False)
    placed = geo.place(COUNTS)
    old = placed[placed["month"] == "2022-01"].set_index("lsoa_code")
    assert old.loc["A", "lad_code"] == "E06000035" and pd.isna(old.loc["A", "ward_code"])
    assert old.loc["A", "placed_by"] == "own lookup"
    report = placement_report(geo, placed, ("E06000035",), ["2022-01", "2024-01"])
    assert report.unplaced == 0 and report.own_lookup_only == 14


def test_codes_no_lookup_knows_are_loud_and_name_the_download(tmp_path):
    geo = mixed_geo(tmp_path, lookups=("2011",), bridge=False)
    placed = geo.place(COUNTS)
    report = placement_report(geo, placed, ("E06000035",), ["2022-01", "2024-01"])
    # 2024 codes AB, S1, S2 are in no lookup: 12 of 26 candidate records, and the whole of January 2024
    assert (report.unplaced, report.candidates, report.whole_months) == (12, 26, ["2024-01"])
    assert "LSOA 2021 to ward to local authority lookup" in report.warning()
    assert "No record at all could be placed for Jan 24" in report.warning()
    with pytest.raises(UnplacedRecordsError, match=r"Medway: Partial count: 12 of 26 records \(46.2%\)"):
        check_placement(report, 0.5, 5.0, tmp_path, "Medway")


def test_a_partnership_that_is_part_of_an_authority_is_refused(tmp_path):
    store.write_table(tmp_path, "lsoa_lookup", pd.DataFrame({
        "lsoa_code": ["L1"], "lsoa_name": ["a"], "ward_code": ["W1"], "ward_name": ["Ward"],
        "lad_code": ["E07000244"], "lad_name": ["East Suffolk"]}))
    store.write_table(tmp_path, "area_lookup", pd.DataFrame({
        "lad_code": ["E07000244", "E07000244"], "lad_name": ["East Suffolk"] * 2,
        "csp_code": ["E22000274", "E22000278"], "csp_name": ["Suffolk Coastal", "Waveney"],
        "pfa_code": ["E23000025"] * 2, "pfa_name": ["Suffolk"] * 2}))
    geo = Geography(tmp_path)
    with pytest.raises(ConfigError, match=r"covers only part of E07000244 East Suffolk.*--area E07000244"):
        geo.resolve(("E22000274",))
    area = geo.resolve(("E07000244",))
    assert area.lad_codes == ("E07000244",) and area.partnership_code == ""


def test_ward_rates_need_a_population_of_the_wards_lsoa_vintage(tmp_path):
    mixed_geo(tmp_path)
    store.write_table(tmp_path, "population_lsoa", pd.DataFrame({
        "lsoa_code": ["A", "B", "S"], "lad_code": "E06000035", "population": [1, 2, 3], "year": 2011,
        "source": "Census 2011 usual residents", "lsoa_vintage": "2011"}))
    wards, note = Geography(tmp_path).ward_population(("E06000035",))
    assert wards["population"].isna().all()
    assert "LSOA 2021 lookup" in note and "LSOA 2011 only" in note and "nomisweb" in note


def test_authority_names_come_from_the_newest_source_in_the_folder(tmp_path):
    """Kent's 2017 lookup calls E07000112 Shepway; the mid-2020 estimates (2021 geography) call it
    Folkestone and Hythe, its name since 2018: the report uses the newer name. Estimates older than
    the lookup do not override it, and a lookup as new as the estimates keeps its own names."""
    def lookup(vintage: str, name: str) -> pd.DataFrame:
        return pd.DataFrame({"lsoa_code": ["E01024444"], "lsoa_name": ["Shepway 001A"], "ward_code": ["E05005040"],
                             "ward_name": ["Cheriton"], "lad_code": ["E07000112"], "lad_name": [name],
                             "lsoa_vintage": ["2011"], "ward_vintage": [vintage], "lad_vintage": [vintage],
                             "source_file": [f"lsoa11-ward{vintage[2:]}-lad{vintage[2:]}-lookup.csv"]})

    def estimates(*rows) -> pd.DataFrame:
        return pd.DataFrame([{"area_code": "E07000112", "area_name": name, "geography": "Non-metropolitan District",
                              "mid_year": year, "population": 100, "source_file": "mye.xls"} for year, name in rows])

    store.write_table(tmp_path, "lsoa_lookup", lookup("2017", "Shepway"))
    store.write_table(tmp_path, "population_la", estimates((2016, "Shepway"), (2020, "Folkestone and Hythe")))
    assert Geography(tmp_path).la_names["E07000112"] == "Folkestone and Hythe"
    store.write_table(tmp_path, "population_la", estimates((2016, "Shepway")))
    assert Geography(tmp_path).la_names["E07000112"] == "Shepway"
    store.write_table(tmp_path, "lsoa_lookup", lookup("2020", "Folkestone & Hythe"))
    store.write_table(tmp_path, "population_la", estimates((2020, "Folkestone and Hythe")))
    assert Geography(tmp_path).la_names["E07000112"] == "Folkestone & Hythe"


@pytest.mark.parametrize("unplaced, candidates, expected", [
    (1, 1, "1 of 1 record (100.0%) in the police files for this area carries an LSOA code (e.g. E01099999) that "
           "no lookup in the data folder can place, so it is missing from these figures. To place it, add"),
    (1, 40, "1 of 40 records (2.5%) in the police files for this area carries an LSOA code (e.g. E01099999) that "
            "no lookup in the data folder can place, so it is missing from these figures. To place it, add"),
    (3, 40, "3 of 40 records (7.5%) in the police files for this area carry LSOA codes (e.g. E01099999) that "
            "no lookup in the data folder can place, so they are missing from these figures. To place them, add"),
])
def test_the_partial_count_warning_agrees_with_its_numbers(unplaced, candidates, expected):
    report = PlacementReport(months=("2022-01",), candidates=candidates, unplaced=unplaced, whole_months=[],
                             own_lookup_only=0, bridged=0, split=0, remedy="the lookup", examples=["E01099999"])
    assert expected in report.warning()

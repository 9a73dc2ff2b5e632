"""Areas and populations on small processed tables written here."""

import pandas as pd
import pytest

from csp_assessment import store
from csp_assessment.errors import ConfigError
from csp_assessment.geography import Geography


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

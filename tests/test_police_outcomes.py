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
from csp_assessment.geography import place_by_boundaries
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

def test_outcome_groups_of_every_row_as_outcome_group_gives_them():
    types = pd.Series(["Local resolution", None, "Suspect charged", "A category not seen before", "Local resolution",
                       "Under investigation"], index=[5, 6, 7, 8, 9, 10], dtype="str")
    groups = po.outcome_groups_of(types)
    # by hand, from the Home Office groups in GROUP_OF: no outcome row and "Under investigation" are not yet assigned
    assert groups.tolist() == [po.OUT_OF_COURT_INFORMAL, po.NOT_YET_ASSIGNED, po.CHARGED, po.UNKNOWN_TYPE,
                               po.OUT_OF_COURT_INFORMAL, po.NOT_YET_ASSIGNED]
    assert groups.index.tolist() == [5, 6, 7, 8, 9, 10]


def test_outcome_groups_over_all_crimes_recorded_by_hand():
    """Home Office, "Crime outcomes in England and Wales" (and its user guide): every crime recorded
    in the period is counted once, in the outcome group of its outcome or as not yet assigned one,
    and each group is a % of all crimes recorded. data.police.uk's "Suspect charged as part of another
    case" (API id "sentenced-in-another-case", formerly "Offender sentenced as part of another case",
    data.gov.uk, "New police outcome categories and a bug fix", 2014) is an offence taken into
    consideration: Home Office outcome 4, its own group, not a charge (outcome 1)."""
    recorded = pd.Series({"Drugs": 4, "Burglary": 3})
    crimes = pd.DataFrame({"crime_type": ["Drugs", "Drugs", "Drugs", "Burglary", "Burglary"],
                           "outcome_type": ["Suspect charged", "Offender given a caution",
                                            "Suspect charged as part of another case", "Court result unavailable",
                                            "Under investigation"]})
    table = po.outcome_groups(recorded, crimes).set_index("crime_type")
    # All crime: 7 recorded; charged 2 (a charge, and a court result after a charge); caution 1; TIC 1;
    # not yet assigned 3 (one under investigation, two with no outcome in the files).
    everything = table.loc["All crime"]
    assert everything["recorded"] == 7
    assert (everything[po.CHARGED], everything[po.OUT_OF_COURT_FORMAL], everything[po.TAKEN_INTO_CONSIDERATION],
            everything[po.NOT_YET_ASSIGNED], everything["positive"]) == (2, 1, 1, 3, 4)
    assert everything["charged_pct"] == pytest.approx(100 * 2 / 7)
    assert everything["positive_pct"] == pytest.approx(100 * 4 / 7)  # outcome types 1-4 and 6-8
    assert everything["not_yet_pct"] == pytest.approx(100 * 3 / 7)
    assert table.loc["Drugs", po.CHARGED] == 1 and table.loc["Drugs", po.NOT_YET_ASSIGNED] == 1
    assert table.loc["Burglary", "charged_pct"] == pytest.approx(100 / 3)
    # Wilson's 95% interval of 2/7, worked by hand: (2O + z² ∓ z·sqrt(z² + 4·O·q)) / (2(n + z²)).
    z = 1.959964
    spread = z * (z ** 2 + 4 * 2 * (5 / 7)) ** 0.5
    assert (everything["charged_lower_pct"], everything["charged_upper_pct"]) == pytest.approx(
        [100 * (4 + z ** 2 - spread) / (2 * (7 + z ** 2)), 100 * (4 + z ** 2 + spread) / (2 * (7 + z ** 2))])


def test_each_data_police_uk_category_in_its_home_office_group():
    assert po.outcome_group("Suspect charged as part of another case") == po.TAKEN_INTO_CONSIDERATION
    assert po.TAKEN_INTO_CONSIDERATION in po.POSITIVE_GROUPS and po.TAKEN_INTO_CONSIDERATION != po.CHARGED
    assert po.outcome_group("Defendant found not guilty") == po.CHARGED  # a court result follows a charge
    assert po.outcome_group("Local resolution") == po.OUT_OF_COURT_INFORMAL  # community resolution, outcome 8
    assert po.outcome_group("Offender given a drugs possession warning") == po.OUT_OF_COURT_INFORMAL  # outcome 7
    assert po.outcome_group("Offender given penalty notice") == po.OUT_OF_COURT_FORMAL  # outcome 6
    assert po.outcome_group("Unable to prosecute suspect") == po.EVIDENTIAL
    assert po.outcome_group("Under investigation") == po.NOT_YET_ASSIGNED == po.outcome_group(None)
    assert po.EVIDENTIAL not in po.POSITIVE_GROUPS and po.NO_SUSPECT not in po.POSITIVE_GROUPS


def test_compared_with_the_rest_of_the_force():
    """The area against the force's crimes recorded outside it, by the interval of the difference of
    two proportions (Newcombe 1998, method 10): 0 of 13 against 0 of 17 is similar (issue 22's case:
    the Wilson lower limit of 0/13 was 2.8e-17, not 0, and called it higher)."""
    area = po.outcome_groups(pd.Series({"Theft from the person": 13, "Drugs": 100}), pd.DataFrame({
        "crime_type": ["Drugs"] * 30, "outcome_type": ["Suspect charged"] * 30}))
    rest = po.outcome_groups(pd.Series({"Theft from the person": 17, "Drugs": 100}), pd.DataFrame({
        "crime_type": ["Drugs"] * 10, "outcome_type": ["Suspect charged"] * 10}))
    out = po.compare_with_rest_of_force(area, rest).set_index("crime_type")
    assert out["compared"].to_dict() == {"All crime": "higher", "Drugs": "higher", "Theft from the person": "similar"}
    assert out.loc["Drugs", "rest_charged_pct"] == pytest.approx(10.0)
    alone = po.compare_with_rest_of_force(area, po.outcome_groups(pd.Series(dtype="int64"), pd.DataFrame(
        columns=["crime_type", "outcome_type"])))
    assert set(alone["compared"]) == {"not compared"}


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
    """The Home Office's outcome linked to the reason for search applies to searches with an outcome
    other than no further action (a no further action disposal flagged linked is not a linked outcome),
    and the linked outcome rate is over all searches (HMICFRS glossary, "linked find rate": the
    proportion of stop and searches, out of the total number carried out)."""
    searches = pd.DataFrame({
        "object_of_search": ["Controlled drugs"] * 4 + ["Offensive weapons"] * 2,
        "outcome": ["Arrest", "A no further action disposal", "Khat or Cannabis warning", "Arrest", "Arrest",
                    "A no further action disposal"],
        "outcome_linked": pd.array([True, False, True, None, True, True], dtype="boolean")})
    table = po.searches_by_object(searches).set_index("object_of_search")
    # linked: the drugs arrest and the warning flagged True, the weapons arrest; not the weapons NFA flagged True
    assert table.loc["All searches", ["searches", "arrests", "with_outcome", "linked"]].tolist() == [6, 3, 4, 3]
    assert table.loc["All searches", "linked_pct"] == pytest.approx(100 * 3 / 6)
    assert table.loc["Controlled drugs", ["searches", "arrests", "linked"]].tolist() == [4, 2, 2]
    assert table.loc["Offensive weapons", "linked_pct"] == pytest.approx(50.0)
    weapons = po.searches_by_object(searches, po.WEAPON_SEARCH_OBJECTS).set_index("object_of_search")
    assert weapons.loc["All of these", "searches"] == 2 and weapons.loc["Offensive weapons", "linked"] == 1


def test_unknown_outcome_types_are_named():
    assert po.unknown_outcomes(["Suspect charged", "Something new"]) == ["Something new"]
    assert po.outcome_group("Something new") == po.UNKNOWN_TYPE


# ---- the loader on small files ------------------------------------------------------------------

def _folder(tmp_path: Path) -> Path:
    write_street_file(tmp_path / "2017-01" / "2017-01-kent-street.csv", "2017-01", [
        ("c1", "E01000001", "Drugs"), ("c2", "E01000001", "Burglary"), ("c3", "E01000002", "Drugs")])
    _write(tmp_path / "2017-01" / "2017-01-kent-outcomes.csv", OUTCOME_HEADER, [
        _outcome("c1", "2017-01", "Suspect charged"), _outcome("old", "2017-01", "Unable to prosecute suspect")])
    _write(tmp_path / "2017-02" / "2017-02-kent-outcomes.csv", OUTCOME_HEADER, [
        _outcome("c1", "2017-02", "Court result unavailable", lsoa="E01000009"),
        _outcome("c3", "2017-02", "Local resolution")])
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
    # placed where the street record is, as the crimes recorded are, whatever LSOA the outcome row gives
    assert by_id.loc["c1", "lsoa_code"] == "E01000001" and by_id.loc["old", "lsoa_code"] == "E01000001"
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


def _search_files(tmp_path: Path, months: dict[str, list[list[str]]], header=SEARCH_HEADER) -> list:
    paths = [_write(tmp_path / m / f"{m}-kent-stop-and-search.csv", header, rows) for m, rows in months.items()]
    return [loader.discover_file(p)[0] for p in paths]


def test_searches_read_together_are_the_searches_read_file_by_file(tmp_path):
    """The usual folder is tidied in one pass over all its files' rows: the same table, dtypes and
    all, as each file read on its own (read_stop_search) and put one after another."""
    with_lsoa = [*SEARCH_HEADER, "LSOA code"]
    files = _search_files(tmp_path, {
        "2017-01": [[*_search(" Controlled drugs ", "", " TRUE "), " E01000001 "],
                    [*_search("", "Arrest", "", lat="", lon=""), ""]],
        "2017-02": [[*_search("Firearms", "Arrest", "false", month="2017-02", lat=" 51.25 ", lon="-0.100000"), ""]],
        "2017-03": []}, header=with_lsoa)
    together = loader._stop_searches(files, [loader._search_table(f) for f in files])
    one_by_one = pd.concat([loader.read_stop_search(f) for f in files], ignore_index=True)
    pd.testing.assert_frame_equal(together, one_by_one, check_exact=True)
    assert [type(together[c].array) for c in together] == [type(one_by_one[c].array) for c in one_by_one]
    assert together["object_of_search"].tolist() == ["Controlled drugs", "Not stated", "Firearms"]
    assert together["outcome_linked"].tolist()[::2] == [True, False] and pd.isna(together["outcome_linked"][1])
    assert together["lsoa_code"].tolist()[0] == "E01000001" and together["lsoa_code"].isna().tolist()[1:] == [True] * 2
    assert together["latitude"].tolist()[2] == 51.25 and together["source_file"].tolist()[2] == files[1].label


@pytest.mark.parametrize("bad", [{"linked": "Yes"}, {"lat": "91.000000"}, {"lon": "east"}])
def test_a_bad_search_is_named_in_the_first_file_that_has_one(tmp_path, bad):
    """Read together, the searches still stop at the first file in error, naming its row and column
    (as when each file was checked in turn), not at a later file's."""
    linked = bad.get("linked", "True")
    point = {"lat": bad.get("lat", "51.300000"), "lon": bad.get("lon", "0.500000")}
    files = _search_files(tmp_path, {
        "2017-01": [_search("Controlled drugs", "Arrest", "True")],
        "2017-02": [_search("Controlled drugs", "Arrest", "True", month="2017-02"),
                    _search("Controlled drugs", "Arrest", linked, month="2017-02", **point)],
        "2017-03": [_search("Controlled drugs", "Arrest", "Maybe", month="2017-03")]})
    with pytest.raises(InputError) as err:
        loader.build_tables(sorted(tmp_path.rglob("*.csv")))
    column = {"linked": "Outcome linked to object of search", "lat": "Latitude", "lon": "Longitude"}[next(iter(bad))]
    assert (err.value.path, err.value.row, err.value.column) == (files[1].label, 3, column)


def test_a_search_just_before_its_month_in_local_time_is_kept_when_it_is_in_the_month_in_utc(tmp_path):
    """A search at 00:30 BST on 1 June is 23:30 UTC on 31 May: data.police.uk files it under May. Read
    together, such a row goes through the file-by-file check, which takes it."""
    row = _search("Controlled drugs", "Arrest", "True", month="2017-05")
    row[1] = "2017-06-01T00:30:00+01:00"
    files = _search_files(tmp_path, {"2017-05": [row, _search("Firearms", "Arrest", "False", month="2017-05")]})
    together = loader._stop_searches(files, [loader._search_table(f) for f in files])
    assert together["date"].tolist()[0] == "2017-06-01T00:30:00+01:00" and len(together) == 2


# ---- the fast reading (pyarrow, fixed-width Crime IDs) against plain Python ------------------------

def _crime_ids(count: int, seed: int) -> list[str]:
    """64 hex digits each, as data.police.uk's Crime IDs; some share their first 40 digits."""
    import hashlib
    ids = [hashlib.sha256(f"{seed}-{i}".encode()).hexdigest() for i in range(count)]
    return ids + [ids[0][:40] + ids[i][40:] for i in range(1, min(6, count))]


@pytest.mark.parametrize("ids", [
    _crime_ids(300, 1),  # one length: sorted as NumPy bytes
    ["c10", "c2", "", "é1", "c1", "zz", "c2", "Z", "c1 ", "ab\u00ff", "ab\u0100"],  # lengths differ: Arrow's sort
])
def test_sorted_codes_follow_pythons_order_of_the_texts(ids):
    import pyarrow as pa

    codes, distinct = loader._sorted_codes(pa.chunked_array([pa.array(ids, pa.large_string())]))
    order = sorted(set(ids))  # Python orders text by code point
    assert distinct == len(order) and codes.tolist() == [order.index(i) for i in ids]


def test_fixed_width_is_only_for_texts_of_one_length_without_nulls():
    import pyarrow as pa

    assert loader._fixed_width(pa.array(["ab", "cd"], pa.large_string())).tolist() == [b"ab", b"cd"]
    assert loader._fixed_width(pa.array(["ab", "cd"], pa.large_string())[1:]).tolist() == [b"cd"]  # a slice
    for values in (["ab", "c"], ["ab", None], [], ["", ""]):
        assert loader._fixed_width(pa.array(values, pa.large_string())) is None


def test_latest_outcomes_of_long_ids_match_a_plain_python_count():
    import random

    rng = random.Random(5)
    ids = _crime_ids(200, 2)
    rows = [(rng.choice(ids), rng.choice(["kent", "essex"]), f"2017-{rng.randint(1, 12):02d}", f"outcome {i}")
            for i in range(2000)]
    records = pd.DataFrame(rows, columns=["crime_id", "force", "outcome_month", "outcome_type"])
    latest: dict[tuple, tuple] = {}  # (force, crime) -> (month, row, outcome): the latest month, then the last row
    counts: Counter = Counter()
    for i, (crime, force, month, outcome) in enumerate(rows):
        latest[(force, crime)] = max(latest.get((force, crime), ("", -1, "")), (month, i, outcome))
        counts[(force, crime)] += 1
    result = loader.latest_outcomes(records)
    assert list(zip(result["force"], result["crime_id"])) == sorted(latest)  # in the order of (force, crime)
    assert result["outcome_type"].tolist() == [latest[k][2] for k in sorted(latest)]
    assert result["outcome_records"].tolist() == [counts[k] for k in sorted(latest)]


def test_outcomes_joined_to_the_last_street_record_of_a_long_id(tmp_path):
    """64-digit IDs (sorted as bytes) joined to the street records: an ID given twice takes the last record."""
    ids = _crime_ids(3, 3)
    write_street_file(tmp_path / "2017-01" / "2017-01-kent-street.csv", "2017-01", [
        (ids[0], "E01000001", "Drugs"), (ids[1], "E01000002", "Burglary"), ("", "E01000003", "Anti-social behaviour")])
    write_street_file(tmp_path / "2017-02" / "2017-02-kent-street.csv", "2017-02", [
        (ids[0], "E01000004", "Robbery")])
    _write(tmp_path / "2017-02" / "2017-02-kent-outcomes.csv", OUTCOME_HEADER, [
        _outcome(ids[0], "2017-02", "Suspect charged"), _outcome(ids[1], "2017-02", "Local resolution"),
        _outcome(ids[2], "2017-02", "Unable to prosecute suspect", lsoa="E01000009")])
    outcomes, _, _, _ = loader.build_tables(sorted(tmp_path.rglob("*.csv")))
    by_id = outcomes.set_index("crime_id")
    assert by_id.loc[ids[0], ["crime_type", "crime_month", "lsoa_code"]].tolist() == ["Robbery", "2017-02", "E01000004"]
    assert by_id.loc[ids[1], ["crime_type", "lsoa_code"]].tolist() == ["Burglary", "E01000002"]
    assert pd.isna(by_id.loc[ids[2], "crime_type"]) and by_id.loc[ids[2], "lsoa_code"] == "E01000009"


def test_a_line_break_inside_quotes_is_read_with_the_line_each_row_starts_on(tmp_path):
    """pyarrow refuses such a file; the careful reading takes it, numbering rows as the csv module does."""
    path = _write(tmp_path / "2017-01" / "2017-01-kent-outcomes.csv", OUTCOME_HEADER, [
        _outcome("c1", "2017-01", "Suspect\ncharged"), _outcome("c2", "2017-01", "Local resolution")])
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        starts, line = [], reader.line_num + 1
        for row in reader:
            starts.append(line)
            line = reader.line_num + 1
    frame = loader.read_outcomes(loader.discover_file(path)[0])
    assert frame["line"].tolist() == starts == [2, 4]
    assert frame["outcome_type"].tolist() == ["Suspect\ncharged", "Local resolution"]


def test_a_file_with_a_byte_order_mark_and_accents_reads_as_plain_ascii(tmp_path):
    rows = [_outcome("c1", "2017-01", "Suspect charged"), _outcome("c2", "2017-01", "Local resolution")]
    plain = _write(tmp_path / "a" / "2017-01-kent-outcomes.csv", OUTCOME_HEADER, rows)
    marked = tmp_path / "b" / "2017-01-kent-outcomes.csv"
    marked.parent.mkdir()
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes().replace(b"On or near", "Prés de".encode()))
    read = [loader.read_outcomes(loader.discover_file(p)[0]).drop(columns="source_file") for p in (plain, marked)]
    pd.testing.assert_frame_equal(read[0], read[1])
    latin = tmp_path / "c" / "2017-01-kent-outcomes.csv"
    latin.parent.mkdir()
    latin.write_bytes(plain.read_bytes().replace(b"c2,", "cé,".encode("latin-1")))
    with pytest.raises(InputError, match="not UTF-8") as err:
        loader.read_outcomes(loader.discover_file(latin)[0])
    assert err.value.row == 3


@pytest.mark.parametrize("content", [b"", b"\r\n  \n", b"\x1c\x1f \n"])  # str.strip() takes \x1c-\x1f off too
def test_a_file_of_white_space_is_empty(tmp_path, content):
    path = tmp_path / "2017-01-kent-outcomes.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match="the file is empty"):
        loader.read_outcomes(loader.discover_file(path)[0])


def test_searches_take_the_lsoa_of_the_last_street_record_at_their_point():
    import pyarrow as pa

    street_rows = [("51.300000", "0.500000", "E01000001"), ("51.300000", "0.500000", " E01000002 "),
                   ("51.400000", "0.600000", ""), ("", "", "E01000003"), ("51.5", "0.7", "E01000004")]
    street = pa.table({"Latitude": [r[0] for r in street_rows], "Longitude": [r[1] for r in street_rows],
                       "LSOA code": [r[2] for r in street_rows]})
    at_point = {}
    for lat, lon, lsoa in street_rows:  # the last record with an LSOA and a point wins
        if lsoa.strip() and lat.strip():
            at_point[(round(float(lat) * 1e6), round(float(lon) * 1e6))] = lsoa.strip()
    latitude = pd.Series([51.3, 51.4, 51.5, 52.0], index=[10, 11, 12, 13])
    longitude = pd.Series([0.5, 0.6, 0.7, 0.5], index=[10, 11, 12, 13])
    points = {i: (round(la * 1e6), round(lo * 1e6)) for i, la, lo in zip(latitude.index, latitude, longitude)}
    expected = {i: at_point[point] for i, point in points.items() if point in at_point}
    assert loader._street_point_lsoas(street, latitude, longitude).to_dict() == expected == {
        10: "E01000002", 12: "E01000004"}


def test_numbers_pyarrow_refuses_are_read_as_python_reads_them():
    import pyarrow as pa

    text = ["51.300001", "-0.1234567", "1e-3", " 51.5", "51_5"]
    assert loader._as_float(pa.array(text[:3])).tolist() == [float(t) for t in text[:3]]
    assert loader._as_float(pa.array(text)).tolist() == [float(t) for t in text]


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
    groups = po.outcome_groups(pd.Series(with_outcome), outcomes[outcomes["crime_type"].notna()]).set_index("crime_type")
    for kind, n in with_outcome.items():
        assert groups.loc[kind, "recorded"] == n
        assert groups.loc[kind, po.CHARGED] == charged[kind], kind
    assert groups.loc["All crime", "recorded"] == sum(with_outcome.values())


def test_real_city_of_london_searches_match_a_plain_csv_count(city_files):
    _, searches, _, _ = loader.build_tables(city_files)
    rows = [r for p in city_files if p.name.endswith("-stop-and-search.csv") for r in _rows(p)]
    assert len(searches) == len(rows)
    table = po.searches_by_object(searches).set_index("object_of_search")
    for obj, n in Counter(r["Object of search"] for r in rows).items():
        assert table.loc[obj, "searches"] == n
        # linked to the reason for search: an outcome other than no further action, flagged linked
        assert table.loc[obj, "linked"] == sum(1 for r in rows if r["Object of search"] == obj
                                               and r["Outcome linked to object of search"] == "True"
                                               and r["Outcome"] != "A no further action disposal")
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


# ---- the City of London, January 2024: the section's figures on the publishers' definitions -----

CITY = "E09000001"
CURRENT_ONS = CURRENT.parent / "ons"
NO_FURTHER_ACTION = "A no further action disposal"
# The Home Office outcome group of each category in the City of London's January 2024 outcomes file,
# written out here from the Home Office's outcome types (Crime outcomes in England and Wales: charge/
# summons 1; out-of-court formal 2, 3, 6; out-of-court informal 7, 8; evidential difficulties or
# prosecution prevented; not in the public interest or another body; no suspect identified 18),
# independently of the package's table.
HOME_OFFICE_GROUP = {
    "Suspect charged": "charged", "Offender given a caution": "formal", "Offender given penalty notice": "formal",
    "Offender given a drugs possession warning": "informal", "Local resolution": "informal",
    "Unable to prosecute suspect": "evidential", "Formal action is not in the public interest": "public interest",
    "Action to be taken by another organisation": "public interest",
    "Further investigation is not in the public interest": "public interest",
    "Investigation complete; no suspect identified": "no suspect"}
SECTION_GROUP = {"charged": po.CHARGED, "formal": po.OUT_OF_COURT_FORMAL, "informal": po.OUT_OF_COURT_INFORMAL,
                 "evidential": po.EVIDENTIAL, "public interest": po.NOT_IN_PUBLIC_INTEREST, "no suspect": po.NO_SUSPECT}


@pytest.fixture(scope="module")
def city_2024_01(tmp_path_factory):
    """The all-crime section of an assessment of January 2024 for the City of London (E09000001),
    on the real data.police.uk files of that month, the LSOA 2021 lookup and the mid-2024 estimates."""
    from csp_assessment.config import load_config
    from csp_assessment.ingest.folder import prepare_data
    from csp_assessment.sections import SECTIONS
    from csp_assessment.sections.crime import CrimeSection

    if not (CURRENT / "2024-01").is_dir():
        pytest.skip(f"the real data.police.uk files are not at {CURRENT} (they sit beside the clone)")
    root = tmp_path_factory.mktemp("city")
    folder = root / "raw"
    for source in sorted((CURRENT / "2024-01").glob("2024-01-city-of-london-*.csv")):
        (folder / "2024-01").mkdir(parents=True, exist_ok=True)
        (folder / "2024-01" / source.name).symlink_to(source)
    (folder / "ons" / "mid-year-estimates").mkdir(parents=True)
    for source in (CURRENT_ONS / "LSOA_(2021)_to_Electoral_Ward_(2024)_to_LAD_(2024)_Best_Fit_Lookup_in_EW.csv",
                   CURRENT_ONS / "lad24-csp24-pfa24-lookup.csv"):
        (folder / "ons" / source.name).symlink_to(source)
    (folder / "ons" / "mid-year-estimates" / "mye24tablesew.csv").symlink_to(
        CURRENT_ONS / "mid-year-estimates" / "mye24tablesew.csv")
    params = root / "params"
    params.mkdir()
    shutil.copy(PROJECT_ROOT / "params" / "defaults.yaml", params / "defaults.yaml")
    (params / "2024.yaml").write_text("year: 2024\ntitle: Strategic Assessment 2024\n"
                                      "area: {name: City of London, codes: [E09000001]}\n"
                                      "period: {from: '2024-01', to: '2024-01'}\npopulation_year: 2024\n")
    config = load_config(2024, area=CITY, data_dir=folder, processed_dir=root / "processed", period_from="2024-01",
                         period_to="2024-01", params_dir=params)
    return CrimeSection(SECTIONS["all_crime"], config, prepare_data(config))


def _city_lsoas() -> set[str]:
    lookup = CURRENT_ONS / "LSOA_(2021)_to_Electoral_Ward_(2024)_to_LAD_(2024)_Best_Fit_Lookup_in_EW.csv"
    return {r["LSOA21CD"] for r in _rows(lookup) if r["LAD24CD"] == CITY}


def test_city_of_london_2024_01_outcome_groups_over_crimes_recorded(city_2024_01):
    """Home Office, "Crime outcomes in England and Wales": every crime recorded in the period in one
    outcome group or not yet assigned one, each as a % of all crimes recorded; the charge/summons rate
    compared with the rest of the force (its crimes recorded outside the City). Counted here with the
    csv module from the street and outcomes files of January 2024."""
    city = _city_lsoas()
    street = [r for r in _rows(CURRENT / "2024-01" / "2024-01-city-of-london-street.csv")
              if r["Crime type"] != "Anti-social behaviour"]
    recorded = {"area": Counter(r["Crime type"] for r in street if r["LSOA code"] in city),
                "rest": Counter(r["Crime type"] for r in street if r["LSOA code"] not in city)}
    crime_of = {r["Crime ID"]: r for r in street}  # a repeated Crime ID: its last street record
    latest = {r["Crime ID"]: r["Outcome type"] for r in _rows(CURRENT / "2024-01" / "2024-01-city-of-london-outcomes.csv")}
    grouped = {"area": Counter(), "rest": Counter()}
    for crime_id, outcome in latest.items():
        if crime_id in crime_of:  # outcomes of crimes recorded in earlier months are not this period's
            where = "area" if crime_of[crime_id]["LSOA code"] in city else "rest"
            grouped[where][(crime_of[crime_id]["Crime type"], HOME_OFFICE_GROUP[outcome])] += 1
    rates = city_2024_01.outcomes.rates.set_index("crime_type")
    assert rates.loc["All crime", "recorded"] == sum(recorded["area"].values()) == city_2024_01.count
    for crime_type, n in recorded["area"].items():
        row = rates.loc[crime_type]
        assert row["recorded"] == n
        for group, column in SECTION_GROUP.items():
            assert row[column] == grouped["area"][(crime_type, group)], (crime_type, group)
        assigned = sum(grouped["area"][(crime_type, g)] for g in SECTION_GROUP)
        assert row[po.NOT_YET_ASSIGNED] == n - assigned
        assert row["charged_pct"] == pytest.approx(100 * grouped["area"][(crime_type, "charged")] / n)
        rest_n = recorded["rest"][crime_type]
        if rest_n:
            assert row["rest_charged_pct"] == pytest.approx(100 * grouped["rest"][(crime_type, "charged")] / rest_n)
    charged = sum(v for (_, g), v in grouped["area"].items() if g == "charged")
    positive = sum(v for (_, g), v in grouped["area"].items() if g in ("charged", "formal", "informal"))
    everything = rates.loc["All crime"]
    assert everything["charged_pct"] == pytest.approx(100 * charged / sum(recorded["area"].values()))
    assert everything["positive_pct"] == pytest.approx(100 * positive / sum(recorded["area"].values()))
    # 0 of 81 thefts from the person charged, against 0 of 16 in the rest of the force: similar, not "higher"
    assert rates.loc["Theft from the person", "compared"] == "similar"
    sentence = city_2024_01.outcomes.outcome_sentence()
    assert f"Of the {sum(recorded['area'].values()):,} crimes recorded in Jan 24, {charged:,} (" in sentence
    assert "not yet been assigned an outcome" in sentence


def test_city_of_london_2024_01_stop_and_search_linked_outcomes_and_coverage(city_2024_01):
    """The Home Office's outcome linked to the reason for search (an outcome other than no further
    action, flagged linked), as a % of all searches (HMICFRS, "linked find rate"); the area's
    searches beside the force's, with those that could not be placed in any area. A search is placed
    in the LSOA of the street records at its point (no boundary files in this folder)."""
    city = _city_lsoas()
    points = {}
    for r in _rows(CURRENT / "2024-01" / "2024-01-city-of-london-street.csv"):
        if r["LSOA code"] and r["Latitude"]:
            points[(round(float(r["Latitude"]), 6), round(float(r["Longitude"]), 6))] = r["LSOA code"]
    searches = _rows(CURRENT / "2024-01" / "2024-01-city-of-london-stop-and-search.csv")

    def lsoa(r):
        return points.get((round(float(r["Latitude"]), 6), round(float(r["Longitude"]), 6))) if r["Latitude"] else None

    def linked(r):
        return r["Outcome"] != NO_FURTHER_ACTION and r["Outcome linked to object of search"] == "True"

    in_city = [r for r in searches if lsoa(r) in city]
    table = city_2024_01.outcomes.search_counts().set_index("object_of_search")
    assert table.loc["All searches", "searches"] == len(in_city) == 123
    assert table.loc["All searches", "linked"] == sum(map(linked, in_city)) == 33
    assert table.loc["All searches", "linked_pct"] == pytest.approx(100 * 33 / 123)  # 26.8%, not 48.0%
    assert table.loc["All searches", "force_searches"] == len(searches) == 192
    assert table.loc["All searches", "force_linked"] == sum(map(linked, searches))
    # 42 no further action disposals flagged linked are not linked outcomes
    assert sum(1 for r in searches if r["Outcome"] == NO_FURTHER_ACTION
               and r["Outcome linked to object of search"] == "True") == 42
    placement = city_2024_01.outcomes.search_placement()
    not_placed = [r for r in searches if lsoa(r) is None]
    assert placement["not_placed"] == len(not_placed) == 61
    assert placement["no_location"] == sum(1 for r in searches if not r["Latitude"])
    headline = city_2024_01.outcomes.search_headline()
    assert headline.startswith("123 of the 192 searches by") and "61 could not be placed in any area" in headline


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
    placed = place_by_boundaries(searches, boundaries)
    assert placed["lsoa_code"].tolist()[:2] == ["E01000001", "E01000009"]
    assert placed["placed_by"].tolist() == ["street point", "boundary", "unplaced", "no location"]
    assert place_by_boundaries(searches, None)["placed_by"].tolist() == [
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
    # Home Office outcome 1, charge/summons, and the court results that follow it
    charged_types = {"Suspect charged", "Court result unavailable", "Awaiting court outcome"}
    drugs = [c for c, r in crimes.items() if r["Crime type"] == "Drugs" and r["LSOA code"] in medway]
    row = section.outcomes.rate_of("Drugs")
    assert row["recorded"] == len(drugs)  # every drug offence recorded, with an outcome or not
    assert row[po.CHARGED] == sum(1 for c in drugs if latest.get(c) in charged_types)
    assert row["charged_pct"] == pytest.approx(100 * row[po.CHARGED] / len(drugs))
    not_yet = sum(1 for c in drugs if latest.get(c) in (None, "Under investigation", "Status update unavailable"))
    assert row[po.NOT_YET_ASSIGNED] == not_yet
    rest_drugs = [c for c, r in crimes.items() if r["Crime type"] == "Drugs" and r["LSOA code"] not in medway]
    assert row["rest_recorded"] == len(rest_drugs)
    # The Maidstone plan's measure, "charges laid as a percentage of outcomes": of those assigned an outcome
    charged = sum(1 for c in drugs if latest.get(c) in charged_types)
    html = section.outcomes.drug_charges_table().to_html()
    assert f"{100 * charged / (len(drugs) - not_yet):.1f}%" in html and f"{100 * charged / len(drugs):.1f}%" in html
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

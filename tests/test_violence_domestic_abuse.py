"""The domestic abuse and violent crime section (issue 15, item 2).

Expected values come from hand computation (the two-proportion z-test, with math.erfc and scipy's
normal distribution) and from counts made here with the csv module on the demo files, never from
the section's own code.
"""

from __future__ import annotations

import csv
import shutil
import math
from pathlib import Path

import pytest

from csp_assessment.errors import InputError
from csp_assessment.sections.indicators import Measure, _series
from csp_assessment.ingest import ons_domestic_abuse, partners
from csp_assessment.stats.significance import two_proportion_test
from csp_assessment.sections import open_section
from csp_assessment.sections.violence_domestic_abuse import VIOLENCE, _repeat_counts

TITLE = ("Table 9: Domestic abuse-related crimes recorded by the police, rate per 1,000 population, by police force "
         "area, England and Wales")


# ---- the two-proportion test -------------------------------------------------------------------

def hand_z_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    pooled = (x1 + x2) / (n1 + n2)
    z = (x2 / n2 - x1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return z, math.erfc(abs(z) / math.sqrt(2))  # two-sided p = 2 (1 - Φ(|z|))


@pytest.mark.parametrize("x1, n1, x2, n2", [(1001, 3820, 1125, 4262), (100, 1000, 150, 1000), (30, 120, 12, 95)])
def test_two_proportion_test_matches_the_hand_computation(x1, n1, x2, n2):
    from scipy.stats import norm

    z, p = hand_z_test(x1, n1, x2, n2)
    result = two_proportion_test(x1, n1, x2, n2)
    assert result.z == pytest.approx(z, rel=1e-9)
    assert result.p_value == pytest.approx(p, rel=1e-9)
    assert result.p_value == pytest.approx(2 * norm.sf(abs(z)), rel=1e-9)


def test_two_proportion_test_by_hand_values():
    # 100 of 1,000 then 150 of 1,000: pooled 0.125, se = sqrt(0.125 x 0.875 x 0.002) = 0.0147902,
    # z = 0.05 / 0.0147902 = 3.3806, p = 0.000723
    result = two_proportion_test(100, 1000, 150, 1000)
    assert result.z == pytest.approx(3.3806, abs=1e-4)
    assert result.p_value == pytest.approx(0.000723, abs=2e-6)
    assert (result.pct, result.previous_pct, result.difference_points) == pytest.approx((15.0, 10.0, 5.0))
    assert result.significant and result.verdict == "significant rise"
    # 26.2% (1,001 of 3,820) then 26.4% (1,125 of 4,262): z = 0.1956, p = 0.845
    same = two_proportion_test(1001, 3820, 1125, 4262)
    assert same.z == pytest.approx(0.1956, abs=1e-4) and same.p_value == pytest.approx(0.8449, abs=1e-4)
    assert not same.significant and same.verdict == "no significant change"
    assert two_proportion_test(150, 1000, 100, 1000).verdict == "significant fall"
    with pytest.raises(ValueError):
        two_proportion_test(5, 4, 1, 10)


def test_repeat_victims_worked_back_from_the_percentage_or_given():
    def measure(label, unit, values):
        periods = ["2015/16", "2016/17"]
        return Measure(label, label, unit, "test", _series(periods, [2016, 2017], values).assign(interval=""))

    victims = measure("victims", "count", [3820.0, 4262.0])
    share = measure("share", "%", [26.2, 26.4])
    worked = _repeat_counts(victims, share, None)
    # 26.2% of 3,820 = 1,000.84 -> 1,001; 26.4% of 4,262 = 1,125.168 -> 1,125
    assert list(worked["repeat_victims"]) == [1001, 1125] and worked["worked_back"].all()
    given = _repeat_counts(victims, share, measure("number", "count", [1000.0, float("nan")]))
    assert list(given["repeat_victims"]) == [1000, 1125] and list(given["worked_back"]) == [False, True]
    assert _repeat_counts(None, share, None).empty


# ---- the ONS data tool loader ------------------------------------------------------------------

def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


def data_tool_rows(header=("Area code", "Area name", "Year ending March 2016", "Year ending March 2017"),
                   kent=("E23000032", "Kent", "11.4", "13.3")) -> list[list[str]]:
    return [[TITLE], [], list(header), list(kent), ["E23000033", "Essex", "[x]", "12.0"],
            ["E92000001", "England", "9.6", "10.7"], [], ["Source: Home Office"]]


def test_data_tool_csv_is_recognised_and_read(tmp_path):
    path = write_rows(tmp_path / "domestic-abuse-tool.csv", data_tool_rows())
    assert ons_domestic_abuse.sniff(path)
    table = ons_domestic_abuse.read(path)
    kent = table[table["area_code"] == "E23000032"]
    assert list(kent["end_year"]) == [2016, 2017] and list(kent["rate_per_1000"]) == [11.4, 13.3]
    assert list(kent["period"]) == ["Year ending March 2016", "Year ending March 2017"]
    assert list(kent["row"]) == [4, 4] and set(table["source_file"]) == {"domestic-abuse-tool.csv"}
    essex = table[table["area_code"] == "E23000033"].set_index("end_year")["rate_per_1000"]
    assert math.isnan(essex[2016]) and essex[2017] == 12.0  # "[x]": not available
    assert len(table) == 6  # the footnote after the blank row is not an area


def test_data_tool_workbook_is_read(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "Contents"
    book.active.append(["Domestic abuse in England and Wales data tool"])
    sheet = book.create_sheet("Table 9")
    for row in data_tool_rows(header=("Police force area code", "Police force area", "Apr 2015 to Mar 2016",
                                      "2016/17")):
        sheet.append([float(c) if c.replace(".", "").isdigit() else c for c in row] or [None])
    path = tmp_path / "domesticabuseinenglandandwalesdatatool.xlsx"
    book.save(path)
    assert ons_domestic_abuse.sniff(path)
    table = ons_domestic_abuse.read(path)
    kent = table[table["area_code"] == "E23000032"]
    assert list(kent["end_year"]) == [2016, 2017] and list(kent["rate_per_1000"]) == [11.4, 13.3]


def test_other_files_are_not_taken_for_the_data_tool(tmp_path, demo_dir):
    assert not ons_domestic_abuse.sniff(demo_dir / "health-justice" / "partner-returns.csv")
    assert not ons_domestic_abuse.sniff(write_rows(tmp_path / "other.csv", [["Area code", "Area name",
                                                                              "Year ending March 2017"],
                                                                             ["E23000032", "Kent", "4"]]))


@pytest.mark.parametrize("change, message, row, column", [
    (lambda rows: rows.__setitem__(2, ["Force code", "Area name", "Year ending March 2016", "Year ending March 2017"]),
     "no table of domestic abuse-related crimes", 1, None),
    (lambda rows: rows[3].__setitem__(3, "13,3x"), "'13,3x' is not a number", 4, "Year ending March 2017"),
    (lambda rows: rows[4].__setitem__(0, "Kent"), "'Kent' is not an ONS area code", 5, "Area code"),
    (lambda rows: rows[5].__setitem__(0, "E23000032"), "area E23000032 appears more than once", 6, "Area code"),
    (lambda rows: rows.__setitem__(0, ["Table 8: Domestic abuse-related crimes, number, by police force area"]),
     "does not say it holds rates per 1,000", 3, "Year ending March 2016"),
    (lambda rows: rows[3].__setitem__(2, "-1.0"), "negative", 4, "Year ending March 2016"),
])
def test_bad_data_tool_files_name_file_row_and_column(tmp_path, change, message, row, column):
    rows = data_tool_rows()
    change(rows)
    path = write_rows(tmp_path / "domestic-abuse-tool.csv", rows)
    with pytest.raises(InputError) as error:
        ons_domestic_abuse.read(path)
    assert message in str(error.value) and str(path) in str(error.value)
    assert (error.value.row, error.value.column) == (row, column)


def test_partner_returns_accept_the_new_section_and_reject_unknown_ones(tmp_path):
    header = ["section", "measure", "period", "value", "unit", "target", "better", "source"]
    good = write_rows(tmp_path / "returns.csv", [header, ["violence_domestic_abuse", "MARAC cases", "2016/17", "604",
                                                          "count", "", "", "MARAC"]])
    assert list(partners.read(good)["section"]) == ["violence_domestic_abuse"]
    bad = write_rows(tmp_path / "bad.csv", [header, ["domestic_abuse", "MARAC cases", "2016/17", "604", "count", "",
                                                     "", "MARAC"]])
    with pytest.raises(InputError) as error:
        partners.read(bad)
    assert (error.value.row, error.value.column) == (2, "section") and "violence_domestic_abuse" in str(error.value)


# ---- the section on the demo data --------------------------------------------------------------

def csv_violence_counts(demo_dir: Path, months: list[str]) -> int:
    """Violence and sexual offences in Medway's LSOAs in ``months``, counted with the csv module."""
    with (demo_dir / "ons" / "lsoa11-ward17-lad17-lookup.csv").open(encoding="utf-8-sig", newline="") as handle:
        medway = {row["LSOA11CD"] for row in csv.DictReader(handle) if row["LAD17CD"] == "E06000035"}
    total = 0
    for month in months:
        for path in (demo_dir / "police-uk" / month).glob("*-street.csv"):
            with path.open(encoding="utf-8-sig", newline="") as handle:
                total += sum(1 for row in csv.DictReader(handle)
                             if row["LSOA code"] in medway and row["Crime type"] == VIOLENCE)
    return total


@pytest.fixture(scope="module")
def section(demo_dir, demo_tables_once, tmp_path_factory):
    processed = tmp_path_factory.mktemp("violence") / "processed"
    shutil.copytree(demo_tables_once, processed)  # the session's demo tables: not read again
    return open_section("violence_domestic_abuse", data_dir=demo_dir, processed_dir=processed)


def months(first: str, n: int = 12) -> list[str]:
    import pandas as pd

    return [str(p) for p in pd.period_range(first, periods=n, freq="M")]


def test_violence_figures_match_a_csv_count(section, demo_dir):
    found = section.findings()
    current, previous = csv_violence_counts(demo_dir, months("2016-04")), csv_violence_counts(demo_dir, months("2015-04"))
    assert (found["count"], found["previous_count"]) == (current, previous)
    assert found["rate_per_1000"] == round(1000 * current / 278_542, 1)
    assert found["change_pct"] == round(100 * (current - previous) / previous, 1)
    assert found["trend"][-1]["records"] == current
    assert [r["category"] for r in found["by_type"]] == [VIOLENCE] and found["breakdown"] == []
    assert VIOLENCE in found["spc_signals"] and found["spc_series"] == VIOLENCE
    assert found["headline"].startswith(f"{current:,} violence and sexual offences were recorded in Medway")


def test_domestic_abuse_figures_from_the_demo_files(section, demo_dir):
    with (demo_dir / "health-justice" / "partner-returns.csv").open(encoding="utf-8", newline="") as handle:
        returns = [r for r in csv.DictReader(handle) if r["section"] == "violence_domestic_abuse"]
    latest = {r["measure"]: float(r["value"].replace(",", "")) for r in returns if r["period"] == "2016/17"}
    before = {r["measure"]: float(r["value"].replace(",", "")) for r in returns if r["period"] == "2015/16"}
    found = section.findings()
    measures = {m["measure"]: m for m in found["measures"]}
    for label in ("Domestic abuse incidents reported to the police", "Domestic abuse repeat victims", "MARAC cases",
                  "MARAC repeat referrals", "One-stop shop attendances", "Domestic abuse crimes recorded by the police"):
        assert measures[label]["value"] == latest[label], label
    repeat = measures["Domestic abuse repeat victims"]
    assert (repeat["count"], repeat["denominator"], repeat["interval"]) == (1125, 4262, "Wilson score")
    test = found["repeat_victims"]
    z, p = hand_z_test(int(before["Domestic abuse repeat victims (number)"]), int(before["Domestic abuse victims"]),
                       int(latest["Domestic abuse repeat victims (number)"]), int(latest["Domestic abuse victims"]))
    assert (test["count"], test["victims"], test["previous_count"], test["previous_victims"]) == (1125, 4262, 1001, 3820)
    assert test["z"] == round(z, 4) and test["p_value"] == round(p, 4) and test["significant"] is False
    # ONS: Kent's rate beside England's, as the demo file gives them
    with (demo_dir / "ons-domestic-abuse" / "domestic-abuse-data-tool-police-force-area.csv").open(
            encoding="utf-8", newline="") as handle:
        rows = {r[0]: r for r in csv.reader(handle) if r and r[0][:1] in "EK" and len(r) > 2}
    ons = measures["Domestic abuse-related crimes per 1,000 population"]
    assert (ons["value"], ons["benchmark"]) == (float(rows["E23000032"][3]), float(rows["E92000001"][3]))
    assert ons["period"] == "Year ending March 2017" and ons["comparison"] == "not compared"
    assert found["missing_inputs"] == []
    assert "Repeat victims were 26.4% of domestic abuse victims in 2016/17 (1,125 of 4,262)" in found["summary_points"][0]


def test_missing_domestic_abuse_inputs_are_named(demo_variant):
    raw, processed = demo_variant(leave_out=("health-justice", "ons-domestic-abuse"))
    section = open_section("violence_domestic_abuse", data_dir=raw, processed_dir=processed)
    found = section.findings()
    missing = " ".join(found["missing_inputs"])
    assert "No ONS domestic abuse-related crime rates by police force area are in the data folder" in missing
    assert "Domestic abuse in England and Wales data tool" in missing and "partner-returns-template.csv" in missing
    assert found["measures"] == [] and found["repeat_victims"] is None
    assert found["count"] > 0  # the police figures stand without them

"""Loaders of the Fingertips, Ministry of Justice and partner-return files, on small files written
here in each publisher's layout, with the quirks real downloads have."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, write_street_file
from csp_assessment import store
from csp_assessment.errors import InputError
from csp_assessment.ingest import fingertips, moj, partners
from csp_assessment.ingest.folder import ingest_folder
from csp_assessment.ingest.values import period_end_year

FINGERTIPS_HEADER = [
    "Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type", "Sex",
    "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
    "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator", "Value note", "Recent Trend",
    "Compared to England value or percentiles", "Compared to Region value or percentiles", "Time period Sortable",
    "New data", "Compared to goal",
]
CORE = ["Indicator ID", "Indicator Name", "Area Code", "Area Name", "Area Type", "Sex", "Age", "Time period", "Value",
        "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Count", "Denominator"]
MOJ_HEADER = ["Local Authority Code", "Local Authority Name", "Cohort", "Age group", "Number of offenders in cohort",
              "Number of reoffenders", "Number of reoffences", "Proportion of offenders who reoffend (%)",
              "Average number of reoffences per reoffender"]
PARTNER_HEADER = ["section", "measure", "period", "value", "unit", "target", "better", "source"]


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=encoding) as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)
    return path


def fingertips_row(indicator="848", area="E06000035", period="2016/17", value="8.9", lower="8.78", upper="9.02",
                   count="20424", denominator="229483", sex="Persons", age="18+ yrs", category_type="", note="",
                   name="Depression: Recorded prevalence (aged 18 years and over)") -> list[str]:
    area_name = "England" if area == "E92000001" else "Medway"
    parent = ("", "") if area == "E92000001" else ("E12000008", "South East region")
    return [indicator, name, *parent, area, area_name, "County & UA", sex, age, category_type,
            "Decile 1" if category_type else "", period, value, lower, upper, "", "", count, denominator, note,
            "Cannot be calculated", "Higher", "Not compared", f"{period[:4]}0000", "", "Not compared"]


# ---- Fingertips --------------------------------------------------------------------------------


def test_fingertips_export_with_its_quirks(tmp_path):
    rows = [
        fingertips_row(),
        fingertips_row(area="E92000001", value="8.3", lower="8.29", upper="8.31", count="3,807,000",
                       denominator="45,873,122"),
        # suppressed: empty value, limits and count, with the export's note
        fingertips_row(period="2015/16", value="", lower="", upper="", count="", denominator="229000",
                       note="Value suppressed for disclosure control due to small count"),
        # an estimate published without limits, and a "*" note
        fingertips_row(period="2014/15", lower="", upper="", note="*"),
        # breakdowns that are not the whole population
        fingertips_row(category_type="County & UA deprivation deciles in England (IMD2015)", value="12.0"),
        fingertips_row(sex="Male", value="6.0"),
        fingertips_row(sex="Female", value="11.0"),
    ]
    # fingertips_py's DataFrame.to_csv adds an unnamed index column; Excel adds a byte-order mark.
    path = write_csv(tmp_path / "indicators.csv", ["", *FINGERTIPS_HEADER],
                     [[str(i), *row] for i, row in enumerate(rows)], encoding="utf-8-sig")
    assert fingertips.sniff(path)
    table = fingertips.read(path)
    assert len(table) == 4 and set(table["sex"]) == {"Persons"}
    medway = table[table["area_code"] == "E06000035"].set_index("period")
    latest = medway.loc["2016/17"]
    assert (latest["value"], latest["lower_ci"], latest["upper_ci"]) == (8.9, 8.78, 9.02)
    assert (latest["count"], latest["denominator"], latest["end_year"]) == (20424, 229483, 2017)
    assert latest["parent_code"] == "E12000008" and latest["period_sortable"] == 20160000
    assert math.isnan(medway.loc["2015/16", "value"]) and math.isnan(medway.loc["2015/16", "count"])
    assert medway.loc["2015/16", "value_note"].startswith("Value suppressed")
    assert math.isnan(medway.loc["2014/15", "lower_ci"]) and medway.loc["2014/15", "value_note"] == "*"
    assert table.loc[table["area_code"] == "E92000001", "count"].iloc[0] == 3_807_000  # thousands separators


def test_fingertips_keeps_persons_and_the_age_with_most_rows(tmp_path):
    rows = [fingertips_row(period=p, age="10+ yrs", indicator="41001", name="Suicide rate")
            for p in ("2012 - 14", "2013 - 15")]
    rows.append(fingertips_row(period="2013 - 15", age="10-34 yrs", indicator="41001", name="Suicide rate"))
    rows.append(fingertips_row(period="2013 - 15", sex="Male", age="10+ yrs", indicator="41001", name="Suicide rate"))
    # an indicator published for one sex only keeps that sex
    rows.append(fingertips_row(indicator="90000", name="Male-only indicator", sex="Male", age="18+ yrs"))
    table = fingertips.read(write_csv(tmp_path / "f.csv", FINGERTIPS_HEADER, rows))
    suicide = table[table["indicator_id"] == 41001]
    assert list(suicide["age"]) == ["10+ yrs", "10+ yrs"] and set(suicide["sex"]) == {"Persons"}
    assert list(table.loc[table["indicator_id"] == 90000, "sex"]) == ["Male"]
    assert list(suicide["end_year"]) == [2014, 2015]


def test_fingertips_file_with_only_the_core_columns(tmp_path):
    full = fingertips_row()
    keep = [FINGERTIPS_HEADER.index(c) for c in CORE]
    path = write_csv(tmp_path / "core.csv", CORE, [[full[i] for i in keep]])
    assert fingertips.sniff(path)
    table = fingertips.read(path)
    assert table["value"].tolist() == [8.9] and table["period_sortable"].isna().all()
    assert table["value_note"].tolist() == [""]


@pytest.mark.parametrize("change, row, column, words", [
    ({"value": "high"}, 2, "Value", "'high' is not a number"),
    ({"count": "1.2.3"}, 2, "Count", "is not a number"),
    ({"indicator": "X1"}, 2, "Indicator ID", "not a whole number"),
    ({"period": "recent"}, 2, "Time period", "cannot tell which year"),
    ({"area": ""}, 2, "Area Code", "empty"),
])
def test_fingertips_bad_values_name_file_row_and_column(tmp_path, change, row, column, words):
    path = write_csv(tmp_path / "bad.csv", FINGERTIPS_HEADER, [fingertips_row(**change)])
    with pytest.raises(InputError) as caught:
        fingertips.read(path)
    assert (caught.value.row, caught.value.column) == (row, column)
    assert words in str(caught.value) and "bad.csv" in str(caught.value)


def test_fingertips_missing_column_is_named(tmp_path):
    header = [c for c in FINGERTIPS_HEADER if c != "Denominator"]
    row = fingertips_row()
    del row[FINGERTIPS_HEADER.index("Denominator")]
    path = write_csv(tmp_path / "short.csv", header, [row])
    assert not fingertips.sniff(path)
    with pytest.raises(InputError, match="missing column Denominator"):
        fingertips.read(path)


# ---- Ministry of Justice -----------------------------------------------------------------------


def test_moj_reoffending_with_suppression_separators_and_national_rows(tmp_path):
    rows = [
        ["E06000035", "Medway", "Jan 2015 to Dec 2015", "Adult", "1,962", "541", "1,866", "27.6", "3.45"],
        ["E06000035", "Medway", "Jan 2015 to Dec 2015", "Juvenile", "168", "66", "257", "*", "*"],
        ["E06000035", "Medway", "Oct 2015 to Dec 2015", "Adults", "498", "140", "470", "28.1", "3.36"],
        ["K04000001", "England and Wales", "Jan 2015 to Dec 2015", "Adult", "452,310", "110,917", "348,163", "24.5",
         "3.14"],
        ["", "England and Wales", "Jan 2015 to Dec 2015", "Juvenile", "34,160", "14,416", "54,021", "42.2", "3.75"],
    ]
    path = write_csv(tmp_path / "reoffending.csv", MOJ_HEADER, rows)
    assert moj.sniff(path) and not fingertips.sniff(path) and not partners.sniff(path)
    table = moj.read(path)
    adult = table.iloc[0]
    assert (adult["offenders"], adult["reoffenders"], adult["reoffences"]) == (1962, 541, 1866)
    assert (adult["cohort_start"], adult["cohort_end"], adult["cohort_months"], adult["end_year"]) == (
        "2015-01", "2015-12", 12, 2015)
    juvenile = table.iloc[1]
    assert juvenile["proportion"] == pytest.approx(100 * 66 / 168)  # "*" published: computed from the counts
    assert math.isnan(juvenile["reoffences_per_reoffender"])
    assert table.iloc[2]["cohort_months"] == 3 and table.iloc[2]["age_group"] == "Adult"
    national = table[table["is_national"]]
    assert list(national["area_code"]) == ["K04000001", "K04000001"]
    assert national["offenders"].tolist() == [452_310, 34_160]


def test_moj_cohort_labels():
    assert moj.cohort_months("Apr 2014 to Mar 2015")[1].strftime("%Y-%m") == "2015-03"
    assert [str(m) for m in moj.cohort_months("2015")] == ["2015-01", "2015-12"]
    assert [str(m) for m in moj.cohort_months("2014/15")] == ["2014-04", "2015-03"]
    assert moj.cohort_months("last year") is None


@pytest.mark.parametrize("cells, column, words", [
    ({2: "the 2015 cohort"}, "Cohort", "is not a period"),
    ({3: "Elderly"}, "Age group", "not Adult, Juvenile or All"),
    ({4: "lots"}, "Number of offenders in cohort", "'lots' is not a number"),
    ({0: ""}, "Local Authority Code", "empty"),
])
def test_moj_bad_values_name_row_and_column(tmp_path, cells, column, words):
    row = ["E06000035", "Medway", "Jan 2015 to Dec 2015", "Adult", "1,962", "541", "1,866", "27.6", "3.45"]
    for i, value in cells.items():
        row[i] = value
    path = write_csv(tmp_path / "moj.csv", MOJ_HEADER, [row])
    with pytest.raises(InputError) as caught:
        moj.read(path)
    assert (caught.value.row, caught.value.column) == (2, column) and words in str(caught.value)


# ---- partner returns ---------------------------------------------------------------------------


def test_partner_return(tmp_path):
    rows = [
        ["reoffending", "Community orders completed", "2016/17", "75.5%", "%", "75", "higher", "CRC"],
        ["substance_misuse", "Needle finds", "Apr 16 – Mar 17", "1,046", "count", "1,000", "Lower", "Council"],
        ["mental_health", "Section 136 detentions", "2016/17", "241", "count", "", "", "Kent Police"],
    ]
    path = write_csv(tmp_path / "returns.csv", PARTNER_HEADER, rows)
    assert partners.sniff(path) and not moj.sniff(path)
    table = partners.read(path)
    assert table["value"].tolist() == [75.5, 1046, 241]
    assert table["target"].tolist()[:2] == [75, 1000] and math.isnan(table["target"].iloc[2])
    assert table["better"].tolist() == ["higher", "lower", ""] and table["end_year"].tolist() == [2017] * 3
    assert table["row"].tolist() == [2, 3, 4]


@pytest.mark.parametrize("row, column, words", [
    (["crime", "Burglaries", "2016/17", "5", "count", "", "", ""], "section", "unknown section 'crime'"),
    (["reoffending", "Orders", "2016/17", "about 75", "%", "", "", ""], "value", "'about 75' is not a number"),
    (["reoffending", "Orders", "2016/17", "", "%", "", "", ""], "value", "value is empty"),
    (["reoffending", "Orders", "2016/17", "75", "%", "75", "", ""], "better", "say whether higher or lower"),
    (["reoffending", "Orders", "2016/17", "75", "%", "75", "up", ""], "better", "expected higher or lower"),
    (["reoffending", "Orders", "soon", "75", "%", "", "", ""], "period", "cannot tell which year"),
    (["reoffending", "Orders", "2016/17", "75", "%", "n/a", "higher", ""], "target", "'n/a' is not a number"),
])
def test_partner_return_bad_rows_name_row_and_column(tmp_path, row, column, words):
    path = write_csv(tmp_path / "returns.csv", PARTNER_HEADER, [row])
    with pytest.raises(InputError) as caught:
        partners.read(path)
    assert (caught.value.row, caught.value.column) == (2, column) and words in str(caught.value)


def test_partner_return_repeated_measure_is_refused(tmp_path):
    row = ["reoffending", "Orders", "2016/17", "75", "%", "", "", ""]
    with pytest.raises(InputError, match="appears more than once") as caught:
        partners.read(write_csv(tmp_path / "returns.csv", PARTNER_HEADER, [row, row]))
    assert caught.value.row == 3


def test_the_template_reads_but_is_never_ingested():
    template = PROJECT_ROOT / "data" / "raw" / partners.TEMPLATE_NAME
    with template.open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == PARTNER_HEADER
    assert len(partners.read(template)) == 2
    assert not partners.sniff(template)


def test_period_end_years():
    assert [period_end_year(p) for p in ("2016/17", "2017", "2013 - 15", "2014/15 - 16/17", "Apr 16 – Mar 17",
                                         "Jan 2015 to Dec 2015", "01/04/2016 - 31/03/2017", "whenever")] == [
        2017, 2017, 2015, 2017, 2017, 2015, 2017, None]


# ---- the data folder ---------------------------------------------------------------------------


def test_folder_ingest_writes_the_three_tables_and_leaves_ons_files_alone(tmp_path):
    data = tmp_path / "raw"
    write_street_file(data / "2016-04" / "2016-04-kent-street.csv", "2016-04", [("a1", "E01000001", "Drugs")])
    write_csv(data / "lookup.csv", ["LSOA11CD", "LSOA11NM", "WD17CD", "WD17NM", "WD17NMW", "LAD17CD", "LAD17NM"],
              [["E01000001", "Medway 001A", "E05000001", "River", "", "E06000035", "Medway"]])
    write_csv(data / "health" / "fingertips.csv", FINGERTIPS_HEADER, [fingertips_row()])
    write_csv(data / "health" / "moj.csv", MOJ_HEADER,
              [["E06000035", "Medway", "Jan 2015 to Dec 2015", "Adult", "1,962", "541", "1,866", "27.6", "3.45"]])
    write_csv(data / "returns.csv", PARTNER_HEADER, [["reoffending", "Orders", "2016/17", "75", "%", "", "", ""]])
    write_csv(data / partners.TEMPLATE_NAME, PARTNER_HEADER, [["reoffending", "Example", "2016/17", "1", "%", "", "",
                                                                "EXAMPLE"]])
    summary = ingest_folder(data, tmp_path / "processed")
    assert summary.sources["fingertips"] == [str(data / "health" / "fingertips.csv")]
    assert summary.sources["reoffending"] == [str(data / "health" / "moj.csv")]
    assert summary.sources["partner_returns"] == [str(data / "returns.csv")]  # not the template
    assert store.read_table(tmp_path / "processed", "partner_returns")["measure"].tolist() == ["Orders"]
    assert store.read_table(tmp_path / "processed", "fingertips")["value"].tolist() == [8.9]
    assert "lsoa_ward_lad_lookup" in summary.sources
    readme = (tmp_path / "processed" / "README.md").read_text()
    assert "`fingertips.parquet`" in readme and "`reoffending.parquet`" in readme

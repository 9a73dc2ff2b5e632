"""The whole yearly run, end to end: demo data -> notebooks -> HTML, PDF, index, and the document in a browser.

Expected figures are the ones the demo data reproduce from the published Medway assessment
2017 (23,125 crimes; 20,285 the year before; 7,077 ASB incidents, 8,978 before; 278,542
residents), and, for the real Kent files, counts made here with the csv module.
"""

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import pipeline
from conftest import PROJECT_ROOT, SHARED_DATA, count_street_rows
from csp_assessment.config import load_config
from csp_assessment.report import chromium_pdf
from csp_assessment.report.document import export_document
from csp_assessment.report.print_check import check_print
from csp_assessment.run import Progress, main
from test_workbook import check_csvs, check_workbook, document_links

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Recorded in the page itself, so --dump-dom carries the result out of the browser.
PROBE = """
<script>
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(String(e.message || e.target && e.target.src)), true);
window.addEventListener("load", () => {
  const images = [...document.images];
  const result = {errors: window.__errors, images: images.length,
                  broken: images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt),
                  without_alt: images.filter(i => !i.alt).length};
  const out = document.createElement("pre");
  out.id = "csp-probe";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>
"""


def pdf_text(path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, demo_dir):
    root = tmp_path_factory.mktemp("demo-run")
    config = load_config(2017, data_dir=demo_dir, processed_dir=root / "processed", out_dir=root / "reports")
    report_dir = main(config)
    return report_dir


def test_demo_run_writes_every_output(demo_run):
    assert demo_run.name == "2017"
    for stem in ("01_all_crime", "02_asb", "03_substance_misuse", "04_reoffending", "05_mental_health",
                 "06_violence_domestic_abuse", "07_road_safety"):
        for name in (f"{stem}.html", f"{stem}-analyst.html", f"{stem}.pdf", f"notebooks/{stem}.ipynb"):
            assert (demo_run / name).is_file(), name
    index = (demo_run / "index.html").read_text()
    for link in ("01_all_crime.html", "01_all_crime-analyst.html", "01_all_crime.pdf", "notebooks/02_asb.ipynb", "run.log"):
        assert f'href="{link}"' in index
    assert "Synthetic demonstration data" in index
    assert not (demo_run.parent / ".2017-running").exists()


def test_crime_section_headline_figures(demo_run):
    findings = json.loads((demo_run / "findings" / "all_crime.json").read_text())
    assert findings["count"] == 23125 and findings["previous_count"] == 20285
    assert findings["change"] == 2840 and findings["change_pct"] == 14.0
    assert findings["population"] == 278542 and findings["rate_per_1000"] == 83.0
    assert [w["ward_name"] for w in findings["top_wards"]] == [
        "River", "Gillingham South", "Gillingham North", "Luton and Wayfield", "Chatham Central"]
    html = (demo_run / "01_all_crime.html").read_text()
    assert ("23,125 crimes were recorded in Medway in Apr 16 – Mar 17, 83.0 per 1,000 residents; "
            "a 14.0% increase: 2,840 more crimes than in Apr 15 – Mar 16.") in html
    assert "Synthetic demonstration data" in html
    # crime rose 45% over the 60 months: the latest months sit on a run above the mean
    assert findings["spc_variation"] == "special cause of concern"
    assert {"category": "All crime", "direction": "concern"} in findings["special_causes"]
    assert "Series with special cause in at least one month of Apr 16 – Mar 17" in html
    assert "open_section" not in html  # reviewers see no code
    analyst = (demo_run / "01_all_crime-analyst.html").read_text()
    assert "open_section" in analyst
    # exact ward counts are for analysts only
    assert "not for publication" in analyst and "not for publication" not in html
    # peer, trend, seasonality, breakdown, hotspot, deprivation, SPC and 13 SPC-by-type charts, embedded as SVG
    assert len(re.findall(r'<img alt="Chart: [^"]+" src="data:image/svg\+xml;base64,', html)) == 20
    assert "of Medway&#x27;s crimes in Apr 16 – Mar 17" in html or "of Medway's crimes in Apr 16 – Mar 17" in html
    # the demo writes boundaries, so the section maps its wards and LSOAs, with generated alt text
    assert len(re.findall(r'<img alt="Map: [^"]+" src="data:image/svg\+xml;base64,', html)) == 2
    assert 'alt="Map: Recorded crimes per 1,000 residents by ward, Medway.' in html
    assert ('alt="Chart: Recorded crimes rose 45.3% between Apr 12 – Mar 13 and Apr 16 – Mar 17. Recorded crimes '
            '(count) by 12-month period. Values: Apr 12 – Mar 13 15,912;') in html


def test_asb_section_headline_figures(demo_run):
    findings = json.loads((demo_run / "findings" / "asb.json").read_text())
    assert (findings["count"], findings["previous_count"], findings["change"]) == (7077, 8978, -1901)
    assert findings["change_pct"] == -21.2 and findings["rate_per_1000"] == 25.4
    top = findings["top_wards"]
    assert [w["ward_name"] for w in top] == [
        "Gillingham North", "River", "Gillingham South", "Luton and Wayfield", "Chatham Central"]
    assert 41.5 <= sum(w["share_pct"] for w in top) <= 42.5
    assert findings["spc_variation"] == "special cause of improvement"  # ASB fell


def test_road_safety_section_figures(demo_run):
    """Medway's demo STATS19 casualties (counted with the csv module in test_road_safety): KSI 2012-2016
    88, 79, 92, 84, 103; all casualties 861 in 2016."""
    findings = json.loads((demo_run / "findings" / "road_safety.json").read_text())
    assert findings["years"] == [2012, 2013, 2014, 2015, 2016]
    assert [row["ksi"] for row in findings["annual"]] == [88, 79, 92, 84, 103]
    assert findings["annual"][-1]["casualties"] == 861
    # 103 against 84: +22.6%; against 92 three years before: +12.0%
    assert findings["changes"]["ksi"]["1_year"]["change_pct"] == pytest.approx(100 * 19 / 84, abs=1e-3)
    assert findings["changes"]["ksi"]["2_year"]["change_pct"] == pytest.approx(100 * 11 / 92, abs=1e-3)
    rate = next(m for m in findings["measures"] if m["unit"] == "per 100,000")
    # 2016 is recorded injury-based in the demo, so adjusted = reported: 103 x 100,000 / 278,542
    assert findings["severity_adjusted"] and rate["value"] == pytest.approx(36.978, abs=1e-3)
    assert rate["benchmark_name"] == "12 other authorities in the data" and rate["comparison"] in (
        "higher", "lower", "similar")
    html = (demo_run / "07_road_safety.html").read_text()
    assert "In 2016, 103 people were killed or seriously injured on Medway&#x27;s roads" in html or \
        "In 2016, 103 people were killed or seriously injured on Medway's roads" in html
    # The sentences use the rate's series, severity-adjusted (DfT advises it for comparisons over time):
    # 103.0 against 96.7 in 2015 and 104.6 in 2014, not the reported 84 and 92.
    adjusted = {row["year"]: row["ksi_adjusted"] for row in findings["annual"]}
    assert findings["changes"]["ksi_adjusted"]["2_year"]["change_pct"] == pytest.approx(
        100 * (adjusted[2016] - adjusted[2014]) / adjusted[2014], abs=1e-3)
    assert (f"Severity-adjusted KSI casualties: a decrease of 1.5% over the three years 2014–2016: "
            f"2016 – {adjusted[2016]:.1f}, 2015 – {adjusted[2015]:.1f}, 2014 – {adjusted[2014]:.1f}") in html
    assert "severity-adjusted KSI up 6.5% on 2015 (96.7)" in findings["headline"]
    document = (demo_run / "strategic-assessment-2017.html").read_text()
    assert 'id="section-road_safety"' in document and "Road casualties by year, Medway" in document


def test_pdf_holds_the_headline_figures(demo_run):
    text = pdf_text(demo_run / "01_all_crime.pdf")
    assert "23,125" in text and "Page 1 of" in text and "Synthetic demonstration data" in text


def test_cli_errors_are_clear(capsys):
    assert pipeline.cli(["--year", "1999"]) == 2
    assert "Years with params: 2017, 2022" in capsys.readouterr().err
    assert pipeline.cli(["--year", "2017", "--area", "nowhere"]) == 2


CURRENT_DATA = PROJECT_ROOT.parent / "shared" / "data-current"
LUTON = "E06000032"


@pytest.fixture(scope="module")
def medway_2022(tmp_path_factory):
    """The whole Medway 2022 run on the real Kent files (issue 21's reviewer's run): police and ONS
    files only, nothing from health, justice or partners, no narrative, no scores."""
    if not (SHARED_DATA / "police-uk").is_dir():
        pytest.skip(f"the real public files are not at {SHARED_DATA} (they sit beside the clone in CI)")
    root = tmp_path_factory.mktemp("medway-2022")
    config = load_config(2022, area="E06000035", data_dir=SHARED_DATA, period_from="2022-01", period_to="2022-11",
                         processed_dir=root / "processed", out_dir=root / "reports")
    return main(config)


@pytest.fixture(scope="module")
def luton_2024(tmp_path_factory):
    """Luton's whole 2024 run on today's formats (Bedfordshire Police files, LSOA 2021 codes)."""
    if not (CURRENT_DATA / "police-uk").is_dir():
        pytest.skip(f"the real current-format files are not at {CURRENT_DATA}")
    root = tmp_path_factory.mktemp("luton-2024")
    config = load_config(2024, area=LUTON, data_dir=CURRENT_DATA, period_from="2024-01", period_to="2024-12",
                         processed_dir=root / "processed", out_dir=root / "reports")
    return main(config)


def document_body(report_dir: Path, year: int) -> str:
    """The reviewers' document from its cover up to the annexes (the body a board reads), as HTML."""
    html = (report_dir / f"strategic-assessment-{year}.html").read_text(encoding="utf-8")
    html = re.sub(r"<(style|script)\b.*?</\1>", "", html[html.index("<body"):], flags=re.S)
    return html[:html.index('id="annex-')] if 'id="annex-' in html else html


# Wording found in the reviewers' documents of earlier runs (issue 21): never again.
SLIPS = ("(1 inputs", "1 inputs missing", "1 ASB incidents", "1 crimes", "1 of its monthly series show",
         "No figures are in the data folder", "Not available:", "too few complete",
         "partner-returns-template", "to add them", "Download", "copy data/raw")


@pytest.mark.shared_data
def test_medway_2022_from_the_real_kent_files(medway_2022, shared_data):
    medway_lsoas = set()
    with open(shared_data / "ons" / "lsoa11-ward17-lad17-lookup.csv", newline="", encoding="utf-8-sig") as fh:
        medway_lsoas = {r["LSOA11CD"] for r in csv.DictReader(fh) if r["LAD17CD"] == "E06000035"}
    crimes = asb = 0
    by_type: dict[str, int] = {}
    for path in sorted((shared_data / "police-uk").glob("*/*-street.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["LSOA code"] in medway_lsoas:
                    asb += row["Crime type"] == "Anti-social behaviour"
                    crimes += row["Crime type"] != "Anti-social behaviour"
                    by_type[row["Crime type"]] = by_type.get(row["Crime type"], 0) + 1
    assert (crimes, asb) == (28_046, 4_689)  # the counts issue 21's reviewer recounted
    report_dir = medway_2022
    crime = json.loads((report_dir / "findings" / "all_crime.json").read_text())
    assert crime["count"] == crimes
    assert crime["change"] is None  # no 2021 files: said plainly, not computed
    assert crime["population_year"] == 2020  # latest estimate in the folder is mid-2020
    assert any("mid-2020" in note for note in crime["data_notes"])
    assert json.loads((report_dir / "findings" / "asb.json").read_text())["count"] == asb
    html = (report_dir / "01_all_crime.html").read_text()
    # the population year is said beside the rate, not only in the notes
    assert (f"{crimes:,} crimes were recorded in Medway in Jan 22 – Nov 22, {1000 * crimes / 279_142:.1f} per 1,000 "
            "residents over 11 months (mid-2020 population; no mid-2022 estimate in the data folder). No earlier "
            "year is in the data: change and trend start next year.") in html
    assert "Synthetic demonstration data" not in html
    assert crime["spc_variation"] is not None and "trial limits" in html  # 11 months: fewer than 12
    # an 11-month period is never called a 12-month one, and its rates say how long they cover
    assert "per 1,000 residents over 11 months" in html and "12-month" not in html
    assert "The general trend starts next year: the data hold one 11-month period, Jan 22 – Nov 22." in html
    # compared with peers, the rate says it is not annual; peers are named as they are now
    assert ("rate per 1,000 residents over 11 months (not an annual rate), on the mid-2020 population (no mid-2022 "
            "estimate in the data folder) (rank 1 = highest)") in html
    assert "; rates on Census 2011 usual residents (2011)" in html  # the wards' population year, beside their rates
    assert "Folkestone and Hythe" in html and "Shepway" not in html
    # no narrative files with the real data: the document leaves those parts out
    document = (report_dir / "strategic-assessment-2022.html").read_text()
    assert "Listening to the public" not in document and "The partnership's commentary" not in document
    assert "The crime picture in context" in document
    _check_medway_priorities(report_dir, document, by_type)


def _check_medway_priorities(report_dir: Path, document: str, by_type: dict[str, int]) -> None:
    """Medway 2022 from police files alone: no theme scored, no narrative, no previous priorities."""
    priorities = json.loads((report_dir / "priorities.json").read_text())
    assert priorities["basis"] == "evidence for priority setting" and not priorities["scored_by_partnership"]
    themes = {theme["theme_key"]: theme for theme in priorities["ranked"]}
    assert all(theme["rank"] is None and theme["risk_score"] is None for theme in themes.values())
    # Violence's measures count by their share of its records, counted here with the csv module
    violence = themes["violence"]
    names = ["Violence and sexual offences", "Robbery", "Possession of weapons"]
    counts = [by_type[name] for name in names]
    assert [(m["measure"], m["records"]) for m in violence["measures"]] == list(zip(names, counts))
    assert [m["share"] for m in violence["measures"]] == pytest.approx([c / sum(counts) for c in counts], abs=1e-4)
    weighted = sum(c * m["score"] for c, m in zip(counts, violence["measures"])) / sum(counts)
    assert violence["likelihood"] == pytest.approx(weighted, abs=2e-3)
    # violence, half of all crime with the highest robbery rate in Kent, is not below vehicle crime
    order = [theme["theme_key"] for theme in priorities["ranked"]]
    assert violence["likelihood"] >= themes["vehicle_crime"]["likelihood"]
    assert order.index("violence") < order.index("vehicle_crime")
    # themes the police files cannot evidence: "no data supplied", apart, never read as low risk
    for key in ("domestic_abuse", "road_safety", "mental_health", "reoffending", "hate_crime", "exploitation"):
        assert themes[key]["status"] == "no data supplied" and themes[key]["likelihood"] is None
    assert order[-6:] == ["domestic_abuse", "road_safety", "mental_health", "reoffending", "hate_crime",
                          "exploitation"]
    summary = document[document.index('id="executive-summary"'):document.index('id="overview"')]
    assert "<h2>Evidence for priority setting</h2>" in summary and "not a ranking of risk" in summary
    assert "Ranked priorities" not in summary and "not ranked" not in summary.replace("neither ranked", "")
    assert "<h3>No data supplied</h3>" in summary and "<li>Domestic abuse (measures: " in summary
    assert "rovisional" not in summary and "no evidence in this run" not in document
    # DRAFT on the cover (with what is to come), in a banner, and in every printed page's header
    cover = document[document.index('class="csp-cover"'):document.index('class="csp-contents-title"')]
    assert '<p class="csp-draft-word">DRAFT</p>' in cover and "last year's priorities" in cover
    assert 'class="csp-draft-banner"' in document and '@top-right { content: "DRAFT"' in document
    pages = page_texts(report_dir / "strategic-assessment-2022.pdf")
    assert all("DRAFT" in page.strip().splitlines()[0] for page in pages)


@pytest.mark.shared_data
def test_medway_2022_document_keeps_the_themes_with_figures_and_lists_the_rest_once(medway_2022):
    body = document_body(medway_2022, 2022)
    text = re.sub(r"<[^>]+>", " ", body)
    # the partnership, named in params, on the cover and in the introduction
    assert body.count("Medway Community Safety Partnership") >= 2
    assert "Medway Community Safety Partnership brings together" in body
    # chapters for the themes with figures; none for those without: they are in one list
    for kept in ("section-all_crime", "section-asb", "section-violence_domestic_abuse", "section-substance_misuse"):
        assert f'id="{kept}"' in body
    for gone in ("section-reoffending", "section-mental_health", "section-road_safety"):
        assert f'id="{gone}"' not in body
    assert body.count('id="not-yet-supplied"') == 1
    listed = body[body.index('id="not-yet-supplied"'):]
    for theme, needs in (("Re-offending", "MoJ proven re-offending statistics"),
                         ("Mental health", "OHID Fingertips indicators"), ("Road safety", "STATS19")):
        assert f"<strong>{theme}</strong> (no figures yet): " in listed and needs in listed
    # no download steps, no "not available" pages, no grammar slips in the body
    for slip in SLIPS:
        assert slip not in text, slip
    assert not re.search(r"\b1 \w+ (?:show|have|are|were)\b", text)
    # a section with police figures but no partner inputs speaks of its figures only
    violence = body[body.index('id="section-violence_domestic_abuse"'):body.index('id="section-substance_misuse"')]
    assert "14,092 violence and sexual offences were recorded" in violence and "inputs missing" not in violence
    # comparisons only where covered: the comparison period is never offered as a comparison
    assert "compared with January 2021" not in text and "Compared with" not in text
    assert "No earlier year is in the data: change and trend start next year." in text
    # no empty columns: police counts have no interval, national figure or denominator
    substance = body[body.index('id="section-substance_misuse"'):]
    assert "95% interval" not in substance and "Count / denominator" not in substance
    # introduction and crime picture in context carry computed content, not one sentence
    introduction = body[body.index('id="introduction"'):body.index('id="executive-summary"')]
    assert "January 2022 – November 2022 (11 months: rates are over those months, not a year)" in introduction
    assert "Kent Police (data.police.uk street-level files, 11 months)" in introduction
    context = body[body.index('id="crime-in-context"'):body.index('id="section-violence_domestic_abuse"')]
    assert "Violence and sexual offences made up 50.2% of them (14,092)" in context
    assert context.count("<tr>") == 14  # a header and the 13 crime types


@pytest.mark.shared_data
def test_medway_2022_tells_one_spc_story(medway_2022):
    """One definition of each SPC statement (the latest month, as Making Data Count's icons), the same
    words in the summaries, the tables and the chart titles; the months with special cause worded
    apart; each chart printed once; limits of counts never below 0; a peak only where SPC shows one."""
    crime = json.loads((medway_2022 / "findings" / "all_crime.json").read_text())
    asb = json.loads((medway_2022 / "findings" / "asb.json").read_text())
    html = (medway_2022 / "strategic-assessment-2022.html").read_text(encoding="utf-8")
    for name, signal in crime["spc_signals"].items():
        assert f'alt="Chart: {name}: {signal["variation"]}.' in html  # the chart's title says the same
        for row in crime["by_type"]:
            if row["category"] == name:
                assert row["spc_variation"] == signal["variation"]
    drugs = next(r for r in crime["by_type"] if r["category"] == "Drugs")
    assert drugs["spc_variation"] == "common cause" and drugs["spc_direction"] is None  # Nov 22 is common cause
    assert drugs["spc_special_months"] == 1  # Oct 22, outside the limits: said apart, as a month of the period
    assert "Drugs: special cause of concern" not in html
    assert "over Jan 22 – Nov 22: drugs, special cause of concern in 1 month." in html
    assert asb["spc_special_months"] == {
        "Anti-social behaviour": "special cause in 7 months (5 of concern, 2 of improvement)"}
    assert ("In the latest month (Nov 22) SPC shows common cause variation in anti-social behaviour. Over Jan 22 – "
            "Nov 22 there was special cause in 7 months (5 of concern, 2 of improvement).") in html
    # the violence chart once, though two sections draw it
    assert html.count('alt="Chart: Violence and sexual offences: common cause.') == 1
    # a peak is named only where SPC shows one: ASB's August is special cause, crime's June 4.7% above the mean is not
    assert "Recorded crimes peaked" not in html and "busiest month Jun 22 (2,670, 4.7% above the monthly mean)" in html
    assert "ASB incidents peaked in Aug 22 (special cause, SPC)" in html
    # counts: no process limit below 0, and the SPC notes say so
    section_html = (medway_2022 / "01_all_crime.html").read_text(encoding="utf-8")
    assert ("A count cannot go below 0, so where a lower process limit works out below 0 it is shown as 0 "
            "(Bicycle theft, Possession of weapons, Theft from the person).") in section_html
    from conftest import SHARED_DATA
    from csp_assessment.sections import open_section

    section = open_section("all_crime", year=2022, area="E06000035", data_dir=SHARED_DATA, period_from="2022-01",
                           period_to="2022-11", processed_dir=medway_2022.parents[1] / "processed")
    assert len(section.spc_results) == 14  # all crime and its 13 types
    assert all((result.table["lpl"] >= 0).all() for result in section.spc_results.values())
    assert sorted(n for n, r in section.spc_results.items() if r.floored) == [
        "Bicycle theft", "Possession of weapons", "Theft from the person"]


def medway_counts(shared_data: Path) -> dict:
    """Medway's street records of 2022 counted with the csv module alone: crimes and ASB incidents,
    by month, by crime type and, for crimes, by ward (the ONS LSOA 2011 -> ward 2017 lookup)."""
    with open(shared_data / "ons" / "lsoa11-ward17-lad17-lookup.csv", newline="", encoding="utf-8-sig") as fh:
        ward_of = {r["LSOA11CD"]: r["WD17NM"] for r in csv.DictReader(fh) if r["LAD17CD"] == "E06000035"}
    counts = {"crime": 0, "asb": 0, "crime_month": {}, "asb_month": {}, "type": {}, "ward": {}}
    for path in sorted((shared_data / "police-uk").glob("*/*-street.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["LSOA code"] not in ward_of:
                    continue
                kind = "asb" if row["Crime type"] == "Anti-social behaviour" else "crime"
                counts[kind] += 1
                counts[f"{kind}_month"][row["Month"]] = counts[f"{kind}_month"].get(row["Month"], 0) + 1
                if kind == "crime":
                    counts["type"][row["Crime type"]] = counts["type"].get(row["Crime type"], 0) + 1
                    ward = ward_of[row["LSOA code"]]
                    counts["ward"][ward] = counts["ward"].get(ward, 0) + 1
    return counts


def every_table_and_chart_links_to_its_data(report_dir: Path, year: int) -> None:
    """Issue 23: under every table and every chart of the document, before the next heading, a
    'Data: table ...' line naming the workbook's sheet and leading to it and to the CSV."""
    html = (report_dir / f"strategic-assessment-{year}.html").read_text(encoding="utf-8")
    body = html[html.index('class="csp-contents"'):]
    starts = [m.start() for m in re.finditer(r'<table\b|<figure class="csp-figure"', body)]
    assert len(starts) > 10
    for start in starts:
        rest = body[start:]
        heading = re.search(r"<h[1-3]\b", rest)
        link = rest.find('class="csp-data-link"')
        assert 0 < link < (heading.start() if heading else len(rest)), rest[:200]


def test_the_tables_behind_the_demo_document(demo_run):
    """Issue 23: the workbook beside the document to the GSS's "Releasing statistics in spreadsheets"
    (structure checked in test_workbook.check_workbook), its CSVs read back equal to it, every table and
    chart of the document linked to its sheet, and figures equal to the published Medway 2017 ones the
    demo reproduces (23,125 crimes, 20,285 before; 7,077 ASB incidents, 8,978 before) and to the demo's
    STATS19 casualties counted with the csv module in test_road_safety (KSI 88, 79, 92, 84, 103)."""
    tables = check_workbook(demo_run / "strategic-assessment-2017-tables.xlsx")
    check_csvs(demo_run, tables)
    linked = {i for ids in document_links(demo_run, 2017) for i in ids}
    every_table_and_chart_links_to_its_data(demo_run, 2017)
    # every table of the document and every chart's data has its sheet
    for name in ("key_figures", "crime_summary", "crime_trend", "crime_monthly", "crime_wards", "crime_spc",
                 "crime_by_type", "asb_summary", "asb_spc", "asb_wards", "violence_summary", "violence_wards",
                 "domestic_abuse_latest", "domestic_abuse_repeat", "domestic_abuse_trends", "substance_misuse_latest",
                 "substance_misuse_trends", "drug_charges", "drug_searches", "reoffending_latest",
                 "mental_health_latest", "road_casualties", "road_users", "priorities", "priority_evidence",
                 "priority_scores", "priority_progress", "data_sources"):
        assert name in tables and name in linked, name

    def column(name, header):
        head, rows = tables[name]
        return [row[head.index(header)] for row in rows]

    key = {row[0]: row for row in tables["key_figures"][1]}
    head = tables["key_figures"][0]
    assert key["All recorded crime"][head.index("Records (count)")] == 23125
    assert key["All recorded crime"][head.index("Records in the comparison period (count)")] == 20285
    assert key["Anti-social behaviour"][head.index("Change (count)")] == 7077 - 8978
    assert column("crime_trend", "Crimes (count)")[-2:] == [20285, 23125]
    assert sum(column("crime_monthly", "Crimes (count)")) == 23125
    assert sum(column("crime_monthly", "Crimes a year before (count)")) == 20285
    assert column("crime_wards", "Ward") == ["River", "Gillingham South", "Gillingham North", "Luton and Wayfield",
                                             "Chatham Central"]
    assert column("road_casualties", "KSI as reported (count)") == [88, 79, 92, 84, 103]
    assert column("road_casualties", "All casualties (count)")[-1] == 861
    # the SPC series with its mean and limits, checked by hand from the sheet's own counts: mean ± 2.66 x the
    # mean moving range, moving ranges of 3.267 x their mean or more left out (NHS Making Data Count)
    head, rows = tables["crime_spc"]
    series = [row for row in rows if row[head.index("Series")] == "All crime"]
    values = [row[head.index("Crimes (count)")] for row in series]
    assert len(values) == 60 and sum(values[-12:]) == 23125
    mean = sum(values) / len(values)
    ranges = [abs(b - a) for a, b in zip(values, values[1:])]
    kept = [r for r in ranges if r < 3.267 * sum(ranges) / len(ranges)]
    mr = sum(kept) / len(kept)
    for row in series:
        assert row[head.index("Mean (count)")] == pytest.approx(mean, abs=0.006)
        assert row[head.index("Upper process limit (count)")] == pytest.approx(mean + 2.66 * mr, abs=0.006)
        assert row[head.index("Lower process limit (count)")] == pytest.approx(max(0, mean - 2.66 * mr), abs=0.006)
        outside = not mean - 2.66 * mr <= row[head.index("Crimes (count)")] <= mean + 2.66 * mr
        assert ("outside limits" in row[head.index("Rules met")]) == outside
        assert (row[head.index("Special cause")] == "yes") == (row[head.index("Rules met")] != "none")
    # the cover says what the document says: synthetic data, the partnership, the period
    book = openpyxl.load_workbook(demo_run / "strategic-assessment-2017-tables.xlsx")
    cover = " ".join(str(c.value) for c in book["Cover"]["A"] if c.value)
    assert "Synthetic demonstration data" in cover and "Medway Community Safety Partnership" in cover
    assert "Apr 2016 to Mar 2017" in cover
    # the PDF names the table ids
    text = pdf_text(demo_run / "strategic-assessment-2017.pdf")
    assert "Data: table crime_trend (xlsx, csv)" in text and "crime_spc" in text


@pytest.mark.shared_data
def test_medway_2022_tables_match_an_independent_count(medway_2022, shared_data):
    """The real-data run's workbook and CSVs, to the same standard, with figures equal to Medway's
    street records counted with the csv module (28,046 crimes, 4,689 ASB incidents in Jan-Nov 2022):
    by month (the SPC series), by crime type and by ward (the top five)."""
    counts = medway_counts(shared_data)
    assert (counts["crime"], counts["asb"]) == (28_046, 4_689)
    tables = check_workbook(medway_2022 / "strategic-assessment-2022-tables.xlsx")
    check_csvs(medway_2022, tables)
    document_links(medway_2022, 2022)
    every_table_and_chart_links_to_its_data(medway_2022, 2022)

    def rows(name):
        head, body = tables[name]
        return [dict(zip(head, row)) for row in body]

    key = {row["Section"]: row for row in rows("key_figures")}
    assert key["All recorded crime"]["Records (count)"] == 28_046
    assert key["Anti-social behaviour"]["Records (count)"] == 4_689
    assert key["All recorded crime"]["Change (count)"] == "[x]"  # no 2021 files: not available, said so
    spc = [row for row in rows("crime_spc") if row["Series"] == "All crime"]
    assert {pd.Period(row["Month"], "M").strftime("%Y-%m"): row["Crimes (count)"] for row in spc} == counts["crime_month"]
    asb = {pd.Period(row["Month"], "M").strftime("%Y-%m"): row["ASB incidents (count)"] for row in rows("asb_spc")}
    assert asb == counts["asb_month"]
    by_type = {row["Crime type"]: row["Crimes (count)"] for row in rows("crime_by_type")}
    assert by_type == counts["type"]
    top = sorted(counts["ward"].items(), key=lambda item: (-item[1], item[0]))[:5]
    assert [(row["Ward"], row["Crimes (count)"]) for row in rows("crime_wards")] == top
    assert "Synthetic" not in " ".join(str(c.value) for c in openpyxl.load_workbook(
        medway_2022 / "strategic-assessment-2022-tables.xlsx")["Cover"]["A"] if c.value)


@pytest.mark.shared_data
def test_medway_2022_run_log_says_how_to_add_each_missing_input(medway_2022):
    log = (medway_2022 / "run.log").read_text(encoding="utf-8")
    assert "input    Re-offending: No MoJ proven re-offending statistics are in the data folder; to add them" in log
    assert "input    Road safety: No DfT road safety data (STATS19)" in log


def test_luton_2024_headline_figures_match_an_independent_count(luton_2024):
    """Luton's crimes, ASB and rate per 1,000 recounted with the csv module: the Bedfordshire street
    files' rows whose LSOA code is one of Luton's LSOA 2021 codes in the ONS LSOA 2021 -> ward 2024 ->
    LAD 2024 lookup (rows with no LSOA belong to no area; City of London's files are another force's),
    over the rate's population, ONS mid-2024 for Luton (the period's own year, in mye24tablesew.csv)."""
    lookup = CURRENT_DATA / "ons" / "LSOA_(2021)_to_Electoral_Ward_(2024)_to_LAD_(2024)_Best_Fit_Lookup_in_EW.csv"
    with open(lookup, newline="", encoding="utf-8-sig") as fh:
        luton_lsoas = {r["LSOA21CD"] for r in csv.DictReader(fh) if r["LAD24CD"] == LUTON}
    crimes = asb = without_lsoa = 0
    for month in range(1, 13):
        path = CURRENT_DATA / "police-uk" / f"2024-{month:02d}" / f"2024-{month:02d}-bedfordshire-street.csv"
        with open(path, newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                without_lsoa += not row["LSOA code"]
                if row["LSOA code"] in luton_lsoas:
                    asb += row["Crime type"] == "Anti-social behaviour"
                    crimes += row["Crime type"] != "Anti-social behaviour"
    with open(CURRENT_DATA / "ons" / "mid-year-estimates" / "mye24tablesew.csv", newline="", encoding="utf-8-sig") as fh:
        population = next(int(r["All ages"]) for r in csv.DictReader(fh) if r["Code"] == LUTON)
    assert without_lsoa > 0 and population == 239_090
    crime = json.loads((luton_2024 / "findings" / "all_crime.json").read_text())
    found_asb = json.loads((luton_2024 / "findings" / "asb.json").read_text())
    assert (crime["count"], found_asb["count"]) == (crimes, asb)
    assert (crime["population"], crime["population_year"]) == (population, 2024)
    assert crime["rate_per_1000"] == round(1000 * crimes / population, 1)
    assert found_asb["rate_per_1000"] == round(1000 * asb / population, 1)
    headline = (f"{crimes:,} crimes were recorded in Luton in Jan 24 – Dec 24, {1000 * crimes / population:.1f} per "
                "1,000 residents.")
    assert crime["headline"].startswith(headline) and crime["rate_note"] == ""  # mid-2024: the period's own year
    document = (luton_2024 / "strategic-assessment-2024.html").read_text(encoding="utf-8")
    assert headline in document
    assert f"{asb:,} ASB incidents were recorded in Luton in Jan 24 – Dec 24, {1000 * asb / population:.1f}" in document


def test_luton_2024_document_names_the_partnership_without_gaps_or_slips(luton_2024):
    body = document_body(luton_2024, 2024)
    text = re.sub(r"<[^>]+>", " ", body)
    assert "Luton Community Safety Partnership brings together" in body
    assert body.index("Luton Community Safety Partnership") < body.index('id="introduction"')  # on the cover
    for slip in SLIPS:
        assert slip not in text, slip
    # outcomes and searches of another force (City of London's files) are not Luton's: no table of zeros
    assert "Drug offences with an outcome" not in body
    assert "data.police.uk outcomes files of Bedfordshire Police" in body  # listed as not yet supplied


def test_data_notes_name_files_from_the_data_folder_and_only_the_areas_own_force(medway_2022, luton_2024):
    """The notes print no folder of the analyst's machine, and a warning about another force's file
    (City of London's January 2024 street file repeats Crime IDs) is not in Luton's document, whose
    records are Bedfordshire's; the run log keeps every warning."""
    medway = (medway_2022 / "strategic-assessment-2022.html").read_text(encoding="utf-8")
    # the real Kent file for November 2022 repeats one Crime ID (an independent count in the ingest tests)
    assert "police-uk/2022-11/2022-11-kent-street.csv repeats 1 Crime ID;" in medway
    luton = (luton_2024 / "strategic-assessment-2024.html").read_text(encoding="utf-8")
    for document in (medway, luton):
        assert str(SHARED_DATA.resolve()) not in document and str(CURRENT_DATA.resolve()) not in document
    assert "city-of-london-street.csv repeats" not in luton  # (Annex D still lists every file the run read)
    assert "2024-01-city-of-london-street.csv repeats" in (luton_2024 / "run.log").read_text(encoding="utf-8")


def test_notebook_runs_as_it_is_with_its_default_parameters(tmp_path):
    """What an analyst does in JupyterLab: open the notebook and run every cell, changing nothing.

    The defaults use data/raw, where the demo data are generated if it is empty (git-ignored).
    """
    import os

    import papermill

    os.environ.pop("MPLBACKEND", None)
    output = tmp_path / "asb.ipynb"
    papermill.execute_notebook(str(PROJECT_ROOT / "notebooks" / "02_asb.ipynb"), str(output),
                               kernel_name="python3", cwd=str(PROJECT_ROOT / "notebooks"), progress_bar=False)
    text = output.read_text()
    assert "7,077 ASB incidents were recorded in Medway in Apr 16 – Mar 17" in text
    assert "image/svg+xml" in text


def test_the_whole_document(demo_run, demo_dir):
    html = (demo_run / "strategic-assessment-2017.html").read_text()
    assert 'href="strategic-assessment-2017.pdf"' in (demo_run / "index.html").read_text()
    # the one-page summaries hold the same kinds of entries as Medway's published table, computed
    for entry in ("Level", "Peer comparison", "Annual change", "General trend", "Seasonality",
                  "Breakdown (largest three)", "Hotspots (top 5 wards)"):
        assert f'<th scope="row">{entry}</th>' in html
    assert "23,125 / 83.0 per 1,000 residents (population 278,542, mid-2016)" in html
    assert "open_section" not in html and "Traceback" not in html
    # data sources from the manifest, a publisher's monthly files in one row: files, months covered,
    # rows used and set aside (counted here with the csv module), and the same month by month
    by_month = {}
    for path in sorted(demo_dir.rglob("*-kent-street.csv")):
        aside = count_street_rows(path, **{"LSOA code": ""})
        by_month[path.name[:7]] = (count_street_rows(path) - aside, aside)
    used, aside = (sum(counts) for counts in zip(*by_month.values()))
    assert ('<td class="csp-text">data.police.uk: street-level crime and ASB, Kent Police</td><td class="csp-text csp-files">'
            "60 files: 2012-04-kent-street.csv to 2017-03-kent-street.csv</td>"
            f'<td class="csp-text">April 2012 – March 2017</td><td>{used:,}</td>'
            f'<td class="csp-text">{aside:,} (no location (no LSOA))</td>') in html
    assert html.count("kent-street.csv") == 2
    assert "Apr 12: {:,} ({:,}); May 12".format(*by_month["2012-04"]) in html
    assert "; Mar 17: {:,} ({:,})</td>".format(*by_month["2017-03"]) in html
    # chapters numbered in the contents, annexes lettered, not numbered as chapters
    assert '<span class="csp-toc-number">1.</span> Introduction</a>' in html
    assert '<a class="csp-toc" href="#annex-spc">Annex A: SPC charts by type</a>' in html
    # the partnership's example texts, in their places
    assert "The partnership attended <strong>40</strong> community events" in html
    assert html.index('id="overview"') < html.index("operational group met monthly") < html.index('id="section-all_crime"')
    # the domestic abuse and violent crime section: its page, its summary, and re-offending without domestic abuse
    violence = json.loads((demo_run / "findings" / "violence_domestic_abuse.json").read_text())
    crime = json.loads((demo_run / "findings" / "all_crime.json").read_text())
    assert violence["count"] == next(r["records"] for r in crime["breakdown"]
                                     if r["category"] == "Violence and sexual offences")
    assert violence["repeat_victims"]["verdict"] == "no significant change"
    assert 'id="section-violence_domestic_abuse"' in html
    assert f"{violence['count']:,} violence and sexual offences were recorded in Medway" in html
    assert "Repeat victims were 26.4% of domestic abuse victims in 2016/17 (1,125 of 4,262)" in html
    reoffending = json.loads((demo_run / "findings" / "reoffending.json").read_text())
    assert not [m for m in reoffending["measures"] if "omestic abuse" in m["measure"]]
    text = pdf_text(demo_run / "strategic-assessment-2017.pdf")
    for expected in ("Contents", "Executive summary", "23,125 crimes were recorded", "7,077 ASB incidents",
                     "Domestic abuse and violent crime",
                     "The crime picture in context", "Listening to the public", "Background and data", "Glossary",
                     "Synthetic demonstration data"):
        assert expected in text, expected


def page_texts(pdf: Path) -> list[str]:
    return pdf_text(pdf).split("\f")[:-1]


def test_the_document_is_concise_and_prints_cleanly(demo_run):
    pdf = demo_run / "strategic-assessment-2017.pdf"
    pages = page_texts(pdf)
    first_lines = [page.strip().splitlines()[0].strip() if page.strip() else "" for page in pages]
    first_annex = next(i for i, line in enumerate(first_lines) if line.startswith("Annex"))
    assert first_annex <= 25, f"the body runs to {first_annex} pages"
    # every annex starts a page whose first line names it, and the annexes are all at the end
    assert all(line.startswith("Annex") for line in first_lines[first_annex:])
    assert sorted(set(first_lines[first_annex:])) == [
        "Annex A: SPC charts by type", "Annex B: Indicator trend charts", "Annex C: How priorities are scored",
        "Annex D: Data sources and notes"]
    # every word inside the page: test_every_pdf_of_a_run_prints_every_word_inside_the_page
    # wording defects found on earlier runs
    text = "\n".join(pages)
    assert "Asb incidents" not in text
    assert not re.search(r"from ([\d.,]+%?) \([^)]*\) to \1 \(", text), "a change between equal printed values"
    # the SPC table's column for the period's last month names that month
    assert "Latest month (Mar 17)" in (demo_run / "01_all_crime.html").read_text()


RUNS = ["demo_run", pytest.param("medway_2022", marks=pytest.mark.shared_data)]


@pytest.mark.parametrize("run", RUNS)
def test_every_pdf_of_a_run_prints_every_word_inside_the_page(run, request):
    """Issue 21: each reviewers' PDF (the sections' and the document's, printed as the run printed
    them: Chromium when installed) holds every paragraph, list item, heading, caption and table
    cell of its HTML whole, and prints no word within 16 mm of a page side; on the demo and on a
    real partnership's document (Medway 2022, whose Annex D lost a column and a half)."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    report_dir = request.getfixturevalue(run)
    pages = [page for page in sorted(report_dir.glob("*.html")) if page.name != "index.html"
             and not page.name.endswith("-analyst.html")]
    assert len(pages) == 8  # seven sections and the document
    unfaithful = {page.name: str(found) for page in pages
                  if not (found := check_print(page, page.with_suffix(".pdf"))).faithful}
    assert unfaithful == {}


@pytest.mark.parametrize("run", RUNS)
def test_the_document_printed_by_weasyprint_keeps_every_word_inside_the_page(run, request, tmp_path, monkeypatch):
    """The same with the fallback engine: the run's document exported again with WeasyPrint."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    report_dir = request.getfixturevalue(run)
    monkeypatch.setenv(chromium_pdf.ENGINE_VARIABLE, "weasyprint")
    notebook = next((report_dir / "notebooks").glob("strategic-assessment-*.ipynb"))
    printed = export_document(notebook, tmp_path, "Strategic Assessment", demo=run == "demo_run")
    assert "WeasyPrint" in subprocess.run(["pdfinfo", str(printed["pdf"])], capture_output=True, text=True).stdout
    found = check_print(printed["html"], printed["pdf"])
    assert found.faithful, str(found)


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian package: chromium)")
def test_document_loads_in_chromium_with_every_chart(demo_run, tmp_path):
    """The reviewers' document in a real browser: headless Chromium (Debian's chromium package)
    loads it with no script errors and every chart image decodes."""
    html = (demo_run / "strategic-assessment-2017.html").read_text(encoding="utf-8")
    charts = len(re.findall(r'<img alt="Chart: ', html))
    probe_page = tmp_path / "probe.html"
    # The page forbids scripts (its Content-Security-Policy): the probe copy leaves the policy out to run its own.
    policy = re.compile(r'<meta[^>]*http-equiv="Content-Security-Policy"[^>]*>')
    assert policy.search(html)
    probe_page.write_text(policy.sub("", html).replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=20000", "--dump-dom", probe_page.as_uri()],
        capture_output=True, text=True, timeout=180).stdout
    found = re.search(r'<pre id="csp-probe">(.*?)</pre>', dom, re.S)
    assert found, "the page never finished loading in Chromium"
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["errors"] == []
    # every image is a chart with alt text, and the browser has each: at least the key charts of crime
    # and ASB (2), the risk-versus-capacity chart of the priorities (1) and the SPC annex's all crime,
    # its 13 crime types and ASB (15); every other section adds its own
    assert result["images"] == charts == html.count("<img ") and charts > 18
    assert result["broken"] == [] and result["without_alt"] == 0


SECTION_STEMS = ("01_all_crime", "02_asb", "03_substance_misuse", "04_reoffending", "05_mental_health",
                 "06_violence_domestic_abuse", "07_road_safety")


def test_a_one_section_rerun_keeps_every_other_section(demo_run, demo_dir):
    """`--sections all_crime` after a full run: only all crime executes (forced, as after an edit
    of its notebook); every other section's findings, reports and executed notebook stay as they
    were and the document keeps them all; the log names the reused sections; a full run then finds
    nothing to do. Last in this module: it reruns into the module's report, which it leaves whole."""
    files = {f"{stem}{suffix}" for stem in SECTION_STEMS for suffix in (".html", "-analyst.html", ".pdf")}
    before = {name: (demo_run / name).read_bytes() for name in files if not name.startswith("01_")}
    before.update({f"findings/{p.name}": p.read_bytes() for p in (demo_run / "findings").glob("*.json")
                   if p.stem != "all_crime"})
    # the tables the reused sections recorded, and their CSVs, are carried over with them (issue 23)
    before.update({f"findings/tables/{p.name}": p.read_bytes() for p in (demo_run / "findings" / "tables").glob("*.json")
                   if p.stem != "all_crime"})
    before.update({f"tables/{p.name}": p.read_bytes() for p in (demo_run / "tables").glob("asb_*.csv")})
    sheets = set(check_workbook(demo_run / "strategic-assessment-2017-tables.xlsx"))
    pages = len(page_texts(demo_run / "strategic-assessment-2017.pdf"))
    options = dict(data_dir=demo_dir, processed_dir=demo_run.parent.parent / "processed",
                   out_dir=demo_run.parent.parent / "reports")

    progress = Progress()
    assert main(load_config(2017, sections="all_crime", **options), progress, force=True) == demo_run
    executed = [line for line in progress.lines if "executed in" in line]
    assert len(executed) == 1 and "All recorded crime" in executed[0]
    assert any(line.endswith("sections reused from the last run: asb, violence_domestic_abuse, substance_misuse, "
                             "reoffending, mental_health, road_safety") for line in progress.lines)
    assert "sections reused from the last run" in (demo_run / "run.log").read_text()
    for name in files | {f"notebooks/{stem}.ipynb" for stem in SECTION_STEMS}:
        assert (demo_run / name).is_file(), name
    assert {name: (demo_run / name).read_bytes() for name in before} == before
    assert set(check_workbook(demo_run / "strategic-assessment-2017-tables.xlsx")) == sheets
    html = (demo_run / "strategic-assessment-2017.html").read_text()
    for key in ("all_crime", "asb", "violence_domestic_abuse", "substance_misuse", "reoffending", "mental_health",
                "road_safety"):
        assert f'id="section-{key}"' in html, key
    assert len(page_texts(demo_run / "strategic-assessment-2017.pdf")) == pages
    # the ASB priority keeps its own measure (from the ASB section's findings, reused)
    ranked = json.loads((demo_run / "priorities.json").read_text())["ranked"]
    asb = next(theme for theme in ranked if theme["theme_key"] == "asb")
    assert "Anti-social behaviour" in [m["measure"] for m in asb["measures"]]
    manifest = json.loads((demo_run / "manifest.json").read_text())
    assert manifest["sections"]["all_crime"]["executed"] is True
    assert manifest["sections"]["asb"] == {"key": manifest["sections"]["asb"]["key"], "executed": False,
                                           "reused_from_last_run": True, "up_to_date": True}

    # every section's recorded key is current: a full run has nothing to do
    progress = Progress()
    main(load_config(2017, **options), progress)
    assert "nothing changed since the last run" in progress.lines[-1]

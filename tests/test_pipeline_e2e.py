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

import pytest

import pipeline
from conftest import PROJECT_ROOT, count_street_rows
from csp_assessment.config import load_config
from csp_assessment.report import chromium_pdf
from csp_assessment.report.document import export_document
from csp_assessment.report.print_check import check_print
from csp_assessment.run import main

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
    assert findings["spc_variation"] == "special cause concerning"
    assert {"category": "All crime", "direction": "concern"} in findings["special_causes"]
    assert "Categories showing special cause in Apr 16 – Mar 17" in html
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
    assert findings["spc_variation"] == "special cause improving"  # ASB fell


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
    assert "an increase of 12.0% over the three years 2014–2016: 2016 – 103, 2015 – 84, 2014 – 92" in html
    document = (demo_run / "strategic-assessment-2017.html").read_text()
    assert 'id="section-road_safety"' in document and "Road casualties by year, Medway" in document


def test_pdf_holds_the_headline_figures(demo_run):
    text = pdf_text(demo_run / "01_all_crime.pdf")
    assert "23,125" in text and "Page 1 of" in text and "Synthetic demonstration data" in text


def test_cli_errors_are_clear(capsys):
    assert pipeline.cli(["--year", "1999"]) == 2
    assert "Years with params: 2017, 2022" in capsys.readouterr().err
    assert pipeline.cli(["--year", "2017", "--area", "nowhere"]) == 2


@pytest.fixture(scope="module")
def medway_run(tmp_path_factory) -> Path:
    """Medway's 2022 assessment (Jan–Nov) from the real Kent files, every section: the real-data
    document the print checks read, as a partnership starting with police and ONS files has it."""
    from conftest import SHARED_DATA

    if not (SHARED_DATA / "police-uk").is_dir():
        pytest.skip(f"the real public files are not at {SHARED_DATA} (they sit beside the clone in CI)")
    root = tmp_path_factory.mktemp("medway-run")
    config = load_config(2022, area="E06000035", data_dir=SHARED_DATA, period_from="2022-01", period_to="2022-11",
                         processed_dir=root / "processed", out_dir=root / "reports")
    return main(config)


@pytest.mark.shared_data
def test_medway_2022_from_the_real_kent_files(shared_data, medway_run):
    medway_lsoas = set()
    with open(shared_data / "ons" / "lsoa11-ward17-lad17-lookup.csv", newline="", encoding="utf-8-sig") as fh:
        medway_lsoas = {r["LSOA11CD"] for r in csv.DictReader(fh) if r["LAD17CD"] == "E06000035"}
    crimes = asb = 0
    for path in sorted((shared_data / "police-uk").glob("*/*-street.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["LSOA code"] in medway_lsoas:
                    asb += row["Crime type"] == "Anti-social behaviour"
                    crimes += row["Crime type"] != "Anti-social behaviour"
    report_dir = medway_run
    crime = json.loads((report_dir / "findings" / "all_crime.json").read_text())
    assert crime["count"] == crimes
    assert crime["change"] is None  # no 2021 files: said plainly, not computed
    assert crime["population_year"] == 2020  # latest estimate in the folder is mid-2020
    assert any("mid-2020" in note for note in crime["data_notes"])
    assert json.loads((report_dir / "findings" / "asb.json").read_text())["count"] == asb
    html = (report_dir / "01_all_crime.html").read_text()
    assert f"{crimes:,} crimes were recorded in Medway in Jan 22 – Nov 22" in html
    assert "No comparison with Jan 21 – Nov 21 is possible" in html
    assert "Synthetic demonstration data" not in html
    assert crime["spc_variation"] is not None and "trial limits" in html  # 11 months: fewer than 12
    # an 11-month period is never called a 12-month one, and its rates say how long they cover
    assert "per 1,000 residents over 11 months" in html and "12-month" not in html
    assert "the data cover only Jan 22 – Nov 22" in html
    # no narrative files with the real data: the document leaves those parts out
    document = (report_dir / "strategic-assessment-2022.html").read_text()
    assert "Listening to the public" not in document and "The partnership's commentary" not in document
    assert "The crime picture in context" in document


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
    assert "Signal in Mar 17" in (demo_run / "01_all_crime.html").read_text()


RUNS = ["demo_run", pytest.param("medway_run", marks=pytest.mark.shared_data)]


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

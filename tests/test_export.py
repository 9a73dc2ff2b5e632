"""Export of executed section notebooks to reviewer HTML, analyst HTML, PDF, and the report index."""

from __future__ import annotations

import base64
import http.server
import re
import shutil
import subprocess
import threading
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from csp_assessment.report.export import (DEMO_NOTICE, ExportError, analyst_only_cells, export_section, html_to_pdf,
                                          write_index)

papermill = pytest.importorskip("papermill")

MARKDOWN_SENTENCE = "Recorded crime fell by five per cent on the previous year."
TABLE_CODE_MARKER = "summary_table_for_export_test"  # one identifier, so syntax highlighting cannot split it
WARNING_TEXT = "coverage of March is incomplete for export test"
STDERR_TEXT = "stderr line for export test"
HIDDEN_CELL_TEXT = "output of a cell tagged remove_cell"
INJECTED_AREA = "Testshire"
ANALYST_FRAME = "analyst_frame_for_export_test"
RAW_RATE = "346.375618"
PRINTED_TEXT = "printed by an analyst for export test"
STYLED_CAPTION = "Rate by ward, styled for reviewers"
TITLE = "All recorded crime"

NEEDS_PDFTOTEXT = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (Debian package poppler-utils) is not installed"
)


def _section_notebook() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        new_code_cell("area_name = 'Nowhere'\nyear = 2024", metadata={"tags": ["parameters"]}),
        new_code_cell(
            "import matplotlib.pyplot as plt\n"
            "import matplotlib_inline.backend_inline\n"
            "import pandas as pd\n"
            "from IPython.display import display\n"
            "matplotlib_inline.backend_inline.set_matplotlib_formats('svg')\n"
            f"print('{HIDDEN_CELL_TEXT}')",
            metadata={"tags": ["remove_cell"]},
        ),
        new_code_cell(
            f"{TABLE_CODE_MARKER} = pd.DataFrame({{'Crime type': ['Burglary', 'Theft'], 'Offences': [12345, 6789]}})\n"
            f"display({TABLE_CODE_MARKER}.style.format({{'Offences': '{{:,}}'}}).hide(axis='index'))"
        ),
        new_code_cell(
            "import sys, warnings\n"
            f"print('{STDERR_TEXT}', file=sys.stderr)\n"
            f"warnings.warn('{WARNING_TEXT}')"
        ),
        new_markdown_cell(MARKDOWN_SENTENCE),
        new_code_cell(
            "fig, ax = plt.subplots()\nax.plot([1, 2, 3], [3, 1, 2])\nax.set_title('Monthly offences')\nplt.show()",
            metadata={"tags": ["remove_input"]},
        ),
        new_code_cell(
            "matplotlib_inline.backend_inline.set_matplotlib_formats('png')\n"
            "fig, ax = plt.subplots()\nax.bar(['A', 'B'], [2, 3])\nplt.show()"
        ),
        # An analyst's own cells: a DataFrame as pandas prints it (index column, every decimal), a
        # bare number and printed text; then the same frame shown through the report's styling.
        new_code_cell(f"{ANALYST_FRAME} = pd.DataFrame({{'rate': [{RAW_RATE}]}}, index=['Ward A'])\n{ANALYST_FRAME}",
                      metadata={"tags": ["doc_table"]}),
        new_code_cell("round(2 ** 0.5, 6)"),
        new_code_cell(f"print('{PRINTED_TEXT}')"),
        new_code_cell("from csp_assessment.sections.base import show_table\n"
                      f"show_table({ANALYST_FRAME}.rename_axis('Ward'), '{STYLED_CAPTION}')",
                      metadata={"tags": ["doc_table"]}),
    ]
    return nb


@pytest.fixture(scope="module")
def executed_notebook(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("notebooks")
    source = folder / "01_all_crime_template.ipynb"
    executed = folder / "01_all_crime.ipynb"
    nbformat.write(_section_notebook(), source)
    with pytest.MonkeyPatch.context() as mp:
        # An inherited MPLBACKEND=Agg would replace the inline backend and the charts would vanish.
        mp.delenv("MPLBACKEND", raising=False)
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters={"area_name": INJECTED_AREA},
            kernel_name="python3",
            cwd=str(folder),
            progress_bar=False,
        )
    return executed


@pytest.fixture(scope="module")
def exported(executed_notebook, tmp_path_factory) -> dict[str, Path]:
    out_dir = tmp_path_factory.mktemp("html")
    return export_section(executed_notebook, out_dir, title=TITLE, subtitle="Test CSP, 2024", demo_notice=True)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def _squash(text: str) -> str:
    """Collapse whitespace: pdftotext breaks lines wherever the PDF wraps them."""
    return " ".join(text.split())


def _external_loads(page: str) -> list[str]:
    """Attributes and CSS that would make a browser fetch something from the network."""
    url = r"""["']?\s*(?:https?:)?//[^"'\s>)]*"""
    patterns = [rf"\bsrc\s*=\s*{url}", rf"<link\b[^>]*\bhref\s*=\s*{url}", rf"url\(\s*{url}", r"@import\b[^;]*"]
    return [hit for pattern in patterns for hit in re.findall(pattern, page, flags=re.IGNORECASE)]


def _embedded_svg_charts(page: str) -> list[str]:
    encoded = re.findall(r'jp-RenderedSVG[^>]*>\s*<img\b[^>]*\bsrc="data:image/svg\+xml;base64,([A-Za-z0-9+/=\s]+)"', page)
    return [base64.b64decode(data).decode("utf-8") for data in encoded]


def test_writes_three_files(exported):
    assert set(exported) == {"html_code", "html", "pdf"}
    assert exported["html"].name == "01_all_crime.html"
    assert exported["html_code"].name == "01_all_crime-analyst.html"
    assert exported["pdf"].name == "01_all_crime.pdf"
    for path in exported.values():
        assert path.is_file() and path.stat().st_size > 0
    assert not [p for p in exported["html"].parent.iterdir() if p.name.endswith(".tmp")]


def test_reviewer_html_shows_content_without_code_or_diagnostics(exported):
    page = _read(exported["html"])
    assert MARKDOWN_SENTENCE in page
    assert "12,345" in page
    assert TITLE in page
    for absent in (TABLE_CODE_MARKER, "set_matplotlib_formats", WARNING_TEXT, "UserWarning", STDERR_TEXT):
        assert absent not in page
    content = re.sub(r"<style\b.*?</style>", "", page, flags=re.DOTALL)  # the lab CSS mentions "Out[]"
    assert not re.search(r"In(?:\s|&nbsp;)\[|Out\[", content), "execution prompts in reviewer HTML"
    # parameters cell, papermill's injected parameters and remove_cell cells go with their output
    for absent in ("area_name", INJECTED_AREA, HIDDEN_CELL_TEXT):
        assert absent not in page


def test_an_analysts_raw_outputs_stay_in_the_analyst_html(exported, executed_notebook):
    reviewer, analyst = _read(exported["html"]), _read(exported["html_code"])
    # reviewers never get pandas' own table (index column, 346.375618), a bare value or printed text
    for absent in (RAW_RATE, 'class="dataframe"', "1.414214", PRINTED_TEXT):
        assert absent not in reviewer, absent
        assert absent in analyst, absent
    # the same frame through show_table: no index column, one decimal, the caption
    assert STYLED_CAPTION in reviewer and ">346.4<" in reviewer.replace(" ", "")
    # the run log's names for the held-back cells, numbered as in the notebook the analyst edits
    # (1 parameters, 2 remove_cell, 3 table, 4 warnings, 5 markdown, 6 and 7 charts, 8-10 the analyst's)
    first_line = f"{ANALYST_FRAME} = pd.DataFrame({{'rate': [{RAW_RATE}]}}, index=['Ward A'])"
    assert analyst_only_cells(executed_notebook) == [
        f'cell 8 ("{first_line[:60]}…")',  # a long first line is cut at 60 characters
        'cell 9 ("round(2 ** 0.5, 6)")', f'cell 10 ("print(\'{PRINTED_TEXT}\')")']


def test_the_document_takes_no_raw_output_from_a_tagged_cell(executed_notebook):
    from csp_assessment.report.document import _drawn

    tables = _drawn(executed_notebook, "doc_table")  # both analyst tables are tagged doc_table
    assert len(tables) == 1 and STYLED_CAPTION in tables[0] and RAW_RATE not in tables[0]


def test_analyst_html_has_code_and_diagnostics(exported):
    page = _read(exported["html_code"])
    assert TABLE_CODE_MARKER in page
    assert WARNING_TEXT in page
    assert INJECTED_AREA in page
    assert MARKDOWN_SENTENCE in page


@pytest.mark.parametrize("key", ["html", "html_code"])
def test_html_embeds_both_charts(exported, key):
    page = _read(exported[key])
    svg_charts = _embedded_svg_charts(page)
    assert len(svg_charts) == 1 and "<svg" in svg_charts[0]
    assert re.search(r'jp-RenderedImage[^>]*>\s*<img\b[^>]*\bsrc="data:image/png;base64,', page)


@pytest.mark.parametrize("key", ["html", "html_code"])
def test_html_is_self_contained(exported, key):
    page = _read(exported[key])
    assert _external_loads(page) == []
    assert "require.js" not in page and "mathjax" not in page.lower()


def test_html_demo_banner_at_top(exported):
    for key in ("html", "html_code"):
        page = _read(exported[key])
        body = page[page.index("<body") :]
        assert DEMO_NOTICE in page
        assert body.index(DEMO_NOTICE) < body.index(MARKDOWN_SENTENCE)


def test_pdf_is_a_pdf(exported):
    assert exported["pdf"].read_bytes().startswith(b"%PDF")


@NEEDS_PDFTOTEXT
def test_pdf_text_has_narrative_page_numbers_and_demo_notice_on_every_page(exported):
    pages = [page for page in _pdf_text(exported["pdf"]).split("\f") if page.strip()]
    assert len(pages) >= 1
    assert MARKDOWN_SENTENCE in _squash(" ".join(pages))
    for number, page in enumerate(pages, start=1):
        text = _squash(page)
        assert f"Page {number} of {len(pages)}" in text
        assert DEMO_NOTICE in text
        assert TITLE in text
    assert WARNING_TEXT not in _squash(" ".join(pages))


def test_no_demo_notice_unless_asked_and_title_escaped(executed_notebook, tmp_path):
    title = "Crime <&> ASB"
    paths = export_section(executed_notebook, tmp_path, title=title)
    for key in ("html", "html_code"):
        page = _read(paths[key])
        assert "Synthetic demonstration data" not in page
        assert "Crime &lt;&amp;&gt; ASB" in page and title not in page
    if shutil.which("pdftotext"):
        text = _squash(_pdf_text(paths["pdf"]))
        assert "Synthetic demonstration data" not in text
        assert title in text



def test_exporters_of_other_threads_reuse_the_compiled_templates(executed_notebook, tmp_path, monkeypatch):
    """Each thread makes its own exporters; the templates are compiled once for all of them, and a
    page made by a thread's fresh exporters is the same, byte for byte."""
    import jinja2
    from csp_assessment.report import export

    first = export_section(executed_notebook, tmp_path / "first", title=TITLE)
    compiled = []
    original = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda self, *args, **kwargs: compiled.append(args) or original(self, *args, **kwargs))
    monkeypatch.setattr(export, "html_to_pdf", lambda html_path, pdf_path: pdf_path)
    other = {}
    thread = threading.Thread(target=lambda: other.update(export_section(executed_notebook, tmp_path / "other",
                                                                         title=TITLE)))
    thread.start()
    thread.join()
    assert compiled == []
    for key in ("html", "html_code"):
        assert other[key].read_bytes() == first[key].read_bytes()


@pytest.mark.parametrize("html", ['<img src="files/chart.png"> <a href=\'/files/notes.pdf\'>notes</a>',
                                  "![Chart](files/chart.png) [notes](/files/notes.pdf)",
                                  '<img alt="Chart" src="data:image/svg+xml;base64,PHN2Zz4="> no such address'])
def test_markdown_addresses_lose_the_files_prefix_as_nbconvert_strips_it(html):
    from nbconvert.filters.strings import strip_files_prefix
    from csp_assessment.report.export import _strip_files_prefix

    assert _strip_files_prefix(html) == strip_files_prefix(html)
    assert "files/" not in _strip_files_prefix(html)

# ---- print-faithful pages: every word of the reviewers' HTML printed, inside the page ------------

WIDE_TABLE_COLUMNS = ["Priority", "Measure", "Apr 15 – Mar 16", "Apr 16 – Mar 17", "Change", "Change %",
                      "Target", "Status", "Latest month (SPC)"]


def _printable_notebook() -> nbformat.NotebookNode:
    """A section's shapes, as an executed notebook (outputs written in, no kernel): long paragraphs
    ending in a full stop, a list, and a nine-column table as wide as the demo's progress table."""
    long = ("Recorded crime in the assessment period Apr 16 – Mar 17 was compared with Apr 15 – Mar 16 and "
            "with the other partnerships of the force area, month by month, to Mar 17.")
    rows = "".join("<tr>" + "".join(f"<td>{value}</td>" for value in (
        "Supporting Victims and Tackling Offenders of Sexual and Domestic Abuse", "Domestic abuse repeat victims",
        "8,978 (Apr 15 – Mar 16)", "7,077 (Apr 16 – Mar 17)", "+0.2 percentage points", "-21.2%", "8,000",
        "Not met", "special cause of concern (high)")) + "</tr>" for _ in range(3))
    table = (f"<table><caption>Progress on last year's priorities</caption><thead><tr>"
             + "".join(f"<th>{c}</th>" for c in WIDE_TABLE_COLUMNS) + f"</tr></thead><tbody>{rows}</tbody></table>")
    nb = new_notebook()
    nb.cells = [new_markdown_cell(f"## Level and annual change\n\n{long} {long}\n\n- {long}\n- {long}"),
                new_code_cell("display(table)", outputs=[nbformat.v4.new_output(
                    "display_data", data={"text/html": table, "text/plain": "table"})]),
                new_code_cell("display(Markdown(text))", outputs=[nbformat.v4.new_output(
                    "display_data", data={"text/markdown": f"{long} {long} {long}", "text/plain": "text"})])]
    return nb


@pytest.fixture(params=["chromium", "weasyprint"])
def printed_page(request, tmp_path, monkeypatch) -> dict[str, Path]:
    """The printable notebook exported as a section, its PDF printed by each engine in turn."""
    from csp_assessment.report import chromium_pdf

    if request.param == "chromium" and chromium_pdf.find_chromium() is None:
        pytest.skip("headless Chromium (Debian package: chromium) or pdftotext is not installed")
    monkeypatch.setenv(chromium_pdf.ENGINE_VARIABLE, request.param)
    notebook = tmp_path / "01_all_crime.ipynb"
    nbformat.write(_printable_notebook(), notebook)
    paths = export_section(notebook, tmp_path / "out", title=TITLE, subtitle="Test CSP, 2024", demo_notice=True,
                           with_code=False)
    producer = subprocess.run(["pdfinfo", str(paths["pdf"])], capture_output=True, text=True).stdout
    assert ("WeasyPrint" in producer) == (request.param == "weasyprint")
    return paths


@NEEDS_PDFTOTEXT
def test_printed_page_keeps_every_word_inside_the_page(printed_page):
    """Every paragraph, list item, heading, caption and table cell whole in the PDF, and no word within
    16 mm of a page side (issue 21: "Mar 1" for "Mar 17", a lost full stop, a column cut in half)."""
    from csp_assessment.report.print_check import check_print

    result = check_print(printed_page["html"], printed_page["pdf"])
    assert result.faithful, str(result)


def test_nothing_on_the_printed_page_is_wider_than_the_page_or_clipped(tmp_path):
    """The root cause of the clipped text, checked on WeasyPrint's layout of a printed section: every
    box inside the page's content width (the lab theme's width:100% plus padding made every cell
    wider), and no box that clips what overflows it (its overflow hidden or scrolling)."""
    weasyprint = pytest.importorskip("weasyprint")
    notebook = tmp_path / "01_all_crime.ipynb"
    nbformat.write(_printable_notebook(), notebook)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSP_PDF_ENGINE", "weasyprint")
        page = export_section(notebook, tmp_path, title=TITLE, with_code=False)["html"]
    wider, clipping = set(), set()
    for document_page in weasyprint.HTML(filename=str(page)).render().pages:
        page_box = document_page._page_box
        left, right = page_box.margin_left, page_box.margin_width() - page_box.margin_right
        boxes = list(page_box.children)
        while boxes:
            box = boxes.pop()
            boxes.extend(getattr(box, "children", []))
            element = getattr(box, "element", None)
            # a row's box is as wide as WeasyPrint likes; its cells are what print
            if element is None or element.tag in ("tr", "tbody", "thead") or not hasattr(box, "border_width"):
                continue
            name = f"<{element.tag} class=\"{element.get('class')}\">"
            if box.border_box_x() < left - 0.5 or box.border_box_x() + box.border_width() > right + 0.5:
                wider.add(name)
            if box.style["overflow"] != "visible" and element.tag not in ("img", "svg"):
                clipping.add(name)
    assert wider == set() and clipping == set()


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        self.requests.append(self.path)
        self.send_error(404)

    def log_message(self, *args):
        pass


def test_html_to_pdf_fetches_nothing_over_http(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        page = tmp_path / "remote.html"
        page.write_text(
            f'<html><head><link rel="stylesheet" href="{base}/style.css"></head>'
            f'<body><p>Offline</p><img src="{base}/chart.png"></body></html>',
            encoding="utf-8",
        )
        pdf = html_to_pdf(page, tmp_path / "remote.pdf")
    finally:
        server.shutdown()
        server.server_close()
    assert pdf.read_bytes().startswith(b"%PDF")
    assert _CountingHandler.requests == []


def test_html_to_pdf_failure_names_file_and_leaves_nothing(tmp_path):
    missing = tmp_path / "missing.html"
    target = tmp_path / "missing.pdf"
    with pytest.raises(ExportError, match=re.escape(str(missing))):
        html_to_pdf(missing, target)
    assert list(tmp_path.iterdir()) == []


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])


def test_index_links_every_file_relatively_and_escapes_text(tmp_path):
    out_dir = tmp_path / "2024"
    files = {
        "html": out_dir / "sections" / "02_asb.html",
        "html_code": out_dir / "sections" / "02_asb-analyst.html",
        "pdf": out_dir / "sections" / "02_asb.pdf",
        "notebook": out_dir / "notebooks" / "02_asb.ipynb",
    }
    run_log = out_dir / "run.log"
    for path in [*files.values(), run_log]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")

    index = write_index(
        out_dir,
        year=2024,
        area_name="Town & <Country>",
        period_label="April 2023 to March 2024",
        sections=[{"title": "Crime <&> ASB", "summary": "Up 5% & rising", **files}],
        demo_notice=True,
        run_log=run_log,
        generated_at="2024-06-01 09:00",
    )

    assert index == out_dir / "index.html"
    page = _read(index)
    assert "Crime &lt;&amp;&gt; ASB" in page and "Crime <&> ASB" not in page
    assert "Town &amp; &lt;Country&gt;" in page
    assert "Up 5% &amp; rising" in page
    assert "April 2023 to March 2024" in page
    assert DEMO_NOTICE.replace("'", "&#x27;") in page

    parser = _Links()
    parser.feed(page)
    expected = {path.relative_to(out_dir).as_posix() for path in [*files.values(), run_log]}
    assert set(parser.hrefs) == expected
    for href in parser.hrefs:
        assert (out_dir / href).is_file()
    assert str(tmp_path) not in page


def test_index_without_demo_notice_or_run_log(tmp_path):
    index = write_index(
        tmp_path,
        year="2024",
        area_name="Town",
        period_label="2023/24",
        sections=[],
        demo_notice=False,
        generated_at="now",
    )
    page = _read(index)
    assert "Synthetic demonstration data" not in page
    assert "Run log" not in page

"""PDFs printed by headless Chromium (when installed) keep what WeasyPrint's paged CSS gives: the
running title (an annex's own from its first page), the demo notice and "Page N of M" on every page,
and the contents' page numbers; WeasyPrint prints when Chromium is absent, forced off, or fails."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from csp_assessment.report import chromium_pdf
from csp_assessment.report.export import html_to_pdf

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None or shutil.which("pdftotext") is None,
                                    reason="headless Chromium (Debian package: chromium) or pdftotext is not installed")

STYLE = """<style>
@page { size: A4; margin: 20mm 15mm 22mm;
  @top-center { content: string(csp-title); } @bottom-left { content: string(csp-demo); }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); } }
.csp-title { string-set: csp-title content(); } .csp-demo-banner { string-set: csp-demo content(); }
h1.csp-chapter { break-before: page; } h1.csp-annex { string-set: csp-title content(); }
a.csp-toc::after { content: leader(".") target-counter(attr(href), page); }
</style>"""


def _cell(body: str) -> str:
    return f'<div class="jp-Cell jp-MarkdownCell">{body}</div>'


def _document(chapter_pages: int = 2) -> str:
    """A cover (page 1), contents (page 2) and four chapters of ``chapter_pages`` pages each, the
    last two annexes: by hand, the chapters start on pages 3, 3 + n, 3 + 2n and 3 + 3n."""
    filler = "".join(f'<p style="break-before: page">Page {i + 2} of the chapter.</p>' for i in range(chapter_pages - 1))
    chapters = [("first", "First chapter", "csp-chapter"), ("second", "Second chapter", "csp-chapter"),
                ("annex-a", "Annex A: Charts", "csp-chapter csp-annex"),
                ("annex-b", "Annex B: Sources", "csp-chapter csp-annex")]
    toc = "".join(f'<li><a class="csp-toc" href="#{a}">{t}</a></li>' for a, t, _ in chapters)
    body = (_cell('<div class="csp-demo-banner">Synthetic demonstration data</div>'
                  '<h1 class="csp-cover-title csp-title">Strategic Assessment 2017</h1>')
            + _cell(f'<h2 style="break-before: page">Contents</h2><ol class="csp-contents">{toc}</ol>')
            + "".join(_cell(f'<h1 class="{css}" id="{a}">{t}</h1>{filler}') for a, t, css in chapters))
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{STYLE}</head><body>{body}</body></html>"


def _pages(pdf) -> list[list[str]]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return [[" ".join(line.split()) for line in page.splitlines() if line.strip()] for page in text.split("\f")[:-1]]


def test_print_copy_spells_out_running_strings_and_loads_nothing_remote():
    copy = chromium_pdf.print_copy(_document(), {"first": 3, "second": 5, "annex-a": 7})
    head = copy[:copy.index("</head>")]
    assert '@page { @top-center { content: "Strategic Assessment 2017"; }' in head
    assert '@bottom-left { content: "Synthetic demonstration data"; }' in head
    assert '@page csp-annex-0 { @top-center { content: "Annex A: Charts"; } }' in head
    assert ".jp-Cell.jp-Cell:has(h1#annex-a), .jp-Cell:has(h1#annex-a) ~ .jp-Cell { page: csp-annex-0; }" in head
    assert "Content-Security-Policy" in head and "img-src data: file:" in head and "http:" not in head
    assert '<span>Second chapter</span><span class="csp-toc-dots"></span><span>5</span>' in copy


def test_a_quote_in_the_title_cannot_end_the_css_string_nor_the_style():
    page = _document().replace("Strategic Assessment 2017", 'The "best" area \\ &lt;/style&gt; 2017')
    assert '@top-center { content: "The \\"best\\" area \\\\ \\3C /style> 2017"; }' in chromium_pdf.print_copy(page)


@needs_chromium
def test_chromium_pdf_has_contents_page_numbers_running_title_and_notice(tmp_path, monkeypatch):
    monkeypatch.setenv(chromium_pdf.ENGINE_VARIABLE, "auto")
    page = tmp_path / "document.html"
    page.write_text(_document(chapter_pages=2), encoding="utf-8")
    pdf = html_to_pdf(page, tmp_path / "document.pdf")
    pages = _pages(pdf)
    assert len(pages) == 10  # cover, contents, 4 chapters of 2 pages
    assert "Creator" in subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    contents = pages[1]
    # chapters start on pages 3, 5, 7 and 9, counted by hand above
    assert any(line.startswith("1. First chapter") and line.endswith(" 3") for line in contents), contents
    assert any(line.startswith("2. Second chapter") and line.endswith(" 5") for line in contents), contents
    assert any(line.startswith("3. Annex A: Charts") and line.endswith(" 7") for line in contents), contents
    assert any(line.startswith("4. Annex B: Sources") and line.endswith(" 9") for line in contents), contents
    for number, lines in enumerate(pages, start=1):
        assert f"Page {number} of 10" in " ".join(lines)
        assert "Synthetic demonstration data" in lines[-1] or "Synthetic demonstration data" in lines[-2]
        # the running title: the document's, then the annex's from its first page on
        title = "Annex B: Sources" if number >= 9 else "Annex A: Charts" if number >= 7 else "Strategic Assessment 2017"
        assert lines[0] == title, (number, lines[0])
    assert not list(tmp_path.glob(".document-print-*"))  # the print copy is removed


def test_weasyprint_prints_when_chromium_fails_or_is_turned_off(tmp_path, monkeypatch):
    page = tmp_path / "page.html"
    page.write_text(_document(chapter_pages=1), encoding="utf-8")
    failing = tmp_path / "chromium"
    failing.write_text("#!/bin/sh\nexit 1\n")
    failing.chmod(0o755)
    monkeypatch.setenv(chromium_pdf.CHROMIUM_VARIABLE, str(failing))
    assert chromium_pdf.find_chromium() == str(failing)
    pdf = html_to_pdf(page, tmp_path / "page.pdf")
    assert "WeasyPrint" in subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    monkeypatch.setenv(chromium_pdf.ENGINE_VARIABLE, "weasyprint")
    assert chromium_pdf.find_chromium() is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chromium", "page.html", "page.pdf"]

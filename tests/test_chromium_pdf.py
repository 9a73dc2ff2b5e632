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


# ---- one browser for every print (chromium_devtools.py) -------------------------------------------

from csp_assessment.report import chromium_devtools  # noqa: E402


@pytest.fixture
def own_browsers(monkeypatch):
    """A fresh set of browsers for the test, all ended after it; Chromium prints whatever the
    environment says."""
    monkeypatch.setenv(chromium_pdf.ENGINE_VARIABLE, "auto")
    chromium_devtools.close_browsers()
    yield
    chromium_devtools.close_browsers()


def _no_command_line(monkeypatch):
    def refuse(*args):
        raise AssertionError("printed from the command line, not over the DevTools pipe")
    monkeypatch.setattr(chromium_pdf, "_chromium_print", refuse)


def _contents_line(pages, label: str) -> str:
    return next(line for line in pages[1] if line.startswith(label))


@needs_chromium
def test_one_browser_prints_every_page_two_at_once(tmp_path, monkeypatch, own_browsers):
    """Two threads (two Dask worker threads exporting at once) print through the same browser, each
    its own page, and get their own PDF: the contents' numbers of one, 3 pages a chapter of the other."""
    import threading

    _no_command_line(monkeypatch)
    sizes = {"short": 1, "long": 3}
    for name, size in sizes.items():
        (tmp_path / f"{name}.html").write_text(_document(chapter_pages=size), encoding="utf-8")
    failures = []

    def export(name):
        try:
            html_to_pdf(tmp_path / f"{name}.html", tmp_path / f"{name}.pdf")
        except Exception as exc:  # reported below, in the test's own thread
            failures.append(exc)

    threads = [threading.Thread(target=export, args=(name,)) for name in sizes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures
    assert len(chromium_devtools._BROWSERS) == 1
    started = next(iter(chromium_devtools._BROWSERS.values())).process.pid
    for name, size in sizes.items():
        pages = _pages(tmp_path / f"{name}.pdf")
        assert len(pages) == 2 + 4 * size
        # by hand: the second chapter starts after the cover, the contents and the first chapter
        assert _contents_line(pages, "2. Second chapter").endswith(f" {3 + size}")
        assert _contents_line(pages, "4. Annex B: Sources").endswith(f" {3 + 3 * size}")
    html_to_pdf(tmp_path / "short.html", tmp_path / "again.pdf")  # a later print: the same browser
    assert next(iter(chromium_devtools._BROWSERS.values())).process.pid == started
    assert _pages(tmp_path / "again.pdf") == _pages(tmp_path / "short.pdf")
    assert not list(tmp_path.glob(".*-print-*"))  # the print copies are removed


@needs_chromium
def test_a_printed_pages_target_prints_the_next_page_as_a_new_one_would(tmp_path, monkeypatch, own_browsers):
    """One print after another reuses the first print's target (its renderer warm), and what the last
    page was (its contents' numbers written in) never reaches the next: a short document printed
    after a long one prints as it did first."""
    _no_command_line(monkeypatch)
    for name, size in {"short": 1, "long": 3}.items():
        (tmp_path / f"{name}.html").write_text(_document(chapter_pages=size), encoding="utf-8")
    html_to_pdf(tmp_path / "short.html", tmp_path / "first.pdf")
    browser = next(iter(chromium_devtools._BROWSERS.values()))
    kept = list(browser._idle)
    assert len(kept) == 1 and kept[0].session
    html_to_pdf(tmp_path / "long.html", tmp_path / "long.pdf")
    html_to_pdf(tmp_path / "short.html", tmp_path / "after_long.pdf")
    assert browser._idle == kept  # the same target, kept again
    assert _pages(tmp_path / "after_long.pdf") == _pages(tmp_path / "first.pdf")
    assert len(_pages(tmp_path / "long.pdf")) == 2 + 4 * 3
    # by hand, as above: the second chapter of the short document starts on page 3 + 1
    assert _contents_line(_pages(tmp_path / "after_long.pdf"), "2. Second chapter").endswith(" 4")


@needs_chromium
def test_the_browser_outlives_the_thread_that_started_it(tmp_path, monkeypatch, own_browsers):
    """A Dask worker thread that printed first and then ended does not take the browser with it (the
    kernel's parent-death signal follows the thread that started a process)."""
    import threading
    import time

    _no_command_line(monkeypatch)
    page = tmp_path / "page.html"
    page.write_text(_document(chapter_pages=1), encoding="utf-8")
    worker = threading.Thread(target=html_to_pdf, args=(page, tmp_path / "first.pdf"))
    worker.start()
    worker.join(timeout=300)
    started = chromium_devtools.browser(chromium_pdf.find_chromium())
    time.sleep(1)  # time for a signal to arrive
    assert started.process.poll() is None
    html_to_pdf(page, tmp_path / "second.pdf")
    assert chromium_devtools.browser(chromium_pdf.find_chromium()) is started


@needs_chromium
def test_a_browser_that_has_gone_is_started_again(tmp_path, monkeypatch, own_browsers):
    import signal as signals

    _no_command_line(monkeypatch)
    page = tmp_path / "page.html"
    page.write_text(_document(chapter_pages=1), encoding="utf-8")
    html_to_pdf(page, tmp_path / "first.pdf")
    first = chromium_devtools.browser(chromium_pdf.find_chromium())
    first.process.send_signal(signals.SIGKILL)
    first.process.wait(timeout=30)
    html_to_pdf(page, tmp_path / "second.pdf")
    second = chromium_devtools.browser(chromium_pdf.find_chromium())
    assert second is not first and second.process.poll() is None
    assert _pages(tmp_path / "second.pdf") == _pages(tmp_path / "first.pdf")
    assert not first.workdir.exists()  # the gone browser's profile is removed


@needs_chromium
def test_the_command_line_prints_when_the_pipe_fails(tmp_path, monkeypatch, own_browsers):
    """A browser that cannot be driven over the pipe (here: one that exits when asked to open it)
    prints each page from the command line, as before, the same pages."""
    wrapper = tmp_path / "chromium"
    wrapper.write_text(f'#!/bin/sh\nfor a in "$@"; do [ "$a" = --remote-debugging-pipe ] && exit 3; done\n'
                       f'exec {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv(chromium_pdf.CHROMIUM_VARIABLE, str(wrapper))
    page = tmp_path / "page.html"
    page.write_text(_document(chapter_pages=2), encoding="utf-8")
    pdf = html_to_pdf(page, tmp_path / "page.pdf")
    assert "Skia" in subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout  # Chromium's
    pages = _pages(pdf)
    assert _contents_line(pages, "3. Annex A: Charts").endswith(" 7")
    assert not chromium_devtools._BROWSERS  # the failed browser is not kept
    # and not started again for the next page: the wrapper, asked for the pipe, would say so
    wrapper.write_text(f'#!/bin/sh\nfor a in "$@"; do [ "$a" = --remote-debugging-pipe ] && touch {tmp_path}/asked; '
                       f'done\nexec {CHROMIUM} "$@"\n')
    html_to_pdf(page, tmp_path / "page.pdf")
    assert _pages(tmp_path / "page.pdf") == pages
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chromium", "page.html", "page.pdf"]


_PRINTING_PROCESS = """
import os, signal, sys, time
from pathlib import Path
import psutil
from csp_assessment.report import chromium_devtools, chromium_pdf
from csp_assessment.report.export import html_to_pdf
html_to_pdf(Path(sys.argv[1]), Path(sys.argv[1]).with_suffix(".pdf"))
browser = chromium_devtools.browser(chromium_pdf.find_chromium())
family = [browser.process.pid] + [p.pid for p in psutil.Process(browser.process.pid).children(recursive=True)]
print(" ".join(map(str, family)), browser.workdir, flush=True)
how = sys.argv[2]
if how == "exception":
    raise RuntimeError("a section failed")
if how == "ctrl-c":
    os.kill(os.getpid(), signal.SIGINT)
time.sleep(120)  # "kill": ended from outside
"""


def _gone(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@needs_chromium
@pytest.mark.parametrize("how", ["exception", "ctrl-c", "kill"])
def test_no_browser_outlives_its_process(tmp_path, how):
    """However the printing process ends (an exception, Ctrl-C, SIGKILL), its browser and the
    browser's own processes end with it, and its profile folder goes unless the process was killed."""
    import os
    import signal as signals
    import sys
    import time
    from pathlib import Path

    page = tmp_path / "page.html"
    page.write_text(_document(chapter_pages=1), encoding="utf-8")
    env = {**os.environ, chromium_pdf.ENGINE_VARIABLE: "auto"}
    child = subprocess.Popen([sys.executable, "-c", _PRINTING_PROCESS, str(page), how], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    line = child.stdout.readline().split()
    assert line, child.communicate(timeout=60)[1]
    family, workdir = [int(pid) for pid in line[:-1]], Path(line[-1])
    assert len(family) > 1  # the browser and its renderer, zygote... processes
    if how == "kill":
        child.send_signal(signals.SIGKILL)
    child.communicate(timeout=120)
    deadline = time.monotonic() + 30
    while not all(_gone(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(_gone(pid) for pid in family), [pid for pid in family if not _gone(pid)]
    assert workdir.exists() == (how == "kill")
    if how == "kill":
        import shutil as files
        files.rmtree(workdir, ignore_errors=True)


@needs_chromium
def test_warming_the_printer_starts_the_browser_the_reports_then_print_with(tmp_path, monkeypatch, own_browsers):
    """A run warms its printer while the ingest leaves a core idle: the page is printed over the
    pipe by the process's browser, which then prints the reports; nothing is warmed for WeasyPrint."""
    from csp_assessment.report.export import warm_printer

    _no_command_line(monkeypatch)
    warming = warm_printer()
    warming.join(timeout=300)
    assert not warming.is_alive()
    warmed = chromium_devtools._BROWSERS.get(chromium_pdf.find_chromium())
    assert warmed is not None and warmed.process.poll() is None
    page = tmp_path / "page.html"
    page.write_text(_document(chapter_pages=1), encoding="utf-8")
    html_to_pdf(page, tmp_path / "page.pdf")
    assert chromium_devtools.browser(chromium_pdf.find_chromium()) is warmed
    monkeypatch.setenv(chromium_pdf.ENGINE_VARIABLE, "weasyprint")
    assert warm_printer() is None

"""Print a report page to PDF with headless Chromium, when it is installed.

Why: WeasyPrint (pure Python) spends most of a section's printing time drawing its SVG charts node
by node; Chromium draws them natively, several times faster (docs/performance.md). WeasyPrint stays
the fallback: it is used when Chromium is absent, when ``CSP_PDF_ENGINE=weasyprint``, or when
Chromium fails.

Chromium does not implement two pieces of paged CSS our stylesheet uses, so the page is printed from
a copy that spells them out (the report file itself is not changed):

- running strings (``string-set``): the running title (the first ``.csp-title``, then each annex's
  heading from its first page on, through named pages) and the demo notice become literal page-margin
  content;
- ``target-counter()`` (the contents' page numbers): the copy is printed once, the page each chapter
  starts on is read back from the PDF's text (``pdftotext``), the numbers are written into the
  contents, and the page is printed again. Without ``pdftotext``, or when a chapter's page cannot be
  found, the page goes to WeasyPrint instead.

Pages are printed by one browser per process, started on the first print and driven over its
DevTools pipe (chromium_devtools.py): starting a browser costs about 0.9 CPU-seconds, once rather
than once a PDF, and the contents' numbers are written into the page already loaded. When the pipe
fails, the page is printed as before, by a browser started for it (``--print-to-pdf``), with the
same print options.

The copy carries a Content-Security-Policy that allows only local (file: and data:) resources, so
printing fetches nothing from the network, like WeasyPrint's URL fetcher.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import chromium_devtools

ENGINE_VARIABLE = "CSP_PDF_ENGINE"  # "chromium", "weasyprint" or "auto" (default: Chromium when installed)
CHROMIUM_VARIABLE = "CSP_CHROMIUM"  # path of the browser, when not on PATH as chromium
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

PRINT_POLICY = ("default-src 'none'; script-src 'none'; object-src 'none'; img-src data: file:; "
                "font-src data: file:; style-src 'unsafe-inline' file:; base-uri 'none'; form-action 'none'")


class ChromiumFailed(RuntimeError):
    """Chromium could not print the page (the caller falls back to WeasyPrint)."""


def find_chromium() -> str | None:
    """The headless browser to print with, or None (then WeasyPrint prints)."""
    engine = os.environ.get(ENGINE_VARIABLE, "auto").strip().lower()
    if engine == "weasyprint":
        return None
    named = os.environ.get(CHROMIUM_VARIABLE)
    if named:
        return named if Path(named).exists() or shutil.which(named) else None
    if not shutil.which("pdftotext"):
        return None  # the contents' page numbers are read back with it
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


# ---- the print copy ------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")


def _text(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", fragment)).split())


def _first_text(page: str, css_class: str) -> str | None:
    found = re.search(rf'<(\w+)[^>]*class="[^"]*\b{css_class}\b[^"]*"[^>]*>(.*?)</\1>', page, re.S)
    return _text(found.group(2)) if found else None


def _css_string(value: str) -> str:
    # "<" escaped too, so no text can close the <style> element it is written into
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3C ") + '"'


def _annexes(page: str) -> list[tuple[str, str]]:
    """(anchor, heading) of every annex heading, in page order."""
    return [(anchor, _text(title)) for anchor, title in
            re.findall(r'<h1 class="[^"]*\bcsp-annex\b[^"]*" id="([^"]+)">(.*?)</h1>', page, re.S)]


def _contents_targets(page: str) -> list[str]:
    return re.findall(r'<a class="csp-toc" href="#([^"]+)">', page)


def _headings(page: str) -> dict[str, str]:
    return {anchor: _text(title) for anchor, title in re.findall(r'<h1 class="[^"]*" id="([^"]+)">(.*?)</h1>', page, re.S)}


def print_copy(page: str, contents_pages: dict[str, int] | None = None) -> str:
    """The page as Chromium should print it: the running strings and (when known) the contents'
    page numbers written out, and a policy that loads nothing from the network."""
    title = _first_text(page, "csp-title")
    demo = _first_text(page, "csp-demo-banner")
    rules = ["*, *::before, *::after { -webkit-print-color-adjust: exact; print-color-adjust: exact; }",
             # The page's margins are the stylesheet's (18 mm sides: 2 mm clear of the 16 mm band
             # whatever whole-pixel rounding Chromium applies to A4); only the margin content is added.
             "@page { " + (f"@top-center {{ content: {_css_string(title)}; }} " if title else "")
             + (f"@bottom-left {{ content: {_css_string(demo)}; }} " if demo else "") + "}",
             # leader() and target-counter() are not Chromium's: dots and numbers are spelled out below
             "a.csp-toc::after { content: none !important; }",
             "a.csp-toc { display: flex; align-items: baseline; color: inherit !important; "
             "text-decoration: none !important; }",
             "a.csp-toc .csp-toc-dots { flex: 1; margin: 0 0.3em; border-bottom: 1.5px dotted #3D3D3D; }"]
    for i, (anchor, heading) in enumerate(_annexes(page)):
        # A named page per annex: its heading is the running title from its first page on.
        rules.append(f"@page csp-annex-{i} {{ @top-center {{ content: {_css_string(heading)}; }} }}")
        # Both selectors weigh the same, so a later annex's rule wins over an earlier annex's "~".
        rules.append(f".jp-Cell.jp-Cell:has(h1#{anchor}), .jp-Cell:has(h1#{anchor}) ~ .jp-Cell "
                     f"{{ page: csp-annex-{i}; }}")
    # The policy first, before anything it governs; the rules last, so they win over the page's own.
    policy = f'<meta http-equiv="Content-Security-Policy" content="{PRINT_POLICY}">'
    page = re.sub(r"<head(\s[^>]*)?>", lambda m: m.group(0) + policy, page, count=1)
    style = f"<style>{chr(10).join(rules)}</style>"
    page = page.replace("</head>", style + "</head>", 1) if "</head>" in page else style + page

    def number(match: re.Match) -> str:
        anchor, label = match.group(1), match.group(2)
        shown = str(contents_pages[anchor]) if contents_pages and anchor in contents_pages else ""
        return (f'<a class="csp-toc" href="#{anchor}"><span>{label}</span><span class="csp-toc-dots"></span>'
                f"<span>{shown}</span></a>")

    return re.sub(r'<a class="csp-toc" href="#([^"]+)">(.*?)</a>', number, page, flags=re.S)


# ---- printing -------------------------------------------------------------------------------------

def _chromium_print(chromium: str, source: Path, target: Path, workdir: Path) -> None:
    command = [chromium, *chromium_devtools.BROWSER_FLAGS, "--no-pdf-header-footer",
               "--generate-pdf-document-outline",
               f"--user-data-dir={workdir / 'profile'}", f"--print-to-pdf={target}", source.as_uri()]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=chromium_devtools.TIMEOUT_SECONDS,
                              stdin=subprocess.DEVNULL,
                              preexec_fn=chromium_devtools.end_with_caller if chromium_devtools.PRCTL else None)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ChromiumFailed(f"{chromium}: {exc}") from exc
    if done.returncode != 0 or not target.exists() or not target.read_bytes()[:5] == b"%PDF-":
        raise ChromiumFailed(f"{chromium} exited {done.returncode}: {done.stderr.strip()[-500:]}")


def _page_texts(pdf: Path) -> list[str]:
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise ChromiumFailed(f"pdftotext could not read {pdf}: {done.stderr.strip()}")
    return done.stdout.split("\f")


def chapter_pages(pdf: Path, anchors: list[str], headings: dict[str, str]) -> dict[str, int]:
    """The page (from 1) each chapter starts on: chapters start new pages, in order, their heading
    among the first lines of the page (after the running title)."""
    pages = [[" ".join(line.split()) for line in text.splitlines() if line.strip()] for text in _page_texts(pdf)]
    found: dict[str, int] = {}
    after = 0
    for anchor in anchors:
        heading = " ".join(headings.get(anchor, "").split())
        for number in range(after + 1, len(pages) + 1):
            top = pages[number - 1][:5]
            # the heading is a line of its own (or two, when it wraps), not a line of the contents
            if heading and (heading in top or any(f"{a} {b}" == heading for a, b in zip(top, top[1:]))):
                found[anchor] = after = number
                break
        else:
            raise ChromiumFailed(f"the page of the chapter '{heading or anchor}' was not found in {pdf}")
    return found


def print_pdf(chromium: str, html_path: Path, pdf_path: Path) -> None:
    """Print ``html_path`` into ``pdf_path`` (written as is: the caller writes atomically).

    With the process's own browser over its DevTools pipe (chromium_devtools.py); when the pipe
    fails, with a browser of its own started for this page from the command line."""
    page = html_path.read_text(encoding="utf-8")
    # The copy sits beside the page so relative file: links resolve as they do for the page.
    handle, name = tempfile.mkstemp(prefix=f".{html_path.stem}-print-", suffix=".html", dir=html_path.parent)
    os.close(handle)
    copy = Path(name)
    try:
        copy.write_text(print_copy(page), encoding="utf-8")
        try:
            _print_over_pipe(chromium, page, copy, pdf_path)
        except chromium_devtools.PipeFailed:
            _print_from_command_line(chromium, page, copy, pdf_path)
    finally:
        copy.unlink(missing_ok=True)


def _print_over_pipe(chromium: str, page: str, copy: Path, pdf_path: Path) -> None:
    browser = chromium_devtools.browser(chromium)
    try:
        with browser.page(copy.as_uri()) as loaded:
            anchors = _contents_targets(page)
            if not anchors:
                loaded.print_pdf(pdf_path)
                return
            # Printed once to read where each chapter starts; then the numbers are written into the
            # loaded page (the same elements print_copy(page, numbers) writes them into, so the page
            # lays out as that copy would) and it is printed again, without loading it again.
            with tempfile.TemporaryDirectory(prefix="csp-contents-") as tmp:
                first = Path(tmp) / "first.pdf"
                loaded.print_pdf(first)
                numbers = chapter_pages(first, anchors, _headings(page))
            filled = loaded.evaluate(_FILL_NUMBERS % json.dumps({f"#{a}": str(n) for a, n in numbers.items()}))
            if filled != len(numbers):
                raise chromium_devtools.PipeFailed(f"{filled} of {len(numbers)} contents' page numbers written")
            loaded.print_pdf(pdf_path)
    except chromium_devtools.PipeFailed:
        chromium_devtools.discard(browser)  # the next print starts a fresh browser
        raise


# The last <span> of each contents line holds its page number (print_copy).
_FILL_NUMBERS = """(() => { const numbers = %s; let filled = 0;
  for (const link of document.querySelectorAll("a.csp-toc")) {
    const number = numbers[link.getAttribute("href")];
    if (number !== undefined) { link.lastElementChild.textContent = number; filled += 1; } }
  return filled; })()"""


def _print_from_command_line(chromium: str, page: str, copy: Path, pdf_path: Path) -> None:
    # The browser's profile goes to a temporary folder of its own.
    with tempfile.TemporaryDirectory(prefix="csp-chromium-") as tmp:
        workdir = Path(tmp)
        anchors = _contents_targets(page)
        if not anchors:
            _chromium_print(chromium, copy, pdf_path, workdir)
            return
        first = workdir / "first.pdf"
        _chromium_print(chromium, copy, first, workdir)
        numbers = chapter_pages(first, anchors, _headings(page))
        copy.write_text(print_copy(page, numbers), encoding="utf-8")
        _chromium_print(chromium, copy, pdf_path, workdir)

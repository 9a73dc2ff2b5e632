"""Does a PDF print everything its HTML holds, inside the page? (the tests' check of every PDF we print)

The same two counts as the reviewers' tool (shared/tools/print_check.py):

- lost: text blocks of the HTML (paragraphs, list items, table cells, headings, captions) whose text,
  whitespace left out, is not found whole in the PDF's text (``pdftotext -raw``) with the running
  header and footer bands left out: a clipped word, a lost full stop, a dropped column;
- in the side margins: words of the body within 16 mm of a page side, where printers and trimming
  cut (the stylesheet's 18 mm side margins keep text 2 mm clear of it).

Every text block counts, however short (the reviewers' tool leaves out those under 3 characters).
A line cut horizontally by a clipping box keeps its text in the PDF, so no text count can see it:
tests/test_export.py checks instead that nothing in the printed page clips its content.

Needs poppler's ``pdftotext`` and ``pdfinfo``. Run as ``python -m csp_assessment.report.print_check
DOCUMENT.html DOCUMENT.pdf``.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

BLOCK_TAGS = frozenset({"p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "figcaption",
                        "dt", "dd"})
SKIPPED_TAGS = frozenset({"script", "style", "svg", "head", "title"})
POINTS_PER_MM = 72 / 25.4
HEADER_FOOTER_BAND = 56.0  # pt (19.8 mm): the running header and footer print in the 20 mm and 22 mm margins
SIDE_BAND = 16 * POINTS_PER_MM  # pt: no body text this close to a page side

_WORD = re.compile(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>')
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')


class _Blocks(HTMLParser):
    """The text of every block element, nested blocks' text included in their parent's."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[int] = []
        self.skip = 0
        self.text: list[str] = []
        self.blocks: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.skip += tag in SKIPPED_TAGS
        if tag in BLOCK_TAGS:
            self.open.append(len(self.text))

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS:
            self.skip = max(0, self.skip - 1)
        if tag in BLOCK_TAGS and self.open:
            self.blocks.append("".join(self.text[self.open.pop():]))

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)


def squeeze(text: str) -> str:
    """Text without whitespace, soft hyphens or zero-width spaces: how a line break cannot change it."""
    return re.sub(r"[\s\u00ad\u200b]+", "", html.unescape(text))


def text_blocks(page: str) -> list[str]:
    """The text of each paragraph, list item, table cell, heading and caption of an HTML page."""
    parser = _Blocks()
    parser.feed(page)
    parser.close()
    return [" ".join(block.split()) for block in parser.blocks if squeeze(block)]


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=300).stdout


@dataclass
class PrintCheck:
    """What a PDF loses of its HTML, and prints where it should not; empty lists when it is faithful."""

    lost: list[str] = field(default_factory=list)
    in_side_margins: list[str] = field(default_factory=list)  # "p<page>: <word>"

    @property
    def faithful(self) -> bool:
        return not (self.lost or self.in_side_margins)

    def __str__(self) -> str:
        lines = [f"{len(self.lost)} text blocks lost, {len(self.in_side_margins)} words in the side margins"]
        lines += [f"  lost: {block[:160]}" for block in self.lost[:10]]
        lines += [f"  in the side margins: {' '.join(self.in_side_margins[:20])}"] if self.in_side_margins else []
        return "\n".join(lines)


def check_print(html_path: Path, pdf_path: Path) -> PrintCheck:
    """Compare the HTML page's text blocks with its PDF (see the module's docstring)."""
    blocks = text_blocks(Path(html_path).read_text(encoding="utf-8"))
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", _run("pdfinfo", str(pdf_path)))
    width, height = map(float, size.groups())
    band = HEADER_FOOTER_BAND
    body = _run("pdftotext", "-raw", "-x", "0", "-y", str(int(band)), "-W", str(int(width) + 1),
                "-H", str(int(height - 2 * band)), str(pdf_path), "-")
    printed = squeeze(body)
    report = PrintCheck(lost=[block for block in blocks if squeeze(block) not in printed])
    page, page_width, page_height = 0, width, height
    for line in _run("pdftotext", "-bbox", str(pdf_path), "-").splitlines():
        if found := _PAGE.search(line):
            page_width, page_height = map(float, found.groups())
            page += 1
            continue
        if not (found := _WORD.search(line)):
            continue
        x0, y0, x1, y1 = map(float, found.groups()[:4])
        if y0 < band or y1 > page_height - band:
            continue  # the running header and footer
        if x0 < SIDE_BAND or x1 > page_width - SIDE_BAND:
            report.in_side_margins.append(f"p{page}: {html.unescape(found.group(5))}")
    return report


if __name__ == "__main__":
    result = check_print(Path(sys.argv[1]), Path(sys.argv[2]))
    print(result)
    sys.exit(0 if result.faithful else 1)

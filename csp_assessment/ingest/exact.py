"""Exact reading: every row of a publisher's CSV is read, or the file is refused with its line and why.

The fast readers (DuckDB for the street files, pyarrow and pandas for the rest) are not strict
about damage: given several files, DuckDB 2.0 stops reading one at an unclosed quote without an
error (one quote in a Kent street file lost its last 8,384 rows), and pyarrow reads a quote left
open to the end of the file as one long field. So after every fast read the rows read are
checked against the file's own line count, which costs one pass over bytes already in memory or
in the page cache. Only when the two differ is the file parsed again by the csv module in strict
mode, to tell a legitimate line break inside a quoted field (Fingertips exports have them) or a
blank line from damage, and to name the line where the damage starts.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ..errors import InputError

BLOCK = 1 << 20
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as the csv module counts lines


def line_count(source: str | bytes | Path) -> int:
    """Physical lines of a file or text: newlines, plus one for a last line without its newline."""
    if isinstance(source, (str, bytes)):
        newline = "\n" if isinstance(source, str) else b"\n"
        return source.count(newline) + (1 if source and not source.endswith(newline) else 0)
    counter = LineCounter()
    with open(source, "rb") as fh:
        for block in iter(lambda: fh.read(BLOCK), b""):
            counter.update(block)
    return counter.lines


class LineCounter:
    """Counts lines of bytes given block by block (for a file that is being copied or hashed anyway)."""

    def __init__(self):
        self.newlines = 0
        self.last = b""

    def update(self, block: bytes) -> None:
        if block:
            self.newlines += block.count(b"\n")
            self.last = block[-1:]

    @property
    def lines(self) -> int:
        return self.newlines + (1 if self.last not in (b"", b"\n") else 0)


_REASONS = {
    "unexpected end of data": "a quote opened on this line is never closed, so the rest of the file would be read "
                              "as one field",
    "field larger than field limit": "a quote opened on this line runs on for more than 128 KB (an unclosed quote, "
                                     "or data pasted into a cell)",
    "expected after": "a quoted field closes in the middle of the field (a stray quote mark)",
    "new-line character seen in unquoted field": "a line ends with a lone carriage return",
}
DAMAGED = "the file is damaged or was changed by hand; download it again (or correct the line)"


def check_all_rows_read(label: str, source: str | Path, rows_read: int, *, lines: int | None = None,
                        blank_lines_are_rows: bool = False, header: bool = True) -> list[int] | None:
    """Refuse a file of which the fast reader did not read every row.

    ``rows_read``: the records the reader returned, the header excluded (``header``: the first line
    is a header, whose width every row must keep to); ``source``: the file (a Path), or its text (a
    str); ``lines``: the file's physical line count when already known (counted while the file was
    copied or hashed); ``blank_lines_are_rows``: whether the reader returns blank lines as rows (pandas with
    skip_blank_lines=False) or skips them (DuckDB, pyarrow).

    Returns None when every record is one line, else the line each record starts on (the header's
    excluded), so that errors about a row name the line an editor shows.
    """
    if lines is None:
        lines = line_count(source)
    if rows_read == lines - (1 if header else 0):
        return None
    text = source if isinstance(source, str) else text_of(label, Path(source))
    starts = record_starts(label, text, header=header, blank_lines_are_rows=blank_lines_are_rows)
    if len(starts) != rows_read:
        raise InputError(label, f"{rows_read:,} rows were read but the file holds {len(starts):,}: {DAMAGED}")
    return starts


def record_starts(label: str, text: str, *, header: bool = True, blank_lines_are_rows: bool = False) -> list[int]:
    """The line each record of ``text`` starts on (the header's excluded), read by the csv module
    in strict mode; a quote left open, a stray quote, or a row wider than the header is refused
    with the line where it starts."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    starts: list[int] = []
    width = None
    physical: list[str] | None = None  # the text's lines, split only if a record spans several
    start = 1
    try:
        for row in reader:
            if header and width is None:
                width = len(row)
            else:
                if width and len(row) > width:
                    raise InputError(label, f"expected {width} fields, found {len(row)}: {DAMAGED}", row=start)
                if width and reader.line_num > start + 1 and row:
                    physical = physical if physical is not None else _LINE_BREAK.split(text)
                    _refuse_swallowed_rows(label, physical, start, reader.line_num, width)
                if row or blank_lines_are_rows:
                    starts.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        reason = next((why for key, why in _REASONS.items() if key in str(exc)), f"not well-formed CSV ({exc})")
        raise InputError(label, f"{reason}: {DAMAGED}", row=start) from None
    return starts


def _refuse_swallowed_rows(label: str, physical: list[str], first: int, last: int, width: int) -> None:
    """A record spanning lines ``first`` to ``last`` holds line breaks inside a quoted field (as
    Fingertips writes some indicator names), unless a line between its first and last looks like a
    whole row of its own: then a quote was left open and closed only by a later one, and the rows
    in between would be lost inside one field."""
    if width < 3:
        return
    for line in physical[first:last - 1]:  # lines first + 1 to last - 1 (``physical`` is 0-based)
        if line.count(",") >= width - 1:
            raise InputError(label, f"a quote opened on this line is closed only on line {last}, so lines {first + 1} "
                                    f"to {last} would be read as part of one field: {DAMAGED}", row=first)


def text_of(label: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(label, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV") from None

"""Is a downloaded file what its publisher serves? Checked before it reaches the data folder."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from .http import FetchError

class Lacking(FetchError):
    """A whole, valid file without what this fetch wanted from it: noted, not placed, not a failure."""


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97 (.xls)


def _looks_like_a_web_page(head: bytes) -> bool:
    start = head.lstrip()[:15].lower()
    return start.startswith((b"<!doctype", b"<html"))


def check_file(path: Path, kind: str, what: str, *, header: tuple[str, ...] = ()) -> None:
    """Raise :class:`FetchError` unless ``path`` is a whole file of ``kind`` ("zip", "xlsx", "xls",
    "csv"), and, for a CSV, its header holds every column of ``header``."""
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
    if not head:
        raise FetchError(f"{what}: the server sent an empty file")
    if _looks_like_a_web_page(head):
        raise FetchError(f"{what}: the server sent a web page, not the file: the download has probably moved. "
                         "Find its new address on the publisher's site and put it in "
                         "csp_assessment/fetch/sources.yaml")
    if kind in ("zip", "xlsx"):
        check_zip(path, what, members_too=kind == "xlsx")  # a workbook is small, and read whole later
    elif kind == "xls":
        if not head.startswith(OLE_MAGIC):
            raise FetchError(f"{what}: not an Excel 97 workbook (.xls): the download is damaged or has moved")
    elif kind == "csv":
        check_csv_header(head, what, header)


def check_zip(path: Path, what: str, *, members_too: bool = False) -> None:
    """The zip's directory is readable and every member's data lies within the file: a truncated
    download fails here. Member checksums are read only with ``members_too`` (a data.police.uk
    archive is 1.6 to 1.7 GB): a member taken out of a zip is checked against its CRC as it is
    copied (zipfile raises on a mismatch), and only the members a fetch needs are ever read."""
    try:
        size = path.stat().st_size
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            bad = zf.testzip() if members_too else None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise FetchError(f"{what}: the zip archive is damaged or incomplete ({exc})") from None
    beyond = [m.filename for m in members if m.header_offset + m.compress_size > size]
    if beyond or bad:
        raise FetchError(f"{what}: the zip archive is damaged: {(beyond or [bad])[0]} "
                         + ("runs past the end of the file" if beyond else "fails its checksum"))


def check_csv_header(head: bytes, what: str, header: tuple[str, ...]) -> None:
    text = head.decode("utf-8-sig", errors="replace")
    first = next(csv.reader(io.StringIO(text.splitlines()[0] if text.splitlines() else "")), [])
    missing = [c for c in header if c not in [cell.strip() for cell in first]]
    if missing:
        raise FetchError(f"{what}: not the expected file: its header lacks {', '.join(missing)} "
                         f"(found {', '.join(first[:8]) or 'nothing'}). The publisher may have changed the "
                         "download: check the address in csp_assessment/fetch/sources.yaml")


def check_mentions(path: Path, what: str, codes: tuple[str, ...]) -> None:
    """Every one of ``codes`` appears in the file as a whole CSV field (read in blocks: Fingertips
    files can be large)."""
    wanted = {code: f",{code},".encode() for code in codes}
    found: set[str] = set()
    tail = b""
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            text = tail + block
            found |= {code for code, needle in wanted.items() if needle in text}
            tail = text[-32:]
    missing = [code for code in codes if code not in found]
    if missing:
        raise Lacking(f"{what}: the file holds no figures for {', '.join(missing)}, so it was not kept. The "
                      "publisher may not publish these indicators for this kind of area; the sections will say "
                      "which are missing")

"""The partnership's own words: short Markdown files the analyst writes, placed where the published
assessments place them (Medway 2017: introduction and foreword, what we have been doing, the crime
picture in context, progress on existing priorities, listening to the public, and commentary in
each section).

The files sit in a folder named ``narrative`` in the data folder (sub-folders are fine, like every
other input), or in the folder ``narrative_dir`` in params names. One file per part, named as in
:data:`PARTS`. A missing file leaves its part out of the reviewers' document (no empty heading);
the run log and the analyst HTML say which files are missing.

Text is shown as text: Markdown is rendered with raw HTML escaped, links other than to web (http:,
https:) and mail (mailto:) addresses shown as their text only (so no relative path, ``//host``,
``ftp:`` or ``file:`` link reaches a page or a PDF), remote images not loaded, and headings moved below the
document's own. Only files inside the data folder are read (or inside the folder params name as
narrative_dir): a file that is a link to somewhere else (``/etc/passwd``) is refused, as is a file
over MAX_BYTES (a page of prose is a few KB; 5 MB would print as 1,600 pages).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import mistune

from ..errors import ConfigError, InputError
from ..names import DEMO_MARKER, NARRATIVE_FOLDER, PARTS, Part, section_part

MAX_BYTES = 200_000  # a part of the document is a few pages at most


class _ReaderRenderer(mistune.HTMLRenderer):
    """mistune's HTML with the document's heading levels and no images loaded from elsewhere."""

    def heading(self, text: str, level: int, **attrs) -> str:
        # The document's chapters are h1 and its parts h2: the partnership's headings come below.
        level = min(level + 2, 6)
        return f"<h{level}>{text}</h{level}>\n"

    def link(self, text: str, url: str, title=None) -> str:
        if is_web_or_mail(url):
            return super().link(text, url, title)
        # Anything else would resolve against the page (a relative path, //host: file:// in a PDF):
        # its text only. Not the address either: PDF viewers make links of addresses in the text.
        return text

    def image(self, text: str, url: str, title=None) -> str:
        if re.match(r"data:image/(png|jpe?g|gif);", url):
            return super().image(text, url, title)
        # A remote image would be fetched when a reviewer opens the report; show what it was instead.
        return f"[image: {text}]" if text else "[image]"


def is_web_or_mail(url: str) -> bool:
    """An absolute http(s) address with a host, or a mailto: address."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    return (scheme in ("http", "https") and bool(parts.hostname)) or (scheme == "mailto" and bool(parts.path))


_render = mistune.create_markdown(escape=True, renderer=_ReaderRenderer(escape=True),
                                  plugins=["table", "strikethrough"])


def render(markdown_text: str) -> str:
    """Markdown to HTML that can only ever be text, lists, tables, emphasis and web links.

    Blank lines are dropped, so the HTML stays one block when it is placed in a Markdown cell."""
    html_text = _render(markdown_text)
    return "\n".join(line for line in html_text.splitlines() if line.strip())


@dataclass
class PartnershipText:
    folder: Path | None
    parts: dict[str, str] = field(default_factory=dict)  # key -> rendered HTML
    files: dict[str, Path] = field(default_factory=dict)  # key -> file read
    missing: list[Part] = field(default_factory=list)
    unrecognised: list[Path] = field(default_factory=list)

    def html(self, key: str) -> str:
        return self.parts.get(key, "")

    def missing_lines(self) -> list[str]:
        """What the run log and the analyst HTML say, one line per missing file."""
        where = self.folder if self.folder else f"a folder named '{NARRATIVE_FOLDER}' in the data folder"
        return [f"no {p.file} in {where}: {p.place} is left out" for p in self.missing]

    def fingerprint(self, keys: list[str] | None = None) -> str:
        """Changes when any of these parts' files change (all parts by default)."""
        digest = hashlib.sha256()
        for key in sorted(keys if keys is not None else self.files):
            if key in self.files:
                digest.update(key.encode() + b"\0" + self.files[key].read_bytes() + b"\0")
        return digest.hexdigest()


def find_folder(data_dir: Path, configured: str | Path | None = None, *, exclude: list[Path] = ()) -> Path | None:
    """The narrative folder: ``configured`` (relative to the data folder) when params name one,
    else the one folder named ``narrative`` under the data folder, leaving out ``exclude``
    (the demo data's folder when real data sit beside it)."""
    data_dir = Path(data_dir)
    if configured:
        folder = Path(configured).expanduser()
        folder = folder if folder.is_absolute() else data_dir / folder
        if not folder.is_dir():
            raise ConfigError(f"narrative_dir in params: {folder} is not a folder; create it or remove the setting")
        return folder
    if not data_dir.is_dir():
        return None
    found = sorted(p for p in data_dir.rglob(NARRATIVE_FOLDER) if p.is_dir()
                   and not any(root == p or root in p.parents for root in exclude))
    if len(found) > 1:
        raise ConfigError(f"several folders named '{NARRATIVE_FOLDER}' in {data_dir}: {', '.join(map(str, found))}; "
                          "keep one, or name it in params as narrative_dir")
    return found[0] if found else None


def for_run(config, *, demo: bool, titles: dict[str, str]) -> PartnershipText:
    """The texts a run uses: ``demo`` is whether the run's figures come from the demo data (when
    they do not, a narrative folder inside the demo data is not the partnership's); ``titles``:
    every section's title by key (sections.section_titles())."""
    exclude = [] if demo else [p.parent for p in Path(config.data_dir).rglob(DEMO_MARKER)]
    folder = find_folder(config.data_dir, config.narrative_dir, exclude=exclude)
    data_dir = Path(config.data_dir).resolve()
    # Files are read from inside the data folder, or from inside a folder params name outside it.
    within = data_dir if folder is None or _is_inside(folder.resolve(), data_dir) else folder.resolve()
    # every section of the report, also those a --sections run keeps from the last run
    return read(folder, {key: titles[key] for key in config.report_sections}, within=within, every_section=titles)


def _is_inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _checked_file(path: Path, within: Path) -> Path:
    """``path`` if it is a file inside ``within`` (links followed) of at most MAX_BYTES; refused otherwise."""
    real = path.resolve()
    if not _is_inside(real, within):
        raise InputError(path, f"is a link to {real}, outside {within}: the partnership's texts are read only from "
                               "inside the data folder; copy the text into the file instead of linking it")
    size = real.stat().st_size
    if size > MAX_BYTES:
        raise InputError(path, f"{size:,} bytes; a partnership text is at most {MAX_BYTES // 1000} KB (a few "
                               "pages): shorten it, or check that it is the right file")
    return path


def read(folder: Path | None, sections: dict[str, str], *, within: Path | None = None,
         every_section: dict[str, str] | None = None) -> PartnershipText:
    """Read every part's file from ``folder``; ``sections``: section key -> title, in document order.
    Files must resolve inside ``within`` (default: ``folder``) and be at most MAX_BYTES.
    ``every_section`` (key -> title; default ``sections``): the sections whose files are known, also
    those this run leaves out, so that their files are not called unrecognised."""
    expected = list(PARTS.values()) + [section_part(key, title) for key, title in sections.items()]
    text = PartnershipText(folder)
    within = Path(within or folder or ".").resolve()
    for part in expected:
        path = folder / part.file if folder else None
        if path is None or not path.is_file():
            text.missing.append(part)
            continue
        try:
            source = _checked_file(path, within).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(path, f"not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
        if source.strip():
            text.parts[part.key] = render(source)
            text.files[part.key] = path
        else:
            text.missing.append(part)
    if folder:
        # every section's file is known, including those of sections this run leaves out
        known = {p.file for p in expected} | {section_part(key, title).file
                                              for key, title in (every_section or sections).items()}
        text.unrecognised = sorted(p for p in folder.glob("*.md") if p.name not in known)
    return text


def commentary_block(text: PartnershipText, key: str) -> str:
    """A section's commentary under its own heading, or nothing at all when there is none."""
    if not text.html(key):
        return ""
    return f'<div class="csp-partnership-text"><h3>The partnership\'s commentary</h3>\n{text.html(key)}</div>'


def status_line(text: PartnershipText, key: str) -> str:
    """For analysts: which file the section's commentary came from, or which file to write."""
    if key in text.files:
        return f"Partnership commentary read from {text.files[key]}."
    missing = next((p for p in text.missing if p.key == key), None)
    where = text.folder if text.folder else f"a folder named '{NARRATIVE_FOLDER}' in the data folder"
    name = missing.file if missing else f"{key.replace('_', '-')}.md"
    return (f"No partnership commentary for this section: write {name} in {where} (Markdown) and run again; "
            "reviewers' reports leave the part out until then.")

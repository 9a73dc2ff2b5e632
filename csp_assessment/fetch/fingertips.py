"""OHID Fingertips indicators of the substance misuse and mental health sections, through the
Fingertips API's CSV endpoint: every area of the area type, with England, in the site's export
layout (the ingest reads it as it reads a download from the site)."""

from __future__ import annotations

import csv
from pathlib import Path

from ..ingest import fingertips as fingertips_input
from .files import Download

HEADER = ("Indicator ID", "Area Code", "Time period", "Value")


def area_type(lad_code: str, settings: dict) -> int:
    """Districts (E07) are published at the lower tier; every other authority at the upper tier."""
    return int(settings["area_type_lower"] if lad_code.startswith("E07") else settings["area_type_upper"])


def held(data_dir: Path, skip_roots: list = ()) -> set[tuple[int, str]]:
    """(indicator ID, area code) pairs the Fingertips files already in the data folder hold
    (but for those under ``skip_roots``, the demo data)."""
    pairs = set()
    for path in Path(data_dir).rglob("*.csv"):
        if any(root in path.parents for root in skip_roots):
            continue
        if path.name.startswith(".") or not fingertips_input.sniff(path):
            continue
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            for row in csv.DictReader(fh):
                try:
                    pairs.add((int(row["Indicator ID"]), row["Area Code"].strip().upper()))
                except (KeyError, ValueError, AttributeError):
                    continue
    return pairs


def plan(sections: list[str], lad_codes: list[str], settings: dict, have: set[tuple[int, str]]) -> list[Download]:
    items = []
    for section in sections:
        ids = [int(i) for i in settings["sections"].get(section, [])]
        for kind in sorted({area_type(code, settings) for code in lad_codes}):
            codes = [c for c in lad_codes if area_type(c, settings) == kind]
            if all((i, c) in have and (i, fingertips_input.ENGLAND) in have for i in ids for c in codes):
                continue
            address = settings["url"].format(indicator_ids=",".join(map(str, ids)), area_type=kind)
            target = settings["file"].format(section=section, area_type=kind)
            items.append(Download(address, f"fingertips/{target}", "csv",
                                  f"Fingertips {section.replace('_', ' ')} indicators (area type {kind}: "
                                  f"{', '.join(codes)} and England)", HEADER,
                                  mentions=(fingertips_input.ENGLAND, *codes)))
    return items

"""Each section records its key figures and sentences as JSON, for the executive summary,
the combined document and the tests, so nothing downstream scrapes HTML."""

from __future__ import annotations

import json
from pathlib import Path

from .. import store


def write_findings(findings_dir: str | Path, section: str, findings: dict) -> Path:
    return store.write_json(Path(findings_dir) / f"{section}.json", findings)


def read_findings(findings_dir: str | Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(Path(findings_dir).glob("*.json"))}

"""The addresses in ``sources.yaml``, and the mirror that can stand in for every publisher."""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

import yaml

from ..errors import ConfigError
from .http import Politeness

SOURCES_FILE = Path(__file__).with_name("sources.yaml")
MIRROR_ENV = "CSP_FETCH_MIRROR"


def load_sources(path: Path = SOURCES_FILE) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            sources = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the download addresses ({exc})") from exc
    for key in ("user_agent", "police_uk", "fingertips", "ons"):
        if key not in (sources or {}):
            raise ConfigError(f"{path}: no '{key}' entry; see the comments at the top of the file")
    return sources


def politeness(sources: dict) -> Politeness:
    polite = sources.get("polite") or {}
    return Politeness(user_agent=str(sources["user_agent"]),
                      concurrent_requests=int(polite.get("concurrent_requests", 3)),
                      attempts=int(polite.get("attempts", 5)),
                      backoff_seconds=float(polite.get("backoff_seconds", 2)),
                      max_wait_seconds=float(polite.get("max_wait_seconds", 300)),
                      timeout_seconds=float(polite.get("timeout_seconds", 60)))


def mirrored(url: str, mirror: str | None = None) -> str:
    """``url`` fetched through ``mirror`` (or $CSP_FETCH_MIRROR): https://host/path?q becomes
    <mirror>/host/path?q. Without a mirror, ``url`` unchanged."""
    mirror = mirror if mirror is not None else os.environ.get(MIRROR_ENV, "")
    if not mirror:
        return url
    parts = urllib.parse.urlsplit(url)
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{mirror.rstrip('/')}/{parts.netloc}{rest}"


def unconfirmed(entry) -> str:
    """Why an entry of sources.yaml could not be confirmed ("" when it was)."""
    return " ".join(str(entry.get("unconfirmed", "")).split()) if isinstance(entry, dict) else ""


def caution(name: str, entry) -> str:
    """The one line fetch prints when it uses an unconfirmed entry ("" for a confirmed one)."""
    why = unconfirmed(entry)
    if not why:
        return ""
    first = why.split("; ")[0].split(". ")[0].rstrip(".")
    return f"caution: {name} in csp_assessment/fetch/sources.yaml is unconfirmed ({first})"


def entries_without_evidence(sources: dict, path: str = "") -> list[str]:
    """Every address of ``sources`` (an entry with a url or service) with neither a ``checked:``
    nor an ``unconfirmed:`` line beside it."""
    missing = []
    if isinstance(sources, dict):
        if ("url" in sources or "service" in sources) and not ({"checked", "unconfirmed"} & set(sources)):
            missing.append(path or "(top)")
        for key, value in sources.items():
            missing += entries_without_evidence(value, f"{path}.{key}" if path else str(key))
    return missing

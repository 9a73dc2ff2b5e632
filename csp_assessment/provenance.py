"""What a run read and ran with: input files with sizes and hashes, package versions, git commit.

Written to ``reports/<year>/manifest.json`` so every figure can be traced to the exact inputs,
and used to decide which sections an unchanged rerun can skip.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from importlib import metadata
from pathlib import Path

from .config import PARAMS_DIR, PROJECT_ROOT

PACKAGE_DIR = Path(__file__).resolve().parent
VERSIONED = ("csp_assessment", "pandas", "pyarrow", "duckdb", "numpy", "scipy", "matplotlib", "seaborn",
             "papermill", "nbconvert", "nbformat", "ipykernel", "weasyprint", "openpyxl", "xlrd", "pyyaml")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    versions = {}
    for name in VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> str:
    """The project's commit, with '+changes' when the working tree differs from it; '' outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return commit + ("+changes" if dirty else "")


def code_fingerprint() -> str:
    """Changes whenever the package's code or the params files change: both decide every figure."""
    digest = hashlib.sha256()
    for path in sorted([*PACKAGE_DIR.rglob("*.py"), *PACKAGE_DIR.rglob("*.j2"), *PACKAGE_DIR.rglob("*.css"),
                        *PARAMS_DIR.glob("*.yaml")]):
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def section_key(notebook: Path, parameters: dict, data_fingerprint: str, code: str) -> str:
    """Everything a section's output depends on; equal keys mean the section need not run again."""
    digest = hashlib.sha256()
    digest.update(notebook.read_bytes())
    digest.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    digest.update(data_fingerprint.encode())
    digest.update(code.encode())
    return digest.hexdigest()


def document_key(section_keys: dict[str, str], partnership_text: str) -> str:
    """Everything the reviewers' document depends on beyond its sections: their keys (so any change in
    a section rebuilds it) and the partnership's own texts."""
    digest = hashlib.sha256(json.dumps(section_keys, sort_keys=True).encode())
    digest.update(partnership_text.encode())
    return digest.hexdigest()


def input_files(sources: dict[str, list[str]], police_files, read: dict | None = None) -> list[dict]:
    """Every input file the ingest read: kind, path, size, sha256, and for police files the rows
    used and set aside (records with no location cannot be placed in an area). ``read``: the size
    and hash of each file as the ingest read it (its manifest's file_hashes), which are what the
    figures came from even if a file has changed since; a file not in it is hashed now."""
    per_file = police_files.set_index("source") if len(police_files) else None
    read = read or {}
    known: dict[Path, tuple[int, str]] = {}  # a zip archive holds many monthly files: hash it once
    records = []
    for kind, labels in sorted(sources.items()):
        for label in labels:
            path = Path(label.split("!", 1)[0])
            if path not in known:
                entry = read.get(str(path))
                known[path] = (entry["size"], entry["sha256"]) if entry else (path.stat().st_size, sha256_file(path))
            entry = {"kind": kind, "file": label, "bytes": known[path][0], "sha256": known[path][1]}
            if kind == "police_uk" and per_file is not None and label in per_file.index:
                row = per_file.loc[label]
                entry["period"] = row["month"]
                entry["rows_used"] = int(row["records"] - row["records_without_lsoa"])
                entry["rows_set_aside"] = {"no location (no LSOA)": int(row["records_without_lsoa"])}
            records.append(entry)
    return records

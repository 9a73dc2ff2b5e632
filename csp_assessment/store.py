"""The processed store: tidy Parquet tables in data/processed, written atomically.

Each table is written to a temporary file in the same folder and moved into place with
os.replace, so a reader never sees half a table, and an interrupted ingest leaves the
previous table intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

# name -> what the table holds; printed in data/processed/README.md for analysts
TABLES = {
    "police_counts": "data.police.uk records counted per month, force, LSOA (null = no location) and crime type; "
                     "is_asb marks anti-social behaviour",
    "police_files": "every street-level file read: records, ASB records, records without LSOA, duplicate Crime IDs",
    "police_outcomes": "data.police.uk outcomes: one row per crime with its latest outcome (the latest month's), "
                       "the crime's type and month from the street files (null when no street file read lists it)",
    "stop_search": "data.police.uk stop and search: one row per search, with its object, outcome, whether the "
                   "outcome was linked to the object, and its LSOA (placed_by: LSOA code, street point, or none yet)",
    "lsoa_lookup": "ONS LSOA -> ward -> local authority lookups, every vintage in the data folder (lsoa_vintage, "
                   "ward_vintage, lad_vintage, source_file)",
    "lsoa_bridge": "ONS LSOA 2011 -> LSOA 2021 lookup: one row per old and new LSOA pair, change U/S/M/X",
    "boundaries": "LSOA and ward boundaries (level, vintage, code, name, lad_code, geometry as WKB in British "
                  "National Grid, source_file)",
    "area_lookup": "ONS local authority -> Community Safety Partnership -> police force area lookup",
    "population_la": "ONS mid-year population estimates by area and year",
    "population_lsoa": "small-area (LSOA) population, with its source and year",
}
MANIFEST = "ingest.json"


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Read once, at import: os.umask can only be read by setting it, which must not race other threads.
UMASK = _read_umask()


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(temporary path)`` then move the result onto ``path``: never a half-written file.

    The temporary file sits in the same folder, so os.replace is an atomic rename.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp makes the file readable by its owner only; outputs are for sharing, as the umask allows.
        os.chmod(tmp, 0o666 & ~UMASK)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_table(processed_dir: Path, name: str, frame: pd.DataFrame) -> Path:
    path = Path(processed_dir) / f"{name}.parquet"
    # index=False and a fixed compression keep the bytes identical for identical inputs
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False, compression="zstd"))
    return path


def read_table(processed_dir: Path, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A processed table; only ``columns`` of it when given (Parquet stores columns apart, so the
    others are never read)."""
    path = Path(processed_dir) / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run the ingest first (python pipeline.py ...)")
    return pd.read_parquet(path, columns=columns)


def has_table(processed_dir: Path, name: str) -> bool:
    return (Path(processed_dir) / f"{name}.parquet").exists()


def write_text(path: Path, text: str) -> Path:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return Path(path)


def write_json(path: Path, data: dict) -> Path:
    return write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def read_manifest(processed_dir: Path) -> dict | None:
    path = Path(processed_dir) / MANIFEST
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))

"""Ingest a whole data folder: find every publisher's file, validate it, write the tidy tables.

The folder may hold the project's demo data, a user's downloads dropped in unchanged, or
``../shared/data`` as it is. Files are recognised by the publishers' own names and headers,
wherever they sit below the folder.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from .. import store
from ..demo import DEMO_MARKER
from ..errors import InputError
from . import fingertips, moj, ons, partners, police_uk

# Bump when the processed tables change shape, so an old store is rebuilt rather than misread.
SCHEMA_VERSION = 2
INGESTIBLE_SUFFIXES = {".csv", ".xls", ".xlsx", ".zip"}
# Inputs of the substance misuse, re-offending and mental health sections: processed table ->
# loader module (sniff, read, KEY: the columns identifying a row, the later file winning).
INDICATOR_INPUTS = {"fingertips": fingertips, "reoffending": moj, "partner_returns": partners}


@dataclass
class IngestSummary:
    data_dir: Path
    processed_dir: Path
    reused: bool  # True when the folder had not changed since the last ingest
    demo: bool  # True when every police file comes from the synthetic demo data
    sources: dict = field(default_factory=dict)  # kind -> list of files used
    warnings: list[str] = field(default_factory=list)


def _candidate_files(data_dir: Path) -> list[Path]:
    return sorted(
        p for p in data_dir.rglob("*")
        if p.is_file() and p.suffix.lower() in INGESTIBLE_SUFFIXES and not p.name.startswith((".", "~$"))
    )


def _fingerprint(files: list[Path], data_dir: Path) -> str:
    """Changes when any input file is added, removed, resized or touched."""
    digest = hashlib.sha256(f"schema={SCHEMA_VERSION}".encode())
    for path in files:
        stat = path.stat()
        digest.update(f"{path.relative_to(data_dir)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _demo_roots(data_dir: Path) -> list[Path]:
    return sorted(p.parent for p in data_dir.rglob(DEMO_MARKER))


def _is_under(path: Path, roots: list[Path]) -> bool:
    return any(root == path or root in path.parents for root in roots)


def ingest_folder(data_dir: Path, processed_dir: Path, *, force: bool = False) -> IngestSummary:
    """Read every recognised file under ``data_dir`` and write the processed tables.

    Skipped (``reused=True``) when nothing under ``data_dir`` changed since the last ingest
    into ``processed_dir`` and ``force`` is False.
    """
    data_dir, processed_dir = Path(data_dir).resolve(), Path(processed_dir)
    if not data_dir.is_dir():
        raise InputError(data_dir, "the data folder does not exist")
    files = _candidate_files(data_dir)
    demo_roots = _demo_roots(data_dir)
    warnings: list[str] = []

    # Demo data sitting beside a user's own downloads must not be mixed into their figures.
    real_police = [f for f in police_uk.discover(data_dir) if not _is_under(f.source, demo_roots)]
    if demo_roots and real_police:
        files = [f for f in files if not _is_under(f, demo_roots)]
        warnings.append(f"The synthetic demo data in {', '.join(map(str, demo_roots))} were ignored "
                        "because the data folder also holds real data.police.uk files.")
        demo_roots = []

    fingerprint = _fingerprint(files, data_dir)
    previous = store.read_manifest(processed_dir)
    if (not force and previous and previous.get("fingerprint") == fingerprint
            and previous.get("data_dir") == str(data_dir)
            and all(store.has_table(processed_dir, t) for t in previous.get("tables", []))):
        return IngestSummary(data_dir, processed_dir, True, previous["demo"], previous["sources"], previous["warnings"])

    street_files = [f for f in police_uk.discover(data_dir) if f.source in set(files)]
    if not street_files:
        raise InputError(data_dir, "no data.police.uk street-level files found (expected files named "
                                   "YYYY-MM-<force>-street.csv, in monthly folders or in the site's zip archive)")
    kept, skipped = police_uk.choose_one_per_month(street_files)
    for dup, used in skipped:
        warnings.append(f"{dup.label} repeats {dup.force} {dup.month}; only {used.label} was counted.")
    # The counts table can hold millions of rows at national scale: DuckDB writes it directly.
    file_report = police_uk.write_street_counts(kept, processed_dir / "police_counts.parquet")
    warnings.extend(police_uk.quality_warnings(file_report))

    tables = {"police_files": file_report}
    sources: dict[str, list[str]] = {"police_uk": [f.label for f in kept]}
    by_kind: dict[str, list[Path]] = {}
    for path in files:
        if path.suffix.lower() == ".zip" or police_uk.STREET_FILE.match(path.name):
            continue
        kind = ons.sniff(path) or next((name for name, loader in INDICATOR_INPUTS.items() if loader.sniff(path)), None)
        if kind:
            by_kind.setdefault(kind, []).append(path)

    lookups = by_kind.get("lsoa_ward_lad_lookup", [])
    if not lookups:
        raise InputError(data_dir, "no ONS LSOA -> ward -> local authority lookup found (a CSV with columns "
                                   "like LSOA11CD, WD17CD, WD17NM, LAD17CD, LAD17NM)")
    if len(lookups) > 1:
        warnings.append(f"Several LSOA -> ward lookups found; used {lookups[-1].name}, ignored "
                        f"{', '.join(p.name for p in lookups[:-1])}.")
    tables["lsoa_lookup"] = ons.read_lsoa_ward_lad_lookup(lookups[-1])
    sources["lsoa_ward_lad_lookup"] = [str(lookups[-1])]

    if by_kind.get("lad_csp_pfa_lookup"):
        area_files = by_kind["lad_csp_pfa_lookup"]
        tables["area_lookup"] = ons.read_lad_csp_pfa_lookup(area_files[-1])
        sources["lad_csp_pfa_lookup"] = [str(area_files[-1])]

    if by_kind.get("mid_year_estimates"):
        estimates = [ons.read_mid_year_estimates(p) for p in by_kind["mid_year_estimates"]]
        # Later releases revise earlier years: keep each area-year from the newest release.
        population = (pd.concat(estimates, ignore_index=True)
                      .assign(_order=lambda d: d["source_file"].map({p.name: i for i, p in
                                                                     enumerate(by_kind["mid_year_estimates"])}))
                      .sort_values(["area_code", "mid_year", "_order"])
                      .drop_duplicates(["area_code", "mid_year"], keep="last")
                      .drop(columns="_order").reset_index(drop=True))
        tables["population_la"] = population
        sources["mid_year_estimates"] = [str(p) for p in by_kind["mid_year_estimates"]]

    if by_kind.get("small_area_population"):
        tables["population_lsoa"] = pd.concat(
            [ons.read_small_area_population(p) for p in by_kind["small_area_population"]], ignore_index=True
        )
        sources["small_area_population"] = [str(p) for p in by_kind["small_area_population"]]

    for name, loader in INDICATOR_INPUTS.items():
        if by_kind.get(name):
            frames = [loader.read(p) for p in by_kind[name]]
            tables[name] = pd.concat(frames, ignore_index=True).drop_duplicates(loader.KEY, keep="last")
            sources[name] = [str(p) for p in by_kind[name]]

    for name, frame in tables.items():
        store.write_table(processed_dir, name, frame)
    demo = bool(demo_roots) and all(_is_under(f.source, demo_roots) for f in kept)
    store.write_json(processed_dir / store.MANIFEST, {
        "data_dir": str(data_dir), "fingerprint": fingerprint, "schema_version": SCHEMA_VERSION,
        "tables": sorted([*tables, "police_counts"]), "sources": sources, "warnings": warnings, "demo": demo,
    })
    _write_readme(processed_dir, sorted([*tables, "police_counts"]))
    return IngestSummary(data_dir, processed_dir, False, demo, sources, warnings)


def _write_readme(processed_dir: Path, tables: list[str]) -> None:
    lines = ["# Processed tables", "", "Written by the ingest step from the files in the data folder "
             "(see ingest.json for which). Do not edit: rerun the pipeline.", ""]
    for name in tables:
        meta = pq.read_metadata(processed_dir / f"{name}.parquet")  # rows and columns without loading the table
        lines.append(f"- `{name}.parquet` ({meta.num_rows:,} rows): {store.TABLES[name]}. "
                     f"Columns: {', '.join(meta.schema.names)}.")
    store.write_text(processed_dir / "README.md", "\n".join(lines) + "\n")


def prepare_data(config) -> IngestSummary:
    """Make sure the processed tables reflect ``config.data_dir``; on a fresh clone, make the demo data.

    The demo data are generated only into ``data/raw/demo`` of the default data folder: when the
    folder holds no police.uk files, or when the demo there was made by an older generator (it is
    the project's own output, so it is replaced). A user's own downloads are never touched.
    """
    from ..config import PROJECT_ROOT
    from ..demo import generate_demo, is_current_demo

    data_dir = Path(config.data_dir)
    default_dir = (PROJECT_ROOT / "data" / "raw").resolve()
    demo_dir = default_dir / "demo"
    if data_dir.resolve() == default_dir:
        if (demo_dir / DEMO_MARKER).exists() and not is_current_demo(demo_dir):
            shutil.rmtree(demo_dir)
        if not police_uk.discover(data_dir):
            generate_demo(demo_dir)
    return ingest_folder(data_dir, config.processed_dir)

#!/usr/bin/env python
"""Make national-scale data.police.uk street-level files for the ingest benchmark.

Writes 43 forces x N consecutive months ending 2022-11 into ``benchmarks/data/national-N/``, in the
publisher's layout ``YYYY-MM/YYYY-MM-force-NN-street.csv``, by resampling (with a seeded numpy RNG)
the rows of the real Kent Police files in ``../shared/data/police-uk`` (read, never copied):

- each file has as many rows as one real Kent month (about 17,000), drawn with replacement from
  all eleven real months, so crime types, LSOAs, ASB rows (empty Crime ID) and rows without a
  location keep their real mix;
- "Month" is the file's month, "Reported by" and "Falls within" the force's name ("Force 07
  Police"), and every non-empty Crime ID a fresh unique 64-hex-digit ID;
- the other columns are kept as published, and the CSV is written unquoted, as data.police.uk does.

A data set already present with the right number of files is reused. ``manifest.json`` beside the
files records how many rows were written, for the benchmark to check its counts against.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from common import BENCHMARKS_DIR, SHARED_DATA

FORCES = 43
LAST_MONTH = "2022-11"
DATA_DIR = BENCHMARKS_DIR / "data"
SOURCE_DIR = SHARED_DATA / "police-uk"
MANIFEST = "manifest.json"


class CannotGenerate(Exception):
    """The data set cannot be made here (no source files, not enough disk); the message says why."""


def source_files() -> list[Path]:
    files = sorted(SOURCE_DIR.glob("*/*-street.csv"))
    if not files:
        raise CannotGenerate(f"no data.police.uk street files in {SOURCE_DIR}: the benchmark resamples the real "
                             "Kent files from ../shared/data (beside the repository); put them there first")
    return files


def dataset_dir(n_months: int, root: Path = DATA_DIR) -> Path:
    return root / f"national-{n_months}"


def street_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*-street.csv"))


def is_complete(folder: Path, n_months: int) -> bool:
    return (folder / MANIFEST).exists() and len(street_files(folder)) == FORCES * n_months


def read_pool(files: list[Path]) -> tuple[pa.Table, list[int]]:
    """All rows of the real files as strings, exactly as published, and each file's row count."""
    tables = []
    for path in files:
        header = path.read_text(encoding="utf-8-sig").split("\n", 1)[0].strip().split(",")
        tables.append(pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
            column_types={name: pa.string() for name in header})))
    return pa.concat_tables(tables), [t.num_rows for t in tables]


def crime_ids(rng: np.random.Generator, first: int, n: int) -> pa.Array:
    """``n`` unique 64-hex-digit IDs: 8 bytes of running number (from ``first``), then 24 random bytes."""
    raw = np.empty((n, 32), dtype=np.uint8)
    raw[:, :8] = np.arange(first, first + n, dtype=">u8").view(np.uint8).reshape(n, 8)
    raw[:, 8:] = rng.integers(0, 256, size=(n, 24), dtype=np.uint8)
    hex_ids = np.frombuffer(raw.tobytes().hex().encode("ascii"), dtype="S64")
    return pa.array(hex_ids, type=pa.binary(64)).cast(pa.string())


def estimated_bytes(files: list[Path], n_files: int) -> int:
    return int(np.mean([p.stat().st_size for p in files]) * n_files * 1.05)


def generate(n_months: int, *, seed: int = 2022, root: Path = DATA_DIR) -> tuple[Path, dict]:
    """Make (or reuse) ``national-<n_months>``; return its folder and manifest."""
    target = dataset_dir(n_months, root)
    if is_complete(target, n_months):
        return target, json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    files = source_files()
    root.mkdir(parents=True, exist_ok=True)
    partial = root / f".national-{n_months}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)  # an incomplete earlier attempt
    needed, free = estimated_bytes(files, FORCES * n_months), shutil.disk_usage(root).free
    if needed > free * 0.9:
        raise CannotGenerate(f"national-{n_months} needs about {needed / 1e9:.1f} GB of disk and only "
                             f"{free / 1e9:.1f} GB is free under {root}")

    start = time.perf_counter()
    rng = np.random.default_rng([seed, n_months])
    pool, sizes = read_pool(files)
    has_id = pc.not_equal(pool["Crime ID"], "")
    months = [str(p) for p in pd.period_range(end=LAST_MONTH, periods=n_months, freq="M")]
    names = pool.column_names
    options = pcsv.WriteOptions(quoting_style="none", quoting_header="none", batch_size=1 << 16)
    rows = next_id = 0
    for month in months:
        (partial / month).mkdir(parents=True)
        for force in range(1, FORCES + 1):
            n = int(sizes[rng.integers(len(sizes))])
            take = pa.array(rng.integers(0, pool.num_rows, size=n))
            table = pool.take(take)
            force_name = pa.repeat(f"Force {force:02d} Police", n)
            columns = {
                "Crime ID": pc.if_else(has_id.take(take), crime_ids(rng, next_id, n), ""),
                "Month": pa.repeat(month, n),
                "Reported by": force_name,
                "Falls within": force_name,
            }
            table = pa.table({name: columns.get(name, table[name]) for name in names})
            pcsv.write_csv(table, partial / month / f"{month}-force-{force:02d}-street.csv", options)
            rows += n
            next_id += n
    manifest = {"forces": FORCES, "months": months, "files": FORCES * n_months, "rows": rows, "seed": seed,
                "source": [str(p.relative_to(SHARED_DATA)) for p in files],
                "seconds_to_generate": round(time.perf_counter() - start, 1)}
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    partial.rename(target)
    return target, manifest


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--months", type=int, nargs="+", default=[12, 60], metavar="N",
                        help="make one data set per N: 43 forces x N months ending 2022-11 (default: 12 60)")
    parser.add_argument("--seed", type=int, default=2022, help="random seed (default: 2022)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    status = 0
    for n in args.months:
        try:
            folder, manifest = generate(n, seed=args.seed)
        except CannotGenerate as exc:
            print(f"national-{n}: not generated: {exc}", file=sys.stderr)
            status = 1
            continue
        size = sum(p.stat().st_size for p in street_files(folder))
        print(f"{folder}: {manifest['files']} files, {manifest['rows']:,} rows, {size / 1e9:.1f} GB "
              f"(generated in {manifest['seconds_to_generate']} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())

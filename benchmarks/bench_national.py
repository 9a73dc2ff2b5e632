"""National scale: every partnership's assessment in one invocation, on Dask (issue 14).

Runs ``python pipeline.py --year 2022 --area all --data <national folder> --from 2022-01 --to 2022-11``
as ``csp_assessment.run.main_many`` does, on the embedded Dask cluster at 1 and 2 workers, and
reports areas per minute, the peak memory of each worker and how the time grows with the number of
areas (runs of the first 2, 4, 8 and all areas).

The data: ``make_national_data.py`` makes 43 forces x N months of street files by resampling the
real Kent files' rows, so every record lies in one of Kent's LSOAs. The data folder the benchmark
assembles (in a temporary folder, of links: nothing is copied) holds those street files and the real
ONS files of ``../shared/data/ons`` (the England and Wales LAD -> CSP -> police force lookup, the
LSOA lookup, population). ``--area all`` means every partnership of the lookup whose authorities the
police files cover, so on these data it is **Kent's 12 partnerships**, each holding about 43 times
Kent's records (the 43 forces' files all fall in them); the lookup's other partnerships are listed as
skipped (no police records). The per-area cost measured is therefore that of an area with national
volumes of records in the processed tables, and the ingest that of 43 forces.

The ingest runs once, into a processed folder all runs share (timed on the first run); each run
writes into a fresh reports folder, so every area is computed (a cold run of its sections).

Peak memory: the resident set size (RSS) of each Dask worker process, and of it together with the
notebook kernels it starts, sampled every 0.25 s with psutil.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from common import SHARED_DATA, machine_line, markdown_table, write_result
from make_national_data import CannotGenerate, generate

from csp_assessment.areas import select_areas
from csp_assessment.run import AreasFailed, Progress, main_many

YEAR, PERIOD = 2022, ("2022-01", "2022-11")


def national_folder(street_dir: Path, into: Path) -> Path:
    """A data folder of links: the national street files and the real ONS files (never copied)."""
    for source, target in ((street_dir, into / "police-uk"), (SHARED_DATA / "ons", into / "ons")):
        for path in sorted(source.rglob("*")):
            if path.is_file() and path.name != "manifest.json":
                link = target / path.relative_to(source)
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(path.resolve())
    return into


class MemorySampler:
    """Peak RSS of each Dask worker process (the run's children started by multiprocessing), alone
    and with its descendants (the notebook kernels), sampled in a thread."""

    def __init__(self, every: float = 0.25):
        self.every, self.peak_worker, self.peak_with_kernels = every, {}, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            for child in me.children():
                try:
                    if "spawn_main" not in " ".join(child.cmdline()):
                        continue
                    rss = child.memory_info().rss
                    total = rss + sum(p.memory_info().rss for p in child.children(recursive=True))
                except psutil.Error:
                    continue
                self.peak_worker[child.pid] = max(self.peak_worker.get(child.pid, 0), rss)
                self.peak_with_kernels[child.pid] = max(self.peak_with_kernels.get(child.pid, 0), total)
            self._stop.wait(self.every)


def run(areas: list[str], workers: int, data: Path, processed: Path, out: Path, sections: str) -> dict:
    progress = Progress(stream=open(os.devnull, "w"))
    start = time.perf_counter()
    failed = ""
    with MemorySampler() as memory:
        try:
            main_many(YEAR, areas, progress, workers=workers, data_dir=data, processed_dir=processed, out_dir=out,
                      period_from=PERIOD[0], period_to=PERIOD[1], sections=sections)
        except AreasFailed as exc:
            failed = str(exc)
    seconds = time.perf_counter() - start
    return {"areas": len(areas), "workers": workers, "seconds": seconds, "failed": failed,
            "peak_worker_mib": max(memory.peak_worker.values(), default=0) / 2**20,
            "peak_with_kernels_mib": max(memory.peak_with_kernels.values(), default=0) / 2**20,
            "log": progress.lines}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--months", type=int, default=12, help="national data set: 43 forces x N months (default 12)")
    parser.add_argument("--workers", default="1,2", help="embedded cluster sizes to measure (default: 1,2)")
    parser.add_argument("--sizes", default="2,4,8,all",
                        help="numbers of areas per run, the first N of --area all (default: 2,4,8,all)")
    parser.add_argument("--sections", default="all_crime,asb", help="sections per area (default: all_crime,asb, "
                                                                    "the ones the police files feed)")
    args = parser.parse_args()
    try:
        street_dir, manifest = generate(args.months)
    except CannotGenerate as exc:
        sys.exit(f"national-{args.months}: {exc}")

    results = []
    with tempfile.TemporaryDirectory(prefix="csp-bench-national-") as tmp:
        tmp = Path(tmp)
        data, processed = national_folder(street_dir, tmp / "data"), tmp / "processed"
        # Ingest once, timed; every run then finds the tables unchanged. "all" is read from them.
        from csp_assessment.config import load_config
        from csp_assessment.ingest.folder import prepare_data
        started = time.perf_counter()
        prepare_data(load_config(YEAR, data_dir=data, processed_dir=processed, period_from=PERIOD[0],
                                 period_to=PERIOD[1]))
        ingest_seconds = time.perf_counter() - started
        selection = select_areas(["all"], processed)
        every = selection.codes
        sizes = sorted({len(every) if s.strip() == "all" else min(int(s), len(every))
                        for s in args.sizes.split(",")})
        for workers in [int(w) for w in args.workers.split(",")]:
            for n in sizes:
                result = run(every[:n], workers, data, processed, tmp / f"reports-{workers}-{n}", args.sections)
                results.append(result)
                print(f"{workers} worker(s), {n} areas: {result['seconds']:.1f} s"
                      f"{' — ' + result['failed'] if result['failed'] else ''}", file=sys.stderr, flush=True)

    rows = []
    for r in results:
        per_area = r["seconds"] / r["areas"]
        rows.append([r["workers"], r["areas"], f"{r['seconds']:.1f}", f"{per_area:.1f}",
                     f"{r['areas'] / r['seconds'] * 60:.2f}", f"{r['peak_worker_mib']:.0f}",
                     f"{r['peak_with_kernels_mib']:.0f}", "failed: " + r["failed"] if r["failed"] else "ok"])
    growth = []
    for workers in sorted({r["workers"] for r in results}):
        mine = sorted((r for r in results if r["workers"] == workers), key=lambda r: r["areas"])
        if len(mine) >= 2:
            # seconds per additional area between the smallest and each larger run: constant if linear
            base = mine[0]
            steps = [f"{(r['seconds'] - base['seconds']) / (r['areas'] - base['areas']):.1f} (to {r['areas']})"
                     for r in mine[1:]]
            growth.append(f"- {workers} worker(s): seconds per additional area beyond {base['areas']}: "
                          f"{', '.join(steps)} — "
                          "equal numbers mean time linear in the number of areas")
    text = "\n\n".join([
        f"# National scale: --area all on the embedded Dask cluster ({manifest['forces']} forces x "
        f"{len(manifest['months'])} months, {manifest['rows']:,} rows; sections: {args.sections})",
        machine_line(),
        f"- ingest, once for every run: {ingest_seconds:.1f} s; `--area all` = {len(every)} partnerships with "
        f"police records ({', '.join(every)}); {len(selection.skipped)} partnerships of the lookup skipped "
        "(no police records: the national data resample Kent's LSOAs)",
        markdown_table(["workers", "areas", "wall time (s)", "s per area", "areas per minute",
                        "peak RSS per worker (MiB)", "with its kernels (MiB)", "result"], rows,
                       right={0, 1, 2, 3, 4, 5, 6}),
        "\n".join(growth) or "- (one size only: no growth measured)",
        "Wall time includes starting the embedded cluster (once per run) and each area's sections, exports "
        "and document; areas run side by side, as many at once as the cluster has workers, plus one in "
        "preparation.",
    ])
    write_result("national", text)


if __name__ == "__main__":
    main()

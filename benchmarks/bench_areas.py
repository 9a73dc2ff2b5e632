"""Many areas in one invocation: every Community Safety Partnership of the Kent police force area.

Runs ``python pipeline.py --year 2022 --area Kent --data ../shared/data --from 2022-01 --to 2022-11``
(the real Kent Police files: 12 partnerships, 13 local authorities, Dartford and Gravesham sharing
one) into temporary folders, as ``csp_assessment.run.main_many`` does, and prints the time of the
one ingest, of each area (its sections, exports and document) and in total. A second, unchanged
invocation measures what a rerun of all areas costs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from common import SHARED_DATA, machine_line, markdown_table, write_result

from csp_assessment.run import Progress, main_many


def per_area(progress: Progress, year_dir: Path) -> tuple[float, list[tuple[str, float]]]:
    """(ingest seconds, [(area code, seconds)]): the ingest from the run's progress lines, each
    area's time from ``areas.json`` (areas run side by side on the Dask cluster, so their times overlap)."""
    ingest = next(float(re.match(r"\[\s*([\d.]+)s\]", line).group(1)) for line in progress.lines
                  if "] ingest   done" in line)
    summary = json.loads((year_dir / "areas.json").read_text(encoding="utf-8"))
    return ingest, [(area["code"], area["seconds"]) for area in summary["areas"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", default="all_crime,asb", help="sections per area (default: all_crime,asb, "
                                                                    "the ones the police files feed)")
    parser.add_argument("--workers", type=int, help="Dask workers of the run's embedded cluster (default: one per core)")
    args = parser.parse_args()
    if not (SHARED_DATA / "police-uk").is_dir():
        sys.exit(f"The real Kent files are not at {SHARED_DATA}: this benchmark needs ../shared/data.")

    with tempfile.TemporaryDirectory(prefix="csp-bench-areas-") as tmp:
        options = dict(data_dir=SHARED_DATA, period_from="2022-01", period_to="2022-11", sections=args.sections,
                       out_dir=Path(tmp) / "reports", processed_dir=Path(tmp) / "processed")
        runs = {}
        for name in ("cold run", "unchanged rerun"):
            progress = Progress(stream=open(os.devnull, "w"))
            start = time.perf_counter()
            year_dir = main_many(2022, ["Kent"], progress, workers=args.workers, **options)
            runs[name] = (time.perf_counter() - start, *per_area(progress, year_dir))

    cold_total, cold_ingest, cold_areas = runs["cold run"]
    rerun_total, rerun_ingest, rerun_areas = runs["unchanged rerun"]
    rows = [["ingest (once)", f"{cold_ingest:.1f}", f"{rerun_ingest:.1f}"]]
    again = dict(rerun_areas)
    rows += [[f"area {code}", f"{seconds:.1f}", f"{again[code]:.1f}" if code in again else "–"]
             for code, seconds in cold_areas]
    rows.append(["**total**", f"**{cold_total:.1f}**", f"**{rerun_total:.1f}**"])
    text = "\n\n".join([
        f"# Many areas: the {len(cold_areas)} Kent partnerships in one invocation (real Kent Police files, "
        f"Jan–Nov 2022; sections: {args.sections})",
        machine_line(),
        markdown_table(["stage", "cold run (s)", "unchanged rerun (s)"], rows, right={1, 2}),
        f"- {cold_total / len(cold_areas):.1f} s an area on the cold run (wall time / areas), each with its sections, "
        "exports and document; areas run side by side on the embedded Dask cluster, so the per-area times "
        "above overlap; the ingest runs once for all of them.",
    ])
    write_result("areas", text)


if __name__ == "__main__":
    main()

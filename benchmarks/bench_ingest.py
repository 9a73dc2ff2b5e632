#!/usr/bin/env python
"""Benchmark the police.uk ingest at national scale against a naive pandas baseline.

For each N given with --months, on 43 forces x N months of street-level files made by
make_national_data.py (about 17,000 rows a file):

- project ingest: ``police_uk.discover``, ``choose_one_per_month`` and ``write_street_counts``, which
  writes the counts per (month, force, LSOA, crime type) the pipeline stores (police_counts.parquet,
  here into the child's temporary folder) and returns the per-file report;
- naive baseline: ``pandas.read_csv`` of every file, one ``concat``, a left join to the ONS LSOA ->
  ward -> local authority lookup (../shared/data/ons/lsoa11-ward17-lad17-lookup.csv) and a count
  per month, local authority, ward, LSOA and crime type.

Each runs in its own subprocess, so its peak memory is its own: the parent reads the child's
``ru_maxrss`` from ``os.wait4``. The parent also guards the machine: a child whose resident memory
passes --memory-guard-gb, or that runs longer than --timeout, is killed and reported as "did not
finish" with the reason. Files are read once beforehand so both approaches start with the same
page cache. Wall time is measured inside the child around the work (interpreter start and imports
excluded); peak memory includes them. With --repeat, the approaches alternate and each one's fastest
run is reported (other work on the machine only ever slows a run), with the machine's load average.

Targets: project ingest >= 5x the baseline's rows/second; project peak memory < 2 GiB at the
largest N; cost linear in rows (seconds per million rows at the largest N within 1.25x of the
smallest N's). Both approaches must count every row: their totals are asserted equal to each other
and to the number of rows generated.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import SHARED_DATA, machine_line, markdown_table, verdict, write_result
from make_national_data import FORCES, CannotGenerate, generate, street_files

LOOKUP = SHARED_DATA / "ons" / "lsoa11-ward17-lad17-lookup.csv"
TARGET_SPEEDUP = 5.0  # project rows/s >= this x baseline rows/s
TARGET_PEAK_MIB = 2048  # project peak memory at the largest N
TARGET_LINEARITY = 1.25  # s per million rows, largest N / smallest N
APPROACHES = {"project": "project ingest (DuckDB)", "naive": "naive pandas baseline"}


# ---- the two approaches (run in a child process) -------------------------------------------------

def run_project(data_dir: Path) -> dict:
    import pyarrow.parquet as pq

    from csp_assessment.ingest import police_uk

    counts_path = Path.cwd() / "police_counts.parquet"
    start = time.perf_counter()
    kept, _ = police_uk.choose_one_per_month(police_uk.discover(data_dir))
    file_report = police_uk.write_street_counts(kept, counts_path)
    seconds = time.perf_counter() - start
    total = int(pq.read_table(counts_path, columns=["records"])["records"].to_numpy().sum())
    assert total == int(file_report["records"].sum()), "counts and file report disagree"
    return {"seconds": seconds, "rows": total, "files": len(kept)}


def run_naive(data_dir: Path) -> dict:
    import pandas as pd

    start = time.perf_counter()
    files = street_files(data_dir)
    rows = pd.concat([pd.read_csv(path) for path in files], ignore_index=True)
    lookup = pd.read_csv(LOOKUP)
    joined = rows.merge(lookup, how="left", left_on="LSOA code", right_on="LSOA11CD")
    counts = joined.groupby(["Month", "LAD17CD", "WD17CD", "LSOA code", "Crime type"], dropna=False).size()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": int(counts.sum()), "files": len(files)}


def worker(approach: str, data_dir: Path, result_file: Path) -> int:
    run = {"project": run_project, "naive": run_naive}[approach]
    result_file.write_text(json.dumps(run(data_dir)), encoding="utf-8")
    return 0


# ---- the parent: guarded subprocesses, then the tables -------------------------------------------

def resident_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except FileNotFoundError:  # exited between checks
        pass
    return 0


def available_bytes() -> int:
    with open("/proc/meminfo", encoding="ascii") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("MemAvailable:"))


def measure(approach: str, data_dir: Path, guard_bytes: int, timeout: float) -> dict:
    """Run one approach in a child; its result, with peak memory, or a "did not finish" reason."""
    # The child works in a temporary folder: anything it spills (DuckDB's .tmp) stays out of the repository.
    with tempfile.TemporaryDirectory(prefix="csp-bench-ingest-") as tmp:
        result_file = Path(tmp) / "result.json"
        stderr_file = Path(tmp) / "stderr.txt"
        with open(stderr_file, "wb") as stderr:
            child = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker", approach,
                                      "--data", str(data_dir.resolve()), "--result", str(result_file)],
                                     cwd=tmp, stderr=stderr)
        started, reason = time.monotonic(), None
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if reason is None:
                resident = resident_bytes(child.pid)
                if resident > guard_bytes:
                    reason = (f"killed at {resident / 2**30:.1f} GiB resident, over the "
                              f"{guard_bytes / 2**30:.1f} GiB memory guard")
                elif time.monotonic() - started > timeout:
                    reason = f"killed after the {timeout:.0f} s time limit"
                if reason:
                    child.kill()
            time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, not by Popen
        measured = {"peak_bytes": usage.ru_maxrss * 1024, "load": os.getloadavg()[0]}
        if reason is None and child.returncode != 0:
            last_line = (stderr_file.read_text(encoding="utf-8", errors="replace").strip().splitlines() or [""])[-1]
            reason = f"exited with status {child.returncode}: {last_line}"
        if reason:
            return {"error": reason, "elapsed": time.monotonic() - started, "killed": child.returncode < 0, **measured}
        return {**measured, **json.loads(result_file.read_text(encoding="utf-8"))}


def best(previous: dict | None, new: dict) -> dict:
    """Keep the fastest finished run (other work on the machine only ever slows a run) and the highest peak."""
    if previous is None or "error" in new:
        return new
    fastest = min(previous, new, key=lambda r: r["seconds"])
    return {**fastest, "peak_bytes": max(previous["peak_bytes"], new["peak_bytes"])}


def warm_page_cache(files: list[Path]) -> None:
    for path in files:
        with open(path, "rb") as fh:
            while fh.read(1 << 24):
                pass


def per_million(result: dict) -> float:
    return result["seconds"] / (result["rows"] / 1e6)


def results_table(datasets: list[dict]) -> str:
    rows = []
    for data in datasets:
        label = f"national-{data['months']} ({FORCES} forces × {data['months']} months"
        if "error" in data:
            rows.append([label + ")", "–", "–", "–", "–", "–", "–", "–", f"not generated: {data['error']}"])
            continue
        label += f", {data['gigabytes']:.1f} GB CSV)"
        for approach, name in APPROACHES.items():
            result = data[approach]
            peak = ("≥ " if result.get("killed") else "") + f"{result['peak_bytes'] / 2**20:,.0f}"
            if "error" in result:
                rows.append([label, name, "–", "–", "–", "–", peak, f"{result['load']:.1f}",
                             f"did not finish: {result['error']} (after {result['elapsed']:.0f} s)"])
            else:
                rows.append([label, name, f"{result['rows']:,}", f"{result['seconds']:.1f}",
                             f"{result['rows'] / result['seconds']:,.0f}", f"{per_million(result):.2f}", peak,
                             f"{result['load']:.1f}", "finished"])
            label = ""
    return markdown_table(["data set", "approach", "rows", "wall time (s)", "rows/s", "s per million rows",
                           "peak memory (MiB)", "load", "status"], rows, right={2, 3, 4, 5, 6, 7})


def targets_table(datasets: list[dict]) -> str:
    measured = [d for d in datasets if "error" not in d]
    rows = []
    for data in measured:
        project, naive = data["project"], data["naive"]
        target = f"project ≥ {TARGET_SPEEDUP:.0f}× baseline rows/s, N={data['months']}"
        if "error" in project or "error" in naive:
            failed = "project ingest" if "error" in project else "baseline"
            rows.append([target, f"n/a: the {failed} did not finish", f"≥ {TARGET_SPEEDUP:.0f}×",
                         "missed" if "error" in project else "n/a"])
        else:
            speedup = naive["seconds"] / project["seconds"] * project["rows"] / naive["rows"]
            rows.append([target, f"{speedup:.1f}×", f"≥ {TARGET_SPEEDUP:.0f}×",
                         verdict(speedup, TARGET_SPEEDUP, at_most=False)])
    if measured:
        largest = max(measured, key=lambda d: d["months"])
        project = largest["project"]
        peak = project["peak_bytes"] / 2**20
        target = f"project peak memory < 2 GiB, N={largest['months']}"
        if "error" in project and not project["killed"]:
            rows.append([target, "n/a: the project ingest failed", f"< {TARGET_PEAK_MIB:,} MiB", "n/a"])
        else:  # a run killed by the guard peaked at least this high
            rows.append([target, ("≥ " if "error" in project else "") + f"{peak:,.0f} MiB",
                         f"< {TARGET_PEAK_MIB:,} MiB", verdict(peak, TARGET_PEAK_MIB)])
    if len(measured) >= 2:
        small, large = min(measured, key=lambda d: d["months"]), max(measured, key=lambda d: d["months"])
        target = f"project cost linear in rows: s per million rows, N={large['months']} / N={small['months']}"
        unfinished = [d["months"] for d in (small, large) if "error" in d["project"]]
        if unfinished:
            rows.append([target, f"n/a: the project ingest did not finish at N={unfinished[0]}",
                         f"≤ {TARGET_LINEARITY}", "missed"])
        else:
            ratio = per_million(large["project"]) / per_million(small["project"])
            rows.append([target, f"{per_million(large['project']):.2f} / {per_million(small['project']):.2f} = "
                         f"{ratio:.2f}", f"≤ {TARGET_LINEARITY}", verdict(ratio, TARGET_LINEARITY)])
    for data in measured:
        counted = [f"{name} {data[key]['rows']:,}" for key, name in (("project", "project"), ("naive", "baseline"))
                   if "error" not in data[key]]
        rows.append([f"same total count, N={data['months']}", ", ".join([f"generated {data['rows']:,}", *counted]),
                     "all equal", "met (asserted)" if counted else "n/a: neither finished"])
    return markdown_table(["target", "measured", "limit", "result"], rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--months", type=int, nargs="+", default=[12, 60], metavar="N",
                        help="data sets to measure: 43 forces x N months each (default: 12 60)")
    parser.add_argument("--memory-guard-gb", type=float,
                        help="kill a measurement whose resident memory passes this many GiB "
                             "(default: half the memory available at start)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per measurement (default: 3600)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each approach, alternating; the fastest is reported (default: 1)")
    parser.add_argument("--worker", choices=list(APPROACHES), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker(args.worker, args.data, args.result)
    guard = int(args.memory_guard_gb * 2**30) if args.memory_guard_gb else available_bytes() // 2
    header = machine_line()
    datasets = []
    for n in args.months:
        print(f"national-{n}: generating (or reusing) the data ...", file=sys.stderr)
        try:
            folder, manifest = generate(n)
        except CannotGenerate as exc:
            datasets.append({"months": n, "error": str(exc)})
            continue
        files = street_files(folder)
        data = {"months": n, "rows": manifest["rows"], "gigabytes": sum(p.stat().st_size for p in files) / 1e9}
        warm_page_cache(files)
        for attempt in range(1, args.repeat + 1):
            for approach in APPROACHES:
                if "error" in data.get(approach, {}):
                    continue  # a run that was stopped or failed is not tried again
                print(f"national-{n}: {APPROACHES[approach]}, run {attempt} of {args.repeat} ...", file=sys.stderr)
                result = measure(approach, folder, guard, args.timeout)
                if "error" not in result:
                    assert result["rows"] == manifest["rows"], (f"{APPROACHES[approach]} counted {result['rows']:,} "
                                                                f"rows, {manifest['rows']:,} were generated")
                data[approach] = best(data.get(approach), result)
        datasets.append(data)
    notes = (f"Peak memory: the child process's ru_maxrss (interpreter and imports included), the highest of "
             f"{args.repeat} run(s); wall time: the fastest. Load: the machine's 1-minute load average when the run "
             f"ended ({os.cpu_count()} cores; above that, other work was competing). Memory guard: "
             f"{guard / 2**30:.1f} GiB resident; time limit {args.timeout:.0f} s per measurement.")
    write_result("ingest", "\n\n".join(["# Ingest benchmark: data.police.uk street files at national scale",
                                        header, results_table(datasets), targets_table(datasets), notes]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

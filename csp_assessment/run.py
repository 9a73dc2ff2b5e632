"""The yearly run: ingest -> section notebooks (papermill) -> exports -> index.

Reports are assembled in a staging folder beside ``reports/<year>/`` and moved into place only
when every section has run and exported, so a failed run never leaves a half-written report
over a good one. A failed run's partial output is kept in ``reports/<year>-failed/``.
"""

from __future__ import annotations

import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .config import RunConfig, with_area
from .execute import SectionFailed, execute_section
from .export import export_section, write_index
from .geography import Geography
from .ingest.folder import prepare_data
from .measures import present_local_authorities
from .sections import SECTIONS
from .store import read_table


class Progress:
    """One line per step with the elapsed time, to the terminal and to the run log."""

    def __init__(self, stream=sys.stdout):
        self.start = time.perf_counter()
        self.lines: list[str] = []
        self.stream = stream

    def __call__(self, message: str) -> None:
        line = f"[{time.perf_counter() - self.start:7.1f}s] {message}"
        self.lines.append(line)
        print(line, file=self.stream, flush=True)


def _notebook_parameters(config: RunConfig, findings_dir: Path) -> dict:
    """Only plain values: papermill writes them into the notebook as Python literals."""
    return {
        "year": config.year,
        "area": list(config.area_codes),
        "data_dir": str(config.data_dir),
        "period_from": str(config.period.start),
        "period_to": str(config.period.end),
        "processed_dir": str(config.processed_dir),
        "findings_dir": str(findings_dir),
    }


def resolve_area(config: RunConfig) -> RunConfig:
    """Fill the area's names from the ONS lookups; an unknown code stops the run here, listing what exists."""
    geo = Geography(config.processed_dir)
    present = present_local_authorities(read_table(config.processed_dir, "police_counts"), geo.lsoa_lookup)
    area = geo.resolve(config.area_codes, present)
    return with_area(config, area.name, area.partnership_name)


def main(config: RunConfig, progress: Progress | None = None) -> Path:
    """Run the assessment described by ``config``; return the report folder."""
    progress = progress or Progress()
    progress(f"ingest   {config.data_dir}")
    ingest = prepare_data(config)
    n_files = len(ingest.sources.get("police_uk", []))
    progress(f"ingest   done: {n_files} police.uk files{' (unchanged, reused)' if ingest.reused else ''}"
             f"{' — synthetic demo data' if ingest.demo else ''}")
    for warning in ingest.warnings:
        progress(f"warning  {warning}")
    config = resolve_area(config)
    progress(f"area     {config.area_name} ({', '.join(config.area_codes)}), {config.period.long_label}")

    final_dir = config.report_dir
    staging = final_dir.parent / f".{final_dir.name}-running"
    failed_dir = final_dir.parent / f"{final_dir.name}-failed"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    findings_dir = staging / "findings"
    parameters = _notebook_parameters(config, findings_dir)

    sections = []
    try:
        for key in config.sections:
            spec = SECTIONS[key]
            executed = execute_section(spec, staging / "notebooks" / spec.notebook, parameters)
            progress(f"section  {spec.title}: executed")
            paths = export_section(executed, staging, title=f"{spec.title} — {config.area_name}",
                                   subtitle=f"{config.title} · {config.period.long_label}", demo_notice=ingest.demo)
            progress(f"export   {spec.title}: HTML (reviewers), HTML with code (analysts), PDF")
            sections.append({"title": spec.title, "notebook": executed, **paths})
    except SectionFailed as failure:
        progress(f"FAILED   {failure.section}: {failure.error}")
        shutil.rmtree(failed_dir, ignore_errors=True)
        staging.rename(failed_dir)
        failure.notebook = failed_dir / failure.notebook.relative_to(staging)
        (failed_dir / "run.log").write_text("\n".join(progress.lines) + "\n", encoding="utf-8")
        raise

    log_path = staging / "run.log"
    generated_at = datetime.now(timezone.utc).strftime("%d %B %Y %H:%M UTC")
    progress("index    writing index.html")
    log_path.write_text("\n".join(progress.lines + [f"csp_assessment {__version__}"]) + "\n", encoding="utf-8")
    write_index(staging, year=config.year, area_name=config.area_name, period_label=config.period.long_label,
                sections=sections, demo_notice=ingest.demo, run_log=log_path, generated_at=generated_at)

    # Swap the finished report into place; the previous one is removed only after the swap.
    previous = final_dir.parent / f".{final_dir.name}-previous"
    shutil.rmtree(previous, ignore_errors=True)
    if final_dir.exists():
        final_dir.rename(previous)
    staging.rename(final_dir)
    shutil.rmtree(previous, ignore_errors=True)
    shutil.rmtree(failed_dir, ignore_errors=True)
    progress(f"done     reports in {final_dir} — open {final_dir / 'index.html'}")
    return final_dir


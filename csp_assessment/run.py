"""The yearly run: ingest -> section notebooks (papermill) -> exports -> index and manifest.

- Sections run in parallel (one worker per core by default), each executed then exported by the
  same worker; the report keeps the params' section order.
- A section whose notebook, parameters, input data, package code and params files are all
  unchanged since the last successful run is not executed again: its outputs are carried over
  (``force=True`` reruns everything). An unchanged rerun executes nothing.
- Reports are assembled in a staging folder and swapped into ``reports/<year>/`` only when every
  section has run and exported, so a failed or killed run never leaves a half-written report over
  a good one. A failed run's partial output is kept in ``reports/<year>-failed/``. A run stopped
  between the swap's two renames is repaired by the next one (the previous report put back).
- One run at a time per reports folder and processed folder (runlock); a single-area run never
  replaces another area's report.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from .report import partnership_text
from . import provenance, store
from .config import AREA_CODE, RunConfig, load_config, with_area
from .errors import ConfigError
from .runlock import DEFAULT_WAIT_SECONDS, exclusive_run
from .report.document import export_document, write_document_notebook
from .report.priority_report import build_priority_report
from .execute import NOTEBOOK_DIR, SectionFailed, check_kernels_can_start, execute_section
from .report.export import export_section, write_index
from . import geography
from .geography import Geography, partnerships_of, placement_report
from .ingest.folder import IngestSummary, prepare_data
from .stats.measures import present_local_authorities
from .sections import SECTIONS, SectionSpec

MANIFEST = "manifest.json"
DOCUMENT = "document"  # its key sits beside the sections' in the manifest
PRIORITIES = "priorities.json"


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
    placed = geo.place(store.read_table(config.processed_dir, "police_counts"))
    present = present_local_authorities(placed.assign(lsoa_code=placed["report_lsoa"]), geo.lsoa_lookup)
    area = geo.resolve(config.area_codes, present)
    return with_area(config, area.name, area.partnership_name)


def check_placement(config: RunConfig, progress: Progress) -> None:
    """Say in the run log when the area's police records cannot all be placed; stop the run when
    too many cannot (a wrong headline is worse than none)."""
    geo = Geography(config.processed_dir)
    placed = geo.place(store.read_table(config.processed_dir, "police_counts"))
    area = geo.resolve(config.area_codes)
    months = sorted(set(config.period.months) | set(config.comparison.months))
    report = placement_report(geo, placed, area.lad_codes, months)
    for warning in geography.check_placement(report, config.unplaced_warn_pct, config.unplaced_stop_pct,
                                             config.data_dir, config.area_name or area.name):
        progress(f"WARNING  {warning}")


def _section_outputs(spec: SectionSpec, report_dir: Path) -> dict[str, Path]:
    stem = Path(spec.notebook).stem
    return {"notebook": report_dir / "notebooks" / spec.notebook, "html": report_dir / f"{stem}.html",
            "html_code": report_dir / f"{stem}-analyst.html", "pdf": report_dir / f"{stem}.pdf",
            "findings": report_dir / "findings" / f"{spec.key}.json"}


def _previous_keys(report_dir: Path) -> dict[str, str]:
    """The keys of the last successful run: each section's, and the document's under DOCUMENT."""
    path = report_dir / MANIFEST
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # an unreadable manifest only means everything runs again
    keys = {key: entry.get("key", "") for key, entry in manifest.get("sections", {}).items()}
    keys[DOCUMENT] = manifest.get("document", {}).get("key", "")
    return keys


def _ingest(config: RunConfig, progress: Progress, force: bool = False) -> IngestSummary:
    progress(f"ingest   {config.data_dir}")
    ingest = prepare_data(config, force=force)
    n_files = len(ingest.sources.get("police_uk", []))
    changed = "unchanged, tables reused" if ingest.reused else f"read: {', '.join(ingest.rebuilt) or 'nothing new'}"
    progress(f"ingest   done: {n_files} police.uk files ({changed}){' — synthetic demo data' if ingest.demo else ''}")
    if not ingest.reused:  # warnings were shown when the tables were made
        for warning in ingest.warnings:
            progress(f"warning  {warning}")
    return ingest


def _timed(function, *args, **kwargs):
    """Run ``function`` (in a worker process) and say how long it took: (result, seconds)."""
    start = time.perf_counter()
    return function(*args, **kwargs), time.perf_counter() - start


def _keep_failed_run(failure: SectionFailed, config: RunConfig, progress: Progress, staging: Path,
                     failed_dir: Path, final_dir: Path) -> None:
    """Move the partial run beside the untouched previous report, with its log and a summary."""
    progress(f"FAILED   {failure.section}: {failure.error}")
    shutil.rmtree(failed_dir, ignore_errors=True)
    staging.rename(failed_dir)
    failure.notebook = failed_dir / failure.notebook.relative_to(staging)
    (failed_dir / "run.log").write_text("\n".join(progress.lines) + "\n", encoding="utf-8")
    (failed_dir / "FAILED.txt").write_text(
        f"The run of {config.title} for {config.area_name} failed; the previous report in {final_dir} is "
        f"untouched.\n\nSection: {failure.section}\nCell: {failure.cell or 'none (before any cell ran)'}\n"
        f"Error: {failure.error}\nPartly executed notebook: {failure.notebook}\nRun log: {failed_dir / 'run.log'}\n",
        encoding="utf-8")


def _check_workers(workers: int | None) -> None:
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers {workers}: give the number of sections to run at once, 1 or more "
                          f"(or leave it out for one per CPU core, {os.cpu_count() or 1} here)")


def _restore_interrupted_swap(final_dir: Path, progress: Progress) -> None:
    """A run stopped between the two renames of its final swap leaves the previous report set aside
    and none in place: put the previous one back, and say so."""
    previous_dir = final_dir.parent / f".{final_dir.name}-previous"
    if not previous_dir.exists():
        return
    if final_dir.exists():
        shutil.rmtree(previous_dir)
    else:
        previous_dir.rename(final_dir)
        progress(f"restored {final_dir}: an earlier run was stopped while swapping in its report, so the report "
                 "before it has been put back")


def _check_report_belongs_to_area(final_dir: Path, config: RunConfig) -> None:
    """Never silently replace another area's report (or a folder of several areas' reports)."""
    if not final_dir.is_dir() or not any(final_dir.iterdir()):
        return
    try:
        area = json.loads((final_dir / MANIFEST).read_text(encoding="utf-8"))["area"]
    except (OSError, ValueError, KeyError, TypeError):
        area = None
    if area and list(area.get("codes", [])) == list(config.area_codes):
        return
    holds = (f"the report for {area.get('name')} ({', '.join(area.get('codes', []))})" if area
             else "other files (no report manifest: perhaps several areas' reports)")
    raise ConfigError(f"{final_dir} holds {holds}; this run is for {config.area_name} "
                      f"({', '.join(config.area_codes)}) and would replace it. Give another reports folder with "
                      f"--out, or remove {final_dir} first")


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the export processes now (an interrupted or failed run), rather than after their work."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _end_with_parent(parent_pid: int) -> None:
    """Run in each export process: end it when the run that started it has ended (even if killed)."""
    import threading

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-run", daemon=True).start()


def main(config: RunConfig, progress: Progress | None = None, *, force: bool = False,
         workers: int | None = None, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> Path:
    """Run the assessment described by ``config``; return the report folder.

    Holds the reports and processed folders' locks for the whole run: one run at a time per folder."""
    progress = progress or Progress()
    _check_workers(workers)
    with exclusive_run({"reports": config.out_dir, "processed tables": config.processed_dir}, progress, wait_seconds):
        return _run_area(config, progress, force=force, workers=workers)


def _run_area(config: RunConfig, progress: Progress, *, force: bool, workers: int | None,
              ingest_force: bool | None = None) -> Path:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    ingest = _ingest(config, progress, force if ingest_force is None else ingest_force)
    timings["ingest"] = time.perf_counter() - started
    config = resolve_area(config)
    progress(f"area     {config.area_name} ({', '.join(config.area_codes)}), {config.period.long_label}")
    check_placement(config, progress)

    final_dir = config.report_dir
    staging = final_dir.parent / f".{final_dir.name}-running"
    failed_dir = final_dir.parent / f"{final_dir.name}-failed"
    _restore_interrupted_swap(final_dir, progress)
    _check_report_belongs_to_area(final_dir, config)
    findings_dir = staging / "findings"
    # Keys are computed with the final folder's paths, so they do not change from run to run.
    parameters = _notebook_parameters(config, final_dir / "findings")
    data_fingerprint = store.read_manifest(config.processed_dir)["fingerprint"]
    code = provenance.code_fingerprint()
    specs = [SECTIONS[key] for key in config.sections]
    text = partnership_text.for_run(config, demo=ingest.demo)
    for line in text.missing_lines():
        progress(f"text     {line}")
    for path in text.unrecognised:
        progress(f"warning  {path} is not one of the partnership's text files and is not used: rename it to one of "
                 f"{', '.join(p.file for p in partnership_text.PARTS.values())} or a section's file")
    # A section shows its own commentary file, so its key covers that file's text too.
    keys = {spec.key: provenance.section_key(NOTEBOOK_DIR / spec.notebook,
                                             {**parameters, "commentary": text.fingerprint([spec.key])},
                                             data_fingerprint, code)
            for spec in specs}
    document_key = provenance.document_key(keys, text.fingerprint())
    previous = {} if force else _previous_keys(final_dir)
    reusable = {spec.key for spec in specs if previous.get(spec.key) == keys[spec.key]
                and all(p.exists() for p in _section_outputs(spec, final_dir).values())}
    if (reusable == {spec.key for spec in specs} and set(previous) - {DOCUMENT} == reusable
            and previous.get(DOCUMENT) == document_key):
        progress(f"done     nothing changed since the last run: {final_dir / 'index.html'} is up to date")
        return final_dir

    try:
        return _build_report(config, progress, ingest, specs, keys, reusable, parameters, timings,
                             staging, final_dir, failed_dir, workers, text, document_key)
    except SectionFailed:
        raise  # its partial output was kept in the -failed folder, to read
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # a full disk, a refused write, Ctrl-C: no half-written report
        raise


def _build_report(config: RunConfig, progress: Progress, ingest: IngestSummary, specs: list[SectionSpec],
                  keys: dict[str, str], reusable: set[str], parameters: dict, timings: dict[str, float],
                  staging: Path, final_dir: Path, failed_dir: Path, workers: int | None,
                  text: partnership_text.PartnershipText, document_key: str) -> Path:
    findings_dir = staging / "findings"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for spec in specs:
        if spec.key in reusable:
            for name, old in _section_outputs(spec, final_dir).items():
                new = _section_outputs(spec, staging)[name]
                new.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(old, new)
            progress(f"section  {spec.title}: unchanged since the last run, not executed again")

    run_parameters = {**parameters, "findings_dir": str(findings_dir)}

    workers = workers or os.cpu_count() or 1
    to_run = [spec for spec in specs if spec.key not in reusable]
    if to_run:
        check_kernels_can_start()
    # Notebooks run in kernels of their own, so threads suffice to run them side by side; printing
    # (nbconvert and WeasyPrint) is pure Python, so it goes to processes to use every core. "spawn"
    # because forking a process that is running threads can deadlock.
    exports = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_end_with_parent, initargs=(os.getpid(),))

    def run_section(spec: SectionSpec) -> tuple[float, Future]:
        t0 = time.perf_counter()
        executed = execute_section(spec, _section_outputs(spec, staging)["notebook"], run_parameters)
        progress(f"section  {spec.title}: executed in {time.perf_counter() - t0:.1f}s")
        return time.perf_counter() - t0, exports.submit(
            _timed, export_section, executed, staging, title=f"{spec.title} — {config.area_name}",
            subtitle=f"{config.title} · {config.period.long_label}", demo_notice=ingest.demo)

    generated_at = datetime.now(timezone.utc)
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(to_run) or 1))) as pool:
            futures = {spec.key: pool.submit(run_section, spec) for spec in to_run}
            failure: SectionFailed | None = None
            exported: dict[str, Future] = {}
            for spec in to_run:  # report order: the first failing section in params order is the one named
                try:
                    timings[f"notebook {spec.key}"], exported[spec.key] = futures[spec.key].result()
                except SectionFailed as exc:
                    failure = failure or exc
        if failure:
            exports.shutdown(cancel_futures=True)  # let running exports finish before the folder moves
            _keep_failed_run(failure, config, progress, staging, failed_dir, final_dir)
            raise failure

        # The document needs every section executed, not exported: it is printed alongside them.
        inputs = provenance.input_files(ingest.sources, store.read_table(config.processed_dir, "police_files"))
        priorities = build_priority_report(config, findings_dir)
        if priorities is not None:
            # the ranking as data, beside the findings, for analysts and for next year's progress
            store.write_json(staging / PRIORITIES, priorities.as_json())
            if priorities.assessment.provisional:
                progress("warning  priorities are provisional: no scores from the partnership for "
                         f"{', '.join(priorities.assessment.ranked.loc[lambda t: t['provisional'], 'theme'])}")
        notebook = write_document_notebook(staging, config, specs,
                                           {s.key: _section_outputs(s, staging)["notebook"] for s in specs},
                                           inputs, demo=ingest.demo, generated_at=generated_at.strftime("%d %B %Y"),
                                           text=text, priorities=priorities)
        document_job = exports.submit(_timed, export_document, notebook, staging,
                                      f"{config.title} — {config.area_name}", ingest.demo)
        for spec in to_run:
            _, timings[f"export {spec.key}"] = exported[spec.key].result()
            progress(f"export   {spec.title}: HTML (reviewers), HTML with code (analysts), PDF "
                     f"in {timings[f'export {spec.key}']:.1f}s")
        document, timings["document"] = document_job.result()
        progress(f"document {document['html'].name} and {document['pdf'].name} in {timings['document']:.1f}s")
    except BaseException:
        _stop_workers(exports)
        raise
    finally:
        exports.shutdown(cancel_futures=True)

    progress("index    writing index.html and manifest.json")
    sections = [{"title": f"{config.title} (the whole document)", "html": document["html"], "pdf": document["pdf"],
                 "notebook": document["notebook"]}]
    sections += [{"title": spec.title, **_section_outputs(spec, staging)} for spec in specs]
    log_path = staging / "run.log"
    log_path.write_text("\n".join(progress.lines) + "\n", encoding="utf-8")
    write_index(staging, year=config.year, area_name=config.area_name, period_label=config.period.long_label,
                sections=sections, demo_notice=ingest.demo, run_log=log_path,
                generated_at=generated_at.strftime("%d %B %Y %H:%M UTC"))
    store.write_json(staging / MANIFEST, {
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "area": {"name": config.area_name, "codes": list(config.area_codes)},
        "params": {**parameters, "findings_dir": "findings", "title": config.title, "sections": list(config.sections),
                   "comparison": config.comparison.label, "trend": [p.label for p in config.trend],
                   "population_year": config.population_year, "peers": config.peers,
                   "spc": {"rebase": list(config.spc_rebase), "fix_after": config.spc_fix_after,
                           "screen_outliers": config.spc_screen_outliers, "targets": config.spc_targets}},
        "demo_data": ingest.demo,
        "inputs": inputs,
        "ingest_warnings": ingest.warnings,
        "sections": {spec.key: {"key": keys[spec.key], "executed": spec.key not in reusable} for spec in specs},
        "document": {"key": document_key,
                     "partnership_text": {key: str(path) for key, path in text.files.items()},
                     "partnership_text_missing": [part.file for part in text.missing]},
        "stage_seconds": {stage: round(seconds, 2) for stage, seconds in timings.items()},
        "versions": provenance.package_versions(),
        "git_commit": provenance.git_commit(),
    })

    # Swap the finished report into place; the previous one is removed only after the swap.
    previous_dir = final_dir.parent / f".{final_dir.name}-previous"
    shutil.rmtree(previous_dir, ignore_errors=True)
    if final_dir.exists():
        final_dir.rename(previous_dir)
    staging.rename(final_dir)
    shutil.rmtree(previous_dir, ignore_errors=True)
    shutil.rmtree(failed_dir, ignore_errors=True)
    progress(f"done     reports in {final_dir} — open {final_dir / 'index.html'}")
    return final_dir


def partnerships_of_force(processed_dir: Path, force: str) -> list[str]:
    """The Community Safety Partnership codes of a police force area, named as people name it
    ('Kent', 'Kent Police', 'kent'), from the ONS local authority -> CSP -> force lookup."""
    if not store.has_table(processed_dir, "area_lookup"):
        raise ConfigError(f"'{force}' is not an ONS code, and no local authority -> CSP -> police force lookup is "
                          "in the data folder to read it as a police force name")
    return partnerships_of(force, store.read_table(processed_dir, "area_lookup"))


def main_many(year: int, areas: list[str], progress: Progress | None = None, *, force: bool = False,
              workers: int | None = None, wait_seconds: float = DEFAULT_WAIT_SECONDS, **options) -> Path:
    """Several areas in one invocation: ``areas`` are ONS codes or police force names (meaning all
    the force's partnerships). The ingest runs once; each area reports into
    ``reports/<year>/<area code>/``; ``reports/<year>/index.html`` lists them."""
    progress = progress or Progress()
    _check_workers(workers)
    base = load_config(year, **options)
    with exclusive_run({"reports": base.out_dir, "processed tables": base.processed_dir}, progress, wait_seconds):
        return _run_areas(year, areas, base, progress, force=force, workers=workers, **options)


def _run_areas(year: int, areas: list[str], base: RunConfig, progress: Progress, *, force: bool,
               workers: int | None, **options) -> Path:
    year_dir = base.out_dir / str(year)
    if (year_dir / MANIFEST).exists():  # one area's report: the areas' folders and index would go into it
        area = json.loads((year_dir / MANIFEST).read_text(encoding="utf-8")).get("area", {})
        raise ConfigError(f"{year_dir} holds the report for {area.get('name', 'one area')}; a run of several areas "
                          f"would write its areas' reports and index into it. Give another reports folder with --out, "
                          f"or remove {year_dir} first")
    _ingest(base, progress, force)
    codes: list[str] = []
    for area in areas:
        found = [area.upper()] if AREA_CODE.match(area.upper()) else partnerships_of_force(base.processed_dir, area)
        codes += [code for code in found if code not in codes]
    progress(f"areas    {len(codes)}: {', '.join(codes)}")
    reports = []
    for code in codes:
        config = replace(load_config(year, area=code, **options), report_subdir=code)
        report_dir = _run_area(config, progress, force=force, workers=workers, ingest_force=False)
        manifest = json.loads((report_dir / MANIFEST).read_text(encoding="utf-8"))
        reports.append((manifest["area"]["name"], code, report_dir, manifest["demo_data"]))
    write_index(year_dir, year=year, area_name="", period_label=base.period.long_label, demo_notice=reports[0][3],
                generated_at=datetime.now(timezone.utc).strftime("%d %B %Y %H:%M UTC"),
                heading=f"Community Safety Strategic Assessments {year}",
                sections=[{"title": f"{name} ({code})", "links": [
                    ("Assessment", folder / f"strategic-assessment-{year}.html"),
                    ("PDF", folder / f"strategic-assessment-{year}.pdf"),
                    ("All reports", folder / "index.html")]} for name, code, folder, _ in reports])
    progress(f"done     {len(reports)} areas — open {year_dir / 'index.html'}")
    return year_dir

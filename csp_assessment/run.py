"""The yearly run: ingest -> section notebooks (papermill) -> exports -> index and manifest.

- Sections, their exports and the document are Dask tasks (engine.py): on an embedded LocalCluster
  sized to the machine by default, or on an existing cluster (``scheduler``). Several
  areas (``main_many``) share one ingest and one cluster, and run side by side; a failed area is
  reported and the others finish. The report keeps the params' section order.
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
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from . import geography, kernels, provenance, store
from .areas import select_areas
from .config import RunConfig, load_config, with_area
from .display import partnership_text
from .display.data_tables import tables_file
from .engine import Engine, check_loopback, check_workers
from .errors import ConfigError, InputError, describe_os_error
from .execute import NOTEBOOK_DIR, SectionFailed, execute_section
from .geography import Geography, partnerships_of, placement_report
from .ingest.folder import IngestSummary
from .inputs import prepare_inputs
from .report.document import draft_reasons, export_document, write_document_notebook
from .report.export import analyst_only_cells, export_section, warm_printer, write_index
from .report.priority_report import build_priority_report
from .report.workbook import write_workbook
from .runlock import DEFAULT_WAIT_SECONDS, exclusive_run
from .sections import SECTIONS, SectionSpec, check_config, section_titles
from .stats.measures import present_local_authorities

MANIFEST = "manifest.json"
DOCUMENT = "document"  # its key sits beside the sections' in the manifest
PRIORITIES = "priorities.json"
AREAS_SUMMARY = "areas.json"  # a run of several areas: what became of each
_DRIVER_CHARTS = threading.Lock()  # the run's own process draws the priority charts; matplotlib is not thread-safe


SKIPPED_NAMED = 10  # partnerships without police records named in the run log


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

    def log(self, message: str) -> None:
        """Into the run log only, not to the terminal: details such as a traceback."""
        self.lines.append(f"[{time.perf_counter() - self.start:7.1f}s] {message}")


class AreaProgress(Progress):
    """One area's lines in a run of several: kept for its own run log, and shown in the run's
    progress with the area's code (areas run side by side, so their lines interleave)."""

    def __init__(self, parent: Progress, code: str):
        self.parent, self.code = parent, code
        self.start = parent.start
        self.lines = []
        self.stream = parent.stream

    def __call__(self, message: str) -> None:
        self.lines.append(f"[{time.perf_counter() - self.start:7.1f}s] {message}")
        self.parent(f"{self.code}  {message}")

    def log(self, message: str) -> None:
        self.lines.append(f"[{time.perf_counter() - self.start:7.1f}s] {message}")
        self.parent.log(f"{self.code}  {message}")


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


_PLACED: dict[tuple[str, str], tuple[Geography, object]] = {}
_PLACED_LOCK = threading.Lock()


def _placed_counts(processed_dir: Path):
    """(Geography, police counts placed in it) of the processed tables, read once per set of tables:
    the areas of a run share them."""
    key = (str(Path(processed_dir).resolve()), store.read_manifest(processed_dir)["fingerprint"])
    with _PLACED_LOCK:
        if key not in _PLACED:
            _PLACED.clear()
            geo = Geography(processed_dir)
            _PLACED[key] = (geo, geo.place(store.read_table(processed_dir, "police_counts")))
        return _PLACED[key]


def resolve_area(config: RunConfig) -> RunConfig:
    """Fill the area's names from the ONS lookups; an unknown code stops the run here, listing what exists."""
    geo, placed = _placed_counts(config.processed_dir)
    present = present_local_authorities(placed.assign(lsoa_code=placed["report_lsoa"]), geo.lsoa_lookup)
    area = geo.resolve(config.area_codes, present)
    return with_area(config, area.name, area.partnership_name)


def check_placement(config: RunConfig, progress: Progress) -> None:
    """Say in the run log when the area's police records cannot all be placed; stop the run when
    too many cannot (a wrong headline is worse than none)."""
    geo, placed = _placed_counts(config.processed_dir)
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
            "findings": report_dir / "findings" / f"{spec.key}.json",
            "tables": tables_file(report_dir / "findings", spec.key)}


def _previous_manifest(report_dir: Path) -> dict:
    """The manifest of the last successful run into ``report_dir``; {} when there is none."""
    path = report_dir / MANIFEST
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # an unreadable manifest only means everything runs again
    return manifest if isinstance(manifest, dict) else {}


def _previous_keys(manifest: dict) -> dict[str, str]:
    """The keys of the last successful run: each section's, and the document's under DOCUMENT."""
    keys = {key: entry.get("key", "") for key, entry in manifest.get("sections", {}).items()}
    keys[DOCUMENT] = manifest.get("document", {}).get("key", "")
    return keys


# What makes two runs one assessment: a section's result is kept only into a report of the same one.
# (The processed folder is where the tables go, not what they hold; findings_dir is the report's own.)
SAME_ASSESSMENT = ("year", "area", "data_dir", "period_from", "period_to")


@dataclass
class SectionPlan:
    """Which sections a run executes, which it takes from the last run, and which the report lacks.

    ``specs``: the report's sections, in params order; ``keys``: the key each will carry in the
    manifest (a kept section keeps the key it was executed with, so a later run without --sections
    knows whether it is up to date); ``unchanged``: sections to run whose key is unchanged (their
    outputs are carried over, not executed); ``kept``: sections not in --sections taken from the
    last run as they are; ``stale``: the kept ones whose notebook, data, code or commentary changed
    since; ``left_out``: sections not in --sections with no result for this assessment to keep."""

    specs: list[SectionSpec]
    keys: dict[str, str]
    unchanged: set[str]
    kept: set[str]
    stale: set[str]
    left_out: list[SectionSpec]

    @property
    def carried(self) -> set[str]:
        """Sections whose outputs are copied from the last run instead of executed."""
        return self.unchanged | self.kept


def _plan_sections(config: RunConfig, current_keys: dict[str, str], manifest: dict, final_dir: Path,
                   parameters: dict, force: bool) -> SectionPlan:
    requested = set(config.sections)
    previous = _previous_keys(manifest)
    same_assessment = all(manifest.get("params", {}).get(name) == parameters[name] for name in SAME_ASSESSMENT)

    def has_outputs(spec: SectionSpec) -> bool:
        return all(p.exists() for p in _section_outputs(spec, final_dir).values())

    specs, keys, unchanged, kept, stale, left_out = [], {}, set(), set(), set(), []
    for key in config.report_sections:
        spec = SECTIONS[key]
        if key in requested:
            keys[key] = current_keys[key]
            if not force and previous.get(key) == current_keys[key] and has_outputs(spec):
                unchanged.add(key)
        elif same_assessment and previous.get(key) and has_outputs(spec):
            keys[key] = previous[key]
            kept.add(key)
            if previous[key] != current_keys[key]:
                stale.add(key)
        else:
            left_out.append(spec)
            continue
        specs.append(spec)
    return SectionPlan(specs, keys, unchanged, kept, stale, left_out)


def _say_plan(plan: SectionPlan, progress: Progress) -> None:
    """The run log's account of a --sections run: what it keeps from the last run and what is missing."""
    for spec in plan.specs:
        if spec.key in plan.kept:
            progress(f"section  {spec.title}: reused from the last run (not in --sections), not executed"
                     + (" (made before a change to its notebook, data, code or commentary: a run without "
                        "--sections updates it)" if spec.key in plan.stale else ""))
    if plan.kept:
        progress(f"sections reused from the last run: {', '.join(s.key for s in plan.specs if s.key in plan.kept)}")
    for spec in plan.left_out:
        progress(f"warning  {spec.title} ({spec.key}) is not in this report: not in --sections, and the reports "
                 f"folder holds no result of it for this assessment to reuse. Run it with --sections {spec.key}, "
                 "or without --sections")


def _ingest(config: RunConfig, progress: Progress, force: bool = False, *,
            engine: Engine | None = None) -> IngestSummary:
    progress(f"ingest   {config.data_dir}")
    # While the ingest's last kind is read in one thread, the PDF printer (in this process when the
    # run's cluster is) starts and prints a page: the sections' first exports then find it warm.
    spare_core = warm_printer if engine is not None and engine.in_process else None
    ingest = prepare_inputs(config, force=force, say=progress, spare_core=spare_core)
    n_files = len(ingest.sources.get("police_uk", []))
    changed = "unchanged, tables reused" if ingest.reused else f"read: {', '.join(ingest.rebuilt) or 'nothing new'}"
    progress(f"ingest   done: {n_files} police.uk files ({changed}){' — synthetic demo data' if ingest.demo else ''}")
    if not ingest.reused:  # warnings were shown when the tables were made
        for warning in ingest.warnings:
            progress(f"warning  {warning}")
    return ingest


def _say_priorities(assessment, progress: Progress) -> None:
    """What the run log says about the priorities' basis: evidence only, themes apart, blank scores."""
    if assessment.evidence_only:
        progress("warning  priorities: the partnership has scored no theme, so the document shows evidence for "
                 "priority setting, not a ranking of risk (scoring template: data/raw/priority-scores-template.csv)")
    elif not assessment.unscored_themes.empty:
        progress("warning  priorities: not yet scored by the partnership, so listed apart and not ranked: "
                 f"{', '.join(assessment.unscored_themes['theme'])}")
    if assessment.provisional:
        progress("warning  priorities are provisional: some scores are blank (counted as the middle of their scale) "
                 f"for {', '.join(assessment.ranked.loc[assessment.ranked['provisional'], 'theme'])}")
    if not assessment.no_data.empty:
        progress(f"priority no data supplied for {', '.join(assessment.no_data['theme'])}: shown as such, "
                 "neither ranked nor read as low risk")


def _task_priority(area_priority: int, kind: str, order: int = 0) -> int:
    """Dask's priority (higher first) of an area's task: the area's priority first, then the document,
    then the notebooks and then the exports, each in params order (``order``, from 0)."""
    n = len(SECTIONS)  # an area runs each section at most once: order < n
    rank = {"document": 2 * n, "execute": n + n - 1 - order, "export": n - 1 - order}[kind]
    return area_priority * 3 * n + rank


def _timed(function, *args, **kwargs):
    """Run ``function`` (in a Dask worker) and say how long it took: (result, seconds)."""
    start = time.perf_counter()
    return function(*args, **kwargs), time.perf_counter() - start


def _export_executed(executed: tuple[Path, float], out_dir: Path, **options):
    """A Dask task: export the notebook a section's execution task made, (paths, seconds)."""
    return _timed(export_section, executed[0], out_dir, **options)


def _keep_failed_run(failure: SectionFailed, config: RunConfig, progress: Progress, staging: Path,
                     failed_dir: Path, final_dir: Path) -> None:
    """Move the partial run beside the untouched previous report, with its log and a summary."""
    progress(f"FAILED   {failure.section}: {' '.join(failure.error.split())}")
    if failure.trace:
        progress.log(f"traceback of {failure.section}:\n{failure.trace.rstrip()}")
    _remove(failed_dir)
    staging.rename(failed_dir)
    failure.notebook = failed_dir / failure.notebook.relative_to(staging)
    (failed_dir / "run.log").write_text("\n".join(progress.lines) + "\n", encoding="utf-8")
    (failed_dir / "FAILED.txt").write_text(
        f"The run of {config.title} for {config.area_name} failed; the previous report in {final_dir} is "
        f"untouched.\n\nSection: {failure.section}\nCell: {failure.cell or 'none (before any cell ran)'}\n"
        f"Error: {failure.error}\nPartly executed notebook: {failure.notebook}\nRun log: {failed_dir / 'run.log'}\n",
        encoding="utf-8")


def _remove(path: Path) -> None:
    """Remove a folder, a file or a symbolic link (the link, not what it points to); nothing if absent."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path)


def _report_folder(final_dir: Path) -> Path:
    """Where the report goes: a symbolic link (reports/2022 -> /shared/csp-2022) is followed, so the
    swap happens beside its target and the link stays as it was; a link to nothing is refused."""
    if final_dir.is_symlink() and not final_dir.exists():
        raise ConfigError(f"{final_dir} is a symbolic link to {os.readlink(final_dir)}, which does not exist: "
                          "create that folder, or remove the link, and run again")
    return final_dir.resolve() if final_dir.is_symlink() else final_dir


def _restore_interrupted_swap(final_dir: Path, progress: Progress) -> None:
    """A run stopped between the two renames of its final swap leaves the previous report set aside
    and none in place: put the previous one back, and say so. Also remove what a stopped run left:
    its staging folder (the run lock says no run is using it)."""
    _remove(final_dir.parent / f".{final_dir.name}-running")
    previous_dir = final_dir.parent / f".{final_dir.name}-previous"
    if not (previous_dir.exists() or previous_dir.is_symlink()):
        return
    if final_dir.exists() or final_dir.is_symlink():
        _remove(previous_dir)
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


def _engine(config: RunConfig, progress: Progress, workers: int | None, scheduler: str | None, *,
            processes: bool = True) -> Engine:
    return Engine(scheduler, workers, {"data folder": config.data_dir, "processed folder": config.processed_dir,
                                       "reports folder": config.out_dir}, say=progress, processes=processes,
                  log=progress.log)


def main(config: RunConfig, progress: Progress | None = None, *, force: bool = False,
         workers: int | None = None, wait_seconds: float = DEFAULT_WAIT_SECONDS, scheduler: str | None = None) -> Path:
    """Run the assessment described by ``config``; return the report folder.

    Holds the reports and processed folders' locks for the whole run: one run at a time per folder.
    The sections run as Dask tasks: ``workers`` notebooks at a time on a worker in this process, their
    exports beside them (default one notebook per core; see engine.py), or on the cluster whose
    scheduler is at ``scheduler``."""
    progress = progress or Progress()
    check_config(config)
    check_workers(workers)
    with exclusive_run({"reports": config.out_dir, "processed tables": config.processed_dir}, progress, wait_seconds), \
            _engine(config, progress, workers, scheduler, processes=False) as engine:
        if scheduler is None:
            # The sections' kernels are forked in this process's workers from a warm interpreter, which
            # imports the notebooks' stack while the ingest runs (kernels.py); a run with nothing to
            # execute ends it unused.
            kernels.warm()
        try:
            return _run_area(config, progress, force=force, engine=engine)
        finally:
            kernels.close()


def _run_area(config: RunConfig, progress: Progress, *, force: bool, engine: Engine,
              ingest: IngestSummary | None = None, priority: int = 0) -> Path:
    """One area's report; ``ingest`` when the run of several areas has already made the tables."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    ingest = ingest or _ingest(config, progress, force, engine=engine)
    timings["ingest"] = time.perf_counter() - started
    config = resolve_area(config)
    progress(f"area     {config.area_name} ({', '.join(config.area_codes)}), {config.period.long_label}")
    check_placement(config, progress)

    final_dir = _report_folder(config.report_dir)
    staging = final_dir.parent / f".{final_dir.name}-running"
    failed_dir = final_dir.parent / f"{final_dir.name}-failed"
    _restore_interrupted_swap(final_dir, progress)
    _check_report_belongs_to_area(final_dir, config)
    # Keys are computed with the final folder's paths, so they do not change from run to run.
    parameters = _notebook_parameters(config, final_dir / "findings")
    data_fingerprint = store.read_manifest(config.processed_dir)["fingerprint"]
    code = provenance.code_fingerprint()
    text = partnership_text.for_run(config, demo=ingest.demo, titles=section_titles())
    for path in text.unrecognised:
        progress(f"warning  {path} is not one of the partnership's text files and is not used: rename it to one of "
                 f"{', '.join(p.file for p in partnership_text.PARTS.values())} or a section's file")
    # A section shows its own commentary file, so its key covers that file's text too.
    current_keys = {key: provenance.section_key(NOTEBOOK_DIR / SECTIONS[key].notebook,
                                                {**parameters, "commentary": text.fingerprint([key])},
                                                data_fingerprint, code)
                    for key in config.report_sections}
    manifest = _previous_manifest(final_dir)
    plan = _plan_sections(config, current_keys, manifest, final_dir, parameters, force)
    specs, keys = plan.specs, plan.keys
    in_report = {spec.key for spec in specs}
    for part, line in zip(text.missing, text.missing_lines()):
        if part.key in partnership_text.PARTS or part.key in in_report:
            progress(f"text     {line}")
    _say_plan(plan, progress)
    document_key = provenance.document_key(keys, text.fingerprint())
    previous = _previous_keys(manifest)
    if (plan.carried == in_report and set(previous) - {DOCUMENT} == in_report
            and previous.get(DOCUMENT) == document_key):
        progress(f"done     nothing changed since the last run: {final_dir / 'index.html'} is up to date")
        return final_dir

    try:
        return _build_report(config, progress, ingest, plan, parameters, timings,
                             staging, final_dir, failed_dir, engine, text, document_key, priority)
    except SectionFailed:
        raise  # its partial output was kept in the -failed folder, to read
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # a full disk, a refused write, Ctrl-C: no half-written report
        raise


def _log_missing_inputs(specs: list[SectionSpec], findings_dir: Path, progress: Progress) -> None:
    """How to add each input a section lacks: the run log is where analysts look (the reviewers'
    document lists what is missing and who publishes it, never download steps)."""
    for spec in specs:
        path = findings_dir / f"{spec.key}.json"
        if path.exists():
            for steps in json.loads(path.read_text(encoding="utf-8")).get("missing_inputs", []):
                progress(f"input    {spec.title}: {steps}")


def _build_report(config: RunConfig, progress: Progress, ingest: IngestSummary, plan: SectionPlan,
                  parameters: dict, timings: dict[str, float],
                  staging: Path, final_dir: Path, failed_dir: Path, engine: Engine,
                  text: partnership_text.PartnershipText, document_key: str, priority: int = 0) -> Path:
    specs, keys = plan.specs, plan.keys
    findings_dir = staging / "findings"
    _remove(staging)
    staging.mkdir(parents=True)
    for spec in specs:
        if spec.key in plan.carried:  # its findings, reports, figures (in the notebook) and notebook
            for name, old in _section_outputs(spec, final_dir).items():
                new = _section_outputs(spec, staging)[name]
                new.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(old, new)
            if spec.key in plan.unchanged:
                progress(f"section  {spec.title}: unchanged since the last run, not executed again")

    # The notebooks read the tables this run ingested, as they are (sections.open_section): never the
    # data folder again, where a file replaced mid-run would give the report two sets of figures.
    run_parameters = {**parameters, "findings_dir": str(findings_dir),
                      "run_tables": store.read_manifest(config.processed_dir)["fingerprint"]}

    to_run = [spec for spec in specs if spec.key not in plan.carried]
    if to_run:
        check_loopback()
    # Every notebook, its exports and the document are Dask tasks (see engine.py); the exports of a
    # section start as soon as it has executed, the document once every section has. Within an area's
    # priority (the first areas first), notebooks go in params order (all crime, the longest, first,
    # so no long notebook is left to run alone at the end), before any export; the document first of all.
    label = config.report_subdir or ",".join(config.area_codes)
    subtitle = f"{config.title} · {config.period.long_label}"
    executions = {spec.key: engine.submit(f"{label} {spec.key} execute", _timed, execute_section, spec,
                                          _section_outputs(spec, staging)["notebook"], run_parameters,
                                          priority=_task_priority(priority, "execute", order), notebook=True)
                  for order, spec in enumerate(to_run)}
    exported = {spec.key: engine.submit(f"{label} {spec.key} export", _export_executed, executions[spec.key],
                                        staging, title=f"{spec.title} — {config.area_name}", subtitle=subtitle,
                                        demo_notice=ingest.demo, priority=_task_priority(priority, "export", order))
                for order, spec in enumerate(to_run)}
    tasks = [*executions.values(), *exported.values()]
    generated_at = datetime.now(timezone.utc)
    try:
        failure: SectionFailed | None = None
        for spec in to_run:  # report order: the first failing section in params order is the one named
            try:
                _, timings[f"notebook {spec.key}"] = executions[spec.key].result()
                progress(f"section  {spec.title}: executed in {timings[f'notebook {spec.key}']:.1f}s")
            except SectionFailed as exc:
                failure = failure or exc
        if failure:
            engine.settle(tasks)  # let running exports finish before the folder moves
            _keep_failed_run(failure, config, progress, staging, failed_dir, final_dir)
            raise failure

        _log_missing_inputs(specs, findings_dir, progress)
        # The document needs every section executed, not exported: it is printed alongside them.
        # the files as the ingest read them (their hashes then), whatever happened to them since
        inputs = provenance.input_files(ingest.sources, store.read_table(config.processed_dir, "police_files"),
                                        store.read_manifest(config.processed_dir).get("file_hashes", {}))
        with _DRIVER_CHARTS:  # matplotlib is not thread-safe, and several areas are prepared at once
            priorities = build_priority_report(config, findings_dir)
            if priorities is not None:
                # the ranking as data, beside the findings, for analysts and for next year's progress
                store.write_json(staging / PRIORITIES, priorities.as_json())
                _say_priorities(priorities.assessment, progress)
            for reason in draft_reasons(config, text, priorities):
                progress(f"draft    the document is marked DRAFT until the partnership supplies {reason}")
            notebook = write_document_notebook(staging, config, specs,
                                               {s.key: _section_outputs(s, staging)["notebook"] for s in specs},
                                               inputs, demo=ingest.demo,
                                               generated_at=generated_at.strftime("%d %B %Y"),
                                               text=text, priorities=priorities)
        document_job = engine.submit(f"{label} document", _timed, export_document, notebook, staging,
                                     f"{config.title} — {config.area_name}", ingest.demo,
                                     priority=_task_priority(priority, "document"))
        tasks.append(document_job)
        # The tables behind the document, written while it prints: the workbook and a CSV per table.
        started_tables = time.perf_counter()
        tables = write_workbook(staging, config, specs, findings_dir, priorities, inputs, demo=ingest.demo,
                                draft=draft_reasons(config, text, priorities), generated_at=generated_at)
        timings["tables"] = time.perf_counter() - started_tables
        progress(f"tables   {tables['xlsx'].name} and a CSV per table in {tables['tables'].name}/ "
                 f"in {timings['tables']:.1f}s")
        if not config.contact:
            progress(f"tables   no contact in params: the workbook's cover names {config.partnership or config.area_name} "
                     f"as the contact; set contact: in params/{config.year}.yaml (who to ask about the figures)")
        for spec in to_run:
            _, timings[f"export {spec.key}"] = exported[spec.key].result()
            progress(f"export   {spec.title}: HTML (reviewers), HTML with code (analysts), PDF "
                     f"in {timings[f'export {spec.key}']:.1f}s")
        for spec in specs:
            for cell in analyst_only_cells(_section_outputs(spec, staging)["notebook"]):
                progress(f"analyst  {spec.notebook} {cell}: its raw output (a DataFrame as pandas prints it, a bare "
                         "value or printed text) is in the analyst HTML only; show reviewers a table with "
                         "show_table (docs/jupyterlab.md)")
        document, timings["document"] = document_job.result()
        progress(f"document {document['html'].name} and {document['pdf'].name} in {timings['document']:.1f}s")
    except SectionFailed:
        raise
    except Exception:
        engine.cancel(tasks)
        engine.settle(tasks)  # nothing of this area still writing into the staging folder it removes
        raise
    except BaseException:
        engine.cancel(tasks)  # Ctrl-C: the embedded cluster is closed with the run
        raise

    progress("index    writing index.html and manifest.json")
    sections = [{"title": f"{config.title} (the whole document)", "html": document["html"], "pdf": document["pdf"],
                 "notebook": document["notebook"]}]
    sections += [{"title": spec.title, **_section_outputs(spec, staging)} for spec in specs]
    sections.append({"title": "The tables behind the assessment", "links": [
        ("Spreadsheet (xlsx)", tables["xlsx"]), ("CSV files", tables["tables"] / "README.md")]})
    log_path = staging / "run.log"
    log_path.write_text("\n".join(progress.lines) + "\n", encoding="utf-8")
    write_index(staging, year=config.year, area_name=config.area_name, period_label=config.period.long_label,
                sections=sections, demo_notice=ingest.demo, run_log=log_path,
                generated_at=generated_at.strftime("%d %B %Y %H:%M UTC"))
    store.write_json(staging / MANIFEST, {
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "area": {"name": config.area_name, "codes": list(config.area_codes)},
        "params": {**parameters, "findings_dir": "findings", "title": config.title,
                   "sections": [spec.key for spec in specs], "requested_sections": list(config.sections),
                   "comparison": config.comparison.label, "trend": [p.label for p in config.trend],
                   "population_year": config.population_year, "peers": config.peers,
                   "spc": {"rebase": list(config.spc_rebase), "fix_after": config.spc_fix_after,
                           "screen_outliers": config.spc_screen_outliers, "targets": config.spc_targets}},
        "demo_data": ingest.demo,
        "inputs": inputs,
        "ingest_warnings": ingest.warnings,
        "sections": {spec.key: {"key": keys[spec.key], "executed": spec.key not in plan.carried,
                                **({"reused_from_last_run": True, "up_to_date": spec.key not in plan.stale}
                                   if spec.key in plan.kept else {})} for spec in specs},
        "document": {"key": document_key,
                     "partnership_text": {key: str(path) for key, path in text.files.items()},
                     "partnership_text_missing": [part.file for part in text.missing]},
        "stage_seconds": {stage: round(seconds, 2) for stage, seconds in timings.items()},
        "versions": provenance.package_versions(),
        "git_commit": provenance.git_commit(),
    })

    # Swap the finished report into place; the previous one is removed only after the swap.
    previous_dir = final_dir.parent / f".{final_dir.name}-previous"
    _remove(previous_dir)
    if final_dir.exists():
        final_dir.rename(previous_dir)
    staging.rename(final_dir)
    _remove(previous_dir)
    _remove(failed_dir)
    progress(f"done     reports in {final_dir} — open {final_dir / 'index.html'}")
    return final_dir


def partnerships_of_force(processed_dir: Path, force: str) -> list[str]:
    """The Community Safety Partnership codes of a police force area, named as people name it
    ('Kent', 'Kent Police', 'kent'), from the ONS local authority -> CSP -> force lookup."""
    if not store.has_table(processed_dir, "area_lookup"):
        raise ConfigError(f"'{force}' is not an ONS code, and no local authority -> CSP -> police force lookup is "
                          "in the data folder to read it as a police force name")
    return partnerships_of(force, store.read_table(processed_dir, "area_lookup"))


class AreasFailed(Exception):
    """Some areas of a run of several failed (the others finished): the message names them."""


@dataclass
class AreaResult:
    code: str
    name: str = ""
    failed: str = ""  # the error, on one line; empty when the area's report is in place
    seconds: float = 0.0
    report_dir: Path | None = None
    demo: bool = False


class AreasProgress:
    """Areas done / total, with the elapsed time and an estimate of the time remaining."""

    def __init__(self, total: int, progress: Progress):
        self.total, self.progress = total, progress
        self.started = time.perf_counter()
        self.done = self.failed = 0
        self._lock = threading.Lock()

    def finished(self, result: AreaResult) -> None:
        with self._lock:
            self.done += 1
            self.failed += bool(result.failed)
            elapsed = time.perf_counter() - self.started
            remaining = elapsed / self.done * (self.total - self.done)
            what = f"FAILED {result.code}: {result.failed}" if result.failed else f"{result.code} {result.name}"
            self.progress(f"areas    {self.done}/{self.total} done{f' ({self.failed} failed)' if self.failed else ''}"
                          f" — {_duration(elapsed)} elapsed, about {_duration(remaining)} remaining — {what}")


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else \
        f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, InputError):
        return describe_os_error(exc)
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text if isinstance(exc, (ConfigError, InputError, SectionFailed)) else f"{type(exc).__name__}: {text}"


def main_many(year: int, areas: list[str], progress: Progress | None = None, *, force: bool = False,
              workers: int | None = None, wait_seconds: float = DEFAULT_WAIT_SECONDS, scheduler: str | None = None,
              **options) -> Path:
    """Several areas in one invocation: ``areas`` are ONS codes, police force names, region names or
    codes, or ``all`` (see areas.py). The ingest runs once; the areas run side by side as Dask tasks,
    each reporting into ``reports/<year>/<area code>/``; ``reports/<year>/index.html`` lists them.
    A failed area does not stop the others: AreasFailed names the failed ones at the end."""
    progress = progress or Progress()
    check_workers(workers)
    base = check_config(load_config(year, **options))
    with exclusive_run({"reports": base.out_dir, "processed tables": base.processed_dir}, progress, wait_seconds), \
            _engine(base, progress, workers, scheduler) as engine:
        return _run_areas(year, areas, base, progress, force=force, engine=engine, **options)


def _run_areas(year: int, areas: list[str], base: RunConfig, progress: Progress, *, force: bool,
               engine: Engine, **options) -> Path:
    year_dir = _report_folder(base.out_dir / str(year))
    if (year_dir / MANIFEST).exists():  # one area's report: the areas' folders and index would go into it
        area = json.loads((year_dir / MANIFEST).read_text(encoding="utf-8")).get("area", {})
        raise ConfigError(f"{year_dir} holds the report for {area.get('name', 'one area')}; a run of several areas "
                          f"would write its areas' reports and index into it. Give another reports folder with --out, "
                          f"or remove {year_dir} first")
    ingest = _ingest(base, progress, force)
    selection = select_areas(areas, base.processed_dir)
    codes = selection.codes
    if selection.skipped:
        # A national lookup skips hundreds: the log names a few, areas.json lists them all.
        named = ", ".join(f"{code} {name}" for code, name in selection.skipped[:SKIPPED_NAMED])
        more = len(selection.skipped) - SKIPPED_NAMED
        progress(f"skipped  {len(selection.skipped)} partnerships of the lookup: no police records for them in "
                 f"{base.data_dir}: {named}{f' and {more} more (all listed in areas.json)' if more > 0 else ''}")
    progress(f"areas    {len(codes)}: {', '.join(codes)}")
    if engine.scheduler:
        engine.client  # connect now: how many areas to prepare at once depends on the cluster's size
    tracker = AreasProgress(len(codes), progress)

    def run_one(index: int, code: str) -> AreaResult:
        started = time.perf_counter()
        result = AreaResult(code)
        try:
            config = replace(load_config(year, area=code, **options), report_subdir=code)
            report_dir = _run_area(config, AreaProgress(progress, code), force=force, engine=engine, ingest=ingest,
                                   priority=len(codes) - index)  # the first areas first: they finish first
            manifest = json.loads((report_dir / MANIFEST).read_text(encoding="utf-8"))
            result.name, result.report_dir, result.demo = manifest["area"]["name"], report_dir, manifest["demo_data"]
        except Exception as exc:  # the area failed; the others go on
            if engine.closed:  # Ctrl-C closed the cluster: the run is stopping, not this area failing
                raise
            result.failed = _one_line(exc)
        result.seconds = time.perf_counter() - started
        tracker.finished(result)
        return result

    # Each area is prepared (keys, staging folder, document notebook, manifest) here and computed by
    # the cluster; one more area in preparation than the cluster has threads keeps every worker busy.
    pool = ThreadPoolExecutor(max_workers=min(len(codes), engine.slots + 1), thread_name_prefix="area")
    try:
        results = [future.result() for future in [pool.submit(run_one, i, code) for i, code in enumerate(codes)]]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        engine.close()  # Ctrl-C: stop the cluster's work now; each area removes its staging folder
        raise
    finally:
        pool.shutdown()

    done = [r for r in results if not r.failed]
    failed = [r for r in results if r.failed]
    year_dir.mkdir(parents=True, exist_ok=True)
    if done:
        write_index(year_dir, year=year, area_name="", period_label=base.period.long_label, demo_notice=done[0].demo,
                    generated_at=datetime.now(timezone.utc).strftime("%d %B %Y %H:%M UTC"),
                    heading=f"Community Safety Strategic Assessments {year}",
                    sections=[{"title": f"{r.name} ({r.code})", "links": [
                        ("Assessment", r.report_dir / f"strategic-assessment-{year}.html"),
                        ("PDF", r.report_dir / f"strategic-assessment-{year}.pdf"),
                        ("All reports", r.report_dir / "index.html")]} for r in done])
    progress(f"summary  {len(results)} areas: {len(done)} done, {len(failed)} failed"
             f"{f', {len(selection.skipped)} skipped (no police records)' if selection.skipped else ''}")
    width = max(len(r.name) for r in results) if done else 4
    progress(f"         {'area':<10} {'result':<7} {'seconds':>8}  {'partnership':<{width}}  error")
    for r in results:
        progress(f"         {r.code:<10} {'FAILED' if r.failed else 'done':<7} {r.seconds:>8.1f}  {r.name:<{width}}  "
                 f"{r.failed}".rstrip())
    store.write_json(year_dir / AREAS_SUMMARY, {
        "areas": [{"code": r.code, "name": r.name, "result": "failed" if r.failed else "done", "error": r.failed,
                   "seconds": round(r.seconds, 2)} for r in results],
        "skipped_no_police_records": [{"code": code, "name": name} for code, name in selection.skipped],
    })
    (year_dir / "run.log").write_text("\n".join(progress.lines) + "\n", encoding="utf-8")
    if failed:
        raise AreasFailed(f"{len(failed)} of {len(results)} areas failed: "
                          f"{', '.join(f'{r.code} ({r.failed})' for r in failed)}; the other areas' reports are in "
                          f"{year_dir}, and {year_dir / AREAS_SUMMARY} lists what became of each")
    progress(f"done     {len(done)} areas — open {year_dir / 'index.html'}")
    return year_dir

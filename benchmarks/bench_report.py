"""The CPU of a yearly run's report side, step by step, in one process: the section exports, the
document's notebook and its HTML, the workbook and its CSVs.

    python benchmarks/bench_report.py REPORT_DIR [--data DATA] [--processed PROCESSED] [--repeat 3]

REPORT_DIR is a finished run's report folder (``reports/2017`` after ``python pipeline.py --year
2017``; ``--data`` and ``--processed`` as that run was given them). Its executed notebooks, findings
and manifest are copied into a temporary folder and the report is made again from them, as the run
makes it (``export_section`` per section, ``write_document_notebook``, ``export_document``,
``write_workbook``), except that no PDF is printed: printing is Chromium's CPU, in its own processes.
The exports run in two threads, as on the run's two Dask workers, each with its own exporters.

CPU is the process's user and system time (``time.process_time``), not wall time: the machine may
be shared. The rounds run in one process, each on fresh copies of the files: the first round also
pays what a run pays once per process (imports, compiling the page templates and CSS selectors), and
the fastest of ``--repeat`` rounds is what is left of each step on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from common import machine_line, markdown_table, write_result

from csp_assessment import run
from csp_assessment.config import load_config
from csp_assessment.display import partnership_text
from csp_assessment.report import document, export, workbook
from csp_assessment.report.priority_report import build_priority_report
from csp_assessment.sections import SECTIONS, section_titles


def one_round(report_dir: Path, work: Path, config, workers: int) -> dict[str, float]:
    """Make the report's HTML, document and workbook again in ``work``: CPU seconds per step."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(report_dir / "findings", work / "findings")
    (work / "notebooks").mkdir(parents=True)
    manifest = json.loads((report_dir / "manifest.json").read_text(encoding="utf-8"))
    specs = [SECTIONS[key] for key in manifest["params"]["sections"]]
    executed = {}
    for spec in specs:
        executed[spec.key] = work / "notebooks" / f"{Path(spec.notebook).stem}.ipynb"
        shutil.copy2(report_dir / "notebooks" / executed[spec.key].name, executed[spec.key])
    text = partnership_text.for_run(config, demo=manifest["demo_data"], titles=section_titles())
    generated_at = datetime.fromisoformat(manifest["generated_at"])
    cpu: dict[str, float] = {}

    def timed(step, function, *args, **kwargs):
        started = time.process_time()
        result = function(*args, **kwargs)
        cpu[step] = time.process_time() - started
        return result

    def export_one(spec):
        return export.export_section(executed[spec.key], work, title=f"{spec.title} — {config.area_name}",
                                     subtitle=f"{config.title} · {config.period.long_label}",
                                     demo_notice=manifest["demo_data"])

    with ThreadPoolExecutor(workers) as pool:
        timed(f"section exports ({len(specs)}, {workers} threads)", lambda: list(pool.map(export_one, specs)))
        priorities = build_priority_report(config, work / "findings")
        notebook = timed("document notebook", document.write_document_notebook, work, config, specs, executed,
                         manifest["inputs"], demo=manifest["demo_data"],
                         generated_at=generated_at.strftime("%d %B %Y"), text=text, priorities=priorities)
        timed("document HTML", lambda: pool.submit(document.export_document, notebook, work,
                                                   f"{config.title} — {config.area_name}",
                                                   manifest["demo_data"]).result())
    timed("workbook and CSVs", workbook.write_workbook, work, config, specs, work / "findings", priorities,
          manifest["inputs"], demo=manifest["demo_data"], draft=document.draft_reasons(config, text, priorities),
          generated_at=generated_at)
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report_dir", type=Path, help="a finished run's report folder, e.g. reports/2017")
    parser.add_argument("--data", help="the data folder the run read (default: params')")
    parser.add_argument("--processed", help="the processed folder the run wrote (default: params')")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; each step's fastest is kept (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="export threads, as Dask workers (default 2)")
    args = parser.parse_args()

    report_dir = args.report_dir.resolve()
    manifest = json.loads((report_dir / "manifest.json").read_text(encoding="utf-8"))
    year = int(manifest["params"]["year"])
    config = run.resolve_area(load_config(year, area=manifest["area"]["codes"], data_dir=args.data,
                                          processed_dir=args.processed))
    export.html_to_pdf = lambda html_path, pdf_path: pdf_path  # printing is Chromium's, not measured here
    rounds = []
    with tempfile.TemporaryDirectory(prefix="bench-report-") as temporary:
        for _ in range(args.repeat):
            rounds.append(one_round(report_dir, Path(temporary) / "report", config, args.workers))
    steps = list(rounds[0])
    rows = [[step, f"{rounds[0][step]:.2f}", f"{min(r[step] for r in rounds):.2f}"] for step in steps]
    rows.append(["total", f"{sum(rounds[0].values()):.2f}", f"{sum(min(r[s] for r in rounds) for s in steps):.2f}"])
    text = "\n".join([f"# Report side of the yearly run: CPU per step ({report_dir})", "", machine_line(), "",
                      f"{args.repeat} rounds in one process, no PDF printed; the first round includes what a run "
                      "pays once per process (imports, compiling the page templates).", "",
                      markdown_table(["step", "CPU s, first round", "CPU s, fastest round"], rows, right={1, 2})])
    write_result("report", text)


if __name__ == "__main__":
    main()

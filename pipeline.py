#!/usr/bin/env python
"""Run a Community Safety Strategic Assessment: python pipeline.py --year 2017

Reads params/<year>.yaml (flags override it), ingests the data folder, executes the section
notebooks with papermill and exports them to reports/<year>/ as HTML and PDF.

python pipeline.py fetch --year 2022 --area E06000035 downloads what that run needs into the
data folder first (see python pipeline.py fetch --help).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import traceback

from csp_assessment.config import AREA_CODE, load_config
from csp_assessment.engine import MAX_WORKERS, check_scheduler_address, check_workers
from csp_assessment.errors import ConfigError, InputError, describe_os_error
from csp_assessment.runlock import DEFAULT_WAIT_SECONDS


class _Parser(argparse.ArgumentParser):
    """argparse, but a wrong flag is one line naming it (exit 2 in cli()), not the usage text."""

    def error(self, message: str):
        raise ConfigError(f"{message} (python pipeline.py {'fetch ' if 'fetch' in self.prog else ''}--help lists "
                          "the flags)")


def _minutes(value: str) -> float:
    try:
        minutes = float(value)
    except ValueError:
        minutes = math.nan
    if not math.isfinite(minutes) or minutes < 0:
        raise argparse.ArgumentTypeError(f"give the minutes to wait as a number, 0 or more (0: refuse at once), "
                                         f"not {value!r}")
    return minutes


def _workers(value: str) -> int:
    try:
        workers = int(value)
        check_workers(workers)
    except (ValueError, ConfigError):
        raise argparse.ArgumentTypeError(f"give the number of sections to compute at once, from 1 to {MAX_WORKERS}, "
                                         f"not {value!r}") from None
    return workers


def _scheduler(value: str) -> str:
    try:
        return check_scheduler_address(value)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[1]) from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = _Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--year", required=True, help="assessment year; reads params/<year>.yaml")
    parser.add_argument("--area", help="ONS local authority code (e.g. E06000035) or Community Safety "
                                       "Partnership code (e.g. E22000352); several, comma-separated, a police "
                                       "force name (e.g. Kent: all its partnerships), a region name or code "
                                       "(e.g. 'South East', E12000008), or all (every partnership the data "
                                       "folder has police records for) give one report each; "
                                       "default: the params file's area")
    parser.add_argument("--data", help="folder holding the publishers' files (default: data/raw, where the "
                                       "demo data are made on first run)")
    parser.add_argument("--from", dest="period_from", metavar="YYYY-MM", help="first month of the assessment period")
    parser.add_argument("--to", dest="period_to", metavar="YYYY-MM", help="last month of the assessment period")
    parser.add_argument("--out", help="reports folder (default: reports/)")
    parser.add_argument("--processed", help="folder for the tidy tables the ingest writes (default: data/processed)")
    parser.add_argument("--sections", metavar="KEY[,KEY]",
                        help="execute only these sections (comma-separated keys, e.g. all_crime,asb); the report "
                             "and document keep every other section's last good result from the reports folder "
                             "(default: every section params list)")
    parser.add_argument("--force", action="store_true",
                        help="rerun every section, even those whose inputs, notebook and params are unchanged")
    parser.add_argument("--workers", type=_workers, help="size of the run's own Dask cluster (default: one per CPU "
                                                     "core): for one area, the notebooks executed at once (their "
                                                     "exports print beside them); for several, the sections, exports "
                                                     "and documents computed at once")
    parser.add_argument("--scheduler", metavar="tcp://HOST:8786", type=_scheduler,
                        help="send the sections, exports and documents to an existing Dask cluster instead; its "
                             "workers must import this package and see the data, processed and reports folders "
                             "under the same paths")
    parser.add_argument("--wait", type=_minutes, default=DEFAULT_WAIT_SECONDS / 60, metavar="MINUTES",
                        help="how long to wait for another run using the same reports or processed folder "
                             f"(default {DEFAULT_WAIT_SECONDS // 60:.0f}; 0: refuse at once)")
    return parser.parse_args(argv)


def parse_fetch_args(argv: list[str]) -> argparse.Namespace:
    from csp_assessment.fetch import PARTS

    parser = _Parser(
        prog="pipeline.py fetch",
        description="Download into the data folder, in the publishers' own formats and names, what a run for "
                    "the area and period needs and the folder lacks. Addresses: csp_assessment/fetch/sources.yaml.")
    parser.add_argument("--year", required=True, help="assessment year; reads params/<year>.yaml")
    parser.add_argument("--area", help="ONS local authority or Community Safety Partnership code(s), or police force "
                                       "name(s) (all its partnerships), comma-separated (default: the params "
                                       "file's area)")
    parser.add_argument("--data", help="folder to download into (default: data/raw)")
    parser.add_argument("--from", dest="period_from", metavar="YYYY-MM", help="first month of the assessment period")
    parser.add_argument("--to", dest="period_to", metavar="YYYY-MM", help="last month of the assessment period")
    parser.add_argument("--only", help=f"comma-separated: some of {', '.join(PARTS)} (default: all)")
    parser.add_argument("--police-via", choices=("auto", "archive", "api"),
                        help="police files from the monthly archive, or the API; auto (default): the API for a "
                             "few missing months, else the archive")
    parser.add_argument("--mirror", help="fetch every address through this base URL instead of the publishers "
                                         "(also $CSP_FETCH_MIRROR)")
    parser.add_argument("--cache", help="download cache (default: $CSP_FETCH_CACHE or ~/.cache/csp-assessment)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--plan", action="store_true",
                        help="download nothing: list every address fetch would ask for, and why (area, months, "
                             "vintage), with a caution beside any address sources.yaml marks unconfirmed")
    return parser.parse_args(argv)


def fetch_cli(argv: list[str]) -> int:
    from csp_assessment.fetch import FetchFailed, fetch, report, report_plan
    from csp_assessment.sections import check_config  # params against the sections and the scoring, as a run does

    try:
        args = parse_fetch_args(argv)
        areas = [a.strip() for a in (args.area or "").split(",") if a.strip()]
        codes = [a for a in areas if AREA_CODE.match(a.upper())]
        force_names = tuple(a for a in areas if not AREA_CODE.match(a.upper()))
        config = check_config(load_config(args.year, area=codes or None, data_dir=args.data,
                                          period_from=args.period_from, period_to=args.period_to))
        only = [p.strip() for p in args.only.split(",") if p.strip()] if args.only else None
        result = fetch(config, only=only, via=args.police_via, mirror=args.mirror, cache_dir=args.cache,
                       progress=not args.no_progress, force_names=force_names, plan=args.plan)
    except (ConfigError, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FetchFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # Downloads still under way in other threads would hold the exit until their server answers:
        # end now. The data folder is as it was (fetch places files only when all are ready, and takes
        # back what it placed if stopped while placing); partial downloads stay in the cache.
        print("stopped: nothing was changed in the data folder; run fetch again to resume the downloads",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(130)
    (report_plan if args.plan else report)(result)
    return 0


def cli(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "fetch":
        return fetch_cli(argv[1:])
    try:
        args = parse_args(argv)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    areas = [a.strip() for a in (args.area or "").split(",") if a.strip()]
    one_area = len(areas) <= 1 and (not areas or AREA_CODE.match(areas[0].upper()))
    if one_area and args.scheduler is None:
        # The notebooks' kernel zygote (kernels.py) starts before the run's own imports below: both take
        # seconds of one core, now at once on two. run.main uses this zygote and ends it.
        from csp_assessment import kernels

        kernels.warm()
    # Imported here, not at the top: `fetch` (and a Dask worker, which imports this file as its
    # main module) does without the notebook and export machinery, seconds of imports.
    from csp_assessment.execute import SectionFailed
    from csp_assessment.report.export import ExportError
    from csp_assessment.run import AreasFailed, main, main_many

    options = dict(data_dir=args.data, period_from=args.period_from, period_to=args.period_to, out_dir=args.out,
                   sections=args.sections, processed_dir=args.processed)
    try:
        if not one_area:
            main_many(args.year, areas, force=args.force, workers=args.workers, wait_seconds=args.wait * 60,
                      scheduler=args.scheduler, **options)
        else:
            main(load_config(args.year, area=areas[0] if areas else None, **options),
                 force=args.force, workers=args.workers, wait_seconds=args.wait * 60, scheduler=args.scheduler)
    except (ConfigError, InputError, ExportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a read-only or full reports folder, a file where a folder should be, ...
        print(f"error: {describe_os_error(exc)}", file=sys.stderr)
        return 2
    except (SectionFailed, AreasFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopped: the previous reports and tables are as they were", file=sys.stderr)
        return 130
    except Exception as exc:  # a fault in the pipeline itself: one line here, the details in a file to send us
        with tempfile.NamedTemporaryFile("w", prefix="csp-assessment-error-", suffix=".txt", delete=False) as fh:
            traceback.print_exc(file=fh)
        print(f"error: unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} — this is a "
              f"fault in the pipeline, not in your data; please report it with {fh.name}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(cli())

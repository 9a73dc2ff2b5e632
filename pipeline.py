#!/usr/bin/env python
"""Run a Community Safety Strategic Assessment: python pipeline.py --year 2017

Reads params/<year>.yaml (flags override it), ingests the data folder, executes the section
notebooks with papermill and exports them to reports/<year>/ as HTML and PDF.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import traceback

from csp_assessment.config import AREA_CODE, load_config
from csp_assessment.errors import ConfigError, InputError, describe_os_error
from csp_assessment.execute import SectionFailed
from csp_assessment.export import ExportError
from csp_assessment.runlock import DEFAULT_WAIT_SECONDS
from csp_assessment.run import main, main_many


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--year", required=True, help="assessment year; reads params/<year>.yaml")
    parser.add_argument("--area", help="ONS local authority code (e.g. E06000035) or Community Safety "
                                       "Partnership code (e.g. E22000352); several, comma-separated, or a police "
                                       "force name (e.g. Kent: all its partnerships) give one report each; "
                                       "default: the params file's area")
    parser.add_argument("--data", help="folder holding the publishers' files (default: data/raw, where the "
                                       "demo data are made on first run)")
    parser.add_argument("--from", dest="period_from", metavar="YYYY-MM", help="first month of the assessment period")
    parser.add_argument("--to", dest="period_to", metavar="YYYY-MM", help="last month of the assessment period")
    parser.add_argument("--out", help="reports folder (default: reports/)")
    parser.add_argument("--processed", help="folder for the tidy tables the ingest writes (default: data/processed)")
    parser.add_argument("--sections", help="comma-separated sections to run, in order (default: params)")
    parser.add_argument("--force", action="store_true",
                        help="rerun every section, even those whose inputs, notebook and params are unchanged")
    parser.add_argument("--workers", type=int, help="sections run at once (default: one per CPU core)")
    parser.add_argument("--wait", type=float, default=DEFAULT_WAIT_SECONDS / 60, metavar="MINUTES",
                        help="how long to wait for another run using the same reports or processed folder "
                             f"(default {DEFAULT_WAIT_SECONDS // 60:.0f}; 0: refuse at once)")
    return parser.parse_args(argv)


def cli(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    areas = [a.strip() for a in (args.area or "").split(",") if a.strip()]
    options = dict(data_dir=args.data, period_from=args.period_from, period_to=args.period_to, out_dir=args.out,
                   sections=args.sections, processed_dir=args.processed)
    try:
        if len(areas) > 1 or (areas and not AREA_CODE.match(areas[0].upper())):
            main_many(args.year, areas, force=args.force, workers=args.workers, wait_seconds=args.wait * 60,
                      **options)
        else:
            main(load_config(args.year, area=areas[0] if areas else None, **options),
                 force=args.force, workers=args.workers, wait_seconds=args.wait * 60)
    except (ConfigError, InputError, ExportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a read-only or full reports folder, a file where a folder should be, ...
        print(f"error: {describe_os_error(exc)}", file=sys.stderr)
        return 2
    except SectionFailed as exc:
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

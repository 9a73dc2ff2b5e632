"""What the benchmark scripts share: markdown tables, target verdicts, the machine line, result files.

Each script prints its tables to stdout and writes the same text to ``benchmarks/results/<name>.md``
(git-ignored), so a run's numbers can be pasted into docs/performance.md.
"""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

BENCHMARKS_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCHMARKS_DIR.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
RESULTS_DIR = BENCHMARKS_DIR / "results"


def markdown_table(headers: list[str], rows: list[list], right: set[int] | None = None) -> str:
    """A GitHub markdown table, padded so it also reads as plain text; ``right``: right-aligned column indexes."""
    right = right or set()
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if i in right else c.ljust(w)
                                 for i, (c, w) in enumerate(zip(row, widths))) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2))
                          for i, w in enumerate(widths)) + "|"
    return "\n".join([line(cells[0]), rule] + [line(row) for row in cells[1:]])


def verdict(value: float, target: float, *, at_most: bool = True) -> str:
    """'met', or 'missed by X%' (how far ``value`` is beyond ``target``, relative to the target)."""
    if (value <= target) if at_most else (value >= target):
        return "met"
    shortfall = value / target - 1 if at_most else 1 - value / target
    return f"missed by {shortfall:.0%}"


def machine_line() -> str:
    """When and where the numbers were measured: they only compare within one machine and run."""
    import duckdb
    import pandas

    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC} · {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} cores, {memory_gib:.0f} GiB RAM · load average at start {load} · "
            f"Python {platform.python_version()}, pandas {pandas.__version__}, duckdb {duckdb.__version__}")


def write_result(name: str, text: str) -> Path:
    """Print ``text`` and write it to benchmarks/results/<name>.md; return that path."""
    print(text)
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.md"
    path.write_text(text + "\n", encoding="utf-8")
    print(f"\n(written to {path.relative_to(REPO_ROOT)})", file=sys.stderr)
    return path

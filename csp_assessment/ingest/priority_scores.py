"""The partnership's priority scores: its judgement of each theme for the MoRiLE-style ranking
(see csp_assessment/stats/priorities.py), filled in from ``data/raw/priority-scores-template.csv``:

    theme,physical_harm,psychological_harm,financial_harm,community_harm,vulnerability,
    public_concern,confidence,capacity,capability,notes

one row per theme. ``theme`` is a theme's key or label from params (``priorities.themes``, e.g.
``domestic_abuse`` or "Domestic abuse"); the scores are whole or decimal numbers on the scales in
params (``priorities.scales``); a blank score is allowed and leaves the theme's ranking
provisional until the partnership scores it. ``notes`` (optional) records why.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..stats.priorities import SCALE_OF, SCORES, PrioritySettings, default_priority_settings
from .ons import Column, csv_columns, read_csv_table
from .values import has_columns, numbers

# The template's rows are blank and must never be read as the partnership's scores: users copy it.
TEMPLATE_NAME = "priority-scores-template.csv"
TABLE = "priority_scores"  # the processed table this loader writes (ingest/folder.py finds it by TABLE)
# What the processed table holds (its line in the processed folder's README).
DESCRIPTION = ("the partnership's judged scores per priority theme (harm, vulnerability, public concern, "
               "confidence, capacity, capability; blank = not yet scored), from its scoring file")
KEY = ["theme"]
# Named like a scoring file: such a file that this loader does not recognise is refused, not passed over.
FILE_NAME = re.compile(r"priority[-_ ]?scor", re.IGNORECASE)
FIGURES = SCORES  # what two scoring files of one theme must agree on

COLUMNS = (
    Column("theme", r"theme", "theme", "theme"),
    *(Column(name, name.replace("_", r"[ _]"), name, name.replace("_", " ")) for name in SCORES),
    Column("notes", r"notes?", "notes", "notes", required=False),
)


def sniff(path: Path) -> bool:
    """True for a priority-scoring file (the template's layout), but not for the template itself."""
    return Path(path).name.lower() != TEMPLATE_NAME and has_columns(path, COLUMNS)


def read(path: Path, settings: dict | None = None) -> pd.DataFrame:
    """One row per theme: theme (the key in params), the scores (float; NaN where blank), notes,
    source_file and row (the line in the file).

    ``settings`` is the params' ``priorities`` block (default: ``params/defaults.yaml``'s), which
    gives the themes and scales the file is checked against.
    """
    path = Path(path)
    rules = PrioritySettings.from_params(settings) if settings is not None else default_priority_settings()
    src, header, body = read_csv_table(path)
    cols = csv_columns(src, header, COLUMNS)
    frame = pd.DataFrame(index=body.index)
    given = body[cols["theme"]].str.strip()
    frame["theme"] = given.map(rules.theme_key)
    unknown = frame["theme"].isna()
    if unknown.any():
        row = unknown[unknown].index[0]
        raise src.error(f"unknown theme {given[row]!r}; expected one of "
                        f"{', '.join(t.key for t in rules.themes)} (or their labels)",
                        row=int(row), column=header[cols["theme"]])
    for name in SCORES:
        text = body[cols[name]].str.strip()
        scored = text != ""
        values = numbers(src, text[scored], header[cols[name]], name.replace("_", " "), suppressible=False)
        low, high = rules.scales[SCALE_OF[name]]
        outside = (values < low) | (values > high)
        if outside.any():
            row = outside[outside].index[0]
            raise src.error(f"{name.replace('_', ' ')} {text[row]} is outside the scale {low:g} to {high:g} "
                            f"(priorities.scales.{SCALE_OF[name]} in params); leave it blank if not yet scored",
                            row=int(row), column=header[cols[name]])
        frame[name] = values.reindex(text.index).astype(float)
    frame["notes"] = body[cols["notes"]].str.strip() if "notes" in cols else ""
    repeated = frame.duplicated(KEY, keep=False)
    if repeated.any():
        rows = [int(r) for r in repeated[repeated].index]
        raise src.error(f"theme {frame.loc[rows[0], 'theme']!r} is scored more than once (rows "
                        f"{', '.join(map(str, rows[:5]))}); give each theme one row",
                        row=rows[1], column=header[cols["theme"]])
    frame["row"] = frame.index.astype("int64")
    frame["source_file"] = path.name
    return frame.reset_index(drop=True)

"""Synthetic demonstration input for the priority ranking: a scored example of the partnership's
scoring file (``data/raw/priority-scores-template.csv`` filled in), so that the demo run shows
the ranking as a partnership that has scored its themes would see it.

The scores are invented for the demonstration: plausible judgements for a Medway-like area, not
any partnership's. Every row says so in its notes, and the folder carries a README saying so.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..stats.priorities import SCORES

FOLDER = "partnership"
FILE_NAME = "priority-scores-2017.csv"
SYNTHETIC_NOTE = "Synthetic example scores for the demonstration data: not a real partnership's judgement"
# theme label -> physical, psychological, financial, community harm, vulnerability, public concern
# (0-4), confidence in the data (1-4), capacity, capability (1-4): the order of SCORES.
EXAMPLE_SCORES = {
    "Violence": (4, 3, 1, 3, 3, 4, 3, 3, 3),
    "Domestic abuse": (4, 4, 2, 2, 4, 3, 2, 3, 3),
    "Anti-social behaviour": (1, 3, 1, 4, 2, 4, 3, 4, 4),
    "Drugs and substance misuse": (3, 3, 2, 3, 3, 3, 3, 3, 3),
    "Burglary": (1, 3, 3, 2, 2, 3, 4, 2, 3),
    "Vehicle crime": (0, 1, 3, 2, 1, 2, 4, 2, 2),
    "Road safety": (4, 3, 2, 2, 2, 3, 4, 1, 1),
    "Mental health": (3, 4, 1, 2, 4, 2, 2, 2, 2),
    "Re-offending": (2, 2, 2, 3, 3, 2, 3, 3, 3),
    "Hate crime": (2, 4, 1, 3, 4, 2, 1, 3, 2),
    "Exploitation": (4, 4, 2, 3, 4, 2, 1, 2, 2),
}


def write_priority_scores_demo(out_dir: Path) -> list[Path]:
    """Write ``partnership/priority-scores-2017.csv`` and its README into ``out_dir``; return both."""
    folder = Path(out_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    scores = folder / FILE_NAME
    with scores.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["theme", *SCORES, "notes"])
        for theme, values in EXAMPLE_SCORES.items():
            out.writerow([theme, *values, SYNTHETIC_NOTE])
    readme = folder / "README.md"
    readme.write_text(
        "# Synthetic example: the partnership's priority scores\n\n"
        f"`{FILE_NAME}` is `data/raw/priority-scores-template.csv` filled in with **invented scores** for the "
        "demonstration data, so that the demo run ranks the priorities as a partnership that has scored its "
        "themes would see them. They are not any partnership's judgement. See `params/defaults.yaml` "
        "(`priorities:`) for the scales and `csp_assessment/stats/priorities.py` for the method.\n",
        encoding="utf-8", newline="\n")
    return [scores, readme]

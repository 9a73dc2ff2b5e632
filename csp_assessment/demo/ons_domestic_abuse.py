"""Synthetic demonstration input for the domestic abuse section: the ONS "Domestic abuse in England
and Wales" data tool's table of domestic abuse-related crimes per 1,000 population by police force
area, saved as CSV with its title lines (the layout ``ingest/ons_domestic_abuse.py`` documents). Found by ``generate_demo`` through
``write_demo``.

Its own random stream (``numpy.random.default_rng([seed, 15002])``), so every other demo file is
the same with or without it. The rates are invented: Kent's in the proportions of Medway's
partner figures, England's near the levels ONS published for the years ending March 2016 and 2017.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

FOLDER = "ons-domestic-abuse"
FILE_NAME = "domestic-abuse-data-tool-police-force-area.csv"
STREAM = 15002
YEARS = (2016, 2017)
# code, name, rate per 1,000 in the year ending March 2017 (before noise), yearly growth
AREAS = (
    ("E23000032", "Kent", 13.2, 0.14),
    ("E23000033", "Essex", 12.1, 0.10),
    ("E23000031", "Sussex", 10.4, 0.09),
    ("E23000030", "Surrey", 8.9, 0.12),
    ("E23000034", "Thames Valley", 9.6, 0.11),
    ("E92000001", "England", 10.7, 0.11),
    ("W92000004", "Wales", 11.5, 0.09),
    ("K04000001", "England and Wales", 10.8, 0.11),
)


def write_demo(out_dir: Path, seed: int = 2017, formats: str = "2017") -> list[Path]:
    """Write ``ons-domestic-abuse/<FILE_NAME>`` into ``out_dir``; return the files written. The data
    tool's layout has not changed, so ``formats`` changes nothing here."""
    rng = np.random.default_rng([seed, STREAM])
    folder = Path(out_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["Table 9: Domestic abuse-related crimes recorded by the police, rate per 1,000 population, "
                      "by police force area, England and Wales, year ending March 2016 and year ending March 2017"])
        out.writerow(["Synthetic demonstration data: not ONS figures"])
        out.writerow([])
        out.writerow(["Area code", "Area name", *(f"Year ending March {y}" for y in YEARS)])
        for code, name, latest, growth in AREAS:
            noise = rng.normal(0, 0.15, size=len(YEARS))
            rates = [latest / (1 + growth) ** (YEARS[-1] - y) + noise[i] for i, y in enumerate(YEARS)]
            out.writerow([code, name, *(f"{r:.1f}" for r in rates)])
        out.writerow([])
        out.writerow(["Source: synthetic, made by csp_assessment for its demonstration data"])
    return [path]

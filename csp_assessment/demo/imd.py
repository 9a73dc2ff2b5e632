"""Demo English Indices of Deprivation 2019, File 1, in MHCLG's layout, for the synthetic LSOAs.

``mhclg/File_1_IMD2019_Index_of_Multiple_Deprivation.xlsx``: a ``Notes`` sheet, then ``IMD2019``
with the six columns MHCLG publishes (LSOA code and name (2011), local authority code and name
(2019), IMD rank, IMD decile). Only the demo area's LSOAs are listed (the real file lists all
32,844 of England), but their ranks are national ranks among 32,844, so deciles mean what they
mean in the real file: decile 1, ranks 1 to 3,284, the most deprived 10% of England.

Deprivation is drawn to follow the demo's crime per resident, loosely (crime is more common in
deprived places), from a generator of its own: the other demo files are the same with or
without this one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from .areas import AUTHORITIES, _geography
from .ons import _save_reproducibly

ENGLAND_LSOAS = 32_844
SHEET = "IMD2019"
FILE_NAME = "File_1_IMD2019_Index_of_Multiple_Deprivation.xlsx"
HEADER = ("LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)",
          "Local Authority District name (2019)", "Index of Multiple Deprivation (IMD) Rank",
          "Index of Multiple Deprivation (IMD) Decile")
# A fixed second seed word: this writer's own stream, never the main generator's.
STREAM = 15_004


def national_decile(rank: np.ndarray | int, lsoas: int = ENGLAND_LSOAS) -> np.ndarray:
    """Decile of a national rank: 1 for the most deprived tenth of the ``lsoas`` ranks."""
    return (np.asarray(rank) - 1) * 10 // lsoas + 1


def imd_ranks(rng: np.random.Generator, crime_per_resident: np.ndarray) -> np.ndarray:
    """Distinct national ranks (1 = most deprived), lower where crime per resident is higher."""
    n = len(crime_per_resident)
    score = np.log(crime_per_resident) + rng.normal(0, 0.6, n)  # higher = more deprived
    # Kent is less deprived than England as a whole: less deprived ranks are drawn more often.
    every_rank = np.arange(1, ENGLAND_LSOAS + 1)
    weight = 0.4 + every_rank / ENGLAND_LSOAS
    ranks = np.sort(rng.choice(every_rank, size=n, replace=False, p=weight / weight.sum()))
    order = np.argsort(-score, kind="stable")
    out = np.empty(n, dtype=np.int64)
    out[order] = ranks
    return out


def write_demo(out_dir: Path, seed: int, formats: str) -> list[Path]:
    """The demo IoD2019 File 1 for the demo's LSOAs (called by ``generate_demo``). The same file in
    both formats: the demo's LSOA codes are the same in its 2011 and 2021 lookups."""
    # The demo geography is the first draw of the main generator: drawn again here from a fresh
    # generator with the same seed, it is the same, and the main stream is not touched.
    lsoas, _ = _geography(np.random.default_rng(seed))
    return write_imd_demo(out_dir, lsoas, AUTHORITIES, seed)


def write_imd_demo(out_dir: Path, lsoas: pd.DataFrame, authorities, seed: int) -> list[Path]:
    """Write the demo IoD2019 File 1 for ``lsoas`` (the demo geography: lsoa_code, lsoa_name, la,
    residents, crime_weight); ``authorities`` the demo's local authorities by index."""
    rng = np.random.default_rng([seed, STREAM])
    ranks = imd_ranks(rng, lsoas["crime_weight"].to_numpy() / lsoas["residents"].to_numpy())
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes["A1"] = ("SYNTHETIC DEMONSTRATION DATA in the layout of the English Indices of Deprivation 2019, File 1 "
                   "(MHCLG). Not real deprivation figures: the LSOAs are invented.")
    sheet = book.create_sheet(SHEET)
    sheet.append(HEADER)
    for code, name, la, rank in zip(lsoas["lsoa_code"], lsoas["lsoa_name"], lsoas["la"], ranks):
        authority = authorities[int(la)]
        sheet.append((code, name, authority.code, authority.name, int(rank), int(national_decile(rank))))
    folder = Path(out_dir) / "mhclg"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    _save_reproducibly(book, path)  # the demo's fixed timestamps: same content, same bytes
    return [path]

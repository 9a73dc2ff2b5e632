"""Seeded synthetic demonstration data, written in the publishers' own file formats.

``generate_demo(out_dir, seed)`` writes a self-contained set of raw inputs for the pipeline:

* ``police-uk/YYYY-MM/YYYY-MM-kent-street.csv``, April 2012 - March 2017: data.police.uk
  street-level crime and anti-social behaviour (ASB) for Kent Police;
* ``ons/lsoa11-ward17-lad17-lookup.csv`` and ``ons/lad17-csp17-pfa17-lookup.csv``: the ONS
  LSOA -> ward -> local authority and local authority -> CSP -> police force area lookups;
* ``ons/mid-year-estimates/ukmidyearestimatesYYYY.xlsx``, mid-2012 to mid-2016: ONS
  population estimates by single year of age;
* ``ons/census2011-lsoa-population.csv``: Census 2011 usual residents by LSOA;
* ``ons/boundaries/``: LSOA and ward boundaries (GeoJSON) for the maps;
* ``SYNTHETIC-DEMONSTRATION-DATA.txt`` and ``README.md`` saying what the files are.

``formats="current"`` writes the same figures in the formats ONS publishes since the 2021 Census:
the LSOA (2021) -> ward (2024) -> LAD (2024) lookup (byte-order mark, ``ObjectId`` last), a
LAD -> CSP -> PFA lookup with its id column first, mid-year estimate workbooks with the
``MYE2 - Persons`` sheet and its header on row 8, Census 2021 TS001 by LSOA as Nomis serves it,
and boundaries with LSOA21CD/WD24CD codes. The police files are the same (data.police.uk now
codes LSOA 2021; the synthetic codes belong to no real vintage).

What is real and what is not. Real public facts: the 13 local authorities of the Kent police
force area with their LAD17, CSP17 and PFA17 codes, Medway's 22 wards (2017) and their LSOA
counts, each authority's LSOA count and the ONS population totals (Census 2011, mid-2012 to
mid-2016). Everything below that is random: LSOAs, other authorities' wards, streets,
coordinates, single-year-of-age detail and every incident. Synthetic LSOA, MSOA and ward codes
start at E01900001, E02900001 and E05900001, ranges ONS has not issued, so they cannot be
mistaken for, or joined to, real areas.

Medway's figures reproduce the Medway Community Safety Partnership Strategic Assessment 2017:
23,125 crimes in April 2016 - March 2017 (83 per 1,000 of 278,542 residents), 2,840 more than
the 20,285 of 2015/16 (+14.0%; the document says 12%, but its own figures give 14.0%); 7,077
ASB incidents (25 per 1,000), 1,901 fewer than 8,978 (-21.2%); the crime and ASB top-5 wards in
the published order, the ASB top five holding 42% of incidents; the monthly shape of the
document's seasonality chart. Counts are of rows with an LSOA (the ~1% of rows that
data.police.uk publishes with "No Location" belong to no authority).

Crime types: the 14 categories data.police.uk has used since May 2013 are used for every month.
Before May 2013 the real site used older ones ("Violent crime" rather than "Violence and
sexual offences", "Public disorder and weapons" rather than "Public order" and "Possession of
weapons", and "Other theft" still included bicycle theft and theft from the person), so real
2012-13 files need mapping; the demo keeps one scheme so five-year trends are comparable.
Outcomes are as seen in a download made just after March 2017: the last three months are
still largely "Under investigation".

Reproducibility: one ``numpy.random.default_rng(seed)`` stream, drawn in a fixed order; CSVs
with explicit line endings (CRLF where the publisher uses CRLF, as data.police.uk and the
census extract do, LF for the ONS lookups) and a fixed float format; workbooks with fixed
document and zip timestamps. The same seed gives byte-identical files on every run and machine
with the same numpy version (numpy does not promise identical Generator streams across
releases).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import shutil
import uuid
from pathlib import Path

import numpy as np

from ..names import DEMO_MARKER
from .areas import _geography
from .health import write_health_demo
from .narrative import write_narrative_demo
from .ons import _write_boundaries, _write_census, _write_current_lookups, _write_lookups, _write_mid_year_estimates
from .police_uk import _write_police
from .priorities import write_priority_scores_demo

# Bump when the generator writes different files, so an old demo folder is made again.
DEMO_VERSION = 9  # 6: domestic abuse and violence inputs; 7: STATS19 and the IoD2019 File 1; 8: police outcomes
                  # and stop-and-search files; 9: made whole, then moved into place (an 8 may lack files)
DEMO_FORMATS = ("2017", "current")

def generate_demo(out_dir: Path, seed: int = 2017, formats: str = "2017") -> list[Path]:
    """Write the demonstration data set into ``out_dir``; return the files written, sorted.

    ``formats``: "2017" for the files as published in 2017, "current" for today's ONS formats
    (the figures are the same either way)."""
    if formats not in DEMO_FORMATS:
        raise ValueError(f"formats must be one of {', '.join(DEMO_FORMATS)}, not {formats!r}")
    current = formats == "current"
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    lsoas, wards = _geography(rng)
    written = _write_police(out_dir, rng, lsoas, wards)
    written += _write_current_lookups(out_dir, lsoas, wards) if current else _write_lookups(out_dir, lsoas, wards)
    written.append(_write_census(out_dir, rng, lsoas, current))
    written += _write_mid_year_estimates(out_dir, rng, current)
    written += _write_boundaries(out_dir, lsoas, wards, current)
    # The health inputs are drawn last, with the same generator, so the files above are the same
    # with or without them.
    written += write_health_demo(out_dir, rng)
    written += write_narrative_demo(out_dir)
    written += write_priority_scores_demo(out_dir)  # no random numbers: the files above stay the same
    for writer in further_writers():
        written += writer.write_demo(out_dir, seed, formats)
    written += _write_notes(out_dir, seed)  # the marker last: a folder with it holds every file
    return sorted(written)


UNFINISHED_PREFIX = ".demo-making-"  # beside the data folder, never inside it: no run reads it
RETIRED_PREFIX = ".demo-replaced-"


def install_demo(demo_dir: Path) -> None:
    """Generate the demo data whole into a temporary folder beside the data folder, then move it into
    ``demo_dir`` in one rename (replacing an older demo there): a run stopped at any point leaves
    either no demo, or the old one, or the new one whole, never a part of one. The caller holds the
    demo lock (inputs.py)."""
    demo_dir = Path(demo_dir)
    # data/ for data/raw/demo: the same file system, outside the data folder
    making = demo_dir.parent.parent / f"{UNFINISHED_PREFIX}{uuid.uuid4().hex[:12]}"
    making.mkdir()
    try:
        generate_demo(making)
        retire_demo(demo_dir)
        making.rename(demo_dir)
    except BaseException:
        shutil.rmtree(making, ignore_errors=True)
        raise


def retire_demo(demo_dir: Path) -> None:
    """Take ``demo_dir`` out of the data folder in one rename, then delete it."""
    demo_dir = Path(demo_dir)
    if demo_dir.exists():
        retired = demo_dir.parent.parent / f"{RETIRED_PREFIX}{uuid.uuid4().hex[:12]}"
        demo_dir.rename(retired)
        shutil.rmtree(retired, ignore_errors=True)


def clear_unfinished_demos(data_dir: Path) -> None:
    """Remove what a run stopped while making or replacing the demo left beside ``data_dir``."""
    for leftover in [*Path(data_dir).parent.glob(f"{UNFINISHED_PREFIX}*"),
                     *Path(data_dir).parent.glob(f"{RETIRED_PREFIX}*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def further_writers() -> list:
    """The demo writers of further inputs: each module of this package with
    ``write_demo(out_dir, seed, formats) -> list[Path]``, in module-name order. Each draws from
    its own generator (seeded from ``seed`` and a number of its own), so adding one leaves every
    other file as it was."""
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):  # __main__ runs the command line when imported
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "write_demo"):
            modules.append(module)
    return modules


# ---------------------------------------------------------------------------------------------
# Notes saying what the data are


def demo_version_line() -> str:
    return f"Generator version: {DEMO_VERSION}"


def is_current_demo(folder: Path) -> bool:
    """True when ``folder`` holds demo data from this version of the generator."""
    marker = Path(folder) / DEMO_MARKER
    return marker.exists() and demo_version_line() in marker.read_text(encoding="utf-8")


def _write_notes(out_dir: Path, seed: int) -> list[Path]:
    marker = out_dir / DEMO_MARKER
    marker.write_text(
        "THESE DATA ARE SYNTHETIC.\n\n"
        "Every file in this folder was made up by a computer program (csp_assessment.demo, "
        f"seed {seed}) to demonstrate and test the CSP strategic assessment pipeline. They are not "
        "real police or ONS data. Only the local authorities and their codes, Medway's ward names "
        "and the population totals are real; every incident, street, LSOA and other ward is "
        "invented. Do not use them for any decision about a real place.\n\n"
        f"{demo_version_line()}\n",
        encoding="utf-8", newline="\n")
    readme = out_dir / "README.md"
    readme.write_text(f"""# Synthetic demonstration data (seed {seed})

Made by `python -m csp_assessment.demo OUT_DIR`. **Synthetic: not real police or ONS data.**
The files copy the publishers' layouts (columns, quoting, line endings), so the pipeline reads them
as it reads real downloads. The population workbooks are `.xlsx` where ONS published `.xls`, and
carry the `Geography1` column that ONS added from the mid-2017 release.

| path | imitates |
|---|---|
| `police-uk/YYYY-MM/YYYY-MM-kent-street.csv` | data.police.uk street-level crime and ASB, Kent, Apr 2012 - Mar 2017 |
| `ons/lsoa11-ward17-lad17-lookup.csv` | ONS LSOA (2011) -> ward (2017) -> local authority lookup |
| `ons/lad17-csp17-pfa17-lookup.csv` | ONS local authority -> Community Safety Partnership -> police force area lookup |
| `ons/mid-year-estimates/ukmidyearestimatesYYYY.xlsx` | ONS mid-year population estimates, mid-2012 to mid-2016 |
| `ons/census2011-lsoa-population.csv` | Census 2011 usual residents by LSOA |
| `narrative/*.md` | the partnership's own words for each part of the document (example texts, marked synthetic) |
| `ons/boundaries/lsoa11_demo.geojson`, `ward17_demo.geojson` | ONS LSOA and ward boundaries (GeoJSON, WGS84), for the maps: synthetic shapes |

Written with `--formats current`, the same figures come in today's ONS layouts instead: the LSOA (2021)
-> ward (2024) -> LAD (2024) lookup, `lad23-csp23-pfa23-lookup.csv` (id column first), `mye16final.xlsx`
and the other years (`MYE2 - Persons`, header on row 8), `census2021-ts001-lsoa.csv` (Nomis TS001) and
`lsoa21_demo.geojson`, `ward24_demo.geojson`.

Real: the 13 local authorities of the Kent police force area with their LAD, CSP and PFA codes,
Medway's 22 wards, and the ONS population totals (Census 2011, mid-2012 to mid-2016).
Synthetic: every LSOA, MSOA and ward code (from E01900001, E02900001 and E05900001, ranges ONS has
not used), the ward names outside Medway, and every street, coordinate, incident and
single-year-of-age figure. Crime types are the 14 data.police.uk categories in use since May 2013,
for every month.

Medway reproduces the figures of the Medway Community Safety Partnership Strategic Assessment 2017
(counting rows with an LSOA; about 1% of rows have "No Location", as on data.police.uk):

- crime, April 2016 - March 2017: 23,125, 83 per 1,000 residents (mid-2016 population 278,542);
  April 2015 - March 2016: 20,285, so +2,840 (+14.0%; the document says 12%);
  earlier years 15,912, 16,958 and 18,043; monthly shape of the document's seasonality chart;
- crime hotspot wards, in order: River, Gillingham South, Gillingham North, Luton and Wayfield, Chatham Central;
- anti-social behaviour, April 2016 - March 2017: 7,077, 25 per 1,000; April 2015 - March 2016: 8,978,
  so -1,901 (-21.2%);
- ASB hotspot wards, in order: Gillingham North, River, Gillingham South, Luton and Wayfield,
  Chatham Central, together 42% of Medway's ASB;
- Census 2011 population 263,925.

The other twelve authorities have plausible counts (2016/17 crime 46-94 and ASB 20-38 per 1,000)
following Medway's trend, so that peer comparisons rank Medway first by count and fourth by rate.
""", encoding="utf-8", newline="\n")
    return [marker, readme]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m csp_assessment.demo",
        description="Write the synthetic demonstration data set (data.police.uk and ONS formats).")
    parser.add_argument("out_dir", type=Path, help="folder to write into (created if missing)")
    parser.add_argument("--seed", type=int, default=2017, help="random seed (default 2017)")
    parser.add_argument("--formats", choices=DEMO_FORMATS, default="2017",
                        help="file formats: as published in 2017 (default), or as ONS publishes them now")
    args = parser.parse_args(argv)
    written = generate_demo(args.out_dir, seed=args.seed, formats=args.formats)
    for path in written:
        print(path)
    print(f"{len(written)} files written to {args.out_dir} (synthetic demonstration data)")


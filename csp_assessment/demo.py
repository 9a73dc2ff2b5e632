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
import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.xml.functions import tostring

DEMO_MARKER = "SYNTHETIC-DEMONSTRATION-DATA.txt"
# Bump when the generator writes different files, so an old demo folder is made again.
DEMO_VERSION = 6
DEMO_FORMATS = ("2017", "current")

FORCE = "Kent Police"
FIRST_YEAR = 2012  # financial years 2012/13 .. 2016/17
N_YEARS = 5
MONTHS = tuple(f"{FIRST_YEAR + (i + 3) // 12}-{(i + 3) % 12 + 1:02d}" for i in range(12 * N_YEARS))
MYE_YEARS = tuple(range(FIRST_YEAR, FIRST_YEAR + N_YEARS))

ASB = "Anti-social behaviour"
CRIME_TYPES = (
    "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs", "Other crime", "Other theft",
    "Possession of weapons", "Public order", "Robbery", "Shoplifting", "Theft from the person",
    "Vehicle crime", "Violence and sexual offences",
)
VIOLENCE = CRIME_TYPES.index("Violence and sexual offences")
# Medway's 2016/17 mix (per cent). The published breakdown uses Home Office groups; these are
# its nearest data.police.uk equivalents.
MEDWAY_MIX = np.array([1.5, 8, 13, 3, 2, 8, 1, 7, 1, 6, 1.5, 10, 38])
# Violence's share of Medway crime by financial year: it grows faster than the rest (the
# document attributes this to gangs, county lines and better recording).
VIOLENCE_SHARE = np.array([0.29, 0.31, 0.33, 0.355, 0.38])

# Medway's published figures, financial years 2012/13 .. 2016/17 (the first three as charted,
# "~16,000", "~17,000", "~18,000"; the last two exact).
MEDWAY_CRIMES = np.array([15_912, 16_958, 18_043, 20_285, 23_125])
MEDWAY_ASB = np.array([9_512, 10_187, 9_604, 8_978, 7_077])
# Recorded crimes by month, April to March, from the document's seasonality chart.
CRIME_SEASONALITY = np.array([1800, 1800, 1800, 1800, 1900, 1850, 1800, 1900, 1950, 2100, 1900, 2050])
# ASB peaks in summer and around Halloween and bonfire night.
ASB_SEASONALITY = np.array([0.95, 1.0, 1.05, 1.15, 1.12, 0.98, 1.02, 0.95, 0.85, 0.8, 0.8, 0.9])

# Ward shares of Medway's incidents (all years; ASB before 2016/17 had Gillingham South on top,
# as the document notes). The remaining wards share the rest, each well below the fifth.
MEDWAY_CRIME_HOTSPOTS = {"River": 0.095, "Gillingham South": 0.083, "Gillingham North": 0.072,
                         "Luton and Wayfield": 0.063, "Chatham Central": 0.055}
MEDWAY_ASB_HOTSPOTS = {"Gillingham North": 0.105, "River": 0.095, "Gillingham South": 0.083,
                       "Luton and Wayfield": 0.072, "Chatham Central": 0.065}

OUTCOMES = (
    "Investigation complete; no suspect identified", "Unable to prosecute suspect",
    "Court result unavailable", "Status update unavailable", "Awaiting court outcome",
    "Local resolution", "Offender given a caution", "Offender given penalty notice",
    "Offender given a drugs possession warning", "Further investigation is not in the public interest",
    "Formal action is not in the public interest", "Action to be taken by another organisation",
    "Under investigation",
)
UNDER_INVESTIGATION = OUTCOMES.index("Under investigation")
# Outcome mixes (in OUTCOMES order) for crimes with a victim, and for the two crime types found
# by police action, which mostly have a known suspect.
OUTCOME_MIX = {
    "victim": np.array([42, 27, 5, 4, 2, 4, 3, 0.5, 0, 2, 1, 2, 2]),
    "Drugs": np.array([4, 10, 12, 3, 8, 12, 16, 2, 22, 4, 4, 1, 2]),
    "Possession of weapons": np.array([6, 18, 22, 3, 14, 4, 10, 0, 0, 5, 4, 2, 2]),
}
# Share still "Under investigation" in the last, second- and third-last month of the download.
RECENT_UNDER_INVESTIGATION = (0.45, 0.30, 0.18)
NO_LOCATION_SHARE = 0.01

# Names for the anonymised map points ("On or near ..."): streets and data.police.uk's landmark
# names. "Long'S Acre" copies the site's capitalisation after apostrophes.
STREETS = (
    "High Street", "Station Road", "Church Road", "Church Street", "London Road", "Victoria Road",
    "Park Road", "Mill Lane", "The Street", "Green Lane", "School Lane", "Queens Road",
    "Kings Road", "North Street", "South Street", "West Street", "East Street", "Castle Road",
    "Manor Road", "Grange Road", "Maidstone Road", "Canterbury Street", "Hill Road", "Chapel Lane",
    "Orchard Close", "Oak Avenue", "Beech Road", "Elm Grove", "Ash Close", "Hazel Grove",
    "Cherry Tree Road", "Hawthorn Avenue", "Rose Street", "Windmill Hill", "Forge Lane",
    "Watling Street", "Marlborough Road", "Nelson Road", "Albert Road", "Gordon Road",
    "Stanley Road", "Balmoral Road", "York Avenue", "Salisbury Road", "Richmond Road",
    "Priory Road", "Abbey Road", "Bridge Road", "Dock Road", "Pier Road", "Harbour Street",
    "Marine Parade", "Sea Street", "Shore Road", "Brook Lane", "Meadow Way", "Field View",
    "Springfield Road", "Chestnut Close", "Willow Way", "Long'S Acre", "Supermarket",
    "Parking Area", "Petrol Station", "Shopping Area", "Nightclub", "Sports/Recreation Area",
    "Further/Higher Educational Building", "Hospital", "Police Station", "Theatre/Concert Hall",
)
POINTS_PER_LSOA = 8

# Fixed timestamps for the workbooks: the week ONS published the mid-2016 estimates.
XLSX_TIMESTAMP = dt.datetime(2017, 6, 22, 9, 30)
ZIP_TIMESTAMP = (2017, 6, 22, 9, 30, 0)


@dataclass(frozen=True)
class LocalAuthority:
    code: str
    name: str
    csp_code: str
    csp_name: str
    census_name: str  # as in the census extract, which adds "UA" to unitary authorities
    lat: float  # rough centre, for synthetic coordinates
    lon: float
    lsoas: int  # real number of LSOAs (2011)
    census_2011: int  # real Census 2011 usual residents
    mid_year: tuple[int, ...]  # real ONS mid-year estimates, mid-2012 .. mid-2016
    crime_rate: float  # 2016/17 crimes per 1,000 residents (Medway: from MEDWAY_CRIMES)
    asb_rate: float  # 2016/17 ASB incidents per 1,000 residents (Medway: from MEDWAY_ASB)
    wards: tuple[str, ...]


MEDWAY_WARDS = {  # real 2017 wards and their LSOA counts
    "Chatham Central": 10, "Cuxton and Halling": 4, "Gillingham North": 10, "Gillingham South": 10,
    "Hempstead and Wigmore": 5, "Lordswood and Capstone": 6, "Luton and Wayfield": 9, "Peninsula": 8,
    "Princes Park": 7, "Rainham Central": 8, "Rainham North": 6, "Rainham South": 9, "River": 4,
    "Rochester East": 6, "Rochester South and Horsted": 8, "Rochester West": 6, "Strood North": 9,
    "Strood Rural": 8, "Strood South": 9, "Twydall": 9, "Walderslade": 6, "Watling": 6,
}

# Rates put Medway first by count and fourth by rate among the 13, so peer rankings mean something.
AUTHORITIES = (
    LocalAuthority("E06000035", "Medway", "E22000143", "Medway", "Medway UA", 51.385, 0.545, 163,
                   263_925, (268_218, 271_105, 274_015, 276_492, 278_542), 0, 0, tuple(MEDWAY_WARDS)),
    LocalAuthority("E07000105", "Ashford", "E22000137", "Ashford", "Ashford", 51.15, 0.87, 78,
                   117_956, (120_116, 121_723, 123_285, 124_250, 126_151), 66, 23,
                   ("Ashford Central", "Ashford North", "Ashford South", "Kennington", "Willesborough",
                    "Godinton", "Singleton", "Tenterden", "Charing", "Wye", "Hamstreet")),
    LocalAuthority("E07000106", "Canterbury", "E22000138", "Canterbury", "Canterbury", 51.30, 1.10, 90,
                   151_145, (153_399, 155_307, 157_649, 159_965, 162_416), 79, 29,
                   ("Canterbury Central", "Canterbury North", "Canterbury South", "Herne Bay Central",
                    "Herne Bay East", "Herne Bay West", "Whitstable Harbour", "Whitstable Seasalter",
                    "Sturry", "Chartham, Petham and Chilham", "Barham Downs", "Little Stour")),
    LocalAuthority("E07000107", "Dartford", "E22000352", "Dartford and Gravesham", "Dartford", 51.43, 0.24, 58,
                   97_365, (98_940, 100_569, 102_234, 103_892, 105_543), 73, 26,
                   ("Dartford Central", "Dartford East", "Dartford West", "Stone", "Swanscombe",
                    "Greenhithe", "Wilmington", "Joydens Wood", "Ebbsfleet")),
    LocalAuthority("E07000108", "Dover", "E22000140", "Dover", "Dover", 51.17, 1.30, 67,
                   111_674, (111_765, 112_338, 113_066, 113_228, 114_227), 77, 30,
                   ("Dover Town", "Dover Castle", "Dover Maxton", "Deal North", "Deal South", "Walmer",
                    "Sandwich", "Aylesham", "Whitfield", "St Margaret's")),
    LocalAuthority("E07000109", "Gravesham", "E22000352", "Dartford and Gravesham", "Gravesham", 51.41, 0.38, 64,
                   101_720, (102_764, 103_752, 105_261, 106_299, 106_808), 75, 28,
                   ("Gravesend Central", "Gravesend North", "Gravesend South", "Northfleet North",
                    "Northfleet South", "Singlewell", "Riverview", "Meopham North", "Meopham South and Vigo",
                    "Higham")),
    LocalAuthority("E07000110", "Maidstone", "E22000142", "Maidstone", "Maidstone", 51.26, 0.55, 95,
                   155_143, (157_297, 159_325, 161_819, 164_499, 166_360), 69, 24,
                   ("Maidstone Central", "Maidstone East", "Maidstone North", "Maidstone South", "Allington",
                    "Bearsted & Thurnham", "Boxley", "Coxheath", "Headcorn", "Marden and Yalding",
                    "Staplehurst", "Lenham")),
    LocalAuthority("E07000111", "Sevenoaks", "E22000144", "Sevenoaks", "Sevenoaks", 51.27, 0.17, 74,
                   114_893, (116_400, 117_035, 117_811, 118_409, 119_142), 46, 20,
                   ("Sevenoaks Town", "Sevenoaks North", "Sevenoaks South", "Swanley Central", "Swanley North",
                    "Edenbridge", "Westerham", "Otford", "Hartley", "Farningham")),
    LocalAuthority("E07000112", "Shepway", "E22000145", "Shepway", "Shepway", 51.08, 1.08, 67,
                   107_969, (108_700, 108_832, 109_452, 110_034, 111_190), 86, 33,
                   ("Folkestone Central", "Folkestone Harbour", "Folkestone East", "Folkestone West",
                    "Cheriton", "Hythe", "Sandgate", "New Romney", "Lydd", "Elham")),
    LocalAuthority("E07000113", "Swale", "E22000146", "Swale", "Swale", 51.35, 0.80, 85,
                   135_835, (137_670, 139_171, 140_836, 142_417, 145_042), 88, 31,
                   ("Sittingbourne Central", "Sittingbourne North", "Sittingbourne South", "Milton Regis",
                    "Faversham East", "Faversham West", "Sheerness", "Minster", "Queenborough and Halfway",
                    "Eastchurch", "Teynham", "Iwade")),
    LocalAuthority("E07000114", "Thanet", "E22000147", "Thanet", "Thanet", 51.36, 1.38, 84,
                   134_186, (135_661, 136_766, 138_410, 139_772, 140_652), 94, 38,
                   ("Margate Central", "Margate North", "Cliftonville East", "Cliftonville West",
                    "Ramsgate Central", "Ramsgate Harbour", "Ramsgate North", "Broadstairs North",
                    "Broadstairs South", "Westgate-on-Sea", "Birchington", "Thanet Villages")),
    LocalAuthority("E07000115", "Tonbridge and Malling", "E22000148", "Tonbridge and Malling",
                   "Tonbridge and Malling", 51.27, 0.40, 72,
                   120_805, (121_912, 123_001, 124_426, 125_713, 127_293), 53, 21,
                   ("Tonbridge Central", "Tonbridge North", "Tonbridge South", "West Malling", "East Malling",
                    "Snodland", "Aylesford", "Ditton", "Kings Hill", "Borough Green")),
    LocalAuthority("E07000116", "Tunbridge Wells", "E22000149", "Tunbridge Wells", "Tunbridge Wells",
                   51.12, 0.33, 68,
                   115_049, (115_542, 115_693, 116_105, 116_241, 117_069), 50, 21,
                   ("Tunbridge Wells Central", "Tunbridge Wells North", "Tunbridge Wells South",
                    "Southborough", "Rusthall", "Pembury", "Paddock Wood", "Cranbrook", "Hawkhurst",
                    "Benenden")),
)
MEDWAY = 0  # index into AUTHORITIES
PFA = ("E23000032", "Kent")
REGION = ("E12000008", "SOUTH EAST")
KENT_COUNTY = ("E10000016", "Kent")
# Real ONS mid-year totals, mid-2012 .. mid-2016, for the rows above the authorities.
ENGLAND_MID_YEAR = (53_493_729, 53_865_817, 54_316_618, 54_786_327, 55_268_067)
SOUTH_EAST_MID_YEAR = (8_724_737, 8_792_766, 8_873_818, 8_947_913, 9_026_297)

POLICE_COLUMNS = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                  "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]


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
    written += _write_notes(out_dir, seed)
    # Imported here: demo_health builds on this module's areas and populations. Called last, with
    # the same generator, so the files above are the same with or without it.
    from .demo_health import write_health_demo
    from .demo_narrative import write_narrative_demo
    from .demo_priorities import write_priority_scores_demo
    from .sections import SECTIONS

    written += write_health_demo(out_dir, rng)
    written += write_narrative_demo(out_dir, {key: spec.title for key, spec in SECTIONS.items()})
    written += write_priority_scores_demo(out_dir)  # no random numbers: the files above stay the same
    # Outcomes and stop and search, from the street files written above, with a generator of their own.
    from .demo_police_outcomes import write_police_outcomes_demo

    written += write_police_outcomes_demo(out_dir, seed)
    return sorted(written)


# ---------------------------------------------------------------------------------------------
# Geography


def _geography(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per synthetic LSOA and one per ward, both ordered by authority then ward."""
    ward_rows, lsoa_parts = [], []
    for la_index, la in enumerate(AUTHORITIES):
        if la_index == MEDWAY:
            per_ward = np.array(list(MEDWAY_WARDS.values()))
        else:
            # 4 to 8 LSOAs per ward, adding up to the authority's real LSOA count.
            spare_slots = rng.permutation(np.repeat(np.arange(len(la.wards)), 4))
            per_ward = 4 + np.bincount(spare_slots[:la.lsoas - 4 * len(la.wards)], minlength=len(la.wards))
        n = int(per_ward.sum())
        ward_lat = la.lat + rng.normal(0, 0.03, len(la.wards))
        ward_lon = la.lon + rng.normal(0, 0.05, len(la.wards))
        ward_of = np.repeat(np.arange(len(la.wards)), per_ward)
        # LSOA names number their MSOA within the authority ("Medway 021A"); MSOAs hold 3-6 LSOAs.
        msoa_ends = np.cumsum(rng.integers(3, 7, n))
        msoa = np.searchsorted(msoa_ends, np.arange(n), side="right")
        msoa_start = np.concatenate([[0], msoa_ends])[msoa]
        residents = _largest_remainder(la.census_2011, rng.lognormal(0, 0.18, n))
        lsoa_parts.append(pd.DataFrame({
            "la": la_index,
            "ward": len(ward_rows) + ward_of,
            "msoa_name": [f"{la.name} {m + 1:03d}" for m in msoa],
            "lsoa_name": [f"{la.name} {m + 1:03d}{chr(65 + k)}" for m, k in zip(msoa, np.arange(n) - msoa_start)],
            "lat": ward_lat[ward_of] + rng.normal(0, 0.008, n),
            "lon": ward_lon[ward_of] + rng.normal(0, 0.012, n),
            "residents": residents,
            # Crime and ASB follow population, unevenly; ASB a little differently from crime.
            "crime_weight": residents * rng.lognormal(0, 0.5, n),
        }))
        ward_rows += [(la_index, name) for name in la.wards]
    lsoas = pd.concat(lsoa_parts, ignore_index=True)
    lsoas["asb_weight"] = lsoas["crime_weight"] * rng.lognormal(0, 0.3, len(lsoas))
    lsoas["lsoa_code"] = [f"E01{900001 + i}" for i in range(len(lsoas))]
    msoa_index = (lsoas["msoa_name"] != lsoas["msoa_name"].shift()).cumsum() - 1
    lsoas["msoa_code"] = [f"E02{900001 + i}" for i in msoa_index]
    wards = pd.DataFrame(ward_rows, columns=["la", "ward_name"])
    wards["ward_code"] = [f"E05{900001 + i}" for i in range(len(wards))]
    return lsoas, wards


def _largest_remainder(total: int, weights) -> np.ndarray:
    """Split ``total`` into integers in proportion to ``weights``, summing exactly to ``total``."""
    weights = np.asarray(weights, dtype=float)
    exact = total * weights / weights.sum()
    parts = np.floor(exact).astype(np.int64)
    shortfall = int(total - parts.sum())
    parts[np.argsort(parts - exact, kind="stable")[:shortfall]] += 1
    return parts


# ---------------------------------------------------------------------------------------------
# data.police.uk street-level files


def _write_police(out_dir: Path, rng: np.random.Generator, lsoas: pd.DataFrame, wards: pd.DataFrame) -> list[Path]:
    crime = _located_incidents(rng, lsoas, wards, "crime")
    asb = _located_incidents(rng, lsoas, wards, "asb")
    crime["type"] = _crime_types(rng, crime, lsoas)
    crime["outcome"] = _outcomes(rng, crime["type"], crime["month"])
    asb["type"] = np.full(len(asb["month"]), -1)  # -1: anti-social behaviour
    asb["outcome"] = np.full(len(asb["month"]), -1)  # -1: none, as data.police.uk leaves it empty
    parts = (crime, asb, _without_location(rng, crime), _without_location(rng, asb))
    rows = {key: np.concatenate([part[key] for part in parts]) for key in ("month", "lsoa", "type", "outcome")}
    n = len(rows["month"])

    # Real files list rows by LSOA name, then those without a location; order within an LSOA is
    # arbitrary.
    name_rank = np.append(np.argsort(np.argsort(lsoas["lsoa_name"].to_numpy(), kind="stable")), len(lsoas))
    order = np.lexsort((rng.random(n), name_rank[rows["lsoa"]], rows["month"]))
    rows = {key: value[order] for key, value in rows.items()}

    is_crime = rows["type"] >= 0
    # 256 random bits per crime, hex-encoded like data.police.uk's SHA-256 identifiers; ASB rows
    # have none.
    hex_ids = np.frombuffer(rng.bytes(32 * int(is_crime.sum())).hex().encode("ascii"), dtype="S64")
    crimes_before = np.concatenate([[0], np.cumsum(is_crime)])

    # data.police.uk snaps every incident to one of a set of anonymised map points per area,
    # named after the nearest street or a landmark; rows pick one of their LSOA's points.
    n_points = len(lsoas) * POINTS_PER_LSOA
    point_lsoa = np.repeat(np.arange(len(lsoas)), POINTS_PER_LSOA)
    point_lat = lsoas["lat"].to_numpy()[point_lsoa] + rng.normal(0, 0.0025, n_points)
    point_lon = lsoas["lon"].to_numpy()[point_lsoa] + rng.normal(0, 0.004, n_points)
    point_street = rng.integers(0, len(STREETS), n_points)
    point = np.where(rows["lsoa"] >= 0, rows["lsoa"] * POINTS_PER_LSOA + rng.integers(0, POINTS_PER_LSOA, n), -1)

    # Every column comes from a small vocabulary (month; map point with its LSOA; type and
    # outcome), so each distinct run of fields is CSV-encoded once, with its separators, and rows
    # are joined from those pieces: several times faster than encoding ~850,000 rows field by field.
    month_part = np.array(["," + _csv_fields(month, FORCE, FORCE) + "," for month in MONTHS], dtype=object)
    codes, names = lsoas["lsoa_code"].to_numpy(), lsoas["lsoa_name"].to_numpy()
    point_part = np.array([_csv_fields(f"{lon:.6f}", f"{lat:.6f}", f"On or near {STREETS[street]}",
                                       codes[lsoa], names[lsoa]) + ","
                           for lon, lat, street, lsoa in zip(point_lon, point_lat, point_street, point_lsoa)]
                          + [_csv_fields("", "", "No Location", "", "") + ","], dtype=object)  # index -1
    types, outcomes = (ASB, *CRIME_TYPES), ("", *OUTCOMES)  # index 0 stands for -1 in rows
    # data.police.uk writes CRLF line endings.
    tail_part = np.array([_csv_fields(t, o, "") + "\r\n" for t in types for o in outcomes], dtype=object)
    tail = (rows["type"] + 1) * len(outcomes) + rows["outcome"] + 1

    written = []
    bounds = np.searchsorted(rows["month"], np.arange(len(MONTHS) + 1))
    for month_index, month in enumerate(MONTHS):
        first, end = bounds[month_index], bounds[month_index + 1]
        crime_ids = np.full(end - first, "", dtype=object)
        crime_ids[is_crime[first:end]] = hex_ids[crimes_before[first]:crimes_before[end]].astype("<U64")
        lines = crime_ids + month_part[month_index] + point_part[point[first:end]] + tail_part[tail[first:end]]
        path = out_dir / "police-uk" / month / f"{month}-kent-street.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as f:
            f.write(_csv_fields(*POLICE_COLUMNS) + "\r\n")
            f.write("".join(lines))
        written.append(path)
    return written


def _csv_fields(*fields: str) -> str:
    """``fields`` as one CSV line fragment (quoted where needed), without a line ending."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()


def _located_incidents(rng: np.random.Generator, lsoas: pd.DataFrame, wards: pd.DataFrame,
                       kind: str) -> dict[str, np.ndarray]:
    """Incidents with an LSOA, as arrays ``month`` (0-59) and ``lsoa``, ordered by month.

    Totals per authority and financial year, per month and per ward are fixed exactly (so
    Medway's published figures hold for any seed); only which month a ward's incidents fall in,
    and which LSOA of the ward they fall in, is random.
    """
    seasonality = CRIME_SEASONALITY if kind == "crime" else ASB_SEASONALITY
    annual = _annual_totals(rng, kind)
    shares = _ward_shares(rng, lsoas, wards, kind)
    counts = np.zeros((len(MONTHS), len(wards)), dtype=np.int64)  # incidents per month and ward
    for la_index in range(len(AUTHORITIES)):
        in_la = np.flatnonzero(wards["la"].to_numpy() == la_index)
        for year in range(N_YEARS):
            total = int(annual[la_index, year])
            remaining = _largest_remainder(total, shares[year][in_la])
            for month, month_total in enumerate(_largest_remainder(total, seasonality)):
                # Draw the month's incidents from what is left of each ward's year, so both the
                # monthly and the ward totals come out exact.
                drawn = rng.multivariate_hypergeometric(remaining, int(month_total))
                counts[12 * year + month, in_la] = drawn
                remaining -= drawn
    month_of, ward_of = np.indices(counts.shape)
    month = np.repeat(month_of.ravel(), counts.ravel())
    ward = np.repeat(ward_of.ravel(), counts.ravel())
    weight = lsoas[f"{kind}_weight"].to_numpy()
    lsoa = _draw_within(rng, ward, lsoas["ward"].to_numpy(), weight)
    return {"month": month, "lsoa": lsoa}


def _annual_totals(rng: np.random.Generator, kind: str) -> np.ndarray:
    """Incidents per authority (rows) and financial year (columns)."""
    medway = MEDWAY_CRIMES if kind == "crime" else MEDWAY_ASB
    # Every authority follows Medway's trend, with a little local variation before 2016/17.
    trend = medway / medway[-1] * np.append(rng.lognormal(0, 0.03, (len(AUTHORITIES), N_YEARS - 1)),
                                            np.ones((len(AUTHORITIES), 1)), axis=1)
    rate = np.array([la.crime_rate if kind == "crime" else la.asb_rate for la in AUTHORITIES])
    mid_2016 = np.array([la.mid_year[-1] for la in AUTHORITIES])
    totals = np.rint((rate * mid_2016 / 1000)[:, None] * trend).astype(np.int64)
    totals[MEDWAY] = medway
    return totals


def _ward_shares(rng: np.random.Generator, lsoas: pd.DataFrame, wards: pd.DataFrame,
                 kind: str) -> list[np.ndarray]:
    """Each ward's share of its authority's incidents, one array per financial year."""
    weight = lsoas.groupby("ward")[f"{kind}_weight"].sum().to_numpy() * rng.lognormal(0, 0.35, len(wards))
    in_medway = np.flatnonzero(wards["la"].to_numpy() == MEDWAY)
    names = wards["ward_name"].to_numpy()[in_medway]
    hotspots = MEDWAY_CRIME_HOTSPOTS if kind == "crime" else MEDWAY_ASB_HOTSPOTS
    is_hotspot = np.isin(names, list(hotspots))
    medway = np.zeros(len(in_medway))
    medway[is_hotspot] = [hotspots[name] for name in names[is_hotspot]]
    spread = rng.uniform(0.7, 1.3, int((~is_hotspot).sum()))
    medway[~is_hotspot] = (1 - sum(hotspots.values())) * spread / spread.sum()
    latest = weight.copy()
    latest[in_medway] = medway
    if kind == "crime":
        return [latest] * N_YEARS
    earlier = latest.copy()
    north, south = in_medway[names == "Gillingham North"], in_medway[names == "Gillingham South"]
    earlier[north], earlier[south] = latest[south], latest[north]
    return [earlier] * (N_YEARS - 1) + [latest]


def _draw_within(rng: np.random.Generator, row_group: np.ndarray, item_group: np.ndarray,
                 item_weight: np.ndarray) -> np.ndarray:
    """For each row, an item of the row's group drawn with probability proportional to weight.

    Items must be ordered by group (0, 1, ...). Each group's cumulative weights are scaled to
    (g, g+1], so one searchsorted over all items draws every row at once.
    """
    total = np.bincount(item_group, weights=item_weight)
    cumulative = np.cumsum(item_weight)
    start = np.concatenate([[0.0], np.cumsum(total)])[item_group]
    edges = item_group + (cumulative - start) / total[item_group]
    last_in_group = np.append(item_group[1:] != item_group[:-1], True)
    edges[last_in_group] = item_group[last_in_group] + 1.0  # exact group end despite rounding
    return np.searchsorted(edges, row_group + rng.random(len(row_group)), side="right")


def _crime_types(rng: np.random.Generator, crime: dict[str, np.ndarray], lsoas: pd.DataFrame) -> np.ndarray:
    """Crime type index (into CRIME_TYPES) per crime, from a mix per authority and year."""
    n_types = len(CRIME_TYPES)
    others = np.delete(MEDWAY_MIX, VIOLENCE) / np.delete(MEDWAY_MIX, VIOLENCE).sum()
    mixes = np.empty((len(AUTHORITIES), N_YEARS, n_types))
    for la_index in range(len(AUTHORITIES)):
        local = others if la_index == MEDWAY else others * rng.lognormal(0, 0.15, n_types - 1)
        violence = VIOLENCE_SHARE + (0 if la_index == MEDWAY else rng.normal(0, 0.02))
        mixes[la_index] = np.insert((1 - violence)[:, None] * local / local.sum(), VIOLENCE, violence, axis=1)
    group = lsoas["la"].to_numpy()[crime["lsoa"]] * N_YEARS + crime["month"] // 12
    item_group = np.repeat(np.arange(len(AUTHORITIES) * N_YEARS), n_types)
    return _draw_within(rng, group, item_group, mixes.ravel()) % n_types


def _outcomes(rng: np.random.Generator, crime_type: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Last outcome index (into OUTCOMES) per crime, by type and by how recent the crime is."""
    kinds = list(OUTCOME_MIX)
    kind_of_type = np.array([kinds.index(t) if t in OUTCOME_MIX else 0 for t in CRIME_TYPES])
    months_before_end = len(MONTHS) - 1 - month
    recency = np.where(months_before_end < len(RECENT_UNDER_INVESTIGATION), months_before_end + 1, 0)
    still_open = np.concatenate([[0.0], RECENT_UNDER_INVESTIGATION])
    mixes = []
    for mix in OUTCOME_MIX.values():
        for share in still_open:
            mixes.append((1 - share) * mix / mix.sum() + share * np.eye(len(OUTCOMES))[UNDER_INVESTIGATION])
    group = kind_of_type[crime_type] * len(still_open) + recency
    item_group = np.repeat(np.arange(len(mixes)), len(OUTCOMES))
    return _draw_within(rng, group, item_group, np.concatenate(mixes)) % len(OUTCOMES)


def _without_location(rng: np.random.Generator, incidents: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """About 1% extra incidents per month that data.police.uk could not place ("No Location").

    Each copies the type and outcome of a random located incident of the same month.
    """
    per_month = np.bincount(incidents["month"], minlength=len(MONTHS))
    starts = np.concatenate([[0], np.cumsum(per_month)[:-1]])
    extra = rng.binomial(per_month, NO_LOCATION_SHARE)
    source = np.repeat(starts, extra) + (rng.random(extra.sum()) * np.repeat(per_month, extra)).astype(np.int64)
    copied = {key: value[source] for key, value in incidents.items()}
    copied["lsoa"] = np.full(len(source), -1)
    return copied


# ---------------------------------------------------------------------------------------------
# ONS lookups and census extract


def _write_lookups(out_dir: Path, lsoas: pd.DataFrame, wards: pd.DataFrame) -> list[Path]:
    ons = out_dir / "ons"
    ons.mkdir(parents=True, exist_ok=True)
    ward_lsoa = wards.iloc[lsoas["ward"].to_numpy()]
    la_of = [AUTHORITIES[i] for i in lsoas["la"]]
    ward_path = ons / "lsoa11-ward17-lad17-lookup.csv"
    # ONS writes LF line endings and quotes only names containing a comma.
    with ward_path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["LSOA11CD", "LSOA11NM", "WD17CD", "WD17NM", "WD17NMW", "LAD17CD", "LAD17NM", "FID"])
        out.writerows(zip(lsoas["lsoa_code"], lsoas["lsoa_name"], ward_lsoa["ward_code"], ward_lsoa["ward_name"],
                          [""] * len(lsoas), [la.code for la in la_of], [la.name for la in la_of],
                          range(1, len(lsoas) + 1)))
    csp_path = ons / "lad17-csp17-pfa17-lookup.csv"
    with csp_path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["LAD17CD", "LAD17NM", "CSP17CD", "CSP17NM", "PFA17CD", "PFA17NM", "FID"])
        out.writerows((la.code, la.name, la.csp_code, la.csp_name, *PFA, fid)
                      for fid, la in enumerate(AUTHORITIES, start=1))
    return [ward_path, csp_path]


def _write_current_lookups(out_dir: Path, lsoas: pd.DataFrame, wards: pd.DataFrame) -> list[Path]:
    """The lookups as ONS publishes them now: LSOA (2021) -> ward (2024) -> LAD (2024) with a
    byte-order mark, Welsh-name columns and ObjectId last; LAD -> CSP -> PFA with its id first."""
    ons = out_dir / "ons"
    ons.mkdir(parents=True, exist_ok=True)
    ward_lsoa = wards.iloc[lsoas["ward"].to_numpy()]
    la_of = [AUTHORITIES[i] for i in lsoas["la"]]
    ward_path = ons / "LSOA_(2021)_to_Electoral_Ward_(2024)_to_LAD_(2024)_Best_Fit_Lookup_in_EW.csv"
    with ward_path.open("w", newline="", encoding="utf-8-sig") as f:
        out = csv.writer(f, lineterminator="\r\n")
        out.writerow(["LSOA21CD", "LSOA21NM", "LSOA21NMW", "WD24CD", "WD24NM", "WD24NMW", "LAD24CD", "LAD24NM",
                      "LAD24NMW", "ObjectId"])
        out.writerows(zip(lsoas["lsoa_code"], lsoas["lsoa_name"], [""] * len(lsoas), ward_lsoa["ward_code"],
                          ward_lsoa["ward_name"], [""] * len(lsoas), [la.code for la in la_of],
                          [la.name for la in la_of], [""] * len(lsoas), range(1, len(lsoas) + 1)))
    csp_path = ons / "lad23-csp23-pfa23-lookup.csv"
    with csp_path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["FID", "LAD23CD", "LAD23NM", "CSP23CD", "CSP23NM", "PFA23CD", "PFA23NM"])
        out.writerows((fid, la.code, la.name, la.csp_code, la.csp_name, *PFA)
                      for fid, la in enumerate(AUTHORITIES, start=1))
    return [ward_path, csp_path]


# ---------------------------------------------------------------------------------------------
# Boundaries


# Metres: how far an LSOA reaches from its synthetic centre where no neighbour bounds it.
LSOA_REACH = 2_500


def _write_boundaries(out_dir: Path, lsoas: pd.DataFrame, wards: pd.DataFrame, current: bool) -> list[Path]:
    """LSOA and ward boundaries (GeoJSON, WGS84, as ONS serves them) for every synthetic area.

    Each LSOA is the Voronoi cell of its synthetic centre (shapely), within LSOA_REACH of it;
    a ward is the union of its LSOAs. No random numbers are drawn, so the other files are the
    same with or without boundaries.
    """
    import geopandas as gpd
    import shapely

    folder = out_dir / "ons" / "boundaries"
    folder.mkdir(parents=True, exist_ok=True)
    centres = gpd.GeoSeries(gpd.points_from_xy(lsoas["lon"], lsoas["lat"]), crs="EPSG:4326").to_crs("EPSG:27700")
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(centres)), ordered=True)
    reach = centres.buffer(LSOA_REACH, quad_segs=8)
    shapes = gpd.GeoSeries(list(cells.geoms), crs="EPSG:27700").intersection(reach, align=False)
    ward_lsoa = wards.iloc[lsoas["ward"].to_numpy()]
    lsoa_vintage, ward_vintage = ("21", "24") if current else ("11", "17")
    lsoa_frame = gpd.GeoDataFrame({f"LSOA{lsoa_vintage}CD": lsoas["lsoa_code"], f"LSOA{lsoa_vintage}NM": lsoas["lsoa_name"],
                                   f"LAD{ward_vintage}CD": [AUTHORITIES[i].code for i in lsoas["la"]]},
                                  geometry=shapes.values, crs="EPSG:27700")
    ward_shapes = lsoa_frame.assign(ward=ward_lsoa["ward_code"].to_numpy()).dissolve(by="ward", sort=True)
    ward_frame = gpd.GeoDataFrame({f"WD{ward_vintage}CD": ward_shapes.index,
                                   f"WD{ward_vintage}NM": wards.set_index("ward_code").loc[ward_shapes.index, "ward_name"],
                                   f"LAD{ward_vintage}CD": ward_shapes[f"LAD{ward_vintage}CD"]},
                                  geometry=ward_shapes.geometry.values, crs="EPSG:27700")
    written = []
    for frame, name in ((lsoa_frame, f"lsoa{lsoa_vintage}_demo.geojson"), (ward_frame, f"ward{ward_vintage}_demo.geojson")):
        path = folder / name
        _write_geojson(frame.to_crs("EPSG:4326"), path)
        written.append(path)
    return written


def _write_geojson(frame, path: Path) -> None:
    """GeoJSON with coordinates rounded to 6 decimals (about 10 cm) and a fixed layout, so the same
    shapes always give the same bytes."""
    import json

    import shapely

    features = []
    for row in frame.itertuples(index=False):
        properties = {col: str(getattr(row, col)) for col in frame.columns if col != "geometry"}
        geometry = shapely.geometry.mapping(shapely.set_precision(row.geometry, 1e-6))
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    collection = {"type": "FeatureCollection", "name": path.stem, "features": features}
    path.write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8", newline="\n")


def _write_census(out_dir: Path, rng: np.random.Generator, lsoas: pd.DataFrame, current: bool = False) -> Path:
    n = len(lsoas)
    residents = lsoas["residents"].to_numpy()
    # Most LSOAs have a handful of people in communal establishments; a few hold a care home,
    # hall of residence or prison.
    communal = np.where(rng.random(n) < 0.06, rng.integers(60, 400, n), rng.poisson(8, n))
    communal = np.minimum(communal, residents // 3)
    household = residents - communal
    households = np.rint(household / np.clip(rng.normal(2.4, 0.15, n), 1.9, 2.9)).astype(np.int64)
    hectares = np.rint(np.clip(rng.lognormal(np.log(110), 1.0, n), 10, 5000)).astype(np.int64)
    if current:  # the same residents as Census 2021 TS001 by LSOA, as Nomis serves it
        path = out_dir / "ons" / "census2021-ts001-lsoa.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(["date", "geography", "geography code", "Residence type: Total; measures: Value",
                          "Residence type: Lives in a household; measures: Value",
                          "Residence type: Lives in a communal establishment; measures: Value"])
            out.writerows(("2021", row.lsoa_name, row.lsoa_code, int(residents[i]), int(household[i]),
                           int(communal[i])) for i, row in enumerate(lsoas.itertuples(index=False)))
        return path
    path = out_dir / "ons" / "census2011-lsoa-population.csv"
    # The extract has CRLF line endings, an unnamed empty column, three "Persons" columns (all
    # usual residents, in households, communal) and thousands separators, hence quoting.
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\r\n")
        out.writerow(["Region code", "Region name", "Local authority code", "Local authority name",
                      "MSOA Code", "MSOA Name", "LSOA Code", "LSOA Name", "", "Persons", "Persons",
                      "Persons", "Hectares", "Persons per hectare", "Households", "Persons per household"])
        for i, row in enumerate(lsoas.itertuples(index=False)):  # ~1,000 LSOAs
            la = AUTHORITIES[row.la]
            out.writerow([*REGION, la.code, la.census_name, row.msoa_code, row.msoa_name, row.lsoa_code,
                          row.lsoa_name, "", f"{residents[i]:,}", f"{household[i]:,}", f"{communal[i]:,}",
                          f"{hectares[i]:,}", f"{residents[i] / hectares[i]:.1f}", f"{households[i]:,}",
                          f"{household[i] / households[i]:.1f}"])
    return path


# ---------------------------------------------------------------------------------------------
# ONS mid-year estimates workbooks


AGES = np.arange(91)  # 90 stands for 90 and over, as in the ONS tables
# Relative size of each single year of age, and the share of it that is male.
AGE_PROFILE = np.append(np.interp(AGES[:90], [0, 17, 20, 30, 45, 55, 65, 75, 85, 89],
                                  [1.25, 1.2, 1.3, 1.35, 1.45, 1.35, 1.2, 0.85, 0.45, 0.25]), 0.8)
MALE_SHARE = np.interp(AGES, [0, 20, 40, 60, 80, 90], [0.512, 0.51, 0.495, 0.49, 0.43, 0.30])
MYE2_SHEETS = {"MYE2 - All": "Persons", "MYE2 - M": "Males", "MYE2 - F": "Females"}


def _write_mid_year_estimates(out_dir: Path, rng: np.random.Generator, current: bool = False) -> list[Path]:
    folder = out_dir / "ons" / "mid-year-estimates"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for y, year in enumerate(MYE_YEARS):
        def by_age(total: int) -> np.ndarray:
            return _largest_remainder(total, AGE_PROFILE * rng.lognormal(0, 0.04, len(AGES)))

        districts = [(la.code, la.name, "Non-metropolitan District", by_age(la.mid_year[y]))
                     for la in AUTHORITIES if la.code != AUTHORITIES[MEDWAY].code]
        medway = AUTHORITIES[MEDWAY]
        # ONS lists unitary authorities before counties, each county followed by its districts;
        # a county's figures are the sum of its districts'.
        areas = [("E92000001", "ENGLAND", "Country", by_age(ENGLAND_MID_YEAR[y])),
                 (*REGION, "Region", by_age(SOUTH_EAST_MID_YEAR[y])),
                 (medway.code, medway.name, "Unitary Authority", by_age(medway.mid_year[y])),
                 (*KENT_COUNTY, "County", np.sum([d[3] for d in districts], axis=0)),
                 *districts]
        persons = np.array([area[3] for area in areas])
        males = np.rint(persons * MALE_SHARE).astype(np.int64)
        counts = {"MYE2 - All": persons, "MYE2 - M": males, "MYE2 - F": persons - males}

        if current:
            path = folder / f"mye{year % 100:02d}final.xlsx"
            _save_reproducibly(_current_mye_workbook(year, areas, counts), path)
            written.append(path)
            continue
        wb = openpyxl.Workbook()
        contents = wb.active
        contents.title = "Contents "  # sic: the ONS sheet name has a trailing space
        for _ in range(6):
            contents.append([])
        contents.append([None, "Contents",
                         f"Population Estimates for UK, England and Wales, Scotland and Northern Ireland: Mid-{year}"])
        for sheet, people in MYE2_SHEETS.items():
            contents.append([])
            contents.append([None, sheet, f"Population estimates: {people} by single year of age and sex for "
                                          f"local authorities in the UK, mid-{year}"])
        contents.append([])
        contents.append([None, "Note", "SYNTHETIC DEMONSTRATION DATA made by csp_assessment.demo: the totals "
                                       "follow the published ONS estimates, the single-year-of-age detail is "
                                       "random. Not an ONS publication."])
        for sheet, people in MYE2_SHEETS.items():
            ws = wb.create_sheet(sheet)
            ws.append(["Contents"])
            ws.append([])
            ws.append([f"MYE2: Population estimates: {people} by single year of age and sex for local "
                       f"authorities in the UK, mid-{year}"])
            ws.append([])
            ws.append(["Code", "Name", "Geography1", "All ages", *AGES.tolist()])
            for (code, name, geography, _), row in zip(areas, counts[sheet]):
                ws.append([code, name, geography, int(row.sum()), *row.tolist()])
        path = folder / f"ukmidyearestimates{year}.xlsx"
        _save_reproducibly(wb, path)
        written.append(path)
    return written


def _current_mye_workbook(year: int, areas: list, counts: dict[str, np.ndarray]) -> openpyxl.Workbook:
    """The layout ONS uses from mid-2021: a cover sheet, then 'MYE2 - Persons', 'MYE2 - Females' and
    'MYE2 - Males', each with seven title and feedback rows above the header on row 8."""
    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = "Cover sheet"
    cover.append([f"Population estimates for the UK, England, Wales, Scotland and Northern Ireland: mid-{year}"])
    cover.append(["SYNTHETIC DEMONSTRATION DATA made by csp_assessment.demo: the totals follow the published ONS "
                  "estimates, the single-year-of-age detail is random. Not an ONS publication."])
    for sheet, source in (("MYE2 - Persons", "MYE2 - All"), ("MYE2 - Females", "MYE2 - F"), ("MYE2 - Males", "MYE2 - M")):
        people = sheet.removeprefix("MYE2 - ")
        ws = wb.create_sheet(sheet)
        ws.append([f"MYE2: {people} by single year of age and sex for local authorities in the UK, mid-{year}"])
        ws.append(["This worksheet contains one table. Freeze panes are turned on."])
        ws.append(["To turn off freeze panes select the 'View' ribbon then 'Freeze Panes' then 'Unfreeze Panes' "
                   "or use [Alt W, F]"])
        ws.append(["Please choose from the links presented in the cells below to e-mail us your opinion on this table:"])
        ws.append(["This met my needs, please produce it next year"])
        ws.append(["I need something slightly different (please specify)"])
        ws.append(["This is not what I need at all (please specify)"])
        ws.append(["Code", "Name", "Geography", "All ages", *AGES.tolist()])
        for (code, name, geography, _), row in zip(areas, counts[source]):
            ws.append([code, name, geography, int(row.sum()), *row.tolist()])
    return wb


def _save_reproducibly(wb: openpyxl.Workbook, path: Path) -> None:
    """Save ``wb`` so that the same content always gives the same bytes.

    openpyxl stamps the save time into docProps/core.xml and the zip entries carry the current
    time and the host system, so the archive is rewritten with fixed values.
    """
    wb.properties.creator = "csp_assessment.demo (synthetic demonstration data)"
    wb.properties.created = XLSX_TIMESTAMP
    buffer = io.BytesIO()
    wb.save(buffer)
    wb.properties.modified = XLSX_TIMESTAMP
    core = tostring(wb.properties.to_tree())
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=ZIP_TIMESTAMP)
            fixed.create_system = 3  # Unix, whatever the host
            fixed.external_attr = 0o644 << 16
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, core if entry.filename == "docProps/core.xml" else source.read(entry))


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


if __name__ == "__main__":
    main()

"""The demo's data.police.uk street-level files: crime and ASB for Kent, April 2012 - March 2017."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from .areas import AUTHORITIES, FORCE, MEDWAY, MONTHS, N_YEARS, _largest_remainder

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

POLICE_COLUMNS = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                  "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]


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

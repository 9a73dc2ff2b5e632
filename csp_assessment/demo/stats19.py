"""Synthetic DfT road safety data (STATS19) for the demonstration: collision and casualty CSVs in
the layout DfT publishes today (``dft-road-casualty-statistics-collision-YYYY.csv``, 44 columns;
``...-casualty-YYYY.csv``, 23 columns), for the 13 Kent authorities of the demo, calendar years
2012 to 2016 (the 2017 assessment's five-year trend window).

Medway's killed or seriously injured (KSI) casualties and all casualties per year are fixed
(``MEDWAY_KSI``, ``MEDWAY_CASUALTIES``), whatever the seed; the other authorities have plausible
rates (KSI 35 to 60 per 100,000 residents). Every collision, casualty, date and coordinate is
invented. The generator draws from its own stream (``default_rng([seed, STREAM])``), so the demo's
other files are the same with or without these.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from .areas import AUTHORITIES, MEDWAY, _geography

STREAM = 19  # this writer's own random stream: never the main generator's
FOLDER = "dft-stats19"
YEARS = tuple(range(2012, 2017))
POLICE_FORCE = 46  # Kent, as STATS19 codes police forces
KENT_HIGHWAYS = "E10000016"  # Kent County Council is the highway authority of the Kent districts
MEDWAY_KSI = (88, 79, 92, 84, 103)  # killed or seriously injured casualties, 2012 .. 2016
MEDWAY_CASUALTIES = (812, 790, 845, 806, 861)  # all casualties, 2012 .. 2016
FATAL_SHARE = 0.06  # of KSI casualties
INJURY_BASED_FROM = 2016  # the demo force records injuries itself (CRASH) from this year: no adjustment needed

COLLISION_HEADER = (
    "collision_index,collision_year,collision_ref_no,location_easting_osgr,location_northing_osgr,longitude,latitude,"
    "police_force,collision_severity,number_of_vehicles,number_of_casualties,date,day_of_week,time,"
    "local_authority_district,local_authority_ons_district,local_authority_highway,local_authority_highway_current,"
    "first_road_class,first_road_number,road_type,speed_limit,junction_detail_historic,junction_detail,"
    "junction_control,second_road_class,second_road_number,pedestrian_crossing_human_control_historic,"
    "pedestrian_crossing_physical_facilities_historic,pedestrian_crossing,light_conditions,weather_conditions,"
    "road_surface_conditions,special_conditions_at_site,carriageway_hazards_historic,carriageway_hazards,"
    "urban_or_rural_area,did_police_officer_attend_scene_of_accident,trunk_road_flag,lsoa_of_accident_location,"
    "enhanced_severity_collision,collision_injury_based,collision_adjusted_severity_serious,"
    "collision_adjusted_severity_slight").split(",")
CASUALTY_HEADER = (
    "collision_index,collision_year,collision_ref_no,vehicle_reference,casualty_reference,casualty_class,"
    "sex_of_casualty,age_of_casualty,age_band_of_casualty,casualty_severity,pedestrian_location,pedestrian_movement,"
    "car_passenger,bus_or_coach_passenger,pedestrian_road_maintenance_worker,casualty_type,casualty_imd_decile,"
    "lsoa_of_casualty,enhanced_casualty_severity,casualty_injury_based,casualty_adjusted_severity_serious,"
    "casualty_adjusted_severity_slight,casualty_distance_banding").split(",")

# Road users (casualty_type codes) and their shares among slight and among KSI casualties:
# pedestrians, cyclists and motorcyclists are a larger share of the killed and seriously injured.
CASUALTY_TYPE_CODES = np.array([9, 0, 1, 3, 5, 19, 11, 8, 90])
SLIGHT_MIX = np.array([0.62, 0.10, 0.09, 0.04, 0.03, 0.05, 0.03, 0.02, 0.02])
KSI_MIX = np.array([0.42, 0.20, 0.13, 0.08, 0.09, 0.03, 0.02, 0.01, 0.02])
# Age of casualty: young adults are over-represented, above all among car occupants.
AGE_EDGES = np.array([0, 11, 17, 25, 40, 60, 75, 95])
AGE_MIX = np.array([0.05, 0.07, 0.19, 0.27, 0.26, 0.11, 0.05])
DFT_AGE_BANDS = ((5, 1), (10, 2), (15, 3), (20, 4), (25, 5), (35, 6), (45, 7), (55, 8), (65, 9), (75, 10))


def _age_band(age: int) -> int:
    return next((band for top, band in DFT_AGE_BANDS if age <= top), 11)


def _annual_figures(rng: np.random.Generator) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Authority index -> (KSI, all casualties) per year of YEARS."""
    figures = {}
    for index, la in enumerate(AUTHORITIES):
        if index == MEDWAY:
            figures[index] = (np.array(MEDWAY_KSI), np.array(MEDWAY_CASUALTIES))
            continue
        rate = rng.uniform(35, 60)
        ksi = np.array([round(pop * rate / 100_000 * rng.uniform(0.85, 1.15)) for pop in la.mid_year])
        figures[index] = (ksi, np.round(ksi * rng.uniform(6.5, 8.5, len(ksi))).astype(int))
    return figures


def _fmt(value: float) -> str:
    """Adjustment probabilities as DfT writes them: 1, 0, 0.06126."""
    return f"{value:.5f}".rstrip("0").rstrip(".") if value not in (0, 1) else str(int(value))


def write_demo(out_dir: Path, seed: int = 2017, formats: str = "2017") -> list[Path]:
    """Write ``dft-stats19/dft-road-casualty-statistics-{collision,casualty}-YYYY.csv`` for YEARS
    and a README into ``out_dir``; return the files written. DfT's layout is the same whatever
    ``formats`` (the ONS formats) says.

    Collisions are placed in the demo's synthetic LSOAs (the areas module's geography, made again
    from the seed by a generator of its own), so they fall inside the demo's boundaries.
    """
    lsoas, _ = _geography(np.random.default_rng(seed))  # the same LSOAs generate_demo drew first
    return write_stats19_demo(out_dir, seed, lsoas)


def write_stats19_demo(out_dir: Path, seed: int = 2017, lsoas: pd.DataFrame | None = None) -> list[Path]:
    """The files of :func:`write_demo`; ``lsoas`` (la, lat, lon, lsoa_code, residents) places the
    collisions, and without it they lie around each authority's centre."""
    from pyproj import Transformer  # here: pyproj takes a second to import; only this writer needs it

    rng = np.random.default_rng([seed, STREAM])
    to_grid = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    folder = Path(out_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    figures = _annual_figures(rng)
    written = []
    for y, year in enumerate(YEARS):
        collisions, casualties = [], []
        serial = 0
        refs: list[str] = []
        for index, la in enumerate(AUTHORITIES):
            ksi, total = figures[index][0][y], figures[index][1][y]
            # Casualties into collisions of 1 to 4 casualties (most have one).
            sizes = []
            while sum(sizes) < total:
                sizes.append(min(int(1 + rng.poisson(0.35)), 4, total - sum(sizes)))
            owner = np.repeat(np.arange(len(sizes)), sizes)
            severity = np.full(total, 3)
            chosen = rng.choice(total, ksi, replace=False)
            severity[chosen] = np.where(rng.random(ksi) < FATAL_SHARE, 1, 2)
            types = np.where(severity < 3, rng.choice(CASUALTY_TYPE_CODES, total, p=KSI_MIX),
                             rng.choice(CASUALTY_TYPE_CODES, total, p=SLIGHT_MIX))
            band = rng.choice(len(AGE_MIX), total, p=AGE_MIX)
            ages = rng.integers(AGE_EDGES[band], AGE_EDGES[band + 1])
            ages[types == 9] = np.where(rng.random((types == 9).sum()) < 0.12, rng.integers(17, 25, (types == 9).sum()),
                                        ages[types == 9])
            ages[rng.random(total) < 0.02] = -1  # age not recorded
            injury_based = year >= INJURY_BASED_FROM
            adjusted = np.where(severity == 1, 0.0, np.where(severity == 2, 1.0, 0.0))
            if not injury_based:
                # Before injury-based recording DfT's adjustment raises KSI by some 10-20%: serious
                # casualties are nearly certainly serious, slight ones a little likely to be.
                adjusted = np.where(severity == 2, np.round(rng.uniform(0.9, 1.0, total), 5),
                                    np.where(severity == 3, np.round(rng.uniform(0.0, 0.045, total), 5), 0.0))
            if lsoas is not None:
                own = lsoas[lsoas["la"] == index]
                where = own.iloc[rng.choice(len(own), len(sizes), p=own["residents"] / own["residents"].sum())]
                lats = where["lat"].to_numpy() + rng.normal(0, 0.002, len(sizes))
                lons = where["lon"].to_numpy() + rng.normal(0, 0.003, len(sizes))
                lsoa_codes = where["lsoa_code"].to_numpy()
            else:
                lats = la.lat + rng.normal(0, 0.02, len(sizes))
                lons = la.lon + rng.normal(0, 0.03, len(sizes))
                lsoa_codes = np.full(len(sizes), "-1")
            eastings, northings = to_grid.transform(lons, lats)
            days = rng.integers(0, 366 if year % 4 == 0 else 365, len(sizes))
            minutes = rng.integers(0, 24 * 60, len(sizes))
            highway = la.code if index == MEDWAY else KENT_HIGHWAYS
            n = len(sizes)
            sizes = np.array(sizes)
            vehicles = np.clip(sizes + rng.integers(-1, 2, n), 1, 3)
            speeds = rng.choice([20, 30, 40, 50, 60, 70], n, p=[0.05, 0.55, 0.15, 0.07, 0.12, 0.06])
            road_classes = rng.choice([1, 3, 4, 6], n, p=[0.1, 0.4, 0.2, 0.3])
            road_numbers = np.where(road_classes == 6, 0, rng.integers(2, 300, n))
            road_types = rng.choice([1, 3, 6], n, p=[0.1, 0.2, 0.7])
            junctions = rng.choice([0, 3, 6], n)
            light = rng.choice([1, 4], n, p=[0.7, 0.3])
            weather = rng.choice([1, 2], n, p=[0.85, 0.15])
            surface = rng.choice([1, 2], n, p=[0.8, 0.2])
            # Casualty details, drawn for all casualties at once.
            pedestrian = types == 0
            casualty_class = np.where(pedestrian, 3, rng.choice([1, 2], total, p=[0.7, 0.3]))
            vehicle_of = np.where(pedestrian, 1, 1 + np.floor(rng.random(total) * vehicles[owner]).astype(int))
            sex = rng.choice([1, 2], total)
            imd = rng.integers(1, 11, total)
            first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            casualty_ref = np.arange(total) - first[owner] + 1
            collision_severity = np.minimum.reduceat(severity, first)
            collision_serious = np.where(collision_severity == 1, 0.0, np.maximum.reduceat(adjusted, first))
            for c in range(n):
                serial += 1
                ref = f"{POLICE_FORCE}{serial:07d}"
                date = pd.Timestamp(year, 1, 1) + pd.Timedelta(days=int(days[c]))
                fatal = collision_severity[c] == 1
                collisions.append([
                    f"{year}{ref}", year, ref, round(eastings[c]), round(northings[c]), f"{lons[c]:.6f}",
                    f"{lats[c]:.6f}", POLICE_FORCE, collision_severity[c], vehicles[c], sizes[c],
                    date.strftime("%d/%m/%Y"), (date.day_of_week + 1) % 7 + 1,
                    f"{minutes[c] // 60:02d}:{minutes[c] % 60:02d}", -1, la.code, highway, highway, road_classes[c],
                    road_numbers[c], road_types[c], speeds[c], -1, junctions[c], -1, -1, 0, -1, -1, 0, light[c],
                    weather[c], surface[c], 0, -1, 0, 1 if speeds[c] <= 40 else 2, 1, 2, lsoa_codes[c], -1,
                    int(injury_based), _fmt(collision_serious[c]), _fmt(0.0 if fatal else 1 - collision_serious[c])])
                refs.append(ref)
            for m in range(total):
                c = owner[m]
                ref = refs[len(refs) - n + c]
                is_pedestrian = bool(pedestrian[m])
                casualties.append([
                    f"{year}{ref}", year, ref, vehicle_of[m], casualty_ref[m], casualty_class[m], sex[m], ages[m],
                    -1 if ages[m] < 0 else _age_band(int(ages[m])), severity[m], 5 if is_pedestrian else 0,
                    3 if is_pedestrian else 0, 1 if (types[m] == 9 and casualty_class[m] == 2) else 0, 0, 0,
                    types[m], imd[m], lsoa_codes[c], -1, int(injury_based), _fmt(adjusted[m]),
                    _fmt(0.0 if severity[m] == 1 else 1 - adjusted[m]), -1])
        for name, header, rows in (("collision", COLLISION_HEADER, collisions),
                                   ("casualty", CASUALTY_HEADER, casualties)):
            path = folder / f"dft-road-casualty-statistics-{name}-{year}.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                out = csv.writer(handle, lineterminator="\n")
                out.writerow(header)
                out.writerows(rows)
            written.append(path)
    readme = folder / "README.md"
    readme.write_text(
        "# Synthetic example: DfT road safety data (STATS19)\n\n"
        "Collision and casualty files in the layout DfT publishes today, for the 13 Kent authorities of the demo, "
        f"{YEARS[0]} to {YEARS[-1]}. **Invented**: every collision, casualty, date and place. Medway's killed or "
        "seriously injured casualties per year are "
        + ", ".join(f"{y} {n}" for y, n in zip(YEARS, MEDWAY_KSI)) + "; all casualties "
        + ", ".join(f"{y} {n:,}" for y, n in zip(YEARS, MEDWAY_CASUALTIES)) + ". The severity adjustment columns "
        f"hold invented probabilities before {INJURY_BASED_FROM} and 1 or 0 from then on (injury-based recording).\n",
        encoding="utf-8", newline="\n")
    return sorted(written) + [readme]

"""The demo's ONS files: lookups (2017 and current layouts), boundaries, Census small-area
population and mid-year estimate workbooks."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.xml.functions import tostring

from .areas import (AUTHORITIES, ENGLAND_MID_YEAR, KENT_COUNTY, MEDWAY, MYE_YEARS, PFA, REGION,
    SOUTH_EAST_MID_YEAR, _largest_remainder)

# Fixed timestamps for the workbooks: the week ONS published the mid-2016 estimates.
XLSX_TIMESTAMP = dt.datetime(2017, 6, 22, 9, 30)
ZIP_TIMESTAMP = (2017, 6, 22, 9, 30, 0)


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
    import geopandas as gpd  # here: geopandas and shapely take seconds to import; only the boundaries need them
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

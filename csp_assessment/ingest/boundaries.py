"""ONS boundary files (GeoJSON or shapefile), for the maps of the crime and ASB sections.

Recognised by their code columns, whatever the file is called: ``LSOA11CD``/``LSOA21CD`` make an
LSOA boundary file, ``WD17CD`` ... ``WD25CD`` a ward boundary file (an LSOA file that also
carries ward codes is an LSOA file). Any vintage: the digits in the column name are the year.

The tidy table has one row per area: level ("lsoa" or "ward"), vintage ("2021", ...), code,
name, lad_code ("" where the file does not say), geometry (WKB, British National Grid,
EPSG:27700, simplified to 5 metres: enough for an A4 map, a fraction of the full-resolution
size), source_file. Geometry is read and reprojected by geopandas through pyogrio; nothing
here computes geometry by hand.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd

from ..errors import InputError

SUFFIXES = {".geojson", ".json", ".shp"}  # and .zip holding a shapefile, as the ONS portal serves them
BRITISH_NATIONAL_GRID = "EPSG:27700"
# Metres: a 5 m line is well under a printed pixel at the scale of a local authority map.
SIMPLIFY_METRES = 5.0
COLUMNS = ["level", "vintage", "code", "name", "lad_code", "geometry", "source_file"]

_LSOA_CODE = re.compile(r"LSOA(\d\d)CD", re.IGNORECASE)
_WARD_CODE = re.compile(r"WD(\d\d)CD", re.IGNORECASE)
_LAD_CODE = re.compile(r"(?:LAD(\d\d)CD|LADCD_ACTIVE)", re.IGNORECASE)


def _fields(path: Path) -> list[str]:
    import pyogrio  # here, as geopandas below: seconds to import, and only boundary files need them

    try:
        return [str(name) for name in pyogrio.read_info(_source(path))["fields"]]
    except Exception:  # noqa: BLE001 - pyogrio raises several error types for unreadable files
        return []


def _source(path: Path) -> str:
    """What GDAL opens: the file itself, or the shapefile inside a zip as the ONS portal serves it."""
    if path.suffix.lower() != ".zip":
        return str(path)
    shapefiles = _zipped_shapefiles(path)
    return f"/vsizip/{path}/{shapefiles[0]}" if shapefiles else str(path)


def _zipped_shapefiles(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return sorted(name for name in archive.namelist() if name.lower().endswith(".shp"))
    except zipfile.BadZipFile:
        return []


def _level(fields: list[str]) -> tuple[str, str, str] | None:
    """(level, vintage, code column) from a file's field names, or None for other files."""
    for level, pattern in (("lsoa", _LSOA_CODE), ("ward", _WARD_CODE)):
        for name in fields:
            match = pattern.fullmatch(name)
            if match:
                return level, f"20{match.group(1)}", name
    return None


def sniff(path: Path) -> bool:
    """True when ``path`` is an LSOA or ward boundary file."""
    path = Path(path)
    if path.suffix.lower() == ".zip" and not _zipped_shapefiles(path):
        return False  # police.uk archives and other zips: only the member names were read
    return path.suffix.lower() in SUFFIXES | {".zip"} and _level(_fields(path)) is not None


def read_boundaries(path: Path) -> pd.DataFrame:
    """One row per LSOA or ward of the file (see the module's docstring for the columns)."""
    import geopandas as gpd
    import shapely

    path = Path(path)
    fields = _fields(path)
    found = _level(fields)
    if found is None:
        raise InputError(path, f"not an LSOA or ward boundary file: no LSOA<yy>CD or WD<yy>CD column among "
                               f"{', '.join(fields) or 'its fields'}")
    level, vintage, code_column = found
    name_column = next((f for f in fields if f.upper() == code_column.upper().replace("CD", "NM")), None)
    lad_column = next((f for f in fields if _LAD_CODE.fullmatch(f) and not f.upper().startswith("LADCD")),
                      next((f for f in fields if _LAD_CODE.fullmatch(f)), None))
    wanted = [c for c in (code_column, name_column, lad_column) if c]
    try:
        frame = gpd.read_file(_source(path), engine="pyogrio", columns=wanted)
    except Exception as exc:  # noqa: BLE001 - GDAL reports unreadable files in many ways
        raise InputError(path, f"cannot be read as a boundary file ({exc})") from None
    if frame.empty:
        raise InputError(path, "the boundary file holds no areas")
    if frame.crs is None:  # GeoJSON without a crs member is WGS84 by definition (RFC 7946)
        frame = frame.set_crs("EPSG:4326")
    missing = frame[frame.geometry.isna() | frame.geometry.is_empty]
    if len(missing):
        raise InputError(path, f"area {missing[code_column].iloc[0]} has no geometry", column=code_column)
    codes = frame[code_column].astype(str).str.strip()
    repeated = codes[codes.duplicated()]
    if len(repeated):
        raise InputError(path, f"{level} {repeated.iloc[0]} appears more than once; each area must appear once",
                         column=code_column)
    projected = frame.to_crs(BRITISH_NATIONAL_GRID).geometry
    simplified = shapely.make_valid(projected.simplify(SIMPLIFY_METRES, preserve_topology=True).values)
    return pd.DataFrame({
        "level": level,
        "vintage": vintage,
        "code": codes.to_numpy(),
        "name": frame[name_column].astype(str).str.strip().to_numpy() if name_column else codes.to_numpy(),
        "lad_code": frame[lad_column].fillna("").astype(str).to_numpy() if lad_column else "",
        "geometry": shapely.to_wkb(simplified),
        "source_file": path.name,
    })[COLUMNS]


def read_all(paths: list[Path]) -> pd.DataFrame:
    """Every boundary file's areas together; an area given by several files is kept once (the
    file whose name sorts last wins, so the result never depends on the folder's layout)."""
    tables = [read_boundaries(p) for p in sorted(paths, key=lambda p: (p.name, str(p)))]
    table = pd.concat(tables, ignore_index=True)
    return (table.drop_duplicates(["level", "vintage", "code"], keep="last")
            .sort_values(["level", "vintage", "code"], ignore_index=True))

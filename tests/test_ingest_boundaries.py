"""Boundary files recognised by their code columns, read into British National Grid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from csp_assessment.errors import InputError
from csp_assessment.ingest import boundaries

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def square(x: float, y: float, size: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]}


def write_geojson(path: Path, features: list[tuple[dict, dict]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]}))
    return path


def test_ward_and_lsoa_files_of_any_vintage(tmp_path):
    wards = write_geojson(tmp_path / "wards.geojson", [
        ({"WD22CD": "E05000001", "WD22NM": "North", "LAD22CD": "E06000035"}, square(0.5, 51.3)),
        ({"WD22CD": "E05000002", "WD22NM": "South", "LAD22CD": "E06000035"}, square(0.5, 51.29))])
    lsoas = write_geojson(tmp_path / "anything.json", [
        ({"LSOA21CD": "E01000001", "LSOA21NM": "Medway 001A", "WD22CD": "E05000001"}, square(0.5, 51.3))])
    other = write_geojson(tmp_path / "msoa.geojson", [({"MSOA21CD": "E02000001"}, square(0.5, 51.3))])
    assert boundaries.sniff(wards) and boundaries.sniff(lsoas) and not boundaries.sniff(other)
    table = boundaries.read_all([wards, lsoas])
    assert table[["level", "vintage", "code", "name", "lad_code"]].values.tolist() == [
        ["lsoa", "2021", "E01000001", "Medway 001A", ""],
        ["ward", "2022", "E05000001", "North", "E06000035"],
        ["ward", "2022", "E05000002", "South", "E06000035"]]
    shape = shapely.from_wkb(table["geometry"].iloc[0])
    # 0.01 degrees near Medway is roughly 700 m east-west and 1,100 m north-south, in metres now
    minx, miny, maxx, maxy = shape.bounds
    assert 600 < maxx - minx < 800 and 1_000 < maxy - miny < 1_200 and 570_000 < minx < 580_000


def test_a_repeated_area_names_the_file(tmp_path):
    path = write_geojson(tmp_path / "wards.geojson", [({"WD24CD": "E05000001"}, square(0.5, 51.3)),
                                                     ({"WD24CD": "E05000001"}, square(0.6, 51.3))])
    with pytest.raises(InputError, match=r"wards.geojson, column 'WD24CD': ward E05000001 appears more than once"):
        boundaries.read_boundaries(path)


def test_real_ons_boundaries():
    path = SHARED / "data-current" / "ons" / "boundaries" / "kent-lsoa21" / "lsoa21_E06000035.geojson"
    if not path.exists():
        pytest.skip(f"real boundaries not found at {path}")
    with open(path, encoding="utf-8") as fh:
        codes = sorted(f["properties"]["LSOA21CD"] for f in json.load(fh)["features"])
    table = boundaries.read_boundaries(path)
    assert sorted(table["code"]) == codes and set(table["vintage"]) == {"2021"} and set(table["level"]) == {"lsoa"}
    assert all(shapely.from_wkb(g).is_valid for g in table["geometry"])


def test_a_zipped_shapefile_as_the_ons_portal_serves_it(tmp_path):
    import zipfile

    import geopandas as gpd

    source = write_geojson(tmp_path / "w.geojson", [({"WD24CD": "E05000001", "WD24NM": "North"}, square(0.5, 51.3))])
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    gpd.read_file(source).to_file(shp_dir / "WD_MAY_2024_UK_BGC.shp")
    archive = tmp_path / "Wards_May_2024_Boundaries_UK_BGC.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in sorted(shp_dir.iterdir()):
            zf.write(part, part.name)
    assert boundaries.sniff(archive)
    table = boundaries.read_boundaries(archive)
    assert table[["level", "vintage", "code", "name"]].values.tolist() == [["ward", "2024", "E05000001", "North"]]
    police = tmp_path / "police.zip"
    with zipfile.ZipFile(police, "w") as zf:
        zf.writestr("2022-01/2022-01-kent-street.csv", "Crime ID,Month\n")
    assert not boundaries.sniff(police)

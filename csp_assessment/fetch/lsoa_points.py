"""Which LSOA a point lies in, from ONS boundaries: the data.police.uk API gives crimes a point
but no LSOA, and the archive's files carry one; placing the API's points makes its files
count the same by LSOA, ward and area.

Boundaries come from the Open Geography Portal's feature service as GeoJSON, only the LSOAs of
the force's authorities, requested by POST (the list of codes is long) and page by page.
"""

from __future__ import annotations

import json
import urllib.parse
from collections import defaultdict

from .files import Assembled
from .http import Client, FetchError
from .sources import mirrored

CELL = 0.01  # degrees: the grid the index files each boundary's bounding box under


def boundaries_geojson(client: Client, service: str, code_field: str, codes: list[str], mirror: str | None,
                       what: str, page_size: int) -> bytes:
    """One GeoJSON FeatureCollection of the LSOAs ``codes`` (WGS84)."""
    features: list[dict] = []
    quoted = ",".join(f"'{c}'" for c in sorted(codes))
    while True:
        form = urllib.parse.urlencode({"where": f"{code_field} IN ({quoted})", "outFields": "*", "outSR": 4326,
                                       "resultOffset": len(features), "resultRecordCount": page_size,
                                       "f": "geojson"}).encode()
        body = client.get_bytes(mirrored(f"{service.rstrip('/')}/query", mirror), what, data=form,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            page = json.loads(body)
        except json.JSONDecodeError as exc:
            raise FetchError(f"{what}: the service's answer is not GeoJSON ({exc}): {service}") from None
        if "error" in page:
            raise FetchError(f"{what}: the service answered with an error ({page['error']}); the boundaries may "
                             "have moved: fix ons.lsoa_boundaries in csp_assessment/fetch/sources.yaml")
        got = page.get("features") or []
        features += got
        more = page.get("exceededTransferLimit") or (page.get("properties") or {}).get("exceededTransferLimit")
        if not got or not more:
            break
    found = {(f.get("properties") or {}).get(code_field) for f in features}
    missing = sorted(set(codes) - found)
    if missing:
        raise FetchError(f"{what}: the service has no boundary for {len(missing)} LSOA(s), e.g. {missing[0]}: "
                         "the boundaries' vintage does not match the lookup's")
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def plan_boundaries(service: str, code_field: str, codes: list[str], target: str, page_size: int) -> Assembled:
    what = f"ONS LSOA boundaries ({len(codes)} LSOAs)"

    def make(client, mirror):
        return boundaries_geojson(client, service, code_field, codes, mirror, what, page_size)

    return Assembled(service, target, what, make)


def _rings(geometry: dict) -> list[list[tuple[float, float]]]:
    """Every ring of a Polygon or MultiPolygon as (lng, lat) points."""
    if geometry["type"] == "Polygon":
        polygons = [geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        return []
    return [[(float(x), float(y)) for x, y, *_ in ring] for polygon in polygons for ring in polygon]


def inside_rings(lng: float, lat: float, rings: list[list[tuple[float, float]]]) -> bool:
    """Even-odd rule over every ring: holes and islands come out right."""
    inside = False
    for ring in rings:
        j = len(ring) - 1
        for i, (xi, yi) in enumerate(ring):
            xj, yj = ring[j]
            if (yi > lat) != (yj > lat) and lng < (xj - xi) * (lat - yi) / (yj - yi) + xi:
                inside = not inside
            j = i
    return inside


class LsoaLocator:
    """Point -> (LSOA code, LSOA name) over a set of boundaries, with a grid index."""

    def __init__(self, geojson: bytes | str, code_field: str, names: dict[str, str]):
        collection = json.loads(geojson)
        self.areas: list[tuple[str, list, tuple[float, float, float, float]]] = []
        self.grid: dict[tuple[int, int], list[int]] = defaultdict(list)
        self.names = names
        for feature in collection.get("features", []):
            rings = _rings(feature.get("geometry") or {"type": ""})
            if not rings:
                continue
            xs = [x for ring in rings for x, _ in ring]
            ys = [y for ring in rings for _, y in ring]
            box = (min(xs), min(ys), max(xs), max(ys))
            index = len(self.areas)
            self.areas.append((str(feature["properties"][code_field]), rings, box))
            for gx in range(int(box[0] // CELL), int(box[2] // CELL) + 1):
                for gy in range(int(box[1] // CELL), int(box[3] // CELL) + 1):
                    self.grid[(gx, gy)].append(index)

    def locate(self, lat: float, lng: float) -> tuple[str, str] | None:
        for index in self.grid.get((int(lng // CELL), int(lat // CELL)), ()):
            code, rings, (x0, y0, x1, y1) = self.areas[index]
            if x0 <= lng <= x1 and y0 <= lat <= y1 and inside_rings(lng, lat, rings):
                return code, self.names.get(code, "")
        return None

"""Which LSOA a point lies in, from ONS boundaries: the data.police.uk API gives crimes a point
but no LSOA, and the archive's files carry one; placing the API's points makes its files
count the same by LSOA, ward and area.

Boundaries come from the Open Geography Portal's feature service as GeoJSON, only the LSOAs of
the force's authorities, requested by POST (the list of codes is long) and page by page.
"""

from __future__ import annotations

import json
from collections import defaultdict

from .files import Assembled
from .http import Client, FetchError
from .ons import feature_pages

CELL = 0.01  # degrees: the grid the index files each boundary's bounding box under


def boundaries_geojson(client: Client, service: str, code_field: str, codes: list[str], mirror: str | None,
                       what: str, page_size: int) -> bytes:
    """One GeoJSON FeatureCollection of the LSOAs ``codes`` (WGS84)."""
    quoted = ",".join(f"'{c}'" for c in sorted(codes))
    form = {"where": f"{code_field} IN ({quoted})", "outFields": "*", "outSR": 4326, "f": "geojson"}
    features: list[dict] = []
    for page in feature_pages(client, service, mirror, what, page_size, form, post=True):
        features += page.get("features") or []
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

    def bounding_box(self) -> tuple[float, float, float, float]:
        """(min lng, min lat, max lng, max lat) of every boundary."""
        boxes = [box for _, _, box in self.areas]
        return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))

    def locate(self, lat: float, lng: float) -> tuple[str, str] | None:
        for index in self.grid.get((int(lng // CELL), int(lat // CELL)), ()):
            code, rings, (x0, y0, x1, y1) = self.areas[index]
            if x0 <= lng <= x1 and y0 <= lat <= y1 and inside_rings(lng, lat, rings):
                return code, self.names.get(code, "")
        return None

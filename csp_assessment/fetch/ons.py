"""ONS lookups (Open Geography Portal) and mid-year population estimates.

The lookups come from the portal's feature services, page by page as JSON, and are written as
the portal's CSV download: the fields in the service's order, one row per record. The
population estimates are the release workbooks, as published.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
from pathlib import PurePosixPath

from ..errors import ConfigError
from .files import Assembled, Download, FileInZip
from .http import Client, FetchError
from .sources import mirrored


def lookup_csv(client: Client, service: str, mirror: str | None, what: str, page_size: int) -> bytes:
    """Every record of an ArcGIS feature service layer, as CSV."""
    fields: list[str] = []
    rows: list[list] = []
    offset = 0
    while True:
        query = urllib.parse.urlencode({"where": "1=1", "outFields": "*", "returnGeometry": "false",
                                        "resultOffset": offset,
                                        "resultRecordCount": page_size, "f": "json"})
        body = client.get_bytes(mirrored(f"{service.rstrip('/')}/query?{query}", mirror), what)
        try:
            page = json.loads(body)
        except json.JSONDecodeError as exc:
            raise FetchError(f"{what}: the service's answer is not JSON ({exc}): {service}") from None
        if "error" in page:
            raise FetchError(f"{what}: the service answered with an error ({page['error'].get('message', page['error'])})"
                             f"; the lookup may have moved: fix its address under ons.lookups in "
                             "csp_assessment/fetch/sources.yaml")
        if not fields:
            fields = [f["name"] for f in page.get("fields", [])]
        features = page.get("features", [])
        rows += [[(f.get("attributes") or {}).get(name) for name in fields] for f in features]
        offset += len(features)
        if not features or not page.get("exceededTransferLimit"):
            break
    if not rows:
        raise FetchError(f"{what}: the service returned no records ({service})")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")  # as the portal's downloads: UTF-8 with a byte-order mark


def plan_lookup(entry: dict, name: str, page_size: int) -> Assembled:
    what = f"ONS lookup {entry['file']} (ons.lookups.{name})"

    def make(client, mirror):
        return lookup_csv(client, entry["service"], mirror, what, page_size)

    return Assembled(entry["service"], f"ons/{entry['file']}", what, make, tuple(entry.get("header") or ()))


def lookups_for_months(lookups: dict, first: str, last: str) -> list[tuple[str, dict]]:
    """The LSOA -> ward -> local authority lookups whose LSOA vintages police files of ``first`` to
    ``last`` use (two when the months straddle a change of vintage), the latest last."""
    chosen = [(name, entry) for name, entry in lookups.items()
              if entry.get("police_months") and entry["police_months"][0] <= last
              and first <= entry["police_months"][1]]
    if not chosen or not any(e["police_months"][0] <= last <= e["police_months"][1] for _, e in chosen):
        raise ConfigError(f"no LSOA lookup in csp_assessment/fetch/sources.yaml covers police files of {last} "
                          "(see police_months under ons.lookups)")
    return sorted(chosen, key=lambda item: item[1]["police_months"][0])


def plan_population(estimates: dict, year: int) -> tuple[Download, int]:
    """The release workbook for ``year``, or the latest earlier one listed (the run says so)."""
    years = sorted(int(y) for y in estimates if int(y) <= year)
    if not years:
        raise ConfigError(f"no ONS mid-year estimates for {year} or earlier in csp_assessment/fetch/sources.yaml "
                         "(ons.mid_year_estimates)")
    chosen = years[-1]
    address = estimates[chosen] if chosen in estimates else estimates[str(chosen)]
    file_name = PurePosixPath(urllib.parse.urlsplit(address).query.split("uri=")[-1] or
                              urllib.parse.urlsplit(address).path).name
    kind = PurePosixPath(file_name).suffix.lstrip(".").lower()
    return Download(address, f"ons/mid-year-estimates/{file_name}", kind,
                    f"ONS mid-{chosen} population estimates ({file_name}; ons.mid_year_estimates.{chosen})"), chosen


def plan_small_area_population(releases: dict, code_field: str) -> Download | FileInZip:
    """The small area estimates for LSOAs of ``code_field``'s vintage (e.g. LSOA11CD)."""
    entry = releases.get(code_field)
    if not entry:
        raise ConfigError(f"no small area population estimates for {code_field} LSOAs in "
                         "csp_assessment/fetch/sources.yaml (ons.small_area_population)")
    what = f"ONS small area population estimates for {code_field[:4]} 20{code_field[4:6]} (ons.small_area_population)"
    if entry.get("member"):
        return FileInZip(entry["url"], "ons/small-area-population", entry["member"], "xlsx", what)
    file_name = PurePosixPath(urllib.parse.urlsplit(entry["url"]).query.split("uri=")[-1] or
                              urllib.parse.urlsplit(entry["url"]).path).name
    return Download(entry["url"], f"ons/small-area-population/{file_name}",
                    PurePosixPath(file_name).suffix.lstrip(".").lower(), what)

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
from .sources import mirrored, unconfirmed


class ServiceError(FetchError):
    """An ArcGIS service answered with an ``error`` object (HTTP 200 all the same): a wrong or
    withdrawn service name, typically."""


# A page may come back empty with more to come ("rely on the exceededTransferLimit property",
# ArcGIS REST API, Query (Feature Service/Layer)); this many empty pages in a row is a fault.
EMPTY_PAGES_ALLOWED = 5


def feature_pages(client: Client, service: str, mirror: str | None, what: str, page_size: int, form: dict,
                  post: bool = False):
    """Every page of an ArcGIS layer query, paged with resultOffset while the service says
    ``exceededTransferLimit`` (at the top, or under ``properties`` in GeoJSON)."""
    offset = empty = 0
    while True:
        fields = urllib.parse.urlencode({**form, "resultOffset": offset, "resultRecordCount": page_size})
        url = mirrored(f"{service.rstrip('/')}/query" + ("" if post else f"?{fields}"), mirror)
        body = client.get_bytes(url, what, **({"data": fields.encode(), "headers": {
            "Content-Type": "application/x-www-form-urlencoded"}} if post else {}))
        try:
            page = json.loads(body)
        except json.JSONDecodeError as exc:
            raise FetchError(f"{what}: the service's answer is not JSON ({exc}): {service}") from None
        if "error" in page:
            error = page["error"] if isinstance(page["error"], dict) else {"message": page["error"]}
            raise ServiceError(f"{what}: the service answered with an error ({error.get('code', '')} "
                               f"{error.get('message', '')}".rstrip() + f") at {service}; the service may have "
                               "moved or been renamed: fix its address in csp_assessment/fetch/sources.yaml")
        yield page
        got = len(page.get("features") or [])
        more = page.get("exceededTransferLimit") or (page.get("properties") or {}).get("exceededTransferLimit")
        if not more:
            return
        empty = 0 if got else empty + 1
        if empty > EMPTY_PAGES_ALLOWED:
            raise FetchError(f"{what}: the service keeps answering 'more to come' with no records ({service})")
        # On by the records received (a server whose own limit is below page_size returns fewer, with
        # more to come); past an empty page by a whole page (its candidates were filtered out).
        offset += got or page_size


def lookup_csv(client: Client, service: str, mirror: str | None, what: str, page_size: int) -> bytes:
    """Every record of an ArcGIS feature service layer, as CSV."""
    fields: list[str] = []
    rows: list[list] = []
    form = {"where": "1=1", "outFields": "*", "returnGeometry": "false", "f": "json"}
    for page in feature_pages(client, service, mirror, what, page_size, form):
        if not fields:
            fields = [f["name"] for f in page.get("fields", [])]
        rows += [[(f.get("attributes") or {}).get(name) for name in fields] for f in page.get("features", [])]
    if not rows:
        raise FetchError(f"{what}: the service returned no records ({service})")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")  # as the portal's downloads: UTF-8 with a byte-order mark


def plan_lookup(entry: dict, name: str, page_size: int, why: str = "") -> Assembled:
    what = f"ONS lookup {entry['file']} (ons.{name}{': ' + why if why else ''})"

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


def lad_csp_pfa_vintages(vintages: dict, period_end: str) -> list[tuple[str, dict]]:
    """The local authority -> CSP -> police force lookups to try, best first: the first whose
    December is not before the period's last month (the partnerships as they stood when the
    period ended), else the newest; then, should that one be unconfirmed, the newest confirmed one
    to fall back on."""
    years = sorted(vintages, key=int)
    chosen = next((y for y in years if f"{int(y)}-12" >= period_end), years[-1])
    confirmed = [y for y in years if not unconfirmed(vintages[y])]
    order = [chosen] + ([confirmed[-1]] if unconfirmed(vintages[chosen]) and confirmed else [])
    return [(str(y), vintages[y]) for y in order]


def _file_name(address: str) -> str:
    parts = urllib.parse.urlsplit(address)
    return PurePosixPath(parts.query.split("uri=")[-1] or parts.path).name


def _release(address: str, member: str | None, folder: str, what: str) -> Download | FileInZip:
    """A published file: the workbook at ``address``, or ``member`` of the zip there."""
    if member:
        return FileInZip(address, folder, member, PurePosixPath(member).suffix.lstrip(".").lower(), what)
    name = _file_name(address)
    return Download(address, f"{folder}/{name}", PurePosixPath(name).suffix.lstrip(".").lower(), what)


def plan_population(estimates: dict, year: int) -> tuple[Download | FileInZip, int, dict]:
    """The release for mid-``year``, or the latest earlier one listed (the run says so).
    Returns (item, the mid-year chosen, its entry)."""
    years = sorted(int(y) for y in estimates if int(y) <= year)
    if not years:
        raise ConfigError(f"no ONS mid-year estimates for {year} or earlier in csp_assessment/fetch/sources.yaml "
                          "(ons.mid_year_estimates)")
    chosen = years[-1]
    entry = estimates[chosen] if chosen in estimates else estimates[str(chosen)]
    name = entry.get("member") or _file_name(entry["url"])
    item = _release(entry["url"], entry.get("member"), "ons/mid-year-estimates",
                    f"ONS mid-{chosen} population estimates ({name}; ons.mid_year_estimates.{chosen})")
    return item, chosen, entry


def plan_small_area_population(releases: dict, code_field: str, year: int) -> tuple[Download | FileInZip, int, dict]:
    """The small area estimates for LSOAs of ``code_field``'s vintage (e.g. LSOA11CD) for
    mid-``year``: that year's release, else the latest earlier, else the earliest listed."""
    of_vintage = releases.get(code_field)
    if not of_vintage:
        raise ConfigError(f"no small area population estimates for {code_field} LSOAs in "
                          "csp_assessment/fetch/sources.yaml (ons.small_area_population)")
    years = sorted(int(y) for y in of_vintage)
    chosen = max((y for y in years if y <= year), default=years[0])
    entry = of_vintage[chosen] if chosen in of_vintage else of_vintage[str(chosen)]
    what = (f"ONS small area population estimates, mid-{chosen}, {code_field[:4]} 20{code_field[4:6]} "
            f"(ons.small_area_population.{code_field}.{chosen})")
    return _release(entry["url"], entry.get("member"), "ons/small-area-population", what), chosen, entry

"""data.police.uk street, outcomes and stop-and-search files for the area's force(s).

Two ways, chosen by ``police_uk.method`` in sources.yaml or ``--police-via``:

* the monthly archive (``/data/archive/YYYY-MM.zip``): each holds the 36 months to its own for
  every force; the fewest archives covering the months are downloaded (into the cache) and the
  force's files taken out under their own names, ``police-uk/YYYY-MM/YYYY-MM-<force>-street.csv``.
* the API: per month, the street crimes inside each of the force's neighbourhood boundaries (a
  boundary holding more than the API's 10,000-crime limit, answered with 503, is split into
  quarters), the crimes without a location, and the force's stop and searches; written in the
  archive's CSV layout. The API gives no LSOA: each point is placed in its LSOA with the ONS
  boundaries (:mod:`.lsoa_points`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse

import pandas as pd

from ..errors import ConfigError
from ..ingest import police_uk as police_input
from .files import ArchiveMembers, Assembled
from .http import Client, FetchError, NotFound, StatusError
from .lsoa_points import LsoaLocator, inside_rings
from .sources import mirrored

STREET_HEADER = ("Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                 "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context")
STOP_HEADER = ("Type", "Date", "Part of a policing operation", "Policing operation", "Latitude", "Longitude",
               "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity", "Legislation",
               "Object of search", "Outcome", "Outcome linked to object of search",
               "Removal of more than just outer clothing")
KINDS = ("street", "outcomes", "stop-and-search")
# Degrees (about 1 km): an area the API refuses (503) is split into quarters down to this size.
SMALLEST_SPLIT = 0.01


def force_id(pfa_name: str, sources: dict) -> str:
    """data.police.uk's id for a police force area named as in the ONS lookup."""
    overrides = {k.lower(): v for k, v in (sources["police_uk"].get("force_ids") or {}).items()}
    if pfa_name.lower() in overrides:
        return overrides[pfa_name.lower()]
    slug = re.sub(r"[^a-z0-9]+", "-", pfa_name.lower().replace("&", " and ")).strip("-")
    return re.sub(r"-(police|constabulary)$", "", slug)


def forces_for(area_codes: tuple[str, ...], lookup: pd.DataFrame, sources: dict) -> dict[str, str]:
    """{force id: force area name} of the forces covering ``area_codes`` (local authority or CSP codes),
    from the local authority -> CSP -> police force area lookup."""
    forces = {}
    for code in area_codes:
        rows = lookup[(lookup["lad_code"] == code) | (lookup["csp_code"] == code)]
        if rows.empty:
            raise ConfigError(f"area {code} is not in the local authority -> Community Safety Partnership -> police "
                              "force area lookup; check the code (e.g. E06000035 for Medway)")
        for name in rows["pfa_name"].drop_duplicates():
            forces[force_id(name, sources)] = name
    return forces


def present_months(data_dir, skip_roots: list = ()) -> set[tuple[str, str]]:
    """(force id, month) of every street file already in the data folder, plain or zipped, but
    for those under ``skip_roots`` (the demo data)."""
    return {(f.force, f.month) for f in police_input.discover(data_dir)
            if not any(root == f.source or root in f.source.parents for root in skip_roots)}


def archives_for(months: list[str], span: int) -> dict[str, list[str]]:
    """{archive month: [months taken from it]}: the fewest archives, each holding the ``span``
    months to its own, covering ``months``. The latest archive that holds a month is used."""
    plan: dict[str, list[str]] = {}
    remaining = sorted(set(months), reverse=True)
    while remaining:
        latest = remaining[0]
        first = str(pd.Period(latest, "M") - (span - 1))
        plan[latest] = sorted(m for m in remaining if m >= first)
        remaining = [m for m in remaining if m < first]
    return plan


def plan_archive(months: list[str], forces: dict[str, str], sources: dict) -> list[ArchiveMembers]:
    police = sources["police_uk"]
    items = []
    for archive_month, taken in archives_for(months, int(police.get("archive_months", 36))).items():
        members, required, headers = {}, set(), {}
        for month in taken:
            for force in forces:
                for kind in KINDS:
                    member = f"{month}/{month}-{force}-{kind}.csv"
                    members[member] = f"police-uk/{member}"
                # Outcomes and stop-and-search files are not published by every force every month.
                street = f"{month}/{month}-{force}-street.csv"
                required.add(street)
                headers[street] = police_input.REQUIRED_COLUMNS
        items.append(ArchiveMembers(police["archive"].format(month=archive_month), members, required,
                                    f"data.police.uk archive {archive_month} ({', '.join(forces)} {taken[0]} to "
                                    f"{taken[-1]})", headers))
    return items


# ---- the API ------------------------------------------------------------------------------


def _get_json(client: Client, url: str, mirror: str | None, what: str, **kwargs):
    body = client.get_bytes(mirrored(url, mirror), what, **kwargs)
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise FetchError(f"{what}: the API's answer is not JSON ({exc}): {url}") from None


def _street_crimes_in(client: Client, api: str, mirror: str | None, month: str,
                      polygon: list[tuple[float, float]], what: str) -> list[dict]:
    """Street crimes in ``polygon`` for ``month``; an area over the API's limit (503) is asked
    for again as four quarters of its bounding box, keeping the crimes inside the polygon."""
    poly = ":".join(f"{lat:.6f},{lng:.6f}" for lat, lng in polygon)
    body = urllib.parse.urlencode({"poly": poly, "date": month}).encode()
    try:
        # POST: neighbourhood boundaries are too long for a query string.
        return _get_json(client, f"{api}/crimes-street/all-crime", mirror, what, data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded"}, own=(503,))
    except StatusError:
        pass
    lats, lngs = [p[0] for p in polygon], [p[1] for p in polygon]
    if max(max(lats) - min(lats), max(lngs) - min(lngs)) < SMALLEST_SPLIT:
        # No area this small holds 10,000 crimes in a month: the API is unavailable, not overwhelmed.
        raise FetchError(f"{what}: the API answers 503 (service unavailable) even for a small area; try again "
                         "later, or use --police-via archive")
    rings = [[(lng, lat) for lat, lng in polygon]]
    mid_lat, mid_lng = (min(lats) + max(lats)) / 2, (min(lngs) + max(lngs)) / 2
    crimes = []
    for lat0, lat1 in ((min(lats), mid_lat), (mid_lat, max(lats))):
        for lng0, lng1 in ((min(lngs), mid_lng), (mid_lng, max(lngs))):
            box = [(lat0, lng0), (lat0, lng1), (lat1, lng1), (lat1, lng0)]
            crimes += [c for c in _street_crimes_in(client, api, mirror, month, box, what)
                       if inside_rings(float(c["location"]["longitude"]), float(c["location"]["latitude"]), rings)]
    return crimes


def street_csv(crimes: list[dict], no_location: list[dict], categories: dict[str, str], force_name: str,
               locator: LsoaLocator | None = None) -> bytes:
    """API crimes written as the archive's street file: same columns, same order, same values.
    The API gives no LSOA: ``locator`` places each point in its LSOA (without one, or for a point
    outside every boundary, the LSOA columns stay empty, as the archive leaves them for crimes
    without a location)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STREET_HEADER)
    for crime, located in [(c, True) for c in crimes] + [(c, False) for c in no_location]:
        location = crime.get("location") or {}
        outcome = crime.get("outcome_status") or {}
        category = crime["category"]
        lsoa = None
        if located and locator is not None and location.get("latitude") and location.get("longitude"):
            lsoa = locator.locate(float(location["latitude"]), float(location["longitude"]))
        writer.writerow([crime.get("persistent_id") or "", crime["month"], force_name, force_name,
                         location.get("longitude") or "" if located else "",
                         location.get("latitude") or "" if located else "",
                         (location.get("street") or {}).get("name", "") if located else "No location",
                         *(lsoa or ("", "")), categories.get(category, category), outcome.get("category") or "",
                         crime.get("context") or ""])
    return out.getvalue().encode("utf-8")


def _yes_no(value) -> str:
    return "" if value is None else str(bool(value))


def stop_and_search_csv(stops: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STOP_HEADER)
    for stop in stops:
        location = stop.get("location") or {}
        writer.writerow([stop.get("type") or "", stop.get("datetime") or "", _yes_no(stop.get("operation")),
                         stop.get("operation_name") or "", location.get("latitude") or "",
                         location.get("longitude") or "", stop.get("gender") or "", stop.get("age_range") or "",
                         stop.get("self_defined_ethnicity") or "", stop.get("officer_defined_ethnicity") or "",
                         stop.get("legislation") or "", stop.get("object_of_search") or "",
                         stop.get("outcome") or "", _yes_no(stop.get("outcome_linked_to_object_of_search")),
                         _yes_no(stop.get("removal_of_more_than_outer_clothing"))])
    return out.getvalue().encode("utf-8")


def plan_api(months: list[str], forces: dict[str, str], sources: dict,
             locators: dict[str, LsoaLocator] | None = None) -> list[Assembled]:
    """Street and stop-and-search files of each force and month from the API; ``locators`` (by
    force id) place the street crimes in LSOAs."""
    api = sources["police_uk"]["api"].rstrip("/")
    items = []
    known: dict = {}  # answers every month shares (the forces), asked once a fetch

    def force_names(client, mirror, what):
        if "forces" not in known:
            known["forces"] = {f["id"]: f["name"] for f in _get_json(client, f"{api}/forces", mirror, what)}
        return known["forces"]

    def require_published(client, mirror, what, month):
        """The API answers an unpublished month with no crimes rather than an error: ask which it has."""
        if "dates" not in known:
            known["dates"] = {d["date"] for d in _get_json(client, f"{api}/crimes-street-dates", mirror, what)}
        if month not in known["dates"]:
            latest = max(known["dates"], default="none")
            raise NotFound(f"{what}: data.police.uk has not published {month} (its latest month is {latest}); "
                           "end the period earlier (--to)")
    for force in forces:
        for month in months:
            def street(client, mirror, force=force, month=month):
                what = f"data.police.uk API, {force} street crimes {month}"
                require_published(client, mirror, what, month)
                names = force_names(client, mirror, what)
                if force not in names:
                    raise FetchError(f"{what}: the API knows no force '{force}'; set its id under police_uk.force_ids "
                                     "in csp_assessment/fetch/sources.yaml")
                categories = {c["url"]: c["name"] for c in _get_json(
                    client, f"{api}/crime-categories?date={month}", mirror, what)}
                crimes: dict = {}
                for hood in _get_json(client, f"{api}/{force}/neighbourhoods", mirror, what):
                    boundary = _get_json(client, f"{api}/{force}/{urllib.parse.quote(str(hood['id']))}/boundary",
                                         mirror, what)
                    polygon = [(float(p["latitude"]), float(p["longitude"])) for p in boundary]
                    for crime in _street_crimes_in(client, api, mirror, month, polygon, what):
                        crimes.setdefault(crime["id"], crime)  # a crime on a shared border comes once
                no_location = _get_json(client, f"{api}/crimes-no-location?category=all-crime&force={force}"
                                        f"&date={month}", mirror, what)
                return street_csv(sorted(crimes.values(), key=lambda c: c["id"]), no_location, categories,
                                  names[force], (locators or {}).get(force))

            def stops(client, mirror, force=force, month=month):
                what = f"data.police.uk API, {force} stop and search {month}"
                require_published(client, mirror, what, month)
                return stop_and_search_csv(_get_json(client, f"{api}/stops-force?force={force}&date={month}",
                                                     mirror, what))

            base = f"police-uk/{month}/{month}-{force}"
            items.append(Assembled(f"{api}/crimes-street/all-crime?force={force}&date={month}",
                                   f"{base}-street.csv", f"data.police.uk API {force} {month} street crimes",
                                   street, police_input.REQUIRED_COLUMNS))
            items.append(Assembled(f"{api}/stops-force?force={force}&date={month}", f"{base}-stop-and-search.csv",
                                   f"data.police.uk API {force} {month} stop and search", stops, STOP_HEADER))
    return items

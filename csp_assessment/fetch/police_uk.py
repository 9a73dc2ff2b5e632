"""data.police.uk street, outcomes and stop-and-search files for the area's force(s).

Two ways, chosen by ``police_uk.method`` in sources.yaml or ``--police-via``:

* the monthly archive (``/data/archive/YYYY-MM.zip``): each holds the 36 months to its own for
  every force; the archives of the run's last month and every 36 months before it are downloaded
  (into the cache) and the force's files taken out under their own names,
  ``police-uk/YYYY-MM/YYYY-MM-<force>-street.csv``. A force's month missing from the archive is a
  :class:`~.files.Gap`.
* the API: per month, the street crimes inside each of the force's neighbourhood boundaries (a
  boundary holding more than the API's 10,000-crime limit, answered with 503, is split into
  quarters), the crimes without a location, and the force's stop and searches; written in the
  archive's CSV layout, the force's own crimes only (see :func:`plan_api`). The API gives no LSOA:
  each point is placed in its LSOA with the ONS boundaries (:mod:`.lsoa_points`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import urllib.parse

import pandas as pd

from ..errors import ConfigError
from ..ingest import police_uk as police_input
from .. import successions
from .files import ArchiveMembers, Assembled, Gap
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
    from the local authority -> CSP -> police force area lookup. An authority the lookup does not
    know under that code (replaced since, or made since: E06000060-66) is found through
    :mod:`csp_assessment.successions`."""
    forces = {}
    known = set(lookup["lad_code"])
    for code in area_codes:
        rows = lookup[(lookup["lad_code"].isin(successions.codes_in(code, known))) | (lookup["csp_code"] == code)]
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


def archives_for(months: list[str], span: int, latest: str | None = None) -> dict[str, list[str]]:
    """{archive month: [months taken from it]}: the archives of ``latest`` (the run's last month)
    and of every ``span`` months before it, each holding the ``span`` months to its own, that hold
    any of ``months``. A month is always taken from the same archive, the latest that tiling gives
    it: a fetch filling one month finds it in the archive a fetch of the whole window cached."""
    last = pd.Period(latest or max(months), "M")
    plan: dict[str, list[str]] = {}
    for month in sorted(set(months)):
        tiles_back = max(0, (last - pd.Period(month, "M")).n) // span
        plan.setdefault(str(last - tiles_back * span), []).append(month)
    return dict(sorted(plan.items(), reverse=True))


def known_gap(force: str, month: str, sources: dict) -> str:
    """Why ``force`` did not publish ``month``, when sources.yaml knows ("" otherwise)."""
    for gap in sources["police_uk"].get("known_gaps") or []:
        if gap["force"] == force and str(gap["from"]) <= month <= str(gap.get("to", "9999-12")):
            return " ".join(str(gap.get("reason", "")).split())
    return ""


def plan_archive(months: list[str], forces: dict[str, str], sources: dict,
                 latest: str | None = None) -> list[ArchiveMembers]:
    archive = sources["police_uk"]["archive"]
    items = []
    for archive_month, taken in archives_for(months, int(archive.get("months", 36)), latest).items():
        members, required, headers, gaps = {}, set(), {}, {}
        address = archive["url"].format(month=archive_month)
        for month in taken:
            for force in forces:
                for kind in KINDS:
                    member = f"{month}/{month}-{force}-{kind}.csv"
                    members[member] = f"police-uk/{member}"
                # Outcomes and stop-and-search files are not published by every force every month;
                # a street file missing is a month the force did not publish: a gap.
                street = f"{month}/{month}-{force}-street.csv"
                required.add(street)
                headers[street] = police_input.REQUIRED_COLUMNS
                gaps[street] = Gap(force, month, "street", f"not in {address}", known_gap(force, month, sources))
        items.append(ArchiveMembers(address, members, required,
                                    f"data.police.uk archive {archive_month} ({', '.join(forces)} {taken[0]} to "
                                    f"{taken[-1]})", headers, gaps))
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


def street_csv(located: list[tuple[dict, tuple[str, str] | None]], no_location: list[dict],
               categories: dict[str, str], force_name: str) -> bytes:
    """API crimes written as the archive's street file: same columns, same order, same values.
    ``located``: each crime with a point and the (LSOA code, name) it lies in (None: the LSOA
    columns stay empty, as the archive leaves them for crimes without a location)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STREET_HEADER)
    rows = [(crime, lsoa, True) for crime, lsoa in located] + [(crime, None, False) for crime in no_location]
    for crime, lsoa, has_point in rows:
        location = crime.get("location") or {}
        outcome = crime.get("outcome_status") or {}
        category = crime["category"]
        writer.writerow([crime.get("persistent_id") or "", crime["month"], force_name, force_name,
                         location.get("longitude") or "" if has_point else "",
                         location.get("latitude") or "" if has_point else "",
                         (location.get("street") or {}).get("name", "") if has_point else "No location",
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


class _Shared:
    """What every month of an API fetch shares, asked once a run (the forces, the months published,
    each force's neighbourhood boundaries), whichever of the fetch's threads asks first."""

    def __init__(self):
        self._lock = threading.Lock()
        self._answers: dict = {}

    def once(self, key, ask):
        with self._lock:  # the others wait for the first asker's answer rather than ask again
            if key not in self._answers:
                self._answers[key] = ask()
            return self._answers[key]

    def first(self, key) -> bool:
        """True the first time ``key`` is given, False after (a note said once a run)."""
        with self._lock:
            seen = key in self._answers
            self._answers[key] = True
            return not seen


def _points(boundary) -> list[tuple[float, float]]:
    return [(float(p["latitude"]), float(p["longitude"])) for p in boundary or []
            if p.get("latitude") not in (None, "") and p.get("longitude") not in (None, "")]


def _force_polygons(client: Client, api: str, mirror: str | None, what: str, force: str,
                    locator: LsoaLocator | None) -> tuple[list[list[tuple[float, float]]], list[str]]:
    """The polygons to ask for the force's street crimes with: its neighbourhoods' boundaries.
    A neighbourhood whose boundary the API gives empty (or too short to enclose anything) is not
    sent as an empty polygon: the bounding box of the force's LSOAs is asked as well, its crimes
    kept only where they fall in one of those LSOAs. Returns (polygons, neighbourhoods without one)."""
    polygons, without = [], []
    for hood in _get_json(client, f"{api}/{force}/neighbourhoods", mirror, what):
        points = _points(_get_json(client, f"{api}/{force}/{urllib.parse.quote(str(hood['id']))}/boundary",
                                   mirror, what))
        if len(points) < 3:
            without.append(str(hood.get("name") or hood["id"]))
        else:
            polygons.append(points)
    if without:
        if locator is None or not locator.areas:
            raise FetchError(f"{what}: the API gives no boundary for {len(without)} of {force}'s neighbourhoods "
                             f"({', '.join(without[:3])}), and no LSOA boundaries stand in for them: use "
                             "--police-via archive")
        lng0, lat0, lng1, lat1 = locator.bounding_box()
        polygons.append([(lat0, lng0), (lat0, lng1), (lat1, lng1), (lat1, lng0)])
    return polygons, without


def plan_api(months: list[str], forces: dict[str, str], sources: dict,
             locators: dict[str, LsoaLocator] | None = None) -> list[Assembled]:
    """Street and stop-and-search files of each force and month from the API; ``locators`` (by
    force id) place the street crimes in LSOAs.

    Only the force's own crimes are kept, as its archive file holds them: the API's area queries
    also return British Transport Police crimes (``location_type`` "BTP") and any crime whose
    point lies in the polygons, so BTP crimes and crimes outside every LSOA of the force's
    authorities are left out (each counted in a note). A month the force did not publish is
    answered with no crimes at all: it is a :class:`Gap`, never a file of zero crimes. The
    client paces the requests (police_uk.api per_second and burst in sources.yaml)."""
    api = sources["police_uk"]["api"]["url"].rstrip("/")
    items = []
    shared = _Shared()

    def force_names(client, mirror, what):
        return shared.once("forces", lambda: {f["id"]: f["name"] for f in _get_json(client, f"{api}/forces",
                                                                                       mirror, what)})

    def published(client, mirror, what, month) -> set[str]:
        """The month must be one the API has (it answers others with no crimes rather than an error);
        returns the forces with stop and search that month (crimes-street-dates lists only those)."""
        dates = shared.once("dates", lambda: {d["date"]: set(d.get("stop-and-search") or [])
                                              for d in _get_json(client, f"{api}/crimes-street-dates", mirror, what)})
        if month not in dates:
            latest = max(dates, default="none")
            raise NotFound(f"{what}: data.police.uk has not published {month} (its latest month is {latest}); "
                           "end the period earlier (--to)")
        return dates[month]

    for force in forces:
        locator = (locators or {}).get(force)
        for month in months:
            def street(client, mirror, force=force, month=month, locator=locator):
                what = f"data.police.uk API, {force} street crimes {month}"
                published(client, mirror, what, month)
                names = force_names(client, mirror, what)
                if force not in names:
                    raise FetchError(f"{what}: the API knows no force '{force}'; set its id under police_uk.force_ids "
                                     "in csp_assessment/fetch/sources.yaml")
                categories = {c["url"]: c["name"] for c in _get_json(
                    client, f"{api}/crime-categories?date={month}", mirror, what)}
                polygons, without = shared.once(("boundaries", force), lambda: _force_polygons(
                    client, api, mirror, what, force, locator))
                crimes: dict = {}
                for polygon in polygons:
                    for crime in _street_crimes_in(client, api, mirror, month, polygon, what):
                        crimes.setdefault(crime["id"], crime)  # a crime on a shared border comes once
                no_location = _get_json(client, f"{api}/crimes-no-location?category=all-crime&force={force}"
                                        f"&date={month}", mirror, what)
                own = sorted((c for c in crimes.values() if c.get("location_type") == "Force"), key=lambda c: c["id"])
                if not own and not no_location:
                    return Gap(force, month, "street", f"{api}/crimes-street/all-crime gave no crimes in any of "
                               f"{force}'s neighbourhoods, nor crimes-no-location", known_gap(force, month, sources))
                located = [(c, None if locator is None else locator.locate(float(c["location"]["latitude"]),
                                                                           float(c["location"]["longitude"])))
                           for c in own]
                kept = [(c, lsoa) for c, lsoa in located if lsoa is not None or locator is None]
                notes = []
                if len(crimes) > len(own):
                    notes.append(f"{force} {month}: {len(crimes) - len(own)} British Transport Police crime(s) in the "
                                 "force's neighbourhoods left out (its archive file holds none)")
                if len(kept) < len(located):
                    notes.append(f"{force} {month}: {len(located) - len(kept)} crime(s) inside the force's "
                                 "neighbourhood polygons but outside every LSOA of its authorities left out (the "
                                 "polygons reach over the force's border)")
                if without and shared.first(("no boundary", force)):
                    notes.append(f"{force}: the API gives no boundary for {len(without)} neighbourhood(s) "
                                 f"({', '.join(without[:3])}); their crimes were asked by the bounding box of the "
                                 "force's LSOAs instead")
                return street_csv(kept, no_location, categories, names[force]), notes

            def stops(client, mirror, force=force, month=month):
                what = f"data.police.uk API, {force} stop and search {month}"
                if force not in published(client, mirror, what, month):
                    return Gap(force, month, "stop-and-search", f"{api}/crimes-street-dates lists no stop and search "
                               f"by {force} for {month}", known_gap(force, month, sources))
                return stop_and_search_csv(_get_json(client, f"{api}/stops-force?force={force}&date={month}",
                                                     mirror, what))

            base = f"police-uk/{month}/{month}-{force}"
            items.append(Assembled(f"{api}/crimes-street/all-crime?force={force}&date={month}",
                                   f"{base}-street.csv", f"data.police.uk API {force} {month} street crimes",
                                   street, police_input.REQUIRED_COLUMNS))
            items.append(Assembled(f"{api}/stops-force?force={force}&date={month}", f"{base}-stop-and-search.csv",
                                   f"data.police.uk API {force} {month} stop and search", stops, STOP_HEADER))
    return items

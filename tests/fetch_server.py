"""A stand-in for the publishers, on 127.0.0.1: serves responses in their formats (the
data.police.uk archive's zip layout and API JSON, Fingertips CSV, ONS feature-service JSON and
workbooks) under /<host>/<path>, as the fetcher asks for them through a mirror, and misbehaves
on request (errors, timeouts, connections cut short, 429 with Retry-After).

The shapes are the publishers' own, from their documentation: an ArcGIS feature service's query
answer (fields with type, alias and length, features of attributes, ``exceededTransferLimit``
while more pages remain, even on a page of no records: ArcGIS REST API, Query (Feature
Service/Layer)) and its error answer for a wrong service name (HTTP 200 with
``{"error": {"code": 400, "message": "Invalid URL", "details": []}}``, as quoted in
terrestris/BasiGX pull request 744); data.police.uk crimes with ``location_type`` "Force" or
"BTP" and a BTP ``location_subtype`` (https://data.police.uk/docs/method/crime-street/), a month
not published answered with ``[]``; Fingertips' 27-column CSV (ropensci/fingertipsR
R/retrieve_data.R, the older 26 columns as in ../shared/data-current/ohid plus "Time period
range")."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openpyxl

STREET_HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                 "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]
OUTCOMES_HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                   "LSOA code", "LSOA name", "Outcome type"]
CATEGORIES = {"anti-social-behaviour": "Anti-social behaviour", "burglary": "Burglary",
              "violent-crime": "Violence and sexual offences", "drugs": "Drugs", "other-theft": "Other theft"}


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict = field(default_factory=dict)
    fail_first: int = 0  # answer this many requests with fail_status first
    fail_status: int = 500
    retry_after: str | None = None
    stall_first: int = 0  # this many requests wait longer than the client's timeout
    cut_first: int = 0  # this many requests send half the body, then close
    served: int = 0
    handler: object = None  # callable(method, query, body) -> (status, bytes) for API routes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet tests
        pass

    def _serve(self, method: str):
        server: PublisherServer = self.server.publisher
        with server.lock:
            server.in_flight += 1
            server.most_in_flight = max(server.most_in_flight, server.in_flight)
        try:
            return self._serve_counted(method, server)
        finally:
            with server.lock:
                server.in_flight -= 1

    def _serve_counted(self, method: str, server: "PublisherServer"):
        length = int(self.headers.get("Content-Length") or 0)
        posted = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        server.requests.append((method, self.path, self.headers.get("Range"), self.headers.get("User-Agent")))
        route = server.routes.get(self.path) or server.routes.get(path)
        if route is None:
            return self._reply(404, b"<html>not found</html>")
        route.served += 1
        n = route.served
        time.sleep(server.delay_seconds)
        if n <= route.stall_first:
            time.sleep(server.stall_seconds)
            return self._reply(200, route.body)
        if n <= route.stall_first + route.fail_first:
            return self._reply(route.fail_status, b"error",
                               {"Retry-After": route.retry_after} if route.retry_after else {})
        if route.handler is not None:
            status, body = route.handler(method, urllib.parse.parse_qs(query), urllib.parse.parse_qs(posted.decode()))
            return self._reply(status, body, {"Content-Type": "application/json"})
        body, status, headers = route.body, route.status, dict(route.headers)
        wanted = self.headers.get("Range")
        if wanted and status == 200:
            start = int(wanted.split("=")[1].split("-")[0])
            if start >= len(body):
                return self._reply(416, b"", {"Content-Range": f"bytes */{len(body)}"})
            headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
            body, status = body[start:], 206
        if n <= route.stall_first + route.fail_first + route.cut_first:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return None
        return self._reply(status, body, headers)

    def _reply(self, status: int, body: bytes, headers: dict | None = None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")


class PublisherServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple] = []
        self.stall_seconds = 2.0
        self.delay_seconds = 0.0  # every answer waits this long (to see requests overlap)
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0  # requests being answered at once, and the most seen
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.publisher = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add(self, address: str, route: Route | bytes) -> Route:
        """Serve ``route`` at the publisher's ``address`` (https://host/path?query)."""
        parts = urllib.parse.urlsplit(address)
        key = f"/{parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        self.routes[key] = route if isinstance(route, Route) else Route(route)
        return self.routes[key]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# ---- recorded responses ----------------------------------------------------------------


def crimes_for(month: str, force: str = "kent") -> list[dict]:
    """A month's street crimes as the API gives them: a few of each type, deterministic."""
    seed = int(month.replace("-", "")) + len(force)
    crimes = []
    for i in range(3 + seed % 4):
        slug = list(CATEGORIES)[(seed + i) % 4]
        crimes.append({
            "category": slug, "location_type": "Force", "context": "", "month": month, "id": seed * 100 + i,
            "persistent_id": "" if slug == "anti-social-behaviour" else f"{force}{seed}{i:02d}" + "a" * 40,
            "location": {"latitude": f"{51.30 + i * 0.01:.6f}", "longitude": f"{0.50 + i * 0.01:.6f}",
                         "street": {"id": i, "name": "On or near High Street"}},
            "outcome_status": None if slug == "anti-social-behaviour" else {"category": "Under investigation",
                                                                            "date": month},
            "location_subtype": ""})
    # A British Transport Police crime at a station inside the force's area: the API's area query
    # returns it, the force's archive file does not hold it.
    crimes.append({
        "category": "other-theft", "location_type": "BTP", "context": "", "month": month, "id": seed * 100 + 90,
        "persistent_id": f"btp{seed}" + "c" * 40,
        "location": {"latitude": "51.305000", "longitude": "0.505000", "street": {"id": 99, "name": "Strood (station)"}},
        "outcome_status": {"category": "Investigation complete; no suspect identified", "date": month},
        "location_subtype": "STATION"})
    return crimes


def no_location_crimes(month: str, force: str = "kent") -> list[dict]:
    seed = int(month.replace("-", ""))
    return [{"category": "drugs", "location_type": None, "context": "", "month": month, "id": seed * 1000 + 99,
             "persistent_id": f"{force}{seed}nl" + "b" * 40, "location": None,
             "outcome_status": {"category": "Unable to prosecute suspect", "date": month}, "location_subtype": ""}]


def street_csv(month: str, force: str = "kent", force_name: str = "Kent Police") -> bytes:
    """The archive's street file for the same crimes, LSOA-coded as the archive is."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STREET_HEADER)
    for crime in crimes_for(month, force):
        if crime["location_type"] != "Force":
            continue  # the force's archive file holds its own crimes only
        loc = crime["location"]
        writer.writerow([crime["persistent_id"], month, force_name, force_name, loc["longitude"], loc["latitude"],
                         loc["street"]["name"], "E01016001", "Medway 001A", CATEGORIES[crime["category"]],
                         (crime["outcome_status"] or {}).get("category", ""), ""])
    for crime in no_location_crimes(month, force):
        writer.writerow([crime["persistent_id"], month, force_name, force_name, "", "", "No location", "", "",
                         CATEGORIES[crime["category"]], crime["outcome_status"]["category"], ""])
    return out.getvalue().encode()


def archive_zip(last_month: str, months: int = 36, forces=(("kent", "Kent Police"), ("essex", "Essex Police")),
                skip: tuple[str, ...] = ()) -> bytes:
    """data.police.uk's archive layout: YYYY-MM/YYYY-MM-<force>-{street,outcomes}.csv for the
    ``months`` months to ``last_month``, every force."""
    import pandas as pd

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for period in pd.period_range(end=pd.Period(last_month, "M"), periods=months, freq="M"):
            month = str(period)
            if month in skip:
                continue
            for force, name in forces:
                zf.writestr(f"{month}/{month}-{force}-street.csv", street_csv(month, force, name))
                zf.writestr(f"{month}/{month}-{force}-outcomes.csv", ",".join(OUTCOMES_HEADER) + "\n")
    return buffer.getvalue()


def _esri_field(name: str) -> dict:
    if name in ("FID", "ObjectId"):
        return {"name": name, "type": "esriFieldTypeOID", "alias": name, "sqlType": "sqlTypeOther",
                "domain": None, "defaultValue": None}
    return {"name": name, "type": "esriFieldTypeString", "alias": name, "sqlType": "sqlTypeOther", "length": 256,
            "domain": None, "defaultValue": None}


def feature_query(fields: list[str], rows: list[list], *, empty_page_at: int | None = None):
    """A handler answering an ArcGIS feature service layer's query as the service does: the
    resultOffset and resultRecordCount asked, "exceededTransferLimit": true while more remain.
    ``empty_page_at``: the page at that offset comes back with no records but more to come (which
    the documentation says can happen: candidates filtered out), the rows going on a page later."""
    id_field = next((f for f in fields if f in ("FID", "ObjectId")), fields[-1])

    def answer(method, query, form):
        asked = {**query, **form}
        offset = int(asked.get("resultOffset", ["0"])[0])
        size = int(asked.get("resultRecordCount", ["2000"])[0])
        if offset == empty_page_at:
            chunk, more = [], True
        else:
            start = offset - (size if empty_page_at is not None and offset > empty_page_at else 0)
            chunk = rows[max(0, start):start + size]
            more = start + size < len(rows)
        page = {"objectIdFieldName": id_field, "uniqueIdField": {"name": id_field, "isSystemMaintained": True},
                "globalIdFieldName": "", "fields": [_esri_field(f) for f in fields],
                "features": [{"attributes": dict(zip(fields, row))} for row in chunk]}
        if more:
            page["exceededTransferLimit"] = True
        return 200, json.dumps(page).encode()

    return answer


def arcgis_error(code: int = 400, message: str = "Invalid URL"):
    """What an ArcGIS service answers for a service name it does not have: HTTP 200, an error object."""
    return lambda method, query, form: (200, json.dumps({"error": {"code": code, "message": message,
                                                                   "details": []}}).encode())


# As the 2022 lookup's service answers (fields of LAD22_CSP22_PFA22_EW_LU, the id last as in the
# 2024 lookup's CSV in ../shared/data-current/ons).
AREA_FIELDS = ["LAD22CD", "LAD22NM", "CSP22CD", "CSP22NM", "PFA22CD", "PFA22NM", "ObjectId"]
AREA_ROWS = [["E06000035", "Medway", "E22000199", "Medway", "E23000032", "Kent", 1],
             ["E07000110", "Maidstone", "E22000201", "Maidstone", "E23000032", "Kent", 2],
             ["E07000066", "Basildon", "E22000100", "Basildon", "E23000029", "Essex", 3],
             ["E06000060", "Buckinghamshire", "E22000333", "Buckinghamshire", "E23000040", "Thames Valley", 4]]
LSOA11_FIELDS = ["LSOA11CD", "LSOA11NM", "WD17CD", "WD17NM", "WD17NMW", "LAD17CD", "LAD17NM", "FID"]
LSOA11_ROWS = [["E01016001", "Medway 001A", "E05002001", "River", "", "E06000035", "Medway", 1],
               ["E01016002", "Medway 001B", "E05002002", "Strood North", "", "E06000035", "Medway", 2],
               ["E01024001", "Maidstone 001A", "E05005001", "Allington", "", "E07000110", "Maidstone", 3]]


def mye_workbook(year: int, populations: dict[str, tuple[str, str, int]]) -> bytes:
    """An ONS release workbook: sheet 'MYE2 - Persons', titles above a Code/Name/Geography/All ages header."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "MYE2 - Persons"
    sheet.append([f"MYE2: Population estimates: Persons by single year of age, mid-{year}"])
    sheet.append([])
    sheet.append(["Code", "Name", "Geography", "All ages"])
    for code, (name, geography, population) in populations.items():
        sheet.append([code, name, geography, population])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


FINGERTIPS_HEADER = ["Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name",
                     "Area Type", "Sex", "Age", "Category Type", "Category", "Time period", "Value",
                     "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit",
                     "Count", "Denominator", "Value note", "Recent Trend",
                     "Compared to England value or percentiles", "Compared to Region value or percentiles",
                     "Time period Sortable", "New data", "Compared to goal", "Time period range"]


def fingertips_csv(indicators: dict[int, str], areas=(("E92000001", "England", "England"),
                                                      ("E06000035", "Medway", "Counties & UAs (from Apr 2023)"))) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FINGERTIPS_HEADER)
    for indicator, name in indicators.items():
        for code, area, kind in areas:
            for year in range(2017, 2023):
                count, denominator = 40 + year % 7, 100
                writer.writerow([indicator, name, "", "", code, area, kind, "Persons", "18+ yrs", "", "",
                                 str(year), f"{100 * count / denominator:.1f}", "", "", "", "", count, denominator,
                                 "", "", "", "", f"{year}0000", "", "", "1y"])
    return out.getvalue().encode()


def sape_workbook(year: int, rows: list[tuple[str, str, str, int]]) -> bytes:
    """An ONS small area population workbook whose 'Mid-YYYY Persons' sheet has title rows above
    'LSOA Code, LSOA Name, LA Code (2021 boundaries), ..., All Ages' (mid-2020 was published so)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = f"Mid-{year} Persons"
    sheet.append([f"Mid-{year} Population Estimates for Lower Layer Super Output Areas in England and Wales"])
    sheet.append(["All persons"])
    sheet.append([])
    sheet.append(["LSOA Code", "LSOA Name", "LA Code (2021 boundaries)", "LA name (2021 boundaries)", "All Ages"])
    for row in rows:
        sheet.append(list(row))
    workbook = io.BytesIO()
    book.save(workbook)
    return workbook.getvalue()


def sape_zip(year: int, rows: list[tuple[str, str, str, int]], member: str) -> bytes:
    """The same workbook in a zip, as the releases to mid-2019 were published."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, sape_workbook(year, rows))
    return buffer.getvalue()

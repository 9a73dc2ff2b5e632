"""`pipeline.py fetch` against a stand-in for the publishers on 127.0.0.1 (tests/fetch_server.py):
what it downloads, where it puts it, and that every failure leaves the data folder as it was."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import PROJECT_ROOT
from csp_assessment.config import load_config
from csp_assessment.errors import ConfigError
from csp_assessment.fetch import FetchFailed, fetch
from csp_assessment.fetch.files import MANIFEST_NAME, sha256
from csp_assessment.fetch.http import Client, Politeness
from csp_assessment.fetch.sources import load_sources, mirrored
from csp_assessment.ingest.ons import read_small_area_population
from fetch_server import (AREA_FIELDS, AREA_ROWS, CATEGORIES, LSOA11_FIELDS, LSOA11_ROWS, PublisherServer, Route,
                          archive_zip, arcgis_error, crimes_for, feature_query, fingertips_csv, mye_workbook,
                          no_location_crimes, sape_workbook)

YEAR, AREA, FROM, TO = 2022, "E06000035", "2022-01", "2022-12"  # trend window 2018-01 .. 2022-12
MONTHS = [str(m) for m in pd.period_range("2018-01", "2022-12", freq="M")]


def _sources(page_size: int = 2) -> dict:
    sources = copy.deepcopy(load_sources())
    sources["ons"]["page_size"] = page_size  # several pages from a three-row lookup
    return sources


def _client(waits: list | None = None, timeout: float = 1.0, attempts: int = 4) -> Client:
    waits = [] if waits is None else waits
    polite = Politeness(user_agent="csp-assessment-tests", attempts=attempts, backoff_seconds=0.01,
                        timeout_seconds=timeout, concurrent_requests=3)
    return Client(polite, progress=False, sleep=waits.append)


def _publish(server: PublisherServer, sources: dict, *, skip_months: tuple[str, ...] = ()) -> dict[str, Route]:
    """Everything a 2022 fetch for Medway asks for, in the publishers' formats."""
    routes = {}
    ons = sources["ons"]
    for name, entry, fields, rows in (("lad_csp_pfa", ons["lad_csp_pfa"]["2022"], AREA_FIELDS, AREA_ROWS),
                                      ("lsoa_ward_lad_2011", ons["lookups"]["lsoa_ward_lad_2011"], LSOA11_FIELDS,
                                       LSOA11_ROWS)):
        routes[name] = server.add(f"{entry['service']}/query", Route(handler=feature_query(fields, rows)))
    police = sources["police_uk"]
    routes["archive-2022-12"] = server.add(police["archive"]["url"].format(month="2022-12"),
                                           Route(archive_zip("2022-12", skip=skip_months)))
    routes["archive-2019-12"] = server.add(police["archive"]["url"].format(month="2019-12"),
                                           Route(archive_zip("2019-12", skip=skip_months)))
    routes["mye"] = server.add(ons["mid_year_estimates"][2022]["url"], Route(mye_workbook(2022, {
        "E06000035": ("Medway", "Unitary Authority", 282702), "E07000110": ("Maidstone", "Non-metropolitan District",
                                                                           177000)})))
    # The population year 2022 on LSOA 2011 wards: the mid-2020 release, the last on LSOA 2011, a workbook.
    routes["sape"] = server.add(ons["small_area_population"]["LSOA11CD"][2020]["url"], Route(sape_workbook(2020, [
        ("E01016001", "Medway 001A", "E06000035", "Medway", 1563), ("E01016002", "Medway 001B", "E06000035", "Medway",
                                                                    1379),
        ("E01024001", "Maidstone 001A", "E07000110", "Maidstone", 1700)])))
    ft = sources["fingertips"]
    for section, ids in ft["sections"].items():
        url = ft["url"].format(indicator_ids=",".join(map(str, ids)), area_type=502)
        routes[f"fingertips-{section}"] = server.add(url, Route(fingertips_csv({i: f"Indicator {i}" for i in ids})))
    return routes


def _config(data_dir: Path, **kwargs):
    return load_config(YEAR, area=AREA, data_dir=data_dir, period_from=FROM, period_to=TO, **kwargs)


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()} \
        if folder.exists() else {}


@pytest.fixture
def server():
    with PublisherServer() as running:
        yield running


def test_mirror_rewrites_every_address():
    assert mirrored("https://data.police.uk/data/archive/2022-12.zip", "http://127.0.0.1:9") == \
        "http://127.0.0.1:9/data.police.uk/data/archive/2022-12.zip"
    assert mirrored("https://x.org/a?b=1", "") == "https://x.org/a?b=1"


def test_fetch_brings_what_the_run_needs_and_an_unchanged_rerun_downloads_nothing(server, tmp_path):
    sources = _sources()
    routes = _publish(server, sources)
    server.delay_seconds = 0.3  # long enough for the downloads to overlap
    data = tmp_path / "raw"
    result = fetch(_config(data), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache",
                   client=_client(), log=lambda *_: None)

    # police files of Kent (the force covering Medway) for all 60 months, under the publisher's names
    for month in MONTHS:
        street = data / "police-uk" / month / f"{month}-kent-street.csv"
        assert street.exists(), month
        assert (data / "police-uk" / month / f"{month}-kent-outcomes.csv").exists()
    assert not list(data.rglob("*essex*"))  # only the area's force is taken from the archive
    assert len(list(data.rglob("*-street.csv"))) == 60
    lookup = data / "ons" / "LAD_to_Community_Safety_Partnership_to_PFA_(December_2022)_Lookup_in_EW.csv"
    assert lookup.read_text(encoding="utf-8-sig").splitlines()[0] == ",".join(AREA_FIELDS)
    assert len(lookup.read_text(encoding="utf-8-sig").splitlines()) == 1 + len(AREA_ROWS)  # every page
    assert (data / "ons" / "mid-year-estimates" / "mye22final.xlsx").exists()
    assert (data / "fingertips" / "fingertips-mental_health-area-type-502.csv").exists()
    sape = data / "ons/small-area-population/sape23dt2mid2020lsoasyoaestimatesunformatted.xlsx"
    assert read_small_area_population(sape).set_index("lsoa_code")["population"].to_dict()["E01016001"] == 1563
    assert not list(data.rglob(".*"))  # no temporary files

    manifest = json.loads((data / MANIFEST_NAME).read_text())["files"]
    entry = manifest["police-uk/2022-03/2022-03-kent-street.csv"]
    assert entry["address"] == "https://data.police.uk/data/archive/2022-12.zip!2022-03/2022-03-kent-street.csv"
    assert entry["sha256"] == sha256(data / "police-uk/2022-03/2022-03-kent-street.csv") and entry["fetched_at"]
    assert set(manifest) == {str(p.relative_to(data)) for p in data.rglob("*") if p.is_file()} - {MANIFEST_NAME}
    assert len(result.placed) == len(manifest)
    # two archives cover the 60 months: the one for 2022-12 (2020-01 on) and the one for 2019-12
    assert routes["archive-2022-12"].served == 1 and routes["archive-2019-12"].served == 1
    assert all(agent == "csp-assessment-tests" for *_, agent in server.requests)
    assert 1 < server.most_in_flight <= 3  # a few requests at once, never more

    before, asked = _snapshot(data), len(server.requests)
    again = fetch(_config(data), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache2",
                  client=_client(), log=lambda *_: None)
    assert again.placed == [] and len(server.requests) == asked and _snapshot(data) == before

    # a fetched file the user has since edited is noted, and kept
    edited = data / "police-uk/2022-03/2022-03-kent-street.csv"
    edited.write_text(edited.read_text() + "\n")
    third = fetch(_config(data), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache2",
                  client=_client(), log=lambda *_: None)
    assert any("2022-03-kent-street.csv has changed since it was fetched" in n for n in third.notes)
    assert edited.read_text().endswith("\n\n") and len(server.requests) == asked


def test_retry_after_in_seconds_or_as_a_date():
    from email.utils import format_datetime
    from datetime import datetime, timedelta, timezone

    from csp_assessment.fetch.http import retry_after_seconds

    assert retry_after_seconds("120") == 120.0
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after_seconds(later) <= 31
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_a_users_own_file_is_never_overwritten(server, tmp_path):
    sources = _sources()
    _publish(server, sources)
    data = tmp_path / "raw"
    mine = data / "fingertips" / "fingertips-substance_misuse-area-type-502.csv"
    mine.parent.mkdir(parents=True)
    mine.write_text("my own notes\n")
    fetch(_config(data), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache", client=_client(),
          log=lambda *_: None)
    assert mine.read_text() == "my own notes\n"
    assert "fingertips/fingertips-substance_misuse-area-type-502.csv" not in json.loads(
        (data / MANIFEST_NAME).read_text())["files"]


def test_what_the_folder_already_holds_is_not_fetched(server, tmp_path):
    sources = _sources()
    routes = _publish(server, sources)
    data = tmp_path / "raw"
    (data / "mine").mkdir(parents=True)  # the archive of 2019-12 (2017-01 .. 2019-12), as the site serves it
    (data / "mine" / "2019-12.zip").write_bytes(archive_zip("2019-12"))
    fetch(_config(data), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache", client=_client(),
          log=lambda *_: None, only=["lookups", "police_uk"])
    assert routes["archive-2019-12"].served == 0 and routes["archive-2022-12"].served == 1
    assert not (data / "police-uk" / "2019-12").exists() and (data / "police-uk" / "2020-01").exists()
    assert not (data / "fingertips").exists()  # --only


def test_the_demo_data_are_not_taken_for_the_users_own(server, tmp_path):
    from csp_assessment.demo import DEMO_MARKER
    from conftest import write_street_file

    sources = _sources()
    _publish(server, sources)
    data = tmp_path / "raw"
    (data / "demo").mkdir(parents=True)
    (data / "demo" / DEMO_MARKER).write_text("synthetic")
    write_street_file(data / "demo" / "police-uk" / "2022-06" / "2022-06-kent-street.csv", "2022-06",
                      [("a", "E01016001", "Burglary")])
    fetch(_config(data), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache", client=_client(),
          log=lambda *_: None, only=["lookups", "police_uk"])
    assert (data / "police-uk" / "2022-06" / "2022-06-kent-street.csv").exists()


def _fails_cleanly(server, tmp_path, sources, *, expect: str, client=None, data=None):
    data = data or tmp_path / "raw"
    (data / "mine").mkdir(parents=True, exist_ok=True)  # a folder already in use
    (data / "mine" / "notes.csv").write_text("a,b\n1,2\n")
    before = _snapshot(data)
    assert before
    with pytest.raises(FetchFailed) as failure:
        fetch(_config(data), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache",
              client=client or _client(), log=lambda *_: None)
    assert expect in str(failure.value)
    assert "nothing was changed" in str(failure.value)
    assert _snapshot(data) == before  # no partial file, no half-fetched set
    return str(failure.value)


def test_a_month_not_yet_published_fails_cleanly_naming_it(server, tmp_path):
    sources = _sources()
    routes = _publish(server, sources)
    del server.routes[next(k for k, v in server.routes.items() if v is routes["archive-2022-12"])]
    message = _fails_cleanly(server, tmp_path, sources, expect="data.police.uk archive 2022-12")
    assert "HTTP 404" in message


def test_a_month_missing_from_the_archive_is_a_gap_reported_and_the_rest_is_fetched(server, tmp_path):
    """A force's month absent from the archive was not published: it stays missing (no file of
    zero crimes), is reported in the run and the summary, and recorded in the manifest."""
    import io

    from csp_assessment.fetch import report

    sources = _sources()
    routes = _publish(server, sources, skip_months=("2021-06",))
    data, lines = tmp_path / "raw", []
    result = fetch(_config(data), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache", client=_client(),
                   log=lines.append, only=["lookups", "police_uk"])
    assert not (data / "police-uk" / "2021-06").exists()
    assert len(list(data.rglob("*-kent-street.csv"))) == 59
    assert [(g.force, g.month, g.kind) for g in result.gaps] == [("kent", "2021-06", "street")]
    assert any(line.startswith("fetch: gap: kent 2021-06 street: not published") for line in lines)
    summary = io.StringIO()
    report(result, summary)
    assert "1 force-month(s) not published by data.police.uk: left missing, not counted as zero" in summary.getvalue()
    gaps = json.loads((data / MANIFEST_NAME).read_text())["gaps"]
    assert list(gaps) == ["kent 2021-06 street"]
    assert gaps["kent 2021-06 street"]["source"] == "not in https://data.police.uk/data/archive/2022-12.zip"

    # A rerun asks again (the publisher may fill it: the archive comes from the cache) and changes nothing.
    before = _snapshot(data)
    again = fetch(_config(data), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache", client=_client(),
                  log=lambda *_: None, only=["lookups", "police_uk"], via="archive")
    assert [g.month for g in again.gaps] == ["2021-06"] and again.placed == []
    assert _snapshot(data) == before and routes["archive-2022-12"].served == 1


def test_a_truncated_zip_is_caught_and_not_kept(server, tmp_path):
    sources = _sources()
    routes = _publish(server, sources)
    routes["archive-2019-12"].body = routes["archive-2019-12"].body[:-5000]  # cut short, with a matching length
    _fails_cleanly(server, tmp_path, sources, expect="damaged or incomplete")
    assert not list((tmp_path / "cache").rglob("*.part"))  # the damaged download is not resumed next time


def test_server_errors_are_retried_honouring_retry_after_then_fail_cleanly(server, tmp_path):
    sources = _sources()
    routes = _publish(server, sources)
    routes["mye"].fail_first, routes["mye"].retry_after = 2, "7"
    waits = []
    fetch(_config(tmp_path / "ok"), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache-ok",
          client=_client(waits), log=lambda *_: None, only=["population"])
    assert waits == [7.0, 7.0] and (tmp_path / "ok/ons/mid-year-estimates/mye22final.xlsx").exists()

    routes["mye"].served, routes["mye"].fail_first, routes["mye"].retry_after = 0, 99, None
    message = _fails_cleanly(server, tmp_path, sources, expect="HTTP 500", client=_client(attempts=3))
    assert "after 3 tries" in message and "mid-2022 population" in message


def test_a_timeout_is_retried_and_a_cut_connection_resumes_with_range(server, tmp_path):
    sources = _sources()
    routes = _publish(server, sources)
    routes["archive-2022-12"].stall_first = 1
    routes["archive-2022-12"].cut_first = 1
    server.stall_seconds = 2.0
    fetch(_config(tmp_path / "raw"), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache",
          client=_client(timeout=0.5), log=lambda *_: None, only=["lookups", "police_uk"])
    ranges = [r for method, path, r, _ in server.requests if path.endswith("/2022-12.zip")]
    assert ranges[-1] is not None and ranges[-1].startswith("bytes=")  # the last request resumed
    assert (tmp_path / "raw/police-uk/2022-12/2022-12-kent-street.csv").exists()


def test_no_network_fails_cleanly(tmp_path):
    sources = _sources()
    closed = PublisherServer()  # bound, then closed: nothing listens on its port
    url = closed.url
    closed.httpd.server_close()
    data = tmp_path / "raw"
    with pytest.raises(FetchFailed) as failure:
        fetch(_config(data), sources=sources, mirror=url, cache_dir=tmp_path / "cache", client=_client(attempts=2),
              log=lambda *_: None)
    assert "no connection" in str(failure.value) and "ONS lookup" in str(failure.value)
    assert not data.exists()


def test_a_refusal_and_a_moved_download_say_what_to_do(server, tmp_path):
    sources = _sources()
    routes = _publish(server, sources)
    routes["fingertips-mental_health"].status = 403
    message = _fails_cleanly(server, tmp_path, sources, expect="refused")
    routes["fingertips-mental_health"].status = 200
    routes["fingertips-mental_health"].body = b"<!DOCTYPE html><html><body>This page has moved</body></html>"
    message = _fails_cleanly(server, tmp_path, sources, expect="sources.yaml")
    assert "web page" in message


def _api_routes(server: PublisherServer, sources: dict, months: list[str], *, unpublished: tuple[str, ...] = (),
                no_stops: tuple[str, ...] = ()) -> None:
    """The data.police.uk API for Kent; months the force did not publish (``unpublished``) are
    answered as the API does, with empty lists; ``no_stops``: months crimes-street-dates lists no
    stop and search for Kent."""
    api = sources["police_uk"]["api"]["url"]
    server.add(f"{api}/forces", json.dumps([{"id": "kent", "name": "Kent Police"},
                                            {"id": "essex", "name": "Essex Police"}]).encode())
    server.add(f"{api}/crimes-street-dates", json.dumps([
        {"date": m, "stop-and-search": [] if m in no_stops else ["essex", "kent"]} for m in reversed(months)]).encode())
    server.add(f"{api}/kent/neighbourhoods", json.dumps([{"id": "N1", "name": "North"},
                                                         {"id": "N2", "name": "South"}]).encode())
    # two neighbourhoods sharing an edge at latitude 51.315: crimes are at 51.30, 51.31, 51.32, ...
    server.add(f"{api}/kent/N1/boundary", json.dumps([{"latitude": str(a), "longitude": str(b)} for a, b in
                                                      ((51.2, 0.4), (51.2, 0.7), (51.315, 0.7), (51.315, 0.4))]).encode())
    server.add(f"{api}/kent/N2/boundary", json.dumps([{"latitude": str(a), "longitude": str(b)} for a, b in
                                                      ((51.315, 0.4), (51.315, 0.7), (51.4, 0.7), (51.4, 0.4))]).encode())

    def inside(crime, poly):
        lat, lng = float(crime["location"]["latitude"]), float(crime["location"]["longitude"])
        lats, lngs = [p[0] for p in poly], [p[1] for p in poly]
        return min(lats) <= lat <= max(lats) and min(lngs) <= lng <= max(lngs)

    def street(method, query, form):
        month = form["date"][0]
        poly = [tuple(map(float, p.split(","))) for p in form["poly"][0].split(":")]
        found = [c for c in crimes_for(month) if inside(c, poly)] if month not in unpublished else []
        if len(found) > 2:  # the API's limit, scaled down: too many crimes in the area is a 503
            return 503, b""
        return 200, json.dumps(found).encode()

    server.add(f"{api}/crimes-street/all-crime", Route(handler=street))

    def boundaries(method, query, form):
        assert method == "POST" and form["f"] == ["geojson"]
        wanted = set(re.findall(r"E01\d{6}", form["where"][0]))
        features = [f for f in LSOA_BOUNDARIES["features"] if f["properties"]["LSOA11CD"] in wanted]
        offset, size = int(form["resultOffset"][0]), int(form["resultRecordCount"][0])
        page = features[offset:offset + size]
        return 200, json.dumps({"type": "FeatureCollection", "features": page,
                                "properties": {"exceededTransferLimit": offset + size < len(features)}}).encode()

    server.add(sources["ons"]["lsoa_boundaries"]["LSOA11CD"]["service"] + "/query", Route(handler=boundaries))
    server.add(f"{api}/crime-categories", Route(handler=lambda *_: (200, json.dumps(
        [{"url": "all-crime", "name": "All crime"}] + [{"url": u, "name": n} for u, n in CATEGORIES.items()]).encode())))
    server.add(f"{api}/crimes-no-location", Route(handler=lambda m, q, f: (200, json.dumps(
        no_location_crimes(q["date"][0]) if q["date"][0] not in unpublished else []).encode())))
    server.add(f"{api}/stops-force", Route(handler=lambda m, q, f: (200, json.dumps([{
        "type": "Person search", "datetime": f"{q['date'][0]}-01T01:47:58+00:00", "operation": False,
        "operation_name": None, "location": {"latitude": "51.3", "longitude": "0.5", "street": {"id": 1, "name": "x"}},
        "gender": "Male", "age_range": "18-24", "self_defined_ethnicity": None, "officer_defined_ethnicity": "White",
        "legislation": "Misuse of Drugs Act 1971 (section 23)", "object_of_search": "Controlled drugs",
        "outcome": "A no further action disposal", "outcome_linked_to_object_of_search": False,
        "removal_of_more_than_outer_clothing": False}]).encode())))


def _box(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


# Medway 001A holds every located crime of the recorded months (lat 51.30-51.36, lng 0.50-0.56),
# but for a hole where none lies; the others are beside it, one of them in two parts.
LSOA_BOUNDARIES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"LSOA11CD": "E01016001", "LSOA11NM": "Medway 001A"},
     "geometry": {"type": "Polygon", "coordinates": [_box(0.45, 51.25, 0.60, 51.40), _box(0.58, 51.38, 0.59, 51.39)]}},
    {"type": "Feature", "properties": {"LSOA11CD": "E01016002", "LSOA11NM": "Medway 001B"},
     "geometry": {"type": "Polygon", "coordinates": [_box(0.60, 51.25, 0.70, 51.40)]}},
    {"type": "Feature", "properties": {"LSOA11CD": "E01024001", "LSOA11NM": "Maidstone 001A"},
     "geometry": {"type": "MultiPolygon", "coordinates": [[_box(0.58, 51.38, 0.59, 51.39)],
                                                           [_box(0.45, 51.10, 0.70, 51.25)]]}},
]}


def test_points_are_placed_in_their_lsoa_holes_and_islands_included():
    from csp_assessment.fetch.lsoa_points import LsoaLocator

    locator = LsoaLocator(json.dumps(LSOA_BOUNDARIES), "LSOA11CD", {"E01016001": "Medway 001A"})
    assert locator.locate(51.30, 0.50) == ("E01016001", "Medway 001A")
    assert locator.locate(51.30, 0.65) == ("E01016002", "")
    assert locator.locate(51.385, 0.585)[0] == "E01024001"  # the island in Medway 001A's hole
    assert locator.locate(51.20, 0.50)[0] == "E01024001"
    assert locator.locate(52.0, 0.50) is None


def _counts_by_month_and_type(folder: Path, tmp_path: Path, name: str) -> pd.DataFrame:
    from csp_assessment.ingest import police_uk as police_input

    files = police_input.discover(folder)
    police_input.write_street_counts(files, tmp_path / f"{name}.parquet")
    counts = pd.read_parquet(tmp_path / f"{name}.parquet")
    return counts.groupby(["month", "force", "lsoa_code", "crime_type"], dropna=False)["records"].sum().sort_index()


def test_the_api_and_the_archive_give_the_same_counts(server, tmp_path):
    sources = _sources()
    _publish(server, sources)
    _api_routes(server, sources, MONTHS)
    kwargs = dict(sources=sources, mirror=server.url, client=_client(), log=lambda *_: None,
                  only=["lookups", "police_uk"])
    config = load_config(YEAR, area=AREA, data_dir=tmp_path / "archive", period_from="2022-11", period_to="2022-12")
    fetch(config, cache_dir=tmp_path / "c1", **kwargs)
    api_config = load_config(YEAR, area=AREA, data_dir=tmp_path / "api", period_from="2022-11", period_to="2022-12")
    fetch(api_config, cache_dir=tmp_path / "c2", via="api", **kwargs)

    api_street = tmp_path / "api/police-uk/2022-12/2022-12-kent-street.csv"
    archive_street = tmp_path / "archive/police-uk/2022-12/2022-12-kent-street.csv"
    assert api_street.read_text().splitlines()[0] == archive_street.read_text().splitlines()[0]
    assert (tmp_path / "api/police-uk/2022-12/2022-12-kent-stop-and-search.csv").read_text().startswith(
        "Type,Date,Part of a policing operation,")
    archive_counts = _counts_by_month_and_type(tmp_path / "archive" / "police-uk", tmp_path, "a")
    api_counts = _counts_by_month_and_type(tmp_path / "api" / "police-uk", tmp_path, "b")
    assert len(archive_counts) > 10
    assert "E01016001" in set(api_counts.index.get_level_values("lsoa_code"))  # placed in LSOAs, like the archive
    assert (tmp_path / "api/ons/boundaries/lsoa11_kent.geojson").exists()
    pd.testing.assert_series_equal(archive_counts, api_counts)
    # a boundary over the limit was asked for again in quarters
    assert sum(1 for method, *_ in server.requests if method == "POST") > 2 * 60


@pytest.mark.slow  # two whole fetch runs through the command line, each its own process
def test_cli_fetch_exits_non_zero_naming_the_failure(server, tmp_path):
    sources = _sources(page_size=2000)
    _publish(server, sources)
    env = {**os.environ, "CSP_FETCH_MIRROR": server.url, "CSP_FETCH_CACHE": str(tmp_path / "cache")}
    del server.routes[next(k for k in server.routes if k.endswith("/2019-12.zip"))]
    args = [sys.executable, "pipeline.py", "fetch", "--year", str(YEAR), "--area", AREA, "--from", FROM, "--to", TO,
            "--data", str(tmp_path / "raw"), "--no-progress", "--only", "lookups,police_uk"]
    failed = subprocess.run(args, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1, failed.stderr
    assert "data.police.uk archive 2019-12" in failed.stderr and "nothing was changed" in failed.stderr
    assert not (tmp_path / "raw").exists()
    server.add(load_sources()["police_uk"]["archive"]["url"].format(month="2019-12"), Route(archive_zip("2019-12")))
    done = subprocess.run(args, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "fetched" in done.stdout and (tmp_path / "raw/police-uk/2018-01/2018-01-kent-street.csv").exists()


@pytest.mark.slow
def test_fetch_then_a_plain_run_works(server, tmp_path):
    """The issue's 'done when': from nothing, fetch, then the run reads what was fetched."""
    import io

    from csp_assessment.run import Progress, main

    sources = _sources()
    _publish(server, sources)
    data = tmp_path / "raw"
    fetch(_config(data), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache", client=_client(),
          log=lambda *_: None)
    config = _config(data, processed_dir=tmp_path / "processed", out_dir=tmp_path / "reports",
                     sections="all_crime,mental_health")
    asked = len(server.requests)
    attempts = []
    real_connect = socket.socket.connect

    def guarded(self, address):  # notebook kernels talk over 127.0.0.1; nothing may go further
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(f"network connection attempted to {address}")
        return real_connect(self, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", guarded)
        patch.setenv("CSP_FETCH_MIRROR", server.url)  # were a run to fetch anything, the server would see it
        report = main(config, Progress(io.StringIO()), workers=1)
    assert attempts == [] and len(server.requests) == asked  # a run makes no network connection
    findings = json.loads((report / "findings" / "all_crime.json").read_text())
    assert (report / "01_all_crime.html").exists() and (report / "05_mental_health.html").exists()
    assert "Medway" in (report / "01_all_crime.html").read_text()
    assert findings  # figures made from the fetched street files
    mental_health = (report / "05_mental_health.html").read_text()
    assert "Indicator 848" in mental_health or "Depression prevalence" in mental_health


def test_auto_tops_up_a_few_missing_months_from_the_api_and_the_rest_from_the_archive(server, tmp_path):
    sources = _sources()
    routes = _publish(server, sources)
    _api_routes(server, sources, MONTHS)
    data = tmp_path / "raw"
    kwargs = dict(sources=sources, mirror=server.url, client=_client(), log=lambda *_: None,
                  only=["lookups", "police_uk"])
    fetch(_config(data), cache_dir=tmp_path / "c1", **kwargs)
    assert routes["archive-2022-12"].served == 1 and not any(m == "POST" for m, *_ in server.requests)
    for month in ("2022-11", "2022-12"):  # as if last year's folder lacked the latest two months
        for path in (data / "police-uk" / month).iterdir():
            path.unlink()
    fetch(_config(data), cache_dir=tmp_path / "c2", **kwargs)
    assert routes["archive-2022-12"].served == 1  # no 1.7 GB archive for two months
    assert (data / "police-uk/2022-12/2022-12-kent-street.csv").exists()
    assert (data / "police-uk/2022-12/2022-12-kent-stop-and-search.csv").exists()
    manifest = json.loads((data / MANIFEST_NAME).read_text())["files"]
    assert "/api/crimes-street/all-crime?force=kent&date=2022-12" in \
        manifest["police-uk/2022-12/2022-12-kent-street.csv"]["address"]


def test_an_api_that_is_down_fails_cleanly_rather_than_splitting_for_ever(server, tmp_path):
    sources = _sources()
    _publish(server, sources)
    _api_routes(server, sources, MONTHS)
    api = sources["police_uk"]["api"]["url"]
    server.add(f"{api}/crimes-street/all-crime", Route(handler=lambda *_: (503, b"")))
    data = tmp_path / "raw"
    with pytest.raises(FetchFailed) as failure:
        fetch(load_config(YEAR, area=AREA, data_dir=data, period_from="2022-11", period_to="2022-12"),
              sources=sources, mirror=server.url, cache_dir=tmp_path / "cache", client=_client(), via="api",
              log=lambda *_: None, only=["lookups", "police_uk"])
    assert "503" in str(failure.value) and "--police-via archive" in str(failure.value)
    assert not data.exists()


def test_a_window_straddling_a_change_of_lsoa_vintage_brings_both_lookups():
    from csp_assessment.fetch import ons

    lookups = load_sources()["ons"]["lookups"]
    assert [n for n, _ in ons.lookups_for_months(lookups, "2019-01", "2023-12")] == \
        ["lsoa_ward_lad_2011", "lsoa_ward_lad_2021"]
    assert [n for n, _ in ons.lookups_for_months(lookups, "2018-01", "2022-12")] == ["lsoa_ward_lad_2011"]
    assert [n for n, _ in ons.lookups_for_months(lookups, "2024-01", "2024-12")] == ["lsoa_ward_lad_2021"]


def test_a_police_force_name_fetches_for_all_its_partnerships(server, tmp_path):
    sources = _sources()
    _publish(server, sources)
    data = tmp_path / "raw"
    config = load_config(YEAR, data_dir=data, period_from=FROM, period_to=TO)  # the params file's area
    lines = []
    fetch(config, sources=sources, mirror=server.url, cache_dir=tmp_path / "cache", client=_client(),
          log=lines.append, only=["lookups"], force_names=("Kent Police",))
    assert any("partnerships E22000199, E22000201" in line for line in lines)
    with pytest.raises(ConfigError, match="neither an ONS area code nor a police force area"):
        fetch(config, sources=sources, mirror=server.url, cache_dir=tmp_path / "cache", client=_client(),
              log=lines.append, only=["lookups"], force_names=("Atlantis",))


def test_a_file_with_an_unexpected_header_is_refused(server, tmp_path):
    sources = _sources()
    routes = _publish(server, sources)
    routes["fingertips-substance_misuse"].body = b"IndicatorID;AreaCode;Value\n90244;E06000035;12.1\n"
    message = _fails_cleanly(server, tmp_path, sources, expect="not the expected file")
    assert "Indicator ID" in message and "Fingertips substance misuse" in message


def test_fingertips_without_the_areas_figures_is_noted_and_not_kept(server, tmp_path):
    sources = _sources()
    routes = _publish(server, sources)
    routes["fingertips-mental_health"].body = fingertips_csv({848: "Depression"},
                                                             areas=(("E92000001", "England", "England"),))
    data = tmp_path / "raw"
    result = fetch(_config(data), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache",
                   client=_client(), log=lambda *_: None)
    assert any("holds no figures for E06000035" in note for note in result.notes)
    assert not (data / "fingertips/fingertips-mental_health-area-type-502.csv").exists()
    assert (data / "fingertips/fingertips-substance_misuse-area-type-502.csv").exists()
    asked = len(server.requests)  # a rerun says so again, without downloading it again
    again = fetch(_config(data), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache",
                  client=_client(), log=lambda *_: None)
    assert any("holds no figures for E06000035" in note for note in again.notes) and len(server.requests) == asked


def test_a_district_gets_its_force_and_the_lower_tier_indicators(server, tmp_path):
    sources = _sources()
    _publish(server, sources)
    ft = sources["fingertips"]
    for section, ids in ft["sections"].items():
        server.add(ft["url"].format(indicator_ids=",".join(map(str, ids)), area_type=501), Route(fingertips_csv(
            {i: f"Indicator {i}" for i in ids}, areas=(("E92000001", "England", "England"),
                                                        ("E07000110", "Maidstone", "Districts & UAs")))))
    data = tmp_path / "raw"
    config = load_config(YEAR, area="E07000110", data_dir=data, period_from=FROM, period_to=TO)
    fetch(config, sources=sources, mirror=server.url, cache_dir=tmp_path / "cache", client=_client(),
          log=lambda *_: None)
    assert (data / "fingertips/fingertips-mental_health-area-type-501.csv").exists()
    assert not (data / "fingertips/fingertips-mental_health-area-type-502.csv").exists()
    assert len(list(data.rglob("*-kent-street.csv"))) == 60


def test_a_month_the_api_has_not_published_fails_cleanly_naming_it(server, tmp_path):
    sources = _sources()
    _publish(server, sources)
    _api_routes(server, sources, MONTHS[:-1])  # 2022-12 not yet published
    data = tmp_path / "raw"
    with pytest.raises(FetchFailed) as failure:
        fetch(load_config(YEAR, area=AREA, data_dir=data, period_from="2022-11", period_to="2022-12"),
              sources=sources, mirror=server.url, cache_dir=tmp_path / "cache", client=_client(), via="api",
              log=lambda *_: None, only=["lookups", "police_uk"])
    assert "has not published 2022-12 (its latest month is 2022-11)" in str(failure.value)
    assert not data.exists()


# ---- the publishers' real shapes: the API's own limits and answers, ArcGIS paging and errors ------


def _api_fetch(server, tmp_path, sources, *, client=None, months=("2022-11", "2022-12"), name="raw", log=None):
    data = tmp_path / name
    result = fetch(load_config(YEAR, area=AREA, data_dir=data, period_from=months[0], period_to=months[-1]),
                   sources=sources, mirror=server.url, cache_dir=tmp_path / f"cache-{name}", client=client or _client(),
                   via="api", log=log or (lambda *_: None), only=["lookups", "police_uk"])
    return data, result


def _requests_to(server, fragment: str) -> list[tuple]:
    return [r for r in server.requests if fragment in r[1]]


def test_the_api_keeps_the_forces_own_crimes_and_a_month_not_published_stays_missing(server, tmp_path):
    sources = _sources()
    _publish(server, sources)
    _api_routes(server, sources, MONTHS, unpublished=("2022-12",), no_stops=("2022-12",))
    data, result = _api_fetch(server, tmp_path, sources)

    street = (data / "police-uk/2022-11/2022-11-kent-street.csv").read_text()
    btp = [c for c in crimes_for("2022-11") if c["location_type"] == "BTP"]
    assert btp and btp[0]["persistent_id"] not in street  # the API gave it; the force's own file has none
    own = [c for c in crimes_for("2022-11") if c["location_type"] == "Force"]
    assert len(street.strip().splitlines()) == 1 + len(own) + len(no_location_crimes("2022-11"))
    assert any("1 British Transport Police crime(s)" in n for n in result.notes)

    # 2022-12: every neighbourhood and crimes-no-location answered [] -> a gap, not a file of zero crimes
    assert not (data / "police-uk/2022-12/2022-12-kent-street.csv").exists()
    assert not (data / "police-uk/2022-12/2022-12-kent-stop-and-search.csv").exists()
    assert [(g.month, g.kind) for g in result.gaps] == [("2022-12", "street"), ("2022-12", "stop-and-search")]
    gaps = json.loads((data / MANIFEST_NAME).read_text())["gaps"]
    assert gaps["kent 2022-12 street"]["source"].endswith("gave no crimes in any of kent's neighbourhoods, nor "
                                                          "crimes-no-location")


def test_api_requests_are_paced_boundaries_asked_once_and_429_honoured(server, tmp_path):
    from csp_assessment.fetch.http import RateLimit

    sources = _sources()
    _publish(server, sources)
    _api_routes(server, sources, MONTHS)
    api = sources["police_uk"]["api"]["url"]
    server.routes[next(k for k in server.routes if k.endswith("/crimes-street-dates"))].fail_first = 1
    server.routes[next(k for k in server.routes if k.endswith("/crimes-street-dates"))].fail_status = 429
    server.routes[next(k for k in server.routes if k.endswith("/crimes-street-dates"))].retry_after = "3"

    clock = [0.0]
    sent = []  # the time each API request left, on a clock that only the pacing moves

    def sleep(seconds):
        clock[0] += seconds

    class Recorded(RateLimit):
        def wait(self):
            waited = super().wait()
            sent.append(clock[0])
            return waited

    waits = []
    client = _client(waits)
    client.rate_limits["data.police.uk"] = Recorded(15, 30, clock=lambda: clock[0], sleep=sleep)
    months = ("2022-09", "2022-12")
    data, _ = _api_fetch(server, tmp_path, sources, client=client, months=months)
    assert (data / "police-uk/2022-10/2022-10-kent-street.csv").exists()

    assert 3.0 in waits  # the 429's Retry-After, honoured
    assert len(sent) == len(_requests_to(server, "/data.police.uk/api/")) > 40
    assert max(sum(1 for t in sent if start <= t < start + 1 - 1e-9) for start in sent) <= 30
    assert (len(sent) - 15) / sent[-1] <= 15.0 + 1e-9  # after the first burst, 15 a second at most
    # the neighbourhoods and their boundaries were asked once for the four months
    assert len(_requests_to(server, f"{api.split('//')[1]}/kent/neighbourhoods")) == 1
    assert len(_requests_to(server, "/boundary")) == 2


def test_an_empty_neighbourhood_boundary_is_not_sent_as_an_empty_polygon(server, tmp_path):
    sources = _sources()
    _publish(server, sources)
    _api_routes(server, sources, MONTHS)
    api = sources["police_uk"]["api"]["url"]
    # a third neighbourhood whose boundary the API gives empty; Medway 001B's crimes lie only in it
    server.add(f"{api}/kent/neighbourhoods", json.dumps([{"id": "N1", "name": "North"}, {"id": "N2", "name": "South"},
                                                         {"id": "N3", "name": "Harbour"}]).encode())
    server.add(f"{api}/kent/N3/boundary", b"[]")
    posted = []
    street = server.routes[next(k for k in server.routes if k.endswith("/crimes-street/all-crime"))].handler
    server.routes[next(k for k in server.routes if k.endswith("/crimes-street/all-crime"))].handler = \
        lambda m, q, f: (posted.append(f["poly"][0]), street(m, q, f))[1]
    data, result = _api_fetch(server, tmp_path, sources)
    assert all(poly.count(":") >= 2 for poly in posted)  # never an empty or degenerate polygon
    assert any("no boundary for 1 neighbourhood(s) (Harbour)" in n for n in result.notes)
    street_file = (data / "police-uk/2022-12/2022-12-kent-street.csv").read_text()
    own = [c for c in crimes_for("2022-12") if c["location_type"] == "Force"]
    assert all(c["persistent_id"] in street_file for c in own if c["persistent_id"])


def test_a_lookup_paged_through_an_empty_page_with_more_to_come(server, tmp_path):
    sources = _sources()
    routes = _publish(server, sources)
    routes["lad_csp_pfa"].handler = feature_query(AREA_FIELDS, AREA_ROWS, empty_page_at=2)
    data = tmp_path / "raw"
    fetch(_config(data), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache", client=_client(),
          log=lambda *_: None, only=["lookups"])
    lookup = data / "ons" / "LAD_to_Community_Safety_Partnership_to_PFA_(December_2022)_Lookup_in_EW.csv"
    with open(lookup, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == AREA_FIELDS and [r[0] for r in rows[1:]] == [r[0] for r in AREA_ROWS]


def test_a_wrong_service_name_answered_with_200_and_an_error_is_a_failure(server, tmp_path):
    sources = _sources()
    routes = _publish(server, sources)
    routes["lsoa_ward_lad_2011"].handler = arcgis_error(400, "Invalid URL")
    message = _fails_cleanly(server, tmp_path, sources, expect="answered with an error (400 Invalid URL)")
    assert "ons.lookups.lsoa_ward_lad_2011" in message and "sources.yaml" in message


def test_an_unconfirmed_lookup_the_portal_refuses_gives_way_to_the_newest(server, tmp_path):
    sources = _sources()
    _publish(server, sources)
    ons = sources["ons"]
    server.add(ons["lad_csp_pfa"]["2019"]["service"] + "/query", Route(handler=arcgis_error(
        500, f"Service {ons['lad_csp_pfa']['2019']['service'].split('/services/')[1]} not found ")))
    fields = ["LAD24CD", "LAD24NM", "CSP24CD", "CSP24NM", "PFA24CD", "PFA24NM", "ObjectId"]
    server.add(ons["lad_csp_pfa"]["2024"]["service"] + "/query", Route(handler=feature_query(fields, AREA_ROWS)))
    lines = []
    result = fetch(load_config(YEAR, area=AREA, data_dir=tmp_path / "raw", period_from="2019-01", period_to="2019-12"),
                   sources=sources, mirror=server.url, cache_dir=tmp_path / "cache", client=_client(),
                   log=lines.append, only=["lookups"])
    [line] = [line for line in lines if "caution" in line]  # one line, when the entry is used
    assert line.startswith("fetch: caution: ons.lad_csp_pfa.2019 in csp_assessment/fetch/sources.yaml is unconfirmed")
    assert any("could not be fetched" in n and "the 2024 lookup is used instead" in n for n in result.notes)
    assert (tmp_path / "raw/ons/LAD_to_Community_Safety_Partnership_to_PFA_(December_2024)_Lookup_in_EW.csv").exists()


def test_buckinghamshire_finds_thames_valley_in_lookups_of_either_vintage():
    from csp_assessment.fetch.police_uk import forces_for
    from csp_assessment.ingest.ons import read_lad_csp_pfa_lookup

    current = PROJECT_ROOT.parent / "shared" / "data-current" / "ons"
    if not (current / "lad19-csp19-pfa19-lookup.csv").exists():
        pytest.skip("the real ONS lookups are not in ../shared/data-current")
    for name in ("lad19-csp19-pfa19-lookup.csv", "lad24-csp24-pfa24-lookup.csv"):
        lookup = read_lad_csp_pfa_lookup(current / name)
        assert forces_for(("E06000060",), lookup, load_sources()) == {"thames-valley": "Thames Valley"}, name
        assert forces_for(("E06000063",), lookup, load_sources()) == {"cumbria": "Cumbria"}, name
        assert forces_for(("E07000004",), lookup, load_sources()) == {"thames-valley": "Thames Valley"}, name


def test_an_archive_is_checked_without_reading_it_whole_and_a_bad_member_is_caught(server, tmp_path, monkeypatch):
    import zipfile

    sources = _sources()
    routes = _publish(server, sources)
    monkeypatch.setattr(zipfile.ZipFile, "testzip", lambda self: pytest.fail("the whole archive was read"))
    fetch(_config(tmp_path / "ok"), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache-ok",
          client=_client(), log=lambda *_: None, only=["lookups", "police_uk"])
    assert len(list((tmp_path / "ok").rglob("*-kent-street.csv"))) == 60
    monkeypatch.undo()  # workbooks (a few MB) are checked whole; archives never are

    # A member whose bytes no longer match its CRC (stored uncompressed, one byte changed).
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for info in zipfile.ZipFile(io.BytesIO(routes["archive-2022-12"].body)).infolist():
            zf.writestr(info.filename, zipfile.ZipFile(io.BytesIO(routes["archive-2022-12"].body)).read(info))
    body = bytearray(buffer.getvalue())
    member = zipfile.ZipFile(io.BytesIO(bytes(body))).getinfo("2022-03/2022-03-kent-street.csv")
    body[member.header_offset + 30 + len(member.filename) + len(member.extra) + 40] ^= 1
    routes["archive-2022-12"].body = bytes(body)
    routes["archive-2022-12"].served = 0
    message = _fails_cleanly(server, tmp_path, sources, expect="could not be read")
    assert "run fetch again" in message and not list((tmp_path / "cache").rglob("*2022-12.zip"))


def test_the_fetched_fingertips_file_with_its_27_columns_reads(server, tmp_path):
    from csp_assessment.ingest import fingertips as fingertips_input
    from fetch_server import FINGERTIPS_HEADER

    sources = _sources()
    _publish(server, sources)
    data = tmp_path / "raw"
    fetch(_config(data), sources=sources, mirror=server.url, cache_dir=tmp_path / "cache", client=_client(),
          log=lambda *_: None, only=["fingertips"])
    path = data / "fingertips" / "fingertips-mental_health-area-type-502.csv"
    assert path.read_text().splitlines()[0].split(",") == FINGERTIPS_HEADER and len(FINGERTIPS_HEADER) == 27
    table = fingertips_input.read(path)
    assert set(table["area_code"]) == {"E92000001", "E06000035"} and len(table) == 2 * 5 * 6

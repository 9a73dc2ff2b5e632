"""``python pipeline.py fetch``: download what an assessment needs into the data folder.

What a run for the area and period needs and the data folder lacks is planned first (ONS
lookups, the police force's street files for every month of the trend window, the Fingertips
indicators, the population estimates); everything is then downloaded into the cache, checked,
and only when all of it is ready moved into the data folder (see :mod:`.files`). Addresses live
in ``sources.yaml``. A force's month the publisher did not publish is a gap: reported, recorded in
the manifest, never a file of zero crimes. ``plan=True`` lists every address a fetch would ask
for, and why, without asking (``python pipeline.py fetch --plan``).
"""

from __future__ import annotations

import sys
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import pandas as pd

from ..names import DEMO_MARKER
from ..errors import ConfigError, InputError
from .. import successions
from ..geography import partnerships_of
from ..ingest import ons as ons_input
from . import fingertips, lsoa_points, ons, police_uk
from .files import (MANIFEST_NAME, ArchiveMembers, Assembled, FileInZip, Gap, Ready, default_cache_dir, place,
                    read_manifest, sha256)
from .http import Client, FetchError
from .lsoa_points import LsoaLocator
from .sources import caution, load_sources, politeness
from .verify import Lacking

PARTS = ("lookups", "population", "police_uk", "fingertips")
INDICATOR_SECTIONS = ("substance_misuse", "mental_health")


class FetchFailed(RuntimeError):
    """One or more downloads failed; the data folder was left as it was."""


@dataclass(frozen=True)
class PlannedRequest:
    """One address a fetch would ask for (``fetch --plan``), why, and any caution about it."""

    address: str
    why: str
    caution: str = ""


@dataclass
class FetchResult:
    placed: list[str] = field(default_factory=list)  # files put in the data folder
    notes: list[str] = field(default_factory=list)  # what was already there, fallbacks
    gaps: list[Gap] = field(default_factory=list)  # force-months the publisher did not publish
    plan: list[PlannedRequest] = field(default_factory=list)  # with plan=True: what would be asked for


def demo_roots(data_dir: Path) -> list[Path]:
    """Folders of the project's synthetic demo data: never taken for the user's own downloads."""
    return sorted(p.parent for p in data_dir.rglob(DEMO_MARKER)) if data_dir.is_dir() else []


def is_demo(path: Path, roots: list[Path]) -> bool:
    return any(root == path or root in path.parents for root in roots)


def _files_of_kind(data_dir: Path, kind: str) -> list[Path]:
    if not data_dir.is_dir():
        return []
    suffixes = {".csv"} if kind.endswith("lookup") else {".csv", ".xls", ".xlsx"}
    roots = demo_roots(data_dir)
    return sorted(p for p in data_dir.rglob("*") if p.is_file() and p.suffix.lower() in suffixes
                  and not p.name.startswith((".", "~$")) and not is_demo(p, roots) and ons_input.sniff(p) == kind)


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        return [c.strip().upper() for c in fh.readline().split(",")]


def changed_since_fetched(data_dir: Path) -> list[str]:
    """Files an earlier fetch put in the data folder that have changed since (kept as they are)."""
    notes = []
    for target, entry in sorted(read_manifest(data_dir)["files"].items()):
        path = data_dir / target
        if path.exists() and (path.stat().st_size != entry.get("bytes") or sha256(path) != entry.get("sha256")):
            notes.append(f"{target} has changed since it was fetched; it is kept as it is (delete it to fetch "
                         "it again)")
    return notes


def _prepare_all(items, client: Client, cache: Path, mirror: str | None,
                 workers: int) -> tuple[list[Ready], list[Gap], list[str], list[str]]:
    """Make ``items`` ready in the cache, a few at once. Returns (ready, gaps, errors, notes)."""
    ready: list[Ready] = []
    gaps: list[Gap] = []
    errors: list[str] = []
    notes: list[str] = []

    def one(item):
        try:
            return item.prepare(client, cache, mirror), None, None
        except Lacking as exc:
            return [], None, str(exc)
        except FetchError as exc:
            return [], str(exc), None

    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        for got, error, note in pool.map(one, items):
            ready += [g for g in got if isinstance(g, Ready)]
            gaps += [g for g in got if isinstance(g, Gap)]
            notes += [g for g in got if isinstance(g, str)] + ([note] if note else [])
            errors += [error] if error else []
    except BaseException:
        # Ctrl-C: stop now, not when the downloads under way end (a slow server holds one for minutes);
        # what they wrote is in the cache only, resumed by the next fetch.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return ready, gaps, errors, notes


def planned(item) -> PlannedRequest:
    """What ``item`` would ask for, for ``fetch --plan``."""
    why = item.what
    if isinstance(item, ArchiveMembers):
        streets = sorted(item.required)
        why += f": {len(streets)} street files (and outcomes, stop and search), {streets[0]} to {streets[-1]}"
    elif isinstance(item, Assembled) and "/FeatureServer/" in item.address:
        why += ", page by page (query?where=1=1&outFields=*&resultOffset=...)"
    elif isinstance(item, Assembled) and "crimes-street" in item.address:
        why += (": crime-categories, crimes-street/all-crime by POST for each neighbourhood boundary (the force's "
                "neighbourhoods and boundaries asked once a run), crimes-no-location")
    elif isinstance(item, FileInZip):
        why += f": {item.pattern} from the zip"
    return PlannedRequest(item.address, why)


def _fail(errors: list[str], data_dir: Path) -> FetchFailed:
    listed = "\n".join(f"  - {e}" for e in errors)
    return FetchFailed(f"{len(errors)} download(s) failed; nothing was changed in {data_dir}:\n{listed}\n"
                       "Downloads that completed are kept in the download cache: run fetch again to resume.")


@dataclass
class _Fetch:
    """One fetch: what it shares between its steps (see :func:`fetch`)."""

    config: object
    sources: dict
    parts: list[str]
    via: str
    client: Client
    cache: Path
    mirror: str | None
    planning: bool = False  # list what would be asked for; ask nothing
    log: object = print
    result: FetchResult = field(default_factory=FetchResult)
    ready: list[Ready] = field(default_factory=list)  # made whole in the cache, to be placed
    cautioned: set = field(default_factory=set)
    item_cautions: dict = field(default_factory=dict)  # id(item) -> its caution line, for the plan

    @property
    def data_dir(self) -> Path:
        return Path(self.config.data_dir)

    @property
    def months(self) -> list[str]:
        return [str(m) for m in pd.period_range(self.config.trend[0].start, self.config.period.end, freq="M")]

    def caution(self, name: str, entry) -> str:
        """Say once that an unconfirmed entry of sources.yaml is used; returns the line ("" if confirmed)."""
        line = caution(name, entry)
        if line and name not in self.cautioned:
            self.cautioned.add(name)
            self.log(f"fetch: {line}")
        return line

    def prepare(self, items, cautions: dict | None = None) -> None:
        """Make ``items`` ready in the cache; stop (data folder untouched) if any fails. When
        planning, only note what they would ask for (``cautions``: item -> caution line)."""
        if self.planning:
            for item in items:
                request = planned(item)
                self.result.plan.append(replace(request, caution=(cautions or self.item_cautions).get(id(item), "")))
            return
        ready, gaps, errors, notes = _prepare_all(items, self.client, self.cache, self.mirror,
                                                  politeness(self.sources).concurrent_requests)
        self.result.notes += notes
        if errors:
            raise _fail(errors, self.data_dir)
        self.ready += ready
        self.result.gaps += gaps

    def _staged(self, file_name: str) -> Path | None:
        return next((r.staged for r in self.ready if r.target.endswith(file_name)), None)

    # ---- the steps -------------------------------------------------------------------------

    def lookups(self) -> tuple[Path | None, Path | None, str]:
        """The ONS lookups, from the data folder or fetched now (the force(s) and authorities of the
        area come from them): local authority -> CSP -> force, LSOA -> ward -> local authority of
        every LSOA vintage the months' police files use, and the LSOA 2011 -> 2021 lookup when they
        use both. Returns (area lookup, LSOA lookup of the latest months, its LSOA code column)."""
        ons_sources = self.sources["ons"]
        lookups = ons_sources["lookups"]
        page_size = int(ons_sources.get("page_size", 2000))
        area_files = _files_of_kind(self.data_dir, "lad_csp_pfa_lookup")
        area_path = area_files[-1] if area_files else None
        if area_files:
            self.result.notes.append(f"already there: local authority -> CSP -> police force lookup "
                                     f"({area_files[-1].name})")
        elif "lookups" in self.parts:
            area_path = self._area_lookup(page_size)
        first = []
        all_lsoa_files = _files_of_kind(self.data_dir, "lsoa_ward_lad_lookup")
        lsoa_paths: dict[str, Path | str] = {}  # LSOA code column -> file there, or the file name to fetch
        vintages = ons.lookups_for_months(lookups, self.months[0], self.months[-1])
        for name, entry in vintages:
            column = entry["header"][0].upper()
            present = [p for p in all_lsoa_files if column in _header(p)]
            if present:
                self.result.notes.append(f"already there: LSOA -> ward -> local authority lookup ({present[-1].name})")
                lsoa_paths[column] = present[-1]
            elif "lookups" in self.parts:
                months = [m for m in self.months if entry["police_months"][0] <= m <= entry["police_months"][1]]
                first.append(ons.plan_lookup(entry, f"lookups.{name}", page_size,
                                             f"police files of {months[0]} to {months[-1]} are coded to "
                                             f"{column[:4]} 20{column[4:6]}"))
                lsoa_paths[column] = entry["file"]
        bridge = ons_sources.get("lsoa_bridge")
        if len(vintages) > 1 and bridge and "lookups" in self.parts:
            if _files_of_kind(self.data_dir, "lsoa_bridge"):
                self.result.notes.append("already there: LSOA 2011 -> LSOA 2021 lookup")
            else:
                first.append(ons.plan_lookup(bridge, "lsoa_bridge", page_size, "the months straddle the police "
                                             "files' change from LSOA 2011 to LSOA 2021 codes: it carries the older "
                                             "records to the report's 2021 wards"))
        self.prepare(first)
        lsoa_column = vintages[-1][1]["header"][0].upper()
        latest = lsoa_paths.get(lsoa_column)
        lsoa_path = self._staged(latest) if isinstance(latest, str) else latest
        return area_path, lsoa_path, lsoa_column

    def _area_lookup(self, page_size: int) -> Path | None:
        """The local authority -> CSP -> police force lookup of the December the period ends in (or
        the newest): an unconfirmed one the portal refuses gives way to the newest confirmed one."""
        period_end = str(self.config.period.end)
        tries = ons.lad_csp_pfa_vintages(self.sources["ons"]["lad_csp_pfa"], period_end)
        for n, (year, entry) in enumerate(tries):
            name = f"lad_csp_pfa.{year}"
            why = (f"partnerships and police force areas as at December {year}, for a period ending {period_end}; "
                   "the area's police force is read from it")
            item = ons.plan_lookup(entry, name, page_size, why)
            line = self.caution(f"ons.{name}", entry)
            if self.planning:
                self.prepare([item], {id(item): line})
                return None
            try:
                self.prepare([item])
            except FetchFailed as exc:
                if n + 1 == len(tries) or not line:
                    raise
                self.result.notes.append(f"ons.{name} could not be fetched ({str(exc).splitlines()[1].strip(' -')}); "
                                         f"the {tries[n + 1][0]} lookup is used instead")
                continue
            return self._staged(entry["file"])
        return None

    def police(self, area_lookup, lsoa_path: Path | None, lsoa_column: str) -> list:
        """The street (and outcomes, stop-and-search) files of the area's force(s) for every month
        of the trend window that the data folder lacks."""
        if area_lookup is None:
            if self.planning:
                return self._police_plan_without_lookup()
            raise ConfigError("the police files need the local authority -> CSP -> police force area lookup, to "
                              "know the area's force: fetch with --only lookups,police_uk, or put the lookup in "
                              f"{self.data_dir}")
        months, items = self.months, []
        have = police_uk.present_months(self.data_dir, demo_roots(self.data_dir))
        for force, name in police_uk.forces_for(self.config.area_codes, area_lookup, self.sources).items():
            missing = [m for m in months if (force, m) not in have]
            if len(missing) < len(months):
                self.result.notes.append(f"already there: {force} street files for {len(months) - len(missing)} "
                                         f"of the {len(months)} months")
            if not missing:
                continue
            known = next((m for m in missing if police_uk.known_gap(force, m, self.sources)), None)
            if known:
                self.log(f"fetch: {force}: data.police.uk's files are known to lack months from {known} on "
                         f"({police_uk.known_gap(force, known, self.sources)}); each month it did not publish is "
                         "found and reported as a gap")
            if self._via(missing) == "archive":
                items += police_uk.plan_archive(missing, {force: name}, self.sources, months[-1])
            else:
                locator = self._lsoa_locator(force, name, area_lookup, lsoa_path, lsoa_column)
                items += police_uk.plan_api(missing, {force: name}, self.sources, {force: locator})
        return items

    def _via(self, missing: list[str]) -> str:
        if self.via != "auto":
            return self.via
        return "api" if len(missing) <= int(self.sources["police_uk"].get("api_up_to_months", 3)) else "archive"

    def _police_plan_without_lookup(self) -> list:
        """For a plan before the lookup is fetched: the force is not known yet, the addresses are."""
        months = self.months
        area = ", ".join(self.config.area_codes)
        if self._via(months) == "archive":
            archive = self.sources["police_uk"]["archive"]
            for archive_month, taken in police_uk.archives_for(months, int(archive.get("months", 36)),
                                                                months[-1]).items():
                self.result.plan.append(PlannedRequest(
                    archive["url"].format(month=archive_month),
                    f"data.police.uk archive {archive_month}: the street, outcomes and stop-and-search files of the "
                    f"police force covering {area} (named by the lookup above), {taken[0]} to {taken[-1]}"))
        else:
            api = self.sources["police_uk"]["api"]["url"].rstrip("/")
            for month in months:
                self.result.plan.append(PlannedRequest(
                    f"{api}/crimes-street/all-crime?date={month}",
                    f"data.police.uk API {month}: the street crimes and stop and search of the police force covering "
                    f"{area} (named by the lookup above), by its neighbourhood boundaries"))
        return []

    def _lsoa_locator(self, force: str, force_name: str, area_lookup, lsoa_path: Path | None,
                      code_field: str) -> LsoaLocator | None:
        """The LSOA boundaries of the force's authorities (from the data folder, else fetched), to
        place the API's crimes in LSOAs as the archive's files are."""
        if lsoa_path is None:
            if self.planning:
                return None
            raise ConfigError("the police API's crimes are placed in LSOAs with the LSOA -> ward -> local "
                              "authority lookup: fetch with --only lookups,police_uk, or put the lookup in the "
                              "data folder")
        lsoa_lookup = ons_input.read_lsoa_ward_lad_lookup(lsoa_path)
        authorities = set(area_lookup.loc[area_lookup["pfa_name"] == force_name, "lad_code"])
        lsoas = lsoa_lookup[lsoa_lookup["lad_code"].isin(
            {c for lad in authorities for c in successions.codes_in(lad, set(lsoa_lookup["lad_code"]))})]
        if lsoas.empty:
            raise ConfigError(f"no LSOA of {force_name}'s authorities is in {lsoa_path.name}: the two lookups' "
                              "authority codes differ; put matching lookups in the data folder")
        names = dict(zip(lsoas["lsoa_code"], lsoas["lsoa_name"]))
        target = f"ons/boundaries/{code_field.lower()[:6]}_{force}.geojson"
        path = self.data_dir / target
        if not path.exists():
            entry = self.sources["ons"]["lsoa_boundaries"].get(code_field)
            if not entry:
                raise ConfigError(f"no LSOA boundaries for {code_field} under ons.lsoa_boundaries in "
                                  "csp_assessment/fetch/sources.yaml")
            self.prepare([lsoa_points.plan_boundaries(entry["service"], code_field, sorted(names), target,
                                                      int(self.sources["ons"].get("page_size", 2000)))])
            if self.planning:
                return None
            path = self._staged(PurePosixPath(target).name)
        return LsoaLocator(path.read_bytes(), code_field, names)

    def population(self) -> list:
        """The mid-year estimates for the population year, unless the data folder has them."""
        year = self.config.population_year
        have_years = set()
        for path in _files_of_kind(self.data_dir, "mid_year_estimates"):
            try:
                have_years |= set(ons_input.read_mid_year_estimates(path)["mid_year"].astype(int))
            except InputError as exc:
                self.result.notes.append(f"{path.name} could not be read ({exc.detail}); it was left as it is")
        if year in have_years:
            self.result.notes.append(f"already there: mid-{year} population estimates")
            return []
        item, chosen, entry = ons.plan_population(self.sources["ons"]["mid_year_estimates"], year)
        if chosen != year:
            self.result.notes.append(f"no mid-{year} estimates listed; fetching mid-{chosen}, the latest earlier "
                                     "(the run says which year it used)")
        item.what += f" for the population year {year}"
        self._caution_for(item, f"mid_year_estimates.{chosen}", entry)
        return [item]

    def small_area_population(self, lsoa_column: str) -> list:
        """LSOA population estimates (ward rates), unless the data folder has some."""
        present = _files_of_kind(self.data_dir, "small_area_population")
        if present:
            self.result.notes.append(f"already there: small area population ({present[-1].name})")
            return []
        year = self.config.population_year
        item, chosen, entry = ons.plan_small_area_population(self.sources["ons"]["small_area_population"],
                                                             lsoa_column, year)
        item.what += f" for ward rates in the population year {year}, on the report's {lsoa_column[:6]} wards"
        self._caution_for(item, f"small_area_population.{lsoa_column}.{chosen}", entry)
        return [item]

    def _caution_for(self, item, name: str, entry) -> None:
        line = self.caution(f"ons.{name}", entry)
        if line:
            self.item_cautions[id(item)] = line

    def fingertips(self, lad_codes: list[str]) -> list:
        """The indicators of the health sections being run, for England and the area's authorities
        (Fingertips covers England only)."""
        sections = [s for s in self.config.sections if s in INDICATOR_SECTIONS]
        welsh = [c for c in lad_codes if c.startswith("W")]
        if welsh:
            self.result.notes.append(f"Fingertips covers England only: no indicators for {', '.join(welsh)}")
        # Fingertips' area types 501 and 502 are of April 2023 authorities: a district replaced since is
        # published under its successor's code.
        english = sorted({successions.latest_code(c) for c in lad_codes if not c.startswith(("W", "E22"))})
        if not sections or not english:
            return []
        held = fingertips.held(self.data_dir, demo_roots(self.data_dir)) if self.data_dir.is_dir() else set()
        planned_items = fingertips.plan(sections, english, self.sources["fingertips"], held)
        if not planned_items:
            self.result.notes.append("already there: Fingertips indicators for " + ", ".join(sections))
        return planned_items


def fetch(config, *, only: list[str] | None = None, via: str | None = None, mirror: str | None = None,
          cache_dir: Path | None = None, sources: dict | None = None, progress: bool = True,
          client: Client | None = None, log=print, force_names: tuple[str, ...] = (),
          plan: bool = False) -> FetchResult:
    """Download into ``config.data_dir`` what a run of ``config`` needs that is not there.

    ``only``: some of :data:`PARTS`; ``via``: "auto", "archive" or "api" for the police files
    (default from sources.yaml); ``mirror``: fetch every address through this base (tests, local mirrors);
    ``plan``: download nothing, and return in ``result.plan`` every address a fetch would ask for.
    Raises :class:`FetchFailed` (data folder untouched) when any download fails. Months a force did
    not publish are returned in ``result.gaps`` and recorded in the manifest."""
    sources = sources or load_sources()
    parts = list(PARTS) if not only else list(only)
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise ConfigError(f"--only: unknown {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    via = via or sources["police_uk"].get("method", "auto")
    if via not in ("auto", "archive", "api"):
        raise ConfigError(f"--police-via must be 'auto', 'archive' or 'api', not '{via}'")
    client = client or Client(politeness(sources), progress=progress)
    api = sources["police_uk"]["api"]
    client.pace(urllib.parse.urlsplit(api["url"]).netloc, float(api.get("per_second", 15)), int(api.get("burst", 30)))
    run = _Fetch(config, sources, parts, via, client, Path(cache_dir) if cache_dir else default_cache_dir(), mirror,
                 planning=plan, log=log)
    data_dir, months = run.data_dir, run.months
    log(f"fetch{' --plan' if plan else ''}: what a {config.year} run for {', '.join(config.area_codes)} needs "
        f"({months[0]} to {months[-1]}), into {data_dir}")
    run.result.notes += changed_since_fetched(data_dir)

    area_path, lsoa_path, lsoa_column = run.lookups()
    area_lookup = ons_input.read_lad_csp_pfa_lookup(area_path) if area_path is not None else None
    if force_names:
        if area_lookup is None:
            raise ConfigError(f"'{force_names[0]}' is read as a police force name with the local authority -> CSP "
                              "-> police force lookup: fetch with --only lookups,..., or put the lookup in the "
                              "data folder")
        # Codes given beside the names stay; the params file's own area gives way to the names.
        codes = [] if config.area_from_params else list(config.area_codes)
        codes += [c for name in force_names for c in partnerships_of(name, area_lookup)]
        run.config = config = replace(config, area_codes=tuple(dict.fromkeys(codes)))
        log(f"fetch: {', '.join(force_names)}: partnerships {', '.join(config.area_codes)}")
    lad_codes = list(config.area_codes)
    if area_lookup is not None:  # a partnership's code stands for its authorities
        known = set(area_lookup["lad_code"])
        members = area_lookup[area_lookup["lad_code"].isin({c for code in lad_codes
                                                            for c in successions.codes_in(code, known)})
                              | area_lookup["csp_code"].isin(lad_codes)]
        lad_codes = sorted(set(members["lad_code"])) or lad_codes

    items = []
    if "police_uk" in parts:
        items += run.police(area_lookup, lsoa_path, lsoa_column)
    if "population" in parts:
        items += run.population() + run.small_area_population(lsoa_column)
    if "fingertips" in parts:
        items += run.fingertips(lad_codes)

    # Skip anything whose every file is already in the data folder (a rerun fetches nothing).
    items = [i for i in items if not i.targets or any(not (data_dir / t).exists() for t in i.targets)]
    if plan:
        run.prepare(items)
        return run.result
    log(f"fetch: {len(items)} more download(s)" if items else "fetch: nothing more to download")
    run.prepare(items)
    for gap in run.result.gaps:
        log(f"fetch: gap: {gap.sentence()}")
    if run.ready or run.result.gaps:
        run.result.placed = place(run.ready, data_dir, mirror, run.result.gaps)
    return run.result


def report(result: FetchResult, out=sys.stdout) -> None:
    for note in result.notes:
        print(f"  {note}", file=out)
    street_gaps = [g for g in result.gaps if g.kind == "street"]
    if street_gaps:
        print(f"{len(street_gaps)} force-month(s) not published by data.police.uk: left missing, not counted as "
              f"zero (recorded in {MANIFEST_NAME}; the report's data notes name them):", file=out)
        for gap in street_gaps:
            print(f"  {gap.sentence()}", file=out)
    other = [g for g in result.gaps if g.kind != "street"]
    if other:
        print(f"{len(other)} stop-and-search month(s) not published: " +
              ", ".join(f"{g.force} {g.month}" for g in other), file=out)
    if result.placed:
        # Police files come by the hundred: counted by folder; the others named.
        police = [p for p in result.placed if "-street.csv" in p or "-outcomes.csv" in p or "-stop-and-search" in p]
        print(f"fetched {len(result.placed)} file(s) (listed with their addresses in {MANIFEST_NAME}):", file=out)
        if police:
            print(f"  {len(police)} data.police.uk files in {Path(police[0]).parent.parent}", file=out)
        for path in result.placed:
            if path not in police:
                print(f"  {path}", file=out)
    elif not result.gaps:
        print("nothing to fetch: the data folder already holds what the run needs", file=out)


def report_plan(result: FetchResult, out=sys.stdout) -> None:
    """``fetch --plan``: every address, why, and any caution; nothing was downloaded."""
    for note in result.notes:
        print(f"  {note}", file=out)
    if not result.plan:
        print("nothing to fetch: the data folder already holds what the run needs", file=out)
        return
    print(f"fetch would ask for {len(result.plan)} address(es) (nothing was downloaded):", file=out)
    for request in result.plan:
        print(f"  {request.address}", file=out)
        print(f"      {request.why}", file=out)
        if request.caution:
            print(f"      {request.caution}", file=out)

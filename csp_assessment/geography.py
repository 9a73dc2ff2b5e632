"""Areas, wards and populations, from the processed ONS tables.

An assessment area is one or more local authorities: a local authority code names itself, a
Community Safety Partnership code names every authority in the partnership (Dartford and
Gravesham share one). Populations come with their source and year, so the reports can name
what stands behind every rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from . import store, successions
from .errors import ConfigError, InputError


# Where to download what the placement and the ward rates need, named in warnings and notes.
LOOKUP_DOWNLOAD = {
    "2021": "ONS Open Geography Portal, https://geoportal.statistics.gov.uk/ : 'LSOA (2021) to Electoral Ward (2024) "
            "to LAD (2024) Best Fit Lookup in EW' (CSV)",
    "2011": "ONS Open Geography Portal, https://geoportal.statistics.gov.uk/ : 'Lower Layer Super Output Area (2011) "
            "to Ward (2017) Lookup in England and Wales' (CSV)",
}
BRIDGE_DOWNLOAD = ("ONS Open Geography Portal, https://geoportal.statistics.gov.uk/ : 'LSOA (2011) to LSOA (2021) to "
                   "Local Authority District (2022) Exact Fit Lookup for EW' (CSV)")
POPULATION_DOWNLOAD = {
    "2021": "Census 2021 TS001 by LSOA from https://www.nomisweb.co.uk/sources/census_2021_bulk, or ONS 'Lower layer "
            "Super Output Area population estimates' (SAPE, LSOA 2021) from https://www.ons.gov.uk/",
    "2011": "the Census 2011 LSOA population, or ONS SAPE up to mid-2020, from https://www.ons.gov.uk/",
}


@dataclass(frozen=True)
class Area:
    name: str
    lad_codes: tuple[str, ...]
    partnership_code: str
    partnership_name: str


@dataclass(frozen=True)
class Population:
    value: int | None
    year: int | None  # the mid-year the value is for
    requested_year: int
    source: str  # e.g. "ONS mid-2016 population estimates (ukmidyearestimates2016.xls)"
    note: str  # plain-language caveat for the report, "" when none

    @property
    def available(self) -> bool:
        return self.value is not None and self.value > 0


def _current_names(names: dict[str, str], lad_vintage: str, population: pd.DataFrame | None) -> dict[str, str]:
    """Local authority names as the newest source in the data folder gives them: mid-year estimates
    later than the lookup's vintage know renamings it predates (E07000112, Shepway in the 2017
    lookup, has been Folkestone and Hythe since 2018). The codes, and so every figure, stay as they are."""
    if population is None or not str(lad_vintage).isdigit():
        return names
    newer = population[(population["mid_year"] > int(lad_vintage)) & population["area_code"].isin(list(names))
                       & (population["area_name"].str.strip() != "")]
    newest = newer.sort_values("mid_year", kind="stable").drop_duplicates("area_code", keep="last")
    return {**names, **dict(zip(newest["area_code"], newest["area_name"].str.strip()))}


# placed_by values, by position (Geography.place)
PLACED_BY = ("unplaced", "bridge", "lookup", "own lookup", "no location")


def in_set(values: pd.Series, members: set) -> np.ndarray:
    """``values.isin(members)`` as a boolean array (missing values are in no set), asking the set once
    per distinct value: pandas' isin on Arrow strings converts the whole of ``members`` to Arrow
    scalars one by one on every call, and a lookup of every LSOA in England has some 35,000."""
    codes, distinct = pd.factorize(np.asarray(values, dtype=object))
    found = np.fromiter((value in members for value in distinct), dtype=bool, count=len(distinct))
    return np.append(found, False)[codes]  # code -1 (missing): the appended False


class Geography:
    """Lookups and populations from data/processed.

    The data folder may hold lookups of several vintages (LSOA 2011 -> ward 2017, LSOA 2021 ->
    ward 2024, ...) and the ONS LSOA 2011 -> 2021 bridge. ``lsoa_lookup`` is the report's lookup:
    the one with the newest wards, so every ward figure of a report uses one ward vintage
    (``ward_vintage``). Police records are placed by :meth:`place`.
    """

    def __init__(self, processed_dir: Path):
        lookups = store.read_table(processed_dir, "lsoa_lookup")
        if "lsoa_vintage" not in lookups.columns:  # one lookup of unnamed vintage
            lookups = lookups.assign(lsoa_vintage="", ward_vintage="", lad_vintage="", source_file="")
        self.lookups = lookups
        vintage_columns = lookups[["ward_vintage", "lsoa_vintage", "lad_vintage"]].drop_duplicates()
        vintages = sorted(set(vintage_columns.itertuples(index=False, name=None)))
        self.ward_vintage, self.lsoa_vintage, lad_vintage = vintages[-1]
        report = ((lookups["ward_vintage"] == self.ward_vintage) & (lookups["lsoa_vintage"] == self.lsoa_vintage)
                  & (lookups["lad_vintage"] == lad_vintage))
        self.lsoa_lookup = lookups[report].reset_index(drop=True)
        self.lookup_file = str(self.lsoa_lookup["source_file"].iloc[0])
        # Each LSOA vintage's own lookup: the one with its newest wards.
        self.own_lookups: dict[str, pd.DataFrame] = {}
        for ward_v, lsoa_v, lad_v in vintages:
            self.own_lookups[lsoa_v] = lookups[(lookups["ward_vintage"] == ward_v) & (lookups["lsoa_vintage"] == lsoa_v)
                                               & (lookups["lad_vintage"] == lad_v)].reset_index(drop=True)
        self.bridge = store.read_table(processed_dir, "lsoa_bridge") if store.has_table(processed_dir, "lsoa_bridge") else None
        self.area_lookup = store.read_table(processed_dir, "area_lookup") if store.has_table(processed_dir, "area_lookup") else None
        self.population_la = (store.read_table(processed_dir, "population_la")
                              if store.has_table(processed_dir, "population_la") else None)
        self.population_lsoa = (store.read_table(processed_dir, "population_lsoa")
                                if store.has_table(processed_dir, "population_lsoa") else None)
        if self.population_lsoa is not None and "lsoa_vintage" not in self.population_lsoa.columns:
            self.population_lsoa = self.population_lsoa.assign(lsoa_vintage="")
        # Names from every lookup, the report's lookup last so its names win.
        names: dict[str, str] = {}
        for frame in [*self.own_lookups.values(), self.lsoa_lookup]:
            names.update(frame.drop_duplicates("lad_code").set_index("lad_code")["lad_name"].to_dict())
        self.la_names = _current_names(names, lad_vintage, self.population_la)
        self._translations: dict[tuple[str, str], dict[str, str]] = {}
        self._populations: dict[tuple[tuple[str, ...], int], Population] = {}

    @property
    def ward_vintage_label(self) -> str:
        """How the report names its wards, e.g. "wards as at 2024 (ONS LSOA 2021 to ward 2024 lookup)"."""
        if not self.ward_vintage:
            return f"wards of the ONS lookup {self.lookup_file}".strip()
        return (f"wards as at {self.ward_vintage} (ONS LSOA {self.lsoa_vintage} to ward {self.ward_vintage} lookup, "
                f"{self.lookup_file})")

    # ---- placing police records --------------------------------------------------------------
    def place(self, counts: pd.DataFrame) -> pd.DataFrame:
        """``counts`` (month, force, lsoa_code, records, ...) with where each row belongs.

        Added columns: own_vintage (the LSOA vintage of the row's file), report_lsoa (its LSOA
        in the report's vintage), ward_code, ward_name (report's wards), lad_code, placed_by:

        * "lookup": the LSOA is in the report's lookup as coded;
        * "bridge": reached the report's LSOA vintage through the ONS LSOA 2011 -> 2021 lookup
          (a split or redesigned LSOA goes to its best-fit successor: see :meth:`best_fit_rule`);
        * "own lookup": placed in its local authority by the lookup of its own vintage, but not in
          a report ward (the bridge is missing); an authority ONS has since replaced is carried to
          its successor of the report's lookup (:mod:`.successions`);
        * "unplaced": no lookup in the data folder knows the code;
        * "no location": the record has no LSOA.

        A file's vintage is the LSOA vintage whose codes it matches most (codes of unchanged LSOAs
        are the same in both), so counts never depend on the order files or lookups are listed.
        """
        out = counts.reset_index(drop=True)
        # Worked out once per distinct LSOA code (a few thousand) and spread to the rows (hundreds of
        # thousands) by position: no merge copying every column, no per-row string conversion.
        code_of, distinct = pd.factorize(out["lsoa_code"])  # -1: no LSOA
        distinct_codes = pd.Series(np.asarray(distinct, dtype=object))
        located = code_of >= 0
        own_vintage, vintage_of = self._file_vintages(out, code_of, distinct_codes)
        report_codes = self.lsoa_lookup["lsoa_code"]
        if not report_codes.is_unique:  # ingest refuses such a lookup; a merge would count its records twice
            raise InputError(f"the LSOA lookup {self.lookup_file} lists an LSOA more than once")
        report_index = pd.Index(report_codes)
        report_lsoa = np.full(len(out), pd.NA, dtype=object)
        report_at = np.full(len(out), -1, dtype="int64")  # the row of the report's lookup
        bridged_rows = np.zeros(len(out), dtype=bool)
        in_report = report_index.get_indexer(distinct_codes) >= 0
        for v, vintage in enumerate(vintage_of):
            rows = own_vintage == v
            if vintage == self.lsoa_vintage:
                bridged = np.zeros(len(distinct_codes), dtype=bool)
                target = distinct_codes.where(in_report).to_numpy(dtype=object)
            else:
                translated = distinct_codes.map(self._translation(vintage, self.lsoa_vintage))
                bridged = translated.notna().to_numpy()
                target = translated.where(bridged, distinct_codes.where(in_report)).to_numpy(dtype=object)
            codes_here = code_of[rows]
            report_lsoa[rows] = target[codes_here]
            report_at[rows] = report_index.get_indexer(target)[codes_here]
            bridged_rows[rows] = bridged[codes_here]
        placed_by = np.where(bridged_rows, 1, np.where(report_at >= 0, 2, 0))
        placed_by[~located] = 4
        out["own_vintage"] = (pd.Series(list(vintage_of)).array.take(own_vintage, allow_fill=True)
                              if len(vintage_of) else pd.Series(pd.NA, index=out.index, dtype="object"))
        out["report_lsoa"] = pd.Series(report_lsoa, index=out.index, dtype="object")
        out["placed_by"] = pd.Series(PLACED_BY).array.take(placed_by)
        for column in ("ward_code", "ward_name", "lad_code"):
            out[column] = self.lsoa_lookup[column].array.take(report_at, allow_fill=True)
        # Not in a report ward: the lookup of the record's own vintage still gives its authority.
        for vintage, lookup in self.own_lookups.items():
            rows = out["lad_code"].isna() & (out["own_vintage"] == vintage)
            if rows.any():
                lad = out.loc[rows, "lsoa_code"].map(lookup.set_index("lsoa_code")["lad_code"])
                out.loc[rows, "lad_code"] = lad
                out.loc[rows & out["lad_code"].notna(), "placed_by"] = "own lookup"
        # An authority of an older lookup that ONS has since replaced is counted in its successor
        # (Aylesbury Vale's 2020 records in Buckinghamshire), as the report's lookup would place them.
        own = out["placed_by"] == "own lookup"
        if own.any():
            report_lads = set(self.lsoa_lookup["lad_code"])
            forward = {c: successions.latest_code(c, report_lads) for c in out.loc[own, "lad_code"].unique()}
            forward = {old: new for old, new in forward.items() if new != old and new in report_lads}
            if forward:
                out.loc[own, "lad_code"] = out.loc[own, "lad_code"].replace(forward)
        return out

    def _file_vintages(self, out: pd.DataFrame, code_of: np.ndarray, distinct_codes: pd.Series
                       ) -> tuple[np.ndarray, list[str]]:
        """(each row's own vintage as a position in the list of vintages, -1 for none; that list).
        ``code_of``: each row's position in ``distinct_codes`` (-1 for no LSOA).

        A file's (month, force's) vintage is the one whose codes it matches most, counting each
        distinct code of the file once; a tie goes to the newest vintage. No vintage for a row
        without an LSOA, or with no month or force."""
        code_sets = self._code_sets
        own = np.full(len(out), -1, dtype="int64")
        located = code_of >= 0
        if not located.any() or not code_sets:
            return own, []
        order = sorted(code_sets, reverse=True)  # newest first: a tie goes to the newest vintage
        file_of = out.groupby(["month", "force"], sort=False).ngroup().fillna(-1).to_numpy(dtype="int64")  # -1: none
        counted = located & (file_of >= 0)
        files, codes = file_of[counted], code_of[counted].astype("int64")
        n_codes, n_files = len(distinct_codes), int(file_of.max()) + 1
        pairs = np.unique(files * n_codes + codes)  # each file's distinct codes, once
        pair_file, pair_code = pairs // n_codes, pairs % n_codes
        hits = np.column_stack([np.bincount(pair_file, weights=in_set(distinct_codes, code_sets[v])[pair_code],
                                            minlength=n_files) for v in order])
        vintage_of_file = np.where(np.bincount(pair_file, minlength=n_files) > 0, hits.argmax(axis=1), -1)
        own[counted] = vintage_of_file[files]
        return own, order

    @cached_property
    def _code_sets(self) -> dict[str, set[str]]:
        sets = {v: set(lookup["lsoa_code"]) for v, lookup in self.own_lookups.items()}
        if self.bridge is not None:
            sets.setdefault("2011", set()).update(self.bridge["lsoa11_code"])
            sets.setdefault("2021", set()).update(self.bridge["lsoa21_code"])
        return sets

    def _translation(self, from_vintage: str, to_vintage: str) -> dict[str, str]:
        """LSOA code of ``from_vintage`` -> its best-fit LSOA of ``to_vintage``, through the bridge
        (worked out once per Geography: a section places several tables)."""
        key = (from_vintage, to_vintage)
        if key not in self._translations:
            self._translations[key] = self._best_fit(from_vintage, to_vintage)
        return self._translations[key]

    def _best_fit(self, from_vintage: str, to_vintage: str) -> dict[str, str]:
        if self.bridge is None or {from_vintage, to_vintage} != {"2011", "2021"}:
            return {}
        source, target = f"lsoa{from_vintage[2:]}_code", f"lsoa{to_vintage[2:]}_code"
        pairs = self.bridge[[source, target]].drop_duplicates()
        population = self._latest_lsoa_population(to_vintage)
        pairs = pairs.assign(_people=pairs[target].map(population).fillna(-1))
        best = pairs.sort_values([source, "_people", target], ascending=[True, False, True]).drop_duplicates(source)
        return dict(zip(best[source], best[target]))

    def _latest_lsoa_population(self, vintage: str) -> pd.Series:
        if self.population_lsoa is None:
            return pd.Series(dtype="float64")
        of_vintage = self.population_lsoa[self.population_lsoa["lsoa_vintage"] == vintage]
        if of_vintage.empty:
            return pd.Series(dtype="float64")
        latest = of_vintage[of_vintage["year"] == of_vintage["year"].max()]
        return latest.drop_duplicates("lsoa_code").set_index("lsoa_code")["population"].astype("float64")

    def best_fit_rule(self, vintage: str | None = None) -> str:
        """How a split or redesigned LSOA's records are given to one successor, for the notes."""
        vintage = vintage or self.lsoa_vintage
        if not self._latest_lsoa_population(vintage).empty:
            return (f"records of an LSOA that ONS split into several LSOA {vintage} areas are placed in the most "
                    f"populous of them (best fit, by the small-area population in the data folder)")
        return (f"records of an LSOA that ONS split into several LSOA {vintage} areas are placed in the first of "
                "them by code (best fit without a small-area population of that vintage)")

    def split_codes(self, codes: pd.Series, from_vintage: str) -> set[str]:
        """Those of ``codes`` (of ``from_vintage``) that map to several LSOAs of the other vintage."""
        if self.bridge is None or from_vintage not in ("2011", "2021"):
            return set()
        source = f"lsoa{from_vintage[2:]}_code"
        target = "lsoa21_code" if source == "lsoa11_code" else "lsoa11_code"
        fan_out = self.bridge.groupby(source)[target].nunique()
        return set(codes[codes.isin(fan_out[fan_out > 1].index)])

    def resolve(self, codes: tuple[str, ...] | list[str], present: set[str] | None = None) -> Area:
        """An Area for local authority and/or partnership ``codes``.

        A code of an authority ONS has since replaced, or of one made since the lookups were
        published, is read through :mod:`.successions`: Buckinghamshire (E06000060) over LSOA 2011
        lookups is its four districts; Aylesbury Vale (E07000004) over today's lookups is refused,
        naming Buckinghamshire, because its records are counted there. ``present`` (local
        authority codes that have data) only improves the error message.
        """
        report_lads = set(self.lsoa_lookup["lad_code"])
        known = report_lads | set(self.la_names)
        lad_codes: list[str] = []
        names: list[str] = []
        partnership_code = partnership_name = ""
        for code in codes:
            replaced = self._replaced_in_report(code, report_lads)
            if replaced:
                raise ConfigError(replaced)
            if code in known:
                lad_codes.append(code)
                names.append(self.la_names.get(code) or successions.name_of(code))
                continue
            made_of = successions.composed(code, report_lads) or successions.composed(code, known)
            if made_of:
                lad_codes.extend(made_of)
                names.append(successions.name_of(code))
                continue
            if self.area_lookup is not None:
                members = self.area_lookup[self.area_lookup["csp_code"] == code]
                if len(members):
                    self._require_whole_authorities(code, members)
                    # The partnership lookup may be of another year than the LSOA lookups.
                    lad_codes.extend(c for lad in members["lad_code"]
                                     for c in (successions.codes_in(lad, report_lads)
                                               or successions.codes_in(lad, known) or [lad]))
                    partnership_code, partnership_name = code, members["csp_name"].iloc[0]
                    continue
            raise ConfigError(self._unknown_area_message(code, present))
        lad_codes = sorted(dict.fromkeys(lad_codes))
        name = partnership_name or " and ".join(dict.fromkeys(names))
        if not partnership_code and self.area_lookup is not None and len(lad_codes) == 1:
            row = self.area_lookup[self.area_lookup["lad_code"] == lad_codes[0]]
            if len(row) == 1:  # an authority holding several partnerships (East Suffolk) names none
                partnership_code, partnership_name = row["csp_code"].iloc[0], row["csp_name"].iloc[0]
        return Area(name, tuple(lad_codes), partnership_code, partnership_name)

    @staticmethod
    def _replaced_in_report(code: str, report_lads: set[str]) -> str:
        """Why ``code`` cannot be an area of this run ("" if it can): ONS replaced it by an
        authority of the report's lookup, where its records are now placed."""
        if code in report_lads:
            return ""
        newer = successions.latest_code(code, report_lads)
        if newer == code or newer not in report_lads:
            return ""
        ended = successions.successor(code)
        return (f"area {code} {ended.old_name} is no longer a local authority: on {ended.from_date} it became part "
                f"of {ended.new_code} {ended.new_name}" + (f" (now {newer})" if newer != ended.new_code else "") +
                f". The data folder's newest LSOA lookup places its records in {newer}: run --area {newer}")

    def _require_whole_authorities(self, code: str, members: pd.DataFrame) -> None:
        """A partnership that is only part of an authority cannot be counted: police records are
        placed in local authorities, not in parts of them."""
        for lad in members["lad_code"]:
            partnerships = self.area_lookup[self.area_lookup["lad_code"] == lad].drop_duplicates("csp_code")
            if len(partnerships) > 1:
                listing = ", ".join(f"{r.csp_code} {r.csp_name}" for r in partnerships.itertuples())
                raise ConfigError(
                    f"partnership {code} {members['csp_name'].iloc[0]} covers only part of {lad} "
                    f"{self.la_names.get(lad, '')}, which the ONS lookup divides between {len(partnerships)} "
                    f"partnerships ({listing}); police records are placed by local authority, so run the whole "
                    f"authority: --area {lad}")

    def _unknown_area_message(self, code: str, present: set[str] | None) -> str:
        names = self.la_names
        candidates = sorted(present) if present else sorted(names)
        listing = ", ".join(f"{c} {names.get(c, '')}".strip() for c in candidates[:40])
        more = f" (and {len(candidates) - 40} more)" if len(candidates) > 40 else ""
        partnerships = ""
        if self.area_lookup is not None and present:
            csps = self.area_lookup[self.area_lookup["lad_code"].isin(present)].drop_duplicates("csp_code")
            partnerships = "; partnerships: " + ", ".join(f"{r.csp_code} {r.csp_name}" for r in csps.itertuples())
        return (f"area '{code}' is not a local authority or Community Safety Partnership in the ONS lookups. "
                f"Areas with data: {listing}{more}{partnerships}")

    def la_population(self, lad_codes: tuple[str, ...], year: int) -> Population:
        """:meth:`_la_population`, worked out once per authorities and year: a section asks for each
        peer's population for every crime type."""
        key = (tuple(lad_codes), year)
        if key not in self._populations:
            self._populations[key] = self._la_population(key[0], year)
        return self._populations[key]

    @cached_property
    def _estimated_areas(self) -> dict[int, set[str]]:
        """Mid-year -> the area codes its estimates hold."""
        return {int(y): set(rows["area_code"]) for y, rows in self.population_la.groupby("mid_year")}

    def _la_population(self, lad_codes: tuple[str, ...], year: int) -> Population:
        """Mid-year population of the local authorities together, for ``year`` or the latest earlier one.

        An authority made after the estimates were published (Buckinghamshire in a mid-2018 release)
        is the sum of the authorities it was made from (:func:`.successions.composed`)."""
        if self.population_la is None:
            return Population(None, None, year, "", "No ONS mid-year population estimates were found in the "
                              "data folder, so rates per 1,000 residents cannot be given.")
        by_year = {}  # mid-year -> the codes standing for lad_codes that year (None: not covered)
        for y, held in self._estimated_areas.items():
            parts = [successions.composed(code, held) for code in lad_codes]
            by_year[y] = None if any(p is None for p in parts) else sorted(c for p in parts for c in p)
        # Only years with a figure for every authority of the area can be summed.
        complete_years = sorted(y for y, codes in by_year.items() if codes is not None)
        usable = [y for y in complete_years if y <= year]
        if not usable:
            held = f" (estimates held: mid-{complete_years[0]} to mid-{complete_years[-1]})" if complete_years else ""
            return Population(None, None, year, "", f"No ONS mid-year population estimate for mid-{year} or earlier "
                              f"covers this area{held}, so rates per 1,000 residents cannot be given.")
        used = usable[-1]
        in_year = self.population_la[(self.population_la["mid_year"] == used)
                                     & self.population_la["area_code"].isin(by_year[used])]
        sources = ", ".join(sorted(set(in_year["source_file"])))
        note = "" if used == year else (f"No mid-{year} estimate was in the data folder; the latest earlier "
                                        f"one, mid-{used}, is used for rates.")
        summed = sorted(set(by_year[used]) - set(lad_codes))
        if summed:
            note = (note + " " if note else "") + (
                f"The mid-{used} estimates predate a local government reorganisation: the population is the sum of "
                f"the authorities it replaced ({', '.join(f'{c} {successions.name_of(c)}' for c in summed)}).")
        return Population(int(in_year["population"].sum()), int(used), year,
                          f"ONS mid-{used} population estimates ({sources})", note)

    def ward_population(self, lad_codes: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
        """Population per ward (summed from LSOAs) and a sentence naming its source and year."""
        wards = self.lsoa_lookup[self.lsoa_lookup["lad_code"].isin(lad_codes)]
        if self.population_lsoa is None or self.population_lsoa.empty:
            return (wards.drop_duplicates("ward_code")[["ward_code", "ward_name"]].assign(population=pd.NA),
                    "No small-area population was found in the data folder, so ward rates cannot be given.")
        # Ward rates sum LSOAs of the ward lookup's own vintage: a 2011 population on 2021 LSOAs
        # would leave split and merged LSOAs out, so it is not used.
        same_vintage = self.population_lsoa["lsoa_vintage"].isin([self.lsoa_vintage, ""])
        if self.lsoa_vintage and not same_vintage.any():
            held = ", ".join(sorted(set(self.population_lsoa["lsoa_vintage"])))
            return (wards.drop_duplicates("ward_code")[["ward_code", "ward_name"]].assign(population=pd.NA),
                    f"Ward rates cannot be given: the wards come from an LSOA {self.lsoa_vintage} lookup, and the data "
                    f"folder holds small-area population for LSOA {held} only. Add a population by LSOA "
                    f"{self.lsoa_vintage} ({POPULATION_DOWNLOAD.get(self.lsoa_vintage, 'ONS small area population')}).")
        lsoa_pop = self.population_lsoa[same_vintage & self.population_lsoa["lsoa_code"].isin(wards["lsoa_code"])]
        # Several sources may be present: use the latest year that covers the area's LSOAs.
        best = lsoa_pop.groupby(["year", "source"])["lsoa_code"].nunique().reset_index().sort_values(["lsoa_code", "year"])
        if best.empty:
            return (wards.drop_duplicates("ward_code")[["ward_code", "ward_name"]].assign(population=pd.NA),
                    "The small-area population in the data folder does not cover this area's LSOAs.")
        year, source = best.iloc[-1][["year", "source"]]
        chosen = lsoa_pop[(lsoa_pop["year"] == year) & (lsoa_pop["source"] == source)]
        merged = wards.merge(chosen[["lsoa_code", "population"]], on="lsoa_code", how="left")
        missing = int(merged["population"].isna().sum())
        table = (merged.groupby(["ward_code", "ward_name"], as_index=False)["population"]
                 .sum(min_count=1).astype({"population": "Int64"}))
        vintage = f" on LSOA {self.lsoa_vintage} boundaries" if self.lsoa_vintage else ""
        note = f"Ward rates use {source} ({int(year)}){vintage}, summed from LSOAs to wards."
        if missing:
            note += (f" {missing} {'LSOA' if missing == 1 else 'LSOAs'} of the area {'has' if missing == 1 else 'have'} "
                     "no population figure; their wards' rates are understated.")
        return table, note


class UnplacedRecordsError(InputError):
    """Too many of an area's police records cannot be placed: the headline would be wrong."""


@dataclass
class PlacementReport:
    """How completely an area's police records were placed, over the months its headline uses."""

    months: tuple[str, ...]
    candidates: int  # the area's records plus the records no lookup could place, in the same files
    unplaced: int
    whole_months: list[str]  # months with records in the area's files but none placed in the area
    own_lookup_only: int  # in the area, but in no report ward (bridge missing)
    bridged: int  # reached the report's LSOA vintage through the bridge
    split: int  # of those, records of split or redesigned LSOAs, given to a best-fit successor
    remedy: str  # which lookup or bridge to download
    examples: list[str]  # a few codes no lookup knows

    @property
    def unplaced_pct(self) -> float:
        return 100.0 * self.unplaced / self.candidates if self.candidates else 0.0

    def is_loud(self, warn_pct: float) -> bool:
        return bool(self.whole_months) or self.unplaced_pct > warn_pct

    def warning(self) -> str:
        """The sentence for the headline and the run log."""
        months = ""
        if self.whole_months:
            listing = ", ".join(pd.Period(m, "M").strftime("%b %y") for m in self.whole_months)
            months = f" No record at all could be placed for {listing}."
        # The words agree with the counts: "1 of 1 record ... carries an LSOA code ... it is missing".
        records = "record" if self.candidates == 1 else "records"
        carry, they, them = (("carries an LSOA code", "it is", "it") if self.unplaced == 1
                             else ("carry LSOA codes", "they are", "them"))
        return (f"Partial count: {self.unplaced:,} of {self.candidates:,} {records} ({self.unplaced_pct:.1f}%) in the "
                f"police files for this area {carry} (e.g. {', '.join(self.examples)}) that no lookup in the "
                f"data folder can place, so {they} missing from these figures.{months} To place {them}, add "
                f"{self.remedy}.")


def placement_report(geo: Geography, placed: pd.DataFrame, lad_codes: tuple[str, ...],
                     months: list[str]) -> PlacementReport:
    """Placement of the area's records in ``months``: ``placed`` is :meth:`Geography.place`'s output
    for every record of the files (crime and ASB, or one of them)."""
    window = placed[placed["month"].isin(months)]
    in_area = window["lad_code"].isin(lad_codes)
    forces = set(window.loc[in_area, "force"].unique())
    unplaced_rows = window["force"].isin(forces) & (window["placed_by"] == "unplaced")
    area_by_month = window[in_area].groupby("month")["records"].sum()
    unplaced_by_month = window[unplaced_rows].groupby("month")["records"].sum()
    whole = sorted(m for m, n in unplaced_by_month.items() if n > 0 and area_by_month.get(m, 0) == 0)
    area = window[in_area]
    bridged = area[area["placed_by"] == "bridge"]
    split = 0
    for vintage in bridged["own_vintage"].dropna().unique():
        of_vintage = bridged[bridged["own_vintage"] == vintage]
        split += int(of_vintage.loc[of_vintage["lsoa_code"].isin(geo.split_codes(of_vintage["lsoa_code"], vintage)),
                                    "records"].sum())
    unknown = window[unplaced_rows]
    return PlacementReport(
        months=tuple(months),
        candidates=int(area["records"].sum() + unknown["records"].sum()),
        unplaced=int(unknown["records"].sum()),
        whole_months=whole,
        own_lookup_only=int(area.loc[area["placed_by"] == "own lookup", "records"].sum()),
        bridged=int(bridged["records"].sum()),
        split=split,
        remedy=_remedy(geo, unknown),
        examples=sorted(unknown["lsoa_code"].unique())[:3],
    )


def _remedy(geo: Geography, unknown: pd.DataFrame) -> str:
    """Which file would place ``unknown`` records: the lookup of the LSOA vintage the folder lacks
    (data.police.uk moved from LSOA 2011 to LSOA 2021 codes), the bridge, or a newer lookup."""
    missing = [v for v in ("2021", "2011") if v not in geo.own_lookups]
    wanted = [f"the ONS LSOA {v} to ward to local authority lookup ({LOOKUP_DOWNLOAD[v]})" for v in missing]
    if geo.bridge is None and missing:
        wanted.append(f"the ONS LSOA 2011 to LSOA 2021 lookup ({BRIDGE_DOWNLOAD})")
    if not wanted:
        wanted.append(f"a newer ONS LSOA to ward to local authority lookup ({LOOKUP_DOWNLOAD['2021']}): the codes are "
                      "in no lookup of the data folder")
    return "; or ".join(wanted)


def check_placement(report: PlacementReport, warn_pct: float, stop_pct: float, data_dir: Path | str,
                    area_name: str) -> list[str]:
    """Warnings for the run log; stops the run (UnplacedRecordsError) above ``stop_pct``."""
    if report.unplaced_pct > stop_pct:
        raise UnplacedRecordsError(data_dir, f"{area_name}: {report.warning()} The run stops because more than "
                                             f"{stop_pct:g}% of the area's records cannot be placed (unplaced_records: "
                                             "stop_pct in params).")
    return [f"{area_name}: {report.warning()}"] if report.is_loud(warn_pct) else []


def partnerships_of(force: str, lookup: pd.DataFrame) -> list[str]:
    """CSP codes of a police force area named as people name it ('Kent', 'Kent Police', 'kent'),
    as a run's ``--area Kent`` reads it."""
    def plain(name: str) -> str:
        name = name.lower().strip()
        for suffix in (" police service", " constabulary", " police"):
            name = name.removesuffix(suffix)
        return name

    members = lookup[lookup["pfa_name"].map(plain) == plain(force)]
    if members.empty:
        raise ConfigError(f"'{force}' is neither an ONS area code nor a police force area in the lookup; forces: "
                          f"{', '.join(sorted(lookup['pfa_name'].unique()))}")
    return sorted(members["csp_code"].unique())


# ---- boundaries: the processed table's shapes, and points placed in them ------------------------


def to_geoframe(table: pd.DataFrame):
    """The processed boundaries table (geometry as WKB) as a GeoDataFrame in British National Grid."""
    import geopandas as gpd  # here: geopandas and shapely take seconds to import; a run without maps needs neither
    import shapely

    return gpd.GeoDataFrame(table.drop(columns="geometry"), geometry=shapely.from_wkb(table["geometry"].to_numpy()),
                            crs="EPSG:27700")


def place_by_boundaries(searches: pd.DataFrame, boundaries: pd.DataFrame | None) -> pd.DataFrame:
    """Searches with a point but no LSOA yet, placed in the LSOA boundary that contains the point
    (placed_by "boundary"); those still without an LSOA are "unplaced" (or "no location")."""
    out = searches.copy()
    todo = out["lsoa_code"].isna() & out["latitude"].notna()
    if todo.any() and boundaries is not None and not boundaries.empty:
        import geopandas as gpd  # here: geopandas takes seconds to import, and only maps and this need it

        lsoas = boundaries[boundaries["level"] == "lsoa"]
        if not lsoas.empty:
            shapes = to_geoframe(lsoas)[["code", "vintage", "geometry"]]
            points = gpd.GeoDataFrame(index=out.index[todo], geometry=gpd.points_from_xy(
                out.loc[todo, "longitude"], out.loc[todo, "latitude"]), crs="EPSG:4326").to_crs(shapes.crs)
            hits = gpd.sjoin(points, shapes, how="inner", predicate="within")
            # A point on a shared edge, or in two vintages' shapes: the newest vintage, then the first code.
            hits = hits.sort_values(["vintage", "code"], ascending=[False, True])
            hits = hits[~hits.index.duplicated(keep="first")]
            out.loc[hits.index, "lsoa_code"] = hits["code"]
            out.loc[hits.index, "placed_by"] = "boundary"
    out.loc[out["lsoa_code"].isna() & out["latitude"].notna(), "placed_by"] = "unplaced"
    out.loc[out["lsoa_code"].isna() & out["latitude"].isna(), "placed_by"] = "no location"
    return out

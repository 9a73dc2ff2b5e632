"""Areas, wards and populations, from the processed ONS tables.

An assessment area is one or more local authorities: a local authority code names itself, a
Community Safety Partnership code names every authority in the partnership (Dartford and
Gravesham share one). Populations come with their source and year, so the reports can name
what stands behind every rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import store
from .errors import ConfigError


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


class Geography:
    """Lookups and populations from data/processed."""

    def __init__(self, processed_dir: Path):
        self.lsoa_lookup = store.read_table(processed_dir, "lsoa_lookup")
        self.area_lookup = store.read_table(processed_dir, "area_lookup") if store.has_table(processed_dir, "area_lookup") else None
        self.population_la = (store.read_table(processed_dir, "population_la")
                              if store.has_table(processed_dir, "population_la") else None)
        self.population_lsoa = (store.read_table(processed_dir, "population_lsoa")
                                if store.has_table(processed_dir, "population_lsoa") else None)
        self.la_names = (self.lsoa_lookup.drop_duplicates("lad_code").set_index("lad_code")["lad_name"].to_dict())

    def resolve(self, codes: tuple[str, ...] | list[str], present: set[str] | None = None) -> Area:
        """An Area for local authority and/or partnership ``codes``.

        ``present`` (local authority codes that have data) only improves the error message.
        """
        lad_codes: list[str] = []
        partnership_code = partnership_name = ""
        for code in codes:
            if code in self.la_names:
                lad_codes.append(code)
                continue
            if self.area_lookup is not None:
                members = self.area_lookup[self.area_lookup["csp_code"] == code]
                if len(members):
                    lad_codes.extend(members["lad_code"])
                    partnership_code, partnership_name = code, members["csp_name"].iloc[0]
                    continue
            raise ConfigError(self._unknown_area_message(code, present))
        lad_codes = sorted(dict.fromkeys(lad_codes))
        name = partnership_name or " and ".join(self.la_names[c] for c in lad_codes)
        if not partnership_code and self.area_lookup is not None and len(lad_codes) == 1:
            row = self.area_lookup[self.area_lookup["lad_code"] == lad_codes[0]]
            if len(row):
                partnership_code, partnership_name = row["csp_code"].iloc[0], row["csp_name"].iloc[0]
        return Area(name, tuple(lad_codes), partnership_code, partnership_name)

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
        """Mid-year population of the local authorities together, for ``year`` or the latest earlier one."""
        if self.population_la is None:
            return Population(None, None, year, "", "No ONS mid-year population estimates were found in the "
                              "data folder, so rates per 1,000 residents cannot be given.")
        rows = self.population_la[self.population_la["area_code"].isin(lad_codes)]
        # Only years with a figure for every authority of the area can be summed.
        complete_years = sorted(y for y, g in rows.groupby("mid_year") if set(g["area_code"]) >= set(lad_codes))
        usable = [y for y in complete_years if y <= year]
        if not usable:
            held = f" (estimates held: mid-{complete_years[0]} to mid-{complete_years[-1]})" if complete_years else ""
            return Population(None, None, year, "", f"No ONS mid-year population estimate for mid-{year} or earlier "
                              f"covers this area{held}, so rates per 1,000 residents cannot be given.")
        used = usable[-1]
        in_year = rows[rows["mid_year"] == used]
        sources = ", ".join(sorted(set(in_year["source_file"])))
        note = "" if used == year else (f"No mid-{year} estimate was in the data folder; the latest earlier "
                                        f"one, mid-{used}, is used for rates.")
        return Population(int(in_year["population"].sum()), int(used), year,
                          f"ONS mid-{used} population estimates ({sources})", note)

    def ward_population(self, lad_codes: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
        """Population per ward (summed from LSOAs) and a sentence naming its source and year."""
        wards = self.lsoa_lookup[self.lsoa_lookup["lad_code"].isin(lad_codes)]
        if self.population_lsoa is None or self.population_lsoa.empty:
            return (wards.drop_duplicates("ward_code")[["ward_code", "ward_name"]].assign(population=pd.NA),
                    "No small-area population was found in the data folder, so ward rates cannot be given.")
        lsoa_pop = self.population_lsoa[self.population_lsoa["lsoa_code"].isin(wards["lsoa_code"])]
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
        note = f"Ward rates use {source} ({int(year)}), summed from LSOAs to wards."
        if missing:
            note += f" {missing} LSOA(s) of the area have no population figure; their wards' rates are understated."
        return table, note

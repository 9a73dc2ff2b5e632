"""Crime and ASB by deprivation: the English Indices of Deprivation (IMD) joined to the area's LSOAs.

Pure functions on tables, so every figure can be checked by hand:

* :func:`deciles_of_report_lsoas`: the IMD rank and national decile of each LSOA of the report's
  vintage. The IoD2019 ranks LSOA 2011 areas; police records since 2022 carry LSOA 2021 codes, so
  a 2021 LSOA gets its decile through the ONS LSOA 2011 -> 2021 bridge:

  - unchanged (U) or split (S): the decile of the one 2011 LSOA it came from (every part of a
    split LSOA inherits its decile);
  - merged (M) or redesigned (X): the mean of the ranks of the 2011 LSOAs it draws from, put in
    the national decile whose rank band holds it (the bands are read from the file itself);

* :func:`lsoa_population`: each LSOA's population, from the small-area estimates of the same
  vintage, of the year nearest the period among those that cover the most of the area's LSOAs
  (LSOA 2021 estimates for mid-2021 onwards; Census 2011 or the mid-2012 to mid-2020 estimates
  on LSOA 2011);
* :func:`scale_to_totals`: those populations scaled so that each local authority's LSOAs add up
  to the mid-year estimate the headline rate uses, so that the rates by decile and the headline
  rate have one population basis (a Census 2011 population against 2022 records runs about 6%
  high in Medway: more people now live there than in 2011);
* :func:`rates_by_decile`: records, residents and the rate per 1,000 residents in the area's
  LSOAs of each national decile, with 95% intervals as OHID computes them (intervals.py);
* :func:`most_deprived_share`: the share of the area's records in its LSOAs among England's most
  deprived 10% (national decile 1), with its Wilson interval, beside those LSOAs' share of residents.

Deciles are national: decile 1 is the most deprived 10% of LSOAs in England, not of the area.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .intervals import poisson_method, poisson_rate_interval, wilson_interval

DECILES = tuple(range(1, 11))
MOST_DEPRIVED = 1
AS_PUBLISHED, INHERITED, MEAN_RANK = "as published", "from the one LSOA it came from", "mean rank of its parts"
SAME_CODE = "same code in both vintages"


def rank_bands(imd: pd.DataFrame) -> pd.Series:
    """The highest rank in each national decile (decile -> rank), from the file itself."""
    return imd.groupby("imd_decile")["imd_rank"].max().sort_index()


def decile_of_rank(rank: float, bands: pd.Series) -> int:
    """The national decile whose rank band holds ``rank`` (a mean rank may fall between two LSOAs)."""
    for decile, highest in bands.items():
        if rank <= highest + 0.5:
            return int(decile)
    return int(bands.index[-1])


def deciles_of_report_lsoas(imd: pd.DataFrame, report_vintage: str, lsoa_codes,
                            bridge: pd.DataFrame | None = None) -> pd.DataFrame:
    """IMD rank and decile of each of ``lsoa_codes`` (of ``report_vintage``).

    ``imd``: lsoa_code, lsoa_vintage, imd_rank, imd_decile (one edition). ``bridge``: lsoa11_code,
    lsoa21_code, change (ONS), needed when the vintages differ. Returns one row per code that
    could be given a decile: lsoa_code, imd_rank (float), imd_decile (int), how (AS_PUBLISHED,
    INHERITED or MEAN_RANK), parts (how many IMD LSOAs it draws from). Codes the IMD file (or the
    bridge) does not know are left out: the caller counts them.

    Without the bridge, only codes the IMD file holds as they are get a decile (SAME_CODE): ONS kept
    the codes of unchanged LSOAs and gave split, merged and redesigned ones new codes, so a code
    found in both vintages is the same area; the others are left out.
    """
    codes = pd.Index(pd.unique(pd.Series(list(lsoa_codes), dtype="object").dropna()))
    columns = ["lsoa_code", "imd_rank", "imd_decile", "how", "parts"]
    imd_vintage = str(imd["lsoa_vintage"].iloc[0]) if len(imd) else ""
    indexed = imd.drop_duplicates("lsoa_code").set_index("lsoa_code")
    if not report_vintage or imd_vintage == report_vintage:
        known = indexed.reindex(codes).dropna(subset=["imd_rank"])
        return pd.DataFrame({"lsoa_code": known.index, "imd_rank": known["imd_rank"].astype("float64").to_numpy(),
                             "imd_decile": known["imd_decile"].astype("int64").to_numpy(), "how": AS_PUBLISHED,
                             "parts": 1})[columns]
    if bridge is None or {imd_vintage, report_vintage} != {"2011", "2021"}:
        known = indexed.reindex(codes).dropna(subset=["imd_rank"])
        return pd.DataFrame({"lsoa_code": known.index, "imd_rank": known["imd_rank"].astype("float64").to_numpy(),
                             "imd_decile": known["imd_decile"].astype("int64").to_numpy(), "how": SAME_CODE,
                             "parts": 1})[columns]
    source, target = f"lsoa{imd_vintage[2:]}_code", f"lsoa{report_vintage[2:]}_code"
    pairs = bridge.loc[bridge[target].isin(codes), [target, source]].drop_duplicates()
    pairs = pairs.assign(imd_rank=pairs[source].map(indexed["imd_rank"]),
                         imd_decile=pairs[source].map(indexed["imd_decile"])).dropna(subset=["imd_rank"])
    bands = rank_bands(imd)
    rows = []
    for code, parts in pairs.groupby(target, sort=True):
        if len(parts) == 1:
            rows.append((code, float(parts["imd_rank"].iloc[0]), int(parts["imd_decile"].iloc[0]), INHERITED, 1))
        else:
            rank = float(parts["imd_rank"].mean())
            rows.append((code, rank, decile_of_rank(rank, bands), MEAN_RANK, len(parts)))
    return pd.DataFrame(rows, columns=columns)


def lsoa_population(population_lsoa: pd.DataFrame | None, lsoa_codes, vintage: str,
                    year: int | None = None) -> tuple[pd.Series, str]:
    """Population of each of ``lsoa_codes`` (Series code -> people) and a sentence naming its source.

    Uses the small-area estimates of the LSOAs' own vintage only (a 2011 population on 2021 LSOAs
    would leave split and merged LSOAs out); of several sources and years, among those covering the
    most of the LSOAs, the year nearest ``year`` (the later of two equally near), else the latest."""
    codes = set(lsoa_codes)
    if population_lsoa is None or population_lsoa.empty:
        return pd.Series(dtype="float64"), "no small-area (LSOA) population was found in the data folder"
    pop = population_lsoa
    if "lsoa_vintage" in pop.columns and vintage:
        pop = pop[pop["lsoa_vintage"].isin([vintage, ""])]
    pop = pop[pop["lsoa_code"].isin(codes)]
    if pop.empty:
        return (pd.Series(dtype="float64"),
                f"the small-area population in the data folder does not cover the area's LSOA {vintage} codes")
    covered = pop.groupby(["year", "source"])["lsoa_code"].nunique().reset_index()
    covered = covered[covered["lsoa_code"] == covered["lsoa_code"].max()]
    distance = -(covered["year"] - year).abs() if year is not None else 0
    best = covered.assign(nearness=distance).sort_values(["nearness", "year"]).iloc[-1]
    chosen = pop[(pop["year"] == best["year"]) & (pop["source"] == best["source"])]
    series = chosen.drop_duplicates("lsoa_code").set_index("lsoa_code")["population"].astype("float64")
    return series, f"{best['source']} ({int(best['year'])})"


def scale_to_totals(population: pd.Series, lad_of: pd.Series, totals: dict[str, float]
                    ) -> tuple[pd.Series, dict[str, float]]:
    """Each LSOA's population times its local authority's total over the sum of the authority's
    LSOAs, so the LSOAs of each authority add up to ``totals`` (the mid-year estimates the headline
    rate uses). An authority is scaled only when it has a total and every one of its LSOAs in
    ``lad_of`` has a population; the others are left as they are.

    ``population``: LSOA code -> people; ``lad_of``: LSOA code -> local authority code (the area's
    LSOAs); ``totals``: local authority code -> people. Returns (the scaled populations, the factor
    of each authority scaled)."""
    scaled = population.astype("float64").copy()
    factors = {}
    for lad, codes in lad_of.groupby(lad_of).groups.items():
        people = population.reindex(codes)
        total = totals.get(lad)
        if not total or people.isna().any() or not people.sum():
            continue
        factors[lad] = float(total) / float(people.sum())
        scaled.loc[people.index] = people * factors[lad]
    return scaled, factors


def rates_by_decile(records: pd.Series, deciles: pd.DataFrame, population: pd.Series, per: float = 1000) -> pd.DataFrame:
    """Records and rate per ``per`` residents in the area's LSOAs of each national IMD decile.

    ``records``: records per LSOA (code -> count; LSOAs without records may be absent).
    ``deciles``: lsoa_code, imd_decile for every LSOA of the area that has one (the area's LSOAs).
    ``population``: LSOA code -> residents.

    One row per decile 1-10: decile, lsoas, population (Int64, missing when any of the decile's
    LSOAs has no population), records (int), share_pct (of the records placed in a decile), per_1000,
    lower, upper (95%; exact Poisson below 10 records, Byar from 10), interval (method name).
    A decile with no LSOA in the area has lsoas 0 and no rate.
    """
    frame = deciles[["lsoa_code", "imd_decile"]].copy()
    frame["records"] = frame["lsoa_code"].map(records).fillna(0).astype("int64")
    frame["population"] = frame["lsoa_code"].map(population)
    total = int(frame["records"].sum())
    rows = []
    for decile in DECILES:
        part = frame[frame["imd_decile"] == decile]
        count = int(part["records"].sum())
        people = float(part["population"].sum()) if len(part) and part["population"].notna().all() else math.nan
        if len(part) and people > 0:
            value = per * count / people
            lower, upper = poisson_rate_interval(count, people, per)
            how = poisson_method(count)
        else:
            value = lower = upper = math.nan
            how = ""
        rows.append({"decile": decile, "lsoas": len(part), "population": people, "records": count,
                     "share_pct": 100 * count / total if total else math.nan,
                     "per_1000": value, "lower": lower, "upper": upper, "interval": how})
    table = pd.DataFrame(rows)
    table["population"] = table["population"].round().astype("Int64")
    return table


@dataclass(frozen=True)
class MostDeprivedShare:
    """The area's records in its LSOAs among England's most deprived 10% (national decile 1)."""

    records: int  # in decile-1 LSOAs
    total: int  # in all the area's LSOAs with a decile
    lsoas: int  # decile-1 LSOAs in the area
    all_lsoas: int
    population: float  # residents of the decile-1 LSOAs (NaN when unknown)
    all_population: float

    @property
    def share_pct(self) -> float:
        return 100 * self.records / self.total if self.total else math.nan

    @property
    def interval_pct(self) -> tuple[float, float]:
        """95% Wilson interval of the share, in per cent."""
        if not self.total:
            return math.nan, math.nan
        lower, upper = wilson_interval(self.records, self.total)
        return 100 * lower, 100 * upper

    @property
    def population_share_pct(self) -> float:
        if not self.all_population or math.isnan(self.all_population) or math.isnan(self.population):
            return math.nan
        return 100 * self.population / self.all_population


def most_deprived_share(records: pd.Series, deciles: pd.DataFrame, population: pd.Series) -> MostDeprivedShare:
    """The share of the area's records (placed in an LSOA with a decile) that fall in LSOAs of
    national decile 1, and those LSOAs' share of the area's residents."""
    frame = deciles[["lsoa_code", "imd_decile"]].copy()
    frame["records"] = frame["lsoa_code"].map(records).fillna(0).astype("int64")
    frame["population"] = frame["lsoa_code"].map(population)
    most = frame[frame["imd_decile"] == MOST_DEPRIVED]

    def people(part: pd.DataFrame) -> float:
        return float(part["population"].sum()) if part["population"].notna().all() else math.nan

    return MostDeprivedShare(records=int(most["records"].sum()), total=int(frame["records"].sum()),
                             lsoas=len(most), all_lsoas=len(frame), population=people(most),
                             all_population=people(frame))

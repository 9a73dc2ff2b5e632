"""The assessment's measures, as pure functions of tidy count tables.

``counts`` everywhere is a frame with one row per (month, ..., category) and a ``records``
column, months as 'YYYY-MM' strings. A period's figure is given only when every one of its
months is in the data: a total over part of a period would be silently too low.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..config import Period


@dataclass(frozen=True)
class Change:
    current: int
    previous: int

    @property
    def difference(self) -> int:
        return self.current - self.previous

    @property
    def pct(self) -> float | None:
        """Percentage change; None when the previous figure is zero (no meaningful percentage)."""
        return None if self.previous == 0 else 100.0 * self.difference / self.previous


def missing_months(period: Period, available_months: set[str]) -> list[str]:
    return [m for m in period.months if m not in available_months]


def total(counts: pd.DataFrame, period: Period, available_months: set[str]) -> int | None:
    """Records in ``period``; None when any month of the period is absent from the data."""
    if missing_months(period, available_months):
        return None
    return int(counts.loc[counts["month"].isin(period.months), "records"].sum())


def rate_per_1000(count: int | None, population: int | None) -> float | None:
    if count is None or not population:
        return None
    return 1000.0 * count / population


def annual_change(counts: pd.DataFrame, period: Period, comparison: Period, available_months: set[str]) -> Change | None:
    current = total(counts, period, available_months)
    previous = total(counts, comparison, available_months)
    if current is None or previous is None:
        return None
    return Change(current, previous)


def trend(counts: pd.DataFrame, periods: tuple[Period, ...], available_months: set[str]) -> pd.DataFrame:
    """One row per period (oldest first): label, records (NA where incomplete), months missing."""
    rows = []
    for p in periods:
        gaps = missing_months(p, available_months)
        rows.append({"period": p.label, "start": str(p.start), "end": str(p.end),
                     "records": pd.NA if gaps else total(counts, p, available_months),
                     "months_missing": len(gaps)})
    return pd.DataFrame(rows).astype({"records": "Int64"})


def monthly(counts: pd.DataFrame, period: Period, available_months: set[str]) -> pd.DataFrame:
    """Records per month of ``period``, every month listed; NA for months absent from the data."""
    by_month = counts[counts["month"].isin(period.months)].groupby("month")["records"].sum()
    frame = pd.DataFrame({"month": period.months})
    frame["records"] = [int(by_month.get(m, 0)) if m in available_months else pd.NA for m in period.months]
    frame["records"] = frame["records"].astype("Int64")
    frame["date"] = pd.PeriodIndex(frame["month"], freq="M").to_timestamp()
    return frame


def seasonality(counts: pd.DataFrame, period: Period, comparison: Period, available_months: set[str]) -> pd.DataFrame:
    """Monthly counts in the assessment period beside the same months of the comparison period."""
    current = monthly(counts, period, available_months)
    previous = monthly(counts, comparison, available_months)
    return pd.DataFrame({
        "month": current["month"],
        "label": current["date"].dt.strftime("%b %y"),
        "records": current["records"],
        "previous_records": previous["records"].to_numpy(),
        "previous_label": previous["date"].dt.strftime("%b %y").to_numpy(),
    })


def peak_month(season: pd.DataFrame) -> tuple[str, int, float] | None:
    """(label, records, % above the monthly mean) of the busiest month; None without full data."""
    values = season["records"]
    if values.isna().any() or values.sum() == 0:
        return None
    i = int(values.astype("int64").idxmax())
    mean = float(values.astype("int64").mean())
    return season.loc[i, "label"], int(values[i]), 100.0 * (int(values[i]) - mean) / mean


def breakdown(counts: pd.DataFrame, period: Period, comparison: Period, available_months: set[str],
              by: str = "crime_type") -> pd.DataFrame:
    """Records per category in the period, share of the total, and change on the comparison period.

    Sorted by records, largest first. ``previous``/``change``/``change_pct`` are NA when the
    comparison period is incomplete.
    """
    current = counts[counts["month"].isin(period.months)].groupby(by)["records"].sum()
    frame = current.rename("records").reset_index().rename(columns={by: "category"})
    total_records = frame["records"].sum()
    frame["share_pct"] = 100.0 * frame["records"] / total_records if total_records else 0.0
    if missing_months(comparison, available_months):
        frame["previous"] = pd.NA
    else:
        previous = counts[counts["month"].isin(comparison.months)].groupby(by)["records"].sum()
        frame["previous"] = frame["category"].map(previous).fillna(0).astype("int64")
        # Categories recorded only in the comparison period belong in the table too (at zero now).
        gone = previous[~previous.index.isin(frame["category"])]
        if len(gone):
            frame = pd.concat([frame, pd.DataFrame({"category": gone.index, "records": 0, "share_pct": 0.0,
                                                    "previous": gone.to_numpy()})], ignore_index=True)
    frame["previous"] = frame["previous"].astype("Int64")
    frame["change"] = (frame["records"] - frame["previous"]).astype("Int64")
    prev = frame["previous"].astype("Float64")
    frame["change_pct"] = (100.0 * frame["change"].astype("Float64") / prev.where(prev != 0)).astype("Float64")
    return frame.sort_values(["records", "category"], ascending=[False, True], ignore_index=True)


def hotspots(ward_counts: pd.DataFrame, ward_population: pd.DataFrame, period: Period, n: int = 5) -> pd.DataFrame:
    """Top ``n`` wards by records in the period, with rate per 1,000 residents and share of the area's total.

    ``ward_counts``: month, ward_code, ward_name, records. ``ward_population``: ward_code, population.
    Ties in records are broken by ward name so the list is stable.
    """
    in_period = ward_counts[ward_counts["month"].isin(period.months)]
    by_ward = in_period.groupby(["ward_code", "ward_name"], as_index=False)["records"].sum()
    area_total = by_ward["records"].sum()
    by_ward = by_ward.merge(ward_population[["ward_code", "population"]], on="ward_code", how="left")
    by_ward["per_1000"] = (1000.0 * by_ward["records"] / by_ward["population"].astype("Float64")).astype("Float64")
    by_ward["share_pct"] = 100.0 * by_ward["records"] / area_total if area_total else 0.0
    top = by_ward.sort_values(["records", "ward_name"], ascending=[False, True]).head(n).reset_index(drop=True)
    top.insert(0, "rank", range(1, len(top) + 1))
    return top


def small_counts(records: pd.Series, threshold: int) -> pd.Series:
    """True where a count is from 1 to ``threshold`` - 1: too few to publish for a small area
    (a reader might identify the people involved). Zero is not disclosive and is shown."""
    return (records >= 1) & (records < threshold)


def peer_comparison(la_counts: pd.DataFrame, populations: dict[str, int | None], names: dict[str, str],
                    area_codes: tuple[str, ...], area_name: str, period: Period) -> pd.DataFrame:
    """The area beside its peers: records, rate per 1,000, rank by count and by rate (1 = highest).

    ``la_counts``: month, lad_code, records for the area's and the peers' local authorities.
    An area of several authorities (a partnership) is ranked as one unit in their place.
    """
    in_period = la_counts[la_counts["month"].isin(period.months)]
    per_la = in_period.groupby("lad_code")["records"].sum()
    rows = [{"area": area_name, "codes": ", ".join(area_codes), "is_area": True,
             "records": int(per_la.reindex(list(area_codes)).fillna(0).sum()),
             "population": (sum(populations[c] for c in area_codes)
                            if all(populations.get(c) for c in area_codes) else None)}]
    for code in sorted(set(populations) - set(area_codes)):
        rows.append({"area": names.get(code, code), "codes": code, "is_area": False,
                     "records": int(per_la.get(code, 0)), "population": populations.get(code)})
    table = pd.DataFrame(rows)
    table["population"] = table["population"].astype("Int64")
    table["per_1000"] = (1000.0 * table["records"] / table["population"].astype("Float64")).astype("Float64")
    table["rank_by_count"] = table["records"].rank(ascending=False, method="min").astype("int64")
    table["rank_by_rate"] = table["per_1000"].rank(ascending=False, method="min").astype("Int64")
    return table.sort_values(["rank_by_count", "area"], ignore_index=True)


def present_local_authorities(lsoa_counts: pd.DataFrame, lsoa_lookup: pd.DataFrame, min_coverage: float = 0.5) -> set[str]:
    """Local authorities the ingested files really cover: at least ``min_coverage`` of their LSOAs have records.

    A force's files also hold a few records in neighbouring forces' areas (crimes just over a
    border); those authorities are not covered and must not be ranked as peers.
    """
    seen = set(lsoa_counts["lsoa_code"].dropna())
    coverage = lsoa_lookup.assign(seen=lsoa_lookup["lsoa_code"].isin(seen)).groupby("lad_code")["seen"].mean()
    return set(coverage[coverage >= min_coverage].index)


def consecutive_months(window: Period, available_months: set[str]) -> list[str]:
    """The longest run of consecutive months with data that ends at the window's last covered month.

    SPC limits assume an unbroken monthly series, so a gap ends the usable history.
    """
    run: list[str] = []
    for month in reversed(window.months):
        if month in available_months:
            run.append(month)
        elif run:
            break
    return run[::-1]


def monthly_series(counts: pd.DataFrame, months: list[str], by: str | None = None) -> dict[str, pd.Series]:
    """Records per month (month-start timestamps as index), for the whole table or per ``by`` category.

    Months with no records in a category count as zero: the months given are known to have data.
    """
    index = pd.PeriodIndex(months, freq="M").to_timestamp()
    in_window = counts[counts["month"].isin(months)]
    groups = [(None, in_window)] if by is None else list(in_window.groupby(by))
    series = {}
    for name, group in groups:
        per_month = group.groupby("month")["records"].sum().reindex(months, fill_value=0)
        series[name] = pd.Series(per_month.to_numpy(dtype="int64"), index=index)
    return series

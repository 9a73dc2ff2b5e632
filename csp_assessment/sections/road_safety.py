"""The road safety section: people killed or seriously injured (KSI) and all casualties on the
area's roads, from DfT road safety data (STATS19), as the published assessments report them.

* **Years.** STATS19 is published by calendar year: the section shows the calendar years of the
  trend window (as many as ``trend_periods``) ending with the last full year inside the assessment
  period (2016 for April 2016 - March 2017), and says which.
* **Where.** A casualty belongs to the local authority its collision happened in
  (``local_authority_ons_district`` of the collision file, joined through ``collision_index``).
* **KSI** = fatal + serious casualties. Where the casualty file carries DfT's severity adjustment
  (``casualty_adjusted_severity_serious``, published since police forces moved to injury-based
  recording from 2016), the KSI measure is severity-adjusted: fatal casualties plus the sum of the
  other casualties' probabilities of being serious. The notes say which is used.
* **Change** on the previous year and the 3-year comparison of the Maidstone assessment ("a
  decrease of 20.6% over 2013-2015: 2015 - 50, 2014 - 74, 2013 - 63": last year against the first
  of the three), of the same KSI series as the rate: severity-adjusted wherever every year has the
  adjustment, because DfT's "Guide to severity adjustments for reported road casualties" advises
  the adjusted figures for comparisons over time (reported KSI mixes forces' moves to injury-based
  recording into the trend). The sentences say which series they use.
* **Rate** per 100,000 residents (ONS mid-year estimates of the same year), with its 95% interval
  as OHID computes intervals for counts (exact Poisson below 10 events, Byar's method from 10:
  stats/intervals.py), against England when the data hold every English authority, otherwise
  against the other authorities the data hold (said so).
* **Road users and ages** of the last year's casualties; young car occupants (17-24) by year.

The figures are pure functions of the processed ``stats19`` table (tested by hand counts); the
:class:`RoadSafetySection` turns them into what the notebook shows and the findings.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown

from .. import store
from ..config import RunConfig
from ..geography import Area, Geography, in_set, to_geoframe
from ..ingest import stats19 as stats19_input
from ..ingest.folder import IngestSummary
from ..display import indicator_charts, maps, narrative
from ..display.charts import THOUSANDS, new_figure, with_data
from ..display.data_tables import DataTable, numbers
from ..display.narrative import is_missing
from ..display.style import GSS_DARK_BLUE, GSS_DARK_GREY, GSS_MID_GREY, GSS_ORANGE
from ..stats.intervals import NOT_COMPARED, compare_with_benchmark, poisson_method, poisson_rate_interval
from .registry import SectionSpec
from .base import DEMO_NOTE, DataNote, MissingInput, Section, esc, styled_table

PUBLISHED_BY = "Department for Transport, 'Road safety data' on data.gov.uk"  # for the "Not yet supplied" list

SPECS = (SectionSpec("road_safety", "07_road_safety.ipynb", "Road safety", "road_safety"),)

ENGLAND = "E92000001"
ENGLAND_COVERAGE = 0.99  # share of England's residents whose authorities the data must hold to compare with England
PER = 100_000
YOUNG_AGES = (17, 24)
CAR_OCCUPANT = "Car occupant"
AGE_BANDS = ((0, 16, "0–16"), (17, 24, "17–24"), (25, 39, "25–39"), (40, 59, "40–59"), (60, 74, "60–74"),
             (75, 200, "75 and over"))
NOT_RECORDED = "Age not recorded"

KSI_LABEL = "Road casualties killed or seriously injured (KSI)"
KSI_RATE_LABEL = "Road casualties killed or seriously injured (KSI) per 100,000 residents"
ALL_LABEL = "All road casualties"
YOUNG_LABEL = "Young car occupants (17–24) killed or seriously injured"


# ---- figures from the processed table (pure functions) ---------------------------------------------


def last_full_year(period_end: pd.Period) -> int:
    """The last calendar year that ends inside (or with) a period ending in the month ``period_end``."""
    return period_end.year if period_end.month == 12 else period_end.year - 1


def road_user(casualty_type: pd.Series) -> pd.Series:
    """DfT casualty_type codes as the road-user types DfT reports; "Not recorded" for -1."""
    return casualty_type.map(stats19_input.CASUALTY_TYPES).fillna("Not recorded")


def age_band(age: pd.Series) -> pd.Series:
    bands = pd.Series(NOT_RECORDED, index=age.index, dtype=object)
    for low, high, label in AGE_BANDS:
        bands[(age >= low) & (age <= high)] = label
    return bands


def placed_casualties(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(casualties with their collision's local authority, casualties whose collision the data lack).

    Placed columns: year, collision_index, lad_code, severity, casualty_type, age, adjusted_serious,
    road_user, age_band, ksi (bool).
    """
    collisions = (table[table["record"] == "collision"].drop_duplicates("collision_index", keep="last")
                  .set_index("collision_index")["lad_code"])
    casualties = table[table["record"] == "casualty"]
    lad = casualties["collision_index"].map(collisions)
    placed = casualties[lad.notna()].assign(lad_code=lad[lad.notna()])
    placed = placed[["year", "collision_index", "lad_code", "severity", "casualty_type", "age", "adjusted_serious",
                     "source_file"]].assign(road_user=lambda d: road_user(d["casualty_type"]),
                                            age_band=lambda d: age_band(d["age"]),
                                            ksi=lambda d: d["severity"] <= 2)
    return placed.reset_index(drop=True), casualties[lad.isna()].reset_index(drop=True)


def adjusted_ksi(casualties: pd.DataFrame) -> float:
    """Severity-adjusted KSI: fatal casualties plus the other casualties' probabilities of being serious
    (NaN when any non-fatal casualty has no adjustment)."""
    non_fatal = casualties.loc[casualties["severity"] != 1, "adjusted_serious"]
    if non_fatal.isna().any():
        return math.nan
    return float((casualties["severity"] == 1).sum() + non_fatal.sum())


def annual_figures(casualties: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """One row per year: fatal, serious, ksi, slight, casualties, ksi_adjusted (NaN where the data have
    no adjustment), young_car_ksi (car occupants aged 17-24 killed or seriously injured)."""
    rows = []
    for year in years:
        of_year = casualties[casualties["year"] == year]
        young_car = of_year[(of_year["road_user"] == CAR_OCCUPANT) & of_year["age"].between(*YOUNG_AGES)]
        rows.append({"year": year, "fatal": int((of_year["severity"] == 1).sum()),
                     "serious": int((of_year["severity"] == 2).sum()), "ksi": int(of_year["ksi"].sum()),
                     "slight": int((of_year["severity"] == 3).sum()), "casualties": len(of_year),
                     "ksi_adjusted": adjusted_ksi(of_year) if len(of_year) else math.nan,
                     "young_car_ksi": int(young_car["ksi"].sum())})
    return pd.DataFrame(rows, columns=["year", "fatal", "serious", "ksi", "slight", "casualties", "ksi_adjusted",
                                       "young_car_ksi"])


def change_pct(previous: float | None, latest: float | None) -> float | None:
    """Percentage change from ``previous`` to ``latest``; None when either is missing or previous is 0."""
    if is_missing(previous) or is_missing(latest) or previous == 0:
        return None
    return 100.0 * (latest - previous) / previous


def change_from(annual: pd.DataFrame, column: str, last_year: int, back: int
                ) -> tuple[int | None, float | None, float | None]:
    """(earlier year, its value, change % to ``last_year``) for ``back`` years before ``last_year``;
    Nones when ``annual`` (year, column) lacks either year."""
    values = annual.set_index("year")[column]
    year = last_year - back
    if year not in values.index or last_year not in values.index:
        return None, None, None
    previous = float(values[year])
    return year, previous, change_pct(previous, float(values[last_year]))


def three_year_sentence(annual: pd.DataFrame, column: str, last_year: int, subject: str,
                        fmt=narrative.fmt_int) -> str:
    """The Maidstone assessment's 3-year comparison: "KSI casualties: a decrease of 20.6% over the
    three years 2013–2015: 2015 – 50, 2014 – 74, 2013 – 63." ('' without the three years).
    ``fmt`` formats the values (one decimal for the severity-adjusted KSI)."""
    first_year, _, pct = change_from(annual, column, last_year, 2)
    values = annual.set_index("year")[column]
    if pct is None or (last_year - 1) not in values.index:
        return ""
    listing = ", ".join(f"{y} – {fmt(values[y])}" for y in range(last_year, first_year - 1, -1))
    word = "an increase" if pct > 0 else "a decrease" if pct < 0 else "no change"
    amount = f" of {narrative.fmt_pct(abs(pct))}" if pct else ""
    return f"{subject}: {word}{amount} over the three years {first_year}–{last_year}: {listing}."


def rate(count: float, population: float | None) -> tuple[float, float, float]:
    """(rate per 100,000, lower, upper 95% limits); NaNs without a population. The limits are
    OHID's for a count (exact Poisson below 10 events, Byar's method from 10), scaled: the shared
    :func:`~csp_assessment.stats.intervals.poisson_rate_interval`."""
    if is_missing(count) or not population:
        return math.nan, math.nan, math.nan
    lower, upper = poisson_rate_interval(count, population, PER)
    return count * PER / population, lower, upper


def file_gaps(table: pd.DataFrame, years: list[int]) -> dict[int, str]:
    """For each of ``years`` whose casualties cannot all be placed, what is missing, in words: the
    collision file of a year whose casualty file is there (casualties are placed in an area through
    their collision), the casualty file of a year whose collision file is there, or both."""
    collisions = table[table["record"] == "collision"]
    casualties = table[table["record"] == "casualty"]
    # Whether each casualty's collision is known, asked once for all years (in_set: see geography.py).
    unplaced_rows = ~in_set(casualties["collision_index"], set(collisions["collision_index"].unique()))
    casualty_years, collision_years = casualties["year"].to_numpy(), set(collisions["year"])
    gaps = {}
    for year in years:
        of_year = casualty_years == year
        n_casualties, has_collisions = int(of_year.sum()), year in collision_years
        unplaced = int((unplaced_rows & of_year).sum())
        collision_file = f"dft-road-casualty-statistics-collision-{year}.csv"
        casualty_file = f"dft-road-casualty-statistics-casualty-{year}.csv"
        if n_casualties and not has_collisions:
            gaps[year] = (f"{year}: the casualty file holds {n_casualties:,} casualties, but the collision file for "
                          f"{year} ({collision_file}) is not in the data folder, so they cannot be placed in an area")
        elif has_collisions and not n_casualties:
            gaps[year] = (f"{year}: the collision file is there, but the casualty file for {year} ({casualty_file}) "
                          "is not")
        elif not has_collisions:
            gaps[year] = f"{year}: neither {collision_file} nor {casualty_file} is in the data folder"
        elif unplaced:
            gaps[year] = (f"{year}: {unplaced:,} of {n_casualties:,} casualties belong to collisions the collision "
                          f"file for {year} does not hold, so they cannot be placed in an area")
    return gaps


def breakdown(casualties: pd.DataFrame, by: str, order: list[str]) -> pd.DataFrame:
    """KSI and all casualties per ``by`` (road_user or age_band), in ``order`` (others after), with
    each group's share of the KSI casualties (%)."""
    ksi = casualties[casualties["ksi"]].groupby(by).size()
    every = casualties.groupby(by).size()
    groups = [g for g in order if g in every.index] + sorted(set(every.index) - set(order))
    frame = pd.DataFrame({"group": groups, "ksi": [int(ksi.get(g, 0)) for g in groups],
                          "casualties": [int(every.get(g, 0)) for g in groups]})
    total = frame["ksi"].sum()
    frame["ksi_share_pct"] = 100.0 * frame["ksi"] / total if total else math.nan
    return frame


# ---- the section ------------------------------------------------------------------------------------


@dataclass
class Comparison:
    """The benchmark the area's KSI rate is compared with, per year."""

    name: str  # "England", or "other authorities in the data (12)"
    rates: dict  # year -> rate per 100,000
    note: str


def _plain(records: list[dict]) -> list[dict]:
    """Records with numpy numbers as Python ones, for the findings' JSON."""
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()} for r in records]


class RoadSafetySection(Section):
    """The road safety section for one area and assessment."""

    def __init__(self, spec: SectionSpec, config: RunConfig, ingest: IngestSummary):
        super().__init__(spec, config, ingest)
        self.geo = Geography(config.processed_dir)
        self.area: Area = self.geo.resolve(config.area_codes)
        self.area_name = config.area_name or self.area.name
        self.last_year = last_full_year(config.period.end)
        self.window = list(range(self.last_year - len(config.trend) + 1, self.last_year + 1))
        self.notes: list[DataNote] = []
        self.absent_inputs: list[MissingInput] = []
        self.table = self._table()
        stats19 = f"DfT road safety data (STATS19) for {self.window[0]} to {self.window[-1]}"
        if self.table is None:
            self.absent_inputs.append(MissingInput(stats19, PUBLISHED_BY, (
                f"No DfT road safety data (STATS19) are in the data folder; to add them, download from "
                f"{stats19_input.DOWNLOAD} for {self.window[0]} to {self.window[-1]}, and put them, unchanged, "
                "in the data folder.")))
            self.casualties = self.unplaced = pd.DataFrame()
            self.years: list[int] = []
            self.gaps: dict[int, str] = {}
            return
        placed, self.unplaced = placed_casualties(self.table)
        self.all_casualties = placed
        self.casualties = placed[placed["lad_code"].isin(self.area.lad_codes)]
        held = set(placed["year"])
        self.years = [y for y in self.window if y in held]
        missing = [y for y in self.window if y not in held]
        self.gaps = file_gaps(self.table, self.window)
        if not self.years:
            self.absent_inputs.append(MissingInput(stats19, PUBLISHED_BY, (
                f"The STATS19 files in the data folder give no casualties that can be placed in an area for "
                f"{self.window[0]} to {self.window[-1]}: {'; '.join(self.gaps[y] for y in self.window)}. To add them, "
                f"download from {stats19_input.DOWNLOAD}.")))
        elif missing:
            self.notes.append(DataNote(f"No STATS19 casualties for {', '.join(map(str, missing))} can be placed in an "
                                       f"area, so those years are left out: {'; '.join(self.gaps[y] for y in missing)}. "
                                       f"Download them from {stats19_input.DOWNLOAD}.", True))
        if self.years and self.casualties.empty:
            self.absent_inputs.append(MissingInput(f"{stats19} covering {self.area_name}", PUBLISHED_BY, (
                f"The STATS19 files in the data folder hold no collisions in {self.area_name} "
                f"({', '.join(self.area.lad_codes)}); to add them, download the national files "
                f"from {stats19_input.DOWNLOAD}.")))
            self.years = []

    def _table(self) -> pd.DataFrame | None:
        name = stats19_input.TABLE
        if name not in self.ingest.sources or not store.has_table(self.config.processed_dir, name):
            return None
        return store.read_table(self.config.processed_dir, name)

    # ---- figures ---------------------------------------------------------------------------------
    @property
    def has_figures(self) -> bool:
        return bool(self.years)

    @cached_property
    def annual(self) -> pd.DataFrame:
        return annual_figures(self.casualties, self.years)

    @cached_property
    def adjusted(self) -> bool:
        """True when every year shown has DfT's severity adjustment: the KSI measure is then adjusted."""
        return self.has_figures and bool(self.annual["ksi_adjusted"].notna().all())

    @property
    def ksi_column(self) -> str:
        """The KSI series every sentence, change and rate uses: severity-adjusted where it exists."""
        return "ksi_adjusted" if self.adjusted else "ksi"

    @property
    def ksi_series_name(self) -> str:
        return "severity-adjusted KSI" if self.adjusted else "KSI as reported"

    def _population(self, codes: tuple[str, ...], year: int) -> tuple[float | None, str]:
        # asked again for the same authorities and year (each authority's, then the sums): looked up once
        found = self.__dict__.setdefault("_populations_found", {})
        if (codes, year) not in found:
            population = self.geo.la_population(codes, year)
            found[codes, year] = (float(population.value) if population.available else None), population.note
        return found[codes, year]

    @cached_property
    def populations(self) -> dict[int, float | None]:
        found = {}
        for year in self.years:
            found[year], note = self._population(self.area.lad_codes, year)
            if note:
                self.notes.append(DataNote(f"KSI per 100,000 residents, {year}: {note}"))
        return found

    @cached_property
    def comparison(self) -> Comparison:
        """England when the data hold (nearly) every English authority, else the other authorities held."""
        rates, name, note = {}, "", ""
        for year in self.years:
            of_year = self.all_casualties[self.all_casualties["year"] == year]
            lads = sorted(set(of_year["lad_code"].unique()))
            england, _ = self._population((ENGLAND,), year)
            english = [c for c in lads if c.startswith("E")]
            covered = sum(p for c in english if (p := self._population((c,), year)[0]))
            if england and covered >= ENGLAND_COVERAGE * england:
                chosen, population = of_year[of_year["lad_code"].str.startswith("E")], england
                name = "England"
            else:
                others = [c for c in lads if c not in self.area.lad_codes and self._population((c,), year)[0]]
                if not others:
                    continue
                chosen = of_year[of_year["lad_code"].isin(others)]
                population = sum(self._population((c,), year)[0] for c in others)
                name = name if name == "England" else f"{len(others)} other authorities in the data"
            count = adjusted_ksi(chosen) if self.adjusted else float(chosen["ksi"].sum())
            rates[year] = rate(count, population)[0]
        if name == "England":
            note = ("England: every casualty in the data in an English local authority, per 100,000 of England's "
                    "mid-year population.")
        elif name:
            note = (f"The data folder does not hold every English authority's collisions, so the area is compared "
                    f"with the other authorities whose collisions it holds ({name}): their casualties per 100,000 "
                    "of their combined mid-year population. The national DfT files would give England.")
        return Comparison(name, rates, note)

    @cached_property
    def series(self) -> pd.DataFrame:
        """The KSI rate by year: period, end_year, value, lower, upper, benchmark, count, denominator."""
        rows = []
        for row in self.annual.itertuples():
            count = getattr(row, self.ksi_column)
            population = self.populations.get(row.year)
            value, lower, upper = rate(count, population)
            rows.append({"period": str(row.year), "end_year": row.year, "value": value, "lower": lower,
                         "upper": upper, "benchmark": self.comparison.rates.get(row.year, math.nan),
                         "count": count, "denominator": population if population else math.nan})
        return pd.DataFrame(rows, columns=["period", "end_year", "value", "lower", "upper", "benchmark", "count",
                                           "denominator"])

    @property
    def latest(self) -> pd.Series:
        return self.annual.iloc[-1]

    @property
    def rate_comparison(self) -> str:
        if not self.has_figures or not self.comparison.name:
            return NOT_COMPARED
        row = self.series.iloc[-1]
        bench = None if is_missing(row["benchmark"]) else float(row["benchmark"])
        lower = None if is_missing(row["lower"]) else float(row["lower"])
        upper = None if is_missing(row["upper"]) else float(row["upper"])
        return compare_with_benchmark(bench, lower, upper)

    def _change(self, column: str, back: int) -> tuple[int | None, float | None, float | None]:
        return change_from(self.annual, column, self.last_year, back)

    @cached_property
    def by_road_user(self) -> pd.DataFrame:
        return breakdown(self.casualties[self.casualties["year"] == self.years[-1]], "road_user",
                         list(stats19_input.ROAD_USER_TYPES))

    @cached_property
    def by_age_band(self) -> pd.DataFrame:
        return breakdown(self.casualties[self.casualties["year"] == self.years[-1]], "age_band",
                         [label for *_, label in AGE_BANDS] + [NOT_RECORDED])

    # ---- sentences ---------------------------------------------------------------------------------
    def _fmt_ksi(self, value) -> str:
        return narrative.fmt_rate(value) if self.adjusted else narrative.fmt_int(value)

    def headline_text(self) -> str:
        """The last year's KSI and its change on the year before, of the series the rate uses (the
        demo's: "In 2016, 103 people were killed or seriously injured on Medway's roads (12 killed),
        103.0 after DfT's severity adjustment; severity-adjusted KSI up 6.5% on 2015 (96.7).")."""
        if not self.has_figures:
            return f"No road casualty figures for {self.area_name} are in the data folder."
        row, year = self.latest, int(self.latest["year"])
        text = (f"In {year}, {narrative.fmt_int(row['ksi'])} people were killed or seriously injured on "
                f"{self.area_name}'s roads ({narrative.fmt_int(row['fatal'])} killed)")
        if self.adjusted:
            text += f", {narrative.fmt_rate(row['ksi_adjusted'])} after DfT's severity adjustment"
        previous_year, previous, pct = self._change(self.ksi_column, 1)
        if pct is not None:
            text += (f"; {self.ksi_series_name} {'up' if pct > 0 else 'down' if pct < 0 else 'unchanged'}"
                     f"{'' if pct == 0 else ' ' + narrative.fmt_pct(abs(pct))} on {previous_year} "
                     f"({self._fmt_ksi(previous)})")
        return text + "."

    def three_year_text(self) -> str:
        subject = "Severity-adjusted KSI casualties" if self.adjusted else "KSI casualties (as reported)"
        return three_year_sentence(self.annual, self.ksi_column, self.last_year, subject, self._fmt_ksi)

    def rate_text(self) -> str:
        row = self.series.iloc[-1]
        if is_missing(row["value"]):
            return "No population estimate is in the data folder for the rate per 100,000 residents."
        what = "severity-adjusted KSI" if self.adjusted else "KSI"
        text = (f"{row['period']}: {narrative.fmt_rate(row['value'])} {what} casualties per 100,000 residents "
                f"(95% interval {narrative.fmt_rate(row['lower'])}–{narrative.fmt_rate(row['upper'])})")
        name = self.comparison.name
        if name and not is_missing(row["benchmark"]):
            bench = f"{name} ({narrative.fmt_rate(row['benchmark'])})"
            text += {"higher": f", significantly higher than {bench}", "lower": f", significantly lower than {bench}",
                     "similar": f", similar to {bench}: the difference is not statistically significant"}.get(
                         self.rate_comparison, f"; {bench}")
        return text + "."

    def young_text(self) -> str:
        year, previous, pct = self._change("young_car_ksi", 1)
        latest = int(self.latest["young_car_ksi"])
        text = f"Young car occupants aged 17–24 killed or seriously injured: {latest} in {self.last_year}"
        if year is not None:
            text += f", against {narrative.fmt_int(previous)} in {year}"
            if pct is not None:
                text += f" ({narrative.fmt_pct(pct, signed=True)})"
        return text + "."

    def narrative_text(self) -> str:
        if not self.has_figures:
            return self.headline_text()
        users = self.by_road_user.sort_values("ksi", ascending=False, kind="stable")
        top = users[users["ksi"] > 0].head(2)
        groups = "; ".join(f"{r.group.lower()}s {r.ksi} ({narrative.fmt_pct(r.ksi_share_pct)})"
                           for r in top.itertuples())
        parts = [self.headline_text(), self.three_year_text(), self.rate_text(),
                 f"All casualties: {narrative.fmt_int(self.latest['casualties'])} in {self.years[-1]}.",
                 f"Most of {self.years[-1]}'s KSI casualties were {groups}." if groups else "", self.young_text()]
        return " ".join(p for p in parts if p)

    # ---- display objects for the notebook -----------------------------------------------------------
    def heading(self) -> Markdown:
        years = f"{self.years[0]}–{self.years[-1]}" if self.years else f"{self.window[0]}–{self.window[-1]}"
        return Markdown(f"**{esc(self.area_name)}** · assessment period {self.config.period.long_label} · road "
                        f"casualties by calendar year, {years} (the last full year in the period is {self.last_year})")

    def narrative(self) -> Markdown:
        return Markdown(esc(self.narrative_text()))

    def annual_table(self) -> pd.DataFrame:
        """One row per year, numbers as text (the adjusted KSI has decimals)."""
        name = self.comparison.name or "Comparison"
        rows = []
        for a, s in zip(self.annual.itertuples(), self.series.itertuples()):
            row = {"Year": str(a.year), "Killed": narrative.fmt_int(a.fatal), "Seriously injured":
                   narrative.fmt_int(a.serious), "KSI as reported": narrative.fmt_int(a.ksi)}
            if self.adjusted:
                row["KSI (severity-adjusted)"] = narrative.fmt_rate(a.ksi_adjusted)
            row |= {"All casualties": narrative.fmt_int(a.casualties),
                    "KSI per 100,000": narrative.fmt_rate(s.value),
                    "95% interval": (f"{narrative.fmt_rate(s.lower)} – {narrative.fmt_rate(s.upper)}"
                                     if not is_missing(s.lower) else narrative.NOT_AVAILABLE),
                    f"{name} per 100,000": narrative.fmt_rate(s.benchmark),
                    "Young car occupants (17–24) KSI": narrative.fmt_int(a.young_car_ksi)}
            rows.append(row)
        return pd.DataFrame(rows)

    def headline_table(self):
        if not self.has_figures:
            return Markdown(f"No figures for {esc(self.area_name)}: see the missing inputs above.")
        return styled_table(self.annual_table(), {}, caption=f"Road casualties by year, {self.area_name} "
                                                             "(DfT STATS19)", text_columns=["Year"],
                            data=["road_casualties"])

    def changes_table(self):
        """Annual change and the 3-year comparison of KSI, all casualties and young car occupants."""
        if not self.has_figures:
            return Markdown("")
        rows = []
        for column, label in (("ksi", "KSI casualties (as reported)"), ("ksi_adjusted", "KSI (severity-adjusted)"),
                              ("casualties", "All casualties"), ("young_car_ksi", "Young car occupants (17–24) KSI")):
            if column == "ksi_adjusted" and not self.adjusted:
                continue
            fmt = narrative.fmt_rate if column == "ksi_adjusted" else narrative.fmt_int
            row = {"Measure": label, str(self.last_year): fmt(self.latest[column])}
            for back, name in ((1, "on the previous year"), (2, "over three years")):
                year, previous, pct = self._change(column, back)
                row[f"Change {name}"] = (f"{narrative.fmt_pct(pct, signed=True)} (from {fmt(previous)} in {year})"
                                         if pct is not None else narrative.NOT_AVAILABLE)
            rows.append(row)
        return styled_table(pd.DataFrame(rows), {}, caption=f"Changes in road casualties, {self.area_name}")

    def rate_chart(self):
        if not self.has_figures or self.series["value"].isna().all():
            return Markdown("")
        row = self.series.iloc[-1]
        what = "Severity-adjusted KSI" if self.adjusted else "KSI"
        title = f"{what} casualties per 100,000 residents, {self.area_name}: {narrative.fmt_rate(row['value'])} in {row['period']}"
        if self.comparison.name and not is_missing(row["benchmark"]):
            relation = {"higher": "significantly higher than", "lower": "significantly lower than",
                        "similar": "similar to"}.get(self.rate_comparison, "compared with")
            title += f", {relation} {self.comparison.name} ({narrative.fmt_rate(row['benchmark'])})"
        return with_data(indicator_charts.measure_trend_chart(self.series, title=title,
                                                              y_label=f"{what} casualties per 100,000 residents",
                                                              area_name=self.area_name,
                                                              benchmark_name=self.comparison.name or ""),
                         "road_casualties")

    def road_user_chart(self):
        if not self.has_figures:
            return Markdown("")
        data = self.by_road_user[self.by_road_user["casualties"] > 0]
        fig, ax = new_figure(height=max(3.0, 0.45 * len(data) + 1.4))
        y = np.arange(len(data))
        ax.barh(y - 0.2, data["ksi"], height=0.4, color=GSS_DARK_BLUE, label="Killed or seriously injured")
        ax.barh(y + 0.2, data["casualties"] - data["ksi"], height=0.4, color=GSS_MID_GREY, hatch="//",
                edgecolor="white", label="Slightly injured")
        for yi, (ksi, slight) in enumerate(zip(data["ksi"], data["casualties"] - data["ksi"])):
            ax.annotate(f"{ksi:,}", (ksi, yi - 0.2), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8.5)
            ax.annotate(f"{slight:,}", (slight, yi + 0.2), xytext=(3, 0), textcoords="offset points", va="center",
                        fontsize=8.5)
        ax.set_yticks(y, data["group"])
        ax.invert_yaxis()
        top = data.sort_values("ksi", ascending=False, kind="stable").iloc[0]
        ax.set(title=textwrap.fill(f"Road casualties by road user, {self.area_name}, {self.years[-1]}: most KSI "
                                   f"casualties were {top['group'].lower()}s ({top['ksi']})", 70),
               xlabel="Casualties", ylabel="")
        ax.xaxis.set_major_formatter(THOUSANDS)
        ax.grid(axis="x", color="#DDDDDD")
        ax.grid(axis="y", visible=False)
        ax.margins(x=0.15)
        ax.legend(loc="lower right", fontsize=8.5)
        fig.csp_alt_text = (f"Chart: {ax.get_title().replace(chr(10), ' ')}. Casualties by road user, killed or seriously injured and "
                            "slightly injured: " + "; ".join(f"{r.group} {r.ksi} KSI, {r.casualties - r.ksi} slight"
                                                             for r in data.itertuples()) + ".")
        return with_data(fig, "road_users")

    def road_user_table(self):
        if not self.has_figures:
            return Markdown("")
        return self._breakdown_table(self.by_road_user, "Road user")

    def age_table(self):
        if not self.has_figures:
            return Markdown("")
        return self._breakdown_table(self.by_age_band, "Age")

    def _breakdown_table(self, frame: pd.DataFrame, label: str):
        table = pd.DataFrame({label: frame["group"], "KSI": frame["ksi"], "Share of KSI": frame["ksi_share_pct"],
                              "All casualties": frame["casualties"]})
        return styled_table(table, {"KSI": "{:,}", "All casualties": "{:,}", "Share of KSI": "{:.1f}%"},
                            caption=f"Road casualties by {label.lower()}, {self.area_name}, {self.years[-1]}",
                            data=["road_users"] if label == "Road user" else [])

    # ---- the map ------------------------------------------------------------------------------------
    @cached_property
    def _map_layers(self) -> tuple[object, str]:
        """(the area's LSOA or ward shapes as a GeoDataFrame or None, what to say)."""
        if not store.has_table(self.config.processed_dir, "boundaries"):
            return None, (f"A map of collisions needs ONS boundary files in the data folder; none were found. "
                          f"Download them from the {maps.BOUNDARY_DOWNLOAD}.")
        boundaries = store.read_table(self.config.processed_dir, "boundaries")
        for level in ("lsoa", "ward"):
            shapes = boundaries[(boundaries["level"] == level) & boundaries["lad_code"].isin(self.area.lad_codes)]
            if len(shapes):
                vintage = sorted(shapes["vintage"].unique())[-1]
                shapes = shapes[shapes["vintage"] == vintage]
                return to_geoframe(shapes), (f"Collisions placed by their coordinates over the area's "
                                                  f"{level.upper() if level == 'lsoa' else level} boundaries "
                                                  f"({vintage}, {', '.join(sorted(set(shapes['source_file'])))}).")
        return None, "The boundary files in the data folder do not cover the area, so the map is not drawn."

    def maps_note(self) -> Markdown:
        return Markdown(esc(self._map_layers[1])) if self.has_figures else Markdown("")

    def collision_map(self):
        shapes, _ = self._map_layers
        if shapes is None or not self.has_figures:
            return Markdown("")
        import geopandas as gpd  # here: geopandas takes seconds to import, and only the maps need it

        year = self.years[-1]
        collisions = self.table[(self.table["record"] == "collision") & (self.table["year"] == year)
                                & self.table["lad_code"].isin(self.area.lad_codes)]
        located = collisions.dropna(subset=["longitude", "latitude"])
        points = gpd.GeoDataFrame(located[["severity"]], geometry=gpd.points_from_xy(located["longitude"],
                                                                                     located["latitude"]),
                                  crs="EPSG:4326").to_crs("EPSG:27700")
        fig, ax = maps._new_map(f"Road traffic collisions by severity, {self.area_name}, {year}")
        shapes.plot(ax=ax, color="white", edgecolor="#CCCCCC", linewidth=0.3)
        maps._outline(ax, shapes.geometry.union_all())
        slight, ksi = points[points["severity"] == 3], points[points["severity"] <= 2]
        if len(slight):
            slight.plot(ax=ax, color=GSS_MID_GREY, markersize=4, marker="o", label=f"Slight ({len(slight):,})")
        if len(ksi):
            ksi.plot(ax=ax, color=GSS_ORANGE, edgecolor=GSS_DARK_GREY, linewidth=0.4, markersize=16, marker="^",
                     label=f"Fatal or serious ({len(ksi):,})")
        ax.legend(title="Collision severity", loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8.5,
                  title_fontsize=9)
        unlocated = len(collisions) - len(located)
        fig.csp_alt_text = (f"Map: road traffic collisions in {self.area_name}, {year}: {len(ksi):,} fatal or serious "
                            f"(orange triangles) and {len(slight):,} slight (grey dots), over the area's boundaries"
                            + (f"; {unlocated:,} collisions without coordinates are not shown" if unlocated else "")
                            + ".")
        return fig

    # ---- notes and findings --------------------------------------------------------------------------
    # ---- the tables behind the figures (the workbook and the CSVs) --------------------------------
    def tables(self) -> list[DataTable]:
        """Casualties by year with the KSI rate, its interval and the comparison; the last year's
        casualties by road user."""
        if not self.has_figures:
            return []
        name = self.comparison.name or "Comparison"
        rate_words = "Severity-adjusted KSI" if self.adjusted else "KSI"
        columns = {"Year": [int(y) for y in self.annual["year"]], "Killed (count)": numbers(self.annual["fatal"], 0),
                   "Seriously injured (count)": numbers(self.annual["serious"], 0),
                   "KSI as reported (count)": numbers(self.annual["ksi"], 0)}
        if self.adjusted:
            columns["KSI, severity-adjusted (estimate)"] = numbers(self.annual["ksi_adjusted"], 2)
        columns |= {"All casualties (count)": numbers(self.annual["casualties"], 0),
                    "Residents (count)": numbers(self.series["denominator"], 0),
                    f"{rate_words} per 100,000 residents": numbers(self.series["value"], 2),
                    "Lower 95% limit (per 100,000)": numbers(self.series["lower"], 2),
                    "Upper 95% limit (per 100,000)": numbers(self.series["upper"], 2),
                    f"{name}: {rate_words} per 100,000 residents": numbers(self.series["benchmark"], 2),
                    "Young car occupants (17 to 24) KSI (count)": numbers(self.annual["young_car_ksi"], 0)}
        frame = pd.DataFrame(columns)
        units = {c: "per 100,000 residents" for c in frame.columns if "per 100,000 residents" in c}
        casualties = DataTable(
            "road_casualties", f"Road casualties by year, {self.area_name}, {self.years[0]} to {self.years[-1]}",
            frame, description=f"Killed, seriously injured and all casualties by year; the {rate_words} rate per "
                               f"100,000 residents with its 95% interval beside {name}",
            source="DfT road safety data (STATS19); ONS mid-year population estimates", units=units,
            formats={"Year": "0"}, notes=[n for n in (self.comparison.note,) if n] + [
                "Intervals as OHID computes them for counts: exact Poisson below 10 events, Byar's method from 10."],
            shorthand={"[x]": "not available: no population estimate for the year in the data folder, or no "
                              "comparison area"})
        users = self.by_road_user
        road_users = DataTable(
            "road_users", f"Road casualties by road user, {self.area_name}, {self.years[-1]}",
            pd.DataFrame({"Road user": users["group"], "KSI (count)": numbers(users["ksi"], 0),
                          "Share of KSI (%)": numbers(users["ksi_share_pct"], 2),
                          "All casualties (count)": numbers(users["casualties"], 0)}),
            description="The last year's casualties by road user: killed or seriously injured, and all",
            source="DfT road safety data (STATS19)",
            shorthand={"[x]": "not available: no KSI casualties in the year, so no share"})
        return [casualties, road_users]

    def data_notes(self) -> list[DataNote]:
        notes: list[DataNote] = [DataNote(DEMO_NOTE, True)] if self.ingest.demo else []
        notes += [n for n in self.notes if n.warning]
        if not self.has_figures:
            return notes
        notes.append(DataNote(f"Calendar years {self.years[0]} to {self.years[-1]}: STATS19 is published by calendar "
                              f"year, and {self.last_year} is the last full year inside the assessment period "
                              f"{self.config.period.long_label}."))
        notes.append(DataNote("Casualties are counted in the local authority where their collision happened "
                              "(local_authority_ons_district of the collision file), whoever they are and wherever "
                              "they live. KSI: killed or seriously injured (casualty_severity 1 or 2)."))
        if self.adjusted:
            notes.append(DataNote("Severity adjustment: the casualty files carry DfT's severity adjustment "
                                  "(casualty_adjusted_severity_serious and _slight), which estimates how casualties "
                                  "would have been classed had every police force used injury-based reporting "
                                  "(CRASH, adopted by forces from 2016). The KSI rate, its comparison and the changes "
                                  "in the summary use the adjusted figure: fatal casualties plus the other casualties' "
                                  "probabilities of a serious injury; the tables also give KSI as reported."))
        else:
            notes.append(DataNote("Severity adjustment: the casualty files in the data folder do not carry DfT's "
                                  "severity adjustment for every year shown, so KSI is as reported by the police. "
                                  "Forces moving to injury-based reporting (CRASH, from 2016) record more injuries "
                                  "as serious: a rise around the change may be one of recording.", True))
        if len(self.unplaced):
            shown = [self.gaps[y] for y in self.years if y in self.gaps]
            notes.append(DataNote(f"{len(self.unplaced):,} casualties in the data folder belong to collisions whose "
                                  "collision file is not there, so they cannot be placed in an area and are left out"
                                  + (f" ({'; '.join(shown)})" if shown else "")
                                  + ": add the collision file of the same year.", True))
        notes.append(DataNote("Road users grouped from casualty_type as DfT reports them: "
                              + "; ".join(f"{group} ({', '.join(map(str, codes))})"
                                          for group, codes in stats19_input.ROAD_USER_TYPES.items())
                              + ". Young car occupants: car occupants (type 9 or 109) aged 17 to 24."))
        notes.append(DataNote("KSI per 100,000 residents: ONS mid-year population estimates of the same year; 95% "
                              "interval as OHID Fingertips computes intervals for counts: the exact Poisson interval "
                              "below 10 casualties, Byar's method from 10. The area is significantly higher or lower "
                              "than its comparison only when the whole interval lies above or below the comparison's "
                              "rate."))
        notes.append(DataNote(f"Changes on the previous year and over three years, in the summary, use the "
                              f"{self.ksi_series_name} series, as the rate does"
                              + (": DfT advises the severity-adjusted figures for comparisons over time (Guide to "
                                 "severity adjustments for reported road casualties); the changes of KSI as "
                                 "reported are in the table of changes." if self.adjusted else ".")))
        if self.comparison.note:
            notes.append(DataNote(self.comparison.note))
        notes += [n for n in self.notes if not n.warning]
        files = self.ingest.sources.get(stats19_input.TABLE, [])
        if files:
            notes.append(DataNote(f"DfT road safety data (STATS19) read from: {', '.join(Path(f).name for f in files)}."))
        return notes

    def _measure(self, label: str, unit: str, column: str | None, *, interval: bool = False) -> dict:
        def number(value, digits: int = 3):
            return None if is_missing(value) else round(float(value), digits)

        if column is None:  # the rate
            series = self.series
            latest = series.iloc[-1]
            return {"measure": label, "source": "DfT road safety data (STATS19)", "unit": unit,
                    "period": latest["period"], "value": number(latest["value"]),
                    "lower_ci": number(latest["lower"]), "upper_ci": number(latest["upper"]),
                    "interval": (poisson_method(latest["count"]) if interval and not is_missing(latest["lower"])
                                 else None),
                    "benchmark_name": self.comparison.name or None, "benchmark": number(latest["benchmark"]),
                    "comparison": self.rate_comparison, "count": number(latest["count"]),
                    "denominator": number(latest["denominator"], 0), "target": None, "better": "lower",
                    "status": None, "trend": [{"period": r.period, "value": number(r.value),
                                               "benchmark": number(r.benchmark)} for r in series.itertuples()]}
        return {"measure": label, "source": "DfT road safety data (STATS19)", "unit": unit,
                "period": str(self.years[-1]), "value": number(self.latest[column]), "lower_ci": None,
                "upper_ci": None, "interval": None, "benchmark_name": None, "benchmark": None,
                "comparison": NOT_COMPARED, "count": number(self.latest[column]), "denominator": None,
                "target": None, "better": "lower", "status": None,
                "trend": [{"period": str(r.year), "value": number(getattr(r, column)), "benchmark": None}
                          for r in self.annual.itertuples()]}

    def findings(self) -> dict:
        measures = []
        if self.has_figures:
            measures = [self._measure(KSI_RATE_LABEL, "per 100,000", None, interval=True),
                        self._measure(KSI_LABEL, "count", "ksi"),
                        self._measure(ALL_LABEL, "count", "casualties"),
                        self._measure(YOUNG_LABEL, "count", "young_car_ksi")]
        annual = _plain(self.annual.to_dict("records")) if self.has_figures else []
        for row in annual:
            row["ksi_adjusted"] = None if is_missing(row["ksi_adjusted"]) else round(row["ksi_adjusted"], 3)
        changes = {}
        if self.has_figures:
            for column in ("ksi", *(("ksi_adjusted",) if self.adjusted else ()), "casualties", "young_car_ksi"):
                changes[column] = {f"{back}_year": (lambda c: {"from_year": c[0], "from": c[1], "change_pct":
                                                               None if c[2] is None else round(c[2], 3)})(
                    self._change(column, back)) for back in (1, 2)}
        return {
            "section": self.key, "title": self.spec.title, "area": self.area_name,
            "area_codes": list(self.area.lad_codes), "period": self.config.period.label,
            "latest_period_ends_by": self.last_year, "years": list(self.years),
            "headline": self.headline_text() if self.has_figures else "",
            "severity_adjusted": self.adjusted, "ksi_series": self.ksi_series_name if self.has_figures else None,
            "comparison_name": self.comparison.name if self.has_figures else None,
            "annual": annual, "changes": changes,
            "by_road_user": _plain(self.by_road_user.to_dict("records")) if self.has_figures else [],
            "by_age_band": _plain(self.by_age_band.to_dict("records")) if self.has_figures else [],
            "measures": measures, "narrative": self.narrative_text(), **self.missing_findings(),
            "data_notes": [n.text for n in self.data_notes()], "demo": self.ingest.demo,
        }


SECTION_CLASS = RoadSafetySection

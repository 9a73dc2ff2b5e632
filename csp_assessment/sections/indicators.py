"""What the substance misuse, re-offending and mental health notebooks call.

These sections bring together figures published elsewhere: OHID Fingertips indicators, the
Ministry of Justice's proven re-offending statistics, data.police.uk drug and weapons offences
(substance misuse) and partner returns. Every measure becomes a :class:`Measure`, a series of
periods with, where the publisher gives one, the national benchmark, so that the headline table,
the comparison with England, the trend charts, the targets and the narrative are made the same
way whatever the source.

Which period is "latest": the last one the inputs hold that ends no later than the year the
assessment period ends (2017 for April 2016 - March 2017); later periods are left out and said so.
Significant differences from the benchmark follow Fingertips (see stats/intervals.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
from IPython.display import Markdown

from ..display import charts, indicator_charts, narrative
from ..stats import measures
from .. import store
from ..config import RunConfig
from ..ingest import fingertips as fingertips_input
from ..ingest.folder import IngestSummary
from ..ingest.ons_domestic_abuse import DOWNLOAD as DOMESTIC_ABUSE_DOWNLOAD
from ..ingest.partners import SECTIONS as INDICATOR_SECTIONS
from ..ingest.partners import TEMPLATE_NAME
from ..stats.intervals import (NOT_COMPARED, compare_with_benchmark, poisson_method, poisson_rate_interval,
                               wilson_interval)
from ..display.data_tables import NOT_APPLICABLE, NOT_AVAILABLE, UNIT_WORDS, DataTable, number, short_period_label
from ..formats import fmt_number, fmt_value, is_missing
from .registry import SECTIONS, SectionSpec
from .base import DEMO_NOTE, DataNote, MissingInput, Section, esc, styled_table
from .crime import CrimeSection


@dataclass(frozen=True)
class Indicator:
    """How a Fingertips indicator is shown: its section, a short label, its unit, and how to get a
    95% interval the export leaves empty: "wilson" (proportions), "byar" (crude rates per
    100,000), or "" for standardised rates, whose interval only the publisher can give."""

    section: str
    label: str
    unit: str
    interval: str


FINGERTIPS_INDICATORS: dict[int, Indicator] = {
    90244: Indicator("substance_misuse", "Successful completion of drug treatment: opiate users", "%", "wilson"),
    90245: Indicator("substance_misuse", "Successful completion of drug treatment: non-opiate users", "%", "wilson"),
    92906: Indicator("substance_misuse", "Admission episodes for alcohol-specific conditions", "per 100,000", ""),
    93495: Indicator("mental_health", "Common mental disorders, estimated prevalence (16+)", "%", "wilson"),
    848: Indicator("mental_health", "Depression prevalence (18+)", "%", "wilson"),
    90581: Indicator("mental_health", "Severe mental illness prevalence (all ages)", "%", "wilson"),
    91143: Indicator("mental_health", "Mental health disorders in children, estimated prevalence (5-16)", "%",
                     "wilson"),
    41001: Indicator("mental_health", "Suicide rate", "per 100,000", ""),
}
# Indicators not in the table are placed by name, first match first: drug-related *mental*
# disorders belong to substance misuse.
NAME_PATTERNS = (
    (re.compile(r"drug|alcohol|opiate|substance|needle", re.IGNORECASE), "substance_misuse"),
    (re.compile(r"mental|depress|suicid|self-harm|psychiatr|psychos|schizophren", re.IGNORECASE), "mental_health"),
)
# data.police.uk crime types reported with substance misuse, and how sentences name them.
POLICE_TYPES = {"Drugs": "drug offences", "Possession of weapons": "possession of weapons offences"}
INTERVAL_METHODS = {"published": "published by the source", "Wilson score": "Wilson score method (proportions)",
                    "Byar": "Byar's method (crude rates on 10 or more events)",
                    "exact Poisson": "the exact Poisson method (crude rates on fewer than 10 events)"}

FINGERTIPS_PROFILES = {
    "mental_health": "Common Mental Health Disorders, Severe Mental Illness, Suicide Prevention, Children and "
                     "Young People's Mental Health and Wellbeing",
    "substance_misuse": "Local Alcohol Profiles for England, Public Health Outcomes Framework (drug treatment)",
}
PARTNER_FIGURES = {
    "substance_misuse": "needle finds, people in treatment",
    "reoffending": "community order, licence and unpaid work completion, integrated offender management results",
    "mental_health": "Section 136 detentions",
    "violence_domestic_abuse": "domestic abuse incidents and crimes, victims and repeat victims, MARAC cases and "
                               "repeat referrals, one-stop-shop attendance",
}
# The processed tables each section reads (police.uk records aside), and what to call them.
SECTION_INPUTS = {
    "substance_misuse": ("fingertips", "partner_returns"),
    "reoffending": ("reoffending", "partner_returns"),
    "mental_health": ("fingertips", "partner_returns"),
    "violence_domestic_abuse": ("ons_domestic_abuse", "partner_returns"),
}
INPUT_NAMES = {"fingertips": "OHID Fingertips indicators", "reoffending": "MoJ proven re-offending statistics",
               "partner_returns": "partner returns",
               "ons_domestic_abuse": "ONS domestic abuse-related crime rates by police force area"}
SERIES_COLUMNS = ["period", "end_year", "value", "lower", "upper", "count", "denominator", "benchmark", "note"]


# Who publishes each input, for the reviewers' "Not yet supplied" list (the steps are where_to_get's).
PUBLISHED_BY = {
    "fingertips": "OHID Fingertips, fingertips.phe.org.uk",
    "reoffending": "Ministry of Justice, Proven reoffending statistics on gov.uk",
    "ons_domestic_abuse": "ONS, Domestic abuse in England and Wales data tool on ons.gov.uk",
    "partner_returns": "partner agencies, on the partner-return template",
}


def missing_input(table: str, section: str, what: str, area_name: str = "") -> MissingInput:
    """An absent input of ``section``: ``what`` opens the analysts' sentence ("No OHID Fingertips
    indicators are in the data folder"), followed by how to add it."""
    name = INPUT_NAMES[table]
    if table == "partner_returns":
        name = f"partners' figures ({PARTNER_FIGURES[section]})"
    elif table == "fingertips":
        name = f"{name} ({FINGERTIPS_PROFILES[section]})"
    if area_name and table != "partner_returns":
        name += f" for {area_name}"
    return MissingInput(name, PUBLISHED_BY[table], f"{what}; {where_to_get(table, section)}.")


def where_to_get(table: str, section: str) -> str:
    """How a user adds the input behind ``table``: 'to add them, download ...'."""
    if table == "fingertips":
        return ("to add them, download the indicators from OHID Fingertips (fingertips.phe.org.uk): open the "
                f"profile ({FINGERTIPS_PROFILES[section]}), choose the area, then Download → export all data as "
                "CSV, and put the file, unchanged, in the data folder")
    if table == "reoffending":
        return ("to add them, download the figures from gov.uk, \"Proven reoffending statistics\": the quarterly "
                "release's geographical data tool, by local authority with England and Wales, adults and "
                "juveniles, saved as CSV in the data folder")
    if table == "ons_domestic_abuse":
        return f"to add them, download {DOMESTIC_ABUSE_DOWNLOAD}"
    return (f"to add them, copy data/raw/{TEMPLATE_NAME} to a new name, add one row per figure "
            f"({PARTNER_FIGURES[section]}) and put it in the data folder")


def indicator_spec(indicator_id: int, name: str, rows: pd.DataFrame) -> Indicator | None:
    """The table's entry, else one placed by name with its unit read from the figures; None when
    the indicator belongs to no section here."""
    if indicator_id in FINGERTIPS_INDICATORS:
        return FINGERTIPS_INDICATORS[indicator_id]
    section = next((key for pattern, key in NAME_PATTERNS if pattern.search(name)), None)
    if section is None:
        return None
    # A proportion's value is 100 x count / denominator, a crude rate's 100,000 x; a standardised
    # rate is neither, and keeps only the interval Fingertips publishes.
    ratio = (rows["value"] * rows["denominator"] / rows["count"]).replace([math.inf, -math.inf], math.nan).median()
    for scale, unit, interval in ((100, "%", "wilson"), (100_000, "per 100,000", "byar")):
        if not math.isnan(ratio) and abs(ratio / scale - 1) < 0.01:
            return Indicator(section, name, unit, interval)
    return Indicator(section, name, "per 100,000" if "rate" in name.lower() else "", "")


# ---- numbers for readers -------------------------------------------------------------------


def _unit_label(unit: str) -> str:
    return {"%": "%", "count": "count", "": "value"}.get(unit, unit)


# ---- the measures --------------------------------------------------------------------------


@dataclass
class Measure:
    """One measure of a section over every period held, oldest first.

    ``series`` columns: period, end_year, value, lower, upper (95% limits), interval (how they
    were obtained: "published", "Wilson score", "Byar", "exact Poisson" or ""), benchmark, count, denominator,
    note. ``benchmark_name`` is "" when the source has no national figure.
    """

    key: str
    label: str
    unit: str
    source: str
    series: pd.DataFrame
    benchmark_name: str = ""
    target: float | None = None
    better: str = ""
    detail: str = ""  # which population the figures are for, e.g. "Persons, 18+ yrs"

    @property
    def latest(self) -> pd.Series:
        """The last period's row: read many times by the tables, sentences and findings, so built once
        per ``series`` (a measure given a new series, as the repeat-victim share is, gets its own)."""
        built = self.__dict__.get("_latest")
        if built is None or built[0] is not self.series:
            built = self.__dict__["_latest"] = (self.series, self.series.iloc[-1])
        return built[1]

    @property
    def comparison(self) -> str:
        row = self.latest
        if not self.benchmark_name:
            return NOT_COMPARED
        return compare_with_benchmark(_float(row["benchmark"]), _float(row["lower"]), _float(row["upper"]))

    @property
    def status(self) -> str:
        """'Met' / 'Not met' against the target, '' without one."""
        value = self.latest["value"]
        if self.target is None or is_missing(value):
            return ""
        met = value >= self.target if self.better == "higher" else value <= self.target
        return "Met" if met else "Not met"


def _float(value) -> float | None:
    return None if is_missing(value) else float(value)


def _series(period, end_year, value, **columns) -> pd.DataFrame:
    """A measure's series from its columns; limits, count, denominator and benchmark default to none."""
    frame = pd.DataFrame({"period": period, "end_year": end_year, "value": value, "note": ""}
                         | {c: math.nan for c in ("lower", "upper", "count", "denominator", "benchmark")} | columns)
    return frame[SERIES_COLUMNS].reset_index(drop=True)


def _with_intervals(series: pd.DataFrame, method: str, per: float) -> pd.DataFrame:
    """Published limits where the source gives them; otherwise Wilson (proportions) or, for crude
    rates, exact Poisson below 10 events and Byar from 10, from the count and denominator; none for
    standardised rates."""
    lower, upper, how = [], [], []
    for row in series.itertuples():
        if not (is_missing(row.lower) or is_missing(row.upper)):
            bounds, name = (row.lower, row.upper), "published"
        elif is_missing(row.value) or is_missing(row.count) or is_missing(row.denominator) or row.denominator <= 0:
            bounds, name = (math.nan, math.nan), ""
        elif method == "wilson" and 0 <= row.count <= row.denominator:
            bounds, name = tuple(per * b for b in wilson_interval(row.count, row.denominator)), "Wilson score"
        elif method == "byar":
            bounds, name = poisson_rate_interval(row.count, row.denominator, per), poisson_method(row.count)
        else:
            bounds, name = (math.nan, math.nan), ""
        lower.append(bounds[0])
        upper.append(bounds[1])
        how.append(name)
    return series.assign(lower=lower, upper=upper, interval=how)


class IndicatorSection(Section):
    """One of the substance misuse, re-offending and mental health sections, for one area and
    assessment."""

    def __init__(self, spec: SectionSpec, config: RunConfig, ingest: IngestSummary):
        if spec.key not in INDICATOR_SECTIONS:
            raise ValueError(f"'{spec.key}' is not an indicator section ({', '.join(INDICATOR_SECTIONS)})")
        super().__init__(spec, config, ingest)
        # The crime section's view of the police data gives the same area, name and records.
        self.crime = CrimeSection(SECTIONS["all_crime"], config, ingest)
        self.area, self.area_name = self.crime.area, self.crime.area_name
        self.end_year = config.period.end.year
        self.notes: list[DataNote] = []
        self.absent_inputs: list[MissingInput] = []
        self.measures = self._gather()

    def _table(self, name: str) -> pd.DataFrame | None:
        """A processed table, only if this data folder's ingest wrote it (an older ingest of
        another folder may have left one behind)."""
        if name not in self.ingest.sources or not store.has_table(self.config.processed_dir, name):
            return None
        return store.read_table(self.config.processed_dir, name)

    def _area_rows(self, rows: pd.DataFrame, keys: list[str], add) -> pd.DataFrame:
        """The area's rows: its own code's, or for an area of several authorities the sum of theirs
        (``add`` turns summed rows into figures; None where they cannot be added), for the periods
        every authority has."""
        codes = self.area.lad_codes
        own = rows[rows["area_code"] == (codes[0] if len(codes) == 1 else self.area.partnership_code)]
        if len(own) or len(codes) == 1 or add is None:
            return own
        parts = rows[rows["area_code"].isin(codes)]
        complete = parts.groupby(keys).filter(lambda g: g["area_code"].nunique() == len(codes))
        return add(complete, keys)

    def _cut(self, series: pd.DataFrame, label: str) -> pd.DataFrame:
        later = series[series["end_year"] > self.end_year]
        if len(later):
            self.notes.append(DataNote(f"{label}: {narrative.counted(len(later), 'period')} ending after {self.end_year} "
                                       f"({', '.join(later['period'])}) {narrative.plural(len(later), 'is', 'are')} after "
                                       "this assessment and left out."))
        return series[series["end_year"] <= self.end_year].reset_index(drop=True)

    # ---- sources -----------------------------------------------------------------------------
    def _fingertips_measures(self) -> list[Measure]:
        table = self._table("fingertips")
        if table is None:
            self.absent_inputs.append(missing_input("fingertips", self.key,
                                                    f"No {INPUT_NAMES['fingertips']} are in the data folder"))
            return []
        found, expected = [], {i: s for i, s in FINGERTIPS_INDICATORS.items() if s.section == self.key}
        for indicator_id, rows in table.groupby("indicator_id", sort=False):
            spec = indicator_spec(int(indicator_id), rows["indicator_name"].iloc[0], rows)
            if spec is None or spec.section != self.key:
                continue
            expected.pop(int(indicator_id), None)
            per = 100 if spec.unit == "%" else 100_000
            area = self._area_rows(rows, ["period", "end_year"],
                                   None if not spec.interval else lambda parts, keys: _summed(parts, keys, per))
            if area.empty:
                if len(self.area.lad_codes) > 1 and not spec.interval:
                    self.notes.append(DataNote(f"{spec.label} is a standardised rate, which cannot be added up "
                                               "across local authorities, so it is not shown for this area.", True))
                continue
            england = rows[rows["area_code"] == fingertips_input.ENGLAND].set_index("period")["value"]
            series = (area.sort_values(["end_year", "period_sortable", "period"], na_position="first")
                      .rename(columns={"lower_ci": "lower", "upper_ci": "upper", "value_note": "note"})
                      .assign(benchmark=lambda d: d["period"].map(england)))
            series = self._cut(series[SERIES_COLUMNS], spec.label)
            if series.empty:
                continue
            found.append(Measure(f"fingertips:{indicator_id}", spec.label, spec.unit, "OHID Fingertips",
                                 _with_intervals(series, spec.interval, per), "England" if england.size else "",
                                 detail=f"{rows['sex'].iloc[0]}, {rows['age'].iloc[0]}"))
        if not found:
            self.absent_inputs.append(missing_input(
                "fingertips", self.key, f"The {INPUT_NAMES['fingertips']} in the data folder hold none on "
                                        f"{self.spec.title.lower()} for {self.area_name}", self.area_name))
        elif expected:
            missing = ", ".join(f"{s.label} (indicator {i})" for i, s in expected.items())
            self.notes.append(DataNote(f"Not in the Fingertips files, so not shown: {missing}.", True))
        return found

    def _reoffending_measures(self) -> list[Measure]:
        table = self._table("reoffending")
        if table is None:
            self.absent_inputs.append(missing_input("reoffending", self.key,
                                                    f"No {INPUT_NAMES['reoffending']} are in the data folder"))
            return []
        # Proportions from 3-month and 12-month cohorts are not comparable: use one length, the
        # annual one where the file has it.
        lengths = sorted(table["cohort_months"].unique(), key=lambda n: (n != 12, n))
        table = table[table["cohort_months"] == lengths[0]]
        if len(lengths) > 1:
            self.notes.append(DataNote(f"Re-offending: {lengths[0]}-month cohorts are shown; the file's "
                                       f"{', '.join(f'{n}-month' for n in lengths[1:])} cohorts are not comparable "
                                       "with them and are left out."))
        table = pd.concat([table, _all_ages(table)], ignore_index=True)
        keys = ["cohort", "cohort_start", "end_year", "age_group"]
        area = self._area_rows(table[~table["is_national"]], keys, _summed_cohorts)
        # England and Wales (K04000001) where the file has it, else England alone.
        national = table[table["is_national"]].sort_values("area_code", ascending=False)
        found = []
        for age, label in (("All", "all offenders"), ("Adult", "adults"), ("Juvenile", "juveniles")):
            rows = area[area["age_group"] == age].sort_values("cohort_start")
            if rows.empty:
                continue
            national_rows = national[national["age_group"] == age].drop_duplicates("cohort")
            benchmark = national_rows.set_index("cohort")["proportion"]
            series = self._cut(_series(rows["cohort"], rows["end_year"], rows["proportion"],
                                       count=rows["reoffenders"], denominator=rows["offenders"],
                                       benchmark=rows["cohort"].map(benchmark)), f"Re-offending rate ({label})")
            if series.empty:
                continue
            found.append(Measure(f"reoffending:{age}", f"Re-offending rate ({label})", "%", "MoJ proven re-offending",
                                 _with_intervals(series, "wilson", 100),
                                 national_rows["area_name"].iloc[0] if len(national_rows) else ""))
        if not found:
            self.absent_inputs.append(missing_input(
                "reoffending", self.key, f"The {INPUT_NAMES['reoffending']} in the data folder hold no figures for "
                                         f"{self.area_name}", self.area_name))
        return found

    @cached_property
    def police_trends(self) -> dict[str, pd.DataFrame]:
        """Drug and weapons offences per 12-month period of the trend window, as measures.trend gives them."""
        counts = self.crime.counts
        return {t: measures.trend(counts[counts["crime_type"] == t], self.config.trend, self.crime.available_months)
                for t in POLICE_TYPES}

    def _police_measures(self) -> list[Measure]:
        return [Measure(f"police:{crime_type}", narrative.sentence_case(POLICE_TYPES[crime_type]), "count",
                        "data.police.uk",
                        _series(trend["period"], trend["end"].str[:4].astype(int),
                                trend["records"].astype("Float64").astype(float)).assign(interval=""))
                for crime_type, trend in self.police_trends.items()]

    def _partner_measures(self) -> list[Measure]:
        table = self._table("partner_returns")
        rows = None if table is None else table[table["section"] == self.key]
        if rows is None or rows.empty:
            topic = self.spec.title.lower()
            what = (f"No partner returns for {topic} are in the data folder" if table is None
                    else f"The partner returns in the data folder hold no figures for {topic}")
            self.absent_inputs.append(missing_input("partner_returns", self.key, what))
            return []
        found = []
        for (measure, unit), group in rows.groupby(["measure", "unit"], sort=False):
            group = self._cut(group.sort_values(["end_year", "row"]), measure)
            if group.empty:
                continue
            latest = group.iloc[-1]
            series = _series(group["period"], group["end_year"], group["value"]).assign(interval="")
            found.append(Measure(f"partner:{measure}", measure, unit, latest["source"] or "Partner return", series,
                                 target=_float(latest["target"]), better=latest["better"]))
        return found

    def _gather(self) -> list[Measure]:
        """Every measure of the section, in the order the reports list them; records what is
        missing and what the reader should know on the way."""
        inputs = SECTION_INPUTS[self.key]
        found = self._fingertips_measures() if "fingertips" in inputs else []
        if "reoffending" in inputs:
            found += self._reoffending_measures()
        if self.key == "substance_misuse":
            found += self._police_measures()
        return found + self._partner_measures()

    @property
    def benchmarked(self) -> list[Measure]:
        return [m for m in self.measures if m.benchmark_name]

    @property
    def with_targets(self) -> list[Measure]:
        return [m for m in self.measures if m.target is not None]

    @property
    def benchmark_name(self) -> str:
        names = sorted({m.benchmark_name for m in self.benchmarked})
        return " / ".join(names) or "England"

    @cached_property
    def police_changes(self) -> dict[str, measures.Change | None]:
        counts = self.crime.counts
        return {t: measures.annual_change(counts[counts["crime_type"] == t], self.config.period,
                                          self.config.comparison, self.crime.available_months)
                for t in POLICE_TYPES}

    # ---- sentences ---------------------------------------------------------------------------
    def measure_sentence(self, m: Measure) -> str:
        row = m.latest
        if m.key.startswith("police:"):
            crime_type = m.key.removeprefix("police:")
            count = None if is_missing(row["value"]) else int(row["value"])
            return narrative.level_sentence(count=count, noun_plural=POLICE_TYPES[crime_type], area=self.area_name,
                                            period_label=self.config.period.label, rate=None,
                                            change=self.police_changes[crime_type],
                                            comparison_label=self.config.comparison.label,
                                            missing_note=self.crime.period_missing_note,
                                            no_comparison=self.crime.no_comparison,
                                            noun_singular=POLICE_TYPES[crime_type].replace("offences", "offence"))
        if is_missing(row["value"]):
            return f"{m.label}: the {row['period']} figure is not published (suppressed or withheld by the source)."
        if m.key.startswith("partner:"):
            sentence = f"{m.label}: {fmt_value(row['value'], m.unit)} in {row['period']}"
        else:
            sentence = f"{m.label} is {fmt_value(row['value'], m.unit)} ({row['period']})"
        if m.benchmark_name and not is_missing(row["benchmark"]):
            national = f"{m.benchmark_name} ({fmt_value(row['benchmark'], m.unit)})"
            sentence += {
                "higher": f", significantly higher than {national}.",
                "lower": f", significantly lower than {national}.",
                "similar": f", similar to {national}: the difference is not statistically significant.",
            }.get(m.comparison, f"; {national}, not tested for significance: no confidence interval is available.")
        elif m.target is not None:
            target = fmt_value(m.target, m.unit)
            sentence += f" against a target of {target} ({m.better} is better): {m.status.lower()}."
        else:
            sentence += self._change_clause(m) + "."
        return sentence

    @staticmethod
    def _change_clause(m: Measure) -> str:
        known = m.series.dropna(subset=["value"])
        if len(known) < 2:
            return ""
        previous, latest = known.iloc[-2], known.iloc[-1]
        # Compared as printed, so a difference hidden by rounding is not called a rise or fall.
        if fmt_value(previous["value"], m.unit) == fmt_value(latest["value"], m.unit):
            return f", unchanged from {previous['period']}"
        word = "up" if latest["value"] > previous["value"] else "down"
        return f", {word} from {fmt_value(previous['value'], m.unit)} in {previous['period']}"

    def narrative_text(self) -> str:
        if not self.measures:
            return (f"No figures on {self.spec.title.lower()} for {self.area_name} are in this assessment yet: the "
                    "inputs they come from are not yet supplied.")
        return " ".join(self.measure_sentence(m) for m in self.measures)

    def police_summary(self) -> str:
        """The police-recorded measures (drug and weapons offences) for the summaries: one sentence
        while there is no change to give, else a sentence each."""
        police = [m for m in self.measures if m.key.startswith("police:")]
        counts = [m.latest["value"] for m in police]
        if not police or any(self.police_changes.values()) or any(is_missing(c) for c in counts):
            return " ".join(self.measure_sentence(m) for m in police)
        listed = [narrative.counted(int(c), POLICE_TYPES[m.key.removeprefix("police:")].replace("offences", "offence"),
                                    POLICE_TYPES[m.key.removeprefix("police:")]) for m, c in zip(police, counts)]
        sentence = (" and ".join(listed) + f" {'was' if len(listed) == 1 and counts[0] == 1 else 'were'} recorded in "
                    f"{self.area_name} in {self.config.period.label}.")
        return sentence + (f" {self.crime.no_comparison}" if self.crime.no_comparison else "")

    # ---- display objects for the notebook ----------------------------------------------------
    def heading(self) -> Markdown:
        cfg = self.config
        return Markdown(f"**{esc(self.area_name)}** · assessment period {cfg.period.long_label} · latest figures "
                        f"published for periods ending by {self.end_year}")

    def narrative(self) -> Markdown:
        return Markdown(esc(self.narrative_text()))

    def headline(self) -> pd.DataFrame:
        """One row per measure, latest period; cells are text, as units differ from row to row."""
        national = self.benchmark_name
        rows = []
        for m in self.measures:
            row = m.latest
            interval = numbers = benchmark = comparison = ""
            if not is_missing(row["lower"]):
                interval = f"{fmt_number(row['lower'], m.unit)} – {fmt_number(row['upper'], m.unit)}"
            if not (is_missing(row["count"]) or is_missing(row["denominator"])):
                numbers = f"{narrative.fmt_int(row['count'])} / {narrative.fmt_int(row['denominator'])}"
            if m.benchmark_name:
                benchmark, comparison = fmt_value(row["benchmark"], m.unit), m.comparison
            rows.append({"Measure": m.label, "Period": row["period"], self.area_name: fmt_value(row["value"], m.unit),
                         "95% interval": interval, national: benchmark, f"Compared with {national}": comparison,
                         "Count / denominator": numbers, "Source": m.source})
        table = pd.DataFrame(rows)
        # No column that is empty on every row (police counts have no interval or national figure).
        return table[[c for c in table.columns if c in ("Measure", "Period", self.area_name)
                      or (table[c].astype(str) != "").any()]]

    def headline_table(self):
        if not self.measures:
            return Markdown(f"No figures for {esc(self.area_name)}: see the missing inputs above.")
        return styled_table(self.headline(), {}, caption=f"{self.spec.title}: latest figures, {self.area_name}",
                            data=[self.table_id("latest")])

    def significance_chart(self):
        rows = [m for m in self.benchmarked if not is_missing(m.latest["value"]) and not is_missing(m.latest["lower"])
                and not is_missing(m.latest["benchmark"])]
        if not rows:
            return Markdown(f"No measure has both a confidence interval and a {esc(self.benchmark_name)} figure, "
                            "so none can be tested for a significant difference.")
        table = pd.DataFrame({
            "label": [m.label for m in rows], "value": [m.latest["value"] for m in rows],
            "lower": [m.latest["lower"] for m in rows], "upper": [m.latest["upper"] for m in rows],
            "benchmark": [m.latest["benchmark"] for m in rows], "comparison": [m.comparison for m in rows],
            "note": [f"{fmt_value(m.latest['value'], m.unit)} vs {fmt_value(m.latest['benchmark'], m.unit)} "
                     f"({m.latest['period']})" for m in rows]})
        counts = table["comparison"].value_counts()
        higher, lower, n, national = counts.get("higher", 0), counts.get("lower", 0), len(rows), self.benchmark_name
        if higher and lower:
            finding = f"significantly higher than {national} on {higher} and lower on {lower} of {n} measures"
        elif higher or lower:
            direction = "higher" if higher else "lower"
            finding = f"significantly {direction} than {national} on {higher or lower} of {n} measures"
        else:
            finding = f"similar to {national} on all {n} measures"
        return charts.with_data(indicator_charts.significance_chart(table, f"{self.area_name} is {finding}", national),
                                self.table_id("latest"))

    @property
    def _trended(self) -> list[Measure]:
        """Measures with a trend to draw: two published periods or more. Police records are drawn
        by police_trend_charts, as the crime sections draw theirs."""
        return [m for m in self.measures if not m.key.startswith("police:") and m.series["value"].notna().sum() >= 2]

    def trend_charts(self) -> list:
        return [charts.with_data(indicator_charts.measure_trend_chart(
                    m.series, title=self._trend_title(m), y_label=f"{m.label} ({_unit_label(m.unit)})",
                    area_name=self.area_name, benchmark_name=m.benchmark_name, target=m.target), self.table_id("trends"))
                for m in self._trended]

    def trend_note(self) -> Markdown:
        single = [m.label for m in self.measures if not m.key.startswith("police:") and m not in self._trended]
        if not single:
            return Markdown("")
        return Markdown(f"Fewer than two published periods are held for: {esc('; '.join(single))}; "
                        "no trend can be drawn for these.")

    def _trend_title(self, m: Measure) -> str:
        known = m.series.dropna(subset=["value"])
        first, last = known.iloc[0], known.iloc[-1]
        shown_first, shown_last = fmt_value(first["value"], m.unit), fmt_value(last["value"], m.unit)
        # Compared as printed: "rose from 9.6% to 9.6%" would contradict itself.
        if shown_first == shown_last:
            title = f"{m.label} was unchanged at {shown_last} between {first['period']} and {last['period']}"
        else:
            verb = "rose" if last["value"] > first["value"] else "fell"
            title = f"{m.label} {verb} from {shown_first} ({first['period']}) to {shown_last} ({last['period']})"
        if m.benchmark_name and not is_missing(last["benchmark"]):
            title += f"; {m.benchmark_name} {fmt_value(last['benchmark'], m.unit)}"
        return title

    def police_table(self):
        cfg = self.config
        rows = []
        for crime_type, change in self.police_changes.items():
            current = self.police_trends[crime_type]["records"].iloc[-1]  # the last period is the assessment's
            row = {"Crime type": crime_type, cfg.period.label: narrative.fmt_int(current)}
            if change:
                row.update({cfg.comparison.label: narrative.fmt_int(change.previous), "Change": f"{change.difference:+,}",
                            "Change %": narrative.fmt_pct(change.pct, signed=True)})
            rows.append(row)
        caption = f"Drug and weapons offences recorded by the police, {self.area_name} (data.police.uk)"
        if not any(self.police_changes.values()):  # no columns of "not available": the caption says why
            caption += f". {self.crime.no_comparison}"
        return styled_table(pd.DataFrame(rows), {}, caption=caption, data=[self.table_id("trends")])

    def police_trend_charts(self) -> list:
        """A chart per police-recorded type with a trend (two periods or more); none before then."""
        figures = []
        for crime_type, trend in self.police_trends.items():
            if trend["records"].notna().sum() < 2:
                continue
            subject = narrative.sentence_case(POLICE_TYPES[crime_type])
            n_months = self.config.period.n_months
            figures.append(charts.with_data(charts.trend_chart(
                trend, narrative.trend_title(trend, subject, n_months), f"{subject} (count)",
                narrative.sentence_case(narrative.period_noun(n_months))), self.table_id("trends")))
        return figures

    def targets(self) -> pd.DataFrame:
        return pd.DataFrame([{"Measure": m.label, "Period": m.latest["period"],
                              "Value": fmt_value(m.latest["value"], m.unit), "Target": fmt_value(m.target, m.unit),
                              "Better": m.better, "Status": m.status, "Source": m.source} for m in self.with_targets],
                            columns=["Measure", "Period", "Value", "Target", "Better", "Status", "Source"])

    def targets_table(self):
        if not self.with_targets:
            return Markdown(f"No targets for {esc(self.spec.title.lower())} are in the partner returns: add them "
                            f"in the target and better columns of the partner-return template.")
        table = self.targets()
        table["Status"] = table["Status"].map({"Met": "✓ Met", "Not met": "✗ Not met"}).fillna(table["Status"])
        return styled_table(table, {}, caption=f"Progress against targets, {self.area_name}",
                            data=[self.table_id("latest")])

    def data_notes(self) -> list[DataNote]:
        notes: list[DataNote] = [DataNote(DEMO_NOTE, True)] if self.ingest.demo else []
        notes += [n for n in self.notes if n.warning]
        notes.append(DataNote(f"Latest period: for each measure, the last period in the data that ends no later than "
                              f"{self.end_year}, the year the assessment period ends; the table says which it is."))
        by_method: dict[str, list[str]] = {}
        for m in self.benchmarked:
            if m.latest["interval"]:
                by_method.setdefault(m.latest["interval"], []).append(m.label)
        if by_method:
            described = "; ".join(f"{INTERVAL_METHODS[method]} for {', '.join(labels)}"
                                  for method, labels in by_method.items())
            notes.append(DataNote(f"95% confidence intervals, as Fingertips computes them: {described}. A measure is "
                                  f"significantly higher or lower than {self.benchmark_name} only when its whole "
                                  "interval lies above or below the national value; otherwise it is similar, and "
                                  "without an interval it is not compared."))
        fingertips_measures = [m for m in self.measures if m.key.startswith("fingertips:")]
        if fingertips_measures:
            notes.append(DataNote("Fingertips figures are for the whole population (breakdowns by deprivation and "
                                  "other categories are left out) and, where several are published, for persons: "
                                  + "; ".join(f"{m.label}: {m.detail}" for m in fingertips_measures) + "."))
        suppressed = [f"{m.label} ({', '.join(m.series.loc[m.series['value'].isna(), 'period'])})"
                      for m in self.measures if m.series["value"].isna().any() and not m.key.startswith("police:")]
        if suppressed:
            notes.append(DataNote("Not published by the source (suppressed for small numbers or withheld): "
                                  + "; ".join(suppressed) + "."))
        if any(m.key.startswith("partner:") for m in self.measures):
            notes.append(DataNote("Partner returns are taken to describe the assessed area: the template has no area "
                                  "column. Each figure's source is named in the tables."))
        if self.key == "substance_misuse":
            notes.append(DataNote("Drug and weapons offences are data.police.uk records placed in the area through "
                                  "their LSOA; before May 2013 the site counted possession of weapons within "
                                  "'Public disorder and weapons'."))
        notes += [n for n in self.notes if not n.warning]
        used = {name: files for name, files in self.ingest.sources.items() if name in SECTION_INPUTS[self.key]}
        for name, files in used.items():
            notes.append(DataNote(f"{narrative.sentence_case(INPUT_NAMES[name])} read from: "
                                  f"{', '.join(Path(f).name for f in files)}."))
        notes.extend(DataNote(w, True) for w in self.crime.area_warnings())
        return notes


    # ---- the tables behind the figures (the workbook and the CSVs) ------------------------------
    @property
    def sources(self) -> str:
        return "; ".join(dict.fromkeys(m.source for m in self.measures))

    def tables(self) -> list[DataTable]:
        """The latest figures with their intervals and national comparisons, and every period of every
        measure (the trend charts'); for substance misuse, drug offences charged and searches too."""
        found = [self.latest_data(), self.trends_data()]
        if self.key == "substance_misuse":
            found += [self.crime.outcomes.drug_charges_data(), self.crime.outcomes.drug_searches_data()]
        return [t for t in found if t is not None]

    def _unit_words(self, m: Measure) -> str:
        return UNIT_WORDS.get(m.unit, m.unit)

    def latest_data(self) -> DataTable | None:
        if not self.measures:
            return None
        rows = []
        for m in self.measures:
            row = m.latest
            benchmarked = bool(m.benchmark_name)
            has_interval = not is_missing(row["lower"])
            # An interval exists for rates and proportions; a count or a partner figure has none.
            no_interval = NOT_AVAILABLE if m.unit not in ("count", "") and not m.key.startswith("partner:") \
                else NOT_APPLICABLE
            rows.append({
                "Measure": m.label, "Period": short_period_label(row["period"]), "Unit": self._unit_words(m),
                "Value": number(row["value"], 3),
                "Lower 95% limit": number(row["lower"], 3) if has_interval else no_interval,
                "Upper 95% limit": number(row["upper"], 3) if has_interval else no_interval,
                "Interval method": INTERVAL_METHODS.get(row["interval"], NOT_APPLICABLE) if has_interval
                else NOT_APPLICABLE,
                "Compared with": m.benchmark_name or NOT_APPLICABLE,
                "National value": number(row["benchmark"], 3) if benchmarked else NOT_APPLICABLE,
                "Compared with the national value": m.comparison if benchmarked else NOT_APPLICABLE,
                "Count": number(row["count"], 0, NOT_APPLICABLE),
                "Denominator": number(row["denominator"], 0, NOT_APPLICABLE),
                "Target": number(m.target) if m.target is not None else NOT_APPLICABLE,
                "Target status": m.status or NOT_APPLICABLE,
                "Source": m.source})
        frame = pd.DataFrame(rows)
        return DataTable(self.table_id("latest"), f"{self.spec.title}: latest figures with 95% intervals and national "
                                                  f"comparisons, {self.area_name}, periods ending by {self.end_year}",
                         frame, description="Each measure's latest value, its 95% confidence interval, the national "
                                            "value and whether the difference is significant, and its target",
                         source=self.sources, notes=[
                             "Value, limits, national value and target are in the unit of the Unit column (a % is a "
                             "percentage, 'per 100,000' a rate per 100,000 people).",
                             "Significantly higher or lower: the whole 95% interval lies above or below the national "
                             "value (Fingertips' method); otherwise similar."],
                         shorthand={NOT_AVAILABLE: "not available: not published by the source, or no interval can be "
                                                   "computed (a standardised rate whose interval the publisher did not "
                                                   "give)",
                                    NOT_APPLICABLE: "not applicable: the measure has no interval (a count), no national "
                                                    "figure or no target"})

    def trends_data(self) -> DataTable | None:
        if not self.measures:
            return None
        rows = []
        for m in self.measures:
            for r in m.series.itertuples():
                has_interval = not is_missing(r.lower)
                rows.append({"Measure": m.label, "Period": short_period_label(r.period), "Unit": self._unit_words(m),
                             "Value": number(r.value, 3),
                             "Lower 95% limit": number(r.lower, 3) if has_interval else NOT_APPLICABLE,
                             "Upper 95% limit": number(r.upper, 3) if has_interval else NOT_APPLICABLE,
                             "Compared with": m.benchmark_name or NOT_APPLICABLE,
                             "National value": number(r.benchmark, 3) if m.benchmark_name else NOT_APPLICABLE,
                             "Source": m.source})
        return DataTable(self.table_id("trends"), f"{self.spec.title}: every period of each measure, {self.area_name}, "
                                                  f"periods ending by {self.end_year}",
                         pd.DataFrame(rows), description="The series behind the trend charts: each measure's value in "
                                                         "every period the inputs hold, with its interval and the "
                                                         "national value",
                         source=self.sources, notes=["Values, limits and national values are in the unit of the Unit "
                                                     "column."],
                         shorthand={NOT_AVAILABLE: "not available: not published by the source for the period "
                                                   "(suppressed or withheld), or not in the data",
                                    NOT_APPLICABLE: "not applicable: no interval for the measure in the period, or no "
                                                    "national figure"})

    # ---- findings ------------------------------------------------------------------------------
    def findings(self) -> dict:
        def number(value, digits: int = 3):
            return None if is_missing(value) else round(float(value), digits)

        return {
            "section": self.key,
            "title": self.spec.title,
            "area": self.area_name,
            "area_codes": list(self.area.lad_codes),
            "period": self.config.period.label,
            "latest_period_ends_by": self.end_year,
            "measures": [{
                "measure": m.label, "source": m.source, "unit": m.unit, "period": m.latest["period"],
                "value": number(m.latest["value"]), "lower_ci": number(m.latest["lower"]),
                "upper_ci": number(m.latest["upper"]), "interval": m.latest["interval"] or None,
                "benchmark_name": m.benchmark_name or None, "benchmark": number(m.latest["benchmark"]),
                "comparison": m.comparison, "count": number(m.latest["count"], 0),
                "denominator": number(m.latest["denominator"], 0), "target": m.target, "better": m.better or None,
                "status": m.status or None,
                "trend": [{"period": r.period, "value": number(r.value), "benchmark": number(r.benchmark)}
                          for r in m.series.itertuples()],
            } for m in self.measures],
            "narrative": self.narrative_text(),
            "police_summary": self.police_summary(),
            **self.missing_findings(),
            "data_notes": [n.text for n in self.data_notes()],
            "demo": self.ingest.demo,
        }

def _summed(parts: pd.DataFrame, keys: list[str], per: float) -> pd.DataFrame:
    """Several authorities' Fingertips rows added up: counts and denominators summed, the value
    recomputed, limits left to be computed from them."""
    summed = parts.groupby(keys, as_index=False).agg(count=("count", "sum"), denominator=("denominator", "sum"),
                                                    period_sortable=("period_sortable", "first"))
    return summed.assign(value=per * summed["count"] / summed["denominator"], lower_ci=math.nan, upper_ci=math.nan,
                         value_note="")


def _summed_cohorts(parts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    summed = parts.groupby(keys, as_index=False)[["offenders", "reoffenders"]].sum(min_count=1)
    return summed.assign(proportion=100 * summed["reoffenders"] / summed["offenders"])


def _all_ages(table: pd.DataFrame) -> pd.DataFrame:
    """Adults and juveniles together, for areas and cohorts whose file gives no "All" row."""
    keys = ["area_code", "area_name", "is_national", "cohort", "cohort_start", "end_year"]
    given = set(map(tuple, table.loc[table["age_group"] == "All", keys].itertuples(index=False)))
    parts = table[table["age_group"].isin(["Adult", "Juvenile"])]
    summed = parts.groupby(keys, as_index=False).agg(offenders=("offenders", lambda s: s.sum(min_count=2)),
                                                     reoffenders=("reoffenders", lambda s: s.sum(min_count=2)))
    summed = summed[[tuple(r) not in given for r in summed[keys].itertuples(index=False)]]
    return summed.assign(age_group="All", proportion=100 * summed["reoffenders"] / summed["offenders"])


SPECS = (
    SectionSpec("substance_misuse", "03_substance_misuse.ipynb", "Substance misuse", "substance_misuse"),
    SectionSpec("reoffending", "04_reoffending.ipynb", "Re-offending", "reoffending"),
    SectionSpec("mental_health", "05_mental_health.ipynb", "Mental health", "mental_health"),
)
SECTION_CLASS = IndicatorSection

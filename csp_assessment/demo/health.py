"""Synthetic demonstration inputs for the substance misuse, re-offending and mental health sections.

``write_health_demo(out_dir, rng)`` writes, into ``out_dir/health-justice/``, in the publishers'
own layouts:

* ``fingertips-mental-health.csv`` and ``fingertips-substance-misuse.csv``: OHID Fingertips
  exports (the site's 26 columns) for Medway (E06000035, parent South East region E12000008) and
  England (E92000001), several periods per indicator, with the export's quirks: Male and Female
  rows beside Persons, deprivation-decile rows (a Category Type), a suppressed value with its
  Value note, a "*" note, and estimates published without confidence limits;
* ``moj-proven-reoffending.csv``: MoJ proven re-offending by local authority, adults and
  juveniles, annual cohorts Jan 2011 to Dec 2015, Medway and England and Wales, with thousands
  separators and a "*";
* ``partner-returns.csv``: the partner-return template filled in for Medway;
* ``README.md`` saying what is real and what is not.

The latest figures are the ones Medway's Strategic Assessment 2017 published (mental health;
community order, licence and unpaid work completion against targets) and, for substance misuse,
Maidstone's Partnership Plan 2017-18 figures used as a model (admissions for drug-related mental
and behavioural disorders 734 then 637; needle finds kept below 1,000). Earlier periods are drawn
from ``rng`` around a trend; counts and denominators always agree with the values. Called last by
``demo.generate_demo``, so the crime and ASB files are the same with or without it.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .areas import AUTHORITIES, ENGLAND_MID_YEAR, MEDWAY, REGION
from ..stats.intervals import Z_998, byar_interval, compare_with_benchmark, wilson_interval

FOLDER = "health-justice"
ENGLAND = ("E92000001", "England")
MEDWAY_AREA = (AUTHORITIES[MEDWAY].code, AUTHORITIES[MEDWAY].name)
SOUTH_EAST = (REGION[0], "South East region")
FINGERTIPS_COLUMNS = [
    "Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type", "Sex",
    "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
    "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator", "Value note", "Recent Trend",
    "Compared to England value or percentiles", "Compared to Region value or percentiles", "Time period Sortable",
    "New data", "Compared to goal",
]
SUPPRESSED_NOTE = "Value suppressed for disclosure control due to small count"
DECILE_TYPE = "County & UA deprivation deciles in England (IMD2015)"


@dataclass(frozen=True)
class DemoIndicator:
    """One Fingertips indicator: its latest figures for Medway and England, and how to go back.

    ``kind``: "proportion" (value = 100 * count / denominator), "crude" (per 100,000 residents) or
    "dsr" (directly standardised per 100,000, published with its interval). Earlier periods move
    by ``trend`` (relative change per period) with a little noise.
    """

    id: int
    name: str
    profile: str  # which export file: "mental-health" or "substance-misuse"
    age: str
    kind: str
    periods: tuple[str, ...]  # oldest first
    medway_count: int  # latest period
    medway_value: float  # latest period; a proportion's denominator follows from value and count (a crude
    # rate's value from count and population, so it is not given)
    england_value: float
    england_denominator: int  # people in the denominator (proportions) or residents (rates)
    trend: float
    published_ci: bool = True  # False: published without limits (estimates), the pipeline computes them
    sexes: bool = False  # also Male and Female rows
    deciles: bool = False  # also deprivation-decile rows for the latest period
    medway_previous: int | None = None  # the count of the period before the latest, where a document gives it


FINANCIAL_YEARS = ("2012/13", "2013/14", "2014/15", "2015/16", "2016/17")
CALENDAR_YEARS = ("2012", "2013", "2014", "2015", "2016")
INDICATORS = (
    # Medway Strategic Assessment 2017, "Mental Health".
    DemoIndicator(93495, "Estimated prevalence of common mental disorders: % of population aged 16 & over",
                  "mental-health", "16+ yrs", "proportion", FINANCIAL_YEARS[2:], 31_053, 15.8, 15.7, 44_102_315,
                  0.004, published_ci=False),
    DemoIndicator(848, "Depression: Recorded prevalence (aged 18 years and over)", "mental-health", "18+ yrs",
                  "proportion", FINANCIAL_YEARS, 20_424, 8.9, 8.3, 45_873_122, 0.06, deciles=True),
    DemoIndicator(90581, "Mental health: QOF prevalence (all ages)", "mental-health", "All ages", "proportion",
                  FINANCIAL_YEARS, 1_984, 0.67, 0.90, 58_651_408, 0.015),
    DemoIndicator(91143, "Estimated prevalence of mental health disorders in children and young people: "
                         "% population aged 5-16", "mental-health", "5-16 yrs", "proportion", CALENDAR_YEARS[2:],
                  3_928, 9.6, 8.5, 7_993_311, 0.01, published_ci=False),
    DemoIndicator(41001, "Suicide rate", "mental-health", "10+ yrs", "dsr",
                  ("2009 - 11", "2010 - 12", "2011 - 13", "2012 - 14", "2013 - 15"), 83, 11.7, 10.1, 142_163_540,
                  0.06, sexes=True),
    # Substance misuse: plausible figures for Medway in the style of Maidstone's plan.
    DemoIndicator(90244, "Successful completion of drug treatment: opiate users", "substance-misuse", "18+ yrs",
                  "proportion", CALENDAR_YEARS, 59, 6.2967, 6.7, 148_327, -0.05),
    DemoIndicator(90245, "Successful completion of drug treatment: non-opiate users", "substance-misuse",
                  "18+ yrs", "proportion", CALENDAR_YEARS, 201, 40.1198, 37.1, 103_214, -0.01),
    # 990002: not a Fingertips ID (OHID publishes re-presentations inside its completion
    # indicators); the pipeline recognises it by name.
    DemoIndicator(990002, "Re-presentations to drug treatment within 6 months of successful completion: "
                          "opiate users", "substance-misuse", "18+ yrs", "proportion", CALENDAR_YEARS, 11,
                  18.6441, 16.9, 9_912, 0.0, published_ci=False),
    DemoIndicator(92906, "Admission episodes for alcohol-specific conditions", "substance-misuse", "All ages", "dsr",
                  FINANCIAL_YEARS, 1_352, 498.0, 563.0, ENGLAND_MID_YEAR[-1], 0.03),
    # 990001: not a Fingertips ID either (NHS Digital publishes these admissions); recognised by
    # name, and a crude rate, so its interval is computed (Byar) from the count.
    # Maidstone's plan: 734 admissions the year before 637.
    DemoIndicator(990001, "Hospital admissions for drug-related mental and behavioural disorders",
                  "substance-misuse", "All ages", "crude", FINANCIAL_YEARS, 637, math.nan, 205.0,
                  ENGLAND_MID_YEAR[-1], -0.06, published_ci=False, medway_previous=734),
)
SUPPRESSED = {(90244, "2012")}  # (indicator, period) suppressed for Medway
STAR_NOTE = {(990002, "2013")}  # (indicator, period) with a "*" Value note


def write_health_demo(out_dir: Path, rng: np.random.Generator) -> list[Path]:
    """Write the demo inputs of the three indicator sections; return the files written."""
    folder = Path(out_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[list[str]]] = {"mental-health": [], "substance-misuse": []}
    for indicator in INDICATORS:
        rows[indicator.profile] += _fingertips_rows(indicator, rng)
    written = []
    for profile, profile_rows in rows.items():
        written.append(_write_csv(folder / f"fingertips-{profile}.csv", FINGERTIPS_COLUMNS, profile_rows))
    written.append(_write_csv(folder / "moj-proven-reoffending.csv", MOJ_COLUMNS, _moj_rows(rng)))
    written.append(_write_csv(folder / "partner-returns.csv", PARTNER_COLUMNS, PARTNER_ROWS))
    written.append(_write_readme(folder))
    return written


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    # LF line endings and minimal quoting, as the Fingertips and gov.uk CSV downloads.
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)
    return path


# ---------------------------------------------------------------------------------------------
# Fingertips


def _medway_population(period: str) -> int:
    """Medway's residents in the period's (first) year; pooled periods add their years."""
    years = AUTHORITIES[MEDWAY].mid_year  # mid-2012 .. mid-2016
    first = int(period[:4])
    if " - " in period:  # "2013 - 15": three years, each before 2012 taken as mid-2012
        return sum(years[max(0, y - 2012)] for y in range(first, first + 3))
    return years[min(max(0, first - 2012), len(years) - 1)]


def _fingertips_rows(ind: DemoIndicator, rng: np.random.Generator) -> list[list[str]]:
    last = len(ind.periods) - 1
    noise = rng.lognormal(0, 0.025, size=(2, len(ind.periods)))
    rows = []
    for k, period in enumerate(ind.periods):
        shift = (1 + ind.trend) ** (k - last)
        medway = _medway_figures(ind, k, period, shift * noise[0, k])
        england = _england_figures(ind, k, shift * noise[1, k])
        rows.append(_row(ind, period, ENGLAND, england))
        if (ind.id, period) in SUPPRESSED:
            rows.append(_row(ind, period, MEDWAY_AREA, None, note=SUPPRESSED_NOTE))
        else:
            # What Fingertips prints beside the figures; the pipeline makes its own comparison.
            compared = (compare_with_benchmark(england[0], *medway[1]).capitalize() if ind.published_ci
                        else "Not compared")
            rows.append(_row(ind, period, MEDWAY_AREA, medway, compared,
                             note="*" if (ind.id, period) in STAR_NOTE else ""))
        if ind.sexes:  # men about three times as often as women
            for sex, share in (("Male", 1.5), ("Female", 0.5)):
                rows.append(_row(ind, period, MEDWAY_AREA, _scaled(medway, share), sex=sex))
        if ind.deciles and k == last:
            for decile, share in (("Most deprived decile (IMD2015)", 1.35), ("Least deprived decile (IMD2015)", 0.7)):
                rows.append(_row(ind, period, ENGLAND, _scaled(england, share), category=(DECILE_TYPE, decile)))
    return rows


def _medway_figures(ind: DemoIndicator, k: int, period: str, shift: float):
    """(value, (lower, upper) or ("", ""), count, denominator) for Medway in period k."""
    latest = k == len(ind.periods) - 1
    if ind.kind == "crude":
        if latest:
            count = ind.medway_count
        elif k == len(ind.periods) - 2 and ind.medway_previous is not None:
            count = ind.medway_previous
        else:
            count = int(round(ind.medway_count * shift))
        return _crude(count, _medway_population(period), ind.published_ci)
    if ind.kind == "dsr":
        if latest:
            return _standardised(ind.medway_value, ind.medway_count, _medway_population(period))
        return _standardised(ind.medway_value * shift, int(round(ind.medway_count * shift)), _medway_population(period))
    denominator = round(ind.medway_count / (ind.medway_value / 100))
    if latest:
        return _proportion(ind.medway_count, denominator, ind.published_ci)
    denominator = int(round(denominator * (1 - 0.01 * (len(ind.periods) - 1 - k))))
    return _proportion(int(round(ind.medway_value * shift / 100 * denominator)), denominator, ind.published_ci)


def _england_figures(ind: DemoIndicator, k: int, shift: float):
    latest = k == len(ind.periods) - 1
    denominator = int(round(ind.england_denominator * (1 - 0.005 * (len(ind.periods) - 1 - k))))
    value = ind.england_value * (1 if latest else shift)
    if ind.kind == "proportion":
        return _proportion(int(round(value / 100 * denominator)), denominator, ind.published_ci)
    count = int(round(value / 100_000 * denominator))
    if ind.kind == "crude":
        return _crude(count, denominator, ind.published_ci)
    return _standardised(value, count, denominator)


def _proportion(count: int, denominator: int, published_ci: bool):
    value = 100 * count / denominator
    limits = [100 * b for b in wilson_interval(count, denominator)] if published_ci else ("", "")
    return value, limits, count, denominator


def _crude(count: int, population: int, published_ci: bool):
    value = 100_000 * count / population
    limits = [100_000 * b / population for b in byar_interval(count)] if published_ci else ("", "")
    return value, limits, count, population


def _standardised(value: float, count: int, population: int):
    """A standardised rate with Dobson's interval, approximated by scaling the count's Byar limits."""
    return value, [value * b / count for b in byar_interval(count)], count, population


def _scaled(figures, share: float):
    value, limits, count, denominator = figures
    limits = [b * share for b in limits] if limits[0] != "" else limits
    return value * share, limits, int(round(count * share)), denominator


def _row(ind: DemoIndicator, period: str, area: tuple[str, str], figures, compared: str = "Not compared", *,
         note: str = "", sex: str = "Persons", category: tuple[str, str] = ("", "")) -> list[str]:
    """One export row; ``figures`` None for a suppressed value (no value, limits or count)."""
    value = lower = upper = lower998 = upper998 = count = denominator = ""
    if figures is not None:
        number, limits, count, denominator = figures
        value = _number(number)
        if limits[0] != "":
            lower, upper = (_number(b) for b in limits)
            lower998, upper998 = (_number(b) for b in _wider(ind, figures))
    england = area == ENGLAND
    parent, area_type = (("", ""), "England") if england else (SOUTH_EAST, "County & UA")
    return [str(ind.id), ind.name, *parent, *area, area_type, sex, ind.age, *category, period, value, lower, upper,
            lower998, upper998, str(count), str(denominator), note, "Cannot be calculated", compared,
            "Not compared", f"{period[:4]}0000", "", "Not compared"]


def _wider(ind: DemoIndicator, figures) -> list[float]:
    """The 99.8% limits Fingertips publishes beside the 95% ones."""
    value, _, count, denominator = figures
    if ind.kind == "proportion":
        return [100 * b for b in wilson_interval(count, denominator, Z_998)]
    scale = value / count if count else 0.0
    return [b * scale for b in byar_interval(count, Z_998)]


def _number(value: float) -> str:
    """Fixed precision, as Fingertips exports: enough digits, the same bytes on every machine."""
    return f"{value:.4f}"


# ---------------------------------------------------------------------------------------------
# Ministry of Justice proven re-offending


MOJ_COLUMNS = ["Local Authority Code", "Local Authority Name", "Cohort", "Age group", "Number of offenders in cohort",
               "Number of reoffenders", "Number of reoffences", "Proportion of offenders who reoffend (%)",
               "Average number of reoffences per reoffender"]
COHORTS = tuple(f"Jan {year} to Dec {year}" for year in range(2011, 2016))
# Latest (2015) cohort: offenders, reoffenders, reoffences; earlier cohorts drift back by the
# given relative change per year.
MOJ_LATEST = {
    (AUTHORITIES[MEDWAY].code, "Adult"): (1_962, 541, 1_866),
    (AUTHORITIES[MEDWAY].code, "Juvenile"): (168, 66, 257),
    ("K04000001", "Adult"): (452_310, 110_917, 348_163),
    ("K04000001", "Juvenile"): (34_160, 14_416, 54_021),
}
# Going back a year, cohorts were larger (juvenile cohorts have been shrinking fast) and a
# smaller share re-offended.
MOJ_SHRINK = {"Adult": 0.02, "Juvenile": 0.08}
MOJ_RISE = {"Adult": 0.01, "Juvenile": 0.015}
MOJ_WITHHELD = {(AUTHORITIES[MEDWAY].code, "Juvenile", COHORTS[0])}  # average withheld ("*")


def _moj_rows(rng: np.random.Generator) -> list[list[str]]:
    rows = []
    names = {MEDWAY_AREA[0]: MEDWAY_AREA[1], "K04000001": "England and Wales"}
    for (code, age), latest in MOJ_LATEST.items():
        noise = rng.lognormal(0, 0.03, size=(3, len(COHORTS)))
        for k, cohort in enumerate(COHORTS):
            back = len(COHORTS) - 1 - k
            offenders, reoffenders, reoffences = latest
            if back:
                share = reoffenders / offenders * (1 - MOJ_RISE[age]) ** back * noise[1, k]
                per_reoffender = reoffences / reoffenders * noise[2, k]
                offenders = int(round(offenders * (1 + MOJ_SHRINK[age]) ** back * noise[0, k]))
                reoffenders = int(round(offenders * share))
                reoffences = int(round(reoffenders * per_reoffender))
            average = "*" if (code, age, cohort) in MOJ_WITHHELD else f"{reoffences / reoffenders:.2f}"
            rows.append([code, names[code], cohort, age, f"{offenders:,}", f"{reoffenders:,}", f"{reoffences:,}",
                         f"{100 * reoffenders / offenders:.1f}", average])
    return rows


# ---------------------------------------------------------------------------------------------
# Partner returns (the template's layout)


PARTNER_COLUMNS = ["section", "measure", "period", "value", "unit", "target", "better", "source"]
_PROBATION = "Kent, Surrey and Sussex Community Rehabilitation Company"
PARTNER_ROWS = [
    [section, measure, period, value, unit, target, better, source]
    for section, measure, unit, target, better, source, values in (
        ("reoffending", "Community orders and suspended sentence orders completed", "%", "75", "higher", _PROBATION,
         ("73.0", "74.2", "75.5")),
        ("reoffending", "Licence and post-sentence supervision periods completed", "%", "65", "higher",
         "National Probation Service and " + _PROBATION, ("66.4", "71.9", "78.5")),
        ("reoffending", "Unpaid work requirements delivered (Community Payback)", "%", "90", "higher", _PROBATION,
         ("91.0", "92.5", "94.0")),
        ("reoffending", "Reduction in offending by the integrated offender management cohort", "%", "", "higher",
         "Kent Police IOM unit", ("31.0", "35.5", "38.2")),
        ("violence_domestic_abuse", "Domestic abuse incidents reported to the police", "count", "", "", "Kent Police",
         ("4,812", "5,390", "6,035")),
        ("violence_domestic_abuse", "Domestic abuse repeat victims", "%", "", "lower", "Kent Police",
         ("25.8", "26.2", "26.4")),
        ("mental_health", "Section 136 detentions", "count", "250", "lower", "Kent Police", ("312", "287", "241")),
        ("substance_misuse", "Needle finds", "count", "1,000", "lower", "Medway Council street scene team",
         ("1,214", "1,046", "862")),
        ("substance_misuse", "Adults in drug and alcohol treatment", "count", "1,500", "higher",
         "Medway substance misuse service", ("1,420", "1,398", "1,437")),
        # The domestic abuse section's other partner figures (issue 15): victims and repeat victims
        # (880 of 3,410, 1,001 of 3,820, 1,125 of 4,262: the 25.8%, 26.2% and 26.4% above), MARAC
        # and the one-stop shop. Invented, in the proportions of Maidstone's 2017 assessment.
        ("violence_domestic_abuse", "Domestic abuse crimes recorded by the police", "count", "", "", "Kent Police",
         ("2,104", "2,561", "3,118")),
        ("violence_domestic_abuse", "Domestic abuse victims", "count", "", "", "Kent Police",
         ("3,410", "3,820", "4,262")),
        ("violence_domestic_abuse", "Domestic abuse repeat victims (number)", "count", "", "", "Kent Police",
         ("880", "1,001", "1,125")),
        ("violence_domestic_abuse", "MARAC cases", "count", "", "", "Medway MARAC", ("512", "566", "604")),
        ("violence_domestic_abuse", "MARAC repeat referrals", "%", "28", "higher", "Medway MARAC",
         ("24.1", "26.8", "28.3")),
        ("violence_domestic_abuse", "One-stop shop attendances", "count", "", "", "Medway Domestic Abuse Forum",
         ("1,046", "1,212", "1,389")),
    )
    for period, value in zip(FINANCIAL_YEARS[2:], values)
]


def _write_readme(folder: Path) -> Path:
    readme = folder / "README.md"
    readme.write_text("""# Synthetic health and justice demonstration data

Made by `csp_assessment.demo.health` with the rest of the demo data. **Synthetic: not real OHID,
Ministry of Justice or partner figures.** The files copy the publishers' layouts, so the pipeline
reads them as it reads real downloads.

- `fingertips-mental-health.csv`: an OHID Fingertips export (common mental disorders, depression,
  severe mental illness, children's mental health disorders, suicide rate);
- `fingertips-substance-misuse.csv`: an OHID Fingertips export (drug treatment completions and
  re-presentations, alcohol-specific admissions, drug-related mental and behavioural disorder
  admissions);
- `moj-proven-reoffending.csv`: the MoJ proven re-offending geographical data tool, adults and
  juveniles, cohorts 2011 to 2015;
- `partner-returns.csv`: the partner-return template (data/raw/partner-returns-template.csv)
  filled in (probation, integrated offender management, Section 136, needle finds, treatment,
  and the domestic abuse section's incidents, crimes, victims, repeat victims, MARAC cases and
  repeat referrals, one-stop-shop attendance).

Medway's latest figures are those of the Medway Community Safety Partnership Strategic
Assessment 2017: common mental disorders 15.8% (31,053 people), depression 8.9% against England's
8.3% (20,424 people), severe mental illness 0.67% against 0.90% (1,984), children aged 5-16 9.6%
against 8.5% (3,928), suicide 11.7 against 10.1 per 100,000 (83 deaths, 2013-15); community
orders completed 75.5% (target 75%), licence and post-sentence supervision 78.5% (target 65%),
unpaid work 94% (target 90%). Substance misuse follows Maidstone's Partnership Plan 2017-18 as a
model: 734 then 637 admissions for drug-related mental and behavioural disorders, needle finds
to be kept below 1,000. Everything else, and every earlier period, is invented. Indicator IDs
990001 and 990002 are not Fingertips IDs: the pipeline recognises those indicators by name.
""", encoding="utf-8", newline="\n")
    return readme

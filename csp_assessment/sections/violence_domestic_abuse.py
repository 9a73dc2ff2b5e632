"""The domestic abuse and violent crime section: what ``notebooks/06_violence_domestic_abuse.ipynb`` calls.

Two kinds of figures, in one section as the seeds assess them:

* **Violence and sexual offences** recorded by the police (data.police.uk): the crime section's
  machinery (level, rate, change, trend, seasonality, peers, SPC, hotspots, maps) on the records of
  that one category. data.police.uk publishes no subtypes of it, so there is no breakdown.
* **Domestic abuse**: the partners' figures (partner returns, section ``violence_domestic_abuse``:
  incidents, crimes, victims and repeat victims, MARAC cases and repeat referrals, one-stop-shop
  attendance) and, when its table is in the data folder, the ONS "Domestic abuse in England and
  Wales" data tool: domestic abuse-related crimes per 1,000 population in the area's police force
  area beside England's. The share of victims who are repeat victims is compared year on year with
  a two-proportion z-test (stats/significance.py).
"""

from __future__ import annotations

from functools import cached_property

import pandas as pd
from IPython.display import Markdown

from ..config import RunConfig
from ..ingest import ons_domestic_abuse
from ..ingest.folder import IngestSummary
from ..display import charts, indicator_charts, narrative
from ..display.data_tables import DataTable, numbers, yes_no
from ..display.narrative import is_missing
from ..stats.intervals import wilson_interval
from ..stats.significance import ProportionChange, two_proportion_test
from .registry import SectionSpec
from .base import DataNote, Section, esc, styled_table
from .crime import CrimeSection
from .indicators import INPUT_NAMES, IndicatorSection, Measure, _series, missing_input

KEY = "violence_domestic_abuse"
SPEC = SectionSpec(KEY, "06_violence_domestic_abuse.ipynb", "Domestic abuse and violent crime", KEY)
VIOLENCE = "Violence and sexual offences"  # the data.police.uk category

# Partner-return measures the section reads by name (the template's measure column).
REPEAT_SHARE = "Domestic abuse repeat victims"  # % of victims who were repeat victims
VICTIMS = "Domestic abuse victims"  # count of victims
REPEAT_NUMBER = "Domestic abuse repeat victims (number)"  # count; optional, else worked back from the %
ONS_LABEL = "Domestic abuse-related crimes per 1,000 population"


class ViolenceRecords(CrimeSection):
    """The crime section's figures on the data.police.uk category "Violence and sexual offences"."""

    def __init__(self, spec: SectionSpec, config: RunConfig, ingest: IngestSummary):
        super().__init__(SectionSpec(spec.key, spec.notebook, spec.title, "crime"), config, ingest)
        self.all_counts = self.all_counts[self.all_counts["crime_type"] == VIOLENCE]
        self.counts = self.counts[self.counts["crime_type"] == VIOLENCE]
        self.noun_one, self.noun, self.y_label = "violence and sexual offence", "violence and sexual offences", VIOLENCE

    @property
    def all_label(self) -> str:
        return VIOLENCE

    @property
    def table_prefix(self) -> str:
        return "violence"

    def breakdown_note(self) -> Markdown:
        return Markdown("data.police.uk publishes violence and sexual offences as one category (violence with and "
                        "without injury, stalking and harassment and sexual offences together), so no breakdown by "
                        "type can be made from it.")


class DomesticAbuseFigures(IndicatorSection):
    """The domestic abuse measures, shown with the indicator sections' tables and charts."""

    def __init__(self, spec: SectionSpec, config: RunConfig, ingest: IngestSummary, violence: ViolenceRecords):
        # Not IndicatorSection.__init__: the police records are the violence section's, already placed.
        Section.__init__(self, spec, config, ingest)
        self.crime = violence
        self.area, self.area_name = violence.area, violence.area_name
        self.end_year = config.period.end.year
        self.notes: list[DataNote] = []
        self.absent_inputs: list = []  # MissingInput
        self.measures = self._gather()

    # ---- the police force area of the ONS figures ----------------------------------------------
    def _force(self, table: pd.DataFrame) -> tuple[str, str] | None:
        """(code, name) of the area's police force area in the ONS table: through the ONS local
        authority -> police force area lookup, else by the force named in params."""
        lookup = self.crime.geo.area_lookup
        if lookup is not None:
            forces = lookup[lookup["lad_code"].isin(self.area.lad_codes)][["pfa_code", "pfa_name"]].drop_duplicates()
            if len(forces) == 1:
                return str(forces["pfa_code"].iloc[0]), str(forces["pfa_name"].iloc[0])
            if len(forces) > 1:
                self.notes.append(DataNote("The area spans several police force areas, so the ONS domestic abuse "
                                           "rates by police force area are not shown.", True))
                return None
        force = (self.config.police_force or "").lower().removesuffix(" police").strip()
        named = table[table["area_name"].str.lower().str.removesuffix(" police").str.strip() == force]
        if force and len(named):
            return str(named["area_code"].iloc[0]), str(named["area_name"].iloc[0])
        return None

    def _ons_measures(self) -> list[Measure]:
        table = self._table(ons_domestic_abuse.TABLE)
        if table is None:
            self.absent_inputs.append(missing_input(ons_domestic_abuse.TABLE, self.key,
                                                    f"No {INPUT_NAMES[ons_domestic_abuse.TABLE]} are in the data folder"))
            return []
        force = self._force(table)
        rows = table[table["area_code"] == force[0]] if force else table.iloc[0:0]
        if rows.empty:
            self.absent_inputs.append(missing_input(
                ons_domestic_abuse.TABLE, self.key,
                f"The {INPUT_NAMES[ons_domestic_abuse.TABLE]} in the data folder hold no row for {self.area_name}'s "
                "police force area" + (f" ({force[1]}, {force[0]})" if force else ""), self.area_name))
            return []
        england = table[table["area_code"] == ons_domestic_abuse.ENGLAND].set_index("end_year")["rate_per_1000"]
        rows = rows.sort_values("end_year")
        series = self._cut(_series(rows["period"], rows["end_year"], rows["rate_per_1000"],
                                   benchmark=rows["end_year"].map(england)), ONS_LABEL).assign(interval="")
        if series.empty:
            return []
        return [Measure("ons:domestic_abuse", ONS_LABEL, "per 1,000", "ONS Domestic abuse in England and Wales",
                        series, "England" if england.size else "", detail=f"{force[1]} police force area")]

    @property
    def table_prefix(self) -> str:
        return "domestic_abuse"

    def tables(self) -> list[DataTable]:
        return [t for t in (*super().tables(), self.repeat_data()) if t is not None]

    def repeat_data(self) -> DataTable | None:
        """Victims and repeat victims by period, the share with its Wilson interval (the repeat chart)."""
        counts = self.repeat_counts
        if counts.empty:
            return None
        share = self._by_label(self.measures).get(REPEAT_SHARE)
        limits = share.series.set_index("period")[["lower", "upper"]] if share is not None else pd.DataFrame()
        frame = pd.DataFrame({
            "Period": counts["period"], "Victims (count)": numbers(counts["victims"], 0),
            "Repeat victims (count)": numbers(counts["repeat_victims"], 0),
            "Repeat victims, share of victims (%)": numbers(100 * counts["repeat_victims"] / counts["victims"], 2),
            "Lower 95% limit (%)": numbers(counts["period"].map(limits.get("lower", {})), 2),
            "Upper 95% limit (%)": numbers(counts["period"].map(limits.get("upper", {})), 2),
            "Worked back from the partner's percentage": yes_no(counts["worked_back"])})
        return DataTable(self.table_id("repeat"), f"Domestic abuse victims and repeat victims, {self.area_name}, by year",
                         frame, description="Repeat victims of domestic abuse: number and share of victims with its 95% "
                                            "(Wilson) interval",
                         source="Partner returns", notes=[self.repeat_sentence()])

    def narrative_text(self) -> str:
        """The measures' sentences; nothing while none is supplied: the section leads with its police
        figures, and the missing inputs are listed once, as not yet supplied."""
        return super().narrative_text() if self.measures else ""

    def _gather(self) -> list[Measure]:
        found = self._partner_measures()
        self._with_repeat_intervals(found)
        return found + self._ons_measures()

    # ---- repeat victims ------------------------------------------------------------------------
    def _by_label(self, measures: list[Measure]) -> dict[str, Measure]:
        return {m.label: m for m in measures}

    @cached_property
    def repeat_counts(self) -> pd.DataFrame:
        """Per period: victims, repeat victims (given, or worked back from the percentage) and how."""
        found = self._by_label(self.measures)
        victims, share, number = found.get(VICTIMS), found.get(REPEAT_SHARE), found.get(REPEAT_NUMBER)
        return _repeat_counts(victims, share, number)

    def _with_repeat_intervals(self, measures: list[Measure]) -> None:
        """The repeat-victim share gets Wilson limits, count and denominator where victims are known."""
        found = self._by_label(measures)
        share = found.get(REPEAT_SHARE)
        counts = _repeat_counts(found.get(VICTIMS), share, found.get(REPEAT_NUMBER))
        if share is None or counts.empty:
            return
        by_period = counts.set_index("period")
        series = share.series.copy()
        for i, row in series.iterrows():
            if row["period"] not in by_period.index:
                continue
            known = by_period.loc[row["period"]]
            lower, upper = wilson_interval(known["repeat_victims"], known["victims"])
            series.loc[i, ["count", "denominator", "lower", "upper"]] = (
                known["repeat_victims"], known["victims"], 100 * lower, 100 * upper)
            series.loc[i, "interval"] = "Wilson score"
        share.series = series

    @cached_property
    def repeat_test(self) -> ProportionChange | None:
        """The latest period's repeat-victim share against the one before (two-proportion z-test)."""
        counts = self.repeat_counts
        if len(counts) < 2:
            return None
        previous, latest = counts.iloc[-2], counts.iloc[-1]
        return two_proportion_test(int(previous["repeat_victims"]), int(previous["victims"]),
                                   int(latest["repeat_victims"]), int(latest["victims"]))

    def repeat_sentence(self) -> str:
        counts, test = self.repeat_counts, self.repeat_test
        if test is None:
            return (f"The share of repeat victims cannot be compared year on year: the partner returns need "
                    f"'{VICTIMS}' (count) and '{REPEAT_SHARE}' (%) or '{REPEAT_NUMBER}' for two periods.")
        previous, latest = counts.iloc[-2], counts.iloc[-1]
        sentence = (f"Repeat victims were {test.pct:.1f}% of domestic abuse victims in {latest['period']} "
                    f"({test.count:,} of {test.total:,}) against {test.previous_pct:.1f}% in {previous['period']} "
                    f"({test.previous_count:,} of {test.previous_total:,}): a change of "
                    f"{test.difference_points:+.1f} percentage points, ")
        if test.significant:
            return sentence + (f"a statistically significant {'rise' if test.difference_points > 0 else 'fall'} "
                               f"(two-proportion z-test, z = {test.z:.2f}, p = {_p_text(test.p_value)}).")
        return sentence + (f"not statistically significant (two-proportion z-test, z = {test.z:.2f}, "
                           f"p = {_p_text(test.p_value)}): it is within what chance would give.")

    def repeat_note(self) -> Markdown:
        return Markdown(esc(self.repeat_sentence()))

    def repeat_table(self):
        counts = self.repeat_counts
        if counts.empty:
            return Markdown(esc(self.repeat_sentence()))
        table = pd.DataFrame({
            "Period": counts["period"], "Victims": counts["victims"].map(narrative.fmt_int),
            "Repeat victims": counts["repeat_victims"].map(narrative.fmt_int),
            "Share": (100 * counts["repeat_victims"] / counts["victims"]).map(lambda v: f"{v:.1f}%"),
        })
        return styled_table(table, {}, caption=f"Domestic abuse victims and repeat victims, {self.area_name} "
                                               "(partner returns)", text_columns=["Period"],
                            data=[self.table_id("repeat")])

    def repeat_chart(self):
        share = self._by_label(self.measures).get(REPEAT_SHARE)
        if share is None or share.series["value"].notna().sum() < 2:
            return Markdown("")
        test = self.repeat_test
        title = f"{REPEAT_SHARE}: {test.verdict} on the year before" if test else self._trend_title(share)
        return charts.with_data(indicator_charts.measure_trend_chart(
            share.series, title=title, y_label=f"{REPEAT_SHARE} (% of victims)", area_name=self.area_name,
            benchmark_name="", target=share.target), self.table_id("repeat"))

    def repeat_findings(self) -> dict | None:
        test = self.repeat_test
        if test is None:
            return None
        counts = self.repeat_counts
        return {"previous_period": counts.iloc[-2]["period"], "period": counts.iloc[-1]["period"],
                "previous_count": test.previous_count, "previous_victims": test.previous_total,
                "count": test.count, "victims": test.total, "previous_pct": round(test.previous_pct, 2),
                "pct": round(test.pct, 2), "difference_points": round(test.difference_points, 2),
                "z": round(test.z, 4), "p_value": round(test.p_value, 4), "significant": test.significant,
                "verdict": test.verdict, "worked_back_from_pct": bool(counts.iloc[-2:]["worked_back"].any())}

    def repeat_notes(self) -> list[DataNote]:
        counts = self.repeat_counts
        notes = []
        if not counts.empty and counts["worked_back"].any():
            periods = ", ".join(counts.loc[counts["worked_back"], "period"])
            notes.append(DataNote(f"Repeat victims in {periods} are worked back from the partner's percentage and "
                                  f"number of victims (the percentage is rounded, so the number may be out by one or "
                                  f"two); give '{REPEAT_NUMBER}' in the partner returns for exact counts."))
        if self.repeat_test is not None:
            notes.append(DataNote("Repeat-victim shares are compared year on year with a two-proportion z-test "
                                  "(pooled variance, two-sided, 5% level); each year's 95% interval is Wilson's. "
                                  "The test treats the two years' victims as independent, though some are victims "
                                  "in both years."))
        if any(m.key == "ons:domestic_abuse" for m in self.measures):
            notes.append(DataNote("ONS domestic abuse-related crimes per 1,000 population are for the whole police "
                                  "force area, not the partnership alone; ONS publishes no confidence interval for "
                                  "them, so they are shown beside England's but not tested for a significant "
                                  "difference."))
        return notes


def _repeat_counts(victims: Measure | None, share: Measure | None, number: Measure | None) -> pd.DataFrame:
    columns = ["period", "end_year", "victims", "repeat_victims", "worked_back"]
    if victims is None or (share is None and number is None):
        return pd.DataFrame(columns=columns)
    rows = []
    given = {} if number is None else dict(zip(number.series["period"], number.series["value"]))
    pct = {} if share is None else dict(zip(share.series["period"], share.series["value"]))
    for r in victims.series.itertuples():
        if is_missing(r.value) or r.value <= 0:
            continue
        if r.period in given and not is_missing(given[r.period]):
            repeat, worked_back = int(round(given[r.period])), False
        elif r.period in pct and not is_missing(pct[r.period]):
            repeat, worked_back = int(round(pct[r.period] * r.value / 100)), True
        else:
            continue
        if 0 <= repeat <= r.value:
            rows.append((r.period, r.end_year, int(round(r.value)), repeat, worked_back))
    return pd.DataFrame(rows, columns=columns)


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


class ViolenceDomesticAbuseSection(Section):
    """Violence and sexual offences (police records) and domestic abuse (partners, ONS) for one area.

    A notebook asks ``section.violence`` (a :class:`ViolenceRecords`, the crime section's views) and
    ``section.domestic_abuse`` (a :class:`DomesticAbuseFigures`, the indicator sections' views) for
    their tables and charts; this object gives what the two share: heading, summary, commentary,
    data notes and the findings."""

    def __init__(self, spec: SectionSpec, config: RunConfig, ingest: IngestSummary):
        super().__init__(spec, config, ingest)
        self.violence = ViolenceRecords(spec, config, ingest)
        self.domestic_abuse = DomesticAbuseFigures(spec, config, ingest, self.violence)
        self.area_name = self.violence.area_name

    # ---- shared parts --------------------------------------------------------------------------
    def heading(self) -> Markdown:
        return self.violence.heading()

    @property
    def missing_inputs(self) -> list:
        return self.domestic_abuse.missing_inputs

    def summary(self) -> Markdown:
        return Markdown(esc(self.summary_text()))

    def summary_text(self) -> str:
        return " ".join(s for s in (self.violence.headline(), self.domestic_abuse.narrative_text(),
                                    self.domestic_abuse.repeat_sentence() if self.domestic_abuse.repeat_test else "")
                        if s)

    def tables(self) -> list[DataTable]:
        """Violence and sexual offences' tables (as the crime sections'), then domestic abuse's."""
        return self.violence.tables() + self.domestic_abuse.tables()

    def data_notes(self) -> list[DataNote]:
        notes = self.violence.data_notes()
        seen = {n.text for n in notes}
        extra = self.domestic_abuse.data_notes() + self.domestic_abuse.repeat_notes()
        notes += [n for n in extra if n.text not in seen and not seen.add(n.text)]
        return notes

    # ---- findings for the summary, the document and the priority scoring -----------------------
    def findings(self) -> dict:
        found = self.violence.findings()
        indicators = self.domestic_abuse.findings()
        found.update({
            "spc_series": VIOLENCE,
            "measures": indicators["measures"],
            "narrative": indicators["narrative"],
            **self.missing_findings(),
            "repeat_victims": self.domestic_abuse.repeat_findings(),
            # sentences the document adds to the section's summary
            "summary_points": [self.domestic_abuse.repeat_sentence()] if self.domestic_abuse.repeat_test else [],
            "data_notes": [n.text for n in self.data_notes()],
        })
        return found


SPECS = (SPEC,)
SECTION_CLASS = ViolenceDomesticAbuseSection

"""What a crime or ASB section notebook calls: every figure, table, chart and sentence it shows.

A notebook opens a section with the same settings the pipeline uses (year, area, data folder,
period), then asks for one view per cell. All computation is in stats/measures.py; this module
only selects the area's records and turns measures into display objects.
"""

from __future__ import annotations

import re
from functools import cached_property

import pandas as pd
from IPython.display import Markdown

from .. import store
from ..config import Period, RunConfig
from ..geography import BRIDGE_DOWNLOAD, Area, Geography, PlacementReport, placement_report, to_geoframe
from ..ingest.folder import IngestSummary
from ..ingest.police_uk import force_name, forces_named
from ..display import charts, maps, mdc_icons, narrative, spc_chart
from ..display.data_tables import (CONFIDENTIAL, NOT_APPLICABLE, NOT_AVAILABLE, DataTable, month_label, number,
                                  numbers, period_label, short_period_label, yes_no)
from ..stats import measures, spc
from .registry import SectionSpec
from .base import DEMO_NOTE, DataNote, Section, esc, styled_table
from .deprivation_views import DeprivationViews
from .police_outcomes import PoliceOutcomes

def spc_kind(point_type: str) -> str | None:
    """A point's special cause as "concern", "improvement" or "neutral"; None for common cause."""
    if point_type == "common_cause":
        return None
    return {"special_cause_concern": "concern", "special_cause_improvement": "improvement"}.get(point_type, "neutral")


# What the sections read of the street records' counts (not falls_within).
COUNT_COLUMNS = ["month", "force", "lsoa_code", "crime_type", "is_asb", "records"]

# (one, several, chart label): every counted noun agrees with its number (narrative.plural)
NOUNS = {"crime": ("crime", "crimes", "Recorded crimes"), "asb": ("ASB incident", "ASB incidents", "ASB incidents")}


class CrimeSection(DeprivationViews, Section):
    """The records of one kind (crime or ASB) for one area and assessment period."""

    def __init__(self, spec: SectionSpec, config: RunConfig, ingest: IngestSummary):
        super().__init__(spec, config, ingest)
        self.noun_one, self.noun, self.y_label = NOUNS[spec.record_kind]
        self.geo = Geography(config.processed_dir)
        counts = store.read_table(config.processed_dir, "police_counts", columns=COUNT_COLUMNS)
        files = store.read_table(config.processed_dir, "police_files")
        self.available_months = set(files.loc[files["records"] > 0, "month"])
        kind = counts[counts["is_asb"] == (spec.record_kind == "asb")]
        # Every record through the lookup of its own LSOA vintage (and the 2011 -> 2021 bridge).
        self.all_counts = self.geo.place(kind)
        self.present = measures.present_local_authorities(
            self.all_counts.assign(lsoa_code=self.all_counts["report_lsoa"]), self.geo.lsoa_lookup)
        self.area: Area = self.geo.resolve(config.area_codes, self.present)
        self.area_name = config.area_name or self.area.name
        self.counts = self.all_counts[self.all_counts["lad_code"].isin(self.area.lad_codes)]

    @property
    def absent_inputs(self) -> list:
        """Police outcomes and stop and search, which the all crime section reports, when the data
        folder lacks them for the area's force."""
        return self.outcomes.missing_inputs() if self.spec.key == "all_crime" else []

    # ---- figures -------------------------------------------------------------------------
    @cached_property
    def outcomes(self):
        """Police outcomes and stop and search for this area and period (police_outcomes.py)."""
        return PoliceOutcomes(self)

    @cached_property
    def placement(self) -> PlacementReport:
        """How completely the area's records in the headline's months (period and comparison) were placed."""
        months = sorted(set(self.config.period.months) | set(self.config.comparison.months))
        return placement_report(self.geo, self.all_counts, self.area.lad_codes, months)

    @cached_property
    def population(self):
        return self.geo.la_population(self.area.lad_codes, self.config.population_year)

    @cached_property
    def count(self) -> int | None:
        return measures.total(self.counts, self.config.period, self.available_months)

    @cached_property
    def rate(self) -> float | None:
        return measures.rate_per_1000(self.count, self.population.value)

    @cached_property
    def change(self):
        return measures.annual_change(self.counts, self.config.period, self.config.comparison, self.available_months)

    @cached_property
    def trend(self) -> pd.DataFrame:
        return measures.trend(self.counts, self.config.trend, self.available_months)

    @cached_property
    def season(self) -> pd.DataFrame:
        return measures.seasonality(self.counts, self.config.period, self.config.comparison, self.available_months)

    @cached_property
    def breakdown(self) -> pd.DataFrame:
        return measures.breakdown(self.counts, self.config.period, self.config.comparison, self.available_months)

    @cached_property
    def ward_population(self) -> tuple[pd.DataFrame, str]:
        return self.geo.ward_population(self.area.lad_codes)

    @cached_property
    def top_wards(self) -> pd.DataFrame:
        return measures.hotspots(self.counts.dropna(subset=["ward_code"]), self.ward_population[0],
                                 self.config.period, self.config.top_wards)

    @cached_property
    def peers(self) -> pd.DataFrame:
        peer_codes = set(self.config.peers) if self.config.peers else set(self.present)
        codes = sorted(peer_codes | set(self.area.lad_codes))
        populations = {c: self.geo.la_population((c,), self.config.population_year).value for c in codes}
        la_counts = self.all_counts[self.all_counts["lad_code"].isin(codes)]
        return measures.peer_comparison(la_counts, populations, self.geo.la_names, self.area.lad_codes,
                                        self.area_name, self.config.period)

    @cached_property
    def spc_months(self) -> list[str]:
        window = Period(self.config.trend[0].start, self.config.period.end)
        return measures.consecutive_months(window, self.available_months)

    @cached_property
    def spc_results(self) -> dict[str, spc.SPCResult]:
        """XmR results for the monthly series of all records and, for crime, each crime type.

        For crime and ASB a decrease is an improvement. Series with fewer than two months, or
        with no records at all, have no chart.
        """
        months = self.spc_months
        if len(months) < 2:
            return {}
        rebase = [m for m in self.config.spc_rebase if m in months[1:]]
        # Counts: a lower process limit below 0 is shown as 0 (stats/spc.py)
        options = dict(improvement="decrease", fix_after=self.config.spc_fix_after, rebase=rebase or None,
                       screen_outliers=self.config.spc_screen_outliers, lower_bound=0)
        series = {self.all_label: measures.monthly_series(self.counts, months)[None]}
        if self.spec.record_kind == "crime":
            series.update(measures.monthly_series(self.counts, months, by="crime_type"))
        return {name: spc.xmr(values, target=self.config.spc_targets.get(name), **options)
                for name, values in series.items() if values.sum() > 0}

    @property
    def n_months(self) -> int:
        return self.config.period.n_months

    @property
    def rate_unit(self) -> str:
        return narrative.per_1000_residents(self.n_months)

    @property
    def has_breakdown(self) -> bool:
        """data.police.uk gives ASB as one category: a one-row breakdown says nothing (always 100%)."""
        return len(self.breakdown) > 1

    @property
    def all_label(self) -> str:
        return "All crime" if self.spec.record_kind == "crime" else "Anti-social behaviour"

    @property
    def period_missing_note(self) -> str:
        gaps = measures.missing_months(self.config.period, self.available_months)
        if not gaps:
            return ""
        return (f"the data folder has no police.uk files for {narrative.counted(len(gaps), 'month')} of the period "
                f"({', '.join(pd.Period(m, 'M').strftime('%b %y') for m in gaps)}).")

    @property
    def comparison_covered(self) -> bool:
        return not measures.missing_months(self.config.comparison, self.available_months)

    @property
    def no_comparison(self) -> str:
        """Why there is no annual change: one sentence, the same wherever the change would be ('' when
        the comparison period is covered)."""
        if self.comparison_covered:
            return ""
        earlier = any(m < self.config.period.months[0] for m in self.available_months)
        gaps = measures.missing_months(self.config.comparison, self.available_months)
        return narrative.no_comparison_sentence(self.config.comparison.label, len(gaps), earlier)

    @property
    def rate_note(self) -> str:
        """Said beside the rate when its population is not the period's own year."""
        return narrative.population_caveat(self.population.year, self.population.requested_year)

    @property
    def busiest_month(self) -> dict | None:
        """The period's busiest month, its margin over the monthly mean, and whether SPC shows it as
        special cause above the mean: only then is it called a peak."""
        peak = measures.peak_month(self.season)
        if peak is None:
            return None
        label, records, above_pct = peak
        result = self.spc_results.get(self.all_label)
        special = False
        if result is not None:
            at = result.table[result.table["period"].dt.strftime("%b %y") == label]
            special = bool(len(at) and at["special_cause"].iloc[0] and at["value"].iloc[0] > at["mean"].iloc[0])
        return {"month": label, "records": records, "above_mean_pct": round(above_pct, 1), "special_cause": special}

    # ---- sentences -----------------------------------------------------------------------
    def headline(self) -> str:
        sentence = narrative.level_sentence(
            count=self.count, noun_plural=self.noun, area=self.area_name, period_label=self.config.period.label,
            rate=self.rate, change=self.change, comparison_label=self.config.comparison.label,
            missing_note=self.period_missing_note, n_months=self.n_months, no_comparison=self.no_comparison,
            rate_note=self.rate_note, noun_singular=self.noun_one)
        if self.placement.is_loud(self.config.unplaced_warn_pct):  # a partial count says so in its headline
            sentence += " " + self.placement.warning()
        return sentence

    def overview(self) -> pd.DataFrame:
        """The published assessments' summary table: one plain-language finding per measure."""
        cfg = self.config
        level = (f"{narrative.fmt_int(self.count)} / {narrative.fmt_rate(self.rate)} {self.rate_unit}"
                 + (", not an annual rate" if self.n_months != 12 else "")
                 if self.rate is not None else narrative.fmt_int(self.count))
        if self.population.available:
            level += (f" (population {narrative.fmt_int(self.population.value)}, mid-{self.population.year}"
                      + (f"; no mid-{self.population.requested_year} estimate in the data folder" if self.rate_note
                         else "") + ")")
        change = (f"{narrative.change_phrase(self.change, self.noun)} compared with {cfg.comparison.label}"
                  if self.change else self.no_comparison or narrative.NOT_AVAILABLE)
        busiest = self.busiest_month
        seasonality = (f"{'peak (special cause)' if busiest['special_cause'] else 'busiest month'} {busiest['month']} "
                       f"({narrative.fmt_int(busiest['records'])}, {busiest['above_mean_pct']:.1f}% above the "
                       "monthly mean)" if busiest else "not available for a partly covered period")
        top3 = self.breakdown.head(3)
        breakdown = "; ".join(f"{r.category} {r.share_pct:.1f}%" for r in top3.itertuples()) or "no records"
        hotspots = ", ".join(self.top_wards["ward_name"]) or "no records placed in wards"
        if self.top_wards_share_pct is not None:
            hotspots += f" ({narrative.fmt_pct(self.top_wards_share_pct)} of the area's total)"
        trend = narrative.trend_sentence(self.trend, self.noun, self.n_months)
        # With no earlier year neither change nor trend can be given: one row says so, once.
        merged = change if change.startswith("No earlier year") else f"{change} {trend}"
        over_time = ([("Change and trend", merged)] if not self.comparison_covered and not self.has_trend
                     else [("Annual change", change), ("General trend", trend)])
        rows = [("Level", level), ("Peer comparison", narrative.peer_sentence(self.peers, self.noun, self.n_months)),
                *over_time, ("Seasonality", seasonality), ("Breakdown (largest three)", breakdown),
                (f"Hotspots (top {cfg.top_wards} wards)", hotspots)]
        if not self.has_breakdown:
            rows = [row for row in rows if not row[0].startswith("Breakdown")]
        return pd.DataFrame(rows, columns=["Measure", "Finding"])

    @property
    def top_wards_share_pct(self) -> float | None:
        """The top wards' combined share, from unrounded shares so every place that prints it agrees;
        None when a suppressed ward count could be worked back from it."""
        if self.top_wards.empty or self.suppressed_wards.any():
            return None
        return float(self.top_wards["share_pct"].sum())

    # ---- display objects for the notebook -------------------------------------------------
    def heading(self) -> Markdown:
        """The period line under the report's title (the exported page prints the title itself)."""
        cfg = self.config
        compared = (f" · compared with {cfg.comparison.long_label}" if self.comparison_covered
                     else f" · {self.no_comparison}")
        return Markdown(f"**{esc(self.area_name)}** · assessment period {cfg.period.long_label}{compared}")

    def summary(self) -> Markdown:
        return Markdown(esc(self.headline()))

    def overview_table(self):
        return styled_table(self.overview(), {}, caption=f"{self.spec.title}: summary, {self.config.period.label}",
                            data=[self.table_id("summary"), self.table_id("wards"), self.table_id("peers")])

    def level_table(self):
        cfg = self.config
        residents = (f"ONS mid-{self.population.year}" + (f"; no mid-{self.population.requested_year} estimate in the "
                                                          "data folder" if self.rate_note else "")
                     if self.population.available else "no estimate")
        rows = [
            ("Records in " + cfg.period.label, narrative.fmt_int(self.count)),
            (f"Residents ({residents})", narrative.fmt_int(self.population.value)),
            (narrative.sentence_case(f"rate {self.rate_unit}"), narrative.fmt_rate(self.rate)),
        ]
        if self.change:  # no rows of "not available": the caption says why there is no change
            rows += [("Records in " + cfg.comparison.label, narrative.fmt_int(self.change.previous)),
                     ("Change (number)", f"{self.change.difference:+,}"),
                     ("Change (%)", narrative.fmt_pct(self.change.pct, signed=True))]
        caption = (f"Level and annual change: {self.noun}" if self.change
                   else f"Level: {self.noun}. {self.no_comparison or 'No annual change can be given.'}")
        return styled_table(pd.DataFrame(rows, columns=["Measure", "Value"]), {}, caption=caption)

    def peer_table(self):
        table = self.peers.rename(columns={"area": "Area", "records": "Records", "population": "Residents",
                                           "per_1000": "Rate", "rank_by_count": "Rank (count)",
                                           "rank_by_rate": "Rank (rate)"})
        return styled_table(table[["Area", "Records", "Residents", "Rate", "Rank (count)", "Rank (rate)"]],
                       {"Records": "{:,}", "Residents": "{:,}", "Rate": "{:.1f}"},
                       caption=f"{self.y_label} in {self.config.period.label} by area; rate {self.rate_unit}"
                               f"{narrative.not_annual(self.n_months)}"
                               + (f", on the mid-{self.population.year} population (no mid-"
                                  f"{self.population.requested_year} estimate in the data folder)" if self.rate_note
                                  else "") + " (rank 1 = highest)",
                       highlight=list(self.peers["is_area"]), data=[self.table_id("peers")])

    def peer_chart(self):
        area_row = self.peers[self.peers["is_area"]].iloc[0]
        rank = area_row["rank_by_rate"]
        title = (f"{self.area_name} has the {narrative.rank_words(int(rank))} rate of {len(self.peers)} areas"
                 if pd.notna(rank) else f"{self.y_label} per 1,000 residents by area")
        return charts.with_data(charts.peer_chart(self.peers, title, f"{self.y_label} {self.rate_unit}, "
                                                  f"{self.config.period.label}{narrative.not_annual(self.n_months)}"),
                                self.table_id("peers"))

    @property
    def has_trend(self) -> bool:
        """Two periods or more with data: a trend to draw. With fewer, it is said in words instead."""
        return int(self.trend["records"].notna().sum()) >= 2

    def trend_table(self):
        covered = self.trend.dropna(subset=["records"])
        table = covered[["period", "records"]].rename(columns={"period": "Period", "records": "Records"})
        left_out = len(self.trend) - len(covered)
        caption = f"{self.y_label} per {narrative.period_noun(self.n_months)}" + (
            f" ({narrative.counted(left_out, 'earlier period')} not in the data {narrative.plural(left_out, 'is', 'are')} "
            "left out)" if left_out else "")
        return styled_table(table, {"Records": "{:,}"}, caption=caption, data=[self.table_id("trend")])

    def trend_chart(self):
        if not self.has_trend:
            return Markdown(esc(narrative.trend_sentence(self.trend, self.noun, self.n_months)))
        return charts.with_data(charts.trend_chart(
            self.trend, narrative.trend_title(self.trend, self.y_label, self.n_months), f"{self.y_label} (count)",
            narrative.sentence_case(narrative.period_noun(self.n_months))), self.table_id("trend"))

    @property
    def seasonality_title(self) -> str:
        """Names a peak only where SPC shows the busiest month as special cause; otherwise the busiest
        month and its margin over the mean."""
        busiest = self.busiest_month
        if busiest is None:
            return f"{self.y_label} per month"
        if busiest["special_cause"]:
            return f"{self.y_label} peaked in {busiest['month']} (special cause, SPC)"
        return f"{self.y_label} per month: busiest {busiest['month']}, {busiest['above_mean_pct']:.1f}% above the mean"

    def seasonality_chart(self):
        return charts.with_data(charts.seasonality_chart(self.season, self.seasonality_title,
                                                         f"{self.y_label} per month (count)", self.config.period.label,
                                                         self.config.comparison.label), self.table_id("monthly"))

    def key_charts(self):
        """Trend and seasonality side by side, for the document's one-page summary of the section; the
        seasonality alone while there is no trend to draw (the headline says when it starts)."""
        if not self.has_trend:
            return self.seasonality_chart()
        return charts.with_data(charts.trend_and_seasonality_chart(
            self.trend, self.season, trend_title=narrative.trend_title(self.trend, self.y_label, self.n_months),
            season_title=self.seasonality_title,
            y_label=f"{self.y_label} (count)", x_label=narrative.sentence_case(narrative.period_noun(self.n_months)),
            current_label=self.config.period.label, previous_label=self.config.comparison.label),
            self.table_id("trend"), self.table_id("monthly"))

    def breakdown_table(self):
        if not self.has_breakdown:
            return Markdown("")
        table = self.breakdown.rename(columns={"category": "Category", "records": "Records", "share_pct": "Share",
                                               "previous": f"Records {self.config.comparison.label}",
                                               "change": "Change", "change_pct": "Change %"})
        return styled_table(table, {"Records": "{:,}", "Share": "{:.1f}%", f"Records {self.config.comparison.label}": "{:,}",
                               "Change": "{:+,}", "Change %": "{:+.1f}%"},
                       caption=f"{self.y_label} by type, {self.config.period.label}", data=self.by_type_ids)

    def breakdown_chart(self):
        if not self.has_breakdown:
            return Markdown("")
        first = self.breakdown.iloc[0] if len(self.breakdown) else None
        title = (f"{first['category']} is the largest category ({first['share_pct']:.1f}%)" if first is not None
                 else f"{self.y_label} by type")
        return charts.with_data(charts.breakdown_chart(self.breakdown, title,
                                                       f"{self.y_label} in {self.config.period.label} (count)"),
                                *self.by_type_ids)

    def breakdown_note(self) -> Markdown:
        """data.police.uk gives one category for all ASB, so an ASB breakdown needs partner data."""
        if self.spec.record_kind == "asb" and not self.has_breakdown:
            return Markdown("data.police.uk publishes anti-social behaviour as a single category, so no breakdown "
                            "by incident type (personal, nuisance, environmental) can be made from it.")
        return Markdown("")

    @property
    def suppressed_wards(self) -> pd.Series:
        return measures.small_counts(self.top_wards["records"], self.config.suppression_threshold)

    def hotspot_table(self, exact: bool = False):
        """Top wards; for reviewers, counts from 1 to threshold - 1 show as "<5" and their rate and
        share are withheld too, as either would give the count back."""
        top, hidden = self.top_wards, self.suppressed_wards & (not exact)
        table = pd.DataFrame({
            "Rank": top["rank"], "Ward": top["ward_name"],
            "Records": top["records"].map(narrative.fmt_int).where(~hidden, f"<{self.config.suppression_threshold}"),
            narrative.sentence_case(self.rate_unit): top["per_1000"].map(narrative.fmt_rate).where(~hidden, "suppressed"),
            "Share of area": top["share_pct"].map(narrative.fmt_pct).where(~hidden, "suppressed"),
        })
        vintage = f" ({self.geo.ward_vintage} wards)" if self.geo.ward_vintage else ""
        caption = f"Top {self.config.top_wards} wards{vintage}, {self.config.period.label}"
        used = re.match(r"Ward rates use (.+?) \((\d{4})\)", self.ward_population[1])
        if used:  # ward rates rest on a small-area population, whose year is rarely the period's own
            caption += f"; rates on {used[1]} ({used[2]})"
        if exact:
            caption += " — exact counts, for analysts only: not for publication"
        return styled_table(table, {}, caption=caption, text_columns=["Ward"],
                            data=[] if exact else [self.table_id("wards")])

    def hotspot_chart(self):
        shown = self.top_wards[~self.suppressed_wards]
        share = shown["share_pct"].sum()
        title = (f"{len(shown)} wards hold {share:.1f}% of the area's {self.noun}" if not self.suppressed_wards.any()
                 else f"Wards with the most {self.noun} (wards with fewer than "
                      f"{self.config.suppression_threshold} are not drawn)")
        return charts.with_data(charts.hotspot_chart(shown, title, f"{self.y_label} in {self.config.period.label} (count)"),
                                self.table_id("wards"))

    def hotspot_summary(self) -> Markdown:
        if self.suppressed_wards.any():  # the combined share would give a suppressed count back
            return Markdown(esc(f"The wards with the most {self.noun} are listed below; some counts are too small "
                                f"to publish (fewer than {self.config.suppression_threshold})."))
        return Markdown(esc(narrative.hotspot_sentence(self.top_wards, self.noun, self.area_name)))

    # ---- maps ------------------------------------------------------------------------------
    @cached_property
    def ward_table(self) -> pd.DataFrame:
        """Every ward of the area (report's ward vintage): records in the period, population, rate per 1,000."""
        lookup = self.geo.lsoa_lookup
        wards = (lookup[lookup["lad_code"].isin(self.area.lad_codes)].drop_duplicates("ward_code")
                 [["ward_code", "ward_name"]].reset_index(drop=True))
        in_period = self.counts[self.counts["month"].isin(self.config.period.months)]
        records = in_period.dropna(subset=["ward_code"]).groupby("ward_code")["records"].sum()
        population = self.ward_population[0].set_index("ward_code")["population"]
        wards["records"] = wards["ward_code"].map(records).fillna(0).astype("int64")
        wards["population"] = wards["ward_code"].map(population).astype("Int64")
        wards["per_1000"] = (1000.0 * wards["records"] / wards["population"].astype("Float64")).astype("Float64")
        return wards

    @cached_property
    def map_layers(self) -> dict:
        """The area's ward and LSOA boundaries (GeoDataFrames, or None), its outline and what to say."""
        layers: dict = {"wards": None, "lsoas": None, "outline": None, "notes": []}
        if not store.has_table(self.config.processed_dir, "boundaries"):
            return layers
        boundaries = store.read_table(self.config.processed_dir, "boundaries")
        lookup = self.geo.lsoa_lookup[self.geo.lsoa_lookup["lad_code"].isin(self.area.lad_codes)]
        for level, codes, label in (("ward", set(lookup["ward_code"]), f"{self.geo.ward_vintage} wards"),
                                    ("lsoa", set(lookup["lsoa_code"]), f"LSOA {self.geo.lsoa_vintage} areas")):
            vintage, found = maps.best_vintage(boundaries, level, codes)
            if vintage is None:
                layers["notes"].append(f"No {level.upper() if level == 'lsoa' else level} boundaries in the data folder "
                                       f"match the area's {label}, so that map is not drawn.")
                continue
            chosen = boundaries[(boundaries["level"] == level) & (boundaries["vintage"] == vintage)
                                & boundaries["code"].isin(codes)]
            layers["wards" if level == "ward" else "lsoas"] = to_geoframe(chosen)
            files = ", ".join(sorted(set(chosen["source_file"])))
            layers["notes"].append(f"{'Ward' if level == 'ward' else 'LSOA'} boundaries ({vintage}, {files}) cover "
                                   f"{found} of the area's {len(codes)} {label}.")
        shapes = layers["lsoas"] if layers["lsoas"] is not None else layers["wards"]
        if shapes is not None:
            layers["outline"] = shapes.geometry.union_all()
        return layers

    def maps_note(self) -> Markdown:
        layers = self.map_layers
        if layers["wards"] is None and layers["lsoas"] is None:
            return Markdown(esc(f"Maps need ONS boundary files (GeoJSON or shapefile) for the area's "
                                f"{self.geo.ward_vintage} wards and LSOA {self.geo.lsoa_vintage} areas in the data "
                                f"folder; none were found. Download them from the {maps.BOUNDARY_DOWNLOAD}."))
        return Markdown(esc(" ".join(layers["notes"]) + " Small counts are never shown exactly: LSOAs with 1 to "
                            f"{self.config.suppression_threshold - 1} {self.noun} share one class, and wards with "
                            "that few are left unshaded."))

    def ward_map(self, exact: bool = False):
        layers = self.map_layers
        if layers["wards"] is None:
            return Markdown("")
        return maps.ward_rate_map(layers["wards"], self.ward_table, self.top_wards, layers["outline"],
                                  title=f"{self.y_label} per 1,000 residents by ward, {self.area_name}",
                                  noun=self.noun, period_label=self.config.period.label,
                                  threshold=self.config.suppression_threshold, exact=exact)

    def lsoa_map(self):
        layers = self.map_layers
        if layers["lsoas"] is None:
            return Markdown("")
        in_period = self.counts[self.counts["month"].isin(self.config.period.months)]
        per_lsoa = (in_period.dropna(subset=["report_lsoa"]).groupby("report_lsoa", as_index=False)["records"].sum()
                    .rename(columns={"report_lsoa": "lsoa_code"}))
        wards = layers["wards"] if layers["wards"] is not None else layers["lsoas"].iloc[0:0]
        return maps.lsoa_count_map(layers["lsoas"], per_lsoa, wards, self.top_wards, layers["outline"],
                                   title=f"{self.y_label} by LSOA, {self.area_name}", noun=self.noun,
                                   period_label=self.config.period.label,
                                   threshold=self.config.suppression_threshold)

    def spc_note(self) -> Markdown:
        months = self.spc_months
        if len(months) < 2:
            held = "only one month" if months else "no month"
            return Markdown(f"SPC charts need at least two consecutive months of data; the trend window holds {held}, "
                            "so no SPC chart can be drawn.")
        first, last = (pd.Period(m, "M").strftime("%b %y") for m in (months[0], months[-1]))
        lines = [f"SPC charts cover {len(months)} consecutive months, {first} to {last}."]
        main = self.spc_results.get(self.all_label)
        if main is not None:
            lines.append(f"{esc(self.all_label)}: the latest month ({self.latest_month}) shows **{esc(main.variation)}**"
                         + (" variation." if main.variation == "common cause" else "."))
            if main.assurance:
                lines.append(f"Against the monthly target of {main.target:,.0f}: **{esc(main.assurance)}**.")
            lines.extend(esc(note) for note in main.notes if "cannot go below" not in note)
        floored = [name for name, result in self.spc_results.items() if result.floored]
        if floored:
            lines.append(f"A count cannot go below 0, so where a lower process limit works out below 0 it is shown "
                         f"as 0 ({esc(', '.join(floored))}).")
        if self.config.spc_rebase:
            lines.append(f"Limits are recalculated from: {esc(', '.join(self.config.spc_rebase))} (set in params).")
        return Markdown(" ".join(lines))

    def spc_chart(self):
        result = self.spc_results.get(self.all_label)
        if result is None:
            return Markdown("")
        return charts.with_data(spc_chart.plot_spc(result, f"{self.all_label}: {result.variation}",
                                             f"{self.y_label} per month (count)"), self.table_id("spc"))

    @cached_property
    def special_causes(self) -> pd.DataFrame:
        return spc.special_cause_table(self.spc_results, self.config.period.start.to_timestamp(),
                                       self.config.period.end.to_timestamp())

    @property
    def latest_month(self) -> str:
        """The month every SPC statement describes (Making Data Count: the latest point)."""
        return self.config.period.end.strftime("%b %y")

    def special_months(self, name: str) -> dict[str, int]:
        """Months of the assessment period in which series ``name`` shows special cause, by kind
        ("concern", "improvement", "neutral"): the "any month of the period" reading, always worded
        apart from the latest month's signal."""
        result = self.spc_results.get(name)
        if result is None:
            return {}
        table = result.table
        window = table[(table["period"] >= self.config.period.start.to_timestamp())
                       & (table["period"] <= self.config.period.end.to_timestamp()) & table["special_cause"]]
        kinds = window["point_type"].map(spc_kind).value_counts()
        return {kind: int(kinds[kind]) for kind in ("concern", "improvement", "neutral") if kind in kinds}

    def special_months_text(self, name: str) -> str:
        """'special cause in 7 months (5 of concern, 2 of improvement)', 'special cause of concern in
        1 month'; '' when no month of the period is special cause."""
        months = self.special_months(name)
        if not months:
            return ""
        total = narrative.counted(sum(months.values()), "month")
        if len(months) == 1:
            kind = next(iter(months))
            return (f"special cause of {kind} in {total}" if kind != "neutral"
                    else f"special cause, neither concern nor improvement, in {total}")
        kinds = ", ".join(f"{n} of {kind}" if kind != "neutral" else f"{n} neither concern nor improvement"
                          for kind, n in months.items())
        return f"special cause in {total} ({kinds})"

    def spc_table(self):
        table = self.special_causes
        if table.empty:
            return Markdown(f"No series shows special cause in any month of {esc(self.config.period.label)}: "
                            "month-to-month changes are within what the history would lead one to expect.")
        latest = f"Latest month ({self.latest_month})"
        shown = pd.DataFrame({
            "Series": table["category"],
            f"Over {self.config.period.label}": table["category"].map(self.special_months_text),
            "Rules": table["rules"],
            latest: table["latest_point_type"].map(spc.VARIATION),
        })
        return styled_table(shown, {}, caption=f"Series with special cause in at least one month of "
                                               f"{self.config.period.label}, and what the latest month shows",
                            data=[self.table_id("spc")])

    def spc_type_charts(self) -> list:
        return [charts.with_data(spc_chart.plot_spc(result, f"{name}: {result.variation}", f"{name} per month (count)"),
                                 self.table_id("spc"))
                for name, result in self.spc_results.items() if name != self.all_label]

    def data_notes(self) -> list[DataNote]:
        """What the reader must know about the data behind the figures, warnings first."""
        notes: list[DataNote] = [DataNote(DEMO_NOTE, True)] if self.ingest.demo else []
        if self.period_missing_note:
            notes.append(DataNote("Incomplete period: " + self.period_missing_note, True))
        if not self.comparison_covered:
            notes.append(DataNote(self.no_comparison, True))
        in_period = self.all_counts[self.all_counts["month"].isin(self.config.period.months)]
        no_location = int(in_period.loc[in_period["lsoa_code"].isna(), "records"].sum())
        if no_location:
            def agree(one: str, several: str) -> str:
                return narrative.plural(no_location, one, several)

            notes.append(DataNote(f"{narrative.counted(no_location, self.noun_one, self.noun)} in the police force files "
                                  f"for {self.config.period.label} {agree('has', 'have')} no location, so "
                                  f"{agree('it', 'they')} cannot be placed in any area and {agree('is', 'are')} not in "
                                  "these figures.", True))
        elsewhere = in_period[in_period["lad_code"].notna() & ~in_period["lad_code"].isin(self.area.lad_codes)]
        if len(elsewhere):
            n_elsewhere, n_authorities = int(elsewhere["records"].sum()), elsewhere["lad_code"].nunique()
            notes.append(DataNote(f"{narrative.counted(n_elsewhere, self.noun_one, self.noun)} in the same files "
                                  f"{narrative.plural(n_elsewhere, 'falls', 'fall')} in other local authorities' LSOAs "
                                  f"({narrative.counted(n_authorities, 'authority', 'authorities')}) and "
                                  f"{narrative.plural(n_elsewhere, 'is', 'are')} counted there, not here."))
        notes.extend(self.placement_notes())
        if self.population.note:
            notes.append(DataNote(self.population.note, not self.population.available))
        if self.population.available:
            notes.append(DataNote(f"Rates per 1,000 residents use {self.population.source}: "
                                  f"{self.population.value:,} residents."))
        notes.append(DataNote(self.ward_population[1]))
        notes.extend(DataNote(w, True) for w in self.area_warnings())
        return notes

    def area_warnings(self) -> list[str]:
        """The ingest's warnings this area's reader needs: all but those about another police force's
        files (a data folder with City of London files beside Bedfordshire's says nothing of Luton's
        figures through them; the run log keeps every warning)."""
        return [w for w in self.ingest.warnings if not (named := forces_named(w)) or named & self.area_forces]

    @cached_property
    def area_forces(self) -> set[str]:
        """The forces whose street files hold the area's records."""
        return set(self.counts["force"].dropna().unique())

    def placement_notes(self) -> list[DataNote]:
        """Which lookups placed the records, and what could not be placed (a warning)."""
        notes = []
        placed, geo = self.placement, self.geo
        if placed.is_loud(self.config.unplaced_warn_pct):
            notes.append(DataNote(placed.warning(), True))
        elif placed.unplaced:
            one = placed.unplaced == 1
            notes.append(DataNote(f"{narrative.counted(placed.unplaced, 'record')} in the area's police files "
                                  f"{'carries an LSOA code' if one else 'carry LSOA codes'} that no lookup in the data "
                                  f"folder can place (e.g. {', '.join(placed.examples)}); "
                                  f"{placed.unplaced_pct:.2f}% of the area's records, below the "
                                  f"{self.config.unplaced_warn_pct:g}% that would be flagged. To place "
                                  f"{'it' if one else 'them'}, add {placed.remedy}.", True))
        vintages = sorted(self.all_counts["own_vintage"].dropna().unique())
        if len(vintages) > 1 or placed.bridged:
            notes.append(DataNote(
                f"The police files use LSOA {' and LSOA '.join(vintages)} codes; each file's records are placed "
                f"through the lookup of its own LSOA vintage. Wards are {geo.ward_vintage_label}, for every period."
                + (f" {placed.bridged:,} records were carried from LSOA 2011 to LSOA {geo.lsoa_vintage} through the "
                   f"ONS LSOA 2011 to 2021 lookup; {placed.split:,} of them were in LSOAs that ONS split or "
                   f"redesigned: {geo.best_fit_rule()}." if placed.bridged else "")))
        else:
            notes.append(DataNote(f"Wards are {geo.ward_vintage_label}."))
        if placed.own_lookup_only:
            notes.append(DataNote(
                f"{placed.own_lookup_only:,} records are counted in the area through the lookup of their own LSOA "
                f"vintage but cannot be put in {geo.ward_vintage} wards, so the ward figures leave them out. To place "
                f"them in wards, add the ONS LSOA 2011 to LSOA 2021 lookup ({BRIDGE_DOWNLOAD}).", True))
        return notes

    def type_evidence(self) -> pd.DataFrame:
        """A copy of :attr:`_type_evidence`, which is computed once: the findings and the overview both
        read it, and a caller may change its copy."""
        return self._type_evidence.copy()

    @cached_property
    def _type_evidence(self) -> pd.DataFrame:
        """Per category (crime type; ASB's one category): the evidence the priority scoring reads.

        Columns: category, count, previous_count, change_pct, rate_per_1000, months (of the
        period the rate is over), peer_rank_by_rate (1 = highest rate among the peers, the area
        included), peers (areas ranked), spc_variation (what the category's chart shows at its latest
        month, in the words of spc.VARIATION; None without a chart), spc_direction (the same latest month
        as "concern", "improvement", "neutral", or None for common cause: one definition of an SPC
        statement, the Making Data Count one) and spc_special_months (months of the period with special
        cause, the distinct "any month" reading). Missing figures are None,
        so the rows go into JSON as they are. No rows when the period is not fully in the data.
        """
        peer_codes = sorted(set(self.peers["codes"].str.split(", ").explode()))
        populations = {c: self.geo.la_population((c,), self.config.population_year).value for c in peer_codes}
        complete = self.count is not None  # a period with months missing would understate every type
        rows = []
        # The peers' records of the period, each type's apart: peer_comparison counts only the period.
        counts = self.all_counts
        in_scope = counts[counts["month"].isin(list(self.config.period.months)) & counts["lad_code"].isin(peer_codes)]
        by_type = dict(tuple(in_scope.groupby("crime_type", sort=False))) if complete else {}
        for r in self.breakdown.itertuples() if complete else ():
            of_type = by_type.get(r.category, in_scope.iloc[:0])
            peers = measures.peer_comparison(of_type, populations, self.geo.la_names, self.area.lad_codes,
                                             self.area_name, self.config.period)
            area_row = peers[peers["is_area"]].iloc[0]
            series = r.category if self.spec.record_kind == "crime" else self.all_label  # ASB: one series
            spc_result = self.spc_results.get(series)
            rate = measures.rate_per_1000(int(r.records), self.population.value)
            rows.append({
                "category": r.category,
                "count": int(r.records),
                "previous_count": None if pd.isna(r.previous) else int(r.previous),
                "change_pct": None if pd.isna(r.change_pct) else round(float(r.change_pct), 1),
                "rate_per_1000": None if rate is None else round(rate, 2),
                "months": self.config.period.n_months,  # the rate's period, which need not be a year
                "peer_rank_by_rate": None if pd.isna(area_row["rank_by_rate"]) else int(area_row["rank_by_rate"]),
                "peers": int(peers["per_1000"].notna().sum()),
                "spc_variation": spc_result.variation if spc_result is not None else None,
                "spc_direction": (spc_kind(spc_result.table["point_type"].iloc[-1]) if spc_result is not None
                                  else None),
                "spc_special_months": sum(self.special_months(series).values()) if spc_result is not None else None,
            })
        return pd.DataFrame(rows, columns=["category", "count", "previous_count", "change_pct", "rate_per_1000",
                                           "months", "peer_rank_by_rate", "peers", "spc_variation", "spc_direction",
                                           "spc_special_months"])


    # ---- the tables behind the figures (the workbook and the CSVs) ------------------------------
    @property
    def table_prefix(self) -> str:
        """What the ids of the section's tables start with: "crime" (all crime), "asb", "violence"."""
        return "crime" if self.spec.key == "all_crime" else self.spec.key

    @property
    def by_type_ids(self) -> list[str]:
        """Crime by type is all crime's table (ASB and violence are one category each)."""
        return ["crime_by_type"] if self.spec.key == "all_crime" and self.has_breakdown else []

    @cached_property
    def police_source(self) -> str:
        named = self.config.police_force
        forces = ", ".join(force_name(f, named) for f in sorted(self.counts["force"].dropna().unique()))
        return f"data.police.uk street-level crime and ASB files ({forces or 'the area’s police force'})"

    @property
    def count_header(self) -> str:
        """'Crimes (count)', 'ASB incidents (count)'."""
        return f"{narrative.sentence_case(self.noun)} (count)"

    @property
    def rate_header(self) -> str:
        """'Rate per 1,000 residents' (over how many months, when not a year)."""
        return f"Rate {self.rate_unit}"

    def tables(self) -> list[DataTable]:
        """The section's tables: its summary, trend, months, peers, top wards (small counts suppressed)
        and SPC series; for all crime, crime by type and police outcomes too."""
        found = [self.summary_data(), self.trend_data(), self.monthly_data(), self.peer_data(), self.ward_data(),
                 self.spc_data()]
        if self.by_type_ids:
            found.append(self.by_type_data())
        if self.spec.key == "all_crime" and self.outcomes.has_outcomes:
            found.append(self.outcomes.outcome_data(self.table_id("outcomes")))
        return [t for t in found if t is not None]

    def _where_when(self) -> str:
        return f"{self.area_name}, {period_label(self.config.period)}"

    def summary_data(self) -> DataTable:
        return DataTable(self.table_id("summary"), f"{self.spec.title}: summary, {self._where_when()}",
                         self.overview().rename(columns={"Finding": "Finding (in words)"}),
                         description="The document's summary of the section, one finding per measure, in words; the "
                                     "figures are in the tables that follow",
                         source=self.police_source + "; ONS population estimates and lookups")

    def trend_data(self) -> DataTable:
        trend = self.trend
        frame = pd.DataFrame({narrative.sentence_case(narrative.period_noun(self.n_months)):
                              trend["period"].map(short_period_label),
                              self.count_header: numbers(trend["records"], 0)})
        first, last = short_period_label(trend["period"].iloc[0]), short_period_label(trend["period"].iloc[-1])
        return DataTable(self.table_id("trend"), f"{self.y_label} per {narrative.period_noun(self.n_months)}, "
                                                 f"{self.area_name}, {first.split(' to ')[0]} to {last.split(' to ')[-1]}",
                         frame, description="The general trend: periods as long as the assessment period, a year "
                                            "apart, ending with it",
                         source=self.police_source,
                         shorthand={NOT_AVAILABLE: "not available: the data folder does not hold police.uk files for "
                                                   "every month of the period"})

    def monthly_data(self) -> DataTable:
        season = self.season
        previous = f"{narrative.sentence_case(self.noun)} a year before (count)"
        frame = pd.DataFrame({"Month": season["month"].map(month_label), self.count_header: numbers(season["records"], 0),
                              "Same month a year before": [month_label(pd.Period(m, "M") - 12) for m in season["month"]],
                              previous: numbers(season["previous_records"], 0)})
        return DataTable(self.table_id("monthly"), f"{self.y_label} per month, {self._where_when()}, beside the same "
                                                   f"months a year before",
                         frame, description="Seasonality: each month of the assessment period beside the same month of "
                                            "the comparison period",
                         source=self.police_source,
                         shorthand={NOT_AVAILABLE: "not available: the data folder holds no police.uk file for the "
                                                   "month"})

    def peer_data(self) -> DataTable:
        peers = self.peers
        frame = pd.DataFrame({"Area": peers["area"], "ONS codes": peers["codes"], self.count_header:
                              numbers(peers["records"], 0), "Residents (count)": numbers(peers["population"], 0),
                              self.rate_header: numbers(peers["per_1000"], 2),
                              "Rank by count (1 = most)": numbers(peers["rank_by_count"], 0),
                              "Rank by rate (1 = highest)": numbers(peers["rank_by_rate"], 0),
                              "This area": yes_no(peers["is_area"])})
        notes = [f"Residents: ONS mid-{self.population.year} population estimates."] if self.population.year else []
        return DataTable(self.table_id("peers"), f"{self.y_label} by local authority: {self.area_name} beside the "
                                                 f"other areas in the data, {period_label(self.config.period)}",
                         frame, description="Peer comparison: records, residents, rate and ranks",
                         source=self.police_source + "; ONS mid-year population estimates",
                         units={self.rate_header: self.rate_unit}, notes=notes,
                         shorthand={NOT_AVAILABLE: "not available: no population estimate for the area in the data "
                                                   "folder, so no rate or rank by rate"})

    def ward_data(self) -> DataTable:
        """The top wards as the document lists them: counts from 1 to threshold - 1 suppressed ([c]),
        with their rate and share, which would give them back (the combined share is not given
        when any is, as in the document)."""
        top, hidden, threshold = self.top_wards, self.suppressed_wards, self.config.suppression_threshold
        share = "Share of the area's total (%)"

        def shown(values, digits):
            return [CONFIDENTIAL if h else v for v, h in zip(numbers(values, digits), hidden)]

        frame = pd.DataFrame({"Rank": numbers(top["rank"], 0), "Ward code": top["ward_code"], "Ward": top["ward_name"],
                              self.count_header: shown(top["records"], 0), self.rate_header: shown(top["per_1000"], 2),
                              share: shown(top["share_pct"], 2)})
        vintage = f" ({self.geo.ward_vintage} wards)" if self.geo.ward_vintage else ""
        return DataTable(self.table_id("wards"), f"Top {self.config.top_wards} wards{vintage} by {self.noun}, "
                                                 f"{self._where_when()}",
                         frame, description="Hotspots: the wards with the most records, their rate and share of the "
                                            "area's total",
                         source=self.police_source + "; ONS lookups and small-area population",
                         units={self.rate_header: self.rate_unit},
                         notes=[self.ward_population[1]],
                         shorthand={CONFIDENTIAL: f"confidential: fewer than {threshold} {self.noun} in the ward (1 to "
                                                  f"{threshold - 1}), suppressed as in the document because so few "
                                                  "could identify the people involved; the ward's rate and share, which "
                                                  "would give the count back, are suppressed with it",
                                    NOT_AVAILABLE: "not available: no small-area population for the ward in the data "
                                                   "folder, so no rate"})

    def spc_data(self) -> DataTable | None:
        """Every SPC chart's monthly series: the value, the mean and process limits its point was read
        against, and what the Making Data Count rules made of it."""
        if not self.spc_results:
            return None
        targets = {name: r.target for name, r in self.spc_results.items() if r.target is not None}
        rows = []
        for name, result in self.spc_results.items():
            table = result.table
            for point in table.itertuples():
                rules = [label for rule, label in spc.RULE_LABELS.items() if getattr(point, rule)]
                row = {"Series": name, "Month": month_label(point.period), self.count_header: number(point.value, 0),
                       "Mean (count)": round(float(point.mean), 2),
                       "Lower process limit (count)": round(float(point.lpl), 2),
                       "Upper process limit (count)": round(float(point.upl), 2),
                       "Limits group": int(point.group) + 1, "Baseline month": "yes" if point.baseline else "no",
                       "Special cause": "yes" if point.special_cause else "no",
                       "What the month shows": spc.VARIATION[point.point_type],
                       "Rules met": "; ".join(rules) if rules else "none"}
                if targets:
                    row["Monthly target (count)"] = targets.get(name, NOT_APPLICABLE)
                rows.append(row)
        months = self.spc_months
        frame = pd.DataFrame(rows)
        floored = [name for name, result in self.spc_results.items() if result.floored]
        notes = ["Process limits: the mean of each group's baseline months ± 2.66 × their mean moving range (NHS "
                 "Making Data Count, XmR charts); special cause: a month outside the limits, in a run of 7 on one side "
                 "of the mean, in a trend of 7, or 2 of 3 months near a limit. For crime a fall is an improvement."]
        if floored:
            notes.append("A count cannot go below 0, so a lower process limit that works out below 0 is given as 0 ("
                         + ", ".join(floored) + ").")
        if self.config.spc_rebase:
            notes.append(f"Limits are recalculated (a new group) from: {', '.join(self.config.spc_rebase)} (params).")
        return DataTable(self.table_id("spc"), f"{self.y_label} per month with SPC (XmR) mean and process limits, "
                                               f"{self.area_name}, {month_label(months[0])} to {month_label(months[-1])}",
                         frame, description="The monthly series behind each SPC chart, with its mean, limits and "
                                            "signals" + ("; one series per crime type" if len(self.spc_results) > 1
                                                         else ""),
                         source=self.police_source, notes=notes,
                         shorthand={NOT_APPLICABLE: "not applicable: no target is set for the series"})

    def by_type_data(self) -> DataTable:
        """Crime by type: the document's crime in context (risers and fallers, or shares, rates and
        ranks) from one table."""
        cfg, breakdown = self.config, self.breakdown
        evidence = self.type_evidence().set_index("category")
        previous = f"Crimes {short_period_label(cfg.comparison.label)} (count)"
        latest = f"Latest month ({month_label(cfg.period.end)}), SPC"

        def of_type(column, digits=None):
            return [number(evidence.at[c, column], digits) if c in evidence.index else NOT_AVAILABLE
                    for c in breakdown["category"]]

        frame = pd.DataFrame({
            "Crime type": breakdown["category"], self.count_header: numbers(breakdown["records"], 0),
            "Share of all crime (%)": numbers(breakdown["share_pct"], 2), previous: numbers(breakdown["previous"], 0),
            "Change (count)": numbers(breakdown["change"], 0), "Change (%)": numbers(breakdown["change_pct"], 2),
            self.rate_header: of_type("rate_per_1000", 2), "Rank of rate among the areas (1 = highest)":
            of_type("peer_rank_by_rate", 0), "Areas ranked (count)": of_type("peers", 0),
            latest: [self.spc_results[c].variation if c in self.spc_results else NOT_APPLICABLE
                     for c in breakdown["category"]],
            "Months of special cause in the period (count)": [sum(self.special_months(c).values())
                                                              if c in self.spc_results else NOT_APPLICABLE
                                                              for c in breakdown["category"]]})
        return DataTable("crime_by_type", f"Crimes by type, {self._where_when()}",
                         frame, description="Crime by data.police.uk category: number, share, change on the year "
                                            "before, rate, rank among the areas in the data and SPC signal",
                         source=self.police_source + "; ONS mid-year population estimates",
                         units={self.rate_header: self.rate_unit},
                         shorthand={NOT_AVAILABLE: "not available: the comparison period is not fully in the data, or "
                                                   "no rate or rank can be given (no population, or a partly covered "
                                                   "period)",
                                    NOT_APPLICABLE: "not applicable: the type has no SPC chart (no records in the "
                                                    "months charted)"})

    # ---- findings for the summary and the document ------------------------------------------
    def findings(self) -> dict:
        cfg = self.config
        return {
            "section": self.spec.key,
            "title": self.spec.title,
            "area": self.area_name,
            "area_codes": list(self.area.lad_codes),
            "period": cfg.period.label,
            "comparison_period": cfg.comparison.label,
            "count": self.count,
            "population": self.population.value,
            "population_year": self.population.year,
            "rate_per_1000": None if self.rate is None else round(self.rate, 1),
            "previous_count": self.change.previous if self.change else None,
            "change": self.change.difference if self.change else None,
            "change_pct": None if not self.change or self.change.pct is None else round(self.change.pct, 1),
            "headline": self.headline(),
            "no_comparison": self.no_comparison,  # why there is no change ('' when there is one)
            "rate_note": self.rate_note,  # the population year, when not the period's own
            "overview": self.overview().to_dict(orient="records"),
            "top_wards": self.top_wards[["ward_name", "records", "share_pct"]].round(1).to_dict(orient="records"),
            "top_wards_suppressed": bool(self.suppressed_wards.any()),
            "top_wards_share_pct": None if self.top_wards_share_pct is None else round(self.top_wards_share_pct, 1),
            "period_months": self.n_months,
            "rate_unit": self.rate_unit,
            "ward_vintage": self.geo.ward_vintage,
            "unplaced_records": self.placement.unplaced,
            "unplaced_pct": round(self.placement.unplaced_pct, 2),
            "trend": [{"period": r.period, "records": None if pd.isna(r.records) else int(r.records)}
                      for r in self.trend.itertuples()],
            "spc_variation": (self.spc_results[self.all_label].variation
                              if self.all_label in self.spc_results else None),
            "special_causes": self.special_causes[["category", "direction"]].to_dict(orient="records"),
            "spc_signals": {name: mdc_icons.latest_signal(result) for name, result in self.spc_results.items()},
            "spc_series": self.all_label,  # the section's main series, which its summary speaks of
            "spc_latest_month": self.latest_month,
            "spc_special_months": {name: self.special_months_text(name) for name in self.spc_results
                                   if self.special_months(name)},
            "busiest_month": self.busiest_month,
            "breakdown": [{"category": r.category, "records": int(r.records), "share_pct": round(float(r.share_pct), 1),
                           "previous": None if pd.isna(r.previous) else int(r.previous),
                           "change": None if pd.isna(r.change) else int(r.change),
                           "change_pct": None if pd.isna(r.change_pct) else round(float(r.change_pct), 1)}
                          for r in self.breakdown.itertuples()] if self.has_breakdown else [],
            "by_type": self.type_evidence().astype(object).where(lambda d: d.notna(), None).to_dict(orient="records"),
            "data_notes": [n.text for n in self.data_notes()],
            **self.missing_findings(),
            "demo": self.ingest.demo,
            "deprivation": self.deprivation_findings(),
            # the workbook's tables behind the document's summary and crime in context
            "data_tables": {"summary": self.table_id("summary"), "wards": self.table_id("wards"),
                            "peers": self.table_id("peers"), **({"by_type": "crime_by_type"} if self.by_type_ids else {})},
            **({"police_outcomes": self.outcomes.findings()} if self.spec.record_kind == "crime" else {}),
        }


SPECS = (
    SectionSpec("all_crime", "01_all_crime.ipynb", "All recorded crime", "crime"),
    SectionSpec("asb", "02_asb.ipynb", "Anti-social behaviour", "asb"),
)
SECTION_CLASS = CrimeSection

"""What the all-crime and ASB sections show about deprivation: records and the rate per 1,000
residents by national IMD decile of the LSOA, and the share of records in the area's LSOAs among
England's most deprived 10%. The arithmetic is in stats/deprivation.py; this module picks the inputs
(the IMD table, the LSOA bridge, the small-area population, the area's records in the period)
and turns the results into a table, a chart, a sentence and notes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd
from IPython.display import Markdown

from .. import store
from ..geography import BRIDGE_DOWNLOAD, POPULATION_DOWNLOAD
from ..ingest import imd as imd_input
from ..display import charts, narrative
from ..display.text import as_text
from ..stats import deprivation, measures
from .base import DataNote, notes_markdown, styled_table

DECILE_NAMES = {1: "1 (most deprived)", 10: "10 (least deprived)"}


@dataclass
class DeprivationFigures:
    """The deprivation figures of one section, or why there are none (``missing``)."""

    missing: str = ""  # what is missing and where to get it; "" when the figures are there
    edition: str = ""
    by_decile: pd.DataFrame | None = None
    share: deprivation.MostDeprivedShare | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class DeprivationViews:
    """Mixed into CrimeSection: uses its config, geo, area, counts, noun, y_label and rate_unit."""

    @cached_property
    def deprivation(self) -> DeprivationFigures:
        processed, geo = self.config.processed_dir, self.geo
        if not store.has_table(processed, imd_input.TABLE):
            return DeprivationFigures(missing=(
                "The deprivation figures need the English Indices of Deprivation, which the data folder does not "
                f"hold: download {imd_input.DOWNLOAD} and put it in the data folder (any subfolder), then run again."))
        if self.count is None:
            return DeprivationFigures(missing=("The deprivation figures are not given: the data do not cover the "
                                               f"whole assessment period ({self.period_missing_note})"))
        imd = store.read_table(processed, imd_input.TABLE)
        edition = max(imd["edition"])
        imd = imd[imd["edition"] == edition]
        vintage = geo.lsoa_vintage
        area_lsoas = geo.lsoa_lookup.loc[geo.lsoa_lookup["lad_code"].isin(self.area.lad_codes), "lsoa_code"].unique()
        deciles = deprivation.deciles_of_report_lsoas(imd, vintage, area_lsoas, geo.bridge)
        # the small-area population of the year nearest the headline's (params population_year)
        small_area, population_source = deprivation.lsoa_population(geo.population_lsoa, area_lsoas, vintage,
                                                                     self.config.population_year)
        population, basis_note = self._headline_basis(small_area, population_source, area_lsoas)
        in_period = self.counts[self.counts["month"].isin(self.config.period.months)]
        records = in_period.dropna(subset=["report_lsoa"]).groupby("report_lsoa")["records"].sum()
        figures = DeprivationFigures(edition=edition,
                                     by_decile=deprivation.rates_by_decile(records, deciles, population),
                                     share=deprivation.most_deprived_share(records, deciles, population))
        imd_vintage = str(imd["lsoa_vintage"].iloc[0])
        figures.notes.append(
            f"Deprivation: the English Indices of Deprivation {edition} (MHCLG), Index of Multiple Deprivation, by "
            f"LSOA {imd_vintage}. Deciles are national: decile 1 is the most deprived 10% of LSOAs in England, not "
            f"of {self.area_name}; 'the most deprived 10%' means the area's LSOAs in national decile 1.")
        how = deciles["how"].value_counts()
        if how.get(deprivation.INHERITED, 0) or how.get(deprivation.MEAN_RANK, 0):
            figures.notes.append(
                f"The IMD ranks LSOA {imd_vintage} areas and the records are on LSOA {vintage}: each LSOA {vintage} gets "
                f"its decile through the ONS LSOA 2011 to 2021 lookup. {how.get(deprivation.INHERITED, 0):,} of the "
                f"area's LSOAs are unchanged or part of a split LSOA and take the decile of the one LSOA they came "
                f"from; {how.get(deprivation.MEAN_RANK, 0):,} were merged from several or redesigned, and take the "
                "national decile of the mean rank of the LSOAs they draw from.")
        if how.get(deprivation.SAME_CODE, 0):
            figures.warnings.append(
                f"The IMD ranks LSOA {imd_vintage} areas and the records are on LSOA {vintage}, and the data folder has "
                f"no ONS LSOA 2011 to 2021 lookup: only the {how.get(deprivation.SAME_CODE, 0):,} LSOAs whose code is "
                f"the same in both (unchanged LSOAs) have a decile. Add {BRIDGE_DOWNLOAD}.")
        without = sorted(set(area_lsoas) - set(deciles["lsoa_code"]))
        if without:
            lost = int(records.reindex(without).fillna(0).sum())
            figures.warnings.append(
                f"{len(without):,} of the area's {len(area_lsoas):,} LSOAs {narrative.plural(len(without), 'has', 'have')} "
                f"no IMD decile (e.g. {', '.join(without[:3])}); {narrative.plural(len(without), 'its', 'their')} "
                f"{narrative.counted(lost, self.noun_one, self.noun)} {narrative.plural(lost, 'is', 'are')} not in the "
                "deprivation figures.")
        not_in_lsoa = int(in_period.loc[in_period["report_lsoa"].isna(), "records"].sum())
        if not_in_lsoa:
            figures.warnings.append(f"{not_in_lsoa:,} of the area's {self.noun} {narrative.plural(not_in_lsoa, 'is', 'are')} "
                                    "counted in the area but not in one of its LSOAs (see the placement notes) and "
                                    f"{narrative.plural(not_in_lsoa, 'is', 'are')} not in the deprivation figures.")
        if population.empty:
            figures.warnings.append(
                f"Rates by decile cannot be given: {population_source}. Add a population by LSOA {vintage} "
                f"({POPULATION_DOWNLOAD.get(vintage, 'ONS small area population estimates')}).")
        else:
            figures.notes.append(f"Rates by decile: {basis_note} The residents of each decile are summed over the "
                                 "area's LSOAs in it; 95% intervals as OHID computes them: exact Poisson below 10 "
                                 "records, Byar's method from 10; the share's interval is Wilson's.")
        best_fit = self._best_fit_note(in_period, deciles)
        if best_fit:
            figures.notes.append(best_fit)
        return figures

    def _headline_basis(self, small_area: pd.Series, source: str, area_lsoas) -> tuple[pd.Series, str]:
        """The LSOA populations on the headline rate's basis: scaled so each local authority's LSOAs
        add up to the ONS mid-year estimate the headline uses (stats.deprivation.scale_to_totals),
        and a sentence saying which populations, of which year, and how they were scaled."""
        headline = self.population
        if small_area.empty or not headline.available or self.geo.population_la is None:
            return small_area, (f"the residents are each LSOA's {source}, as published: the headline rate's mid-year "
                                "estimate is not in the data folder, so they are not scaled to it.")
        estimates = self.geo.population_la
        of_year = estimates[(estimates["mid_year"] == headline.year) & estimates["area_code"].isin(self.area.lad_codes)]
        totals = of_year.groupby("area_code")["population"].sum().to_dict()
        lookup = self.geo.lsoa_lookup
        lad_of = lookup[lookup["lsoa_code"].isin(area_lsoas)].drop_duplicates("lsoa_code").set_index("lsoa_code")["lad_code"]
        scaled, factors = deprivation.scale_to_totals(small_area, lad_of, totals)
        if not factors:
            return small_area, (f"the residents are each LSOA's {source}, as published: they do not cover every LSOA of "
                                f"the area, so they cannot be scaled to the headline rate's ONS mid-{headline.year} "
                                "estimate.")
        own = sum(small_area.reindex(lad_of[lad_of == lad].index).sum() for lad in factors)
        left = sorted(set(self.area.lad_codes) - set(factors))
        text = (f"the residents are each LSOA's {source}, scaled so that each local authority's LSOAs add up to "
                f"the ONS mid-{headline.year} estimate the headline rate uses ({sum(totals[l] for l in factors):,.0f} "
                f"against the LSOAs' own {own:,.0f}: a factor of "
                + ", ".join(f"{factors[l]:.3f}" for l in sorted(factors))
                + "), so the rates by decile and the headline rate share one population.")
        if left:
            text += f" Not scaled (no estimate or an LSOA without a population): {', '.join(left)}."
        return scaled, text

    def _best_fit_note(self, in_period: pd.DataFrame, deciles: pd.DataFrame) -> str:
        """What the records of LSOAs that ONS split or redesigned in 2021 do to the decile counts:
        each goes to one best-fit successor (geography.place); every successor of a split LSOA has
        the decile of the LSOA it came from, so only records of an LSOA whose successors fall in
        different deciles could count in another decile had they been apportioned."""
        bridged = in_period[in_period["placed_by"] == "bridge"]
        if bridged.empty or self.geo.bridge is None:
            return ""
        split = self.geo.split_codes(bridged["lsoa_code"], str(bridged["own_vintage"].iloc[0]))
        if not split:
            return ""
        source = f"lsoa{str(bridged['own_vintage'].iloc[0])[2:]}_code"
        target = "lsoa21_code" if source == "lsoa11_code" else "lsoa11_code"
        decile_of = deciles.set_index("lsoa_code")["imd_decile"]
        pairs = self.geo.bridge[self.geo.bridge[source].isin(split)]
        mixed = {code for code, part in pairs.groupby(source) if part[target].map(decile_of).nunique() > 1}
        moved = int(bridged.loc[bridged["lsoa_code"].isin(split), "records"].sum())
        could_differ = int(bridged.loc[bridged["lsoa_code"].isin(mixed), "records"].sum())
        return (f"{moved:,} {self.noun} were recorded in LSOAs that ONS split or redesigned in 2021: "
                f"{self.geo.best_fit_rule()}, not apportioned between them. Every part of a split LSOA has the "
                f"decile of the LSOA it came from, so this changes no decile's count"
                + (f", except for {could_differ:,} {self.noun} of LSOAs whose parts fall in different deciles."
                   if could_differ else "."))

    @property
    def suppressed_deciles(self) -> pd.Series:
        table = self.deprivation.by_decile
        return measures.small_counts(table["records"], self.config.suppression_threshold)

    def deprivation_summary(self) -> Markdown:
        """The share in the most deprived 10%, or what is missing, as a paragraph."""
        return Markdown(narrative_text(self.deprivation_sentence()))

    def deprivation_sentence(self) -> str:
        """The share of the records in the area's LSOAs among England's most deprived 10%, in words
        (what is missing, when the figures cannot be given)."""
        figures = self.deprivation
        if figures.missing:
            return figures.missing
        share = figures.share
        if not share.total:
            return f"No {self.noun} in the period were placed in an LSOA with an IMD decile."
        if share.lsoas == 0:
            return f"None of {self.area_name}'s {share.all_lsoas:,} LSOAs is among England's most deprived 10%."
        hidden = measures.small_counts(pd.Series([share.records]), self.config.suppression_threshold).iloc[0]
        residents = ("" if math.isnan(share.population_share_pct)
                     else f", home to {share.population_share_pct:.1f}% of its residents")
        if hidden:
            return (f"Fewer than {self.config.suppression_threshold} of the area's {self.noun} were recorded in its "
                    f"{share.lsoas:,} LSOAs among England's most deprived 10%{residents}.")
        lower, upper = share.interval_pct
        return (f"{share.share_pct:.1f}% of {self.area_name}'s {self.noun} in {self.config.period.label} "
                f"({share.records:,} of {share.total:,}; 95% interval {lower:.1f}% to {upper:.1f}%) were recorded in "
                f"its {share.lsoas:,} LSOAs among England's most deprived 10%{residents}.")

    def deprivation_table(self):
        figures = self.deprivation
        if figures.missing:
            return Markdown("")
        table, hidden = figures.by_decile, self.suppressed_deciles
        threshold = self.config.suppression_threshold
        interval = [("" if math.isnan(lo) else f"{lo:,.1f} – {up:,.1f}") for lo, up in zip(table["lower"], table["upper"])]
        frame = pd.DataFrame({
            "IMD decile": table["decile"].map(lambda d: DECILE_NAMES.get(d, str(d))),
            "LSOAs": table["lsoas"],
            "Residents": table["population"].map(narrative.fmt_int),
            narrative.sentence_case(self.y_label): table["records"].map(narrative.fmt_int).where(~hidden, f"<{threshold}"),
            "Share": table["share_pct"].map(narrative.fmt_pct).where(~hidden, "suppressed"),
            narrative.sentence_case(self.rate_unit): table["per_1000"].map(narrative.fmt_rate).where(~hidden, "suppressed"),
            "95% interval": pd.Series(interval).where(~hidden, "suppressed"),
        })
        return styled_table(frame, {"LSOAs": "{:,}"}, text_columns=["IMD decile"],
                            caption=f"{self.y_label} by national IMD {figures.edition} decile of the LSOA, "
                                    f"{self.config.period.label}")

    def deprivation_chart(self):
        figures = self.deprivation
        if figures.missing or figures.by_decile["per_1000"].notna().sum() == 0:
            return Markdown("")
        table = figures.by_decile
        shown = table[table["per_1000"].notna() & ~self.suppressed_deciles]
        most, least = shown.iloc[0], shown.iloc[-1]
        if len(shown) > 1 and least["per_1000"] > 0:
            title = (f"{self.y_label} per 1,000 residents: {most['per_1000'] / least['per_1000']:.1f} times as high "
                     f"in decile {int(most['decile'])} as in decile {int(least['decile'])}")
        else:
            title = f"{self.y_label} per 1,000 residents by national IMD decile"
        return charts.deprivation_chart(table, title, narrative.sentence_case(self.rate_unit),
                                        hidden=self.suppressed_deciles)

    def deprivation_notes(self) -> Markdown:
        figures = self.deprivation
        notes = [DataNote(w, True) for w in figures.warnings] + [DataNote(n) for n in figures.notes]
        return notes_markdown(notes) if notes else Markdown("")

    def deprivation_findings(self) -> dict | None:
        """The deprivation figures for the document and the summary (None when missing)."""
        figures = self.deprivation
        if figures.missing:
            return {"missing": figures.missing}
        share, hidden = figures.share, self.suppressed_deciles

        def number(value, digits=2):
            return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), digits)

        return {
            "edition": figures.edition,
            "sentence": self.deprivation_sentence(),
            "most_deprived_10pct": {"records": share.records, "total": share.total, "lsoas": share.lsoas,
                                    "share_pct": number(share.share_pct, 1),
                                    "population_share_pct": number(share.population_share_pct, 1),
                                    "suppressed": bool(measures.small_counts(pd.Series([share.records]),
                                                                             self.config.suppression_threshold).iloc[0])},
            "by_decile": [{"decile": int(r.decile), "lsoas": int(r.lsoas),
                           "records": None if h else int(r.records),
                           "per_1000": None if h else number(r.per_1000)}
                          for r, h in zip(figures.by_decile.itertuples(), hidden)],
        }


def narrative_text(text: str) -> str:
    """A sentence built from data and params strings, shown as text (see report.text.as_text)."""
    return as_text(text)

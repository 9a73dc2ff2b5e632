"""Police outcomes and stop and search for a crime section's area and period: what the all-crime,
substance misuse and violence notebooks show (``section.outcomes``; the substance misuse section
reaches it through its police records, ``section.crime.outcomes``). The measures and their
definitions, the Home Office's and HMICFRS's, are in stats/police_outcomes.py."""

from __future__ import annotations

from functools import cached_property

import pandas as pd
from IPython.display import Markdown

from .. import store
from ..ingest.police_uk import same_force
from ..ingest.police_uk_outcomes import OUTCOMES_DOWNLOAD, STOP_SEARCH_DOWNLOAD
from ..display import narrative
from ..geography import place_by_boundaries
from ..display.data_tables import NOT_APPLICABLE, NOT_AVAILABLE, DataTable, month_label, numbers, period_label
from ..display.text import as_text
from ..stats import police_outcomes as po
from ..stats.police_outcomes import DRUG_SEARCH_OBJECTS, DRUGS, WEAPON_SEARCH_OBJECTS
from .base import MissingInput, styled_table

# Placement worth a warning in the stop-and-search caption: this share of the force's searches or more
# could not be placed in any area, so the area's figures may leave out some of its searches.
UNPLACED_WARNING_SHARE = 0.10
DRUG_SEARCHES = "drugs (controlled drugs, psychoactive substances)"
COMPARED_WORDS = {"higher": "significantly higher than", "lower": "significantly lower than",
                  "similar": "similar to"}


# For reviewers, what is missing; the download steps go to the run log and the analysts (MissingInput).
MISSING_OUTCOMES = ("No data.police.uk outcomes files of the area's force are in the data folder yet, so positive "
                    "outcome rates cannot be given.")
MISSING_SEARCHES = ("No data.police.uk stop-and-search files of the area's force are in the data folder yet, so "
                    "searches cannot be counted.")
OUTCOMES_STEPS = (f"No data.police.uk outcomes files (YYYY-MM-<force>-outcomes.csv) of the area's force are in the data "
                  f"folder; download them from {OUTCOMES_DOWNLOAD} into the monthly folders beside the street files.")
SEARCHES_STEPS = (f"No data.police.uk stop-and-search files (YYYY-MM-<force>-stop-and-search.csv) of the area's force "
                  f"are in the data folder; download them from {STOP_SEARCH_DOWNLOAD} into the monthly folders beside "
                  "the street files.")


# What the figures read of the outcomes table (not the crime ids, record counts and file names).
OUTCOME_COLUMNS = ["force", "outcome_month", "outcome_type", "lsoa_code", "crime_month", "crime_type"]


def _pct(value) -> str:
    return narrative.NOT_AVAILABLE if value is None or pd.isna(value) else f"{value:.1f}%"


class PoliceOutcomes:
    """Outcomes and stop and search for one crime section's area and period (``section.outcomes``)."""

    def __init__(self, section):
        self.section = section
        self.config, self.geo = section.config, section.geo
        processed = self.config.processed_dir
        self.outcomes = (store.read_table(processed, "police_outcomes", columns=OUTCOME_COLUMNS)
                         if store.has_table(processed, "police_outcomes") else None)
        self.searches_all = (store.read_table(processed, "stop_search") if store.has_table(processed, "stop_search")
                             else None)

    @property
    def lad_codes(self) -> tuple[str, ...]:
        return self.section.area.lad_codes

    @property
    def all_label(self) -> str:
        """The first row's name: "All crime", or the one category a section counts (violence)."""
        return self.section.all_label

    # ---- outcomes ------------------------------------------------------------------------------
    @property
    def area_forces(self) -> set[str]:
        """The forces whose street files hold the area's records: another force's outcomes or searches
        (City of London's beside Bedfordshire's street files) say nothing of this area."""
        return self.section.area_forces

    @cached_property
    def has_outcomes(self) -> bool:
        return (self.outcomes is not None and not self.outcomes.empty
                and bool(self.area_forces & set(self.outcomes["force"].unique())))

    def _placed_outcomes(self, months) -> pd.DataFrame:
        """The crimes recorded in ``months`` that have an outcome row, each with its local authority."""
        crimes = po.crimes_in_period(self.outcomes, months)
        # Placed like the street counts: by the crime's month and LSOA, through the lookup of its vintage.
        return self.geo.place(crimes.assign(month=crimes["crime_month"], records=1))

    @cached_property
    def forces(self) -> list[str]:
        """The forces that recorded crimes in the area in the period."""
        counts = self.section.counts
        return sorted(counts.loc[counts["month"].isin(list(self.config.period.months)), "force"].unique())

    def _names(self, forces: list[str]) -> str:
        """The forces' names as params give them where they match the files' slugs (else the slugs)."""
        named = self.config.police_force
        return ", ".join(named if named and same_force(f, named) else f for f in forces) or "no force"

    @property
    def force_names(self) -> str:
        return self._names(self.forces)

    def _groups(self, months) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Outcome groups of the crimes recorded in ``months`` (stats.police_outcomes.outcome_groups):
        (in the area, in the rest of its forces: the forces' crimes not placed in the area). Only the
        crime types the section counts (the violence section counts one)."""
        counts = self.section.all_counts
        counts = counts[counts["month"].isin(list(months))]
        outcomes = self._placed_outcomes(months)
        outcomes = outcomes[outcomes["crime_type"].isin(counts["crime_type"].unique())]
        in_area, outcome_in_area = counts["lad_code"].isin(self.lad_codes), outcomes["lad_code"].isin(self.lad_codes)
        rest, outcome_rest = counts["force"].isin(self.forces) & ~in_area, outcomes["force"].isin(self.forces) & ~outcome_in_area
        return tuple(po.outcome_groups(counts[where].groupby("crime_type")["records"].sum(), outcomes[outcome_where],
                                       self.all_label)
                     for where, outcome_where in ((in_area, outcome_in_area), (rest, outcome_rest)))

    @cached_property
    def period_groups(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return self._groups(self.config.period.months)

    @cached_property
    def rates(self) -> pd.DataFrame:
        """The area's outcome groups by crime type (all crime first), with the charge/summons rate
        beside the rest of its force's (see stats.police_outcomes.compare_with_rest_of_force)."""
        return po.compare_with_rest_of_force(*self.period_groups)

    def rate_of(self, crime_type: str) -> dict | None:
        row = self.rates[self.rates["crime_type"] == crime_type]
        return None if row.empty else row.iloc[0].to_dict()

    @cached_property
    def last_outcome_month(self) -> str:
        return str(self.outcomes["outcome_month"].max())

    def outcome_groups_table(self):
        """All crime recorded in the period by Home Office outcome group, as shares of all crimes
        recorded, beside the rest of the force."""
        if not self.has_outcomes:
            return Markdown("")
        area = self.rate_of(self.all_label)
        rows = []
        for group in po.GROUPS:
            if group == po.UNKNOWN_TYPE and not area[group]:
                continue
            rows.append({"Outcome group": group, "Home Office outcome types": po.HOME_OFFICE_OUTCOMES[group] or "–",
                         "Crimes": narrative.fmt_int(area[group]),
                         "Share of crimes recorded": _pct(100.0 * area[group] / area["recorded"]
                                                          if area["recorded"] else None),
                         "Rest of the force": self._rest_share(group)})
        rows.append({"Outcome group": "All crimes recorded", "Home Office outcome types": "",
                     "Crimes": narrative.fmt_int(area["recorded"]), "Share of crimes recorded": _pct(100.0),
                     "Rest of the force": _pct(100.0) if self._rest_groups["recorded"] else narrative.NOT_AVAILABLE})
        return styled_table(pd.DataFrame(rows), {}, caption=(
            f"Outcomes of crimes recorded in {self.config.period.label}, {self.section.area_name}, by Home Office "
            f"outcome group, as at the outcomes of {self.last_outcome_month} (data.police.uk)"),
            text_columns=["Outcome group", "Home Office outcome types"], data=[self.section.table_id("outcomes")])

    @property
    def _rest_groups(self) -> dict:
        rest = self.period_groups[1]
        return rest[rest["crime_type"] == self.all_label].iloc[0].to_dict()

    def _rest_share(self, group: str) -> str:
        rest = self._rest_groups
        return _pct(100.0 * rest[group] / rest["recorded"]) if rest["recorded"] else narrative.NOT_AVAILABLE

    def outcome_table(self, crime_types=None):
        """The charge/summons rate by crime type (all crime first) against the rest of the force,
        the positive outcome rate and the share not yet assigned an outcome, of crimes recorded."""
        if not self.has_outcomes:
            return self.missing_outcomes_note()
        table = self.rates if crime_types is None else self.rates[self.rates["crime_type"].isin(crime_types)]
        shown = pd.DataFrame({
            "Crime type": table["crime_type"], "Crimes recorded": table["recorded"].map(narrative.fmt_int),
            "Charged or summonsed": table[po.CHARGED].map(narrative.fmt_int),
            "Charge/summons rate (95% interval)": [
                f"{_pct(rate)} ({lo:.1f}–{hi:.1f})" if pd.notna(lo) else narrative.NOT_AVAILABLE
                for rate, lo, hi in zip(table["charged_pct"], table["charged_lower_pct"], table["charged_upper_pct"])],
            "Rest of the force": table["rest_charged_pct"].map(_pct),
            "Compared": table["compared"],
            "Positive outcome rate": table["positive_pct"].map(_pct),
            "Not yet assigned": table["not_yet_pct"].map(_pct),
        })
        return styled_table(shown, {}, caption=f"Charge/summons and positive outcome rates, % of crimes recorded in "
                                               f"{self.config.period.label}, {self.section.area_name}, against the "
                                               f"rest of the force ({self.force_names}); data.police.uk outcomes",
                            text_columns=["Crime type", "Compared"], data=[self.section.table_id("outcomes")])

    def missing_outcomes_note(self) -> Markdown:
        return Markdown(as_text(MISSING_OUTCOMES))

    def outcome_summary(self) -> Markdown:
        if not self.has_outcomes:
            return self.missing_outcomes_note()
        return Markdown(as_text(self.outcome_sentence()))

    def outcome_sentence(self) -> str:
        row = self.rate_of(self.all_label)
        if row is None or not row["recorded"]:
            return f"No {self.section.noun} recorded in {self.config.period.label} were placed in the area."
        if row["compared"] in COMPARED_WORDS:
            rest = f"{COMPARED_WORDS[row['compared']]} the rest of the force's {_pct(row['rest_charged_pct'])}"
        else:
            rest = "the rest of the force recorded no crimes to compare with"
        return (f"Of the {row['recorded']:,} {self.section.noun} recorded in {self.config.period.label}, {row[po.CHARGED]:,} "
                f"({_pct(row['charged_pct'])}) had been charged or summonsed by the outcomes of "
                f"{self.last_outcome_month}, {rest}; {_pct(row['positive_pct'])} had a positive outcome (charge or "
                f"summons, caution, penalty notice, community resolution, cannabis or khat warning, or an offence taken "
                f"into consideration), {_pct(100.0 * row[po.NO_SUSPECT] / row['recorded'])} were closed with no suspect "
                f"identified and {_pct(row['not_yet_pct'])} had not yet been assigned an outcome.")

    @cached_property
    def drug_charges(self) -> pd.DataFrame:
        """Drug offences recorded in the period and the comparison period: period (its label and
        Period), recorded, assigned (an outcome), charged, charged_of_outcomes_pct (the partnership
        plan's measure), charged_of_recorded_pct (the Home Office's charge/summons rate)."""
        rows = []
        for period in (self.config.period, self.config.comparison):
            # the period's groups are the outcome rates' own: grouped once
            groups = self.period_groups if period is self.config.period else self._groups(period.months)
            drugs = groups[0].set_index("crime_type")
            recorded = int(drugs.loc[DRUGS, "recorded"]) if DRUGS in drugs.index else 0
            charged = int(drugs.loc[DRUGS, po.CHARGED]) if recorded else 0
            assigned = recorded - int(drugs.loc[DRUGS, po.NOT_YET_ASSIGNED]) if recorded else 0
            rows.append({"label": period.label, "period": period, "recorded": recorded, "assigned": assigned,
                         "charged": charged, "charged_of_outcomes_pct": 100.0 * charged / assigned if assigned else None,
                         "charged_of_recorded_pct": 100.0 * charged / recorded if recorded else None})
        return pd.DataFrame(rows)

    @property
    def drug_target_words(self) -> str:
        target = self.drug_target
        return "none set" if target is None else (f"{target:g}%" if isinstance(target, float) else "increase")

    def drug_charges_table(self):
        """Drug offences: charges as a percentage of outcomes (the partnership plan's measure: charged
        or summonsed, of the drug offences assigned an outcome) and of drug offences recorded (the
        Home Office's charge/summons rate), this period and the comparison period, against the
        target in params (police_outcomes.drug_charge_target_pct), which is set on the first."""
        if not self.has_outcomes:
            return self.missing_outcomes_note()
        charges = self.drug_charges
        rows = [{"Period": r.label, "Drug offences recorded": narrative.fmt_int(r.recorded),
                 "Assigned an outcome": narrative.fmt_int(r.assigned),
                 "Charged or summonsed": narrative.fmt_int(r.charged),
                 "Charges as % of outcomes": _pct(r.charged_of_outcomes_pct),
                 "Charged as % of recorded": _pct(r.charged_of_recorded_pct)} for r in charges.itertuples()]
        rows[0]["Target"] = self.drug_target_words
        rows[0]["Target met"] = self.drug_target_status(*charges["charged_of_outcomes_pct"])
        return styled_table(pd.DataFrame(rows), {}, caption=f"Drug offences charged or summonsed, {self.section.area_name}"
                                                            f" (data.police.uk outcomes of {self.last_outcome_month})",
                            text_columns=["Period", "Target", "Target met"], data=["drug_charges"])

    @property
    def drug_target(self):
        return getattr(self.config, "drug_charge_target_pct", None)

    def drug_target_status(self, current: float | None, previous: float | None) -> str:
        """Whether the period's charges as % of outcomes (``current``) meet the target: a percentage, or
        "increase" on the comparison period's (``previous``)."""
        target = self.drug_target
        if target is None or current is None:
            return narrative.NOT_AVAILABLE
        if target == "increase":
            return narrative.NOT_AVAILABLE if previous is None else "Met" if current > previous else "Not met"
        return "Met" if current >= target else "Not met"

    # ---- stop and search -----------------------------------------------------------------------
    @cached_property
    def has_searches(self) -> bool:
        return (self.searches_all is not None and not self.searches_all.empty
                and bool(self.area_forces & set(self.searches_all["force"].unique())))

    @cached_property
    def placed_searches(self) -> pd.DataFrame:
        """The period's searches with LSOA (by code, street point or boundary) and local authority."""
        searches = self.searches_all[self.searches_all["month"].isin(list(self.config.period.months))]
        boundaries = (store.read_table(self.config.processed_dir, "boundaries")
                      if store.has_table(self.config.processed_dir, "boundaries") else None)
        placed = place_by_boundaries(searches, boundaries).rename(columns={"placed_by": "search_placed_by"})
        return self.geo.place(placed.assign(records=1))

    @cached_property
    def area_searches(self) -> pd.DataFrame:
        placed = self.placed_searches
        return placed[placed["lad_code"].isin(self.lad_codes)]

    @cached_property
    def search_forces(self) -> list[str]:
        """The forces whose searches were placed in the area (else the forces of its crimes)."""
        return sorted(set(self.area_searches["force"])) or self.forces

    @cached_property
    def force_searches(self) -> pd.DataFrame:
        """Every search in the files of the area's forces for the period, placed or not."""
        return self.placed_searches[self.placed_searches["force"].isin(self.search_forces)]

    def search_counts(self, objects=None) -> pd.DataFrame:
        """The area's searches by object (po.searches_by_object) with the force's beside them:
        force_searches, force_linked, force_linked_pct."""
        area = po.searches_by_object(self.area_searches, objects)
        force = po.searches_by_object(self.force_searches, objects)
        force = force.rename(columns={"searches": "force_searches", "linked": "force_linked",
                                      "linked_pct": "force_linked_pct"})[
            ["object_of_search", "force_searches", "force_linked", "force_linked_pct"]]
        # The area's rows in their order, then the objects the force searched for only outside the area.
        merged = area.merge(force, on="object_of_search", how="left")
        elsewhere = force[~force["object_of_search"].isin(area["object_of_search"])]
        return pd.concat([merged, elsewhere], ignore_index=True).fillna(
            {"searches": 0, "arrests": 0, "with_outcome": 0, "linked": 0, "force_searches": 0, "force_linked": 0})

    def missing_searches_note(self) -> Markdown:
        return Markdown(as_text(MISSING_SEARCHES))

    def search_placement(self) -> dict:
        """How the area's forces' searches of the period were placed: counts by method, and how many
        could not be placed in any local authority (no location, a point in no known LSOA, or an LSOA
        outside the lookups)."""
        placed = self.force_searches
        by = placed["search_placed_by"].value_counts().to_dict()
        outside = int((placed["lsoa_code"].notna() & placed["lad_code"].isna()).sum())
        counts = {"searches": len(placed), "in_area": int(placed["lad_code"].isin(self.lad_codes).sum()),
                  "by_lsoa_code": int(by.get("LSOA code", 0)), "by_street_point": int(by.get("street point", 0)),
                  "by_boundary": int(by.get("boundary", 0)), "no_location": int(by.get("no location", 0)),
                  "unplaced": int(by.get("unplaced", 0)), "outside_lookup": outside}
        counts["not_placed"] = counts["no_location"] + counts["unplaced"] + outside
        counts["elsewhere"] = counts["searches"] - counts["in_area"] - counts["not_placed"]
        return counts

    def search_headline(self) -> str:
        """The area's searches beside the force's, and how many of the force's could not be placed."""
        p = self.search_placement()
        text = (f"{p['in_area']:,} of the {p['searches']:,} searches by {self.search_force_names} in "
                f"{self.config.period.label} were placed in {self.section.area_name}")
        if p["elsewhere"]:
            text += f", {p['elsewhere']:,} elsewhere"
        if p["not_placed"]:
            text += (f"; {p['not_placed']:,} could not be placed in any area ({p['no_location']:,} with no location, "
                     f"{p['unplaced'] + p['outside_lookup']:,} at a point in no known LSOA)")
            if p["searches"] and p["not_placed"] >= UNPLACED_WARNING_SHARE * p["searches"]:
                text += ", so the area's figures may leave some of its searches out: the force's are beside them"
        return text + "."

    @property
    def search_force_names(self) -> str:
        return self._names(self.search_forces)

    def search_table(self, objects=None, what: str = "all objects", data: list[str] = ()):
        """Stop and search in the area beside the force: searches by object of search, arrests, outcomes
        linked to the reason for search and the linked outcome rate. ``objects``: e.g.
        DRUG_SEARCH_OBJECTS (substance misuse) or WEAPON_SEARCH_OBJECTS (the violence section); None for
        every object."""
        if not self.has_searches:
            return self.missing_searches_note()
        table = self.search_counts(objects)
        shown = pd.DataFrame({"Object of search": table["object_of_search"],
                              "Searches": table["searches"].map(narrative.fmt_int),
                              "Arrests": table["arrests"].map(narrative.fmt_int),
                              "Outcome linked to the reason": table["linked"].map(narrative.fmt_int),
                              "Linked outcome rate": table["linked_pct"].map(_pct),
                              "Force: searches": table["force_searches"].map(narrative.fmt_int),
                              "Force: linked outcome rate": table["force_linked_pct"].map(_pct)})
        force = self.force_searches
        if objects is not None:
            force = force[force["object_of_search"].isin(list(objects))]
        not_placed = int(force["lad_code"].isna().sum())
        if not_placed:  # the force's searches no area holds: in its figures, in no area's
            shown.loc[len(shown)] = ["Not placed in any area (no location, or a point in no known LSOA)", "–", "–", "–",
                                     "–", narrative.fmt_int(not_placed), "–"]
        return styled_table(shown, {}, caption=f"Stop and search, {what}: {self.section.area_name} beside "
                                               f"{self.search_force_names}, {self.config.period.label} (data.police.uk)",
                            text_columns=["Object of search"], data=data)

    def weapon_search_table(self):
        """For the violence section: searches for offensive weapons and firearms."""
        return self.search_table(WEAPON_SEARCH_OBJECTS, "weapons (offensive weapons, firearms)")

    def drug_search_table(self):
        return self.search_table(DRUG_SEARCH_OBJECTS, DRUG_SEARCHES, data=["drug_searches"])

    # ---- the tables behind the figures (the workbook and the CSVs) -------------------------------
    @property
    def source(self) -> str:
        return f"data.police.uk street-level and outcomes files ({self.force_names})"

    def outcome_data(self, table_id: str) -> DataTable:
        """The charge/summons rate by crime type with its 95% interval, beside the rest of the force,
        and every outcome group as counted (all crime's outcomes sentence)."""
        rates = self.rates
        frame = pd.DataFrame({"Crime type": rates["crime_type"], "Crimes recorded (count)": numbers(rates["recorded"], 0)})
        for group in po.GROUPS:
            frame[f"{group} (count)"] = numbers(rates[group], 0)
        frame = frame.assign(**{
            "Charge/summons rate (%)": numbers(rates["charged_pct"], 2),
            "Charge/summons rate: lower 95% limit (%)": numbers(rates["charged_lower_pct"], 2),
            "Charge/summons rate: upper 95% limit (%)": numbers(rates["charged_upper_pct"], 2),
            "Rest of the force: crimes recorded (count)": numbers(rates["rest_recorded"], 0),
            "Rest of the force: charge/summons rate (%)": numbers(rates["rest_charged_pct"], 2),
            "Compared with the rest of the force": rates["compared"],
            "Positive outcome rate (%)": numbers(rates["positive_pct"], 2),
            "Not yet assigned an outcome (%)": numbers(rates["not_yet_pct"], 2)})
        return DataTable(table_id, f"Outcomes of crimes recorded in {period_label(self.config.period)} by crime type, "
                                   f"{self.section.area_name}, as at the outcomes of {month_label(self.last_outcome_month)}",
                         frame, description="Police outcomes by Home Office outcome group; charge/summons rate with its "
                                            "95% interval against the rest of the force",
                         source=self.source,
                         notes=self.notes()[1:3],
                         shorthand={NOT_AVAILABLE: "not available: the rest of the force recorded no crimes of the type"})

    def drug_charges_data(self) -> DataTable | None:
        if not self.has_outcomes:
            return None
        charges = self.drug_charges
        met = self.drug_target_status(*charges["charged_of_outcomes_pct"])
        frame = pd.DataFrame({
            "Period": [period_label(p) for p in charges["period"]],
            "Drug offences recorded (count)": numbers(charges["recorded"], 0),
            "Assigned an outcome (count)": numbers(charges["assigned"], 0),
            "Charged or summonsed (count)": numbers(charges["charged"], 0),
            "Charges as % of outcomes (%)": numbers(charges["charged_of_outcomes_pct"], 2),
            "Charged as % of recorded (%)": numbers(charges["charged_of_recorded_pct"], 2),
            "Target": [self.drug_target_words, NOT_APPLICABLE],
            "Target met": [met if met != narrative.NOT_AVAILABLE else NOT_AVAILABLE, NOT_APPLICABLE]})
        return DataTable("drug_charges", f"Drug offences charged or summonsed, {self.section.area_name}, "
                                         f"{period_label(self.config.period)} and the year before",
                         frame, description="Drug offences charged or summonsed as a % of outcomes and of offences "
                                            "recorded, against the partnership's target",
                         source=f"data.police.uk outcomes files (outcomes of {month_label(self.last_outcome_month)})",
                         shorthand={NOT_APPLICABLE: "not applicable: the target is set on the assessment period",
                                    NOT_AVAILABLE: "not available: no drug offence was assigned an outcome, or no target is set"})

    def drug_searches_data(self) -> DataTable | None:
        if not self.has_searches:
            return None
        table = self.search_counts(DRUG_SEARCH_OBJECTS)
        frame = pd.DataFrame({"Object of search": table["object_of_search"],
                              "Searches (count)": numbers(table["searches"], 0),
                              "Arrests (count)": numbers(table["arrests"], 0),
                              "Outcome linked to the reason (count)": numbers(table["linked"], 0),
                              "Linked outcome rate (%)": numbers(table["linked_pct"], 2),
                              "Force: searches (count)": numbers(table["force_searches"], 0),
                              "Force: linked outcome rate (%)": numbers(table["force_linked_pct"], 2)})
        return DataTable("drug_searches", f"Stop and search, {DRUG_SEARCHES}: {self.section.area_name} beside "
                                          f"{self.search_force_names}, {period_label(self.config.period)}",
                         frame, description="Searches for drugs, arrests and outcomes linked to the reason for "
                                            "search, the area beside its force",
                         source=f"data.police.uk stop-and-search files ({self.search_force_names})",
                         notes=[self.search_headline()],
                         shorthand={NOT_AVAILABLE: "not available: no searches, so no rate"})

    # ---- notes and findings ----------------------------------------------------------------------
    def notes(self) -> list[str]:
        notes = []
        if self.has_outcomes:
            notes.append(
                f"Outcomes are each crime's latest outcome in the data.police.uk outcomes files up to "
                f"{self.last_outcome_month}, for every crime recorded in {self.config.period.label} (the street files' "
                "records the crime figures count); each outcome group is a share of all crimes recorded, as in the "
                "Home Office's Crime outcomes in England and Wales, and a crime with no outcome in the files, or one "
                "still under investigation, is not yet assigned an outcome.")
            notes.append(
                "Outcome groups are the Home Office's, from data.police.uk's categories: charged or summonsed (Home "
                "Office outcome 1: 'Suspect charged' and every court result that follows a charge); out-of-court "
                "formal (cautions and penalty notices for disorder, 2, 3, 6); out-of-court informal (community "
                "resolutions, 'Local resolution', and cannabis or khat warnings, 'Offender given a drugs possession "
                "warning', 7, 8); taken into consideration ('Suspect charged as part of another case': an offence "
                "taken into consideration when the offender was sentenced for another, 4); 'Unable to prosecute "
                "suspect' (evidential difficulties or prosecution prevented, 11 to 17, which data.police.uk does not "
                "tell apart); not in the public interest or for another body to act (9, 10, 20, 21, 22); and "
                "investigation complete with no suspect identified (18).")
            notes.append(
                "Charge/summons rate: crimes charged or summonsed as a % of crimes recorded. Positive outcome rate: "
                "crimes with a charge or summons, caution, offence taken into consideration, penalty notice, "
                "cannabis or khat warning or community resolution (Home Office outcome types 1 to 4 and 6 to 8), as "
                "a % of crimes recorded. The area's charge/summons rate is compared with the rest of the force (the "
                "force's crimes recorded outside the area, not the whole force, which holds the area's own): "
                "significantly higher or lower only when the 95% interval of the difference between the two rates "
                "(Newcombe's method, from their Wilson score intervals) excludes no difference.")
            unknown = po.unknown_outcomes(self.outcomes["outcome_type"].unique())
            if unknown:
                notes.append(f"Outcome types this assessment does not know are shown as their own group and counted in "
                             f"no rate: {', '.join(unknown)}.")
        if self.has_searches:
            p = self.search_placement()
            notes.append(
                f"Stop and search: {p['searches']:,} searches in the files of {self.search_force_names} for "
                f"{self.config.period.label}, {p['in_area']:,} of them placed in the area. data.police.uk gives each "
                f"search a point but no LSOA: {p['by_street_point']:,} were placed in the LSOA of the street records "
                f"at the same point, {p['by_boundary']:,} by the LSOA boundary containing the point"
                + (f", {p['by_lsoa_code']:,} by their own LSOA code" if p["by_lsoa_code"] else "")
                + f"; {p['not_placed']:,} could not be placed in any area ({p['no_location']:,} with no location, "
                f"{p['unplaced'] + p['outside_lookup']:,} at a point in no known LSOA) and are in the force's figures "
                "only.")
            notes.append(
                "Outcome linked to the reason for search: a search whose outcome was other than no further action and "
                "that data.police.uk marks 'Outcome linked to object of search'; a no further action disposal is not "
                "a linked outcome whatever the flag says (the Home Office's stop and search statistics record the "
                "link for searches that led to an outcome). Linked outcome rate: linked outcomes as a % of all "
                "searches (HMICFRS's 'linked find rate').")
        return notes

    def missing_inputs(self) -> list:
        """The outcomes and stop-and-search files of the area's force, when the data folder lacks them."""
        force = self.config.police_force if self.config.area_from_params and self.config.police_force else \
            ", ".join(sorted(self.area_forces)) or "the area's force"
        missing = []
        if not self.has_outcomes:
            missing.append(MissingInput(f"data.police.uk outcomes files of {force} (positive outcome rates)",
                                        "data.police.uk", OUTCOMES_STEPS))
        if not self.has_searches:
            missing.append(MissingInput(f"data.police.uk stop-and-search files of {force}", "data.police.uk",
                                        SEARCHES_STEPS))
        return missing

    def notes_markdown(self) -> Markdown:
        return Markdown("\n".join(f"- {as_text(n)}" for n in self.notes()))

    def findings(self) -> dict:
        out: dict = {}
        if self.has_outcomes:
            out["sentence"] = self.outcome_sentence()
            out["outcomes_up_to"] = self.last_outcome_month
            columns = ["crime_type", "recorded", *po.GROUPS, "positive", "charged_pct", "positive_pct", "not_yet_pct",
                       "rest_charged_pct", "compared"]
            out["outcome_groups"] = [
                {k: (None if pd.isna(v) else round(float(v), 1) if isinstance(v, float) else v)
                 for k, v in row.items()} for row in self.rates[columns].to_dict(orient="records")]
        if self.has_searches:
            out["stop_search"] = self.search_counts().round(1).to_dict(orient="records")
            out["stop_search_placement"] = self.search_placement()
            out["stop_search_headline"] = self.search_headline()
        return out


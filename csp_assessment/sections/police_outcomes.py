"""Police outcomes and stop and search for a crime section's area and period: what the all-crime,
substance misuse and violence notebooks show (``section.outcomes``; the substance misuse section
reaches it through its police records, ``section.crime.outcomes``). The measures and their
definitions are in stats/police_outcomes.py."""

from __future__ import annotations

from functools import cached_property

import pandas as pd
from IPython.display import Markdown

from .. import store
from ..ingest.police_uk_outcomes import OUTCOMES_DOWNLOAD, STOP_SEARCH_DOWNLOAD
from ..report import narrative
from ..report.text import as_text
from ..stats.police_outcomes import (DRUG_SEARCH_OBJECTS, DRUGS, WEAPON_SEARCH_OBJECTS, compare_with_force,
                                     crimes_in_period, outcome_rates, place_by_boundaries, searches_by_object,
                                     unknown_outcomes)
from .base import styled_table


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


def _pct(value) -> str:
    return narrative.NOT_AVAILABLE if value is None or pd.isna(value) else f"{value:.1f}%"


class PoliceOutcomes:
    """Outcomes and stop and search for one crime section's area and period (``section.outcomes``)."""

    def __init__(self, section):
        self.section = section
        self.config, self.geo = section.config, section.geo
        processed = self.config.processed_dir
        self.outcomes = (store.read_table(processed, "police_outcomes") if store.has_table(processed, "police_outcomes")
                         else None)
        self.searches_all = (store.read_table(processed, "stop_search") if store.has_table(processed, "stop_search")
                             else None)

    # ---- outcomes ------------------------------------------------------------------------------
    @cached_property
    def area_forces(self) -> set[str]:
        """The forces whose street files hold the area's records: another force's outcomes or searches
        (City of London's beside Bedfordshire's street files) say nothing of this area."""
        return set(self.section.counts["force"].dropna())

    @property
    def has_outcomes(self) -> bool:
        return (self.outcomes is not None and not self.outcomes.empty
                and bool(self.area_forces & set(self.outcomes["force"])))

    @cached_property
    def placed_outcomes(self) -> pd.DataFrame:
        """The period's crimes with an outcome, each with its local authority (lad_code)."""
        crimes = crimes_in_period(self.outcomes, self.config.period.months)
        # Placed like the street counts: by the crime's month and LSOA, through the lookup of its vintage.
        frame = crimes.assign(month=crimes["crime_month"], records=1)
        return self.geo.place(frame)

    @property
    def forces(self) -> list[str]:
        in_area = self.placed_outcomes[self.placed_outcomes["lad_code"].isin(self.section.area.lad_codes)]
        return sorted(set(in_area["force"]))

    @property
    def force_names(self) -> str:
        """The forces' names as params give them where they match the files' slugs (else the slugs)."""
        from ..ingest.police_uk import same_force

        named = self.config.police_force
        return ", ".join(named if named and same_force(f, named) else f for f in self.forces) or "no force"

    @cached_property
    def rates(self) -> pd.DataFrame:
        """The area's positive outcome rates by crime type beside the force's (see compare_with_force)."""
        placed = self.placed_outcomes
        area = outcome_rates(placed[placed["lad_code"].isin(self.section.area.lad_codes)])
        force = outcome_rates(placed[placed["force"].isin(self.forces)])
        return compare_with_force(area, force)

    def rate_of(self, crime_type: str) -> dict | None:
        row = self.rates[self.rates["crime_type"] == crime_type]
        return None if row.empty else row.iloc[0].to_dict()

    def outcome_table(self, crime_types=None):
        """Positive outcome rate by crime type, against the force average (all crime first)."""
        if not self.has_outcomes:
            return self.missing_outcomes_note()
        table = self.rates if crime_types is None else self.rates[self.rates["crime_type"].isin(crime_types)]
        shown = pd.DataFrame({
            "Crime type": table["crime_type"], "Crimes with an outcome": table["with_outcome"].map(narrative.fmt_int),
            "Charged or summonsed": table["charged"].map(narrative.fmt_int),
            "Positive outcome rate": table["charged_pct"].map(_pct),
            "95% interval": [f"{lo:.1f}% to {hi:.1f}%" if pd.notna(lo) else narrative.NOT_AVAILABLE
                             for lo, hi in zip(table["charged_lower_pct"], table["charged_upper_pct"])],
            "Force average": table["force_charged_pct"].map(_pct),
            "Compared with force": table["compared"],
            "Other formal outcomes": table["other_formal_pct"].map(_pct),
        })
        return styled_table(shown, {}, caption=f"Positive outcomes (charged or summonsed) of crimes recorded in "
                                               f"{self.config.period.label}, {self.section.area_name}, against "
                                               f"the force ({self.force_names}); data.police.uk "
                                               "outcomes", text_columns=["Crime type", "Compared with force"])

    def missing_outcomes_note(self) -> Markdown:
        return Markdown(as_text(MISSING_OUTCOMES))

    def outcome_summary(self) -> Markdown:
        if not self.has_outcomes:
            return self.missing_outcomes_note()
        return Markdown(as_text(self.outcome_sentence()))

    def outcome_sentence(self) -> str:
        row = self.rate_of("All crime")
        if row is None or not row["with_outcome"]:
            return f"No crime recorded in {self.config.period.label} in the area has an outcome in the files read."
        return (f"Of {row['with_outcome']:,} crimes recorded in {self.config.period.label} that have an outcome, "
                f"{row['charged']:,} ({row['charged_pct']:.1f}%) were charged or summonsed, against "
                f"{_pct(row['force_charged_pct'])} across the force ({row['compared']}); a further "
                f"{row['other_formal_pct']:.1f}% ended in another formal outcome (caution, penalty notice, drugs "
                "possession warning or community resolution).")

    def drug_charges_table(self):
        """Drug offences: charges as a percentage of outcomes, this period and the comparison period,
        against the target in params (police_outcomes.drug_charge_target_pct)."""
        if not self.has_outcomes:
            return self.missing_outcomes_note()
        rows = []
        for label, months in ((self.config.period.label, self.config.period.months),
                              (self.config.comparison.label, self.config.comparison.months)):
            placed = self.geo.place(crimes_in_period(self.outcomes, months).assign(
                month=lambda d: d["crime_month"], records=1))
            area = placed[placed["lad_code"].isin(self.section.area.lad_codes) & (placed["crime_type"] == DRUGS)]
            rate = outcome_rates(area).iloc[0]
            rows.append({"Period": label, "Drug offences with an outcome": narrative.fmt_int(rate["with_outcome"]),
                         "Charged or summonsed": narrative.fmt_int(rate["charged"]),
                         "Charges as % of outcomes": _pct(rate["charged_pct"])})
        target = self.drug_target
        current = self.rate_of(DRUGS)
        status = self.drug_target_status(current, rows)
        rows[0]["Target"] = "none set" if target is None else (f"{target:g}%" if isinstance(target, float)
                                                                else "increase")
        rows[0]["Target met"] = status
        return styled_table(pd.DataFrame(rows), {}, caption=f"Drug offences charged or summonsed as a percentage of "
                                                            f"outcomes, {self.section.area_name} (data.police.uk)",
                            text_columns=["Period", "Target", "Target met"])

    @property
    def drug_target(self):
        target = getattr(self.config, "drug_charge_target_pct", None)
        return target

    def drug_target_status(self, current: dict | None, rows: list[dict]) -> str:
        target = self.drug_target
        if target is None or current is None or pd.isna(current["charged_pct"]):
            return narrative.NOT_AVAILABLE
        if target == "increase":
            previous = rows[1]["Charges as % of outcomes"]
            if previous == narrative.NOT_AVAILABLE:
                return narrative.NOT_AVAILABLE
            return "Met" if current["charged_pct"] > float(previous.rstrip("%")) else "Not met"
        return "Met" if current["charged_pct"] >= target else "Not met"

    # ---- stop and search -----------------------------------------------------------------------
    @property
    def has_searches(self) -> bool:
        return (self.searches_all is not None and not self.searches_all.empty
                and bool(self.area_forces & set(self.searches_all["force"])))

    @cached_property
    def placed_searches(self) -> pd.DataFrame:
        """The period's searches with LSOA (by code, street point or boundary) and local authority."""
        searches = self.searches_all[self.searches_all["month"].isin(list(self.config.period.months))]
        boundaries = (store.read_table(self.config.processed_dir, "boundaries")
                      if store.has_table(self.config.processed_dir, "boundaries") else None)
        placed = place_by_boundaries(searches, boundaries).rename(columns={"placed_by": "search_placed_by"})
        return self.geo.place(placed.assign(records=1))

    @property
    def area_searches(self) -> pd.DataFrame:
        placed = self.placed_searches
        return placed[placed["lad_code"].isin(self.section.area.lad_codes)]

    def search_counts(self, objects=None) -> pd.DataFrame:
        return searches_by_object(self.area_searches, objects)

    def missing_searches_note(self) -> Markdown:
        return Markdown(as_text(MISSING_SEARCHES))

    def search_table(self, objects=None, what: str = "all objects"):
        """Stop and search in the area: searches by object of search and the share whose outcome was
        linked to the object. ``objects``: e.g. DRUG_SEARCH_OBJECTS (substance misuse) or
        WEAPON_SEARCH_OBJECTS (the violence section); None for every object."""
        if not self.has_searches:
            return self.missing_searches_note()
        table = self.search_counts(objects)
        shown = pd.DataFrame({"Object of search": table["object_of_search"],
                              "Searches": table["searches"].map(narrative.fmt_int),
                              "Arrests": table["arrests"].map(narrative.fmt_int),
                              "Outcome linked to object": table["linked"].map(narrative.fmt_int),
                              "Linked (% of searches)": table["linked_pct"].map(_pct)})
        return styled_table(shown, {}, caption=f"Stop and search in {self.section.area_name}, "
                                               f"{self.config.period.label}, {what} (data.police.uk)",
                            text_columns=["Object of search"])

    def weapon_search_table(self):
        """For the violence section: searches for offensive weapons and firearms."""
        return self.search_table(WEAPON_SEARCH_OBJECTS, "weapons (offensive weapons, firearms)")

    def drug_search_table(self):
        return self.search_table(DRUG_SEARCH_OBJECTS, "drugs (controlled drugs, psychoactive substances)")

    def search_placement(self) -> dict:
        """How the force's searches of the period were placed: counts by method, and how many could
        not be placed in any LSOA (no location, or a point outside every boundary and street point)."""
        placed = self.placed_searches
        by = placed["search_placed_by"].value_counts().to_dict()
        return {"searches": len(placed), "by_lsoa_code": int(by.get("LSOA code", 0)),
                "by_street_point": int(by.get("street point", 0)), "by_boundary": int(by.get("boundary", 0)),
                "no_location": int(by.get("no location", 0)), "unplaced": int(by.get("unplaced", 0)),
                "outside_lookup": int((placed["lsoa_code"].notna() & placed["lad_code"].isna()).sum())}

    # ---- notes and findings ----------------------------------------------------------------------
    def notes(self) -> list[str]:
        notes = []
        if self.has_outcomes:
            last = max(self.outcomes["outcome_month"])
            notes.append(
                f"Outcomes are each crime's latest outcome in the data.police.uk outcomes files up to {last}, for "
                f"crimes recorded in {self.config.period.label}; crimes still without an outcome are not counted. "
                "Positive outcome rate = charged or summonsed (including every court result that follows a charge) "
                "as a percentage of crimes with an outcome. Other formal outcomes, shown separately: cautions "
                "(including conditional), penalty notices, drugs possession (khat or cannabis) warnings and "
                "community (local) resolutions. The force average is every crime of the force's files with an "
                "outcome; the area's rate is called higher or lower only when the force's lies outside its 95% "
                "interval (Wilson score).")
            unknown = unknown_outcomes(self.outcomes["outcome_type"].unique())
            if unknown:
                notes.append(f"Outcome types this assessment does not know were counted as neither charged nor "
                             f"another formal outcome: {', '.join(unknown)}.")
        if self.has_searches:
            p = self.search_placement()
            notes.append(
                f"Stop and search: {p['searches']:,} searches in the force's files for {self.config.period.label}. "
                f"data.police.uk gives each search a point but no LSOA: {p['by_street_point']:,} were placed in the "
                f"LSOA of the street records at the same point, {p['by_boundary']:,} by the LSOA boundary containing "
                f"the point" + (f", {p['by_lsoa_code']:,} by their own LSOA code" if p["by_lsoa_code"] else "")
                + f"; {p['no_location'] + p['unplaced']:,} could not be placed ({p['no_location']:,} with no location, "
                f"{p['unplaced']:,} at a point in no known LSOA) and are not in the area's figures. 'Linked' means "
                "the search's outcome was linked to the object searched for.")
        return notes

    def missing_inputs(self) -> list:
        """The outcomes and stop-and-search files of the area's force, when the data folder lacks them."""
        from .base import MissingInput

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
            out["positive_outcomes"] = [
                {k: (None if pd.isna(v) else round(float(v), 1) if isinstance(v, float) else v)
                 for k, v in row.items()}
                for row in self.rates[["crime_type", "with_outcome", "charged", "charged_pct", "force_charged_pct",
                                       "compared"]].to_dict(orient="records")]
        if self.has_searches:
            out["stop_search"] = self.search_counts().round(1).to_dict(orient="records")
            out["stop_search_placement"] = self.search_placement()
        return out

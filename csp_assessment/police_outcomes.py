"""Police outcomes and stop and search (data.police.uk outcomes and stop-and-search files).

Pure functions first (tables in, tables out, checkable by hand), then :class:`PoliceOutcomes`,
the view a section notebook calls through its crime section (``section.outcomes``).

Definitions:

* A crime's **outcome** is its latest outcome in the outcomes files (see
  ingest/police_uk_outcomes.py). The crimes measured are those recorded (street files) in the
  assessment period that have an outcome in the files read.
* **Charged or summonsed**: "Suspect charged", "Suspect charged as part of another case" and every
  court outcome that follows a charge (awaiting court outcome, court results, sentences, found not
  guilty, court case unable to proceed). The **positive outcome rate** is charged or summonsed as
  a percentage of crimes with an outcome ("charges as a percentage of outcomes").
* **Other formal outcomes** (named in the notes, not in the rate): cautions, penalty notices,
  drugs possession (khat or cannabis) warnings and community (local) resolutions.
* **Stop and search**: searches by object of search, and the share whose outcome was linked to
  the object searched for (data.police.uk's "Outcome linked to object of search" is True).
"""

from __future__ import annotations

from functools import cached_property

import pandas as pd
from IPython.display import Markdown

from . import narrative, store
from .ingest.police_uk_outcomes import OUTCOMES_DOWNLOAD, STOP_SEARCH_DOWNLOAD
from .intervals import wilson_interval
from .text import as_text

CHARGED = "Charged or summonsed"
OTHER_FORMAL = "Other formal outcome"
NO_FORMAL = "No further action or other"
CHARGED_OUTCOMES = frozenset({
    "Suspect charged", "Suspect charged as part of another case", "Suspect summonsed", "Awaiting court outcome",
    "Court result unavailable", "Court case unable to proceed", "Defendant found not guilty",
    "Defendant sent to Crown Court", "Offender sent to prison", "Offender given suspended prison sentence",
    "Offender given community sentence", "Offender fined", "Offender given conditional discharge",
    "Offender given absolute discharge", "Offender ordered to pay compensation", "Offender deprived of property",
    "Offender otherwise dealt with", "Offender given a drugs treatment order",
})
OTHER_FORMAL_OUTCOMES = frozenset({
    "Offender given a caution", "Offender given conditional caution", "Offender given penalty notice",
    "Offender given a drugs possession warning", "Local resolution", "Khat or cannabis warning",
})
NO_FORMAL_OUTCOMES = frozenset({
    "Investigation complete; no suspect identified", "Unable to prosecute suspect",
    "Formal action is not in the public interest", "Further investigation is not in the public interest",
    "Action to be taken by another organisation", "Further action is not in the public interest",
    "Under investigation", "Status update unavailable",
})
DRUGS = "Drugs"
DRUG_SEARCH_OBJECTS = ("Controlled drugs", "Psychoactive substances")
WEAPON_SEARCH_OBJECTS = ("Offensive weapons", "Firearms")


def outcome_group(outcome_type: str) -> str:
    """Which group an outcome type belongs to; a type the site has not used before counts as
    neither charged nor another formal outcome (and is named in the notes, see unknown_outcomes)."""
    if outcome_type in CHARGED_OUTCOMES:
        return CHARGED
    if outcome_type in OTHER_FORMAL_OUTCOMES:
        return OTHER_FORMAL
    return NO_FORMAL


def unknown_outcomes(outcome_types) -> list[str]:
    known = CHARGED_OUTCOMES | OTHER_FORMAL_OUTCOMES | NO_FORMAL_OUTCOMES
    return sorted({t for t in outcome_types if t not in known})


def crimes_in_period(outcomes: pd.DataFrame, months) -> pd.DataFrame:
    """The crimes recorded in ``months`` (street files) that have an outcome."""
    return outcomes[outcomes["crime_month"].isin(list(months)) & outcomes["crime_type"].notna()]


def outcome_rates(crimes: pd.DataFrame, all_label: str = "All crime") -> pd.DataFrame:
    """Per crime type, and for all types together (first row): crimes with an outcome, charged or
    summonsed, other formal outcomes, and each as a % of crimes with an outcome, with the Wilson
    95% interval of the positive outcome rate.

    ``crimes``: one row per crime with crime_type and outcome_type."""
    groups = crimes["outcome_type"].map(outcome_group)
    frame = pd.DataFrame({"crime_type": crimes["crime_type"].to_numpy(), "group": groups.to_numpy()})
    rows = []
    for crime_type, part in [(all_label, frame), *sorted(frame.groupby("crime_type"), key=lambda kv: kv[0])]:
        n = len(part)
        charged = int((part["group"] == CHARGED).sum())
        other = int((part["group"] == OTHER_FORMAL).sum())
        low, high = wilson_interval(charged, n) if n else (float("nan"), float("nan"))
        rows.append({"crime_type": crime_type, "with_outcome": n, "charged": charged,
                     "charged_pct": 100.0 * charged / n if n else float("nan"),
                     "charged_lower_pct": 100.0 * low, "charged_upper_pct": 100.0 * high,
                     "other_formal": other, "other_formal_pct": 100.0 * other / n if n else float("nan")})
    return pd.DataFrame(rows, columns=["crime_type", "with_outcome", "charged", "charged_pct", "charged_lower_pct",
                                       "charged_upper_pct", "other_formal", "other_formal_pct"])


def compare_with_force(area: pd.DataFrame, force: pd.DataFrame) -> pd.DataFrame:
    """The area's rates beside the force's, per crime type: "higher" or "lower" when the force's
    rate lies outside the area's 95% interval (as Fingertips compares), else "similar"."""
    out = area.merge(force[["crime_type", "with_outcome", "charged_pct"]].rename(
        columns={"with_outcome": "force_with_outcome", "charged_pct": "force_charged_pct"}), on="crime_type", how="left")
    out["compared"] = [
        "not compared" if pd.isna(f) or pd.isna(lo) else "higher" if lo > f else "lower" if hi < f else "similar"
        for f, lo, hi in zip(out["force_charged_pct"], out["charged_lower_pct"], out["charged_upper_pct"])]
    return out


def searches_by_object(searches: pd.DataFrame, objects=None) -> pd.DataFrame:
    """Searches by object of search (most first; ``objects`` keeps only those), with how many led to
    an arrest and how many had an outcome linked to the object, and that share (of all searches)."""
    if objects is not None:
        searches = searches[searches["object_of_search"].isin(list(objects))]
    linked = searches["outcome_linked"].fillna(False).astype(bool)
    table = (pd.DataFrame({"object_of_search": searches["object_of_search"].to_numpy(), "linked": linked.to_numpy(),
                           "arrest": (searches["outcome"] == "Arrest").to_numpy()})
             .groupby("object_of_search").agg(searches=("linked", "size"), linked=("linked", "sum"),
                                              arrests=("arrest", "sum")).reset_index())
    table["linked_pct"] = 100.0 * table["linked"] / table["searches"]
    table = table.sort_values(["searches", "object_of_search"], ascending=[False, True], ignore_index=True)
    total = {"object_of_search": "All searches" if objects is None else "All of these",
             "searches": int(table["searches"].sum()), "linked": int(table["linked"].sum()),
             "arrests": int(table["arrests"].sum())}
    total["linked_pct"] = 100.0 * total["linked"] / total["searches"] if total["searches"] else float("nan")
    return pd.concat([pd.DataFrame([total]), table], ignore_index=True)[
        ["object_of_search", "searches", "arrests", "linked", "linked_pct"]]


def place_by_boundaries(searches: pd.DataFrame, boundaries: pd.DataFrame | None) -> pd.DataFrame:
    """Searches with a point but no LSOA yet, placed in the LSOA boundary that contains the point
    (placed_by "boundary"); those still without an LSOA are "unplaced" (or "no location")."""
    out = searches.copy()
    todo = out["lsoa_code"].isna() & out["latitude"].notna()
    if todo.any() and boundaries is not None and not boundaries.empty:
        import geopandas as gpd

        from .maps import to_geoframe

        lsoas = boundaries[boundaries["level"] == "lsoa"]
        if not lsoas.empty:
            shapes = to_geoframe(lsoas)[["code", "vintage", "geometry"]]
            points = gpd.GeoDataFrame(index=out.index[todo], geometry=gpd.points_from_xy(
                out.loc[todo, "longitude"], out.loc[todo, "latitude"]), crs="EPSG:4326").to_crs(shapes.crs)
            hits = gpd.sjoin(points, shapes, how="inner", predicate="within")
            # A point on a shared edge, or in two vintages' shapes: the newest vintage, then the first code.
            hits = hits.sort_values(["vintage", "code"], ascending=[False, True])
            hits = hits[~hits.index.duplicated(keep="first")]
            out.loc[hits.index, "lsoa_code"] = hits["code"]
            out.loc[hits.index, "placed_by"] = "boundary"
    out.loc[out["lsoa_code"].isna() & out["latitude"].notna(), "placed_by"] = "unplaced"
    out.loc[out["lsoa_code"].isna() & out["latitude"].isna(), "placed_by"] = "no location"
    return out


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
    @property
    def has_outcomes(self) -> bool:
        return self.outcomes is not None and not self.outcomes.empty

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
        from .section import styled_table

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
                                               f"the force ({', '.join(self.forces) or 'no force'}); data.police.uk "
                                               "outcomes", text_columns=["Crime type", "Compared with force"])

    def missing_outcomes_note(self) -> Markdown:
        return Markdown(as_text(f"No data.police.uk outcomes files (YYYY-MM-<force>-outcomes.csv) are in the data "
                                f"folder, so positive outcome rates cannot be given. Download them from "
                                f"{OUTCOMES_DOWNLOAD} into the monthly folders beside the street files."))

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
        from .section import styled_table

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
                                                            f"outcomes, {self.section.area_name} (data.police.uk)")

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
        return self.searches_all is not None and not self.searches_all.empty

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
        return Markdown(as_text(f"No data.police.uk stop-and-search files (YYYY-MM-<force>-stop-and-search.csv) are "
                                f"in the data folder, so searches cannot be counted. Download them from "
                                f"{STOP_SEARCH_DOWNLOAD} into the monthly folders beside the street files."))

    def search_table(self, objects=None, what: str = "all objects"):
        """Stop and search in the area: searches by object of search and the share whose outcome was
        linked to the object. ``objects``: e.g. DRUG_SEARCH_OBJECTS (substance misuse) or
        WEAPON_SEARCH_OBJECTS (the violence section); None for every object."""
        from .section import styled_table

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

    def notes_markdown(self) -> Markdown:
        return Markdown("\n".join(f"- {as_text(n)}" for n in self.notes()))

    def findings(self) -> dict:
        out: dict = {}
        if self.has_outcomes:
            out["positive_outcomes"] = [
                {k: (None if pd.isna(v) else round(float(v), 1) if isinstance(v, float) else v)
                 for k, v in row.items()}
                for row in self.rates[["crime_type", "with_outcome", "charged", "charged_pct", "force_charged_pct",
                                       "compared"]].to_dict(orient="records")]
        if self.has_searches:
            out["stop_search"] = self.search_counts().round(1).to_dict(orient="records")
            out["stop_search_placement"] = self.search_placement()
        return out

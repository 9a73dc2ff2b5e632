"""Police outcomes and stop and search (data.police.uk outcomes and stop-and-search files).

Pure functions (tables in, tables out, checkable by hand); sections/police_outcomes.py turns
them into what a section notebook shows (``section.outcomes``).

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

import pandas as pd

from .intervals import wilson_interval

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

        from ..report.maps import to_geoframe

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



"""Police outcomes and stop and search (data.police.uk outcomes and stop-and-search files), on the
publishers' definitions.

Pure functions (tables in, tables out, checkable by hand); sections/police_outcomes.py turns
them into what a section notebook shows (``section.outcomes``).

Outcomes, as the Home Office's "Crime outcomes in England and Wales" statistics give them:

* Every crime recorded in the period is counted once, in the **outcome group** of its latest
  outcome in the outcomes files read (see ingest/police_uk_outcomes.py), or as **not yet assigned
  an outcome** when the files give it none (or say it is still under investigation). Each group is
  a share of **all crimes recorded** in the period, not of those with an outcome.
* The groups are the Home Office's, as far as data.police.uk's categories allow (:data:`GROUP_OF`
  maps every category the site publishes, with the Home Office outcome numbers it stands for).
* The **charge/summons rate** is the Home Office's headline: crimes charged or summonsed (every
  court result that follows a charge included) as a share of crimes recorded.
* A **positive outcome** is one of the outcome types police performance reports count as a
  formal sanction or resolution: charge/summons (Home Office outcome 1), cautions (2, 3), offences
  taken into consideration (4), penalty notices for disorder (6), cannabis/khat warnings (7) and
  community resolutions (8). :data:`POSITIVE_GROUPS` names the groups it adds up.

Stop and search, as the Home Office's "Police powers and procedures: stop and search" statistics
and HMICFRS (its "linked find rate") define it:

* **Outcome linked to the reason for search**: a search whose outcome is other than no further
  action *and* which data.police.uk marks "Outcome linked to object of search" True. A no further
  action disposal is not a linked outcome whatever the flag says (the Home Office records the
  link for searches that led to an outcome, an arrest or another disposal; the Best Use of Stop
  and Search scheme asks forces to show "the link, or lack of one, between the object of the
  search and its outcome"). The **linked outcome rate** is linked outcomes as a share of all
  searches (HMICFRS glossary, "linked find rate": "the proportion of stop and searches, out of the
  total number carried out by the force", that find what was searched for).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .intervals import compare_proportions, wilson_interval

# ---- outcome groups ----------------------------------------------------------------------------
# The Home Office's outcome groups (Crime outcomes in England and Wales, tables 2.x; the groups a
# force's FOI answers list: "Charged/Summonsed", "Out-of-court (formal)", "Out-of-court (informal)",
# "Taken into consideration", "Evidential difficulties", "Investigation complete - no suspect
# identified", ...), in the order the Home Office tables give them.
CHARGED = "Charged or summonsed"
OUT_OF_COURT_FORMAL = "Out-of-court (formal): caution or penalty notice"
OUT_OF_COURT_INFORMAL = "Out-of-court (informal): community resolution or cannabis/khat warning"
TAKEN_INTO_CONSIDERATION = "Taken into consideration"
EVIDENTIAL = "Evidential difficulties, or prosecution prevented"
NOT_IN_PUBLIC_INTEREST = "Not in the public interest, or for another body to act"
NO_SUSPECT = "Investigation complete: no suspect identified"
UNKNOWN_TYPE = "Outcome type this assessment does not know"
NOT_YET_ASSIGNED = "Not yet assigned an outcome"
GROUPS = (CHARGED, OUT_OF_COURT_FORMAL, OUT_OF_COURT_INFORMAL, TAKEN_INTO_CONSIDERATION, EVIDENTIAL,
          NOT_IN_PUBLIC_INTEREST, NO_SUSPECT, UNKNOWN_TYPE, NOT_YET_ASSIGNED)
POSITIVE_GROUPS = (CHARGED, OUT_OF_COURT_FORMAL, OUT_OF_COURT_INFORMAL, TAKEN_INTO_CONSIDERATION)
# The Home Office outcome numbers each group stands for (Home Office Counting Rules, outcome types).
HOME_OFFICE_OUTCOMES = {
    CHARGED: "1", OUT_OF_COURT_FORMAL: "2, 3, 6", OUT_OF_COURT_INFORMAL: "7, 8", TAKEN_INTO_CONSIDERATION: "4",
    EVIDENTIAL: "11 to 17", NOT_IN_PUBLIC_INTEREST: "9, 10, 20, 21, 22", NO_SUSPECT: "18", UNKNOWN_TYPE: "",
    NOT_YET_ASSIGNED: "none yet",
}

# data.police.uk's outcome categories (the "Outcome type" of the outcomes files, the street files'
# "Last outcome category") in the Home Office group of the outcome they publish. Sources: the
# police.uk API's outcome categories (ids such as "sentenced-in-another-case"), data.gov.uk's
# announcement "New police outcome categories and a bug fix" (2014: "Offender sentenced as part of
# another case" relabelled "Suspect charged as part of another case"; "Formal action is not in the
# public interest" new, formerly "No further action" or "Unable to proceed"), and the Ministry of
# Justice's "Understanding the Justice Outcome Data on the police.uk website" (2012).
#
# * Court results reach data.police.uk only for crimes charged or summonsed: each follows a
#   charge, which is the Home Office outcome (1), so they count as charged.
# * "Suspect charged as part of another case" (API id "sentenced-in-another-case", the former
#   "Offender sentenced as part of another case") is an offence the offender asked the court to
#   take into consideration when sentenced for another: Home Office outcome 4, "Taken into
#   consideration", a group of its own, not a charge of this crime.
# * data.police.uk publishes "Unable to prosecute suspect" for the Home Office's evidential
#   difficulties (14, 15, 16) and prosecution prevented (11, 12, 13, 17) without telling them
#   apart, and four categories for the outcomes not in the public interest or for another body to
#   act (9, 10, 20, 21, 22). The Home Office tables put 9 and 10 with prosecution prevented; the
#   site's categories cannot be split that way, so these two groups here each combine Home Office
#   groups, and the notes say so.
# * "Under investigation" and "Status update unavailable" are not outcomes: the crime is counted
#   as not yet assigned one, as the Home Office counts crimes without an outcome.
GROUP_OF = {
    "Suspect charged": CHARGED,
    "Suspect summonsed": CHARGED,
    "Awaiting court outcome": CHARGED,
    "Court result unavailable": CHARGED,
    "Court case unable to proceed": CHARGED,
    "Defendant found not guilty": CHARGED,
    "Defendant sent to Crown Court": CHARGED,
    "Offender sent to prison": CHARGED,
    "Offender given suspended prison sentence": CHARGED,
    "Offender given community sentence": CHARGED,
    "Offender fined": CHARGED,
    "Offender given conditional discharge": CHARGED,
    "Offender given absolute discharge": CHARGED,
    "Offender ordered to pay compensation": CHARGED,
    "Offender deprived of property": CHARGED,
    "Offender otherwise dealt with": CHARGED,
    "Offender given a drugs treatment order": CHARGED,
    "Offender given a caution": OUT_OF_COURT_FORMAL,
    "Offender given conditional caution": OUT_OF_COURT_FORMAL,
    "Offender given penalty notice": OUT_OF_COURT_FORMAL,
    "Offender given a penalty notice": OUT_OF_COURT_FORMAL,  # the API's spelling of the same category
    "Local resolution": OUT_OF_COURT_INFORMAL,
    "Offender given a drugs possession warning": OUT_OF_COURT_INFORMAL,
    "Khat or cannabis warning": OUT_OF_COURT_INFORMAL,
    "Suspect charged as part of another case": TAKEN_INTO_CONSIDERATION,
    "Unable to prosecute suspect": EVIDENTIAL,
    "Formal action is not in the public interest": NOT_IN_PUBLIC_INTEREST,
    "Further action is not in the public interest": NOT_IN_PUBLIC_INTEREST,
    "Further investigation is not in the public interest": NOT_IN_PUBLIC_INTEREST,
    "Action to be taken by another organisation": NOT_IN_PUBLIC_INTEREST,
    "Investigation complete; no suspect identified": NO_SUSPECT,
    "Under investigation": NOT_YET_ASSIGNED,
    "Status update unavailable": NOT_YET_ASSIGNED,
}

DRUGS = "Drugs"
DRUG_SEARCH_OBJECTS = ("Controlled drugs", "Psychoactive substances")
WEAPON_SEARCH_OBJECTS = ("Offensive weapons", "Firearms")
# data.police.uk's stop-and-search outcomes that are no further action (the current and the
# pre-2016 wording), and those that are arrests.
NO_FURTHER_ACTION = frozenset({"A no further action disposal", "Nothing found - no further action"})
ARRESTS = frozenset({"Arrest", "Suspect arrested"})


def outcome_group(outcome_type) -> str:
    """The Home Office group of a data.police.uk outcome category (:data:`GROUP_OF`); no outcome
    (None, NaN) is not yet assigned one; a category the site has not used before is UNKNOWN_TYPE
    (and named in the notes, see :func:`unknown_outcomes`)."""
    if outcome_type is None or (isinstance(outcome_type, float) and pd.isna(outcome_type)):
        return NOT_YET_ASSIGNED
    return GROUP_OF.get(outcome_type, UNKNOWN_TYPE)


def outcome_groups_of(outcome_types: pd.Series) -> pd.Series:
    """:func:`outcome_group` of every row, worked out once per distinct category (a few dozen) rather
    than once per crime (hundreds of thousands)."""
    codes, categories = pd.factorize(outcome_types, use_na_sentinel=True)
    groups = np.array([outcome_group(c) for c in categories] + [NOT_YET_ASSIGNED], dtype=object)
    return pd.Series(groups[codes], index=outcome_types.index, name=outcome_types.name)  # code -1 (none): the last


def unknown_outcomes(outcome_types) -> list[str]:
    return sorted({t for t in outcome_types if isinstance(t, str) and t not in GROUP_OF})


def crimes_in_period(outcomes: pd.DataFrame, months) -> pd.DataFrame:
    """The crimes recorded in ``months`` (street files) that have an outcome row in the files."""
    return outcomes[outcomes["crime_month"].isin(list(months)) & outcomes["crime_type"].notna()]


def _share(count: int, total: int) -> float:
    return 100.0 * count / total if total else float("nan")


def outcome_groups(recorded: pd.Series, outcomes: pd.DataFrame, all_label: str = "All crime") -> pd.DataFrame:
    """Per crime type, and for all types together (first row): crimes recorded, the crimes in each
    outcome group (one column per group of :data:`GROUPS`, named by the group), positive outcomes,
    and the charge/summons and positive outcome rates as % of crimes recorded with their Wilson 95%
    intervals.

    ``recorded``: crimes recorded per crime type (the street files' records of the area and period).
    ``outcomes``: one row per crime of those with an outcome row (crime_type, outcome_type); a crime
    recorded without one is not yet assigned an outcome.

    Columns: crime_type, recorded, <group> (int, for each of GROUPS), positive, charged_pct,
    charged_lower_pct, charged_upper_pct, positive_pct, positive_lower_pct, positive_upper_pct,
    not_yet_pct.
    """
    groups = outcome_groups_of(outcomes["outcome_type"])
    counted = (pd.crosstab(outcomes["crime_type"], groups) if len(outcomes)
               else pd.DataFrame(columns=list(GROUPS)))
    counted = counted.reindex(columns=list(GROUPS), fill_value=0)
    recorded = recorded[recorded > 0].astype("int64")
    types = sorted(set(recorded.index) | set(counted.index))
    rows = []
    for crime_type in [all_label, *types]:
        if crime_type == all_label:
            n, part = int(recorded.sum()), counted.sum()
        else:
            n, part = int(recorded.get(crime_type, 0)), counted.loc[crime_type] if crime_type in counted.index else None
            part = part if part is not None else pd.Series(0, index=list(GROUPS))
        assigned = int(part.drop(NOT_YET_ASSIGNED).sum())
        if assigned + int(part[NOT_YET_ASSIGNED]) > n:
            raise ValueError(f"{crime_type}: {assigned + int(part[NOT_YET_ASSIGNED])} crimes have an outcome row but only "
                             f"{n} were recorded: the outcomes were placed differently from the street records")
        row = {"crime_type": crime_type, "recorded": n, **{g: int(part[g]) for g in GROUPS}}
        row[NOT_YET_ASSIGNED] = n - assigned  # crimes without an outcome row, and those still under investigation
        row["positive"] = sum(row[g] for g in POSITIVE_GROUPS)
        for key, count in (("charged", row[CHARGED]), ("positive", row["positive"])):
            low, high = wilson_interval(count, n) if n else (float("nan"), float("nan"))
            row |= {f"{key}_pct": _share(count, n), f"{key}_lower_pct": 100.0 * low, f"{key}_upper_pct": 100.0 * high}
        row["not_yet_pct"] = _share(row[NOT_YET_ASSIGNED], n)
        rows.append(row)
    return pd.DataFrame(rows)


def compare_with_rest_of_force(area: pd.DataFrame, rest: pd.DataFrame) -> pd.DataFrame:
    """The area's charge/summons rates beside the rest of its force's (the force's crimes recorded
    outside the area), per crime type, with ``compared``: "higher" or "lower" when the 95% interval
    of the difference (Newcombe's method from the two Wilson intervals, intervals.compare_proportions)
    excludes 0, "similar" otherwise, "not compared" where the rest of the force recorded none of the
    type. The rest of the force, not the whole force: the whole contains the area, and a part
    compared with a whole that contains it is compared partly with itself; and not by the Fingertips
    rule against a fixed value, because the rest of a force can be small (the City of London
    Police's is about a hundred crimes a month) and has its own sampling error."""
    out = area.merge(rest[["crime_type", "recorded", CHARGED, "charged_pct", "positive_pct"]].rename(
        columns={"recorded": "rest_recorded", CHARGED: "rest_charged", "charged_pct": "rest_charged_pct",
                 "positive_pct": "rest_positive_pct"}), on="crime_type", how="left")
    out["compared"] = [compare_proportions(charged, n, 0 if pd.isna(rest_charged) else rest_charged,
                                           0 if pd.isna(rest_n) else rest_n)
                       for charged, n, rest_charged, rest_n in zip(out[CHARGED], out["recorded"], out["rest_charged"],
                                                                   out["rest_recorded"])]
    return out


# ---- stop and search ---------------------------------------------------------------------------

def linked_outcomes(searches: pd.DataFrame) -> pd.Series:
    """True for a search whose outcome is linked to the reason for search: an outcome other than no
    further action (nor unstated) that data.police.uk marks linked to the object of search."""
    flagged = searches["outcome_linked"].fillna(False).astype(bool)
    acted = ~searches["outcome"].isin(NO_FURTHER_ACTION | {"Not stated"})
    return flagged & acted


def searches_by_object(searches: pd.DataFrame, objects=None) -> pd.DataFrame:
    """Searches by object of search (most first; ``objects`` keeps only those), with arrests, outcomes
    other than no further action, outcomes linked to the reason for search and the linked outcome
    rate (% of all searches). First row: all searches ("All searches", or "All of these")."""
    if objects is not None:
        searches = searches[searches["object_of_search"].isin(list(objects))]
    frame = pd.DataFrame({"object_of_search": searches["object_of_search"].to_numpy(),
                          "linked": linked_outcomes(searches).to_numpy(),
                          "acted": (~searches["outcome"].isin(NO_FURTHER_ACTION | {"Not stated"})).to_numpy(),
                          "arrest": searches["outcome"].isin(ARRESTS).to_numpy()})
    table = (frame.groupby("object_of_search").agg(searches=("linked", "size"), arrests=("arrest", "sum"),
                                                   with_outcome=("acted", "sum"), linked=("linked", "sum"))
             .reset_index().astype({"arrests": "int64", "with_outcome": "int64", "linked": "int64"}))
    table = table.sort_values(["searches", "object_of_search"], ascending=[False, True], ignore_index=True)
    total = {"object_of_search": "All searches" if objects is None else "All of these",
             **{c: int(table[c].sum()) for c in ("searches", "arrests", "with_outcome", "linked")}}
    table = pd.concat([pd.DataFrame([total]), table], ignore_index=True)
    table["linked_pct"] = [_share(n, d) for n, d in zip(table["linked"], table["searches"])]
    return table[["object_of_search", "searches", "arrests", "with_outcome", "linked", "linked_pct"]]

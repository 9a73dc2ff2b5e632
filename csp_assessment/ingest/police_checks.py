"""Outcomes and stop-and-search files checked like the street files (issue 25): a file holds the
force and the month its name says, a byte-identical copy under another name is refused, a month
given twice is counted once and said so, and a month whose file is missing is listed in the data
notes.

The street files' own checks (police_uk.py) test the force against "Reported by" and the month
against "Month"; outcomes files have both columns and are tested the same way (police_uk_outcomes.py).
Stop-and-search files have neither, so their month is tested against each search's date and their
force against where the searches are: at the anonymised map points of that force's street records,
not another force's.
"""

from __future__ import annotations

import pandas as pd

from ..errors import InputError
from . import police_uk

KIND_NAMES = {"outcomes": "outcomes", "stop_search": "stop-and-search"}
# What a missing month of each kind of file means for the figures.
MISSING_MEANS = {
    "outcomes": "outcomes recorded in those months are missing, so a crime whose latest outcome came then shows an "
                "earlier outcome or none (download those months with 'Include outcomes data' ticked)",
    "stop_search": "searches of those months are not counted (download those months with 'Include stop and search "
                   "data' ticked)",
}
# A stop-and-search file is another force's when at least this many of its searches, and at least half of
# those with a point, are at another force's street points, and under a tenth as many are at its own.
OTHER_FORCE_MIN_SEARCHES = 10


def one_file_each(files: list) -> tuple[list, list[str]]:
    """One file per (kind, force, month), the last in path order as for the street files (the
    site's archives overlap), and the data notes on the others. A byte-identical file under another
    force's or month's name is refused, naming both: it would count the same records twice."""
    ordered = sorted(files, key=lambda f: (str(f.source), f.member or ""))
    contents = {f: police_uk.content_key(f) for f in ordered}
    first_with: dict[tuple[int, int], object] = {}
    for f in ordered:
        first = first_with.setdefault(contents[f], f)
        if (first.kind, first.force, first.month) != (f.kind, f.force, f.month) and police_uk.has_records(f):
            raise InputError(f.label, f"is byte for byte the same file as {first.label}, {first.force}'s "
                                      f"{KIND_NAMES[first.kind]} file for {first.month}: a copy under another name "
                                      f"would count its records again, as {f.force}'s for {f.month}. Remove the copy, "
                                      "or give it the name data.police.uk gave it")
    by_key: dict[tuple[str, str, str], list] = {}
    for f in ordered:
        by_key.setdefault((f.kind, f.force, f.month), []).append(f)
    kept, notes = [], []
    for key in sorted(by_key):
        *others, used = by_key[key]
        kept.append(used)
        for other in others:
            notes.append(f"{other.label} is byte-for-byte the same file as {used.label}; its records were counted once."
                         if contents[other] == contents[used] else
                         f"{other.label} repeats {other.force}'s {KIND_NAMES[other.kind]} file for {other.month}; only "
                         f"{used.label} was counted.")
    return kept, notes


def missing_months(police_files: list, street_files: list) -> list[str]:
    """Data notes on the months of a force with a street file but no outcomes (or stop-and-search)
    file, for forces whose outcomes (or stop-and-search) files are in the folder at all."""
    street_months: dict[str, set[str]] = {}
    for f in street_files:
        street_months.setdefault(f.force, set()).add(f.month)
    notes = []
    for kind, means in MISSING_MEANS.items():
        present: dict[str, set[str]] = {}
        for f in police_files:
            if f.kind == kind:
                present.setdefault(f.force, set()).add(f.month)
        for force, months in sorted(present.items()):
            missing = sorted(street_months.get(force, set()) - months)
            if missing:
                shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
                notes.append(f"No {KIND_NAMES[kind]} file for {force} in {shown}, month(s) whose street file is in the "
                             f"data folder: {means}.")
    return notes


def check_search_dates(f, dates: pd.Series, lines: pd.Series) -> None:
    """Every search of a monthly file is in that month: by its local date, or as an instant in UTC
    (a search just after midnight on the 1st in summer time is the month before in UTC). A month's
    file copied over the next month's name is refused here."""
    outside = dates.str[:7] != f.month
    if outside.any():
        in_utc = pd.to_datetime(dates[outside], utc=True, errors="coerce", format="ISO8601").dt.strftime("%Y-%m")
        outside.loc[outside] = in_utc.to_numpy() != f.month
    if outside.any():
        row = outside.idxmax()
        raise InputError(f.label, f"date {dates[row]!r} is outside the file's own month, {f.month}: a monthly file "
                                  "holds its month's searches (was another month's file copied under this name?)",
                         row=int(lines[row]), column="Date")


def check_search_forces(searches: pd.DataFrame, street: pd.DataFrame, point_key) -> None:
    """Refuse a stop-and-search file whose searches are at another force's street points, not its
    own: another force's file under this name, whose searches would be counted twice or in the
    wrong area. ``searches``: force, latitude, longitude, source_file; ``street``: force, Latitude,
    Longitude (text) of the street files read; ``point_key``: (latitude, longitude) -> point id."""
    forces = set(street["force"].unique())
    if forces == set(searches["force"].unique()) and len(forces) == 1:
        return  # one force's files (a partnership's usual folder): no other force's points to be at
    street = street[street["Latitude"].str.strip() != ""]
    located = searches[searches["latitude"].notna() & searches["longitude"].notna()]
    if street.empty or located.empty:
        return
    forces_at = pd.DataFrame({
        "key": point_key(street["Latitude"].astype(float), street["Longitude"].astype(float)).to_numpy(),
        "street_force": street["force"].to_numpy()}).drop_duplicates()
    points = pd.DataFrame({"key": point_key(located["latitude"], located["longitude"]).to_numpy(),
                           "source_file": located["source_file"].to_numpy(), "force": located["force"].to_numpy()})
    with_point = points.groupby("source_file").size()
    at = points.merge(forces_at, on="key").groupby(["source_file", "force", "street_force"]).size()
    for (source, force), by_force in at.groupby(level=["source_file", "force"]):
        by_force = by_force.droplevel(["source_file", "force"])
        own, others = int(by_force.get(force, 0)), by_force.drop(force, errors="ignore")
        if force == "btp" or others.empty:  # British Transport Police search at stations in every force's area
            continue
        other, there = others.idxmax(), int(others.max())
        if there >= OTHER_FORCE_MIN_SEARCHES and there >= with_point[source] / 2 and own * 10 < there:
            raise InputError(source, f"the file's name says force '{force}' but {there:,} of its "
                                     f"{with_point[source]:,} searches with a point are at the points of {other}'s "
                                     f"street records, and {own:,} at {force}'s: another force's stop-and-search file "
                                     "under this name would count its searches again, or in the wrong area. Remove "
                                     "the file, or give it the name data.police.uk gave it")

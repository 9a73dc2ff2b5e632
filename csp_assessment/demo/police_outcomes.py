"""Demo data.police.uk outcomes and stop-and-search files, beside the demo street files.

Written after the street files, from them (read back), with a generator of their own
(``default_rng([seed, OUTCOMES_STREAM])``), so the street files and every other demo file are the
same with or without these.

* ``police-uk/YYYY-MM/YYYY-MM-kent-outcomes.csv``: every crime of the street files whose last
  outcome is not "Under investigation" gets its outcome in a month from its own to the last demo
  month; a crime awaiting court or whose court result is unavailable was first "Suspect charged"
  (and a court result came later), so a crime can have two records and its latest is the one the
  street file shows. The rows copy the crime's Crime ID, location and LSOA.
* ``police-uk/YYYY-MM/YYYY-MM-kent-stop-and-search.csv``: searches in today's 15-column layout,
  at the month's street points (most), a point nearby (a few, placed by boundaries) or no point.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUTCOMES_STREAM = 15003
OUTCOME_COLUMNS = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                   "LSOA code", "LSOA name", "Outcome type"]
STOP_SEARCH_COLUMNS = ["Type", "Date", "Part of a policing operation", "Policing operation", "Latitude", "Longitude",
                       "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity", "Legislation",
                       "Object of search", "Outcome", "Outcome linked to object of search",
                       "Removal of more than just outer clothing"]
# Street file's last outcome category -> the outcomes file's records (first, then later).
OUTCOME_CHAIN = {"Awaiting court outcome": ("Suspect charged",),
                 "Court result unavailable": ("Suspect charged", "Court result unavailable")}
NOT_YET = {"Under investigation", ""}
SEARCHES_PER_MONTH = 650
SEARCH_OBJECTS = {  # object of search: (share, legislation)
    "Controlled drugs": (0.62, "Misuse of Drugs Act 1971 (section 23)"),
    "Offensive weapons": (0.11, "Police and Criminal Evidence Act 1984 (section 1)"),
    "Stolen goods": (0.12, "Police and Criminal Evidence Act 1984 (section 1)"),
    "Article for use in theft": (0.08, "Police and Criminal Evidence Act 1984 (section 1)"),
    "Articles for use in criminal damage": (0.04, "Police and Criminal Evidence Act 1984 (section 1)"),
    "Firearms": (0.01, "Firearms Act 1968 (section 47)"),
    "Evidence of offences under the Act": (0.02, "Police and Criminal Evidence Act 1984 (section 1)"),
}
SEARCH_OUTCOMES = {  # outcome: (share, chance the outcome was linked to the object)
    "A no further action disposal": (0.70, 0.04), "Arrest": (0.15, 0.6), "Community resolution": (0.05, 0.85),
    "Khat or Cannabis warning": (0.06, 0.95), "Penalty Notice for Disorder": (0.02, 0.7),
    "Summons / charged by post": (0.02, 0.6),
}
AGE_RANGES = ("10-17", "18-24", "25-34", "over 34")
ETHNICITY = (("White - English/Welsh/Scottish/Northern Irish/British", "White"),
             ("White - Any other White background", "White"), ("Black/African/Caribbean/Black British - African", "Black"),
             ("Asian/Asian British - Any other Asian background", "Asian"),
             ("Other ethnic group - Not stated", "Other"))


def write_demo(out_dir: Path, seed: int = 2017, formats: str = "2017") -> list[Path]:
    """The outcomes and stop-and-search files of every demo month (the same in either format)."""
    rng = np.random.default_rng([seed, OUTCOMES_STREAM])
    street_paths = sorted(Path(out_dir).glob("police-uk/*/*-street.csv"))
    months = [p.parent.name for p in street_paths]
    written: list[Path] = []
    outcome_rows: dict[str, list[pd.DataFrame]] = {m: [] for m in months}
    for index, path in enumerate(street_paths):
        street = pd.read_csv(path, dtype=object, keep_default_na=False)
        crimes = street[(street["Crime ID"] != "") & ~street["Last outcome category"].isin(NOT_YET)]
        last = len(months) - 1
        lag = np.minimum(index + rng.geometric(0.55, len(crimes)) - 1, last)
        later = np.minimum(lag + rng.geometric(0.35, len(crimes)), last)
        for chain_step in (0, 1):
            types = crimes["Last outcome category"].map(
                lambda c: (OUTCOME_CHAIN.get(c, (c,)) + (None,))[chain_step])
            keep = types.notna().to_numpy()
            at = lag if chain_step == 0 else later
            if chain_step == 1:  # the court result follows the charge, in the same month at the latest
                at = np.maximum(at, lag)
            part = crimes[keep].assign(**{"Outcome type": types[keep]})
            for month_index in np.unique(at[keep]):
                rows = part[at[keep] == month_index]
                outcome_rows[months[month_index]].append(rows.assign(Month=months[month_index]))
    for index, month in enumerate(months):
        frame = (pd.concat(outcome_rows[month], ignore_index=True) if outcome_rows[month]
                 else pd.DataFrame(columns=OUTCOME_COLUMNS))
        path = street_paths[index].with_name(f"{month}-kent-outcomes.csv")
        frame[OUTCOME_COLUMNS].to_csv(path, index=False, lineterminator="\r\n", encoding="utf-8")
        written.append(path)
        written.append(_write_searches(rng, street_paths[index], month))
    return written


def _write_searches(rng: np.random.Generator, street_path: Path, month: str) -> Path:
    street = pd.read_csv(street_path, dtype=object, keep_default_na=False, usecols=["Latitude", "Longitude"])
    points = street[street["Latitude"] != ""]
    n = int(rng.poisson(SEARCHES_PER_MONTH))
    pick = points.iloc[rng.integers(0, len(points), n)]
    lat, lon = pick["Latitude"].to_numpy(dtype=object, copy=True), pick["Longitude"].to_numpy(dtype=object, copy=True)
    where = rng.random(n)
    nearby = (where >= 0.90) & (where < 0.96)  # a point of its own, not a street point: placed by boundaries
    lat[nearby] = [f"{float(v) + d:.6f}" for v, d in zip(lat[nearby], rng.normal(0, 0.001, nearby.sum()))]
    lon[nearby] = [f"{float(v) + d:.6f}" for v, d in zip(lon[nearby], rng.normal(0, 0.0015, nearby.sum()))]
    lat[where >= 0.96], lon[where >= 0.96] = "", ""  # no location
    objects = list(SEARCH_OBJECTS)
    obj = rng.choice(len(objects), n, p=np.array([SEARCH_OBJECTS[o][0] for o in objects]) / 1.0)
    outcomes = list(SEARCH_OUTCOMES)
    out = rng.choice(len(outcomes), n, p=[SEARCH_OUTCOMES[o][0] for o in outcomes])
    linked = rng.random(n) < np.array([SEARCH_OUTCOMES[o][1] for o in outcomes])[out]
    day = rng.integers(1, pd.Period(month, "M").days_in_month + 1, n)
    seconds = rng.integers(0, 86400, n)
    offset = "+01:00" if 4 <= int(month[5:]) <= 10 else "+00:00"
    dates = [f"{month}-{d:02d}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{offset}" for d, s in zip(day, seconds)]
    ethnicity = rng.integers(0, len(ETHNICITY), n)
    frame = pd.DataFrame({
        "Type": np.where(rng.random(n) < 0.75, "Person search", "Person and Vehicle search"),
        "Date": dates, "Part of a policing operation": "", "Policing operation": "",
        "Latitude": lat, "Longitude": lon,
        "Gender": np.where(rng.random(n) < 0.88, "Male", "Female"),
        "Age range": np.array(AGE_RANGES)[rng.choice(4, n, p=[0.12, 0.34, 0.28, 0.26])],
        "Self-defined ethnicity": [ETHNICITY[e][0] for e in ethnicity],
        "Officer-defined ethnicity": [ETHNICITY[e][1] for e in ethnicity],
        "Legislation": [SEARCH_OBJECTS[objects[o]][1] for o in obj],
        "Object of search": [objects[o] for o in obj], "Outcome": [outcomes[o] for o in out],
        "Outcome linked to object of search": np.where(linked, "True", "False"),
        "Removal of more than just outer clothing": np.where(rng.random(n) < 0.02, "True", "False"),
    }).sort_values("Date", kind="stable")
    path = street_path.with_name(f"{month}-kent-stop-and-search.csv")
    frame[STOP_SEARCH_COLUMNS].to_csv(path, index=False, lineterminator="\r\n", encoding="utf-8")
    return path

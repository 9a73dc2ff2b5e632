"""DfT road safety data (STATS19): the collision and casualty CSVs exactly as DfT publishes them.

Files (``dft-road-casualty-statistics-collision-YYYY.csv``, ``...-casualty-YYYY.csv``, the
"last 5 years" and "1979 to latest" files of the same layouts) are recognised by their header:

* collisions: ``collision_index`` (``accident_index`` in the files published before 2024),
  ``collision_year`` / ``accident_year``, ``collision_severity`` / ``accident_severity``,
  ``local_authority_ons_district``, ``date``, and where given ``longitude`` / ``latitude`` and the
  severity adjustment ``collision_adjusted_severity_serious`` / ``_slight``;
* casualties: ``collision_index`` / ``accident_index``, the year, ``vehicle_reference``,
  ``casualty_reference``, ``casualty_severity``, ``age_of_casualty``, ``casualty_type`` and where
  given ``casualty_adjusted_severity_serious`` / ``_slight``.

DfT codes severity 1 fatal, 2 serious, 3 slight. Since 2016 many forces record injuries
themselves (CRASH) and DfT publishes, for every casualty, the probability that it would have been
recorded as serious or slight under injury-based recording: the *severity adjustment*. Those
columns are kept when the file has them (``adjusted_serious``, ``adjusted_slight``; NaN where it
has not).

One processed table, ``stats19``: one row per collision (``record`` "collision") and per
casualty (``record`` "casualty"); the road safety section joins casualties to their collision's
local authority through ``collision_index``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .ons import Column, csv_columns, read_csv_table
from .values import PROBABILITY, csv_header, within

TABLE = "stats19"
# What the processed table holds (its line in the processed folder's README).
DESCRIPTION = ("DfT road safety data (STATS19): one row per collision (year, local authority, severity, "
               "date, coordinates) and per casualty (severity, road-user type, age, DfT's severity "
               "adjustment)")
DESCRIPTION = ("DfT road safety data (STATS19): one row per collision (year, local authority, severity, date, "
               "coordinates) and per casualty (severity, road-user type, age, DfT's severity adjustment)")
KEY = ["record", "collision_index", "vehicle_reference", "casualty_reference"]
DOWNLOAD = ("the DfT 'Road safety data' page (https://www.data.gov.uk/dataset/cb7ae6f0-4be6-4935-9277-47e5ce24a11f/"
            "road-safety-data): the collision and casualty CSVs (dft-road-casualty-statistics-collision-YYYY.csv, "
            "dft-road-casualty-statistics-casualty-YYYY.csv) for each year, or the 'last 5 years' files")

FILE_NAME = re.compile(r"dft-road-casualty-statistics-(collision|accident|casualty)", re.IGNORECASE)
SEVERITIES = {1: "Fatal", 2: "Serious", 3: "Slight"}
# DfT casualty_type codes (the STATS19 data guide), grouped into the road-user types DfT reports.
ROAD_USER_TYPES = {
    "Pedestrian": (0,),
    "Pedal cyclist": (1,),
    "Motorcyclist": (2, 3, 4, 5, 23, 97, 103, 104, 105, 106),
    "Car occupant": (9, 109),
    "Taxi or private hire car occupant": (8, 108),
    "Bus or coach occupant": (10, 11, 110),
    "Goods vehicle occupant": (19, 20, 21, 98, 113),
    "Other road user": (16, 17, 18, 22, 90, 99),
}
CASUALTY_TYPES = {code: group for group, codes in ROAD_USER_TYPES.items() for code in codes}
MISSING_CODE = -1  # DfT's "data missing or out of range"

_INDEX = r"(?:collision|accident)_index"
_YEAR = r"(?:collision|accident)_year"
COLLISION_COLUMNS = (
    Column("collision_index", _INDEX, "collision_index", "collision reference"),
    Column("year", _YEAR, "collision_year", "collision year"),
    Column("severity", r"(?:collision|accident)_severity", "collision_severity", "collision severity"),
    Column("lad_code", r"local_authority_ons_district", "local_authority_ons_district",
           "local authority (ONS code)"),
    Column("date", r"date", "date", "date of the collision", required=False),
    Column("longitude", r"longitude", "longitude", "longitude", required=False),
    Column("latitude", r"latitude", "latitude", "latitude", required=False),
    Column("adjusted_serious", r"(?:collision|accident)_adjusted_severity_serious",
           "collision_adjusted_severity_serious", "severity adjustment (serious)", required=False),
    Column("adjusted_slight", r"(?:collision|accident)_adjusted_severity_slight",
           "collision_adjusted_severity_slight", "severity adjustment (slight)", required=False),
)
CASUALTY_COLUMNS = (
    Column("collision_index", _INDEX, "collision_index", "collision reference"),
    Column("year", _YEAR, "collision_year", "collision year"),
    Column("vehicle_reference", r"vehicle_reference", "vehicle_reference", "vehicle reference"),
    Column("casualty_reference", r"casualty_reference", "casualty_reference", "casualty reference"),
    Column("severity", r"casualty_severity", "casualty_severity", "casualty severity"),
    Column("age", r"age_of_casualty", "age_of_casualty", "age of casualty"),
    Column("casualty_type", r"casualty_type", "casualty_type", "casualty type (road user)"),
    Column("adjusted_serious", r"casualty_adjusted_severity_serious", "casualty_adjusted_severity_serious",
           "severity adjustment (serious)", required=False),
    Column("adjusted_slight", r"casualty_adjusted_severity_slight", "casualty_adjusted_severity_slight",
           "severity adjustment (slight)", required=False),
)
OUTPUT_COLUMNS = ["record", "collision_index", "year", "vehicle_reference", "casualty_reference", "lad_code",
                  "severity", "casualty_type", "age", "adjusted_serious", "adjusted_slight", "date", "longitude",
                  "latitude", "source_file", "row"]


def file_kind(path: Path) -> str | None:
    """"collision", "casualty" or None, from the header (or, for a damaged header, the file name)."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        return None
    header = [cell.lower() for cell in csv_header(path)]
    has_index = any(re.fullmatch(_INDEX, cell) for cell in header)
    if has_index and "casualty_severity" in header:
        return "casualty"
    if has_index and any(re.fullmatch(r"(?:collision|accident)_severity", cell) for cell in header):
        return "collision"
    named = FILE_NAME.search(path.name)
    if named:  # DfT's own file name with a header that has lost a column: read() says which
        return "casualty" if named.group(1).lower() == "casualty" else "collision"
    return None


def sniff(path: Path) -> bool:
    return file_kind(path) is not None


def read(path: Path) -> pd.DataFrame:
    """The file's collisions or casualties, validated; columns as ``OUTPUT_COLUMNS``.

    Errors name the file, the row (line in the file, header = 1) and the column: a required
    column missing, a severity other than 1, 2 or 3, a casualty type DfT does not list, a year
    or age that is not a whole number, a collision without its local authority.
    """
    path = Path(path)
    kind = file_kind(path)
    if kind is None:
        raise ValueError(f"{path} is not a STATS19 collision or casualty file")
    src, header, body = read_csv_table(path)
    cols = csv_columns(src, header, CASUALTY_COLUMNS if kind == "casualty" else COLLISION_COLUMNS)

    def text(field: str) -> pd.Series:
        return body[cols[field]].str.strip()

    def whole(field: str, label: str, allowed: set[int] | None = None, allowed_text: str = "") -> pd.Series:
        values = text(field)
        bad = ~values.str.fullmatch(r"-?\d{1,18}")  # more digits would overflow: not a code or a year
        if bad.any():
            row = bad[bad].index[0]
            raise src.error(f"{label} {values.loc[row]!r} is not a whole number", row=int(row),
                            column=header[cols[field]])
        numbers = values.astype("int64")
        if allowed is not None:
            unknown = ~numbers.isin(allowed)
            if unknown.any():
                row = unknown[unknown].index[0]
                raise src.error(f"unknown {label} code {numbers.loc[row]}; expected {allowed_text}", row=int(row),
                                column=header[cols[field]])
        return numbers

    def decimal(field: str, label: str) -> pd.Series:
        if field not in cols:
            return pd.Series(np.nan, index=body.index)
        values = text(field)
        missing = values.isin(["", "-1", "NULL"])
        bad = ~missing & ~values.str.fullmatch(r"-?\d+(?:\.\d+)?(?:[eE]-?\d+)?")
        if bad.any():
            row = bad[bad].index[0]
            raise src.error(f"{label} {values.loc[row]!r} is not a number", row=int(row), column=header[cols[field]])
        return pd.to_numeric(values.where(~missing), errors="raise").astype(float)

    frame = pd.DataFrame(index=body.index)
    frame["record"] = kind
    frame["collision_index"] = text("collision_index")
    empty = frame["collision_index"] == ""
    if empty.any():
        raise src.error("the collision reference is empty", row=int(empty[empty].index[0]),
                        column=header[cols["collision_index"]])
    frame["year"] = whole("year", "collision year")
    severity_text = "1 (fatal), 2 (serious) or 3 (slight), as DfT codes severity"
    frame["severity"] = whole("severity", "severity", set(SEVERITIES), severity_text)
    if kind == "casualty":
        frame["vehicle_reference"] = whole("vehicle_reference", "vehicle reference")
        frame["casualty_reference"] = whole("casualty_reference", "casualty reference")
        frame["casualty_type"] = whole("casualty_type", "casualty type", {*CASUALTY_TYPES, MISSING_CODE},
                                       "a code of the STATS19 data guide (0 pedestrian, 1 cyclist, 9 car occupant, "
                                       "..., -1 missing)")
        frame["age"] = whole("age", "age of casualty")
        frame["lad_code"] = ""
        frame["date"] = ""
        frame["longitude"] = frame["latitude"] = np.nan
    else:
        frame["vehicle_reference"] = frame["casualty_reference"] = 0
        frame["casualty_type"] = frame["age"] = MISSING_CODE
        frame["lad_code"] = text("lad_code")
        no_area = ~frame["lad_code"].str.fullmatch(r"[EWSN]\d{8}")
        if no_area.any():
            row = no_area[no_area].index[0]
            raise src.error(f"the local authority {frame.loc[row, 'lad_code']!r} is not an ONS code such as "
                            "E06000035", row=int(row), column=header[cols["lad_code"]])
        frame["date"] = text("date") if "date" in cols else ""
        frame["longitude"] = decimal("longitude", "longitude")
        frame["latitude"] = decimal("latitude", "latitude")
    frame["adjusted_serious"] = decimal("adjusted_serious", "severity adjustment (serious)")
    frame["adjusted_slight"] = decimal("adjusted_slight", "severity adjustment (slight)")
    for field in ("adjusted_serious", "adjusted_slight"):  # DfT's probabilities: 50 made 103 KSI "153.0" (issue 25)
        if field in cols:
            within(src, frame[field], header[cols[field]], "the severity adjustment", **PROBABILITY)
    key = ["collision_index", "vehicle_reference", "casualty_reference"]
    repeated = frame.duplicated(key, keep="first")
    if repeated.any():
        row = repeated[repeated].index[0]
        raise src.error(f"{'casualty' if kind == 'casualty' else 'collision'} {frame.loc[row, 'collision_index']} "
                        "appears more than once", row=int(row), column=header[cols["collision_index"]])
    frame["source_file"] = path.name
    frame["row"] = frame.index.astype("int64")
    return frame[OUTPUT_COLUMNS].reset_index(drop=True)

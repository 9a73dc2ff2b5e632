"""Which partnerships a run of several areas covers: ``--area`` read as codes, police force names,
region names or codes, or ``all``.

- an ONS local authority or Community Safety Partnership code (``E06000035``, ``E22000352``): that
  area, as given;
- a police force area as people name it (``Kent``, ``Kent Police``): all its partnerships, from the
  ONS local authority -> CSP -> police force lookup in the data folder;
- an English region or Wales, by name (``South East``) or ONS code (``E12000008``, ``W92000004``):
  the partnerships of the police force areas in it (every force area lies wholly in one region).
  "West Midlands" names a region and a force: it means the region, "West Midlands Police" the force;
- ``all``: every partnership of that lookup.

A force, region or ``all`` keeps only the partnerships whose every local authority has police
records in the ingested files (as :func:`csp_assessment.measures.present_local_authorities` counts
them); the others are returned as ``skipped``, for the run to list rather than fail on. A lookup
covers England and Wales, a data folder usually a few forces: ``all`` means "every partnership the
folder holds police data for".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import store
from .config import AREA_CODE
from .errors import ConfigError
from .geography import Geography, partnerships_of
from .stats.measures import present_local_authorities

ALL = "all"

# ONS regions (2017 codes, unchanged since) and the police force areas in each, as the ONS
# local authority -> CSP -> police force lookup names them (PFA17NM). Police force areas nest in
# regions: none crosses a regional boundary. 43 forces: 39 English, 4 Welsh.
REGIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "E12000001": ("North East", ("Cleveland", "Durham", "Northumbria")),
    "E12000002": ("North West", ("Cheshire", "Cumbria", "Greater Manchester", "Lancashire", "Merseyside")),
    "E12000003": ("Yorkshire and The Humber", ("Humberside", "North Yorkshire", "South Yorkshire",
                                               "West Yorkshire")),
    "E12000004": ("East Midlands", ("Derbyshire", "Leicestershire", "Lincolnshire", "Northamptonshire",
                                    "Nottinghamshire")),
    "E12000005": ("West Midlands", ("Staffordshire", "Warwickshire", "West Mercia", "West Midlands")),
    "E12000006": ("East of England", ("Bedfordshire", "Cambridgeshire", "Essex", "Hertfordshire", "Norfolk",
                                      "Suffolk")),
    "E12000007": ("London", ("Metropolitan Police", "London, City of")),
    "E12000008": ("South East", ("Hampshire", "Kent", "Surrey", "Sussex", "Thames Valley")),
    "E12000009": ("South West", ("Avon and Somerset", "Devon & Cornwall", "Dorset", "Gloucestershire",
                                 "Wiltshire")),
    "W92000004": ("Wales", ("Dyfed-Powys", "Gwent", "North Wales", "South Wales")),
}
REGION_CODE = re.compile(r"^(E12|W92)\d{6}$")


@dataclass
class AreaSelection:
    """The partnerships to run (in the order asked), and those of a force, region or ``all`` that
    were left out because the data folder holds no police records for them: [(code, name)]."""
    codes: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _plain(name: str) -> str:
    """A force or region name as compared: lower case, '&' as 'and', no 'Police'/'Constabulary'/'England'."""
    name = re.sub(r"\s+", " ", name.lower().replace("&", "and")).strip()
    for suffix in (" police service", " constabulary", " police", " region", " england"):
        name = name.removesuffix(suffix)
    return name.removeprefix("the ")


def region_of(name_or_code: str) -> str | None:
    """The ONS region code named by ``name_or_code`` ('South East', 'south east england', 'E12000008'), or None."""
    if name_or_code.upper() in REGIONS:
        return name_or_code.upper()
    wanted = _plain(name_or_code)
    return next((code for code, (name, _) in REGIONS.items() if _plain(name) == wanted), None)


def partnerships_of_region(region_code: str, lookup: pd.DataFrame) -> list[str]:
    """CSP codes of the police force areas of a region, from the local authority -> CSP -> force lookup."""
    name, forces = REGIONS[region_code]
    wanted = {_plain(force) for force in forces}
    members = lookup[lookup["pfa_name"].map(_plain).isin(wanted)]
    if members.empty:
        raise ConfigError(f"{name} ({region_code}): none of its police force areas ({', '.join(forces)}) is in the "
                          f"local authority -> CSP -> police force lookup; forces there: "
                          f"{', '.join(sorted(lookup['pfa_name'].unique()))}")
    return sorted(members["csp_code"].unique())


def partnerships_with_police_data(processed_dir: Path, lookup: pd.DataFrame) -> set[str]:
    """CSP codes whose every local authority the ingested police files cover."""
    geo = Geography(processed_dir)
    placed = geo.place(store.read_table(processed_dir, "police_counts"))
    present = present_local_authorities(placed.assign(lsoa_code=placed["report_lsoa"]), geo.lsoa_lookup)
    covered = lookup.assign(present=lookup["lad_code"].isin(present)).groupby("csp_code")["present"].all()
    return set(covered[covered].index)


def select_areas(requested: list[str], processed_dir: Path) -> AreaSelection:
    """Read ``--area`` (already split at commas) into partnership and authority codes; see the module."""
    codes: list[str] = []
    skipped: dict[str, str] = {}
    lookup: pd.DataFrame | None = None
    with_data: set[str] | None = None
    for item in requested:
        if AREA_CODE.match(item.upper()):
            found, filtered = [item.upper()], False
        else:
            if lookup is None:
                if not store.has_table(processed_dir, "area_lookup"):
                    raise ConfigError(f"'{item}' is not an ONS area code, and no local authority -> CSP -> police "
                                      "force lookup is in the data folder to read it as a police force, a region "
                                      "or 'all'")
                lookup = store.read_table(processed_dir, "area_lookup")
            # "West Midlands" is a region and a force: the region, unless "Police" says the force
            says_force = re.search(r"\b(police|constabulary|police service)\s*$", item.strip().lower())
            region = None if says_force else region_of(item)
            if item.strip().lower() == ALL:
                found = sorted(lookup["csp_code"].unique())
            elif region:
                found = partnerships_of_region(region, lookup)
            elif REGION_CODE.match(item.upper()):
                raise ConfigError(f"'{item}' is not an ONS region code; regions: "
                                  f"{', '.join(f'{c} {n}' for c, (n, _) in REGIONS.items())}")
            else:
                found = partnerships_of(item, lookup)
            filtered = True
        if filtered:
            if with_data is None:
                with_data = partnerships_with_police_data(processed_dir, lookup)
            names = lookup.drop_duplicates("csp_code").set_index("csp_code")["csp_name"]
            skipped.update({code: names.get(code, "") for code in found if code not in with_data})
            found = [code for code in found if code in with_data]
        codes += [code for code in found if code not in codes]
    if not codes:
        raise ConfigError(f"--area {','.join(requested)}: the data folder holds police records for none of its "
                          f"{len(skipped)} partnerships; fetch their police files first (python pipeline.py fetch)")
    return AreaSelection(codes, sorted((c, n) for c, n in skipped.items() if c not in codes))

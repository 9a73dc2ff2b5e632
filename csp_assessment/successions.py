"""Local authority codes that ONS has replaced since the LAD 2017 lookups, and what replaced them.

Police files and lookups of different years name different authorities: the LSOA 2011 -> ward
2017 lookup places records in Aylesbury Vale (E07000004), the LSOA 2021 -> ward 2024 lookup in
Buckinghamshire (E06000060). With this table an area code of either vintage finds its records:
an old code is carried forward to the authority that replaced it, a new code back to the
authorities it was made from.

Sources: the ONS "Local Authority District (2022) to Local Authority District (2023) Lookup"
(service LAD22_LAD23_UK_LU on the Open Geography Portal, used by humaniverse/geographr
data-raw/query-urls.R) and the ONS Code History Database, which record each code's end and its
successor; the structural changes orders name the dates (1 April of each year). Checked
2026-12-03 against ONS's own lookups: every LSOA that the LSOA 2011 -> ward 2017 lookup puts in a
predecessor is placed in its successor by the LSOA 2011 -> 2021 -> LAD 2022 and LSOA 2021 -> ward
2024 lookups (tests/test_successions.py reads them from ../shared).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Succession:
    old_code: str
    old_name: str
    new_code: str
    new_name: str
    from_date: str  # the day the new authority took over, YYYY-MM-DD


_MERGERS = (
    # 1 April 2019: Dorset, Suffolk and Somerset reorganisations.
    ("2019-04-01", "E06000058", "Bournemouth, Christchurch and Poole",
     (("E06000028", "Bournemouth"), ("E06000029", "Poole"), ("E07000048", "Christchurch"))),
    ("2019-04-01", "E06000059", "Dorset",
     (("E07000049", "East Dorset"), ("E07000050", "North Dorset"), ("E07000051", "Purbeck"),
      ("E07000052", "West Dorset"), ("E07000053", "Weymouth and Portland"))),
    ("2019-04-01", "E07000244", "East Suffolk", (("E07000205", "Suffolk Coastal"), ("E07000206", "Waveney"))),
    ("2019-04-01", "E07000245", "West Suffolk", (("E07000201", "Forest Heath"), ("E07000204", "St Edmundsbury"))),
    ("2019-04-01", "E07000246", "Somerset West and Taunton",
     (("E07000190", "Taunton Deane"), ("E07000191", "West Somerset"))),
    # 1 April 2020: Buckinghamshire.
    ("2020-04-01", "E06000060", "Buckinghamshire",
     (("E07000004", "Aylesbury Vale"), ("E07000005", "Chiltern"), ("E07000006", "South Bucks"),
      ("E07000007", "Wycombe"))),
    # 1 April 2021: Northamptonshire.
    ("2021-04-01", "E06000061", "North Northamptonshire",
     (("E07000150", "Corby"), ("E07000152", "East Northamptonshire"), ("E07000153", "Kettering"),
      ("E07000156", "Wellingborough"))),
    ("2021-04-01", "E06000062", "West Northamptonshire",
     (("E07000151", "Daventry"), ("E07000154", "Northampton"), ("E07000155", "South Northamptonshire"))),
    # 1 April 2023: Cumbria, North Yorkshire and Somerset.
    ("2023-04-01", "E06000063", "Cumberland",
     (("E07000026", "Allerdale"), ("E07000028", "Carlisle"), ("E07000029", "Copeland"))),
    ("2023-04-01", "E06000064", "Westmorland and Furness",
     (("E07000027", "Barrow-in-Furness"), ("E07000030", "Eden"), ("E07000031", "South Lakeland"))),
    ("2023-04-01", "E06000065", "North Yorkshire",
     (("E07000163", "Craven"), ("E07000164", "Hambleton"), ("E07000165", "Harrogate"),
      ("E07000166", "Richmondshire"), ("E07000167", "Ryedale"), ("E07000168", "Scarborough"),
      ("E07000169", "Selby"))),
    ("2023-04-01", "E06000066", "Somerset",
     (("E07000187", "Mendip"), ("E07000188", "Sedgemoor"), ("E07000189", "South Somerset"),
      ("E07000246", "Somerset West and Taunton"))),
)

SUCCESSIONS: tuple[Succession, ...] = tuple(
    Succession(old, old_name, new, new_name, date)
    for date, new, new_name, olds in _MERGERS for old, old_name in olds)
_BY_OLD = {s.old_code: s for s in SUCCESSIONS}


def successor(code: str) -> Succession | None:
    """The succession that ended ``code``, or None for a code still in use."""
    return _BY_OLD.get(code)


def latest_code(code: str, known: set[str] | None = None) -> str:
    """``code`` carried forward through every succession (E07000190 -> E07000246 -> E06000066),
    stopping at the first code in ``known`` when given."""
    while code in _BY_OLD and not (known and code in known):
        code = _BY_OLD[code].new_code
    return code


def composed(code: str, known: set[str]) -> list[str] | None:
    """``code`` as codes of ``known``: itself if known, else the authorities it was made from,
    each in turn itself or its own predecessors (E06000066 -> E07000187, E07000188, E07000189 and
    E07000246, or E07000190 and E07000191 where E07000246 is not known). Never a code and one of
    its predecessors together, so figures summed over them are not counted twice. None when some
    part is not known."""
    if code in known:
        return [code]
    parts = [s.old_code for s in SUCCESSIONS if s.new_code == code]
    if not parts:
        return None
    found = [composed(part, known) for part in parts]
    return None if any(f is None for f in found) else sorted(c for f in found for c in f)


def codes_in(code: str, known: set[str]) -> list[str]:
    """The codes of ``known`` that stand for ``code``: itself, else the authority that replaced
    it, else the authorities it was made from. [] when none of these is known."""
    if code in known:
        return [code]
    forward = latest_code(code, known)
    if forward in known:
        return [forward]
    return composed(code, known) or []


def name_of(code: str) -> str:
    """The authority's name as the successions record it ("" for a code they do not mention)."""
    for s in SUCCESSIONS:
        if s.new_code == code:
            return s.new_name
        if s.old_code == code:
            return s.old_name
    return ""

"""The document's contents (chapters numbered, annexes lettered) and Annex D's file table (one row per
publisher's kind of data and police force, every figure of the manifest kept), on hand-made inputs."""

from __future__ import annotations

import re

from csp_assessment.report.document import Chapter, _contents, _data_sources
from csp_assessment.report.print_check import text_blocks


def _street(month: str, used: int, aside: int, force: str = "kent") -> dict:
    return {"kind": "police_uk", "file": f"/data/police-uk/{month}/{month}-{force}-street.csv", "period": month,
            "rows_used": used, "rows_set_aside": {"no location (no LSOA)": aside}}


def _rows(table: str) -> list[list[str]]:
    return [text_blocks(row) for row in re.findall(r"<tr\b.*?</tr>", table, re.S)]


def test_chapters_are_numbered_and_annexes_lettered_in_the_contents():
    chapters = [Chapter("introduction", "Introduction", ""), Chapter("glossary", "Glossary of terms", ""),
                Chapter("annex-spc", "Annex A: SPC charts by type", "", annex=True),
                Chapter("annex-data", "Annex B: Data sources and notes", "", annex=True)]
    assert text_blocks(_contents(chapters)) == ["Contents", "1. Introduction", "2. Glossary of terms",
                                                "Annex A: SPC charts by type", "Annex B: Data sources and notes"]
    assert "<ol" not in _contents(chapters)  # no list numbers: an annex is not chapter 3


def test_annex_d_groups_monthly_files_by_force_and_keeps_every_figure():
    # Kent Jan-Mar and May 2022 (April missing), one City of London month, five yearly files and a lookup
    inputs = [_street("2022-01", 16_159, 179), _street("2022-02", 15_220, 163), _street("2022-03", 17_109, 201),
              _street("2022-05", 17_332, 214), _street("2024-01", 657, 77, force="city-of-london"),
              *({"kind": "mid_year_estimates", "file": f"/data/ons/ukmidyearestimates{year}.xlsx"}
                for year in range(2012, 2017)),
              {"kind": "lsoa_ward_lad_lookup", "file": "/data/ons/lsoa11-ward17-lad17-lookup.csv"}]
    rows = _rows(_data_sources(inputs, police_force="Kent Police"))
    assert rows[0] == ["Publisher and data", "Files", "Period covered", "Rows used", "Rows set aside (why)"]
    # 16,159 + 15,220 + 17,109 + 17,332 = 65,820 used; 179 + 163 + 201 + 214 = 757 set aside
    assert rows[1] == ["data.police.uk: street-level crime and ASB, Kent Police",
                       "4 files: 2022-01-kent-street.csv to 2022-05-kent-street.csv",
                       "January 2022 – March 2022; May 2022", "65,820", "757 (no location (no LSOA))"]
    assert rows[2] == ["Rows used (set aside) by month: Jan 22: 16,159 (179); Feb 22: 15,220 (163); "
                       "Mar 22: 17,109 (201); May 22: 17,332 (214)"]
    # a force params do not name keeps the words of its file name; one month needs no month-by-month row
    assert rows[3] == ["data.police.uk: street-level crime and ASB, City of London",
                       "1 file: 2024-01-city-of-london-street.csv", "January 2024", "657",
                       "77 (no location (no LSOA))"]
    assert rows[4] == ["ONS: mid-year population estimates", "5 files: ukmidyearestimatesYYYY.xlsx for 2012–2016",
                       "as published", "all", "none"]
    assert rows[5] == ["ONS: LSOA to ward to local authority lookup", "1 file: lsoa11-ward17-lad17-lookup.csv",
                       "as published", "all", "none"]
    # 65,820 + 657 = 66,477 used; 757 + 77 = 834 set aside; 11 files in all
    assert rows[6] == ["Total", "11 files", "66,477", "834 (no location (no LSOA))"]

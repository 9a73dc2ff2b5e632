"""The tables behind the assessment: the workbook to the Government Statistical Service's standard,
the CSVs beside it, and the links from the document to them (issue 23).

The standard is the Analysis Function's "Releasing statistics in spreadsheets"
(https://analysisfunction.civilservice.gov.uk/policy-store/releasing-statistics-in-spreadsheets/;
its interim update, best-practice-and-impact/spreadsheet-accessibility, interim-draft.md) and
"Using symbols and shorthand in tables" (policy-store/symbols-in-tables-definitions-and-help/).
:func:`check_workbook` checks a workbook against the points of it that can be checked by a
program; the whole-run tests (test_pipeline_e2e.py) apply it to the demo's and Medway 2022's.
"""

from __future__ import annotations

import csv
import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from csp_assessment.config import load_config
from csp_assessment.display.data_tables import (CONFIDENTIAL, NOT_APPLICABLE, NOT_AVAILABLE, DataTable, data_link,
                                               ids_in_html, read_tables, short_period_label, table_attributes,
                                               write_tables)
from csp_assessment.report.workbook import METADATA, write_workbook
from csp_assessment.sections import SECTIONS

SHORTHAND = re.compile(r"^\[[a-z]+\]$")
# A number written as text ("1,234", "12.5%", "-3"): the guidance asks for numbers stored as numbers.
NUMBER_AS_TEXT = re.compile(r"^[-+]?[\d,]*\.?\d+%?$")
# Columns of labels that may look like numbers ("2016" as a period of the publisher's)
LABEL_COLUMNS = re.compile(r"period|year|code", re.IGNORECASE)
# What says a numeric column's unit: in brackets, a rate "per ...", a rank, a score's scale, or a Unit column
UNIT_IN_HEADER = re.compile(r"\(.+\)|\bper\b|\brank\b|\bfactor\b|\bscore\b|\bgroup\b|\byear\b|number", re.IGNORECASE)


# ---- the checks a workbook must pass -------------------------------------------------------------

def table_sheets(book) -> list:
    return [ws for ws in book.worksheets if ws.title not in ("Cover", "Contents", "Notes")]


def sheet_table(ws) -> tuple[list[str], list[list], int]:
    """(header, rows, header row number) of the one table on a sheet, as openpyxl reads them."""
    (name, ref), = ws.tables.items()
    cells = list(ws[ref])
    header = [c.value for c in cells[0]]
    return header, [[c.value for c in row] for row in cells[1:]], cells[0][0].row


def check_workbook(path: Path) -> dict[str, tuple[list[str], list[list]]]:
    """Every point of the guidance a program can check; returns each table sheet's (header, rows)."""
    book = openpyxl.load_workbook(path)
    # Document information: title and language filled in (the guidance's first section)
    assert book.properties.title and book.properties.language == "en-GB"
    # Cover first, then a table of contents and a notes sheet ("Worksheets providing information about the data")
    assert book.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    cover = book["Cover"]
    assert cover["A1"].value and cover["A1"].font.b
    contact = [c.value for c in cover["A"] if c.value]
    assert "Contact" in contact and "About these data" in contact
    tables = {}
    for ws in book.worksheets:
        # "Merged and split cells": none anywhere
        assert not ws.merged_cells.ranges, ws.title
    for ws in table_sheets(book):
        # One table per worksheet, marked up as a table, named, against the sheet's left edge
        assert list(ws.tables) == [ws.title], ws.title
        header, rows, header_row = sheet_table(ws)
        assert ws.tables[ws.title].ref.startswith("A"), ws.title
        # A1 holds the title; column A above the table says what is on the sheet
        assert ws["A1"].value and ws["A1"].font.b and ws["A1"].font.sz >= 12, ws.title
        above = [ws.cell(row, 1).value or "" for row in range(2, header_row)]
        assert any("This worksheet contains one table" in line for line in above), ws.title
        # A header row of text; no blank rows, columns or cells inside the table
        assert all(isinstance(h, str) and h.strip() for h in header), (ws.title, header)
        assert rows, ws.title
        for row in rows:
            assert all(v is not None and str(v).strip() for v in row), (ws.title, row)
        for i, column in enumerate(header):
            values = [row[i] for row in rows]
            numbers = [v for v in values if isinstance(v, (int, float))]
            texts = [v for v in values if isinstance(v, str) and not SHORTHAND.match(v)]
            # Numbers as numbers: no figure stored as text (labels such as a period "2016" aside)
            if not LABEL_COLUMNS.search(column):
                assert not [t for t in texts if NUMBER_AS_TEXT.match(t.strip())], (ws.title, column)
            # A numeric column says its unit in its header (or the table has a Unit column)
            if numbers and not texts:
                assert UNIT_IN_HEADER.search(column) or "Unit" in header, (ws.title, column)
        # Every shorthand used is explained above the table, in column A ("Symbols and footnotes")
        used = {v for row in rows for v in row if isinstance(v, str) and SHORTHAND.match(v)}
        for mark in used:
            assert any(line.startswith(f"{mark} = ") for line in above), (ws.title, mark)
        tables[ws.title] = (header, rows)
    # The contents list every table, each linked to its sheet's A1
    contents = book["Contents"]
    (_, ref), = contents.tables.items()
    listed = {row[0].value: row[0].hyperlink for row in list(contents[ref])[1:]}
    assert set(listed) == set(tables)
    assert all(link is not None and link.location == f"'{name}'!A1" for name, link in listed.items())
    # The notes sheet explains every shorthand any table uses
    notes_header, notes, _ = sheet_table(book["Notes"])
    explained = {row[notes_header.index("Term or section")] for row in notes
                 if row[notes_header.index("Type of note")] == "Shorthand"}
    used = {v for _, rows in tables.values() for row in rows for v in row if isinstance(v, str) and SHORTHAND.match(v)}
    assert used <= explained, used - explained
    return tables


def check_csvs(report_dir: Path, tables: dict[str, tuple[list[str], list[list]]]) -> None:
    """Each table as tables/<id>.csv, read back with the csv module: the same header and cells as the
    workbook's sheet; the CSV on the Web metadata describes every file and column."""
    folder = report_dir / "tables"
    metadata = json.loads((folder / METADATA).read_text(encoding="utf-8"))
    assert metadata["@context"] == "http://www.w3.org/ns/csvw"
    described = {t["url"]: t for t in metadata["tables"]}
    assert set(described) == {f"{name}.csv" for name in tables} | {"notes.csv"}
    assert (folder / "README.md").is_file()
    for name, (header, rows) in tables.items():
        with open(folder / f"{name}.csv", newline="", encoding="utf-8") as fh:
            read = list(csv.reader(fh))
        assert read[0] == header, name
        assert [c["titles"] for c in described[f"{name}.csv"]["tableSchema"]["columns"]] == header
        assert len(read) - 1 == len(rows), name
        for got, expected in zip(read[1:], rows):
            for text, value in zip(got, expected):
                if isinstance(value, (int, float)):
                    assert math.isclose(float(text), value, rel_tol=1e-12), (name, text, value)
                else:
                    assert text == value, (name, text, value)


def document_links(report_dir: Path, year: int) -> list[list[str]]:
    """The table ids of every 'Data: ...' line of the document, each checked to lead to a workbook
    sheet and a CSV file that exist."""
    html = (report_dir / f"strategic-assessment-{year}.html").read_text(encoding="utf-8")
    lines = re.findall(r'<p class="csp-data-link">(.*?)</p>', html, re.S)
    found = []
    for line in lines:
        ids = re.findall(r'<span class="csp-table-id">([^<]+)</span>', line)
        assert ids and line.count(f'href="strategic-assessment-{year}-tables.xlsx"') == len(ids)
        for table_id in ids:
            assert f'href="tables/{table_id}.csv"' in line
            assert (report_dir / "tables" / f"{table_id}.csv").is_file(), table_id
        found.append(ids)
    return found


# ---- unit tests ----------------------------------------------------------------------------------

def test_a_table_keeps_numbers_as_numbers_and_says_why_a_figure_is_missing():
    frame = pd.DataFrame({"Ward": ["River", "Strood"], "Crimes (count)": pd.array([12, pd.NA], dtype="Int64"),
                          "Rate per 1,000 residents": [1.5, float("nan")]})
    table = DataTable("crime_wards", "Top wards", frame)
    assert table.frame.iloc[0].tolist() == ["River", 12, 1.5]
    assert type(table.frame.iloc[0, 1]) is int and type(table.frame.iloc[0, 2]) is float
    assert table.frame.iloc[1].tolist() == ["Strood", NOT_AVAILABLE, NOT_AVAILABLE]
    assert table.shorthand_used == [NOT_AVAILABLE]
    back = DataTable.from_json(json.loads(json.dumps(table.as_json())))
    assert back.frame.to_numpy().tolist() == table.frame.to_numpy().tolist()



def test_a_sections_tables_are_read_once_and_each_reader_gets_its_own_copy(tmp_path, monkeypatch):
    """The document and the workbook both read every section's tables: the file is read and its
    cells checked once while it is unchanged, and what one reader changes the other never sees."""
    frame = pd.DataFrame({"Ward": ["River", "Strood"], "Crimes (count)": [12, 7]})
    write_tables(tmp_path, "all_crime", [DataTable("crime_wards", "Top wards", frame, notes=["A note."])])
    made = []
    original = DataTable.__post_init__
    monkeypatch.setattr(DataTable, "__post_init__", lambda self: made.append(self.id) or original(self))
    first, second = read_tables(tmp_path, "all_crime"), read_tables(tmp_path, "all_crime")
    assert made == ["crime_wards"]
    assert second[0].frame.equals(first[0].frame) and second[0].notes == first[0].notes == ["A note."]
    first[0].frame.iloc[0, 1] = 99
    first[0].notes.append("Changed by one reader.")
    third = read_tables(tmp_path, "all_crime")[0]
    assert third.frame.iloc[0, 1] == 12 and third.notes == ["A note."]
    # the section runs again and records other figures: they are read
    write_tables(tmp_path, "all_crime", [DataTable("crime_wards", "Top wards", frame.assign(**{"Crimes (count)": [5, 3]}))])
    assert read_tables(tmp_path, "all_crime")[0].frame["Crimes (count)"].tolist() == [5, 3]


def test_number_formats_name_every_column_of_a_format_once():
    """Thousands separators and the decimals a column holds; columns of one format are one entry."""
    from csp_assessment.report.workbook import _number_formats

    frame = pd.DataFrame({"Ward": ["River", "Strood"], "Crimes (count)": [1234, 7], "Rate": [1.25, 2.5],
                          "Previous (count)": [99, NOT_AVAILABLE], "Year": [2016, 2017]})
    table = DataTable("crime_wards", "Top wards", frame, formats={"Year": "0"})
    assert _number_formats(table) == [
        {"column": {"columns": ["Crimes (count)", "Previous (count)"], "format": {"num_format": "#,##0"}}},
        {"column": {"columns": ["Rate"], "format": {"num_format": "#,##0.00"}}},
        {"column": {"columns": ["Year"], "format": {"num_format": "0"}}}]

@pytest.mark.parametrize("table_id", ["Crime", "crime spc", "1crime", "x" * 32])
def test_a_table_id_names_a_worksheet(table_id):
    with pytest.raises(ValueError, match="table id"):
        DataTable(table_id, "Title", pd.DataFrame({"A": [1]}))


def test_a_cell_without_a_letter_or_digit_is_refused():
    """gptables refuses such cells too: a lone '-' or '%' tells a screen reader nothing."""
    with pytest.raises(ValueError, match="Unit.*'%'"):
        DataTable("latest", "Title", pd.DataFrame({"Unit": ["%"], "Value": [1.0]}))


def test_period_labels_keep_their_years_whole():
    """GSS dates: 'to', not a dash, and never a shortened year."""
    assert short_period_label("Apr 16 – Mar 17") == "Apr 2016 to Mar 2017"
    assert short_period_label("Jan 22") == "Jan 2022"
    assert short_period_label("2016/17") == "2016/17"


def test_a_data_link_names_the_table_and_leads_to_the_workbook_and_the_csv():
    html = data_link(["crime_spc", "crime_spc", "asb_spc"], 2017)
    assert html.count('class="csp-table-id"') == 2
    assert 'href="strategic-assessment-2017-tables.xlsx"' in html and 'href="tables/asb_spc.csv"' in html
    assert "Data: table" in html and data_link([], 2017) == ""
    assert ids_in_html(f"<table {table_attributes(['crime_wards', 'crime_summary'])}>") == ["crime_wards",
                                                                                              "crime_summary"]


@pytest.fixture
def small_report(tmp_path) -> tuple[Path, object]:
    """A report folder holding one section's findings and recorded tables, as a run leaves them."""
    config = load_config(2017, processed_dir=tmp_path / "processed", out_dir=tmp_path / "reports")
    findings = tmp_path / "report" / "findings"
    findings.mkdir(parents=True)
    (findings / "asb.json").write_text(json.dumps({
        "section": "asb", "count": 7077, "period": "Apr 16 – Mar 17", "comparison_period": "Apr 15 – Mar 16",
        "rate_per_1000": 25.4, "previous_count": 8978, "change": -1901, "change_pct": -21.2, "period_months": 12,
        "spc_series": "Anti-social behaviour", "spc_latest_month": "Mar 17",
        "spc_signals": {"Anti-social behaviour": {"variation": "common cause"}},
        "data_notes": ["Wards are 2017 wards."]}))
    wards = pd.DataFrame({"Rank": [1, 2], "Ward": ["River", "Strood"], "ASB incidents (count)": [743, CONFIDENTIAL],
                          "Rate per 1,000 residents": [61.32, CONFIDENTIAL]})
    trend = pd.DataFrame({"12-month period": ["Apr 2015 to Mar 2016", "Apr 2016 to Mar 2017"],
                          "ASB incidents (count)": [8978, 7077], "Note": ["none", NOT_APPLICABLE]})
    write_tables(findings, "asb", [
        DataTable("asb_wards", "Top wards by ASB incidents, Medway, Apr 2016 to Mar 2017", wards,
                  description="Hotspots", source="data.police.uk", units={"ASB incidents (count)": "count"},
                  shorthand={CONFIDENTIAL: "confidential: fewer than 5 incidents"}),
        DataTable("asb_trend", "ASB incidents per 12-month period, Medway", trend, source="data.police.uk")])
    return tmp_path / "report", config


def test_the_workbook_follows_the_guidance_and_the_csvs_match_it(small_report):
    report_dir, config = small_report
    paths = write_workbook(report_dir, config, [SECTIONS["asb"]], report_dir / "findings", None, [], demo=True,
                           draft=[], generated_at=datetime(2017, 6, 1, tzinfo=timezone.utc))
    assert paths["xlsx"].name == "strategic-assessment-2017-tables.xlsx"
    tables = check_workbook(paths["xlsx"])
    assert list(tables) == ["key_figures", "asb_wards", "asb_trend"]
    header, rows = tables["asb_wards"]
    assert rows == [[1, "River", 743, 61.32], [2, "Strood", "[c]", "[c]"]]
    assert tables["key_figures"][1][0][:3] == ["Anti-social behaviour", "Apr 2016 to Mar 2017", 7077]
    check_csvs(report_dir, tables)
    book = openpyxl.load_workbook(paths["xlsx"])
    cover = " ".join(str(c.value) for c in book["Cover"]["A"] if c.value)
    assert "Synthetic demonstration data" in cover and "Apr 2016 to Mar 2017" in cover
    above = [book["asb_wards"].cell(r, 1).value for r in range(1, 8)]
    assert "[c] = confidential: fewer than 5 incidents" in above
    # thousands separators, and the decimals a column holds
    assert book["asb_wards"]["C8"].number_format == "#,##0" and book["asb_wards"]["D8"].number_format == "#,##0.00"
    notes = [[c.value for c in row] for row in book["Notes"].iter_rows(min_row=4)]
    assert ["Note on the data", "Anti-social behaviour", "Wards are 2017 wards."] in [row[1:] for row in notes]
    assert any(row[1] == "Definition" and row[2] == "ASB" for row in notes)
    assert read_tables(report_dir / "findings", "road_safety") == []  # a section that recorded none


def test_a_link_or_a_note_mark_in_the_data_stays_text(small_report):
    """gptables reads "[words](address)" anywhere as a hyperlink and "$$name$$" as a note reference: a
    ward name from a lookup file must not put a link (javascript: or any) into the published workbook."""
    report_dir, config = small_report
    payload = "River [see details](javascript:alert(document.domain)) $$note$$"
    findings = report_dir / "findings"
    write_tables(findings, "asb", [DataTable("asb_wards", f"Top wards, {payload}", pd.DataFrame(
        {"Ward": [payload], "ASB incidents (count)": [743]}), notes=[payload])])
    paths = write_workbook(report_dir, config, [SECTIONS["asb"]], findings, None, [], demo=False, draft=[],
                           generated_at=datetime(2017, 6, 1, tzinfo=timezone.utc))
    book = openpyxl.load_workbook(paths["xlsx"])
    sheet = book["asb_wards"]
    shown = "River [see details] (javascript:alert(document.domain)) $ $note$ $"
    cells = [c for row in sheet.iter_rows() for c in row if c.value]
    assert not [c for c in cells if c.hyperlink] and not [c for c in cells if "note 1" in str(c.value)]
    assert sheet["A1"].value == f"Top wards, {shown}" and shown in [c.value for c in cells]
    with open(report_dir / "tables" / "asb_wards.csv", newline="", encoding="utf-8") as fh:
        assert list(csv.reader(fh))[1][0] == payload  # the CSV holds the data as it is

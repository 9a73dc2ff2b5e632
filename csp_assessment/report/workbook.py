"""The assessment's tables as a spreadsheet to the government standard, and as CSVs.

``write_workbook`` writes, in the report folder,

- ``strategic-assessment-<year>-tables.xlsx``, made with gptables (the Analysis Function's package
  for the Government Statistical Service's "Releasing statistics in spreadsheets" guidance): a
  cover (title, area, period, publisher, sources, contact, the demonstration-data notice), a
  contents sheet linking every table, a notes sheet (every shorthand, every note on the data the
  document prints, the glossary's definitions), then one table per sheet, each sheet titled in A1
  with what is above the table in column A: no merged cells, no blank rows or columns in a table,
  numbers stored as numbers, headers that say the unit, missing figures as shorthand;
- ``tables/<table id>.csv``: each table as UTF-8 CSV with the same headers and cells, with
  ``tables/metadata.json`` (CSV on the Web: every file's title, columns, types and units) and
  ``tables/README.md`` (the same for people).

The tables come from what each section recorded as it ran (findings/tables/<section>.json, see
data_tables.py) and, for the document's own tables (key figures, priorities, data sources), from
the same findings, priorities and inputs the document is made from. gptables writes .xlsx only
(XlsxWriter): no .ods is written; LibreOffice converts the workbook where an .ods is wanted.
"""

from __future__ import annotations

import json
import copy
import math
import re
import warnings
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd

from .. import store
from ..config import RunConfig
from ..display.findings import read_findings
from ..sections import SectionSpec
from ..stats.priorities import SCALE_OF
from .summaries import GLOSSARY, PUBLISHERS, consecutive, has_figures, indicator_level, month_range, source_groups
from ..display.data_tables import (NOT_APPLICABLE, NOT_AVAILABLE, SHORTHAND, TABLES_DIR, UNIT_WORDS, DataTable, number,
                          numbers, period_label, read_tables, short_period_label, workbook_name)

# Tables the document makes itself (the sections record theirs): their ids, stable from run to run.
KEY_FIGURES, PRIORITIES, PRIORITY_SCORES, PRIORITY_EVIDENCE, PRIORITY_PROGRESS, DATA_SOURCES = (
    "key_figures", "priorities", "priority_scores", "priority_evidence", "priority_progress", "data_sources")
NOTES = "notes"  # the Notes sheet, also written as tables/notes.csv
METADATA = "metadata.json"
LANGUAGE = "en-GB"
MAX_WIDTH = 60  # characters: longer text wraps in its cell
LINE_HEIGHT = 16  # points: a line of 12-point Arial, gptables' theme
# A column's width is counted in the default font's digits; a line of 12-point Arial text holds
# about this many characters per unit (measured on the cover and contents, Excel and LibreOffice).
CHARACTERS_PER_UNIT = 1.05
NO_FORMULAS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


# ---- the document's own tables -------------------------------------------------------------------

def key_figures_data(config: RunConfig, specs: list[SectionSpec], findings: dict[str, dict]) -> DataTable:
    """The overview's key figures: per section, its level, rate, change and latest SPC signal."""
    rows = []
    for spec in specs:
        found = findings.get(spec.key)
        if not found or not has_figures(found):
            continue
        if "count" in found:
            series = found.get("spc_series") or ("All crime" if spec.record_kind == "crime" else "Anti-social behaviour")
            signal = found.get("spc_signals", {}).get(series, {})
            rows.append({"Section": spec.title, "Period": short_period_label(found["period"]),
                         "Records (count)": number(found["count"], 0),
                         "Rate per 1,000 residents": number(found.get("rate_per_1000")),
                         "Months the rate covers (count)": number(found.get("period_months"), 0),
                         "Comparison period": short_period_label(found.get("comparison_period", "")),
                         "Records in the comparison period (count)": number(found.get("previous_count"), 0),
                         "Change (count)": number(found.get("change"), 0),
                         "Change (%)": number(found.get("change_pct")),
                         "Latest month, SPC series": series if signal else NOT_APPLICABLE,
                         "Latest month, SPC": signal.get("variation", NOT_APPLICABLE),
                         "Summary (indicator sections)": NOT_APPLICABLE})
        else:
            rows.append({"Section": spec.title, "Period": short_period_label(found.get("period", "")),
                         "Summary (indicator sections)": indicator_level(found)})
    frame = pd.DataFrame(rows)
    frame = frame.astype(object).where(frame.notna(), NOT_APPLICABLE)
    return DataTable(KEY_FIGURES, f"Key figures by section, {config.area_name}, {period_label(config.period)}", frame,
                     description="The overview's key figures: each section's level, rate, annual change and what SPC "
                                 "shows in the latest month",
                     source="Every section of this assessment",
                     units={"Rate per 1,000 residents": "per 1,000 residents"},
                     notes=["Police records (crime, ASB, violence): counts, rates and changes; the indicator sections "
                            "are summarised in words, their figures in their own tables."],
                     shorthand={NOT_APPLICABLE: "not applicable: an indicator section has no count of police records, "
                                                "and a section of police records no summary in words",
                                NOT_AVAILABLE: "not available: no population for the rate, or the comparison period "
                                               "is not fully in the data"})


def priority_tables(priorities) -> list[DataTable]:
    """The ranking (results), the partnership's scores (inputs), how each evidence score was worked
    out, and progress on last year's priorities."""
    assessment = priorities.assessment
    table = assessment.table
    results = pd.DataFrame({
        "Rank": numbers(table["rank"], 0, NOT_APPLICABLE), "Theme": table["theme"], "Status": table["status"],
        "Risk score": numbers(table["risk_score"], 3, NOT_APPLICABLE),
        "Harm (0 to 4)": numbers(table["harm"], 3, NOT_APPLICABLE),
        "Evidence score, likelihood (0 to 4)": numbers(table["likelihood"], 3),
        "Confidence (1 to 4)": numbers(table["confidence"], 3, NOT_APPLICABLE),
        "Capacity and capability (1 to 4)": numbers(table["organisational_position"], 3, NOT_APPLICABLE),
        "Confidence factor": numbers(table["confidence_factor"], 3, NOT_APPLICABLE),
        "Organisational factor": numbers(table["organisational_factor"], 3, NOT_APPLICABLE),
        "Scores left blank": ["; ".join(u) if u else "none" for u in table["unscored"]],
        "What drove it": ["; ".join(d) if d else "none" for d in table["drivers"]]})
    basis = "evidence for priority setting, not a ranking" if assessment.evidence_only else "ranked by risk"
    found = [DataTable(PRIORITIES, f"Priority themes: scores and ranking ({basis})", results,
                       description="Each theme's risk score (harm × likelihood × confidence factor × organisational "
                                   "factor), its parts, rank and what drove it",
                       source="This assessment's figures and the partnership's priority scores",
                       notes=["Risk score = harm × likelihood × confidence factor × organisational factor (MoRiLE-"
                              "style); the method is in the document's annex on how priorities are scored."],
                       shorthand={NOT_APPLICABLE: "not applicable: the theme is not ranked (not scored by the "
                                                  "partnership, or no data)",
                                  NOT_AVAILABLE: "not available: no measure in this run's data evidences the theme"})]
    workings = []
    for theme in table.itertuples():
        for measure in theme.measures:
            workings.append({"Theme": theme.theme, "Measure": measure["measure"],
                             "Police records (count)": number(measure["records"], 0, NOT_APPLICABLE),
                             "Share of the theme's score (%)": number(100 * measure["share"], 2),
                             "Measure's score (0 to 4)": number(measure["score"], 3),
                             "Theme's evidence score (0 to 4)": number(theme.likelihood, 3)})
    if workings:
        found.append(DataTable(PRIORITY_EVIDENCE, "How each theme's evidence score was worked out, by measure",
                               pd.DataFrame(workings),
                               description="The priority scoring's inputs from the data: each linked measure's score "
                                           "and its share of its theme's evidence score",
                               source="This assessment's figures",
                               shorthand={NOT_APPLICABLE: "not applicable: an indicator, not a count of police "
                                                          "records"}))
    scores = _scores_supplied(priorities)
    if scores is not None:
        found.append(scores)
    if priorities.has_progress:
        found.append(_progress_data(priorities.progress))
    return found


def _scores_supplied(priorities) -> DataTable | None:
    """The partnership's judged scores by theme, as its scoring file gave them (the ranking's inputs)."""
    scores = priorities.scores
    if scores is None or scores.empty:
        return None
    settings = priorities.assessment.settings
    labels = {t.key: t.label for t in settings.themes}
    frame = pd.DataFrame({"Theme": [labels.get(k, k) for k in scores["theme"]]})
    for column, scale in SCALE_OF.items():
        if column in scores.columns:
            low, high = settings.scales[scale]
            frame[f"{column.replace('_', ' ').capitalize()} ({low:g} to {high:g})"] = numbers(scores[column])
    return DataTable(PRIORITY_SCORES, "The partnership's priority scores by theme, as supplied", frame,
                     description="The partnership's judgement of each theme (harm, confidence, capacity and "
                                 "capability), the ranking's inputs",
                     source="The partnership's priority scoring file",
                     shorthand={NOT_AVAILABLE: "not available: left blank by the partnership (counted as the middle "
                                               "of its scale, and the theme's ranking is provisional)"})


def _progress_data(progress: pd.DataFrame) -> DataTable:
    frame = pd.DataFrame({
        "Priority": progress["priority"], "Measure": progress["measure"],
        "Unit": progress["unit"].fillna("").map(lambda u: UNIT_WORDS.get(u, u)),
        "Previous period": [short_period_label(p) if isinstance(p, str) else NOT_AVAILABLE
                            for p in progress["previous_period"]],
        "Previous value": numbers(progress["previous_value"], 3),
        "Current period": [short_period_label(p) if isinstance(p, str) else NOT_AVAILABLE
                           for p in progress["current_period"]],
        "Current value": numbers(progress["current_value"], 3),
        "Change (in the unit)": numbers(progress["change"], 3),
        "Change (%)": numbers(progress["change_pct"], 2),
        "Target": numbers(progress["target"], 3, NOT_APPLICABLE),
        "Better": progress["better"].fillna(NOT_APPLICABLE),
        "Status": progress["status"]})
    return DataTable(PRIORITY_PROGRESS, "Progress on last year's priorities, by measure", frame,
                     description="Each previous priority's measures: previous and current value, change, target and "
                                 "whether it was met",
                     source="This assessment's figures; last year's priorities and targets (params)",
                     notes=["Values, changes and targets are in the unit of the Unit column."],
                     shorthand={NOT_AVAILABLE: "not available: the measure has no earlier figure, or is not in this "
                                               "run's figures",
                                NOT_APPLICABLE: "not applicable: no target set, or no direction given for it"})


def data_sources_data(inputs: list[dict], police_force: str = "") -> DataTable:
    """Annex D's table: the files read, grouped by publisher and kind, with rows used and set aside."""
    rows = []
    reasons = sorted({why for group in source_groups(inputs, police_force) for why in group["set_aside"]})
    for group in sorted(source_groups(inputs, police_force), key=lambda g: g["rows_used"] is None):
        counted = group["rows_used"] is not None
        row = {"Publisher and data": group["publisher"], "Files (count)": len(group["files"]),
               "First file": group["files"][0], "Last file": group["files"][-1],
               "Period covered": ("; ".join(month_range(*r).replace(" – ", " to ") for r in
                                            consecutive(group["months"])) if group["months"] else "as published"),
               "Rows used (count)": group["rows_used"] if counted else NOT_APPLICABLE}
        for why in reasons:
            row[f"Rows set aside: {why} (count)"] = group["set_aside"].get(why, 0) if counted else NOT_APPLICABLE
        rows.append(row)
    frame = pd.DataFrame(rows)
    return DataTable(DATA_SOURCES, "Files read by this run, by publisher and kind of data", frame,
                     description="The inputs: files, the months they cover, rows used and rows set aside (with why)",
                     source="The run's manifest (manifest.json lists every file with its size and SHA-256)",
                     shorthand={NOT_APPLICABLE: "not applicable: rows are counted in data.police.uk's files only; "
                                                "other files are used as published"})


def notes_table(config: RunConfig, specs: list[SectionSpec], findings: dict[str, dict],
                tables: list[DataTable]) -> pd.DataFrame:
    """The Notes sheet: every shorthand used, every note on the data the document prints (with the
    sections it applies to), and the glossary's definitions."""
    rows = []
    used = {mark for t in tables for mark in t.shorthand_used}
    for mark in SHORTHAND:
        if mark in used:
            rows.append(("shorthand_" + mark.strip("[]"), "Shorthand", mark,
                         f"{mark} = {SHORTHAND[mark].format(small=config.suppression_threshold - 1)}. Each table "
                         "says above it what the shorthand means there."))
    applies: dict[str, list[str]] = {}  # in report order: a note several sections print is listed once
    for spec in specs:
        for note in findings.get(spec.key, {}).get("data_notes", []):
            applies.setdefault(note, []).append(spec.title)
    for i, (note, where) in enumerate(applies.items(), start=1):
        rows.append((f"data_{i}", "Note on the data", "; ".join(where), note))
    for term, meaning in GLOSSARY.items():
        rows.append((f"term_{re.sub(r'[^a-z0-9]+', '_', term.lower())}", "Definition", term, meaning))
    return pd.DataFrame(rows, columns=["Note reference", "Type of note", "Term or section", "Note text"])


# ---- assembling and writing ----------------------------------------------------------------------

def assemble(config: RunConfig, specs: list[SectionSpec], findings_dir: Path, findings: dict[str, dict],
             priorities, inputs: list[dict]) -> list[DataTable]:
    """Every table of the workbook in the document's order: key figures, the sections' (in report
    order), the priorities', the data sources."""
    tables = [key_figures_data(config, specs, findings)]
    for spec in specs:
        tables += read_tables(findings_dir, spec.key)
    if priorities is not None:
        tables += priority_tables(priorities)
    tables.append(data_sources_data(inputs, config.police_force))
    seen: set[str] = set()
    unique = []
    for table in tables:  # a table two sections record (none today) is written once
        if table.id not in seen and not table.frame.empty:
            seen.add(table.id)
            unique.append(table)
    return unique


def write_workbook(report_dir: Path, config: RunConfig, specs: list[SectionSpec], findings_dir: Path,
                   priorities, inputs: list[dict], *, demo: bool, draft: list[str], generated_at: datetime,
                   ) -> dict[str, Path]:
    """Write the workbook and the CSVs into ``report_dir`` (the run's staging folder): returns
    {"xlsx": path, "tables": folder}."""
    findings = read_findings(findings_dir)
    tables = assemble(config, specs, findings_dir, findings, priorities, inputs)
    notes = notes_table(config, specs, findings, tables)
    xlsx = Path(report_dir) / workbook_name(config.year)
    store.atomic_write(xlsx, lambda tmp: _write_xlsx(tmp, config, tables, notes, inputs, demo=demo, draft=draft,
                                                      generated_at=generated_at))
    folder = Path(report_dir) / TABLES_DIR
    write_csvs(folder, config, tables, notes, demo=demo)
    return {"xlsx": xlsx, "tables": folder}


def _cover(config: RunConfig, inputs: list[dict], *, demo: bool, draft: list[str], generated_at: datetime):
    import gptables as gpt  # here: gptables (with XlsxWriter) is needed only when the workbook is written

    partnership = config.partnership or f"{config.area_name} Community Safety Partnership"
    intro = [f"The figures behind {partnership}'s {config.title} for {config.area_name}, assessment period "
             f"{period_label(config.period)}: one table per worksheet. Each worksheet is named by its table id, which "
             "the document prints under the table or chart whose data it holds."]
    if demo:
        intro.append("Synthetic demonstration data: every figure here comes from the project's demo-data generator "
                     "and describes no real place.")
    if draft:
        intro.append("Draft: the document is not yet agreed by the partnership (still to come: " + "; ".join(draft)
                     + ").")
    publishers = list(dict.fromkeys(PUBLISHERS.get(entry["kind"], entry["kind"]) for entry in inputs))
    about = [f"Area: {config.area_name} ({', '.join(config.area_codes)}).",
             f"Assessment period: {period_label(config.period)}; compared with {period_label(config.comparison)}.",
             f"Produced by {partnership} on {generated_at.strftime('%d %B %Y').lstrip('0')}.",
             "Sources: " + "; ".join(publishers) + ".",
             "Some cells hold shorthand instead of a figure: [c] confidential (a small count suppressed, as in the "
             f"document: counts from 1 to {config.suppression_threshold - 1} for wards, with the figures that would "
             "give them back), [x] not available, [z] not applicable. The notes worksheet explains each, and every "
             "note on the data.",
             "Every table is also a CSV file (UTF-8) in the tables folder beside this workbook, described in "
             f"tables/{METADATA} (CSV on the Web) and tables/README.md.",
             "The figures are computed by the open csp_assessment pipeline from the publishers' files as released; "
             "manifest.json beside this workbook lists every file read."]
    contact = [config.contact or partnership]
    return gpt.Cover(title=_plain_text(f"{config.title}: tables, {config.area_name}, {period_label(config.period)}"),
                     intro=[_plain_text(t) for t in intro], about=[_plain_text(t) for t in about],
                     contact=[_plain_text(t) for t in contact], cover_label="Cover", width=90)


def _plain_text(value):
    """A string as gptables writes it: as text. gptables reads "[words](address)" in any cell or line
    as a hyperlink (an address in a ward's name from a lookup file would become a link in the
    published workbook) and "$$name$$" as a note reference; a space keeps such text as it reads."""
    if not isinstance(value, str):
        return value
    return value.replace("](", "] (").replace("$$", "$ $")


def _theme():
    """gptables' theme (Arial 12, automatic colours, bold headings), with wrapped text at the top of
    its cell: a row made tall for its longest cell reads from the top in every other cell."""
    import gptables as gpt  # here: gptables (with XlsxWriter) is needed only when the workbook is written

    theme = copy.deepcopy(gpt.gptheme)
    theme.apply_config({"data": {"valign": "top"}, "cover_text": {"valign": "top"}, "index_2": {"valign": "top"}})
    return theme


def _gptable(table: DataTable, small: int):
    import gptables as gpt  # here: gptables (with XlsxWriter) is needed only when the workbook is written

    legend = [_plain_text(f"{mark} = {table.meaning(mark, small)}") for mark in table.shorthand_used]
    instructions = ("This worksheet contains one table" + (", with shorthand explained below" if legend else "")
                    + ". Notes on the data are on the notes worksheet.")
    # Column A above the table: title, what it holds, how to read the sheet, the shorthand, source, notes.
    return gpt.GPTable(table=table.frame.map(_plain_text), table_name=table.id, title=_plain_text(table.title),
                       subtitles=[_plain_text(table.description)] if table.description else [],
                       instructions=instructions, legend=legend,
                       # the contents list every table's source (gptables fails on a table without one)
                       source=_plain_text(f"Source: {table.source or 'this assessment'}."),
                       scope=_plain_text(" ".join(table.notes)) or None, index_columns={},
                       additional_formatting=_number_formats(table))


def _number_formats(table: DataTable) -> list[dict]:
    """Thousands separators and as many decimals as the column holds (at most 3); a column's own
    format (years: "0") where given. One entry per format, naming all its columns: gptables applies
    each entry to its cells in one pass of pandas operations, whatever the number of columns."""
    by_format: dict[str, list[str]] = {}
    for column in table.frame.columns:
        values = [v for v in table.frame[column] if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if column in table.formats:
            fmt = table.formats[column]
        elif not values:
            continue
        else:
            decimals = max((len(f"{v:.3f}".rstrip("0").split(".")[1]) for v in values if isinstance(v, float)),
                           default=0)
            fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
        by_format.setdefault(fmt, []).append(column)
    return [{"column": {"columns": columns, "format": {"num_format": fmt}}} for fmt, columns in by_format.items()]


def _widths(frame: pd.DataFrame) -> list[int]:
    """Column widths in characters: the longest word of the header, the longest cell, wrapped at MAX_WIDTH."""
    widths = []
    for column in frame.columns:
        cells = [len(f"{v:,}") if isinstance(v, (int, float)) else len(str(v)) for v in frame[column]]
        longest = max([max((len(w) for w in str(column).split()), default=0), min(len(str(column)), 24), *cells])
        widths.append(max(8, min(MAX_WIDTH, longest + 3)))
    return widths


def _lines(text, width: int) -> int:
    """How many lines a cell's text wraps to in a column ``width`` characters wide (a generous guess)."""
    per_line = max(1, int(width * CHARACTERS_PER_UNIT))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))


def _fit(sheet, first_row: int, frame: pd.DataFrame, widths: list[int]) -> None:
    """Rows tall enough for their wrapped text (header row at ``first_row``, data below it). Excel
    fits rows on opening, other spreadsheets (LibreOffice) keep the stored height: the guidance asks
    that all text in a table be visible."""
    rows = [list(frame.columns), *frame.to_numpy().tolist()]
    for i, row in enumerate(rows):
        lines = max((_lines(v, w) for v, w in zip(row, widths) if isinstance(v, str)), default=1)
        if lines > 1:
            sheet.set_row(first_row + i, LINE_HEIGHT * lines)


def _write_xlsx(path: Path, config: RunConfig, tables: list[DataTable], notes: pd.DataFrame, inputs: list[dict], *,
                demo: bool, draft: list[str], generated_at: datetime) -> None:
    import gptables as gpt  # here: gptables (with XlsxWriter) is needed only when the workbook is written

    sheets = {t.id: _gptable(t, config.suppression_threshold) for t in tables}
    cover = _cover(config, inputs, demo=demo, draft=draft, generated_at=generated_at)
    with warnings.catch_warnings():
        # gptables warns of notes no table references (the notes on the data apply to sections, not cells),
        # and pandas 3.1 of the pandas calls gptables 2.0.2 makes that pandas 4 will drop: its own affair
        warnings.filterwarnings("ignore", module=r"gptables(\.|$)")
        workbook = gpt.produce_workbook(
            filename=str(path), sheets=sheets, theme=_theme(), cover=cover, contentsheet_label="Contents",
            contentsheet_options={"additional_elements": ["subtitles", "source"], "title": "Table of contents",
                                  "column_names": ["Worksheet (table id)", "Table"]},
            notes_table=notes.map(_plain_text), notesheet_label="Notes",
            notesheet_options={"title": "Notes: shorthand, notes on the data and definitions",
                               "instructions": "This worksheet contains one table: every shorthand the tables use, "
                                               "every note on the data the document prints, and the glossary's "
                                               "definitions."},
            auto_width=False, workbook_options=NO_FORMULAS)
    # Where each sheet's table starts (its header row) and what it holds, for widths and heights:
    # the contents and notes sheets have a title and an instructions line above their tables.
    contents = pd.DataFrame({"Worksheet (table id)": [t.id for t in tables],
                             "Table": ["\n".join([t.title, t.description, f"Source: {t.source}."]) for t in tables]})
    laid_out = {"Contents": (2, contents), "Notes": (2, notes.rename(columns={"Note reference": "Note number"}))}
    laid_out |= {t.id: (sheets[t.id].data_range[0], t.frame) for t in tables}
    for sheet in workbook.worksheets():
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)  # printed: as wide as the page, as long as it takes
        if sheet.name == cover.cover_label:
            # the title in 16-point bold fits about 60% of the characters a line of text does
            sheet.set_row(0, 1.4 * LINE_HEIGHT * _lines(cover.title, int(0.6 * cover.width)))
            texts = ["", *cover.intro, "", *cover.about, "", *cover.contact]
            for row, text in enumerate(texts, start=1):
                if _lines(text, cover.width) > 1:
                    sheet.set_row(row, LINE_HEIGHT * _lines(text, cover.width))
        elif sheet.name in laid_out:
            first_row, frame = laid_out[sheet.name]
            widths = _widths(frame)
            for i, width in enumerate(widths):
                sheet.set_column(i, i, width)
            _fit(sheet, first_row, frame, widths)
            sheet.repeat_rows(first_row)  # the header row on every printed page
    workbook.set_properties({"title": f"{config.title}: tables, {config.area_name}",
                             "subject": f"Community safety strategic assessment tables, {period_label(config.period)}",
                             "author": config.partnership or config.area_name,
                             "keywords": "community safety, crime, anti-social behaviour, strategic assessment, "
                                         f"{config.area_name}", "created": generated_at.replace(tzinfo=None)})
    workbook.close()
    _set_language(path)


def _set_language(path: Path) -> None:
    """The document's language in its properties (docProps/core.xml), which the accessibility
    regulations require and XlsxWriter has no option for."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            if info.filename == "docProps/core.xml" and b"<dc:language>" not in data:
                data = data.replace(b"</cp:coreProperties>",
                                    f"<dc:language>{LANGUAGE}</dc:language></cp:coreProperties>".encode())
            target.writestr(info, data)


# ---- the CSVs ------------------------------------------------------------------------------------

def write_csvs(folder: Path, config: RunConfig, tables: list[DataTable], notes: pd.DataFrame, *, demo: bool) -> None:
    """One CSV per table (and the notes), with CSV on the Web metadata and a README."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in tables:
        store.atomic_write(folder / f"{table.id}.csv", lambda tmp, t=table: t.frame.to_csv(
            tmp, index=False, encoding="utf-8", lineterminator="\n"))
    notes_frame = notes.drop(columns=["Note reference"])
    store.atomic_write(folder / f"{NOTES}.csv", lambda tmp: notes_frame.to_csv(tmp, index=False, encoding="utf-8",
                                                                                 lineterminator="\n"))
    store.write_json(folder / METADATA, csvw_metadata(config, tables, notes_frame, demo=demo))
    store.write_text(folder / "README.md", readme(config, tables, demo=demo))


def _datatype(values) -> dict | str:
    numbers_only = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not numbers_only:
        return "string"
    base = "integer" if all(isinstance(v, int) for v in numbers_only) else "decimal"
    return {"base": base}


def _column_name(title: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", title.lower())).strip("_") or "column"


def csvw_metadata(config: RunConfig, tables: list[DataTable], notes: pd.DataFrame, *, demo: bool) -> dict:
    """CSV on the Web (W3C, "Metadata Vocabulary for Tabular Data") for every CSV: title, description,
    columns with their type and unit; shorthand cells are nulls of the numeric columns."""
    def schema(frame: pd.DataFrame, units: dict) -> dict:
        columns, names = [], set()
        for title in frame.columns:
            name = _column_name(title)
            while name in names:
                name += "_"
            names.add(name)
            column = {"name": name, "titles": title, "datatype": _datatype(frame[title])}
            if column["datatype"] != "string":
                column["null"] = [mark for mark in SHORTHAND]
            if title in units:
                column["schema:unitText"] = units[title]
            columns.append(column)
        return {"columns": columns}

    described = [{"url": f"{t.id}.csv", "dc:title": t.title, "dc:description": t.description,
                  "dc:source": t.source, "tableSchema": schema(t.frame, t.units),
                  **({"rdfs:comment": [f"{m} = {t.meaning(m, config.suppression_threshold)}" for m in t.shorthand_used]
                      + list(t.notes)} if t.shorthand_used or t.notes else {})} for t in tables]
    described.append({"url": f"{NOTES}.csv", "dc:title": "Notes: shorthand, notes on the data and definitions",
                      "tableSchema": schema(notes, {})})
    return {"@context": "http://www.w3.org/ns/csvw",
            "dc:title": f"{config.title}: tables, {config.area_name}, {period_label(config.period)}",
            "dc:publisher": config.partnership or config.area_name, "dc:language": LANGUAGE,
            **({"rdfs:comment": "Synthetic demonstration data: the figures describe no real place."} if demo else {}),
            "dialect": {"encoding": "utf-8", "header": True}, "tables": described}


def readme(config: RunConfig, tables: list[DataTable], *, demo: bool) -> str:
    lines = [f"# {config.title}: tables, {config.area_name}, {period_label(config.period)}", "",
             f"One CSV file (UTF-8, comma-separated, a header row) per table of {workbook_name(config.year)}, with "
             f"the same headers and cells. `{METADATA}` describes every file in the W3C's CSV on the Web format.", ""]
    if demo:
        lines += ["**Synthetic demonstration data: the figures describe no real place.**", ""]
    lines += ["Cells that hold no figure hold shorthand (Government Statistical Service): "
              + "; ".join(f"`{m}` {SHORTHAND[m].format(small=config.suppression_threshold - 1)}" for m in SHORTHAND)
              + ". `notes.csv` holds every note on the data and the definitions.", ""]
    for table in tables:
        lines += [f"## {table.id}.csv", "", table.title + ".", ""]
        if table.description:
            lines += [table.description + ".", ""]
        if table.source:
            lines += [f"Source: {table.source}.", ""]
        lines += ["| Column | Type | Unit |", "|---|---|---|"]
        for column in table.frame.columns:
            kind = _datatype(table.frame[column])
            lines.append(f"| {column} | {kind if isinstance(kind, str) else kind['base']} | "
                         f"{table.units.get(column, '')} |")
        for mark in table.shorthand_used:
            lines.append(f"\n`{mark}` here: {table.meaning(mark, config.suppression_threshold)}.")
        lines.append("")
    return "\n".join(lines) + "\n"


def table_ids(report_dir: Path) -> list[str]:
    """The ids of the tables a report's CSV metadata lists (tests and the index)."""
    metadata = json.loads((Path(report_dir) / TABLES_DIR / METADATA).read_text(encoding="utf-8"))
    return [t["url"].removesuffix(".csv") for t in metadata["tables"]]

"""What every section shares: the base class of the sections' notebook API and the display helpers.

A section object is opened by ``sections.open_section(key, ...)`` with the run's settings and the
ingest summary; each notebook cell asks it for one view. Subclasses add their figures and views;
this class gives them the partnership's commentary, the data notes and saving the findings the
summary, the document and the priority scoring read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
from IPython.display import Markdown

from ..config import RunConfig
from ..ingest.folder import IngestSummary
from ..display import charts, narrative, partnership_text
from ..display.data_tables import DataTable, table_attributes, write_tables
from ..display.findings import write_findings
from ..display.text import as_text
from .registry import SectionSpec, section_titles

DEMO_NOTE = ("Synthetic demonstration data: every figure here comes from the project's demo-data generator "
             "and describes no real place.")

def esc(text) -> str:
    """Data and params strings (ward, area and crime type names, notes) shown as text, never as
    markdown, HTML or code: see text.as_text."""
    return as_text(text)


@dataclass
class DataNote:
    text: str
    warning: bool = False


@dataclass(frozen=True)
class MissingInput:
    """An input a section needs that the data folder lacks.

    ``name`` and ``source`` (what it is, who publishes it) go into the reviewers' one "Not yet
    supplied" list; ``steps`` (how to download or fill it in) only into the analysts' report and
    the run log: download steps have no place in a board document."""

    name: str    # "MoJ proven re-offending statistics"
    source: str  # "Ministry of Justice, Proven reoffending statistics (gov.uk)"
    steps: str   # "No MoJ proven re-offending statistics are in the data folder; to add them, download ..."

    def finding(self) -> dict:
        return {"input": self.name, "source": self.source}


def not_supplied_markdown(missing: list[MissingInput]) -> Markdown:
    """For reviewers: which inputs are not yet supplied and who publishes them, one line each."""
    if not missing:
        return Markdown("")
    return Markdown("**Not yet supplied:** " + "; ".join(f"{esc(m.name)} ({esc(m.source)})" for m in missing) + ".")


def missing_steps_markdown(missing: list[MissingInput]) -> Markdown:
    """For analysts: how to add each missing input."""
    return Markdown("\n".join(f"- **Missing input:** {esc(m.steps)}" for m in missing))


def notes_markdown(notes: list[DataNote]) -> Markdown:
    """Data notes as a list for readers, each warning marked as one."""
    return Markdown("\n".join(f"- {'**Warning:** ' if n.warning else ''}{esc(n.text)}" for n in notes))


class Section:
    """One section of the assessment for one area and assessment period."""

    def __init__(self, spec: SectionSpec, config: RunConfig, ingest: IngestSummary):
        self.spec, self.config, self.ingest = spec, config, ingest
        self.key = spec.key

    @cached_property
    def partnership_text(self) -> partnership_text.PartnershipText:
        return partnership_text.for_run(self.config, demo=self.ingest.demo, titles=section_titles())

    def commentary(self, section: str | None = None) -> Markdown:
        """The partnership's own words on this section (its narrative file); nothing when there are none.
        ``section``: another section's key."""
        return Markdown(partnership_text.commentary_block(self.partnership_text, section or self.spec.key))

    def commentary_status(self, section: str | None = None) -> Markdown:
        return Markdown(esc(partnership_text.status_line(self.partnership_text, section or self.spec.key)))

    @property
    def missing_inputs(self) -> list[MissingInput]:
        """The inputs this section needs and the data folder lacks (none by default)."""
        return list(getattr(self, "absent_inputs", []))

    def missing_inputs_note(self) -> Markdown:
        """For reviewers: the inputs not yet supplied and who publishes them."""
        return not_supplied_markdown(self.missing_inputs)

    def missing_inputs_steps(self) -> Markdown:
        """For analysts (a cell tagged analyst_only): how to add each missing input."""
        return missing_steps_markdown(self.missing_inputs)

    def missing_findings(self) -> dict:
        """The findings' record of missing inputs: the steps (run log, analysts) and, for the
        document's "Not yet supplied" list, what each is and who publishes it."""
        return {"missing_inputs": [m.steps for m in self.missing_inputs],
                "not_supplied": [m.finding() for m in self.missing_inputs]}

    def data_notes(self) -> list[DataNote]:
        raise NotImplementedError

    def data_notes_markdown(self) -> Markdown:
        return notes_markdown(self.data_notes())

    def findings(self) -> dict:
        """The key figures the executive summary, the document and the priority scoring read."""
        raise NotImplementedError

    @property
    def table_prefix(self) -> str:
        """What the ids of the section's tables start with: its key, unless it names itself shorter."""
        return self.key

    def table_id(self, what: str) -> str:
        """A table's id, the workbook's sheet name and the CSV's: "crime_spc", "mental_health_latest"."""
        return f"{self.table_prefix}_{what}"

    def tables(self) -> list[DataTable]:
        """The tables behind this section's figures, as the workbook and the CSVs hold them (numbers as
        numbers, small counts suppressed as in the document): an analyst's cell can use them as they are."""
        return []

    def table(self, table_id: str) -> pd.DataFrame:
        """One of :meth:`tables` by its id ("crime_spc"), as a DataFrame."""
        tables = {t.id: t for t in self.tables()}
        if table_id not in tables:
            raise KeyError(f"no table {table_id!r} in this section; its tables: {', '.join(tables) or 'none'}")
        return tables[table_id].frame

    def save_findings(self, findings_dir: str | Path | None) -> Path | None:
        """The findings JSON, and beside it the section's tables (findings/tables/<section>.json) from
        which the run writes the workbook and the CSVs."""
        if not findings_dir:
            return None
        write_tables(findings_dir, self.key, self.tables())
        return write_findings(findings_dir, self.key, self.findings())




def styled_table(frame: pd.DataFrame, formats: dict, caption: str, highlight: list[bool] | None = None,
            text_columns: list[str] | None = None, data: tuple[str, ...] | list[str] = ()):
    """A table for readers: no index, escaped text, thousands separators, missing shown as 'not available'.

    ``text_columns`` are left-aligned (default: every non-numeric column); the rest, numbers
    even when already formatted as text, stay right-aligned. ``data``: the ids of the workbook's
    tables that hold its figures (the document links the table to them)."""
    styler = frame.style.hide(axis="index").format(formats, na_rep=narrative.NOT_AVAILABLE, escape="html")
    styler = styler.set_caption(esc(caption))
    if data:
        styler = styler.set_table_attributes(table_attributes(data))
    # Numbers read best right-aligned (the report stylesheet's default); words left-aligned.
    if text_columns is None:
        text_columns = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if text_columns:
        styler = styler.set_properties(subset=text_columns, **{"text-align": "left"})
    if highlight is not None:
        styler = styler.apply(lambda row: ["font-weight: bold; background-color: #DCE6F0" if highlight[row.name] else ""
                                           for _ in row], axis=1)
    return styler


def show_table(frame: pd.DataFrame, caption: str, decimals: int = 1):
    """Any DataFrame as the report shows tables, for a cell an analyst adds for reviewers: no index
    column, whole numbers with thousands separators, other numbers to ``decimals`` places, missing
    as "not available", the caption above. A DataFrame displayed as it is stays in the analyst HTML
    (report/export.py), so reviewers never see an index column or 346.375618."""
    if any(name is not None for name in frame.index.names):  # a named index (a groupby's) holds data
        frame = frame.reset_index()
    frame = frame.reset_index(drop=True)  # highlight and row styles look rows up from 0
    formats = {}
    for column in frame.columns:
        if pd.api.types.is_integer_dtype(frame[column]):
            formats[column] = "{:,}"
        elif pd.api.types.is_float_dtype(frame[column]):
            formats[column] = f"{{:,.{decimals}f}}"
    return styled_table(frame, formats, caption)


def use_vector_charts() -> None:
    """Charts display as SVG (sharp in print and in the PDF) with alt text generated from the
    chart; only meaningful inside a notebook kernel."""
    try:
        from IPython import get_ipython
        from matplotlib.figure import Figure
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - IPython ships with the kernel
        return
    shell = get_ipython()
    if shell is not None:
        set_matplotlib_formats("svg")
        shell.display_formatter.formatters["image/svg+xml"].for_type(Figure, charts.svg_with_alt)

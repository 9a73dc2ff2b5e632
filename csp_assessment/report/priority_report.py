"""The priorities as the reviewers' document shows them: HTML made from stats/priorities.py's results.

``build_priority_report(config, findings_dir)`` reads the run's findings and the partnership's
scores (as the ingest stored them) and returns a :class:`PriorityReport` whose parts the document
places: the ranked table and risk-versus-capacity chart (executive summary), the progress table
(progress on existing priorities) and the method (an annex). Every string from data or params is
escaped: nothing in a theme's or measure's name can become markup.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

import mistune
import pandas as pd

from .charts import svg_with_alt
from ..config import RunConfig
from .findings import read_findings
from ..stats.priorities import (PROVISIONAL, PriorityAssessment, assess_priorities, load_priority_scores,
                         methodology_markdown, progress_on_priorities, progress_table_for_readers,
                         ranked_table_for_readers, risk_capacity_chart)
from .text import as_text

# escape=True: a theme label in params is shown as text, never as markup.
_markdown = mistune.create_markdown(escape=True, plugins=["table"])


def _e(value) -> str:
    return as_text(value)  # as the rest of the document shows data and params strings


def _table(frame: pd.DataFrame, caption: str, css: str) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(f'<td class="csp-text">{"<br>".join(_e(line) for line in str(v).split(chr(10)))}'
                                    "</td>" for v in row) + "</tr>" for row in frame.itertuples(index=False))
    return (f'<table class="{css}"><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table>")


@dataclass
class PriorityReport:
    assessment: PriorityAssessment
    progress: pd.DataFrame
    settings: dict = field(default_factory=dict)

    @property
    def has_progress(self) -> bool:
        return not self.progress.empty

    def summary_html(self) -> str:
        """The ranked priorities with what drove each, a provisional notice where the partnership
        has not scored, and the risk-versus-capacity chart (with its alt text)."""
        assessment = self.assessment
        notice = ""
        if assessment.provisional:
            notice = (f'<p class="csp-provisional"><strong>Provisional:</strong> {_e(PROVISIONAL)} for the themes so '
                      "marked; their ranking rests on the computed evidence alone.</p>")
        table = _table(ranked_table_for_readers(assessment).drop(columns=["Harm", "Likelihood", "Confidence",
                                                                          "Capacity and capability"]),
                       "Ranked priorities (MoRiLE-style risk score; method in the annex)", "csp-priorities")
        chart = ""
        if assessment.ranked["theme_key"].map(assessment.position_scored).fillna(False).any():
            svg, metadata = svg_with_alt(risk_capacity_chart(assessment))
            data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
            chart = (f'<figure class="csp-figure"><img alt="{_e(metadata["alt"])}" '
                     f'src="data:image/svg+xml;base64,{data}"></figure>')
        return f"<h2>Priorities</h2>{notice}{table}{chart}"

    def progress_html(self) -> str:
        """Per previous priority, each measure's previous and current value, change, target and
        status, then the one-line readings."""
        if not self.has_progress:
            return ""
        table = _table(progress_table_for_readers(self.progress), "Progress on last year's priorities",
                       "csp-progress")
        readings = "".join(f"<li>{_e(r)}</li>" for r in self.progress["reading"])
        return f'{table}<ul class="csp-progress-readings">{readings}</ul>'

    def as_json(self) -> dict:
        """The ranking and the progress as plain data (priorities.json in the report folder)."""
        table = self.assessment.table.astype(object).where(self.assessment.table.notna(), None)
        return {"provisional": self.assessment.provisional, "scored_by_partnership": self.assessment.scored,
                "ranked": table.to_dict(orient="records"),
                "progress": self.progress.astype(object).where(self.progress.notna(), None).to_dict(orient="records"),
                "notes": list(self.assessment.notes)}

    def method_html(self) -> str:
        notes = "".join(f"<li>{_e(n)}</li>" for n in self.assessment.notes)
        return _markdown(methodology_markdown(self.assessment.settings)) + (
            f"<h3>Measures not found in this run</h3><ul>{notes}</ul>" if notes else "")


def build_priority_report(config: RunConfig, findings_dir: str | Path) -> PriorityReport | None:
    """The run's priority report; None when params hold no ``priorities`` block."""
    if not config.priorities:
        return None
    findings = read_findings(findings_dir)
    assessment = assess_priorities(findings, load_priority_scores(config.processed_dir), config.priorities)
    return PriorityReport(assessment, progress_on_priorities(findings, config.previous_priorities), config.priorities)

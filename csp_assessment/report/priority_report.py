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
from ..stats.priorities import (PriorityAssessment, assess_priorities, evidence_table_for_readers, evidence_workings,
                                load_priority_scores, methodology_markdown, no_data_for_readers, progress_on_priorities,
                                progress_table_for_readers, ranked_table_for_readers, risk_capacity_chart)
from .text import as_text
from .workbook import PRIORITIES, PRIORITY_EVIDENCE, PRIORITY_PROGRESS, PRIORITY_SCORES

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
    scores: pd.DataFrame | None = None  # the partnership's scores as supplied (the workbook's inputs table)

    @property
    def has_progress(self) -> bool:
        return not self.progress.empty

    def summary_html(self, links=lambda ids: "") -> str:
        """The executive summary's priorities. With themes scored by the partnership: the ranking
        with what drove each (and a notice where some scores are blank), the themes not yet scored
        apart with their evidence, and the risk-versus-capacity chart. With none scored: evidence
        for priority setting, not a ranking. Either way, themes with no data are listed apart as
        "no data supplied"."""
        assessment = self.assessment
        if assessment.evidence_only:
            parts = ["<h2>Evidence for priority setting</h2>",
                     "<p>The partnership has not yet scored any theme, so this is not a ranking of risk. The table "
                     "gives how strongly this assessment's figures evidence each theme (0 to 4, from their volume, "
                     "rate against other areas, direction and SPC signals; the annex on how priorities are scored "
                     "shows how), strongest first. "
                     "The partnership's priorities follow when it adds its judgement of harm, vulnerability, public "
                     "concern, confidence in the data and its capacity to act (its priority scoring file).</p>",
                     _table(evidence_table_for_readers(assessment), "Evidence for priority setting (not a ranking of "
                            "risk; method in the annex)", "csp-priorities csp-priority-evidence"),
                     links([PRIORITIES, PRIORITY_EVIDENCE])]
        else:
            parts = ["<h2>Priorities</h2>"]
            if assessment.provisional:
                parts.append('<p class="csp-provisional"><strong>Provisional:</strong> some of the partnership\'s '
                             "scores are blank for the themes so marked; each blank counts as the middle of its "
                             "scale until it is scored.</p>")
            parts.append(_table(ranked_table_for_readers(assessment).drop(
                columns=["Harm", "Likelihood", "Confidence", "Capacity and capability"]),
                "Ranked priorities (MoRiLE-style risk score; method in the annex)", "csp-priorities"))
            parts.append(links([PRIORITIES, PRIORITY_SCORES]))
            if not assessment.unscored_themes.empty:
                parts += ["<h3>Not yet scored by the partnership</h3>",
                          "<p>These themes are not ranked: the partnership has not scored them. Their evidence "
                          "from this assessment's figures (0 to 4) is given for when it does.</p>",
                          _table(evidence_table_for_readers(assessment), "Themes not yet scored: evidence only",
                                 "csp-priorities csp-priority-evidence"), links([PRIORITIES, PRIORITY_EVIDENCE])]
            if assessment.ranked["theme_key"].map(assessment.position_scored).fillna(False).any():
                svg, metadata = svg_with_alt(risk_capacity_chart(assessment))
                data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
                parts.append(f'<figure class="csp-figure"><img alt="{_e(metadata["alt"])}" '
                             f'src="data:image/svg+xml;base64,{data}">{links([PRIORITIES])}</figure>')
        missing = no_data_for_readers(assessment)
        if missing:
            parts += ["<h3>No data supplied</h3>",
                      "<p>No figure in this assessment's data speaks to these themes, so they are neither ranked nor "
                      "judged low: the data say nothing about them either way.</p>",
                      '<ul class="csp-no-data">' + "".join(f"<li>{_e(line)}</li>" for line in missing) + "</ul>"]
        return "".join(parts)

    def progress_html(self, links=lambda ids: "") -> str:
        """Per previous priority, each measure's previous and current value, change, target and
        status, then the one-line readings."""
        if not self.has_progress:
            return ""
        table = _table(progress_table_for_readers(self.progress), "Progress on last year's priorities",
                       "csp-progress")
        readings = "".join(f"<li>{_e(r)}</li>" for r in self.progress["reading"])
        return f'{table}{links([PRIORITY_PROGRESS])}<ul class="csp-progress-readings">{readings}</ul>'

    def as_json(self) -> dict:
        """The ranking and the progress as plain data (priorities.json in the report folder)."""
        table = self.assessment.table.astype(object).where(self.assessment.table.notna(), None)
        return {"basis": "evidence for priority setting" if self.assessment.evidence_only else "ranked by risk",
                "provisional": self.assessment.provisional, "scored_by_partnership": self.assessment.scored,
                "ranked": table.to_dict(orient="records"),
                "progress": self.progress.astype(object).where(self.progress.notna(), None).to_dict(orient="records"),
                "notes": list(self.assessment.notes)}

    def method_html(self, links=lambda ids: "") -> str:
        """Annex C: the method, how each theme's evidence score was worked out in this run, and
        the linked measures this run's findings do not hold."""
        notes = "".join(f"<li>{_e(n)}</li>" for n in self.assessment.notes)
        workings = evidence_workings(self.assessment)
        return _markdown(methodology_markdown(self.assessment.settings)) + (
            _table(workings, "How each theme's evidence score was worked out in this run", "csp-priority-workings")
            + links([PRIORITY_EVIDENCE]) if not workings.empty else "") + (
            f"<h3>Measures not found in this run</h3><ul>{notes}</ul>" if notes else "")


def build_priority_report(config: RunConfig, findings_dir: str | Path) -> PriorityReport | None:
    """The run's priority report; None when params hold no ``priorities`` block."""
    if not config.priorities:
        return None
    findings = read_findings(findings_dir)
    scores = load_priority_scores(config.processed_dir)
    assessment = assess_priorities(findings, scores, config.priorities)
    return PriorityReport(assessment, progress_on_priorities(findings, config.previous_priorities), config.priorities,
                          scores)

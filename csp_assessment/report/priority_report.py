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
from matplotlib.figure import Figure

from ..config import RunConfig
from ..display.charts import new_figure, svg_with_alt
from ..display.findings import read_findings
from ..display.style import GSS_DARK_BLUE, GSS_MID_GREY, GSS_ORANGE
from ..display.text import as_text
from ..stats.priorities import (PriorityAssessment, assess_priorities, evidence_table_for_readers, evidence_workings,
                                load_priority_scores, methodology_markdown, no_data_for_readers, progress_on_priorities,
                                progress_table_for_readers, ranked_table_for_readers)
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


# ---- the chart ---------------------------------------------------------------------------------


def risk_capacity_chart(assessment: PriorityAssessment) -> Figure:
    """Risk score against the partnership's organisational position, one labelled point per
    ranked theme whose capacity and capability were scored. Themes top left carry high risk that
    the partnership is least placed to act on."""
    ranked = assessment.ranked
    drawn = ranked[ranked["theme_key"].map(assessment.position_scored).fillna(False).astype(bool)]
    left_out = len(ranked) - len(drawn)
    low, high = assessment.settings.scales["organisational"]
    fig, ax = new_figure(height=5.0)
    scored = drawn[~drawn["provisional"]]
    partly = drawn[drawn["provisional"]]
    # Shape and fill tell the two apart as well as colour does (colour-blind and greyscale readers).
    ax.scatter(scored["organisational_position"], scored["risk_score"], s=46, marker="o", color=GSS_DARK_BLUE,
               label="scored by the partnership", zorder=3)
    if len(partly):
        ax.scatter(partly["organisational_position"], partly["risk_score"], s=52, marker="D", facecolors="white",
                   edgecolors=GSS_ORANGE, linewidths=1.6, label="provisional (some scores blank)", zorder=3)
    middle = (low + high) / 2
    ax.axvline(middle, color=GSS_MID_GREY, linestyle="--", linewidth=1)
    if len(drawn):
        ax.axhline(float(drawn["risk_score"].median()), color=GSS_MID_GREY, linestyle="--", linewidth=1)
    ax.set_xlim(low - 0.25, high + 0.25)
    ax.set_ylim(bottom=0, top=max(1.0, float(drawn["risk_score"].max()) * 1.15) if len(drawn) else 1.0)
    _label_points(ax, drawn)
    ax.text(0.01, 0.98, "High risk, least able to act", transform=ax.transAxes, fontsize=8, color="#595959",
            va="top")
    ax.text(0.99, 0.98, "High risk, well placed to act", transform=ax.transAxes, fontsize=8, color="#595959",
            va="top", ha="right")
    title = "Risk score against the partnership's capacity and capability"
    ax.set(title=title, xlabel=f"Organisational position: mean of capacity and capability ({low:g} = little, "
                               f"{high:g} = well placed)", ylabel="Risk score")
    ax.grid(axis="x", color="#DDDDDD")
    if len(drawn):
        ax.legend(loc="lower right", fontsize=8)
    if left_out:
        ax.text(0.01, 0.02, f"{left_out} ranked theme(s) not drawn: capacity and capability not yet scored",
                transform=ax.transAxes, fontsize=8, color="#595959")
    fig.csp_alt_text = _chart_alt_text(title, drawn, left_out, (low, high))  # read by charts.alt_text
    return fig


LABEL_FONT_SIZE = 8.5
# Where a point's label may go, in points from the point (right and left, level, below, above):
# the first that overlaps no label already placed is used, so close points stay readable.
LABEL_OFFSETS = ((6, 2), (-6, 2), (6, -10), (-6, -10), (6, 13), (-6, 13), (6, -21), (-6, -21), (6, 24), (-6, 24))


def _label_points(ax, drawn: pd.DataFrame) -> None:
    """Label each point "rank. theme", placed where it overlaps no other label (estimated from
    the font size: labels are short, so a character-width estimate is enough)."""
    to_points = 72.0 / ax.figure.dpi
    # A label outside the axes would be cut off, or squeeze the plot when the layout makes room for it.
    frame = [v * to_points for v in ax.get_window_extent().extents]
    placed: list[tuple[float, float, float, float]] = []
    for row in drawn.itertuples():
        text = f"{int(row.rank)}. {row.theme}"
        x, y = (v * to_points for v in ax.transData.transform((row.organisational_position, row.risk_score)))
        width, height = 0.55 * LABEL_FONT_SIZE * len(text), 1.2 * LABEL_FONT_SIZE
        for dx, dy in LABEL_OFFSETS:
            left = x + dx if dx > 0 else x + dx - width
            box = (left, y + dy, left + width, y + dy + height)
            inside = frame[0] <= box[0] and box[2] <= frame[2] and frame[1] <= box[1] and box[3] <= frame[3]
            if inside and not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                break
        placed.append(box)
        ax.annotate(text, (row.organisational_position, row.risk_score), xytext=(dx, dy), textcoords="offset points",
                    fontsize=LABEL_FONT_SIZE, ha="left" if dx > 0 else "right", va="bottom")


def _chart_alt_text(title: str, drawn: pd.DataFrame, left_out: int, scale: tuple[float, float]) -> str:
    if drawn.empty:
        return (f"Chart: {title}. No theme is drawn: the partnership has not yet scored capacity and capability "
                f"({left_out} ranked themes).")
    points = "; ".join(f"{r.rank}. {r.theme}: risk {r.risk_score:.1f}, position {r.organisational_position:.1f}"
                       f"{' (provisional)' if r.provisional else ''}" for r in drawn.itertuples())
    text = (f"Chart: {title}. Scatter of risk score (vertical) against organisational position from {scale[0]:g} to "
            f"{scale[1]:g} (horizontal), one point per theme: {points}.")
    return text + (f" {left_out} ranked theme(s) are not drawn: capacity and capability not yet scored." if left_out
                   else "")

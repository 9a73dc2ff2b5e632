"""NHS "Making Data Count" variation and assurance icons, drawn as small inline SVG for summary tables.

The icons follow the Making Data Count key in meaning and colour (grey: common cause or hit and
miss; blue: improvement or target consistently met; amber: concern or consistently missed), and
carry a letter as well as a colour ("H"/"L" for special cause high or low, "P"/"F"/"?" for
assurance), so they read in greyscale print and for colour-blind readers. Each icon is an image
with a text alternative, and is always printed beside its meaning in words.
"""

from __future__ import annotations

import html

from ..stats.spc import VARIATION, SPCResult
from .style import SPC_COMMON_CAUSE, SPC_CONCERN, SPC_IMPROVEMENT, SPC_NEUTRAL

SIZE = 22  # px: about a line of table text high


def latest_signal(result: SPCResult) -> dict:
    """What a summary table shows of a chart: the latest point's variation, its side of the mean, and
    the assurance against the target (None without one)."""
    last = result.table.iloc[-1]
    point_type = str(last["point_type"])
    side = None
    if point_type != "common_cause" and last["value"] != last["mean"]:
        side = "high" if last["value"] > last["mean"] else "low"
    return {"point_type": point_type, "side": side, "variation": result.variation, "assurance": result.assurance}


def _circle(fill: str, stroke: str, label: str, symbol: str, symbol_colour: str = "#FFFFFF") -> str:
    r = SIZE / 2
    return (f'<svg class="csp-mdc-icon" xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
            f'viewBox="0 0 {SIZE} {SIZE}" role="img" aria-label="{html.escape(label)}">'
            f"<title>{html.escape(label)}</title>"
            f'<circle cx="{r}" cy="{r}" r="{r - 1.5}" fill="{fill}" stroke="{stroke}" stroke-width="2"/>'
            f'<text x="{r}" y="{r + 4.5}" text-anchor="middle" font-family="DejaVu Sans, Arial, sans-serif" '
            f'font-size="13" font-weight="bold" fill="{symbol_colour}">{html.escape(symbol)}</text></svg>')


def variation_icon(point_type: str | None, side: str | None) -> str:
    """The variation icon of a series' latest point ('' when there is no chart)."""
    if not point_type:
        return ""
    letter = {"high": "H", "low": "L"}.get(side or "", "")
    if point_type == "common_cause":
        return _circle("#FFFFFF", SPC_COMMON_CAUSE, "Common cause variation", "~", SPC_COMMON_CAUSE)
    if point_type == "special_cause_improvement":
        return _circle(SPC_IMPROVEMENT, SPC_IMPROVEMENT, f"Special cause variation, improvement ({side or 'on the mean'})",
                       letter or "+")
    if point_type == "special_cause_concern":
        return _circle(SPC_CONCERN, SPC_CONCERN, f"Special cause variation, concern ({side or 'on the mean'})",
                       letter or "!", "#0B0C0C")
    return _circle(SPC_NEUTRAL, SPC_NEUTRAL, "Special cause variation, neither improvement nor concern",
                   letter or "•")


def assurance_icon(assurance: str | None) -> str:
    """The assurance icon against a target ('' without a target)."""
    if not assurance:
        return ""
    if assurance.startswith("consistently met"):
        return _circle(SPC_IMPROVEMENT, SPC_IMPROVEMENT, "Target consistently met (pass)", "P")
    if assurance.startswith("consistently missed"):
        return _circle(SPC_CONCERN, SPC_CONCERN, "Target consistently missed (fail)", "F", "#0B0C0C")
    return _circle("#FFFFFF", SPC_COMMON_CAUSE, "Target hit and miss", "?", SPC_COMMON_CAUSE)


def variation_words(point_type: str | None, side: str | None) -> str:
    """The icon's meaning in words, printed beside it: the chart titles' words (spc.VARIATION), with
    the side of the mean."""
    if not point_type:
        return "no chart"
    return VARIATION[point_type] + (f" ({side})" if side and point_type != "common_cause" else "")


def icon_cell(icon: str, words: str) -> str:
    """A table cell's HTML: the icon, then its meaning (escaped)."""
    return f'<span class="csp-mdc">{icon}<span class="csp-mdc-words">{html.escape(words)}</span></span>'


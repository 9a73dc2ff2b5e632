"""Charts for the crime and ASB sections, one style for all (see style.py).

Each function returns a matplotlib Figure with a title, labelled axes with units, and values
readable in greyscale print. Notebooks display them; nothing here saves files.
"""

from __future__ import annotations

import io
import re
import textwrap

import matplotlib as mpl
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .style import GSS_DARK_BLUE, GSS_MID_GREY, GSS_ORANGE, GSS_TURQUOISE, apply_style

THOUSANDS = FuncFormatter(lambda x, _: f"{x:,.0f}")


def new_figure(height: float = 4.2) -> tuple[Figure, Axes]:
    # A bare Figure, not pyplot: the notebook displays the returned figure once, and no
    # global pyplot state keeps figures alive between cells.
    apply_style()
    fig = Figure(figsize=(8, height), layout="constrained")
    return fig, fig.add_subplot()


def trend_chart(trend: pd.DataFrame, title: str, y_label: str, x_label: str = "12-month period") -> Figure:
    """Bars per period of the trend window that the data cover; periods they do not cover are left
    out (the caller says so in words), never drawn as zero or as empty "no data" bars."""
    fig, ax = new_figure()
    _draw_trend(ax, trend, title, y_label, x_label)
    return fig


def seasonality_chart(season: pd.DataFrame, title: str, y_label: str, current_label: str, previous_label: str) -> Figure:
    """Monthly counts in the assessment period, with the same months a year earlier for context."""
    fig, ax = new_figure()
    _draw_seasonality(ax, season, title, y_label, current_label, previous_label)
    return fig


# Characters per title line when two charts share a row: a long category name ("Violence and sexual
# offences") and its wider axis label must not push one title into the other.
TITLE_WRAP_SIDE_BY_SIDE = 34


def trend_and_seasonality_chart(trend: pd.DataFrame, season: pd.DataFrame, *, trend_title: str,
                                season_title: str, y_label: str, x_label: str, current_label: str,
                                previous_label: str) -> Figure:
    """The two key charts side by side, drawn at the size they print at on the document's one-page
    summary (so their text stays as large as on the full-width charts)."""
    apply_style()
    fig = Figure(figsize=(8, 3.3), layout="constrained")
    trend_ax, season_ax = fig.subplots(1, 2)
    _draw_trend(trend_ax, trend, textwrap.fill(trend_title, TITLE_WRAP_SIDE_BY_SIDE), y_label, x_label, fontsize=8)
    _draw_seasonality(season_ax, season, textwrap.fill(season_title, TITLE_WRAP_SIDE_BY_SIDE), y_label,
                      current_label, previous_label, compact=True)
    for ax in (trend_ax, season_ax):  # two titles side by side: each must fit its half of the width
        ax.title.set_fontsize(10)
    return fig


def _draw_trend(ax: Axes, trend: pd.DataFrame, title: str, y_label: str, x_label: str, fontsize: float = 9) -> None:
    last = trend["period"].iloc[-1]  # the assessment period, highlighted
    trend = trend.dropna(subset=["records"])
    values = trend["records"].astype(float)
    colours = [GSS_DARK_BLUE if period == last else GSS_MID_GREY for period in trend["period"]]
    bars = ax.bar(trend["period"], values, color=colours)
    for bar, value in zip(bars, trend["records"]):
        ax.annotate(f"{int(value):,}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                    va="bottom", fontsize=fontsize, xytext=(0, 2), textcoords="offset points")
    ax.set(title=title, xlabel=x_label, ylabel=y_label)
    if fontsize < 9:  # side by side: "Apr 12 – Mar 13" on two lines
        ax.set_xticks(range(len(trend)), [p.replace(" – ", "–\n") for p in trend["period"]])
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.margins(y=0.12)


def _draw_seasonality(ax: Axes, season: pd.DataFrame, title: str, y_label: str, current_label: str,
                      previous_label: str, compact: bool = False) -> None:
    x = range(len(season))
    ax.plot(x, season["records"].astype("Float64").astype(float), marker="o", color=GSS_DARK_BLUE, linewidth=2,
            label=current_label)
    if season["previous_records"].notna().all():  # a comparison only where its period is covered
        ax.plot(x, season["previous_records"].astype("Float64").astype(float), marker="s", color=GSS_ORANGE,
                linewidth=1.5, linestyle="--", label=previous_label)
    # side by side there is room for the month's initial only ("A M J ..."); the title names the period
    labels = [label[0] for label in season["label"]] if compact else season["label"]
    ax.set_xticks(list(x), labels, rotation=0)
    ax.set(title=title, xlabel="Month", ylabel=y_label)
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right", fontsize=8 if compact else None)


def _labelled_bars(data: pd.DataFrame, category: str, labels: pd.Series, colour: str, title: str,
                   x_label: str, y_label: str, height: float, label_room: float) -> Figure:
    """Horizontal bars of ``records`` per ``category``, in the frame's order, each bar labelled."""
    fig, ax = new_figure(height=height)
    sns.barplot(data=data, y=category, x="records", color=colour, ax=ax, orient="h")
    for patch, label in zip(ax.patches, labels):
        ax.annotate(label, (patch.get_width(), patch.get_y() + patch.get_height() / 2),
                    xytext=(3, 0), textcoords="offset points", va="center", fontsize=8.5)
    ax.set(title=title, xlabel=x_label, ylabel=y_label)
    ax.xaxis.set_major_formatter(THOUSANDS)
    ax.grid(axis="x", color="#DDDDDD")
    ax.grid(axis="y", visible=False)
    ax.margins(x=label_room)
    return fig


def breakdown_chart(breakdown: pd.DataFrame, title: str, x_label: str) -> Figure:
    """Horizontal bars per category, largest at the top, each labelled with count and share."""
    data = breakdown[breakdown["records"] > 0]
    labels = [f"{int(r.records):,} ({r.share_pct:.1f}%)" for r in data.itertuples()]
    return _labelled_bars(data, "category", labels, GSS_DARK_BLUE, title, x_label, "",
                          height=max(3.0, 0.38 * len(breakdown) + 1.2), label_room=0.22)


def hotspot_chart(top: pd.DataFrame, title: str, x_label: str) -> Figure:
    labels = [f"{int(r.records):,} ({r.share_pct:.1f}% of area)" for r in top.itertuples()]
    return _labelled_bars(top, "ward_name", labels, GSS_TURQUOISE, title, x_label, "Ward",
                          height=max(2.6, 0.5 * len(top) + 1.2), label_room=0.3)


def peer_chart(peers: pd.DataFrame, title: str, x_label: str) -> Figure:
    """Rate per 1,000 residents for each peer, the assessed area highlighted."""
    data = peers.dropna(subset=["per_1000"]).sort_values("per_1000", ascending=False)
    fig, ax = new_figure(height=max(3.0, 0.34 * len(data) + 1.2))
    colours = [GSS_DARK_BLUE if is_area else GSS_MID_GREY for is_area in data["is_area"]]
    ax.barh(data["area"], data["per_1000"].astype(float), color=colours)
    ax.invert_yaxis()
    for y, value in enumerate(data["per_1000"].astype(float)):
        ax.annotate(f"{value:.1f}", (value, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8.5)
    ax.set(title=title, xlabel=x_label, ylabel="")
    ax.grid(axis="x", color="#DDDDDD")
    ax.grid(axis="y", visible=False)
    ax.margins(x=0.12)
    return fig


def alt_text(fig: Figure) -> str:
    """A text description of a chart for screen readers: its title, axes and the values drawn.

    A figure whose maker describes it better (maps, a labelled scatter) carries ``csp_alt_text``."""
    if getattr(fig, "csp_alt_text", None):
        return fig.csp_alt_text
    parts = []
    for ax in fig.axes:
        title = ax.get_title(loc="left") or ax.get_title()
        if not title and not ax.has_data():
            continue
        bars = [p for p in ax.patches if p.get_width() > 0 and p.get_height() > 0]
        horizontal = _horizontal(bars)
        value_label, category_label = ((ax.get_xlabel(), ax.get_ylabel()) if horizontal
                                       else (ax.get_ylabel(), ax.get_xlabel()))
        parts.append(f"Chart: {title}." if title else "Chart.")
        if value_label or category_label:
            parts.append(f"{value_label or 'Values'} by {category_label or 'category'}.")
        ticks = [t.get_text() for t in (ax.get_yticklabels() if horizontal else ax.get_xticklabels()) if t.get_text()]
        if bars and len(ticks) == len(bars):
            values = [p.get_width() if horizontal else p.get_height() for p in bars]
            parts.append("Values: " + "; ".join(f"{t} {v:,.1f}".replace(".0 ", " ").removesuffix(".0")
                                                for t, v in list(zip(ticks, values))[:15]) + ".")
        for line in ([] if bars else ax.get_lines()[:1]):  # a bar chart's lines are error bars or guides
            ys = [y for y in line.get_ydata() if y == y]  # drop NaN
            if len(ys) > 1:
                parts.append(f"{len(ys)} points, from {ys[0]:,.0f} to {ys[-1]:,.0f}; "
                             f"lowest {min(ys):,.0f}, highest {max(ys):,.0f}.")
    return " ".join(parts) or "Chart."


def _horizontal(bars) -> bool:
    return bool(bars) and all(abs(p.get_x()) < 1e-9 for p in bars) and not all(abs(p.get_y()) < 1e-9 for p in bars)


def with_data(fig, *table_ids: str):
    """Name the workbook tables that hold a chart's data (the document links the chart to them)."""
    if fig is not None and hasattr(fig, "savefig"):
        fig.csp_data_tables = [*getattr(fig, "csp_data_tables", []), *table_ids]
    return fig


def svg_with_alt(fig: Figure) -> tuple[str, dict]:
    """IPython formatter: the chart as SVG, with alt text (and the tables holding its data, see
    :func:`with_data`) in the output's metadata for the exporter.

    Fixed hash salt and no date keep the SVG bytes the same for the same figure on every run.
    """
    metadata = {"alt": alt_text(fig)}
    if getattr(fig, "csp_data_tables", None):
        metadata["data_tables"] = list(fig.csp_data_tables)
    return svg_text(fig), metadata


class _MeasuringCanvas(FigureCanvasSVG):
    """An SVG canvas that hands constrained layout the renderer the figure is drawn with, so text is
    measured once (matplotlib caches text extents per renderer) instead of once per pass."""

    renderer = None

    def get_renderer(self):
        return self.renderer


def svg_text(fig: Figure) -> str:
    """The figure as an SVG document cropped to everything it draws, padded by savefig.pad_inches: what
    ``fig.savefig(format="svg", bbox_inches="tight")`` writes, with one renderer instead of three.

    savefig lays the figure out and draws it (without output), finds what sticks out of it (long
    titles, bar labels), then draws it again into the cropped page, each pass with a new renderer
    that measures every text again. Here one renderer lays it out, finds the crop and draws the full
    page once (about 30% less time per chart); the crop is the SVG's viewBox, and the figure's
    background is stretched over the cropped area first (savefig's crop moves the drawing instead).
    """
    buffer = io.StringIO()
    engine = fig.get_layout_engine()
    dpi = mpl.rcParams["savefig.dpi"]
    with mpl.rc_context({"svg.hashsalt": "csp-assessment"}):
        previous_canvas, previous_dpi = fig.canvas, fig.dpi
        canvas = _MeasuringCanvas(fig)  # the figure's canvas until restored below
        try:
            fig.dpi = 72  # SVG units are points, as savefig's SVG backend sets it
            width, height = fig.get_size_inches()
            canvas.renderer = MixedModeRenderer(fig, width, height, dpi, RendererSVG(
                width * 72, height * 72, buffer, image_dpi=dpi, metadata={"Date": None}))
            if engine is not None:
                engine.execute(fig)
            crop = fig.get_tightbbox(canvas.renderer).padded(mpl.rcParams["savefig.pad_inches"])
            fig.set_layout_engine("none")  # laid out above
            fig.patch.set_bounds(crop.x0 / width, crop.y0 / height, crop.width / width, crop.height / height)
            try:
                fig.draw(canvas.renderer)
            finally:
                fig.patch.set_bounds(0, 0, 1, 1)
                if engine is not None:
                    fig.set_layout_engine(engine)
            canvas.renderer.finalize()
        finally:
            fig.set_canvas(previous_canvas)
            fig.dpi = previous_dpi
    # viewBox in points from the top left, as SVG counts; the figure's bottom-left origin flipped
    box = [crop.x0 * 72, (height - crop.y1) * 72, crop.width * 72, crop.height * 72]
    size = f'width="{_svg_number(box[2])}pt" height="{_svg_number(box[3])}pt" viewBox="{" ".join(map(_svg_number, box))}"'
    svg, replaced = _SVG_SIZE.subn(size, buffer.getvalue(), count=1)
    if not replaced:  # pragma: no cover - matplotlib writes the size first; a change to that must fail loudly
        raise RuntimeError("matplotlib's SVG has no width, height and viewBox to crop")
    return svg


_SVG_SIZE = re.compile(r'width="[^"]*" height="[^"]*" viewBox="[^"]*"')


def _svg_number(value: float) -> str:
    return f"{value:f}".rstrip("0").rstrip(".")


def deprivation_chart(by_decile: pd.DataFrame, title: str, y_label: str, hidden: pd.Series | None = None) -> Figure:
    """Rate per 1,000 residents in the area's LSOAs of each national IMD decile (1 = most deprived),
    with 95% intervals; deciles without LSOAs in the area, or ``hidden`` ones (small counts), not drawn."""
    fig, ax = new_figure(height=3.8)
    shown = by_decile["per_1000"].notna() & (by_decile["lsoas"] > 0)
    if hidden is not None:
        shown &= ~hidden
    data = by_decile[shown]
    values = data["per_1000"].astype(float)
    labels = [f"{int(d)}" for d in data["decile"]]
    ax.bar(labels, values, color=GSS_DARK_BLUE)
    errors = [values - data["lower"].astype(float), data["upper"].astype(float) - values]
    ax.errorbar(labels, values, yerr=errors, fmt="none", ecolor=GSS_ORANGE, elinewidth=1.2, capsize=3)
    for x, value in zip(labels, values):
        ax.annotate(f"{value:.1f}", (x, value), xytext=(-10, 3), textcoords="offset points", ha="right", fontsize=8)
    ax.set(title=title, xlabel="National IMD decile of the LSOA (1 = most deprived 10% in England)", ylabel=y_label)
    ax.set_ylim(bottom=0)
    return fig

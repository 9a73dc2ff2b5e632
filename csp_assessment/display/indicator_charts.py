"""Charts for the substance misuse, re-offending and mental health sections, in the style of
charts.py: bare Figures, titles that state the finding, labelled axes with units, and marks that
stay distinguishable in greyscale print (shape as well as colour)."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .charts import THOUSANDS, new_figure
from ..stats.intervals import HIGHER, LOWER
from .style import GSS_DARK_BLUE, GSS_DARK_GREY, GSS_MID_GREY, GSS_ORANGE

# Fingertips' own comparison colours are blue for a significant difference either way (no
# judgement of better or worse) and grey-ish for similar; shapes carry the same meaning in print.
_COMPARISON_MARKS = {HIGHER: (GSS_DARK_BLUE, "^"), LOWER: (GSS_ORANGE, "v")}
_SIMILAR_MARK = (GSS_DARK_GREY, "o")


def _wrapped(text: str, width: int = 75) -> str:
    return textwrap.fill(text, width)


def significance_chart(table: pd.DataFrame, title: str, benchmark_name: str) -> Figure:
    """Each indicator's latest value and 95% interval against the benchmark, as an index
    (benchmark = 100), so indicators in different units share one axis.

    ``table``: label, value, lower, upper, benchmark, comparison, note (text printed beside).
    """
    n = len(table)
    fig, ax = new_figure(height=max(2.6, 0.62 * n + 1.5))
    index = 100 * table[["value", "lower", "upper"]].div(table["benchmark"], axis=0)
    for y, (row, point) in enumerate(zip(table.itertuples(), index.itertuples())):
        colour, marker = _COMPARISON_MARKS.get(row.comparison, _SIMILAR_MARK)
        ax.errorbar(point.value, y, xerr=[[point.value - point.lower], [point.upper - point.value]], fmt=marker,
                    color=colour, markersize=8, capsize=4, linewidth=1.5)
        ax.annotate(row.note, (point.upper, y), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8.5)
    ax.axvline(100, color=GSS_MID_GREY, linestyle="--", linewidth=1.2)
    ax.set_yticks(range(n), [_wrapped(label, 34) for label in table["label"]])
    ax.invert_yaxis()
    ax.set(title=_wrapped(title, 70), xlabel=f"Value as a percentage of {benchmark_name}'s ({benchmark_name} = 100), "
                                             "with 95% confidence interval", ylabel="")
    ax.grid(axis="x", color="#DDDDDD")
    ax.grid(axis="y", visible=False)
    ax.margins(x=0.35, y=0.12)
    return fig


def measure_trend_chart(series: pd.DataFrame, *, title: str, y_label: str, area_name: str, benchmark_name: str,
                        target: float | None = None) -> Figure:
    """One measure over every period held: the area (with its 95% interval where there is one)
    beside the benchmark and, for partner measures, the target.

    ``series``: period, value, lower, upper, benchmark (NaN where none), oldest first.
    """
    fig, ax = new_figure()
    x = np.arange(len(series))
    value = series["value"].to_numpy(dtype=float)
    lower, upper = (series[c].to_numpy(dtype=float) for c in ("lower", "upper"))
    has_interval = ~np.isnan(lower) & ~np.isnan(upper)
    ax.plot(x, value, marker="o", color=GSS_DARK_BLUE, linewidth=2, label=area_name)
    if has_interval.any():
        ax.errorbar(x[has_interval], value[has_interval],
                    yerr=[value[has_interval] - lower[has_interval], upper[has_interval] - value[has_interval]],
                    fmt="none", ecolor=GSS_DARK_BLUE, capsize=3, linewidth=1, label=f"{area_name}: 95% interval")
    benchmark = series["benchmark"].to_numpy(dtype=float)
    if not np.isnan(benchmark).all():
        ax.plot(x, benchmark, marker="s", color=GSS_ORANGE, linewidth=1.5, linestyle="--", label=benchmark_name)
    if target is not None:
        ax.axhline(target, color=GSS_DARK_GREY, linestyle=":", linewidth=1.5, label="Target")
    for xi in x[np.isnan(value)]:  # suppressed or not published: say so rather than leave a silent gap
        ax.annotate("not published", (xi, 0), xytext=(0, 4), textcoords="offset points", ha="center", fontsize=8)
    ax.set_xticks(x, series["period"])
    ax.set(title=_wrapped(title), xlabel="Period", ylabel=_wrapped(y_label, 40))
    drawn = np.append(np.append(value, benchmark), upper[has_interval])
    if target is not None:
        drawn = np.append(drawn, target)
    if np.nan_to_num(drawn).max() >= 1000:
        ax.yaxis.set_major_formatter(THOUSANDS)
    # A target line (axhline) does not widen the axis by itself: room is made for it, so a target
    # above or below every value still shows inside the frame.
    top = np.nanmax(drawn) if np.isfinite(drawn).any() else 1.0
    ax.set_ylim(0, top * 1.15 if top > 0 else 1.0)
    ax.legend(loc="lower right", fontsize=8.5)
    return fig

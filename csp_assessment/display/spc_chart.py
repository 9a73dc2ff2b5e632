"""The Making Data Count XmR chart of an SPC result (stats/spc.py computes it)."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator

from ..stats.spc import MIN_BASELINE, NEUTRAL_TYPES, SPCResult, is_monthly
from .style import GSS_DARK_GREY, GSS_DARK_PINK, SPC_COMMON_CAUSE, SPC_CONCERN, SPC_IMPROVEMENT, SPC_NEUTRAL, apply_style

# Legend label, point types and colour of the special-cause markers, in legend order.
SPECIAL_CAUSE_MARKERS = [
    ("Special cause – improvement", ("special_cause_improvement",), SPC_IMPROVEMENT),
    ("Special cause – concern", ("special_cause_concern",), SPC_CONCERN),
    ("Special cause – neutral", NEUTRAL_TYPES, SPC_NEUTRAL),
]



def plot_spc(
    result: SPCResult,
    title: str,
    y_label: str,
    ax: Axes | None = None,
    data_label: str = "Monthly count",
) -> Figure:
    """Draw ``result`` as a Making Data Count XmR chart and return the figure.

    The project style is applied only while drawing (``rc_context``), so global matplotlib
    settings are left as they were; pyplot is not used, so no figure is left open.
    """
    table = result.table
    x = _x_values(table["period"])
    with mpl.rc_context():
        apply_style()
        if ax is None:
            fig = Figure(layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.get_figure()

        ax.plot(x, table["value"], color=SPC_COMMON_CAUSE, marker="o", markersize=4, linewidth=1.2,
                label=data_label, zorder=2)
        # Each rebase group has its own centre line and limits, drawn as separate segments.
        for i, (_, group) in enumerate(table.groupby("group", sort=True)):
            ends = x[[group.index[0], group.index[-1]]]
            first = i == 0
            mean, lpl, upl = group.iloc[0][["mean", "lpl", "upl"]]
            ax.plot(ends, [mean, mean], color=GSS_DARK_GREY, linewidth=1.2,
                    label="Mean" if first else "_nolegend_")
            ax.plot(ends, [upl, upl], color=GSS_DARK_GREY, linewidth=1, linestyle="--",
                    label="Process limits" if first else "_nolegend_")
            ax.plot(ends, [lpl, lpl], color=GSS_DARK_GREY, linewidth=1, linestyle="--", label="_nolegend_")
        for label, point_types, colour in SPECIAL_CAUSE_MARKERS:
            shown = table["point_type"].isin(point_types).to_numpy()
            if shown.any():
                ax.plot(x[shown], table.loc[shown, "value"], linestyle="none", marker="o", markersize=6,
                        color=colour, label=label, zorder=3)
        if result.target is not None:
            ax.axhline(result.target, color=GSS_DARK_PINK, linestyle=":", linewidth=1.5, label="Target")

        if result.floored:
            # The limit sits on the bound: keep the axis from reaching below it (no "-5" tick for
            # a count), with a little room so points on the bound are drawn whole.
            low, high = ax.get_ylim()
            ax.set_ylim(bottom=result.lower_bound - 0.03 * (high - result.lower_bound))
        ax.set_title(title, loc="left")
        ax.set_ylabel(y_label)
        if _is_datetime(x):
            monthly = is_monthly(pd.Index(table["period"]))
            ax.set_xlabel("Month" if monthly else "Period")
            if monthly:
                # The ticks worked out once, for the axis's final range: a MonthLocator works them out with
                # dateutil's rrule each of the dozens of times matplotlib asks while laying out and drawing.
                months = _month_locator(len(table))
                months.set_axis(ax.xaxis)
                ax.xaxis.set_major_locator(FixedLocator(months()))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %y"))
        else:
            ax.set_xlabel("Period")
        if result.trial_limits:
            ax.text(1.0, 1.01, f"Trial limits: fewer than {MIN_BASELINE} points in the baseline",
                    transform=ax.transAxes, ha="right", va="bottom", fontsize=8, style="italic",
                    color=GSS_DARK_GREY)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=8)
    return fig


def _x_values(periods: pd.Series) -> np.ndarray:
    """Chart x positions: timestamps for periods, the values themselves otherwise."""
    if isinstance(periods.dtype, pd.PeriodDtype):
        return periods.dt.to_timestamp().to_numpy()
    return periods.to_numpy()


def _is_datetime(x: np.ndarray) -> bool:
    return np.issubdtype(x.dtype, np.datetime64)


def _month_locator(n_months: int) -> mdates.DateLocator:
    """Ticks every 1, 2, 3 or 6 months or every few years, about 12 at most, always on April.

    Police and community safety data are reported by financial year (April to March), so the
    ticks line up with the start of each year of the assessment.
    """
    for step in (1, 2, 3, 6):
        if n_months <= 12 * step:
            return mdates.MonthLocator(bymonth=[m for m in range(1, 13) if (m - 4) % step == 0])
    years = -(-n_months // 144)  # whole years between ticks, rounded up so there are at most 12
    return mdates.YearLocator(base=years, month=4)

"""Static maps for the crime and ASB sections: a ward choropleth of the rate per 1,000 residents
and a map of records per LSOA, each with the area outlined and its top wards labelled.

Maps follow the charts' style: titled, a labelled legend, colour-blind-safe classes (one hue, light
to dark, so they read in greyscale print too), no tiles and no network. Every map carries alt text
generated from what it shows (``fig.csp_alt_text``, read by charts.alt_text). Geometry comes from
the processed ``boundaries`` table (WKB in British National Grid) and is handled by geopandas and
shapely.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from . import narrative
from .style import GSS_DARK_GREY, GSS_MID_GREY, apply_style

# Sequential single-hue blues ending in the GSS dark blue: ordered light to dark, distinguishable
# by colour-blind readers and in greyscale.
SEQUENTIAL_BLUES = ("#DCE6F0", "#A7C0DA", "#6B96C3", "#3A6BA0", "#12436D")
NO_DATA = "#FFFFFF"
SUPPRESSED = GSS_MID_GREY
ATTRIBUTION = ("Boundaries: Office for National Statistics, licensed under the Open Government Licence v3.0. "
               "Contains OS data © Crown copyright and database right.")
BOUNDARY_DOWNLOAD = ("ONS Open Geography Portal, https://geoportal.statistics.gov.uk/ : 'Lower layer Super Output "
                     "Areas (December 2021) Boundaries EW BGC' and 'Wards (May 2024) Boundaries UK BGC', as GeoJSON or "
                     "shapefile")


def best_vintage(boundaries: pd.DataFrame, level: str, codes: set[str]) -> tuple[str | None, int]:
    """The vintage of ``level`` boundaries covering most of ``codes`` (newest on a tie), and how many."""
    of_level = boundaries[boundaries["level"] == level]
    coverage = of_level[of_level["code"].isin(codes)].groupby("vintage")["code"].nunique()
    if coverage.empty:
        return None, 0
    best = sorted(coverage.items(), key=lambda item: (item[1], item[0]))[-1]
    return str(best[0]), int(best[1])


def classes(values: pd.Series, n: int = 5, floor: float | None = None) -> list[float]:
    """Class edges: quantiles of the values (at least ``floor``), rounded so the legend reads
    cleanly, with repeated edges dropped."""
    data = values.dropna().astype(float)
    if floor is not None:
        data = data[data >= floor]
    if data.empty:
        return []
    edges = np.quantile(data, np.linspace(0, 1, n + 1))
    decimals = 0 if data.max() >= 100 else 1
    rounded = [float(np.floor(edges[0] * 10**decimals) / 10**decimals)]
    for edge in edges[1:-1]:
        value = round(float(edge), decimals)
        if value > rounded[-1]:
            rounded.append(value)
    top = float(np.ceil(edges[-1] * 10**decimals) / 10**decimals)
    if top > rounded[-1] or len(rounded) == 1:
        rounded.append(max(top, rounded[-1]))
    return rounded


def _draw_classes(ax, data, klass: pd.Series, n_classes: int, palette, edges: list[float], *, linewidth: float,
                  label) -> list[Patch]:
    """Fill each class's areas in its colour (``klass``: each area's class, from :func:`_class_of`) and
    return the legend's patches, one a class, labelled by ``label(i)`` (none without two edges)."""
    handles = []
    for i in range(n_classes):
        members = data[klass == i]
        if len(members):
            members.plot(ax=ax, color=palette[i], edgecolor="white", linewidth=linewidth)
        if len(edges) >= 2:
            handles.append(Patch(facecolor=palette[i], edgecolor=GSS_DARK_GREY, linewidth=0.4, label=label(i)))
    return handles


def _class_of(values: pd.Series, edges: list[float]) -> pd.Series:
    """Index of each value's class (NA stays NA): class i holds edges[i] <= v < edges[i+1], the
    last class including its upper edge."""
    index = pd.Series(pd.NA, index=values.index, dtype="Int64")
    known = values.notna()
    if len(edges) < 2:
        index[known] = 0
        return index
    found = np.searchsorted(np.asarray(edges[1:-1]), values[known].astype(float).to_numpy(), side="right")
    index[known] = found
    return index


def _fmt(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def _new_map(title: str) -> tuple[Figure, object]:
    apply_style()
    fig = Figure(figsize=(8, 6), layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_title(title, loc="left")
    fig.text(0.01, 0.005, ATTRIBUTION, fontsize=6.5, color=GSS_DARK_GREY, ha="left", va="bottom", wrap=True)
    return fig, ax


def _label_wards(ax, wards, top: pd.DataFrame) -> list[str]:
    """Mark the top wards with their rank on the map (a number in a white circle, readable over any
    class and where wards are small) and name them in a key beside the legend."""
    labels = []
    for row in top.itertuples():
        shape = wards[wards["code"] == row.ward_code]
        if shape.empty:
            continue
        point = shape.geometry.iloc[0].representative_point()
        ax.annotate(str(int(row.rank)), (point.x, point.y), ha="center", va="center", fontsize=8.5,
                    fontweight="bold", color="#000000",
                    bbox={"boxstyle": "circle,pad=0.25", "facecolor": "white", "edgecolor": "#000000",
                          "linewidth": 0.8})
        labels.append(f"{int(row.rank)} {row.ward_name}")
    return labels


def _legends(ax, handles: list, title: str, labels: list[str], noun: str) -> None:
    legend = ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8.5,
                       title_fontsize=9, alignment="left")
    ax.add_artist(legend)
    if labels:
        key = [Patch(facecolor="none", edgecolor="none", label=label) for label in labels]
        ax.legend(handles=key, title=f"Wards with the most {noun}", loc="lower left", bbox_to_anchor=(1.0, 0.0),
                  fontsize=8.5, title_fontsize=9, alignment="left", handlelength=0, handletextpad=0)


def ward_rate_map(wards, ward_table: pd.DataFrame, top: pd.DataFrame, outline, *, title: str, noun: str,
                  period_label: str, threshold: int, exact: bool) -> Figure:
    """Choropleth of records per 1,000 residents by ward.

    ``wards``: GeoDataFrame (code, name, geometry) of the area's wards. ``ward_table``: ward_code,
    ward_name, records, population, per_1000 for every ward of the area. Wards with 1 to
    ``threshold`` - 1 records are drawn as suppressed for reviewers (``exact`` False): a rate and a
    population give the count back.
    """
    data = wards.merge(ward_table, left_on="code", right_on="ward_code", how="left")
    small = (data["records"] >= 1) & (data["records"] < threshold) & (not exact)
    rates = data["per_1000"].astype("Float64").where(~small)
    edges = classes(rates)
    decimals = 1
    fig, ax = _new_map(title)
    handles = []
    klass = _class_of(rates, edges)
    n_classes = max(len(edges) - 1, 1)
    palette = SEQUENTIAL_BLUES[-n_classes:] if n_classes <= len(SEQUENTIAL_BLUES) else SEQUENTIAL_BLUES
    handles += _draw_classes(ax, data, klass, n_classes, palette, edges, linewidth=0.6,
                             label=lambda i: f"{_fmt(edges[i], decimals)} to {_fmt(edges[i + 1], decimals)}")
    no_rate = data[rates.isna() & ~small]
    if len(no_rate):
        no_rate.plot(ax=ax, color=NO_DATA, edgecolor=GSS_DARK_GREY, linewidth=0.4, hatch="///")
        handles.append(Patch(facecolor=NO_DATA, edgecolor=GSS_DARK_GREY, hatch="///", label="no population figure"))
    if small.any():
        data[small].plot(ax=ax, color=SUPPRESSED, edgecolor="white", linewidth=0.6)
        handles.append(Patch(facecolor=SUPPRESSED, label=f"fewer than {threshold} {noun}: not shown"))
    _outline(ax, outline)
    labels = _label_wards(ax, data, top)
    _legends(ax, handles, f"{noun[:1].upper() + noun[1:]} per 1,000\nresidents, {period_label}", labels, noun)
    shown = data[rates.notna()].sort_values("per_1000", ascending=False)
    highest = "; ".join(f"{name} {float(rate):.1f}" for name, rate in zip(shown["ward_name"].head(3),
                                                                          shown["per_1000"].head(3)))
    if edges:
        shading = (f"in {n_classes} shaded classes from {_fmt(edges[0], 1)} to {_fmt(edges[-1], 1)}, darker for "
                   "higher rates")
    else:
        shading = "unshaded: no ward has a population figure, so no rate can be given"
    parts = [f"Map: {title}.", f"{noun[:1].upper() + noun[1:]} per 1,000 residents in {len(data)} wards, {period_label}, "
             f"{shading}; the area's boundary is outlined."]
    if highest:
        parts.append(f"Highest rates: {highest}.")
    if labels:
        parts.append(f"Wards with the most {noun}, numbered on the map: {', '.join(labels)}.")
    if small.any():
        n_small = int(small.sum())
        parts.append(f"{narrative.counted(n_small, 'ward')} with fewer than {threshold} {noun} "
                     f"{narrative.plural(n_small, 'is', 'are')} not shaded.")
    fig.csp_alt_text = " ".join(parts)
    return fig


def lsoa_count_map(lsoas, lsoa_counts: pd.DataFrame, wards, top: pd.DataFrame, outline, *, title: str, noun: str,
                   period_label: str, threshold: int) -> Figure:
    """Records per LSOA in classes, the top wards outlined and labelled.

    Counts from 1 to ``threshold`` - 1 always share one class ("1 to 4"), so the map never shows a
    small count exactly; the classes above start at ``threshold``.
    """
    data = lsoas.merge(lsoa_counts, left_on="code", right_on="lsoa_code", how="left")
    records = data["records"].fillna(0).astype(float)
    edges = classes(records, n=4, floor=threshold)
    if edges:
        edges[0] = float(threshold)
    fig, ax = _new_map(title)
    handles = []
    zero = records == 0
    small = (records >= 1) & (records < threshold)
    if zero.any():
        data[zero].plot(ax=ax, color=NO_DATA, edgecolor="#CCCCCC", linewidth=0.3)
        handles.append(Patch(facecolor=NO_DATA, edgecolor=GSS_DARK_GREY, linewidth=0.4, label="none"))
    data[small].plot(ax=ax, color=SEQUENTIAL_BLUES[0], edgecolor="white", linewidth=0.3) if small.any() else None
    handles.append(Patch(facecolor=SEQUENTIAL_BLUES[0], edgecolor=GSS_DARK_GREY, linewidth=0.4,
                         label=f"1 to {threshold - 1}"))
    upper = records.where(records >= threshold)
    klass = _class_of(upper, edges)
    n_classes = max(len(edges) - 1, 1) if edges else 0
    palette = SEQUENTIAL_BLUES[1:][-n_classes:] if n_classes else ()
    handles += _draw_classes(ax, data, klass, n_classes, palette, edges, linewidth=0.3,
                             label=lambda i: _count_class_label(edges, i))
    top_wards = wards[wards["code"].isin(top["ward_code"])]
    if len(top_wards):
        top_wards.boundary.plot(ax=ax, color="#000000", linewidth=1.2)
    _outline(ax, outline)
    labels = _label_wards(ax, wards, top)
    _legends(ax, handles, f"{noun[:1].upper() + noun[1:]} per LSOA,\n{period_label}", labels, noun)
    parts = [f"Map: {title}.", f"{noun[:1].upper() + noun[1:]} in each of {len(data)} LSOAs, {period_label}, in classes "
             f"(none; 1 to {threshold - 1}"
             + "".join(f"; {_count_class_label(edges, i)}" for i in range(len(edges) - 1))
             + "), darker for more; the area's boundary is outlined."]
    busiest = data[records >= threshold].assign(count=records).sort_values("count", ascending=False).head(3)
    if len(busiest):
        parts.append("Busiest LSOAs: " + "; ".join(f"{name} {int(count):,}" for name, count
                                                    in zip(busiest["name"], busiest["count"])) + ".")
    if labels:
        parts.append(f"Wards with the most {noun}, outlined and numbered: {', '.join(labels)}.")
    fig.csp_alt_text = " ".join(parts)
    return fig


def _count_class_label(edges: list[float], i: int) -> str:
    """Whole-number class i: from its lower edge to one below the next class (the last includes its top)."""
    upper = edges[i + 1] if i == len(edges) - 2 else edges[i + 1] - 1
    return f"{_fmt(edges[i], 0)} to {_fmt(max(upper, edges[i]), 0)}"


def _outline(ax, outline) -> None:
    import geopandas as gpd  # here: geopandas takes seconds to import; a run without boundaries needs none

    gpd.GeoSeries([outline], crs="EPSG:27700").boundary.plot(ax=ax, color=GSS_DARK_GREY, linewidth=1.6)

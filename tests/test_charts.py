"""Charts: alt text generated from what is drawn, and SVG bytes that do not change between runs."""

import pandas as pd

from csp_assessment.display import charts


def test_alt_text_describes_a_bar_chart_and_svg_is_stable():
    trend = pd.DataFrame({"period": ["Apr 15 – Mar 16", "Apr 16 – Mar 17"], "records": pd.array([20285, 23125], dtype="Int64")})
    fig = charts.trend_chart(trend, "Recorded crimes rose 14.0%", "Recorded crimes (count)")
    assert charts.alt_text(fig) == ("Chart: Recorded crimes rose 14.0%. Recorded crimes (count) by 12-month period. "
                                    "Values: Apr 15 – Mar 16 20,285; Apr 16 – Mar 17 23,125.")
    svg, metadata = charts.svg_with_alt(fig)
    assert svg.startswith("<?xml") and metadata["alt"].startswith("Chart: Recorded crimes rose")
    assert charts.svg_with_alt(fig)[0] == svg  # no date or random ids in the SVG


def test_alt_text_of_a_horizontal_bar_chart_names_the_value_axis():
    top = pd.DataFrame({"ward_name": ["River", "Hill"], "records": [30, 12], "share_pct": [30.0, 12.0]})
    alt = charts.alt_text(charts.hotspot_chart(top, "2 wards hold 42.0%", "Crimes (count)"))
    assert alt == "Chart: 2 wards hold 42.0%. Crimes (count) by Ward. Values: River 30; Hill 12."


def test_key_charts_side_by_side_describe_both():
    trend = pd.DataFrame({"period": ["Apr 15 – Mar 16", "Apr 16 – Mar 17"], "records": pd.array([20285, 23125], dtype="Int64")})
    season = pd.DataFrame({"label": ["Apr 16", "May 16"], "records": pd.array([1800, 1900], dtype="Int64"),
                           "previous_records": pd.array([1700, 1750], dtype="Int64")})
    fig = charts.trend_and_seasonality_chart(trend, season, trend_title="Recorded crimes rose 14.0%",
                                             season_title="Recorded crimes peaked in May 16",
                                             y_label="Recorded crimes (count)", x_label="12-month period",
                                             current_label="Apr 16 – Mar 17", previous_label="Apr 15 – Mar 16")
    assert len(fig.axes) == 2
    alt = charts.alt_text(fig)
    assert "Chart: Recorded crimes rose 14.0%." in alt and "Chart: Recorded crimes peaked in May 16." in alt
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == ["A", "M"]  # initials: the title names the months


def test_a_target_line_stays_inside_the_frame():
    from csp_assessment.display.indicator_charts import measure_trend_chart

    series = pd.DataFrame({"period": ["2015/16", "2016/17"], "value": [40.0, 45.0], "lower": [float("nan")] * 2,
                           "upper": [float("nan")] * 2, "benchmark": [float("nan")] * 2})
    fig = measure_trend_chart(series, title="Needle finds rose", y_label="Needle finds (count)", area_name="Medway",
                              benchmark_name="", target=90.0)
    bottom, top = fig.axes[0].get_ylim()
    assert bottom == 0 and top > 90.0


def test_a_trend_draws_only_the_periods_the_data_cover():
    """No empty "no data" bars: a period the data do not cover is left out of the chart (the caller
    says so in words), and the assessment period keeps its highlight."""
    trend = pd.DataFrame({"period": ["Jan 19 – Nov 19", "Jan 20 – Nov 20", "Jan 21 – Nov 21", "Jan 22 – Nov 22"],
                          "records": pd.array([25000, pd.NA, 26500, 28046], dtype="Int64")})
    fig = charts.trend_chart(trend, "Recorded crimes rose 12.2%", "Recorded crimes (count)", "11-month period")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Jan 19 – Nov 19", "Jan 21 – Nov 21", "Jan 22 – Nov 22"]
    assert [round(p.get_height()) for p in ax.patches] == [25000, 26500, 28046]
    assert [t.get_text() for t in ax.texts] == ["25,000", "26,500", "28,046"]
    assert len({p.get_facecolor() for p in ax.patches}) == 2  # the last, the assessment period, stands out


def _svg_size(svg: str) -> tuple[float, float, list[float]]:
    import re

    root = re.search(r'<svg [^>]*width="([\d.]+)pt" height="([\d.]+)pt" viewBox="([^"]*)"', svg)
    return float(root[1]), float(root[2]), [float(v) for v in root[3].split()]


def test_svg_is_cropped_as_savefig_tight_crops_it_and_leaves_the_figure_as_it_was():
    """svg_text draws once what savefig(bbox_inches="tight") draws three times: the same page size (the
    chart's own title sticks out of the figure here, so the crop is wider than the figure)."""
    import io

    top = pd.DataFrame({"ward_name": ["River", "Hill"], "records": [30, 12], "share_pct": [30.0, 12.0]})
    title = "A title long enough to run past the right-hand edge of the figure, as the longest chart titles do"
    reference = charts.hotspot_chart(top, title, "Crimes (count)")
    buffer = io.StringIO()
    reference.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    tight_width, tight_height, _ = _svg_size(buffer.getvalue())

    fig = charts.hotspot_chart(top, title, "Crimes (count)")
    canvas, dpi, engine = fig.canvas, fig.dpi, fig.get_layout_engine()
    svg = charts.svg_text(fig)
    width, height, (x0, y0, box_width, box_height) = _svg_size(svg)
    assert tight_width > 8 * 72  # the title sticks out: a crop to the figure alone would cut it
    assert abs(width - tight_width) < 0.05 and abs(height - tight_height) < 0.05
    assert (box_width, box_height) == (width, height)
    # constrained layout keeps its w_pad from the figure's left edge; the crop adds savefig's pad around that
    assert abs(x0 - (engine.get()["w_pad"] - 0.1) * 72) < 0.05
    # text written as text (svg.fonttype "none": the PDF keeps the words), alt text from the chart
    assert svg.count(">River<") == 1 and "River" in charts.alt_text(fig)
    assert charts.svg_text(charts.hotspot_chart(top, title, "Crimes (count)")) == svg  # the same bytes every run
    # the figure is left as it was (savefig's own second layout of a figure moves it by float noise, so
    # bytes of a second drawing are not compared)
    assert (fig.canvas, fig.dpi, fig.get_layout_engine()) == (canvas, dpi, engine)
    assert tuple(fig.patch.get_bbox().bounds) == (0, 0, 1, 1)

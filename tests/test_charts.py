"""Charts: alt text generated from what is drawn, and SVG bytes that do not change between runs."""

import pandas as pd

from csp_assessment import charts


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

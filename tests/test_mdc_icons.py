"""Making Data Count icons: the latest point's signal, drawn with a letter as well as a colour."""

import pandas as pd

from csp_assessment.display import mdc_icons
from csp_assessment.stats import spc


def test_latest_signal_and_icons_of_a_rising_series():
    # 24 months level at 100 (alternating 98/102), then 8 months at 130: the last 7 above the mean
    # are a run, and the series measures crime, where a decrease is the improvement.
    values = [98.0, 102.0] * 12 + [130.0] * 8
    months = pd.period_range("2015-04", periods=len(values), freq="M")
    result = spc.xmr(pd.Series(values, index=months), improvement="decrease", target=90.0)
    signal = mdc_icons.latest_signal(result)
    assert signal["point_type"] == "special_cause_concern" and signal["side"] == "high"
    icon = mdc_icons.variation_icon(signal["point_type"], signal["side"])
    assert 'aria-label="Special cause variation, concern (high)"' in icon and ">H</text>" in icon
    assert mdc_icons.variation_words(signal["point_type"], signal["side"]) == "special cause of concern (high)"
    assert ">F</text>" in mdc_icons.assurance_icon("consistently missed")
    assert ">P</text>" in mdc_icons.assurance_icon("consistently met")
    assert ">?</text>" in mdc_icons.assurance_icon("inconsistent (hit and miss)")
    assert mdc_icons.assurance_icon(None) == "" and mdc_icons.variation_icon(None, None) == ""


def test_common_cause_has_no_side():
    values = [98.0, 102.0] * 12
    result = spc.xmr(pd.Series(values, index=pd.period_range("2015-04", periods=24, freq="M")), improvement="decrease")
    signal = mdc_icons.latest_signal(result)
    assert signal == {"point_type": "common_cause", "side": None, "variation": "common cause", "assurance": None}
    cell = mdc_icons.icon_cell(mdc_icons.variation_icon("common_cause", None), "common cause")
    assert "Common cause variation" in cell and "common cause</span>" in cell

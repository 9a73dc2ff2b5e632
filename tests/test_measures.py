"""Measures on small hand-made count tables; every expected value is worked out by hand."""

import pandas as pd
import pytest

from csp_assessment.stats import measures
from csp_assessment.config import Period

P = Period.parse("2016-04", "2016-06")  # a 3-month assessment period keeps hand sums short
C = P.shift(-12)  # 2015-04 .. 2015-06
ALL_MONTHS = set(P.months) | set(C.months)


def counts(rows):
    return pd.DataFrame(rows, columns=["month", "crime_type", "ward_code", "ward_name", "lad_code", "records"])


@pytest.fixture
def sample():
    return counts([
        ("2016-04", "Burglary", "W1", "River", "L1", 10),
        ("2016-05", "Burglary", "W2", "Hill", "L1", 5),
        ("2016-06", "Robbery", "W1", "River", "L1", 3),
        ("2016-06", "Drugs", "W3", "Vale", "L1", 2),
        ("2015-04", "Burglary", "W1", "River", "L1", 8),
        ("2015-06", "Robbery", "W2", "Hill", "L1", 4),
        ("2015-05", "Shoplifting", "W2", "Hill", "L1", 1),
        ("2016-07", "Burglary", "W1", "River", "L1", 100),  # outside both periods
    ])


def test_total_and_rate(sample):
    assert measures.total(sample, P, ALL_MONTHS) == 10 + 5 + 3 + 2
    assert measures.rate_per_1000(20, 4000) == pytest.approx(5.0)
    # Medway's published level: 23,125 crimes, 278,542 residents -> 83.0 per 1,000
    assert round(measures.rate_per_1000(23125, 278542), 1) == 83.0
    assert measures.rate_per_1000(20, None) is None


def test_total_is_none_when_a_month_is_missing(sample):
    assert measures.total(sample, P, ALL_MONTHS - {"2016-05"}) is None
    assert measures.missing_months(P, ALL_MONTHS - {"2016-05"}) == ["2016-05"]


def test_annual_change(sample):
    change = measures.annual_change(sample, P, C, ALL_MONTHS)
    assert (change.current, change.previous, change.difference) == (20, 13, 7)
    assert change.pct == pytest.approx(700 / 13)
    # Medway's published change: 20,285 -> 23,125 is 2,840 more, +14.0%
    assert round(measures.Change(23125, 20285).pct, 1) == 14.0
    assert measures.Change(5, 0).pct is None
    assert measures.annual_change(sample, P, C, set(P.months)) is None


def test_trend_marks_incomplete_periods(sample):
    table = measures.trend(sample, (C, P), set(P.months))
    assert list(table["period"]) == ["Apr 15 – Jun 15", "Apr 16 – Jun 16"]
    assert pd.isna(table.loc[0, "records"]) and table.loc[0, "months_missing"] == 3
    assert table.loc[1, "records"] == 20


def test_monthly_and_seasonality(sample):
    season = measures.seasonality(sample, P, C, ALL_MONTHS - {"2015-05"})
    assert list(season["records"]) == [10, 5, 5]
    assert list(season["label"]) == ["Apr 16", "May 16", "Jun 16"]
    assert season["previous_records"].iloc[0] == 8 and pd.isna(season["previous_records"].iloc[1])
    assert season["previous_records"].iloc[2] == 4
    label, value, above = measures.peak_month(season)
    # mean of 10, 5, 5 is 20/3; 10 is 50% above it
    assert (label, value) == ("Apr 16", 10) and above == pytest.approx(50.0)


def test_breakdown(sample):
    table = measures.breakdown(sample, P, C, ALL_MONTHS).set_index("category")
    assert list(table.index) == ["Burglary", "Robbery", "Drugs", "Shoplifting"]
    assert table.loc["Burglary", "records"] == 15 and table.loc["Burglary", "share_pct"] == pytest.approx(75.0)
    assert table.loc["Burglary", "previous"] == 8 and table.loc["Burglary", "change"] == 7
    assert table.loc["Burglary", "change_pct"] == pytest.approx(87.5)
    assert table.loc["Robbery", "change_pct"] == pytest.approx(-25.0)
    assert pd.isna(table.loc["Drugs", "change_pct"])  # nothing before: no percentage
    assert table.loc["Shoplifting", "records"] == 0 and table.loc["Shoplifting", "change"] == -1


def test_hotspots(sample):
    population = pd.DataFrame({"ward_code": ["W1", "W2", "W3"], "population": [2000, 1000, 500]})
    top = measures.hotspots(sample, population, P, n=2)
    assert list(top["ward_name"]) == ["River", "Hill"]
    assert list(top["records"]) == [13, 5]
    assert top.loc[0, "per_1000"] == pytest.approx(6.5)  # 13 / 2000 * 1000
    assert top.loc[0, "share_pct"] == pytest.approx(65.0)  # 13 of 20
    assert list(top["rank"]) == [1, 2]


def test_peer_comparison_ranks_a_partnership_as_one_unit():
    la = pd.DataFrame({"month": ["2016-04"] * 4, "lad_code": ["A", "B", "C", "D"], "records": [50, 30, 60, 10]})
    pops = {"A": 1000, "B": 1000, "C": 3000, "D": 100}
    table = measures.peer_comparison(la, pops, {"C": "Cee", "D": "Dee"}, ("A", "B"), "A and B", Period.parse("2016-04", "2016-04"))
    area = table[table["is_area"]].iloc[0]
    assert area["records"] == 80 and area["population"] == 2000 and area["per_1000"] == pytest.approx(40.0)
    assert area["rank_by_count"] == 1  # 80 > 60 > 10
    # rates: A+B 40, C 20, D 100 -> A+B is 2nd
    assert area["rank_by_rate"] == 2
    assert set(table["area"]) == {"A and B", "Cee", "Dee"}


def test_present_local_authorities_ignores_border_spill():
    lookup = pd.DataFrame({"lsoa_code": ["a1", "a2", "b1", "b2", "b3"], "lad_code": ["A", "A", "B", "B", "B"]})
    seen = pd.DataFrame({"lsoa_code": ["a1", "a2", "b1", None]})
    assert measures.present_local_authorities(seen, lookup) == {"A"}

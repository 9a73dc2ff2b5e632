import pandas as pd

from csp_assessment.display import narrative
from csp_assessment.stats.measures import Change


def test_number_formats():
    assert narrative.fmt_int(23125) == "23,125"
    assert narrative.fmt_int(None) == "not available"
    assert narrative.fmt_pct(14.0009) == "14.0%"
    assert narrative.fmt_pct(-21.17, signed=True) == "-21.2%"
    assert narrative.fmt_rate(83.0214) == "83.0"
    assert [narrative.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd"]


def test_level_sentence_medway_2017():
    text = narrative.level_sentence(count=23125, noun_plural="crimes", area="Medway", period_label="Apr 16 – Mar 17",
                                    rate=23125 / 278542 * 1000, change=Change(23125, 20285),
                                    comparison_label="Apr 15 – Mar 16")
    assert text == ("23,125 crimes were recorded in Medway in Apr 16 – Mar 17, 83.0 per 1,000 residents; "
                    "a 14.0% increase: 2,840 more crimes than in Apr 15 – Mar 16.")


def test_level_sentence_decrease_and_no_comparison():
    down = narrative.level_sentence(count=7077, noun_plural="ASB incidents", area="Medway", period_label="P",
                                    rate=None, change=Change(7077, 8978), comparison_label="Q")
    assert down == "7,077 ASB incidents were recorded in Medway in P; a 21.2% decrease: 1,901 fewer ASB incidents than in Q."
    none = narrative.level_sentence(count=10, noun_plural="crimes", area="X", period_label="P", rate=None,
                                    change=None, comparison_label="Q")
    assert "No comparison with Q is possible" in none


def test_trend_sentence():
    trend = pd.DataFrame({"period": ["A", "B", "C"], "records": pd.array([pd.NA, 100, 150], dtype="Int64")})
    text = narrative.trend_sentence(trend, "crimes")
    assert text.startswith("Crimes have risen from 100 in B to 150 in C, a 50.0% increase: 50 more crimes")
    assert "1 of the 3 periods" in text
    one = pd.DataFrame({"period": ["A"], "records": pd.array([5], dtype="Int64")})
    assert "The general trend starts next year" in narrative.trend_sentence(one, "crimes")


def test_hotspot_sentence():
    top = pd.DataFrame({"ward_name": ["River", "Hill"], "share_pct": [30.0, 12.04]})
    assert narrative.hotspot_sentence(top, "crimes", "Medway") == (
        "The 2 wards with the most crimes were River and Hill; together they account for 42.0% of Medway's crimes.")


def test_periods_that_are_not_twelve_months_say_so():
    # The real 2022 files hold January to November: every period of the trend window is 11 months long.
    assert narrative.per_1000_residents(12) == "per 1,000 residents"
    assert narrative.per_1000_residents(11) == "per 1,000 residents over 11 months"
    text = narrative.level_sentence(count=28046, noun_plural="crimes", area="Medway", period_label="Jan 22 – Nov 22",
                                    rate=28046 / 279773 * 1000, change=None, comparison_label="Jan 21 – Nov 21",
                                    n_months=11)
    assert "100.2 per 1,000 residents over 11 months" in text
    only_current = pd.DataFrame({"period": ["Jan 21 – Nov 21", "Jan 22 – Nov 22"],
                                 "records": pd.array([pd.NA, 28046], dtype="Int64")})
    assert narrative.trend_sentence(only_current, "crimes", 11) == (
        "The general trend starts next year: the data hold one 11-month period, Jan 22 – Nov 22.")
    only_earlier = only_current.assign(records=pd.array([28046, pd.NA], dtype="Int64"))
    assert narrative.trend_sentence(only_earlier, "crimes", 11) == (
        "A trend needs at least two complete 11-month periods of data; the data cover only Jan 21 – Nov 21, "
        "so no general trend can be described.")
    none = only_current.assign(records=pd.array([pd.NA, pd.NA], dtype="Int64"))
    assert "the data cover none of them" in narrative.trend_sentence(none, "crimes", 11)
    assert narrative.trend_title(only_current, "Recorded crimes", 11) == "Recorded crimes: the trend starts next year"
    # a rate compared with others says it is not annual; its population year is said beside it
    assert narrative.not_annual(11) == " (not an annual rate)" and narrative.not_annual(12) == ""
    assert narrative.population_caveat(2020, 2022) == "mid-2020 population; no mid-2022 estimate in the data folder"
    assert narrative.population_caveat(2022, 2022) == ""
    text = narrative.level_sentence(count=28046, noun_plural="crimes", area="Medway", period_label="Jan 22 – Nov 22",
                                    rate=100.5, change=None, comparison_label="Jan 21 – Nov 21", n_months=11,
                                    rate_note=narrative.population_caveat(2020, 2022),
                                    no_comparison=narrative.no_comparison_sentence("Jan 21 – Nov 21", 11, False))
    assert text == ("28,046 crimes were recorded in Medway in Jan 22 – Nov 22, 100.5 per 1,000 residents over 11 "
                    "months (mid-2020 population; no mid-2022 estimate in the data folder). No earlier year is in the "
                    "data: change and trend start next year.")


def test_counted_words_agree_in_number():
    assert narrative.counted(1, "input") == "1 input" and narrative.counted(2, "input") == "2 inputs"
    assert narrative.counted(1, "ASB incident") == "1 ASB incident"
    assert narrative.counted(1979, "crime") == "1,979 crimes"
    assert narrative.plural(1, "has", "have") == "has" and narrative.plural(0, "has", "have") == "have"
    assert narrative.no_comparison_sentence("Jan 21 – Nov 21", 1, True) == (
        "The data do not cover all of Jan 21 – Nov 21 (1 month missing), so no annual change is given.")
    one = narrative.level_sentence(count=1, noun_plural="ASB incidents", noun_singular="ASB incident", area="X",
                                   period_label="P", rate=None, change=None, comparison_label="Q")
    assert one.startswith("1 ASB incident was recorded in X in P.")
    ward = pd.DataFrame({"ward_name": ["River"], "share_pct": [30.0]})
    assert narrative.hotspot_sentence(ward, "crimes", "Medway") == (
        "The ward with the most crimes was River, with 30.0% of Medway's crimes.")

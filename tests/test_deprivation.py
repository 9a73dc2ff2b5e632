"""Crime by deprivation: decile rates, the share in England's most deprived 10%, and how LSOA 2021
areas get an IoD2019 (LSOA 2011) decile through the ONS bridge. Expected values worked by hand."""

import math

import pandas as pd
import pytest
from scipy.stats import chi2

from csp_assessment.stats.deprivation import (AS_PUBLISHED, INHERITED, MEAN_RANK, SAME_CODE, decile_of_rank,
                                              deciles_of_report_lsoas, lsoa_population, most_deprived_share,
                                              rank_bands, rates_by_decile, scale_to_totals)

Z = 1.959964

# Ten LSOAs 2011 of a toy England of 100 LSOAs: ranks 1-10 are decile 1, 11-20 decile 2, ...
IMD = pd.DataFrame({
    "lsoa_code": [f"E0100000{i}" for i in range(10)],
    "lsoa_vintage": "2011",
    "imd_rank": [3, 8, 15, 25, 47, 52, 66, 71, 95, 100],
    "imd_decile": [1, 1, 2, 3, 5, 6, 7, 8, 10, 10],
})


def byar(count):
    lower = count * (1 - 1 / (9 * count) - Z / (3 * math.sqrt(count))) ** 3
    upper = (count + 1) * (1 - 1 / (9 * (count + 1)) + Z / (3 * math.sqrt(count + 1))) ** 3
    return lower, upper


def test_rates_by_decile_by_hand():
    deciles = IMD[["lsoa_code", "imd_decile"]]
    records = pd.Series({"E01000000": 30, "E01000001": 20, "E01000002": 12, "E01000004": 3, "E01000009": 5,
                         "E01000008": 0})
    population = pd.Series({code: 1000 for code in IMD["lsoa_code"]}) + pd.Series({"E01000001": 500}).reindex(
        IMD["lsoa_code"]).fillna(0)
    table = rates_by_decile(records, deciles, population).set_index("decile")
    # Decile 1: two LSOAs, 30 + 20 = 50 records among 1,000 + 1,500 = 2,500 residents: 20 per 1,000.
    assert (table.loc[1, "lsoas"], table.loc[1, "records"], table.loc[1, "population"]) == (2, 50, 2500)
    assert table.loc[1, "per_1000"] == pytest.approx(20.0)
    lower, upper = byar(50)
    assert (table.loc[1, "lower"], table.loc[1, "upper"]) == pytest.approx((lower * 1000 / 2500, upper * 1000 / 2500))
    assert table.loc[1, "interval"] == "Byar"
    # Decile 5: 3 records among 1,000: 3 per 1,000, with exact Poisson limits (fewer than 10 records).
    assert table.loc[5, "per_1000"] == pytest.approx(3.0)
    assert table.loc[5, "lower"] == pytest.approx(chi2.ppf(0.025, 6) / 2, rel=1e-6)
    assert table.loc[5, "upper"] == pytest.approx(chi2.ppf(0.975, 8) / 2, rel=1e-6)
    assert table.loc[5, "interval"] == "exact Poisson"
    # Decile 10: 0 + 5 among 2,000: 2.5 per 1,000. Decile 4 and 9: no LSOA in the area, no rate.
    assert (table.loc[10, "records"], table.loc[10, "per_1000"]) == (5, pytest.approx(2.5))
    assert table.loc[4, "lsoas"] == 0 and math.isnan(table.loc[4, "per_1000"])
    # Shares of the 70 records placed in a decile: 50/70, 12/70, ...
    assert table["records"].sum() == 70
    assert table.loc[1, "share_pct"] == pytest.approx(100 * 50 / 70)
    assert table.loc[2, "share_pct"] == pytest.approx(100 * 12 / 70)


def test_a_decile_with_an_lsoa_without_population_has_no_rate():
    deciles = IMD[["lsoa_code", "imd_decile"]]
    population = pd.Series({code: 1000 for code in IMD["lsoa_code"] if code != "E01000001"})
    table = rates_by_decile(pd.Series({"E01000000": 4}), deciles, population).set_index("decile")
    assert table.loc[1, "records"] == 4 and pd.isna(table.loc[1, "population"]) and math.isnan(table.loc[1, "per_1000"])


def test_share_in_the_most_deprived_tenth_by_hand():
    deciles = IMD[["lsoa_code", "imd_decile"]]
    records = pd.Series({"E01000000": 30, "E01000001": 20, "E01000002": 12, "E01000004": 3, "E01000009": 5})
    population = pd.Series({code: 1000 for code in IMD["lsoa_code"]})
    share = most_deprived_share(records, deciles, population)
    # 50 of 70 records in the 2 decile-1 LSOAs (of 10), home to 2,000 of 10,000 residents.
    assert (share.records, share.total, share.lsoas, share.all_lsoas) == (50, 70, 2, 10)
    assert share.share_pct == pytest.approx(100 * 50 / 70)
    assert share.population_share_pct == pytest.approx(20.0)
    # Wilson, by hand: (2O + z² ∓ z·sqrt(z² + 4·O·q)) / (2(n + z²)), O = 50, n = 70, q = 20/70.
    spread = Z * math.sqrt(Z ** 2 + 4 * 50 * 20 / 70)
    expected = [100 * (2 * 50 + Z ** 2 + sign * spread) / (2 * (70 + Z ** 2)) for sign in (-1, 1)]
    assert share.interval_pct == pytest.approx(expected, rel=1e-9)


def test_no_lsoa_in_the_most_deprived_tenth():
    deciles = IMD[IMD["imd_decile"] > 1][["lsoa_code", "imd_decile"]]
    share = most_deprived_share(pd.Series({"E01000002": 7}), deciles, pd.Series(dtype=float))
    assert (share.records, share.total, share.lsoas, share.share_pct) == (0, 7, 0, 0.0)
    assert math.isnan(share.population_share_pct)


def test_same_vintage_takes_the_deciles_as_published():
    result = deciles_of_report_lsoas(IMD, "2011", ["E01000003", "E01000009", "E01999999"])
    assert result.set_index("lsoa_code")["imd_decile"].to_dict() == {"E01000003": 3, "E01000009": 10}
    assert set(result["how"]) == {AS_PUBLISHED}  # the unknown code is left for the caller to count


BRIDGE = pd.DataFrame([
    ("E01000000", "E01000000", "U"),  # unchanged
    ("E01000002", "E01100001", "S"),  # split in two: both parts decile 2
    ("E01000002", "E01100002", "S"),
    ("E01000004", "E01100003", "M"),  # ranks 47 and 52 merged: mean 49.5, decile 5 (ranks 41-50)
    ("E01000005", "E01100003", "M"),
    ("E01000006", "E01100004", "M"),  # ranks 66 and 95: mean 80.5, half-way between bands: decile 8
    ("E01000008", "E01100004", "M"),
], columns=["lsoa11_code", "lsoa21_code", "change"])


def toy_england() -> pd.DataFrame:
    """The ten LSOAs above and the rest of a 100-LSOA England, so the rank bands are 10 wide."""
    rest = [r for r in range(1, 101) if r not in set(IMD["imd_rank"])]
    filler = pd.DataFrame({"lsoa_code": [f"E0109{r:04d}" for r in rest], "lsoa_vintage": "2011", "imd_rank": rest,
                           "imd_decile": [(r - 1) // 10 + 1 for r in rest]})
    return pd.concat([IMD, filler], ignore_index=True)


def test_rank_bands_and_mean_rank_deciles():
    bands = rank_bands(toy_england())
    assert bands.tolist() == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert decile_of_rank(49.5, bands) == 5
    assert decile_of_rank(50.5, bands) == 5  # half-way between ranks 50 and 51: the band of the rank below
    assert decile_of_rank(80.5, bands) == 8
    assert decile_of_rank(81, bands) == 9


def test_lsoa_2021_areas_through_the_bridge():
    result = deciles_of_report_lsoas(toy_england(), "2021",
                                     ["E01000000", "E01100001", "E01100002", "E01100003", "E01100004"], BRIDGE)
    by_code = result.set_index("lsoa_code")
    assert by_code["imd_decile"].to_dict() == {"E01000000": 1, "E01100001": 2, "E01100002": 2, "E01100003": 5,
                                               "E01100004": 8}
    assert by_code.loc["E01100001", "how"] == INHERITED and by_code.loc["E01100001", "imd_rank"] == 15
    assert by_code.loc["E01100003", "how"] == MEAN_RANK and by_code.loc["E01100003", "imd_rank"] == 49.5
    assert by_code.loc["E01100004", "parts"] == 2 and by_code.loc["E01100004", "imd_rank"] == (66 + 95) / 2


def test_without_the_bridge_only_codes_unchanged_between_vintages_get_a_decile():
    result = deciles_of_report_lsoas(toy_england(), "2021", ["E01000000", "E01100001"], None)
    assert result.set_index("lsoa_code")["imd_decile"].to_dict() == {"E01000000": 1}
    assert set(result["how"]) == {SAME_CODE}


def test_lsoa_population_uses_the_vintage_and_the_latest_covering_year():
    population = pd.DataFrame({
        "lsoa_code": ["A", "B", "A", "B", "A"], "lsoa_vintage": ["2011", "2011", "2011", "2011", "2021"],
        "year": [2011, 2011, 2016, 2016, 2021], "source": ["Census", "Census", "SAPE", "SAPE", "Census 2021"],
        "population": [100, 200, 110, 210, 999],
    })
    series, source = lsoa_population(population, ["A", "B"], "2011")
    assert series.to_dict() == {"A": 110.0, "B": 210.0} and source == "SAPE (2016)"
    empty, why = lsoa_population(None, ["A"], "2011")
    assert empty.empty and "no small-area" in why


def test_lsoa_population_of_the_year_nearest_the_period():
    """Of the sources covering the LSOAs, the year nearest the period's (the later of two equally near)."""
    population = pd.DataFrame({
        "lsoa_code": ["A", "B"] * 4, "lsoa_vintage": "2011",
        "year": [2011, 2011, 2016, 2016, 2018, 2018, 2020, 2020],
        "source": ["Census"] * 2 + ["SAPE"] * 6, "population": [100, 200, 110, 210, 115, 215, 120, 220]})
    assert lsoa_population(population, ["A", "B"], "2011", 2017)[1] == "SAPE (2018)"  # 2016 and 2018 one year off
    assert lsoa_population(population, ["A", "B"], "2011", 2016)[0].to_dict() == {"A": 110.0, "B": 210.0}
    assert lsoa_population(population, ["A", "B"], "2011", 2022)[1] == "SAPE (2020)"
    assert lsoa_population(population, ["A", "B"], "2011", 2012)[1] == "Census (2011)"
    # a year that covers fewer of the LSOAs is not chosen, however near
    partial = pd.concat([population, pd.DataFrame({"lsoa_code": ["A"], "lsoa_vintage": "2011", "year": [2017],
                                                   "source": ["SAPE"], "population": [999]})])
    assert lsoa_population(partial, ["A", "B"], "2011", 2017)[1] == "SAPE (2018)"


def test_scale_to_totals_by_hand():
    """Each authority's LSOAs scaled to its mid-year estimate: LA1's LSOAs (100 + 300 = 400) to 500,
    a factor of 1.25; LA2's (200) to 180, 0.9; LA3 has an LSOA without a population and is left as is."""
    population = pd.Series({"A": 100.0, "B": 300.0, "C": 200.0, "D": 50.0})
    lad_of = pd.Series({"A": "LA1", "B": "LA1", "C": "LA2", "D": "LA3", "E": "LA3"})
    scaled, factors = scale_to_totals(population, lad_of, {"LA1": 500, "LA2": 180, "LA3": 100})
    assert factors == {"LA1": 1.25, "LA2": 0.9}
    assert scaled.to_dict() == pytest.approx({"A": 125.0, "B": 375.0, "C": 180.0, "D": 50.0})
    assert scaled[["A", "B"]].sum() == 500

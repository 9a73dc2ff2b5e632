"""The demo's areas: the real Kent local authorities, Medway's wards, population totals and the
synthetic LSOAs and wards drawn for them (see the package docstring for what is real)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FORCE = "Kent Police"
FIRST_YEAR = 2012  # financial years 2012/13 .. 2016/17
N_YEARS = 5
MONTHS = tuple(f"{FIRST_YEAR + (i + 3) // 12}-{(i + 3) % 12 + 1:02d}" for i in range(12 * N_YEARS))
MYE_YEARS = tuple(range(FIRST_YEAR, FIRST_YEAR + N_YEARS))


@dataclass(frozen=True)
class LocalAuthority:
    code: str
    name: str
    csp_code: str
    csp_name: str
    census_name: str  # as in the census extract, which adds "UA" to unitary authorities
    lat: float  # rough centre, for synthetic coordinates
    lon: float
    lsoas: int  # real number of LSOAs (2011)
    census_2011: int  # real Census 2011 usual residents
    mid_year: tuple[int, ...]  # real ONS mid-year estimates, mid-2012 .. mid-2016
    crime_rate: float  # 2016/17 crimes per 1,000 residents (Medway: from MEDWAY_CRIMES)
    asb_rate: float  # 2016/17 ASB incidents per 1,000 residents (Medway: from MEDWAY_ASB)
    wards: tuple[str, ...]


MEDWAY_WARDS = {  # real 2017 wards and their LSOA counts
    "Chatham Central": 10, "Cuxton and Halling": 4, "Gillingham North": 10, "Gillingham South": 10,
    "Hempstead and Wigmore": 5, "Lordswood and Capstone": 6, "Luton and Wayfield": 9, "Peninsula": 8,
    "Princes Park": 7, "Rainham Central": 8, "Rainham North": 6, "Rainham South": 9, "River": 4,
    "Rochester East": 6, "Rochester South and Horsted": 8, "Rochester West": 6, "Strood North": 9,
    "Strood Rural": 8, "Strood South": 9, "Twydall": 9, "Walderslade": 6, "Watling": 6,
}

# Rates put Medway first by count and fourth by rate among the 13, so peer rankings mean something.
AUTHORITIES = (
    LocalAuthority("E06000035", "Medway", "E22000143", "Medway", "Medway UA", 51.385, 0.545, 163,
                   263_925, (268_218, 271_105, 274_015, 276_492, 278_542), 0, 0, tuple(MEDWAY_WARDS)),
    LocalAuthority("E07000105", "Ashford", "E22000137", "Ashford", "Ashford", 51.15, 0.87, 78,
                   117_956, (120_116, 121_723, 123_285, 124_250, 126_151), 66, 23,
                   ("Ashford Central", "Ashford North", "Ashford South", "Kennington", "Willesborough",
                    "Godinton", "Singleton", "Tenterden", "Charing", "Wye", "Hamstreet")),
    LocalAuthority("E07000106", "Canterbury", "E22000138", "Canterbury", "Canterbury", 51.30, 1.10, 90,
                   151_145, (153_399, 155_307, 157_649, 159_965, 162_416), 79, 29,
                   ("Canterbury Central", "Canterbury North", "Canterbury South", "Herne Bay Central",
                    "Herne Bay East", "Herne Bay West", "Whitstable Harbour", "Whitstable Seasalter",
                    "Sturry", "Chartham, Petham and Chilham", "Barham Downs", "Little Stour")),
    LocalAuthority("E07000107", "Dartford", "E22000352", "Dartford and Gravesham", "Dartford", 51.43, 0.24, 58,
                   97_365, (98_940, 100_569, 102_234, 103_892, 105_543), 73, 26,
                   ("Dartford Central", "Dartford East", "Dartford West", "Stone", "Swanscombe",
                    "Greenhithe", "Wilmington", "Joydens Wood", "Ebbsfleet")),
    LocalAuthority("E07000108", "Dover", "E22000140", "Dover", "Dover", 51.17, 1.30, 67,
                   111_674, (111_765, 112_338, 113_066, 113_228, 114_227), 77, 30,
                   ("Dover Town", "Dover Castle", "Dover Maxton", "Deal North", "Deal South", "Walmer",
                    "Sandwich", "Aylesham", "Whitfield", "St Margaret's")),
    LocalAuthority("E07000109", "Gravesham", "E22000352", "Dartford and Gravesham", "Gravesham", 51.41, 0.38, 64,
                   101_720, (102_764, 103_752, 105_261, 106_299, 106_808), 75, 28,
                   ("Gravesend Central", "Gravesend North", "Gravesend South", "Northfleet North",
                    "Northfleet South", "Singlewell", "Riverview", "Meopham North", "Meopham South and Vigo",
                    "Higham")),
    LocalAuthority("E07000110", "Maidstone", "E22000142", "Maidstone", "Maidstone", 51.26, 0.55, 95,
                   155_143, (157_297, 159_325, 161_819, 164_499, 166_360), 69, 24,
                   ("Maidstone Central", "Maidstone East", "Maidstone North", "Maidstone South", "Allington",
                    "Bearsted & Thurnham", "Boxley", "Coxheath", "Headcorn", "Marden and Yalding",
                    "Staplehurst", "Lenham")),
    LocalAuthority("E07000111", "Sevenoaks", "E22000144", "Sevenoaks", "Sevenoaks", 51.27, 0.17, 74,
                   114_893, (116_400, 117_035, 117_811, 118_409, 119_142), 46, 20,
                   ("Sevenoaks Town", "Sevenoaks North", "Sevenoaks South", "Swanley Central", "Swanley North",
                    "Edenbridge", "Westerham", "Otford", "Hartley", "Farningham")),
    LocalAuthority("E07000112", "Shepway", "E22000145", "Shepway", "Shepway", 51.08, 1.08, 67,
                   107_969, (108_700, 108_832, 109_452, 110_034, 111_190), 86, 33,
                   ("Folkestone Central", "Folkestone Harbour", "Folkestone East", "Folkestone West",
                    "Cheriton", "Hythe", "Sandgate", "New Romney", "Lydd", "Elham")),
    LocalAuthority("E07000113", "Swale", "E22000146", "Swale", "Swale", 51.35, 0.80, 85,
                   135_835, (137_670, 139_171, 140_836, 142_417, 145_042), 88, 31,
                   ("Sittingbourne Central", "Sittingbourne North", "Sittingbourne South", "Milton Regis",
                    "Faversham East", "Faversham West", "Sheerness", "Minster", "Queenborough and Halfway",
                    "Eastchurch", "Teynham", "Iwade")),
    LocalAuthority("E07000114", "Thanet", "E22000147", "Thanet", "Thanet", 51.36, 1.38, 84,
                   134_186, (135_661, 136_766, 138_410, 139_772, 140_652), 94, 38,
                   ("Margate Central", "Margate North", "Cliftonville East", "Cliftonville West",
                    "Ramsgate Central", "Ramsgate Harbour", "Ramsgate North", "Broadstairs North",
                    "Broadstairs South", "Westgate-on-Sea", "Birchington", "Thanet Villages")),
    LocalAuthority("E07000115", "Tonbridge and Malling", "E22000148", "Tonbridge and Malling",
                   "Tonbridge and Malling", 51.27, 0.40, 72,
                   120_805, (121_912, 123_001, 124_426, 125_713, 127_293), 53, 21,
                   ("Tonbridge Central", "Tonbridge North", "Tonbridge South", "West Malling", "East Malling",
                    "Snodland", "Aylesford", "Ditton", "Kings Hill", "Borough Green")),
    LocalAuthority("E07000116", "Tunbridge Wells", "E22000149", "Tunbridge Wells", "Tunbridge Wells",
                   51.12, 0.33, 68,
                   115_049, (115_542, 115_693, 116_105, 116_241, 117_069), 50, 21,
                   ("Tunbridge Wells Central", "Tunbridge Wells North", "Tunbridge Wells South",
                    "Southborough", "Rusthall", "Pembury", "Paddock Wood", "Cranbrook", "Hawkhurst",
                    "Benenden")),
)
MEDWAY = 0  # index into AUTHORITIES
PFA = ("E23000032", "Kent")
REGION = ("E12000008", "SOUTH EAST")
KENT_COUNTY = ("E10000016", "Kent")
# Real ONS mid-year totals, mid-2012 .. mid-2016, for the rows above the authorities.
ENGLAND_MID_YEAR = (53_493_729, 53_865_817, 54_316_618, 54_786_327, 55_268_067)
SOUTH_EAST_MID_YEAR = (8_724_737, 8_792_766, 8_873_818, 8_947_913, 9_026_297)


# ---------------------------------------------------------------------------------------------
# Geography


def _geography(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per synthetic LSOA and one per ward, both ordered by authority then ward."""
    ward_rows, lsoa_parts = [], []
    for la_index, la in enumerate(AUTHORITIES):
        if la_index == MEDWAY:
            per_ward = np.array(list(MEDWAY_WARDS.values()))
        else:
            # 4 to 8 LSOAs per ward, adding up to the authority's real LSOA count.
            spare_slots = rng.permutation(np.repeat(np.arange(len(la.wards)), 4))
            per_ward = 4 + np.bincount(spare_slots[:la.lsoas - 4 * len(la.wards)], minlength=len(la.wards))
        n = int(per_ward.sum())
        ward_lat = la.lat + rng.normal(0, 0.03, len(la.wards))
        ward_lon = la.lon + rng.normal(0, 0.05, len(la.wards))
        ward_of = np.repeat(np.arange(len(la.wards)), per_ward)
        # LSOA names number their MSOA within the authority ("Medway 021A"); MSOAs hold 3-6 LSOAs.
        msoa_ends = np.cumsum(rng.integers(3, 7, n))
        msoa = np.searchsorted(msoa_ends, np.arange(n), side="right")
        msoa_start = np.concatenate([[0], msoa_ends])[msoa]
        residents = _largest_remainder(la.census_2011, rng.lognormal(0, 0.18, n))
        lsoa_parts.append(pd.DataFrame({
            "la": la_index,
            "ward": len(ward_rows) + ward_of,
            "msoa_name": [f"{la.name} {m + 1:03d}" for m in msoa],
            "lsoa_name": [f"{la.name} {m + 1:03d}{chr(65 + k)}" for m, k in zip(msoa, np.arange(n) - msoa_start)],
            "lat": ward_lat[ward_of] + rng.normal(0, 0.008, n),
            "lon": ward_lon[ward_of] + rng.normal(0, 0.012, n),
            "residents": residents,
            # Crime and ASB follow population, unevenly; ASB a little differently from crime.
            "crime_weight": residents * rng.lognormal(0, 0.5, n),
        }))
        ward_rows += [(la_index, name) for name in la.wards]
    lsoas = pd.concat(lsoa_parts, ignore_index=True)
    lsoas["asb_weight"] = lsoas["crime_weight"] * rng.lognormal(0, 0.3, len(lsoas))
    lsoas["lsoa_code"] = [f"E01{900001 + i}" for i in range(len(lsoas))]
    msoa_index = (lsoas["msoa_name"] != lsoas["msoa_name"].shift()).cumsum() - 1
    lsoas["msoa_code"] = [f"E02{900001 + i}" for i in msoa_index]
    wards = pd.DataFrame(ward_rows, columns=["la", "ward_name"])
    wards["ward_code"] = [f"E05{900001 + i}" for i in range(len(wards))]
    return lsoas, wards


def _largest_remainder(total: int, weights) -> np.ndarray:
    """Split ``total`` into integers in proportion to ``weights``, summing exactly to ``total``."""
    weights = np.asarray(weights, dtype=float)
    exact = total * weights / weights.sum()
    parts = np.floor(exact).astype(np.int64)
    shortfall = int(total - parts.sum())
    parts[np.argsort(parts - exact, kind="stable")[:shortfall]] += 1
    return parts

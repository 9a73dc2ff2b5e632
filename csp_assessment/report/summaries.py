"""What the document and the workbook both say: each section's summary from its findings, the
glossary, the publishers' names and the run's input files grouped by publisher (Annex D and the
workbook's data_sources table)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..display import narrative
from ..ingest.police_uk import STREET_FILE, force_name
from ..ingest.police_uk_outcomes import OUTCOMES_FILE, STOP_SEARCH_FILE


PUBLISHERS = {
    "police_uk": "data.police.uk (Home Office / police forces): street-level crime and ASB",
    "lsoa_ward_lad_lookup": "ONS: LSOA to ward to local authority lookup",
    "lad_csp_pfa_lookup": "ONS: local authority to Community Safety Partnership to police force area lookup",
    "mid_year_estimates": "ONS: mid-year population estimates",
    "small_area_population": "ONS: small-area (LSOA) population",
    "fingertips": "OHID Fingertips: public health indicators",
    "reoffending": "Ministry of Justice: proven re-offending statistics",
    "partner_returns": "Partner returns (local template)",
    "ons_domestic_abuse": "ONS: Domestic abuse in England and Wales data tool (rates by police force area)",
    "priority_scores": "The partnership's priority scores (local template)",
    "lsoa_bridge": "ONS: LSOA 2011 to LSOA 2021 lookup",
    "boundaries": "ONS: LSOA and ward boundaries",
    "imd": "MHCLG: English Indices of Deprivation 2019",
    "stats19": "DfT: road casualty statistics (STATS19)",
}


GLOSSARY = {
    "ASB": "Anti-social behaviour",
    "CSP": "Community Safety Partnership",
    "LSOA": "Lower Layer Super Output Area: a small statistical area of about 1,500 residents",
    "ONS": "Office for National Statistics",
    "OHID": "Office for Health Improvement and Disparities (publisher of Fingertips)",
    "MoJ": "Ministry of Justice",
    "MoRiLE": "Management of Risk in Law Enforcement: a method of scoring and ranking threats by harm, "
              "likelihood and the partnership's capacity to act",
    "Rate per 1,000": "Records divided by the resident population, times 1,000",
    "SPC": "Statistical process control: charts that separate common-cause from special-cause variation",
    "Special cause": "A month or run of months the history would not lead one to expect (Making Data Count rules)",
    "Common cause": "Month-to-month variation within the process limits",
    "Process limits": "Mean ± 2.66 × the mean moving range of the baseline months",
    "Variation icon": "Making Data Count's summary of a chart's latest month: ~ common cause; H or L special cause "
                      "high or low, blue for improvement, amber for concern",
    "Assurance icon": "Whether the process will meet its target: P consistently met, F consistently missed, "
                      "? hit and miss",
    "Peer comparison": "The area ranked among the other local authorities in the data",
    "Charge/summons rate": "Crimes recorded in the period that were charged or summonsed (Home Office outcome 1), "
                           "as a % of all crimes recorded",
    "Positive outcome": "A crime recorded whose outcome was a charge or summons, a caution, an offence taken into "
                        "consideration, a penalty notice for disorder, a cannabis or khat warning or a community "
                        "resolution (Home Office outcome types 1 to 4 and 6 to 8)",
    "Linked outcome": "A stop and search whose outcome, other than no further action, was linked to the reason "
                      "for the search (what was searched for); the linked outcome rate is its share of all searches",
    "KSI": "People killed or seriously injured in road traffic collisions (DfT STATS19)",
    "Severity-adjusted KSI": "KSI as DfT estimates it had every police force used injury-based reporting: fatal "
                             "casualties plus each other casualty's probability of a serious injury; DfT advises it "
                             "for comparisons over time",
}


def has_figures(found: dict) -> bool:
    """A section the body keeps: police records, or at least one measure. A theme whose inputs are
    all absent gets no page; it is listed once, under "Not yet supplied"."""
    return found.get("count") is not None or bool(found.get("measures"))


def indicator_summary(found: dict) -> str:
    measures = found.get("measures", [])
    if not measures:
        return ""
    compared = [m for m in measures if m["comparison"] in ("higher", "lower", "similar")]
    sentences = []  # a section with a headline of its own leads with it (_section_summary)
    if compared:
        national = compared[0]["benchmark_name"]
        by = {kind: [m["measure"] for m in compared if m["comparison"] == kind] for kind in ("higher", "lower")}
        similar = len(compared) - len(by["higher"]) - len(by["lower"])
        parts = [f"{len(names)} significantly {kind} ({'; '.join(names)})" for kind, names in by.items() if names]
        if similar:
            parts.append(f"{similar} similar")
        sentences.append(f"Of {narrative.counted(len(compared), 'measure')} compared with {national}, "
                         + ", ".join(parts) + ".")
    targets = [m for m in measures if m.get("status") in ("Met", "Not met")]
    if targets:
        met = sum(m["status"] == "Met" for m in targets)
        sentences.append(f"{met} of {narrative.counted(len(targets), 'partner target')} met.")
    if not sentences and found.get("police_summary"):
        sentences.append(found["police_summary"])
    return " ".join(sentences) or f"{narrative.counted(len(measures), 'measure')}; none compared with a national figure."


def indicator_level(found: dict) -> str:
    """An indicator section's key figure: what its comparisons show, else its police counts in brief."""
    measures = found.get("measures", [])
    if any(m["comparison"] in ("higher", "lower", "similar") or m.get("status") for m in measures):
        return indicator_summary(found)
    police = [m for m in measures if m.get("source") == "data.police.uk" and m.get("value") is not None]
    if police:
        return "; ".join(f"{narrative.fmt_int(m['value'])} {m['measure'].lower()}" for m in police) + \
            f" in {found['period']}"
    return indicator_summary(found)


def consecutive(values: list) -> list[tuple]:
    """(first, last) of each run of consecutive values (years, or months as periods): a gap in the
    files starts a new run."""
    runs: list[list] = []
    for value in sorted(set(values)):
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return [(first, last) for first, last in runs]


def month_range(first: pd.Period, last: pd.Period) -> str:
    if first == last:
        return first.strftime("%B %Y")
    return f"{first.strftime('%B %Y')} – {last.strftime('%B %Y')}"


def add_set_aside(total: dict[str, int], counts: dict[str, int]) -> None:
    for why, n in counts.items():
        total[why] = total.get(why, 0) + n


# data.police.uk's three monthly files per force: what Annex D calls each, and their names' pattern.
POLICE_FILES = {"street-level crime and ASB": STREET_FILE, "outcomes": OUTCOMES_FILE,
                "stop and search": STOP_SEARCH_FILE}


def police_file(name: str) -> tuple[str, str, str] | None:
    """(what the file holds, force slug, YYYY-MM) of a data.police.uk file name, else None."""
    for holds, pattern in POLICE_FILES.items():
        if found := pattern.match(name):
            return holds, found["force"].lower(), found["month"]
    return None


def source_groups(inputs: list[dict], police_force: str = "") -> list[dict]:
    """The files read, one group per publisher's kind of data (per police force and file type for
    data.police.uk): the files' names, the months they cover, rows used and set aside (with why),
    summed, and for street files the same figures month by month, so the annex keeps every figure
    the manifest holds while a year of monthly files takes one row, not twelve."""
    groups: dict[tuple[str, ...], dict] = {}
    for entry in inputs:
        name = Path(entry["file"].replace("!", "/")).name
        police = police_file(name) if entry["kind"] == "police_uk" else None
        if police:
            holds, slug, month = police
            force = force_name(slug, police_force)
            publisher = f"data.police.uk: {holds}, {force}"
            key = (entry["kind"], holds, force)
        else:
            month = entry.get("period")
            publisher = PUBLISHERS.get(entry["kind"], entry["kind"])
            key = (entry["kind"],)
        group = groups.setdefault(key, {"publisher": publisher, "files": [], "months": [], "rows_used": None,
                                        "set_aside": {}, "by_month": []})
        group["files"].append(name)
        if month:
            group["months"].append(pd.Period(month, "M"))
        if "rows_used" in entry:
            group["rows_used"] = (group["rows_used"] or 0) + entry["rows_used"]
            add_set_aside(group["set_aside"], entry.get("rows_set_aside", {}))
            if month:
                aside = sum(entry.get("rows_set_aside", {}).values())
                group["by_month"].append((pd.Period(month, "M"), entry["rows_used"], aside))
    return list(groups.values())

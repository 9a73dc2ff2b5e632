"""The reviewers' document: one concise Strategic Assessment, in the shape of the published ones.

Body (Medway 2017's order): cover, contents, introduction, executive summary (a short paragraph per
section and the ranked priorities), overview (key figures and what the partnership has been doing),
one page each for all crime and ASB in the seed's table shape with their key charts, the crime
picture in context (biggest risers and fallers with their SPC signal), progress on existing
priorities, substance misuse, re-offending and mental health (headline tables and the significance
chart), listening to the public, background and data (one page), glossary. Then annexes, each on a
new page: SPC charts by type, indicator trend charts, how priorities are scored, data sources and
notes. The section files keep their full detail.

The document is a notebook of generated HTML cells, exported by the same reviewer exporter as the
sections. Every figure comes from the sections' findings JSON or from the charts and tables their
executed notebooks drew (cells tagged ``doc_chart``, ``doc_table``, ``doc_annex_spc``,
``doc_annex_trends``); nothing is recomputed here. The partnership's own words come from its
narrative files (partnership_text.py), already rendered to safe HTML.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd

from . import mdc_icons, narrative
from ..config import RunConfig
from .export import export_section
from ..ingest.police_uk import STREET_FILE, same_force
from ..ingest.police_uk_outcomes import OUTCOMES_FILE, STOP_SEARCH_FILE
from .findings import read_findings
from .partnership_text import PARTS, PartnershipText
from ..sections import SectionSpec
from .text import as_text

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
}

CRIME_KINDS = ("crime", "asb")


def _e(value) -> str:
    """Data and params strings placed into the document's markdown and HTML: text, never markup."""
    return as_text(value)


def _cell(source: str, *tags: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _chapter(anchor: str, title: str, css: str = "csp-chapter") -> str:
    return f'<h1 class="{css}" id="{anchor}">{_e(title)}</h1>'


# ---- what the executed section notebooks drew -----------------------------------------------

def _drawn(notebook: Path, tag: str, *, charts_only: bool = False) -> list[str]:
    """The charts and tables (as HTML) of the cells tagged ``tag``, in notebook order. Charts become
    images with the alt text the notebook gave them; tables keep the notebook's HTML."""
    found = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code" or tag not in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/svg+xml" in data:
                alt = output.get("metadata", {}).get("image/svg+xml", {}).get("alt", "Chart")
                svg = base64.b64encode(data["image/svg+xml"].encode("utf-8")).decode("ascii")
                found.append(f'<figure class="csp-figure"><img alt="{_e(alt)}" '
                             f'src="data:image/svg+xml;base64,{svg}"></figure>')
            elif "text/html" in data and "<table" in data["text/html"] and not charts_only:
                # one block: blank lines would end the raw HTML inside the Markdown cell
                table = "\n".join(line for line in data["text/html"].splitlines() if line.strip())
                found.append(f'<div class="csp-doc-table">{table}</div>')
    return found


# ---- front matter -----------------------------------------------------------------------------

def _cover(config: RunConfig, generated_at: str, demo: bool) -> str:
    notice = ('<p class="csp-cover-notice">Produced from synthetic demonstration data: the figures describe no '
              "real place.</p>" if demo else "")
    return (f'<div class="csp-cover"><p class="csp-cover-kicker">{_e(config.partnership or config.area_name)}</p>'
            f'<h1 class="csp-cover-title csp-title">{_e(config.title)}</h1>'
            f'<p class="csp-cover-area">{_e(config.area_name)} · assessment period {_e(config.period.long_label)}</p>'
            f'<p class="csp-cover-date">Produced {_e(generated_at)}</p>{notice}</div>')


def _contents(chapters: list[Chapter]) -> str:
    """The contents: chapters numbered 1, 2, ...; annexes by their letter alone ("Annex A: ..."), as
    their headings are. The numbers are written out, not list markers, so both engines print them
    the same way and no annex is numbered as a chapter."""
    numbers = iter(range(1, len(chapters) + 1))
    items = "".join(f'<li><a class="csp-toc" href="#{c.anchor}">'
                    + ("" if c.annex else f'<span class="csp-toc-number">{next(numbers)}.</span> ')
                    + f"{_e(c.title)}</a></li>" for c in chapters)
    return f'<h2 class="csp-contents-title">Contents</h2><ul class="csp-contents">{items}</ul>'


def _section_summary(found: dict) -> str:
    """At most four printed lines on a section, from its findings: police records' headline and SPC
    (crime, ASB), indicators compared and targets (the indicator sections), or both (domestic abuse
    and violent crime)."""
    if "headline" not in found:
        return _indicator_summary(found)
    records = _records_summary(found)
    if "measures" not in found:
        return records
    return " ".join([records, _indicator_summary(found), *found.get("summary_points", [])])


def _records_summary(found: dict) -> str:
    """The headline and what the SPC charts show."""
    sentences = [found.get("headline", "")]
    concerns = [c["category"] for c in found.get("special_causes", []) if "concern" in c["direction"]]
    improving = [c["category"] for c in found.get("special_causes", []) if "improvement" in c["direction"]]
    if concerns or improving:
        parts = []
        if concerns:
            parts.append(f"{len(concerns)} of its monthly series show special cause of concern")
        if improving:
            parts.append(f"{len(improving)} show improvement")
        sentences.append(narrative.sentence_case(" and ".join(parts)) + " (SPC).")
    elif found.get("spc_variation"):
        sentences.append(f"Month-to-month changes are {found['spc_variation']} variation (SPC).")
    return " ".join(s for s in sentences if s)


def _indicator_summary(found: dict) -> str:
    measures = found.get("measures", [])
    if not measures:
        return f"No figures are in the data folder ({len(found.get('missing_inputs', []))} inputs missing)."
    compared = [m for m in measures if m["comparison"] in ("higher", "lower", "similar")]
    sentences = []  # a section with a headline of its own leads with it (_section_summary)
    if compared:
        national = compared[0]["benchmark_name"]
        by = {kind: [m["measure"] for m in compared if m["comparison"] == kind] for kind in ("higher", "lower")}
        similar = len(compared) - len(by["higher"]) - len(by["lower"])
        parts = [f"{len(names)} significantly {kind} ({'; '.join(names)})" for kind, names in by.items() if names]
        if similar:
            parts.append(f"{similar} similar")
        sentences.append(f"Of {len(compared)} measure{'s' if len(compared) > 1 else ''} compared with {national}, "
                         + ", ".join(parts) + ".")
    targets = [m for m in measures if m.get("status") in ("Met", "Not met")]
    if targets:
        met = sum(m["status"] == "Met" for m in targets)
        sentences.append(f"{met} of {len(targets)} partner targets met.")
    missing = found.get("missing_inputs", [])
    if missing:
        sentences.append(f"{len(missing)} input{'s' if len(missing) > 1 else ''} missing (see the section).")
    return " ".join(sentences) or f"{len(measures)} measures; none compared with a national figure."


def _executive_summary(specs: list[SectionSpec], findings: dict[str, dict], priorities_html: str) -> str:
    paragraphs = "".join(f'<p class="csp-exec-point"><strong>{_e(spec.title)}.</strong> '
                         f"{_e(_section_summary(findings[spec.key]))}</p>"
                         for spec in specs if spec.key in findings)
    return paragraphs + priorities_html


def _key_figures(specs: list[SectionSpec], findings: dict[str, dict]) -> str:
    """One row per section: the figure a reader looks for first, its change, and its signal."""
    rows = []
    for spec in specs:
        found = findings.get(spec.key)
        if not found:
            continue
        if "count" in found:  # police records (crime, ASB, violence)
            level = narrative.fmt_int(found["count"])
            if found.get("rate_per_1000") is not None:
                level += f" ({narrative.fmt_rate(found['rate_per_1000'])} {found.get('rate_unit', 'per 1,000 residents')})"
            change = (narrative.fmt_pct(found["change_pct"], signed=True) + f" on {found['comparison_period']}"
                      if found.get("change_pct") is not None else narrative.NOT_AVAILABLE)
            series = found.get("spc_series") or ("All crime" if spec.record_kind == "crime" else "Anti-social behaviour")
            signal = found.get("spc_signals", {}).get(series, {})
            rows.append((spec.title, f"{level} in {found['period']}", change, _signal_cell(signal)))
        else:
            rows.append((spec.title, _indicator_summary(found), "", ""))
    body = "".join(f'<tr><th scope="row">{_e(title)}</th><td class="csp-text">{_e(level)}</td>'
                   f'<td class="csp-text">{_e(change)}</td><td class="csp-text">{icon}</td></tr>'
                   for title, level, change, icon in rows)
    return ('<table class="csp-key-figures"><caption>Key figures</caption><thead><tr><th>Section</th>'
            "<th>Level</th><th>Annual change</th><th>Latest month (SPC)</th></tr></thead>"
            f"<tbody>{body}</tbody></table>")


def _signal_cell(signal: dict) -> str:
    """A series' Making Data Count icons (variation, and assurance where it has a target) with their words."""
    cell = mdc_icons.icon_cell(mdc_icons.variation_icon(signal.get("point_type"), signal.get("side")),
                               mdc_icons.variation_words(signal.get("point_type"), signal.get("side")))
    if signal.get("assurance"):
        cell += "<br>" + mdc_icons.icon_cell(mdc_icons.assurance_icon(signal["assurance"]),
                                             f"target {signal['assurance']}")
    return cell


def _partnership_part(text: PartnershipText, key: str, heading: str | None = None) -> str:
    """A part of the partnership's own words under its heading; '' when the file is missing."""
    if not text.html(key):
        return ""
    title = f"<h2>{_e(heading)}</h2>" if heading else ""
    return f'<div class="csp-partnership-text">{title}{text.html(key)}</div>'


# ---- the crime and ASB pages -----------------------------------------------------------------

def _seed_table(spec: SectionSpec, found: dict) -> str:
    rows = "".join(f'<tr><th scope="row">{_e(r["Measure"])}</th><td class="csp-text">{_e(r["Finding"])}</td></tr>'
                   for r in found["overview"])
    return (f'<table class="csp-overview"><caption>{_e(spec.title)}: {_e(found["period"])}</caption>'
            f"<thead><tr><th>Measure</th><th>Finding</th></tr></thead><tbody>{rows}</tbody></table>")


def _crime_page(spec: SectionSpec, found: dict, notebook: Path, text: PartnershipText) -> str:
    outcomes = found.get("police_outcomes", {}).get("sentence")  # positive outcomes (all crime only)
    return (f'<p class="csp-lead">{_e(found["headline"])}</p>' + _deprivation_line(found) + _seed_table(spec, found)
            + (f"<p>{_e(outcomes)}</p>" if outcomes else "")
            + "".join(_drawn(notebook, "doc_chart")) + _commentary(text, spec.key))


def _deprivation_line(found: dict) -> str:
    """The share of the section's records in England's most deprived 10% of LSOAs (the section's
    Deprivation part has the table by decile); nothing when the IoD file was not in the data folder."""
    deprivation = found.get("deprivation") or {}
    sentence = deprivation.get("sentence") if "missing" not in deprivation else None
    return f"<p>{_e(sentence)}</p>" if sentence else ""


def _commentary(text: PartnershipText, key: str) -> str:
    return _partnership_part(text, key, "The partnership's commentary")


def _risers_and_fallers(found: dict, n: int = 3) -> str:
    """The crime types that rose and fell most in number, with their SPC signal."""
    rows = [r for r in found.get("breakdown", []) if r.get("change") is not None]
    if not rows:
        return (f"<p>Changes by crime type need the comparison period {_e(found['comparison_period'])}, which the "
                "data do not cover.</p>")
    ordered = sorted(rows, key=lambda r: (-r["change"], r["category"]))
    risers = [r for r in ordered if r["change"] > 0][:n]
    fallers = [r for r in reversed(ordered) if r["change"] < 0][:n]
    signals = found.get("spc_signals", {})

    def row(r: dict) -> str:
        icon = _signal_cell(signals.get(r["category"], {}))
        pct = narrative.fmt_pct(r["change_pct"], signed=True) if r.get("change_pct") is not None else "new"
        return (f'<tr><th scope="row">{_e(r["category"])}</th><td>{narrative.fmt_int(r["previous"])}</td>'
                f"<td>{narrative.fmt_int(r['records'])}</td><td>{r['change']:+,}</td><td>{_e(pct)}</td>"
                f'<td class="csp-text">{icon}</td></tr>')

    def table(caption: str, chosen: list[dict]) -> str:
        if not chosen:
            return f"<p>No crime type {caption.split()[0].lower()} in number.</p>"
        return (f'<table class="csp-risers"><caption>{_e(caption)}</caption><thead><tr><th>Crime type</th>'
                f"<th>{_e(found['comparison_period'])}</th><th>{_e(found['period'])}</th><th>Change</th>"
                f"<th>Change %</th><th>Latest month (SPC)</th></tr></thead><tbody>{''.join(map(row, chosen))}"
                "</tbody></table>")

    lead = []
    if risers:
        lead.append(f"The largest rise was in {risers[0]['category'].lower()} ({risers[0]['change']:+,})")
    if fallers:
        lead.append(f"the largest fall in {fallers[0]['category'].lower()} ({fallers[0]['change']:+,})")
    sentence = narrative.sentence_case("; ".join(lead)) + f", {found['period']} against {found['comparison_period']}."
    return (f"<p>{_e(sentence)}</p>" + table("Rose most (number)", risers) + table("Fell most (number)", fallers))


def _indicator_page(spec: SectionSpec, found: dict, notebook: Path, text: PartnershipText) -> str:
    drawn = _drawn(notebook, "doc_table") + _drawn(notebook, "doc_chart")
    missing = "".join(f"<li>{_e(m)}</li>" for m in found.get("missing_inputs", []))
    return (f'<p class="csp-lead">{_e(_section_summary(found))}</p>'
            + (f'<p><strong>Not available:</strong></p><ul class="csp-missing">{missing}</ul>' if missing else "")
            + "".join(drawn) + _commentary(text, spec.key))


# ---- background and annexes -----------------------------------------------------------------

def _background(inputs: list[dict], findings: dict[str, dict], config: RunConfig) -> str:
    by_kind: dict[str, int] = {}
    for entry in inputs:
        by_kind[entry["kind"]] = by_kind.get(entry["kind"], 0) + 1
    sources = "".join(f"<li>{_e(PUBLISHERS.get(kind, kind))}: {n:,} file{'s' if n > 1 else ''}</li>"
                      for kind, n in by_kind.items())
    warnings = sorted({n for f in findings.values() for n in f.get("data_notes", [])
                       if n.startswith(("Incomplete", "Synthetic")) or "cannot" in n})
    return ("<p>Annual strategic assessments of crime and disorder are required by the Crime and Disorder "
            "(Formulation and Implementation of Strategy) Regulations 2007. This document was produced by the "
            "open csp_assessment pipeline from the files below, exactly as their publishers released them, for "
            f"the assessment period {_e(config.period.long_label)}, compared with "
            f"{_e(config.comparison.long_label)}.</p>"
            f'<ul class="csp-publishers">{sources}</ul>'
            + ("<p><strong>Read with care:</strong></p><ul>" + "".join(f"<li>{_e(w)}</li>" for w in warnings) + "</ul>"
               if warnings else "")
            + "<p>Every file with the rows used and set aside, and every note on the data, is listed in the "
              "annex on data sources; each section's own report gives its figures in full.</p>")


def _consecutive(values: list) -> list[tuple]:
    """(first, last) of each run of consecutive values (years, or months as periods): a gap in the
    files starts a new run."""
    runs: list[list] = []
    for value in sorted(set(values)):
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return [(first, last) for first, last in runs]


def _month_range(first: pd.Period, last: pd.Period) -> str:
    if first == last:
        return first.strftime("%B %Y")
    return f"{first.strftime('%B %Y')} – {last.strftime('%B %Y')}"


def _force_name(slug: str, named: str) -> str:
    """A police file's force as params name it when the file-name slug is that force's, else the
    slug in words ('city-of-london' -> 'City of London')."""
    if named and same_force(slug, named):
        return named
    return " ".join(w if w in ("of", "and") else w.capitalize() for w in slug.split("-"))


def _set_aside(counts: dict[str, int]) -> str:
    return "; ".join(f"{n:,} ({why})" for why, n in counts.items() if n) or "none"


def _add_set_aside(total: dict[str, int], counts: dict[str, int]) -> None:
    for why, n in counts.items():
        total[why] = total.get(why, 0) + n


# data.police.uk's three monthly files per force: what Annex D calls each, and their names' pattern.
POLICE_FILES = {"street-level crime and ASB": STREET_FILE, "outcomes": OUTCOMES_FILE,
                "stop and search": STOP_SEARCH_FILE}


def _police_file(name: str) -> tuple[str, str, str] | None:
    """(what the file holds, force slug, YYYY-MM) of a data.police.uk file name, else None."""
    for holds, pattern in POLICE_FILES.items():
        if found := pattern.match(name):
            return holds, found["force"].lower(), found["month"]
    return None


def _source_groups(inputs: list[dict], police_force: str = "") -> list[dict]:
    """The files read, one group per publisher's kind of data (per police force and file type for
    data.police.uk): the files' names, the months they cover, rows used and set aside (with why),
    summed, and for street files the same figures month by month, so the annex keeps every figure
    the manifest holds while a year of monthly files takes one row, not twelve."""
    groups: dict[tuple[str, ...], dict] = {}
    for entry in inputs:
        name = Path(entry["file"].replace("!", "/")).name
        police = _police_file(name) if entry["kind"] == "police_uk" else None
        if police:
            holds, slug, month = police
            force = _force_name(slug, police_force)
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
            _add_set_aside(group["set_aside"], entry.get("rows_set_aside", {}))
            if month:
                aside = sum(entry.get("rows_set_aside", {}).values())
                group["by_month"].append((pd.Period(month, "M"), entry["rows_used"], aside))
    return list(groups.values())


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def _file_names(files: list[str]) -> str:
    """File names, those that differ only in a year written once: 'ukmidyearestimatesYYYY.xlsx for
    2012–2016' instead of five names."""
    by_pattern: dict[str, list[int]] = {}
    for name in files:
        years = _YEAR.findall(name)
        pattern = _YEAR.sub("YYYY", name) if len(years) == 1 else name
        by_pattern.setdefault(pattern, []).extend(int(y) for y in years[:1] if len(years) == 1)
    names = []
    for pattern, years in by_pattern.items():
        if len(years) > 2:
            years_read = ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in _consecutive(years))
            names.append(f"{pattern} for {years_read}")
        else:
            names += [pattern.replace("YYYY", str(y)) for y in years] or [pattern]
    return ", ".join(names)


def _data_sources(inputs: list[dict], police_force: str = "") -> str:
    """Annex D's table of the files read, grouped (see _source_groups), with a total row: the
    groups whose rows are counted (data.police.uk's) first."""
    groups = sorted(_source_groups(inputs, police_force), key=lambda g: g["rows_used"] is None)
    rows = []
    for group in groups:
        files = group["files"]
        named = f"{files[0]} to {files[-1]}" if len(files) > 2 and group["months"] else _file_names(files)
        period = ("; ".join(_month_range(*run) for run in _consecutive(group["months"])) if group["months"]
                  else "as published")
        used = f"{group['rows_used']:,}" if group["rows_used"] is not None else "all"
        rows.append(f'<tr><td class="csp-text">{_e(group["publisher"])}</td>'
                    f'<td class="csp-text csp-files">{len(files):,} file{"s" if len(files) > 1 else ""}: '
                    f"{_e(named)}</td>"
                    f'<td class="csp-text">{_e(period)}</td><td>{used}</td>'
                    f'<td class="csp-text">{_e(_set_aside(group["set_aside"]))}</td></tr>')
        if len(group["by_month"]) > 1:
            by_month = "; ".join(f"{month.strftime('%b %y')}: {n:,} ({aside:,})"
                                 for month, n, aside in sorted(group["by_month"]))
            rows.append(f'<tr class="csp-sources-months"><td class="csp-text" colspan="5">Rows used (set aside) '
                        f"by month: {_e(by_month)}</td></tr>")
    counted = [g for g in groups if g["rows_used"] is not None]
    total_aside: dict[str, int] = {}
    for group in counted:
        _add_set_aside(total_aside, group["set_aside"])
    # the last row of the body, not a <tfoot>: a footer repeats on every page the table spans
    total = (f'<tr class="csp-sources-total"><th scope="row" class="csp-text">Total</th><td class="csp-text">'
             f'{len(inputs):,} files</td><td></td><td>{sum(g["rows_used"] for g in counted):,}</td>'
             f'<td class="csp-text">{_e(_set_aside(total_aside))}</td></tr>' if counted else "")
    return ('<table class="csp-sources"><caption>Files read by this run, by publisher: rows used and set aside are '
            "counted in data.police.uk's files; other files are used as published (full paths, sizes and SHA-256 "
            "of every file in manifest.json)</caption><thead><tr><th>Publisher and data</th><th>Files</th>"
            "<th>Period covered</th><th>Rows used</th><th>Rows set aside (why)</th></tr></thead>"
            f"<tbody>{''.join(rows)}{total}</tbody></table>")


def _glossary() -> str:
    return '<table class="csp-glossary"><tbody>' + "".join(
        f'<tr><th scope="row">{_e(term)}</th><td class="csp-text">{_e(meaning)}</td></tr>'
        for term, meaning in GLOSSARY.items()) + "</tbody></table>"


# ---- the document -----------------------------------------------------------------------------

@dataclass
class Chapter:
    anchor: str
    title: str
    html: str
    annex: bool = False


def write_document_notebook(report_dir: Path, config: RunConfig, specs: list[SectionSpec],
                            executed: dict[str, Path], inputs: list[dict], *, demo: bool, generated_at: str,
                            text: PartnershipText, priorities=None) -> Path:
    """Assemble the document as ``notebooks/strategic-assessment-<year>.ipynb`` in ``report_dir``.

    ``executed``: section key -> executed notebook; ``text``: the partnership's own words;
    ``priorities``: a :class:`priorities.PriorityReport` (ranked priorities, progress on last year's,
    method), or None. Export it with :func:`export_document`.
    """
    findings = read_findings(report_dir / "findings")
    crime_specs = [s for s in specs if s.record_kind in CRIME_KINDS and s.key in findings]
    indicator_specs = [s for s in specs if s.record_kind not in CRIME_KINDS and s.key in findings]

    chapters = [Chapter("introduction", "Introduction",
                        text.html("introduction") or f"<p>{_e(config.introduction or f'This is the {config.title} for {config.area_name}.')}</p>"),
                Chapter("executive-summary", "Executive summary",
                        _executive_summary(specs, findings, priorities.summary_html() if priorities else "")),
                Chapter("overview", "Overview", _key_figures(specs, findings)
                        + _partnership_part(text, "what_we_have_been_doing", PARTS["what_we_have_been_doing"].title))]
    chapters += [Chapter(f"section-{s.key}", s.title, _crime_page(s, findings[s.key], executed[s.key], text))
                 for s in crime_specs]
    crime = next((findings[s.key] for s in crime_specs if s.record_kind == "crime"), None)
    if crime is not None:
        chapters.append(Chapter("crime-in-context", PARTS["crime_in_context"].title,
                                _risers_and_fallers(crime) + _partnership_part(text, "crime_in_context")))
    if (priorities is not None and priorities.has_progress) or text.html("progress_on_priorities"):
        chapters.append(Chapter("progress", PARTS["progress_on_priorities"].title,
                                (priorities.progress_html() if priorities is not None else "")
                                + _partnership_part(text, "progress_on_priorities")))
    chapters += [Chapter(f"section-{s.key}", s.title, _indicator_page(s, findings[s.key], executed[s.key], text))
                 for s in indicator_specs]
    if text.html("listening_to_the_public"):
        chapters.append(Chapter("listening", PARTS["listening_to_the_public"].title,
                                text.html("listening_to_the_public")))
    chapters += [Chapter("background", "Background and data", _background(inputs, findings, config)),
                 Chapter("glossary", "Glossary of terms", _glossary())]

    # Annexes: each on a new page whose first line (the running header, then the heading) says "Annex".
    annexes = []
    # Any section may draw for an annex: the tagged cells choose (crime, ASB, violence for SPC).
    with_findings = [s for s in specs if s.key in findings]
    for anchor, title, tag, chosen in (("annex-spc", "SPC charts by type", "doc_annex_spc", with_findings),
                                       ("annex-trends", "Indicator trend charts", "doc_annex_trends", with_findings)):
        charts = "".join(f"<h2>{_e(s.title)}</h2>" + "".join(drawn) for s in chosen
                         if (drawn := _drawn(executed[s.key], tag, charts_only=True)))
        if charts:
            annexes.append((anchor, title, charts))
    if priorities is not None:
        annexes.append(("annex-priorities", "How priorities are scored", priorities.method_html()))
    notes = sorted({n for f in findings.values() for n in f.get("data_notes", [])})
    annexes.append(("annex-data", "Data sources and notes", _data_sources(inputs, config.police_force) + (
        "<h2>Notes on the data</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>" if notes else "")))
    chapters += [Chapter(anchor, f"Annex {chr(ord('A') + i)}: {title}", body, annex=True)
                 for i, (anchor, title, body) in enumerate(annexes)]

    cells = [_cell(_cover(config, generated_at, demo)),
             _cell(_contents(chapters))]
    for chapter in chapters:
        css = "csp-chapter csp-annex" if chapter.annex else "csp-chapter"
        cells.append(_cell(_chapter(chapter.anchor, chapter.title, css) + chapter.html))
    for i, cell in enumerate(cells):
        cell.id = f"cell-{i}"  # the same on every run
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = report_dir / "notebooks" / f"strategic-assessment-{config.year}.ipynb"
    nbformat.write(notebook, path)
    return path


def export_document(notebook: Path, report_dir: Path, title: str, demo: bool) -> dict[str, Path]:
    """``strategic-assessment-<year>.html`` and ``.pdf``: returns {"html", "pdf", "notebook"}."""
    # The cover replaces the page header; the document is for reviewers (analysts have the sections).
    paths = export_section(notebook, report_dir, title=title, demo_notice=demo, with_header=False, with_code=False)
    return {**paths, "notebook": notebook}

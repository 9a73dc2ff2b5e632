"""The reviewers' document: one concise Strategic Assessment, in the shape of the published ones.

Body (Medway 2017's order): cover, contents, introduction, executive summary (a short paragraph per
section and the ranked priorities), overview (key figures and what the partnership has been doing),
one page each for all crime and ASB in the seed's table shape with their key charts, the crime
picture in context (biggest risers and fallers with their SPC signal; with no comparison period,
crime by type with shares, rates and peer ranks), progress on existing priorities, substance misuse,
re-offending and mental health (headline tables and the significance chart), listening to the public,
background and data (one page, with the one "Not yet supplied" list), glossary. Then annexes, each on
a new page: SPC charts by type, indicator trend charts, how priorities are scored, data sources and
notes. The section files keep their full detail. A theme without figures gets no page; where no
partnership text exists, the introduction is computed from the findings.

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

from ..config import RunConfig
from ..display import mdc_icons, narrative
from ..display.data_tables import DataLinks, ids_in_html
from ..display.findings import read_findings
from ..display.partnership_text import PARTS, PartnershipText
from ..display.text import as_text
from ..sections import SectionSpec
from . import workbook
from .export import export_section, is_raw_output, read_executed
from .summaries import (GLOSSARY, PUBLISHERS, add_set_aside, consecutive, has_figures, indicator_level,
                        indicator_summary, month_range, source_groups)


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

NO_LINKS = DataLinks(set(), 0)


def _drawn(notebook: Path, tag: str, *, charts_only: bool = False, links: DataLinks = NO_LINKS) -> list[str]:
    """The charts and tables (as HTML) of the cells tagged ``tag``, in notebook order. Charts become
    images with the alt text the notebook gave them; tables keep the notebook's HTML. Each is
    followed by the link to the workbook tables that hold its data (which the section named)."""
    found = []
    for cell in read_executed(notebook).cells:
        if cell.cell_type != "code" or tag not in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if is_raw_output(output):  # an analyst's raw DataFrame or value: analyst HTML only (export.py)
                continue
            data = output.get("data", {})
            if "image/svg+xml" in data:
                alt = output.get("metadata", {}).get("image/svg+xml", {}).get("alt", "Chart")
                svg = base64.b64encode(data["image/svg+xml"].encode("utf-8")).decode("ascii")
                ids = output.get("metadata", {}).get("image/svg+xml", {}).get("data_tables", [])
                found.append(f'<figure class="csp-figure"><img alt="{_e(alt)}" '
                             f'src="data:image/svg+xml;base64,{svg}">{links(ids)}</figure>')
            elif "text/html" in data and "<table" in data["text/html"] and not charts_only:
                # one block: blank lines would end the raw HTML inside the Markdown cell
                table = "\n".join(line for line in data["text/html"].splitlines() if line.strip())
                found.append(f'<div class="csp-doc-table">{table}{links(ids_in_html(table))}</div>')
    return found


def _once(figures: list[str], printed: set[str]) -> list[str]:
    """The figures not printed yet, judged by their alt text (which names the chart and its values)."""
    fresh = []
    for figure in figures:
        alt = figure.split('alt="', 1)[1].split('"', 1)[0] if 'alt="' in figure else figure
        if alt not in printed:
            printed.add(alt)
            fresh.append(figure)
    return fresh


# ---- front matter -----------------------------------------------------------------------------

DRAFT_NOTICE = "DRAFT: not yet agreed by the partnership"  # the running header's mark (export_document)


def draft_reasons(config: RunConfig, text: PartnershipText, priorities=None) -> list[str]:
    """What the partnership has still to supply before the document stops being a DRAFT: its
    scores of the priority themes (none ranked yet), every part of its own words, and last year's
    priorities (params ``previous_priorities``). Empty when the document is not a draft."""
    reasons = []
    if priorities is not None and priorities.assessment.evidence_only:
        reasons.append("its scores of the priority themes (until then the priorities are evidence only)")
    missing = [part.title.lower() for part in text.missing if part.key in PARTS]
    if missing:
        reasons.append(f"its own words: {', '.join(missing)}")
    if not config.previous_priorities:
        reasons.append("last year's priorities, to report progress on")
    return reasons


def _draft_mark(reasons: list[str]) -> str:
    if not reasons:
        return ""
    items = "".join(f"<li>{_e(reason)}</li>" for reason in reasons)
    return ('<div class="csp-draft-mark"><p class="csp-draft-word">DRAFT</p><p>Not yet agreed by the partnership. '
            f'Still to come from the partnership:</p><ul>{items}</ul></div>')


def _cover(config: RunConfig, generated_at: str, demo: bool, draft: list[str] = ()) -> str:
    notice = ('<p class="csp-cover-notice">Produced from synthetic demonstration data: the figures describe no '
              "real place.</p>" if demo else "")
    notice += _draft_mark(list(draft))
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
    and violent crime). Missing inputs are not mentioned: they are listed once, as not yet supplied."""
    if not found.get("headline"):
        return indicator_summary(found)
    records = _records_summary(found)
    if not found.get("measures"):
        return records
    return " ".join([records, indicator_summary(found), *found.get("summary_points", [])])


def _series_name(found: dict) -> str:
    """The section's main SPC series: "All crime", "Anti-social behaviour", "Violence and sexual offences"."""
    return found.get("spc_series") or ("All crime" if found.get("section") == "all_crime" else "Anti-social behaviour")


def spc_statement(found: dict) -> str:
    """What SPC says of the section, in one definition used everywhere: the latest month's point (the
    Making Data Count convention), in the words of the charts' titles; the months of the period with
    special cause are worded apart ("special cause in 7 months of ...")."""
    signals, latest = found.get("spc_signals", {}), found.get("spc_latest_month", "")
    name = _series_name(found)
    if name not in signals or not latest:
        return ""
    variation = signals[name]["variation"]
    sentence = (f"In the latest month ({latest}) SPC shows {variation}{' variation' if variation == 'common cause' else ''}"
                f" in {name[:1].lower() + name[1:]}")
    by_kind: dict[str, list[str]] = {}
    for category, signal in signals.items():
        if category != name and signal.get("variation") != "common cause":
            by_kind.setdefault(signal["variation"], []).append(category.lower())
    for words, categories in sorted(by_kind.items()):
        sentence += f"; {words} in {_listed(categories)}"
    sentence += "."
    special = found.get("spc_special_months", {}).get(name)
    if special:
        sentence += f" Over {found['period']} there was {special}."
    return sentence


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _records_summary(found: dict) -> str:
    """The headline and what the SPC charts show."""
    return " ".join(s for s in (found.get("headline", ""), spc_statement(found)) if s)


def _executive_summary(specs: list[SectionSpec], findings: dict[str, dict], priorities_html: str) -> str:
    police = _police_records(findings)
    no_comparison = (police or {}).get("no_comparison", "")
    # Why there is no change is said once, first, not in every paragraph.
    lead = f'<p class="csp-exec-point">{_e(no_comparison)}</p>' if no_comparison else ""
    paragraphs = lead + "".join(f'<p class="csp-exec-point"><strong>{_e(spec.title)}.</strong> '
                                f"{_e(_summary_once(findings[spec.key], no_comparison))}</p>"
                                for spec in specs if spec.key in findings and has_figures(findings[spec.key]))
    missing = _not_supplied_themes(specs, findings)
    if missing:
        paragraphs += (f'<p class="csp-exec-point"><strong>Not yet supplied.</strong> {_e(_not_supplied_sentence(missing))}'
                       " The inputs each needs, and who publishes them, are listed under Background and data.</p>")
    return paragraphs + priorities_html


def _summary_once(found: dict, said: str) -> str:
    """The section's summary without ``said``, a sentence the executive summary gives once for all."""
    summary = _section_summary(found)
    return summary.replace(" " + said, "") if said else summary


def _not_supplied_themes(specs: list[SectionSpec], findings: dict[str, dict]) -> list[tuple[SectionSpec, bool, list[dict]]]:
    """(section, whether it has figures of its own, its inputs not yet supplied), in report order."""
    return [(spec, has_figures(findings[spec.key]), findings[spec.key]["not_supplied"])
            for spec in specs if spec.key in findings and findings[spec.key].get("not_supplied")]


def _not_supplied_sentence(missing: list[tuple[SectionSpec, bool, list[dict]]]) -> str:
    """'Figures on re-offending, mental health and road safety, and part of those on substance misuse,
    are not in this assessment yet.'"""
    whole = [spec.title.lower() for spec, has, _ in missing if not has]
    part = [spec.title.lower() for spec, has, _ in missing if has]
    clauses = []
    if whole:
        clauses.append(f"figures on {_listed(whole)}")
    if part:
        clauses.append(f"part of those on {_listed(part)}" if whole else f"part of the figures on {_listed(part)}")
    return narrative.sentence_case(", and ".join(clauses)) + " are not in this assessment yet."


def _key_figures(specs: list[SectionSpec], findings: dict[str, dict], links: DataLinks = NO_LINKS) -> str:
    """One row per section: the figure a reader looks for first, its change, and its signal."""
    rows = []
    for spec in specs:
        found = findings.get(spec.key)
        if not found or not has_figures(found):
            continue
        if "count" in found:  # police records (crime, ASB, violence)
            level = narrative.fmt_int(found["count"])
            if found.get("rate_per_1000") is not None:
                level += (f" ({narrative.fmt_rate(found['rate_per_1000'])} {found.get('rate_unit', 'per 1,000 residents')}"
                          + (f"; mid-{found['population_year']} population" if found.get("rate_note") else "") + ")")
            change = _change_cell(found)
            series = found.get("spc_series") or ("All crime" if spec.record_kind == "crime" else "Anti-social behaviour")
            signal = found.get("spc_signals", {}).get(series, {})
            rows.append((spec.title, f"{level} in {found['period']}", change, _signal_cell(signal)))
        else:
            rows.append((spec.title, indicator_level(found), "", ""))
    body = "".join(f'<tr><th scope="row">{_e(title)}</th><td class="csp-text">{_e(level)}</td>'
                   f'<td class="csp-text">{_e(change)}</td><td class="csp-text">{icon}</td></tr>'
                   for title, level, change, icon in rows)
    return ('<table class="csp-key-figures"><caption>Key figures</caption><thead><tr><th>Section</th>'
            "<th>Level</th><th>Annual change</th><th>Latest month (SPC)</th></tr></thead>"
            f"<tbody>{body}</tbody></table>" + links([workbook.KEY_FIGURES]))


def _change_cell(found: dict) -> str:
    """The annual change as the key figures print it, or in two words why there is none."""
    if found.get("change_pct") is not None:
        return narrative.fmt_pct(found["change_pct"], signed=True) + f" on {found['comparison_period']}"
    if found.get("change") is not None:  # from none the year before
        return f"{found['change']:+,} on {found['comparison_period']}"
    if (found.get("no_comparison") or "").startswith("No earlier year"):
        return "no earlier year in the data"
    return f"none: {found['comparison_period']} not fully in the data"


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

def _seed_table(spec: SectionSpec, found: dict, links: DataLinks = NO_LINKS) -> str:
    rows = "".join(f'<tr><th scope="row">{_e(r["Measure"])}</th><td class="csp-text">{_e(r["Finding"])}</td></tr>'
                   for r in found["overview"])
    return (f'<table class="csp-overview"><caption>{_e(spec.title)}: {_e(found["period"])}</caption>'
            f"<thead><tr><th>Measure</th><th>Finding</th></tr></thead><tbody>{rows}</tbody></table>"
            + links(found.get("data_tables", {}).get(key) for key in ("summary", "wards", "peers")))


def _crime_page(spec: SectionSpec, found: dict, notebook: Path, text: PartnershipText,
                links: DataLinks = NO_LINKS) -> str:
    outcomes = found.get("police_outcomes", {}).get("sentence")  # positive outcomes (all crime only)
    return (f'<p class="csp-lead">{_e(found["headline"])}</p>' + _deprivation_line(found)
            + _seed_table(spec, found, links) + (f"<p>{_e(outcomes)}</p>" if outcomes else "")
            + "".join(_drawn(notebook, "doc_chart", links=links)) + _commentary(text, spec.key))


def _deprivation_line(found: dict) -> str:
    """The share of the section's records in England's most deprived 10% of LSOAs (the section's
    Deprivation part has the table by decile); nothing when the IoD file was not in the data folder."""
    deprivation = found.get("deprivation") or {}
    sentence = deprivation.get("sentence") if "missing" not in deprivation else None
    return f"<p>{_e(sentence)}</p>" if sentence else ""


def _commentary(text: PartnershipText, key: str) -> str:
    return _partnership_part(text, key, "The partnership's commentary")


def _crime_in_context(found: dict, links: DataLinks = NO_LINKS) -> str:
    """What the data allow: the biggest risers and fallers when the comparison period is covered; the
    make-up of crime by type, with shares, rates and peer ranks, when it is not."""
    if any(r.get("change") is not None for r in found.get("breakdown", [])):
        body = _risers_and_fallers(found)
    else:
        body = _composition(found)
    return body + (links([found.get("data_tables", {}).get("by_type")]) if body else "")


def _composition(found: dict) -> str:
    """Crime by type in the period: each type's share, rate and rank among the peers, and its SPC
    signal in the latest month; then what the SPC charts showed over the period."""
    rows = found.get("breakdown", [])
    if not rows:
        return ""
    by_type = {r["category"]: r for r in found.get("by_type", [])}
    signals, latest = found.get("spc_signals", {}), found.get("spc_latest_month", "")
    unit = found.get("rate_unit", "per 1,000 residents")
    months = found.get("period_months", 12)
    top = rows[0]
    three = sum(r["share_pct"] for r in rows[:3])
    lead = (f"{narrative.fmt_int(found['count'])} crimes were recorded in {found['area']} in {found['period']}. "
            f"{top['category']} made up {narrative.fmt_pct(top['share_pct'])} of them "
            f"({narrative.fmt_int(top['records'])})")
    if len(rows) >= 3:
        lead += (f"; with {rows[1]['category'].lower()} ({narrative.fmt_pct(rows[1]['share_pct'])}) and "
                 f"{rows[2]['category'].lower()} ({narrative.fmt_pct(rows[2]['share_pct'])}), the three largest types "
                 f"were {narrative.fmt_pct(three)} of all crime")
    lead += "."
    highest = [name for name, r in by_type.items() if r.get("peer_rank_by_rate") == 1 and (r.get("peers") or 0) >= 2]
    if highest:
        peers = by_type[highest[0]]["peers"]
        lead += (f" Among the {peers} areas in the data, {found['area']} had the highest rate {unit}"
                 f"{narrative.not_annual(months)} of {_listed([h.lower() for h in highest])}.")
    special = {name: text for name, text in found.get("spc_special_months", {}).items() if name in by_type}
    if special:
        lead += (f" The SPC charts (in the annex) showed, over {found['period']}: "
                 + "; ".join(f"{name.lower()}, {text}" for name, text in special.items()) + ".")
    if found.get("no_comparison"):
        lead += " " + found["no_comparison"].replace("change and trend start", "changes by type start")

    def row(r: dict) -> str:
        evidence = by_type.get(r["category"], {})
        rate = evidence.get("rate_per_1000")
        rank = evidence.get("peer_rank_by_rate")
        return (f'<tr><th scope="row">{_e(r["category"])}</th><td>{narrative.fmt_int(r["records"])}</td>'
                f"<td>{narrative.fmt_pct(r['share_pct'])}</td><td>{_e(narrative.fmt_rate(rate))}</td>"
                f"<td>{_e(narrative.rank_words(int(rank)) if rank is not None else narrative.NOT_AVAILABLE)}</td>"
                f'<td class="csp-text">{_signal_cell(signals.get(r["category"], {}))}</td></tr>')

    peers = max((r.get("peers") or 0 for r in by_type.values()), default=0)
    population = f" ({found['rate_note']})" if found.get("rate_note") else ""
    caption = (f"Crimes by type, {found['period']}; rate {unit}{narrative.not_annual(months)}{population}, ranked "
               f"among the {peers} areas in the data")
    table = (f'<table class="csp-composition"><caption>{_e(caption)}</caption><thead><tr>'
             f"<th>Crime type</th><th>Crimes</th><th>Share</th><th>Rate</th><th>Rank of rate</th>"
             f"<th>Latest month ({_e(latest)}, SPC)</th></tr></thead><tbody>{''.join(map(row, rows))}</tbody></table>")
    return f"<p>{_e(lead)}</p>{table}"


def _risers_and_fallers(found: dict, n: int = 3) -> str:
    """The crime types that rose and fell most in number, with their SPC signal."""
    rows = [r for r in found.get("breakdown", []) if r.get("change") is not None]
    ordered = sorted(rows, key=lambda r: (-r["change"], r["category"]))
    risers = [r for r in ordered if r["change"] > 0][:n]
    fallers = [r for r in reversed(ordered) if r["change"] < 0][:n]
    signals = found.get("spc_signals", {})
    latest = found.get("spc_latest_month", "")

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
                f"<th>Change %</th><th>Latest month ({_e(latest)}, SPC)</th></tr></thead><tbody>"
                f"{''.join(map(row, chosen))}</tbody></table>")

    lead = []
    if risers:
        lead.append(f"The largest rise was in {risers[0]['category'].lower()} ({risers[0]['change']:+,})")
    if fallers:
        lead.append(f"the largest fall in {fallers[0]['category'].lower()} ({fallers[0]['change']:+,})")
    sentence = narrative.sentence_case("; ".join(lead)) + f", {found['period']} against {found['comparison_period']}."
    return (f"<p>{_e(sentence)}</p>" + table("Rose most (number)", risers) + table("Fell most (number)", fallers))


def _indicator_page(spec: SectionSpec, found: dict, notebook: Path, text: PartnershipText,
                    links: DataLinks = NO_LINKS) -> str:
    """The section's figures; what is not yet supplied is listed once, under Background and data."""
    drawn = _drawn(notebook, "doc_table", links=links) + _drawn(notebook, "doc_chart", links=links)
    return f'<p class="csp-lead">{_e(_section_summary(found))}</p>' + "".join(drawn) + _commentary(text, spec.key)


# ---- background and annexes -----------------------------------------------------------------

# What each kind of input is, in the words of a sentence ("The figures come from ...").
DATA_IN_WORDS = {
    "lsoa_ward_lad_lookup": "ONS lookups of small areas to wards and local authorities",
    "mid_year_estimates": "ONS mid-year population estimates",
    "small_area_population": "ONS small-area population figures (ward rates)",
    "boundaries": "ONS boundaries (the maps)",
    "imd": "the English Indices of Deprivation",
    "fingertips": "OHID Fingertips public health indicators",
    "reoffending": "Ministry of Justice proven re-offending statistics",
    "partner_returns": "the partners' own returns",
    "ons_domestic_abuse": "ONS domestic abuse-related crime rates",
    "stats19": "Department for Transport road casualty data (STATS19)",
}


def _police_records(findings: dict[str, dict]) -> dict | None:
    """The findings of the first section of police records (all crime, else ASB, else violence)."""
    return next((f for f in findings.values() if f.get("count") is not None), None)


def _data_used(inputs: list[dict], findings: dict[str, dict], config: RunConfig) -> str:
    """'crime and anti-social behaviour recorded by Kent Police (data.police.uk street-level files, 11
    months), ONS lookups of ...': what the figures come from, for the introduction."""
    kinds = list(dict.fromkeys(entry["kind"] for entry in inputs))
    parts = []
    if "police_uk" in kinds:
        months = {e["period"] for e in inputs if e["kind"] == "police_uk" and e.get("period")}
        force = f" by {config.police_force}" if config.police_force and config.area_from_params else ""
        parts.append(f"crime and anti-social behaviour recorded{force} (data.police.uk street-level files, "
                     f"{narrative.counted(len(months), 'month')})")
    police = _police_records(findings)
    for kind in kinds:
        if kind in DATA_IN_WORDS:
            words = DATA_IN_WORDS[kind]
            if kind == "mid_year_estimates" and police and police.get("population_year"):
                words = f"ONS mid-{police['population_year']} population estimates"
            parts.append(words)
    return _listed(parts) if parts else ""


def _introduction(config: RunConfig, specs: list[SectionSpec], findings: dict[str, dict], inputs: list[dict],
                  text: PartnershipText) -> str:
    """The partnership's own introduction where it has written one; otherwise what the assessment
    covers, computed: the partnership, the area and period, the themes with figures and those not
    yet supplied, and the data used."""
    if text.html("introduction"):
        return text.html("introduction")
    partnership = config.partnership or f"{config.area_name} Community Safety Partnership"
    members = config.partnership_members or "the agencies responsible for community safety"
    paragraphs = [f"{partnership} brings together {members} to tackle crime and disorder in {config.area_name}, "
                  "as the Crime and Disorder Act 1998 requires."]
    if config.introduction:
        paragraphs.append(config.introduction)
    months = config.period.n_months
    covers = (f"This {config.title} covers {config.area_name} over {config.period.long_label}"
              + (f" ({narrative.counted(months, 'month')}: rates are over those months, not a year)" if months != 12
                 else ""))
    police = _police_records(findings)
    if police and police.get("no_comparison"):
        covers += f". {police['no_comparison']}"
    elif police:
        covers += f", compared with {config.comparison.long_label}."
    else:
        covers += "."
    paragraphs.append(covers)
    shown = [spec.title.lower() for spec in specs if spec.key in findings and has_figures(findings[spec.key])]
    if shown:
        themes = f"Its chapters cover {_listed(shown)}"
        missing = _not_supplied_themes(specs, findings)
        themes += (f". {_not_supplied_sentence(missing)} Background and data lists the inputs they need." if missing
                   else ".")
        paragraphs.append(themes)
    data = _data_used(inputs, findings, config)
    if data:
        paragraphs.append(f"The figures come from {data}, read exactly as their publishers released them.")
    return "".join(f"<p>{_e(p)}</p>" for p in paragraphs)


def _background(inputs: list[dict], findings: dict[str, dict], config: RunConfig,
                specs: list[SectionSpec]) -> str:
    by_kind: dict[str, int] = {}
    for entry in inputs:
        by_kind[entry["kind"]] = by_kind.get(entry["kind"], 0) + 1
    sources = "".join(f"<li>{_e(PUBLISHERS.get(kind, kind))}: {narrative.counted(n, 'file')}</li>"
                      for kind, n in by_kind.items())
    warnings = sorted({n for f in findings.values() for n in f.get("data_notes", [])
                       if n.startswith(("Incomplete", "Synthetic")) or "cannot" in n})
    police = _police_records(findings)
    # "compared with" only where the comparison period is covered; otherwise why there is no change
    compared = (f", compared with {config.comparison.long_label}." if police and not police.get("no_comparison")
                else f". {police['no_comparison']}" if police else ".")
    return ("<p>Annual strategic assessments of crime and disorder are required by the Crime and Disorder "
            "(Formulation and Implementation of Strategy) Regulations 2007. This document was produced by the "
            "open csp_assessment pipeline from the files below, exactly as their publishers released them, for "
            f"the assessment period {_e(config.period.long_label)}{_e(compared)}</p>"
            f'<ul class="csp-publishers">{sources}</ul>'
            + ("<p><strong>Read with care:</strong></p><ul>" + "".join(f"<li>{_e(w)}</li>" for w in warnings) + "</ul>"
               if warnings else "")
            + _not_supplied_list(specs, findings)
            + "<p>Every file with the rows used and set aside, and every note on the data, is listed in the "
              "annex on data sources; each section's own report gives its figures in full.</p>")


def _not_supplied_list(specs: list[SectionSpec], findings: dict[str, dict]) -> str:
    """The one list of what is not yet supplied: per theme, each input and who publishes it. How to
    add them is for the analysts (their reports and the run log), not for this document."""
    missing = _not_supplied_themes(specs, findings)
    if not missing:
        return ""
    items = "".join(
        f"<li><strong>{_e(spec.title)}</strong>{'' if has else ' (no figures yet)'}: "
        + "; ".join(f"{_e(m['input'])}, from {_e(m['source'])}" for m in inputs) + ".</li>"
        for spec, has, inputs in missing)
    return ('<h2 id="not-yet-supplied">Not yet supplied</h2><p>These inputs are not in the data folder yet; each '
            "theme's figures follow when they are added (the analysts' reports and the run log say how):</p>"
            f'<ul class="csp-not-supplied">{items}</ul>')


def _set_aside(counts: dict[str, int]) -> str:
    return "; ".join(f"{n:,} ({why})" for why, n in counts.items() if n) or "none"


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
            years_read = ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in consecutive(years))
            names.append(f"{pattern} for {years_read}")
        else:
            names += [pattern.replace("YYYY", str(y)) for y in years] or [pattern]
    return ", ".join(names)


def _data_sources(inputs: list[dict], police_force: str = "") -> str:
    """Annex D's table of the files read, grouped (see source_groups), with a total row: the
    groups whose rows are counted (data.police.uk's) first."""
    groups = sorted(source_groups(inputs, police_force), key=lambda g: g["rows_used"] is None)
    rows = []
    for group in groups:
        files = group["files"]
        named = f"{files[0]} to {files[-1]}" if len(files) > 2 and group["months"] else _file_names(files)
        period = ("; ".join(month_range(*run) for run in consecutive(group["months"])) if group["months"]
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
        add_set_aside(total_aside, group["set_aside"])
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
    # Each table and chart links to the workbook's tables of its data (written beside the document).
    links = DataLinks({t.id for t in workbook.assemble(config, specs, report_dir / "findings", findings, priorities,
                                                       inputs)} | {workbook.NOTES}, config.year)
    # A theme whose inputs are all absent gets no page: it is in the "Not yet supplied" list.
    crime_specs = [s for s in specs if s.record_kind in CRIME_KINDS and s.key in findings]
    indicator_specs = [s for s in specs if s.record_kind not in CRIME_KINDS and s.key in findings
                       and has_figures(findings[s.key])]

    chapters = [Chapter("introduction", "Introduction", _introduction(config, specs, findings, inputs, text)),
                Chapter("executive-summary", "Executive summary",
                        _executive_summary(specs, findings, priorities.summary_html(links) if priorities else "")),
                Chapter("overview", "Overview", _key_figures(specs, findings, links)
                        + _partnership_part(text, "what_we_have_been_doing", PARTS["what_we_have_been_doing"].title))]
    chapters += [Chapter(f"section-{s.key}", s.title, _crime_page(s, findings[s.key], executed[s.key], text, links))
                 for s in crime_specs]
    crime = next((findings[s.key] for s in crime_specs if s.record_kind == "crime"), None)
    if crime is not None:
        chapters.append(Chapter("crime-in-context", PARTS["crime_in_context"].title,
                                _crime_in_context(crime, links) + _partnership_part(text, "crime_in_context")))
    if (priorities is not None and priorities.has_progress) or text.html("progress_on_priorities"):
        chapters.append(Chapter("progress", PARTS["progress_on_priorities"].title,
                                (priorities.progress_html(links) if priorities is not None else "")
                                + _partnership_part(text, "progress_on_priorities")))
    chapters += [Chapter(f"section-{s.key}", s.title, _indicator_page(s, findings[s.key], executed[s.key], text, links))
                 for s in indicator_specs]
    if text.html("listening_to_the_public"):
        chapters.append(Chapter("listening", PARTS["listening_to_the_public"].title,
                                text.html("listening_to_the_public")))
    chapters += [Chapter("background", "Background and data", _background(inputs, findings, config, specs)),
                 Chapter("glossary", "Glossary of terms", _glossary() + links([workbook.NOTES]))]

    # Annexes: each on a new page whose first line (the running header, then the heading) says "Annex".
    annexes = []
    # Any section may draw for an annex: the tagged cells choose (crime, ASB, violence for SPC).
    with_findings = [s for s in specs if s.key in findings]
    for anchor, title, tag, chosen in (("annex-spc", "SPC charts by type", "doc_annex_spc", with_findings),
                                       ("annex-trends", "Indicator trend charts", "doc_annex_trends", with_findings)):
        printed: set[str] = set()  # a chart two sections draw (violence: all crime's and its own) prints once
        charts = "".join(f"<h2>{_e(s.title)}</h2>" + "".join(drawn) for s in chosen
                         if (drawn := _once(_drawn(executed[s.key], tag, charts_only=True, links=links), printed)))
        if charts:
            annexes.append((anchor, title, charts))
    if priorities is not None:
        annexes.append(("annex-priorities", "How priorities are scored", priorities.method_html(links)))
    notes = sorted({n for f in findings.values() for n in f.get("data_notes", [])})
    annexes.append(("annex-data", "Data sources and notes", _data_sources(inputs, config.police_force)
                    + links([workbook.DATA_SOURCES]) + (
        "<h2>Notes on the data</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>"
        + links([workbook.NOTES]) if notes else "")))
    chapters += [Chapter(anchor, f"Annex {chr(ord('A') + i)}: {title}", body, annex=True)
                 for i, (anchor, title, body) in enumerate(annexes)]

    draft = draft_reasons(config, text, priorities)
    cells = [_cell(_cover(config, generated_at, demo, draft)),
             _cell(_contents(chapters))]
    for chapter in chapters:
        css = "csp-chapter csp-annex" if chapter.annex else "csp-chapter"
        cells.append(_cell(_chapter(chapter.anchor, chapter.title, css) + chapter.html))
    for i, cell in enumerate(cells):
        cell.id = f"cell-{i}"  # the same on every run
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["csp_draft"] = draft  # export_document marks every page's header while it is not empty
    path = report_dir / "notebooks" / f"strategic-assessment-{config.year}.ipynb"
    nbformat.write(notebook, path)
    return path


def export_document(notebook: Path, report_dir: Path, title: str, demo: bool) -> dict[str, Path]:
    """``strategic-assessment-<year>.html`` and ``.pdf``: returns {"html", "pdf", "notebook"}."""
    # The cover replaces the page header; the document is for reviewers (analysts have the sections).
    draft = read_executed(notebook).metadata.get("csp_draft")
    paths = export_section(notebook, report_dir, title=title, demo_notice=demo, with_header=False, with_code=False,
                           draft_notice=DRAFT_NOTICE if draft else None)
    return {**paths, "notebook": notebook}

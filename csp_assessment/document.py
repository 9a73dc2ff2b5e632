"""The reviewers' document: one Strategic Assessment assembled from the run's executed sections.

The document is itself a notebook: generated front matter (cover, contents, introduction,
executive summary, overview tables), then every executed section's cells with their outputs,
then background and data sources (from the run's manifest) and a glossary. It is exported by
the same reviewer exporter as the sections, so it shares their style and shows no code.
Every figure in the front matter comes from the sections' findings JSON, never from HTML.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd

from .config import RunConfig
from .export import export_section
from .findings import read_findings
from .sections import SectionSpec
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
}

GLOSSARY = {
    "ASB": "Anti-social behaviour",
    "CSP": "Community Safety Partnership",
    "LSOA": "Lower Layer Super Output Area: a small statistical area of about 1,500 residents",
    "ONS": "Office for National Statistics",
    "OHID": "Office for Health Improvement and Disparities (publisher of Fingertips)",
    "MoJ": "Ministry of Justice",
    "Rate per 1,000": "Records divided by the resident population, times 1,000",
    "SPC": "Statistical process control: charts that separate common-cause from special-cause variation",
    "Special cause": "A month or run of months the history would not lead one to expect (Making Data Count rules)",
    "Common cause": "Month-to-month variation within the process limits",
    "Process limits": "Mean ± 2.66 × the mean moving range of the baseline months",
    "Peer comparison": "The area ranked among the other local authorities in the data",
}


def _e(value) -> str:
    """Data and params strings placed into the document's markdown and HTML: text, never markup."""
    return as_text(value)


def _markdown(source: str, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _cover(config: RunConfig, generated_at: str, demo: bool) -> str:
    notice = ('<p class="csp-cover-notice">Produced from synthetic demonstration data: the figures describe no '
              "real place.</p>" if demo else "")
    return (f'<div class="csp-cover"><p class="csp-cover-kicker">{_e(config.partnership or config.area_name)}</p>'
            f'<h1 class="csp-cover-title csp-title">{_e(config.title)}</h1>'
            f'<p class="csp-cover-area">{_e(config.area_name)} · assessment period {_e(config.period.long_label)}</p>'
            f'<p class="csp-cover-date">Produced {_e(generated_at)}</p>{notice}</div>')


def _contents(chapters: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a class="csp-toc" href="#{anchor}">{_e(title)}</a></li>' for anchor, title in chapters)
    return f'<h2 class="csp-contents-title">Contents</h2><ol class="csp-contents">{items}</ol>'


def _chapter(anchor: str, title: str) -> str:
    return f'<h1 class="csp-chapter" id="{anchor}">{_e(title)}</h1>'


def _executive_summary(specs: list[SectionSpec], findings: dict[str, dict]) -> str:
    parts = []
    for spec in specs:
        found = findings.get(spec.key)
        if not found:
            continue
        # crime/ASB findings carry a one-sentence headline; indicator sections a narrative paragraph
        points = [found.get("headline") or found.get("narrative", "")]
        if found.get("top_wards") and not found.get("top_wards_suppressed"):
            share = sum(w["share_pct"] for w in found["top_wards"])
            points.append(f"The top {len(found['top_wards'])} wards ({', '.join(w['ward_name'] for w in found['top_wards'])}) "
                          f"account for {share:.1f}% of the total.")
        if found.get("spc_variation"):
            concerns = [c["category"] for c in found.get("special_causes", []) if "concern" in c["direction"]]
            points.append(f"SPC: the latest month shows {found['spc_variation']} variation"
                          + (f"; special cause of concern in {', '.join(concerns)}." if concerns else "."))
        points.extend(f"Not available: {m}" for m in found.get("missing_inputs", []) if isinstance(m, str))
        bullets = "".join(f"<li>{_e(p)}</li>" for p in points if p)
        parts.append(f"<h3>{_e(spec.title)}</h3><ul>{bullets}</ul>")
    return "".join(parts)


def _overview_table(spec: SectionSpec, found: dict) -> str:
    rows = "".join(f'<tr><th scope="row">{_e(r["Measure"])}</th><td class="csp-text">{_e(r["Finding"])}</td></tr>'
                   for r in found["overview"])
    return (f'<table class="csp-overview"><caption>{_e(spec.title)}: {_e(found["period"])}</caption>'
            f"<thead><tr><th>Measure</th><th>Finding</th></tr></thead><tbody>{rows}</tbody></table>")


def _data_sources(inputs: list[dict]) -> str:
    rows = []
    for entry in inputs:
        used = f"{entry['rows_used']:,}" if "rows_used" in entry else "all"
        aside = "; ".join(f"{n:,} ({why})" for why, n in entry.get("rows_set_aside", {}).items() if n) or "none"
        period = pd.Period(entry["period"], "M").strftime("%b %y") if "period" in entry else "as published"
        rows.append(f'<tr><td class="csp-text">{_e(PUBLISHERS.get(entry["kind"], entry["kind"]))}</td>'
                    f'<td class="csp-text">{_e(Path(entry["file"].replace("!", "/")).name)}</td>'
                    f'<td class="csp-text">{_e(period)}</td>'
                    f"<td>{_e(used)}</td><td class=\"csp-text\">{_e(aside)}</td></tr>")
    return ('<table class="csp-sources"><caption>Files read by this run (full paths, sizes and SHA-256 in '
            "manifest.json)</caption><thead><tr><th>Publisher and data</th><th>File</th><th>Period covered</th>"
            f"<th>Rows used</th><th>Rows set aside (why)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def write_document_notebook(report_dir: Path, config: RunConfig, specs: list[SectionSpec],
                            executed: dict[str, Path], inputs: list[dict], *, demo: bool, generated_at: str) -> Path:
    """Assemble the document as ``notebooks/strategic-assessment-<year>.ipynb`` in ``report_dir``.

    ``executed``: section key -> executed notebook. Export it with :func:`export_document`.
    """
    findings = read_findings(report_dir / "findings")
    chapters = [("introduction", "Introduction"), ("executive-summary", "Executive summary"),
                ("overview", "Overview")]
    chapters += [(f"section-{spec.key}", spec.title) for spec in specs]
    chapters += [("data-sources", "Background and data sources"), ("glossary", "Glossary")]

    cells = [
        _markdown(_cover(config, generated_at, demo)),
        _markdown(_contents(chapters)),
        _markdown(_chapter("introduction", "Introduction") + "\n\n" + _e(config.introduction or
                  f"This is the {config.title} for {config.area_name}.")),
        _markdown(_chapter("executive-summary", "Executive summary") + _executive_summary(specs, findings)),
        _markdown(_chapter("overview", "Overview") + "".join(
            _overview_table(spec, findings[spec.key]) for spec in specs if findings.get(spec.key, {}).get("overview"))),
    ]
    for spec in specs:
        cells.append(_markdown(_chapter(f"section-{spec.key}", spec.title)))
        section_nb = nbformat.read(executed[spec.key], as_version=4)
        cells.extend(section_nb.cells)  # the reviewer exporter drops parameters and remove_cell cells
    notes = sorted({n for f in findings.values() for n in f.get("data_notes", [])})
    cells.append(_markdown(
        _chapter("data-sources", "Background and data sources")
        + "<p>Annual strategic assessments of crime and disorder are required by the Crime and Disorder "
          "(Formulation and Implementation of Strategy) Regulations 2007. This document was produced by the "
          "open csp_assessment pipeline from the files below, exactly as their publishers released them.</p>"
        + _data_sources(inputs)
        + ("<h3>Notes on the data</h3><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>" if notes else "")))
    cells.append(_markdown(_chapter("glossary", "Glossary") + '<table class="csp-glossary"><tbody>' + "".join(
        f'<tr><th scope="row">{_e(term)}</th><td class="csp-text">{_e(meaning)}</td></tr>'
        for term, meaning in GLOSSARY.items()) + "</tbody></table>"))

    for i, cell in enumerate(cells):
        cell.id = f"cell-{i}"  # unique across the joined sections, and the same on every run
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

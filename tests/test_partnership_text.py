"""The partnership's own words: found in the data folder, rendered as text only, placed where the
published assessments place them, and left out (with a note to the analyst) when missing."""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat
import pytest

from csp_assessment.display import partnership_text
from csp_assessment.sections import section_titles
from csp_assessment.config import load_config
from csp_assessment.report.document import write_document_notebook
from csp_assessment.errors import ConfigError, InputError
from csp_assessment.sections import SECTIONS

SECTION_TITLES = {key: spec.title for key, spec in SECTIONS.items()}


def test_markdown_is_rendered_as_text_only():
    html = partnership_text.render(
        "# Our work\n\nWe **met** <script>alert(1)</script> residents "
        "[see details](javascript:alert(document.domain)) and [our site](https://example.org).\n\n"
        '<img src=x onerror="alert(1)"> ![photo](https://example.org/p.png)\n\n- one\n- two')
    assert "<script" not in html and "onerror=\"" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html and 'href="https://example.org"' in html
    assert "<h3>Our work</h3>" in html  # below the document's chapters (h1) and parts (h2)
    assert "[image: photo]" in html  # a remote image would load from the network when the report opens
    assert "<strong>met</strong>" in html and "<li>one</li>" in html
    assert "\n\n" not in html  # one HTML block inside a Markdown cell


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_empty_and_unrecognised_files(tmp_path):
    folder = tmp_path / "narrative"
    _write(folder, "introduction.md", "Hello")
    _write(folder, "listening-to-the-public.md", "  \n")  # empty: as good as missing
    _write(folder, "all-crime.md", "Crime rose.")
    _write(folder, "notes-to-self.md", "x")
    _write(folder, "mental-health.md", "A section this run leaves out: known, not used.")
    text = partnership_text.read(folder, {"all_crime": "All recorded crime", "asb": "Anti-social behaviour"},
                                 every_section=section_titles())
    assert set(text.parts) == {"introduction", "all_crime"}
    assert [p.file for p in text.missing] == ["what-we-have-been-doing.md", "crime-in-context.md",
                                               "progress-on-priorities.md", "listening-to-the-public.md", "asb.md"]
    assert text.unrecognised == [folder / "notes-to-self.md"]
    lines = text.missing_lines()
    assert lines[0] == f"no what-we-have-been-doing.md in {folder}: the overview, after the key figures is left out"
    assert "asb.md" in partnership_text.status_line(text, "asb")
    assert partnership_text.status_line(text, "all_crime") == f"Partnership commentary read from {folder / 'all-crime.md'}."
    assert partnership_text.commentary_block(text, "asb") == ""  # no heading without words


def test_text_that_is_not_utf8_names_the_file(tmp_path):
    folder = tmp_path / "narrative"
    folder.mkdir()
    (folder / "introduction.md").write_bytes("Caf\xe9".encode("latin-1"))
    with pytest.raises(InputError, match="introduction.md.*not UTF-8"):
        partnership_text.read(folder, {})


def test_the_folder_is_found_in_the_data_folder(tmp_path):
    data = tmp_path / "raw"
    assert partnership_text.find_folder(data / "nowhere") is None
    own = data / "2017" / "narrative"
    own.mkdir(parents=True)
    demo = data / "demo" / "narrative"
    demo.mkdir(parents=True)
    with pytest.raises(ConfigError, match="several folders named 'narrative'"):
        partnership_text.find_folder(data)
    # the demo data's texts are not the partnership's when real data sit beside them
    assert partnership_text.find_folder(data, exclude=[data / "demo"]) == own
    assert partnership_text.find_folder(data, "demo/narrative") == demo
    with pytest.raises(ConfigError, match="narrative_dir"):
        partnership_text.find_folder(data, "missing")


# ---- placement in the reviewers' document ----------------------------------------------------

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def _executed_notebook(path: Path) -> Path:
    cell = nbformat.v4.new_code_cell("section.key_charts()")
    cell.metadata["tags"] = ["doc_chart"]
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/svg+xml": SVG},
                                           metadata={"image/svg+xml": {"alt": "Chart: a test"}})]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return path


def _crime_findings(title: str, kind: str) -> dict:
    label = "All crime" if kind == "crime" else "Anti-social behaviour"
    return {"section": "x", "title": title, "period": "Apr 16 – Mar 17", "comparison_period": "Apr 15 – Mar 16",
            "headline": f"{title}: 100 records.", "count": 100, "rate_per_1000": 1.0, "change_pct": 5.0,
            "overview": [{"Measure": "Level", "Finding": "100"}], "special_causes": [], "data_notes": [],
            "spc_signals": {label: {"point_type": "common_cause", "side": None, "assurance": "consistently missed"},
                            "Burglary": {"point_type": "special_cause_concern", "side": "high", "assurance": None}},
            "breakdown": [{"category": "Burglary", "records": 60, "previous": 50, "change": 10, "change_pct": 20.0},
                          {"category": "Robbery", "records": 40, "previous": 45, "change": -5, "change_pct": -11.1}]}


def _document(tmp_path: Path, texts: dict[str, str]) -> str:
    import json

    report = tmp_path / "report"
    (report / "findings").mkdir(parents=True)
    specs = [SECTIONS["all_crime"], SECTIONS["asb"]]
    for spec in specs:
        (report / "findings" / f"{spec.key}.json").write_text(json.dumps(_crime_findings(spec.title, spec.record_kind)))
    folder = tmp_path / "narrative"
    folder.mkdir()
    for name, body in texts.items():
        _write(folder, name, body)
    text = partnership_text.read(folder, {s.key: s.title for s in specs})
    executed = {s.key: _executed_notebook(report / "notebooks" / s.notebook) for s in specs}
    config = load_config(2017, sections="all_crime,asb")
    path = write_document_notebook(report, config, specs, executed, [], demo=False, generated_at="today", text=text)
    cover, contents, *body = nbformat.read(path, as_version=4).cells
    return "\n".join(c.source for c in body)


def test_each_text_is_placed_where_medway_places_it(tmp_path):
    source = _document(tmp_path, {
        "introduction.md": "INTRO-TEXT", "what-we-have-been-doing.md": "DOING-TEXT",
        "crime-in-context.md": "CONTEXT-TEXT", "progress-on-priorities.md": "PROGRESS-TEXT",
        "listening-to-the-public.md": "PUBLIC-TEXT", "all-crime.md": "CRIME-COMMENT", "asb.md": "ASB-COMMENT"})
    order = ["INTRO-TEXT", 'id="executive-summary"', 'id="overview"', "DOING-TEXT", 'id="section-all_crime"',
             "CRIME-COMMENT", 'id="section-asb"', "ASB-COMMENT", 'id="crime-in-context"', "CONTEXT-TEXT",
             'id="progress"', "PROGRESS-TEXT", 'id="listening"', "PUBLIC-TEXT", 'id="background"', 'id="glossary"',
             "Annex A: Data sources and notes"]
    positions = [source.index(marker) for marker in order]
    assert positions == sorted(positions)
    # the key chart of each crime section is taken from its executed notebook, with its alt text
    assert source.count('<img alt="Chart: a test"') == 2
    assert base64.b64encode(SVG.encode()).decode() in source


def test_missing_texts_leave_no_empty_headings(tmp_path):
    source = _document(tmp_path, {"asb.md": "ASB-COMMENT"})
    for absent in ("What we have been doing", "Listening to the public", "Progress on existing priorities"):
        assert absent not in source
    assert source.count("The partnership's commentary") == 1  # ASB's only
    # the introduction falls back to the params file's statement of purpose
    assert "The purpose of the strategic assessment" in source
    # risers and fallers still come from the findings, the crime picture's own words are optional
    assert "The crime picture in context" in source and "Burglary" in source and "Robbery" in source
    # Making Data Count icons beside each series in the summary tables, with their meaning in words
    assert source.count("target consistently missed") == 2  # crime and ASB in the key figures
    assert 'aria-label="Special cause variation, concern (high)"' in source  # burglary, the largest riser

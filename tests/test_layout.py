"""The package's extension points: a new section, loader or demo writer is found without
editing any list (docs/adding-a-section.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from csp_assessment import sections
from csp_assessment.demo import further_writers
from csp_assessment.ingest.folder import INDICATOR_INPUTS
from csp_assessment.sections import SECTIONS, SectionSpec
from csp_assessment.sections.base import Section

ROOT = Path(__file__).resolve().parents[1]


def test_every_section_module_declares_its_sections_and_their_notebooks_exist():
    for key, spec in SECTIONS.items():
        assert spec.key == key
        assert (ROOT / "notebooks" / spec.notebook).is_file(), spec.notebook
        assert issubclass(SECTIONS.section_class(key), Section)


def test_params_run_order_lists_every_declared_section_once():
    run_order = yaml.safe_load((ROOT / "params" / "defaults.yaml").read_text(encoding="utf-8"))["sections"]
    assert sorted(run_order) == sorted(SECTIONS) and len(set(run_order)) == len(run_order)


def test_a_new_section_module_is_found_without_editing_a_list(tmp_path, monkeypatch):
    module = tmp_path / "extra_theme.py"
    module.write_text(
        "from csp_assessment.sections import SectionSpec\n"
        "from csp_assessment.sections.base import Section\n"
        "SPECS = (SectionSpec('extra_theme', '99_extra_theme.ipynb', 'Extra theme', 'extra_theme'),)\n"
        "class ExtraTheme(Section):\n    pass\n"
        "SECTION_CLASS = ExtraTheme\n", encoding="utf-8")
    monkeypatch.setattr(sections, "__path__", [*sections.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "csp_assessment.sections.extra_theme", raising=False)
    registry = sections._Registry()
    assert registry["extra_theme"] == SectionSpec("extra_theme", "99_extra_theme.ipynb", "Extra theme", "extra_theme")
    assert registry.section_class("extra_theme").__name__ == "ExtraTheme"


def test_one_table_loaders_are_found_by_their_table_name():
    assert {"fingertips", "reoffending", "partner_returns", "priority_scores"} <= set(INDICATOR_INPUTS)
    for table, loader in INDICATOR_INPUTS.items():
        assert loader.TABLE == table and loader.DESCRIPTION and callable(loader.sniff) and callable(loader.read) and loader.KEY


def test_further_demo_writers_each_have_write_demo():
    for module in further_writers():
        assert callable(module.write_demo), module.__name__

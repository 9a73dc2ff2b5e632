"""The assessment's sections: which notebook each runs and what it is called in the reports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SectionSpec:
    key: str
    notebook: str  # file name in notebooks/
    title: str
    record_kind: str  # which police.uk records the section measures: "crime" or "asb"


SECTIONS: dict[str, SectionSpec] = {
    spec.key: spec
    for spec in (
        SectionSpec("all_crime", "01_all_crime.ipynb", "All recorded crime", "crime"),
        SectionSpec("asb", "02_asb.ipynb", "Anti-social behaviour", "asb"),
    )
}

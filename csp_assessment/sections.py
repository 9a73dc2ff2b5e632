"""The assessment's sections: which notebook each runs and what it is called in the reports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SectionSpec:
    key: str
    notebook: str  # file name in notebooks/
    title: str
    # Which records the section measures: police.uk "crime" or "asb"; the indicator sections
    # (indicators.py) name themselves, as their figures come from several publishers.
    record_kind: str


SECTIONS: dict[str, SectionSpec] = {
    spec.key: spec
    for spec in (
        SectionSpec("all_crime", "01_all_crime.ipynb", "All recorded crime", "crime"),
        SectionSpec("asb", "02_asb.ipynb", "Anti-social behaviour", "asb"),
        SectionSpec("substance_misuse", "03_substance_misuse.ipynb", "Substance misuse", "substance_misuse"),
        SectionSpec("reoffending", "04_reoffending.ipynb", "Re-offending", "reoffending"),
        SectionSpec("mental_health", "05_mental_health.ipynb", "Mental health", "mental_health"),
        SectionSpec("road_safety", "07_road_safety.ipynb", "Road safety", "road_safety"),
    )
}

"""Example partnership texts for the demo run, one per part of the document (names.PARTS and each
section's commentary, named by its section key). Written in the shape of Medway's 2017 assessment, short, and
marked as synthetic: they show an analyst where each file's words appear."""

from __future__ import annotations

from pathlib import Path

from ..names import NARRATIVE_FOLDER, PARTS, section_part

SYNTHETIC = "*Example text written for the synthetic demonstration data: it describes no real partnership's work.*"

EXAMPLE_TEXTS = {
    "introduction": """\
The Community Safety Partnership brings together the council, the police, the fire and rescue service,
probation and health partners to reduce crime and disorder. Each year we assess the levels and patterns
of crime and anti-social behaviour, listen to residents, review our progress and decide what the
partnership should prioritise next.

This assessment sets out what the figures show, how we scored the risks they describe and the
priorities we propose for the coming year.

*Chair of the Community Safety Partnership*
""",
    "what_we_have_been_doing": """\
- The partnership's operational group met monthly and addressed **180** complex cases of repeat victims,
  offenders and locations.
- Third-party reporting hubs for hate crime opened in seven community venues.
- A street triage pilot placed a mental health nurse with police officers on weekend evenings.
""",
    "crime_in_context": """\
Part of the rise in violence is thought to reflect better recording and more victims coming forward,
as well as drug-related violence linked to 'county lines' activity. The partnership will look at the
wards where violence and drug offences rose together before setting actions.
""",
    "progress_on_priorities": """\
Multi-agency problem solving continued to reduce anti-social behaviour. Work with victims of domestic
abuse focused on first response and repeat victims; the substance misuse treatment service was
recommissioned during the year.
""",
    "listening_to_the_public": """\
The partnership attended **40** community events and held its annual consultation event on homelessness
and begging. Residents most often raised anti-social behaviour, speeding and drug dealing; these views
are reflected in the public concern scores of the priority assessment.
""",
    "all_crime": """\
Recorded crime rose again, driven by violence and sexual offences. Partners consider that changes in
recording practice explain part, but not all, of the increase.
""",
    "asb": """\
The fall in anti-social behaviour follows targeted patrols and the work of the operational group in
the town centre wards.
""",
    "substance_misuse": """\
Treatment completions are close to the national figure; hospital admissions for drug-related
disorders remain higher than England's and are a focus for the treatment service.
""",
    "reoffending": """\
Re-offending remains above the national rate. The integrated offender management cohort was refreshed
to focus on those who cause the most harm.
""",
    "mental_health": """\
Mental health sits behind many cases the partnership deals with; the street triage pilot will be
reviewed next year.
""",
    "violence_domestic_abuse": """\
Much of the rise in violence follows better recording of domestic abuse. The one-stop shop saw more
victims than ever, and MARAC repeat referrals reached the level SafeLives recommends.
""",
}


def write_narrative_demo(out_dir: Path) -> list[Path]:
    """Write the example texts into ``out_dir/narrative``: the document's parts, then each section's
    commentary, named from its key as the reader expects (names.section_part)."""
    folder = Path(out_dir) / NARRATIVE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    parts = list(PARTS.values()) + [section_part(key, key) for key in EXAMPLE_TEXTS if key not in PARTS]
    written = []
    for part in parts:
        path = folder / part.file
        path.write_text(f"{EXAMPLE_TEXTS[part.key].rstrip()}\n\n{SYNTHETIC}\n", encoding="utf-8", newline="\n")
        written.append(path)
    return written

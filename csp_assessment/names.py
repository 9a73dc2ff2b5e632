"""Names in the data folder that its writers and its readers share.

The demo generator (demo/) and ``pipeline.py fetch`` (fetch/) write the data folder; the ingest
(ingest/) and the partnership's texts (display/partnership_text.py) read it. Those rooms sit side by
side or above one another, never below this module: so the names they must agree on live here,
on the ground floor, once.
"""

from __future__ import annotations

from dataclasses import dataclass

# The file marking a folder of the project's synthetic demonstration data (written last, so a folder
# with it holds every demo file): its data are never taken for a user's own downloads.
DEMO_MARKER = "SYNTHETIC-DEMONSTRATION-DATA.txt"

# The partnership's own words: Markdown files in a folder of this name in the data folder.
NARRATIVE_FOLDER = "narrative"


@dataclass(frozen=True)
class Part:
    key: str
    file: str
    title: str  # the heading the part appears under in the document
    place: str  # where it goes, for the analyst


# Document-wide parts, in document order. Section commentary files are named after the section
# (all-crime.md, asb.md, substance-misuse.md, ...), see section_part().
PARTS: dict[str, Part] = {p.key: p for p in (
    Part("introduction", "introduction.md", "Introduction", "the introduction and foreword"),
    Part("what_we_have_been_doing", "what-we-have-been-doing.md", "What we have been doing",
         "the overview, after the key figures"),
    Part("crime_in_context", "crime-in-context.md", "The crime picture in context",
         "the crime picture in context, after the risers and fallers"),
    Part("progress_on_priorities", "progress-on-priorities.md", "Progress on existing priorities",
         "progress on existing priorities, after the table of measures"),
    Part("listening_to_the_public", "listening-to-the-public.md", "Listening to the public",
         "its own chapter, after the sections"),
)}


def section_part(section_key: str, title: str) -> Part:
    """A section's commentary file: its key with hyphens (all_crime -> all-crime.md)."""
    return Part(section_key, f"{section_key.replace('_', '-')}.md", title,
                f"the partnership's commentary in the {title} section")

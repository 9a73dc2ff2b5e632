"""Strings from data files and params shown as text, never read as markup.

A ward name, a crime type, a partner's measure or a params sentence is placed into markdown cells
and HTML pages. Written as it is, ``River [see details](javascript:alert(1))`` would become a live
link, ``<script>`` an element, ``*`` emphasis, ``|`` a table column and ``$`` the start of maths.
:func:`as_text` replaces every character that markdown or HTML would read as markup with its HTML
character reference: both markdown (CommonMark, mistune) and HTML show a character reference as
the character itself, and neither reads it as syntax. So the one helper is right in a markdown
cell, inside an HTML block in a markdown cell, and in an HTML attribute.
"""

from __future__ import annotations

import re

# Characters with a meaning in markdown (links, images, emphasis, code, tables, headings, lists,
# escapes, maths, strikethrough, autolinks) or in HTML (tags, entities, attributes).
_MARKUP = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-!|~$:"}
_MARKUP.update({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})
_TRANSLATION = str.maketrans(_MARKUP)
# A line break in a data string could end a markdown block and start another (a heading, a list).
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c]+")


def as_text(value) -> str:
    """``value`` as a string to place in markdown or HTML: shown exactly as written, never as markup."""
    return _LINE_BREAKS.sub(" ", str(value)).translate(_TRANSLATION)

"""Strings from data files and params shown as text, never read as markup.

A ward name, a crime type, a partner's measure or a params sentence is placed into markdown cells
and HTML pages. Written as it is, ``River [see details](javascript:alert(1))`` would become a live
link, ``<script>`` an element, ``*`` emphasis, ``|`` a table column and ``$`` the start of maths.
:func:`as_text` replaces every character that markdown or HTML would read as markup there (and a
block marker opening the string) with its HTML character reference, and leaves ordinary punctuation
as typed, so the notebooks' markdown stays readable. Markdown (CommonMark, mistune) and HTML both
show a character reference as the character itself and neither reads it as syntax, so the one
helper is right in a markdown cell, in an HTML block inside one, and in a double-quoted attribute.
"""

from __future__ import annotations

import re

# Characters that make markup anywhere in a line: links and images ([ ]), emphasis (* _), code (`),
# tables (|), maths ($), strikethrough (~), escapes (\\), HTML elements and entities (< > &) and the
# end of an HTML attribute ("). Others ( ) ! : + - # are markup only next to these or at a line's start.
_MARKUP = {c: f"&#{ord(c)};" for c in "\\`*_[]|$~"}
_MARKUP.update({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_TRANSLATION = str.maketrans(_MARKUP)
# A line break in a data string could end a markdown block and start another (a heading, a list).
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c]+")
# What makes a block when it opens a line: a heading, a list item, a setext underline, a numbered item.
_BLOCK_START = re.compile(r"^(\s*)([#+=-]|\d+[.)](?=\s|$))")


def as_text(value) -> str:
    """``value`` as a string to place in markdown or HTML: shown exactly as written, never as markup."""
    text = _LINE_BREAKS.sub(" ", str(value)).translate(_TRANSLATION)
    return _BLOCK_START.sub(lambda m: m[1] + "".join(f"&#{ord(c)};" for c in m[2]), text)
